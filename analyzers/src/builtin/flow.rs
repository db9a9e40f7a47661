//! Flow coordination (catalogue §1): flow workers (`mcp__claude-flow__*`) driven without the
//! coordinator, and swarms started in the wrong shape.

use super::shared::{coordinator_name, drift_priority};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Category, Context, Finding, Severity, Threshold};
use serde_json::Value;

pub(crate) const WINDOW: Threshold = Threshold::new(
    "flow-coordination.window",
    3.0,
    "a flow-worker call needs a coordinator call among this many calls before it",
);
pub(crate) const MAJOR_AFTER: Threshold = Threshold::new(
    "flow-coordination.major-after",
    2.0,
    "uncoordinated flow-worker calls in the session above which the finding is major",
);
pub(crate) const MAX_AGENTS: Threshold = Threshold::new(
    "flow-coordination.max-agents",
    5.0,
    "a swarm with more agents than this should use a hierarchical or mesh topology",
);

/// Flow coordination: a flow-worker call with no coordinator call in the last 3 (moderate; major
/// once more than 2 such calls happened), else a swarm whose topology is not hierarchical/mesh with
/// more than 5 agents (`wrong_tool_order`, moderate, priority 50).
pub struct FlowCoordination;

const RULE: Rule = Rule {
    id: "flow-coordination",
    kind: Kind::Protocol,
    family: Family::Flow,
    doc: "flow workers called before the coordinator planned the step; a large flat swarm",
};

impl FlowCoordination {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Flow,
        thresholds: &[WINDOW, MAJOR_AFTER, MAX_AGENTS],
        critical: false,
        make: || Box::new(FlowCoordination),
    };
}

impl Analyzer for FlowCoordination {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.cat != Category::McpFlow {
            return;
        }
        let window = cx.count(&WINDOW) as usize;
        let coordinated = cx
            .previous()
            .take(window)
            .any(|f| f.cat == Category::McpZen);
        // "Plan it with the coordinator first" is only true in a session that has one: many flow
        // sessions have no zen server at all.
        let has_coordinator = cx.history.counters.families.has(crate::Family::Coordinator);
        if !coordinated && has_coordinator {
            let k = u64::from(cx.history.stream.flow_uncoordinated);
            let severity = if k > cx.count(&MAJOR_AFTER) {
                Severity::Major
            } else {
                Severity::Moderate
            };
            out.push(
                Finding::new(
                    RULE.id,
                    severity,
                    drift_priority(severity, k, cx.history),
                )
                .headline("flow worker called before the coordinator planned the step")
                .observed(format!(
                    "{} ran with no coordinator call in the {window} calls before it; {k} flow calls in this session were uncoordinated.",
                    cx.call.tool
                ))
                .next_step(format!(
                    "plan the step with {} first, then hand its plan to the flow workers",
                    coordinator_name(cx.history)
                )),
            );
            return;
        }
        let Some(op) = cx.call.tool.rsplit("__").next() else {
            return;
        };
        if !op.starts_with("swarm") {
            return;
        }
        let topology = cx.call.str_field("topology").unwrap_or("");
        let agents = cx.call.input.get("maxAgents").and_then(Value::as_u64);
        let max = cx.count(&MAX_AGENTS);
        if let Some(agents) = agents.filter(|&a| a > max) {
            if !matches!(topology, "hierarchical" | "mesh") {
                out.push(
                    Finding::new(RULE.id, Severity::Moderate, 50)
                        .headline("large swarm without a hierarchical or mesh topology")
                        .observed(format!(
                            "{} asked for {agents} agents with topology '{}'; above {max} agents a flat shape loses track of work.",
                            cx.call.tool,
                            if topology.is_empty() { "none" } else { topology }
                        ))
                        .next_step("initialize the swarm with topology 'hierarchical' (or 'mesh') so the agents have a coordinator"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{call, Session};
    use serde_json::json;

    fn swarm(topology: &str, agents: u64) -> crate::ToolCall {
        call(
            "mcp__claude-flow__swarm_init",
            json!({"topology": topology, "maxAgents": agents}),
        )
    }

    #[test]
    fn uncoordinated_flow_calls_escalate() {
        let mut s = Session::hive();
        s.feed(call("mcp__zen__chat", json!({})));
        for _ in 0..3 {
            s.feed(call("Read", json!({})));
        }
        let sev: Vec<Severity> = (0..4)
            .map(|_| {
                s.step(
                    &FlowCoordination,
                    call("mcp__claude-flow__agent_spawn", json!({"type": "x"})),
                )[0]
                .severity
            })
            .collect();
        assert_eq!(
            sev,
            vec![
                Severity::Moderate,
                Severity::Moderate,
                Severity::Major,
                Severity::Major
            ]
        );
    }

    #[test]
    fn coordinated_flow_call_is_fine_unless_swarm_shape_is_wrong() {
        let mut s = Session::hive();
        s.feed(call("mcp__zen__planner", json!({})));
        assert!(s
            .step(&FlowCoordination, swarm("hierarchical", 8))
            .is_empty());
        s.feed(call("mcp__zen__planner", json!({})));
        assert!(s.step(&FlowCoordination, swarm("star", 5)).is_empty());
        s.feed(call("mcp__zen__planner", json!({})));
        let f = s.step(&FlowCoordination, swarm("star", 6));
        assert_eq!(f[0].priority, 50);
        assert!(f[0].observed.contains("6 agents"));
        // coordinator 3 calls back is still inside the window
        s.feed(call("mcp__zen__planner", json!({})));
        s.feed(call("Read", json!({})));
        s.feed(call("Read", json!({})));
        assert!(s.step(&FlowCoordination, swarm("mesh", 8)).is_empty());
    }

    #[test]
    fn uncoordinated_wins_over_shape() {
        let mut s = Session::hive();
        s.feed(call("mcp__zen__chat", json!({})));
        for _ in 0..3 {
            s.feed(call("Read", json!({})));
        }
        let f = s.step(&FlowCoordination, swarm("star", 8));
        assert!(f[0].headline.contains("before the coordinator"));
    }

    #[test]
    fn without_a_coordinator_in_the_session_only_the_shape_is_checked() {
        let mut s = Session::hive();
        assert!(s
            .step(
                &FlowCoordination,
                call("mcp__claude-flow__agent_spawn", json!({"type": "x"}))
            )
            .is_empty());
        let f = s.step(&FlowCoordination, swarm("star", 8));
        assert!(f[0].headline.contains("large swarm"), "{}", f[0].headline);
    }
}
