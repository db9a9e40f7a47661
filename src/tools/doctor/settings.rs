//! The settings files: posthook's entries at every level, whether each event is covered once,
//! and whether each entry's command is an executable file.

use super::{fail, pass, warn, Check};
use crate::config;
use crate::tools::install::{self, program_of, FoundEntry, Scope};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A posthook entry found in a settings file.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) scope: Scope,
    pub(super) entry: FoundEntry,
    /// An http entry for `posthook serve` (`entry.command` is its URL).
    pub(super) http: bool,
}

impl Found {
    /// The command as a person would type it.
    pub(super) fn shown(&self) -> String {
        match &self.entry.args {
            Some(a) if !a.is_empty() => format!("{} {}", self.entry.command, a.join(" ")),
            _ => self.entry.command.clone(),
        }
    }

    /// The program it runs, with `$CLAUDE_PROJECT_DIR` as Claude Code sets it for `project`.
    pub(super) fn program(&self, project: &Path) -> String {
        let program = match self.entry.args {
            Some(_) => self.entry.command.clone(),
            None => program_of(&self.entry.command),
        };
        program.replace("$CLAUDE_PROJECT_DIR", &project.to_string_lossy())
    }
}

/// One check per settings file (and per posthook entry in it), then one per event posthook is
/// missing from or registered for more than once; the entries found.
pub(super) fn settings_checks(
    project: &Path,
    home: Option<&Path>,
    out: &mut Vec<Check>,
) -> Vec<Found> {
    let mut found = Vec::new();
    for scope in Scope::ALL {
        scope_checks(scope, project, home, out, &mut found);
    }
    if found.is_empty() {
        out.push(fail(
            String::from("posthook is not registered in any settings file"),
            "run `posthook install` (this project) or `posthook install --scope user` (every \
             project)",
        ));
        return found;
    }
    coverage_checks(&found, out);
    found
}

/// The settings file of one scope: readable, and posthook's entries in it.
fn scope_checks(
    scope: Scope,
    project: &Path,
    home: Option<&Path>,
    out: &mut Vec<Check>,
    found: &mut Vec<Found>,
) {
    let Some(path) = install::settings_path(scope, project, home) else {
        out.push(warn(
            format!(
                "settings ({}): no HOME, user settings not checked",
                scope.as_str()
            ),
            "set HOME",
        ));
        return;
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
            let http = crate::tools::install::http::posthook_http_hooks(&doc);
            if entries.is_empty() && http.is_empty() {
                out.push(pass(format!("{label}: no posthook entry")));
            }
            for (event, url, timeout_s) in http {
                let t = timeout_s.map_or_else(
                    || String::from("no timeout"),
                    |t| format!("timeout {} s", config::fmt_num(t)),
                );
                out.push(pass(format!(
                    "{label}: posthook registered for {event} as an http hook, POST {url}, {t}"
                )));
                let entry = FoundEntry {
                    event,
                    command: url,
                    args: None,
                    matcher: None,
                    timeout: timeout_s,
                };
                found.push(Found {
                    scope,
                    entry,
                    http: true,
                });
            }
            for entry in entries {
                out.push(entry_check(&label, scope, &entry));
                found.push(Found {
                    scope,
                    entry,
                    http: false,
                });
            }
        }
    }
}

/// One posthook entry: its event, matcher, timeout and form.
fn entry_check(label: &str, scope: Scope, entry: &FoundEntry) -> Check {
    let FoundEntry {
        event,
        args,
        matcher,
        timeout,
        ..
    } = entry;
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
    match *timeout {
        Some(t) if t > 600.0 => warn(
            text,
            format!(
                "the timeout is in seconds: {} s is over {} minutes; \
                 `posthook install --scope {} --timeout 10` rewrites it",
                config::fmt_num(t),
                (t / 60.0) as u64,
                scope.as_str()
            ),
        ),
        _ => pass(text),
    }
}

/// Each hook event: posthook registered for it, once.
fn coverage_checks(found: &[Found], out: &mut Vec<Check>) {
    for event in install::HOOK_EVENTS {
        let here: Vec<&Found> = found.iter().filter(|f| f.entry.event == event).collect();
        if here.is_empty() {
            let text = format!(
                "posthook is not registered for {event}: {}",
                install::missing_event_cost(event)
            );
            let fix = if found.iter().any(|f| f.http) {
                "run `posthook install --http` again (same --scope): it adds the missing entries \
                 and keeps the others"
            } else {
                "run `posthook install` again (same --scope): it adds the missing entries and \
                 keeps the others"
            };
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
}

pub(super) fn command_check(f: &Found, project: &Path) -> Check {
    let program = f.program(project);
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
            let me = crate::project::current_binary().ok();
            let same = me
                .as_ref()
                .is_some_and(|me| std::fs::canonicalize(&path).is_ok_and(|p| p == *me));
            let copy = me.as_ref().is_some_and(|me| {
                let hook = crate::tools::install::copy::hook_source(me);
                std::fs::read(&path).ok() == std::fs::read(hook).ok()
            });
            if same {
                pass(format!("command {program}: executable (this binary)"))
            } else if copy {
                pass(format!(
                    "command {program}: executable (a copy of this build's hook)"
                ))
            } else {
                pass(format!(
                    "command {program}: executable (another build: `posthook install` registers this one)"
                ))
            }
        }
    }
}
