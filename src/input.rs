//! Hook input: stdin bytes to a [`HookInput`].
//!
//! Lenient where the protocol grows (unknown fields, tools and events are accepted), strict where a
//! payload cannot be understood (not JSON, not an object, no event name, no tool name on a tool
//! event). `tool_response` is never turned into a `serde_json::Value` tree: it is kept as raw JSON
//! text only long enough to find its size and whether it reports an error, so a response of tens of
//! megabytes costs one scan, not a tree of allocations.

use posthook_analyzers::{truncate_chars, Outcome, ToolCall};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;
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

/// The events posthook records.
pub const RECORDED_EVENTS: &[&str] = &["PostToolUse", "PostToolUseFailure", "PostToolBatch"];

impl HookInput {
    /// Whether this is a `PostToolUse` event with a tool call.
    pub fn is_post_tool_use(&self) -> bool {
        self.event == "PostToolUse" && self.call.is_some()
    }

    /// Whether posthook records and analyzes this event: a finished call (`PostToolUse`,
    /// `PostToolUseFailure`) or a turn (`PostToolBatch`). Every other event is accepted and ignored.
    pub fn is_recorded(&self) -> bool {
        self.call.is_some() || self.batch.is_some()
    }
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Nothing but whitespace on stdin.
    Empty,
    /// Larger than the cap.
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// Not UTF-8.
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Not JSON (serde_json's message, with line and column).
    Syntax(String),
    /// JSON, but the top level is not an object.
    NotObject(&'static str),
    /// A required field is missing or of the wrong type.
    Field {
        /// Field name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// Reading stdin failed.
    Io(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Empty => write!(f, "empty input: expected one JSON object on stdin"),
            InputError::TooLarge { limit } => {
                write!(f, "input exceeds the {} MiB limit", limit / (1024 * 1024))
            }
            InputError::NotUtf8 { offset } => write!(f, "input is not UTF-8 at byte {offset}"),
            InputError::Syntax(msg) => write!(f, "{msg}"),
            InputError::NotObject(what) => {
                write!(f, "expected a JSON object at the top level, found {what}")
            }
            InputError::Field { field, expected } => {
                write!(f, "field `{field}`: expected {expected}")
            }
            InputError::Io(msg) => write!(f, "reading stdin: {msg}"),
        }
    }
}

impl std::error::Error for InputError {}

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
    // In place, so a payload with a cut emoji costs no second copy.
    replace_lone_surrogates(&mut buf);
    Ok(buf)
}

/// Replaces every lone UTF-16 surrogate escape (`\ud83d` not followed by a low surrogate, or a low
/// surrogate on its own) by `\ufffd`, in place. Node's `JSON.stringify` writes them for a string
/// cut inside an emoji; serde_json refuses them. The replacement has the same length, so byte
/// positions in error messages still point into the payload as sent. Returns how many were
/// replaced.
pub fn replace_lone_surrogates(bytes: &mut [u8]) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(at) = next_lone_surrogate(bytes, from) {
        bytes[at + 2..at + 6].copy_from_slice(b"fffd");
        n += 1;
        from = at + 6;
    }
    n
}

/// Where the next lone surrogate escape at or after `from` starts (its backslash). Escapes are
/// walked as JSON does: `\\u...` is an escaped backslash and text, not an escape.
fn next_lone_surrogate(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(off) = bytes
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'\\'))
    {
        i += off;
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        match hex4(bytes, i + 2) {
            Some(0xD800..=0xDBFF) => {
                if low_surrogate_after(bytes, i).is_none() {
                    return Some(i);
                }
                i += 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(i),
            Some(_) => i += 6,
            None => i += 2,
        }
    }
    None
}

/// The low surrogate escape that follows the high one at `i` (`\\uD83D\\uDE00`), if there is one.
fn low_surrogate_after(bytes: &[u8], i: usize) -> Option<u32> {
    if bytes.get(i + 6) != Some(&b'\\') || bytes.get(i + 7) != Some(&b'u') {
        return None;
    }
    hex4(bytes, i + 8).filter(|u| (0xDC00..=0xDFFF).contains(u))
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16)
        .ok()
        .filter(|_| s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How deep `tool_input` is built: the analyzers read at most three levels
/// (`edits[i].new_string`); deeper values are `null`.
pub const MAX_INPUT_DEPTH: usize = 8;
/// Elements kept per array and keys per object of `tool_input`; the rest are skipped unbuilt.
pub const MAX_INPUT_ITEMS: usize = 1024;
/// Values built in all of `tool_input`; past it, values are `null`.
pub const MAX_INPUT_NODES: usize = 65_536;
/// String bytes (keys and values) built in all of `tool_input`: 16 MiB, the fields the analyzers
/// read first. With the 32 MiB input this bounds the hook's peak memory (README "Hardening").
pub const MAX_INPUT_STRING_BYTES: usize = 16 * 1024 * 1024;
/// The most kept of a payload's own string fields (tool name, session id, cwd, ...).
pub const MAX_FIELD_BYTES: usize = 4096;
const MAX_KEY_BYTES: usize = 256;

/// Top-level `tool_input` fields the analyzers read: built first, so a large field they ignore
/// cannot use up the string budget before them.
const READ_FIRST: &[&str] = &[
    "command",
    "file_path",
    "notebook_path",
    "path",
    "content",
    "new_string",
    "old_string",
    "new_source",
    "edits",
    "todos",
    "description",
];

/// Builds `tool_input` as a `serde_json::Value` within fixed bounds (depth, items, values, string
/// bytes). A 32 MB array of zeros becomes 1,024 numbers, not 16 million; strings are decoded from
/// the raw text directly, so no scratch copy of a large string is made either.
pub fn bounded_value(raw: &RawValue) -> Value {
    let mut b = Bounded {
        nodes: 0,
        strings: MAX_INPUT_STRING_BYTES,
    };
    b.build(raw.get(), 0, true)
}

struct Bounded {
    nodes: usize,
    strings: usize,
}

impl Bounded {
    fn build(&mut self, raw: &str, depth: usize, top: bool) -> Value {
        let raw = raw.trim_start();
        if self.nodes >= MAX_INPUT_NODES {
            return Value::Null;
        }
        self.nodes += 1;
        match raw.as_bytes().first() {
            Some(b'"') => {
                let s = unescape_capped(raw, self.strings);
                self.strings -= s.len();
                Value::String(s)
            }
            Some(b'{') if depth < MAX_INPUT_DEPTH => {
                let mut entries: Vec<(String, &RawValue)> = Vec::new();
                let mut de = serde_json::Deserializer::from_str(raw);
                let _ = serde::Deserializer::deserialize_map(&mut de, Entries(&mut entries));
                if top {
                    // Stable: among equals the payload's order is kept.
                    entries.sort_by_key(|(k, _)| !READ_FIRST.contains(&k.as_str()));
                }
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    if self.nodes >= MAX_INPUT_NODES {
                        break;
                    }
                    let k = cut_to(&k, MAX_KEY_BYTES.min(self.strings)).to_owned();
                    self.strings -= k.len();
                    let v = self.build(v.get(), depth + 1, false);
                    map.insert(k, v);
                }
                Value::Object(map)
            }
            Some(b'[') if depth < MAX_INPUT_DEPTH => {
                let mut items: Vec<&RawValue> = Vec::new();
                let mut de = serde_json::Deserializer::from_str(raw);
                let _ = serde::Deserializer::deserialize_seq(&mut de, Items(&mut items));
                Value::Array(
                    items
                        .into_iter()
                        .map(|v| self.build(v.get(), depth + 1, false))
                        .collect(),
                )
            }
            Some(b'{' | b'[') => Value::Null,
            _ => serde_json::from_str::<Value>(raw).unwrap_or(Value::Null),
        }
    }
}

/// The first [`MAX_INPUT_ITEMS`] entries of a JSON object, raw; the rest skipped unbuilt.
struct Entries<'a, 'de>(&'a mut Vec<(String, &'de RawValue)>);

impl<'de> serde::de::Visitor<'de> for Entries<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<Key>()? {
            if self.0.len() < MAX_INPUT_ITEMS {
                self.0.push((k.0, map.next_value::<&RawValue>()?));
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The first [`MAX_INPUT_ITEMS`] elements of a JSON array, raw; the rest skipped unbuilt.
struct Items<'a, 'de>(&'a mut Vec<&'de RawValue>);

impl<'de> serde::de::Visitor<'de> for Items<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while self.0.len() < MAX_INPUT_ITEMS {
            match seq.next_element::<&RawValue>()? {
                Some(v) => self.0.push(v),
                None => return Ok(()),
            }
        }
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// An object key, cut to [`MAX_KEY_BYTES`].
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(cut_to(v, MAX_KEY_BYTES).to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut_to(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Decodes a raw JSON string (quotes included, already validated) into at most `cap` bytes, at a
/// character boundary. Lone surrogates become U+FFFD.
fn unescape_capped(raw: &str, cap: usize) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or("");
    if !inner.contains('\\') {
        return cut_to(inner, cap).to_owned();
    }
    let mut out = String::with_capacity(inner.len().min(cap));
    let bytes = inner.as_bytes();
    let mut i = 0;
    let push = |out: &mut String, c: char| -> bool {
        if out.len() + c.len_utf8() > cap {
            return false;
        }
        out.push(c);
        true
    };
    while i < bytes.len() {
        let Some(off) = bytes[i..].iter().position(|&b| b == b'\\') else {
            let rest = &inner[i..];
            out.push_str(cut_to(rest, cap - out.len()));
            break;
        };
        let run = &inner[i..i + off];
        if out.len() + run.len() > cap {
            out.push_str(cut_to(run, cap - out.len()));
            break;
        }
        out.push_str(run);
        i += off;
        let c = match bytes.get(i + 1) {
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'u') => {
                let unit = hex4(bytes, i + 2).unwrap_or(0xFFFD);
                if (0xD800..=0xDBFF).contains(&unit) {
                    if let Some(low) = low_surrogate_after(bytes, i) {
                        i += 6;
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        let c = char::from_u32(code).unwrap_or('\u{fffd}');
                        i += 6;
                        if !push(&mut out, c) {
                            break;
                        }
                        continue;
                    }
                }
                i += 4;
                char::from_u32(unit).unwrap_or('\u{fffd}')
            }
            Some(&b) => char::from(b),
            None => break,
        };
        i += 2;
        if !push(&mut out, c) {
            break;
        }
    }
    out
}

/// A string field of the payload, cut to [`MAX_FIELD_BYTES`]; `None` when not a string.
fn capped_string(raw: &RawValue) -> Option<String> {
    raw.get()
        .starts_with('"')
        .then(|| unescape_capped(raw.get(), MAX_FIELD_BYTES))
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    session_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    hook_event_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    cwd: Option<&'a RawValue>,
    #[serde(borrow, default)]
    transcript_path: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_use_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_response: Option<&'a RawValue>,
    #[serde(borrow, default)]
    timestamp_ms: Option<&'a RawValue>,
    #[serde(borrow, default)]
    agent_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(borrow, default)]
    is_interrupt: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_calls: Option<&'a RawValue>,
}

/// One entry of a `PostToolBatch`'s `tool_calls`; only what says whether it was refused is read.
#[derive(Deserialize)]
struct BatchCallWire<'a> {
    #[serde(borrow, default)]
    tool_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_use_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_response: Option<&'a RawValue>,
}

/// The few fields of an object-shaped `tool_response` that say whether the call failed. Every
/// other field is skipped by the parser without being built. Each is kept raw and read on its own,
/// so one field of an unexpected type (`"status": 500`) does not hide the others.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ResponseProbe<'a> {
    #[serde(borrow)]
    success: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    #[serde(borrow)]
    is_error: Option<&'a RawValue>,
    #[serde(borrow, rename = "isError")]
    is_error_camel: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
}

fn raw_bool(raw: Option<&RawValue>) -> Option<bool> {
    raw.and_then(|r| serde_json::from_str::<bool>(r.get()).ok())
}

/// How much of an error text a call keeps for its own message and signature (never persisted).
const ERROR_CHARS: usize = 4000;

/// What posthook learns from a `tool_response`: its size, and the error if it reports one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseSummary {
    /// Size in bytes of the raw JSON.
    pub len: u64,
    /// The error, when the response reports a failure.
    pub error: Option<String>,
}

/// Summarizes a raw `tool_response`.
pub fn summarize_response(raw: &RawValue) -> ResponseSummary {
    let text = raw.get();
    let mut out = ResponseSummary {
        len: text.len() as u64,
        error: None,
    };
    match text.as_bytes().first() {
        Some(b'"') => {
            // A plain string: failed calls carry "Error: ..." or "<tool_use_error>...".
            {
                // Only the start says whether it failed: a 30 MB string is never copied whole.
                let s = unescape_capped(text, 4 * ERROR_CHARS + 64);
                let t = s.trim_start();
                let lower = t.get(..20).unwrap_or(t).to_ascii_lowercase();
                if lower.starts_with("error") || lower.starts_with("<tool_use_error>") {
                    let t = t.trim_start_matches("<tool_use_error>");
                    out.error = Some(truncate_chars(t.trim(), ERROR_CHARS).into_owned());
                }
            }
        }
        Some(b'{') => {
            if let Ok(p) = serde_json::from_str::<ResponseProbe<'_>>(text) {
                let error_text = p
                    .error
                    .and_then(|e| match Ok::<Value, ()>(bounded_value(e)) {
                        Ok(Value::String(s)) if !s.trim().is_empty() => Some(s),
                        Ok(Value::Null) | Ok(Value::Bool(false)) => None,
                        Ok(Value::String(_)) => None,
                        Ok(other) => {
                            Some(truncate_chars(&other.to_string(), ERROR_CHARS).into_owned())
                        }
                        Err(()) => None,
                    });
                let status = opt_string(p.status);
                let flagged = raw_bool(p.success) == Some(false)
                    || raw_bool(p.is_error) == Some(true)
                    || raw_bool(p.is_error_camel) == Some(true)
                    || matches!(status.as_deref(), Some("error" | "failed" | "failure"));
                if flagged || error_text.is_some() {
                    let msg =
                        error_text.unwrap_or_else(|| String::from("the tool reported a failure"));
                    out.error = Some(truncate_chars(&msg, ERROR_CHARS).into_owned());
                }
            }
        }
        _ => {}
    }
    out
}

/// Whether [`replace_lone_surrogates`] would change anything (no copy made to find out).
fn has_lone_surrogate(bytes: &[u8]) -> bool {
    next_lone_surrogate(bytes, 0).is_some()
}

fn kind_of(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

fn opt_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(capped_string)
}

/// Parses one hook payload. `now_ms` stamps the call; `project_dir` is `CLAUDE_PROJECT_DIR`.
///
/// A payload may carry `timestamp_ms` (an integer, ms since the Unix epoch): then the call is
/// stamped with it instead of `now_ms`. Claude Code does not send it; it is for replaying recorded
/// sessions and for tests, so that the gaps between calls (which tell parallel calls from
/// sequential turns) are the recorded ones and not those of the replay. A value that is not a
/// non-negative integer is ignored (the clock is used), so the field can never break a payload.
pub fn parse(
    bytes: &[u8],
    now_ms: u64,
    project_dir: Option<&str>,
) -> Result<HookInput, InputError> {
    let fixed;
    let bytes = if has_lone_surrogate(bytes) {
        let mut copy = bytes.to_vec();
        replace_lone_surrogates(&mut copy);
        fixed = copy;
        &fixed[..]
    } else {
        bytes
    };
    let text = std::str::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(InputError::Empty);
    }
    let first = text.trim_start().as_bytes()[0];
    if first != b'{' {
        // Say what the top level is when it is valid JSON, else report the syntax error.
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => InputError::NotObject(kind_of(text)),
            Err(e) => InputError::Syntax(e.to_string()),
        });
    }
    let wire: Wire<'_> =
        serde_json::from_str(text).map_err(|e| InputError::Syntax(e.to_string()))?;

    let event = match wire.hook_event_name {
        None => {
            return Err(InputError::Field {
                field: "hook_event_name",
                expected: "a string",
            })
        }
        Some(raw) => capped_string(raw).ok_or(InputError::Field {
            field: "hook_event_name",
            expected: "a string",
        })?,
    };
    let tool_name = match wire.tool_name {
        None => None,
        Some(raw) => match capped_string(raw) {
            Some(s) => Some(s),
            None => {
                return Err(InputError::Field {
                    field: "tool_name",
                    expected: "a string",
                })
            }
        },
    };
    let is_call_event = matches!(event.as_str(), "PostToolUse" | "PostToolUseFailure");
    if is_call_event && tool_name.is_none() {
        return Err(InputError::Field {
            field: "tool_name",
            expected: "a string on a PostToolUse or PostToolUseFailure event",
        });
    }
    let cwd = opt_string(wire.cwd);
    let agent_id = opt_string(wire.agent_id).filter(|a| !a.is_empty());
    let tool_use_id = opt_string(wire.tool_use_id);
    let ts_ms = wire
        .timestamp_ms
        .and_then(|r| r.get().parse::<u64>().ok())
        .unwrap_or(now_ms);
    let call = match tool_name {
        Some(tool) if is_call_event => {
            let mut call = ToolCall::new(tool, parse_tool_input(wire.tool_input)?).at(ts_ms);
            if event == "PostToolUseFailure" {
                // The client's `error` text: kept for this call's message, never stored.
                let error = opt_string(wire.error)
                    .filter(|e| !e.trim().is_empty())
                    .unwrap_or_else(|| String::from("the tool failed"));
                call = call.failed_with(truncate_chars(error.trim(), ERROR_CHARS).into_owned());
                if raw_bool(wire.is_interrupt) == Some(true) {
                    call.outcome = Outcome::Interrupted;
                }
            } else {
                // Older clients report a failure inside a PostToolUse response.
                let summary = wire
                    .tool_response
                    .map(summarize_response)
                    .unwrap_or_default();
                call.response_len = summary.len;
                if let Some(e) = summary.error {
                    call = call.failed_with(e);
                }
            }
            call.cwd = cwd.clone();
            call.project_dir = project_dir.map(str::to_owned);
            call.agent_id = agent_id.clone();
            call.tool_use_id = tool_use_id.clone();
            Some(call)
        }
        _ => None,
    };
    let batch = if event == "PostToolBatch" {
        Some(parse_batch(
            wire.tool_calls,
            ts_ms,
            &agent_id,
            cwd.as_deref(),
            project_dir,
        )?)
    } else {
        None
    };
    Ok(HookInput {
        session_id: opt_string(wire.session_id).unwrap_or_default(),
        event,
        cwd,
        transcript_path: opt_string(wire.transcript_path),
        tool_use_id,
        agent_id,
        call,
        batch,
    })
}

/// `tool_input` is kept as a Value: it is what the analyzers read. Odd shapes (array, string,
/// null) are kept as they are; accessors simply find no fields in them.
///
/// Built within fixed bounds ([`bounded_value`]): what the analyzers read, never a tree as large as
/// the payload.
fn parse_tool_input(raw: Option<&RawValue>) -> Result<Value, InputError> {
    Ok(raw.map_or(Value::Null, bounded_value))
}

/// The text of a refusal, when `raw` (a batch entry's `tool_response`) is one: a string, or a
/// list of text blocks, that starts with `<tool_use_error>`.
fn refusal_text(raw: &RawValue) -> Option<String> {
    let text = match bounded_value(raw) {
        Value::String(s) => s,
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return None,
    };
    let t = text.trim_start();
    if !t.starts_with("<tool_use_error>") {
        return None;
    }
    Some(truncate_chars(t, ERROR_CHARS).into_owned())
}

fn parse_batch(
    raw: Option<&RawValue>,
    ts_ms: u64,
    agent_id: &Option<String>,
    cwd: Option<&str>,
    project_dir: Option<&str>,
) -> Result<BatchInput, InputError> {
    let mut out = BatchInput {
        ts_ms,
        ..BatchInput::default()
    };
    let Some(raw) = raw else {
        return Ok(out);
    };
    // At most MAX_INPUT_ITEMS calls are read, each kept raw until it is read: a batch of ten
    // million `{}` builds nothing.
    let mut items: Vec<&RawValue> = Vec::new();
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let calls: Option<Vec<BatchCallWire<'_>>> =
        serde::Deserializer::deserialize_seq(&mut de, Items(&mut items))
            .ok()
            .and_then(|()| {
                items
                    .iter()
                    .map(|i| serde_json::from_str::<BatchCallWire<'_>>(i.get()).ok())
                    .collect()
            });
    let Some(calls) = calls else {
        return Err(InputError::Field {
            field: "tool_calls",
            expected: "an array of objects on a PostToolBatch event",
        });
    };
    for c in calls {
        let Some(id) = opt_string(c.tool_use_id) else {
            continue;
        };
        out.ids.push(id.clone());
        let Some(error) = c.tool_response.and_then(refusal_text) else {
            continue;
        };
        let tool = opt_string(c.tool_name).unwrap_or_default();
        let mut call = ToolCall::new(tool, parse_tool_input(c.tool_input)?)
            .at(ts_ms)
            .with_id(id)
            .failed_with(error);
        call.outcome = Outcome::Rejected;
        call.cwd = cwd.map(str::to_owned);
        call.project_dir = project_dir.map(str::to_owned);
        call.agent_id = agent_id.clone();
        out.rejected.push(call);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<HookInput, InputError> {
        parse(s.as_bytes(), 1, None)
    }

    #[test]
    fn minimal_post_tool_use() {
        let h = p(r#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":{"stdout":"x","stderr":"","interrupted":false}}"#).expect("parses");
        let call = h.call.expect("tool call");
        assert_eq!(call.command(), Some("ls"));
        assert!(!call.failed);
        assert!(call.response_len > 10);
    }

    #[test]
    fn response_shapes() {
        let r =
            |s: &str| summarize_response(&serde_json::from_str::<Box<RawValue>>(s).expect("json"));
        assert_eq!(
            r(r#""Error: Exit code 1""#).error.as_deref(),
            Some("Error: Exit code 1")
        );
        assert_eq!(r(r#""all good""#).error, None);
        assert_eq!(r(r#"[{"type":"text","text":"x"}]"#).error, None);
        assert_eq!(
            r(r#"{"success":false,"error":"File not found"}"#)
                .error
                .as_deref(),
            Some("File not found")
        );
        assert!(r(r#"{"isError":true,"content":[]}"#).error.is_some());
        assert_eq!(
            r(r#"{"stdout":"","stderr":"error: x","interrupted":false}"#).error,
            None
        );
        assert_eq!(r(r#"{"error":null,"data":{"deep":[1,2,3]}}"#).error, None);
        assert_eq!(r("42").error, None);
    }

    #[test]
    fn errors_name_what_and_where() {
        assert_eq!(p(""), Err(InputError::Empty));
        assert_eq!(p("  \n"), Err(InputError::Empty));
        assert_eq!(p("[1]"), Err(InputError::NotObject("an array")));
        assert_eq!(p("null"), Err(InputError::NotObject("null")));
        let e = p(r#"{"hook_event_name":"PostToolUse" "x":1}"#).expect_err("syntax");
        assert!(e.to_string().contains("line 1 column"), "{e}");
        assert!(matches!(
            p(r#"{"tool_name":"Bash"}"#),
            Err(InputError::Field {
                field: "hook_event_name",
                ..
            })
        ));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUse","tool_name":3}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUse"}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
        assert_eq!(
            parse(b"{\"a\":\"\xff\"}", 0, None),
            Err(InputError::NotUtf8 { offset: 6 })
        );
    }

    #[test]
    fn payload_timestamp_overrides_the_clock() {
        let h = p(
            r#"{"hook_event_name":"PostToolUse","tool_name":"Read","timestamp_ms":1700000000123}"#,
        )
        .expect("parses");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1_700_000_000_123));
        let h = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Read"}"#).expect("parses");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1), "the clock otherwise");
        let h = p(r#"{"hook_event_name":"PostToolUse","tool_name":"Read","timestamp_ms":"soon"}"#)
            .expect("an odd value is ignored");
        assert_eq!(h.call.map(|c| c.ts_ms), Some(1));
    }

    #[test]
    fn failures_as_the_real_client_sends_them() {
        let h = p(r#"{"session_id":"s","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{"command":"ls nope"},"tool_use_id":"t1","error":"Exit code 2\nls: cannot access 'nope': No such file or directory","is_interrupt":false,"duration_ms":5,"agent_id":"a1","agent_type":"Explore"}"#).expect("parses");
        assert!(h.is_recorded() && !h.is_post_tool_use());
        let call = h.call.expect("a call");
        assert!(call.failed);
        assert_eq!(call.outcome, Outcome::Failed);
        assert_eq!(call.agent_id.as_deref(), Some("a1"));
        assert_eq!(call.tool_use_id.as_deref(), Some("t1"));
        assert!(call
            .error
            .as_deref()
            .is_some_and(|e| e.contains("cannot access")));
        let h = p(r#"{"hook_event_name":"PostToolUseFailure","tool_name":"Bash","error":"","is_interrupt":true}"#).expect("parses");
        assert_eq!(h.call.map(|c| c.outcome), Some(Outcome::Interrupted));
        assert!(matches!(
            p(r#"{"hook_event_name":"PostToolUseFailure"}"#),
            Err(InputError::Field {
                field: "tool_name",
                ..
            })
        ));
    }

    #[test]
    fn batches_list_the_turn_and_its_refusals() {
        let h = p(r#"{"session_id":"s","hook_event_name":"PostToolBatch","tool_calls":[{"tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t1","tool_response":"a\nb"},{"tool_name":"Edit","tool_input":{"file_path":"/p/a","old_string":"x","new_string":"y"},"tool_use_id":"t2","tool_response":"<tool_use_error>String to replace not found in file.</tool_use_error>"},{"tool_use_id":"t3","tool_response":[{"type":"text","text":"ok"}]}]}"#).expect("parses");
        assert!(h.is_recorded() && h.call.is_none());
        let b = h.batch.expect("a batch");
        assert_eq!(b.ids, vec!["t1", "t2", "t3"]);
        assert_eq!(b.rejected.len(), 1);
        assert_eq!(b.rejected[0].tool, "Edit");
        assert_eq!(b.rejected[0].outcome, Outcome::Rejected);
        assert_eq!(b.rejected[0].path(), Some("/p/a"));
        let h = p(r#"{"hook_event_name":"PostToolBatch"}"#).expect("no calls is fine");
        assert_eq!(h.batch.map(|b| b.ids.len()), Some(0));
        assert!(p(r#"{"hook_event_name":"PostToolBatch","tool_calls":3}"#).is_err());
    }

    #[test]
    fn other_events_are_accepted() {
        let h = p(r#"{"hook_event_name":"SessionStart","session_id":"s","source":"startup"}"#)
            .expect("ok");
        assert!(!h.is_post_tool_use() && !h.is_recorded());
    }

    #[test]
    fn cap() {
        let data = [b' '; 100];
        assert_eq!(
            read_capped(&data[..], 10),
            Err(InputError::TooLarge { limit: 10 })
        );
        assert_eq!(read_capped(&data[..], 100).map(|v| v.len()), Ok(100));
    }

    #[test]
    fn lone_surrogates_become_replacement_characters_in_place() {
        let mut b = br#"{"a":"x\ud83d","b":"\udc00","c":"\ud83d\ude00","d":"\\ud83d"}"#.to_vec();
        let len = b.len();
        assert_eq!(replace_lone_surrogates(&mut b), 2);
        assert_eq!(b.len(), len, "same length: positions hold");
        let v: Value = serde_json::from_slice(&b).expect("valid now");
        assert_eq!(v["a"], "x\u{fffd}");
        assert_eq!(v["b"], "\u{fffd}");
        assert_eq!(v["c"], "\u{1f600}");
        assert_eq!(v["d"], "\\ud83d", "an escaped backslash is not an escape");
    }

    #[test]
    fn tool_input_is_built_within_bounds() {
        let zeros = format!("[{}0]", "0,".repeat(100_000));
        let raw: Box<RawValue> = serde_json::from_str(&zeros).expect("json");
        assert_eq!(
            bounded_value(&raw).as_array().map(Vec::len),
            Some(MAX_INPUT_ITEMS)
        );
        let deep = format!("{}1{}", "[".repeat(50), "]".repeat(50));
        let raw: Box<RawValue> = serde_json::from_str(&deep).expect("json");
        let mut v = bounded_value(&raw);
        let mut depth = 0;
        while let Value::Array(mut a) = v {
            depth += 1;
            v = a.pop().unwrap_or(Value::Null);
        }
        assert_eq!(depth, MAX_INPUT_DEPTH);
        let raw: Box<RawValue> = serde_json::from_str(
            r#"{"big":"\u00e9\n\"q\"\ud83d\ude00","command":"ls","edits":[{"new_string":"a"}]}"#,
        )
        .expect("json");
        let v = bounded_value(&raw);
        assert_eq!(v["big"], "\u{e9}\n\"q\"\u{1f600}");
        assert_eq!(v["edits"][0]["new_string"], "a");
        assert_eq!(
            unescape_capped(r#""\u00e9\u00e9""#, 3),
            "\u{e9}",
            "cut at a character"
        );
    }
}
