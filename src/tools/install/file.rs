//! The settings file itself: read (with the position of a syntax error) into a concrete syntax
//! tree, edited there (every byte outside the nodes changed is kept), backed up, diffed, and
//! replaced atomically.

use super::entries::{check_shape, install_into, uninstall_from};
use super::{io_err, shape, Entry, InstallError};
use crate::tools::atomic::WriteOpts;
use jsonc_parser::cst::{CstArray, CstInputValue, CstNode, CstObject, CstObjectProp, CstRootNode};
use jsonc_parser::ParseOptions;
use serde_json::{Map, Value};
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// A settings file: its syntax tree, to edit, and the JSON it holds, to read.
#[derive(Debug)]
pub(super) struct Settings {
    /// The tree: its `to_string()` is the file's text, byte for byte, until it is edited.
    pub tree: CstRootNode,
    /// The document (empty text is an empty object).
    pub doc: Map<String, Value>,
}

/// Parses settings text; empty text is an empty object. serde_json judges it, as strictly as
/// Claude Code, which discards a file with a comment or a trailing comma (the tree's parser lets
/// comments through when it keeps them as tokens, whatever its options say).
pub(super) fn parse_settings(path: &Path, text: &str) -> Result<Settings, InstallError> {
    let syntax = |line, column, message| InstallError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let doc = match serde_json::from_str::<Value>(text) {
        _ if text.trim().is_empty() => Map::new(),
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(shape(path, "(top level)", "an object")),
        Err(e) => return Err(syntax(e.line(), e.column(), strip_position(&e.to_string()))),
    };
    let tree = CstRootNode::parse(text, &ParseOptions::default())
        .map_err(|e| syntax(e.line_display(), e.column_display(), e.kind().to_string()))?;
    Ok(Settings { tree, doc })
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
    /// Whether the file's text changed.
    pub changed: bool,
    /// The backup of the old file, when one was written.
    pub backup: Option<PathBuf>,
    /// The file's text before.
    pub before: String,
    /// The file's text after (what is written).
    pub after: String,
}

/// Reads and parses a settings file: `None` when it does not exist.
///
/// Never blocks: a project's settings file arrives with any `git clone`, and one that is a FIFO
/// or a device is refused unread (see [`crate::config::read_regular`]).
fn load_settings(path: &Path) -> Result<Option<Settings>, InstallError> {
    match crate::config::read_regular(path, MAX_SETTINGS_BYTES, false) {
        Ok(Some(text)) => parse_settings(path, &text).map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

/// The document of a settings file: `None` when it does not exist (see [`load_settings`]).
pub(crate) fn read_settings(path: &Path) -> Result<Option<Map<String, Value>>, InstallError> {
    Ok(load_settings(path)?.map(|s| s.doc))
}

/// Settings files larger than this are refused: 16 MiB (a settings file is a few KiB).
const MAX_SETTINGS_BYTES: u64 = 16 * 1024 * 1024;

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
    edit_settings(path, dry_run, opts, |real, tree, doc| {
        check_shape(real, doc)?;
        match action {
            Action::Install(entry) => install_into(&tree.object_value_or_set(), entry),
            Action::Uninstall => {
                if let Some(doc) = tree.object_value() {
                    uninstall_from(&doc);
                }
            }
        }
        Ok(())
    })
}

/// Edits the settings file at `path` (a missing one is `{}`): `edit` gets the path it reads and
/// writes, the file's tree to change and its document; when the text changed, the old file is
/// backed up and the new one written as `opts` says. With `dry_run`, or when `edit` fails,
/// nothing is written.
pub(crate) fn edit_settings(
    path: &Path,
    dry_run: bool,
    opts: WriteOpts,
    edit: impl FnOnce(&Path, &CstRootNode, &Map<String, Value>) -> Result<(), InstallError>,
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
    let existing = load_settings(&real)?;
    let created = existing.is_none();
    let Settings { tree, doc } = match existing {
        Some(s) => s,
        None => parse_settings(&real, "{}\n")?,
    };
    let before = tree.to_string();
    edit(&real, &tree, &doc)?;
    let after = tree.to_string();
    let mut change = Change {
        path: real.clone(),
        changed: after != before,
        backup: None,
        before,
        after,
    };
    if dry_run || !change.changed {
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

/// The JSON of a node of the tree (`Null` for one that holds none).
pub(crate) fn value_of(node: &CstNode) -> Value {
    node.to_serde_value().unwrap_or(Value::Null)
}

/// A JSON value as the tree's input, keys in their order.
pub(crate) fn input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
        Value::Object(m) => {
            CstInputValue::Object(m.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

/// Sets `object[name]` to `v`: in place when it is there (only when it differs), else appended.
pub(crate) fn set_prop(object: &CstObject, name: &str, v: &Value) {
    match object.get(name) {
        Some(prop) if prop.value().map(|n| value_of(&n)).as_ref() == Some(v) => {}
        Some(prop) => prop.set_value(input(v)),
        None => {
            append_prop(object, name, v);
        }
    }
}

/// Appends the property `name: v` to `object` (see [`keep_line_end`]).
pub(crate) fn append_prop(object: &CstObject, name: &str, v: &Value) -> CstObjectProp {
    let prop = object.append(name, input(v));
    keep_line_end(&prop.clone().into());
    prop
}

/// Appends `v` to `array` (see [`keep_line_end`]).
pub(crate) fn append_elem(array: &CstArray, v: &Value) {
    keep_line_end(&array.append(input(v)));
}

/// The object `object[name]`, appended empty when there is none (`None`: it is something else).
pub(crate) fn object_or_append(object: &CstObject, name: &str) -> Option<CstObject> {
    match object.get(name) {
        Some(prop) => prop.object_value(),
        None => append_prop(object, name, &Value::Object(Map::new())).object_value(),
    }
}

/// Puts back where it was what followed the last element on its line (trailing spaces) before
/// `node` was appended behind it: the crate writes the comma right after that element and leaves
/// the rest of its line behind `node`. Then the element's line changes by its comma alone, and
/// removing `node` again gives back the original bytes.
fn keep_line_end(node: &CstNode) {
    let rest: Vec<CstNode> = node
        .next_siblings()
        .take_while(CstNode::is_whitespace)
        .collect();
    let ends_line = node
        .next_siblings()
        .find(|n| !n.is_whitespace())
        .is_some_and(|n| n.is_newline());
    let mut before = node.previous_siblings();
    let (Some(indent), Some(newline)) =
        (before.next().and_then(|n| n.as_whitespace()), before.next())
    else {
        return;
    };
    if rest.is_empty() || !ends_line || !newline.is_newline() {
        return;
    }
    let moved: String = rest.iter().map(ToString::to_string).collect();
    indent.set_value(format!("{moved}{newline}{}", indent.value()));
    newline.remove();
    rest.into_iter().for_each(CstNode::remove);
}

/// Refuses a path that is a symbolic link, or whose directory is one (see
/// [`crate::tools::atomic`]).
fn refuse_link(path: &Path) -> Result<(), InstallError> {
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

fn timestamp() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    now.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// Copies `path` to `<path>.<UTC timestamp>.bak` (a new name, never overwriting an older backup,
/// never through a link: `O_EXCL`), mode 0600 (the file may hold the server's token).
fn backup(path: &Path) -> Result<PathBuf, InstallError> {
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
fn write_atomic(path: &Path, bytes: &[u8], opts: WriteOpts) -> Result<(), InstallError> {
    crate::tools::atomic::write_atomic(path, bytes, opts).map_err(|e| io_err(path, e))
}

/// A short line diff of two texts: changed lines with `-`/`+`, two lines of context around them,
/// `...` where unchanged lines were left out; lines are printed without their line ending.
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
                out.push_str(change.value().trim_end_matches(['\n', '\r']));
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
    fn appending_keeps_trailing_spaces_on_their_line_and_removing_gives_the_bytes_back() {
        let text = "{\r\n\t\"a\": [\r\n\t\t1  \r\n\t]\t\r\n}";
        let tree = parse_settings(Path::new("s.json"), text)
            .expect("valid")
            .tree;
        let doc = tree.object_value().expect("object");
        append_elem(
            &doc.array_value("a").expect("array"),
            &serde_json::json!({"b": 2}),
        );
        append_prop(&doc, "c", &serde_json::json!([3]));
        let added = tree.to_string();
        assert!(
            added.starts_with("{\r\n\t\"a\": [\r\n\t\t1,  \r\n"),
            "{added:?}"
        );
        assert!(added.contains("\t],\t\r\n\t\"c\""), "{added:?}");
        let tree = parse_settings(Path::new("s.json"), &added)
            .expect("valid")
            .tree;
        let doc = tree.object_value().expect("object");
        doc.get("c").expect("c").remove();
        let a = doc.array_value("a").expect("array");
        a.elements().pop().expect("b").remove();
        assert_eq!(tree.to_string(), text);
    }

    #[test]
    fn diff_shows_changed_lines() {
        let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nX\ne\nf\ng\n");
        assert!(d.contains("- d\n+ X\n"), "{d}");
        assert!(!d.contains("  a\n"), "{d}");
        // A file with CRLF line endings: no carriage return in the printed lines.
        let d = diff("a\r\nb\r\n", "a\r\nX\r\n");
        assert_eq!(d, "  a\n- b\n+ X\n");
    }
}
