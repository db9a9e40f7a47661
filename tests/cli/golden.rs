//! Golden sequences: event sequences kept as files in `tests/golden/`, run through the binary call
//! by call with one state dir, asserting the exit code and the rule ids of the feedback per step.
//!
//! File format (JSON lines):
//! - line 1, the header: `{"golden": "what the sequence shows", "args": ["--profile", "hive"],
//!   "cwd": "/tmp/project", "env": {"POSTHOOK_ESCALATE": "1"}}` (`args`, `cwd`, `env` optional);
//! - every other line, one call: `{"step": "label", "tool_name": "...", "tool_input": {...},
//!   "tool_response": ..., "after_ms": 5000, "expect": {"exit": 0, "rules": ["rule-id"]}}`.
//!   `tool_response` defaults to an empty successful Bash-like object; `after_ms` (default 5000,
//!   a sequential turn) is the time since the previous call: the runner sends it as the payload's
//!   `timestamp_ms`, so parallel calls (a few ms apart) and sequential turns replay as recorded.
//!   `rules` lists the rule ids of the feedback shown (none, or one).
//!
//! The runner adds `--budget-ms 10000` (see `run`).

use crate::support::Sandbox;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Rule ids named in the feedback (`posthook [rule-id] ...` lines).
fn rules_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("posthook ["))
        .filter_map(|l| l.split_once(']').map(|(id, _)| id.to_string()))
        .collect()
}

fn feedback_text(stdout: &str, stderr: &str) -> String {
    let mut text = stderr.to_string();
    if let Ok(v) = serde_json::from_str::<Value>(stdout.trim()) {
        if let Some(c) = v["hookSpecificOutput"]["additionalContext"].as_str() {
            text.push_str(c);
        }
    }
    text
}

fn run(name: &str) {
    let path = golden_dir().join(format!("{name}.jsonl"));
    let body = std::fs::read_to_string(&path).expect("golden file");
    let mut lines = body.lines().filter(|l| !l.trim().is_empty());
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("header json");
    assert!(
        header["golden"].is_string(),
        "{name}: header needs `golden`"
    );
    let args: Vec<String> = header["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // A generous time budget: a debug build compiles a regex in milliseconds, and the budget
    // (tested on its own) would then skip the analyzers after it and change what a step shows.
    let args: Vec<&str> = ["--budget-ms", "10000"]
        .into_iter()
        .chain(args.iter().map(String::as_str))
        .collect();
    let cwd = header["cwd"].as_str().unwrap_or("/tmp/project");
    let sb = Sandbox::new();
    let mut ts: u64 = 1_767_225_600_000;
    let mut steps = 0;
    for (i, line) in lines.enumerate() {
        let step: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} line {}: {e}", i + 2));
        ts += step["after_ms"].as_u64().unwrap_or(5_000);
        let payload = json!({
            "session_id": format!("golden-{name}"),
            "transcript_path": "/tmp/golden.jsonl",
            "cwd": cwd,
            "hook_event_name": "PostToolUse",
            "tool_name": step["tool_name"],
            "tool_input": step["tool_input"],
            "tool_response": step.get("tool_response").cloned()
                .unwrap_or_else(|| json!({"stdout": "", "stderr": "", "interrupted": false})),
            "tool_use_id": format!("toolu_{i}"),
            "timestamp_ms": ts,
        });
        let mut cmd = sb.cmd(&args).stdin(payload.to_string());
        for (k, v) in header["env"].as_object().into_iter().flatten() {
            cmd = cmd.env(k, v.as_str().expect("env values are strings"));
        }
        let done = cmd.run();
        let (stdout, stderr) = (done.stdout(), done.stderr());
        let label = step["step"].as_str().unwrap_or("?");
        let want_exit = step["expect"]["exit"].as_i64().expect("expect.exit") as i32;
        let want_rules: Vec<String> = step["expect"]["rules"]
            .as_array()
            .expect("expect.rules")
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let got_rules = rules_in(&feedback_text(&stdout, &stderr));
        assert_eq!(
            (done.code(), &got_rules),
            (want_exit, &want_rules),
            "{name} step {} ({label}): exit code and rules\nstdout: {stdout}\nstderr: {stderr}",
            i + 1
        );
        steps += 1;
    }
    assert!(steps > 0, "{name}: no steps");
}

/// The design sequence's two hive rules are there with and without escalation; only escalation
/// makes it block.
#[test]
fn the_design_sequence_blocks_only_with_escalation() {
    let expects = |name: &str| -> Vec<(i64, Vec<String>)> {
        let body =
            std::fs::read_to_string(golden_dir().join(format!("{name}.jsonl"))).expect("golden");
        body.lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("json");
                let rules = v["expect"]["rules"]
                    .as_array()
                    .expect("rules")
                    .iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect();
                (v["expect"]["exit"].as_i64().expect("exit"), rules)
            })
            .collect()
    };
    for name in ["hive_design_sequence", "hive_design_sequence_escalate"] {
        let all: Vec<String> = expects(name).into_iter().flat_map(|(_, r)| r).collect();
        for rule in ["native-overuse", "memory-coordination"] {
            assert!(all.iter().any(|r| r == rule), "{name}: {rule}");
        }
    }
    assert!(expects("hive_design_sequence").iter().all(|(e, _)| *e == 0));
    assert!(expects("hive_design_sequence_escalate")
        .iter()
        .any(|(e, _)| *e == 2));
}

#[test]
fn every_golden_file_has_a_test() {
    let names = crate::support::golden_names();
    assert_eq!(
        names,
        [
            "auto_profile",
            "default_session",
            "hive_design_sequence",
            "hive_design_sequence_escalate",
            "parallel_calls"
        ]
    );
}

#[test]
fn hive_design_sequence() {
    run("hive_design_sequence");
}

/// With the escalation switch the original's blocking comes back; by default the same sequence
/// never blocks (every step of `hive_design_sequence` expects exit 0).
#[test]
fn hive_design_sequence_escalate() {
    run("hive_design_sequence_escalate");
}

#[test]
fn default_session() {
    run("default_session");
}

#[test]
fn auto_profile() {
    run("auto_profile");
}

#[test]
fn parallel_calls() {
    run("parallel_calls");
}
