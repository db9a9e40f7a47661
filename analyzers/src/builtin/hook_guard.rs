//! Hook-file guard (catalogue §5): hook scripts of the project that manipulate `sys.path`.

use crate::text::path::{is_under, normalize};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Context, Finding, Severity};

/// The first `sys.path.insert(`, `.append(` or `.extend(` in `code` (spaces allowed before the
/// parenthesis), as the call's name. A scan, not a regex: a hook call that writes a hook script
/// would otherwise compile a regex for this one question.
fn sys_path_change(code: &str) -> Option<&'static str> {
    let mut rest = code;
    while let Some(i) = rest.find("sys.path.") {
        let after = &rest[i + "sys.path.".len()..];
        for name in ["insert", "append", "extend"] {
            if let Some(tail) = after.strip_prefix(name) {
                if tail.trim_start().starts_with('(') {
                    return Some(match name {
                        "insert" => "sys.path.insert",
                        "append" => "sys.path.append",
                        _ => "sys.path.extend",
                    });
                }
            }
        }
        rest = after;
    }
    None
}

/// Hook-file guard: a write (Write, Edit, MultiEdit, NotebookEdit) of a `.py` file under the
/// project's `.claude/hooks/` whose new content changes `sys.path` (major, 85; shown, never
/// blocking). The project is `CLAUDE_PROJECT_DIR`,
/// else `cwd`; a relative `.claude/hooks/...` path counts too. (The original compared against one
/// developer's home directory.)
pub struct HookFileGuard;

const RULE: Rule = Rule {
    id: "hook-file-guard",
    kind: Kind::Danger,
    family: Family::Core,
    doc: "a hook script of the project (`.claude/hooks/*.py`) changed so that it alters its import path (`sys.path`)",
};

impl HookFileGuard {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Writes,
        thresholds: &[],
        critical: true,
        make: || Box::new(HookFileGuard),
    };
}

fn in_project_hooks(path: &str, root: Option<&str>) -> bool {
    if !path.ends_with(".py") {
        return false;
    }
    let rel = path.strip_prefix("./").unwrap_or(path);
    if rel.starts_with(".claude/hooks/") {
        return true;
    }
    match root {
        Some(root) if path.starts_with('/') => {
            let hooks = format!("{}/.claude/hooks", root.trim_end_matches('/'));
            is_under(&normalize(path), &hooks)
        }
        _ => false,
    }
}

impl Analyzer for HookFileGuard {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Which tools: its SPEC's (every tool that writes a file).
        let Some(path) = cx.call.path() else {
            return;
        };
        if !in_project_hooks(path, cx.call.project_root()) {
            return;
        }
        let Some(content) = cx.call.new_content() else {
            return;
        };
        let Some(call_name) = sys_path_change(&content) else {
            return;
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        out.push(
            Finding::new(RULE.id, Severity::Major, 85)
                .headline(format!("hook script {name} modifies sys.path"))
                .observed(format!(
                    "The new content of {} calls {}...); hooks run with Claude Code's environment, and a changed import path can load the wrong modules.",
                    crate::truncate_chars(path, 120),
                    call_name
                ))
                .next_step(format!(
                    "remove the sys.path change from {name}; import through a package installed for the hook, or run it with the right PYTHONPATH"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_what_the_pattern_did() {
        assert_eq!(
            sys_path_change("import sys\nsys.path.insert(0, '/x')"),
            Some("sys.path.insert")
        );
        assert_eq!(
            sys_path_change("sys.path.append ('/x')"),
            Some("sys.path.append")
        );
        assert_eq!(
            sys_path_change("sys.path.extend([a])"),
            Some("sys.path.extend")
        );
        assert_eq!(sys_path_change("print(sys.path)"), None);
        assert_eq!(
            sys_path_change("sys.path.inserted = 1; sys.path.append(1)"),
            Some("sys.path.append")
        );
        assert_eq!(sys_path_change("sys.path.remove(x)"), None);
    }
    use crate::builtin::testkit::{call, write, Session};
    use serde_json::json;

    #[test]
    fn guarded_paths_and_content() {
        let mut s = Session::default_profile();
        let bad = "import sys\nsys.path.insert(0, '/x')\n";
        let at = |c: crate::ToolCall| c.in_dir("/home/u/proj");
        assert_eq!(
            s.step(
                &HookFileGuard,
                at(write("/home/u/proj/.claude/hooks/post.py", bad))
            )
            .len(),
            1
        );
        assert_eq!(
            s.step(&HookFileGuard, at(write(".claude/hooks/x.py", bad)))
                .len(),
            1
        );
        assert!(s
            .step(
                &HookFileGuard,
                at(write("/home/u/proj/.claude/hooks/post.py", "import os"))
            )
            .is_empty());
        assert!(s
            .step(&HookFileGuard, at(write("/home/u/proj/src/post.py", bad)))
            .is_empty());
        assert!(s
            .step(
                &HookFileGuard,
                at(write("/home/u/other/.claude/hooks/post.py", bad))
            )
            .is_empty());
        assert!(s
            .step(
                &HookFileGuard,
                at(write("/home/u/proj/.claude/hooks/run.sh", bad))
            )
            .is_empty());
        let e = call(
            "Edit",
            json!({"file_path": "/home/u/proj/.claude/hooks/a.py", "old_string": "x", "new_string": "sys.path.append ('..')"}),
        );
        assert_eq!(s.step(&HookFileGuard, at(e)).len(), 1);
        let m = call(
            "MultiEdit",
            json!({"file_path": "/home/u/proj/.claude/hooks/a.py", "edits": [{"old_string": "x", "new_string": "y"}, {"old_string": "z", "new_string": "sys.path.extend(p)"}]}),
        );
        assert_eq!(s.step(&HookFileGuard, at(m)).len(), 1);
    }
}
