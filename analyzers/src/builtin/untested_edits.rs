//! Untested edits (generic drift): many file changes since the last test or build command.

use crate::{Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const EDITS: Threshold = Threshold::new(
    "untested-edits.edits",
    10.0,
    "file changes since the last test/build command at which (and at every multiple of which) to remind",
);

/// Untested edits: the count of successful file changes since the last test or build command
/// reaches 10 (minor, 32), and again at 20, 30, ... (moderate, 40, from 20 on).
///
/// Chosen from the real transcripts: between two compile/test runs the sessions made 1 to 9
/// changes; 10 or more happened only in stretches that ended with a failing build.
pub struct UntestedEdits;

impl UntestedEdits {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["untested-edits"];
}

impl Analyzer for UntestedEdits {
    fn name(&self) -> &'static str {
        "untested-edits"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn applies_to(&self, tool: &str) -> bool {
        matches!(tool, "Write" | "Edit" | "MultiEdit" | "NotebookEdit")
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("untested-edits") || !cx.fact.is_write() || !cx.fact.ok {
            return;
        }
        let n = u64::from(cx.history.counters.edits_since_check);
        let every = cx.count(&EDITS).max(1);
        if n < every || n % every != 0 {
            return;
        }
        // Ranked above the batching hints (30): untested changes are about correctness, batching
        // only about speed. On the real transcripts it fired 3 times and lost to batching each time.
        let (severity, priority) = if n >= 2 * every {
            (Severity::Moderate, 40)
        } else {
            (Severity::Minor, 32)
        };
        // Only when firing: where the last check was, and how many files changed since.
        let mut files: Vec<u64> = Vec::new();
        let mut last_check = None;
        for (ago, f) in cx.history.recent.iter().rev().enumerate() {
            if f.is_check() {
                last_check = Some((ago, f.cmd.as_deref().unwrap_or("a check")));
                break;
            }
            if f.is_write() && f.ok {
                if let Some(p) = &f.path {
                    let h = crate::fnv1a64(p.as_bytes());
                    if !files.contains(&h) {
                        files.push(h);
                    }
                }
            }
        }
        let since = match last_check {
            Some((ago, head)) => format!("the last test or build (`{head}`) ran {ago} calls ago"),
            None => format!(
                "no test or build ran in the last {} calls",
                cx.history.recent.len()
            ),
        };
        out.push(
            Finding::new("untested-edits", severity, priority)
                .headline(format!("{n} file changes since the last test or build"))
                .observed(format!(
                    "{n} successful Write/Edit calls touched {} since; {since}.",
                    super::plural(files.len() as u64, "file", "files")
                ))
                .next_step(
                    "run the build and the tests that cover these files now, before changing more",
                ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, edit, Session};

    #[test]
    fn reminds_at_multiples() {
        let mut s = Session::default_profile();
        let fired: Vec<u32> = (1..=20)
            .filter_map(|i| {
                let f = s.step(&UntestedEdits, edit("/p/a"));
                f.first().map(|f| {
                    assert_eq!(
                        f.severity,
                        if i == 20 {
                            Severity::Moderate
                        } else {
                            Severity::Minor
                        }
                    );
                    i
                })
            })
            .collect();
        assert_eq!(fired, vec![10, 20]);
        s.feed(bash("cargo test"));
        for _ in 0..9 {
            assert!(s.step(&UntestedEdits, edit("/p/a")).is_empty());
        }
        assert!(s.step(&UntestedEdits, bash("ls")).is_empty());
        assert_eq!(s.step(&UntestedEdits, edit("/p/a")).len(), 1);
        assert!(
            s.step(&UntestedEdits, edit("/p/a").failed_with("x"))
                .is_empty(),
            "failed edits do not count"
        );
    }

    #[test]
    fn says_where_the_last_check_was() {
        let mut s = Session::default_profile();
        s.set("untested-edits.edits", 3.0);
        s.feed(bash("cargo build"));
        s.feed(edit("/p/a"));
        s.feed(edit("/p/b"));
        let f = s.step(&UntestedEdits, edit("/p/a"));
        assert_eq!(
            f[0].observed,
            "3 successful Write/Edit calls touched 2 files since; the last test or build (`cargo build`) ran 3 calls ago."
        );
    }

    #[test]
    fn configurable() {
        let mut s = Session::default_profile();
        s.set("untested-edits.edits", 2.0);
        assert!(s.step(&UntestedEdits, edit("/p/a")).is_empty());
        assert_eq!(s.step(&UntestedEdits, edit("/p/a")).len(), 1);
        s.feed(bash("make"));
        assert!(s.step(&UntestedEdits, edit("/p/a")).is_empty());
    }
}
