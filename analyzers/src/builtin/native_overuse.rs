//! Drift detection (catalogue §1).

use crate::{Analyzer, Context, Finding, Severity};

/// Native overuse: a long run of consecutive native (non-`mcp__`) calls in a hive session.
pub struct NativeOveruse;

impl NativeOveruse {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["native-overuse"];
}

impl Analyzer for NativeOveruse {
    fn name(&self) -> &'static str {
        "native-overuse"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("native-overuse") || cx.fact.is_mcp() {
            return;
        }
        let c = cx.history.counters.native_run;
        let minor = cx.threshold("native-overuse.minor", 3.0) as u32;
        let moderate = cx.threshold("native-overuse.moderate", 5.0) as u32;
        let major = cx.threshold("native-overuse.major", 7.0) as u32;
        let (severity, priority) = if c >= major {
            (Severity::Major, 70)
        } else if c == moderate {
            (Severity::Moderate, 40)
        } else if c == minor {
            (Severity::Minor, 20)
        } else {
            return;
        };
        out.push(
            Finding::new("native-overuse", severity, priority)
                .headline("many native tool calls without coordination")
                .observed(format!(
                    "{c} native calls in a row with no MCP tool in between."
                ))
                .next_step(
                    "check in with the coordinator (a mcp__zen__ tool) or record progress in memory before continuing",
                ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{History, NoCache, Profile, Settings, ToolCall};
    use serde_json::json;

    fn run(history: &mut History, tool: &str) -> Vec<Finding> {
        let settings = Settings::with_profile(Profile::Hive);
        let call = ToolCall::new(tool, json!({}));
        history.record(&call);
        let fact = history.last().cloned().expect("recorded");
        let cx = Context {
            call: &call,
            fact: &fact,
            history,
            settings: &settings,
            cache: &NoCache,
        };
        let mut out = Vec::new();
        NativeOveruse.analyze(&cx, &mut out);
        out
    }

    #[test]
    fn thresholds() {
        let mut h = History::new();
        let sev: Vec<Option<Severity>> = (0..8)
            .map(|_| run(&mut h, "Read").first().map(|f| f.severity))
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
        assert!(run(&mut h, "mcp__zen__chat").is_empty());
        assert!(run(&mut h, "Read").is_empty(), "an mcp call resets the run");
    }
}
