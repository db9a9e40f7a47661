//! The test event: one `PostToolUse` event run through an installed entry exactly as Claude Code
//! would run it, and its answer checked against the output contract.

use super::settings::Found;
use super::{fail, pass, Check};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The event: a command posthook always answers (`rm -rf /`), never run.
fn payload(project: &Path) -> String {
    json!({
        "session_id": format!("posthook-doctor-{}", std::process::id()),
        "transcript_path": "",
        "cwd": project,
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf /", "description": "posthook doctor test event (not run)"},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        "tool_use_id": "toolu_doctor"
    })
    .to_string()
}

/// The entry's command as Claude Code runs it: the program itself in exec form, else `sh -c`.
fn command(f: &Found, project: &Path) -> Command {
    match &f.entry.args {
        Some(args) => {
            let mut c = Command::new(f.program(project));
            c.args(args);
            c
        }
        None => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&f.entry.command);
            c
        }
    }
}

/// Waits for the child at most `limit` (then kills it): `None` when it did not end in time.
fn wait(child: &mut std::process::Child, start: Instant, limit: Duration) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    }
}

/// Runs the entry as Claude Code would (the program itself in exec form, else `sh -c`, the payload
/// on stdin) and checks the answer.
pub(super) fn event_check(f: &Found, project: &Path) -> Check {
    let payload = payload(project);
    let label = format!("test event through `{}`", f.shown());
    let tmp = std::env::temp_dir().join(format!("posthook-doctor-{}", std::process::id()));
    let child = command(f, project)
        .current_dir(project)
        .env("CLAUDE_PROJECT_DIR", project)
        // A throwaway state dir: the test event must not land in a real session's history.
        .env("POSTHOOK_STATE_DIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return fail(
                format!("{label}: cannot start sh: {e}"),
                "check that /bin/sh exists",
            )
        }
    };
    let start = Instant::now();
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload.as_bytes());
    }
    let limit = Duration::from_secs_f64(f.entry.timeout.unwrap_or(600.0).clamp(1.0, 60.0));
    let status = wait(&mut child, start, limit);
    let elapsed = start.elapsed();
    let out = child.wait_with_output().ok();
    let _ = std::fs::remove_dir_all(&tmp);
    let Some(status) = status else {
        return fail(
            format!("{label}: no answer within {} s", limit.as_secs()),
            "run the command by hand with a payload on stdin and look at POSTHOOK_LOG",
        );
    };
    let (stdout, stderr) = out.map_or((String::new(), String::new()), |o| {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    });
    judge(&label, status.code(), &stdout, &stderr, elapsed.as_millis())
}

/// The answer against the output contract.
fn judge(label: &str, code: Option<i32>, stdout: &str, stderr: &str, ms: u128) -> Check {
    let first_err = stderr.lines().next().unwrap_or("").to_string();
    match code {
        Some(2) if stderr.starts_with("posthook [") => {
            pass(format!("{label}: exit 2, feedback on stderr, {ms} ms"))
        }
        Some(0) if stdout.trim().is_empty() => pass(format!(
            "{label}: exit 0, silent, {ms} ms (output quiet, or the rule is disabled)"
        )),
        Some(0) => match serde_json::from_str::<Value>(stdout.trim()) {
            Ok(v) if v.pointer("/hookSpecificOutput/additionalContext").is_some() => pass(format!(
                "{label}: exit 0, feedback as JSON on stdout, {ms} ms"
            )),
            Ok(v)
                if v.get("decision").and_then(Value::as_str) == Some("block")
                    && v.get("reason")
                        .and_then(Value::as_str)
                        .is_some_and(|r| r.starts_with("posthook [")) =>
            {
                pass(format!(
                    "{label}: exit 0, feedback as JSON on stdout (decision block), {ms} ms"
                ))
            }
            _ => fail(
                format!(
                    "{label}: exit 0 but stdout is not hook JSON: {}",
                    stdout.trim()
                ),
                "something else writes to stdout: check the command line in the settings",
            ),
        },
        Some(127) => fail(
            format!("{label}: command not found: {first_err}"),
            "run `posthook install` again from the binary you want Claude Code to use",
        ),
        code => fail(
            format!(
                "{label}: exit {}: {first_err}",
                code.map_or_else(|| "by signal".to_string(), |c| c.to_string())
            ),
            "Claude Code shows this as a hook error and Claude sees nothing; run the command \
             by hand with a payload on stdin, and look at POSTHOOK_LOG",
        ),
    }
}
