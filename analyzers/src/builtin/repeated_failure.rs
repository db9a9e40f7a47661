//! Repeated failure (generic drift): the same shell command failing again.

use crate::{Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const RETRIES: Threshold = Threshold::new(
    "repeated-failure.retries",
    2.0,
    "failures of the same command with no file change in between (a blind retry)",
);
pub(crate) const FAILURES: Threshold = Threshold::new(
    "repeated-failure.failures",
    3.0,
    "failures of the same command within the window, changes in between or not",
);
pub(crate) const WINDOW: Threshold = Threshold::new(
    "repeated-failure.window",
    20.0,
    "how many recent calls are searched for earlier failures of the command",
);

/// Repeated failure: the current Bash command failed, and the same command (same hash) failed
/// before within the last 20 calls: a blind retry (no file change since its last failure) from the
/// 2nd failure (moderate, 45), or the 3rd failure even with changes in between (moderate, 40).
///
/// The split comes from the real transcripts: rerunning a failing test after each fix is normal
/// (one session ran the same `mix test` 4 times, each after an edit, before it passed), so changes
/// between failures raise the bar to 3.
pub struct RepeatedFailure;

impl RepeatedFailure {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["repeated-failure"];
}

impl Analyzer for RepeatedFailure {
    fn name(&self) -> &'static str {
        "repeated-failure"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn applies_to(&self, tool: &str) -> bool {
        tool == "Bash"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("repeated-failure") || cx.fact.ok {
            return;
        }
        let Some(hash) = cx.fact.cmd_hash else {
            return;
        };
        let window = cx.count(&WINDOW) as usize;
        let mut failures = 1u64;
        let mut changed = false;
        let mut unchanged_failures = 1u64;
        for f in cx.previous().take(window) {
            if f.is_write() {
                changed = true;
            }
            if f.cmd_hash == Some(hash) && !f.ok {
                failures += 1;
                if !changed {
                    unchanged_failures += 1;
                }
            }
        }
        let blind = unchanged_failures >= cx.count(&RETRIES);
        if !blind && failures < cx.count(&FAILURES) {
            return;
        }
        let head = cx.fact.cmd.as_deref().unwrap_or("the command");
        let (priority, observed, next) = if blind {
            (
                45,
                format!(
                    "`{head}` failed {unchanged_failures} times in a row with no file change in between ({failures} failures in the last {} calls).",
                    window + 1
                ),
                "read the error output and change the cause (code, arguments or environment) before running it again",
            )
        } else {
            (
                40,
                format!(
                    "`{head}` failed {failures} times in the last {} calls, despite changes in between.",
                    window + 1
                ),
                "stop retrying: reproduce the failure in isolation (one test, verbose output) and fix the root cause",
            )
        };
        out.push(
            Finding::new("repeated-failure", Severity::Moderate, priority)
                .headline("the same command keeps failing")
                .observed(observed)
                .next_step(next),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, edit, Session};

    fn fail(cmd: &str) -> crate::ToolCall {
        bash(cmd).failed_with("Error: Exit code 1")
    }

    #[test]
    fn blind_retry_fires_at_the_second_failure() {
        let mut s = Session::default_profile();
        assert!(s.step(&RepeatedFailure, fail("cargo test")).is_empty());
        let f = s.step(&RepeatedFailure, fail("cargo test"));
        assert_eq!(f[0].priority, 45);
        assert!(
            s.step(&RepeatedFailure, bash("cargo test")).is_empty(),
            "success"
        );
        assert!(
            s.step(&RepeatedFailure, fail("cargo build")).is_empty(),
            "other command"
        );
    }

    #[test]
    fn with_changes_in_between_fires_at_the_third() {
        let mut s = Session::default_profile();
        assert!(s.step(&RepeatedFailure, fail("mix test")).is_empty());
        s.feed(edit("/p/a"));
        assert!(s.step(&RepeatedFailure, fail("mix test")).is_empty());
        s.feed(edit("/p/a"));
        let f = s.step(&RepeatedFailure, fail("mix test"));
        assert_eq!(f[0].priority, 40);
        assert!(f[0].observed.contains("3 times"), "{}", f[0].observed);
    }

    #[test]
    fn window_limits_the_search() {
        let mut s = Session::default_profile();
        s.set("repeated-failure.window", 3.0);
        s.feed(fail("make"));
        for _ in 0..3 {
            s.feed(bash("ls"));
        }
        assert!(s.step(&RepeatedFailure, fail("make")).is_empty());
        assert_eq!(s.step(&RepeatedFailure, fail("make")).len(), 1);
    }
}
