//! The hook contract through the binary: output modes, exit codes, persisted history.

use crate::support::{post, Sandbox};
use serde_json::json;

#[test]
fn silent_call_exits_zero() {
    let sb = Sandbox::new();
    let d = sb
        .hook(
            &[],
            post("s1", "Read", json!({"file_path": "/tmp/project/a.rs"})),
        )
        .expect_code(0);
    assert_eq!(d.stdout(), "");
    assert_eq!(d.stderr(), "");
}

#[test]
fn blocking_feedback_on_stderr_with_exit_2() {
    let sb = Sandbox::new();
    let d = sb
        .hook(&[], post("s1", "Bash", json!({"command": "rm -rf /"})))
        .expect_code(2);
    assert!(
        d.stderr().starts_with("posthook [exec-safety]"),
        "{}",
        d.stderr()
    );
    assert_eq!(d.stdout(), "");
}
