//! Hostile and odd input through the binary: every refusal is exit 1 with exactly one line and
//! leaves the state as it was; every odd-but-valid shape is accepted and recorded.

use crate::harness::{events_total, measure, show, snapshot};
use crate::support::{post, Sandbox};
use serde_json::json;

const MIB: u64 = 1024 * 1024;

/// A sandbox whose session `s1` already holds one event, so "untouched" has something to keep.
fn seeded() -> Sandbox {
    let sb = Sandbox::new();
    sb.hook(
        &[],
        post("s1", "Read", json!({"file_path": "/tmp/project/a"})),
    )
    .expect_code(0);
    assert_eq!(events_total(&sb, "s1"), Some(1));
    sb
}

/// Feeds `payload`; expects exit 1, one stderr line that names the problem, no stdout, and every
/// file of the sandbox (state and all) exactly as before.
#[track_caller]
fn refused(payload: impl AsRef<[u8]>, needle: &str) {
    let sb = seeded();
    let before = snapshot(sb.dir.path());
    let d = sb.hook(&[], payload).expect_code(1);
    let err = d.stderr();
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.ends_with('\n'), "{err:?}");
    assert!(err.starts_with("posthook: invalid hook input: "), "{err:?}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert!(
        !err.chars().any(|c| c.is_control() && c != '\n'),
        "no control characters: {err:?}"
    );
    assert_eq!(d.stdout(), "");
    assert_eq!(snapshot(sb.dir.path()), before, "state untouched");
}

/// Feeds `payload` to a fresh sandbox; expects exit 0 and returns the sandbox.
#[track_caller]
fn accepted(payload: impl AsRef<[u8]>) -> Sandbox {
    let sb = Sandbox::new();
    let d = sb.hook(&[], payload);
    assert!(
        d.code() == 0 || d.code() == 2,
        "exit {}: {}",
        d.code(),
        d.stderr()
    );
    sb
}

fn with(fields: serde_json::Value) -> String {
    let mut base = json!({
        "session_id": "s2",
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "ls"},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false}
    });
    for (k, v) in fields.as_object().expect("object") {
        if v == &json!("<absent>") {
            base.as_object_mut().expect("object").remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base.to_string()
}

/// The hook for a tens-of-MiB input: what these tests bound is memory, so a debug build reading
/// 30 MiB on a machine busy with the rest of the suite gets more than the default 5 s deadline
/// (which would end it before it saves, by design, and leave nothing to check).
fn big_input_hook(sb: &Sandbox) -> std::process::Command {
    let mut cmd = sb.cmd(&[]).cmd;
    cmd.env("POSTHOOK_DEADLINE_MS", "60000");
    cmd
}

#[test]
fn empty_and_whitespace() {
    refused("", "empty input");
    refused(" \n\t\r\n  ", "empty input");
}

#[test]
fn not_json() {
    refused("{not json", "line 1 column");
    refused("hello", "line 1 column");
    refused("{\"hook_event_name\":\"PostToolUse\",", "EOF");
    refused("{'single':'quotes'}", "line 1 column");
}

#[test]
fn invalid_utf8() {
    refused(b"\xff\xfe{\"a\":1}".as_slice(), "not UTF-8 at byte 0");
    let mut p = with(json!({})).into_bytes();
    let i = p.len() - 3;
    p[i] = 0xc3; // a lone lead byte inside the payload
    refused(p, "not UTF-8");
}

#[test]
fn top_level_not_an_object() {
    refused("[1,2,3]", "found an array");
    refused("42", "found a number");
    refused("-1.5e3", "found a number");
    refused("\"PostToolUse\"", "found a string");
    refused("null", "found null");
    refused("true", "found a boolean");
}

#[test]
fn tool_name_missing_null_or_not_a_string() {
    refused(with(json!({"tool_name": "<absent>"})), "tool_name");
    refused(with(json!({"tool_name": null})), "tool_name");
    refused(with(json!({"tool_name": 3})), "tool_name");
    refused(with(json!({"tool_name": ["Bash"]})), "tool_name");
    refused(
        with(json!({"hook_event_name": "<absent>"})),
        "hook_event_name",
    );
    refused(with(json!({"hook_event_name": 7})), "hook_event_name");
}

#[test]
fn trailing_garbage() {
    refused(with(json!({})) + " trailing", "trailing characters");
    refused(with(json!({})) + &with(json!({})), "trailing characters");
    // A trailing newline is not garbage.
    let sb = accepted(with(json!({})) + "\n\n");
    assert_eq!(events_total(&sb, "s2"), Some(1));
}

#[test]
fn raw_control_characters_inside_strings_are_refused() {
    let p = with(json!({"tool_input": {"command": "aXb"}})).replace("aXb", "a\u{0}b");
    refused(p, "control character");
    let p = with(json!({"session_id": "aXb"})).replace("aXb", "a\nb");
    refused(p, "control character");
}

#[test]
fn escaped_nul_and_control_characters_are_accepted() {
    let odd = "a\u{0}b\u{1}c\u{1b}[31m\u{7f}\r\n\t";
    let sb = accepted(with(json!({
        "session_id": odd,
        "tool_input": {"command": odd, "description": odd},
        "cwd": odd,
    })));
    // NUL cannot travel in argv (`session show`): read the store through the library.
    let stored = posthook::Store::new(sb.state_dir())
        .load(odd)
        .expect("readable")
        .expect("stored");
    assert_eq!(stored.history.events_total, 1);
    assert_eq!(stored.session_id, odd);
    let sb = accepted(with(json!({
        "tool_name": "Write",
        "tool_input": {"file_path": odd, "content": odd},
    })));
    assert_eq!(events_total(&sb, "s2"), Some(1));
}

#[test]
fn odd_tool_input_shapes_are_recorded() {
    for input in [
        json!([1, 2]),
        json!("ls -la"),
        json!(null),
        json!("<absent>"),
        json!(42),
        json!({"command": 5}),
        json!({"command": null}),
        json!({"command": ["rm", "-rf", "/"]}),
        json!({"file_path": {"nested": true}}),
    ] {
        for tool in [
            "Bash",
            "Edit",
            "Write",
            "Read",
            "Task",
            "TodoWrite",
            "mcp__x__y",
        ] {
            let sb = accepted(with(json!({"tool_name": tool, "tool_input": input})));
            assert_eq!(events_total(&sb, "s2"), Some(1), "{tool} {input}");
        }
    }
}

#[test]
fn odd_tool_response_shapes_are_recorded() {
    let cases = [
        (json!("plain text output"), 0),
        (json!("Error: Exit code 1\nboom"), 1),
        (
            json!("<tool_use_error>File does not exist.</tool_use_error>"),
            1,
        ),
        (json!([{"type": "text", "text": "x"}]), 0),
        (json!([]), 0),
        (json!(42), 0),
        (json!(null), 0),
        (json!(true), 0),
        (json!({}), 0),
        (json!("<absent>"), 0),
        (json!({"success": false}), 1),
        (json!({"isError": true, "content": []}), 1),
        (json!({"error": {"code": 5, "message": "nested"}}), 1),
        (json!({"error": ""}), 0),
        (json!({"error": null, "stdout": "fine"}), 0),
        (json!({"status": "failed"}), 1),
        (json!({"status": 500}), 0),
        // A wrongly typed field must not hide the flags beside it.
        (json!({"is_error": true, "status": 500}), 1),
        (json!({"success": "no", "error": "disk on fire"}), 1),
        (json!({"success": false, "error": 12}), 1),
        (json!({"stdout": {"deep": [[[["x"]]]]}, "stderr": null}), 0),
    ];
    for (resp, failures) in cases {
        let sb = accepted(with(json!({"tool_response": resp})));
        let v = show(&sb, "s2").expect("stored");
        assert_eq!(v["events_total"], 1, "{resp}");
        assert_eq!(v["counters"]["failures"], failures, "failures for {resp}");
    }
}

fn nested(depth: usize, open: char, close: char) -> String {
    let mut s = String::with_capacity(depth * 2);
    s.extend(std::iter::repeat_n(open, depth));
    s.extend(std::iter::repeat_n(close, depth));
    s
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    const DEPTH: usize = 100_000;
    let arr = nested(DEPTH, '[', ']');
    // At the top level: valid JSON that is not an object.
    refused(arr.clone(), "found an array");
    // Unterminated: a syntax error, not a crash.
    refused(&arr[..DEPTH + 10], "EOF");
    let objs = "{\"a\":".repeat(DEPTH) + "1" + &"}".repeat(DEPTH);
    // Everywhere else, tool_input included (built only to a fixed depth): accepted and recorded.
    for field in ["tool_input", "tool_response", "extra_field"] {
        for deep in [&arr, &objs] {
            let p = with(json!({field: "X"})).replace("\"X\"", deep);
            let sb = accepted(p);
            assert_eq!(events_total(&sb, "s2"), Some(1), "{field}");
        }
    }
    // As the error of an object response: that error is read as a tree, so it is dropped.
    let p = with(json!({"tool_response": {"success": false, "error": "X"}})).replace("\"X\"", &arr);
    let sb = accepted(p);
    let v = show(&sb, "s2").expect("stored");
    assert_eq!(v["counters"]["failures"], 1);
}

#[test]
fn a_one_megabyte_command_is_analyzed_and_not_stored() {
    let cmd = format!("echo {}", "A".repeat(MIB as usize));
    let sb = accepted(with(json!({"tool_input": {"command": cmd}})));
    assert_eq!(events_total(&sb, "s2"), Some(1));
    let total: usize = sb
        .state_files()
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as usize))
        .sum();
    assert!(total < 16 * 1024, "state stays small: {total} bytes");
}

/// Bound on the hook's peak RSS for any input, documented in docs/hardening.md.
const RSS_BOUND: u64 = 64 * MIB;

#[test]
fn a_200_mb_payload_is_refused_early_in_bounded_memory() {
    let sb = Sandbox::new();
    let total = 200 * MIB;
    let head = br#"{"session_id":"big","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"cat big"},"tool_response":{"stdout":""#.to_vec();
    let m = measure(big_input_hook(&sb), total, move |i| {
        if i == 0 {
            head.clone()
        } else {
            vec![b'x'; MIB as usize]
        }
    });
    let err = String::from_utf8_lossy(&m.stderr).into_owned();
    assert_eq!(m.code, Some(1), "{err}");
    assert_eq!(
        err,
        "posthook: invalid hook input: input exceeds the 32 MiB limit\n"
    );
    assert!(m.stdout.is_empty());
    assert!(
        m.cut_off,
        "the child exited while the writer still had data"
    );
    assert!(
        m.written < 40 * MIB,
        "it stopped reading near the cap: {} bytes taken",
        m.written
    );
    assert!(
        m.max_rss <= RSS_BOUND,
        "peak RSS {} MiB over the bound",
        m.max_rss / MIB
    );
    assert!(sb.state_files().is_empty(), "nothing stored");
    report_rss("200 MB payload", &m);
}

fn report_rss(what: &str, m: &crate::harness::Measured) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{what}: peak RSS {:.1} MiB, {:.1} MiB of stdin taken",
        m.max_rss as f64 / MIB as f64,
        m.written as f64 / MIB as f64
    );
}

#[test]
fn a_30_mb_tool_response_is_recorded_in_bounded_memory() {
    let sb = Sandbox::new();
    let head = br#"{"session_id":"big","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{"file_path":"/tmp/big.log"},"tool_response":{"type":"text","file":{"content":""#.to_vec();
    let tail = br#""}}}"#.to_vec();
    let body = 30 * MIB;
    let total = head.len() as u64 + body + tail.len() as u64;
    let m = measure(big_input_hook(&sb), total, move |i| {
        if i == 0 {
            head.clone()
        } else if i == 31 {
            tail.clone()
        } else {
            vec![b'y'; MIB as usize]
        }
    });
    assert_eq!(m.code, Some(0), "{}", String::from_utf8_lossy(&m.stderr));
    assert!(!m.cut_off);
    assert!(
        m.max_rss <= RSS_BOUND,
        "peak RSS {} MiB over the bound",
        m.max_rss / MIB
    );
    let v = show(&sb, "big").expect("stored");
    assert_eq!(v["events_total"], 1);
    assert!(v["recent"][0]["out_len"].as_u64().unwrap_or(0) > body);
    report_rss("30 MiB tool_response", &m);
}

#[test]
fn session_ids_cannot_name_paths_outside_the_state_dir() {
    let ids = [
        "../../escape",
        "../state-sibling",
        "/tmp/absolute",
        "a/b/c",
        "..",
        ".",
        "",
        "h-0000000000000000",
        "white space",
        "ünïcödé-🙂",
        "con",
        "a\\b",
        "x.json",
        "s1.lock",
    ];
    let long = "x".repeat(10_000);
    let sb = Sandbox::new();
    for id in ids.iter().copied().chain([long.as_str()]) {
        sb.hook(&[], with(json!({"session_id": id}))).expect_code(0);
    }
    // Everything written is a plain file directly inside the state dir.
    let all = snapshot(sb.dir.path());
    for p in all.keys() {
        assert_eq!(
            p.parent(),
            Some(sb.state_dir().as_path()),
            "{}",
            p.display()
        );
    }
    for id in ids.iter().copied() {
        let v = show(&sb, id).unwrap_or_else(|| panic!("{id:?} stored"));
        assert_eq!(v["events_total"], 1, "{id:?}");
        assert_eq!(v["session_id"], id);
    }
    // A huge id is found by the whole id, and stored cut to 128 characters.
    let v = show(&sb, &long).expect("long id stored");
    assert_eq!(v["events_total"], 1);
    let stored = v["session_id"].as_str().expect("id");
    assert_eq!(stored.chars().count(), 128, "{stored}");
    assert!(stored.starts_with(&long[..127]));
    // session_id of the wrong type: the event is kept under the empty id, not refused.
    sb.hook(&[], with(json!({"session_id": {"a": 1}})))
        .expect_code(0);
    assert_eq!(events_total(&sb, ""), Some(2));
}

#[test]
fn unknown_events_are_ignored_silently() {
    for ev in [
        "SessionStart",
        "Notification",
        "PreToolUse",
        "FutureEvent",
        "",
        "posttooluse",
    ] {
        let sb = Sandbox::new();
        let d = sb
            .hook(&[], with(json!({"hook_event_name": ev})))
            .expect_code(0);
        assert_eq!((d.stdout(), d.stderr()), (String::new(), String::new()));
        assert!(sb.state_files().is_empty(), "{ev}: nothing stored");
        let d = sb
            .hook(
                &[],
                with(json!({"hook_event_name": ev, "tool_name": "<absent>"})),
            )
            .expect_code(0);
        assert_eq!(d.stderr(), "");
    }
}

/// `posthook-hook` enters at the C `main` on Linux, past Rust's own start-up; what that start-up
/// did for it still holds. Closed standard streams are reopened on `/dev/null` (no state file the
/// hook opens becomes its stdout), and a reader gone away does not kill it (`SIGPIPE` ignored):
/// either way the call is recorded and the state stays readable.
#[test]
fn the_lean_hook_survives_closed_and_broken_standard_streams() {
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    let sb = seeded();
    // A call with an answer to write.
    let rm = post("s1", "Bash", json!({"command": "rm -rf /"}));
    let script = format!("exec 1>&- 2>&-; exec '{}'", crate::support::lean_bin());
    let closed = sb.cmd_of("sh", &["-c", &script]).stdin(&rm).run();
    assert!(closed.0.status.signal().is_none(), "{:?}", closed.0.status);
    assert_eq!(events_total(&sb, "s1"), Some(2), "recorded, state readable");

    let mut child = sb.cmd_of(crate::support::lean_bin(), &[]).spawn_piped();
    drop((child.stdout.take(), child.stderr.take()));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(rm.as_bytes()).expect("write");
    drop(stdin);
    let status = child.wait().expect("wait");
    assert!(
        status.signal().is_none(),
        "not killed by SIGPIPE: {status:?}"
    );
    assert_eq!(events_total(&sb, "s1"), Some(3), "recorded, state readable");
}
