//! `posthook statusline`: one short line for Claude Code's `statusLine` setting, from the record
//! alone (one read of a fixed-size file): `posthook ok · 2 shown today · p50 1 ms`, or the last
//! error while it is recent.

use crate::clock::unix_ms;
use crate::config::{HookFlags, Resolved, StateDirFlag};
use crate::error::Outcome;
use crate::record::{self, health, rule, Snapshot};
use crate::tools::stats::ago;
use std::io::{IsTerminal, Read};
use std::time::SystemTime;

/// An error newer than this shows in the line instead of the figures: 15 minutes.
const RECENT_ERROR_MS: u64 = 15 * 60 * 1000;

/// `posthook statusline`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(after_help = "\
Claude Code runs it with the session's JSON on stdin; the project is its workspace.project_dir
(else CLAUDE_PROJECT_DIR). In .claude/settings.json:
  \"statusLine\": {\"type\": \"command\", \"command\": \"posthook statusline\"}")]
pub(crate) struct StatuslineArgs {
    /// The project to show (default: from stdin's JSON, else CLAUDE_PROJECT_DIR, else all).
    #[arg(long, value_name = "DIR")]
    pub project: Option<String>,
    #[command(flatten)]
    pub state: StateDirFlag,
}

impl StatuslineArgs {
    /// The hook-mode flag statusline acts on: the state dir.
    pub(crate) fn flags(&self) -> HookFlags {
        HookFlags::from(self.state.clone())
    }
}

/// The project named by Claude Code's status line JSON on stdin (read up to 64 KiB), if any.
fn project_from_stdin() -> Option<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    let mut buf = Vec::new();
    stdin.lock().take(64 * 1024).read_to_end(&mut buf).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&buf).ok()?;
    v.pointer("/workspace/project_dir")
        .or_else(|| v.get("cwd"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

/// Runs `posthook statusline`: always exit 0, always one line.
pub(crate) fn run(args: &StatuslineArgs, resolved: &Resolved) -> Outcome {
    let project = args
        .project
        .clone()
        .or_else(project_from_stdin)
        .or_else(|| std::env::var("CLAUDE_PROJECT_DIR").ok());
    let snap = resolved
        .config
        .state_dir
        .as_deref()
        .and_then(|d| record::read(d).ok().flatten());
    let now = SystemTime::now();
    Outcome::text(line(snap.as_ref(), project.as_deref(), now) + "\n")
}

/// The line for `snap` in `project` at `now`.
pub(crate) fn line(snap: Option<&Snapshot>, project: Option<&str>, now: SystemTime) -> String {
    let Some(snap) = snap.filter(|s| s.last_call.is_some()) else {
        return String::from("posthook · no calls recorded yet");
    };
    let now_ms = unix_ms(now);
    if let Some((at, kind, _)) = snap.last_error {
        if now_ms.saturating_sub(at) < RECENT_ERROR_MS {
            return format!(
                "posthook ⚠ {} error {} · posthook doctor",
                kind.as_str(),
                ago(at)
            );
        }
    }
    let today = record::day_of(now);
    let hash = project.map(|p| record::project_hash(Some(p.trim_end_matches('/'))));
    let mut shown = 0u64;
    let mut hist = [0u64; health::BUCKETS];
    for r in snap
        .rows
        .iter()
        .filter(|r| r.day == today && hash.is_none_or(|h| h == r.project))
    {
        match &r.rule {
            Some(_) => shown += u64::from(r.counts[rule::SHOWN]),
            None => {
                for (i, h) in hist.iter_mut().enumerate() {
                    *h += u64::from(r.counts[health::HIST + i]);
                }
            }
        }
    }
    let p50 = record::percentile_bucket(&hist, 50).map(record::bucket_bound_us);
    let speed = match p50 {
        Some(Some(us)) => format!(" · p50 ≤ {} ms", us as f64 / 1000.0),
        Some(None) => String::from(" · p50 > 128 ms"),
        None => String::new(),
    };
    format!("posthook ok · {shown} shown today{speed}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Fault, Row, COUNTERS};
    use std::time::Duration;

    #[test]
    fn ok_with_figures_or_the_recent_error() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(20_000 * 86_400 + 3_600);
        let now_ms = 20_000 * 86_400_000 + 3_600_000;
        assert_eq!(line(None, None, now), "posthook · no calls recorded yet");
        let mut rule_counts = [0; COUNTERS];
        rule_counts[rule::SHOWN] = 2;
        let mut health_counts = [0; COUNTERS];
        health_counts[health::CALLS] = 3;
        health_counts[health::HIST + 3] = 3;
        let p = record::project_hash(Some("/p"));
        let mut snap = Snapshot {
            last_call: Some((now_ms, 900)),
            rows: vec![
                Row {
                    project: p,
                    day: 20_000,
                    rule: Some("x".into()),
                    counts: rule_counts,
                },
                Row {
                    project: p,
                    day: 19_999,
                    rule: Some("x".into()),
                    counts: rule_counts,
                },
                Row {
                    project: p,
                    day: 20_000,
                    rule: None,
                    counts: health_counts,
                },
            ],
            ..Snapshot::default()
        };
        assert_eq!(
            line(Some(&snap), Some("/p/"), now),
            "posthook ok · 2 shown today · p50 ≤ 1 ms"
        );
        assert_eq!(
            line(Some(&snap), Some("/q"), now),
            "posthook ok · 0 shown today"
        );
        snap.last_error = Some((now_ms - 60_000, Fault::Save, p));
        assert!(line(Some(&snap), None, now).starts_with("posthook ⚠ state-save error"));
        snap.last_error = Some((now_ms - 3_600_000, Fault::Save, p));
        assert!(line(Some(&snap), None, now).starts_with("posthook ok"));
    }
}
