//! Risky git and delete commands, named so the agent can undo or avoid them.

use crate::{truncate_chars, Analyzer, Context, Finding, Severity};

/// Risky actions in a Bash command that already ran (major, 85; never blocking: it ran, and the
/// message says how to undo it): a commit or push with `--no-verify` (or `git commit -n`),
/// `git push --force`/`-f`, `git reset --hard`, `git clean -f` with `-d`, and `rm -r`/`-rf` of an
/// absolute path outside the project (and outside temporary dirs; `/`, `~` and `$HOME` are
/// exec-safety's).
pub struct Danger;

struct Hit {
    subject: &'static str,
    headline: String,
    observed: String,
    next: String,
}

fn words_of(segment: &str) -> Vec<&str> {
    segment.split_whitespace().collect()
}

fn git_args<'a>(w: &'a [&'a str]) -> Option<(&'a str, &'a [&'a str])> {
    let i = w.iter().position(|x| *x == "git")?;
    // Skip `git -C dir` / `-c k=v` options.
    let mut j = i + 1;
    while j < w.len() && w[j].starts_with('-') {
        j += if matches!(w[j], "-C" | "-c") { 2 } else { 1 };
    }
    let sub = *w.get(j)?;
    Some((sub, &w[(j + 1).min(w.len())..]))
}

fn check_segment(segment: &str, root: Option<&str>) -> Option<Hit> {
    let w = words_of(segment);
    match git_args(&w) {
        Some((sub, all)) => check_git(sub, all),
        None => check_rm(&w, root),
    }
}

/// The risky git commands.
fn check_git(sub: &str, all: &[&str]) -> Option<Hit> {
    // Options only: a quoted message (`-m "fix -n"`) is not a flag.
    let mut args: Vec<&str> = Vec::new();
    let mut skip = false;
    for a in all {
        if a.starts_with(['"', '\'']) {
            break;
        }
        if skip {
            skip = false;
            continue;
        }
        skip = matches!(*a, "-m" | "--message" | "-F" | "--file");
        args.push(a);
    }
    let args = args.as_slice();
    let has = |f: &str| args.contains(&f);
    match sub {
        "push" if has("--force") || has("-f") => {
            return Some(Hit {
                subject: "git push --force",
                headline: String::from("force push rewrote the remote branch"),
                observed: String::from("`git push --force` replaced the branch's history on the remote; commits pushed there by others are gone from it."),
                next: String::from("if that was not intended, find the old head with `git reflog` and push it back; next time use `--force-with-lease`"),
            });
        }
        "commit" | "push" | "merge" | "am" | "rebase"
            if has("--no-verify") || (sub == "commit" && has("-n")) =>
        {
            return Some(Hit {
                subject: "--no-verify",
                headline: format!("git {sub} skipped the checks (--no-verify)"),
                observed: format!("`git {sub} --no-verify` bypassed the repository's hooks: what they check (format, lint, tests) did not run on this change."),
                next: String::from("run the checks the hook runs and fix what they find; if a hook is broken, tell the user instead of skipping it"),
            });
        }
        "reset" if has("--hard") => {
            return Some(Hit {
                subject: "git reset --hard",
                headline: String::from("git reset --hard discarded uncommitted changes"),
                observed: String::from("`git reset --hard` threw away every uncommitted change in the work tree and the index."),
                next: String::from("if work was lost, `git reflog` (commits) and `git fsck --lost-found` (staged files) may still find it; prefer `git stash` before a reset"),
            });
        }
        "clean" => {
            let flags: String = args
                .iter()
                .filter(|a| a.starts_with('-') && !a.starts_with("--"))
                .flat_map(|a| a.chars().skip(1))
                .collect();
            let force = flags.contains('f') || has("--force");
            if force && flags.contains('d') {
                return Some(Hit {
                    subject: "git clean -fd",
                    headline: String::from("git clean -fd deleted untracked files and directories"),
                    observed: String::from("`git clean -fd` removed every untracked file and directory; they are not in git and cannot be restored from it."),
                    next: String::from("check that nothing needed was untracked; preview with `git clean -nd` next time"),
                });
            }
        }
        _ => {}
    }
    None
}

/// A recursive delete of an absolute path outside the project (and temporary dirs).
fn check_rm(w: &[&str], root: Option<&str>) -> Option<Hit> {
    let i = w.iter().position(|x| *x == "rm")?;
    let args = &w[i + 1..];
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && !a.starts_with("--"))
        .flat_map(|a| a.chars().skip(1))
        .collect();
    let recursive = flags.contains('r') || flags.contains('R') || args.contains(&"--recursive");
    if !recursive {
        return None;
    }
    let root = root?.trim_end_matches('/');
    let outside = args.iter().map(|a| a.trim_matches(['"', '\''])).find(|a| {
        let inside =
            a.starts_with(root) && matches!(a.as_bytes().get(root.len()), None | Some(b'/'));
        let temporary = ["/tmp/", "/var/tmp/", "/private/tmp/"]
            .iter()
            .any(|t| a.starts_with(t));
        a.starts_with('/') && *a != "/" && !temporary && !inside
    })?;
    Some(Hit {
        subject: "rm -r outside the project",
        headline: String::from("recursive delete outside the project"),
        observed: format!(
            "`rm -r` deleted {}, which is outside the project ({root}).",
            truncate_chars(outside, 160)
        ),
        next: String::from("check that this was the directory you meant; keep deletes inside the project, and ask the user before deleting anything else"),
    })
}

impl Analyzer for Danger {
    fn name(&self) -> &'static str {
        "danger"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(cmd) = cx.call.command() else { return };
        if !cx.rule_enabled("danger") {
            return;
        }
        let root = cx.call.project_root();
        let hit = cmd
            .split(['&', '|', ';', '\n'])
            .find_map(|seg| check_segment(seg, root));
        let Some(h) = hit else { return };
        out.push(
            Finding::new("danger", Severity::Major, 85)
                .subject(h.subject)
                .headline(h.headline)
                .observed(h.observed)
                .next_step(h.next),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;

    fn one(cmd: &str) -> Option<String> {
        let mut s = Session::default_profile();
        s.step(&Danger, bash(cmd).in_dir("/home/u/proj"))
            .first()
            .map(|f| f.subject.clone())
    }

    #[test]
    fn risky_git_commands() {
        assert_eq!(
            one("git push --force origin main").as_deref(),
            Some("git push --force")
        );
        assert_eq!(one("git push -f").as_deref(), Some("git push --force"));
        assert_eq!(one("git push --force-with-lease"), None);
        assert_eq!(one("git push --set-upstream origin x"), None);
        assert_eq!(
            one("git commit --no-verify -m x").as_deref(),
            Some("--no-verify")
        );
        assert_eq!(
            one("git add . && git commit -n -m wip").as_deref(),
            Some("--no-verify")
        );
        assert_eq!(one("git commit -m 'no verify here'"), None);
        assert_eq!(one("git commit -m \"fix the -n flag\""), None);
        assert_eq!(one("git commit -m wip -n").as_deref(), Some("--no-verify"));
        assert_eq!(
            one("git reset --hard HEAD~1").as_deref(),
            Some("git reset --hard")
        );
        assert_eq!(one("git reset --soft HEAD~1"), None);
        assert_eq!(one("git clean -fdx").as_deref(), Some("git clean -fd"));
        assert_eq!(one("git clean -n -d"), None);
        assert_eq!(
            one("git -C /x push -f").as_deref(),
            Some("git push --force")
        );
    }

    #[test]
    fn recursive_deletes_outside_the_project() {
        assert_eq!(
            one("rm -rf /home/u/other").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(one("rm -rf /home/u/proj/target"), None);
        assert_eq!(
            one("rm -rf /home/u/project2").as_deref(),
            Some("rm -r outside the project"),
            "a prefix is not inside"
        );
        assert_eq!(
            one("rm -rf build node_modules"),
            None,
            "relative paths stay in the project"
        );
        assert_eq!(one("rm -rf /tmp/x"), None);
        assert_eq!(
            one("rm /etc/hosts"),
            None,
            "not recursive: path-safety's business"
        );
        let mut s = Session::default_profile();
        assert!(
            s.step(&Danger, bash("rm -rf /opt/x")).is_empty(),
            "no project root known"
        );
    }
}
