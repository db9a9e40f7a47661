//! Outside project (generic drift): files changed outside the project directory.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Context, Finding, Severity};
use crate::text::path::{is_temporary, is_under, normalize};

/// Places where writes are expected outside a project: temp dirs and Claude Code's own directory
/// (plans, todos, memory files).
fn expected_elsewhere(path: &str) -> bool {
    is_temporary(path) || path.starts_with("/dev/null") || path.contains("/.claude/")
}

/// Outside project: a Write, Edit, MultiEdit or NotebookEdit of an absolute path outside the
/// project root (`CLAUDE_PROJECT_DIR`, else the payload's `cwd`), temp dirs and `~/.claude`
/// excepted (moderate, 45).
pub struct OutsideProject;

const RULE: Rule = Rule {
    id: "outside-project",
    kind: Kind::Danger,
    family: Family::Core,
    doc: "a file changed outside the project (temporary dirs and `~/.claude` excepted)",
};

impl OutsideProject {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Writes,
        thresholds: &[],
        critical: false,
        make: || Box::new(OutsideProject),
    };
}

impl Analyzer for OutsideProject {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.call.is_write() {
            return;
        }
        let (Some(path), Some(root)) = (cx.call.path(), cx.call.project_root()) else {
            return;
        };
        if !path.starts_with('/') || !root.starts_with('/') {
            // Relative paths resolve inside the working directory; `..` is path-safety's business.
            return;
        }
        let path = normalize(path);
        if is_under(&path, &normalize(root)) || expected_elsewhere(&path) {
            return;
        }
        out.push(
            Finding::new(RULE.id, Severity::Moderate, 45)
                .subject(crate::truncate_chars(&path, 200).into_owned())
                .headline("file changed outside the project")
                .observed(format!(
                    "{} wrote {}, which is not under the project root {root}.",
                    cx.call.tool,
                    crate::truncate_chars(&path, 200)
                ))
                .next_step("check that this file belongs to the task; if it does not, revert the change and make it inside the project"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{edit, read, write, Session};

    #[test]
    fn writes_outside_the_root() {
        let mut s = Session::default_profile();
        let at = |c: crate::ToolCall| c.in_dir("/home/u/proj");
        assert!(s
            .step(&OutsideProject, at(write("/home/u/proj/src/a.rs", "x")))
            .is_empty());
        assert!(s
            .step(&OutsideProject, at(write("src/a.rs", "x")))
            .is_empty());
        assert!(s
            .step(&OutsideProject, at(write("/tmp/scratch.txt", "x")))
            .is_empty());
        assert!(s
            .step(
                &OutsideProject,
                at(write("/home/u/.claude/plans/p.md", "x"))
            )
            .is_empty());
        assert!(
            s.step(&OutsideProject, at(read("/etc/hosts"))).is_empty(),
            "reads are fine"
        );
        assert_eq!(
            s.step(&OutsideProject, at(edit("/home/u/other/a.rs")))
                .len(),
            1
        );
        assert_eq!(
            s.step(&OutsideProject, at(edit("/home/u/proj2/a.rs")))
                .len(),
            1
        );
        assert_eq!(
            s.step(&OutsideProject, at(edit("/home/u/proj/../x/a.rs")))
                .len(),
            1
        );
        // CLAUDE_PROJECT_DIR wins over cwd
        let mut c = write("/home/u/proj/a.rs", "x").in_dir("/home/u/proj/sub");
        assert_eq!(s.step(&OutsideProject, c.clone()).len(), 1, "outside cwd");
        c.project_dir = Some("/home/u/proj".into());
        assert!(s.step(&OutsideProject, c.clone()).is_empty());
        c.project_dir = Some("/home/u/other".into());
        assert_eq!(s.step(&OutsideProject, c).len(), 1);
        // no root known: nothing to compare with
        assert!(s.step(&OutsideProject, write("/x/a.rs", "x")).is_empty());
    }
}
