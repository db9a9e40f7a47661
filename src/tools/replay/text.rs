//! The replay for the terminal: one line per step, its message indented below it, then the
//! summary.

use super::summary::{mean, micros, pct, summarize, Summary};
use super::{Replay, Step};
use crate::output::OutputMode;
use crate::runtime::Report;
use posthook_analyzers::guidance::{Silence, Verdict, MIN_SPACING};
use posthook_analyzers::truncate_chars;
use std::fmt::Write as _;
use std::time::Duration;

/// A report for the terminal with every control character of the data in it made visible.
pub(crate) fn safe_text(text: &str) -> String {
    posthook_analyzers::visible_controls_but_newlines(text).into_owned()
}

/// A short reason for a silence.
pub(crate) fn silence_text(report: &Report) -> String {
    match &report.silence {
        None | Some(Silence::NoFindings) => String::from("no findings"),
        Some(Silence::Stop { reason }) => format!("stop let through: {reason}"),
        Some(Silence::Turn { calls, rejected }) => format!(
            "turn recorded ({calls} call(s){})",
            if *rejected > 0 {
                format!(", {rejected} refused before they ran")
            } else {
                String::new()
            }
        ),
        Some(Silence::Held {
            rule,
            subject,
            verdict,
        }) => {
            let on = if subject.is_empty() {
                String::new()
            } else {
                format!(" on {}", truncate_chars(subject, 60))
            };
            format!("{rule}{on}: {}", verdict_text(verdict))
        }
    }
}

fn clock(ts_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ts_ms);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.get(11..19).unwrap_or("").to_string()
}

/// The replay as text: one line per step (feedback indented below it), then the summary.
pub(crate) fn to_text(r: &Replay, feedback_only: bool) -> String {
    let mut out = files_text(r);
    let multi = r.files.len() > 1;
    for step in &r.steps {
        let shown = step.report.as_ref().and_then(|rep| rep.feedback.as_ref());
        if feedback_only && shown.is_none() {
            continue;
        }
        step_text(r, step, multi, &mut out);
    }
    out.push_str(&summary_text(r));
    out
}

/// One line per transcript: its size, and a hint when it holds no tool uses.
fn files_text(r: &Replay) -> String {
    let mut out = String::new();
    for f in &r.files {
        let _ = writeln!(
            out,
            "{}: {} lines, {} tool uses, {} events{}",
            f.path.display(),
            f.lines,
            f.tool_uses,
            f.events,
            if f.bad_lines > 0 {
                format!(", {} unreadable lines skipped", f.bad_lines)
            } else {
                String::new()
            }
        );
        if f.tool_uses == 0 && f.lines > 0 {
            let _ = writeln!(
                out,
                "  (no tool_use blocks: not a Claude Code transcript? Transcripts live in \
                 ~/.claude/projects/<project>/<session>.jsonl)"
            );
        }
    }
    out
}

/// A step's status: the message it got, or why it got none.
fn step_status(r: &Replay, step: &Step) -> String {
    match (&step.report, &step.error) {
        (_, Some(e)) => format!("unreadable payload: {e}"),
        (Some(rep), None) => match &rep.feedback {
            Some(fb) => format!(
                "-> {} [{}] {}{}",
                fb.rule,
                fb.severity.as_str(),
                if fb.blocking {
                    "blocking, exit 2"
                } else {
                    "context"
                },
                if r.output == OutputMode::Json || r.output == OutputMode::Quiet {
                    format!(" (output {}: exit {})", r.output.as_str(), step.exit_code)
                } else {
                    String::new()
                }
            ),
            None => silence_text(rep),
        },
        (None, None) => String::from("not analyzed"),
    }
}

/// A step's line, and its message indented below it.
fn step_text(r: &Replay, step: &Step, multi: bool, out: &mut String) {
    let shown = step.report.as_ref().and_then(|rep| rep.feedback.as_ref());
    let status = step_status(r, step);
    let file = if multi {
        format!(
            " {}",
            r.files[step.file]
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        )
    } else {
        String::new()
    };
    let agent = step
        .agent_id
        .as_deref()
        .map(|a| {
            format!(
                " [agent {}]",
                posthook_analyzers::visible_controls(&truncate_chars(a, 12))
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{:>5} {}{file} {:<18} {:<15} {:<4} {:<60} {status}{agent}",
        step.n,
        clock(step.ts_ms),
        step.event,
        posthook_analyzers::visible_controls(&step.tool),
        match (step.event, step.failed) {
            ("PostToolBatch", _) => "turn",
            (_, true) => "FAIL",
            _ => "ok",
        },
        posthook_analyzers::visible_controls(&step.detail),
    );
    if let Some(fb) = shown {
        for line in fb.text.lines() {
            let _ = writeln!(out, "        | {line}");
        }
    }
}
/// The summary: events by kind, feedback, rules, analyzer timings.
fn summary_text(r: &Replay) -> String {
    let mut out = String::new();
    let s = summarize(r);
    let _ = writeln!(out, "\nsummary");
    counts_text(r, &s, &mut out);
    rules_text(&s, &mut out);
    analyzers_text(&s, &mut out);
    out
}

/// The summary's first lines: events by kind, feedback, failed calls, the profile.
fn counts_text(r: &Replay, s: &Summary, out: &mut String) {
    let tool_uses: usize = r.files.iter().map(|f| f.tool_uses).sum();
    let joined: usize = r.files.iter().map(|f| f.joined).sum();
    let _ = writeln!(
        out,
        "  events        {} replayed: {} PostToolUse, {} PostToolUseFailure, {} PostToolBatch, \
         {} Stop/SubagentStop, {} PostCompact \
         ({} tool uses in {} file(s); {} refused before they ran; {} without a result)",
        s.events,
        s.uses,
        s.failures,
        s.batches,
        s.stops,
        s.compactions,
        tool_uses,
        r.files.len(),
        s.refused,
        tool_uses.saturating_sub(joined)
    );
    let _ = writeln!(
        out,
        "  feedback      {} of {} calls ({:.1}%), {} blocking",
        s.with_feedback,
        s.calls,
        pct(s.with_feedback, s.calls),
        s.blocking
    );
    let _ = writeln!(
        out,
        "  failed calls  {}{}",
        s.failed_calls,
        if s.errors > 0 {
            format!(", {} unreadable payloads", s.errors)
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "  profile       {}", r.settings.profile.as_str());
}

/// The summary's table of rules: found, shown, blocking, and the uptake of the messages shown.
fn rules_text(s: &Summary, out: &mut String) {
    if s.rules.is_empty() {
        let _ = writeln!(out, "  rules         no findings");
    } else {
        let _ = writeln!(
            out,
            "  {:<24} {:>7} {:>7} {:>9} {:>7} {:>8} {:>7}",
            "rule", "found", "shown", "blocking", "heeded", "ignored", "uptake"
        );
        for (rule, c) in &s.rules {
            let uptake = crate::tools::stats::uptake_percent(c.heeded, c.ignored)
                .map_or_else(|| "-".to_string(), |p| format!("{p}%"));
            let _ = writeln!(
                out,
                "  {rule:<24} {:>7} {:>7} {:>9} {:>7} {:>8} {uptake:>7}",
                c.found, c.shown, c.blocking, c.heeded, c.ignored
            );
        }
    }
}

/// The summary's table of analyzer timings, and the whole pipeline's.
fn analyzers_text(s: &Summary, out: &mut String) {
    let _ = writeln!(
        out,
        "  {:<24} {:>7} {:>10} {:>10} {:>12}",
        "analyzer", "runs", "mean µs", "max µs", "1st run µs"
    );
    for (name, a) in &s.analyzers {
        let _ = writeln!(
            out,
            "  {name:<24} {:>7} {:>10.1} {:>10.1} {:>12.1}{}",
            a.runs,
            micros(a.mean_run()),
            micros(a.max),
            micros(a.first.unwrap_or_default()),
            if a.panics + a.skipped > 0 {
                format!("  ({} panicked, {} skipped by budget)", a.panics, a.skipped)
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        out,
        "  {:<24} {:>7} {:>10.1} {:>10.1}   (mean and max over all calls)",
        "whole pipeline",
        s.events - s.errors,
        micros(mean(
            s.pipeline_total,
            (s.events - s.errors).try_into().unwrap_or(0)
        )),
        micros(s.pipeline_max)
    );
}
/// A guidance verdict in words.
pub(crate) fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Shown => String::from("shown"),
        Verdict::Cooldown { since, needed } => format!(
            "held back by its cooldown on this subject ({since} of {needed} calls; longer each \
             time it is ignored)"
        ),
        Verdict::Muted { ignored } => {
            format!("muted for this subject: ignored {ignored} times (a new subject starts fresh)")
        }
        Verdict::Spacing { since } => format!(
            "held back: another message went out {since} call(s) ago (at least {MIN_SPACING} \
             between messages)"
        ),
        Verdict::Ungrounded { tool } => {
            format!("not sent: it would name {tool}, which this session never used")
        }
        Verdict::Repeat => String::from("held back: the same text as the previous message"),
        Verdict::Outranked { by } => format!("outranked: {by} was shown"),
        Verdict::Info => String::from("informational, never shown on its own"),
        Verdict::Quieted => String::from(
            "quieted in this project: its messages were rarely acted on (learned_backoff)",
        ),
    }
}
