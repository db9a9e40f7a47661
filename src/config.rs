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

use crate::output::OutputMode;
use crate::project::current_project_dir;
use crate::store::default_state_dir;
use posthook_analyzers::{builtin, Profile, Settings};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The project config file, relative to the project dir.
pub const PROJECT_FILE: &str = ".claude/posthook.json";
/// Config files larger than this are refused (a config is a few hundred bytes).
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// The default time budget, in ms.
pub const DEFAULT_BUDGET_MS: u64 = 40;
/// The default log level.
pub const DEFAULT_LOG_LEVEL: &str = "info";

const KEYS: &[&str] = &[
    "profile",
    "output",
    "disabled_rules",
    "thresholds",
    "budget_ms",
    "state_dir",
    "log_level",
    "escalate",
];
const LOG_LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// Every threshold key the built-in analyzers read, with its default and meaning.
///
/// The one place config validation, `config show` and `explain` learn the keys from; the list
/// itself is declared by the analyzers ([`builtin::thresholds`]).
pub fn known_thresholds() -> Vec<(&'static str, f64, &'static str)> {
    builtin::thresholds()
        .iter()
        .map(|t| (t.key, t.default, t.description))
        .collect()
}

/// Every rule id that can be disabled.
pub fn known_rules() -> Vec<&'static str> {
    builtin::rule_ids()
}

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
    /// Bound on a whole hook call, in ms (environment only).
    pub deadline_ms: Option<u64>,
    /// Longest wait for a session lock, in ms (environment only).
    pub lock_timeout_ms: Option<u64>,
}

/// The budget range, in ms, whichever level sets it.
pub const BUDGET_RANGE: std::ops::RangeInclusive<u64> = 1..=10_000;
/// The range of `POSTHOOK_DEADLINE_MS`: below 50 ms no call could finish.
pub const DEADLINE_RANGE: std::ops::RangeInclusive<u64> = 50..=600_000;
/// The range of `POSTHOOK_LOCK_TIMEOUT_MS` (0: do not wait).
pub const LOCK_TIMEOUT_RANGE: std::ops::RangeInclusive<u64> = 0..=60_000;

/// Parses a whole number of ms in `range`; `None` for anything else (the caller reports it).
pub fn parse_ms(v: &str, range: &std::ops::RangeInclusive<u64>) -> Option<u64> {
    v.trim().parse::<u64>().ok().filter(|n| range.contains(n))
}

/// The hook's deadline as the environment sets it, validated: read before any file is touched, so
/// that the deadline bounds the reading of the config files and the log.
pub fn deadline_from_env() -> Option<std::time::Duration> {
    let v = std::env::var("POSTHOOK_DEADLINE_MS").ok()?;
    parse_ms(&v, &DEADLINE_RANGE).map(std::time::Duration::from_millis)
}

/// Whether a state dir from a flag or the environment is acceptable: an absolute path (a relative
/// one would follow the cwd of each call, `.` being the project itself).
fn absolute_dir(p: &Path) -> bool {
    p.is_absolute()
}

/// The rules a project file may not disable: the critical single-call checks.
pub fn safety_rules() -> Vec<&'static str> {
    crate::runtime::critical_rules()
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// Rule profile.
    #[serde(serialize_with = "ser_profile")]
    pub profile: Profile,
    /// Output mode.
    #[serde(serialize_with = "ser_output")]
    pub output: OutputMode,
    /// Disabled rules.
    pub disabled_rules: BTreeSet<String>,
    /// Threshold overrides (only those set somewhere).
    pub thresholds: BTreeMap<String, f64>,
    /// Time budget in ms.
    pub budget_ms: u64,
    /// State dir (`None`: no HOME and nothing configured; history is not kept).
    pub state_dir: Option<PathBuf>,
    /// Log level (the log file is `POSTHOOK_LOG`).
    pub log_level: String,
    /// Bound on a whole hook call, in ms (`POSTHOOK_DEADLINE_MS`).
    pub deadline_ms: u64,
    /// Longest wait for a session lock, in ms (`POSTHOOK_LOCK_TIMEOUT_MS`).
    pub lock_timeout_ms: u64,
    /// The original's escalation: ignored advice gets firmer and, the fifth time, blocks. Off:
    /// ignored advice backs off and is muted for its subject.
    pub escalate: bool,
}

fn ser_profile<S: serde::Serializer>(p: &Profile, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

fn ser_output<S: serde::Serializer>(o: &OutputMode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(o.as_str())
}

impl Config {
    /// The analysis settings of this config.
    pub fn settings(&self) -> Settings {
        Settings {
            profile: self.profile,
            disabled: self.disabled_rules.clone(),
            thresholds: self.thresholds.clone(),
            escalate: self.escalate,
        }
    }
}

/// What happened to one config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Not there (fine: every file is optional).
    Missing,
    /// Read; its valid values apply.
    Read,
    /// Not readable or not JSON: ignored as a whole.
    Ignored,
}

/// A config file that was looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// `user` or `project`.
    pub level: &'static str,
    /// Its path.
    pub path: PathBuf,
    /// What happened to it.
    pub status: FileStatus,
}

/// The result of resolving the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    /// The effective values.
    pub config: Config,
    /// Where each value came from: `profile`, `output`, `budget_ms`, `state_dir`, `log_level`,
    /// `disabled_rules.<rule>`, `thresholds.<key>`.
    pub sources: BTreeMap<String, Source>,
    /// The files looked at.
    pub files: Vec<FileInfo>,
    /// Everything wrong, in files and variables.
    pub problems: Vec<Problem>,
}

/// The user config file: `$XDG_CONFIG_HOME/posthook/config.json`, else
/// `~/.config/posthook/config.json`.
pub fn user_config_path(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(x) = non_empty("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(x).join("posthook/config.json"));
    }
    non_empty("HOME").map(|h| PathBuf::from(h).join(".config/posthook/config.json"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Checker<'a> {
    origin: &'a str,
    problems: Vec<Problem>,
    /// The project file: untrusted (see the module docs).
    project: bool,
}

impl Checker<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: self.origin.to_string(),
            path: path.into(),
            message: message.into(),
        });
    }

    fn string<'v>(&mut self, path: &str, v: &'v Value, expected: &str) -> Option<&'v str> {
        let s = v.as_str();
        if s.is_none() {
            self.problem(path, format!("expected {expected}, found {}", kind(v)));
        }
        s
    }

    fn layer(&mut self, doc: &Map<String, Value>, home: Option<&Path>) -> Layer {
        let mut layer = Layer::default();
        for (key, v) in doc {
            match key.as_str() {
                "profile" => {
                    let expected = "one of \"auto\", \"default\", \"hive\"";
                    if let Some(s) = self.string(key, v, expected) {
                        layer.profile = Profile::parse(s);
                        if layer.profile.is_none() {
                            self.problem(key, format!("expected {expected}, found \"{s}\""));
                        }
                    }
                }
                "output" if self.project && v.as_str() == Some("quiet") => self.problem(
                    key.as_str(),
                    "\"quiet\" is refused in a project file (it would silence every check): set \
                     it in the user file, the environment or a flag",
                ),
                "output" => {
                    let expected = "one of \"stderr\", \"json\", \"quiet\"";
                    if let Some(s) = self.string(key, v, expected) {
                        layer.output = OutputMode::parse(s);
                        if layer.output.is_none() {
                            self.problem(key, format!("expected {expected}, found \"{s}\""));
                        }
                    }
                }
                "disabled_rules" => layer.disabled = self.rules(key, v),
                "thresholds" => layer.thresholds = self.thresholds(key, v),
                "state_dir" | "log_level" if self.project => self.problem(
                    key.as_str(),
                    "refused in a project file (a cloned repository must not choose where \
                     posthook writes or logs): set it in the user file, the environment or a flag",
                ),
                "budget_ms" => {
                    let expected = "a whole number of milliseconds from 1 to 10000";
                    match v.as_u64().filter(|n| BUDGET_RANGE.contains(n)) {
                        Some(n) => layer.budget_ms = Some(n),
                        None => self.problem(key, format!("expected {expected}, found {v}")),
                    }
                }
                "state_dir" => {
                    let expected = "an absolute path or one starting with ~/";
                    if let Some(s) = self.string(key, v, expected) {
                        match expand_path(s, home) {
                            Some(p) => layer.state_dir = Some(p),
                            None => {
                                self.problem(key, format!("expected {expected}, found \"{s}\""))
                            }
                        }
                    }
                }
                "escalate" => match v.as_bool() {
                    Some(b) => layer.escalate = Some(b),
                    None => self.problem(key, format!("expected true or false, found {v}")),
                },
                "log_level" => {
                    let expected = format!("one of {}", LOG_LEVELS.join(", "));
                    if let Some(s) = self.string(key, v, &expected) {
                        if LOG_LEVELS.contains(&s) {
                            layer.log_level = Some(s.to_string());
                        } else {
                            self.problem(key, format!("expected {expected}, found \"{s}\""));
                        }
                    }
                }
                _ => self.problem(
                    key.as_str(),
                    format!("unknown key (expected one of {})", KEYS.join(", ")),
                ),
            }
        }
        layer
    }

    fn rules(&mut self, key: &str, v: &Value) -> Vec<String> {
        let Some(items) = v.as_array() else {
            self.problem(
                key,
                format!("expected an array of rule ids, found {}", kind(v)),
            );
            return Vec::new();
        };
        let known = known_rules();
        let safety = safety_rules();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(s) = self.string(&path, item, "a rule id") else {
                continue;
            };
            if self.project && safety.contains(&s) {
                self.problem(
                    path,
                    format!(
                        "\"{s}\" is a safety rule: a project file cannot disable it (the user \
                         file, POSTHOOK_DISABLE or --disable can)"
                    ),
                );
            } else if known.contains(&s) {
                out.push(s.to_string());
            } else {
                self.problem(
                    path,
                    format!("unknown rule \"{s}\" (known: {})", known.join(", ")),
                );
            }
        }
        out
    }

    fn thresholds(&mut self, key: &str, v: &Value) -> BTreeMap<String, f64> {
        let Some(map) = v.as_object() else {
            self.problem(
                key,
                format!(
                    "expected an object of threshold keys to numbers, found {}",
                    kind(v)
                ),
            );
            return BTreeMap::new();
        };
        let known = known_thresholds();
        let mut out = BTreeMap::new();
        for (k, n) in map {
            let path = format!("{key}[\"{k}\"]");
            if !known.iter().any(|(name, _, _)| name == k) {
                let names: Vec<&str> = known.iter().map(|(name, _, _)| *name).collect();
                self.problem(
                    path,
                    format!("unknown threshold (known: {})", names.join(", ")),
                );
                continue;
            }
            match n.as_f64().filter(|x| x.is_finite() && *x >= 0.0) {
                Some(x) => {
                    out.insert(k.clone(), x);
                }
                None => self.problem(path, format!("expected a number >= 0, found {}", short(n))),
            }
        }
        out
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Number(_) | Value::Bool(_) | Value::Null => v.to_string(),
        Value::String(s) => format!("the string \"{s}\""),
        _ => kind(v).to_string(),
    }
}

fn expand_path(s: &str, home: Option<&Path>) -> Option<PathBuf> {
    if let Some(rest) = s.strip_prefix("~/") {
        return home.map(|h| h.join(rest));
    }
    let p = PathBuf::from(s);
    p.is_absolute().then_some(p)
}

/// Validates config text (the contents of `origin`): the layer of valid values, and the problems.
/// Text that is not a JSON object yields an empty layer and one problem.
pub fn parse_layer(origin: &str, text: &str, home: Option<&Path>) -> (Layer, Vec<Problem>) {
    parse_layer_as(origin, text, home, false)
}

/// [`parse_layer`] for the project file (`project`: true), which may set less (see the module
/// docs).
pub fn parse_layer_as(
    origin: &str,
    text: &str,
    home: Option<&Path>,
    project: bool,
) -> (Layer, Vec<Problem>) {
    let mut c = Checker {
        origin,
        problems: Vec::new(),
        project,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => {
            let layer = c.layer(&doc, home);
            (layer, c.problems)
        }
        Ok(other) => {
            c.problem(
                "",
                format!("expected a JSON object, found {}", kind(&other)),
            );
            (Layer::default(), c.problems)
        }
        Err(e) => {
            c.problem(
                "",
                format!(
                    "not valid JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
            );
            (Layer::default(), c.problems)
        }
    }
}

/// Reads a config file without ever blocking: opened `O_NONBLOCK` (a FIFO or a device answers at
/// once), `O_NOFOLLOW` when `no_link` (the project file), then read only when `fstat` shows a
/// regular file of at most [`MAX_CONFIG_BYTES`].
fn read_small(path: &Path, no_link: bool) -> std::io::Result<Option<String>> {
    read_regular(path, MAX_CONFIG_BYTES, no_link)
}

/// Reads a text file without ever blocking: opened `O_NONBLOCK` (a FIFO or a device answers at
/// once), `O_NOFOLLOW` when `no_link`, then read only when `fstat` shows a regular file of at most
/// `max` bytes. `Ok(None)`: no such file. For every file a cloned repository can plant.
pub fn read_regular(path: &Path, max: u64, no_link: bool) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if no_link {
        flags |= libc::O_NOFOLLOW;
    }
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(std::io::Error::other(
                "is a symlink (a project's file must be a regular file)",
            ))
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, device or directory is never read)",
        ));
    }
    if meta.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    let mut text = String::new();
    f.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(Some(text))
}

fn load_file(
    level: &'static str,
    path: PathBuf,
    home: Option<&Path>,
    files: &mut Vec<FileInfo>,
    problems: &mut Vec<Problem>,
) -> Option<Layer> {
    let origin = path.display().to_string();
    let project = level == "project";
    let (status, layer) = match read_small(&path, project) {
        Ok(None) => (FileStatus::Missing, None),
        Err(e) => {
            problems.push(Problem {
                origin,
                path: String::new(),
                message: format!("cannot be read: {e}"),
            });
            (FileStatus::Ignored, None)
        }
        Ok(Some(text)) => {
            let (layer, mut found) = parse_layer_as(&origin, &text, home, project);
            let whole_file = found.iter().any(|p| p.path.is_empty());
            problems.append(&mut found);
            if whole_file {
                (FileStatus::Ignored, None)
            } else {
                (FileStatus::Read, Some(layer))
            }
        }
    };
    files.push(FileInfo {
        level,
        path,
        status,
    });
    layer
}

fn env_layer(env: &dyn Fn(&str) -> Option<OsString>, problems: &mut Vec<Problem>) -> Layer {
    let var = |k: &str| {
        env(k)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().into_owned())
    };
    let mut bad = |k: &str, v: &str, expected: &str| {
        problems.push(Problem {
            origin: format!("env {k}"),
            path: String::new(),
            message: format!("expected {expected}, found \"{v}\""),
        });
    };
    let mut layer = Layer::default();
    if let Some(v) = var("POSTHOOK_PROFILE") {
        layer.profile = Profile::parse(&v);
        if layer.profile.is_none() {
            bad("POSTHOOK_PROFILE", &v, "auto, default or hive");
        }
    }
    if let Some(v) = var("POSTHOOK_OUTPUT") {
        layer.output = OutputMode::parse(&v);
        if layer.output.is_none() {
            bad("POSTHOOK_OUTPUT", &v, "stderr, json or quiet");
        }
    }
    if let Some(v) = var("POSTHOOK_BUDGET_MS") {
        layer.budget_ms = parse_ms(&v, &BUDGET_RANGE);
        if layer.budget_ms.is_none() {
            bad("POSTHOOK_BUDGET_MS", &v, "a whole number from 1 to 10000");
        }
    }
    if let Some(v) = var("POSTHOOK_DEADLINE_MS") {
        layer.deadline_ms = parse_ms(&v, &DEADLINE_RANGE);
        if layer.deadline_ms.is_none() {
            bad(
                "POSTHOOK_DEADLINE_MS",
                &v,
                "a whole number from 50 to 600000",
            );
        }
    }
    if let Some(v) = var("POSTHOOK_LOCK_TIMEOUT_MS") {
        layer.lock_timeout_ms = parse_ms(&v, &LOCK_TIMEOUT_RANGE);
        if layer.lock_timeout_ms.is_none() {
            bad(
                "POSTHOOK_LOCK_TIMEOUT_MS",
                &v,
                "a whole number from 0 to 60000",
            );
        }
    }
    if let Some(v) = env("POSTHOOK_STATE_DIR").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(&v);
        if absolute_dir(&p) {
            layer.state_dir = Some(p);
        } else {
            bad(
                "POSTHOOK_STATE_DIR",
                &v.to_string_lossy(),
                "an absolute path",
            );
        }
    }
    if let Some(v) = var("POSTHOOK_ESCALATE") {
        layer.escalate = match v.as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        };
        if layer.escalate.is_none() {
            bad("POSTHOOK_ESCALATE", &v, "1, 0, true or false");
        }
    }
    if let Some(v) = var("POSTHOOK_LOG_LEVEL") {
        // Any tracing filter directive is accepted here (`posthook=debug`), as the logger does.
        layer.log_level = Some(v);
    }
    if let Some(v) = var("POSTHOOK_DISABLE") {
        let known = known_rules();
        for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            if known.contains(&r) {
                layer.disabled.push(r.to_string());
            } else {
                bad("POSTHOOK_DISABLE", r, "a comma-separated list of rule ids");
            }
        }
    }
    layer
}

/// Inputs to [`resolve`], gathered by the caller.
pub struct Inputs<'a> {
    /// Values from command-line flags.
    pub flags: Layer,
    /// Looks up environment variables (`std::env::var_os` in real use).
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
    /// The project dir, whose `.claude/posthook.json` is read; `None` reads no project file.
    pub project_dir: Option<PathBuf>,
}

/// Resolves the effective configuration from all levels. Never fails: problems are collected.
pub fn resolve(inputs: &Inputs<'_>) -> Resolved {
    let env = inputs.env;
    let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut layers: Vec<(Source, Layer)> = Vec::new();
    if let Some(p) = user_config_path(env) {
        if let Some(l) = load_file(
            "user",
            p.clone(),
            home.as_deref(),
            &mut files,
            &mut problems,
        ) {
            layers.push((Source::User(p), l));
        }
    }
    if let Some(dir) = &inputs.project_dir {
        let p = dir.join(PROJECT_FILE);
        if let Some(l) = load_file(
            "project",
            p.clone(),
            home.as_deref(),
            &mut files,
            &mut problems,
        ) {
            layers.push((Source::Project(p), l));
        }
    }
    let env_l = env_layer(env, &mut problems);
    layers.push((Source::Env("POSTHOOK_*"), env_l));
    layers.push((
        Source::Flag("--*"),
        check_flags(&inputs.flags, &mut problems),
    ));

    let mut sources = BTreeMap::new();
    let mut config = Config {
        profile: Profile::default(),
        output: OutputMode::default(),
        disabled_rules: BTreeSet::new(),
        thresholds: BTreeMap::new(),
        budget_ms: DEFAULT_BUDGET_MS,
        state_dir: None,
        log_level: DEFAULT_LOG_LEVEL.to_string(),
        deadline_ms: u64::try_from(crate::hook::DEFAULT_DEADLINE.as_millis()).unwrap_or(5000),
        lock_timeout_ms: u64::try_from(crate::store::DEFAULT_LOCK_TIMEOUT.as_millis())
            .unwrap_or(2000),
        escalate: false,
    };
    for k in [
        "profile",
        "output",
        "budget_ms",
        "state_dir",
        "log_level",
        "escalate",
    ] {
        sources.insert(k.to_string(), Source::Default);
    }
    // Lowest level first: each later level overrides.
    for (source, l) in &layers {
        let named = |field: &'static str| specific(source, field);
        if let Some(v) = l.profile {
            config.profile = v;
            sources.insert("profile".into(), named("profile"));
        }
        if let Some(v) = l.output {
            config.output = v;
            sources.insert("output".into(), named("output"));
        }
        if let Some(v) = l.budget_ms {
            config.budget_ms = v;
            sources.insert("budget_ms".into(), named("budget_ms"));
        }
        if let Some(v) = &l.state_dir {
            config.state_dir = Some(v.clone());
            sources.insert("state_dir".into(), named("state_dir"));
        }
        if let Some(v) = &l.log_level {
            config.log_level.clone_from(v);
            sources.insert("log_level".into(), named("log_level"));
        }
        if let Some(v) = l.deadline_ms {
            config.deadline_ms = v;
            sources.insert("deadline_ms".into(), Source::Env("POSTHOOK_DEADLINE_MS"));
        }
        if let Some(v) = l.lock_timeout_ms {
            config.lock_timeout_ms = v;
            sources.insert(
                "lock_timeout_ms".into(),
                Source::Env("POSTHOOK_LOCK_TIMEOUT_MS"),
            );
        }
        if let Some(v) = l.escalate {
            config.escalate = v;
            sources.insert("escalate".into(), named("escalate"));
        }
        for r in &l.disabled {
            config.disabled_rules.insert(r.clone());
            sources
                .entry(format!("disabled_rules.{r}"))
                .or_insert_with(|| named("disabled_rules"));
        }
        for (k, v) in &l.thresholds {
            config.thresholds.insert(k.clone(), *v);
            sources.insert(format!("thresholds.{k}"), named("thresholds"));
        }
    }
    if config.state_dir.is_none() {
        // The variable was refused above when relative: the default below it applies.
        config.state_dir = default_state_dir(|k| env(k).filter(|_| k != "POSTHOOK_STATE_DIR"))
            .filter(|p| p.is_absolute());
    }
    Resolved {
        config,
        sources,
        files,
        problems,
    }
}

/// The flags' layer with every value the shared rules refuse taken out (and reported).
fn check_flags(flags: &Layer, problems: &mut Vec<Problem>) -> Layer {
    let mut l = flags.clone();
    let mut bad = |flag: &str, v: String, expected: &str| {
        problems.push(Problem {
            origin: format!("flag {flag}"),
            path: String::new(),
            message: format!("expected {expected}, found \"{v}\""),
        });
    };
    if let Some(n) = l.budget_ms.filter(|n| !BUDGET_RANGE.contains(n)) {
        bad(
            "--budget-ms",
            n.to_string(),
            "a whole number from 1 to 10000",
        );
        l.budget_ms = None;
    }
    if let Some(p) = l.state_dir.take() {
        if absolute_dir(&p) {
            l.state_dir = Some(p);
        } else {
            bad("--state-dir", p.display().to_string(), "an absolute path");
        }
    }
    l
}

/// The precise name of a value's source: which variable or flag set `field`.
fn specific(source: &Source, field: &'static str) -> Source {
    match source {
        Source::Env(_) => Source::Env(match field {
            "profile" => "POSTHOOK_PROFILE",
            "output" => "POSTHOOK_OUTPUT",
            "budget_ms" => "POSTHOOK_BUDGET_MS",
            "state_dir" => "POSTHOOK_STATE_DIR",
            "log_level" => "POSTHOOK_LOG_LEVEL",
            "escalate" => "POSTHOOK_ESCALATE",
            _ => "POSTHOOK_DISABLE",
        }),
        Source::Flag(_) => Source::Flag(match field {
            "profile" => "--profile",
            "output" => "--output",
            "budget_ms" => "--budget-ms",
            "state_dir" => "--state-dir",
            _ => "--disable",
        }),
        other => other.clone(),
    }
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

/// `posthook config show` as text.
pub fn show_text(r: &Resolved) -> String {
    use std::fmt::Write as _;
    let c = &r.config;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "effective configuration (flag > env > project file > user file > default):"
    );
    let src = |k: &str| {
        r.sources
            .get(k)
            .map_or_else(|| "default".to_string(), ToString::to_string)
    };
    let mut row = |k: &str, v: String, s: String| {
        let _ = writeln!(out, "  {k:<38} {v:<24} {s}");
    };
    row("profile", c.profile.as_str().into(), src("profile"));
    row("output", c.output.as_str().into(), src("output"));
    row("budget_ms", c.budget_ms.to_string(), src("budget_ms"));
    row(
        "state_dir",
        c.state_dir.as_ref().map_or_else(
            || "(none: history not kept)".into(),
            |p| p.display().to_string(),
        ),
        src("state_dir"),
    );
    row("log_level", c.log_level.clone(), src("log_level"));
    row("deadline_ms", c.deadline_ms.to_string(), src("deadline_ms"));
    row(
        "lock_timeout_ms",
        c.lock_timeout_ms.to_string(),
        src("lock_timeout_ms"),
    );
    row("escalate", c.escalate.to_string(), src("escalate"));
    if c.disabled_rules.is_empty() {
        row("disabled_rules", "(none)".into(), "default".into());
    }
    for rule in &c.disabled_rules {
        row(
            "disabled_rules",
            rule.clone(),
            src(&format!("disabled_rules.{rule}")),
        );
    }
    for (key, default, _) in known_thresholds() {
        let (v, s) = match c.thresholds.get(key) {
            Some(v) => (*v, src(&format!("thresholds.{key}"))),
            None => (default, "default".to_string()),
        };
        row(&format!("thresholds[\"{key}\"]"), fmt_num(v), s);
    }
    let _ = writeln!(out, "files:");
    for f in &r.files {
        let status = match f.status {
            FileStatus::Missing => "not found",
            FileStatus::Read => "read",
            FileStatus::Ignored => "IGNORED (see problems)",
        };
        let _ = writeln!(out, "  {:<8} {}  ({status})", f.level, f.path.display());
    }
    if !r.problems.is_empty() {
        let _ = writeln!(
            out,
            "problems ({}; the values they concern fall back to the level below):",
            r.problems.len()
        );
        for p in &r.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}

/// A number without a needless `.0`.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// `posthook config check` as text, and whether everything is valid.
pub fn check_text(r: &Resolved) -> (String, bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in &r.files {
        let status = match f.status {
            FileStatus::Missing => "not found (optional)",
            FileStatus::Read => "read",
            FileStatus::Ignored => "ignored",
        };
        let _ = writeln!(out, "{:<8} {}: {status}", f.level, f.path.display());
    }
    if r.problems.is_empty() {
        let _ = writeln!(out, "config ok");
        return (out, true);
    }
    for p in &r.problems {
        let _ = writeln!(out, "error: {p}");
    }
    let _ = writeln!(
        out,
        "{} problem(s); in hook mode the values concerned fall back to the level below",
        r.problems.len()
    );
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn problems_name_path_and_expectation() {
        let known = known_thresholds();
        let (key, _, _) = known[0];
        let text = format!(
            r#"{{"profile": "hivee", "thresholds": {{"{key}": "x", "nope.nope": 1}}, "disabled_rules": ["exec-safety", 3], "colour": true, "budget_ms": 0}}"#
        );
        let (layer, problems) = parse_layer("/c.json", &text, None);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let has = |needle: &str| shown.iter().any(|s| s.contains(needle));
        assert!(has("/c.json: profile: expected one of \"auto\", \"default\", \"hive\", found \"hivee\""), "{shown:#?}");
        assert!(
            has(&format!(
                "thresholds[\"{key}\"]: expected a number >= 0, found the string \"x\""
            )),
            "{shown:#?}"
        );
        assert!(
            has("thresholds[\"nope.nope\"]: unknown threshold"),
            "{shown:#?}"
        );
        assert!(
            has("disabled_rules[1]: expected a rule id, found a number"),
            "{shown:#?}"
        );
        assert!(has("colour: unknown key"), "{shown:#?}");
        assert!(has("budget_ms: expected a whole number"), "{shown:#?}");
        assert_eq!(problems.len(), 6, "{shown:#?}");
        assert_eq!(layer.disabled, ["exec-safety"], "valid values are kept");
        assert_eq!(layer.profile, None);
    }

    #[test]
    fn precedence_and_sources() {
        let t = tempfile::tempdir().expect("tempdir");
        let home = t.path().join("home");
        let project = t.path().join("p");
        std::fs::create_dir_all(home.join(".config/posthook")).expect("mkdir");
        std::fs::create_dir_all(project.join(".claude")).expect("mkdir");
        std::fs::write(
            home.join(".config/posthook/config.json"),
            r#"{"profile": "hive", "output": "quiet", "budget_ms": 20, "state_dir": "~/st", "disabled_rules": ["exec-safety"]}"#,
        )
        .expect("write");
        std::fs::write(
            project.join(PROJECT_FILE),
            r#"{"output": "json", "budget_ms": 30}"#,
        )
        .expect("write");
        let home_s: &'static str = Box::leak(home.display().to_string().into_boxed_str());
        let pairs: &'static [(&str, &str)] =
            Box::leak(Box::new([("HOME", home_s), ("POSTHOOK_BUDGET_MS", "25")]));
        let env = env_of(pairs);
        let r = resolve(&Inputs {
            flags: Layer {
                profile: Some(Profile::Default),
                ..Layer::default()
            },
            env: &env,
            project_dir: Some(project.clone()),
        });
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let c = &r.config;
        assert_eq!(c.profile, Profile::Default);
        assert_eq!(r.sources["profile"], Source::Flag("--profile"));
        assert_eq!(c.output, OutputMode::Json);
        assert_eq!(
            r.sources["output"],
            Source::Project(project.join(PROJECT_FILE))
        );
        assert_eq!(c.budget_ms, 25);
        assert_eq!(r.sources["budget_ms"], Source::Env("POSTHOOK_BUDGET_MS"));
        assert_eq!(c.state_dir.as_deref(), Some(home.join("st").as_path()));
        assert!(matches!(r.sources["state_dir"], Source::User(_)));
        assert!(c.disabled_rules.contains("exec-safety"));
        assert_eq!(c.log_level, "info");
    }

    #[test]
    fn a_project_file_cannot_choose_paths_or_silence_checks() {
        let text = r#"{"state_dir": "/home/u/.docker", "log_level": "trace", "output": "quiet", "disabled_rules": ["exec-safety", "native-overuse"], "profile": "hive"}"#;
        let (layer, problems) = parse_layer_as("p.json", text, None, true);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["state_dir", "log_level", "output", "disabled_rules[0]"],
            "{problems:?}"
        );
        assert_eq!(layer.state_dir, None);
        assert_eq!(layer.output, None);
        assert_eq!(
            layer.disabled,
            ["native-overuse"],
            "advisory rules may be disabled"
        );
        assert_eq!(layer.profile, Some(Profile::Hive));
        let (user, problems) = parse_layer_as("u.json", text, None, false);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(user.disabled, ["exec-safety", "native-overuse"]);
    }

    #[test]
    fn broken_file_is_ignored_whole() {
        let t = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(t.path().join(".claude")).expect("mkdir");
        std::fs::write(t.path().join(PROJECT_FILE), "{\"profile\": \"hive\",").expect("write");
        let env = |_: &str| None;
        let r = resolve(&Inputs {
            flags: Layer::default(),
            env: &env,
            project_dir: Some(t.path().to_path_buf()),
        });
        assert_eq!(r.config.profile, Profile::Auto);
        assert_eq!(r.files[0].status, FileStatus::Ignored);
        assert!(r.problems[0].message.contains("line 1"), "{:?}", r.problems);
        assert_eq!(r.config.state_dir, None, "no HOME: no state dir");
    }
}
