//! Session-wide counters, shared by all streams: tools used and their hive families, code not yet
//! covered by a check, the checks seen, and the events recorded by kind.

use super::limits::PER_TOOL_CAPACITY;
use super::Pending;
use super::{Fact, History};
use crate::settings::{Families, Family};
use crate::{Category, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The events recorded for a session, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventCounts {
    /// Successful calls (`PostToolUse`).
    pub post_tool_use: u64,
    /// Calls that ran and failed or were interrupted (`PostToolUseFailure`; older clients report
    /// a failure inside a `PostToolUse` response, and it is counted here too).
    pub post_tool_use_failure: u64,
    /// `PostToolBatch` events (one per assistant turn).
    pub post_tool_batch: u64,
    /// Calls refused before they ran, learned from batch events.
    pub rejected: u64,
    /// `Stop` events (the main thread about to end its turn).
    pub stop: u64,
    /// `SubagentStop` events.
    pub subagent_stop: u64,
    /// `SubagentStart` events.
    pub subagent_start: u64,
    /// `PostCompact` events (the model's context was compacted).
    pub post_compact: u64,
}

/// Running counters over the whole session, updated as each fact is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// The session has used a `mcp__zen__*` or `mcp__claude-flow__*` tool.
    pub hive_seen: bool,
    /// File writes since the last test or build command.
    pub edits_since_check: u32,
    /// Failed calls in the session.
    pub failures: u64,
    /// Calls per tool name.
    pub per_tool: BTreeMap<String, u64>,
    /// Whether the latest call was a successful file op on a file not read or written before it in
    /// the session (as far as the bounded file set remembers).
    pub new_file: bool,
    /// The hive families of tools the session has used.
    pub families: Families,
    /// The streams (hashes of their agent ids; 0: the main thread) that read hive memory, at most
    /// eight.
    pub memory_readers: Vec<u64>,
    /// Whether any stream has written to hive memory.
    pub memory_written: bool,
    /// Code changed since the last check that covers its language, per language.
    pub unchecked: Vec<Unchecked>,
    /// The last check command head seen per language bit (`mix test`, `npx vitest`): what this
    /// session's own tests are.
    pub checks: BTreeMap<u16, String>,
    /// The latest call was a successful `git commit`: what it committed is no longer pending.
    pub committed: bool,
    /// The whole session's code changed since its last check, and the checks (what the main
    /// thread's stop is judged on; a commit does not clear it).
    pub pending: Pending,
}

impl Counters {
    /// The hive families the fact shows the session uses.
    pub(super) fn note_families(&mut self, fact: &Fact) {
        if matches!(fact.cat, Category::McpZen | Category::McpFlow) {
            self.hive_seen = true;
        }
        if fact.cat == Category::McpZen {
            self.families.add(Family::Coordinator);
        }
        let flow_command = fact.cmd.as_deref().is_some_and(|h| {
            h == "npx claude-flow"
                || h.starts_with("npx claude-flow@")
                || h.starts_with("npx @claude-flow/")
        });
        if fact.cat == Category::McpFlow
            || fact.tool.starts_with("mcp__ruv-swarm__")
            || flow_command
        {
            self.families.add(Family::Flow);
        }
        if fact.is_memory() {
            self.families.add(Family::Memory);
        }
    }

    /// Code changes not yet covered by a check, checks that cover them, and commits that land
    /// them; `at` is the fact's number in the session.
    pub(super) fn note_checks(&mut self, fact: &Fact, at: u64) {
        if self.committed {
            // The previous call committed: what it committed is no longer pending.
            self.unchecked.clear();
            self.committed = false;
        }
        if fact.ok && fact.is_commit() {
            self.committed = true;
        }
        if let (Some(head), true) = (&fact.cmd, fact.langs != 0) {
            let covered = fact.langs;
            self.unchecked.retain(|u| u.lang & covered == 0);
            if covered != u16::MAX {
                for bit in (0..16).map(|i| 1u16 << i).filter(|b| covered & b != 0) {
                    self.checks.insert(bit, head.clone());
                }
            }
        } else if fact.is_write() && fact.ok && fact.langs != 0 {
            let path = fact.path.clone().unwrap_or_default();
            if let Some(u) = self.unchecked.iter_mut().find(|u| u.lang == fact.langs) {
                u.changes += 1;
                u.at = at;
                u.path = path;
            } else if self.unchecked.len() < 16 {
                self.unchecked.push(Unchecked {
                    lang: fact.langs,
                    path,
                    changes: 1,
                    at,
                });
            }
        }
        if fact.is_check() {
            self.edits_since_check = 0;
        } else if fact.is_write() && fact.ok {
            self.edits_since_check += 1;
        }
    }

    /// Failures and calls per tool.
    pub(super) fn note_call(&mut self, fact: &Fact) {
        if !fact.ok {
            self.failures += 1;
        }
        if let Some(n) = self.per_tool.get_mut(fact.tool.as_str()) {
            *n += 1;
        } else if self.per_tool.len() < PER_TOOL_CAPACITY {
            self.per_tool.insert(fact.tool.clone(), 1);
        }
    }
}

/// Code of one language changed since the last check that covers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unchecked {
    /// The language bit.
    pub lang: u16,
    /// The file changed last (cut to 512 characters).
    pub path: String,
    /// Successful changes since the last covering check.
    pub changes: u32,
    /// `events_total` at the latest change.
    pub at: u64,
}

impl History {
    /// The event counts and the session's call total and times.
    pub(super) fn note_event(&mut self, fact: &Fact) {
        match fact.outcome {
            Outcome::Rejected => self.events.rejected += 1,
            Outcome::Ok => self.events.post_tool_use += 1,
            Outcome::Failed | Outcome::Interrupted => self.events.post_tool_use_failure += 1,
        }
        if fact.outcome != Outcome::Rejected {
            if self.events_total == 0 {
                self.first_ts = fact.ts;
            }
            self.events_total += 1;
        }
        self.last_ts = self.last_ts.max(fact.ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolCall;
    use serde_json::json;

    fn bash(cmd: &str) -> ToolCall {
        ToolCall::new("Bash", json!({ "command": cmd }))
    }

    #[test]
    fn counters_follow_the_catalogue() {
        let mut h = History::new();
        h.record(&ToolCall::new("mcp__claude-flow__swarm_init", json!({})));
        assert_eq!(h.stream.flow_uncoordinated, 1);
        assert!(h.counters.hive_seen);
        h.record(&ToolCall::new("mcp__zen__chat", json!({})));
        assert_eq!(h.stream.since_coordinator, 0);
        h.record(&ToolCall::new("mcp__claude-flow__agent_spawn", json!({})));
        assert_eq!(h.stream.flow_uncoordinated, 1, "coordinated call");
        assert_eq!(h.stream.native_run, 0);
        h.record(&ToolCall::new(
            "Edit",
            json!({"file_path": "/p/a.rs", "new_string": "x"}),
        ));
        h.record(&ToolCall::new(
            "Write",
            json!({"file_path": "/p/b.rs", "content": "x"}),
        ));
        assert_eq!(h.counters.edits_since_check, 2);
        assert!(h.has_seen_file("/p/a.rs"));
        assert!(!h.has_seen_file("/p/c.rs"));
        h.record(&bash("cargo test"));
        assert_eq!(h.counters.edits_since_check, 0);
        assert_eq!(h.stream.native_run, 3);
        assert_eq!(h.stream.since_coordinator, 4);
    }
}
