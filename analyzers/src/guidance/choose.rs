//! Choosing: every finding's verdict, best-ranked first, and the one that passes its gates
//! (cooldown, muting, spacing, grounding, repeats).

use super::{cooldown, cooldown_after, ungrounded_tool, RuleVerdict, Verdict, MUTE_AFTER};
use crate::text::fnv1a64;
use crate::{Finding, History, Settings, Severity, ToolCall};

/// Calls between two messages that are neither critical nor a confirmed loop.
pub const MIN_SPACING: u64 = 2;

/// In the `auto` profile, calls between two messages of the hive protocol rules: a session's own
/// coordination protocol deserves a remark now and then, not a running commentary.
pub const PROTOCOL_SPACING: u64 = 25;

/// Every finding's verdict, best-ranked first, and the one to show with its ignored count.
pub(super) fn judge<'f>(
    findings: &'f [Finding],
    call: &ToolCall,
    history: &History,
    settings: &Settings,
    now: u64,
) -> (Vec<RuleVerdict>, Option<(&'f Finding, u32)>) {
    let mut order: Vec<&Finding> = findings.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse((f.priority, f.severity)));
    let since_any = if history.guidance.last_shown_at == 0 {
        u64::MAX
    } else {
        now.saturating_sub(history.guidance.last_shown_at)
    };
    let mut verdicts = Vec::with_capacity(order.len());
    let mut chosen: Option<(&Finding, u32)> = None;
    for f in order {
        let verdict = match chosen {
            Some((best, _)) => Verdict::Outranked {
                by: best.rule.to_string(),
            },
            None => gate(f, call, history, settings, now, since_any),
        };
        if verdict == Verdict::Shown {
            let ignored = history
                .guidance
                .memory(&f.rule, &f.subject)
                .map_or(0, |m| m.ignored);
            chosen = Some((f, ignored));
        }
        verdicts.push(RuleVerdict {
            rule: f.rule.to_string(),
            subject: f.subject.clone(),
            verdict,
        });
    }
    (verdicts, chosen)
}

fn gate(
    f: &Finding,
    call: &ToolCall,
    history: &History,
    settings: &Settings,
    now: u64,
    since_any: u64,
) -> Verdict {
    if f.severity == Severity::None {
        return Verdict::Info;
    }
    let text = format!("{}\n{}\n{}", f.headline, f.observed, f.next_step);
    if let Some(tool) = ungrounded_tool(&text, history) {
        return Verdict::Ungrounded { tool };
    }
    let _ = call;
    let urgent = f.severity == Severity::Critical || f.blocks;
    let m = history
        .guidance
        .memory(&f.rule, &f.subject)
        .cloned()
        .unwrap_or_default();
    if !urgent {
        let quiet = settings.quieted.get(&*f.rule).copied();
        if quiet == Some(crate::Quiet::Off) {
            return Verdict::Quieted;
        }
        if !settings.escalate && m.ignored >= MUTE_AFTER {
            return Verdict::Muted { ignored: m.ignored };
        }
        if m.shown > 0 {
            let since = now.saturating_sub(m.shown_at);
            // A quieted rule's cooldowns last four times as long.
            let slower = if quiet.is_some() { 2 } else { 0 };
            let needed = if settings.escalate {
                cooldown(f.severity) << slower
            } else {
                cooldown_after(f.severity, m.ignored + slower)
            };
            if since < needed {
                return Verdict::Cooldown { since, needed };
            }
        }
        // A danger finding is about the one call that just ran: held now, it is lost, so it is
        // not spaced from other messages (its own cooldown still applies).
        let single_call = crate::builtin::rule_def(&f.rule)
            .is_some_and(|r| r.kind == crate::builtin::Kind::Danger);
        if since_any < MIN_SPACING && !single_call {
            return Verdict::Spacing { since: since_any };
        }
        let protocol = crate::builtin::rule_def(&f.rule)
            .is_some_and(|r| r.kind == crate::builtin::Kind::Protocol);
        let g = &history.guidance;
        if protocol
            && settings.profile == crate::Profile::Auto
            && !settings.escalate
            && g.last_protocol_at > 0
        {
            let since = now.saturating_sub(g.last_protocol_at);
            if since < PROTOCOL_SPACING {
                return Verdict::Spacing { since };
            }
        }
    }
    if !urgent && core_hash(f) == history.guidance.last_hash && since_any <= 1 {
        return Verdict::Repeat;
    }
    Verdict::Shown
}

/// "The same message" is the same rule saying the same thing about the same subject: the context
/// lines always differ and do not count.
pub(super) fn core_hash(f: &Finding) -> u64 {
    let mut h = fnv1a64(f.rule.as_bytes());
    for part in [f.subject.as_str(), &f.headline, &f.observed] {
        h ^= fnv1a64(part.as_bytes());
        h = h.rotate_left(17).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::tests::{finding, on, Run};

    #[test]
    fn a_quieted_rule_waits_longer_then_is_off_but_never_a_critical_one() {
        let mut r = Run::new();
        r.settings.quieted.insert("x".into(), crate::Quiet::Slower);
        assert_eq!(r.verdict(on("x", "s")), Verdict::Shown);
        for _ in 0..20 {
            r.step(&[]);
        }
        // Fired again after it was shown: ignored once. Moderate: 8 calls doubled once is 16,
        // which 21 calls have passed; quieted, four times that.
        assert_eq!(
            r.verdict(on("x", "s")),
            Verdict::Cooldown {
                since: 21,
                needed: 64
            }
        );
        r.settings.quieted.insert("x".into(), crate::Quiet::Off);
        assert_eq!(r.verdict(on("x", "t")), Verdict::Quieted);
        r.settings
            .quieted
            .insert("exec-safety".into(), crate::Quiet::Off);
        let d = r.step(&[finding("exec-safety", Severity::Critical, 100)]);
        assert_eq!(
            d.verdicts[0].verdict,
            Verdict::Shown,
            "critical: never quieted"
        );
    }
    #[test]
    fn never_the_same_advice_inside_its_cooldown_and_spaced_from_others() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("x", "s")), Verdict::Shown);
        assert_eq!(r.verdict(on("y", "s")), Verdict::Spacing { since: 1 });
        assert_eq!(r.verdict(on("y", "s")), Verdict::Shown);
    }

    #[test]
    fn protocol_remarks_are_rare_in_auto_and_not_in_hive() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("coordinator-bypass", "")), Verdict::Shown);
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("memory-coordination", "")),
            Verdict::Spacing { since: 4 },
            "another hive rule waits in auto"
        );
        assert_eq!(
            r.verdict(on("failure-loop", "x")),
            Verdict::Shown,
            "other rules do not"
        );
        let mut r = Run::new();
        r.settings.profile = crate::Profile::Hive;
        r.verdict(on("coordinator-bypass", ""));
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(r.verdict(on("memory-coordination", "")), Verdict::Shown);
    }
}
