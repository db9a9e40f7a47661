//! The settings: one entry per setting with its name, kind, default, environment variable, flag,
//! whether the files (and the untrusted project file) may set it, and its one-line help.
//!
//! Reading every level, resolution, `config show`, `config check`, the flags' `--help` and the
//! table of settings in docs/configuration.md all follow this table. A new setting is an entry here, an [`Id`], a
//! field of [`Layer`] and of [`Config`](super::Config) with their arms in `Layer::get`/`set` and
//! `Config::set`/`shown`, and a row in docs/configuration.md (a unit test below keeps that row equal).
//!
//! [`Layer`]: super::Layer

use super::layer::Value;
use crate::output::OutputMode;
use posthook_analyzers::{Profile, StopMode};
use std::ops::RangeInclusive;

/// The budget range, in ms, whichever level sets it.
pub const BUDGET_RANGE: RangeInclusive<u64> = 1..=10_000;
/// The range of `POSTHOOK_DEADLINE_MS`: below 50 ms no call could finish.
pub const DEADLINE_RANGE: RangeInclusive<u64> = 50..=600_000;
/// The range of `POSTHOOK_LOCK_TIMEOUT_MS` (0: do not wait).
pub const LOCK_TIMEOUT_RANGE: RangeInclusive<u64> = 0..=60_000;
/// The log levels a file may set (the environment may set any tracing filter directive).
pub(crate) const LOG_LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// Which setting an entry is: the key of its slot in [`Layer`](super::Layer) and
/// [`Config`](super::Config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Id {
    /// `profile`.
    Profile,
    /// `output`.
    Output,
    /// `disabled_rules`.
    DisabledRules,
    /// `thresholds`.
    Thresholds,
    /// `budget_ms`.
    BudgetMs,
    /// `state_dir`.
    StateDir,
    /// `log_level`.
    LogLevel,
    /// `deadline_ms`.
    DeadlineMs,
    /// `lock_timeout_ms`.
    LockTimeoutMs,
    /// `escalate`.
    Escalate,
    /// `stop_check`.
    StopCheck,
    /// `fsync`.
    Fsync,
    /// `learned_backoff`.
    LearnedBackoff,
}

/// What a setting holds, which decides how each level spells it and how it is validated.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// One of a few words.
    Choice {
        /// The words, as every level spells them.
        words: &'static [&'static str],
        /// The value of a word (`None` for anything else).
        parse: fn(&str) -> Option<Value>,
    },
    /// A whole number of milliseconds in a range.
    Ms(RangeInclusive<u64>),
    /// A directory: an absolute path (in a file also `~/...`).
    Dir,
    /// On or off: `true`/`false` in a file, `1`/`0`/`true`/`false` in the environment.
    Switch,
    /// A log level: one of [`LOG_LEVELS`] in a file, any tracing filter directive in the
    /// environment (`posthook=debug`), as the logger accepts.
    LogLevel,
    /// Rule ids to disable, added up across levels.
    Rules,
    /// Threshold overrides, merged key by key.
    Thresholds,
}

impl Kind {
    /// Whether the setting has one value, replaced level by level (not the rules or thresholds).
    pub(crate) fn is_single(&self) -> bool {
        !matches!(self, Kind::Rules | Kind::Thresholds)
    }

    /// What a file was expected to hold, for a problem's message.
    pub(crate) fn expected_in_file(&self) -> String {
        match self {
            Kind::Choice { words, .. } => {
                let quoted: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
            Kind::Ms(r) => format!(
                "a whole number of milliseconds from {} to {}",
                r.start(),
                r.end()
            ),
            Kind::Dir => "an absolute path or one starting with ~/".into(),
            Kind::Switch => "true or false".into(),
            Kind::LogLevel => format!("one of {}", LOG_LEVELS.join(", ")),
            Kind::Rules => "an array of rule ids".into(),
            Kind::Thresholds => "an object of threshold keys to numbers".into(),
        }
    }

    /// What a variable or a flag was expected to hold, for a problem's message.
    pub(crate) fn expected_in_text(&self) -> String {
        match self {
            Kind::Choice { words, .. } => match words.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => words.join(""),
            },
            Kind::Ms(r) => format!("a whole number from {} to {}", r.start(), r.end()),
            Kind::Dir => "an absolute path".into(),
            Kind::Switch => "1, 0, true or false".into(),
            Kind::LogLevel => "a log level or filter directive".into(),
            Kind::Rules => "a comma-separated list of rule ids".into(),
            Kind::Thresholds => "threshold keys to numbers".into(),
        }
    }
}

/// What the project file (untrusted: it arrives with any `git clone`) may do with a setting.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// Set it like the user file.
    Any,
    /// Set it, but not to this value (the second field says why, as the problem's message).
    NotTo(&'static str, &'static str),
    /// Disable advisory rules only: the safety rules stay on whatever the project file says.
    AdvisoryRules,
    /// Nothing: the key is refused (the field says why, as the problem's message).
    Never(&'static str),
}

/// One setting.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    /// Which one it is.
    pub id: Id,
    /// Its name in `config show` and `sources`, and its key in the files.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Its default, as a variable would spell it (for a directory, rules and thresholds, what the
    /// docs and `--help` say).
    pub default: &'static str,
    /// The environment variable that sets it.
    pub env: Option<&'static str>,
    /// How the variable is spelled, when the kind does not say (`comma-separated`).
    pub env_note: Option<&'static str>,
    /// The command-line flag that sets it.
    pub flag: Option<&'static str>,
    /// Whether the config files may set it (under [`name`](Self::name)).
    pub in_files: bool,
    /// What the project file may do with it (for a setting the files may set).
    pub project: Trust,
    /// One line for `--help`.
    pub help: &'static str,
}

fn profile(s: &str) -> Option<Value> {
    Profile::parse(s).map(Value::Profile)
}

fn output(s: &str) -> Option<Value> {
    OutputMode::parse(s).map(Value::Output)
}

const REFUSED_PATH_OR_LOG: &str = "refused in a project file (a cloned repository must not choose \
     where posthook writes or logs): set it in the user file, the environment or a flag";

/// `profile`.
pub(crate) const PROFILE: Setting = Setting {
    id: Id::Profile,
    name: "profile",
    kind: Kind::Choice {
        words: &["auto", "default", "hive"],
        parse: profile,
    },
    default: "auto",
    env: Some("POSTHOOK_PROFILE"),
    env_note: None,
    flag: Some("--profile"),
    in_files: true,
    project: Trust::Any,
    help: "Rule profile: auto (hive rules once zen/claude-flow tools are used), default, hive",
};

/// `output`.
pub(crate) const OUTPUT: Setting = Setting {
    id: Id::Output,
    name: "output",
    kind: Kind::Choice {
        words: &["stderr", "json", "quiet"],
        parse: output,
    },
    default: "stderr",
    env: Some("POSTHOOK_OUTPUT"),
    env_note: None,
    flag: Some("--output"),
    in_files: true,
    project: Trust::NotTo(
        "quiet",
        "\"quiet\" is refused in a project file (it would silence every check): set it in the \
         user file, the environment or a flag",
    ),
    help: "How to deliver feedback in hook mode",
};

/// `disabled_rules`.
pub(crate) const DISABLED_RULES: Setting = Setting {
    id: Id::DisabledRules,
    name: "disabled_rules",
    kind: Kind::Rules,
    default: "none",
    env: Some("POSTHOOK_DISABLE"),
    env_note: Some("comma-separated"),
    flag: Some("--disable"),
    in_files: true,
    project: Trust::AdvisoryRules,
    help: "Disable a rule by id (repeatable), e.g. --disable native-overuse",
};

/// `thresholds`.
pub(crate) const THRESHOLDS: Setting = Setting {
    id: Id::Thresholds,
    name: "thresholds",
    kind: Kind::Thresholds,
    default: "per rule",
    env: None,
    env_note: None,
    flag: None,
    in_files: true,
    project: Trust::Any,
    help: "Threshold overrides by key (keys and defaults: `posthook config show`)",
};

/// `budget_ms`.
pub(crate) const BUDGET_MS: Setting = Setting {
    id: Id::BudgetMs,
    name: "budget_ms",
    kind: Kind::Ms(BUDGET_RANGE),
    default: "40",
    env: Some("POSTHOOK_BUDGET_MS"),
    env_note: None,
    flag: Some("--budget-ms"),
    in_files: true,
    project: Trust::Any,
    help: "Time budget for all analyzers of one call, in milliseconds",
};

/// `state_dir`.
pub(crate) const STATE_DIR: Setting = Setting {
    id: Id::StateDir,
    name: "state_dir",
    kind: Kind::Dir,
    default: "$XDG_STATE_HOME/posthook or ~/.local/state/posthook",
    env: Some("POSTHOOK_STATE_DIR"),
    env_note: None,
    flag: Some("--state-dir"),
    in_files: true,
    project: Trust::Never(REFUSED_PATH_OR_LOG),
    help: "Where session history is stored",
};

/// `log_level`.
pub(crate) const LOG_LEVEL: Setting = Setting {
    id: Id::LogLevel,
    name: "log_level",
    kind: Kind::LogLevel,
    default: "info",
    env: Some("POSTHOOK_LOG_LEVEL"),
    env_note: None,
    flag: None,
    in_files: true,
    project: Trust::Never(REFUSED_PATH_OR_LOG),
    help: "Log level (logs go to the file named by POSTHOOK_LOG)",
};

/// `deadline_ms`.
pub(crate) const DEADLINE_MS: Setting = Setting {
    id: Id::DeadlineMs,
    name: "deadline_ms",
    kind: Kind::Ms(DEADLINE_RANGE),
    default: "5000",
    env: Some("POSTHOOK_DEADLINE_MS"),
    env_note: None,
    flag: None,
    in_files: false,
    project: Trust::Any,
    help: "Bound on a whole hook call, in milliseconds",
};

/// `lock_timeout_ms`.
pub(crate) const LOCK_TIMEOUT_MS: Setting = Setting {
    id: Id::LockTimeoutMs,
    name: "lock_timeout_ms",
    kind: Kind::Ms(LOCK_TIMEOUT_RANGE),
    default: "2000",
    env: Some("POSTHOOK_LOCK_TIMEOUT_MS"),
    env_note: None,
    flag: None,
    in_files: false,
    project: Trust::Any,
    help: "Longest wait for a session lock, in milliseconds",
};

/// `escalate`.
pub(crate) const ESCALATE: Setting = Setting {
    id: Id::Escalate,
    name: "escalate",
    kind: Kind::Switch,
    default: "false",
    env: Some("POSTHOOK_ESCALATE"),
    env_note: Some("1/0"),
    flag: None,
    in_files: true,
    project: Trust::Any,
    help: "The original's escalation of ignored advice to blocking",
};

fn stop_check(s: &str) -> Option<Value> {
    StopMode::parse(s).map(|m| Value::Text(m.as_str().to_string()))
}

/// `stop_check`.
pub(crate) const STOP_CHECK: Setting = Setting {
    id: Id::StopCheck,
    name: "stop_check",
    kind: Kind::Choice {
        words: &["block", "advice", "off"],
        parse: stop_check,
    },
    default: "block",
    env: Some("POSTHOOK_STOP_CHECK"),
    env_note: None,
    flag: None,
    in_files: true,
    project: Trust::Any,
    help:
        "The end of a turn with code changed since its last check: block it once (the model goes \
           on), advice (a message for the user only) or off",
};

/// `fsync`.
pub(crate) const FSYNC: Setting = Setting {
    id: Id::Fsync,
    name: "fsync",
    kind: Kind::Switch,
    default: "false",
    env: Some("POSTHOOK_FSYNC"),
    env_note: Some("1/0"),
    flag: None,
    in_files: false,
    project: Trust::Any,
    help: "Whether each save of a session's state is fsynced (about 1 ms per call)",
};

/// `learned_backoff`.
pub(crate) const LEARNED_BACKOFF: Setting = Setting {
    id: Id::LearnedBackoff,
    name: "learned_backoff",
    kind: Kind::Switch,
    default: "true",
    env: Some("POSTHOOK_LEARNED_BACKOFF"),
    env_note: Some("1/0"),
    flag: None,
    in_files: true,
    project: Trust::Any,
    help: "Quiet a rule in a project whose messages the agent rarely acts on (uptake under 20% over 6 shown: longer cooldowns; over 12: off); never a critical rule",
};

/// Every setting, in the order `config show` lists them (the single-valued ones first) and the
/// files' keys are named.
pub(crate) const SETTINGS: &[&Setting] = &[
    &PROFILE,
    &OUTPUT,
    &DISABLED_RULES,
    &THRESHOLDS,
    &BUDGET_MS,
    &STATE_DIR,
    &LOG_LEVEL,
    &DEADLINE_MS,
    &LOCK_TIMEOUT_MS,
    &ESCALATE,
    &STOP_CHECK,
    &FSYNC,
    &LEARNED_BACKOFF,
];

impl Setting {
    /// The flag's help: the one line, its default, its variable and its file key.
    pub(crate) fn flag_help(&self) -> String {
        let mut help = self.help.to_string();
        if !matches!(self.kind, Kind::Dir | Kind::Rules | Kind::Thresholds) {
            help.push_str(&format!(" [default: {}]", self.default));
        }
        let mut sources = Vec::new();
        if let Some(env) = self.env {
            sources.push(match self.env_note {
                Some(note) => format!("env: {env}, {note}"),
                None => format!("env: {env}"),
            });
        }
        if self.in_files {
            sources.push(format!("config: {}", self.name));
        }
        if !sources.is_empty() {
            help.push_str(&format!(" [{}]", sources.join("; ")));
        }
        help
    }

    /// Whether the project file may give this value (`Err`: why not, as the problem's message).
    pub(crate) fn allowed_in_project(&self, v: &serde_json::Value) -> Result<(), &'static str> {
        match self.project {
            Trust::Never(why) => Err(why),
            Trust::NotTo(refused, why) if v.as_str() == Some(refused) => Err(why),
            _ => Ok(()),
        }
    }
}

/// The names of the files' keys, in the table's order.
pub(crate) fn file_keys() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|s| s.in_files)
        .map(|s| s.name)
        .collect()
}

/// The setting the files call `key`.
pub(crate) fn file_key(key: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .copied()
        .find(|s| s.in_files && s.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variable as docs/configuration.md names it: `POSTHOOK_DISABLE (comma-separated)`.
    fn env_doc(s: &Setting) -> Option<String> {
        let env = s.env?;
        Some(match s.env_note {
            Some(note) => format!("{env} ({note})"),
            None => env.to_string(),
        })
    }

    /// The flag as docs/configuration.md names it: `--disable (repeatable)`.
    fn flag_doc(s: &Setting) -> Option<String> {
        let flag = s.flag?;
        Some(match s.kind {
            Kind::Rules => format!("{flag} (repeatable)"),
            _ => flag.to_string(),
        })
    }

    /// docs/configuration.md, the page on the configuration: all of it is the settings' story.
    fn doc_section() -> &'static str {
        let doc = include_str!("../../docs/configuration.md");
        assert!(
            doc.starts_with("# Configuration\n"),
            "docs/configuration.md is the Configuration page"
        );
        doc
    }

    #[test]
    fn the_configuration_doc_names_every_setting_as_the_table_does() {
        let section = doc_section();
        let plain = |s: &str| s.replace('`', "");
        let dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
        for s in SETTINGS {
            if s.in_files {
                let row = section
                    .lines()
                    .find(|l| l.starts_with(&format!("| `{}` |", s.name)))
                    .unwrap_or_else(|| panic!("no docs/configuration.md row for `{}`", s.name));
                let cells: Vec<String> = row.split('|').map(|c| plain(c.trim())).collect();
                // | key | values | default | env | flag |
                assert_eq!(cells.len(), 7, "{row}");
                assert_eq!(
                    cells[3], s.default,
                    "default of {} in docs/configuration.md",
                    s.name
                );
                assert_eq!(
                    cells[4],
                    dash(env_doc(s)),
                    "env of {} in docs/configuration.md",
                    s.name
                );
                assert_eq!(
                    cells[5],
                    dash(flag_doc(s)),
                    "flag of {} in docs/configuration.md",
                    s.name
                );
            } else {
                // Environment only: named in the text with its range or spelling and default.
                let env = s.env.expect("a setting no file sets has a variable");
                let how = match &s.kind {
                    Kind::Ms(r) => format!("{}-{}", r.start(), r.end()),
                    _ => s.env_note.unwrap_or_default().to_string(),
                };
                let doc = format!("{env} ({how}, default {}", s.default);
                let text = plain(section)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(text.contains(&doc), "docs/configuration.md lacks \"{doc}\"");
                assert!(
                    s.flag.is_none(),
                    "{} has a flag: give it a docs/configuration.md row",
                    s.name
                );
            }
        }
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(
            rows,
            file_keys().len(),
            "a docs/configuration.md row for a setting not in the table"
        );
    }

    #[test]
    fn defaults_are_valid_values_and_agree_with_the_constants() {
        for s in SETTINGS.iter().filter(|s| s.kind.is_single()) {
            if matches!(s.kind, Kind::Dir) {
                continue;
            }
            assert!(
                super::super::env::parse_text(&s.kind, s.default.as_ref()).is_ok(),
                "default of {}",
                s.name
            );
        }
        let ms = |d: std::time::Duration| d.as_millis().to_string();
        assert_eq!(DEADLINE_MS.default, ms(crate::hook::DEFAULT_DEADLINE));
        assert_eq!(
            LOCK_TIMEOUT_MS.default,
            ms(crate::store::DEFAULT_LOCK_TIMEOUT)
        );
        assert_eq!(
            BUDGET_MS.default,
            super::super::DEFAULT_BUDGET_MS.to_string()
        );
        assert_eq!(BUDGET_MS.default, ms(crate::runtime::DEFAULT_BUDGET));
        assert_eq!(PROFILE.default, Profile::default().as_str());
        assert_eq!(OUTPUT.default, OutputMode::default().as_str());
    }
}
