//! Every real session in the shared transcripts, call by call through the binary, in every output
//! mode: the contract holds for every payload, and every event is recorded.

use crate::support::{transcript_files, Sandbox};
use posthook::transcript::events_from_file;
use serde_json::Value;
use std::collections::BTreeMap;

/// The payloads a real hook would have received: rebuilt from transcripts, plus the captured hook
/// stdin of the fasthooks log (its logger renamed `hook_event_name` to `event`; renamed back here).
fn all_payloads() -> Vec<(String, Vec<String>)> {
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
            out.push((name, payloads));
        } else {
            let (events, _) = events_from_file(&f).expect("read transcript");
            out.push((name, events.iter().map(|e| e.payload.to_string()).collect()));
        }
    }
    out
}

fn post_tool_use_sessions(payloads: &[String]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for p in payloads {
        let v: Value = serde_json::from_str(p).expect("json");
        if v["hook_event_name"] == "PostToolUse" {
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

fn check_json_feedback(stdout: &str) {
    let v: Value = serde_json::from_str(stdout.trim()).expect("stdout is one JSON object");
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PostToolUse");
    let ctx = v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context");
    assert!(ctx.starts_with("posthook ["), "{ctx}");
    assert!(ctx.chars().count() <= 1500);
}

fn replay(mode: &str) {
    let mut total = 0;
    for (name, payloads) in all_payloads() {
        let sb = Sandbox::new();
        for p in &payloads {
            let d = sb.hook(&["--output", mode], p);
            let (code, out, err) = (d.code(), d.stdout(), d.stderr());
            match mode {
                "stderr" => match code {
                    0 => {
                        assert_eq!(err, "", "{name}: silent exit 0 must not print on stderr");
                        if !out.is_empty() {
                            check_json_feedback(&out);
                        }
                    }
                    2 => {
                        assert!(err.starts_with("posthook ["), "{name}: {err}");
                        assert_eq!(out, "");
                    }
                    _ => panic!("{name}: exit {code} for {p:.300}\n{err}"),
                },
                "json" => {
                    assert_eq!((code, err.as_str()), (0, ""), "{name}: {p:.300}");
                    if !out.is_empty() {
                        check_json_feedback(&out);
                    }
                }
                _ => assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "{name}"),
            }
        }
        let sessions = post_tool_use_sessions(&payloads);
        for (id, n) in &sessions {
            assert_eq!(events_total(&sb, id), *n, "{name}: session {id}");
            total += n;
        }
    }
    assert!(total >= 400, "only {total} tool calls replayed");
}

#[test]
fn real_sessions_stderr_mode() {
    replay("stderr");
}

#[test]
fn real_sessions_json_mode() {
    replay("json");
}

#[test]
fn real_sessions_quiet_mode() {
    replay("quiet");
}
