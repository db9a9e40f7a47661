//! Grounding: a message may name only tools the session has used (and the four every session has).

use crate::History;

/// Tools a message may always name: every session has them.
const ALWAYS: &[&str] = &["Read", "Edit", "Write", "Bash"];

/// Tool names that are also easy to write into advice; a message naming one the session never
/// used is not sent.
const KNOWN_TOOLS: &[&str] = &[
    "MultiEdit",
    "Glob",
    "Grep",
    "LS",
    "TodoWrite",
    "Task",
    "Agent",
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
    "BashOutput",
    "TaskOutput",
    "KillShell",
    "Skill",
    "ToolSearch",
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first tool `text` names that the session never used (the four every session has aside).
pub fn ungrounded_tool(text: &str, history: &History) -> Option<String> {
    let bytes = text.as_bytes();
    for name in KNOWN_TOOLS {
        let mut from = 0;
        while let Some(i) = text[from..].find(name) {
            let at = from + i;
            let end = at + name.len();
            let before = at == 0 || !is_word_byte(bytes[at - 1]);
            let after = end == bytes.len() || !is_word_byte(bytes[end]);
            if before && after && !history.has_used(name) {
                return Some((*name).to_string());
            }
            from = end;
        }
    }
    let mut from = 0;
    while let Some(i) = text[from..].find("mcp__") {
        let at = from + i;
        let end = at
            + text[at..]
                .bytes()
                .take_while(|b| is_word_byte(*b) || *b == b'-')
                .count();
        let token = &text[at..end];
        let family = token.ends_with("__") || text[end..].starts_with('*');
        let used = history.counters.per_tool.keys().any(|t| {
            if family {
                t.starts_with(token)
            } else {
                t == token
            }
        });
        if !used {
            return Some(format!("{token}{}", if family { "*" } else { "" }));
        }
        from = end.max(at + 5);
    }
    let _ = ALWAYS;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::tests::{finding, Run};
    use crate::guidance::Verdict;
    use crate::{Severity, ToolCall};
    use serde_json::json;
    #[test]
    fn a_message_naming_an_unused_tool_is_not_sent() {
        let mut r = Run::new();
        let multi =
            finding("style", Severity::Moderate, 40).next_step("make them in one MultiEdit");
        assert_eq!(
            r.verdict(multi.clone()),
            Verdict::Ungrounded {
                tool: "MultiEdit".into()
            }
        );
        let zen = finding("hive", Severity::Moderate, 40).next_step("ask mcp__zen__planner first");
        assert_eq!(
            r.verdict(zen),
            Verdict::Ungrounded {
                tool: "mcp__zen__planner".into()
            }
        );
        let family =
            finding("hive2", Severity::Moderate, 40).next_step("plan it with a mcp__zen__ tool");
        assert_eq!(
            r.verdict(family.clone()),
            Verdict::Ungrounded {
                tool: "mcp__zen__*".into()
            }
        );
        r.h.record(&ToolCall::new("mcp__zen__chat", json!({})));
        r.h.record(&ToolCall::new("MultiEdit", json!({})));
        assert_eq!(r.verdict(family), Verdict::Shown, "the session uses zen");
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(r.verdict(multi), Verdict::Shown);
        // Words that only contain a tool name are not tool names.
        let h = History::new();
        assert_eq!(ungrounded_tool("a Globally unique Tasks list", &h), None);
        assert_eq!(ungrounded_tool("use Read, Edit, Write or Bash", &h), None);
    }
}
