//! What the provider answers for a call: the message, if any, why there is none, and every
//! finding's verdict.

use super::Escalation;
use crate::Severity;
use serde::Serialize;

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
    /// The full text, at most [`MAX_MESSAGE_CHARS`](super::MAX_MESSAGE_CHARS) characters.
    pub text: String,
}

/// What the provider did with one finding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Verdict {
    /// It is the message.
    Shown,
    /// Its rule and subject's cooldown is running.
    Cooldown {
        /// Calls since it was last shown.
        since: u64,
        /// Calls its cooldown lasts now (longer each time it was ignored).
        needed: u64,
    },
    /// Ignored [`MUTE_AFTER`](super::MUTE_AFTER) times: silent for this subject.
    Muted {
        /// Times it was ignored.
        ignored: u32,
    },
    /// Another message went out less than [`MIN_SPACING`](super::MIN_SPACING) calls ago.
    Spacing {
        /// Calls since the last message.
        since: u64,
    },
    /// Its text would name a tool the session never used.
    Ungrounded {
        /// The tool.
        tool: String,
    },
    /// The same text as the previous message.
    Repeat,
    /// A finding ranked higher was shown.
    Outranked {
        /// The rule shown.
        by: String,
    },
    /// Informational only (severity none): never shown.
    Info,
    /// Its rule is quieted in this project ([`crate::Quiet::Off`]): its messages were rarely
    /// acted on.
    Quieted,
}

/// One finding's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleVerdict {
    /// The rule.
    pub rule: String,
    /// Its subject (empty: the rule as a whole).
    pub subject: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
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
    /// The end of a turn let through, and why (nothing unchecked, no check to ask for, the model
    /// already going on because of a stop hook, the same state already said).
    Stop {
        /// Why, in words.
        reason: String,
    },
    /// Every finding was held back; this is the best-ranked one and why.
    Held {
        /// Its rule.
        rule: String,
        /// Its subject.
        subject: String,
        /// Why.
        verdict: Verdict,
    },
}

/// The provider's choice for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The message, if any.
    pub feedback: Option<Feedback>,
    /// Why there is none, when there is none.
    pub silence: Option<Silence>,
    /// Every finding's verdict, best-ranked first.
    pub verdicts: Vec<RuleVerdict>,
}
