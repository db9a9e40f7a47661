//! `posthook explain`: a stored session from its compact state, a transcript call by call.

use crate::support::{post, transcripts_dir, Sandbox};
use serde_json::{json, Value};

#[test]
fn explains_a_stored_session() {
    let sb = Sandbox::new();
    sb.hook(
        &[],
        post("s1", "Read", json!({"file_path": "/tmp/project/a.rs"})),
    )
    .expect_code(0);
    sb.hook(&[], post("s1", "Bash", json!({"command": "rm -rf /"})))
        .expect_code(2);
    sb.hook(&[], post("s1", "Bash", json!({"command": "ls"})))
        .expect_code(0);
    let d = sb.cmd(&["explain", "s1"]).run().expect_code(0);
    let out = d.stdout();
    assert!(out.contains("session s1 (3 events"), "{out}");
    assert!(
        out.contains("going in: last message exec-safety at call 2, 2 call(s) before call 4"),
        "{out}"
    );
    assert!(
        out.contains("cooldowns per rule and subject, in calls: minor 12, moderate 8, major 4"),
        "{out}"
    );
    assert!(
        out.contains("exec-safety recursive delete of the filesystem root: fired 1, shown 1, ignored 0; open"),
        "{out}"
    );
    assert!(
        out.contains("exec-safety            on; fired 1 time(s), shown 1"),
        "{out}"
    );
    assert!(
        out.contains("native-overuse         off: a hive rule"),
        "{out}"
    );
    // The profile changes what is on.
    let d = sb
        .cmd(&["--profile", "hive", "explain", "s1", "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["events_total"], 3);
    let native = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["rule"] == "native-overuse")
        .cloned()
        .expect("listed");
    assert_eq!(native["enabled"], true);
    // An unknown session is an error naming it.
    let d = sb.cmd(&["explain", "nope"]).run().expect_code(1);
    assert!(
        d.stderr().contains("no stored session 'nope'"),
        "{}",
        d.stderr()
    );
}

#[test]
fn explains_the_last_events_of_a_transcript() {
    let sb = Sandbox::new();
    let f = transcripts_dir().join("spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl");
    let d = sb
        .cmd(&[
            "explain",
            "--transcript",
            f.to_str().expect("utf8"),
            "--last",
            "3",
            "--json",
        ])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("json");
    let steps = v.as_array().expect("array of steps");
    assert_eq!(steps.len(), 3);
    let rules = steps[0]["rules"].as_array().expect("rules");
    assert!(
        rules.iter().any(|r| r["rule"] == "exec-safety"),
        "{rules:?}"
    );
    for s in steps {
        for r in s["rules"].as_array().expect("rules") {
            assert!(!r["why"].as_str().unwrap_or("").is_empty(), "{r}");
        }
        assert!(s["counters"]["events_total"].as_u64().is_some(), "{s}");
    }
    // The last three calls, in order (batch events, which say nothing, are not listed).
    let n: Vec<u64> = steps.iter().map(|s| s["n"].as_u64().expect("n")).collect();
    assert!(n.windows(2).all(|w| w[0] < w[1]), "{n:?}");
    for s in steps {
        assert_ne!(s["event"], "PostToolBatch", "{s}");
    }
    assert!(sb.state_files().is_empty(), "explain keeps no state");
}

#[test]
fn what_cannot_be_explained_fails_with_exit_1_and_one_line() {
    let sb = Sandbox::new();
    // A session that is not stored: explain and session show fail alike, naming it.
    for args in [&["explain", "gone"][..], &["session", "show", "gone"][..]] {
        let d = sb.cmd(args).run().expect_code(1);
        assert_eq!(
            d.stderr(),
            format!(
                "posthook: no stored session 'gone' in {}\n",
                sb.state_dir().display()
            ),
            "{args:?}"
        );
        assert!(d.stdout().is_empty(), "{args:?}: {}", d.stdout());
    }
    // A transcript that cannot be read.
    let d = sb
        .cmd(&["explain", "--transcript", "/nonexistent/t.jsonl"])
        .run()
        .expect_code(1);
    assert!(
        d.stderr().starts_with("posthook: reading transcript: ")
            && d.stderr().contains("/nonexistent/t.jsonl")
            && d.stderr().lines().count() == 1,
        "{}",
        d.stderr()
    );
}
