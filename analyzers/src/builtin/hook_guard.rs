//! Hook-file guard (catalogue §5): hook scripts of the project that manipulate `sys.path`.

use super::outside_project::{is_under, normalize};
use crate::{Analyzer, Context, Finding, Severity};
use regex::Regex;
use std::sync::LazyLock;

static SYS_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"sys\.path\.(?:insert|append|extend)\s*\(")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Hook-file guard: a Write, Edit or MultiEdit of a `.py` file under the project's `.claude/hooks/`
/// whose new content changes `sys.path` (major, 85: blocks). The project is `CLAUDE_PROJECT_DIR`,
/// else `cwd`; a relative `.claude/hooks/...` path counts too. (The original compared against one
/// developer's home directory.)
pub struct HookFileGuard;

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
        "hook-file-guard"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("hook-file-guard")
            || !matches!(cx.call.tool.as_str(), "Write" | "Edit" | "MultiEdit")
        {
            return;
        }
        let Some(path) = cx.call.path() else {
            return;
        };
        if !in_project_hooks(path, cx.call.project_root()) {
            return;
        }
        let Some(content) = cx.call.new_content() else {
            return;
        };
        let Some(m) = SYS_PATH.find(&content) else {
            return;
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        out.push(
            Finding::new("hook-file-guard", Severity::Major, 85)
                .headline(format!("hook script {name} modifies sys.path"))
                .observed(format!(
                    "The new content of {} calls {}...); hooks run with Claude Code's environment, and a changed import path can load the wrong modules.",
                    crate::truncate_chars(path, 120),
                    m.as_str().trim_end_matches('(').trim_end()
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
