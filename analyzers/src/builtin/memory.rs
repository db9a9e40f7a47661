//! Memory coordination (catalogue §3): decisions and context switches that are not recorded in
//! hive memory.

use super::shared::memory_name;
use super::{Builtin, Kind, Rule, Tools};
use crate::text::tags;
use crate::{Family, truncate_chars, Analyzer, Context, Fact, Finding, Severity, Threshold};

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

const COORDINATION: Rule = Rule {
    id: "memory-coordination",
    kind: Kind::Protocol,
    family: Family::Memory,
    doc: "decisions and large changes not recorded in the hive memory the session uses",
};

const UNWRITTEN: Rule = Rule {
    id: "memory-unwritten",
    kind: Kind::Protocol,
    family: Family::Memory,
    doc: "three agents read hive memory that no agent has written: what they poll can only come back empty",
};

impl MemoryCoordination {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: COORDINATION.id,
        rules: &[COORDINATION, UNWRITTEN],
        tools: Tools::All,
        thresholds: &[WINDOW, DECISIONS, SWITCHES, MEMORY_WINDOW, LARGE_WRITE, READERS],
        critical: false,
        make: || Box::new(MemoryCoordination),
    };
}

fn decision_point(f: &Fact, large_write: u64) -> bool {
    match f.tool.as_str() {
        "Task" | "Agent" => true,
        "Write" => f.in_len > large_write,
        "Bash" => f.tags & (tags::GIT | tags::PKG) != 0,
        _ => false,
    }
}

/// A claude-flow hooks command (`npx claude-flow@alpha hooks post-edit --memory-key ...`): it
/// records the step in the flow's own memory store, which is coordination as much as a memory tool.
fn is_flow_hook(f: &Fact) -> bool {
    f.cmd
        .as_deref()
        .is_some_and(|h| h.starts_with("npx claude-flow") || h.starts_with("npx @claude-flow/"))
}

/// How many agents (streams) must have read hive memory that nobody wrote before
/// `memory-unwritten` says so.
pub(crate) const READERS: Threshold = Threshold::new(
    "memory-unwritten.readers",
    3.0,
    "agents that read hive memory (list, search, retrieve) while no agent ever wrote to it",
);

/// Hive memory that several agents read and none writes (moderate, 55, once per session): every
/// poll comes back empty, and the agents believe they coordinate.
fn unwritten_memory(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let c = &cx.history.counters;
    if cx.fact.mem != crate::history::MEM_READ
        || c.memory_written
    {
        return;
    }
    let readers = c.memory_readers.len() as u64;
    if readers != cx.count(&READERS).max(2) {
        return;
    }
    out.push(
        Finding::new(UNWRITTEN.id, Severity::Moderate, 55)
            .subject("memory")
            .headline(format!("{readers} agents read hive memory that no agent has written"))
            .observed(format!(
                "{} reads of hive memory ({}) by {readers} agents so far, and not one store: what they poll can only come back empty.",
                cx.history.counters.per_tool.iter().filter(|(t, _)| t.contains("memory")).map(|(_, n)| n).sum::<u64>(),
                truncate_chars(&cx.fact.tool, 60)
            ))
            .next_step("have each agent store its findings in that memory (a store action) before others read it, or read the store the agents actually write"),
    );
}

impl Analyzer for MemoryCoordination {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        unwritten_memory(cx, out);
        if cx.fact.is_memory() || is_flow_hook(cx.fact) {
            return;
        }
        let memory_window = cx.count(&MEMORY_WINDOW) as usize;
        if cx
            .history
            .recent
            .iter()
            .rev()
            .take(memory_window)
            .any(|f| f.is_memory() || is_flow_hook(f))
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
            Finding::new(COORDINATION.id, Severity::Moderate, 50)
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

    #[test]
    fn memory_several_agents_read_and_nobody_writes() {
        let list = || call("mcp__claude-flow__memory_usage", json!({"action": "list"}));
        let mut s = Session::hive();
        assert!(s.step(&MemoryCoordination, list().in_agent("a")).is_empty());
        assert!(
            s.step(&MemoryCoordination, list().in_agent("a")).is_empty(),
            "one agent"
        );
        assert!(
            s.step(&MemoryCoordination, list().in_agent("b")).is_empty(),
            "two"
        );
        let f = s.step(&MemoryCoordination, list().in_agent("c"));
        assert_eq!(f.len(), 1, "a third agent polls it");
        assert_eq!(f[0].rule, UNWRITTEN.id);
        assert!(
            f[0].headline.starts_with("3 agents read hive memory"),
            "{}",
            f[0].headline
        );
        assert!(
            s.step(&MemoryCoordination, list().in_agent("d")).is_empty(),
            "said once"
        );
        // Once an agent stores something, reading it is how coordination works.
        let mut s = Session::hive();
        s.feed(call(
            "mcp__claude-flow__memory_usage",
            json!({"action": "store", "key": "k"}),
        ));
        for a in ["a", "b", "c", "d"] {
            assert!(s.step(&MemoryCoordination, list().in_agent(a)).is_empty());
        }
    }

    #[test]
    fn a_flow_hooks_command_is_a_memory_record() {
        let mut s = Session::hive();
        s.feed(call("Task", json!({})));
        assert!(
            s.step(
                &MemoryCoordination,
                bash("npx claude-flow@alpha hooks post-edit --file a.md --memory-key k")
            )
            .is_empty(),
            "the hook stores it"
        );
        assert!(
            s.step(&MemoryCoordination, call("Task", json!({})))
                .is_empty(),
            "recorded 1 call ago"
        );
    }
}
