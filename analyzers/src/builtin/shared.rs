//! Helpers shared by the rules: the catalogue's drift priority, the share of MCP calls, the
//! session's own tools to name in advice, and whether a call was made in the same turn.

use crate::{Fact, History, Severity};

/// The catalogue's priority of a drift finding: `severity*10 + (20 if n>5 else 10 if n>3 else 0)
/// + (15 if mcp_ratio<0.3 else 10 if mcp_ratio<0.5 else 0)`, with `n` the rule's run length and
/// `mcp_ratio` the share of `mcp__` tools among the last 10 calls.
pub(crate) fn drift_priority(severity: Severity, n: u64, history: &History) -> u32 {
    let run = if n > 5 {
        20
    } else if n > 3 {
        10
    } else {
        0
    };
    let ratio = mcp_ratio(history, 10);
    let mcp = if ratio < 0.3 {
        15
    } else if ratio < 0.5 {
        10
    } else {
        0
    };
    severity.level() * 10 + run + mcp
}

/// Share of `mcp__` tools among the last `window` calls (0 for an empty history).
pub(crate) fn mcp_ratio(history: &History, window: usize) -> f64 {
    let mut n = 0u32;
    let mut mcp = 0u32;
    for f in history.recent.iter().rev().take(window) {
        n += 1;
        if f.is_mcp() {
            mcp += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        f64::from(mcp) / f64::from(n)
    }
}

/// The session's most used tool that `pred` accepts, to name in advice (advice names only tools the
/// session has used).
pub(crate) fn used_tool(history: &History, pred: impl Fn(&str) -> bool) -> Option<&str> {
    history
        .counters
        .per_tool
        .iter()
        .filter(|(t, _)| pred(t))
        .max_by_key(|(_, n)| **n)
        .map(|(t, _)| t.as_str())
}

/// "the coordinator" with the session's coordinator tool named, when it has used one.
pub(crate) fn coordinator_name(history: &History) -> String {
    match used_tool(history, |t| t.starts_with("mcp__zen__")) {
        Some(t) => format!("the coordinator ({t})"),
        None => String::from("the coordinator"),
    }
}

/// "a memory tool" with the session's memory tool named, when it has used one.
pub(crate) fn memory_name(history: &History) -> String {
    match used_tool(history, |t| t.contains("memory")) {
        Some(t) => format!("the memory tool ({t})"),
        None => String::from("a memory tool"),
    }
}

/// Whether `fact` was made in the same assistant turn as the call before it in its stream: as the
/// turn's batch event tells when the client sends them, else by the time gap between the two.
pub(crate) fn same_turn(fact: &Fact, parallel_gap_ms: u64) -> bool {
    fact.same_turn
        .unwrap_or_else(|| fact.gap.is_some_and(|g| g < parallel_gap_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_priority_follows_the_formula() {
        let h = History::new();
        assert_eq!(drift_priority(Severity::Moderate, 3, &h), 20 + 15);
        assert_eq!(drift_priority(Severity::Moderate, 4, &h), 20 + 10 + 15);
        assert_eq!(drift_priority(Severity::Major, 6, &h), 30 + 20 + 15);
        let mut h = History::new();
        for t in ["mcp__zen__chat", "Read", "mcp__x__y", "Read"] {
            h.record(&crate::ToolCall::new(t, serde_json::json!({})));
        }
        // ratio 0.5: no bonus
        assert_eq!(drift_priority(Severity::Minor, 1, &h), 10);
        h.record(&crate::ToolCall::new("Read", serde_json::json!({})));
        // ratio 0.4: +10
        assert_eq!(drift_priority(Severity::Minor, 1, &h), 20);
    }

    #[test]
    fn same_turn_uses_the_gap() {
        let mut f = Fact::from_call(&crate::ToolCall::new("Read", serde_json::json!({})), None);
        assert!(!same_turn(&f, 2000));
        f.gap = Some(1999);
        assert!(same_turn(&f, 2000));
        f.gap = Some(2000);
        assert!(!same_turn(&f, 2000));
        f.same_turn = Some(true);
        assert!(same_turn(&f, 2000), "a batch event overrides the gap");
        f.gap = Some(10);
        f.same_turn = Some(false);
        assert!(!same_turn(&f, 2000));
    }
}
