//! What the events of the real client cost in process: a turn's batch event (8 parallel calls, one
//! of them refused before it ran), and a failed call (PostToolUseFailure) through the pipeline, on
//! a 200-event history.
//!
//! Run: `cargo bench --bench events`. Besides criterion's estimates it prints the median and p99
//! of 50,000 single runs, the figure the in-process goal is stated in (p99 <= 25 us per event).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use posthook::input;
use posthook::{History, Runtime, ToolCall};
use serde_json::json;
use std::time::Instant;

fn history(n: usize) -> History {
    let mut h = History::new();
    let calls = [
        ToolCall::new("Read", json!({"file_path": "/p/src/lib.rs"})),
        ToolCall::new("Bash", json!({"command": "cargo test"})),
        ToolCall::new(
            "Edit",
            json!({"file_path": "/p/src/lib.rs", "old_string": "a", "new_string": "b"}),
        ),
    ];
    for i in 0..n {
        let c = calls[i % calls.len()]
            .clone()
            .with_id(format!("toolu_{i}"))
            .at(i as u64 * 3000);
        h.record(&c);
        if i % 4 == 3 {
            h.record_batch(None, &[], &[]);
        }
    }
    h
}

fn batch_payload() -> Vec<u8> {
    let mut calls: Vec<serde_json::Value> = (0..7)
        .map(|i| {
            json!({"tool_name": "Read", "tool_input": {"file_path": format!("/p/src/m{i}.rs")},
                   "tool_use_id": format!("toolu_b{i}"), "tool_response": "     1\tfn main() {}\n"})
        })
        .collect();
    calls.push(json!({"tool_name": "Edit",
        "tool_input": {"file_path": "/p/src/lib.rs", "old_string": "x", "new_string": "y"},
        "tool_use_id": "toolu_b7",
        "tool_response": "<tool_use_error>String to replace not found in file.</tool_use_error>"}));
    json!({"session_id": "s", "transcript_path": "/t.jsonl", "cwd": "/p",
           "hook_event_name": "PostToolBatch", "tool_calls": calls})
    .to_string()
    .into_bytes()
}

fn failure_payload() -> Vec<u8> {
    json!({"session_id": "s", "transcript_path": "/t.jsonl", "cwd": "/p",
           "hook_event_name": "PostToolUseFailure", "tool_name": "Bash",
           "tool_input": {"command": "cargo test"}, "tool_use_id": "toolu_f",
           "error": "Exit code 101\nerror[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:3:5",
           "is_interrupt": false, "duration_ms": 900})
    .to_string()
    .into_bytes()
}

#[expect(
    clippy::print_stdout,
    reason = "the percentile summary is this bench's report"
)]
fn percentiles(name: &str, mut run: impl FnMut()) {
    let mut ns: Vec<u128> = (0..50_000)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_nanos()
        })
        .collect();
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "{name}: median {:.2} us, p99 {:.2} us over {} runs (goal: p99 <= 25 us)",
        at(0.5),
        at(0.99),
        ns.len()
    );
}

fn events(c: &mut Criterion) {
    let rt = Runtime::default();
    let base = history(200);
    let batch = batch_payload();
    let failure = failure_payload();
    let parsed_batch = input::parse(&batch, 1, None).expect("batch parses");
    let parsed_failure = input::parse(&failure, 1, None).expect("failure parses");
    // Warm: analyzers built, patterns compiled.
    rt.process_event(&parsed_failure, &mut base.clone());

    let mut g = c.benchmark_group("events");
    g.bench_function("batch_parse_and_record", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |h| {
                let ev = input::parse(black_box(&batch), 1, None).expect("parses");
                rt.process_event(&ev, h)
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("failure_parse_and_pipeline", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |h| {
                let ev = input::parse(black_box(&failure), 1, None).expect("parses");
                rt.process_event(&ev, h)
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();

    // Per event on a history that keeps growing, as in a session (clone cost excluded).
    let mut h = base.clone();
    percentiles(
        "batch event (8 calls, 1 refused), 200-event history",
        || {
            black_box(rt.process_event(&parsed_batch, &mut h));
        },
    );
    let mut h = base.clone();
    percentiles(
        "PostToolUseFailure through the pipeline, 200-event history",
        || {
            black_box(rt.process_event(&parsed_failure, &mut h));
        },
    );
}

criterion_group!(benches, events);
criterion_main!(benches);
