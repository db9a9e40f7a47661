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
    /// Times in a row it fired but was held back by a cooldown.
    pub suppressed_streak: u32,
}

/// The guidance provider's persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidanceState {
    /// `events_total` when the last message was shown (0: never).
    pub last_shown_at: u64,
    /// Hash of the last message text.
    pub last_hash: u64,
    /// Rule of the last message.
    pub last_rule: Option<String>,
    /// Consecutive messages whose problem persisted (the same rule fired again after it).
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

/// Chooses the message for this call, updating `history.guidance`. `findings` may be in any order.
pub fn decide(
    findings: &[Finding],
    call: &ToolCall,
    history: &mut History,
) -> Result<Feedback, Silence> {
    let now = history.events_total;
    let state = &mut history.guidance;

    // Escalation bookkeeping: did the problem of the last message persist?
    if let Some(last) = &state.last_rule {
        if findings.iter().any(|f| &f.rule == last) {
            state.ignored += 1;
        } else if state.last_shown_at + 1 == now || !findings.is_empty() {
            // Moved on: the next call after a message did not repeat its problem.
            state.ignored = 0;
        }
    }
    for f in findings {
        state.rules.entry(f.rule.to_string()).or_default().fired += 1;
    }

    let Some(best) = findings
        .iter()
        .filter(|f| f.severity > Severity::None)
        .max_by_key(|f| (f.priority, f.severity))
    else {
        return Err(Silence::NoFindings);
    };

    let since = if state.last_shown_at == 0 {
        u64::MAX
    } else {
        now - state.last_shown_at
    };
    let needed = cooldown(best.severity);
    let memory = state.rules.entry(best.rule.to_string()).or_default();
    let passes = best.severity == Severity::Critical
        || since >= needed
        || (best.severity == Severity::Major && memory.fired >= 3)
        || (best.severity >= Severity::Moderate && memory.suppressed_streak >= 3);
    if !passes {
        memory.suppressed_streak += 1;
        return Err(Silence::Cooldown {
            rule: best.rule.to_string(),
            since,
            needed,
        });
    }

    let escalation = Escalation::from_ignored(state.ignored);
    let text = render(best, escalation, call, history);
    // The context lines always differ; "the same message" means the same rule saying the same thing.
    let core = format!(
        "{}\0{}\0{}\0{}",
        best.rule,
        escalation.as_str(),
        best.headline,
        best.observed
    );
    let hash = fnv1a64(core.as_bytes());
    let state = &mut history.guidance;
    if hash == state.last_hash {
        return Err(Silence::Repeat {
            rule: best.rule.to_string(),
        });
    }
    let memory = state.rules.entry(best.rule.to_string()).or_default();
    memory.suppressed_streak = 0;
    memory.shown += 1;
    state.last_hash = hash;
    state.last_shown_at = now;
    state.last_rule = Some(best.rule.to_string());
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

fn render(f: &Finding, level: Escalation, call: &ToolCall, history: &History) -> String {
    let prefix = match level {
        Escalation::Gentle => "",
        Escalation::Firm => "Reminder: ",
        Escalation::Urgent => "Important: ",
        Escalation::Emergency => "Stop and fix this first: ",
    };
    let mut s = String::with_capacity(256);
    let _ = write!(s, "posthook [{}] {prefix}{}", f.rule, f.headline);
    if !f.observed.is_empty() {
        let _ = write!(s, "\n{}", f.observed);
    }
    if !f.next_step.is_empty() {
        let _ = write!(s, "\nNext: {}", f.next_step);
    }
    let recent = history.last_tools(5).join(" → ");
    let _ = write!(s, "\nContext: last tool {}; recent {}", call.tool, recent);
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
    fn escalation_grows_when_ignored() {
        let mut h = History::new();
        let mut levels = Vec::new();
        for _ in 0..12 {
            if let Ok(fb) = step(&mut h, &[finding("r", Severity::Critical, 90)]) {
                levels.push(fb.escalation);
            }
        }
        assert_eq!(levels.first(), Some(&Escalation::Gentle));
        assert_eq!(levels.last(), Some(&Escalation::Emergency));
        assert!(levels.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn escalation_thresholds() {
        assert_eq!(Escalation::from_ignored(0), Escalation::Gentle);
        assert_eq!(Escalation::from_ignored(1), Escalation::Firm);
        assert_eq!(Escalation::from_ignored(3), Escalation::Urgent);
        assert_eq!(Escalation::from_ignored(5), Escalation::Emergency);
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
