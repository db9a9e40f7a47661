//! The core's performance goals, measured side by side in one run:
//!
//! (a) one hook call end to end (spawn, read stdin, load state, analyze, save, exit) against a
//!     process that only reads stdin and exits (`posthook floor`, the same executable): goal
//!     median ratio <= 1.5;
//! (b) in-process pipeline time per event with a 200-event history: goal p99 <= 25 us;
//! (c) per-event time with 10 vs 10,000 events of history: goal ratio <= 1.2.
//!
//! Criterion measures each case; a summary at the end interleaves the compared cases (so machine
//! noise hits both sides alike) and prints medians, p99 and the ratios.
//!
//! Run: `cargo bench --bench hook` (add `-- --quick` for a shorter run).
#![allow(clippy::too_many_lines)] // a benchmark's summary is one long report

use criterion::{black_box, Criterion};
use posthook::store::Store;
use posthook::transcript::events_from_file;
use posthook::{History, Runtime, ToolCall};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn transcripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcripts")
}

/// Tool calls of real sessions (the two long ones), with their real time stamps.
fn real_calls() -> Vec<ToolCall> {
    let mut calls = Vec::new();
    for name in [
        "spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl",
        "spotter__4d5611e5-241a-462a-8d15-5122611a9569.jsonl",
    ] {
        let Ok((events, _)) = events_from_file(&transcripts_dir().join(name)) else {
            continue;
        };
        for e in events {
            let bytes = e.payload.to_string();
            if let Ok(input) = posthook::input::parse(bytes.as_bytes(), e.ts_ms.unwrap_or(0), None)
            {
                if let Some(call) = input.call {
                    calls.push(call);
                }
            }
        }
    }
    if calls.is_empty() {
        // Without the shared data, fall back to a small synthetic mix.
        for i in 0..50u64 {
            let (tool, input) = match i % 4 {
                0 => (
                    "Read",
                    serde_json::json!({"file_path": format!("/p/src/f{i}.rs")}),
                ),
                1 => (
                    "Edit",
                    serde_json::json!({"file_path": format!("/p/src/f{}.rs", i - 1), "old_string": "a", "new_string": "b"}),
                ),
                2 => ("Bash", serde_json::json!({"command": "cargo test"})),
                _ => (
                    "Grep",
                    serde_json::json!({"pattern": "fn main", "path": "/p"}),
                ),
            };
            calls.push(ToolCall::new(tool, input).at(i * 4000));
        }
    }
    calls
}

/// A history that has recorded `n` events of `calls`.
fn history_of(rt: &Runtime, calls: &[ToolCall], n: usize) -> History {
    let mut h = History::new();
    for c in calls.iter().cycle().take(n) {
        rt.process(c, &mut h);
    }
    h
}

fn hook_payload() -> Vec<u8> {
    serde_json::json!({
        "session_id": "bench-e2e",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/project",
        "hook_event_name": "PostToolUse",
        "tool_name": "Edit",
        "tool_input": {"file_path": "/tmp/project/src/lib.rs", "old_string": "a", "new_string": "b"},
        "tool_response": {"filePath": "/tmp/project/src/lib.rs", "oldString": "a", "newString": "b"},
        "tool_use_id": "toolu_1"
    })
    .to_string()
    .into_bytes()
}

fn spawn(args: &[&str], payload: &[u8], state: &Path) -> Duration {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_posthook"))
        .args(args)
        .env("POSTHOOK_STATE_DIR", state)
        .env_remove("POSTHOOK_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn posthook");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload);
    }
    let _ = child.wait();
    t.elapsed()
}

fn bench_end_to_end(c: &mut Criterion, state: &Path) {
    let payload = hook_payload();
    let mut g = c.benchmark_group("a_end_to_end");
    g.sample_size(50);
    g.bench_function("floor_read_stdin_exit", |b| {
        b.iter(|| spawn(&["floor"], &payload, state))
    });
    g.bench_function("posthook_hook_call", |b| {
        b.iter(|| spawn(&[], &payload, state))
    });
    g.finish();
}

fn bench_pipeline(c: &mut Criterion, calls: &[ToolCall]) {
    let rt = Runtime::default();
    let mut g = c.benchmark_group("b_pipeline");
    let mut h = history_of(&rt, calls, 200);
    let mut i = 0;
    g.bench_function("event_after_200", |b| {
        b.iter(|| {
            i = (i + 1) % calls.len();
            black_box(rt.process(&calls[i], &mut h));
        })
    });
    g.finish();

    let mut g = c.benchmark_group("c_history_length");
    for n in [10usize, 10_000] {
        let base = history_of(&rt, calls, n);
        g.bench_function(format!("pipeline_and_state_roundtrip_{n}"), |b| {
            b.iter_batched_ref(
                || base.clone(),
                |h| {
                    // What a hook call does with its history: load (parse), process, save.
                    let bytes = serde_json::to_vec(&*h).expect("serialize");
                    let mut loaded: History = serde_json::from_slice(&bytes).expect("parse");
                    black_box(rt.process(&calls[n % calls.len()], &mut loaded));
                    black_box(serde_json::to_vec(&loaded).expect("serialize"));
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn quantile(v: &mut [Duration], q: f64) -> Duration {
    v.sort_unstable();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Interleaved side-by-side measurements and the goals' verdicts.
fn summary(calls: &[ToolCall], state: &Path) -> String {
    let mut out = String::from("\n== posthook core goals (interleaved, side by side) ==\n");
    let payload = hook_payload();
    let (mut floor, mut hook) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        spawn(&[], &payload, state);
    }
    for _ in 0..300 {
        floor.push(spawn(&["floor"], &payload, state));
        hook.push(spawn(&[], &payload, state));
    }
    let (f50, h50) = (quantile(&mut floor, 0.5), quantile(&mut hook, 0.5));
    let ratio_a = h50.as_secs_f64() / f50.as_secs_f64();
    out += &format!(
        "(a) end to end, median of 300: floor {:.0} us, hook call {:.0} us (p99 {:.0} us); ratio {ratio_a:.2} (goal <= 1.5: {})\n",
        us(f50),
        us(h50),
        us(quantile(&mut hook, 0.99)),
        if ratio_a <= 1.5 { "met" } else { "MISSED" }
    );

    let rt = Runtime::default();
    let mut h = history_of(&rt, calls, 200);
    let mut per_event = Vec::with_capacity(50_000);
    for c in calls.iter().cycle().take(50_000) {
        let t = Instant::now();
        black_box(rt.process(c, &mut h));
        per_event.push(t.elapsed());
    }
    let p99 = quantile(&mut per_event, 0.99);
    out += &format!(
        "(b) pipeline per event, 200-event history, 50,000 events: median {:.2} us, p99 {:.2} us (goal <= 25 us: {})\n",
        us(quantile(&mut per_event, 0.5)),
        us(p99),
        if us(p99) <= 25.0 { "met" } else { "MISSED" }
    );

    // (c) What a user pays per tool call, end to end, in a session 10 events old and in one
    // 10,000 events old. Each spawn starts from the same saved state (restored outside the timed
    // region), so the histories stay at 10 and 10,000 events.
    let store = Store::new(state);
    let mut saved = Vec::new();
    for (id, n) in [("len-10", 10usize), ("len-10000", 10_000)] {
        let _ = store.update(id, SystemTime::now(), |h| {
            *h = history_of(&rt, calls, n);
        });
        let path = store.state_path(id);
        saved.push((id, path.clone(), std::fs::read(&path).expect("saved state")));
    }
    let payload_for = |id: &str| String::from_utf8_lossy(&payload).replace("bench-e2e", id);
    let (mut e_short, mut e_long) = (Vec::new(), Vec::new());
    for i in 0..300 {
        // Alternate which session goes first, so drift in machine load hits both alike.
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let (id, path, bytes) = &saved[k];
            std::fs::write(path, bytes).expect("restore state");
            let t = spawn(&[], payload_for(id).as_bytes(), state);
            if k == 0 {
                e_short.push(t);
            } else {
                e_long.push(t);
            }
        }
    }
    let (s50, l50) = (quantile(&mut e_short, 0.5), quantile(&mut e_long, 0.5));
    let ratio_c = l50.as_secs_f64() / s50.as_secs_f64();
    out += &format!(
        "(c) hook call end to end, median of 300: 10-event session {:.0} us, 10,000-event session {:.0} us; ratio {ratio_c:.2} (goal <= 1.2: {})\n",
        us(s50),
        us(l50),
        if ratio_c <= 1.2 { "met" } else { "MISSED" }
    );

    // The same in-process (load + pipeline + save, no process): the stored history is capped at
    // 64 facts, so it grows from 10 to 64 facts and then stays flat.
    let round_trip = |n: usize| {
        let base = history_of(&rt, calls, n);
        let bytes = serde_json::to_vec(&base).expect("serialize");
        let mut v: Vec<Duration> = calls
            .iter()
            .cycle()
            .take(10_000)
            .map(|c| {
                let t = Instant::now();
                let mut loaded: History = serde_json::from_slice(&bytes).expect("parse");
                black_box(rt.process(c, &mut loaded));
                black_box(serde_json::to_vec(&loaded).expect("serialize"));
                t.elapsed()
            })
            .collect();
        quantile(&mut v, 0.5)
    };
    let (r10, r64, r10k) = (round_trip(10), round_trip(64), round_trip(10_000));
    out += &format!(
        "    in-process load + pipeline + save, median: 10 events {:.1} us, 64 events {:.1} us, 10,000 events {:.1} us (10,000 vs 64: {:.2})\n",
        us(r10),
        us(r64),
        us(r10k),
        r10k.as_secs_f64() / r64.as_secs_f64()
    );
    out
}

fn main() {
    let calls = real_calls();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    // Warm the state so the end-to-end case loads and saves a real history.
    let warm = Store::new(&state);
    let rt = Runtime::default();
    let _ = warm.update("bench-e2e", SystemTime::now(), |h| {
        for c in calls.iter().take(200) {
            rt.process(c, h);
        }
    });

    let mut c = Criterion::default().configure_from_args();
    bench_end_to_end(&mut c, &state);
    bench_pipeline(&mut c, &calls);
    c.final_summary();
    let report = summary(&calls, &state);
    let _ = std::io::stdout().write_all(report.as_bytes());
}
