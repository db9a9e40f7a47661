//! The settings: one entry per setting, from which follow its [`Id`], its field in a [`Layer`]
//! and in the effective [`Config`], and its row in [`SETTINGS`] (name, kind, default, environment
//! variable, flag, whether the files and the untrusted project file may set it, help line).
//!
//! Reading every level, resolution, `config show`, `config check`, the flags' `--help` and the
//! table of settings in docs/configuration.md ([`settings_markdown`]) all follow this table. A new
//! setting is an entry of `settings!` below, and the code that uses its value; a flag also takes
//! a field in `flags.rs` (a unit test there keeps the flags and the table equal).

use super::env::parse_text;
use super::layer::{Field, Slot, Value};
use crate::output::OutputMode;
use posthook_analyzers::{Profile, StopMode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// The budget range, in ms, whichever level sets it.
pub const BUDGET_RANGE: RangeInclusive<u64> = 1..=10_000;
/// The range of `POSTHOOK_DEADLINE_MS`: below 50 ms no call could finish.
pub const DEADLINE_RANGE: RangeInclusive<u64> = 50..=600_000;
/// The range of `POSTHOOK_LOCK_TIMEOUT_MS` (0: do not wait).
pub const LOCK_TIMEOUT_RANGE: RangeInclusive<u64> = 0..=60_000;
/// The log levels a file may set (the environment may set any tracing filter directive).
pub(crate) const LOG_LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// From one entry per setting (`Id field: type in a Layer => type in the Config { Setting's
/// fields }`, its doc comment on all three): the [`Id`] enum, the [`SETTINGS`] table, the
/// [`Layer`] and [`Config`] structs and their `get`/`set`/`shown` matches. Plain fields and
/// matches: resolution costs what hand-written code would.
macro_rules! settings {
    ($(
        $(#[$doc:meta])*
        $id:ident $field:ident: $layer:ty => $config:ty {
            kind: $kind:expr, default: $default:expr, help: $help:expr, $($key:ident: $value:expr,)*
        }
    )*) => {
        /// Which setting an entry is: its place in [`SETTINGS`] and the key of its fields.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Id {
            $($(#[$doc])* $id,)*
        }

        /// Every setting, in the order `config show` lists them (the single-valued ones first)
        /// and the files' keys are named.
        pub(crate) static SETTINGS: &[Setting] = &[$(Setting {
            id: Id::$id,
            name: stringify!($field),
            kind: $kind,
            default: $default,
            help: $help,
            $($key: $value,)*
            ..Setting::BASE
        },)*];

        /// Values set by one level (a file, the environment or the flags).
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Layer {
            $($(#[$doc])* pub $field: $layer,)*
        }

        impl Layer {
            /// The value this level sets for a single-valued setting (`None` for the rules and
            /// the thresholds, which are merged, not replaced).
            pub(crate) fn get(&self, id: Id) -> Option<Value> {
                match id {
                    $(Id::$id => Slot::get(&self.$field),)*
                }
            }

            /// Sets (or with `None` clears) a single-valued setting.
            pub(crate) fn set(&mut self, id: Id, v: Option<Value>) {
                match id {
                    $(Id::$id => Slot::set(&mut self.$field, v),)*
                }
            }
        }

        /// The effective configuration.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct Config {
            $($(#[$doc])* #[serde(serialize_with = "Field::json")] pub $field: $config,)*
        }

        impl Config {
            /// Every setting at the table's default (no state dir: the caller finds the default
            /// one).
            pub(super) fn defaults() -> Config {
                let mut c = Config { $($field: Default::default(),)* };
                for s in SETTINGS {
                    if let Some(v) = s.default_value() {
                        c.set(s.id, v);
                    }
                }
                c
            }

            /// Sets a single-valued setting.
            pub(super) fn set(&mut self, id: Id, v: Value) {
                match id {
                    $(Id::$id => Field::set(&mut self.$field, v),)*
                }
            }

            /// A single-valued setting as `config show` prints it.
            pub(crate) fn shown(&self, id: Id) -> String {
                match id {
                    $(Id::$id => Field::shown(&self.$field),)*
                }
            }
        }
    };
}

const REFUSED_PATH_OR_LOG: &str = "refused in a project file (a cloned repository must not choose \
     where posthook writes or logs): set it in the user file, the environment or a flag";

settings! {
    /// Rule profile.
    Profile profile: Option<Profile> => Profile {
        kind: Kind::Choice {
            words: &["auto", "default", "hive"],
            parse: |s| Profile::parse(s).map(Value::Profile),
        },
        default: "auto",
        help: "Rule profile: auto (hive rules once zen/claude-flow tools are used), default, hive",
        env: Some("POSTHOOK_PROFILE"),
        flag: Some("--profile"),
    }
    /// Output mode: how feedback is delivered in hook mode.
    Output output: Option<OutputMode> => OutputMode {
        kind: Kind::Choice {
            words: &["stderr", "json", "quiet"],
            parse: |s| OutputMode::parse(s).map(Value::Output),
        },
        default: "stderr",
        help: "How to deliver feedback in hook mode",
        env: Some("POSTHOOK_OUTPUT"),
        flag: Some("--output"),
        project: Trust::NotTo(
            "quiet",
            "\"quiet\" is refused in a project file (it would silence every check): set it in \
             the user file, the environment or a flag",
        ),
        doc: " (see the [output contract](output.md))",
    }
    /// Disabled rules (each level's added to the others').
    DisabledRules disabled_rules: Vec<String> => BTreeSet<String> {
        kind: Kind::Rules,
        default: "none",
        help: "Disable a rule by id (repeatable), e.g. --disable native-overuse",
        env: Some("POSTHOOK_DISABLE"),
        flag: Some("--disable"),
        project: Trust::AdvisoryRules,
        doc: " (the `[rule-id]` of a message)",
    }
    /// Threshold overrides (only those set somewhere), merged key by key.
    Thresholds thresholds: BTreeMap<String, f64> => BTreeMap<String, f64> {
        kind: Kind::Thresholds,
        default: "per rule",
        help: "Threshold overrides by key (keys and defaults: `posthook config show`)",
        doc: "; keys and defaults: `posthook config show`",
    }
    /// Time budget for all analyzers of one call, in ms.
    BudgetMs budget_ms: Option<u64> => u64 {
        kind: Kind::Ms(BUDGET_RANGE),
        default: "40",
        help: "Time budget for all analyzers of one call, in milliseconds",
        env: Some("POSTHOOK_BUDGET_MS"),
        flag: Some("--budget-ms"),
        doc: ": time budget for all analyzers of one call",
    }
    /// State dir (in the [`Config`], `None`: no HOME and nothing configured; history is not
    /// kept).
    StateDir state_dir: Option<PathBuf> => Option<PathBuf> {
        kind: Kind::Dir,
        default: "`$XDG_STATE_HOME/posthook` or `~/.local/state/posthook`",
        help: "Where session history is stored",
        env: Some("POSTHOOK_STATE_DIR"),
        flag: Some("--state-dir"),
        project: Trust::Never(REFUSED_PATH_OR_LOG),
    }
    /// Log level (the log file is `POSTHOOK_LOG`).
    LogLevel log_level: Option<String> => String {
        kind: Kind::LogLevel,
        default: "info",
        help: "Log level (logs go to the file named by POSTHOOK_LOG)",
        env: Some("POSTHOOK_LOG_LEVEL"),
        project: Trust::Never(REFUSED_PATH_OR_LOG),
        doc: " (logs go to the file named by `POSTHOOK_LOG`)",
    }
    /// Bound on a whole hook call, in ms (environment only).
    DeadlineMs deadline_ms: Option<u64> => u64 {
        kind: Kind::Ms(DEADLINE_RANGE),
        default: "5000",
        help: "Bound on a whole hook call, in milliseconds",
        env: Some("POSTHOOK_DEADLINE_MS"),
        in_files: false,
    }
    /// Longest wait for a session lock, in ms (environment only).
    LockTimeoutMs lock_timeout_ms: Option<u64> => u64 {
        kind: Kind::Ms(LOCK_TIMEOUT_RANGE),
        default: "2000",
        help: "Longest wait for a session lock, in milliseconds",
        env: Some("POSTHOOK_LOCK_TIMEOUT_MS"),
        in_files: false,
    }
    /// The original's escalation: ignored advice gets firmer and, the fifth time, blocks. Off:
    /// ignored advice backs off and is muted for its subject.
    Escalate escalate: Option<bool> => bool {
        kind: Kind::Switch,
        default: "false",
        help: "The original's escalation of ignored advice to blocking",
        env: Some("POSTHOOK_ESCALATE"),
        doc: ": the original's escalation of ignored advice to blocking (see [Rules](rules.md))",
    }
    /// What the end of a turn with unchecked changes gets (`unchecked-stop`): block it once,
    /// advice for the user, or nothing.
    StopCheck stop_check: Option<StopMode> => StopMode {
        kind: Kind::Choice {
            words: &["block", "advice", "off"],
            parse: |s| StopMode::parse(s).map(Value::Stop),
        },
        default: "block",
        help: "The end of a turn with code changed since its last check: block it once (the \
               model goes on), advice (a message for the user only) or off",
        env: Some("POSTHOOK_STOP_CHECK"),
        doc: ": what the end of a turn with unchecked code gets (`unchecked-stop`)",
    }
    /// Whether each save of a session's state is fsynced (environment only).
    Fsync fsync: Option<bool> => bool {
        kind: Kind::Switch,
        default: "false",
        help: "Whether each save of a session's state is fsynced (about 1 ms per call)",
        env: Some("POSTHOOK_FSYNC"),
        in_files: false,
        doc: ": see [Session history](hardening.md#session-history)",
    }
    /// Whether rules whose messages are rarely acted on in a project are quieted there.
    LearnedBackoff learned_backoff: Option<bool> => bool {
        kind: Kind::Switch,
        default: "true",
        help: "Quiet a rule in a project whose messages the agent rarely acts on (uptake under \
               20% over 6 shown: longer cooldowns; over 12: off); never a critical rule",
        env: Some("POSTHOOK_LEARNED_BACKOFF"),
        doc: ": quiet, per project, a rule whose messages the agent rarely acts on (see \
              [Stats, uptake and the status line](stats.md))",
    }
}

impl Id {
    /// This setting's entry of the table.
    pub(crate) fn setting(self) -> &'static Setting {
        &SETTINGS[self as usize]
    }
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

    /// How a variable is spelled, when the kind does not say.
    pub(crate) fn env_note(&self) -> Option<&'static str> {
        match self {
            Kind::Switch => Some("1/0"),
            Kind::Rules => Some("comma-separated"),
            _ => None,
        }
    }

    /// The values as docs/configuration.md names them.
    pub(crate) fn doc_values(&self) -> String {
        let code = |words: &[&str]| {
            let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
            quoted.join(", ")
        };
        match self {
            Kind::Choice { words, .. } => code(words),
            Kind::Ms(r) => format!("{}–{}", r.start(), r.end()),
            Kind::Dir => "absolute path or `~/…`".into(),
            Kind::Switch => code(&["true", "false"]),
            Kind::LogLevel => code(LOG_LEVELS),
            Kind::Rules => "rule ids".into(),
            Kind::Thresholds => "`{\"rule.key\": number}`".into(),
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
    /// docs say).
    pub default: &'static str,
    /// One line for `--help`.
    pub help: &'static str,
    /// The environment variable that sets it.
    pub env: Option<&'static str>,
    /// The command-line flag that sets it.
    pub flag: Option<&'static str>,
    /// Whether the config files may set it (under [`name`](Self::name)).
    pub in_files: bool,
    /// What the project file may do with it (for a setting the files may set).
    pub project: Trust,
    /// What docs/configuration.md says after the values the kind names (a purpose, a link).
    pub doc: &'static str,
}

impl Setting {
    /// What an entry of `settings!` leaves out: no variable, no flag, set by any file, nothing
    /// more to say in the docs. (The fields every entry gives are placeholders here.)
    const BASE: Setting = Setting {
        id: Id::Profile,
        name: "",
        kind: Kind::Switch,
        default: "",
        help: "",
        env: None,
        flag: None,
        in_files: true,
        project: Trust::Any,
        doc: "",
    };

    /// The flag's help: the one line, its default, its variable and its file key.
    pub(crate) fn flag_help(&self) -> String {
        let mut help = self.help.to_string();
        if !matches!(self.kind, Kind::Dir | Kind::Rules | Kind::Thresholds) {
            help.push_str(&format!(" [default: {}]", self.default));
        }
        let mut sources = Vec::new();
        if let Some(env) = self.env {
            sources.push(match self.kind.env_note() {
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

    /// The default as a value (`None` for a directory, which the caller finds, and for the rules
    /// and the thresholds).
    pub(crate) fn default_value(&self) -> Option<Value> {
        if matches!(self.kind, Kind::Dir) || !self.kind.is_single() {
            return None;
        }
        parse_text(&self.kind, self.default.as_ref()).ok()
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
    SETTINGS.iter().find(|s| s.in_files && s.name == key)
}

/// The table of settings of docs/configuration.md: a row per key of the files, then the variables
/// no file sets.
pub fn settings_markdown() -> String {
    let code = |t: &str| format!("`{t}`");
    let mut out = String::from("| key | values | default | env | flag |\n|---|---|---|---|---|\n");
    let mut env_only = Vec::new();
    for s in SETTINGS {
        let env = s.env.map(|env| match (&s.kind, s.kind.env_note()) {
            (Kind::Switch, _) => format!("`{env}` (`1`/`0`)"),
            (_, Some(note)) => format!("`{env}` ({note})"),
            (_, None) => code(env),
        });
        let default = match s.kind {
            Kind::Choice { .. } | Kind::Switch | Kind::LogLevel => code(s.default),
            _ => s.default.to_string(),
        };
        if !s.in_files {
            let spelled = match &s.kind {
                Kind::Switch => "`1`/`0`".to_string(),
                kind => kind.doc_values(),
            };
            let env = code(s.env.unwrap_or_default());
            env_only.push(format!("{env} ({spelled}, default {default}{})", s.doc));
            continue;
        }
        let flag = s.flag.map(|flag| match s.kind {
            Kind::Rules => format!("`{flag}` (repeatable)"),
            _ => code(flag),
        });
        let dash = |cell: Option<String>| cell.unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| `{}` | {}{} | {default} | {} | {} |\n",
            s.name,
            s.kind.doc_values(),
            s.doc,
            dash(env),
            dash(flag)
        ));
    }
    if let Some((last, rest)) = env_only.split_last() {
        let list = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} and {last}", rest.join(", "))
        };
        out.push_str(&format!("\nEnvironment only: {list}.\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_values_and_agree_with_the_constants() {
        for s in SETTINGS.iter().filter(|s| s.kind.is_single()) {
            assert_eq!(
                s.default_value().is_some(),
                !matches!(s.kind, Kind::Dir),
                "default of {}",
                s.name
            );
        }
        let default = |id: Id| id.setting().default;
        let ms = |d: std::time::Duration| d.as_millis().to_string();
        assert_eq!(default(Id::DeadlineMs), ms(crate::hook::DEFAULT_DEADLINE));
        assert_eq!(
            default(Id::LockTimeoutMs),
            ms(crate::store::DEFAULT_LOCK_TIMEOUT)
        );
        assert_eq!(
            default(Id::BudgetMs),
            super::super::DEFAULT_BUDGET_MS.to_string()
        );
        assert_eq!(default(Id::BudgetMs), ms(crate::runtime::DEFAULT_BUDGET));
        assert_eq!(default(Id::Profile), Profile::default().as_str());
        assert_eq!(default(Id::Output), OutputMode::default().as_str());
        assert_eq!(default(Id::StopCheck), StopMode::default().as_str());
    }

    #[test]
    fn each_entry_is_its_ids_and_its_fields_hold_what_its_kind_parses() {
        for (i, s) in SETTINGS.iter().enumerate() {
            assert_eq!(s.id as usize, i, "{}", s.name);
            assert!(std::ptr::eq(s.id.setting(), s), "{}", s.name);
            assert!(s.in_files || s.env.is_some(), "{}: nothing sets it", s.name);
            if !s.kind.is_single() {
                continue;
            }
            // A valid value other than the default, so that a field that ignores it shows.
            let raw: String = match &s.kind {
                Kind::Choice { words, .. } => words
                    .iter()
                    .find(|w| **w != s.default)
                    .expect(s.name)
                    .to_string(),
                Kind::Ms(r) if r.start().to_string() == s.default => r.end().to_string(),
                Kind::Ms(r) => r.start().to_string(),
                Kind::Switch => (s.default != "true").to_string(),
                Kind::LogLevel => "trace".into(),
                _ => "/some/dir".into(),
            };
            let v = parse_text(&s.kind, raw.as_ref()).expect(s.name);
            let mut layer = Layer::default();
            layer.set(s.id, Some(v.clone()));
            assert_eq!(layer.get(s.id), Some(v.clone()), "{}: Layer", s.name);
            layer.set(s.id, None);
            assert_eq!(layer, Layer::default(), "{}: cleared", s.name);
            let mut config = Config::defaults();
            assert_ne!(config.shown(s.id), raw, "{}: default", s.name);
            config.set(s.id, v);
            assert_eq!(config.shown(s.id), raw, "{}: Config", s.name);
        }
    }

    #[test]
    fn the_docs_table_names_each_setting_as_the_table_does() {
        let md = settings_markdown();
        let row = |name: &str| {
            md.lines()
                .find(|l| l.starts_with(&format!("| `{name}` |")))
                .unwrap_or_else(|| panic!("no row for {name}:\n{md}"))
                .to_string()
        };
        assert_eq!(
            row("budget_ms"),
            "| `budget_ms` | 1–10000: time budget for all analyzers of one call | 40 | \
             `POSTHOOK_BUDGET_MS` | `--budget-ms` |"
        );
        assert_eq!(
            row("disabled_rules"),
            "| `disabled_rules` | rule ids (the `[rule-id]` of a message) | none | \
             `POSTHOOK_DISABLE` (comma-separated) | `--disable` (repeatable) |"
        );
        assert!(row("escalate").contains("| `false` | `POSTHOOK_ESCALATE` (`1`/`0`) | — |"));
        assert_eq!(
            md.lines().filter(|l| l.starts_with("| `")).count(),
            file_keys().len()
        );
        assert!(
            md.contains("`POSTHOOK_DEADLINE_MS` (50–600000, default 5000), "),
            "{md}"
        );
        assert!(
            md.contains(" and `POSTHOOK_FSYNC` (`1`/`0`, default `false`: see "),
            "{md}"
        );
    }
}
