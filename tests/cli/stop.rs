//! The end of a turn through the binary: `Stop` and `SubagentStop` payloads shaped as Claude Code
//! 2.1.332 sends them, answered in the stop protocol (exit 2 + stderr, or `decision: block` in
//! JSON; `systemMessage` for advice), once per state, never while `stop_hook_active`.

use crate::support::Sandbox;
use serde_json::{json, Value};

const SESSION: &str = "5b0c-stop";

fn base(sb: &Sandbox, event: &str) -> Value {
    json!({
        "session_id": SESSION,
        "transcript_path": sb.project().join("t.jsonl"),
        "cwd": sb.project(),
        "permission_mode": "default",
        "hook_event_name": event,
    })
}

fn call(sb: &Sandbox, tool: &str, input: Value, id: &str) -> String {
    let mut v = base(sb, "PostToolUse");
    v["tool_name"] = json!(tool);
    v["tool_input"] = input;
    v["tool_response"] = json!({"stdout": "", "stderr": "", "interrupted": false});
    v["tool_use_id"] = json!(id);
    v.to_string()
}

fn edit(sb: &Sandbox, file: &str, id: &str) -> String {
    let path = sb.project().join(file);
    call(
        sb,
        "Edit",
        json!({"file_path": path, "old_string": "a", "new_string": "b"}),
        id,
    )
}

fn failed(sb: &Sandbox, command: &str, error: &str, id: &str) -> String {
    let mut v = base(sb, "PostToolUseFailure");
    v["tool_name"] = json!("Bash");
    v["tool_input"] = json!({ "command": command });
    v["tool_use_id"] = json!(id);
    v["error"] = json!(error);
    v["is_interrupt"] = json!(false);
    v.to_string()
}

fn stop(sb: &Sandbox, active: bool) -> String {
    let mut v = base(sb, "Stop");
    v["stop_hook_active"] = json!(active);
    v["last_assistant_message"] = json!("Done.");
    v.to_string()
}

fn subagent_stop(sb: &Sandbox, agent: &str) -> String {
    let mut v = base(sb, "SubagentStop");
    v["stop_hook_active"] = json!(false);
    v["agent_id"] = json!(agent);
    v["agent_type"] = json!("general-purpose");
    v["agent_transcript_path"] = json!(sb.project().join(format!("agent-{agent}.jsonl")));
    v.to_string()
}

fn in_project(sb: &Sandbox, args: &[&str], payload: &str) -> crate::support::Done {
    sb.in_project(args).stdin(payload).run()
}

#[test]
fn an_untested_change_blocks_the_stop_once() {
    let sb = Sandbox::new();
    std::fs::write(sb.project().join("Cargo.toml"), "[package]\n").expect("write");
    in_project(&sb, &[], &edit(&sb, "src/lib.rs", "t1")).expect_code(0);
    in_project(&sb, &[], &edit(&sb, "README.md", "t2")).expect_code(0);
    let d = in_project(&sb, &[], &stop(&sb, true)).expect_code(0);
    assert_eq!(
        (d.stdout(), d.stderr()),
        (String::new(), String::new()),
        "stop_hook_active"
    );
    // A subagent still runs in the background: the turn resumes when it is done.
    let mut busy: Value = serde_json::from_str(&stop(&sb, false)).expect("json");
    busy["background_tasks"] = json!([{"id": "a9", "type": "subagent", "status": "running"}]);
    let d = in_project(&sb, &[], &busy.to_string()).expect_code(0);
    assert_eq!(d.stderr(), "", "background work still running");
    let d = in_project(&sb, &[], &stop(&sb, false)).expect_code(2);
    let text = d.stderr();
    assert!(text.starts_with("posthook [unchecked-stop] "), "{text}");
    assert!(text.contains("src/lib.rs"), "{text}");
    assert!(!text.contains("README"), "docs are not code: {text}");
    assert!(text.contains("`cargo test` (Cargo.toml is here)"), "{text}");
    assert_eq!(d.stdout(), "");
    // The same state is never blocked twice.
    in_project(&sb, &[], &stop(&sb, false)).expect_code(0);
    // A check that fails: its error line is quoted from the transcript.
    let line = json!({"type": "user", "message": {"content": [{"type": "tool_result", "tool_use_id": "t3", "is_error": true,
        "content": "Exit code 101\n   Compiling x\nerror[E0425]: cannot find value `y` in this scope"}]}});
    std::fs::write(sb.project().join("t.jsonl"), format!("{line}\n")).expect("write");
    let error = "Exit code 101\n   Compiling x\nerror[E0425]: cannot find value `y` in this scope";
    in_project(&sb, &[], &failed(&sb, "cargo test", error, "t3")).expect_code(0);
    let d = in_project(&sb, &["--output", "json"], &stop(&sb, false)).expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["decision"], "block");
    let reason = v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("the text");
    assert!(
        reason.contains(
            "The last `cargo test` failed: \"error[E0425]: cannot find value `y` in this scope\""
        ),
        "{reason}"
    );
    // Fixed: the turn ends.
    in_project(
        &sb,
        &[],
        &call(&sb, "Bash", json!({"command": "cargo test"}), "t4"),
    )
    .expect_code(0);
    let d = in_project(&sb, &[], &stop(&sb, false)).expect_code(0);
    assert_eq!((d.stdout(), d.stderr()), (String::new(), String::new()));
}

#[test]
fn advice_goes_to_the_user_and_off_says_nothing() {
    let sb = Sandbox::new();
    std::fs::write(sb.project().join("mix.exs"), "defmodule X do end\n").expect("write");
    in_project(&sb, &[], &edit(&sb, "lib/a.ex", "t1")).expect_code(0);
    let d = sb
        .in_project(&[])
        .env("POSTHOOK_STOP_CHECK", "off")
        .stdin(stop(&sb, false))
        .run()
        .expect_code(0);
    assert_eq!((d.stdout(), d.stderr()), (String::new(), String::new()));
    let d = sb
        .in_project(&[])
        .env("POSTHOOK_STOP_CHECK", "advice")
        .stdin(stop(&sb, false))
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert!(
        v["systemMessage"]
            .as_str()
            .expect("message")
            .contains("`mix test`"),
        "{v}"
    );
    assert_eq!(v.get("decision"), None);
    let d = sb
        .in_project(&["config", "show"])
        .env("POSTHOOK_STOP_CHECK", "advice")
        .run()
        .expect_code(0);
    assert!(d.stdout().contains("stop_check"), "{}", d.stdout());
    assert!(d.stdout().contains("advice"), "{}", d.stdout());
}

#[test]
fn no_known_check_lets_the_stop_through_and_subagents_answer_for_their_own_work() {
    let sb = Sandbox::new();
    in_project(&sb, &[], &edit(&sb, "src/lib.rs", "t1")).expect_code(0);
    let d = in_project(&sb, &[], &stop(&sb, false)).expect_code(0);
    assert_eq!(d.stderr(), "", "no check run and no project check");
    let mut ev: Value = serde_json::from_str(&edit(&sb, "src/sub.rs", "t2")).expect("json");
    ev["agent_id"] = json!("a1");
    std::fs::write(sb.project().join("Cargo.toml"), "[package]\n").expect("write");
    in_project(&sb, &[], &ev.to_string()).expect_code(0);
    let d = in_project(&sb, &[], &subagent_stop(&sb, "a2")).expect_code(0);
    assert_eq!(d.stderr(), "", "a2 changed nothing");
    let d = in_project(&sb, &[], &subagent_stop(&sb, "a1")).expect_code(2);
    assert!(d.stderr().contains("src/sub.rs"), "{}", d.stderr());
    assert!(
        !d.stderr().contains("src/lib.rs"),
        "main's change is not a1's: {}",
        d.stderr()
    );
    let d = in_project(&sb, &[], &stop(&sb, false)).expect_code(2);
    assert!(d.stderr().contains("src/lib.rs"), "{}", d.stderr());
}
