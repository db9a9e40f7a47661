//! File path safety (catalogue §5): traversal, writes to system directories, huge writes.

use crate::text::path::{is_under, normalize};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const LARGE_WRITE: Threshold = Threshold::new(
    "path-safety.large-write",
    100_000.0,
    "a Write with more content than this (bytes) earns a warning",
);

const SYSTEM_DIRS: &[&str] = &["/etc", "/root", "/proc", "/sys"];

/// File path safety: a write to a system directory (/etc, /root, /proc, /sys: major, 80); a `..`
/// component in a file path (writes major, 72; reads and searches moderate, 30); a Write of more
/// than 100,000 bytes (moderate, 35).
pub struct PathSafety;

const RULE: Rule = Rule {
    id: "path-safety",
    kind: Kind::Danger,
    family: Family::Core,
    doc: "a file op on a system path (`/etc`, `/root`, `/proc`, `/sys`) or through `..`; a very large Write",
};

impl PathSafety {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Files,
        thresholds: &[LARGE_WRITE],
        critical: true,
        make: || Box::new(PathSafety),
    };
}

fn has_traversal(path: &str) -> bool {
    path.split(['/', '\\']).any(|c| c == "..")
}

impl Analyzer for PathSafety {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(path) = cx.call.path() else {
            return;
        };
        let write = cx.call.is_write();
        let short = crate::truncate_chars(path, 120);
        let finding = if write
            && SYSTEM_DIRS
                .iter()
                .any(|d| is_under(&normalize(path), d))
        {
            Finding::new(RULE.id, Severity::Major, 80)
                .headline("write to a system directory")
                .observed(format!("{} changed {short}.", cx.call.tool))
                .next_step("undo this change unless the user asked for it; keep changes inside the project")
        } else if has_traversal(path) {
            let (sev, prio) = if write {
                (Severity::Major, 72)
            } else {
                (Severity::Moderate, 30)
            };
            Finding::new(RULE.id, sev, prio)
                .headline("path climbs out with ..")
                .observed(format!("{} used the path {short}.", cx.call.tool))
                .next_step(
                    "use the absolute path of the file inside the project instead of a ../ path",
                )
        } else if cx.call.tool == "Write" && cx.fact.in_len > cx.count(&LARGE_WRITE) {
            Finding::new(RULE.id, Severity::Moderate, 35)
                .headline("very large file written in one call")
                .observed(format!(
                    "Write put {} bytes into {short} (warning above {}).",
                    cx.fact.in_len,
                    cx.count(&LARGE_WRITE)
                ))
                .next_step("check that the file is meant to be this large; generated data belongs in a build step, not in a Write")
        } else {
            return;
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{edit, read, write, Session};

    fn sev(s: &mut Session, c: crate::ToolCall) -> Option<Severity> {
        s.step(&PathSafety, c).first().map(|f| f.severity)
    }

    #[test]
    fn system_dirs_and_traversal() {
        let mut s = Session::default_profile();
        assert_eq!(sev(&mut s, write("/etc/hosts", "x")), Some(Severity::Major));
        assert_eq!(sev(&mut s, edit("/root/.bashrc")), Some(Severity::Major));
        assert_eq!(
            sev(&mut s, write("/p/../etc/passwd", "x")),
            Some(Severity::Major)
        );
        assert_eq!(sev(&mut s, read("/etc/hosts")), None, "reading is fine");
        assert_eq!(sev(&mut s, write("/etcetera/x", "x")), None);
        assert_eq!(sev(&mut s, write("../x.rs", "x")), Some(Severity::Major));
        assert_eq!(sev(&mut s, read("../x.rs")), Some(Severity::Moderate));
        assert_eq!(sev(&mut s, read("/p/a..b/x.rs")), None);
    }

    #[test]
    fn large_writes() {
        let mut s = Session::default_profile();
        assert_eq!(sev(&mut s, write("/p/a", &"x".repeat(100_000))), None);
        assert_eq!(
            sev(&mut s, write("/p/a", &"x".repeat(100_001))),
            Some(Severity::Moderate)
        );
    }
}
