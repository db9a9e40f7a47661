//! `posthook replay` on the shared real transcripts: every tool use with a result is replayed,
//! counted here independently of the transcript module.

use crate::support::{transcript_files, transcripts_dir, Sandbox};
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;

/// The `tool_use` blocks of a JSONL transcript that have a `tool_result` on a later line.
fn tool_uses_with_result(path: &PathBuf) -> usize {
    let text = std::fs::read_to_string(path).expect("read transcript");
    let mut open: HashSet<String> = HashSet::new();
    let mut answered = 0;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array) else {
            continue;
        };
        for b in blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("tool_use") => {
                    if let Some(id) = b.get("id").and_then(Value::as_str) {
                        open.insert(id.to_string());
                    }
                }
                Some("tool_result") => {
                    let id = b.get("tool_use_id").and_then(Value::as_str).unwrap_or("");
                    if open.remove(id) {
                        answered += 1;
                    }
                }
                _ => {}
            }
        }
    }
    answered
}

#[test]
fn every_tool_use_with_a_result_is_replayed() {
    let sb = Sandbox::new();
    let mut total = 0;
    let mut with_events = 0;
    for f in transcript_files() {
        let expected = tool_uses_with_result(&f);
        total += expected;
        let path = f.to_str().expect("utf8 path");
        let d = sb.cmd(&["replay", path, "--json"]).run().expect_code(0);
        let v: Value = serde_json::from_str(&d.stdout()).expect("one JSON object");
        assert_eq!(v["events"], expected, "{path}");
        let steps = v["steps"].as_array().expect("steps");
        assert_eq!(steps.len(), expected, "{path}");
        if expected > 0 {
            with_events += 1;
            // Every step says what Claude would have been told: feedback, or why not.
            for s in steps {
                assert!(
                    s["feedback"].is_object()
                        || s["silence"].is_object()
                        || s["silence"].is_string(),
                    "{path}: {s}"
                );
            }
        }
        // Replay keeps no state.
        assert!(sb.state_files().is_empty(), "{path} wrote state");
    }
    assert!(
        with_events >= 7,
        "only {with_events} transcripts had events"
    );
    assert!(
        total > 400,
        "only {total} tool uses with a result in the shared data"
    );

    // The directory at once (a session with its subagent interleaved by time): the same total.
    let dir = transcripts_dir();
    let d = sb
        .cmd(&["replay", dir.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["events"], total);
}

#[test]
fn text_replay_prints_steps_and_a_summary() {
    let sb = Sandbox::new();
    let f = transcripts_dir().join("spotter__4d5611e5-241a-462a-8d15-5122611a9569.jsonl");
    let expected = tool_uses_with_result(&f);
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8")])
        .run()
        .expect_code(0);
    let out = d.stdout();
    let step_lines = out
        .lines()
        .filter(|l| {
            l.trim_start()
                .split(' ')
                .next()
                .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(step_lines, expected, "{out}");
    assert!(
        out.contains(&format!("events        {expected} replayed")),
        "{out}"
    );
    assert!(out.contains("feedback      "), "{out}");
    assert!(out.contains("analyzer"), "{out}");
    assert!(out.contains("whole pipeline"), "{out}");
    // Failed calls are shown as such.
    assert!(out.lines().any(|l| l.contains(" FAIL ")), "{out}");
}

#[test]
fn a_file_without_tool_uses_says_so() {
    let sb = Sandbox::new();
    // Captured hook payloads, not a transcript: nothing to replay, and the user is told why.
    let f = transcripts_dir().join("fasthooks__sample_hook_logs.jsonl");
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8")])
        .run()
        .expect_code(0);
    assert!(
        d.stdout()
            .contains("no tool_use blocks: not a Claude Code transcript?"),
        "{}",
        d.stdout()
    );
    assert!(
        d.stdout().contains("events        0 replayed"),
        "{}",
        d.stdout()
    );
}

#[test]
fn replay_of_a_missing_file_fails_clearly() {
    let sb = Sandbox::new();
    let d = sb
        .cmd(&["replay", "/nonexistent/x.jsonl"])
        .run()
        .expect_code(1);
    assert!(
        d.stderr().contains("/nonexistent/x.jsonl"),
        "{}",
        d.stderr()
    );
}
