//! Every real session of the test data, event by event through the binary as the live client sends
//! it (PostToolUse, PostToolUseFailure, PostToolBatch), in every output mode: the contract holds for
//! every payload, every call is recorded, and the binary says exactly what `posthook replay` says.

use crate::support::{transcript_files, Sandbox};
use posthook::transcript::live_events_from_file;
use serde_json::Value;
use std::collections::BTreeMap;

/// The payloads a real hook would have received: rebuilt from transcripts, plus the captured hook
/// stdin of the fasthooks log (its logger renamed `hook_event_name` to `event`; renamed back here).
/// Each file's name, its launch directory (what the live client sets `CLAUDE_PROJECT_DIR` to) and
/// its payloads.
fn all_payloads() -> Vec<(String, Option<String>, Vec<String>)> {
    let mut out = Vec::new();
    for f in transcript_files() {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains("hook_logs") {
            let text = std::fs::read_to_string(&f).expect("read");
            let payloads = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .map(|mut v| {
                    if let Some(ev) = v.as_object_mut().and_then(|o| o.remove("event")) {
                        v["hook_event_name"] = ev;
                    }
                    v.to_string()
                })
                .collect();
            out.push((name, None, payloads));
        } else {
            let (events, stats) = live_events_from_file(&f).expect("read transcript");
            let payloads = events.iter().map(|e| e.payload.to_string()).collect();
            out.push((name, stats.launch_dir, payloads));
        }
    }
    out
}

/// Per session, the calls the payloads report one by one (PostToolUse and PostToolUseFailure).
fn call_sessions(payloads: &[String]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for p in payloads {
        let v: Value = serde_json::from_str(p).expect("json");
        if v["hook_event_name"] == "PostToolUse" || v["hook_event_name"] == "PostToolUseFailure" {
            let id = v["session_id"].as_str().unwrap_or_default().to_string();
            *m.entry(id).or_insert(0) += 1;
        }
    }
    m
}

fn events_total(sb: &Sandbox, session: &str) -> u64 {
    let d = sb
        .cmd(&["session", "show", session, "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("session json");
    v["events_total"].as_u64().expect("events_total")
}

/// Checks a JSON answer to `payload` and returns its message.
fn check_json_feedback(stdout: &str, payload: &str) -> String {
    let v: Value = serde_json::from_str(stdout.trim()).expect("stdout is one JSON object");
    let p: Value = serde_json::from_str(payload).expect("payload");
    let stop = matches!(p["hook_event_name"].as_str(), Some("Stop" | "SubagentStop"));
    let text = if v["decision"] == "block" && stop {
        // A stop's reason reaches the model twice: the text goes once, as additional context.
        assert_eq!(v.get("reason"), None, "a blocking message goes once");
        assert_eq!(
            v["hookSpecificOutput"]["hookEventName"],
            p["hook_event_name"]
        );
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .expect("context")
            .to_string()
    } else if v["decision"] == "block" {
        assert_eq!(
            v.get("hookSpecificOutput"),
            None,
            "a blocking message goes once"
        );
        v["reason"].as_str().expect("reason").to_string()
    } else {
        assert_eq!(
            v["hookSpecificOutput"]["hookEventName"],
            p["hook_event_name"]
        );
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .expect("context")
            .to_string()
    };
    assert!(text.starts_with("posthook ["), "{text}");
    assert!(text.chars().count() <= 1500);
    text
}

/// The messages `posthook replay --json` reports for a transcript, one entry per step.
fn replay_messages(sb: &Sandbox, name: &str) -> Vec<Option<String>> {
    let f = crate::support::transcripts_dir().join(name);
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["feedback"]["text"].as_str().map(str::to_owned))
        .collect()
}

fn replay(mode: &str) {
    let mut total = 0;
    let mut messages = 0;
    for (name, root, payloads) in all_payloads() {
        let sb = Sandbox::new();
        let mut said = Vec::new();
        for p in &payloads {
            // No time budget to speak of: a debug build under a busy test run must not skip an
            // analyzer that the replay (which has none) runs.
            let mut run = sb.cmd(&["--output", mode, "--budget-ms", "60000"]);
            if let Some(r) = &root {
                run.cmd.env("CLAUDE_PROJECT_DIR", r);
            }
            let d = run.stdin(p).run();
            let (code, out, err) = (d.code(), d.stdout(), d.stderr());
            let text = match mode {
                "stderr" => match code {
                    0 => {
                        assert_eq!(err, "", "{name}: silent exit 0 must not print on stderr");
                        (!out.is_empty()).then(|| check_json_feedback(&out, p))
                    }
                    2 => {
                        assert!(err.starts_with("posthook ["), "{name}: {err}");
                        assert_eq!(out, "");
                        Some(err.trim_end_matches('\n').to_string())
                    }
                    _ => panic!("{name}: exit {code} for {p:.300}\n{err}"),
                },
                "json" => {
                    assert_eq!((code, err.as_str()), (0, ""), "{name}: {p:.300}");
                    (!out.is_empty()).then(|| check_json_feedback(&out, p))
                }
                _ => {
                    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "{name}");
                    None
                }
            };
            said.push(text);
        }
        if mode == "stderr" && !name.contains("hook_logs") {
            // The live hook, one process per event with its state on disk, says exactly what the
            // replay says, at the same steps.
            let replayed = replay_messages(&sb, &name);
            assert_eq!(replayed.len(), said.len(), "{name}");
            for (i, (r, l)) in replayed.iter().zip(&said).enumerate() {
                assert_eq!(r, l, "{name}: step {}", i + 1);
            }
            messages += said.iter().flatten().count();
        }
        let sessions = call_sessions(&payloads);
        for (id, n) in &sessions {
            assert_eq!(events_total(&sb, id), *n, "{name}: session {id}");
            total += n;
        }
    }
    assert!(total >= 400, "only {total} tool calls replayed");
    if mode == "stderr" {
        assert!(
            messages > 0,
            "the equivalence was checked on no message at all"
        );
    }
}

#[test]
fn real_sessions_stderr_mode() {
    replay("stderr");
}

#[test]
#[ignore = "slow (every real session through the debug binary, ~11 s); .ci/run runs it"]
fn real_sessions_json_mode() {
    replay("json");
}

#[test]
#[ignore = "slow (every real session through the debug binary, ~11 s); .ci/run runs it"]
fn real_sessions_quiet_mode() {
    replay("quiet");
}
