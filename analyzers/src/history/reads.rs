//! The files the session has seen and the reads it made, for "was this file read?" and for telling
//! a re-read of an unchanged file.

use super::limits::READS_CAPACITY;
use super::{Fact, History};
use crate::text::fnv1a64;
use serde::{Deserialize, Serialize};

/// A Read the session made, for telling a re-read of an unchanged file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    /// Hash of the path.
    pub file: u64,
    /// Hash of the offset/limit (0: the whole file).
    pub range: u64,
    /// When, ms since the Unix epoch.
    pub ts: u64,
    /// The stream that read it (a hash of the agent id; 0: the main thread). Each agent has its
    /// own context: a file the main thread read is new to a subagent.
    #[serde(default)]
    pub stream: u64,
}

/// A pause this long (no call in the session) ends what a re-read is judged against: the user was
/// away, and the client may have compacted the context meanwhile.
pub const READ_PAUSE_MS: u64 = 5 * 60 * 1000;

/// Tools after which the model's context is no longer what it read: plan mode starts and ends
/// with a new context (an approved plan may clear it).
fn resets_context(tool: &str) -> bool {
    matches!(tool, "EnterPlanMode" | "ExitPlanMode")
}

impl History {
    /// Whether `path` was read or written earlier in the session.
    pub fn has_seen_file(&self, path: &str) -> bool {
        let h = fnv1a64(path.as_bytes());
        self.seen_files.contains(&h)
    }

    /// The hash a [`ReadMark`] of the active stream carries.
    fn stream_key(&self) -> u64 {
        self.agent.as_deref().map_or(0, |a| fnv1a64(a.as_bytes()))
    }

    /// Forgets what the active stream has read: its context was compacted or replaced.
    pub fn forget_reads(&mut self) {
        let key = self.stream_key();
        self.reads.retain(|r| r.stream != key);
    }

    /// The model's context was compacted (`PostCompact`): what it read is no longer in front of
    /// it, so reading a file again is not a waste. Every stream's reads are forgotten (the event
    /// does not say whose context it was); that can only make a re-read warning less likely.
    pub fn record_compaction(&mut self) {
        self.events.post_compact += 1;
        self.reads.clear();
        self.reread_of = None;
    }

    pub(super) fn note_read(&mut self, fact: &Fact) {
        self.reread_of = None;
        if fact.gap.is_some_and(|g| g >= READ_PAUSE_MS) {
            self.reads.clear();
        }
        if resets_context(&fact.tool) {
            self.forget_reads();
            return;
        }
        let lookup =
            crate::tags::LISTS | crate::tags::SEARCHES | crate::tags::PRINTS | crate::tags::SYNTAX;
        if fact.tool == "Bash" && fact.tags & lookup != 0 {
            // A lookup changes no file (even one that failed): what was read stays current. One
            // that looks into a file this agent read whole looks at what it already has.
            let key = self.stream_key();
            if let Some(file) = fact
                .path
                .as_deref()
                .filter(|_| fact.ok)
                .map(|p| fnv1a64(p.as_bytes()))
            {
                self.reread_of = self
                    .reads
                    .iter()
                    .find(|r| r.file == file && r.range == 0 && r.stream == key)
                    .copied();
            }
            return;
        }
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
            stream: self.stream_key(),
        };
        if let Some(i) = self
            .reads
            .iter()
            .position(|r| r.file == mark.file && r.range == mark.range && r.stream == mark.stream)
        {
            self.reread_of = self.reads.remove(i);
        }
        if self.reads.len() >= READS_CAPACITY {
            self.reads.pop_front();
        }
        self.reads.push_back(mark);
    }
}

#[cfg(test)]
mod tests {
    use crate::{History, ToolCall};
    use serde_json::json;

    #[test]
    fn a_compaction_forgets_the_reads_and_a_subagent_starts_afresh() {
        let read = || ToolCall::new("Read", json!({"file_path": "/p/a.rs"}));
        let mut h = History::new();
        h.record(&read().at(1));
        h.record(&read().at(2));
        assert!(h.reread_of.is_some(), "read again with no change");
        h.record_compaction();
        assert_eq!(h.events.post_compact, 1);
        h.record(&read().at(3));
        assert!(
            h.reread_of.is_none(),
            "after a compaction the model no longer has it"
        );
        h.record(&read().in_agent("a1").at(4));
        h.record_subagent_start("a1");
        assert_eq!(h.events.subagent_start, 1);
        assert_eq!(h.stream.calls, 0, "a started stream is empty");
        assert_eq!(h.events_total, 4, "session counts stay");
    }
}
