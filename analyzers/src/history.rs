//! A session's history: compact facts about recent calls plus running counters.
//!
//! The history is what posthook persists between hook processes. It is bounded (the last
//! [`HISTORY_CAPACITY`] facts, a bounded set of file hashes, fixed counters), so loading, analyzing
//! and saving cost the same at event 10 and at event 10,000. It never holds tool outputs or file
//! contents: only tool names, categories, paths, command heads, hashes, sizes, times and flags.
//!
//! One job per file: `fact` (the record of one call), `streams` (per-agent streams and turns),
//! `counters` (session-wide counters: tools, families, checks, events), `failures` (runs of the
//! same failure), `pending` (code changed since its last check, per scope), `reads` (reads and
//! re-reads), `limits` (the caps that keep it bounded). This file holds [`History`] itself and its
//! recording. The state file stores every field by position, so a new field goes at the end of its
//! struct, with a default (see `state_codec` in the posthook crate).

mod counters;
mod fact;
mod failures;
mod limits;
mod pending;
mod reads;
mod streams;

pub use counters::{Counters, EventCounts, Unchecked};
pub use fact::Fact;
pub(crate) use fact::{MEM_READ, MEM_WRITE};
pub use failures::FailureMark;
pub use limits::{
    FAILURES_CAPACITY, HISTORY_CAPACITY, MAX_CMD_HEAD_CHARS, MAX_PATH_CHARS, MAX_STREAMS,
    MAX_TOOL_CHARS, PER_TOOL_CAPACITY, READS_CAPACITY, SEEN_FILES_CAPACITY,
};
pub use pending::{Changed, CheckMark, Pending, PENDING_FILES_CAPACITY, PENDING_PATHS};
pub use reads::ReadMark;
pub use streams::{Stream, StreamCounters};

use crate::text::fnv1a64;
use crate::{Category, GuidanceState, Outcome, ToolCall};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

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
    pub agent: Option<String>,
    /// The active stream's last [`HISTORY_CAPACITY`] facts, oldest first.
    pub recent: VecDeque<Fact>,
    /// The active stream's counters.
    pub stream: StreamCounters,
    /// The other streams, by agent id (`""`: the main thread), at most [`MAX_STREAMS`] + 1.
    pub streams: BTreeMap<String, Stream>,
    /// Session-wide counters (shared by all streams).
    pub counters: Counters,
    /// Events recorded, by kind.
    pub events: EventCounts,
    /// Recent failures by subject and signature (session-wide, bounded).
    pub failures: VecDeque<FailureMark>,
    /// Hashes of files read or written in the session (bounded, oldest evicted first).
    pub seen_files: VecDeque<u64>,
    /// Recent reads (session-wide, bounded); a change of the file forgets its reads.
    pub reads: VecDeque<ReadMark>,
    /// The read before the latest call's, when the latest call read the same file and range
    /// again with no change of the file between (set while recording, for `wasted-context`).
    #[serde(skip)]
    pub reread_of: Option<ReadMark>,
    /// The guidance provider's memory: cooldowns, escalation, last message.
    pub guidance: GuidanceState,
    /// Shown messages awaiting the judgement of their uptake, oldest first, at most
    /// [`crate::uptake::PENDING_CAPACITY`].
    pub uptake: Vec<crate::uptake::Pending>,
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
        match fact.mem {
            MEM_WRITE => c.memory_written = true,
            MEM_READ => {
                let reader = self.agent.as_deref().map_or(0, |a| fnv1a64(a.as_bytes()));
                if !c.memory_readers.contains(&reader) && c.memory_readers.len() < 8 {
                    c.memory_readers.push(reader);
                }
            }
            _ => {}
        }
        c.note_checks(&fact, at);
        c.pending.note(&fact);
        self.stream.pending.note(&fact);
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
}
