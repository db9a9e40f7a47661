//! Native overuse (catalogue §1, `excessive_native`): a long run of consecutive native (non-`mcp__`)
//! calls in a hive session.

use super::shared::{coordinator_name, memory_name};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const MINOR: Threshold = Threshold::new(
    "native-overuse.minor",
    3.0,
    "consecutive native calls that earn a minor hint (fires when the run reaches exactly this)",
);
pub(crate) const MODERATE: Threshold = Threshold::new(
    "native-overuse.moderate",
    5.0,
    "consecutive native calls that earn a moderate hint (fires when the run reaches exactly this)",
);
pub(crate) const MAJOR: Threshold = Threshold::new(
    "native-overuse.major",
    7.0,
    "consecutive native calls from which every native call is a major finding",
);

/// Native overuse: `c == 3` minor (priority 20), `c == 5` moderate (40), `c >= 7` major (70).
pub struct NativeOveruse;

const RULE: Rule = Rule {
    id: "native-overuse",
    kind: Kind::Protocol,
    family: Family::Coordinator,
    doc: "a long run of native calls in a session that coordinates through `mcp__zen__*`",
};

impl NativeOveruse {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::Native,
        thresholds: &[MINOR, MODERATE, MAJOR],
        critical: false,
        make: || Box::new(NativeOveruse),
    };
}

impl Analyzer for NativeOveruse {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if cx.fact.is_mcp() {
            return;
        }
        let c = u64::from(cx.history.stream.native_run);
        let (severity, priority) = if c >= cx.count(&MAJOR) {
            (Severity::Major, 70)
        } else if c == cx.count(&MODERATE) {
            (Severity::Moderate, 40)
        } else if c == cx.count(&MINOR) {
            (Severity::Minor, 20)
        } else {
            return;
        };
        out.push(
            Finding::new(RULE.id, severity, priority)
                .headline(format!("{c} native tool calls in a row, none through MCP"))
                .observed(format!(
                    "The last {c} calls were native tools ({}); no MCP tool since.",
                    cx.history.last_tools(3).join(", ")
                ))
                .next_step(format!(
                    "check the plan with {} or record progress with {} before the next native call",
                    coordinator_name(cx.history),
                    memory_name(cx.history)
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{call, read, Session};
    use serde_json::json;

    #[test]
    fn thresholds() {
        let mut s = Session::hive();
        let sev: Vec<Option<Severity>> = (0..8)
            .map(|_| {
                s.step(&NativeOveruse, read("/p/a"))
                    .first()
                    .map(|f| f.severity)
            })
            .collect();
        assert_eq!(
            sev,
            vec![
                None,
                None,
                Some(Severity::Minor),
                None,
                Some(Severity::Moderate),
                None,
                Some(Severity::Major),
                Some(Severity::Major)
            ]
        );
        assert!(s
            .step(&NativeOveruse, call("mcp__zen__chat", json!({})))
            .is_empty());
        assert!(
            s.step(&NativeOveruse, read("/p/a")).is_empty(),
            "an mcp call resets the run"
        );
    }

    #[test]
    fn configurable_and_off_in_default() {
        let mut s = Session::hive();
        s.set("native-overuse.minor", 2.0);
        assert!(s.step(&NativeOveruse, read("/p/a")).is_empty());
        assert_eq!(s.step(&NativeOveruse, read("/p/a")).len(), 1);
        let mut d = Session::default_profile();
        for _ in 0..8 {
            assert!(d.step(&NativeOveruse, read("/p/a")).is_empty());
        }
    }
}
