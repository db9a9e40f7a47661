//! Tool misuse: Bash doing, again and again, what the session's dedicated tools do.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, tags, Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const TIMES: Threshold = Threshold::new(
    "tool-misuse.times",
    3.0,
    "plain Bash find/ls, grep/rg or cat/head/sed -n calls of one kind within the window that make a pattern",
);

pub(crate) const WINDOW: Threshold = Threshold::new(
    "tool-misuse.window",
    4.0,
    "calls of the stream (the current one included) in which tool-misuse counts them",
);

/// Tool misuse (minor, 40): three plain Bash lookups of one kind among the stream's last four
/// calls — `find`/`ls` where the session uses Glob, `grep`/`rg` where it uses Grep, `cat`/`head`/
/// `sed -n` where it uses Read — with no pipe or shell feature that needed Bash
/// ([`crate::lookup_tags`]). A session that never used the dedicated tool (Claude Code 2.1.332 has
/// no Glob or Grep) is never told to use it.
pub struct ToolMisuse;

const RULE: Rule = Rule {
    id: "tool-misuse",
    kind: Kind::ToolMisuse,
    family: Family::Core,
    doc: "3 of the last 4 calls were plain Bash `find`/`ls`, `grep`/`rg` or `cat`/`head`/`sed -n` (nothing that needs a shell) and the session uses Glob, Grep or Read",
};

impl ToolMisuse {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Bash,
        thresholds: &[TIMES, WINDOW],
        critical: false,
        make: || Box::new(ToolMisuse),
    };
}

const KINDS: &[(u32, &str, &str, &str)] = &[
    (
        tags::LISTS,
        "Glob",
        "`find`/`ls`",
        "file lookups (e.g. a `**/*.css` pattern)",
    ),
    (
        tags::SEARCHES,
        "Grep",
        "`grep`/`rg`",
        "searches of file contents",
    ),
    (
        tags::PRINTS,
        "Read",
        "`cat`/`head`/`sed -n`",
        "reading files (with offset and limit for a part)",
    ),
];

impl Analyzer for ToolMisuse {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(&(bit, tool, what, job)) = KINDS.iter().find(|k| cx.fact.tags & k.0 != 0) else {
            return;
        };
        if !cx.history.has_used(tool) {
            return;
        }
        let window = cx.count(&WINDOW).max(1) as usize;
        let n = cx
            .history
            .recent
            .iter()
            .rev()
            .take(window)
            .filter(|f| f.tool == "Bash" && f.tags & bit != 0)
            .count() as u64;
        if n < cx.count(&TIMES).max(2) {
            return;
        }
        out.push(
            Finding::new(RULE.id, Severity::Minor, 40)
                .subject(tool)
                .headline(format!("Bash {what} where {tool} does it"))
                .observed(format!(
                    "{n} of the last {window} calls were plain {what} commands, with nothing that needs a shell; this session uses {tool}."
                ))
                .next_step(format!("use {tool} for {job}, and Bash for what needs a shell")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;
    use serde_json::json;

    #[test]
    fn three_plain_lookups_where_glob_is_used() {
        let mut s = Session::default_profile();
        s.feed(call("Glob", json!({"pattern": "**/*.ex"})));
        assert!(s
            .step(&ToolMisuse, bash("find /p/assets -name '*.css' -type f"))
            .is_empty());
        assert!(s
            .step(&ToolMisuse, bash("find /p -name '*.scss' | head -10"))
            .is_empty());
        let f = s.step(&ToolMisuse, bash("ls -la /p/assets/"));
        assert_eq!(f.len(), 1);
        assert!(f[0].next_step.starts_with("use Glob"), "{}", f[0].next_step);
    }

    #[test]
    fn never_without_the_dedicated_tool_or_when_the_shell_is_needed() {
        let mut s = Session::default_profile();
        for _ in 0..4 {
            assert!(
                s.step(&ToolMisuse, bash("grep -rn foo src")).is_empty(),
                "no Grep in this session"
            );
        }
        s.feed(call("Grep", json!({"pattern": "x"})));
        for _ in 0..4 {
            assert!(s
                .step(&ToolMisuse, bash("grep -rn foo src | xargs sed -i s/a/b/"))
                .is_empty());
        }
        // Spread out: two in the window are not a pattern.
        let mut s = Session::default_profile();
        s.feed(call("Glob", json!({})));
        s.step(&ToolMisuse, bash("ls"));
        s.feed(read("/p/a"));
        s.feed(read("/p/b"));
        s.step(&ToolMisuse, bash("ls src"));
        assert!(s.step(&ToolMisuse, read("/p/c")).is_empty());
        assert!(
            s.step(&ToolMisuse, bash("ls lib")).is_empty(),
            "2 of the last 4"
        );
    }
}
