//! The answer to the end of a turn (`Stop`, `SubagentStop`): at most one message, never while
//! the model already goes on because of a stop hook, never twice for the same state.

use super::render::MAX_MESSAGE_CHARS;
use super::{Decision, Escalation, Feedback, RuleVerdict, Silence, Verdict};
use crate::text::{fnv1a64, truncate_chars};
use crate::{Finding, History, Settings, Severity, StopMode};
use std::fmt::Write as _;

/// Chooses the answer to a stop of `agent` (`None`: the main thread) from the stop analyzers'
/// `findings`, recording the state it blocks on in that scope's [`crate::Pending::blocked`].
///
/// - `hold` (why the stop is not judged: `stop_hook_active`, the model already going on because
///   a stop hook blocked; background tasks still running): nothing;
/// - informational findings (no check to ask for) are never shown;
/// - the best-ranked other finding is shown unless its state (its subject) is the one the
///   scope's last message was about; it blocks in [`StopMode::Block`], and in
///   [`StopMode::Advice`] goes to the user only.
pub fn decide_stop(
    findings: &[Finding],
    agent: Option<&str>,
    hold: Option<&str>,
    history: &mut History,
    settings: &Settings,
) -> Decision {
    let mut ranked: Vec<&Finding> = findings.iter().collect();
    ranked.sort_by_key(|f| std::cmp::Reverse((f.priority, f.severity.level())));
    let verdict = |f: &Finding, v: Verdict| RuleVerdict {
        rule: f.rule.to_string(),
        subject: f.subject.clone(),
        verdict: v,
    };
    let quiet = |reason: &str, verdicts: Vec<RuleVerdict>| Decision {
        feedback: None,
        silence: Some(Silence::Stop {
            reason: reason.to_string(),
        }),
        verdicts,
    };
    if let Some(why) = hold {
        return quiet(why, Vec::new());
    }
    let best = ranked
        .iter()
        .copied()
        .find(|f| f.severity != Severity::None);
    let info: Vec<RuleVerdict> = ranked
        .iter()
        .filter(|f| f.severity == Severity::None)
        .map(|f| verdict(f, Verdict::Info))
        .collect();
    let Some(best) = best else {
        let reason = ranked
            .first()
            .map_or("nothing unchecked", |f| f.headline.as_str());
        return quiet(reason, info);
    };
    if settings.stop == StopMode::Off {
        let mut v = vec![verdict(best, Verdict::Repeat)];
        v.extend(info);
        return quiet("stop checks are off", v);
    }
    let state = fnv1a64(best.subject.as_bytes()) | 1;
    let Some(pending) = history.pending_of_mut(agent) else {
        return quiet("the stream is not known", info);
    };
    if pending.blocked == state {
        let mut v = vec![verdict(best, Verdict::Repeat)];
        v.extend(info);
        return quiet("already said for this state", v);
    }
    pending.blocked = state;
    let mut verdicts = vec![verdict(best, Verdict::Shown)];
    for f in ranked.iter().filter(|f| !std::ptr::eq(**f, best)) {
        let v = if f.severity == Severity::None {
            Verdict::Info
        } else {
            Verdict::Outranked {
                by: best.rule.to_string(),
            }
        };
        verdicts.push(verdict(f, v));
    }
    Decision {
        feedback: Some(Feedback {
            rule: best.rule.to_string(),
            severity: best.severity,
            escalation: Escalation::Gentle,
            blocking: settings.stop == StopMode::Block,
            text: render_stop(best),
        }),
        silence: None,
        verdicts,
    }
}

/// A stop finding's message: the rule and headline, what was observed, the next step.
fn render_stop(f: &Finding) -> String {
    let mut s = String::with_capacity(384);
    let _ = write!(s, "posthook [{}] {}", f.rule, f.headline);
    if !f.observed.is_empty() {
        let _ = write!(s, "\n{}", f.observed);
    }
    if !f.next_step.is_empty() {
        let _ = write!(s, "\nNext: {}", f.next_step);
    }
    truncate_chars(&s, MAX_MESSAGE_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolCall;
    use serde_json::json;

    fn f(subject: &str) -> Finding {
        Finding::new("unchecked-stop", Severity::Moderate, 60)
            .subject(subject)
            .headline("h")
            .observed("o")
            .next_step("n")
    }

    #[test]
    fn once_per_state_never_when_active_advice_when_asked() {
        let mut h = History::new();
        let s = Settings::default();
        let d = decide_stop(&[f("turn:1")], None, Some("stop_hook_active"), &mut h, &s);
        assert!(d.feedback.is_none(), "stop_hook_active");
        assert_eq!(h.counters.pending.blocked, 0, "nothing recorded");
        let d = decide_stop(&[f("turn:1")], None, None, &mut h, &s);
        let fb = d.feedback.expect("blocks");
        assert!(fb.blocking);
        assert_eq!(fb.text, "posthook [unchecked-stop] h\no\nNext: n");
        let d = decide_stop(&[f("turn:1")], None, None, &mut h, &s);
        assert!(d.feedback.is_none(), "the same state twice");
        assert_eq!(d.verdicts[0].verdict, Verdict::Repeat);
        assert!(decide_stop(&[f("turn:2")], None, None, &mut h, &s)
            .feedback
            .is_some());
        let advice = Settings {
            stop: StopMode::Advice,
            ..Settings::default()
        };
        let fb = decide_stop(&[f("turn:3")], None, None, &mut h, &advice).feedback;
        assert!(!fb.expect("said").blocking);
        let off = Settings {
            stop: StopMode::Off,
            ..Settings::default()
        };
        assert!(decide_stop(&[f("turn:4")], None, None, &mut h, &off)
            .feedback
            .is_none());
        // A subagent's state is its own stream's.
        h.record(&ToolCall::new("Read", json!({"file_path": "/p/a"})).in_agent("a1"));
        assert!(decide_stop(&[f("turn:2")], Some("a1"), None, &mut h, &s)
            .feedback
            .is_some());
        assert!(decide_stop(&[f("turn:2")], Some("nope"), None, &mut h, &s)
            .feedback
            .is_none());
        let info =
            Finding::new("unchecked-stop", Severity::None, 0).headline("no check to ask for");
        let d = decide_stop(&[info], None, None, &mut h, &s);
        assert_eq!(
            d.silence,
            Some(Silence::Stop {
                reason: "no check to ask for".into()
            })
        );
    }
}
