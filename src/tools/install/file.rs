//! The settings file itself: read (with the position of a syntax error), back up, diff, and
//! replace atomically.

use super::entries::{check_shape, install_into, uninstall_from};
use super::{io_err, shape, Entry, InstallError, InstallErrorKind};
use crate::tools::atomic::WriteOpts;
use serde_json::{Map, Value};
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// Parses settings text; empty text is an empty object.
pub(crate) fn parse_settings(path: &Path, text: &str) -> Result<Map<String, Value>, InstallError> {
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

/// What an install or uninstall did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The settings file.
    pub path: PathBuf,
    /// Whether the file's JSON changed.
    pub changed: bool,
    /// The backup of the old file, when one was written.
    pub backup: Option<PathBuf>,
    /// The document before, pretty-printed.
    pub before: String,
    /// The document after, pretty-printed (what is written).
    pub after: String,
}

/// Reads a settings file: `None` when it does not exist.
///
/// Never blocks: a project's settings file arrives with any `git clone`, and one that is a FIFO
/// or a device is refused unread (see [`crate::config::read_regular`]).
pub(crate) fn read_settings(path: &Path) -> Result<Option<Map<String, Value>>, InstallError> {
    match crate::config::read_regular(path, MAX_SETTINGS_BYTES, false) {
        Ok(Some(text)) => parse_settings(path, &text).map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// Settings files larger than this are refused: 16 MiB (a settings file is a few KiB).
const MAX_SETTINGS_BYTES: u64 = 16 * 1024 * 1024;

fn pretty(doc: &Map<String, Value>) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| String::from("{}"));
    s.push('\n');
    s
}

/// The action to apply.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// Add or update posthook's entry.
    Install(Box<Entry>),
    /// Remove it.
    Uninstall,
}

/// Applies `action` to the settings file at `path`, written as `opts` says. With `dry_run`
/// nothing is written.
pub(crate) fn apply(
    path: &Path,
    action: &Action,
    dry_run: bool,
    opts: WriteOpts,
) -> Result<Change, InstallError> {
    // At user scope, edit the file a symlink points to (dotfile managers link
    // ~/.claude/settings.json), so the rename does not replace the link with a plain file. In a
    // project, a link is refused before anything is read or written: a cloned repository chooses
    // where it points.
    let real = if opts.follow_links {
        fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        refuse_link(path)?;
        path.to_path_buf()
    };
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
    write_atomic(&real, change.after.as_bytes(), opts)?;
    Ok(change)
}

/// Refuses a path that is a symbolic link, or whose directory is one (see
/// [`crate::tools::atomic`]).
pub(crate) fn refuse_link(path: &Path) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    for p in [dir, path] {
        if fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(io_err(
                p,
                std::io::Error::other(
                    "is a symbolic link; posthook does not write through links in a project's \
                     .claude/ (a cloned repository chooses where they point)",
                ),
            ));
        }
    }
    Ok(())
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

/// Copies `path` to `<path>.<UTC timestamp>.bak` (a new name, never overwriting an older backup,
/// never through a link: `O_EXCL`), mode 0600 (the file may hold the server's token).
pub(crate) fn backup(path: &Path) -> Result<PathBuf, InstallError> {
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
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
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

/// Replaces `path` with `bytes` atomically, never through a planted link (see
/// [`crate::tools::atomic`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], opts: WriteOpts) -> Result<(), InstallError> {
    crate::tools::atomic::write_atomic(path, bytes, opts).map_err(|e| io_err(path, e))
}

/// A short line diff of two texts: changed lines with `-`/`+`, two lines of context around them,
/// `...` where unchanged lines were left out.
pub(crate) fn diff(before: &str, after: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let d = TextDiff::from_lines(before, after);
    let mut out = String::new();
    for (i, group) in d.grouped_ops(2).iter().enumerate() {
        if i > 0 {
            out.push_str("  ...\n");
        }
        for op in group {
            for change in d.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                out.push(sign);
                out.push(' ');
                out.push_str(change.value().trim_end_matches('\n'));
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn diff_shows_changed_lines() {
        let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
        assert!(d.contains("- d\n+ X\n"), "{d}");
        assert!(!d.contains("  a\n"), "{d}");
    }
}
