//! Parallelizable reads: files read one per turn that could have been read in one.

use super::shared::same_turn;
use crate::{Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const TURNS: Threshold = Threshold::new(
    "parallelizable.turns",
    5.0,
    "turns in a row that each made one Read of another file, with nothing else between, before posthook suggests parallel reads",
);

/// Parallelizable reads (minor, 30): the stream's last turns each made exactly one call, a
/// successful Read of a file not read in the run before, with no other call between: five such
/// turns in a row. Turns come from batch events when the client sends them, else from time gaps
/// ([`super::PARALLEL_GAP_MS`]). Searches are left out on purpose: a Grep or Glob usually decides
/// what is read next, so a run of them is exploring, not waiting. Said once per run.
pub struct Parallelizable;

impl Analyzer for Parallelizable {
    fn name(&self) -> &'static str {
        "parallelizable"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.tool != "Read" || !cx.rule_enabled("parallelizable") {
            return;
        }
        let gap = cx.count(&super::PARALLEL_GAP_MS);
        let need = cx.count(&TURNS).max(2);
        let mut files: Vec<&str> = Vec::new();
        for f in cx.history.recent.iter().rev() {
            if same_turn(f, gap) {
                // Made together with the call before it: the run of single-call turns ends here
                // (the newer call of such a pair already ended it when it is the newest).
                break;
            }
            let Some(p) = f.path.as_deref() else { break };
            if f.tool != "Read" || !f.ok || files.contains(&p) {
                break;
            }
            files.push(p);
            if files.len() as u64 > need {
                break;
            }
        }
        // Exactly at the threshold: once per run.
        if files.len() as u64 != need {
            return;
        }
        files.reverse();
        let names: Vec<&str> = files
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .collect();
        out.push(
            Finding::new("parallelizable", Severity::Minor, 30)
                .subject("reads")
                .headline(format!("{need} files read one per turn"))
                .observed(format!(
                    "The last {need} turns each made a single Read ({}), with nothing else between them.",
                    names.join(", ")
                ))
                .next_step("when the next reads do not depend on each other, make them in one turn as parallel Read calls"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;

    #[test]
    fn five_single_read_turns_of_other_files() {
        let mut s = Session::default_profile();
        for i in 0..4 {
            assert!(s
                .step(&Parallelizable, read(&format!("/p/m{i}.rs")))
                .is_empty());
        }
        let f = s.step(&Parallelizable, read("/p/m4.rs"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].observed.contains("m0.rs, m1.rs, m2.rs, m3.rs, m4.rs"),
            "{}",
            f[0].observed
        );
        assert!(
            s.step(&Parallelizable, read("/p/m5.rs")).is_empty(),
            "once per run"
        );
    }

    #[test]
    fn parallel_turns_searches_and_re_reads_break_the_run() {
        let mut s = Session::default_profile();
        for i in 0..3 {
            s.step(&Parallelizable, read(&format!("/p/a{i}.rs")));
        }
        s.after(100);
        s.step(&Parallelizable, read("/p/b.rs"));
        assert!(
            s.step(&Parallelizable, read("/p/c.rs")).is_empty(),
            "a parallel turn between"
        );
        let mut s = Session::default_profile();
        for i in 0..4 {
            s.step(&Parallelizable, read(&format!("/p/d{i}.rs")));
        }
        s.feed(call("Grep", serde_json::json!({"pattern": "x"})));
        assert!(
            s.step(&Parallelizable, read("/p/e.rs")).is_empty(),
            "exploring"
        );
        let mut s = Session::default_profile();
        for p in ["/p/f.rs", "/p/g.rs", "/p/f.rs", "/p/h.rs"] {
            s.step(&Parallelizable, read(p));
        }
        assert!(
            s.step(&Parallelizable, read("/p/i.rs")).is_empty(),
            "a re-read is not independent"
        );
    }
}
