//! The payload as read: each field kept as raw JSON text, decoded only when and as far as it is
//! needed.

use super::bounded::{RawInput, MAX_FIELD_BYTES};
use super::unescape::unescape_capped;
use serde::Deserialize;
use serde_json::value::RawValue;

/// A string field of the payload, cut to [`MAX_FIELD_BYTES`]; `None` when not a string.
pub(super) fn capped_string(raw: &RawValue) -> Option<String> {
    capped_text(raw.get())
}

/// [`capped_string`] of a value's JSON text.
pub(super) fn capped_text(text: &str) -> Option<String> {
    text.starts_with('"')
        .then(|| unescape_capped(text, MAX_FIELD_BYTES))
}

/// A JSON boolean's text as a bool; `None` for any other value.
pub(super) fn text_bool(text: Option<&str>) -> Option<bool> {
    match text {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    }
}

#[derive(Deserialize)]
pub(super) struct Wire<'a> {
    #[serde(borrow, default)]
    pub(super) session_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) hook_event_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) cwd: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) transcript_path: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_use_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_input: Option<RawInput<'a>>,
    #[serde(borrow, default)]
    pub(super) tool_response: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) timestamp_ms: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) agent_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) is_interrupt: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_calls: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) stop_hook_active: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) agent_transcript_path: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) background_tasks: Option<&'a RawValue>,
}

/// One entry of a stop's `background_tasks`; only its id and status are read.
#[derive(Deserialize)]
struct BackgroundTask {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// How many of a stop's `background_tasks` are still running (0 when absent or unreadable), the
/// stopping subagent `own` aside: a subagent's stop lists the subagent itself as running.
pub(super) fn running_tasks(raw: Option<&RawValue>, own: Option<&str>) -> u32 {
    raw.and_then(|r| serde_json::from_str::<Vec<BackgroundTask>>(r.get()).ok())
        .map_or(0, |tasks| {
            tasks
                .iter()
                .filter(|t| t.status.as_deref() == Some("running"))
                .filter(|t| own.is_none() || t.id.as_deref() != own)
                .count() as u32
        })
}

/// One entry of a `PostToolBatch`'s `tool_calls`; only what says whether it was refused is read.
#[derive(Deserialize)]
pub(super) struct BatchCallWire<'a> {
    #[serde(borrow, default)]
    pub(super) tool_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_use_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) tool_response: Option<&'a RawValue>,
}

pub(super) fn raw_bool(raw: Option<&RawValue>) -> Option<bool> {
    text_bool(raw.map(RawValue::get))
}

pub(super) fn opt_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(capped_string)
}
