//! `posthook doctor`: is posthook really wired into Claude Code, and does it answer?
//!
//! Finds posthook's entries across the settings levels, checks that each command exists and is
//! executable, that the state dir is writable and the configuration valid, then runs one event
//! through the installed command exactly as Claude Code would (`sh -c`, JSON on stdin, the entry's
//! timeout) and checks the answer against the output contract. Every failure comes with its fix.

use crate::config::{self, Resolved};
use crate::install::{self, program_of, Scope};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `posthook doctor` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Example:
  posthook doctor
    PASS  settings (project) /home/me/proj/.claude/settings.json: posthook registered, ...
    PASS  command /home/me/posthook/target/release/posthook: executable (this binary)
    PASS  state dir /home/me/.local/state/posthook: writable
    PASS  config: valid (1 file(s) read)
    PASS  test event through `/home/me/.../posthook`: exit 2, feedback on stderr, 3 ms

Exits 1 when a check fails; each failure is followed by its fix.")]
pub struct DoctorArgs {}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Fine.
    Pass,
    /// Works, but worth knowing.
    Warn,
    /// Broken: the hook will not work as intended.
    Fail,
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct Check {
    /// How it ended.
    pub status: Status,
    /// What was checked, and what was found.
    pub text: String,
    /// How to fix it, for warnings and failures.
    pub fix: Option<String>,
}

fn pass(text: String) -> Check {
    Check {
        status: Status::Pass,
        text,
        fix: None,
    }
}

fn fail(text: String, fix: impl Into<String>) -> Check {
    Check {
        status: Status::Fail,
        text,
        fix: Some(fix.into()),
    }
}

fn warn(text: String, fix: impl Into<String>) -> Check {
    Check {
        status: Status::Warn,
        text,
        fix: Some(fix.into()),
    }
}

/// A posthook entry found in a settings file.
#[derive(Debug, Clone)]
struct Found {
    scope: Scope,
    event: &'static str,
    command: String,
    /// Exec-form arguments (`None`: a shell command line).
    args: Option<Vec<String>>,
    timeout_s: Option<f64>,
}

impl Found {
    /// The command as a person would type it.
    fn shown(&self) -> String {
        match &self.args {
            Some(a) if a.is_empty() => self.command.clone(),
            Some(a) => format!("{} {}", self.command, a.join(" ")),
            None => self.command.clone(),
        }
    }

    /// The program it runs.
    fn program(&self) -> String {
        match self.args {
            Some(_) => self.command.clone(),
            None => program_of(&self.command),
        }
    }
}

fn settings_checks(project: &Path, home: Option<&Path>, out: &mut Vec<Check>) -> Vec<Found> {
    let mut found = Vec::new();
    for scope in Scope::ALL {
        let Some(path) = install::settings_path(scope, project, home) else {
            out.push(warn(
                format!(
                    "settings ({}): no HOME, user settings not checked",
                    scope.as_str()
                ),
                "set HOME",
            ));
            continue;
        };
        let label = format!("settings ({}) {}", scope.as_str(), path.display());
        match install::read_settings(&path) {
            Ok(None) => out.push(pass(format!("{label}: not present"))),
            Err(e) => out.push(fail(
                format!("{label}: {e}"),
                "fix the file by hand (Claude Code ignores a settings file it cannot parse); \
                 the position above points at the error",
            )),
            Ok(Some(doc)) => {
                let entries = install::posthook_commands(&doc);
                if entries.is_empty() {
                    out.push(pass(format!("{label}: no posthook entry")));
                }
                for install::FoundEntry {
                    event,
                    command,
                    args,
                    matcher,
                    timeout,
                } in entries
                {
                    let t = timeout.map_or_else(
                        || String::from("no timeout (Claude Code's default, 600 s)"),
                        |t| format!("timeout {} s", config::fmt_num(t)),
                    );
                    let form = if args.is_some() {
                        "exec form"
                    } else {
                        "shell form (`posthook install` rewrites it in exec form, ~2 ms faster)"
                    };
                    let text = format!(
                        "{label}: posthook registered for {event}, matcher {:?}, {t}, {form}",
                        matcher.as_deref().unwrap_or("(none: every tool)")
                    );
                    match timeout {
                        Some(t) if t > 600.0 => out.push(warn(
                            text,
                            format!(
                                "the timeout is in seconds: {} s is over {} minutes; \
                                 `posthook install --scope {} --timeout 10` rewrites it",
                                config::fmt_num(t),
                                (t / 60.0) as u64,
                                scope.as_str()
                            ),
                        )),
                        _ => out.push(pass(text)),
                    }
                    found.push(Found {
                        scope,
                        event,
                        command,
                        args,
                        timeout_s: timeout,
                    });
                }
            }
        }
    }
    if found.is_empty() {
        out.push(fail(
            String::from("posthook is not registered in any settings file"),
            "run `posthook install` (this project) or `posthook install --scope user` (every \
             project)",
        ));
        return found;
    }
    for event in install::HOOK_EVENTS {
        let here: Vec<&Found> = found.iter().filter(|f| f.event == event).collect();
        if here.is_empty() {
            let text = format!(
                "posthook is not registered for {event}: {}",
                install::missing_event_cost(event)
            );
            let fix = "run `posthook install` again (same --scope): it adds the missing entries \
                       and keeps the others";
            out.push(if event == "PostToolUse" {
                fail(text, fix)
            } else {
                warn(text, fix)
            });
        } else if here.len() > 1 {
            let scopes: Vec<&str> = here.iter().map(|f| f.scope.as_str()).collect();
            out.push(warn(
                format!(
                    "posthook is registered {} times for {event} ({}): Claude Code runs every \
                     entry, and each call is recorded twice",
                    here.len(),
                    scopes.join(", ")
                ),
                "keep one: `posthook uninstall --scope SCOPE` for the others",
            ));
        }
    }
    found
}

fn command_check(f: &Found, project: &Path) -> Check {
    let program = f
        .program()
        .replace("$CLAUDE_PROJECT_DIR", &project.to_string_lossy());
    let path = PathBuf::from(&program);
    let reinstall = format!(
        "build posthook (`cargo build --release`) and run `target/release/posthook install --scope {}`",
        f.scope.as_str()
    );
    if !path.is_absolute() {
        return fail(
            format!(
                "command {program}: not an absolute path (breaks when Claude Code's cwd changes)"
            ),
            reinstall,
        );
    }
    match std::fs::metadata(&path) {
        Err(e) => fail(format!("command {program}: {e}"), reinstall),
        Ok(m) if !m.is_file() => fail(format!("command {program}: not a file"), reinstall),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => fail(
            format!("command {program}: not executable"),
            format!("chmod +x {program}"),
        ),
        Ok(_) => {
            let same = crate::project::current_binary()
                .ok()
                .is_some_and(|me| std::fs::canonicalize(&path).is_ok_and(|p| p == me));
            if same {
                pass(format!("command {program}: executable (this binary)"))
            } else {
                pass(format!("command {program}: executable"))
            }
        }
    }
}

fn state_dir_check(dir: Option<&Path>) -> Check {
    let Some(dir) = dir else {
        return fail(
            String::from("state dir: none (no HOME, XDG_STATE_HOME or POSTHOOK_STATE_DIR)"),
            "set HOME, or state_dir in ~/.config/posthook/config.json; without it posthook keeps \
             no history and multi-call rules cannot fire",
        );
    };
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    // Created as the store creates it (0700), so running doctor first changes nothing.
    let r = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match r {
        Ok(()) => trusted_state_dir(dir),
        Err(e) => fail(
            format!("state dir {}: not writable: {e}", dir.display()),
            format!(
                "fix its permissions (`chmod u+rwx {}`) or set state_dir in the config",
                dir.display()
            ),
        ),
    }
}

/// A writable state dir is used only when it is the user's own and private; what it holds that the
/// sweep leaves alone is counted.
fn trusted_state_dir(dir: &Path) -> Check {
    let store = crate::store::Store::new(dir);
    if let Err(e) = store.check_trusted() {
        let why = e
            .source
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        return fail(
            format!("state dir {}: writable, but not used: {why}", dir.display()),
            format!(
                "use a dir of your own that only you can write (`chmod 700 {}`), or set \
                 state_dir in ~/.config/posthook/config.json",
                dir.display()
            ),
        );
    }
    let s = store.survey(std::time::SystemTime::now());
    let text = format!(
        "state dir {}: writable, private, {} session(s), {} leftover(s) for the sweep, {} \
         file(s) not posthook's left alone",
        dir.display(),
        s.sessions,
        s.removable,
        s.foreign
    );
    if s.foreign > 0 {
        warn(
            text,
            "the sweep deletes only files posthook wrote; the others were put there by someone \
             else: look at them, and keep the state dir for posthook alone",
        )
    } else {
        pass(text)
    }
}

fn config_check(r: &Resolved) -> Check {
    if r.problems.is_empty() {
        let read = r
            .files
            .iter()
            .filter(|f| f.status == config::FileStatus::Read)
            .count();
        return pass(format!("config: valid ({read} file(s) read)"));
    }
    let first: Vec<String> = r.problems.iter().take(3).map(ToString::to_string).collect();
    fail(
        format!(
            "config: {} problem(s): {}",
            r.problems.len(),
            first.join("; ")
        ),
        "run `posthook config check` and correct the values it names (meanwhile hook mode \
         ignores them)",
    )
}

/// Runs the entry as Claude Code would (the program itself in exec form, else `sh -c`, the payload
/// on stdin) and checks the answer.
fn event_check(f: &Found, project: &Path) -> Check {
    let payload = json!({
        "session_id": format!("posthook-doctor-{}", std::process::id()),
        "transcript_path": "",
        "cwd": project,
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "rm -rf /", "description": "posthook doctor test event (not run)"},
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        "tool_use_id": "toolu_doctor"
    })
    .to_string();
    let label = format!("test event through `{}`", f.shown());
    let tmp = std::env::temp_dir().join(format!("posthook-doctor-{}", std::process::id()));
    let mut cmd = match &f.args {
        Some(args) => {
            let mut c = Command::new(
                f.command
                    .replace("$CLAUDE_PROJECT_DIR", &project.to_string_lossy()),
            );
            c.args(args);
            c
        }
        None => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&f.command);
            c
        }
    };
    let child = cmd
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
    let limit = Duration::from_secs_f64(f.timeout_s.unwrap_or(600.0).clamp(1.0, 60.0));
    let status = loop {
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
    };
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
    let ms = elapsed.as_millis();
    let first_err = stderr.lines().next().unwrap_or("").to_string();
    match status.code() {
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

/// Runs every check.
pub fn run(resolved: &Resolved) -> Vec<Check> {
    let project = crate::project::current_project_dir();
    let home = crate::project::home_dir();
    let mut checks = Vec::new();
    let found = settings_checks(&project, home.as_deref(), &mut checks);
    let mut seen = Vec::new();
    for f in &found {
        if seen.contains(&f.program()) {
            continue;
        }
        seen.push(f.program());
        checks.push(command_check(f, &project));
    }
    checks.push(state_dir_check(resolved.config.state_dir.as_deref()));
    checks.push(config_check(resolved));
    let mut tried = Vec::new();
    for f in &found {
        if tried.contains(&f.shown()) {
            continue;
        }
        tried.push(f.shown());
        checks.push(event_check(f, &project));
    }
    checks.extend(crate::serve::settings::doctor_checks(
        &project,
        home.as_deref(),
        !found.is_empty(),
    ));
    checks
}

/// Renders the checks; the bool is true when none failed.
pub fn to_text(checks: &[Check]) -> (String, bool) {
    let mut out = String::new();
    let mut failed = 0;
    for c in checks {
        let tag = match c.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => {
                failed += 1;
                "FAIL"
            }
        };
        let _ = writeln!(out, "  {tag}  {}", c.text);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "        fix: {fix}");
        }
    }
    if failed == 0 {
        let _ = writeln!(out, "  {} checks passed", checks.len());
    } else {
        let _ = writeln!(out, "  {failed} of {} checks failed", checks.len());
    }
    (out, failed == 0)
}
