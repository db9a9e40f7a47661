//! `posthook explain`: why each rule fired or stayed silent on the last events of a session.
//!
//! Two sources. A transcript (`--transcript FILE`) is replayed in memory ([`crate::replay`]) and the
//! last N events are explained one by one: per rule, whether its analyzer ran, whether the profile
//! or the config switched it off, what it found, and what the guidance provider did with it
//! (shown, held back by a cooldown, outranked), with the session's counters, the thresholds and the
//! escalation level at that point. A stored session (`SESSION_ID`) keeps only compact facts, never
//! the calls themselves, so it is explained from its counters and the guidance provider's memory:
//! which rules fired and were shown, what cooldown is running, the escalation level.

use crate::config::{fmt_num, known_thresholds, Resolved};
use crate::error::Outcome;
use crate::replay::{self, Step};
use crate::runtime::RunStatus;
use crate::session::{self, SessionError};
use crate::store::{Store, StoredSession};
use posthook_analyzers::builtin;
use posthook_analyzers::guidance::{cooldown, Verdict, MIN_SPACING, MUTE_AFTER};
use posthook_analyzers::visible_controls;
use posthook_analyzers::{History, Profile, Settings, Severity};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::{self, Write as _};
use std::path::PathBuf;

/// `posthook explain` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook explain --transcript ~/.claude/projects/-home-me-proj/5f1c2d4e-0a.jsonl --last 5
  posthook explain 5f1c2d4e-0a            # a stored session: counters, cooldowns, escalation
  posthook --profile hive explain --transcript session.jsonl --json")]
pub struct ExplainArgs {
    /// A stored session id (as in the hook payload's session_id).
    #[arg(required_unless_present = "transcript", conflicts_with = "transcript")]
    pub session_id: Option<String>,
    /// Replay this transcript and explain its last events instead.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// How many of the last events to explain.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub last: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Why there is nothing to explain.
#[derive(Debug)]
pub enum ExplainError {
    /// The transcript could not be read.
    Transcript(std::io::Error),
    /// The stored session could not be loaded.
    Session(SessionError),
}

impl fmt::Display for ExplainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplainError::Transcript(e) => write!(f, "reading transcript: {e}"),
            ExplainError::Session(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ExplainError {}

impl From<SessionError> for ExplainError {
    fn from(e: SessionError) -> ExplainError {
        ExplainError::Session(e)
    }
}

/// Runs `posthook explain` with the effective configuration: a transcript replayed in memory, or
/// a stored session from the state dir.
pub fn run(args: &ExplainArgs, resolved: &Resolved) -> Result<Outcome, ExplainError> {
    let c = &resolved.config;
    let settings = c.settings();
    if let Some(path) = &args.transcript {
        let r = replay::replay(
            std::slice::from_ref(path),
            settings.clone(),
            c.output,
            replay::REPLAY_BUDGET,
            // Each call may be followed by its turn's batch event.
            args.last.saturating_mul(2),
        )
        .map_err(ExplainError::Transcript)?;
        let steps = from_transcript(&r, args.last);
        return Ok(Outcome::text(if args.json {
            serde_json::to_string_pretty(&steps).unwrap_or_default() + "\n"
        } else {
            replay::safe_text(&steps_text(&steps, &settings))
        }));
    }
    let id = args.session_id.as_deref().unwrap_or_default();
    let store = Store::new(session::state_dir(resolved)?);
    let s = session::load(&store, id)?;
    Ok(Outcome::text(if args.json {
        serde_json::to_string_pretty(&stored_json(&s, &settings)).unwrap_or_default() + "\n"
    } else {
        replay::safe_text(&stored_text(&s, &settings, args.last))
    }))
}

/// What happened to one rule on one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleStatus {
    /// The rule id.
    pub rule: String,
    /// The analyzer that emits it.
    pub analyzer: String,
    /// Whether it fired on this event.
    pub fired: bool,
    /// Whether its finding was the message Claude saw.
    pub shown: bool,
    /// Why, in words.
    pub why: String,
}

/// One explained event.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// Position in the replay.
    pub n: usize,
    /// The hook event (`PostToolUse`, `PostToolUseFailure`, `PostToolBatch`).
    pub event: String,
    /// Tool.
    pub tool: String,
    /// Command, path or description.
    pub detail: String,
    /// Whether the call failed.
    pub failed: bool,
    /// The message, if one was shown.
    pub message: Option<String>,
    /// What the guidance provider decided, in words.
    pub outcome: String,
    /// Every built-in rule.
    pub rules: Vec<RuleStatus>,
    /// The session's counters after the event.
    pub counters: Value,
    /// Guidance state in words: calls since the last message, escalation, cooldowns.
    pub guidance: Vec<String>,
}

fn profile_reason(settings: &Settings, rule: &str) -> String {
    let family = builtin::family_of(rule);
    match settings.profile {
        Profile::Default => format!(
            "off: a hive rule (family {}), and the profile is default",
            family.as_str()
        ),
        Profile::Auto => format!(
            "off: a hive rule; profile auto turns it on once the session uses a tool of its \
             family ({}), and this one has not",
            family.as_str()
        ),
        Profile::Hive => String::from("off"),
    }
}

/// A guidance verdict in words.
pub fn verdict_text(v: &Verdict) -> String {
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
    }
}

fn thresholds_of(rule: &str, settings: &Settings) -> String {
    let prefix = format!("{rule}.");
    let parts: Vec<String> = known_thresholds()
        .into_iter()
        .filter(|(k, _, _)| k.starts_with(&prefix))
        .map(|(k, d, _)| {
            let v = settings.threshold(k, d);
            let name = k.trim_start_matches(&prefix);
            if (v - d).abs() > f64::EPSILON {
                format!("{name} {} (default {})", fmt_num(v), fmt_num(d))
            } else {
                format!("{name} {}", fmt_num(v))
            }
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" [thresholds: {}]", parts.join(", "))
    }
}

/// What happened to `rule` of analyzer `spec` on `step`, in words.
fn rule_status(
    step: &Step,
    spec: &builtin::Builtin,
    rule: &'static str,
    settings: &Settings,
    used: posthook_analyzers::Families,
) -> RuleStatus {
    let report = step.report.as_ref();
    let timing = report.and_then(|r| r.timings.analyzers.iter().find(|t| t.name == spec.name));
    let finding = report.and_then(|r| r.findings.iter().find(|f| f.rule == rule));
    let verdict = report.and_then(|r| r.verdicts.iter().find(|v| v.rule == rule));
    let why = if settings.disabled.contains(rule) {
        String::from("disabled by configuration")
    } else if !settings.rule_enabled(rule, used) {
        profile_reason(settings, rule)
    } else {
        match (timing.map(|t| t.status), finding) {
            (None, _) => format!(
                "not run: its analyzer applies to {}, not {}",
                spec.tools.describe(),
                if step.tool.is_empty() {
                    "a turn's batch event"
                } else {
                    step.tool.as_str()
                }
            ),
            (Some(RunStatus::SkippedBudget), _) => {
                String::from("not run: the time budget was used up before its turn")
            }
            (Some(RunStatus::Panicked), _) => {
                String::from("its analyzer panicked; findings dropped")
            }
            (Some(RunStatus::Ran), None) => String::from("ran: nothing found"),
            (Some(RunStatus::Ran), Some(f)) => {
                let head = format!(
                    "fired: {} (priority {}): {}",
                    f.severity.as_str(),
                    f.priority,
                    f.headline
                );
                match verdict {
                    Some(v) => format!("{head}; {}", verdict_text(&v.verdict)),
                    None => head,
                }
            }
        }
    };
    RuleStatus {
        rule: rule.to_string(),
        analyzer: spec.name.to_string(),
        fired: finding.is_some(),
        shown: verdict.is_some_and(|v| v.verdict == Verdict::Shown),
        why: format!("{why}{}", thresholds_of(rule, settings)),
    }
}

/// Explains one replayed step (it must carry its history).
pub fn explain_step(step: &Step, settings: &Settings) -> Explained {
    let empty = History::new();
    let history = step.history.as_ref().unwrap_or(&empty);
    let used = history.counters.families;
    let mut rules = Vec::new();
    let (outcome, message) = match (&step.report, &step.error) {
        (_, Some(e)) => (format!("payload not readable: {e}"), None),
        (None, None) => (String::from("not an event posthook records"), None),
        (Some(rep), None) => match &rep.feedback {
            Some(fb) => (
                format!(
                    "shown: {} ({}, {})",
                    fb.rule,
                    fb.severity.as_str(),
                    if fb.blocking {
                        "blocking: exit 2 in stderr mode"
                    } else {
                        "non-blocking context"
                    }
                ),
                Some(fb.text.clone()),
            ),
            None => (format!("silent: {}", replay::silence_text(rep)), None),
        },
    };
    for spec in builtin::registry() {
        for def in spec.rules {
            rules.push(rule_status(step, spec, def.id, settings, used));
        }
    }
    Explained {
        n: step.n,
        event: step.event.to_string(),
        tool: step.tool.clone(),
        detail: step.detail.clone(),
        failed: step.failed,
        message,
        outcome,
        rules,
        counters: counters_json(history),
        guidance: guidance_lines(
            step.history_before.as_ref().unwrap_or(&empty),
            history.events_total,
        ),
    }
}

fn counters_json(h: &History) -> Value {
    let mut v = serde_json::to_value(&h.counters).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("per_tool");
    }
    v["events_total"] = json!(h.events_total);
    v
}

/// The guidance provider's state in words, as the call numbered `now` meets it (`h` is the history
/// before that call): calls since the last message, escalation, the cooldown of each severity,
/// and each rule's memory.
pub fn guidance_lines(h: &History, now: u64) -> Vec<String> {
    let g = &h.guidance;
    let mut out = Vec::new();
    let since = if g.last_shown_at == 0 {
        None
    } else {
        Some(now.saturating_sub(g.last_shown_at))
    };
    match (since, &g.last_rule) {
        (Some(s), Some(rule)) => out.push(format!(
            "going in: last message {rule} at call {}, {s} call(s) before call {now}",
            g.last_shown_at
        )),
        _ => out.push(format!("going in: no message shown before call {now}")),
    }
    let cds: Vec<String> = [Severity::Minor, Severity::Moderate, Severity::Major]
        .into_iter()
        .map(|s| format!("{} {}", s.as_str(), cooldown(s)))
        .collect();
    out.push(format!(
        "cooldowns per rule and subject, in calls: {} (doubled for each ignored notice; muted \
         after {MUTE_AFTER}); critical findings and confirmed loops always pass",
        cds.join(", ")
    ));
    for (key, m) in &g.subjects {
        let state = if m.ignored >= MUTE_AFTER {
            String::from("muted")
        } else if m.shown > 0 {
            match m.cooldown_left(now) {
                0 => String::from("open"),
                left => format!("cooldown, {left} call(s) to go"),
            }
        } else {
            String::from("never shown")
        };
        out.push(format!(
            "{key}: fired {}, shown {}, ignored {}; {state}",
            m.fired, m.shown, m.ignored
        ));
    }
    out
}

/// Renders explained steps as text.
pub fn steps_text(steps: &[Explained], settings: &Settings) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "profile {}{}",
        settings.profile.as_str(),
        if settings.disabled.is_empty() {
            String::new()
        } else {
            format!(
                ", disabled: {}",
                settings
                    .disabled
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    for e in steps {
        let _ = writeln!(
            out,
            "\n#{} {} {} {}{}",
            e.n,
            e.event,
            visible_controls(&e.tool),
            visible_controls(&e.detail),
            if e.failed { " (failed)" } else { "" }
        );
        let _ = writeln!(out, "  {}", e.outcome);
        if let Some(m) = &e.message {
            for line in m.lines() {
                let _ = writeln!(out, "    | {line}");
            }
        }
        let _ = writeln!(out, "  rules:");
        for r in &e.rules {
            let _ = writeln!(out, "    {:<22} {}", r.rule, r.why);
        }
        let counters: Vec<String> = e
            .counters
            .as_object()
            .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
            .unwrap_or_default();
        let _ = writeln!(out, "  counters: {}", counters.join(", "));
        for g in &e.guidance {
            let _ = writeln!(out, "  {g}");
        }
    }
    out
}

/// Explains the last `last` calls of a transcript (batch events record turns and say nothing, so
/// they are not listed). Replay with `keep_last` at least `2 * last` so each has its history.
pub fn from_transcript(r: &replay::Replay, last: usize) -> Vec<Explained> {
    let calls: Vec<&Step> = r
        .steps
        .iter()
        .filter(|s| s.event != "PostToolBatch")
        .collect();
    let skip = calls.len().saturating_sub(last);
    calls[skip..]
        .iter()
        .map(|s| explain_step(s, &r.settings))
        .collect()
}

/// Explains a stored session from its compact state.
pub fn stored_text(s: &StoredSession, settings: &Settings, last: usize) -> String {
    let h = &s.history;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "session {} ({} events; state {})",
        visible_controls(&s.session_id),
        h.events_total,
        s.path.display()
    );
    let _ = writeln!(
        out,
        "The store keeps compact facts, not the calls: this explains the state the next call will \
         meet. For a call-by-call account, replay the transcript: posthook explain --transcript \
         FILE"
    );
    let _ = writeln!(
        out,
        "\nlast {} call(s), oldest first:",
        last.min(h.recent.len())
    );
    let skip = h.recent.len().saturating_sub(last);
    let first_n = h.events_total - h.recent.len() as u64;
    for (i, f) in h.recent.iter().enumerate().skip(skip) {
        let detail = f.cmd.as_deref().or(f.path.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "  #{:<5} {:<12} {:<4} {}",
            first_n + i as u64 + 1,
            visible_controls(&f.tool),
            if f.ok { "ok" } else { "FAIL" },
            visible_controls(detail)
        );
    }
    let c = counters_json(h);
    let counters: Vec<String> = c
        .as_object()
        .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    let _ = writeln!(out, "\ncounters: {}", counters.join(", "));
    let _ = writeln!(
        out,
        "guidance, as the next call (call {}) will meet it:",
        h.events_total + 1
    );
    for g in guidance_lines(h, h.events_total + 1) {
        let _ = writeln!(out, "  {g}");
    }
    let _ = writeln!(out, "rules (profile {}):", settings.profile.as_str());
    for rule in builtin::rule_ids() {
        let (fired, shown) = rule_totals(h, rule);
        let state = if settings.disabled.contains(rule) {
            String::from("disabled by configuration")
        } else if !settings.rule_enabled(rule, h.counters.families) {
            profile_reason(settings, rule)
        } else if fired == 0 {
            String::from("on; has not fired in this session")
        } else {
            format!("on; fired {fired} time(s), shown {shown}")
        };
        let _ = writeln!(out, "  {rule:<22} {state}{}", thresholds_of(rule, settings));
    }
    out
}

/// How often `rule` fired and was shown in the session, over all its subjects.
fn rule_totals(h: &History, rule: &str) -> (u32, u32) {
    h.guidance
        .subjects
        .iter()
        .filter(|(k, _)| {
            k.as_str() == rule || k.strip_prefix(rule).is_some_and(|r| r.starts_with(' '))
        })
        .fold((0, 0), |(f, s), (_, m)| (f + m.fired, s + m.shown))
}

/// A stored session as JSON.
pub fn stored_json(s: &StoredSession, settings: &Settings) -> Value {
    let h = &s.history;
    let rules: Vec<Value> = builtin::rule_ids()
        .into_iter()
        .map(|rule| {
            let subjects: serde_json::Map<String, Value> = h
                .guidance
                .subjects
                .iter()
                .filter(|(k, _)| {
                    k.as_str() == rule || k.strip_prefix(rule).is_some_and(|r| r.starts_with(' '))
                })
                .map(|(k, m)| (k.clone(), json!(m)))
                .collect();
            json!({
                "rule": rule,
                "enabled": settings.rule_enabled(rule, h.counters.families),
                "subjects": subjects,
            })
        })
        .collect();
    json!({
        "session_id": s.session_id,
        "events_total": h.events_total,
        "counters": counters_json(h),
        "guidance": guidance_lines(h, h.events_total + 1),
        "rules": rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OutputMode;
    use std::time::Duration;

    #[test]
    fn explain_prints_the_providers_own_verdicts() {
        use crate::runtime::{AnalyzerTiming, Report, Timings};
        use posthook_analyzers::guidance::{Escalation, Feedback, RuleVerdict};
        use posthook_analyzers::Finding;
        let ran = |rule: &str| AnalyzerTiming {
            name: builtin::analyzer_of(rule).expect("a built-in rule").name,
            elapsed: Duration::ZERO,
            findings: 1,
            status: RunStatus::Ran,
        };
        let verdict = |rule: &str, v: Verdict| RuleVerdict {
            rule: rule.into(),
            subject: String::new(),
            verdict: v,
        };
        let mut before = History::new();
        before.events_total = 9;
        let mut after = before.clone();
        after.events_total = 10;
        let report = Report {
            feedback: Some(Feedback {
                rule: "memory-coordination".into(),
                severity: Severity::Moderate,
                escalation: Escalation::Gentle,
                blocking: false,
                text: "posthook [memory-coordination] x".into(),
            }),
            silence: None,
            findings: vec![
                Finding::new("native-overuse", Severity::Major, 70).headline("a"),
                Finding::new("memory-coordination", Severity::Moderate, 50).headline("b"),
                Finding::new("workflow-pattern", Severity::Moderate, 45).headline("c"),
            ],
            verdicts: vec![
                verdict(
                    "native-overuse",
                    Verdict::Cooldown {
                        since: 1,
                        needed: 8,
                    },
                ),
                verdict("memory-coordination", Verdict::Shown),
                verdict(
                    "workflow-pattern",
                    Verdict::Outranked {
                        by: "memory-coordination".into(),
                    },
                ),
            ],
            timings: Timings {
                analyzers: vec![
                    ran("native-overuse"),
                    ran("memory-coordination"),
                    ran("workflow-pattern"),
                ],
                ..Timings::default()
            },
            events_total: 10,
        };
        let step = Step {
            n: 10,
            file: 0,
            session_id: "s".into(),
            event: "PostToolUse",
            agent_id: None,
            ts_ms: 0,
            tool: "Read".into(),
            tool_use_id: None,
            failed: false,
            detail: String::new(),
            report: Some(report),
            error: None,
            exit_code: 0,
            history: Some(after),
            history_before: Some(before),
        };
        let e = explain_step(&step, &Settings::with_profile(Profile::Hive));
        let why = |rule: &str| {
            e.rules
                .iter()
                .find(|r| r.rule == rule)
                .map(|r| r.why.clone())
                .expect("listed")
        };
        assert!(
            why("native-overuse").contains("held back by its cooldown on this subject (1 of 8"),
            "{}",
            why("native-overuse")
        );
        assert!(why("memory-coordination").contains("; shown"));
        assert!(why("workflow-pattern").contains("outranked: memory-coordination was shown"));
        assert!(e
            .rules
            .iter()
            .find(|r| r.rule == "memory-coordination")
            .is_some_and(|r| r.shown));
    }

    #[test]
    fn explains_fired_silent_and_off_rules() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("s.jsonl");
        let mut text = String::new();
        for (i, cmd) in ["ls", "rm -rf /", "ls"].iter().enumerate() {
            text.push_str(&format!(
                "{{\"type\":\"assistant\",\"sessionId\":\"s\",\"message\":{{\"content\":[{{\"type\":\"tool_use\",\"id\":\"t{i}\",\"name\":\"Bash\",\"input\":{{\"command\":\"{cmd}\"}}}}]}}}}\n\
                 {{\"type\":\"user\",\"sessionId\":\"s\",\"timestamp\":\"2026-02-10T21:12:0{i}.000Z\",\"message\":{{\"content\":[{{\"type\":\"tool_result\",\"tool_use_id\":\"t{i}\",\"content\":\"\"}}]}},\"toolUseResult\":{{\"stdout\":\"\"}}}}\n"
            ));
        }
        std::fs::write(&p, text).expect("write");
        let r = replay::replay(
            &[p],
            Settings::default(),
            OutputMode::Stderr,
            Duration::from_secs(10),
            4,
        )
        .expect("replay");
        let ex = from_transcript(&r, 2);
        assert_eq!(ex.len(), 2);
        let rm = &ex[0];
        assert_eq!(rm.n, 3, "steps: call, turn, call, turn, call, turn");
        assert_eq!(rm.event, "PostToolUse");
        assert!(
            rm.outcome.starts_with("shown: exec-safety"),
            "{}",
            rm.outcome
        );
        let status = |e: &Explained, rule: &str| {
            e.rules
                .iter()
                .find(|r| r.rule == rule)
                .map(|r| r.why.clone())
                .expect("rule listed")
        };
        assert!(
            status(rm, "exec-safety").contains("; shown"),
            "{}",
            status(rm, "exec-safety")
        );
        assert!(status(rm, "native-overuse").starts_with("off: a hive rule"));
        assert!(status(&ex[1], "exec-safety").starts_with("ran: nothing found"));
        assert_eq!(
            ex[1].guidance[0],
            "going in: last message exec-safety at call 2, 1 call(s) before call 3"
        );
        assert_eq!(
            ex[0].guidance[0],
            "going in: no message shown before call 2"
        );
        let text = steps_text(&ex, &r.settings);
        assert!(text.contains("#5 PostToolUse Bash ls"), "{text}");
    }
}
