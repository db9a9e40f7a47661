//! `posthook doctor`: is posthook really wired into Claude Code, and does it answer?
//!
//! Finds posthook's entries across the settings levels, checks that each command exists and is
//! executable, that the state dir is writable and the configuration valid, then runs one event
//! through the installed command exactly as Claude Code would (`sh -c`, JSON on stdin, the entry's
//! timeout) and checks the answer against the output contract. Every failure comes with its fix.

mod binary;
mod event;
mod http;
mod record;
mod render;
mod settings;
mod state;

pub(crate) use render::to_text;

use crate::config::Resolved;
use event::event_check;
use settings::{command_check, settings_checks};
use state::{config_check, state_dir_check};
use std::path::Path;

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
pub(crate) struct DoctorArgs {
    #[command(flatten)]
    pub flags: crate::config::HookFlags,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Fine.
    Pass,
    /// Works, but worth knowing.
    Warn,
    /// Broken: the hook will not work as intended.
    Fail,
}

/// One check's result.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    /// How it ended.
    pub status: Status,
    /// What was checked, and what was found.
    pub text: String,
    /// How to fix it, for warnings and failures.
    pub fix: Option<String>,
}

pub(super) fn pass(text: String) -> Check {
    Check {
        status: Status::Pass,
        text,
        fix: None,
    }
}

pub(super) fn fail(text: String, fix: impl Into<String>) -> Check {
    Check {
        status: Status::Fail,
        text,
        fix: Some(fix.into()),
    }
}

pub(super) fn warn(text: String, fix: impl Into<String>) -> Check {
    Check {
        status: Status::Warn,
        text,
        fix: Some(fix.into()),
    }
}

/// Runs every check.
pub(crate) fn run(resolved: &Resolved) -> Vec<Check> {
    let project = crate::project::current_project_dir();
    let home = crate::project::home_dir();
    let mut checks = Vec::new();
    let all = settings_checks(&project, home.as_deref(), &mut checks);
    let found: Vec<_> = all.iter().filter(|f| !f.http).cloned().collect();
    let mut seen = Vec::new();
    for f in &found {
        let program = f.program(&project);
        if seen.contains(&program) {
            continue;
        }
        let check = command_check(f, &project);
        let kind = (check.status == Status::Pass)
            .then(|| binary::kind_check(Path::new(&program)))
            .flatten();
        seen.push(program);
        checks.push(check);
        checks.extend(kind);
    }
    checks.push(state_dir_check(resolved.config.state_dir.as_deref()));
    checks.push(config_check(resolved));
    checks.push(record::record_check(resolved));
    let mut tried = Vec::new();
    for f in &found {
        if tried.contains(&f.shown()) {
            continue;
        }
        tried.push(f.shown());
        checks.push(event_check(f, &project));
    }
    checks.extend(http::doctor_checks(
        &project,
        home.as_deref(),
        !found.is_empty(),
    ));
    checks
}
