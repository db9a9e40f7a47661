//! `posthook replay`: what posthook would have told Claude in real, recorded sessions.
//!
//! Rebuilds the events the live client would have sent for transcripts
//! ([`crate::transcript::live_events_from_file`]: PostToolUse, PostToolUseFailure, PostToolBatch,
//! subagent calls with their agent id), runs them through the same pipeline as hook mode with a
//! temporary in-memory state (one [`posthook_analyzers::History`] per session id, timestamps from the transcript), and
//! reports every step and a summary: events by kind, feedback rate, per-rule counts, per-analyzer
//! timing. Nothing is read from or written to the session store.
//!
//! - `engine`: the transcripts' events through the pipeline, step by step;
//! - `summary`: the counts and timings over a replay;
//! - `text`: the replay for the terminal;
//! - `json`: the replay as one JSON object;
//! - this module: the arguments, the errors and the command.

mod engine;
mod json;
mod summary;
mod text;

pub(crate) use engine::{detail, replay, transcript_files, Replay, Step};
pub(crate) use json::to_json;
pub(crate) use text::safe_text;
pub(crate) use text::{silence_text, to_text, verdict_text};

use crate::config::Resolved;
use crate::error::Outcome;
use std::path::PathBuf;
use std::time::Duration;

/// `posthook replay` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook replay ~/.claude/projects/-home-me-myproject/5f1c2d4e-0a.jsonl
  posthook replay ~/.claude/projects/-home-me-myproject/        # every session, subagents included
  posthook --profile hive replay session.jsonl --json | jq '.summary'

The effective configuration applies (profile, disabled rules, thresholds, output mode); --profile and
--disable override it for the replay. Every analyzer runs to the end (no time
budget), so a replay gives the same answers on a busy machine. Nothing is stored, unless
--record adds the replay's counts to the record `posthook stats` reads.")]
pub(crate) struct ReplayArgs {
    /// A transcript (.jsonl) or a directory searched recursively for them.
    pub path: PathBuf,
    /// Print one JSON object: `events` (number replayed), `steps` (one per event), `files`,
    /// `summary`.
    #[arg(long)]
    pub json: bool,
    /// Text mode: print only the steps with feedback (the summary always follows).
    #[arg(long)]
    pub feedback_only: bool,
    /// The project root the hook is given (`CLAUDE_PROJECT_DIR`). Default: the directory each
    /// transcript's session was launched in (its first `cwd`), as the live client sets it.
    #[arg(long, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    #[command(flatten)]
    pub out: crate::config::OutputFlag,
    #[command(flatten)]
    pub rules: crate::config::RuleFlags,
    /// Also add what the replay did (per rule: found, shown, blocking, held, uptake) to the record
    /// `posthook stats` reads, under the project CLAUDE_PROJECT_DIR names. Without it a replay
    /// neither reads nor writes anything, so the same transcript always replays the same way.
    #[arg(long)]
    pub record: bool,
}

impl ReplayArgs {
    /// The hook-mode flags replay acts on: the output mode and the rules (nothing is stored, and
    /// replay has no time budget).
    pub(crate) fn flags(&self) -> crate::config::HookFlags {
        crate::config::HookFlags {
            out: self.out.clone(),
            rules: self.rules.clone(),
            ..crate::config::HookFlags::default()
        }
    }
}

/// The time budget replay and explain use: none to speak of. Hook mode's budget protects a live
/// session from a slow analyzer; in a replay, skipping analyzers under load would make the same
/// transcript give different answers from run to run.
pub(crate) const REPLAY_BUDGET: Duration = Duration::from_secs(60);

/// Why nothing was replayed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReplayError {
    /// The path holds no transcript.
    #[error("no .jsonl files under '{}'", .0.display())]
    NoFiles(PathBuf),
    /// The path, or a directory under it, could not be read.
    #[error("reading '{}': {source}", path.display())]
    List {
        /// The path given.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// A transcript could not be read (the message names it).
    #[error(transparent)]
    Read(std::io::Error),
}

/// Runs `posthook replay` with the effective configuration.
pub(crate) fn run(args: &ReplayArgs, resolved: &Resolved) -> Result<Outcome, ReplayError> {
    let c = &resolved.config;
    let files = transcript_files(&args.path).map_err(|source| ReplayError::List {
        path: args.path.clone(),
        source,
    })?;
    if files.is_empty() {
        return Err(ReplayError::NoFiles(args.path.clone()));
    }
    let root = args
        .project_dir
        .as_deref()
        .map(|p| p.to_string_lossy().into_owned());
    let r = replay(
        &files,
        c.settings(),
        c.output,
        REPLAY_BUDGET,
        0,
        root.as_deref(),
    )
    .map_err(ReplayError::Read)?;
    if args.record {
        record_replay(&r, resolved);
    }
    Ok(Outcome::text(if args.json {
        to_json(&r).to_string() + "\n"
    } else {
        safe_text(&to_text(&r, args.feedback_only))
    }))
}

/// Adds every analyzed step of `r` to the record in the configured state dir, now, under the
/// configured project.
fn record_replay(r: &Replay, resolved: &Resolved) {
    let Some(dir) = &resolved.config.state_dir else {
        return;
    };
    let project = crate::hook::options_from(resolved).project_dir;
    let now = std::time::SystemTime::now();
    let mut tally = crate::record::Tally::default();
    for step in &r.steps {
        tally.add(&crate::record::Call {
            project: project.as_deref(),
            now,
            elapsed: step
                .report
                .as_ref()
                .map_or(Duration::ZERO, |rep| rep.timings.total),
            report: step.report.as_ref(),
            fault: step.error.is_some().then_some(crate::record::Fault::Input),
            session: None,
        });
    }
    let _ = tally.write_logged(dir);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OutputMode;
    use posthook_analyzers::Settings;

    #[test]
    fn replays_a_small_transcript_with_state() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("s.jsonl");
        let mut text = String::new();
        for i in 0..3 {
            text.push_str(&format!(
                r#"{{"type":"assistant","sessionId":"s","message":{{"content":[{{"type":"tool_use","id":"t{i}","name":"Bash","input":{{"command":"rm -rf /"}}}}]}}}}"#
            ));
            text.push('\n');
            text.push_str(&format!(
                r#"{{"type":"user","sessionId":"s","cwd":"/p","timestamp":"2026-02-10T21:12:0{i}.000Z","message":{{"content":[{{"type":"tool_result","tool_use_id":"t{i}","content":"x"}}]}},"toolUseResult":{{"stdout":"","stderr":""}}}}"#
            ));
            text.push('\n');
        }
        text.push_str("{\"type\":\"something-new\"}\nnot json\n");
        std::fs::write(&p, text).expect("write");
        let r = replay(
            &[p],
            Settings::default(),
            OutputMode::Stderr,
            Duration::from_millis(40),
            1,
            None,
        )
        .expect("replay");
        // Each call is its own turn (no message ids): call, batch, call, batch, call, batch.
        let events: Vec<&str> = r.steps.iter().map(|s| s.event).collect();
        assert_eq!(
            events,
            ["PostToolUse", "PostToolBatch"].repeat(3),
            "one batch per assistant message"
        );
        assert_eq!(r.files[0].bad_lines, 1);
        let first = r.steps[0].report.as_ref().expect("analyzed");
        assert_eq!(
            first.feedback.as_ref().map(|f| f.rule.as_str()),
            Some("exec-safety")
        );
        assert_eq!(r.steps[0].exit_code, 2);
        assert_eq!(r.steps[4].ts_ms, 1_770_757_922_000);
        let last = r.steps[5].history.as_ref().expect("kept");
        assert_eq!(last.events_total, 3);
        assert_eq!(last.events.post_tool_batch, 3);
        assert!(r.steps[3].history.is_none());
        let v = to_json(&r);
        assert_eq!(v["events"], 6);
        assert_eq!(v["summary"]["calls"], 3);
        assert_eq!(v["summary"]["event_kinds"]["PostToolBatch"], 3);
        assert_eq!(v["steps"].as_array().map(Vec::len), Some(6));
        assert_eq!(v["summary"]["rules"]["exec-safety"]["found"], 3);
        let text = to_text(&r, false);
        assert!(text.contains("posthook [exec-safety]"), "{text}");
        assert!(
            text.contains("3 PostToolUse, 0 PostToolUseFailure, 3 PostToolBatch"),
            "{text}"
        );
    }
}
