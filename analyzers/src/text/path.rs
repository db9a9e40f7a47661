//! Absolute paths read lexically (no file system access): `.` and `..` resolved, the directories
//! a path is under, the temporary directories.

use std::borrow::Cow;

/// The temporary directories: what is written or deleted under them is nobody's project.
pub(crate) const TEMP_DIRS: [&str; 5] = [
    "/tmp",
    "/var/tmp",
    "/private/tmp",
    "/private/var/folders",
    "/var/folders",
];

/// Whether absolute `path` is one of [`TEMP_DIRS`] or inside one.
pub(crate) fn is_temporary(path: &str) -> bool {
    TEMP_DIRS.iter().any(|t| is_under(path, t))
}

/// Absolute `path` with its `.`, `..` and empty components resolved: `/a/b/../c/./d//` is
/// `/a/c/d`, `/..` is `/`. Borrowed when it is that already. A relative path is returned as it
/// is: it depends on a directory not known here.
pub(crate) fn normalize(path: &str) -> Cow<'_, str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Cow::Borrowed(path);
    };
    if path == "/" || rest.split('/').all(|c| !matches!(c, "" | "." | "..")) {
        return Cow::Borrowed(path);
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in rest.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::with_capacity(path.len());
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    if s.is_empty() {
        s.push('/');
    }
    Cow::Owned(s)
}

/// Whether absolute `path` is `root` or inside it (component-wise: `/p/ab` is not in `/p/a`).
pub(crate) fn is_under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        return true;
    }
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(normalize("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(normalize("/a/.."), "/");
        assert_eq!(normalize("/.."), "/");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("/a//b/"), "/a/b");
        assert_eq!(normalize("/a/.hidden/b."), "/a/.hidden/b.");
        assert!(matches!(normalize("/a/b"), Cow::Borrowed("/a/b")));
        assert!(matches!(normalize("a/../b"), Cow::Borrowed("a/../b")));
        assert!(is_under("/p/a/x.rs", "/p/a"));
        assert!(is_under("/p/a", "/p/a/"));
        assert!(!is_under("/p/ab/x.rs", "/p/a"));
        assert!(is_temporary("/tmp") && is_temporary("/private/var/folders/x/T/y"));
        assert!(!is_temporary("/tmpfoo") && !is_temporary("/home/u/tmp"));
    }
}
