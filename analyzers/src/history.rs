//! A session's history: compact facts about recent calls plus running counters.
//!
//! The history is what posthook persists between hook processes. It is bounded (the last
//! [`HISTORY_CAPACITY`] facts, a bounded set of file hashes, fixed counters), so loading, analyzing
//! and saving cost the same at event 10 and at event 10,000. It never holds tool outputs or file
//! contents: only tool names, categories, paths, command heads, hashes, sizes, times and flags.

use crate::settings::{Families, Family};
use crate::text::{command_head, command_tags, fnv1a64, lookup_tags, tags, truncate_chars};
use crate::{Category, GuidanceState, Outcome, ToolCall};
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
/// How many subagent streams a session keeps besides the main one (the least recently active
/// is dropped past this).
pub const MAX_STREAMS: usize = 16;

/// How many recent failures the session remembers for loop detection.
pub const FAILURES_CAPACITY: usize = 32;

const MAX_AGENT_CHARS: usize = 128;

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
    /// How the call ended (`ok` is false for every outcome but `Ok`).
    #[serde(default, skip_serializing_if = "is_ok")]
    pub outcome: Outcome,
    /// The failure's [`crate::error_signature`], when it failed (never the text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<u64>,
    /// A hash of `tool_use_id`, which ties the call to its turn's batch event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// The turn of its stream the call belongs to (1-based; 0 in state written before turns).
    #[serde(default, skip_serializing_if = "is_zero64")]
    pub turn: u64,
    /// Whether it was made in the same assistant turn as the call before it in its stream, as
    /// batch events tell; `None` where the stream has no batch events yet (then time gaps tell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_turn: Option<bool>,
    /// [`crate::langs`] bits: a file change's language, or the languages a Bash check covers.
    #[serde(default, skip_serializing_if = "is_zero16")]
    pub langs: u16,
    /// Read only: a hash of the `offset`/`limit` it asked for (none: the whole file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<u64>,
}

fn is_zero16(v: &u16) -> bool {
    *v == 0
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn is_zero64(v: &u64) -> bool {
    *v == 0
}

fn is_ok(o: &Outcome) -> bool {
    *o == Outcome::Ok
}

fn is_false(b: &bool) -> bool {
    !*b
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
            tags: command.map_or(0, |c| command_tags(c) | lookup_tags(c)),
            ok: !call.failed,
            ts: call.ts_ms,
            gap: prev_ts.map(|p| call.ts_ms.saturating_sub(p)),
            in_len,
            out_len: call.response_len,
            count,
            outcome: call.outcome,
            sig: call.error_signature(),
            id: call.tool_use_id.as_deref().map(|i| fnv1a64(i.as_bytes())),
            turn: 0,
            same_turn: None,
            langs: match (command, path) {
                (Some(c), _) => crate::check_langs(c),
                (None, Some(p)) if call.is_write() => crate::lang_of(p),
                _ => 0,
            },
            range: (call.tool == "Read")
                .then(|| {
                    let o = call.input.get("offset").and_then(serde_json::Value::as_u64);
                    let l = call.input.get("limit").and_then(serde_json::Value::as_u64);
                    (o.is_some() || l.is_some()).then(|| fnv1a64(format!("{o:?}/{l:?}").as_bytes()))
                })
                .flatten(),
        }
    }

    /// The subject a repeated failure is about: the tool with its command head (program and
    /// subcommand) or its path.
    pub fn subject(&self) -> u64 {
        let mut h = fnv1a64(self.tool.as_bytes());
        if let Some(c) = &self.cmd {
            h ^= fnv1a64(c.as_bytes()).rotate_left(1);
        } else if let Some(p) = &self.path {
            h ^= fnv1a64(p.as_bytes()).rotate_left(2);
        }
        h
    }

    /// Whether it ran `git commit`.
    pub fn is_commit(&self) -> bool {
        self.tags & tags::COMMIT != 0
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

/// Counters of one stream of work (the main thread, or one subagent), updated as each of its facts
/// is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamCounters {
    /// Consecutive native (non-`mcp__`) calls, including the latest.
    pub native_run: u32,
    /// Calls since the last coordinator (`mcp__zen__*`) call; 0 right after one.
    pub since_coordinator: u32,
    /// Flow-worker calls made with no coordinator call in the 3 calls before them.
    pub flow_uncoordinated: u32,
    /// Calls recorded in this stream.
    pub calls: u64,
    /// Turns closed by batch events; the open turn is `turns + 1`.
    pub turns: u64,
    /// Whether this stream has had batch events (then turns come from them, not from time gaps).
    #[serde(skip_serializing_if = "is_false")]
    pub batched: bool,
    /// Hashes of the tool use ids of the last batch, for calls whose hook finishes after it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_batch: Vec<u64>,
    /// Arrival time of the stream's latest call.
    pub last_ts: u64,
}

/// A stream of work that is not the active one, parked with its recent facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stream {
    /// Its last [`HISTORY_CAPACITY`] facts, oldest first.
    pub recent: VecDeque<Fact>,
    /// Its counters.
    pub counters: StreamCounters,
}

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
}

/// A failure remembered for loop detection: what failed and how, never the error text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureMark {
    /// [`Fact::subject`] of the failed call.
    pub subject: u64,
    /// Its error signature.
    pub sig: u64,
    /// How many times this subject failed with this signature in a row (other failures of the
    /// same subject reset it).
    pub times: u32,
    /// `events_total` at its latest failure.
    pub at: u64,
    /// Whether a file was changed since this run of failures began.
    #[serde(default, skip_serializing_if = "is_false")]
    pub changed: bool,
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
    /// Code changed since the last check that covers its language, per language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Unchecked>,
    /// The last check command head seen per language bit (`mix test`, `npx vitest`): what this
    /// session's own tests are.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<u16, String>,
    /// The latest call was a successful `git commit`: what it committed is no longer pending.
    #[serde(skip_serializing_if = "is_false")]
    pub committed: bool,
}

impl Counters {
    /// The hive families the fact shows the session uses.
    fn note_families(&mut self, fact: &Fact) {
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
    fn note_checks(&mut self, fact: &Fact, at: u64) {
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
    fn note_call(&mut self, fact: &Fact) {
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

/// A Read the session made, for telling a re-read of an unchanged file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    /// Hash of the path.
    pub file: u64,
    /// Hash of the offset/limit (0: the whole file).
    pub range: u64,
    /// When, ms since the Unix epoch.
    pub ts: u64,
}

/// How many reads the session remembers for telling a re-read.
pub const READS_CAPACITY: usize = 64;

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
    /// The subagent whose stream is active (`None`: the main thread). `recent` and `stream` are
    /// that stream's; the others are parked in `streams`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The active stream's last [`HISTORY_CAPACITY`] facts, oldest first.
    pub recent: VecDeque<Fact>,
    /// The active stream's counters.
    pub stream: StreamCounters,
    /// The other streams, by agent id (`""`: the main thread), at most [`MAX_STREAMS`] + 1.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub streams: BTreeMap<String, Stream>,
    /// Session-wide counters (shared by all streams).
    pub counters: Counters,
    /// Events recorded, by kind.
    pub events: EventCounts,
    /// Recent failures by subject and signature (session-wide, bounded).
    #[serde(skip_serializing_if = "VecDeque::is_empty")]
    pub failures: VecDeque<FailureMark>,
    /// Hashes of files read or written in the session (bounded, oldest evicted first).
    pub seen_files: VecDeque<u64>,
    /// Recent reads (session-wide, bounded); a change of the file forgets its reads.
    #[serde(skip_serializing_if = "VecDeque::is_empty")]
    pub reads: VecDeque<ReadMark>,
    /// The read before the latest call's, when the latest call read the same file and range
    /// again with no change of the file between (set while recording, for `wasted-context`).
    #[serde(skip)]
    pub reread_of: Option<ReadMark>,
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

    /// Makes `agent`'s stream (`None`: the main thread) the active one, parking the current one.
    /// Past [`MAX_STREAMS`] subagent streams, the least recently active one is dropped.
    pub fn enter_stream(&mut self, agent: Option<&str>) {
        let agent = agent
            .filter(|a| !a.is_empty())
            .map(|a| truncate_chars(a, MAX_AGENT_CHARS));
        if self.agent.as_deref() == agent.as_deref() {
            return;
        }
        let out_key = self.agent.take().unwrap_or_default();
        let parked = Stream {
            recent: std::mem::take(&mut self.recent),
            counters: std::mem::take(&mut self.stream),
        };
        if !(parked.recent.is_empty() && parked.counters.calls == 0 && out_key.is_empty()) {
            self.streams.insert(out_key, parked);
        }
        let in_key = agent.as_deref().unwrap_or("");
        let entered = self.streams.remove(in_key).unwrap_or_default();
        self.recent = entered.recent;
        self.stream = entered.counters;
        self.agent = agent.map(std::borrow::Cow::into_owned);
        while self.streams.keys().filter(|k| !k.is_empty()).count() > MAX_STREAMS {
            let oldest = self
                .streams
                .iter()
                .filter(|(k, _)| !k.is_empty())
                .min_by_key(|(_, s)| s.counters.last_ts)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    self.streams.remove(&k);
                }
                None => break,
            }
        }
    }

    /// The streams of the session: `(agent id or "" for the main thread, calls, turns)`, the
    /// active one included, main first.
    pub fn stream_summary(&self) -> Vec<(String, u64, u64)> {
        let mut v: Vec<(String, u64, u64)> = self
            .streams
            .iter()
            .map(|(k, s)| (k.clone(), s.counters.calls, s.counters.turns))
            .collect();
        v.push((
            self.agent.clone().unwrap_or_default(),
            self.stream.calls,
            self.stream.turns,
        ));
        v.sort();
        v
    }

    /// Records `call` in its agent's stream: appends its fact, updates the counters, evicts the
    /// oldest fact past capacity. Returns the recorded fact.
    pub fn record(&mut self, call: &ToolCall) -> &Fact {
        self.enter_stream(call.agent_id.as_deref());
        let prev_ts = self.recent.back().map(|f| f.ts);
        let fact = Fact::from_call(call, prev_ts);
        // A call its batch already reported as refused (its own hook finished later): the call's
        // own event wins.
        if let Some(h) = fact.id.filter(|h| self.stream.last_batch.contains(h)) {
            if let Some(i) = self
                .recent
                .iter()
                .rposition(|f| f.id == Some(h) && f.outcome == Outcome::Rejected)
            {
                self.recent.remove(i);
                self.events.rejected = self.events.rejected.saturating_sub(1);
            }
        }
        self.push(fact);
        self.recent
            .back()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    /// Records a turn's batch event: its calls (by tool use id) were one assistant turn, and
    /// `rejected` are the calls of it that were refused before they ran (no per-call event
    /// reported them). Closes the stream's open turn. Returns how many rejected calls were new.
    pub fn record_batch(
        &mut self,
        agent: Option<&str>,
        ids: &[&str],
        rejected: &[ToolCall],
    ) -> usize {
        self.enter_stream(agent);
        self.events.post_tool_batch += 1;
        let hashes: Vec<u64> = ids.iter().map(|i| fnv1a64(i.as_bytes())).collect();
        let mut added = 0;
        for call in rejected {
            let h = call.tool_use_id.as_deref().map(|i| fnv1a64(i.as_bytes()));
            if h.is_some() && self.recent.iter().any(|f| f.id == h) {
                continue;
            }
            let prev_ts = self.recent.back().map(|f| f.ts);
            let mut fact = Fact::from_call(call, prev_ts);
            fact.outcome = Outcome::Rejected;
            fact.ok = false;
            self.push(fact);
            added += 1;
        }
        let s = &mut self.stream;
        s.turns += 1;
        s.batched = true;
        s.last_batch = hashes;
        s.last_batch.truncate(HISTORY_CAPACITY);
        added
    }

    /// Appends an already built fact to the active stream and updates the counters.
    pub fn push(&mut self, mut fact: Fact) {
        self.note_turn(&mut fact);
        self.note_stream(&fact);
        let at = self.events_total + 1;
        let c = &mut self.counters;
        c.note_families(&fact);
        c.note_checks(&fact, at);
        c.note_call(&fact);
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
        self.note_event(&fact);
        if let Some(sig) = fact.sig.filter(|_| !fact.ok) {
            self.note_failure(fact.subject(), sig);
        } else if fact.ok && !self.failures.is_empty() {
            // It worked this time: whatever failed before is no loop any more.
            let subject = fact.subject();
            self.failures.retain(|m| m.subject != subject);
            if fact.is_write() {
                self.failures.iter_mut().for_each(|m| m.changed = true);
            }
        }
        self.note_read(&fact);
        if self.recent.len() >= HISTORY_CAPACITY {
            self.recent.pop_front();
        }
        self.recent.push_back(fact);
    }

    /// The fact's turn: the open one, or the last batch's for a call whose hook finished after
    /// it; and whether it shares its turn with the call before it, once batches tell turns.
    fn note_turn(&self, fact: &mut Fact) {
        let s = &self.stream;
        fact.turn = match fact.id {
            Some(h) if s.last_batch.contains(&h) => s.turns,
            _ => s.turns + 1,
        };
        fact.same_turn = if s.batched {
            self.recent.back().map(|p| p.turn == fact.turn)
        } else {
            None
        };
    }

    /// The active stream's sequence counters.
    fn note_stream(&mut self, fact: &Fact) {
        let flow_checked = fact.cat == Category::McpFlow
            && !self
                .recent
                .iter()
                .rev()
                .take(3)
                .any(|f| f.cat == Category::McpZen);
        let s = &mut self.stream;
        if flow_checked {
            s.flow_uncoordinated += 1;
        }
        s.native_run = if fact.is_mcp() { 0 } else { s.native_run + 1 };
        s.since_coordinator = if fact.cat == Category::McpZen {
            0
        } else {
            s.since_coordinator + 1
        };
        s.calls += 1;
        s.last_ts = s.last_ts.max(fact.ts);
    }

    /// The event counts and the session's call total and times.
    fn note_event(&mut self, fact: &Fact) {
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

    fn note_read(&mut self, fact: &Fact) {
        self.reread_of = None;
        if fact.tool == "Bash" {
            // A shell command may have changed any file: no read is known to be current.
            self.reads.clear();
            return;
        }
        let Some(file) = fact.path.as_deref().map(|p| fnv1a64(p.as_bytes())) else {
            return;
        };
        if fact.is_write() && fact.ok {
            self.reads.retain(|r| r.file != file);
            return;
        }
        if fact.tool != "Read" || !fact.ok {
            return;
        }
        let mark = ReadMark {
            file,
            range: fact.range.unwrap_or(0),
            ts: fact.ts,
        };
        if let Some(i) = self
            .reads
            .iter()
            .position(|r| r.file == mark.file && r.range == mark.range)
        {
            self.reread_of = self.reads.remove(i);
        }
        if self.reads.len() >= READS_CAPACITY {
            self.reads.pop_front();
        }
        self.reads.push_back(mark);
    }

    fn note_failure(&mut self, subject: u64, sig: u64) {
        let at = self.events_total;
        if let Some(i) = self.failures.iter().position(|m| m.subject == subject) {
            let mut m = self.failures.remove(i).unwrap_or_default();
            if m.sig == sig {
                m.times += 1;
            } else {
                m.times = 1;
                m.changed = false;
            }
            m.sig = sig;
            m.at = at;
            self.failures.push_back(m);
        } else {
            if self.failures.len() >= FAILURES_CAPACITY {
                self.failures.pop_front();
            }
            self.failures.push_back(FailureMark {
                subject,
                sig,
                times: 1,
                at,
                changed: false,
            });
        }
    }

    /// How many times in a row `fact`'s subject has failed with `fact`'s signature (0 when the
    /// fact is not a failure).
    pub fn failure_streak(&self, fact: &Fact) -> u32 {
        self.failure_mark(fact).map_or(0, |m| m.times)
    }

    /// The run of failures `fact` belongs to: its subject's, when the signature is the same.
    pub fn failure_mark(&self, fact: &Fact) -> Option<&FailureMark> {
        let (Some(sig), false) = (fact.sig, fact.ok) else {
            return None;
        };
        let subject = fact.subject();
        self.failures
            .iter()
            .rev()
            .find(|m| m.subject == subject)
            .filter(|m| m.sig == sig)
    }

    /// The set of tools the session has used (all streams), by name.
    pub fn has_used(&self, tool: &str) -> bool {
        self.counters.per_tool.contains_key(tool)
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
        assert_eq!(h.stream.native_run, HISTORY_CAPACITY as u32 + 10);
        assert_eq!(h.last().and_then(|f| f.gap), Some(1000));
        assert_eq!(h.first_ts, 0);
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

    #[test]
    fn agents_have_their_own_streams_and_share_session_facts() {
        let mut h = History::new();
        h.record(&ToolCall::new("Read", json!({"file_path": "/p/a.rs"})).at(1));
        h.record(&bash("ls").in_agent("a1").at(2));
        h.record(&bash("pwd").in_agent("a1").at(3));
        h.record(&ToolCall::new("Edit", json!({"file_path": "/p/a.rs", "new_string": "x"})).at(4));
        assert_eq!(h.agent, None);
        assert_eq!(
            h.last_tools(5),
            vec!["Read", "Edit"],
            "main's own recent calls"
        );
        assert_eq!(
            h.recent.back().and_then(|f| f.gap),
            Some(3),
            "gap within the stream"
        );
        h.record(&bash("cat x").in_agent("a1").at(5));
        assert_eq!(h.last_tools(5), vec!["Bash", "Bash", "Bash"]);
        assert!(h.has_seen_file("/p/a.rs"), "files are session-wide");
        assert_eq!(h.events_total, 5);
        assert_eq!(
            h.stream_summary(),
            vec![(String::new(), 2, 0), (String::from("a1"), 3, 0)]
        );
        let json = serde_json::to_string(&h).expect("serializes");
        let back: History = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, h);
    }

    #[test]
    fn streams_are_bounded() {
        let mut h = History::new();
        for i in 0..(MAX_STREAMS as u64 + 5) {
            h.record(&bash("ls").in_agent(format!("a{i}")).at(i));
        }
        h.enter_stream(None);
        assert_eq!(h.streams.len(), MAX_STREAMS);
        assert!(
            !h.streams.contains_key("a0"),
            "the least recently active went first"
        );
    }

    #[test]
    fn batches_make_turns() {
        let mut h = History::new();
        h.record(&bash("a").with_id("t1").at(1));
        h.record(&bash("b").with_id("t2").at(2));
        assert_eq!(
            h.recent.back().map(|f| f.same_turn),
            Some(None),
            "no batch yet"
        );
        h.record_batch(None, &["t1", "t2"], &[]);
        h.record(&bash("c").with_id("t3").at(60_000));
        h.record(&bash("d").with_id("t4").at(60_001));
        let rejected = ToolCall::new("Edit", json!({"file_path": "/p/x"}))
            .with_id("t5")
            .failed_with("<tool_use_error>String to replace not found</tool_use_error>");
        assert_eq!(h.record_batch(None, &["t3", "t4", "t5"], &[rejected]), 1);
        // A hook that finished after its batch still joins that batch's turn.
        h.record(&bash("e").with_id("t4b").at(60_002));
        let turns: Vec<u64> = h.recent.iter().map(|f| f.turn).collect();
        assert_eq!(turns, vec![1, 1, 2, 2, 2, 3]);
        let same: Vec<Option<bool>> = h.recent.iter().map(|f| f.same_turn).collect();
        assert_eq!(
            same,
            vec![None, None, Some(false), Some(true), Some(true), Some(false)]
        );
        assert_eq!(h.events_total, 5, "a rejected call is not an event");
        assert_eq!(h.events.rejected, 1);
        assert_eq!(h.events.post_tool_batch, 2);
        assert_eq!(h.recent[4].outcome, Outcome::Rejected);
        assert_eq!(
            (h.events.post_tool_use, h.events.post_tool_use_failure),
            (5, 0)
        );
        // The refused call's own event arrives late: it replaces the refusal.
        h.record(
            &bash("f")
                .with_id("t5")
                .failed_with("Exit code 1")
                .at(60_003),
        );
        assert_eq!(h.events.rejected, 0);
        assert_eq!(h.events.post_tool_use_failure, 1);
        assert!(h.recent.iter().all(|f| f.outcome != Outcome::Rejected));
    }

    #[test]
    fn failures_are_counted_by_subject_and_signature() {
        let mut h = History::new();
        let fail = |err: &str| bash("cargo test").failed_with(err.to_string());
        h.record(&fail("Exit code 101\nerror: x"));
        h.record(&fail("Exit code 101\nerror: x"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 2);
        h.record(&fail("Exit code 101\nerror: y"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 1, "another error starts over");
        h.record(&bash("ls"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 0);
        let json = serde_json::to_string(&h).expect("serializes");
        assert!(!json.contains("error: x"), "signatures only");
    }
}
