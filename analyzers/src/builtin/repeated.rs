//! Repeated operations (catalogue §2): the same file worked on again and again, the same kind of
//! command run again and again.

use super::{same_turn, PARALLEL_GAP_MS};
use crate::{Analyzer, Category, Context, Finding, Severity, Threshold};

pub(crate) const FILE_WINDOW: Threshold = Threshold::new(
    "repeated-file-op.window",
    5.0,
    "how many recent file ops are compared with the current one",
);
pub(crate) const FILE_SAME: Threshold = Threshold::new(
    "repeated-file-op.same",
    3.0,
    "file ops on the same path within the window that suggest one combined change",
);
pub(crate) const BASH_WINDOW: Threshold = Threshold::new(
    "repeated-command.window",
    5.0,
    "how many recent Bash commands are compared with the current one",
);
pub(crate) const BASH_SAME: Threshold = Threshold::new(
    "repeated-command.same",
    4.0,
    "commands with the same program within the window that suggest one combined command",
);

/// Repeated operations: a write to a path that >= 3 of the last 5 file ops touched, at least 2 of
/// them changes (`repeated-file-op`, minor, 28: one MultiEdit or one Write would do); a command whose program
/// (first word) started >= 4 of the last 5 Bash turns with no file change in between
/// (`repeated-command`, minor, 22: combine them).
///
/// Tuned on the real transcripts: the catalogue's 3-of-5 for commands fired on every third `git` or
/// `mix` call (`git status`, `git add`, `git commit` are different steps); requiring 4 of 5 and
/// ignoring commands separated by a file change (an edit-test loop runs the same test on purpose)
/// leaves the cases where one chained command would really have done.
pub struct Repeated;

impl Repeated {
    /// The rules this analyzer emits.
    pub const RULES: &'static [&'static str] = &["repeated-file-op", "repeated-command"];
}

fn program(head: &str) -> &str {
    head.split(' ').next().unwrap_or(head)
}

impl Analyzer for Repeated {
    fn name(&self) -> &'static str {
        "repeated"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.is_write() {
            if !cx.rule_enabled("repeated-file-op") {
                return;
            }
            let Some(path) = cx.fact.path.as_deref() else {
                return;
            };
            let window = cx.count(&FILE_WINDOW) as usize;
            let mut same = 0u64;
            let mut writes = 0u64;
            for f in cx
                .history
                .recent
                .iter()
                .rev()
                .filter(|f| f.cat == Category::File)
                .take(window)
            {
                if f.path.as_deref() == Some(path) {
                    same += 1;
                    if f.is_write() {
                        writes += 1;
                    }
                }
            }
            // "Changed piece by piece" needs at least two changes: reading a file in parts and then
            // editing it once is one change (seen on the real transcripts).
            if same < cx.count(&FILE_SAME) || writes < 2 {
                return;
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            out.push(
                Finding::new("repeated-file-op", Severity::Minor, 28)
                    .headline(format!("{name} changed piece by piece"))
                    .observed(format!(
                        "{same} of the last {window} file operations were on {name} ({writes} of them changes)."
                    ))
                    .next_step(format!(
                        "collect the remaining changes to {name} and make them in one MultiEdit, or rewrite it once with Write"
                    )),
            );
        } else if cx.fact.tool == "Bash" {
            if !cx.rule_enabled("repeated-command") {
                return;
            }
            let gap = cx.count(&PARALLEL_GAP_MS);
            if same_turn(cx.fact, gap) {
                return;
            }
            let Some(prog) = cx
                .fact
                .cmd
                .as_deref()
                .map(program)
                .filter(|p| !p.is_empty() && *p != "?")
            else {
                return;
            };
            let window = cx.count(&BASH_WINDOW) as usize;
            let mut seen = 0usize;
            let mut same = 0u64;
            for f in cx.history.recent.iter().rev() {
                if f.is_write() {
                    break;
                }
                // One count per turn: parallel commands were already batched.
                if f.tool != "Bash" || same_turn(f, gap) {
                    continue;
                }
                seen += 1;
                if f.cmd.as_deref().map(program) == Some(prog) {
                    same += 1;
                }
                if seen >= window {
                    break;
                }
            }
            if same < cx.count(&BASH_SAME) {
                return;
            }
            out.push(
                Finding::new("repeated-command", Severity::Minor, 22)
                    .headline(format!("`{prog}` run turn after turn"))
                    .observed(format!(
                        "{same} of the last {seen} Bash turns ran `{prog}`, with no file change in between."
                    ))
                    .next_step(format!(
                        "combine the next `{prog}` steps into one call (chain them with &&, or loop over the arguments)"
                    )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, edit, read, write, Session};

    #[test]
    fn same_file_three_of_five() {
        let mut s = Session::default_profile();
        s.feed(read("/p/a.rs"));
        assert!(s.step(&Repeated, edit("/p/a.rs")).is_empty());
        let f = s.step(&Repeated, edit("/p/a.rs"));
        assert_eq!(f[0].rule, "repeated-file-op");
        assert!(
            f[0].observed.contains("3 of the last 5"),
            "{}",
            f[0].observed
        );
        assert!(
            f[0].observed.contains("2 of them changes"),
            "{}",
            f[0].observed
        );
        assert_eq!(s.step(&Repeated, write("/p/a.rs", "x")).len(), 1);
    }

    #[test]
    fn same_file_window_edge() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/a.rs"));
        for p in ["/p/b", "/p/c", "/p/d"] {
            s.feed(read(p));
        }
        // window of 5 file ops: a.rs (old), b, c, d, current -> 2 on a.rs
        assert!(s.step(&Repeated, edit("/p/a.rs")).is_empty());
        // now: b, c, d, a, a -> 2; then the old one has left the window
        assert!(s.step(&Repeated, edit("/p/x.rs")).is_empty());
        assert_eq!(s.step(&Repeated, edit("/p/a.rs")).len(), 0, "c, d, a, x, a");
        assert_eq!(s.step(&Repeated, edit("/p/a.rs")).len(), 1, "d, a, x, a, a");
        // reads never fire
        assert!(s.step(&Repeated, read("/p/a.rs")).is_empty());
        // reading in parts, then one edit: one change only
        let mut s = Session::default_profile();
        s.feed(read("/p/b.rs"));
        s.feed(read("/p/b.rs"));
        assert!(s.step(&Repeated, edit("/p/b.rs")).is_empty());
        assert_eq!(s.step(&Repeated, edit("/p/b.rs")).len(), 1);
    }

    #[test]
    fn same_program_four_of_five_turns() {
        let mut s = Session::default_profile();
        for c in ["git status", "git add x", "git commit -m y"] {
            assert!(s.step(&Repeated, bash(c)).is_empty(), "{c}");
        }
        let f = s.step(&Repeated, bash("git push"));
        assert_eq!(f[0].rule, "repeated-command");
        assert!(f[0].headline.contains("`git`"));
    }

    #[test]
    fn parallel_commands_and_edits_break_the_pattern() {
        let mut s = Session::default_profile();
        s.feed(bash("git status"));
        s.after(50);
        s.feed(bash("git diff"));
        s.after(50);
        s.feed(bash("git log"));
        assert!(s.step(&Repeated, bash("git add x")).is_empty(), "2 turns");
        let mut s = Session::default_profile();
        for _ in 0..3 {
            s.feed(bash("cargo test"));
            s.feed(edit("/p/a.rs"));
        }
        assert!(
            s.step(&Repeated, bash("cargo test")).is_empty(),
            "edit-test loop"
        );
        s.after(100);
        assert!(
            s.step(&Repeated, bash("cargo test")).is_empty(),
            "same turn"
        );
    }
}
