//! A session's history: compact facts about recent calls plus running counters.
//!
//! The history is what posthook persists between hook processes. It is bounded (the last
//! [`HISTORY_CAPACITY`] facts, a bounded set of file hashes, fixed counters), so loading, analyzing
//! and saving cost the same at event 10 and at event 10,000. It never holds tool outputs or file
//! contents: only tool names, categories, paths, command heads, hashes, sizes, times and flags.

use crate::text::{command_head, command_tags, fnv1a64, tags, truncate_chars};
use crate::{Category, GuidanceState, ToolCall};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// How many facts the history keeps. Every windowed rule looks at far fewer.
pub const HISTORY_CAPACITY: usize = 64;

/// How many distinct file hashes the history remembers for "was this file read?".
pub const SEEN_FILES_CAPACITY: usize = 512;

/// Paths are stored cut to this many characters.
pub const MAX_PATH_CHARS: usize = 512;
/// Tool names are stored cut to this many characters (a 20 MiB name must not grow every state).
pub const MAX_TOOL_CHARS: usize = 128;
/// Command heads are stored cut to this many characters.
pub const MAX_CMD_HEAD_CHARS: usize = 64;
/// Distinct tool names counted in [`Counters::per_tool`]; a new name past it is not counted.
pub const PER_TOOL_CAPACITY: usize = 256;

/// The compact record of one call: all that is persisted about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Tool name.
    pub tool: String,
    /// Tool category.
    pub cat: Category,
    /// File or search path, when the call had one (cut to 512 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Bash only: program and subcommand, never the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    /// Bash only: a stable hash of the whole command, to recognize the same command again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd_hash: Option<u64>,
    /// Bash only: [`crate::tags`] bits.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tags: u32,
    /// Whether the call succeeded.
    pub ok: bool,
    /// Arrival time, ms since the Unix epoch.
    pub ts: u64,
    /// Milliseconds since the previous call of the session (none for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<u64>,
    /// Size of the tool input's main payload (content, command, ...) in bytes.
    #[serde(default)]
    pub in_len: u64,
    /// Size of the tool response in bytes.
    #[serde(default)]
    pub out_len: u64,
    /// Task/Agent: 1; MultiEdit: number of edits; TodoWrite: number of todos; else 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub count: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl Fact {
    /// Extracts the facts of `call`; `prev_ts` is the previous call's arrival time.
    pub fn from_call(call: &ToolCall, prev_ts: Option<u64>) -> Fact {
        let cat = call.category();
        let command = call.command();
        let in_len = match call.tool.as_str() {
            "Write" => call.str_field("content").map_or(0, str::len),
            "Bash" => command.map_or(0, str::len),
            _ => call.new_content().map_or(0, |c| c.len()),
        } as u64;
        let count = match call.tool.as_str() {
            "MultiEdit" => call
                .input
                .get("edits")
                .and_then(|e| e.as_array())
                .map_or(0, Vec::len),
            "TodoWrite" => call
                .input
                .get("todos")
                .and_then(|e| e.as_array())
                .map_or(0, Vec::len),
            "Task" | "Agent" => 1,
            _ => 0,
        } as u32;
        let path = match cat {
            Category::File | Category::Search | Category::McpFs => call.path(),
            _ => None,
        };
        Fact {
            tool: truncate_chars(&call.tool, MAX_TOOL_CHARS).into_owned(),
            cat,
            path: path.map(|p| truncate_chars(p, MAX_PATH_CHARS).into_owned()),
            cmd: command.map(|c| truncate_chars(&command_head(c), MAX_CMD_HEAD_CHARS).into_owned()),
            cmd_hash: command.map(|c| fnv1a64(c.trim().as_bytes())),
            tags: command.map_or(0, command_tags),
            ok: !call.failed,
            ts: call.ts_ms,
            gap: prev_ts.map(|p| call.ts_ms.saturating_sub(p)),
            in_len,
            out_len: call.response_len,
            count,
        }
    }

    /// True for `mcp__*` tools.
    pub fn is_mcp(&self) -> bool {
        self.cat.is_mcp()
    }

    /// True for tools that change files.
    pub fn is_write(&self) -> bool {
        matches!(
            self.tool.as_str(),
            "Write" | "Edit" | "MultiEdit" | "NotebookEdit"
        )
    }

    /// True for tools whose name contains `memory` (hive memory).
    pub fn is_memory(&self) -> bool {
        self.tool.contains("memory")
    }

    /// True for Bash calls that ran tests or a build.
    pub fn is_check(&self) -> bool {
        self.tags & (tags::TEST | tags::BUILD) != 0
    }
}

/// Running counters over the whole session, updated as each fact is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// The session has used a `mcp__zen__*` or `mcp__claude-flow__*` tool.
    pub hive_seen: bool,
    /// Consecutive native (non-`mcp__`) calls, including the latest.
    pub native_run: u32,
    /// Calls since the last coordinator (`mcp__zen__*`) call; 0 right after one.
    pub since_coordinator: u32,
    /// Flow-worker calls made with no coordinator call in the 3 calls before them.
    pub flow_uncoordinated: u32,
    /// File writes since the last test or build command.
    pub edits_since_check: u32,
    /// Failed calls in the session.
    pub failures: u64,
    /// Calls per tool name.
    pub per_tool: BTreeMap<String, u64>,
    /// Whether the latest call was a successful file op on a file not read or written before it in
    /// the session (as far as the bounded file set remembers).
    pub new_file: bool,
}

/// The persisted state of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    /// Number of events ever recorded for the session.
    pub events_total: u64,
    /// Arrival time of the first event.
    pub first_ts: u64,
    /// Arrival time of the latest event.
    pub last_ts: u64,
    /// The last [`HISTORY_CAPACITY`] facts, oldest first.
    pub recent: VecDeque<Fact>,
    /// Running counters.
    pub counters: Counters,
    /// Hashes of files read or written in the session (bounded, oldest evicted first).
    pub seen_files: VecDeque<u64>,
    /// The guidance provider's memory: cooldowns, escalation, last message.
    pub guidance: GuidanceState,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// The latest fact.
    pub fn last(&self) -> Option<&Fact> {
        self.recent.back()
    }

    /// Whether `path` was read or written earlier in the session.
    pub fn has_seen_file(&self, path: &str) -> bool {
        let h = fnv1a64(path.as_bytes());
        self.seen_files.contains(&h)
    }

    /// Records `call`: appends its fact, updates the counters, evicts the oldest fact past capacity.
    /// Returns the recorded fact.
    pub fn record(&mut self, call: &ToolCall) -> &Fact {
        let prev_ts = self.recent.back().map(|f| f.ts);
        let fact = Fact::from_call(call, prev_ts);
        self.push(fact);
        self.recent
            .back()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    /// Appends an already built fact and updates the counters.
    pub fn push(&mut self, fact: Fact) {
        let c = &mut self.counters;
        let flow_checked = fact.cat == Category::McpFlow
            && !self
                .recent
                .iter()
                .rev()
                .take(3)
                .any(|f| f.cat == Category::McpZen);
        if flow_checked {
            c.flow_uncoordinated += 1;
        }
        if matches!(fact.cat, Category::McpZen | Category::McpFlow) {
            c.hive_seen = true;
        }
        c.native_run = if fact.is_mcp() { 0 } else { c.native_run + 1 };
        c.since_coordinator = if fact.cat == Category::McpZen {
            0
        } else {
            c.since_coordinator + 1
        };
        if fact.is_check() {
            c.edits_since_check = 0;
        } else if fact.is_write() && fact.ok {
            c.edits_since_check += 1;
        }
        if !fact.ok {
            c.failures += 1;
        }
        if let Some(n) = c.per_tool.get_mut(fact.tool.as_str()) {
            *n += 1;
        } else if c.per_tool.len() < PER_TOOL_CAPACITY {
            c.per_tool.insert(fact.tool.clone(), 1);
        }
        c.new_file = false;
        if fact.cat == Category::File && fact.ok {
            if let Some(p) = &fact.path {
                let h = fnv1a64(p.as_bytes());
                if !self.seen_files.contains(&h) {
                    c.new_file = true;
                    if self.seen_files.len() >= SEEN_FILES_CAPACITY {
                        self.seen_files.pop_front();
                    }
                    self.seen_files.push_back(h);
                }
            }
        }
        if self.events_total == 0 {
            self.first_ts = fact.ts;
        }
        self.events_total += 1;
        self.last_ts = self.last_ts.max(fact.ts);
        if self.recent.len() >= HISTORY_CAPACITY {
            self.recent.pop_front();
        }
        self.recent.push_back(fact);
    }

    /// The last `n` tool names, oldest first.
    pub fn last_tools(&self, n: usize) -> Vec<&str> {
        let skip = self.recent.len().saturating_sub(n);
        self.recent
            .iter()
            .skip(skip)
            .map(|f| f.tool.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bash(cmd: &str) -> ToolCall {
        ToolCall::new("Bash", json!({ "command": cmd }))
    }

    #[test]
    fn bounded_and_counted() {
        let mut h = History::new();
        for i in 0..(HISTORY_CAPACITY as u64 + 10) {
            h.record(&bash("ls").at(i * 1000));
        }
        assert_eq!(h.recent.len(), HISTORY_CAPACITY);
        assert_eq!(h.events_total, HISTORY_CAPACITY as u64 + 10);
        assert_eq!(h.counters.native_run, HISTORY_CAPACITY as u32 + 10);
        assert_eq!(h.last().and_then(|f| f.gap), Some(1000));
        assert_eq!(h.first_ts, 0);
    }

    #[test]
    fn counters_follow_the_catalogue() {
        let mut h = History::new();
        h.record(&ToolCall::new("mcp__claude-flow__swarm_init", json!({})));
        assert_eq!(h.counters.flow_uncoordinated, 1);
        assert!(h.counters.hive_seen);
        h.record(&ToolCall::new("mcp__zen__chat", json!({})));
        assert_eq!(h.counters.since_coordinator, 0);
        h.record(&ToolCall::new("mcp__claude-flow__agent_spawn", json!({})));
        assert_eq!(h.counters.flow_uncoordinated, 1, "coordinated call");
        assert_eq!(h.counters.native_run, 0);
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
        assert_eq!(h.counters.native_run, 3);
        assert_eq!(h.counters.since_coordinator, 4);
    }

    #[test]
    fn facts_hold_no_contents() {
        let secret = "sk-live-0123456789abcdef";
        let mut h = History::new();
        h.record(&bash(&format!(
            "curl -H 'Authorization: {secret}' https://x"
        )));
        h.record(&ToolCall::new(
            "Write",
            json!({"file_path": "/p/.env", "content": secret}),
        ));
        let json = serde_json::to_string(&h).expect("serializes");
        assert!(!json.contains(secret), "{json}");
        assert_eq!(h.recent[1].in_len, secret.len() as u64);
    }
}
