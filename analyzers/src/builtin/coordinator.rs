//! Coordinator bypass (catalogue §1, `bypassed_zen`): work done without consulting the coordinator
//! (`mcp__zen__*`) in a hive session.

use super::shared::{coordinator_name, drift_priority};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Category, Context, Finding, Severity, Threshold};

pub(crate) const FLOW_WINDOW: Threshold = Threshold::new(
    "coordinator-bypass.flow-window",
    5.0,
    "a flow-worker call needs a coordinator call among this many calls before it",
);
pub(crate) const STORAGE_WINDOW: Threshold = Threshold::new(
    "coordinator-bypass.storage-window",
    3.0,
    "a storage-worker call needs a coordinator call among this many calls before it",
);
pub(crate) const NATIVE_RUN: Threshold = Threshold::new(
    "coordinator-bypass.native-run",
    4.0,
    "calls since the last coordinator call from which a native call is a moderate finding",
);
pub(crate) const NATIVE_RUN_MAJOR: Threshold = Threshold::new(
    "coordinator-bypass.native-run-major",
    6.0,
    "calls since the last coordinator call from which a native call is a major finding",
);
pub(crate) const COMPLEX_WINDOW: Threshold = Threshold::new(
    "coordinator-bypass.complex-window",
    2.0,
    "a complex start needs a coordinator call among this many calls before it",
);
pub(crate) const COMPLEX_WRITE_CHARS: Threshold = Threshold::new(
    "coordinator-bypass.complex-write-chars",
    1000.0,
    "a Write with more content than this (bytes) is a complex start",
);
pub(crate) const COMPLEX_MULTIEDIT: Threshold = Threshold::new(
    "coordinator-bypass.complex-multiedit",
    3.0,
    "a MultiEdit with more edits than this is a complex start",
);

/// Coordinator bypass. `n` counts calls since the last coordinator call; first match wins:
/// flow worker with no coordinator in the last 5 (moderate); storage worker with none in the last 3
/// (minor below n = 3, else moderate); n >= 4 on a native call (moderate, major from n >= 6); a
/// complex start with no coordinator in the last 2 (major).
pub struct CoordinatorBypass;

const RULE: Rule = Rule {
    id: "coordinator-bypass",
    kind: Kind::Protocol,
    family: Family::Coordinator,
    doc: "work done without the coordinator (`mcp__zen__*`) the session uses",
};

impl CoordinatorBypass {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::All,
        thresholds: &[FLOW_WINDOW, STORAGE_WINDOW, NATIVE_RUN, NATIVE_RUN_MAJOR, COMPLEX_WINDOW, COMPLEX_WRITE_CHARS, COMPLEX_MULTIEDIT],
        critical: false,
        make: || Box::new(CoordinatorBypass),
    };
}

fn complex_start(cx: &Context<'_>) -> Option<&'static str> {
    let call = cx.call;
    match call.tool.as_str() {
        "Task" | "Agent" => Some("a sub-task was started"),
        "MultiEdit" if u64::from(cx.fact.count) > cx.count(&COMPLEX_MULTIEDIT) => {
            Some("a large multi-edit was made")
        }
        "Write" => {
            let path = call.path().unwrap_or("");
            if ["package.json", "requirements.txt", "Cargo.toml"]
                .iter()
                .any(|m| path.contains(m))
            {
                Some("a project manifest was written")
            } else if cx.fact.in_len > cx.count(&COMPLEX_WRITE_CHARS) {
                Some("a large file was written")
            } else {
                None
            }
        }
        "Bash" => {
            let cmd = call.command().unwrap_or("");
            ["mkdir -p", "npm init", "git init"]
                .iter()
                .any(|m| cmd.contains(m))
                .then_some("a project structure was created")
        }
        _ => None,
    }
}

impl Analyzer for CoordinatorBypass {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.cat == Category::McpZen {
            return;
        }
        let n = u64::from(cx.history.stream.since_coordinator);
        let zen_within = |w: u64| {
            cx.previous()
                .take(w as usize)
                .any(|f| f.cat == Category::McpZen)
        };
        let (severity, headline, observed) =
            if cx.fact.cat == Category::McpFlow && !zen_within(cx.count(&FLOW_WINDOW)) {
                (
                    Severity::Moderate,
                    String::from("flow worker used without the coordinator"),
                    format!(
                        "{} ran with no coordinator call in the {} calls before it.",
                        cx.call.tool,
                        cx.count(&FLOW_WINDOW)
                    ),
                )
            } else if cx.fact.cat == Category::McpFs && !zen_within(cx.count(&STORAGE_WINDOW)) {
                (
                    if n < 3 {
                        Severity::Minor
                    } else {
                        Severity::Moderate
                    },
                    String::from("storage worker used without the coordinator"),
                    format!(
                        "{} ran with no coordinator call in the {} calls before it.",
                        cx.call.tool,
                        cx.count(&STORAGE_WINDOW)
                    ),
                )
            } else if n >= cx.count(&NATIVE_RUN) && !cx.fact.is_mcp() {
                (
                    if n >= cx.count(&NATIVE_RUN_MAJOR) {
                        Severity::Major
                    } else {
                        Severity::Moderate
                    },
                    format!("{n} calls since the coordinator was last consulted"),
                    format!(
                        "{n} calls, this {} included, ran without a coordinator call.",
                        cx.call.tool
                    ),
                )
            } else if let Some(what) =
                complex_start(cx).filter(|_| !zen_within(cx.count(&COMPLEX_WINDOW)))
            {
                (
                    Severity::Major,
                    String::from("complex work started without the coordinator"),
                    format!(
                        "{what} ({}) with no coordinator call in the {} calls before it.",
                        cx.call.tool,
                        cx.count(&COMPLEX_WINDOW)
                    ),
                )
            } else {
                return;
            };
        out.push(
            Finding::new(
                RULE.id,
                severity,
                drift_priority(severity, n, cx.history),
            )
            .headline(headline)
            .observed(observed)
            .next_step(format!(
                "ask {} to confirm the plan before continuing",
                coordinator_name(cx.history)
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, call, read, write, Session};
    use serde_json::json;

    fn sev(s: &mut Session, c: crate::ToolCall) -> Option<Severity> {
        s.step(&CoordinatorBypass, c).first().map(|f| f.severity)
    }

    #[test]
    fn native_run_thresholds() {
        let mut s = Session::hive();
        s.feed(call("mcp__zen__chat", json!({})));
        let got: Vec<Option<Severity>> = (0..7).map(|_| sev(&mut s, read("/p/a"))).collect();
        assert_eq!(
            got,
            vec![
                None,
                None,
                None,
                Some(Severity::Moderate),
                Some(Severity::Moderate),
                Some(Severity::Major),
                Some(Severity::Major)
            ]
        );
        assert_eq!(sev(&mut s, call("mcp__zen__chat", json!({}))), None);
        assert_eq!(sev(&mut s, read("/p/a")), None, "coordinator resets");
    }

    #[test]
    fn flow_and_storage_workers() {
        let mut s = Session::hive();
        assert_eq!(
            sev(
                &mut s,
                call("mcp__claude-flow__agent_spawn", json!({"type": "coder"}))
            ),
            Some(Severity::Moderate)
        );
        let mut s = Session::hive();
        s.feed(call("mcp__zen__chat", json!({})));
        for _ in 0..4 {
            s.feed(call("mcp__github__x", json!({})));
        }
        // the coordinator was 5 calls back: inside the flow window of 5
        assert_eq!(
            sev(&mut s, call("mcp__claude-flow__agent_spawn", json!({}))),
            None
        );
        let mut s = Session::hive();
        s.feed(call("mcp__zen__chat", json!({})));
        assert_eq!(
            sev(&mut s, call("mcp__filesystem__write", json!({}))),
            None,
            "coordinator 1 call back"
        );
        s.feed(call("mcp__github__x", json!({})));
        s.feed(call("mcp__github__x", json!({})));
        // coordinator 4 calls back, n = 4: moderate
        assert_eq!(
            sev(&mut s, call("mcp__filesystem__write", json!({}))),
            Some(Severity::Moderate)
        );
        let mut s = Session::hive();
        assert_eq!(
            sev(&mut s, call("mcp__filesystem__write", json!({}))),
            Some(Severity::Minor),
            "n = 1 < 3"
        );
    }

    #[test]
    fn complex_starts() {
        let mut s = Session::hive();
        assert_eq!(
            sev(&mut s, call("Task", json!({"description": "x"}))),
            Some(Severity::Major)
        );
        let mut s = Session::hive();
        assert_eq!(sev(&mut s, write("/p/a.txt", &"x".repeat(1000))), None);
        assert_eq!(
            sev(&mut s, write("/p/a.txt", &"x".repeat(1001))),
            Some(Severity::Major)
        );
        let mut s = Session::hive();
        assert_eq!(
            sev(&mut s, write("/p/Cargo.toml", "[package]")),
            Some(Severity::Major)
        );
        let mut s = Session::hive();
        assert_eq!(sev(&mut s, bash("mkdir -p src/x")), Some(Severity::Major));
        let mut s = Session::hive();
        assert_eq!(sev(&mut s, bash("mkdir src")), None);
        let mut s = Session::hive();
        let edits: Vec<_> = (0..4)
            .map(|_| json!({"old_string":"a","new_string":"b"}))
            .collect();
        assert_eq!(
            sev(
                &mut s,
                call("MultiEdit", json!({"file_path": "/p/a", "edits": edits}))
            ),
            Some(Severity::Major)
        );
        let mut s = Session::hive();
        let edits: Vec<_> = (0..3)
            .map(|_| json!({"old_string":"a","new_string":"b"}))
            .collect();
        assert_eq!(
            sev(
                &mut s,
                call("MultiEdit", json!({"file_path": "/p/a", "edits": edits}))
            ),
            None
        );
        let mut s = Session::hive();
        s.feed(call("mcp__zen__planner", json!({})));
        assert_eq!(sev(&mut s, call("Task", json!({}))), None, "coordinated");
        // complex-window 2: a coordinator call 2 calls back still counts, 3 back does not
        let mut s = Session::hive();
        s.feed(call("mcp__zen__planner", json!({})));
        s.feed(call("mcp__github__x", json!({})));
        assert_eq!(sev(&mut s, call("Task", json!({}))), None, "2 back");
        let mut s = Session::hive();
        s.feed(call("mcp__zen__planner", json!({})));
        s.feed(call("mcp__github__x", json!({})));
        s.feed(call("mcp__github__x", json!({})));
        assert_eq!(
            sev(&mut s, call("Task", json!({}))),
            Some(Severity::Major),
            "3 back"
        );
    }
}
