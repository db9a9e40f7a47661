//! What the provider remembers per rule and subject, and the back-off it drives: cooldowns that
//! double with each ignored notice, muting after the third.

use crate::text::truncate_chars;
use crate::{Finding, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ignored messages after which advice on a subject is muted (unless escalation is on).
pub const MUTE_AFTER: u32 = 3;

/// How many rule-and-subject memories a session keeps (the least recently fired go first).
pub const SUBJECTS_CAPACITY: usize = 128;

/// What the provider remembers of one rule on one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubjectMemory {
    /// Times it fired.
    pub fired: u32,
    /// Times it was shown.
    pub shown: u32,
    /// `events_total` when it was last shown (0: never).
    pub shown_at: u64,
    /// `events_total` when it last fired.
    pub fired_at: u64,
    /// Times it fired again after being shown (counted once per showing): ignored advice.
    pub ignored: u32,
    /// Whether it fired again since it was last shown.
    pub refired: bool,
    /// The severity it last fired with (its cooldown depends on it).
    pub severity: Option<Severity>,
}

impl SubjectMemory {
    /// Calls until its cooldown is over at call `now` (0: open, or never shown).
    pub fn cooldown_left(&self, now: u64) -> u64 {
        if self.shown == 0 {
            return 0;
        }
        let needed = cooldown_after(self.severity.unwrap_or(Severity::Minor), self.ignored);
        needed.saturating_sub(now.saturating_sub(self.shown_at))
    }
}

/// The guidance provider's persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidanceState {
    /// `events_total` when the last message was shown (0: never).
    pub last_shown_at: u64,
    /// Hash of the last message's core (rule, subject, headline, observation).
    pub last_hash: u64,
    /// Rule of the last message.
    pub last_rule: Option<String>,
    /// `events_total` when the last message of a protocol (hive) rule was shown (0: never).
    pub last_protocol_at: u64,
    /// Per rule and subject (`rule` or `rule subject`), at most [`SUBJECTS_CAPACITY`].
    pub subjects: BTreeMap<String, SubjectMemory>,
}

impl GuidanceState {
    /// The memory of `rule` on `subject`.
    pub fn memory(&self, rule: &str, subject: &str) -> Option<&SubjectMemory> {
        self.subjects.get(&key(rule, subject))
    }
}

/// Cooldown of a severity, in calls since its rule and subject was last shown, before any was
/// ignored (each ignored notice doubles it).
pub fn cooldown(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 1,
        Severity::Major => 4,
        Severity::Moderate => 8,
        Severity::Minor | Severity::None => 12,
    }
}

/// The cooldown of `severity` after `ignored` ignored notices.
pub fn cooldown_after(severity: Severity, ignored: u32) -> u64 {
    cooldown(severity) << ignored.min(6)
}

pub(super) fn key(rule: &str, subject: &str) -> String {
    if subject.is_empty() {
        rule.to_string()
    } else {
        format!("{rule} {}", truncate_chars(subject, 160))
    }
}

/// Counts every finding as fired on its rule and subject (and as ignored, once per showing, when
/// it was shown before), and bounds the memory.
pub(super) fn note_fired(state: &mut GuidanceState, findings: &[Finding], now: u64) {
    for f in findings {
        let m = state.subjects.entry(key(&f.rule, &f.subject)).or_default();
        m.fired += 1;
        m.fired_at = now;
        m.severity = Some(f.severity);
        if m.shown > 0 && !m.refired {
            m.ignored += 1;
            m.refired = true;
        }
    }
    while state.subjects.len() > SUBJECTS_CAPACITY {
        let oldest = state
            .subjects
            .iter()
            .min_by_key(|(_, m)| m.fired_at)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                state.subjects.remove(&k);
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::tests::{on, Run};
    use crate::guidance::Verdict;
    #[test]
    fn shown_held_muted_and_unmuted_by_a_new_subject() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("advice", "a.rs")), Verdict::Shown);
        // It fires again at once: ignored once, cooldown 8 doubled to 16.
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Cooldown {
                since: 1,
                needed: 16
            }
        );
        // Another subject of the same rule is not held by it (only spaced from the last message).
        assert_eq!(r.verdict(on("advice", "b.rs")), Verdict::Shown);
        for _ in 0..14 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Shown,
            "16 calls later"
        );
        for _ in 0..40 {
            r.step(&[]);
        }
        // Fired again after that showing: ignored twice; shown after 32 calls; then a third time.
        assert_eq!(r.verdict(on("advice", "a.rs")), Verdict::Shown);
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Muted { ignored: 3 },
            "muted for a.rs after the third ignored notice"
        );
        for _ in 0..200 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Muted { ignored: 3 }
        );
        assert_eq!(
            r.verdict(on("advice", "c.rs")),
            Verdict::Shown,
            "a new subject"
        );
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = Run::new();
        for i in 0..(SUBJECTS_CAPACITY + 20) {
            r.step(&[on("a", &format!("f{i}"))]);
        }
        assert_eq!(r.h.guidance.subjects.len(), SUBJECTS_CAPACITY);
    }
}
