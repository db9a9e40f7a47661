//! Replayed events explained one by one: per rule, whether its analyzer ran, whether the profile
//! or the config switched it off, what it found, and what the guidance provider did with it.

use super::{counters_json, guidance_lines, profile_reason, thresholds_of};
use crate::runtime::RunStatus;
use crate::tools::replay::verdict_text;
use crate::tools::replay::{self, Step};
use posthook_analyzers::builtin;
use posthook_analyzers::guidance::Verdict;
use posthook_analyzers::visible_controls;
use posthook_analyzers::{History, Settings};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// What happened to one rule on one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RuleStatus {
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
pub(crate) struct Explained {
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
                match (step.tool.as_str(), step.event) {
                    ("", "Stop" | "SubagentStop") => "the end of a turn",
                    ("", "PostCompact") => "a compaction",
                    ("", _) => "a turn's batch event",
                    (tool, _) => tool,
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
pub(crate) fn explain_step(step: &Step, settings: &Settings) -> Explained {
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

/// Renders explained steps as text.
pub(crate) fn steps_text(steps: &[Explained], settings: &Settings) -> String {
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
pub(crate) fn from_transcript(r: &replay::Replay, last: usize) -> Vec<Explained> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OutputMode;
    use posthook_analyzers::{Profile, Severity};
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
            uptake: Vec::new(),
            notice: None,
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
            None,
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
