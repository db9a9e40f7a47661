//! Many hook processes at once, as Claude Code runs them for parallel tool calls: every event is
//! counted exactly once, and a reader racing the writers never sees a torn or shrinking state.
//!
//! The long variants (64 processes x 100 events) are `#[ignore]`d; run them with
//! `cargo test --release --test cli concurrency -- --ignored`.

use crate::harness::{log_path, log_text, show};
use crate::support::{post, Sandbox};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// `procs` workers each run `events` hook processes, one after the other; worker `p` sends its
/// `e`-th event to session `session(p, e)`. Returns the events sent per session.
fn hammer(
    sb: &Sandbox,
    procs: usize,
    events: usize,
    session: impl Fn(usize, usize) -> String + Sync,
) -> HashMap<String, u64> {
    let done = AtomicBool::new(false);
    let dir = sb.state_dir();
    let sent = std::thread::scope(|s| {
        // A reader racing the writers: every state file it sees parses, and counts only grow.
        let reader = s.spawn(|| {
            let mut seen: HashMap<std::path::PathBuf, u64> = HashMap::new();
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    if p.extension().is_none_or(|x| x != "json") {
                        continue;
                    }
                    let Ok(bytes) = std::fs::read(&p) else {
                        continue;
                    };
                    let (_, history, _) = posthook::state_codec::decode(&bytes)
                        .unwrap_or_else(|e| panic!("torn state in {} ({e})", p.display()));
                    let n = history.events_total;
                    let last = seen.entry(p).or_insert(0);
                    assert!(n >= *last, "events_total went back from {last} to {n}");
                    *last = n;
                    reads += 1;
                }
            }
            reads
        });
        let workers: Vec<_> = (0..procs)
            .map(|p| {
                let session = &session;
                s.spawn(move || {
                    let mut sent: HashMap<String, u64> = HashMap::new();
                    for e in 0..events {
                        let id = session(p, e);
                        let input = match e % 3 {
                            0 => (
                                "Read",
                                json!({"file_path": format!("/tmp/project/f{p}_{e}.rs")}),
                            ),
                            1 => ("Bash", json!({"command": format!("cargo test t{e}")})),
                            _ => (
                                "Edit",
                                json!({"file_path": "/tmp/project/a.rs",
                                "old_string": "a", "new_string": format!("b{e}")}),
                            ),
                        };
                        let d = sb
                            .cmd(&[])
                            .env("POSTHOOK_LOG", log_path(sb))
                            // Generous on a loaded machine (a debug build holds the lock for tens
                            // of ms): this is about lost updates; the bounds themselves are
                            // tested in faults.rs and time.rs.
                            .env("POSTHOOK_LOCK_TIMEOUT_MS", "60000")
                            .env("POSTHOOK_DEADLINE_MS", "120000")
                            .stdin(post(&id, input.0, input.1))
                            .run();
                        assert!(
                            d.code() == 0 || d.code() == 2,
                            "exit {}: {}",
                            d.code(),
                            d.stderr()
                        );
                        *sent.entry(id).or_default() += 1;
                    }
                    sent
                })
            })
            .collect();
        let mut sent: HashMap<String, u64> = HashMap::new();
        for w in workers {
            for (k, v) in w.join().expect("worker") {
                *sent.entry(k).or_default() += v;
            }
        }
        done.store(true, Ordering::Relaxed);
        let reads = reader.join().expect("reader");
        assert!(reads > 0, "the reader raced the writers");
        sent
    });
    let log = log_text(sb);
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "no store errors under load:\n{}",
        errors.join("\n")
    );
    let leftovers: Vec<_> = sb
        .state_files()
        .into_iter()
        .filter(|p| {
            let s = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            s.contains(".tmp") || s.contains(".corrupt")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    sent
}

fn assert_exact(sb: &Sandbox, sent: &HashMap<String, u64>) {
    for (id, n) in sent {
        let v = show(sb, id).unwrap_or_else(|| panic!("{id} stored"));
        assert_eq!(v["events_total"].as_u64(), Some(*n), "session {id}");
        let per_tool: u64 = v["counters"]["per_tool"]
            .as_object()
            .expect("per_tool")
            .values()
            .filter_map(serde_json::Value::as_u64)
            .sum();
        assert_eq!(per_tool, *n, "session {id}: counters agree");
    }
}

#[test]
fn sixteen_processes_fifty_events_one_session() {
    let sb = Sandbox::new();
    let sent = hammer(&sb, 16, 50, |_, _| "shared".to_string());
    assert_eq!(sent["shared"], 800);
    assert_exact(&sb, &sent);
    // The record of counters `posthook stats` reads lost no call either.
    let d = sb.cmd(&["stats", "--json"]).run().expect_code(0);
    let stats: serde_json::Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(stats["health"]["calls"], 800, "{stats}");
}

#[test]
fn sixteen_processes_across_sixty_four_sessions() {
    let sb = Sandbox::new();
    // Worker p writes sessions 4p..4p+3 in turn, so all 64 are written at once.
    let sent = hammer(&sb, 16, 12, |p, e| format!("s{}", p * 4 + e % 4));
    assert_eq!(sent.len(), 64);
    assert_exact(&sb, &sent);
}

#[test]
#[ignore = "long: 6,400 processes; cargo test --release --test cli concurrency -- --ignored"]
fn sixty_four_processes_hundred_events_one_session() {
    let sb = Sandbox::new();
    let sent = hammer(&sb, 64, 100, |_, _| "shared".to_string());
    assert_eq!(sent["shared"], 6400);
    assert_exact(&sb, &sent);
}

#[test]
#[ignore = "long: 6,400 processes; cargo test --release --test cli concurrency -- --ignored"]
fn sixty_four_processes_hundred_events_sixty_four_sessions() {
    let sb = Sandbox::new();
    // Every worker writes every session, round robin: 64 writers contend on each session.
    let sent = hammer(&sb, 64, 100, |p, e| format!("s{}", (p + e) % 64));
    assert_eq!(sent.len(), 64);
    assert_exact(&sb, &sent);
}
