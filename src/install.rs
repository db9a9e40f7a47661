//! `posthook install` / `posthook uninstall`: registering posthook in Claude Code's settings files.
//!
//! The settings file is edited, never replaced: posthook adds one PostToolUse group of its own
//! (`{"matcher": M, "hooks": [{"type": "command", "command": "/abs/posthook", "timeout": S}]}`) and
//! keeps every other key, hook and the order of keys as they were. Installing again updates that
//! group in place (a second identical run changes nothing); uninstalling removes posthook's hook and
//! the containers that only held it. A file that is not valid JSON is refused with its position and
//! left untouched. Before any change the old file is copied to a timestamped backup beside it, and
//! the new file is written to a temporary file and renamed over the old one, so a crash leaves one
//! or the other, never half of each.

use crate::output::OutputMode;
use serde_json::{json, Map, Value};
use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The default hook timeout written into the settings, in seconds.
pub const DEFAULT_TIMEOUT_S: u64 = 10;
/// The default matcher: every tool.
pub const DEFAULT_MATCHER: &str = "*";

/// Which settings file to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scope {
    /// `<project>/.claude/settings.json` (shared with the team).
    #[default]
    Project,
    /// `<project>/.claude/settings.local.json` (personal, not committed).
    Local,
    /// `~/.claude/settings.json` (every project).
    User,
}

impl Scope {
    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Local => "local",
            Scope::User => "user",
        }
    }

    /// Every scope, in the order Claude Code reads them (user first, local last).
    pub const ALL: [Scope; 3] = [Scope::User, Scope::Project, Scope::Local];
}

/// What went wrong while editing a settings file. Nothing was written when this is returned.
#[derive(Debug)]
pub struct InstallError {
    /// The file involved.
    pub path: PathBuf,
    /// What happened.
    pub kind: InstallErrorKind,
}

/// The kinds of [`InstallError`].
#[derive(Debug)]
pub enum InstallErrorKind {
    /// The file is not valid JSON.
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// Valid JSON of the wrong shape (`at` is a JSON path such as `hooks.PostToolUse`).
    Shape {
        /// Where.
        at: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// Reading, backing up or writing failed.
    Io(std::io::Error),
    /// No home directory to find the user settings in.
    NoHome,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            InstallErrorKind::Syntax {
                line,
                column,
                message,
            } => write!(
                f,
                "settings file '{p}' is not valid JSON (line {line}, column {column}): {message}; \
                 nothing was changed"
            ),
            InstallErrorKind::Shape { at, expected } => write!(
                f,
                "settings file '{p}': `{at}` should be {expected}; nothing was changed"
            ),
            InstallErrorKind::Io(e) => write!(f, "settings file '{p}': {e}"),
            InstallErrorKind::NoHome => write!(
                f,
                "no home directory (HOME is not set) to find '{p}' in; use --scope project"
            ),
        }
    }
}

impl std::error::Error for InstallError {}

fn io_err(path: &Path, e: std::io::Error) -> InstallError {
    InstallError {
        path: path.to_path_buf(),
        kind: InstallErrorKind::Io(e),
    }
}

fn shape(path: &Path, at: &str, expected: &'static str) -> InstallError {
    InstallError {
        path: path.to_path_buf(),
        kind: InstallErrorKind::Shape {
            at: at.to_string(),
            expected,
        },
    }
}

/// The project root: `CLAUDE_PROJECT_DIR`, else the git root above `cwd`, else `cwd`.
pub fn project_dir(claude_project_dir: Option<&str>, cwd: &Path) -> PathBuf {
    if let Some(d) = claude_project_dir.filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The project root of this process (see [`project_dir`]).
pub fn current_project_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    project_dir(std::env::var("CLAUDE_PROJECT_DIR").ok().as_deref(), &cwd)
}

/// The settings file of `scope`.
pub fn settings_path(scope: Scope, project: &Path, home: Option<&Path>) -> Option<PathBuf> {
    match scope {
        Scope::Project => Some(project.join(".claude/settings.json")),
        Scope::Local => Some(project.join(".claude/settings.local.json")),
        Scope::User => home.map(|h| h.join(".claude/settings.json")),
    }
}

/// `$HOME`, when set and not empty.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The absolute, canonical path of the running binary.
pub fn current_binary() -> std::io::Result<PathBuf> {
    std::env::current_exe().and_then(fs::canonicalize)
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%=".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The hook command line for `exe` (quoted for `sh -c` when needed), with `--output` when given:
/// the shell form, for display and for entries written by hand.
pub fn hook_command(exe: &Path, output: Option<OutputMode>) -> String {
    let mut cmd = shell_quote(&exe.to_string_lossy());
    for a in hook_args(output) {
        cmd.push(' ');
        cmd.push_str(&a);
    }
    cmd
}

/// The arguments of posthook's exec-form entry: none, or `--output MODE`.
pub fn hook_args(output: Option<OutputMode>) -> Vec<String> {
    match output {
        Some(mode) => vec![String::from("--output"), mode.as_str().to_string()],
        None => Vec::new(),
    }
}

/// The events posthook is registered for, in the order they are written: a successful call, a
/// failed call, a turn.
pub const HOOK_EVENTS: [&str; 3] = ["PostToolUse", "PostToolUseFailure", "PostToolBatch"];

/// What posthook loses when it is not registered for `event`.
pub fn missing_event_cost(event: &str) -> &'static str {
    match event {
        "PostToolUse" => {
            "successful calls are never seen: the session history stays empty and no rule fires"
        }
        "PostToolUseFailure" => {
            "failed calls are never seen (Claude Code reports them only as PostToolUseFailure): \
             loops on the same error go unnoticed"
        }
        _ => "turns are guessed from time gaps, and calls refused before they ran are never seen",
    }
}

/// The program of a shell command line: its first word, with quotes removed.
pub fn program_of(command: &str) -> String {
    let mut out = String::new();
    let mut chars = command.trim_start().chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '\\') | (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (None, c) if c.is_whitespace() => break,
            (_, c) => out.push(c),
        }
    }
    out
}

/// Whether a hook command runs posthook (its program's file name is `posthook`).
pub fn is_posthook_command(command: &str) -> bool {
    Path::new(&program_of(command))
        .file_name()
        .is_some_and(|n| n == "posthook")
}

/// Whether a hook entry runs posthook: a command entry whose program's file name is `posthook`
/// (in exec form, with `args`, `command` is the program itself, not a shell line).
fn is_posthook_hook(hook: &Value) -> bool {
    if hook
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "command")
    {
        return false;
    }
    let Some(command) = hook.get("command").and_then(Value::as_str) else {
        return false;
    };
    if hook.get("args").is_some() {
        Path::new(command)
            .file_name()
            .is_some_and(|n| n == "posthook")
    } else {
        is_posthook_command(command)
    }
}

/// What posthook's entries should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The matcher of each event, in [`HOOK_EVENTS`] order (`*` = every tool).
    pub matchers: [String; 3],
    /// The program: posthook's absolute path (exec form: no shell in between).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Timeout in seconds.
    pub timeout_s: u64,
}

impl Entry {
    /// An entry with one matcher for every event.
    pub fn new(
        command: impl Into<String>,
        args: Vec<String>,
        matcher: &str,
        timeout_s: u64,
    ) -> Entry {
        Entry {
            matchers: [
                matcher.to_string(),
                matcher.to_string(),
                matcher.to_string(),
            ],
            command: command.into(),
            args,
            timeout_s,
        }
    }

    fn hook(&self) -> Value {
        json!({"type": "command", "command": self.command, "args": self.args, "timeout": self.timeout_s})
    }

    /// The matcher for `event`.
    pub fn matcher(&self, event: &str) -> &str {
        HOOK_EVENTS
            .iter()
            .position(|e| *e == event)
            .map_or(DEFAULT_MATCHER, |i| self.matchers[i].as_str())
    }

    /// The whole group for `event`, as it is written into the settings.
    pub fn group(&self, event: &str) -> Value {
        json!({"matcher": self.matcher(event), "hooks": [self.hook()]})
    }
}

/// Parses settings text; empty text is an empty object.
pub fn parse_settings(path: &Path, text: &str) -> Result<Map<String, Value>, InstallError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(shape(path, "(top level)", "an object")),
        Err(e) => Err(InstallError {
            path: path.to_path_buf(),
            kind: InstallErrorKind::Syntax {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            },
        }),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Checks the shape of posthook's event lists (`hooks.PostToolUse`, ...) without changing anything.
fn check_shape(path: &Path, doc: &Map<String, Value>) -> Result<(), InstallError> {
    let Some(hooks) = doc.get("hooks") else {
        return Ok(());
    };
    let hooks = hooks
        .as_object()
        .ok_or_else(|| shape(path, "hooks", "an object"))?;
    for event in HOOK_EVENTS {
        let Some(list) = hooks.get(event) else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| shape(path, &format!("hooks.{event}"), "an array"))?;
        for (i, g) in list.iter().enumerate() {
            let g = g
                .as_object()
                .ok_or_else(|| shape(path, &format!("hooks.{event}[{i}]"), "an object"))?;
            if let Some(h) = g.get("hooks") {
                if !h.is_array() {
                    return Err(shape(
                        path,
                        &format!("hooks.{event}[{i}].hooks"),
                        "an array",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn group_hooks_mut(group: &mut Value) -> Option<&mut Vec<Value>> {
    group.get_mut("hooks").and_then(Value::as_array_mut)
}

/// Adds or updates posthook's entry for every event of [`HOOK_EVENTS`] in `doc`. Returns whether
/// `doc` changed. `doc` must have passed the shape check.
fn install_into(doc: &mut Map<String, Value>, entry: &Entry) -> bool {
    let before = doc.clone();
    let hooks = doc
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(hooks) = hooks.as_object_mut() else {
        return false;
    };
    for event in HOOK_EVENTS {
        let list = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = list.as_array_mut() {
            install_event(list, event, entry);
        }
    }
    *doc != before
}

/// Puts posthook's entry into one event's list: updates the first group holding it in place
/// (keeping its position and any keys the user added), removes duplicates, or appends a group.
fn install_event(list: &mut Vec<Value>, event: &str, entry: &Entry) {
    let matcher = entry.matcher(event);
    let mut placed = false;
    let mut i = 0;
    while i < list.len() {
        let group = &mut list[i];
        let matcher_same = group.get("matcher").and_then(Value::as_str) == Some(matcher);
        let Some(group_hooks) = group_hooks_mut(group) else {
            i += 1;
            continue;
        };
        if !group_hooks.iter().any(is_posthook_hook) {
            i += 1;
            continue;
        }
        let only_ours = group_hooks.iter().all(is_posthook_hook);
        if !placed && (only_ours || matcher_same) {
            // Update in place: keep the group where it is and any extra keys the user added.
            let mut kept = false;
            group_hooks.retain_mut(|h| {
                if !is_posthook_hook(h) {
                    return true;
                }
                if kept {
                    return false;
                }
                kept = true;
                if let Some(obj) = h.as_object_mut() {
                    obj.insert("type".into(), json!("command"));
                    obj.insert("command".into(), json!(entry.command));
                    obj.insert("args".into(), json!(entry.args));
                    obj.insert("timeout".into(), json!(entry.timeout_s));
                }
                true
            });
            if let Some(g) = group.as_object_mut() {
                g.insert("matcher".into(), json!(matcher));
            }
            placed = true;
            i += 1;
        } else {
            // A duplicate, or ours inside someone else's group with another matcher: take it out.
            group_hooks.retain(|h| !is_posthook_hook(h));
            if group_hooks.is_empty() {
                list.remove(i);
            } else {
                i += 1;
            }
        }
    }
    if !placed {
        list.push(entry.group(event));
    }
}

/// Removes posthook's hooks from `doc`'s event lists ([`HOOK_EVENTS`]), and the groups, lists and
/// the hooks object that held nothing else. Returns whether `doc` changed.
fn uninstall_from(doc: &mut Map<String, Value>) -> bool {
    let Some(hooks) = doc.get_mut("hooks").and_then(Value::as_object_mut) else {
        return false;
    };
    let mut removed = false;
    for event in HOOK_EVENTS {
        let Some(list) = hooks.get_mut(event).and_then(Value::as_array_mut) else {
            continue;
        };
        let mut here = false;
        list.retain_mut(|group| {
            let Some(group_hooks) = group_hooks_mut(group) else {
                return true;
            };
            let n = group_hooks.len();
            group_hooks.retain(|h| !is_posthook_hook(h));
            if group_hooks.len() == n {
                return true;
            }
            here = true;
            !group_hooks.is_empty()
        });
        if here && list.is_empty() {
            hooks.remove(event);
        }
        removed |= here;
    }
    if !removed {
        return false;
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    true
}

/// One posthook hook found in a settings document.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundEntry {
    /// The event it is registered for.
    pub event: &'static str,
    /// The command as written (in exec form, the program).
    pub command: String,
    /// The arguments, for an exec-form entry (`None`: a shell command line).
    pub args: Option<Vec<String>>,
    /// The matcher of its group, if any.
    pub matcher: Option<String>,
    /// Its timeout in seconds, if any.
    pub timeout: Option<f64>,
}

/// posthook's hook commands found in a settings document's groups of [`HOOK_EVENTS`].
pub fn posthook_commands(doc: &Map<String, Value>) -> Vec<FoundEntry> {
    let mut out = Vec::new();
    for event in HOOK_EVENTS {
        let groups = doc
            .get("hooks")
            .and_then(|h| h.get(event))
            .and_then(Value::as_array);
        for g in groups.into_iter().flatten() {
            let matcher = g.get("matcher").and_then(Value::as_str).map(str::to_owned);
            for h in g
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|h| is_posthook_hook(h))
            {
                let Some(c) = h.get("command").and_then(Value::as_str) else {
                    continue;
                };
                out.push(FoundEntry {
                    event,
                    command: c.to_string(),
                    args: h.get("args").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                            .collect()
                    }),
                    matcher: matcher.clone(),
                    timeout: h.get("timeout").and_then(Value::as_f64),
                });
            }
        }
    }
    out
}

/// What an install or uninstall did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Change {
    /// The settings file.
    pub path: PathBuf,
    /// Whether the file's JSON changed.
    pub changed: bool,
    /// Whether the file did not exist before.
    pub created: bool,
    /// The backup of the old file, when one was written.
    pub backup: Option<PathBuf>,
    /// The document before, pretty-printed.
    pub before: String,
    /// The document after, pretty-printed (what is written).
    pub after: String,
}

/// Reads a settings file: `None` when it does not exist.
pub fn read_settings(path: &Path) -> Result<Option<Map<String, Value>>, InstallError> {
    match fs::read_to_string(path) {
        Ok(text) => parse_settings(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

fn pretty(doc: &Map<String, Value>) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| String::from("{}"));
    s.push('\n');
    s
}

/// The action to apply.
#[derive(Debug, Clone)]
pub enum Action {
    /// Add or update posthook's entry.
    Install(Entry),
    /// Remove it.
    Uninstall,
}

/// Applies `action` to the settings file at `path`. With `dry_run` nothing is written.
pub fn apply(path: &Path, action: &Action, dry_run: bool) -> Result<Change, InstallError> {
    // Edit the file a symlink points to (dotfile managers link ~/.claude/settings.json), so the
    // rename does not replace the link with a plain file.
    let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = read_settings(&real)?;
    let created = existing.is_none();
    let mut doc = existing.unwrap_or_default();
    check_shape(&real, &doc)?;
    let before = pretty(&doc);
    let changed = match action {
        Action::Install(entry) => install_into(&mut doc, entry),
        Action::Uninstall => uninstall_from(&mut doc),
    };
    let mut after = pretty(&doc);
    if changed && matches!(action, Action::Uninstall) {
        // Where posthook was not there before its first install, give the user their own bytes
        // back (formatting, key order, trailing newline) rather than a re-serialization.
        if let Some(original) = original_before_install(&real, &doc) {
            after = original;
        }
    }
    let mut change = Change {
        path: real.clone(),
        changed,
        created,
        backup: None,
        before,
        after,
    };
    if dry_run || !changed {
        return Ok(change);
    }
    if let Some(dir) = real.parent() {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    if !created {
        change.backup = Some(backup(&real)?);
    }
    write_atomic(&real, change.after.as_bytes())?;
    Ok(change)
}

/// The text of the oldest backup posthook made of `path` whose JSON equals `doc`, if any.
fn original_before_install(path: &Path, doc: &Map<String, Value>) -> Option<String> {
    let dir = path.parent()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let prefix = format!("{name}.");
    let mut backups: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".bak"))
        })
        .collect();
    // Backup names carry a UTC timestamp: sorted by name, the oldest comes first.
    backups.sort();
    backups.into_iter().find_map(|b| {
        let meta = fs::symlink_metadata(&b).ok()?;
        if !meta.is_file() || meta.len() > 4 * 1024 * 1024 {
            return None;
        }
        let text = fs::read_to_string(&b).ok()?;
        (parse_settings(&b, &text).ok()? == *doc).then_some(text)
    })
}

fn timestamp() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    now.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// Copies `path` to `<path>.<UTC timestamp>.bak` (a new name, never overwriting an older backup).
pub fn backup(path: &Path) -> Result<PathBuf, InstallError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ts = timestamp();
    let mut n = 0;
    loop {
        let candidate = if n == 0 {
            path.with_file_name(format!("{name}.{ts}.bak"))
        } else {
            path.with_file_name(format!("{name}.{ts}-{n}.bak"))
        };
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut f) => {
                let bytes = fs::read(path).map_err(|e| io_err(path, e))?;
                f.write_all(&bytes).map_err(|e| io_err(&candidate, e))?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(io_err(&candidate, e)),
        }
    }
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, keeping the old
/// file's permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.posthook-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(())
}

/// A short line diff of two texts: changed lines with `-`/`+`, two lines of context around them.
pub fn diff(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    if a.len() * b.len() > 4_000_000 {
        return format!("{}\n", b.join("\n"));
    }
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 2).min(ops.len() - 1);
        ops[lo..=hi].iter().any(|(c, _)| *c != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (c, line)) in ops.iter().enumerate() {
        if *c != ' ' || near(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            out.push(*c);
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        } else {
            skipped = true;
        }
    }
    out
}

/// `posthook install` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook install                      # this project, .claude/settings.json
  posthook install --scope user         # every project, ~/.claude/settings.json
  posthook install --scope local --output json --matcher 'Bash|Edit|Write' --timeout 5
  posthook install --matcher PostToolUseFailure=Bash   # failures of Bash calls only
  posthook install --dry-run            # show the change, write nothing

posthook is registered for three events: PostToolUse (a call that succeeded), PostToolUseFailure
(a call that failed: Claude Code sends failures only there) and PostToolBatch (one per assistant
turn: which calls were made together, and calls refused before they ran). Each entry is written in
exec form (\"command\" is posthook's absolute path, \"args\" its arguments: no shell in between,
about 2 ms faster per call). Re-running install updates posthook's entries in place and keeps
everything else; uninstall removes exactly them. The global --output flag is written into the
entries' args (default: stderr, i.e. none).")]
pub struct InstallArgs {
    /// Which settings file: project (.claude/settings.json), local (.claude/settings.local.json)
    /// or user (~/.claude/settings.json).
    #[arg(long, value_enum, default_value_t = Scope::Project)]
    pub scope: Scope,
    /// Tools to run on: `*` for all, a name, `A|B`, or a regex. `EVENT=M` sets it for one event
    /// only (PostToolUse, PostToolUseFailure, PostToolBatch); repeat the flag for several.
    #[arg(long, value_name = "[EVENT=]M")]
    pub matcher: Vec<String>,
    /// Hook timeout in seconds (Claude Code's unit), 1 to 3600.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Print the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `posthook uninstall` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook uninstall                    # this project's .claude/settings.json
  posthook uninstall --scope user --dry-run")]
pub struct UninstallArgs {
    /// Which settings file (see `posthook install --help`).
    #[arg(long, value_enum, default_value_t = Scope::Project)]
    pub scope: Scope,
    /// Print the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn scope_path(scope: Scope) -> Result<PathBuf, InstallError> {
    let project = current_project_dir();
    let home = home_dir();
    settings_path(scope, &project, home.as_deref()).ok_or_else(|| InstallError {
        path: PathBuf::from("~/.claude/settings.json"),
        kind: InstallErrorKind::NoHome,
    })
}

fn report(change: &Change, dry_run: bool, done: &str, same: &str, out: &mut String) {
    use std::fmt::Write as _;
    let p = change.path.display();
    if !change.changed {
        let _ = writeln!(out, "{same} {p}; nothing changed");
        return;
    }
    if dry_run {
        let _ = writeln!(out, "dry run: would write {p} (nothing written)");
        out.push_str(&diff(&change.before, &change.after));
        return;
    }
    let _ = writeln!(out, "{done} {p}");
    if let Some(b) = &change.backup {
        let _ = writeln!(out, "  backup of the old file: {}", b.display());
    }
}

/// The matcher of each event from `--matcher` values: `M` for every event, `EVENT=M` for one;
/// later values win. Unset events get `*`.
pub fn matchers_from(values: &[String]) -> [String; 3] {
    let mut m = [
        String::from(DEFAULT_MATCHER),
        String::from(DEFAULT_MATCHER),
        String::from(DEFAULT_MATCHER),
    ];
    for v in values {
        let one = v.split_once('=').and_then(|(event, matcher)| {
            HOOK_EVENTS
                .iter()
                .position(|e| *e == event)
                .map(|i| (i, matcher))
        });
        match one {
            Some((i, matcher)) => m[i] = matcher.to_string(),
            None => m.iter_mut().for_each(|x| *x = v.clone()),
        }
    }
    m
}

/// Runs `posthook install`; `output` is the global `--output` flag.
pub fn run_install(args: &InstallArgs, output: Option<OutputMode>) -> Result<String, InstallError> {
    use std::fmt::Write as _;
    let path = scope_path(args.scope)?;
    let exe = current_binary().map_err(|e| io_err(Path::new("posthook"), e))?;
    let entry = Entry {
        matchers: matchers_from(&args.matcher),
        command: exe.to_string_lossy().into_owned(),
        args: hook_args(output),
        timeout_s: args.timeout,
    };
    let change = apply(&path, &Action::Install(entry.clone()), args.dry_run)?;
    let mut out = String::new();
    report(
        &change,
        args.dry_run,
        "installed posthook in",
        "posthook is already installed as below in",
        &mut out,
    );
    for event in HOOK_EVENTS {
        let _ = writeln!(
            out,
            "  {event:<19} matcher {:?}: {} {:?} (exec form, timeout {} s)",
            entry.matcher(event),
            entry.command,
            entry.args,
            entry.timeout_s
        );
    }
    if exe
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "debug")
    {
        let _ = writeln!(
            out,
            "note: this is a debug build, several times slower per call; for daily use run \
             `cargo build --release` and `target/release/posthook install`"
        );
    }
    for other in Scope::ALL.into_iter().filter(|s| *s != args.scope) {
        let Ok(p) = scope_path(other) else { continue };
        if p == change.path {
            continue;
        }
        if let Ok(Some(doc)) = read_settings(&p) {
            if !posthook_commands(&doc).is_empty() {
                let _ = writeln!(
                    out,
                    "note: posthook is also registered in {} ({} scope): Claude Code merges the \
                     levels and would run it twice; remove one with `posthook uninstall --scope {}`",
                    p.display(),
                    other.as_str(),
                    other.as_str()
                );
            }
        }
    }
    Ok(out)
}

/// Runs `posthook uninstall`.
pub fn run_uninstall(args: &UninstallArgs) -> Result<String, InstallError> {
    let path = scope_path(args.scope)?;
    let change = apply(&path, &Action::Uninstall, args.dry_run)?;
    let mut out = String::new();
    report(
        &change,
        args.dry_run,
        "removed posthook from",
        "posthook is not registered in",
        &mut out,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry::new("/opt/bin/posthook", Vec::new(), "*", 10)
    }

    fn doc(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test docs are objects"),
        }
    }

    #[test]
    fn recognizes_exec_form_entries() {
        assert!(is_posthook_hook(
            &json!({"type": "command", "command": "/my dir/posthook", "args": []})
        ));
        assert!(!is_posthook_hook(
            &json!({"type": "command", "command": "/bin/sh", "args": ["-c", "posthook"]})
        ));
        assert!(!is_posthook_hook(
            &json!({"type": "http", "url": "http://127.0.0.1:1/posthook"})
        ));
    }

    #[test]
    fn recognizes_posthook_commands() {
        assert!(is_posthook_command("/usr/local/bin/posthook"));
        assert!(is_posthook_command("'/my dir/posthook' --output json"));
        assert!(is_posthook_command("posthook"));
        assert!(!is_posthook_command("/usr/bin/posthook-other"));
        assert!(!is_posthook_command("echo posthook"));
        assert!(!is_posthook_command(
            "$CLAUDE_PROJECT_DIR/.claude/hooks/fmt.sh"
        ));
    }

    #[test]
    fn quoting_round_trips() {
        let p = Path::new("/my dir/it's/posthook");
        let cmd = hook_command(p, Some(OutputMode::Json));
        assert_eq!(program_of(&cmd), "/my dir/it's/posthook");
        assert!(cmd.ends_with(" --output json"));
        assert_eq!(hook_command(Path::new("/a/posthook"), None), "/a/posthook");
    }

    #[test]
    fn install_keeps_others_and_is_idempotent() {
        let mut d = doc(json!({
            "permissions": {"allow": ["Bash(ls)"]},
            "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}],
                      "Stop": []}
        }));
        assert!(install_into(&mut d, &entry()));
        let once = d.clone();
        assert!(!install_into(&mut d, &entry()));
        assert_eq!(d, once);
        let list = d["hooks"]["PostToolUse"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], entry().group("PostToolUse"));
        assert_eq!(
            list[1]["hooks"][0],
            json!({"type": "command", "command": "/opt/bin/posthook", "args": [], "timeout": 10}),
            "exec form"
        );
        for event in ["PostToolUseFailure", "PostToolBatch"] {
            assert_eq!(d["hooks"][event], json!([entry().group(event)]), "{event}");
        }
        // Key order is kept: permissions first, then hooks; in hooks, the existing keys first.
        let keys: Vec<&String> = d.keys().collect();
        assert_eq!(keys, ["permissions", "hooks"]);
        let events: Vec<&String> = d["hooks"].as_object().expect("hooks").keys().collect();
        assert_eq!(
            events,
            ["PostToolUse", "Stop", "PostToolUseFailure", "PostToolBatch"]
        );
    }

    #[test]
    fn reinstall_updates_in_place() {
        let mut d = doc(json!({"hooks": {"PostToolUse": [
            {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "timeout": 60000}]},
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}
        ]}}));
        assert!(install_into(&mut d, &entry()));
        let list = d["hooks"]["PostToolUse"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], entry().group("PostToolUse"));
        // An exec-form entry keeps its form and gets posthook's args.
        let mut d = doc(json!({"hooks": {"PostToolUse": [
            {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "args": ["--output", "json"], "x": 1}]}
        ]}}));
        let mut e = entry();
        e.args = vec!["--output".into(), "quiet".into()];
        install_into(&mut d, &e);
        assert_eq!(
            d["hooks"]["PostToolUse"][0]["hooks"][0],
            json!({"type": "command", "command": "/opt/bin/posthook", "args": ["--output", "quiet"], "x": 1, "timeout": 10})
        );
    }

    #[test]
    fn matchers_per_event() {
        let m = matchers_from(&[]);
        assert_eq!(m, ["*", "*", "*"]);
        let m = matchers_from(&["Bash|Edit".into(), "PostToolUseFailure=Bash".into()]);
        assert_eq!(m, ["Bash|Edit", "Bash", "Bash|Edit"]);
        let m = matchers_from(&["a=b".into()]);
        assert_eq!(m, ["a=b", "a=b", "a=b"], "not an event name: a matcher");
    }

    #[test]
    fn uninstall_removes_only_what_it_added() {
        let original = doc(
            json!({"env": {"A": "1"}, "hooks": {"PreToolUse": [{"matcher": "*", "hooks": []}]}}),
        );
        let mut d = original.clone();
        install_into(&mut d, &entry());
        assert!(uninstall_from(&mut d));
        assert_eq!(d, original);
        assert!(!uninstall_from(&mut d));
        let mut empty = Map::new();
        install_into(&mut empty, &entry());
        uninstall_from(&mut empty);
        assert!(empty.is_empty());
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let e = parse_settings(Path::new("/p/s.json"), "{\n  \"a\": 1,\n  \"b\" 2\n}")
            .expect_err("malformed");
        let msg = e.to_string();
        assert!(
            msg.contains("'/p/s.json'") && msg.contains("line 3"),
            "{msg}"
        );
    }

    #[test]
    fn project_dir_prefers_env_then_git_root() {
        let t = tempfile::tempdir().expect("tempdir");
        let sub = t.path().join("a/b");
        fs::create_dir_all(&sub).expect("mkdir");
        assert_eq!(project_dir(None, &sub), sub);
        fs::create_dir(t.path().join(".git")).expect("mkdir");
        assert_eq!(project_dir(None, &sub), t.path());
        assert_eq!(project_dir(Some("/x"), &sub), Path::new("/x"));
    }

    #[test]
    fn diff_shows_changed_lines() {
        let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
        assert!(d.contains("- d\n+ X\n"), "{d}");
        assert!(!d.contains("  a\n"), "{d}");
    }
}
