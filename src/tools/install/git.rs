//! Keeping a project's personal files out of git: whether git tracks a file, and adding patterns
//! to the repository's `info/exclude` (the ignore rules that are not committed, unlike
//! `.gitignore`). Asked of `git` itself, so worktrees and `GIT_DIR` are found as git finds them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The line that marks posthook's patterns in `info/exclude`.
pub(crate) const MARK: &str = "# posthook: files that may hold the server's token stay out of git";

/// The patterns posthook adds: the personal settings file and posthook's backups of settings.
pub(crate) const PATTERNS: [&str; 2] = [
    "/.claude/settings.local.json",
    "/.claude/settings*.json.*.bak",
];

fn git(project: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(project)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
}

/// Whether git tracks `rel` (relative to `project`) in the repository `project` is in.
pub(crate) fn tracked(project: &Path, rel: &str) -> bool {
    git(project, &["ls-files", "--error-unmatch", "--", rel]).is_some_and(|o| o.status.success())
}

/// The repository's `info/exclude`, or `None` when `project` is not in a git repository.
pub(crate) fn exclude_path(project: &Path) -> Option<PathBuf> {
    let out = git(project, &["rev-parse", "--git-path", "info/exclude"])?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let p = PathBuf::from(text.trim_end_matches('\n'));
    Some(if p.is_absolute() { p } else { project.join(p) })
}

/// Adds [`PATTERNS`] to the repository's `info/exclude` unless they are there. `Ok(None)`: not a
/// git repository; `Ok(Some(path))`: the exclude file, which now has them.
pub(crate) fn exclude(project: &Path) -> std::io::Result<Option<PathBuf>> {
    let Some(path) = exclude_path(project) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let missing: Vec<&str> = PATTERNS
        .into_iter()
        .filter(|p| !text.lines().any(|l| l.trim() == *p))
        .collect();
    if missing.is_empty() {
        return Ok(Some(path));
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    if !new.contains(MARK) {
        new.push_str(MARK);
        new.push('\n');
    }
    for p in missing {
        new.push_str(p);
        new.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let opts = crate::tools::atomic::WriteOpts {
        mode: None,
        follow_links: false,
    };
    crate::tools::atomic::write_atomic(&path, new.as_bytes(), opts)?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_added_once_and_tracked_files_seen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        let ok = Command::new("git")
            .args(["init", "-q"])
            .current_dir(p)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return; // no git on this machine: nothing to keep out of it
        }
        let path = exclude(p).expect("exclude").expect("a repository");
        exclude(p).expect("again");
        let text = std::fs::read_to_string(&path).expect("read");
        for pat in PATTERNS {
            assert_eq!(text.lines().filter(|l| *l == pat).count(), 1, "{text}");
        }
        std::fs::create_dir(p.join(".claude")).expect("mkdir");
        std::fs::write(p.join(".claude/settings.local.json"), "{}").expect("write");
        std::fs::write(p.join(".claude/settings.json.20260101T000000Z.bak"), "{}").expect("w");
        let status = git(p, &["status", "--porcelain", "--untracked-files=all"]).expect("git");
        assert!(
            String::from_utf8_lossy(&status.stdout).trim().is_empty(),
            "ignored: {}",
            String::from_utf8_lossy(&status.stdout)
        );
        assert!(!tracked(p, ".claude/settings.local.json"));
        git(p, &["add", "-f", ".claude/settings.local.json"]).expect("add");
        assert!(tracked(p, ".claude/settings.local.json"));
        assert!(exclude(&dir.path().join("nowhere"))
            .expect("no repo")
            .is_none());
    }
}
