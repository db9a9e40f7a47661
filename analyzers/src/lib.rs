//! The pure analysis core of posthook.
//!
//! Everything here is a function of plain values: a [`ToolCall`] (the call that just finished), the
//! session's [`History`] (compact [`Fact`]s about earlier calls plus running counters) and the
//! [`Settings`]. Nothing in this crate reads files, clocks, the environment or stdin; the `posthook`
//! crate does that and hands the values in. That is what makes every rule unit-testable with plain
//! values and benchable without noise.
//!
//! To add your own analysis, implement [`Analyzer`] and register it with `posthook::Runtime`.
// Function length is held to 80 lines in the code that ships (clippy.toml); a test may be a long
// scenario.
#![cfg_attr(test, allow(clippy::too_many_lines))]

mod analyzer;
mod call;
mod finding;
mod history;
mod lang;
mod settings;
mod text;

pub mod builtin;
pub mod guidance;
pub mod uptake;

pub use analyzer::{Analyzer, Context, NoCache, PatternCache, ProjectCheck, StopContext};
pub use call::{Category, Outcome, ToolCall};
pub use finding::{Finding, Severity};
pub use guidance::{Decision, Feedback, GuidanceState, RuleVerdict, Verdict};
pub use history::{
    Changed, CheckMark, Counters, EventCounts, Fact, FailureMark, History, Pending, ReadMark,
    Stream, StreamCounters, Unchecked, FAILURES_CAPACITY, HISTORY_CAPACITY, MAX_CMD_HEAD_CHARS,
    MAX_PATH_CHARS, MAX_STREAMS, MAX_TOOL_CHARS, PENDING_FILES_CAPACITY, PENDING_PATHS,
    PER_TOOL_CAPACITY, READS_CAPACITY, SEEN_FILES_CAPACITY,
};
pub use lang::{check_langs, checks_in_output, lang_name, lang_of, langs, COMMIT_OUTPUT_BYTES};
pub use settings::{Families, Family, Profile, Quiet, Settings, StopMode, Threshold};
pub use text::{
    ceil_boundary, command_head, command_tags, error_line, error_signature, floor_boundary,
    fnv1a64, lookup_tags, safe_message, tags, truncate_chars, visible_controls,
    visible_controls_but_newlines, Fnv,
};
