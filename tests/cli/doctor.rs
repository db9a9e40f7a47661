//! `posthook doctor` in temp HOME and project dirs.

use crate::support::Sandbox;
use std::fs;

#[test]
fn not_installed_fails_with_the_fix() {
    let sb = Sandbox::new();
    sb.home();
    let d = sb.in_project(&["doctor"]).run().expect_code(1);
    let out = d.stdout();
    assert!(
        out.contains("FAIL  posthook is not registered in any settings file"),
        "{out}"
    );
    assert!(out.contains("fix: run `posthook install`"), "{out}");
}

#[test]
fn installed_hook_passes_every_check() {
    let sb = Sandbox::new();
    sb.home();
    sb.in_project(&["install"]).run().expect_code(0);
    let d = sb.in_project(&["doctor"]).run().expect_code(0);
    let out = d.stdout();
    assert!(!out.contains("FAIL"), "{out}");
    for event in ["PostToolUse", "PostToolUseFailure", "PostToolBatch"] {
        assert!(
            out.contains(&format!(
                "posthook registered for {event}, matcher \"*\", timeout 10 s, exec form"
            )),
            "{out}"
        );
    }
    assert!(
        out.contains("executable (a copy of this build's hook)"),
        "{out}"
    );
    // The tests' build is linked the target's default way: dynamically, and doctor says so and
    // how to get the fast kind; or, where the C runtime is linked in (musl), statically.
    if cfg!(target_feature = "crt-static") {
        assert!(out.contains(": static, "), "{out}");
    } else {
        assert!(
            out.contains("dynamically linked, non-PIE") && out.contains("cargo build-static"),
            "{out}"
        );
    }
    assert!(out.contains("PASS  test event through"), "{out}");
    assert!(out.contains("exit 2, feedback on stderr"), "{out}");
    assert!(
        out.contains("state dir") && out.contains("writable"),
        "{out}"
    );
    // The test event went to a throwaway state dir, not the user's.
    assert!(sb.state_files().is_empty(), "{:?}", sb.state_files());
}

#[test]
fn a_missing_event_is_named_with_its_cost() {
    let sb = Sandbox::new();
    sb.home();
    sb.in_project(&["install"]).run().expect_code(0);
    let path = sb.project().join(".claude/settings.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("read")).expect("json");
    v["hooks"]
        .as_object_mut()
        .expect("hooks")
        .remove("PostToolUseFailure");
    fs::write(&path, v.to_string()).expect("write");
    let d = sb.in_project(&["doctor"]).run().expect_code(0);
    let out = d.stdout();
    assert!(
        out.contains(
            "WARN  posthook is not registered for PostToolUseFailure: failed calls are never seen"
        ),
        "{out}"
    );
}

#[test]
fn json_output_mode_is_recognized() {
    let sb = Sandbox::new();
    sb.home();
    sb.in_project(&["install", "--scope", "user", "--output", "json"])
        .run()
        .expect_code(0);
    let d = sb.in_project(&["doctor"]).run().expect_code(0);
    assert!(
        d.stdout()
            .contains("exit 0, feedback as JSON on stdout (decision block)"),
        "{}",
        d.stdout()
    );
}

#[test]
fn broken_entries_and_config_fail_with_fixes() {
    let sb = Sandbox::new();
    sb.home();
    let settings = sb.project().join(".claude/settings.json");
    fs::write(
        &settings,
        r#"{"hooks": {"PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "/nonexistent/bin/posthook", "timeout": 60000}]}]}}"#,
    )
    .expect("write");
    fs::write(
        sb.project().join(".claude/posthook.json"),
        r#"{"profil": "hive"}"#,
    )
    .expect("write");
    let d = sb.in_project(&["doctor"]).run().expect_code(1);
    let out = d.stdout();
    assert!(
        out.contains("WARN") && out.contains("the timeout is in seconds"),
        "{out}"
    );
    assert!(
        out.contains("FAIL  command /nonexistent/bin/posthook"),
        "{out}"
    );
    assert!(
        out.contains("FAIL  config: 1 problem(s)") && out.contains("profil: unknown key"),
        "{out}"
    );
    assert!(out.contains("FAIL  test event through"), "{out}");
    assert!(
        out.lines()
            .filter(|l| l.trim_start().starts_with("fix:"))
            .count()
            >= 4,
        "{out}"
    );

    // Malformed settings: reported with the position, not fatal to the other checks.
    fs::write(&settings, "{\"hooks\": ").expect("write");
    let d = sb.in_project(&["doctor"]).run().expect_code(1);
    let out = d.stdout();
    assert!(out.contains("is not valid JSON (line 1"), "{out}");
    assert!(out.contains("state dir"), "{out}");
}

/// `install --no-copy` registers the build where it is; doctor warns that a build replaces it
/// under running sessions, and says how to register a stable copy.
#[test]
fn a_program_in_a_build_tree_is_a_warning() {
    let sb = Sandbox::new();
    sb.home();
    let d = sb
        .in_project(&["install", "--no-copy"])
        .run()
        .expect_code(0);
    assert!(!d.stdout().contains("a copy of"), "{}", d.stdout());
    let out = sb.in_project(&["doctor"]).run().expect_code(0).stdout();
    assert!(
        out.contains("WARN") && out.contains("inside a cargo target/ directory"),
        "{out}"
    );
    assert!(out.contains("run `posthook install` again"), "{out}");
}
