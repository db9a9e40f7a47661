//! Failure loops: the same call failing with the same error, again.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, error_line, truncate_chars, Analyzer, Context, Finding, Outcome, Severity, Threshold};

pub(crate) const REPEATS: Threshold = Threshold::new(
    "failure-loop.repeats",
    2.0,
    "failures in a row of the same tool and command head (or file) with the same error signature before posthook says so",
);

pub(crate) const CONFIRMED: Threshold = Threshold::new(
    "failure-loop.confirmed",
    3.0,
    "failures in a row with the same error signature that make a confirmed loop (the message blocks)",
);

/// Failure loops: a call of the same tool and command head (or file) fails with the same error
/// signature ([`crate::error_signature`]) as the time before: moderate (70) the second time, and
/// the third time a confirmed loop (major, 90) whose message blocks. An interrupted call is the
/// user's doing, not a loop; another error, or a success in between, starts over (a test run whose
/// failure changes as the code changes is not a loop).
///
/// The message names the command and quotes the first line of this call's error that reads like
/// an error: what the agent keeps running into.
pub struct FailureLoop;

const RULE: Rule = Rule {
    id: "failure-loop",
    kind: Kind::Loop,
    family: Family::Core,
    doc: "the same tool and command head (or file) failed with the same error signature as the time before; quotes the error line; the third time it is a confirmed loop and blocks",
};

impl FailureLoop {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::All,
        thresholds: &[REPEATS, CONFIRMED],
        critical: false,
        make: || Box::new(FailureLoop),
    };
}

/// What failed, for messages and the subject: the command head, else the file, else the tool.
pub(crate) fn what_failed(cx: &Context<'_>) -> String {
    match (&cx.fact.cmd, &cx.fact.path) {
        (Some(cmd), _) if !cmd.is_empty() && cmd != "?" => format!("`{cmd}`"),
        (_, Some(p)) => format!("{} of {}", cx.fact.tool, truncate_chars(p, 120)),
        _ => cx.fact.tool.clone(),
    }
}

/// The same failure in several agents of one session: said once per command, as the shared
/// instruction it most likely is (every agent was told to run it). Never blocking: the agent
/// that sees it did not write the instruction.
fn shared_instruction(what: &str, streak: u64, quoted: &str) -> Finding {
    Finding::new(RULE.id, Severity::Moderate, 75)
        .subject(format!("shared:{what}"))
        .headline(format!(
            "{what} failed the same way {streak} times, in more than one agent"
        ))
        .observed(quoted.to_string())
        .next_step(
            "the agents were most likely all told to run it: stop running it, find the right \
             command, and fix the instruction at its source (the prompt the agents were given) so \
             the others stop too",
        )
}

impl Analyzer for FailureLoop {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.ok || cx.fact.outcome == Outcome::Interrupted {
            return;
        }
        let Some(mark) = cx.history.failure_mark(cx.fact) else {
            return;
        };
        let streak = u64::from(mark.times);
        if streak < cx.count(&REPEATS).max(2) {
            return;
        }
        let what = what_failed(cx);
        let line = cx.call.error.as_deref().map(error_line).unwrap_or("");
        let quoted = if line.is_empty() {
            String::from("The same error each time.")
        } else {
            format!(
                "The same error each time: \"{}\".",
                truncate_chars(line, 160)
            )
        };
        if mark.other_agents > 0 {
            out.push(shared_instruction(&what, streak, &quoted));
            return;
        }
        let confirmed = streak >= cx.count(&CONFIRMED).max(2);
        let f = Finding::new(
            RULE.id,
            if confirmed {
                Severity::Major
            } else {
                Severity::Moderate
            },
            if confirmed { 90 } else { 70 },
        )
        .subject(what.clone())
        .headline(format!(
            "{what} failed the same way {streak} times in a row"
        ))
        .observed(quoted)
        .next_step(if mark.changed {
            "the changes made since did not touch what the error names: read the error line again \
             and fix that cause, or change the approach; if it is outside the project, ask the user"
        } else {
            "stop retrying it unchanged: fix the cause the error names first, or change the \
             approach; if the cause is outside the project, ask the user"
        });
        out.push(if confirmed { f.confirmed_loop() } else { f });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;

    fn fail(cmd: &str, err: &str) -> crate::ToolCall {
        bash(cmd).failed_with(err.to_string())
    }

    #[test]
    fn the_second_same_failure_speaks_and_the_third_blocks() {
        let mut s = Session::default_profile();
        let err = "Exit code 1\nerror[E0425]: cannot find value `x` in this scope";
        assert!(s.step(&FailureLoop, fail("cargo test", err)).is_empty());
        let f = s.step(&FailureLoop, fail("cargo test -q", err));
        assert_eq!(f.len(), 1, "same head, same error");
        assert_eq!(f[0].severity, Severity::Moderate);
        assert!(!f[0].blocks);
        assert!(
            f[0].headline
                .contains("`cargo test` failed the same way 2 times"),
            "{}",
            f[0].headline
        );
        assert!(
            f[0].observed.contains("error[E0425]: cannot find value"),
            "{}",
            f[0].observed
        );
        let f = s.step(&FailureLoop, fail("cargo test", err));
        assert!(f[0].blocks, "a confirmed loop");
        assert_eq!(f[0].subject, "`cargo test`");
    }

    #[test]
    fn a_changing_failure_or_a_success_starts_over() {
        let mut s = Session::default_profile();
        s.step(
            &FailureLoop,
            fail(
                "mix test",
                "Exit code 2\n** (RuntimeError) no :secret_key_base",
            ),
        );
        let f = s.step(
            &FailureLoop,
            fail(
                "mix test",
                "Exit code 2\n** (RuntimeError) requires lazy_html",
            ),
        );
        assert!(f.is_empty(), "red-green: another error each time");
        s.step(&FailureLoop, bash("mix test"));
        assert!(s
            .step(
                &FailureLoop,
                fail(
                    "mix test",
                    "Exit code 2\n** (RuntimeError) requires lazy_html"
                )
            )
            .is_empty());
        let mut interrupted = fail("sleep 100", "interrupted");
        interrupted.outcome = crate::Outcome::Interrupted;
        s.step(&FailureLoop, interrupted.clone());
        assert!(
            s.step(&FailureLoop, interrupted).is_empty(),
            "the user's interrupt"
        );
    }

    #[test]
    fn the_advice_says_whether_files_changed_between() {
        let mut s = Session::default_profile();
        let err = "Exit code 1\nerror: x";
        s.step(&FailureLoop, fail("cargo test", err));
        s.feed(edit("/p/src/lib.rs"));
        let f = s.step(&FailureLoop, fail("cargo test", err));
        assert!(
            f[0].next_step.starts_with("the changes made since"),
            "{}",
            f[0].next_step
        );
    }

    #[test]
    fn thresholds_are_configurable() {
        let mut s = Session::default_profile();
        s.set("failure-loop.repeats", 3.0);
        s.step(&FailureLoop, fail("make", "Exit code 2\nmake: *** No rule"));
        assert!(s
            .step(&FailureLoop, fail("make", "Exit code 2\nmake: *** No rule"))
            .is_empty());
        assert_eq!(
            s.step(&FailureLoop, fail("make", "Exit code 2\nmake: *** No rule"))
                .len(),
            1
        );
    }

    #[test]
    fn the_same_failure_in_several_agents_is_a_shared_instruction() {
        let mut s = Session::default_profile();
        let err = "Unknown hooks command: notification";
        let cmd = "npx claude-flow@alpha hooks notification --message x";
        assert!(s
            .step(&FailureLoop, fail(cmd, err).in_agent("a"))
            .is_empty());
        let f = s.step(&FailureLoop, fail(cmd, err).in_agent("b"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].headline.contains("in more than one agent"),
            "{}",
            f[0].headline
        );
        assert!(f[0].next_step.contains("fix the instruction at its source"));
        assert!(!f[0].blocks, "the agent did not write the instruction");
        // In one agent it is an ordinary loop.
        let mut s = Session::default_profile();
        s.step(&FailureLoop, fail(cmd, err).in_agent("a"));
        let f = s.step(&FailureLoop, fail(cmd, err).in_agent("a"));
        assert!(!f[0].headline.contains("agent"), "{}", f[0].headline);
    }
}
