//! MCP parameter checks (catalogue §5): calls to hive tools with missing or invalid parameters.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Category, Context, Finding, Severity};
use serde_json::Value;

/// Whether `tool` is one this analyzer checks (a cheap test on the name).
pub(crate) fn checked(tool: &str) -> bool {
    match Category::of(tool) {
        Category::McpZen => tool.ends_with("__thinkdeep"),
        Category::McpFlow => tool.ends_with("__swarm_init") || tool.ends_with("__agent_spawn"),
        _ => false,
    }
}

const THINKDEEP_REQUIRED: &[&str] = &[
    "step",
    "step_number",
    "total_steps",
    "next_step_required",
    "findings",
    "model",
];
const THINKING_MODES: &[&str] = &["minimal", "low", "medium", "high", "max"];
const TOPOLOGIES: &[&str] = &["hierarchical", "mesh", "ring", "star"];

/// MCP parameter checks (moderate, 45): zen `thinkdeep` needs step, step_number, total_steps,
/// next_step_required, findings and model, and a thinking_mode among minimal/low/medium/high/max;
/// claude-flow `swarm_init` needs a topology among hierarchical/mesh/ring/star and 1 <= maxAgents
/// <= 100; `agent_spawn` needs a type.
pub struct McpParams;

const RULE: Rule = Rule {
    id: "mcp-params",
    kind: Kind::Protocol,
    family: Family::Core,
    doc: "a hive MCP call (`mcp__zen__thinkdeep`, `mcp__claude-flow__swarm_init` / `agent_spawn`) with missing or invalid parameters",
};

impl McpParams {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::CheckedMcp,
        thresholds: &[],
        critical: false,
        make: || Box::new(McpParams),
    };
}

fn problems(tool: &str, input: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let missing = |k: &str| input.get(k).is_none_or(Value::is_null);
    if tool.ends_with("__thinkdeep") {
        let absent: Vec<&str> = THINKDEEP_REQUIRED
            .iter()
            .copied()
            .filter(|k| missing(k))
            .collect();
        if !absent.is_empty() {
            p.push(format!("missing {}", absent.join(", ")));
        }
        if let Some(mode) = input.get("thinking_mode") {
            if !mode.as_str().is_some_and(|m| THINKING_MODES.contains(&m)) {
                p.push(format!(
                    "thinking_mode {mode} is not one of {}",
                    THINKING_MODES.join("/")
                ));
            }
        }
    } else if tool.ends_with("__swarm_init") {
        match input.get("topology") {
            None | Some(Value::Null) => p.push(String::from("missing topology")),
            Some(t) if !t.as_str().is_some_and(|t| TOPOLOGIES.contains(&t)) => p.push(format!(
                "topology {t} is not one of {}",
                TOPOLOGIES.join("/")
            )),
            Some(_) => {}
        }
        if let Some(m) = input.get("maxAgents").filter(|m| !m.is_null()) {
            if !m.as_u64().is_some_and(|n| (1..=100).contains(&n)) {
                p.push(format!("maxAgents {m} is not between 1 and 100"));
            }
        }
    } else if tool.ends_with("__agent_spawn") && missing("type") {
        p.push(String::from("missing type"));
    }
    p
}

impl Analyzer for McpParams {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !checked(&cx.call.tool) {
            return;
        }
        let p = problems(&cx.call.tool, &cx.call.input);
        if p.is_empty() {
            return;
        }
        let op = cx.call.tool.rsplit("__").next().unwrap_or(&cx.call.tool);
        out.push(
            Finding::new(RULE.id, Severity::Moderate, 45)
                .headline(format!("{op} called with invalid parameters"))
                .observed(format!("{}: {}.", cx.call.tool, p.join("; ")))
                .next_step(format!(
                    "call {op} again with the parameters fixed as listed"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{call, Session};
    use serde_json::json;

    fn observed(tool: &str, input: Value) -> Option<String> {
        let mut s = Session::hive();
        s.step(&McpParams, call(tool, input))
            .first()
            .map(|f| f.observed.clone())
    }

    #[test]
    fn thinkdeep() {
        let ok = json!({"step": "x", "step_number": 1, "total_steps": 2, "next_step_required": true, "findings": "f", "model": "m"});
        assert_eq!(observed("mcp__zen__thinkdeep", ok.clone()), None);
        let mut bad_mode = ok.clone();
        bad_mode["thinking_mode"] = json!("extreme");
        assert!(
            observed("mcp__zen__thinkdeep", bad_mode).is_some_and(|o| o.contains("thinking_mode"))
        );
        let mut good_mode = ok;
        good_mode["thinking_mode"] = json!("max");
        assert_eq!(observed("mcp__zen__thinkdeep", good_mode), None);
        let o = observed("mcp__zen__thinkdeep", json!({"step": "x"})).expect("finding");
        assert!(
            o.contains("missing step_number, total_steps, next_step_required, findings, model"),
            "{o}"
        );
        assert!(!checked("mcp__zen__chat"));
    }

    #[test]
    fn swarm_init_and_agent_spawn() {
        let t = "mcp__claude-flow__swarm_init";
        assert_eq!(
            observed(t, json!({"topology": "star", "maxAgents": 8})),
            None
        );
        assert_eq!(
            observed(t, json!({"topology": "mesh", "maxAgents": 1})),
            None
        );
        assert_eq!(
            observed(t, json!({"topology": "mesh", "maxAgents": 100})),
            None
        );
        assert!(observed(t, json!({"topology": "mesh", "maxAgents": 101})).is_some());
        assert!(observed(t, json!({"topology": "mesh", "maxAgents": 0})).is_some());
        assert!(observed(t, json!({"topology": "blob"})).is_some());
        assert!(observed(t, json!({})).is_some_and(|o| o.contains("missing topology")));
        let a = "mcp__claude-flow__agent_spawn";
        assert_eq!(observed(a, json!({"type": "coder"})), None);
        assert!(observed(a, json!({"name": "x"})).is_some());
    }
}
