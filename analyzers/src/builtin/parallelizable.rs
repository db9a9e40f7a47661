//! Parallelizable lookups: independent read-only calls made one per turn that could have been one
//! turn of parallel calls.

use super::shared::same_turn;
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Context, Fact, Finding, Severity, Threshold};

pub(crate) const CALLS: Threshold = Threshold::new(
    "parallelizable.calls",
    3.0,
    "independent read-only calls in a row, each alone in its turn, before posthook suggests one turn of parallel calls",
);

/// Parallelizable lookups (minor, 30): the stream's last calls were each alone in their turn,
/// read-only (a Read of a file, a Grep, Glob or LS, a `bash -n`-style syntax check), all
/// different, and independent of each other: three in a row. A call depends on the one before it
/// when it works on the same file (narrowing down), when its file lies inside the directory the
/// previous search looked in (it came out of that result), or when it is a search right after a
/// Read (looking for what the read revealed). Reading the files one search found is still
/// parallelizable: each depends on the search, not on the read before it. Turns come from batch
/// events when the client sends them, else from time gaps ([`super::PARALLEL_GAP_MS`]). Said once
/// per run.
pub struct Parallelizable;

const RULE: Rule = Rule {
    id: "parallelizable",
    kind: Kind::Parallelizable,
    family: Family::Core,
    doc: "three independent read-only calls in a row (Reads of different files, searches, `bash -n`-style syntax checks), each alone in its turn; a call that narrows down on the same file, reads what the previous search's directory holds, or searches right after a Read depends on the one before it",
};

impl Parallelizable {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::BashOrReadOnly,
        thresholds: &[super::PARALLEL_GAP_MS, CALLS],
        critical: false,
        make: || Box::new(Parallelizable),
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    Read,
    Search,
    Check,
}

fn look(f: &Fact) -> Option<Look> {
    if !f.ok {
        return None;
    }
    match f.tool.as_str() {
        "Read" => Some(Look::Read),
        "Grep" | "Glob" | "LS" => Some(Look::Search),
        "Bash" if f.tags & crate::tags::SYNTAX != 0 => Some(Look::Check),
        _ => None,
    }
}

/// Whether `newer` depends on `older`, the call right before it in the run.
fn depends(newer: &Fact, older: &Fact, kn: Look, ko: Look) -> bool {
    if kn == Look::Search {
        // A search right after a Read looks for what the read revealed.
        return ko == Look::Read;
    }
    let Some(a) = newer.path.as_deref() else {
        return false;
    };
    let Some(b) = older.path.as_deref().map(|b| b.trim_end_matches('/')) else {
        // A search of the whole working directory: a file looked at right after it came out of it.
        return ko == Look::Search;
    };
    if a == b {
        return true;
    }
    ko == Look::Search
        && (a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'))
            || (!b.starts_with('/') && a.contains(&format!("/{b}/"))))
}

impl Analyzer for Parallelizable {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if look(cx.fact).is_none() {
            return;
        }
        let gap = cx.count(&super::PARALLEL_GAP_MS);
        let need = cx.count(&CALLS).max(2) as usize;
        let mut run: Vec<(&Fact, Look)> = Vec::new();
        let mut newer_alone = true;
        for f in cx.history.recent.iter().rev() {
            let Some(k) = look(f) else { break };
            // Alone in its turn: not made with the call before it, nor with the one after it.
            let alone = !same_turn(f, gap) && newer_alone;
            newer_alone = !same_turn(f, gap);
            if !alone {
                break;
            }
            if let Some(&(n, kn)) = run.last() {
                if depends(n, f, kn, k) {
                    break;
                }
            }
            let key = (f.path.as_deref(), f.cmd_hash);
            if run
                .iter()
                .any(|(g, _)| (g.path.as_deref(), g.cmd_hash) == key)
            {
                break;
            }
            run.push((f, k));
            if run.len() > need {
                break;
            }
        }
        // Exactly at the threshold: once per run.
        if run.len() != need {
            return;
        }
        run.reverse();
        let names: Vec<String> = run.iter().map(|(f, _)| describe(f)).collect();
        out.push(
            Finding::new(RULE.id, Severity::Minor, 30)
                .subject("lookups")
                .headline(format!("{need} independent lookups made one per turn"))
                .observed(format!(
                    "The last {need} turns each made a single read-only call ({}), and none needed the one before it.",
                    names.join(", ")
                ))
                .next_step("when the next reads, searches or checks do not depend on each other, make them in one turn as parallel calls"),
        );
    }
}

/// A short name for a lookup: the file or directory's last part, or the tool.
fn describe(f: &Fact) -> String {
    let what = f
        .path
        .as_deref()
        .map(|p| p.trim_end_matches('/').rsplit('/').next().unwrap_or(p));
    match (f.tool.as_str(), what) {
        ("Read", Some(w)) => w.to_string(),
        (t, Some(w)) => format!("{t} in {w}"),
        (t, None) => f.cmd.clone().unwrap_or_else(|| t.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;
    use serde_json::json;

    fn grep(path: &str) -> crate::ToolCall {
        call("Grep", json!({"pattern": "x", "path": path}))
    }

    #[test]
    fn three_independent_reads_one_per_turn() {
        let mut s = Session::default_profile();
        assert!(s
            .step(&Parallelizable, read("/p/config/test.exs"))
            .is_empty());
        assert!(s
            .step(&Parallelizable, read("/p/config/config.exs"))
            .is_empty());
        let f = s.step(&Parallelizable, read("/p/config/dev.exs"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].observed.contains("test.exs, config.exs, dev.exs"),
            "{}",
            f[0].observed
        );
        assert!(
            s.step(&Parallelizable, read("/p/config/prod.exs"))
                .is_empty(),
            "once per run"
        );
    }

    #[test]
    fn syntax_checks_and_searches_count_too() {
        let mut s = Session::default_profile();
        s.step(&Parallelizable, bash("bash -n a.sh && echo ok"));
        s.step(&Parallelizable, bash("bash -n b.sh && echo ok"));
        assert_eq!(s.step(&Parallelizable, bash("bash -n c.sh")).len(), 1);
        let mut s = Session::default_profile();
        s.step(
            &Parallelizable,
            call("Glob", json!({"pattern": "assets/**/*.css"})),
        );
        s.step(
            &Parallelizable,
            call("Glob", json!({"pattern": "assets/css/*"})),
        );
        assert_eq!(s.step(&Parallelizable, grep("/p/lib")).len(), 1);
    }

    #[test]
    fn dependent_calls_parallel_turns_and_repeats_break_the_run() {
        // Reading what a search found, one by one: the reads depend on the search only.
        let mut s = Session::default_profile();
        s.step(&Parallelizable, grep("/p/config"));
        s.step(&Parallelizable, read("/p/config/test.exs"));
        assert!(
            s.step(&Parallelizable, read("/p/config/config.exs"))
                .is_empty(),
            "the first read came out of the search: the run is two reads so far"
        );
        assert_eq!(s.step(&Parallelizable, read("/p/config/dev.exs")).len(), 1);
        // Narrowing down on one file.
        let mut s = Session::default_profile();
        s.step(&Parallelizable, grep("/p/assets/app.css"));
        s.step(&Parallelizable, grep("/p/assets/app.css"));
        assert!(s
            .step(&Parallelizable, read("/p/assets/app.css"))
            .is_empty());
        // A search for what a read revealed.
        let mut s = Session::default_profile();
        s.step(&Parallelizable, read("/p/a.ex"));
        s.step(&Parallelizable, read("/p/b.ex"));
        assert!(s.step(&Parallelizable, grep("/p/lib")).is_empty());
        // A parallel turn between.
        let mut s = Session::default_profile();
        s.step(&Parallelizable, read("/p/a0.rs"));
        s.step(&Parallelizable, read("/p/a1.rs"));
        s.after(100);
        s.step(&Parallelizable, read("/p/b.rs"));
        assert!(s.step(&Parallelizable, read("/p/c.rs")).is_empty());
        // Something else between.
        let mut s = Session::default_profile();
        s.step(&Parallelizable, read("/p/d0.rs"));
        s.step(&Parallelizable, read("/p/d1.rs"));
        s.feed(edit("/p/d1.rs"));
        assert!(s.step(&Parallelizable, read("/p/e.rs")).is_empty());
        // A re-read.
        let mut s = Session::default_profile();
        for p in ["/p/f.rs", "/p/g.rs", "/p/f.rs"] {
            assert!(s.step(&Parallelizable, read(p)).is_empty(), "{p}");
        }
    }
}
