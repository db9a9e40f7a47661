//! Unchecked stop: the end of a turn (`Stop`, `SubagentStop`) while code changed since the last
//! check that covers it, or while that check's last run failed.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, 
    error_line, fnv1a64, lang_name, langs, truncate_chars, Analyzer, Changed, CheckMark, Context,
    Finding, Severity, StopContext, StopMode,
};
use std::fmt::Write as _;

/// Unchecked stop (moderate, 60): the agent is about to end its turn, or a subagent to report
/// back, while a language's code changed since the last check that covers it ran, or while the
/// last such check failed and nothing ran since. What covers what is [`crate::check_langs`]'s
/// (wrappers included), as for `untested-change`. The main thread is judged on the whole
/// session, a subagent on its own stream.
///
/// It names the files (a few, then "and N more"), the check to run (the one this session ran for
/// that language, else the project's own, e.g. `cargo test` where a `Cargo.toml` is) and what
/// the last run said (its error line, when the transcript still has it). The finding's subject is
/// a hash of that state, so the same state is never blocked twice. Languages with no known check
/// get an informational finding instead (for `explain`): there is nothing to ask for.
pub struct UncheckedStop;

const RULE: Rule = Rule {
    id: "unchecked-stop",
    kind: Kind::UntestedChange,
    family: Family::Core,
    doc: "the end of a turn (`Stop`; a subagent's `SubagentStop`, judged on its own calls) while code changed since the last check that covers it, or while that check's last run failed; names the files, the check to run (the session's own, else the project's: `cargo test` where a `Cargo.toml` is) and the last run's error line; blocks the stop once per state (`stop_check: advice` tells the user instead, `off` says nothing), never while `stop_hook_active`, never for docs or config, never when no check is known",
};

impl UncheckedStop {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Stop,
        thresholds: &[],
        critical: false,
        make: || Box::new(UncheckedStop),
    };
}

/// What one language stands at.
enum Item<'a> {
    /// Changed since its last check.
    Changed(&'a Changed),
    /// Its last check failed, and it is still the last.
    Failing(&'a CheckMark),
}

impl Analyzer for UncheckedStop {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}

    fn at_stop(&self, cx: &StopContext<'_>, out: &mut Vec<Finding>) {
        if cx.settings.stop == StopMode::Off {
            return;
        }
        let Some(p) = cx.pending() else {
            return;
        };
        let mut items: Vec<Item<'_>> = p.changed.iter().map(Item::Changed).collect();
        items.extend(p.failing().map(Item::Failing));
        let (known, unknown): (Vec<_>, Vec<_>) =
            items.into_iter().partition(|i| check_for(cx, i).is_some());
        if known.is_empty() {
            if let Some(f) = no_check(&unknown) {
                out.push(f);
            }
            return;
        }
        out.push(finding(cx, &known));
    }
}

/// The language an item is about (for a failing generic runner: the languages it covers).
fn lang_of(item: &Item<'_>) -> u16 {
    match item {
        Item::Changed(c) => c.lang,
        Item::Failing(m) => m.langs,
    }
}

/// The check to run for an item and where it comes from: the failing check itself; the session's
/// own check for the language; a generic runner (`make test`) the session ran; the project's own.
fn check_for(cx: &StopContext<'_>, item: &Item<'_>) -> Option<(String, String)> {
    let lang = match item {
        Item::Failing(m) => return Some((m.head.clone(), String::from("the check that failed"))),
        Item::Changed(c) => c.lang,
    };
    let name = lang_name(lang);
    let c = &cx.history.counters;
    if let Some(head) = c.checks.get(&lang) {
        return Some((head.clone(), format!("this session's {name} check")));
    }
    if let Some(m) = c
        .pending
        .checks
        .iter()
        .rev()
        .find(|m| m.langs == langs::ANY)
    {
        return Some((m.head.clone(), String::from("the check this session ran")));
    }
    cx.project_checks
        .iter()
        .find(|pc| pc.lang & lang != 0)
        .map(|pc| (pc.command.clone(), format!("{} is here", pc.because)))
}

/// The informational finding for changes no known check covers.
fn no_check(unknown: &[Item<'_>]) -> Option<Finding> {
    let names: Vec<&str> = unknown.iter().map(|i| lang_name(lang_of(i))).collect();
    if names.is_empty() {
        return None;
    }
    Some(
        Finding::new(RULE.id, Severity::None, 0)
            .headline("no check to ask for")
            .observed(format!(
                "{} code changed, but this session ran no check that covers it and the project \
                 names none posthook knows",
                names.join(", ")
            ))
            .next_step("nothing: the stop is let through"),
    )
}

/// A path as shown: relative to the project root when under it, cut short.
fn shown_path(root: Option<&str>, path: &str) -> String {
    let root = root.map(|r| r.trim_end_matches('/'));
    let p = match root {
        Some(r) if path.starts_with(r) && path.len() > r.len() + 1 => &path[r.len() + 1..],
        _ => path,
    };
    truncate_chars(p, 120).into_owned()
}

/// What the last run of a check said: its quoted error line, when it can still be found.
fn said(cx: &StopContext<'_>, m: &CheckMark) -> String {
    if m.ok {
        return format!("the last `{}` passed before these changes", m.head);
    }
    let line =
        m.id.and_then(|id| (cx.recall)(id))
            .map(|text| truncate_chars(error_line(&text), 160).into_owned())
            .filter(|l| !l.is_empty());
    match line {
        Some(l) => format!("the last `{}` failed: \"{l}\"", m.head),
        None => format!("the last `{}` failed", m.head),
    }
}

/// One sentence per item.
fn observe(cx: &StopContext<'_>, p: &crate::Pending, item: &Item<'_>, s: &mut String) {
    if !s.is_empty() {
        s.push(' ');
    }
    match item {
        Item::Changed(c) => {
            let name = lang_name(c.lang);
            let files: Vec<String> = c
                .paths
                .iter()
                .rev()
                .map(|p| shown_path(cx.root, p))
                .collect();
            let more = c.files.len().saturating_sub(files.len());
            let _ = write!(
                s,
                "{name} changed since its last check: {}",
                files.join(", ")
            );
            if more > 0 {
                let _ = write!(s, " and {more} more");
            }
            let _ = match p.last_check(c.lang) {
                Some(m) => write!(s, "; {}.", said(cx, m)),
                None => write!(s, "; no {name} test or build ran since."),
            };
        }
        Item::Failing(m) => {
            let _ = write!(
                s,
                "{}, and nothing changed since.",
                capitalized(&said(cx, m))
            );
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The finding for the items that have a check to run.
fn finding(cx: &StopContext<'_>, items: &[Item<'_>]) -> Finding {
    let Some(p) = cx.pending() else {
        unreachable!("items come from the pending work")
    };
    let mut observed = String::new();
    let mut state = Vec::with_capacity(64);
    let mut runs: Vec<(String, String)> = Vec::new();
    for item in items {
        observe(cx, p, item, &mut observed);
        match item {
            Item::Changed(c) => {
                state.extend_from_slice(&c.lang.to_le_bytes());
                state.extend_from_slice(&c.changes.to_le_bytes());
                let mut files = c.files.clone();
                files.sort_unstable();
                files
                    .iter()
                    .for_each(|f| state.extend_from_slice(&f.to_le_bytes()));
            }
            Item::Failing(m) => {
                state.extend_from_slice(m.head.as_bytes());
                state.extend_from_slice(&m.sig.unwrap_or(0).to_le_bytes());
            }
        }
        if let Some(run) = check_for(cx, item) {
            if !runs.iter().any(|r| r.0 == run.0) {
                runs.push(run);
            }
        }
    }
    let failing_only = items.iter().all(|i| matches!(i, Item::Failing(_)));
    let headline = if failing_only {
        String::from("ending the turn with the last check failing")
    } else {
        String::from("ending the turn with changes no check has run on")
    };
    let list: Vec<String> = runs
        .iter()
        .map(|(cmd, why)| format!("`{cmd}` ({why})"))
        .collect();
    let next = format!(
        "run {} and fix what fails before ending the turn",
        list.join(" and ")
    );
    let who = if cx.agent.is_some() {
        "subagent"
    } else {
        "turn"
    };
    Finding::new(RULE.id, Severity::Moderate, 60)
        .subject(format!("{who}:{:016x}", fnv1a64(&state)))
        .headline(headline)
        .observed(observed)
        .next_step(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;
    use crate::{History, ProjectCheck, Settings};

    fn stop(h: &History, agent: Option<&str>, project: &[ProjectCheck]) -> Vec<Finding> {
        stop_with(h, agent, project, &|_| None)
    }

    fn stop_with(
        h: &History,
        agent: Option<&str>,
        project: &[ProjectCheck],
        recall: &dyn Fn(u64) -> Option<String>,
    ) -> Vec<Finding> {
        let settings = Settings::default();
        let cx = StopContext {
            history: h,
            agent,
            root: Some("/p"),
            project_checks: project,
            settings: &settings,
            recall,
        };
        let mut out = Vec::new();
        UncheckedStop.at_stop(&cx, &mut out);
        out
    }

    fn cargo() -> Vec<ProjectCheck> {
        vec![ProjectCheck {
            lang: langs::RUST,
            command: String::from("cargo test"),
            because: String::from("Cargo.toml"),
        }]
    }

    #[test]
    fn changed_after_the_check_and_checked_after_the_change() {
        let mut s = Session::default_profile();
        s.feed(bash("cargo test"));
        s.feed(edit("/p/src/a.rs"));
        let f = stop(&s.history, None, &[]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Moderate);
        assert!(
            f[0].observed.contains("Rust changed since its last check: src/a.rs; the last `cargo test` passed before these changes."),
            "{}",
            f[0].observed
        );
        assert!(f[0]
            .next_step
            .contains("`cargo test` (this session's Rust check)"));
        s.feed(bash("cargo test -q 2>&1 | tail"));
        assert!(stop(&s.history, None, &[]).is_empty(), "checked since");
    }

    #[test]
    fn a_failing_check_blocks_until_it_passes() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/src/a.rs"));
        s.feed(
            bash("cargo test")
                .with_id("t9")
                .failed_with("Exit code 101\n   Compiling x\nerror[E0308]: mismatched types"),
        );
        let id = crate::fnv1a64(b"t9");
        let recall = move |h: u64| {
            (h == id).then(|| String::from("Exit code 101\nerror[E0308]: mismatched types"))
        };
        let f = stop_with(&s.history, None, &[], &recall);
        assert_eq!(f[0].headline, "ending the turn with the last check failing");
        assert!(
            f[0].observed.starts_with(
                "The last `cargo test` failed: \"error[E0308]: mismatched types\", and nothing changed since."
            ),
            "{}",
            f[0].observed
        );
        let before = f[0].subject.clone();
        // The same failure again is the same state: still failing.
        s.feed(
            bash("cargo test")
                .failed_with("Exit code 101\n   Compiling y\nerror[E0308]: mismatched types"),
        );
        assert_eq!(stop(&s.history, None, &[])[0].subject, before);
        s.feed(bash("cargo test"));
        assert!(stop(&s.history, None, &[]).is_empty(), "fixed");
    }

    #[test]
    fn docs_only_and_no_known_check() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/README.md"));
        s.feed(write("/p/config.yaml", "a: 1"));
        s.feed(write("/p/Cargo.toml", "[package]"));
        assert!(stop(&s.history, None, &cargo()).is_empty(), "not code");
        s.feed(edit("/p/src/a.rs"));
        let f = stop(&s.history, None, &[]);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].severity,
            Severity::None,
            "no way to check: said in explain only"
        );
        assert!(
            f[0].observed.contains("Rust code changed"),
            "{}",
            f[0].observed
        );
        let f = stop(&s.history, None, &cargo());
        assert_eq!(f[0].severity, Severity::Moderate);
        assert!(f[0].next_step.contains("`cargo test` (Cargo.toml is here)"));
    }

    #[test]
    fn many_files_are_counted_not_listed() {
        let mut s = Session::default_profile();
        for i in 0..7 {
            s.feed(edit(&format!("/p/lib/m{i}.ex")));
        }
        s.feed(edit("/p/lib/m0.ex"));
        s.feed(bash("mix compile"));
        s.feed(edit("/p/assets/app.ts"));
        let f = stop(&s.history, None, &[]);
        assert!(
            f.is_empty() || f[0].severity == Severity::None,
            "Elixir checked"
        );
        s.feed(edit("/p/lib/m1.ex"));
        s.feed(edit("/p/lib/m2.ex"));
        s.feed(edit("/p/lib/m3.ex"));
        s.feed(edit("/p/lib/m4.ex"));
        let f = stop(&s.history, None, &[]);
        assert!(
            f[0].observed
                .contains("lib/m4.ex, lib/m3.ex, lib/m2.ex and 1 more"),
            "{}",
            f[0].observed
        );
        assert!(f[0].next_step.contains("`mix compile`"));
        assert!(!f[0].observed.contains("JavaScript"), "no JS check known");
    }

    #[test]
    fn a_subagent_is_judged_on_its_own_stream() {
        let mut s = Session::default_profile();
        s.feed(edit("/p/src/main.rs"));
        s.feed(bash("cargo build").in_agent("a1"));
        s.feed(read("/p/src/lib.rs").in_agent("a2"));
        assert!(
            stop(&s.history, Some("a2"), &cargo()).is_empty(),
            "a2 changed nothing"
        );
        assert!(
            stop(&s.history, None, &cargo()).is_empty(),
            "a1's build covers main's edit"
        );
        s.feed(edit("/p/src/lib.rs").in_agent("a2"));
        let f = stop(&s.history, Some("a2"), &cargo());
        assert!(f[0].subject.starts_with("subagent:"), "{}", f[0].subject);
        assert!(f[0].observed.contains("src/lib.rs"));
        assert!(
            stop(&s.history, Some("a1"), &cargo()).is_empty(),
            "a1 changed nothing"
        );
        assert!(stop(&s.history, Some("unknown"), &cargo()).is_empty());
        assert_eq!(
            stop(&s.history, None, &cargo()).len(),
            1,
            "the session has it too"
        );
    }
}
