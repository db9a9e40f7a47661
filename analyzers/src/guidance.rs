//! The guidance provider: turns a call's findings into at most one message for Claude.
//!
//! It picks the highest-priority finding, applies severity cooldowns (counted in tool calls since the
//! last guidance), escalates its tone when guidance keeps being ignored, decides whether the message
//! blocks, adds context lines, caps the length and never sends the same text twice in a row.

use crate::text::{fnv1a64, truncate_chars};
use crate::{Finding, History, Severity, ToolCall};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The hard cap on a message, in characters (Claude Code cuts long hook output to a preview).
pub const MAX_MESSAGE_CHARS: usize = 1500;

/// How insistent a message is, from consecutive ignored guidance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// No guidance ignored.
    Gentle,
    /// 1 or 2 ignored.
    Firm,
    /// 3 or 4 ignored.
    Urgent,
    /// 5 or more ignored.
    Emergency,
}

impl Escalation {
    /// The level for `ignored` consecutive ignored messages.
    pub fn from_ignored(ignored: u32) -> Escalation {
        match ignored {
            0 => Escalation::Gentle,
            1..=2 => Escalation::Firm,
            3..=4 => Escalation::Urgent,
            _ => Escalation::Emergency,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::Gentle => "gentle",
            Escalation::Firm => "firm",
            Escalation::Urgent => "urgent",
            Escalation::Emergency => "emergency",
        }
    }
}

/// Per-rule memory of the guidance provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleMemory {
    /// Times the rule fired in the session.
    pub fired: u32,
    /// Times it was shown.
    pub shown: u32,
    /// Times it fired since it was last shown (since the session began if never shown).
    pub fired_since_shown: u32,
    /// Calls in a row on which it fired but was not shown.
    pub suppressed_streak: u32,
    /// `events_total` when it was last shown (0: never).
    pub shown_at: u64,
    /// Whether it fired again within its cooldown after it was last shown: that message was ignored.
    pub refired: bool,
    /// Its messages in a row that were ignored, counted when the next one is shown.
    pub ignored: u32,
}

/// The guidance provider's persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidanceState {
    /// `events_total` when the last message was shown (0: never).
    pub last_shown_at: u64,
    /// Hash of the last message's core (rule, level, headline, observation).
    pub last_hash: u64,
    /// Rule of the last message.
    pub last_rule: Option<String>,
    /// The escalation count of the last message: its rule's ignored messages in a row.
    pub ignored: u32,
    /// Per-rule memory.
    pub rules: BTreeMap<String, RuleMemory>,
}

/// The one message Claude sees for a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    /// Rule that produced it.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// Escalation level of the tone.
    pub escalation: Escalation,
    /// Whether it blocks (exit 2 in stderr mode, `decision: block` in JSON mode).
    pub blocking: bool,
    /// The full text, at most [`MAX_MESSAGE_CHARS`] characters.
    pub text: String,
}

/// Why the provider stayed silent, for `explain` and replay summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// No analyzer found anything.
    NoFindings,
    /// A turn's batch event: recorded (the turn, its refused calls), not analyzed.
    Turn {
        /// Calls of the turn.
        calls: usize,
        /// Refused calls it reported that no per-call event had.
        rejected: usize,
    },
    /// Held back by the cooldown of its severity.
    Cooldown {
        /// Rule held back.
        rule: String,
        /// Calls since the last message.
        since: u64,
        /// Calls required.
        needed: u64,
    },
    /// The text equals the previous message.
    Repeat {
        /// Rule held back.
        rule: String,
    },
}

/// Cooldown of a severity, in tool calls since the last guidance.
pub fn cooldown(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 1,
        Severity::Major => 3,
        Severity::Moderate => 5,
        Severity::Minor | Severity::None => 8,
    }
}

/// Times a major finding must have fired since it was last shown to pass its cooldown.
pub const MAJOR_PERSISTS: u32 = 3;
/// Calls in a row a moderate or major finding must have been held back to pass its cooldown.
pub const SUPPRESSED_PASSES: u32 = 3;

/// Chooses the message for this call, updating `history.guidance`. `findings` may be in any order.
///
/// The candidates are tried from the highest priority down (ties: higher severity); the first that
/// passes its gate is shown:
/// - cooldown: calls since the last message >= the severity's cooldown (minor 8, moderate 5,
///   major 3, critical 1); critical always passes; a major finding that fired [`MAJOR_PERSISTS`]
///   times since it was last shown passes (a persisting serious problem); a moderate or major
///   finding held back [`SUPPRESSED_PASSES`] calls in a row passes;
/// - repeat: its text (without the context lines) differs from the previous message.
///
/// Trying the next candidate when the best is held back keeps one persistent high-priority rule
/// from starving every other rule (it would otherwise win every call and be held every call).
///
/// Escalation counts consecutive ignored messages of the rule being shown: a message counts as
/// ignored when its rule fired again within its severity's cooldown after it (the problem went on
/// right away); a rule that stays quiet for that long starts over at gentle. Counting per rule keeps
/// an unrelated first notice from arriving as a "reminder". (The original reset its counter before
/// reading it, so it never left the gentle level.)
pub fn decide(
    findings: &[Finding],
    call: &ToolCall,
    history: &mut History,
) -> Result<Feedback, Silence> {
    let now = history.events_total;
    let state = &mut history.guidance;

    // Per-rule bookkeeping. A rule that did not fire on this call ends its suppressed streak.
    for (rule, memory) in state.rules.iter_mut() {
        if !findings.iter().any(|f| f.rule == rule.as_str()) {
            memory.suppressed_streak = 0;
        }
    }
    for f in findings {
        let memory = match state.rules.get_mut(f.rule.as_ref()) {
            Some(m) => m,
            None => state.rules.entry(f.rule.to_string()).or_default(),
        };
        memory.fired += 1;
        memory.fired_since_shown += 1;
        if memory.shown_at > 0 && now.saturating_sub(memory.shown_at) <= cooldown(f.severity) {
            memory.refired = true;
        }
    }

    let mut order: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::None)
        .collect();
    if order.is_empty() {
        return Err(Silence::NoFindings);
    }
    order.sort_by_key(|f| std::cmp::Reverse((f.priority, f.severity)));

    let since = if state.last_shown_at == 0 {
        u64::MAX
    } else {
        now.saturating_sub(state.last_shown_at)
    };
    let mut first_silence = None;
    let mut chosen = None;
    for f in &order {
        let memory = state
            .rules
            .get(f.rule.as_ref())
            .cloned()
            .unwrap_or_default();
        let ignored = if memory.refired {
            memory.ignored + 1
        } else {
            0
        };
        let escalation = Escalation::from_ignored(ignored);
        let needed = cooldown(f.severity);
        let passes = f.severity == Severity::Critical
            || since >= needed
            || (f.severity == Severity::Major && memory.fired_since_shown >= MAJOR_PERSISTS)
            || (f.severity >= Severity::Moderate && memory.suppressed_streak >= SUPPRESSED_PASSES);
        if !passes {
            first_silence.get_or_insert_with(|| Silence::Cooldown {
                rule: f.rule.to_string(),
                since,
                needed,
            });
            continue;
        }
        let hash = core_hash(f, escalation, ignored);
        if hash == state.last_hash {
            first_silence.get_or_insert_with(|| Silence::Repeat {
                rule: f.rule.to_string(),
            });
            continue;
        }
        chosen = Some((*f, hash, ignored, escalation));
        break;
    }

    // Every finding not shown was held back once more.
    let shown_rule = chosen.map(|(f, ..)| f.rule.as_ref());
    for f in findings {
        if Some(f.rule.as_ref()) != shown_rule {
            if let Some(m) = state.rules.get_mut(f.rule.as_ref()) {
                m.suppressed_streak += 1;
            }
        }
    }

    let Some((best, hash, ignored, escalation)) = chosen else {
        return Err(first_silence.unwrap_or(Silence::NoFindings));
    };
    if let Some(m) = state.rules.get_mut(best.rule.as_ref()) {
        m.suppressed_streak = 0;
        m.fired_since_shown = 0;
        m.shown += 1;
        m.shown_at = now;
        m.refired = false;
        m.ignored = ignored;
    }
    state.ignored = ignored;
    state.last_hash = hash;
    state.last_shown_at = now;
    state.last_rule = Some(best.rule.to_string());
    let text = render(best, escalation, ignored, call, history);
    let blocking = best.severity == Severity::Critical
        || escalation == Escalation::Emergency
        || (best.severity == Severity::Major && best.priority >= 70);
    Ok(Feedback {
        rule: best.rule.to_string(),
        severity: best.severity,
        escalation,
        blocking,
        text,
    })
}

/// "The same message" is the same rule saying the same thing at the same level with the same count
/// of unheeded notices: the context lines always differ and do not count.
fn core_hash(f: &Finding, level: Escalation, ignored: u32) -> u64 {
    let mut h = fnv1a64(f.rule.as_bytes()) ^ u64::from(ignored);
    for part in [level.as_str(), &f.headline, &f.observed] {
        h ^= fnv1a64(part.as_bytes());
        h = h.rotate_left(17).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn render(
    f: &Finding,
    level: Escalation,
    ignored: u32,
    call: &ToolCall,
    history: &History,
) -> String {
    let (prefix, next) = match level {
        Escalation::Gentle => ("", "Next"),
        Escalation::Firm => ("reminder: ", "Next"),
        Escalation::Urgent => ("still unresolved: ", "Do this next"),
        Escalation::Emergency => ("stop: ", "Before any other step"),
    };
    let mut s = String::with_capacity(384);
    let _ = write!(s, "posthook [{}] {prefix}{}", f.rule, f.headline);
    if !f.observed.is_empty() {
        let _ = write!(s, "\n{}", f.observed);
    }
    if ignored > 0 {
        let _ = write!(
            s,
            " The last {} notice{} in a row went unheeded.",
            ignored,
            if ignored == 1 { "" } else { "s" }
        );
    }
    if !f.next_step.is_empty() {
        let _ = write!(s, "\n{next}: {}", f.next_step);
    }
    let _ = write!(s, "\nContext: last tool {}; recent ", call.tool);
    for (i, t) in history.last_tools(5).iter().enumerate() {
        if i > 0 {
            s.push_str(" > ");
        }
        s.push_str(t);
    }
    if let Some(cmd) = call.command() {
        let _ = write!(s, "; command `{}`", truncate_chars(cmd.trim(), 50));
    } else if let Some(p) = call.path() {
        let _ = write!(s, "; file {}", truncate_chars(p, 120));
    } else if let Some(d) = call.str_field("description") {
        let _ = write!(s, "; task {}", truncate_chars(d, 50));
    }
    truncate_chars(&s, MAX_MESSAGE_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(rule: &'static str, sev: Severity, prio: u32) -> Finding {
        Finding::new(rule, sev, prio)
            .headline("something")
            .observed("observed")
            .next_step("do this")
    }

    fn step(h: &mut History, findings: &[Finding]) -> Result<Feedback, Silence> {
        let call = ToolCall::new(
            "Bash",
            json!({"command": format!("echo {}", h.events_total)}),
        );
        h.record(&call);
        decide(findings, &call, h)
    }

    #[test]
    fn picks_highest_priority() {
        let mut h = History::new();
        let fb = step(
            &mut h,
            &[
                finding("a", Severity::Minor, 20),
                finding("b", Severity::Moderate, 40),
            ],
        )
        .expect("shown");
        assert_eq!(fb.rule, "b");
        assert!(fb.text.starts_with("posthook [b] something"));
        assert!(!fb.blocking);
    }

    #[test]
    fn minor_cooldown_is_eight_calls() {
        let mut h = History::new();
        assert!(step(&mut h, &[finding("a", Severity::Minor, 20)]).is_ok());
        for _ in 0..7 {
            assert!(matches!(step(&mut h, &[]), Err(Silence::NoFindings)));
        }
        // 8 calls since: passes.
        assert!(step(&mut h, &[finding("b", Severity::Minor, 20)]).is_ok());
        assert!(matches!(
            step(&mut h, &[finding("c", Severity::Minor, 20)]),
            Err(Silence::Cooldown { needed: 8, .. })
        ));
    }

    #[test]
    fn critical_always_passes_and_blocks() {
        let mut h = History::new();
        assert!(step(&mut h, &[finding("x", Severity::Minor, 1)]).is_ok());
        let fb = step(&mut h, &[finding("exec-safety", Severity::Critical, 100)]).expect("shown");
        assert!(fb.blocking);
    }

    #[test]
    fn escalation_really_escalates_and_blocks_at_emergency() {
        let mut h = History::new();
        let mut levels = Vec::new();
        for _ in 0..6 {
            let fb =
                step(&mut h, &[finding("r", Severity::Critical, 90)]).expect("critical passes");
            levels.push(fb.escalation);
        }
        use Escalation::*;
        assert_eq!(levels, vec![Gentle, Firm, Firm, Urgent, Urgent, Emergency]);
        // A moderate finding that persists on every call: shown whenever its gates open.
        let mut h = History::new();
        let shown: Vec<Feedback> = (0..60)
            .filter_map(|_| step(&mut h, &[finding("m", Severity::Moderate, 40)]).ok())
            .collect();
        let levels: Vec<Escalation> = shown.iter().map(|f| f.escalation).collect();
        assert_eq!(levels[..6], [Gentle, Firm, Firm, Urgent, Urgent, Emergency]);
        assert!(!shown[4].blocking);
        let fb = &shown[5];
        assert!(fb.blocking, "emergency blocks even a moderate finding");
        assert!(
            fb.text.starts_with("posthook [m] stop: something"),
            "{}",
            fb.text
        );
        assert!(
            fb.text
                .contains("The last 5 notices in a row went unheeded."),
            "{}",
            fb.text
        );
    }

    #[test]
    fn moving_on_resets_the_escalation() {
        let mut h = History::new();
        step(&mut h, &[finding("a", Severity::Critical, 90)]).expect("shown");
        let fb = step(&mut h, &[finding("a", Severity::Critical, 90)]).expect("shown");
        assert_eq!(fb.escalation, Escalation::Firm);
        // "a" stops firing: the firm message was heeded
        step(&mut h, &[]).expect_err("nothing");
        let fb = step(&mut h, &[finding("b", Severity::Critical, 90)]).expect("shown");
        assert_eq!(fb.escalation, Escalation::Gentle);
    }

    #[test]
    fn persisting_major_and_suppressed_findings_pass_the_cooldown() {
        // major persisting: fired 3 times since last shown passes before the cooldown of 3 is over
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Minor, 1)]).expect("shown");
        step(&mut h, &[finding("x", Severity::Minor, 1)]).expect_err("minor cooldown");
        let maj = finding("maj", Severity::Major, 60);
        // fired once before, unshown: fired_since_shown starts counting at the first firing
        h.guidance
            .rules
            .entry("maj".into())
            .or_default()
            .fired_since_shown = 2;
        let fb = step(&mut h, std::slice::from_ref(&maj)).expect("3rd firing, 2 calls since");
        assert_eq!(fb.rule, "maj");
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Minor, 1)]).expect("shown");
        h.guidance
            .rules
            .entry("maj".into())
            .or_default()
            .fired_since_shown = 1;
        assert!(
            step(&mut h, std::slice::from_ref(&maj)).is_err(),
            "2nd firing, 1 call since"
        );
        // moderate held back 3 times in a row passes before its cooldown of 5
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Minor, 1)]).expect("shown");
        for _ in 0..3 {
            assert!(step(&mut h, &[finding("mod", Severity::Moderate, 40)]).is_err());
        }
        let fb = step(&mut h, &[finding("mod", Severity::Moderate, 40)]).expect("streak 3");
        assert_eq!(fb.rule, "mod");
        // a minor finding never uses the streak
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Critical, 100)]).expect("shown");
        for _ in 0..7 {
            assert!(step(&mut h, &[finding("min", Severity::Minor, 10)]).is_err());
        }
        assert!(step(&mut h, &[finding("min", Severity::Minor, 10)]).is_ok());
    }

    #[test]
    fn major_persisting_three_times_passes_early() {
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Critical, 100)]).expect("shown");
        // fires on 2 calls, no cooldown pass (since 1, 2 < 3)...
        let mut shown = Vec::new();
        for _ in 0..2 {
            shown.push(step(&mut h, &[finding("maj", Severity::Major, 60)]).is_ok());
        }
        assert_eq!(shown, vec![false, false]);
        // ...the third firing is at since = 3: passes by cooldown and by persistence alike.
        assert!(step(&mut h, &[finding("maj", Severity::Major, 60)]).is_ok());
    }

    #[test]
    fn a_rule_quiet_through_its_cooldown_starts_over_gentle() {
        let c = |n: u32| finding("c", Severity::Critical, 90).observed(format!("observed {n}"));
        let mut h = History::new();
        step(&mut h, &[c(1)]).expect("shown");
        // critical cooldown is 1: firing again 2 calls later is not "ignored"
        step(&mut h, &[]).expect_err("quiet");
        let fb = step(&mut h, &[c(2)]).expect("shown");
        assert_eq!(fb.escalation, Escalation::Gentle);
        let fb = step(&mut h, &[c(3)]).expect("shown");
        assert_eq!(fb.escalation, Escalation::Firm, "right after: ignored");
    }

    #[test]
    fn a_held_back_best_finding_does_not_starve_others() {
        let mut h = History::new();
        step(&mut h, &[finding("x", Severity::Minor, 1)]).expect("shown");
        let both = [
            finding("loud", Severity::Minor, 90),
            finding("quiet", Severity::Moderate, 50),
        ];
        for _ in 0..3 {
            assert!(step(&mut h, &both).is_err());
        }
        let fb = step(&mut h, &both).expect("quiet's streak reached 3");
        assert_eq!(fb.rule, "quiet");
    }

    #[test]
    fn never_the_same_message_twice_in_a_row() {
        let mut h = History::new();
        let f = finding("same", Severity::Critical, 90);
        let first = step(&mut h, std::slice::from_ref(&f)).expect("shown");
        // refired: escalates, so the text differs
        let second = step(&mut h, std::slice::from_ref(&f)).expect("escalated");
        assert_ne!(first.text, second.text);
        // A candidate whose core equals the last message is never sent; the next one is tried.
        let mut h = History::new();
        let c = finding("c", Severity::Critical, 90);
        h.guidance.last_hash = core_hash(&c, Escalation::Gentle, 0);
        assert!(matches!(
            step(&mut h, std::slice::from_ref(&c)),
            Err(Silence::Repeat { .. })
        ));
        let mut h = History::new();
        h.guidance.last_hash = core_hash(&c, Escalation::Gentle, 0);
        let fb = step(&mut h, &[c, finding("other", Severity::Critical, 80)]).expect("next one");
        assert_eq!(fb.rule, "other");
    }

    #[test]
    fn context_lines() {
        let mut h = History::new();
        h.record(&ToolCall::new("Read", json!({"file_path": "/p/a"})));
        let call = ToolCall::new(
            "Bash",
            json!({"command": format!("echo {}", "x".repeat(80))}),
        );
        h.record(&call);
        let fb = decide(&[finding("r", Severity::Critical, 1)], &call, &mut h).expect("shown");
        let ctx = fb.text.lines().last().expect("context line");
        assert!(
            ctx.starts_with("Context: last tool Bash; recent Read > Bash; command `echo xxx"),
            "{ctx}"
        );
        assert!(ctx.ends_with("…`"), "command cut to 50 chars: {ctx}");
        assert!(fb.text.contains("\nNext: do this\n"));
    }

    #[test]
    fn message_is_capped() {
        let mut h = History::new();
        let mut f = finding("long", Severity::Critical, 1);
        f.observed = "x".repeat(10_000);
        let fb = step(&mut h, &[f]).expect("shown");
        assert!(fb.text.chars().count() <= MAX_MESSAGE_CHARS);
    }
}
