//! The caps that keep a history bounded: how many facts, files, reads, failures and streams it
//! remembers, and how long a stored name may be.

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
/// Distinct tool names counted in [`Counters::per_tool`](super::Counters::per_tool); a new name past it is not counted.
pub const PER_TOOL_CAPACITY: usize = 256;
/// How many subagent streams a session keeps besides the main one (the least recently active
/// is dropped past this).
pub const MAX_STREAMS: usize = 16;

/// How many recent failures the session remembers for loop detection.
pub const FAILURES_CAPACITY: usize = 32;

/// Agent ids are stored cut to this many characters.
pub(super) const MAX_AGENT_CHARS: usize = 128;

/// How many reads the session remembers for telling a re-read.
pub const READS_CAPACITY: usize = 64;
