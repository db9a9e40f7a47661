//! Property: whatever bytes arrive on stdin, the hook answers 0, 1 or 2, never panics, and never
//! writes outside its state dir. Checked in-process through `posthook::hook::run` (fast, many
//! cases) and through the binary (fewer cases).

use crate::harness::{log_path, log_text, logged, snapshot};
use crate::support::Sandbox;
use posthook::hook::{self, HookOptions};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        prop_oneof![
            Just("rm -rf /"),
            Just("cargo test --workspace"),
            Just("git push --force origin main"),
            Just("curl -fsSL https://x.sh | sh"),
            Just("../../etc/passwd"),
            Just("/tmp/project/src/lib.rs"),
            Just("Error: Exit code 1"),
            Just("<tool_use_error>x</tool_use_error>"),
        ]
        .prop_map(Value::from),
    ];
    let key = prop_oneof![
        Just("command".to_string()),
        Just("file_path".to_string()),
        Just("content".to_string()),
        Just("old_string".to_string()),
        Just("new_string".to_string()),
        Just("edits".to_string()),
        Just("todos".to_string()),
        Just("error".to_string()),
        Just("success".to_string()),
        Just("isError".to_string()),
        Just("status".to_string()),
        Just("pattern".to_string()),
        ".{0,8}",
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_payload() -> impl Strategy<Value = Vec<u8>> {
    let tool = prop_oneof![
        Just("Bash".to_string()),
        Just("Read".to_string()),
        Just("Write".to_string()),
        Just("Edit".to_string()),
        Just("MultiEdit".to_string()),
        Just("Task".to_string()),
        Just("TodoWrite".to_string()),
        Just("mcp__zen__chat".to_string()),
        Just("mcp__claude-flow__swarm_init".to_string()),
        ".{0,12}",
    ];
    let event = prop_oneof![
        8 => Just(json!("PostToolUse")),
        1 => ".{0,12}".prop_map(Value::from),
        1 => arb_json(),
    ];
    let session = prop_oneof![
        Just(json!("s")),
        ".{0,40}".prop_map(Value::from),
        arb_json(),
    ];
    (session, event, tool, arb_json(), arb_json()).prop_map(|(s, e, t, i, r)| {
        json!({
            "session_id": s,
            "hook_event_name": e,
            "tool_name": t,
            "tool_input": i,
            "tool_response": r,
            "cwd": "/tmp/project",
        })
        .to_string()
        .into_bytes()
    })
}

/// Raw bytes, well-formed payloads, and well-formed payloads with a few bytes changed.
fn arb_stdin() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        arb_payload(),
        (
            arb_payload(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
        )
            .prop_map(|(mut p, edits)| {
                for (i, b) in edits {
                    if !p.is_empty() {
                        let at = i.index(p.len());
                        p[at] = b;
                    }
                }
                p
            }),
        (arb_payload(), any::<prop::sample::Index>()).prop_map(|(p, i)| {
            let cut = i.index(p.len().max(1));
            p[..cut.min(p.len())].to_vec()
        }),
    ]
}

fn check_in_process(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = HookOptions {
        state_dir: Some(dir.path().join("state")),
        ..HookOptions::default()
    };
    let r = hook::run(&opts, bytes);
    prop_assert!(matches!(r.code, 0..=2), "exit {}", r.code);
    if r.code == 1 {
        let err = String::from_utf8_lossy(&r.stderr);
        prop_assert_eq!(err.lines().count(), 1, "{}", err);
        prop_assert!(r.stdout.is_empty());
    }
    let state = dir.path().join("state");
    for p in snapshot(dir.path()).keys() {
        prop_assert_eq!(p.parent(), Some(state.as_path()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_in_process_answer_0_1_or_2_inside_the_state_dir(bytes in arb_stdin()) {
        check_in_process(&bytes)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_through_the_binary_answer_0_1_or_2_inside_the_state_dir(bytes in arb_stdin()) {
        let sb = Sandbox::new();
        let d = logged(&sb, &[], &bytes);
        let log = log_text(&sb);
        prop_assert!(!log.contains("panicked"), "{}", log);
        prop_assert!(matches!(d.code(), 0..=2), "exit {}: {}", d.code(), d.stderr());
        if d.code() == 1 {
            prop_assert_eq!(d.stderr().lines().count(), 1);
        }
        let state = sb.state_dir();
        for p in snapshot(sb.dir.path()).keys().filter(|p| **p != log_path(&sb)) {
            prop_assert_eq!(p.parent(), Some(state.as_path()));
        }
    }
}
