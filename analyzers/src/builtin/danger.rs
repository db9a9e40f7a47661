//! Risky git and delete commands, named so the agent can undo or avoid them.

use super::{Builtin, Kind, Rule, Tools};
use crate::text::git_args;
use crate::text::path::{is_temporary, is_under};
use crate::text::shell::{resolve, Env, Script, Simple};
use crate::{Family, truncate_chars, Analyzer, Context, Finding, Severity};

/// Risky actions in a Bash command that already ran (major, 85; never blocking: it ran, and the
/// message says how to undo it), judged on the programs in command position (never on words of
/// `echo`, a commit message or a redirect): a commit or push with `--no-verify` (or `git commit
/// -n`), `git push --force`/`-f`/`+refspec`, `git reset --hard`, `git clean -f`, `git checkout
/// -f`/`git switch -f`, a checkout or restore of the whole tree (`git checkout .`, `git restore
/// .`), `git branch -D`, `git stash drop`/`clear`, and `rm -r` of a home path or of a path outside
/// the project (resolved: `~`, `$HOME`, `..`, `cd` before it; temporary dirs excepted; `/`, `~`
/// and `$HOME` themselves are exec-safety's).
pub struct Danger;

const RULE: Rule = Rule {
    id: "danger",
    kind: Kind::Danger,
    family: Family::Core,
    doc: "`--no-verify` (or `git commit -n`), `git push --force`/`+refspec`, `git reset --hard`, `git clean -f`, `git checkout -f`/`switch -f`, `git checkout .`/`restore .`, `git branch -D`, `git stash drop`/`clear`, `git worktree remove --force`, `rm -r` (or `find -delete`) of a home path or a path outside the project (`~`, `$HOME`, `..` and `cd` resolved); says how to undo it",
};

impl Danger {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Bash,
        thresholds: &[],
        critical: true,
        make: || Box::new(Danger),
    };
}

struct Hit {
    subject: &'static str,
    headline: String,
    observed: String,
    next: String,
}

fn hit(subject: &'static str, headline: &str, observed: &str, next: &str) -> Option<Hit> {
    Some(Hit {
        subject,
        headline: headline.to_string(),
        observed: observed.to_string(),
        next: next.to_string(),
    })
}

/// The options of a git subcommand's arguments: values of `-m`/`-F`/`--message`/`--file` (a
/// message saying "-n") are skipped, and so is everything after `--`.
fn git_options(sub: &str, args: &[String]) -> (String, Vec<String>) {
    let mut shorts = String::new();
    let mut longs = Vec::new();
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--" {
            break;
        }
        if a.starts_with("--") {
            skip = matches!(a.as_str(), "--message" | "--file");
            longs.push(a.clone());
        } else if let Some(cluster) = a.strip_prefix('-') {
            // In `-am msg` or `-bfeature` the letters after one that takes a value are that value.
            let takes_value: &[char] = match sub {
                "commit" => &['m', 'F', 'C', 'c', 't'],
                "checkout" => &['b', 'B'],
                "switch" => &['c', 'C'],
                "clean" => &['e'],
                _ => &[],
            };
            for ch in cluster.chars() {
                shorts.push(ch);
                if takes_value.contains(&ch) {
                    skip = cluster.ends_with(ch);
                    break;
                }
            }
        }
    }
    (shorts, longs)
}

/// The pathspec operands of a git subcommand: a broad one (`.`, `*`, `:/`) discards all.
fn broad_pathspec(args: &[String]) -> bool {
    args.iter()
        .any(|a| matches!(a.as_str(), "." | "./" | "*" | ":/" | ":/." | "-A"))
}

/// The risky git commands.
fn check_git(c: &Simple) -> Option<Hit> {
    let (sub, args) = git_args(c)?;
    let (shorts, longs) = git_options(sub, args);
    let long = |f: &str| longs.iter().any(|l| l == f);
    let short = |f: char| shorts.contains(f);
    match sub {
        "push" if force_push(args, &shorts, &longs) => hit(
            "git push --force",
            "force push rewrote the remote branch",
            "`git push --force` replaced the branch's history on the remote; commits pushed there by others are gone from it.",
            "if that was not intended, find the old head with `git reflog` and push it back; next time use `--force-with-lease`",
        ),
        "commit" | "push" | "merge" | "am" | "rebase" | "cherry-pick" | "revert"
            if long("--no-verify") || (sub == "commit" && short('n')) =>
        {
            Some(Hit {
                subject: "--no-verify",
                headline: format!("git {sub} skipped the checks (--no-verify)"),
                observed: format!("`git {sub} --no-verify` bypassed the repository's hooks: what they check (format, lint, tests) did not run on this change."),
                next: String::from("run the checks the hook runs and fix what they find; if a hook is broken, tell the user instead of skipping it"),
            })
        }
        "reset" if long("--hard") => hit(
            "git reset --hard",
            "git reset --hard discarded uncommitted changes",
            "`git reset --hard` threw away every uncommitted change in the work tree and the index.",
            "if work was lost, `git reflog` (commits) and `git fsck --lost-found` (staged files) may still find it; prefer `git stash` before a reset",
        ),
        "clean" if (short('f') || long("--force")) && !short('n') && !long("--dry-run") => {
            check_clean(short('d'))
        }
        "checkout" | "switch" => check_checkout(sub, args, &shorts, &longs),
        "restore" => {
            let staged_only = (short('S') || long("--staged")) && !(short('W') || long("--worktree"));
            (!staged_only && broad_pathspec(args)).then(|| discard_all("git restore ."))
        }
        "branch" if short('D') || (short('d') || long("--delete")) && (short('f') || long("--force")) => hit(
            "git branch -D",
            "git branch -D deleted a branch without checking it was merged",
            "`git branch -D` deleted the branch even if its commits are merged nowhere else.",
            "if it held work, find its last commit with `git reflog` and recreate it with `git branch NAME SHA`",
        ),
        "worktree" if args.first().is_some_and(|a| a == "remove") && (short('f') || long("--force")) => hit(
            "git worktree remove --force",
            "a worktree was removed with its uncommitted changes",
            "`git worktree remove --force` deleted the worktree's directory even though it held uncommitted or untracked changes.",
            "if it held work, the editor's local history may still hold it; remove worktrees without --force so git refuses when work would be lost",
        ),
        "stash" if matches!(args.first().map(String::as_str), Some("drop" | "clear")) => hit(
            "git stash drop",
            "a stash was dropped",
            "`git stash drop`/`clear` deleted stashed changes; they are not in any branch.",
            "a dropped stash can still be found with `git fsck --unreachable | grep commit` and applied by its SHA",
        ),
        _ => None,
    }
}

/// `--force`, `-f` or a `+refspec`, unless `--force-with-lease` asks git to check the remote.
fn force_push(args: &[String], shorts: &str, longs: &[String]) -> bool {
    let lease = longs.iter().any(|l| l.starts_with("--force-with-lease"));
    let force = shorts.contains('f') || longs.iter().any(|l| l == "--force");
    let plus = args.iter().any(|a| a.starts_with('+') && a.len() > 1);
    !lease && (force || plus)
}

fn check_clean(dirs: bool) -> Option<Hit> {
    if dirs {
        hit(
            "git clean -fd",
            "git clean -fd deleted untracked files and directories",
            "`git clean -fd` removed every untracked file and directory; they are not in git and cannot be restored from it.",
            "check that nothing needed was untracked; preview with `git clean -nd` next time",
        )
    } else {
        hit(
            "git clean -f",
            "git clean -f deleted untracked files",
            "`git clean -f` removed every untracked file; they are not in git and cannot be restored from it.",
            "check that nothing needed was untracked; preview with `git clean -n` next time",
        )
    }
}

fn discard_all(subject: &'static str) -> Hit {
    Hit {
        subject,
        headline: String::from("uncommitted changes discarded"),
        observed: format!("`{subject}` overwrote the work tree's uncommitted changes with the committed version; they are not in git."),
        next: String::from("if work was lost, the editor's local history may still hold it; `git stash` keeps changes before a checkout or restore"),
    }
}

fn check_checkout(sub: &str, args: &[String], shorts: &str, longs: &[String]) -> Option<Hit> {
    let long = |f: &str| longs.iter().any(|l| l == f);
    // `-f` forces; for checkout, `-b`/`-B` take the branch name, which holds no `f` flag.
    if shorts.contains('f') || long("--force") || long("--discard-changes") {
        let subject = if sub == "switch" {
            "git switch --force"
        } else {
            "git checkout --force"
        };
        return Some(Hit {
            subject,
            headline: format!("git {sub} --force discarded local changes"),
            observed: format!("`git {sub} --force` overwrote uncommitted changes in the work tree to switch branches."),
            next: String::from("if work was lost, the editor's local history may still hold it; commit or `git stash` before switching"),
        });
    }
    if sub == "checkout" && broad_pathspec(args) {
        return Some(discard_all("git checkout ."));
    }
    None
}

/// The paths a command deletes recursively: `rm -r`'s operands, or the starting points of a
/// `find` that deletes what it finds (`-delete`, `-exec rm`).
fn deleted_trees(c: &Simple) -> Vec<&str> {
    match c.program.as_str() {
        "rm" if c.has_flag('r', "--recursive") || c.has_flag('R', "--recursive") => {
            c.operands().collect()
        }
        "find" => {
            let args = c.args();
            let deletes = args.iter().enumerate().any(|(k, a)| {
                a == "-delete"
                    || (matches!(a.as_str(), "-exec" | "-execdir")
                        && args
                            .get(k + 1)
                            .is_some_and(|p| super::super::text::shell::base(p) == "rm"))
            });
            if !deletes {
                return Vec::new();
            }
            args.iter()
                .take_while(|a| !a.starts_with(['-', '(', '!']))
                .map(String::as_str)
                .collect()
        }
        _ => Vec::new(),
    }
}

/// A recursive delete of a home path or of a path outside the project (and temporary dirs).
fn check_rm(c: &Simple, root: Option<&str>, home: Option<&str>) -> Option<Hit> {
    let trees = deleted_trees(c);
    if trees.is_empty() {
        return None;
    }
    let env = Env {
        cwd: c.cwd.as_deref(),
        home,
    };
    let root = root.filter(|r| r.starts_with('/'))?;
    let root = resolve(root, Env::default())?;
    let outside = trees.into_iter().find_map(|a| {
        if other_users_home(a, home) {
            return Some((a.to_string(), a.to_string()));
        }
        let p = resolve(a, env)?;
        let is_root_or_home = p == "/" || home.is_some_and(|h| h.trim_end_matches('/') == p);
        let temporary = is_temporary(&p);
        (!is_root_or_home && !temporary && !is_under(&p, &root)).then(|| (a.to_string(), p))
    })?;
    let (word, path) = outside;
    let shown = if word == path {
        word
    } else {
        format!("{word} ({path})")
    };
    Some(Hit {
        subject: "rm -r outside the project",
        headline: String::from("recursive delete outside the project"),
        observed: format!(
            "`rm -r` deleted {}, which is outside the project ({root}).",
            truncate_chars(&shown, 160)
        ),
        next: String::from("check that this was the directory you meant; keep deletes inside the project, and ask the user before deleting anything else"),
    })
}

/// `~name/...`: another user's home, never the project (unless `name` is the user).
fn other_users_home(word: &str, home: Option<&str>) -> bool {
    let Some(rest) = word.strip_prefix('~') else {
        return false;
    };
    let name = rest.split('/').next().unwrap_or("");
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    valid && !home.is_some_and(|h| h.trim_end_matches('/').ends_with(&format!("/{name}")))
}

/// The first risky command of a parsed command line.
fn check_script(s: &Script, root: Option<&str>, home: Option<&str>) -> Option<Hit> {
    if !s.complete {
        return None;
    }
    s.commands
        .iter()
        .find_map(|c| check_git(c).or_else(|| check_rm(c, root, home)))
}

impl Analyzer for Danger {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.call.command().is_none() {
            return;
        }
        let root = cx.call.project_root();
        let home = cx.call.home.as_deref();
        let Some(h) = check_script(cx.call.script(), root, home) else {
            return;
        };
        out.push(
            Finding::new(RULE.id, Severity::Major, 85)
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
        s.step(
            &Danger,
            bash(cmd).in_dir("/home/u/proj").with_home("/home/u"),
        )
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
    fn more_risky_git_commands() {
        let cases = [
            ("git push origin +main", Some("git push --force")),
            ("git push origin main:main", None),
            ("git push --force-with-lease origin x", None),
            ("git clean -f", Some("git clean -f")),
            ("git clean -df", Some("git clean -fd")),
            ("git clean -nfd", None),
            ("git clean -d --dry-run -f", None),
            ("git checkout -f main", Some("git checkout --force")),
            ("git checkout -qf main", Some("git checkout --force")),
            ("git checkout --force main", Some("git checkout --force")),
            ("git checkout -b feature", None),
            ("git checkout main", None),
            ("git checkout -- .", Some("git checkout .")),
            ("git checkout .", Some("git checkout .")),
            ("git checkout HEAD -- .", Some("git checkout .")),
            ("git checkout -- src/a.rs", None),
            ("git switch -f main", Some("git switch --force")),
            (
                "git switch --discard-changes main",
                Some("git switch --force"),
            ),
            ("git switch -c x", None),
            ("git restore .", Some("git restore .")),
            ("git restore --staged --worktree .", Some("git restore .")),
            ("git restore --staged .", None),
            ("git restore src/a.rs", None),
            ("git branch -D old", Some("git branch -D")),
            ("git branch --delete --force old", Some("git branch -D")),
            ("git branch -d merged", None),
            ("git stash drop", Some("git stash drop")),
            ("git stash clear", Some("git stash drop")),
            ("git stash pop", None),
            (
                "git -c core.hooksPath=/dev/null commit --no-verify -m x",
                Some("--no-verify"),
            ),
            ("git commit -am 'skip -n'", None),
            ("git commit -nm wip", Some("--no-verify")),
            ("echo git push --force", None),
            ("git log --grep 'reset --hard'", None),
            ("sh -c 'git reset --hard'", Some("git reset --hard")),
            ("echo $(git stash drop)", Some("git stash drop")),
            ("timeout 9 git push -f", Some("git push --force")),
        ];
        for (cmd, want) in cases {
            assert_eq!(one(cmd).as_deref(), want, "{cmd}");
        }
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
        assert_eq!(
            one("rm -rf build > /dev/null").as_deref(),
            None,
            "a redirect target is not deleted"
        );
        assert_eq!(
            one("rm -rf ~/other").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("rm -rf $HOME/.cache/x").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("rm -rf ../sibling").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("cd /opt && rm -rf build").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("/bin/rm -r /srv/data").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("sudo rm -rf /srv/data").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("bash -c 'rm -rf /srv/data'").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(
            one("rm -rf /tmp/../srv").as_deref(),
            Some("rm -r outside the project")
        );
        assert_eq!(one("rm -rf ~/proj/target"), None);
        assert_eq!(one("rm -rf ./a/../b"), None);
        assert_eq!(one("cd /tmp && rm -rf build"), None);
        assert_eq!(
            one("rm -rf $TMPDIR/x"),
            None,
            "an unknown variable is no alarm"
        );
        assert_eq!(one("echo rm -rf /srv/data"), None);
        assert_eq!(one("wc rm -rf /srv/data"), None);
        assert_eq!(one("printf '%s' 'rm -rf ~/x'"), None);
        assert_eq!(one("rm -rf /"), None, "exec-safety's");
        assert_eq!(one("rm -rf ~"), None, "exec-safety's");
        let mut s = Session::default_profile();
        assert!(
            s.step(&Danger, bash("rm -rf ~/x").in_dir("/home/u/proj"))
                .is_empty(),
            "no home known: no guess"
        );
        assert!(
            s.step(&Danger, bash("rm -rf /opt/x")).is_empty(),
            "no project root known"
        );
    }
}
