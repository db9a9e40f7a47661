//! The hook's parts, one by one: input parsing, the session store (load, update), the pipeline
//! cold (a fresh Runtime building its analyzers) and warm, each built-in analyzer on its own, and
//! the reading of Bash commands (`shell/`).
//!
//! Run: `cargo bench --bench components` (add `-- --quick` for a shorter run, or a filter such as
//! `-- analyzer/`). The end-to-end figures live in `posthook --bench`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use posthook::analyzers::builtin;
use posthook::store::Store;
use posthook::{Context, History, Runtime, Settings, ToolCall};
use posthook_analyzers::NoCache;
use serde_json::json;
use std::time::SystemTime;

fn payload(tool: &str, input: serde_json::Value, response: serde_json::Value) -> Vec<u8> {
    json!({
        "session_id": "bench-components",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/project",
        "hook_event_name": "PostToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_response": response,
        "tool_use_id": "toolu_1",
    })
    .to_string()
    .into_bytes()
}

/// A realistic mix of calls, to fill histories and to cycle through.
fn calls() -> Vec<ToolCall> {
    vec![
        ToolCall::new("Read", json!({"file_path": "/tmp/project/src/lib.rs"})),
        ToolCall::new("Bash", json!({"command": "cargo test --workspace"})),
        ToolCall::new(
            "Edit",
            json!({"file_path": "/tmp/project/src/lib.rs", "old_string": "a", "new_string": "b"}),
        ),
        ToolCall::new(
            "Grep",
            json!({"pattern": "fn main", "path": "/tmp/project"}),
        ),
        ToolCall::new("Bash", json!({"command": "git status"})),
        ToolCall::new(
            "Write",
            json!({"file_path": "/tmp/project/notes.md", "content": "# notes\n"}),
        ),
    ]
}

fn history_of(n: usize) -> History {
    let mut h = History::new();
    let calls = calls();
    for i in 0..n {
        h.record(&calls[i % calls.len()]);
    }
    h
}

fn parse(c: &mut Criterion) {
    let small = payload(
        "Read",
        json!({"file_path": "/tmp/project/src/main.rs"}),
        json!({"type": "text", "file": {"filePath": "/tmp/project/src/main.rs", "content": "fn main() {}\n"}}),
    );
    let large = payload(
        "Bash",
        json!({"command": "cargo build"}),
        json!({"stdout": "x".repeat(1 << 20), "stderr": "", "interrupted": false}),
    );
    let mut g = c.benchmark_group("parse");
    g.bench_function("small", |b| {
        b.iter(|| posthook::input::parse(black_box(&small), 0, None))
    });
    g.bench_function("1MiB_response", |b| {
        b.iter(|| posthook::input::parse(black_box(&large), 0, None))
    });
    g.finish();
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    let full = history_of(500);
    store
        .update("full", SystemTime::now(), |h| *h = full.clone())
        .expect("seed the session");
    let call = ToolCall::new("Read", json!({"file_path": "/tmp/project/src/lib.rs"}));
    let mut g = c.benchmark_group("store");
    g.bench_function("load", |b| b.iter(|| store.load(black_box("full"))));
    g.bench_function("update_record_save", |b| {
        b.iter(|| {
            store.update("full", SystemTime::now(), |h| {
                h.record(&call);
            })
        })
    });
    g.bench_function("update_new_session", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(store.state_path("fresh"));
            },
            |()| {
                store.update("fresh", SystemTime::now(), |h| {
                    h.record(&call);
                })
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The state file's bytes alone: the codec on a full history, and the JSON it replaced.
fn state_codec(c: &mut Criterion) {
    let full = history_of(500);
    let bytes = posthook::state_codec::encode("full", &full).expect("encode");
    let json = serde_json::to_vec(&json!({
        "format": "posthook-session", "version": 1, "session_id": "full", "history": full,
    }))
    .expect("json");
    let mut g = c.benchmark_group("state_codec");
    g.bench_function("encode", |b| {
        b.iter(|| posthook::state_codec::encode("full", black_box(&full)))
    });
    g.bench_function("decode", |b| {
        b.iter(|| posthook::state_codec::decode(black_box(&bytes)))
    });
    g.bench_function("encode_json_v1", |b| {
        b.iter(|| serde_json::to_vec(black_box(&full)))
    });
    g.bench_function("decode_json_v1", |b| {
        b.iter(|| posthook::state_codec::decode(black_box(&json)))
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let bash = ToolCall::new("Bash", json!({"command": "cargo test --workspace"}));
    let mut g = c.benchmark_group("pipeline");
    // Cold: a fresh Runtime building the analyzers the call needs. Process-wide lazies (compiled
    // patterns) stay warm after the first iteration; a process's very first call is the `first
    // call` column of `posthook --bench`.
    g.bench_function("cold_bash", |b| {
        b.iter_batched(
            History::new,
            |mut h| Runtime::default().process(black_box(&bash), &mut h),
            BatchSize::SmallInput,
        )
    });
    let rt = Runtime::default();
    let calls = calls();
    for c in &calls {
        rt.process(c, &mut History::new());
    }
    let base = history_of(200);
    let mut i = 0usize;
    g.bench_function("warm_mixed_200_history", |b| {
        b.iter_batched_ref(
            || base.clone(),
            |h| {
                i = (i + 1) % calls.len();
                rt.process(black_box(&calls[i]), h)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn analyzers(c: &mut Criterion) {
    let settings = Settings::default();
    let history = history_of(200);
    let mut g = c.benchmark_group("analyzer");
    for spec in builtin::registry() {
        let analyzer = (spec.make)();
        for call in calls().iter().filter(|c| spec.applies(&c.tool)) {
            let mut h = history.clone();
            h.record(call);
            let Some(fact) = h.last().cloned() else {
                continue;
            };
            let cx = Context {
                call,
                fact: &fact,
                history: &h,
                settings: &settings,
                cache: &NoCache,
            };
            let id = format!(
                "{}/{}_{}",
                spec.name,
                call.tool,
                call.command()
                    .or(call.path())
                    .unwrap_or("")
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
            );
            g.bench_function(id, |b| {
                let mut out = Vec::new();
                b.iter(|| {
                    out.clear();
                    analyzer.analyze(black_box(&cx), &mut out);
                    out.len()
                })
            });
        }
    }
    g.finish();
}

/// Typical Bash commands, 18 to 300 bytes, and a 4 KB heredoc.
fn shell_commands() -> Vec<(&'static str, String)> {
    let body = "- a line of notes with `code`, $VARS and 'quotes'\n".repeat(80);
    vec![
        ("18B", String::from("git status --short")),
        (
            "57B",
            String::from("cd /tmp/project && cargo test --workspace 2>&1 | tail -20"),
        ),
        (
            "150B",
            String::from(
                "git add -A && git commit -m \"fix(parser): handle quotes, $(subst) and `ticks` in words\" && git push origin \"$(git branch --show-current)\"",
            ),
        ),
        (
            "300B",
            String::from(
                "find . -name '*.rs' -not -path './target/*' | xargs grep -l 'fn main' 2>/dev/null | head -20; for f in a b c; do echo \"$f\"; done && timeout 60 npx vitest run --reporter=verbose src/components/Button.test.tsx || echo \"tests failed: see log\" > /tmp/x.log",
            ),
        ),
        ("4KB_heredoc", format!("cat > /tmp/project/NOTES.md <<'EOF'\n{body}EOF")),
    ]
}

/// Reading a Bash command as the shell does: the parse with the head taken from it, and the
/// whole fact of a fresh call (parse once, head, tags).
fn shell(c: &mut Criterion) {
    let mut g = c.benchmark_group("shell");
    for (name, cmd) in shell_commands() {
        g.bench_function(format!("head_{name}"), |b| {
            b.iter(|| posthook_analyzers::command_head(black_box(&cmd)))
        });
        let call = ToolCall::new("Bash", json!({ "command": cmd })).in_dir("/tmp/project");
        let history = history_of(200);
        g.bench_function(format!("record_{name}"), |b| {
            b.iter_batched_ref(
                || (call.clone(), history.clone()),
                |(call, h)| h.record(call).tags,
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// A failing `cargo test` output of about `bytes` bytes: the real failure from the corpus
/// (`tests/data/failures/cargo-test`) after as many passing tests as it takes, as a large suite
/// prints it.
fn cargo_test_failure(bytes: usize) -> String {
    let real = include_str!("../tests/data/failures/cargo-test/changed-one-fixed.a.txt");
    let (head, tail) = real.split_at(real.find("\nfailures:").unwrap_or(real.len()));
    let mut out = String::from(head);
    let mut i = 0;
    while out.len() + tail.len() < bytes {
        out.push_str(&format!("\ntest suite::module_{}::case_{i} ... ok", i / 40));
        i += 1;
    }
    out.push_str(tail);
    out
}

/// The failure signature the failure-loop rule computes on every failed call.
fn error_signature(c: &mut Criterion) {
    let mut g = c.benchmark_group("error_signature");
    for (id, bytes) in [
        ("cargo_test_4KiB", 4 << 10),
        ("cargo_test_100KiB", 100 << 10),
    ] {
        let text = cargo_test_failure(bytes);
        g.bench_function(id, |b| {
            b.iter(|| posthook_analyzers::error_signature(black_box(&text)))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    parse,
    store,
    state_codec,
    pipeline,
    analyzers,
    shell,
    error_signature
);
criterion_main!(benches);
