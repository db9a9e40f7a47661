//! Hook input: stdin bytes to a [`HookInput`].
//!
//! Lenient where the protocol grows (unknown fields, tools and events are accepted), strict where a
//! payload cannot be understood (not JSON, not an object, no event name, no tool name on a tool
//! event). `tool_response` is never turned into a `serde_json::Value` tree: it is kept as raw JSON
//! text only long enough to find its size and whether it reports an error, so a response of tens of
//! megabytes costs one scan, not a tree of allocations.

mod batch;
mod bounded;
mod error;
mod find;
mod members;
mod payload;
mod response;
mod surrogates;
mod unescape;
mod wire;

pub use bounded::{
    MAX_FIELD_BYTES, MAX_INPUT_DEPTH, MAX_INPUT_ITEMS, MAX_INPUT_NODES, MAX_INPUT_STRING_BYTES,
};
pub use error::InputError;
pub(crate) use members::top_level_string;
pub use payload::{parse, parse_owned};

use posthook_analyzers::ToolCall;
use std::io::Read;

/// The most stdin posthook reads: 32 MiB. Larger payloads are refused without being read in full.
pub const DEFAULT_MAX_INPUT: u64 = 32 * 1024 * 1024;

/// One hook event as posthook needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HookInput {
    /// `session_id` (empty when absent).
    pub session_id: String,
    /// `hook_event_name`, e.g. `PostToolUse`.
    pub event: String,
    /// `cwd`.
    pub cwd: Option<String>,
    /// `transcript_path`.
    pub transcript_path: Option<String>,
    /// `tool_use_id`.
    pub tool_use_id: Option<String>,
    /// `agent_id`: present on events from inside a subagent.
    pub agent_id: Option<String>,
    /// The tool call, for `PostToolUse` and `PostToolUseFailure`.
    pub call: Option<ToolCall>,
    /// The turn, for `PostToolBatch`.
    pub batch: Option<BatchInput>,
    /// The end of a turn, for `Stop` and `SubagentStop`.
    pub stop: Option<StopInput>,
}

/// What posthook keeps of a `Stop` or `SubagentStop` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopInput {
    /// `SubagentStop`: a subagent is about to report back (its id is [`HookInput::agent_id`]).
    pub subagent: bool,
    /// `stop_hook_active`: the model already goes on because a stop hook blocked; posthook then
    /// never blocks.
    pub stop_hook_active: bool,
    /// How many of `background_tasks` are still running (Claude Code 2.1.332 runs a subagent in
    /// the background: the main thread's turn ends while it works, and resumes when it is done).
    /// The work is not finished then, and posthook does not block.
    pub running_tasks: u32,
    /// The transcript that holds the stopping stream's tool results: `agent_transcript_path` for
    /// a subagent when the client sends it, else `transcript_path`.
    pub transcript_path: Option<String>,
}

/// What posthook keeps of a `PostToolBatch` event: which calls made up the turn, and the calls of
/// it that were refused before they ran (`<tool_use_error>` responses), which no per-call event
/// reports. The other calls' responses are not kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchInput {
    /// The `tool_use_id` of every call of the turn, in order.
    pub ids: Vec<String>,
    /// The refused calls, as failed calls with their error text (never persisted).
    pub rejected: Vec<ToolCall>,
    /// When the batch reached posthook, ms since the Unix epoch.
    pub ts_ms: u64,
}

/// The events posthook records: finished calls and turns; the end of a turn (`Stop`,
/// `SubagentStop`), which it answers; the start of a subagent's stream (`SubagentStart`) and a
/// compaction of the model's context (`PostCompact`), which it only records.
pub(crate) const EVENTS: [&str; 7] = [
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Stop",
    "SubagentStop",
    "SubagentStart",
    "PostCompact",
];

/// The same events, as the library's public list.
pub const RECORDED_EVENTS: &[&str] = &EVENTS;

impl HookInput {
    /// Whether this is a `PostToolUse` event with a tool call.
    pub fn is_post_tool_use(&self) -> bool {
        self.event == "PostToolUse" && self.call.is_some()
    }

    /// Whether posthook records and analyzes this event: a finished call (`PostToolUse`,
    /// `PostToolUseFailure`), a turn (`PostToolBatch`), the end of a turn (`Stop`,
    /// `SubagentStop`), a subagent's start (`SubagentStart`, with its `agent_id`) or a compaction
    /// (`PostCompact`). Every other event is accepted and ignored.
    pub fn is_recorded(&self) -> bool {
        self.call.is_some()
            || self.batch.is_some()
            || self.stop.is_some()
            || self.is_compaction()
            || self.is_subagent_start()
    }

    /// Whether this is a `PostCompact` event.
    pub fn is_compaction(&self) -> bool {
        self.event == "PostCompact"
    }

    /// Whether this is a `SubagentStart` event that names its agent.
    pub fn is_subagent_start(&self) -> bool {
        self.event == "SubagentStart" && self.agent_id.is_some()
    }

    /// Gives every call of the event the user's home directory, which `~` and `$HOME` in its
    /// command stand for (the analyzers read no environment).
    pub(crate) fn set_home(&mut self, home: Option<&str>) {
        let rejected = self.batch.iter_mut().flat_map(|b| b.rejected.iter_mut());
        for call in self.call.iter_mut().chain(rejected) {
            call.home = home.map(str::to_owned);
        }
    }
}

/// Reads at most `limit` bytes from `reader`. Past the limit it stops reading and fails.
pub fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::with_capacity(8 * 1024);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| InputError::Io(e.to_string()))?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    // Lone surrogates are repaired by `parse`, in the one scan of the payload it makes for them.
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap() {
        let data = [b' '; 100];
        assert_eq!(
            read_capped(&data[..], 10),
            Err(InputError::TooLarge { limit: 10 })
        );
        assert_eq!(read_capped(&data[..], 100).map(|v| v.len()), Ok(100));
    }
}
