//! Configuration: `.claude/posthook.json` (project) over `~/.config/posthook/config.json` (user)
//! over the defaults, with environment variables and command-line flags on top.
//!
//! Precedence, highest first: flag > environment > project file > user file > default. Disabled
//! rules are the union of every level; thresholds are merged key by key. Every value remembers
//! where it came from (`posthook config show`).
//!
//! Validation is strict and precise: an unknown key or a bad value is a [`Problem`] naming the file,
//! the JSON path and what was expected (`posthook config check` exits non-zero on any). Resolution
//! is forgiving: a bad value is skipped (the level below applies) and a file that is not JSON is
//! ignored as a whole, so in hook mode a broken config never breaks the session; hook mode logs the
//! problems. Cost: at most two small files read (each capped at [`MAX_CONFIG_BYTES`]).
//!
//! Every setting is one entry of the `settings!` table in `table.rs` (name, types, kind, default,
//! variable, flag, file key, what the project file may do with it, help line), which makes its
//! `Id` and its fields of [`Layer`] and [`Config`]; the other files follow it: `layer.rs` (a
//! value's way in and out of those fields), `file.rs` (the config files), `env.rs` (the
//! environment, and the flags' values checked alike), `flags.rs` (the command-line flags),
//! `resolve.rs` (the levels merged), `show.rs` (`config show` and `config check`).

mod env;
mod file;
mod flags;
mod layer;
mod resolve;
mod show;
pub(crate) mod table;

pub(crate) use env::parse_ms;
pub use file::parse_layer_as;
pub(crate) use file::{read_regular, user_config_path};
pub(crate) use flags::{HookFlags, OutputFlag, RuleFlags, StateDirFlag};
pub use layer::{Problem, Source};
pub use resolve::{resolve, FileInfo, FileStatus, Resolved};
pub(crate) use show::{check_text, fmt_num, show_text};
pub use table::{
    settings_markdown, Config, Layer, BUDGET_RANGE, DEADLINE_RANGE, LOCK_TIMEOUT_RANGE,
};

use crate::project::current_project_dir;
use posthook_analyzers::builtin;
use std::ffi::OsString;
use std::path::PathBuf;

/// The project config file, relative to the project dir.
pub const PROJECT_FILE: &str = ".claude/posthook.json";
/// Config files larger than this are refused (a config is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// The default time budget, in ms.
pub const DEFAULT_BUDGET_MS: u64 = 40;

/// Every threshold key the built-in analyzers read, with its default and meaning.
///
/// The one place config validation, `config show` and `explain` learn the keys from; the list
/// itself is declared by the analyzers ([`builtin::thresholds`]).
pub(crate) fn known_thresholds() -> Vec<(&'static str, f64, &'static str)> {
    builtin::thresholds()
        .iter()
        .map(|t| (t.key, t.default, t.description))
        .collect()
}

/// Every rule id that can be disabled.
pub(crate) fn known_rules() -> Vec<&'static str> {
    builtin::rule_ids()
}

/// The hook's deadline as the environment sets it, validated: read before any file is touched, so
/// that the deadline bounds the reading of the config files and the log.
pub fn deadline_from_env() -> Option<std::time::Duration> {
    let v = std::env::var(table::Id::DeadlineMs.setting().env?).ok()?;
    parse_ms(&v, &DEADLINE_RANGE).map(std::time::Duration::from_millis)
}

/// The rules a project file may not disable: the critical single-call checks.
pub fn safety_rules() -> Vec<&'static str> {
    crate::runtime::critical_rules()
}

/// Inputs to [`resolve()`], gathered by the caller.
pub struct Inputs<'a> {
    /// Values from command-line flags.
    pub flags: Layer,
    /// Looks up environment variables (`std::env::var_os` in real use).
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
    /// The project dir, whose `.claude/posthook.json` is read; `None` reads no project file.
    pub project_dir: Option<PathBuf>,
}

/// Resolves the configuration of this process: its environment, and the project dir
/// (`CLAUDE_PROJECT_DIR`, else the git root of the cwd, else the cwd).
pub fn resolve_current(flags: Layer) -> Resolved {
    let env = |k: &str| std::env::var_os(k);
    resolve(&Inputs {
        flags,
        env: &env,
        project_dir: Some(current_project_dir()),
    })
}
