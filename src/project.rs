//! Where posthook and the project it serves are: the project root, HOME, this binary.

use std::fs;
use std::path::{Path, PathBuf};

/// The project root: `CLAUDE_PROJECT_DIR`, else the git root above `cwd`, else `cwd`.
pub(crate) fn project_dir(claude_project_dir: Option<&str>, cwd: &Path) -> PathBuf {
    if let Some(d) = claude_project_dir.filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The project root of this process (see [`project_dir`]).
pub(crate) fn current_project_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    project_dir(std::env::var("CLAUDE_PROJECT_DIR").ok().as_deref(), &cwd)
}

/// `CLAUDE_PROJECT_DIR` as Claude Code sets it, when set and not empty.
pub(crate) fn claude_project_dir() -> Option<String> {
    std::env::var("CLAUDE_PROJECT_DIR")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `$HOME`, when set and not empty.
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The absolute, canonical path of the running binary.
pub(crate) fn current_binary() -> std::io::Result<PathBuf> {
    std::env::current_exe().and_then(fs::canonicalize)
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
