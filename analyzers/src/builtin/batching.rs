//! Batching opportunities (catalogue §2): single file operations or shell commands made one turn
//! at a time where one turn could have done them together.

use super::{plural, same_turn, PARALLEL_GAP_MS};
use crate::{Analyzer, Category, Context, Fact, Finding, Severity, Threshold};

// The catalogue says 3. On the real transcripts most 3-turn runs were dependency chains (Read a
// file, Edit it, Edit it again after seeing the result), which cannot be one turn: 11 of 36
// messages. From 4 turns the runs were mostly independent reads or a file edited piece by piece.
pub(crate) const FILE_RUN: Threshold = Threshold::new(
    "batching-file-ops.run",
    4.0,
    "consecutive turns made only of file ops that suggest batching them",
);
// The catalogue says 3. On the real transcripts that was half of all feedback (18 of 36
// messages), nearly all compile -> test -> lint or issue-tracker -> git sequences of 3-4 steps
// where each step read the previous one's output. From 5 turns the runs were status/bookkeeping
// commands that one chained call would have done.
pub(crate) const BASH_RUN: Threshold = Threshold::new(
    "batching-bash.run",
    5.0,
    "consecutive turns made only of Bash calls that suggest chaining them",
);

/// How far back a run is followed: the history window.
const MAX_RUN: usize = crate::HISTORY_CAPACITY;

/// Batching: >= 4 consecutive file-op turns (`batching-file-ops`, minor, 30; the message names the
/// distinct files of that run), else >= 5 consecutive Bash turns (`batching-bash`, minor, 25). The
/// catalogue's 3 and 3 were raised after replaying the real transcripts (see the thresholds).
///
/// Runs are counted in turns, not calls: calls that arrive within
/// `batching.parallel-gap-ms` of the previous one were made in parallel in the same assistant turn,
/// which is exactly the batching this rule asks for. A finding is only made on the first call of a
/// turn, so one parallel batch never produces several.
pub struct Batching;

impl Batching {
    /// The rules this analyzer emits.
    pub const RULES: &'static [&'static str] = &["batching-file-ops", "batching-bash"];
}

struct Run {
    calls: u64,
    turns: u64,
    distinct: u64,
}

/// The run of facts matching `member` that ends with the current call.
fn run(cx: &Context<'_>, member: fn(&Fact) -> bool, gap: u64) -> Run {
    let mut calls = 0u64;
    let mut turns = 0u64;
    let mut files: [u64; 16] = [0; 16];
    let mut distinct = 0u64;
    let mut newer_parallel = false;
    for f in cx.history.recent.iter().rev().take(MAX_RUN) {
        if !member(f) {
            break;
        }
        calls += 1;
        // A fact starts a turn unless it arrived right after the previous call.
        if !same_turn(f, gap) {
            turns += 1;
        }
        newer_parallel = same_turn(f, gap);
        if let Some(p) = &f.path {
            let h = crate::fnv1a64(p.as_bytes());
            let known = &files[..(distinct as usize).min(files.len())];
            if !known.contains(&h) {
                if (distinct as usize) < files.len() {
                    files[distinct as usize] = h;
                }
                distinct += 1;
            }
        }
    }
    if newer_parallel {
        // The oldest call of the run was parallel with a call outside the run: its turn still
        // belongs to the run.
        turns += 1;
    }
    Run {
        calls,
        turns,
        distinct,
    }
}

impl Analyzer for Batching {
    fn name(&self) -> &'static str {
        "batching"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let gap = cx.count(&PARALLEL_GAP_MS);
        if same_turn(cx.fact, gap) {
            return;
        }
        if cx.fact.cat == Category::File {
            if !cx.rule_enabled("batching-file-ops") {
                return;
            }
            let r = run(cx, |f| f.cat == Category::File, gap);
            if r.turns < cx.count(&FILE_RUN) {
                return;
            }
            out.push(
                Finding::new("batching-file-ops", Severity::Minor, 30)
                    .headline("file operations made one turn at a time")
                    .observed(format!(
                        "{} in a row over {} turns touched {}.",
                        plural(r.calls, "file operation", "file operations"),
                        r.turns,
                        plural(r.distinct, "distinct file", "distinct files")
                    ))
                    .next_step("when the next reads or edits do not depend on each other, make them in one turn as parallel calls (several edits of one file: one MultiEdit)"),
            );
        } else if cx.fact.tool == "Bash" {
            if !cx.rule_enabled("batching-bash") {
                return;
            }
            let r = run(cx, |f| f.tool == "Bash", gap);
            if r.turns < cx.count(&BASH_RUN) {
                return;
            }
            out.push(
                Finding::new("batching-bash", Severity::Minor, 25)
                    .headline("shell commands run one turn at a time")
                    .observed(format!(
                        "{} in a row over {} turns.",
                        plural(r.calls, "Bash call", "Bash calls"),
                        r.turns
                    ))
                    .next_step("chain dependent commands with && in one Bash call, and run independent ones as parallel calls"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, call, edit, read, Session};
    use serde_json::json;

    #[test]
    fn file_ops_fire_at_the_fourth_turn_and_count_files_of_the_run() {
        let mut s = Session::default_profile();
        // files of an earlier run must not be counted
        s.feed(read("/p/old1"));
        s.feed(read("/p/old2"));
        s.feed(bash("ls"));
        assert!(s.step(&Batching, read("/p/a")).is_empty());
        assert!(s.step(&Batching, edit("/p/a")).is_empty());
        assert!(s.step(&Batching, edit("/p/b")).is_empty());
        let f = s.step(&Batching, edit("/p/a"));
        assert_eq!(f[0].rule, "batching-file-ops");
        assert!(
            f[0].observed.contains("4 file operations"),
            "{}",
            f[0].observed
        );
        assert!(
            f[0].observed.contains("2 distinct files"),
            "{}",
            f[0].observed
        );
        s.set("batching-file-ops.run", 3.0);
        s.feed(bash("ls"));
        s.feed(read("/p/a"));
        assert!(s.step(&Batching, read("/p/b")).is_empty());
        assert_eq!(s.step(&Batching, read("/p/c")).len(), 1);
    }

    #[test]
    fn parallel_calls_are_one_turn() {
        let mut s = Session::default_profile();
        assert!(s.step(&Batching, read("/p/a")).is_empty());
        for p in ["/p/b", "/p/c", "/p/d"] {
            s.after(300);
            assert!(s.step(&Batching, read(p)).is_empty(), "same turn");
        }
        // second turn
        assert!(s.step(&Batching, read("/p/e")).is_empty());
        s.after(1999);
        assert!(s.step(&Batching, read("/p/f")).is_empty());
        assert!(s.step(&Batching, read("/p/g")).is_empty(), "third turn");
        s.after(10);
        assert!(s.step(&Batching, read("/p/h")).is_empty(), "same turn");
        let f = s.step(&Batching, read("/p/i"));
        assert_eq!(f[0].rule, "batching-file-ops");
        assert!(f[0].observed.contains("over 4 turns"), "{}", f[0].observed);
        assert!(
            f[0].observed.contains("9 distinct files"),
            "{}",
            f[0].observed
        );
        // the gap is configurable
        let mut s = Session::default_profile();
        s.set("batching.parallel-gap-ms", 100.0);
        for p in ["/p/a", "/p/b", "/p/c"] {
            s.feed(read(p));
            s.after(300);
        }
        assert_eq!(s.step(&Batching, read("/p/d")).len(), 1);
    }

    #[test]
    fn a_run_that_started_in_parallel_with_other_work_counts_that_turn() {
        let mut s = Session::default_profile();
        s.feed(bash("ls"));
        s.after(100);
        s.feed(read("/p/a"));
        s.feed(read("/p/b"));
        s.feed(read("/p/c"));
        assert_eq!(s.step(&Batching, read("/p/d")).len(), 1);
    }

    #[test]
    fn bash_runs() {
        let mut s = Session::default_profile();
        for c in ["ls", "pwd", "date", "id"] {
            assert!(s.step(&Batching, bash(c)).is_empty(), "{c}");
        }
        let f = s.step(&Batching, bash("whoami"));
        assert_eq!(f[0].rule, "batching-bash");
        assert!(
            f[0].observed.contains("5 Bash calls in a row over 5 turns"),
            "{}",
            f[0].observed
        );
        s.feed(call("Grep", json!({})));
        assert!(s.step(&Batching, bash("ls")).is_empty(), "run broken");
        s.set("batching-bash.run", 3.0);
        assert!(s.step(&Batching, bash("b")).is_empty());
        assert_eq!(s.step(&Batching, bash("c")).len(), 1);
    }

    #[test]
    fn disabled_rule_is_silent() {
        let mut s = Session::default_profile();
        s.settings.disabled.insert("batching-bash".into());
        for _ in 0..5 {
            assert!(s.step(&Batching, bash("ls")).is_empty());
        }
    }
}
