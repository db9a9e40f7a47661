//! Streams of work: the main thread and each subagent keep their own recent facts, turns and
//! sequence counters; one is active at a time, the others are parked.

use super::limits::{MAX_AGENT_CHARS, MAX_STREAMS};
use super::{Fact, History, Pending};
use crate::text::truncate_chars;
use crate::Category;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
    pub batched: bool,
    /// Hashes of the tool use ids of the last batch, for calls whose hook finishes after it.
    pub last_batch: Vec<u64>,
    /// Arrival time of the stream's latest call.
    pub last_ts: u64,
    /// This stream's own code changes and checks (what a subagent's stop is judged on).
    pub pending: Pending,
}

/// A stream of work that is not the active one, parked with its recent facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stream {
    /// Its last [`HISTORY_CAPACITY`](super::HISTORY_CAPACITY) facts, oldest first.
    pub recent: VecDeque<Fact>,
    /// Its counters.
    pub counters: StreamCounters,
}

impl History {
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

    /// What a stop of `agent` (`None`: the main thread) is judged on: the whole session's pending
    /// work for the main thread, the subagent's own stream's for a subagent (`None` when that
    /// stream is not known).
    pub fn pending_of(&self, agent: Option<&str>) -> Option<&Pending> {
        match agent.filter(|a| !a.is_empty()) {
            None => Some(&self.counters.pending),
            Some(a) => {
                let a = truncate_chars(a, MAX_AGENT_CHARS);
                if self.agent.as_deref() == Some(&*a) {
                    Some(&self.stream.pending)
                } else {
                    self.streams.get(&*a).map(|s| &s.counters.pending)
                }
            }
        }
    }

    /// [`History::pending_of`], to change.
    pub fn pending_of_mut(&mut self, agent: Option<&str>) -> Option<&mut Pending> {
        match agent.filter(|a| !a.is_empty()) {
            None => Some(&mut self.counters.pending),
            Some(a) => {
                let a = truncate_chars(a, MAX_AGENT_CHARS);
                if self.agent.as_deref() == Some(&*a) {
                    Some(&mut self.stream.pending)
                } else {
                    self.streams.get_mut(&*a).map(|s| &mut s.counters.pending)
                }
            }
        }
    }

    /// A subagent began (`SubagentStart`): its stream starts here, empty. (Agent ids are not
    /// reused; a parked stream under the same id is dropped all the same.)
    pub fn record_subagent_start(&mut self, agent: &str) {
        self.events.subagent_start += 1;
        if agent.is_empty() {
            return;
        }
        let key = truncate_chars(agent, MAX_AGENT_CHARS);
        if self.agent.as_deref() == Some(&*key) {
            self.recent.clear();
            self.stream = StreamCounters::default();
        } else {
            self.streams.remove(&*key);
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

    /// The fact's turn: the open one, or the last batch's for a call whose hook finished after
    /// it; and whether it shares its turn with the call before it, once batches tell turns.
    pub(super) fn note_turn(&self, fact: &mut Fact) {
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
    pub(super) fn note_stream(&mut self, fact: &Fact) {
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
}
