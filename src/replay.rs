//! `posthook replay`: what posthook would have told Claude in real, recorded sessions.
//!
//! Rebuilds the events the live client would have sent for transcripts
//! ([`crate::transcript::live_events_from_file`]: PostToolUse, PostToolUseFailure, PostToolBatch,
//! subagent calls with their agent id), runs them through the same pipeline as hook mode with a
//! temporary in-memory state (one [`History`] per session id, timestamps from the transcript), and
//! reports every step and a summary: events by kind, feedback rate, per-rule counts, per-analyzer
//! timing. Nothing is read from or written to the session store.

use crate::input;
use crate::output::{self, OutputMode};
use crate::runtime::{Report, RunStatus, Runtime};
use crate::transcript::{self, LiveEvent, LiveKind, TranscriptStats};
use posthook_analyzers::guidance::Silence;
use posthook_analyzers::{truncate_chars, History, Settings, ToolCall};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `posthook replay` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook replay ~/.claude/projects/-home-me-myproject/5f1c2d4e-0a.jsonl
  posthook replay ~/.claude/projects/-home-me-myproject/        # every session, subagents included
  posthook --profile hive replay session.jsonl --json | jq '.summary'

The effective configuration applies (profile, disabled rules, thresholds, output mode); global flags
such as --profile and --disable override it for the replay. Every analyzer runs to the end (no time
budget), so a replay gives the same answers on a busy machine. Nothing is stored.")]
pub struct ReplayArgs {
    /// A transcript (.jsonl) or a directory searched recursively for them.
    pub path: PathBuf,
    /// Print one JSON object: `events` (number replayed), `steps` (one per event), `files`,
    /// `summary`.
    #[arg(long)]
    pub json: bool,
    /// Text mode: print only the steps with feedback (the summary always follows).
    #[arg(long)]
    pub feedback_only: bool,
}

/// The time budget replay and explain use: none to speak of. Hook mode's budget protects a live
/// session from a slow analyzer; in a replay, skipping analyzers under load would make the same
/// transcript give different answers from run to run.
pub const REPLAY_BUDGET: Duration = Duration::from_secs(60);

/// A transcript that was replayed.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    /// Its path.
    pub path: PathBuf,
    /// Lines read.
    pub lines: usize,
    /// Lines that were not JSON objects (skipped).
    pub bad_lines: usize,
    /// `tool_use` blocks seen.
    pub tool_uses: usize,
    /// Events rebuilt (per-call events and batches).
    pub events: usize,
    /// Tool uses with a result.
    pub joined: usize,
}

/// One replayed event.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based position in the replay.
    pub n: usize,
    /// Index into [`Replay::files`].
    pub file: usize,
    /// The session the event belongs to.
    pub session_id: String,
    /// The hook event: `PostToolUse`, `PostToolUseFailure` or `PostToolBatch`.
    pub event: &'static str,
    /// The subagent, for calls made inside one.
    pub agent_id: Option<String>,
    /// Time stamp used, ms since the epoch.
    pub ts_ms: u64,
    /// The tool.
    pub tool: String,
    /// The tool use id from the transcript.
    pub tool_use_id: Option<String>,
    /// Whether the tool call failed.
    pub failed: bool,
    /// The command, path or description, cut short.
    pub detail: String,
    /// What the pipeline made of it; `None` when the payload could not be parsed (`error`).
    pub report: Option<Report>,
    /// Why the payload could not be parsed.
    pub error: Option<String>,
    /// Exit code the hook would have used.
    pub exit_code: u8,
    /// The session's history right after this step (kept only for the last steps; see
    /// [`replay`]'s `keep_last`).
    pub history: Option<History>,
    /// The session's history right before this step (kept like `history`).
    pub history_before: Option<History>,
}

/// The result of a replay.
pub struct Replay {
    /// The transcripts, in the order given.
    pub files: Vec<FileSummary>,
    /// Every event, in the order the hook would have seen them.
    pub steps: Vec<Step>,
    /// The settings used.
    pub settings: Settings,
    /// The output mode used for exit codes.
    pub output: OutputMode,
}

/// The `.jsonl` files at `path`: the file itself, or every one under a directory (sorted).
pub fn transcript_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // Read it to surface "not found" with the path.
        std::fs::metadata(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn detail(call: &ToolCall) -> String {
    let d = call
        .command()
        .or_else(|| call.path())
        .or_else(|| call.str_field("description"))
        .or_else(|| call.str_field("pattern"))
        .or_else(|| call.str_field("url"))
        .or_else(|| call.str_field("query"))
        .unwrap_or("");
    let line = d.lines().next().unwrap_or("");
    truncate_chars(line.trim(), 60).into_owned()
}

/// Replays `files` with `settings`. The history after each of the last `keep_last` steps is kept
/// in [`Step::history`] (for `explain`). `budget` is the analyzers' time budget per call: pass
/// [`REPLAY_BUDGET`] so results do not depend on how loaded the machine is.
pub fn replay(
    files: &[PathBuf],
    settings: Settings,
    output_mode: OutputMode,
    budget: Duration,
    keep_last: usize,
) -> std::io::Result<Replay> {
    let (summaries, events) = read_all(files)?;
    let runtime = Runtime::builder()
        .settings(settings.clone())
        .budget(budget)
        .build();
    let mut histories: HashMap<String, History> = HashMap::new();
    let mut last_ts = 0;
    let total = events.len();
    let mut steps = Vec::with_capacity(total);
    for (i, (fi, ev)) in events.into_iter().enumerate() {
        // Monotonic, as a live hook's clock is.
        let ts = ev.ts_ms.unwrap_or(last_ts).max(last_ts);
        last_ts = ts;
        let cwd = ev
            .payload
            .get("cwd")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let bytes = serde_json::to_vec(&ev.payload).unwrap_or_default();
        let text = |k: &str| ev.payload.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut step = Step {
            n: i + 1,
            file: fi,
            session_id: String::new(),
            event: match ev.kind {
                LiveKind::Use => "PostToolUse",
                LiveKind::Failure => "PostToolUseFailure",
                LiveKind::Batch => "PostToolBatch",
            },
            agent_id: text("agent_id"),
            ts_ms: ts,
            tool: text("tool_name").unwrap_or_default(),
            tool_use_id: text("tool_use_id"),
            failed: false,
            detail: String::new(),
            report: None,
            error: None,
            exit_code: 0,
            history: None,
            history_before: None,
        };
        match input::parse(&bytes, ts, cwd.as_deref()) {
            Ok(hook_input) => {
                let history = histories.entry(hook_input.session_id.clone()).or_default();
                let keep = i + keep_last >= total;
                if keep {
                    step.history_before = Some(history.clone());
                }
                if let Some(report) = runtime.process_event(&hook_input, history) {
                    step.exit_code =
                        output::render(report.feedback.as_ref(), output_mode, &hook_input.event)
                            .code;
                    step.report = Some(report);
                }
                if let Some(call) = &hook_input.call {
                    step.failed = call.failed;
                    step.detail = detail(call);
                } else if let Some(b) = &hook_input.batch {
                    step.detail = format!("turn of {}", plural(b.ids.len(), "call"));
                }
                if keep {
                    step.history = Some(history.clone());
                }
                step.session_id = hook_input.session_id;
            }
            Err(e) => step.error = Some(e.to_string()),
        }
        steps.push(step);
    }
    Ok(Replay {
        files: summaries,
        steps,
        settings,
        output: output_mode,
    })
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A live event and the index of the file it came from.
type FileEvent = (usize, LiveEvent);

/// The live events of every file, interleaved by time when there are several (a session and its
/// subagents, as the hook saw them; the sort is stable, so a turn's batch stays after its calls).
fn read_all(files: &[PathBuf]) -> std::io::Result<(Vec<FileSummary>, Vec<FileEvent>)> {
    let mut summaries = Vec::new();
    let mut events = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let (evs, stats): (_, TranscriptStats) = transcript::live_events_from_file(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        summaries.push(FileSummary {
            path: path.clone(),
            lines: stats.lines,
            bad_lines: stats.bad_lines,
            tool_uses: stats.tool_uses,
            events: evs.len(),
            joined: stats.joined,
        });
        events.extend(evs.into_iter().map(|e| (fi, e)));
    }
    if files.len() > 1 {
        events.sort_by_key(|(_, e)| e.ts_ms.unwrap_or(0));
    }
    Ok((summaries, events))
}

/// A short reason for a silence.
pub fn silence_text(report: &Report) -> String {
    match &report.silence {
        None | Some(Silence::NoFindings) => String::from("no findings"),
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
            format!("{rule}{on}: {}", crate::explain::verdict_text(verdict))
        }
    }
}

#[derive(Default)]
struct RuleCount {
    found: u64,
    shown: u64,
    blocking: u64,
}

/// Timing of one analyzer over a replay. The first run includes building the analyzer (compiling
/// its patterns), which a hook process pays once per call but a replay only once: it is kept apart
/// so the mean says what a run costs once built.
#[derive(Default)]
struct AnalyzerStat {
    runs: u64,
    first: Option<Duration>,
    total: Duration,
    max: Duration,
    panics: u64,
    skipped: u64,
}

struct Summary {
    events: usize,
    /// Per-call events (PostToolUse + PostToolUseFailure): what the feedback rate is over.
    calls: usize,
    uses: usize,
    failures: usize,
    batches: usize,
    refused: usize,
    with_feedback: usize,
    blocking: usize,
    failed_calls: usize,
    errors: usize,
    rules: BTreeMap<String, RuleCount>,
    analyzers: BTreeMap<&'static str, AnalyzerStat>,
    pipeline_total: Duration,
    pipeline_max: Duration,
}

fn summarize(r: &Replay) -> Summary {
    let mut s = Summary {
        events: r.steps.len(),
        calls: 0,
        uses: 0,
        failures: 0,
        batches: 0,
        refused: 0,
        with_feedback: 0,
        blocking: 0,
        failed_calls: 0,
        errors: 0,
        rules: BTreeMap::new(),
        analyzers: BTreeMap::new(),
        pipeline_total: Duration::ZERO,
        pipeline_max: Duration::ZERO,
    };
    s.calls = r
        .steps
        .iter()
        .filter(|st| st.event != "PostToolBatch")
        .count();
    for step in &r.steps {
        if step.error.is_some() {
            s.errors += 1;
        }
        if step.failed {
            s.failed_calls += 1;
        }
        match step.event {
            "PostToolUse" => s.uses += 1,
            "PostToolUseFailure" => s.failures += 1,
            _ => s.batches += 1,
        }
        let Some(rep) = &step.report else { continue };
        if let Some(Silence::Turn { rejected, .. }) = &rep.silence {
            s.refused += rejected;
        }
        s.pipeline_total += rep.timings.total;
        s.pipeline_max = s.pipeline_max.max(rep.timings.total);
        for f in &rep.findings {
            s.rules.entry(f.rule.to_string()).or_default().found += 1;
        }
        if let Some(fb) = &rep.feedback {
            s.with_feedback += 1;
            let c = s.rules.entry(fb.rule.clone()).or_default();
            c.shown += 1;
            if fb.blocking {
                s.blocking += 1;
                c.blocking += 1;
            }
        }
        for t in &rep.timings.analyzers {
            let a = s.analyzers.entry(t.name).or_default();
            match t.status {
                RunStatus::Ran => {
                    a.runs += 1;
                    if a.first.is_none() {
                        a.first = Some(t.elapsed);
                    } else {
                        a.total += t.elapsed;
                        a.max = a.max.max(t.elapsed);
                    }
                }
                RunStatus::Panicked => a.panics += 1,
                RunStatus::SkippedBudget => a.skipped += 1,
            }
        }
    }
    s
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mean(total: Duration, n: u64) -> Duration {
    if n == 0 {
        Duration::ZERO
    } else {
        total / u32::try_from(n).unwrap_or(u32::MAX)
    }
}

fn clock(ts_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(ts_ms);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.get(11..19).unwrap_or("").to_string()
}

/// The replay as text: one line per step (feedback indented below it), then the summary.
pub fn to_text(r: &Replay, feedback_only: bool) -> String {
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
    let tool_uses: usize = r.files.iter().map(|f| f.tool_uses).sum();
    let joined: usize = r.files.iter().map(|f| f.joined).sum();
    let _ = writeln!(
        out,
        "  events        {} replayed: {} PostToolUse, {} PostToolUseFailure, {} PostToolBatch \
         ({} tool uses in {} file(s); {} refused before they ran; {} without a result)",
        s.events,
        s.uses,
        s.failures,
        s.batches,
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
    if s.rules.is_empty() {
        let _ = writeln!(out, "  rules         no findings");
    } else {
        let _ = writeln!(
            out,
            "  {:<24} {:>7} {:>7} {:>9}",
            "rule", "found", "shown", "blocking"
        );
        for (rule, c) in &s.rules {
            let _ = writeln!(
                out,
                "  {rule:<24} {:>7} {:>7} {:>9}",
                c.found, c.shown, c.blocking
            );
        }
    }
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
            micros(mean(a.total, a.runs.saturating_sub(1))),
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
    out
}

/// The replay as one JSON object: `events`, `files`, `steps`, `summary`.
pub fn to_json(r: &Replay) -> Value {
    let steps: Vec<Value> = r
        .steps
        .iter()
        .map(|s| {
            let mut v = json!({
                "n": s.n,
                "file": r.files[s.file].path,
                "session_id": s.session_id,
                "event": s.event,
                "agent_id": s.agent_id,
                "ts_ms": s.ts_ms,
                "tool": s.tool,
                "tool_use_id": s.tool_use_id,
                "failed": s.failed,
                "detail": s.detail,
                "exit_code": s.exit_code,
            });
            if let Some(e) = &s.error {
                v["error"] = json!(e);
            }
            if let Some(rep) = &s.report {
                v["feedback"] = json!(rep.feedback);
                v["silence"] = json!(rep.silence);
                v["findings"] = json!(rep
                    .findings
                    .iter()
                    .map(|f| json!({"rule": f.rule, "severity": f.severity, "priority": f.priority, "headline": f.headline}))
                    .collect::<Vec<_>>());
                v["total_ns"] = json!(u64::try_from(rep.timings.total.as_nanos()).unwrap_or(u64::MAX));
            }
            v
        })
        .collect();
    let s = summarize(r);
    let rules: serde_json::Map<String, Value> = s
        .rules
        .iter()
        .map(|(k, c)| {
            (
                k.clone(),
                json!({"found": c.found, "shown": c.shown, "blocking": c.blocking}),
            )
        })
        .collect();
    let analyzers: serde_json::Map<String, Value> = s
        .analyzers
        .iter()
        .map(|(k, a)| {
            (
                (*k).to_string(),
                json!({
                    "runs": a.runs,
                    "mean_ns": u64::try_from(mean(a.total, a.runs.saturating_sub(1)).as_nanos()).unwrap_or(u64::MAX),
                    "max_ns": u64::try_from(a.max.as_nanos()).unwrap_or(u64::MAX),
                    "first_run_ns": u64::try_from(a.first.unwrap_or_default().as_nanos()).unwrap_or(u64::MAX),
                    "panicked": a.panics,
                    "skipped_budget": a.skipped,
                }),
            )
        })
        .collect();
    json!({
        "events": s.events,
        "files": r.files,
        "profile": r.settings.profile.as_str(),
        "steps": steps,
        "summary": {
            "events": s.events,
            "calls": s.calls,
            "event_kinds": {
                "PostToolUse": s.uses,
                "PostToolUseFailure": s.failures,
                "PostToolBatch": s.batches,
                "refused": s.refused,
            },
            "feedback": s.with_feedback,
            "feedback_rate": pct(s.with_feedback, s.calls) / 100.0,
            "blocking": s.blocking,
            "failed_calls": s.failed_calls,
            "unreadable_payloads": s.errors,
            "rules": rules,
            "analyzers": analyzers,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
