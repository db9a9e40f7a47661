//! Memory coordination (catalogue §3): decisions and context switches that are not recorded in
//! hive memory.

use super::shared::memory_name;
use crate::text::tags;
use crate::{Analyzer, Context, Fact, Finding, Severity, Threshold};

pub(crate) const WINDOW: Threshold = Threshold::new(
    "memory-coordination.window",
    10.0,
    "how many recent calls (this one included) are searched for decision points and context switches",
);
pub(crate) const DECISIONS: Threshold = Threshold::new(
    "memory-coordination.decisions",
    2.0,
    "decision points in the window that call for a memory record",
);
pub(crate) const SWITCHES: Threshold = Threshold::new(
    "memory-coordination.switches",
    3.0,
    "context switches in the window that call for a memory record",
);
pub(crate) const MEMORY_WINDOW: Threshold = Threshold::new(
    "memory-coordination.memory-window",
    5.0,
    "a memory tool among this many recent calls counts as recording",
);
pub(crate) const LARGE_WRITE: Threshold = Threshold::new(
    "memory-coordination.large-write",
    500.0,
    "a Write with more content than this (bytes) is a decision point",
);

/// Memory coordination: decision points (Task; Write > 500 bytes; Bash with git, npm, pip or cargo)
/// and context switches (the category differs from the previous call's) in the recent window; with
/// >= 2 decisions or >= 3 switches and no memory tool in the last 5 calls: moderate, priority 50.
///
/// The original compared a call's category with itself, so it never counted a switch; here each
/// call is compared with the one before it.
pub struct MemoryCoordination;

fn decision_point(f: &Fact, large_write: u64) -> bool {
    match f.tool.as_str() {
        "Task" | "Agent" => true,
        "Write" => f.in_len > large_write,
        "Bash" => f.tags & (tags::GIT | tags::PKG) != 0,
        _ => false,
    }
}

impl Analyzer for MemoryCoordination {
    fn name(&self) -> &'static str {
        "memory-coordination"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("memory-coordination") || cx.fact.is_memory() {
            return;
        }
        let memory_window = cx.count(&MEMORY_WINDOW) as usize;
        if cx
            .history
            .recent
            .iter()
            .rev()
            .take(memory_window)
            .any(Fact::is_memory)
        {
            return;
        }
        let large = cx.count(&LARGE_WRITE);
        let mut decisions = 0u64;
        let mut switches = 0u64;
        let mut newer: Option<&Fact> = None;
        let window = cx.count(&WINDOW) as usize;
        for f in cx.history.recent.iter().rev().take(window) {
            if decision_point(f, large) {
                decisions += 1;
            }
            if newer.is_some_and(|n| n.cat != f.cat) {
                switches += 1;
            }
            newer = Some(f);
        }
        let by_decisions = decisions >= cx.count(&DECISIONS);
        if !by_decisions && switches < cx.count(&SWITCHES) {
            return;
        }
        let n = cx.history.recent.len().min(window);
        out.push(
            Finding::new("memory-coordination", Severity::Moderate, 50)
                .headline(if by_decisions {
                    "decisions made without recording them in memory"
                } else {
                    "context switches without recording state in memory"
                })
                .observed(format!(
                    "{decisions} decision points and {switches} context switches in the last {n} calls, and no memory tool in the last {memory_window}."
                ))
                .next_step(format!(
                    "store what was decided and why with {} before going on",
                    memory_name(cx.history)
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, call, read, write, Session};
    use serde_json::json;

    #[test]
    fn decision_points() {
        let mut s = Session::hive();
        assert!(s.step(&MemoryCoordination, bash("git status")).is_empty());
        assert!(s.step(&MemoryCoordination, bash("ls")).is_empty());
        assert_eq!(
            s.step(&MemoryCoordination, bash("npm test")).len(),
            1,
            "2 decision points"
        );
        let mut s = Session::hive();
        assert!(s
            .step(&MemoryCoordination, write("/p/a", &"x".repeat(500)))
            .is_empty());
        assert_eq!(
            s.step(&MemoryCoordination, write("/p/a", &"x".repeat(501)))
                .len(),
            0,
            "one decision point: the second write"
        );
        assert_eq!(
            s.step(&MemoryCoordination, call("Task", json!({}))).len(),
            1
        );
    }

    #[test]
    fn context_switches_are_counted_between_calls() {
        let mut s = Session::hive();
        s.feed(read("/p/a"));
        s.feed(call("Grep", json!({})));
        // file -> search -> file: 2 switches
        assert!(s.step(&MemoryCoordination, read("/p/b")).is_empty());
        // -> execution: 3 switches
        let f = s.step(&MemoryCoordination, bash("ls"));
        assert!(
            f[0].observed.contains("3 context switches"),
            "{}",
            f[0].observed
        );
        let mut same = Session::hive();
        for _ in 0..10 {
            assert!(same.step(&MemoryCoordination, read("/p/a")).is_empty());
        }
    }

    #[test]
    fn memory_use_silences() {
        let mut s = Session::hive();
        s.feed(bash("git status"));
        s.feed(call(
            "mcp__claude-flow__memory_usage",
            json!({"action": "store"}),
        ));
        assert!(s.step(&MemoryCoordination, bash("git diff")).is_empty());
        for _ in 0..3 {
            s.feed(read("/p/a"));
        }
        assert_eq!(
            s.step(&MemoryCoordination, bash("git log")).len(),
            1,
            "memory call now 5 calls back"
        );
    }

    #[test]
    fn decisions_leave_the_window() {
        let mut s = Session::hive();
        s.feed(bash("git status"));
        for _ in 0..8 {
            s.feed(read("/p/a"));
        }
        // git status is 10 calls back with this one: still in the window of 10
        assert_eq!(s.step(&MemoryCoordination, bash("git diff")).len(), 1);
        let mut s = Session::hive();
        s.feed(bash("git status"));
        for _ in 0..9 {
            s.feed(read("/p/a"));
        }
        assert!(
            s.step(&MemoryCoordination, bash("git diff")).is_empty(),
            "11 back"
        );
        s.set("memory-coordination.window", 11.0);
        assert_eq!(s.step(&MemoryCoordination, bash("git log")).len(), 1);
    }

    #[test]
    fn off_in_default_profile() {
        let mut s = Session::default_profile();
        s.feed(bash("git status"));
        assert!(s.step(&MemoryCoordination, bash("git diff")).is_empty());
    }
}
