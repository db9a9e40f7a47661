//! One payload to a [`HookInput`]: the top level checked, the common fields read, the call of a
//! `PostToolUse` or `PostToolUseFailure` event built; the turn of a `PostToolBatch` is
//! [`super::batch`]'s.

use super::batch::parse_batch;
use super::bounded::{bounded_input, Deferred};
use super::response::{
    command_output, error_text, head_and_tail, summarize_response, ERROR_HEAD_BYTES,
    ERROR_TAIL_BYTES,
};
use super::surrogates::{has_lone_surrogate, replace_lone_surrogates};
use super::wire::{capped_string, opt_string, raw_bool, running_tasks, Wire};
use super::{HookInput, InputError, StopInput};
use posthook_analyzers::{Outcome, ToolCall, COMMIT_OUTPUT_BYTES};
use serde_json::value::RawValue;
use serde_json::Value;

fn kind_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Parses one hook payload. `now_ms` stamps the call; `project_dir` is `CLAUDE_PROJECT_DIR`.
///
/// A payload may carry `timestamp_ms` (an integer, ms since the Unix epoch): then the call is
/// stamped with it instead of `now_ms`. Claude Code does not send it; it is for replaying recorded
/// sessions and for tests, so that the gaps between calls (which tell parallel calls from
/// sequential turns) are the recorded ones and not those of the replay. A value that is not a
/// non-negative integer is ignored (the clock is used), so the field can never break a payload.
pub fn parse(
    bytes: &[u8],
    now_ms: u64,
    project_dir: Option<&str>,
) -> Result<HookInput, InputError> {
    let fixed;
    let bytes = if has_lone_surrogate(bytes) {
        let mut copy = bytes.to_vec();
        replace_lone_surrogates(&mut copy);
        fixed = copy;
        &fixed[..]
    } else {
        bytes
    };
    parse_repaired(bytes, now_ms, project_dir, false).map(|(input, _)| input)
}

/// [`parse`], taking the payload's buffer: lone surrogates are repaired in it, and a large string
/// of `tool_input` (the first top-level one of 256 KiB or more, a Bash command aside: a Write's
/// `content` of megabytes) is decoded in place in it and becomes that string, so no second buffer
/// of its size is made. The hook and `posthook serve` parse this way; the result is the same as
/// [`parse`]'s.
pub fn parse_owned(
    mut bytes: Vec<u8>,
    now_ms: u64,
    project_dir: Option<&str>,
) -> Result<HookInput, InputError> {
    replace_lone_surrogates(&mut bytes);
    let (mut input, deferred) = parse_repaired(&bytes, now_ms, project_dir, true)?;
    if let (Some(d), Some(call)) = (deferred, input.call.as_mut()) {
        if let (Value::Object(map), Some(text)) = (&mut call.input, d.decode(bytes)) {
            map.insert(d.key, Value::String(text));
        }
    }
    Ok(input)
}

/// The parse of a payload without lone surrogates; with `may_defer`, a large string of
/// `tool_input` is left undecoded (`null`) and the [`Deferred`] returned says where it is.
fn parse_repaired(
    bytes: &[u8],
    now_ms: u64,
    project_dir: Option<&str>,
    may_defer: bool,
) -> Result<(HookInput, Option<Deferred>), InputError> {
    let text = object_text(bytes)?;
    let mut wire: Wire<'_> =
        serde_json::from_str(text).map_err(|e| InputError::Syntax(e.to_string()))?;

    let event = event_name(wire.hook_event_name)?;
    let tool_name = tool_name(wire.tool_name)?;
    let is_call_event = matches!(event.as_str(), "PostToolUse" | "PostToolUseFailure");
    if is_call_event && tool_name.is_none() {
        return Err(InputError::Field {
            field: "tool_name",
            expected: "a string on a PostToolUse or PostToolUseFailure event",
        });
    }
    let cwd = opt_string(wire.cwd);
    let agent_id = opt_string(wire.agent_id).filter(|a| !a.is_empty());
    let tool_use_id = opt_string(wire.tool_use_id);
    let ts_ms = wire
        .timestamp_ms
        .and_then(|r| r.get().parse::<u64>().ok())
        .unwrap_or(now_ms);
    let mut deferred = None;
    let call = match tool_name {
        Some(tool) if is_call_event => {
            let (mut call, d) = finished_call(&mut wire, tool, &event, ts_ms, may_defer)?;
            deferred = d;
            call.cwd = cwd.clone();
            call.project_dir = project_dir.map(str::to_owned);
            call.agent_id = agent_id.clone();
            call.tool_use_id = tool_use_id.clone();
            Some(call)
        }
        _ => None,
    };
    let batch = if event == "PostToolBatch" {
        Some(parse_batch(
            wire.tool_calls,
            ts_ms,
            &agent_id,
            cwd.as_deref(),
            project_dir,
        )?)
    } else {
        None
    };
    let transcript_path = opt_string(wire.transcript_path);
    let stop = matches!(event.as_str(), "Stop" | "SubagentStop").then(|| StopInput {
        subagent: event == "SubagentStop",
        stop_hook_active: raw_bool(wire.stop_hook_active) == Some(true),
        running_tasks: running_tasks(wire.background_tasks, agent_id.as_deref()),
        transcript_path: opt_string(wire.agent_transcript_path)
            .filter(|p| event == "SubagentStop" && !p.is_empty())
            .or_else(|| transcript_path.clone()),
    });
    let input = HookInput {
        session_id: opt_string(wire.session_id).unwrap_or_default(),
        event,
        cwd,
        transcript_path,
        tool_use_id,
        agent_id,
        call,
        batch,
        stop,
    };
    Ok((input, deferred))
}

/// The payload as text, when it is UTF-8 and its top level is an object; else why not.
fn object_text(bytes: &[u8]) -> Result<&str, InputError> {
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    let first = text.trim_start().as_bytes()[0];
    if first != b'{' {
        // Say what the top level is when it is valid JSON, else report the syntax error.
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => InputError::NotObject(kind_of(text)),
            Err(e) => InputError::Syntax(e.to_string()),
        });
    }
    Ok(text)
}

/// `hook_event_name`: required, a string.
fn event_name(raw: Option<&RawValue>) -> Result<String, InputError> {
    raw.and_then(capped_string).ok_or(InputError::Field {
        field: "hook_event_name",
        expected: "a string",
    })
}

/// `tool_name`: a string when present (whether the event needs it is the caller's business).
fn tool_name(raw: Option<&RawValue>) -> Result<Option<String>, InputError> {
    raw.map(|raw| {
        capped_string(raw).ok_or(InputError::Field {
            field: "tool_name",
            expected: "a string",
        })
    })
    .transpose()
}

/// The call a `PostToolUse` or `PostToolUseFailure` event reports, stamped `ts_ms`: its input and
/// how it ended; with `may_defer`, where a large string of its input is left undecoded.
fn finished_call(
    wire: &mut Wire<'_>,
    tool: String,
    event: &str,
    ts_ms: u64,
    may_defer: bool,
) -> Result<(ToolCall, Option<Deferred>), InputError> {
    let (input, deferred) = bounded_input(wire.tool_input.take(), may_defer);
    let mut call = ToolCall::new(tool, input).at(ts_ms);
    if event == "PostToolUseFailure" {
        // The client's `error` text: kept for this call's message, never stored.
        let error = wire
            .error
            .and_then(error_text)
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| String::from("the tool failed"));
        call = call.failed_with(head_and_tail(
            error.trim(),
            ERROR_HEAD_BYTES,
            ERROR_TAIL_BYTES,
        ));
        if raw_bool(wire.is_interrupt) == Some(true) {
            call.outcome = Outcome::Interrupted;
        }
    } else {
        // Older clients report a failure inside a PostToolUse response.
        let summary = wire
            .tool_response
            .map(summarize_response)
            .unwrap_or_default();
        call.response_len = summary.len;
        if let Some(e) = summary.error {
            call = call.failed_with(e);
        } else if call.command().is_some_and(|c| c.contains("commit")) {
            // What a commit's own hooks printed tells whether they ran the tests.
            call.output = wire
                .tool_response
                .and_then(|r| command_output(r, COMMIT_OUTPUT_BYTES));
        }
    }
    Ok((call, deferred))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<HookInput, InputError> {
        parse(s.as_bytes(), 1, None)
    }

    #[test]
    fn minimal_post_tool_use() {
        let h = p(r#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":{"stdout":"x","stderr":"","interrupted":false}}"#).expect("parses");
        let call = h.call.expect("tool call");
        assert_eq!(call.command(), Some("ls"));
        assert!(!call.failed);
        assert!(call.response_len > 10);
    }

    #[test]
    fn errors_name_what_and_where() {
        assert_eq!(p(""), Err(InputError::Empty));
        assert_eq!(p("  \n"), Err(InputError::Empty));
        assert_eq!(p("[1]"), Err(InputError::NotObject("an array")));
        assert_eq!(p("null"), Err(InputError::NotObject("null")));
        let e = p(r#"{"hook_event_name":"PostToolUse" "x":1}"#).expect_err("syntax");
        assert!(e.to_string().contains("line 1 column"), "{e}");
        assert!(matches!(
            p(r#"{"tool_name":"Bash"}"#),
            Err(InputError::Field {
                field: "hook_event_name",
                ..
            })
        ));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUse","tool_name":3}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUse"}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
        assert_eq!(
            parse(b"{\"a\":\"\xff\"}", 0, None),
            Err(InputError::NotUtf8 { offset: 6 })
        );
    }

    #[test]
    fn payload_timestamp_overrides_the_clock() {
        let h = p(
            r#"{"hook_event_name":"PostToolUse","tool_name":"Read","timestamp_ms":1700000000123}"#,
        )
        .expect("parses");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1_700_000_000_123));
        let h = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Read"}"#).expect("parses");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1), "the clock otherwise");
        let h = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Read","timestamp_ms":"soon"}"#)
            .expect("an odd value is ignored");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1));
    }

    #[test]
    fn a_commits_output_is_kept_for_the_call_and_no_other_output_is() {
        let commit = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"git commit -m x"},"tool_response":{"stdout":"4 tests, 0 failures\n[main 1a2b3c4] x","stderr":"warn","interrupted":false}}"#)
            .expect("parses");
        let c = commit.call.expect("call");
        assert_eq!(
            c.output.as_deref(),
            Some("4 tests, 0 failures\n[main 1a2b3c4] x\nwarn")
        );
        let ls = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":{"stdout":"a\nb"}}"#)
            .expect("parses");
        assert_eq!(ls.call.expect("call").output, None);
    }

    #[test]
    fn failures_as_the_real_client_sends_them() {
        let h = p(r#"{"session_id":"s","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"ls nope"},"tool_use_id":"t1","error":"Exit code 2\nls: cannot access 'nope': No such file or directory","is_interrupt":false,"duration_ms":5,"agent_id":"a1","agent_type":"Explore"}"#).expect("parses");
        assert!(h.is_recorded() && !h.is_post_tool_use());
        let call = h.call.expect("a call");
        assert!(call.failed);
        assert_eq!(call.outcome, Outcome::Failed);
        assert_eq!(call.agent_id.as_deref(), Some("a1"));
        assert_eq!(call.tool_use_id.as_deref(), Some("t1"));
        assert!(call
            .error
            .as_deref()
            .is_some_and(|e| e.contains("cannot access")));
        let h = p(r#"{"hook_event_name":"PostToolUseFailure","tool_name":"Bash","error":"","is_interrupt":true}"#).expect("parses");
        assert_eq!(h.call.map(|c| c.outcome), Some(Outcome::Interrupted));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUseFailure"}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
    }

    #[test]
    fn stops_as_the_real_client_sends_them() {
        let h = p(r#"{"session_id":"s","transcript_path":"/t/s.jsonl","cwd":"/p","hook_event_name":"Stop","stop_hook_active":false}"#).expect("parses");
        assert!(h.is_recorded());
        let stop = h.stop.expect("a stop");
        assert!(!stop.subagent && !stop.stop_hook_active);
        assert_eq!(stop.transcript_path.as_deref(), Some("/t/s.jsonl"));
        let h = p(r#"{"session_id":"s","transcript_path":"/t/s.jsonl","hook_event_name":"SubagentStop","stop_hook_active":true,"agent_id":"a1","agent_type":"Explore","agent_transcript_path":"/t/s/subagents/agent-a1.jsonl"}"#).expect("parses");
        let stop = h.stop.expect("a stop");
        assert!(stop.subagent && stop.stop_hook_active);
        assert_eq!(h.agent_id.as_deref(), Some("a1"));
        assert_eq!(
            stop.transcript_path.as_deref(),
            Some("/t/s/subagents/agent-a1.jsonl")
        );
        let h = p(r#"{"hook_event_name":"Stop","stop_hook_active":"yes"}"#).expect("parses");
        assert!(
            !h.stop.expect("a stop").stop_hook_active,
            "only true is true"
        );
        let h = p(r#"{"hook_event_name":"Stop","background_tasks":[{"id":"a1","type":"subagent","status":"running"},{"status":"completed"}],"session_crons":[]}"#).expect("parses");
        assert_eq!(h.stop.expect("a stop").running_tasks, 1);
        let h = p(r#"{"hook_event_name":"SubagentStop","agent_id":"a1","background_tasks":[{"id":"a1","type":"subagent","status":"running"}]}"#).expect("parses");
        assert_eq!(
            h.stop.expect("a stop").running_tasks,
            0,
            "a subagent's stop lists the subagent itself"
        );
        let h = p(r#"{"hook_event_name":"Stop","background_tasks":"odd"}"#).expect("parses");
        assert_eq!(h.stop.expect("a stop").running_tasks, 0);
        let h = p(r#"{"hook_event_name":"PostCompact","session_id":"s","trigger":"auto"}"#)
            .expect("parses");
        assert!(h.is_recorded() && h.is_compaction());
        let h = p(r#"{"hook_event_name":"SubagentStart","agent_id":"a1","agent_type":"x"}"#)
            .expect("parses");
        assert!(h.is_recorded() && h.is_subagent_start());
        let h = p(r#"{"hook_event_name":"SubagentStart"}"#).expect("parses");
        assert!(!h.is_recorded(), "no agent to start");
    }

    #[test]
    fn other_events_are_accepted() {
        let h = p(r#"{"hook_event_name":"SessionStart","session_id":"s","source":"startup"}"#)
            .expect("ok");
        assert!(!h.is_post_tool_use() && !h.is_recorded());
    }

    /// A payload whose `tool_input` holds `content` (and `also`), as JSON text.
    fn write_payload(content: &str, also: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Write",
            "tool_input": {"file_path": "/p/a.txt", "content": content, "also": also},
            "tool_response": {"type": "create"},
        }))
        .expect("serializes")
    }

    #[test]
    fn large_strings_decoded_in_place_are_the_strings_the_payload_holds() {
        let line = "plain \"quoted\" \\ tab\t é 😀 \u{1} end\n";
        let big = line.repeat(300 * 1024 / line.len() + 1);
        for (content, also) in [
            (big.as_str(), "small"),
            (big.as_str(), big.as_str()),
            ("small", big.as_str()),
            (&big[..big.len() / 2], ""),
        ] {
            let bytes = write_payload(content, also);
            let want: Value = serde_json::from_slice(&bytes).expect("json");
            let owned = parse_owned(bytes.clone(), 1, None).expect("parses");
            assert_eq!(
                owned.call.as_ref().map(|c| &c.input),
                Some(&want["tool_input"])
            );
            assert_eq!(Ok(owned), parse(&bytes, 1, None));
        }
        // Escaped the other way (\u escapes, a surrogate pair, a lone surrogate), unescaped.
        let escaped = r#"a\u00e9\ud83d\ude00\ud800z\n"#.repeat(20_000);
        let text = format!(
            r#"{{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{{"content":"{escaped}"}}}}"#
        );
        let owned = parse_owned(text.clone().into_bytes(), 1, None).expect("parses");
        let content = owned.call.as_ref().and_then(|c| c.str_field("content"));
        assert_eq!(content, Some("aé😀\u{fffd}z\n".repeat(20_000).as_str()));
        assert_eq!(Ok(owned), parse(text.as_bytes(), 1, None));
        let plain = "x".repeat(400 * 1024);
        let text = format!(
            r#"{{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{{"content":"{plain}"}}}}"#
        );
        let owned = parse_owned(text.into_bytes(), 1, None).expect("parses");
        assert_eq!(
            owned
                .call
                .and_then(|c| c.str_field("content").map(str::len)),
            Some(plain.len())
        );
        // A key given twice: the last value, as serde_json keeps it.
        let text = format!(
            r#"{{"hook_event_name":"PostToolUse","tool_name":"Write","tool_input":{{"content":"{plain}","content":"last"}}}}"#
        );
        let owned = parse_owned(text.clone().into_bytes(), 1, None).expect("parses");
        assert_eq!(
            owned.call.as_ref().and_then(|c| c.str_field("content")),
            Some("last")
        );
        assert_eq!(Ok(owned), parse(text.as_bytes(), 1, None));
    }

    #[test]
    fn a_large_commands_commit_output_is_still_read() {
        let command = format!("git commit -m x # {}", "y".repeat(300 * 1024));
        let bytes = serde_json::to_vec(&serde_json::json!({
            "hook_event_name": "PostToolUse", "tool_name": "Bash",
            "tool_input": {"command": command},
            "tool_response": {"stdout": "running tests: 3 passed", "stderr": ""},
        }))
        .expect("serializes");
        let call = parse_owned(bytes, 1, None)
            .expect("parses")
            .call
            .expect("call");
        assert_eq!(call.command(), Some(command.as_str()));
        assert!(call.output.is_some_and(|o| o.contains("3 passed")));
    }
}
