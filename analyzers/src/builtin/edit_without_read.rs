//! Edit without read (generic drift): a file changed in place that was never read or written
//! earlier in the session.

use crate::{Analyzer, Context, Finding, Severity};

/// Edit without read: an Edit, MultiEdit or NotebookEdit that succeeded on a file the session never
/// read or wrote before (moderate, 40). Claude Code refuses most such edits itself; the ones that
/// go through (a file seen only through `cat`, or in an earlier session) were made blind.
///
/// The history records the current call before analyzers run, so "seen before" cannot be asked of
/// the file set afterwards; `Counters::new_file` keeps the answer from the moment of recording.
pub struct EditWithoutRead;

impl EditWithoutRead {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["edit-without-read"];
}

impl Analyzer for EditWithoutRead {
    fn name(&self) -> &'static str {
        "edit-without-read"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn applies_to(&self, tool: &str) -> bool {
        matches!(tool, "Edit" | "MultiEdit" | "NotebookEdit")
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("edit-without-read")
            || !matches!(cx.fact.tool.as_str(), "Edit" | "MultiEdit" | "NotebookEdit")
            || !cx.history.counters.new_file
        {
            return;
        }
        let Some(path) = cx.fact.path.as_deref() else {
            return;
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        out.push(
            Finding::new("edit-without-read", Severity::Moderate, 40)
                .headline(format!("{name} edited without being read in this session"))
                .observed(format!(
                    "{} changed {path}, which no Read or Write in this session ({} calls so far) touched before.",
                    cx.fact.tool, cx.history.events_total
                ))
                .next_step(format!(
                    "Read {name} now and check that the edit fits the code around it"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{edit, read, write, Session};

    #[test]
    fn fires_only_for_unseen_files() {
        let mut s = Session::default_profile();
        assert_eq!(s.step(&EditWithoutRead, edit("/p/a.rs")).len(), 1);
        assert!(
            s.step(&EditWithoutRead, edit("/p/a.rs")).is_empty(),
            "seen by the first edit"
        );
        s.feed(read("/p/b.rs"));
        assert!(s.step(&EditWithoutRead, edit("/p/b.rs")).is_empty());
        s.feed(write("/p/c.rs", "x"));
        assert!(s.step(&EditWithoutRead, edit("/p/c.rs")).is_empty());
        assert!(
            s.step(
                &EditWithoutRead,
                edit("/p/d.rs").failed_with("File has not been read yet")
            )
            .is_empty(),
            "failed edits are Claude Code's own refusal"
        );
        assert_eq!(s.step(&EditWithoutRead, edit("/p/d.rs")).len(), 1);
        assert!(
            s.step(&EditWithoutRead, write("/p/e.rs", "new")).is_empty(),
            "Write creates"
        );
    }
}
