//! `posthook replay` on the real transcripts: every tool use with a result is replayed as the live
//! client would have sent it, counted here independently of the transcript module.

use crate::support::{transcript_files, transcripts_dir, Sandbox};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// What a transcript holds, read here independently of the transcript module.
struct Counted {
    /// `tool_use` blocks with a `tool_result` on a later line, by id: (is_error, message id).
    answered: HashMap<String, (bool, String)>,
}

fn count(path: &PathBuf) -> Counted {
    let text = std::fs::read_to_string(path).expect("read transcript");
    let mut open: HashMap<String, String> = HashMap::new();
    let mut answered = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array) else {
            continue;
        };
        let msg = v
            .pointer("/message/id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("line {i}"), str::to_owned);
        for b in blocks {
            match b.get("type").and_then(Value::as_str) {
                Some("tool_use") => {
                    if let Some(id) = b.get("id").and_then(Value::as_str) {
                        open.insert(id.to_string(), msg.clone());
                    }
                }
                Some("tool_result") => {
                    let id = b.get("tool_use_id").and_then(Value::as_str).unwrap_or("");
                    if let Some(m) = open.remove(id) {
                        let err = b.get("is_error").and_then(Value::as_bool) == Some(true);
                        answered.insert(id.to_string(), (err, m));
                    }
                }
                _ => {}
            }
        }
    }
    Counted { answered }
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "the per-transcript event counts (run with --nocapture) are quoted in the docs"
)]
fn every_tool_use_with_a_result_is_replayed_as_the_client_sends_it() {
    let sb = Sandbox::new();
    let mut total = 0;
    let mut with_events = 0;
    let mut all_calls = 0;
    for f in transcript_files() {
        let c = count(&f);
        total += c.answered.len();
        let path = f.to_str().expect("utf8 path");
        let d = sb.cmd(&["replay", path, "--json"]).run().expect_code(0);
        let v: Value = serde_json::from_str(&d.stdout()).expect("one JSON object");
        let steps = v["steps"].as_array().expect("steps");
        let kinds = &v["summary"]["event_kinds"];
        let n = |k: &str| kinds[k].as_u64().expect("count") as usize;
        let (uses, failures, batches) = (
            n("PostToolUse"),
            n("PostToolUseFailure"),
            n("PostToolBatch"),
        );
        eprintln!(
            "{:<55} tool uses with a result {:>4}: PostToolUse {uses:>4}, PostToolUseFailure {failures:>2}, PostToolBatch {batches:>4}, refused {:>2}",
            f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            c.answered.len(),
            n("refused"),
        );
        assert_eq!(v["events"], steps.len(), "{path}");
        let marks = n("Stop") + n("PostCompact");
        assert_eq!(uses + failures + batches + marks, steps.len(), "{path}");
        // One batch per assistant message that made a call.
        let turns: HashSet<&String> = c.answered.values().map(|(_, m)| m).collect();
        assert_eq!(batches, turns.len(), "{path}: one PostToolBatch per turn");
        // Every per-call event is a distinct answered call; one that got no event was an error
        // (refused before it ran), never a success.
        let mut seen = HashSet::new();
        for s in steps
            .iter()
            .filter(|s| s["event"] == "PostToolUse" || s["event"] == "PostToolUseFailure")
        {
            let id = s["tool_use_id"].as_str().expect("id").to_string();
            let (err, _) = c.answered.get(&id).expect("an answered call");
            assert_eq!(
                s["event"] == "PostToolUseFailure",
                *err,
                "{path}: {id} is a failure exactly when its result is an error"
            );
            assert!(seen.insert(id), "{path}: one event per call");
        }
        for (id, (err, _)) in &c.answered {
            assert!(
                seen.contains(id) || *err,
                "{path}: success {id} has no event"
            );
        }
        all_calls += seen.len();
        if !c.answered.is_empty() {
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

    // The directory at once (a session with its subagent interleaved by time): the same calls.
    let dir = transcripts_dir();
    let d = sb
        .cmd(&["replay", dir.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["summary"]["calls"], all_calls);
    // The subagent's calls are their own stream.
    let agent_steps = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["agent_id"] == "a2898e3")
        .count();
    assert!(agent_steps > 20, "{agent_steps}");
}

#[test]
fn text_replay_prints_steps_and_a_summary() {
    let sb = Sandbox::new();
    let f = transcripts_dir().join("spotter__4d5611e5-241a-462a-8d15-5122611a9569.jsonl");
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8")])
        .run()
        .expect_code(0);
    let out = d.stdout();
    let step_lines: Vec<&str> = out
        .lines()
        .filter(|l| {
            l.trim_start()
                .split(' ')
                .next()
                .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .collect();
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(Some(step_lines.len() as u64), v["events"].as_u64(), "{out}");
    // Each step line names its event.
    for l in &step_lines {
        assert!(
            l.contains(" PostToolUse ")
                || l.contains(" PostToolUseFailure ")
                || l.contains(" PostToolBatch ")
                || l.contains(" Stop ")
                || l.contains(" SubagentStop ")
                || l.contains(" PostCompact "),
            "{l}"
        );
    }
    assert!(
        out.contains(&format!("events        {} replayed: ", v["events"])),
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
    assert!(
        d.stderr()
            .starts_with("posthook: reading '/nonexistent/x.jsonl': ")
            && d.stderr().lines().count() == 1,
        "one line naming the path: {}",
        d.stderr()
    );
    assert!(d.stdout().is_empty(), "{}", d.stdout());
}

#[test]
fn replay_of_a_directory_without_transcripts_fails_with_exit_1() {
    let sb = Sandbox::new();
    let empty = sb.dir.path().join("empty");
    std::fs::create_dir_all(empty.join("sub")).expect("mkdir");
    std::fs::write(empty.join("sub/notes.txt"), "not a transcript").expect("write");
    let d = sb
        .cmd(&["replay", empty.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(1);
    assert_eq!(
        d.stderr(),
        format!("posthook: no .jsonl files under '{}'\n", empty.display())
    );
    assert!(d.stdout().is_empty(), "{}", d.stdout());
}

/// A session launched in /p that later runs `cd sub`: its writes under /p are inside the project,
/// as the live client (which sets `CLAUDE_PROJECT_DIR` to the launch directory) would see them.
#[test]
fn replay_takes_the_launch_directory_as_the_project_root() {
    let sb = Sandbox::new();
    let mut text = String::new();
    for (i, cwd) in ["/p", "/p/sub", "/p/sub"].iter().enumerate() {
        text.push_str(&format!(
            "{{\"type\":\"assistant\",\"sessionId\":\"s\",\"cwd\":\"{cwd}\",\"message\":{{\"id\":\"m{i}\",\"content\":[{{\"type\":\"tool_use\",\"id\":\"t{i}\",\"name\":\"Write\",\"input\":{{\"file_path\":\"/p/src/f{i}.rs\",\"content\":\"x\"}}}}]}}}}\n\
             {{\"type\":\"user\",\"sessionId\":\"s\",\"cwd\":\"{cwd}\",\"timestamp\":\"2026-02-10T21:12:0{i}.000Z\",\"message\":{{\"content\":[{{\"type\":\"tool_result\",\"tool_use_id\":\"t{i}\",\"content\":\"ok\"}}]}},\"toolUseResult\":{{\"type\":\"create\",\"filePath\":\"/p/src/f{i}.rs\"}}}}\n"
        ));
    }
    let f = sb.dir.path().join("cd.jsonl");
    std::fs::write(&f, text).expect("write");
    let rules = |d: &crate::support::Done| -> Vec<String> {
        let v: Value = serde_json::from_str(&d.stdout()).expect("json");
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["feedback"]["rule"].as_str().map(str::to_owned))
            .collect()
    };
    let d = sb
        .cmd(&["replay", f.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    assert!(
        !rules(&d).iter().any(|r| r == "outside-project"),
        "{}",
        d.stdout()
    );
    // Named explicitly, another root makes the same writes outside it.
    let d = sb
        .cmd(&[
            "replay",
            f.to_str().expect("utf8"),
            "--json",
            "--project-dir",
            "/elsewhere",
        ])
        .run()
        .expect_code(0);
    assert!(
        rules(&d).iter().any(|r| r == "outside-project"),
        "{}",
        d.stdout()
    );
}
