//! Rendering: a finding's message in words, firmer as its notices go unheeded when escalation is
//! on, with the call's context, cut to the cap.

use crate::text::truncate_chars;
use crate::{Finding, History, ToolCall};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The hard cap on a message, in characters (Claude Code cuts long hook output to a preview).
pub const MAX_MESSAGE_CHARS: usize = 1500;

/// How insistent a message is, from its rule and subject's ignored notices. Only used in the
/// wording and for blocking when escalation is on.
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
    /// The level for `ignored` ignored messages.
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

pub(super) fn render(
    f: &Finding,
    level: Escalation,
    ignored: u32,
    escalate: bool,
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
    if escalate && ignored > 0 {
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
        // One line: a heredoc or a multi-line script would otherwise spill into the message.
        let flat: String = cmd.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = write!(s, "; command `{}`", truncate_chars(&flat, 50));
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
    use crate::guidance::tests::{finding, Run};
    use crate::guidance::Feedback;
    use crate::Severity;
    #[test]
    fn the_escalation_switch_restores_the_original() {
        let mut r = Run::new();
        r.settings.escalate = true;
        let shown: Vec<Feedback> = (0..80)
            .filter_map(|_| r.step(&[finding("m", Severity::Moderate, 40)]).feedback)
            .collect();
        let levels: Vec<Escalation> = shown.iter().map(|f| f.escalation).collect();
        use Escalation::*;
        assert_eq!(levels[..6], [Gentle, Firm, Firm, Urgent, Urgent, Emergency]);
        assert!(!shown[4].blocking);
        assert!(shown[5].blocking, "emergency blocks");
        assert!(
            shown[5].text.starts_with("posthook [m] stop: something"),
            "{}",
            shown[5].text
        );
        assert!(shown[5].text.contains("Before any other step: do this"));
    }
}
