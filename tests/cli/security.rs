//! What the state may hold and where it may be written: no tool outputs or file contents, private
//! modes, and no planted symlink is ever followed.

use crate::harness::{events_total, log_path, show, snapshot, transcripts};
use crate::support::{post, Sandbox};
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

/// Secret-like strings, each placed where a tool's input or output carries data.
const SECRETS: [&str; 12] = [
    "sk_live_51HsECRETa1",
    "ghp_S3cr3tT0kenABCDEF",
    "AKIAIOSFODNN7SECRET",
    "xoxb-secret-slack-tok",
    "hunter2-password-xyz",
    "PRIVATEKEYBODYqwerty",
    "old-secret-string-01",
    "new-secret-string-02",
    "grep-secret-pattern3",
    "webfetch-secret-body4",
    "task-prompt-secret-5",
    "todo-secret-content-6",
];

fn secret_payloads() -> Vec<String> {
    let [stripe, gh, aws, slack, pass, key, old, new, grep, web, task, todo] = SECRETS;
    let resp = |v: serde_json::Value| v;
    let ev = |tool: &str, input: serde_json::Value, response: serde_json::Value| {
        json!({
            "session_id": "sec",
            "hook_event_name": "PostToolUse",
            "cwd": "/tmp/project",
            "tool_name": tool,
            "tool_input": input,
            "tool_response": response,
        })
        .to_string()
    };
    vec![
        ev(
            "Bash",
            json!({"command": format!("curl -H 'Authorization: Bearer {stripe}' https://api.example.com")}),
            resp(json!({"stdout": format!("token={gh}"), "stderr": "", "interrupted": false})),
        ),
        ev(
            "Bash",
            json!({"command": format!("echo {gh}")}),
            resp(json!({"stdout": gh, "stderr": "", "interrupted": false})),
        ),
        ev(
            "Bash",
            json!({"command": format!("AWS_SECRET_ACCESS_KEY={aws} aws s3 ls")}),
            resp(json!(format!("Error: Exit code 1\n{aws} denied"))),
        ),
        ev(
            "Bash",
            json!({"command": format!("export SLACK={slack}")}),
            json!({"stdout": ""}),
        ),
        ev(
            "Bash",
            json!({"command": format!("mysql -u root -p{pass} db")}),
            resp(json!({"success": false, "error": format!("bad password {pass}")})),
        ),
        ev(
            "Bash",
            json!({"command": format!("git commit -m {pass}")}),
            json!({"stdout": ""}),
        ),
        ev(
            "Write",
            json!({"file_path": "/tmp/project/.env", "content": format!("KEY={key}\n")}),
            resp(json!({"type": "create", "filePath": "/tmp/project/.env", "content": key})),
        ),
        ev(
            "Edit",
            json!({"file_path": "/tmp/project/a.rs", "old_string": old, "new_string": new}),
            resp(
                json!({"filePath": "/tmp/project/a.rs", "oldString": old, "newString": new,
                "originalFile": format!("{old} {key}"), "structuredPatch": []}),
            ),
        ),
        ev(
            "MultiEdit",
            json!({"file_path": "/tmp/project/b.rs",
                "edits": [{"old_string": old, "new_string": new}]}),
            json!({}),
        ),
        ev(
            "Read",
            json!({"file_path": "/tmp/project/.env"}),
            resp(
                json!({"type": "text", "file": {"filePath": "/tmp/project/.env", "content": key}}),
            ),
        ),
        ev(
            "Grep",
            json!({"pattern": grep, "path": "/tmp/project"}),
            resp(json!({"mode": "content", "content": grep, "numFiles": 1})),
        ),
        ev(
            "WebFetch",
            json!({"url": "https://example.com", "prompt": web}),
            resp(json!({"result": web, "code": 200})),
        ),
        ev(
            "Task",
            json!({"description": "look", "prompt": task}),
            resp(json!({"status": "completed", "content": [{"type": "text", "text": task}]})),
        ),
        ev(
            "TodoWrite",
            json!({"todos": [{"content": todo, "status": "pending", "activeForm": todo}]}),
            resp(json!({"newTodos": [{"content": todo}]})),
        ),
        ev(
            "mcp__db__query",
            json!({"sql": format!("select '{stripe}'")}),
            resp(json!([{"type": "text", "text": aws}])),
        ),
        ev(
            "Bash",
            json!({"command": "false"}),
            resp(json!(format!("<tool_use_error>{key}</tool_use_error>"))),
        ),
    ]
}

fn assert_no_secret_in(dir: &Path, secrets: &[&str]) {
    let files = snapshot(dir);
    assert!(!files.is_empty(), "something was stored");
    for (p, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        for s in secrets {
            assert!(!text.contains(s), "{s} persisted in {}", p.display());
        }
    }
}

#[test]
fn the_state_holds_no_tool_outputs_or_file_contents() {
    let sb = Sandbox::new();
    for p in secret_payloads() {
        let d = sb.hook(&[], &p);
        assert!(d.code() == 0 || d.code() == 2, "{}", d.stderr());
    }
    assert_eq!(
        events_total(&sb, "sec"),
        Some(secret_payloads().len() as u64)
    );
    assert_no_secret_in(&sb.state_dir(), &SECRETS);
    // `session show` prints only what is stored.
    let shown = show(&sb, "sec").expect("stored").to_string();
    for s in SECRETS {
        assert!(!shown.contains(s), "{s} shown");
    }
}

/// Every string leaf of a value.
fn leaves<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

#[test]
fn replaying_a_real_session_stores_none_of_its_outputs() {
    let path = transcripts().join("spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl");
    let (events, _) = posthook::transcript::events_from_file(&path).expect("transcript");
    assert!(events.len() > 20);
    let sb = Sandbox::new();
    let mut outputs: Vec<String> = Vec::new();
    for ev in &events {
        let mut payload = ev.payload.clone();
        payload["session_id"] = json!("replay");
        let d = sb.hook(&[], payload.to_string());
        assert!(d.code() == 0 || d.code() == 2, "{}", d.stderr());
        // Distinctive output text: long strings that are not paths.
        let mut v = Vec::new();
        leaves(&ev.payload["tool_response"], &mut v);
        if let Some(c) = ev.payload["tool_input"]["content"].as_str() {
            v.push(c);
        }
        outputs.extend(
            v.into_iter()
                .filter(|s| s.len() >= 40 && !s.starts_with('/'))
                .map(|s| s.chars().take(80).collect()),
        );
    }
    assert_eq!(events_total(&sb, "replay"), Some(events.len() as u64));
    assert!(outputs.len() > 10, "the session has outputs to look for");
    let refs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    assert_no_secret_in(&sb.state_dir(), &refs);
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn modes_are_private_whatever_the_umask() {
    for umask in ["000", "022", "077"] {
        let sb = Sandbox::new();
        let dir = sb.dir.path().join("x/y/state");
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("umask {umask}; exec \"$0\"")])
            .arg(crate::support::bin())
            .env("POSTHOOK_STATE_DIR", &dir)
            .env("POSTHOOK_LOG", log_path(&sb))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                let mut i = c.stdin.take().expect("stdin");
                i.write_all(post("m", "Read", json!({"file_path": "/a"})).as_bytes())?;
                drop(i);
                c.wait_with_output()
            })
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(mode(&dir), 0o700, "umask {umask}: dir");
        for f in ["m.json", "m.lock"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "umask {umask}: {f}");
        }
        assert_eq!(mode(&log_path(&sb)), 0o600, "umask {umask}: log");
    }
}

/// A file outside the state dir that a planted symlink points at.
fn bait(sb: &Sandbox) -> std::path::PathBuf {
    let p = sb.dir.path().join("victim.txt");
    std::fs::write(&p, b"do not touch").expect("bait");
    p
}

fn assert_bait_untouched(p: &Path) {
    assert_eq!(std::fs::read(p).expect("bait"), b"do not touch");
}

/// Records one event of session `s`, then replaces its `file` in the state dir by a link that
/// `plant(victim, path)` makes to a bait file. Returns the bait and the link's path.
fn seed_and_plant(
    sb: &Sandbox,
    file: &str,
    plant: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> (std::path::PathBuf, std::path::PathBuf) {
    sb.hook(&[], post("s", "Read", json!({"file_path": "/a"})))
        .expect_code(0);
    let victim = bait(sb);
    let path = sb.state_dir().join(file);
    std::fs::remove_file(&path).expect("rm");
    plant(&victim, &path).expect("plant");
    (victim, path)
}

#[test]
fn a_symlink_at_the_state_file_is_not_followed() {
    let sb = Sandbox::new();
    let (victim, state) = seed_and_plant(&sb, "s.json", |v, p| std::os::unix::fs::symlink(v, p));
    for _ in 0..2 {
        sb.hook(&[], post("s", "Read", json!({"file_path": "/b"})))
            .expect_code(0);
    }
    assert_bait_untouched(&victim);
    let meta = std::fs::symlink_metadata(&state).expect("state");
    assert!(meta.is_file(), "the link was replaced by a real file");
    assert_eq!(events_total(&sb, "s"), Some(2));
}

#[test]
fn a_hard_link_at_the_state_file_is_never_written_through() {
    let sb = Sandbox::new();
    let (victim, _) = seed_and_plant(&sb, "s.json", |v, p| std::fs::hard_link(v, p));
    sb.hook(&[], post("s", "Read", json!({"file_path": "/b"})))
        .expect_code(0);
    assert_bait_untouched(&victim);
}

#[test]
fn a_symlink_at_the_lock_file_is_not_followed() {
    let sb = Sandbox::new();
    let (victim, _) = seed_and_plant(&sb, "s.lock", |v, p| std::os::unix::fs::symlink(v, p));
    // A link to a file that does not exist yet must not be created either.
    let ghost = sb.dir.path().join("ghost.txt");
    let lock2 = sb.state_dir().join("t.lock");
    std::os::unix::fs::symlink(&ghost, &lock2).expect("plant");
    sb.hook(&[], post("s", "Bash", json!({"command": "rm -rf /"})))
        .expect_code(2);
    sb.hook(&[], post("t", "Read", json!({"file_path": "/a"})))
        .expect_code(0);
    assert_bait_untouched(&victim);
    assert!(!ghost.exists(), "nothing created through the link");
}

#[test]
fn a_symlink_at_the_temporary_file_is_not_followed() {
    let sb = Sandbox::new();
    sb.hook(&[], post("s", "Read", json!({"file_path": "/a"})))
        .expect_code(0);
    let victim = bait(&sb);
    // Start the hook, learn its pid while it waits for stdin, plant a link at its temporary
    // file's name, then let it write.
    let mut child = sb
        .cmd(&[])
        .cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let tmp = sb.state_dir().join(format!("s.json.tmp.{}", child.id()));
    std::os::unix::fs::symlink(&victim, &tmp).expect("plant");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(post("s", "Read", json!({"file_path": "/b"})).as_bytes())
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_bait_untouched(&victim);
    assert_eq!(
        events_total(&sb, "s"),
        Some(2),
        "saved despite the planted link"
    );
    assert!(
        std::fs::symlink_metadata(&tmp).is_err(),
        "the planted link is gone"
    );
}
