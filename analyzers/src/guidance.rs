//! The guidance provider: turns a call's findings into at most one message for Claude, and says
//! why every other finding was not shown.
//!
//! A wrong or repeated message is worse than silence: it teaches the model to ignore the right one.
//! So the provider backs off. Cooldowns and "ignored" are kept per rule and subject (the file, the
//! command head): advice that keeps firing after it was shown was ignored, gets a cooldown twice as
//! long each time, and is muted for that subject after the third time; a new subject starts fresh.
//! Only critical findings and confirmed loops block. A message that would name a tool the session
//! never used is not sent. The original's escalation (firmer wording, blocking after five unheeded
//! notices) is there for those who want it ([`crate::Settings::escalate`]).
//!
//! One job per file: `memory` (what is remembered per rule and subject: cooldowns, back-off,
//! muting), `stop` (the answer to the end of a turn), `grounding` (no tool the session never used), `choose` (every finding's verdict and
//! the one shown), `render` (the wording and its escalation), `verdict` (the provider's answer).
//! This file holds [`decide`], the entry, and what showing a message records.

mod choose;
mod grounding;
mod memory;
mod render;
mod stop;
mod verdict;

pub use choose::{MIN_SPACING, PROTOCOL_SPACING};
pub use grounding::ungrounded_tool;
pub use memory::{
    cooldown, cooldown_after, GuidanceState, SubjectMemory, MUTE_AFTER, SUBJECTS_CAPACITY,
};
pub use render::{Escalation, MAX_MESSAGE_CHARS};
pub use stop::decide_stop;
pub use verdict::{Decision, Feedback, RuleVerdict, Silence, Verdict};

use crate::{Finding, History, Settings, Severity, ToolCall};
use choose::{core_hash, judge};
use memory::{key, note_fired};
use render::render;

/// Chooses the message for this call, updating `history.guidance`. `findings` may be in any order.
///
/// The candidates are tried from the highest priority down (ties: higher severity); the first that
/// passes is shown, and every finding gets a [`Verdict`]:
/// - a critical finding or a confirmed loop always passes, and blocks;
/// - any other finding is held while its rule and subject's cooldown runs ([`cooldown_after`]:
///   minor 12, moderate 8, major 4 calls, doubled for each ignored notice), is muted after
///   [`MUTE_AFTER`] ignored notices, and waits [`MIN_SPACING`] calls after any other message
///   (danger findings, about the one call that just ran, do not wait); in the `auto` profile a
///   hive protocol rule also waits [`PROTOCOL_SPACING`] calls after the last protocol message;
/// - a finding whose text names a tool the session never used is never shown;
/// - the same text as the previous message is not sent again.
///
/// A finding counts as ignored when it fires again after it was shown (once per showing). With
/// `settings.escalate` nothing is muted, cooldowns do not grow, the wording escalates (reminder,
/// still unresolved, stop), and as in the original a major finding of priority 70 or more blocks,
/// and so does the fifth ignored notice.
pub fn decide(
    findings: &[Finding],
    call: &ToolCall,
    history: &mut History,
    settings: &Settings,
) -> Decision {
    let now = history.events_total;
    note_fired(&mut history.guidance, findings, now);
    let merged = danger_in_a_loop(findings);
    let findings = merged.as_deref().unwrap_or(findings);
    let (verdicts, chosen) = judge(findings, call, history, settings, now);
    let Some((best, ignored)) = chosen else {
        let silence =
            verdicts
                .iter()
                .find(|v| v.verdict != Verdict::Info)
                .map_or(Silence::NoFindings, |v| Silence::Held {
                    rule: v.rule.clone(),
                    subject: v.subject.clone(),
                    verdict: v.verdict.clone(),
                });
        return Decision {
            feedback: None,
            silence: Some(silence),
            verdicts,
        };
    };
    let feedback = show(best, ignored, call, history, settings, now);
    Decision {
        feedback: Some(feedback),
        silence: None,
        verdicts,
    }
}

/// A call that is dangerous (`--no-verify`, a force push) and also part of a loop is one message:
/// the danger is the headline (it is what must not happen again, and what a loop message would
/// bury), the loop its context, and it blocks when the loop would have. The loop finding stays in
/// the list, outranked, so its verdict still shows. `None` when there is no such pair.
fn danger_in_a_loop(findings: &[Finding]) -> Option<Vec<Finding>> {
    use crate::builtin::{rule_def, Kind};
    let kind = |f: &Finding| rule_def(&f.rule).map(|r| r.kind);
    let lp = findings.iter().find(|f| kind(f) == Some(Kind::Loop))?;
    let di = findings
        .iter()
        .position(|f| kind(f) == Some(Kind::Danger))?;
    let mut out = findings.to_vec();
    let d = &mut out[di];
    d.observed = format!("{} It is also part of a loop: {}.", d.observed, lp.headline);
    d.blocks |= lp.blocks;
    d.severity = d.severity.max(lp.severity);
    d.priority = d.priority.max(lp.priority) + 1;
    Some(out)
}

/// Records that `best` is shown now and renders it.
fn show(
    best: &Finding,
    ignored: u32,
    call: &ToolCall,
    history: &mut History,
    settings: &Settings,
    now: u64,
) -> Feedback {
    let escalation = if settings.escalate {
        Escalation::from_ignored(ignored)
    } else {
        Escalation::Gentle
    };
    let state = &mut history.guidance;
    if let Some(m) = state.subjects.get_mut(&key(&best.rule, &best.subject)) {
        m.shown += 1;
        m.shown_at = now;
        m.refired = false;
    }
    if crate::builtin::rule_def(&best.rule)
        .is_some_and(|r| r.kind == crate::builtin::Kind::Protocol)
    {
        state.last_protocol_at = now;
    }
    state.last_hash = core_hash(best);
    state.last_shown_at = now;
    state.last_rule = Some(best.rule.to_string());
    let text = render(best, escalation, ignored, settings.escalate, call, history);
    // The original also blocked every major finding of priority 70 or more.
    let blocking = best.severity == Severity::Critical
        || best.blocks
        || (settings.escalate
            && (escalation == Escalation::Emergency
                || (best.severity == Severity::Major && best.priority >= 70)));
    Feedback {
        rule: best.rule.to_string(),
        severity: best.severity,
        escalation,
        blocking,
        text,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    pub(super) fn finding(rule: &'static str, sev: Severity, prio: u32) -> Finding {
        Finding::new(rule, sev, prio)
            .headline("something")
            .observed("observed")
            .next_step("do this")
    }

    pub(super) fn on(rule: &'static str, subject: &str) -> Finding {
        finding(rule, Severity::Moderate, 40).subject(subject)
    }

    pub(super) struct Run {
        pub(super) h: History,
        pub(super) settings: Settings,
    }

    impl Run {
        pub(super) fn new() -> Run {
            Run {
                h: History::new(),
                settings: Settings::default(),
            }
        }

        pub(super) fn step(&mut self, findings: &[Finding]) -> Decision {
            let call = ToolCall::new(
                "Bash",
                json!({"command": format!("echo {}", self.h.events_total)}),
            );
            self.h.record(&call);
            decide(findings, &call, &mut self.h, &self.settings)
        }

        pub(super) fn verdict(&mut self, f: Finding) -> Verdict {
            self.step(&[f]).verdicts[0].verdict.clone()
        }
    }

    #[test]
    fn picks_highest_priority_and_says_why_for_the_rest() {
        let mut r = Run::new();
        let d = r.step(&[
            finding("a", Severity::Minor, 20),
            finding("b", Severity::Moderate, 40),
        ]);
        let fb = d.feedback.expect("shown");
        assert_eq!(fb.rule, "b");
        assert!(fb.text.starts_with("posthook [b] something"));
        assert!(!fb.blocking);
        assert_eq!(d.verdicts[0].verdict, Verdict::Shown);
        assert_eq!(d.verdicts[1].verdict, Verdict::Outranked { by: "b".into() });
    }

    #[test]
    fn only_critical_findings_and_confirmed_loops_block() {
        let mut r = Run::new();
        let d = r.step(&[finding("major", Severity::Major, 99)]);
        assert!(!d.feedback.expect("shown").blocking, "advice never blocks");
        let d = r.step(&[finding("exec-safety", Severity::Critical, 100)]);
        assert!(
            d.feedback.expect("shown").blocking,
            "critical passes spacing and blocks"
        );
        let d = r.step(&[finding("failure-loop", Severity::Major, 90).confirmed_loop()]);
        assert!(d.feedback.expect("shown").blocking);
        // Ignored major advice on every call never escalates to blocking by default.
        let mut r = Run::new();
        let shown: Vec<Feedback> = (0..200)
            .filter_map(|_| r.step(&[finding("m", Severity::Major, 80)]).feedback)
            .collect();
        assert!(shown
            .iter()
            .all(|f| !f.blocking && f.escalation == Escalation::Gentle));
        assert!(shown.len() <= 4, "backs off, then mutes: {}", shown.len());
    }

    #[test]
    fn silence_names_the_best_held_finding() {
        let mut r = Run::new();
        r.step(&[on("a", "s")]);
        let d = r.step(&[on("a", "s")]);
        assert_eq!(
            d.silence,
            Some(Silence::Held {
                rule: "a".into(),
                subject: "s".into(),
                verdict: Verdict::Cooldown {
                    since: 1,
                    needed: 16
                }
            })
        );
        assert_eq!(r.step(&[]).silence, Some(Silence::NoFindings));
    }

    #[test]
    fn a_dangerous_call_in_a_loop_leads_with_the_danger() {
        let mut run = Run::new();
        let danger = finding("danger", Severity::Major, 85)
            .subject("--no-verify")
            .headline("git commit skipped the checks (--no-verify)")
            .observed("`git commit --no-verify` bypassed the repository's hooks.");
        let lp = finding("failure-loop", Severity::Major, 90)
            .subject("`git commit`")
            .headline("`git commit` failed the same way 3 times in a row")
            .confirmed_loop();
        let d = run.step(&[lp, danger]);
        let fb = d.feedback.expect("a message");
        assert_eq!(fb.rule, "danger");
        assert!(fb.text.contains("skipped the checks"), "{}", fb.text);
        assert!(
            fb.text
                .contains("also part of a loop: `git commit` failed the same way 3 times"),
            "{}",
            fb.text
        );
        assert!(fb.blocking, "the loop was confirmed");
        assert!(d
            .verdicts
            .iter()
            .any(|v| v.rule == "failure-loop" && matches!(v.verdict, Verdict::Outranked { .. })));
        // Danger alone is said as it is, and does not block.
        let mut run = Run::new();
        let fb = run
            .step(&[finding("danger", Severity::Major, 85).headline("force push")])
            .feedback
            .expect("a message");
        assert!(!fb.text.contains("loop"), "{}", fb.text);
        assert!(!fb.blocking);
    }
}
