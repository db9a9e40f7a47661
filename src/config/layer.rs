//! A level of values (a file, the environment or the flags), where a value came from, and what
//! was wrong with one.

use super::table::Id;
use crate::output::OutputMode;
use posthook_analyzers::Profile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built in.
    Default,
    /// The user config file.
    User(PathBuf),
    /// The project config file.
    Project(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::User(p) => write!(f, "user file {}", p.display()),
            Source::Project(p) => write!(f, "project file {}", p.display()),
            Source::Env(k) => write!(f, "env {k}"),
            Source::Flag(k) => write!(f, "flag {k}"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One thing wrong with a config file or variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, or `env NAME` for a variable.
    pub origin: String,
    /// JSON path inside the file (`thresholds["native-overuse.major"]`), empty for the whole file.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    /// One line: a key or value of a file can hold any character, and reaches a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use posthook_analyzers::visible_controls as shown;
        if self.path.is_empty() {
            write!(f, "{}: {}", shown(&self.origin), shown(&self.message))
        } else {
            write!(
                f,
                "{}: {}: {}",
                shown(&self.origin),
                shown(&self.path),
                shown(&self.message)
            )
        }
    }
}

/// Values set by one level (a file, the environment or the flags).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    /// Rule profile.
    pub profile: Option<Profile>,
    /// Output mode.
    pub output: Option<OutputMode>,
    /// Rules to disable (added to the other levels').
    pub disabled: Vec<String>,
    /// Threshold overrides.
    pub thresholds: BTreeMap<String, f64>,
    /// Time budget in ms.
    pub budget_ms: Option<u64>,
    /// State dir.
    pub state_dir: Option<PathBuf>,
    /// Log level.
    pub log_level: Option<String>,
    /// The original's escalation of ignored advice to blocking.
    pub escalate: Option<bool>,
    /// What the end of a turn with unchecked changes gets: `block`, `advice` or `off`.
    pub stop_check: Option<String>,
    /// Bound on a whole hook call, in ms (environment only).
    pub deadline_ms: Option<u64>,
    /// Longest wait for a session lock, in ms (environment only).
    pub lock_timeout_ms: Option<u64>,
    /// Whether state is fsynced (environment only).
    pub fsync: Option<bool>,
    /// Whether rarely heeded rules are quieted per project.
    pub learned_backoff: Option<bool>,
}

/// One setting's value as a level gives it, already validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A rule profile.
    Profile(Profile),
    /// An output mode.
    Output(OutputMode),
    /// A number of milliseconds.
    Ms(u64),
    /// A directory.
    Dir(PathBuf),
    /// On or off.
    Switch(bool),
    /// A word (a log level).
    Text(String),
}

impl Value {
    fn profile(self) -> Option<Profile> {
        match self {
            Value::Profile(p) => Some(p),
            _ => None,
        }
    }

    fn output(self) -> Option<OutputMode> {
        match self {
            Value::Output(o) => Some(o),
            _ => None,
        }
    }

    fn ms(self) -> Option<u64> {
        match self {
            Value::Ms(n) => Some(n),
            _ => None,
        }
    }

    fn dir(self) -> Option<PathBuf> {
        match self {
            Value::Dir(p) => Some(p),
            _ => None,
        }
    }

    fn switch(self) -> Option<bool> {
        match self {
            Value::Switch(b) => Some(b),
            _ => None,
        }
    }

    fn text(self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl Layer {
    /// The value this level sets for a single-valued setting (`None` for the rules and the
    /// thresholds, which are merged, not replaced).
    pub(crate) fn get(&self, id: Id) -> Option<Value> {
        match id {
            Id::Profile => self.profile.map(Value::Profile),
            Id::Output => self.output.map(Value::Output),
            Id::BudgetMs => self.budget_ms.map(Value::Ms),
            Id::StateDir => self.state_dir.clone().map(Value::Dir),
            Id::LogLevel => self.log_level.clone().map(Value::Text),
            Id::DeadlineMs => self.deadline_ms.map(Value::Ms),
            Id::LockTimeoutMs => self.lock_timeout_ms.map(Value::Ms),
            Id::Escalate => self.escalate.map(Value::Switch),
            Id::StopCheck => self.stop_check.clone().map(Value::Text),
            Id::Fsync => self.fsync.map(Value::Switch),
            Id::LearnedBackoff => self.learned_backoff.map(Value::Switch),
            Id::DisabledRules | Id::Thresholds => None,
        }
    }

    /// Sets (or with `None` clears) a single-valued setting.
    pub(crate) fn set(&mut self, id: Id, v: Option<Value>) {
        match id {
            Id::Profile => self.profile = v.and_then(Value::profile),
            Id::Output => self.output = v.and_then(Value::output),
            Id::BudgetMs => self.budget_ms = v.and_then(Value::ms),
            Id::StateDir => self.state_dir = v.and_then(Value::dir),
            Id::LogLevel => self.log_level = v.and_then(Value::text),
            Id::DeadlineMs => self.deadline_ms = v.and_then(Value::ms),
            Id::LockTimeoutMs => self.lock_timeout_ms = v.and_then(Value::ms),
            Id::Escalate => self.escalate = v.and_then(Value::switch),
            Id::StopCheck => self.stop_check = v.and_then(Value::text),
            Id::Fsync => self.fsync = v.and_then(Value::switch),
            Id::LearnedBackoff => self.learned_backoff = v.and_then(Value::switch),
            Id::DisabledRules | Id::Thresholds => {}
        }
    }
}
