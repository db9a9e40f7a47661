//! Untested changes: a commit while code changed since the last test or build that covers it.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, lang_name, truncate_chars, Analyzer, Context, Finding, Severity};

/// Untested changes (moderate, 60): a `git commit` that succeeded while a language's code changed
/// since the last check that covers that language ran. A commit that failed committed nothing, and
/// one whose own hooks ran that language's tests (their summary in its output) was checked. What covers what comes from the commands themselves
/// ([`crate::check_langs`]): `mix test` covers Elixir, not the JavaScript beside it; `make` may
/// cover anything. The message names the file changed last, the checks that did run since, and,
/// when the session ran one before, its own check for that language. Once a commit succeeds, what
/// it committed is no longer pending.
pub struct UntestedChange;

const RULE: Rule = Rule {
    id: "untested-change",
    kind: Kind::UntestedChange,
    family: Family::Core,
    doc: "a `git commit` that succeeded while code of a language changed since the last test or build that covers that language (`mix test` covers Elixir, not the JavaScript beside it); a commit a hook rejected committed nothing, and one whose own hooks ran that language's tests was checked; names this session's own check when it ran one",
};

impl UntestedChange {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Bash,
        thresholds: &[],
        critical: false,
        make: || Box::new(UntestedChange),
    };
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl Analyzer for UntestedChange {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // A commit that failed (a hook rejected it) committed nothing.
        if !cx.fact.is_commit() || !cx.fact.ok {
            return;
        }
        let c = &cx.history.counters;
        let Some(u) = c.unchecked.iter().max_by_key(|u| (u.changes, u.at)) else {
            return;
        };
        let lang = lang_name(u.lang);
        let project = cx.call.project_root().map(|r| r.trim_end_matches('/'));
        let shown = match project {
            Some(r) if u.path.starts_with(r) && u.path.len() > r.len() + 1 => {
                &u.path[r.len() + 1..]
            }
            _ => u.path.as_str(),
        };
        let shown = truncate_chars(shown, 120);
        // The checks that did run since that change, newest first, in this stream.
        let mut ran: Vec<&str> = Vec::new();
        for f in cx.previous() {
            if f.is_write() && f.langs == u.lang {
                break;
            }
            if let Some(head) = f.cmd.as_deref().filter(|_| f.langs != 0) {
                if !ran.contains(&head) && ran.len() < 3 {
                    ran.push(head);
                }
            }
        }
        ran.reverse();
        let since = if ran.is_empty() {
            String::from("no test or build ran since")
        } else {
            let list: Vec<String> = ran.iter().map(|h| format!("`{h}`")).collect();
            format!(
                "since then only {} ran, which do not cover {lang}",
                list.join(", ")
            )
        };
        let others = c.unchecked.len() - 1;
        let observed = format!(
            "{shown} ({lang}) changed {} since the last {lang} test or build; {since}.{}",
            if u.changes == 1 {
                String::from("once")
            } else {
                format!("{} times", u.changes)
            },
            if others > 0 {
                format!(" Code in {others} other language(s) is untested too.")
            } else {
                String::new()
            }
        );
        let next = match c.checks.get(&u.lang) {
            Some(head) => {
                format!("run `{head}` (this session's {lang} check) and commit once it passes")
            }
            None => format!(
                "build and run the {lang} tests that cover {} before committing",
                file_name(&u.path)
            ),
        };
        out.push(
            Finding::new(RULE.id, Severity::Moderate, 60)
                .subject(format!("lang:{}", u.lang))
                .headline(format!("committing {} untested", file_name(&u.path)))
                .observed(observed)
                .next_step(next),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;

    #[test]
    fn a_commit_after_a_change_no_check_covers() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/assets/js/app.js"));
        s.feed(edit("/p/lib/a.ex"));
        s.feed(bash("mix test 2>&1 | tail -5"));
        s.feed(bash("mix credo --strict"));
        let f = s.step(
            &UntestedChange,
            bash("git add -A && git commit -m 'feat: x'"),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].headline, "committing app.js untested");
        assert!(
            f[0].observed
                .contains("since then only `mix test` ran, which do not cover JavaScript"),
            "{}",
            f[0].observed
        );
        assert!(f[0]
            .next_step
            .contains("JavaScript/TypeScript tests that cover app.js"));
    }

    #[test]
    fn a_covering_check_or_a_landed_commit_clears_it() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/assets/js/app.js"));
        s.feed(bash("cd assets && npx vitest run"));
        assert!(
            s.step(&UntestedChange, bash("git commit -m x")).is_empty(),
            "tested"
        );
        s.feed(edit("/p/assets/js/app.js"));
        let f = s.step(&UntestedChange, bash("git commit -am y"));
        assert!(
            f[0].next_step.contains("run `npx vitest`"),
            "{}",
            f[0].next_step
        );
        // That commit succeeded: nothing is pending at the next one.
        assert!(s
            .step(&UntestedChange, bash("git commit --allow-empty -m z"))
            .is_empty());
    }

    #[test]
    fn a_failed_commit_keeps_it_pending_and_docs_never_count() {
        let mut s = Session::default_profile();
        s.feed(write("/p/README.md", "# x"));
        assert!(
            s.step(&UntestedChange, bash("git commit -m docs"))
                .is_empty(),
            "not code"
        );
        s.feed(edit("/p/src/lib.rs"));
        let hook_failed = bash("git commit -m x").failed_with("Exit code 1\npre-commit failed");
        assert!(
            s.step(&UntestedChange, hook_failed).is_empty(),
            "a rejected commit committed nothing"
        );
        assert_eq!(
            s.step(&UntestedChange, bash("git commit -m x")).len(),
            1,
            "still pending"
        );
        s.feed(bash("make check"));
        s.feed(edit("/p/README.md"));
        assert!(
            s.step(&UntestedChange, bash("git commit -m x")).is_empty(),
            "make covers it"
        );
    }

    #[test]
    fn a_commit_whose_own_hooks_ran_the_tests_was_checked() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/lib/a.ex"));
        let mut c = bash("git commit -m x");
        c.output = Some(String::from(
            "Running ExUnit with seed: 1\n....\n4 tests, 0 failures\n[main 1a2b3c4] x\n",
        ));
        assert!(
            s.step(&UntestedChange, c).is_empty(),
            "the hook ran mix test"
        );
        s.feed(edit("/p/lib/a.ex"));
        s.feed(edit("/p/assets/app.js"));
        let mut c = bash("git commit -m y");
        c.output = Some(String::from("4 tests, 0 failures\n[main 2b3c4d5] y\n"));
        let f = s.step(&UntestedChange, c);
        assert_eq!(f.len(), 1, "the JavaScript was not tested by the hook");
        assert_eq!(f[0].headline, "committing app.js untested");
    }
}
