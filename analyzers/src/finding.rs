//! What analyzers report.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// How serious a finding is. The numeric values are the catalogue's (none 0 ... critical 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational; never shown on its own.
    None = 0,
    /// Worth a hint.
    Minor = 1,
    /// Worth a suggestion.
    Moderate = 2,
    /// Worth interrupting for.
    Major = 3,
    /// Dangerous: always shown, blocks.
    Critical = 4,
}

impl Severity {
    /// The catalogue's numeric value.
    pub fn level(self) -> u32 {
        self as u32
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Minor => "minor",
            Severity::Moderate => "moderate",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

/// One observation about a call, before the guidance provider chooses what Claude sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case rule id (`exec-safety`, `native-overuse`, ...), shown in every message and
    /// used to disable the rule.
    pub rule: Cow<'static, str>,
    /// How serious it is.
    pub severity: Severity,
    /// Ranking among this call's findings (higher wins).
    pub priority: u32,
    /// One short line: what is wrong.
    pub headline: String,
    /// What was observed, with numbers.
    pub observed: String,
    /// One concrete next step.
    pub next_step: String,
    /// What the finding is about (a file, a command head, a tool family): cooldowns and back-off
    /// are kept per rule and subject, so advice muted for one file still speaks about another.
    /// Empty: the rule as a whole.
    pub subject: String,
    /// Whether it may block (exit 2 / `decision: block`) although it is not critical: set only for
    /// a confirmed loop (the same failure signature three times).
    pub blocks: bool,
}

impl Finding {
    /// A finding with the given rule, severity and priority, and empty texts.
    pub fn new(rule: impl Into<Cow<'static, str>>, severity: Severity, priority: u32) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            priority,
            headline: String::new(),
            observed: String::new(),
            next_step: String::new(),
            subject: String::new(),
            blocks: false,
        }
    }

    /// Sets the subject (builder style).
    pub fn subject(mut self, s: impl Into<String>) -> Finding {
        self.subject = s.into();
        self
    }

    /// Marks it as one that may block: a confirmed loop (builder style).
    pub fn confirmed_loop(mut self) -> Finding {
        self.blocks = true;
        self
    }

    /// Sets the headline (builder style).
    pub fn headline(mut self, s: impl Into<String>) -> Finding {
        self.headline = s.into();
        self
    }

    /// Sets the observation (builder style).
    pub fn observed(mut self, s: impl Into<String>) -> Finding {
        self.observed = s.into();
        self
    }

    /// Sets the next step (builder style).
    pub fn next_step(mut self, s: impl Into<String>) -> Finding {
        self.next_step = s.into();
        self
    }
}
