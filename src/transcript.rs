//! Rebuilding PostToolUse payloads from Claude Code transcripts (JSONL).
//!
//! A transcript has one content block per line: `assistant` lines carry `tool_use` blocks, and a
//! later `user` line carries the matching `tool_result` plus a top-level `toolUseResult` (the
//! structured `tool_response`). Joining the two by id gives the payload the hook received. Lines
//! that do not parse and lines of other types are skipped; a `tool_use` without a result yields no
//! event. Payloads come out in the order their results appear, which is the order the hook ran.

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// One rebuilt hook event.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayEvent {
    /// The full PostToolUse stdin object.
    pub payload: Value,
    /// When the result was written, ms since the Unix epoch (from the line's `timestamp`).
    pub ts_ms: Option<u64>,
}

/// Counts of what a transcript held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranscriptStats {
    /// Lines read.
    pub lines: usize,
    /// Lines that were not JSON objects.
    pub bad_lines: usize,
    /// `tool_use` blocks seen.
    pub tool_uses: usize,
    /// `tool_use` blocks joined with a result (= events).
    pub joined: usize,
}

/// Parses an RFC 3339 timestamp (`2026-02-10T21:12:02.480Z`) into ms since the epoch.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    u64::try_from(d.as_millis()).ok()
}

struct PendingUse {
    name: String,
    input: Value,
}

fn content_blocks(line: &Value) -> &[Value] {
    line.get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Rebuilds the events of a transcript given as text.
pub fn events_from_str(text: &str) -> (Vec<ReplayEvent>, TranscriptStats) {
    let mut stats = TranscriptStats::default();
    let mut pending: HashMap<String, PendingUse> = HashMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        stats.lines += 1;
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            stats.bad_lines += 1;
            continue;
        };
        if !v.is_object() {
            stats.bad_lines += 1;
            continue;
        }
        match v.get("type").and_then(Value::as_str) {
            Some("assistant") => {
                for b in content_blocks(&v) {
                    if b.get("type").and_then(Value::as_str) != Some("tool_use") {
                        continue;
                    }
                    let (Some(id), Some(name)) = (
                        b.get("id").and_then(Value::as_str),
                        b.get("name").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    stats.tool_uses += 1;
                    pending.insert(
                        id.to_string(),
                        PendingUse {
                            name: name.to_string(),
                            input: b.get("input").cloned().unwrap_or(Value::Null),
                        },
                    );
                }
            }
            Some("user") => {
                let results: Vec<&Value> = content_blocks(&v)
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
                    .collect();
                for &b in &results {
                    let Some(id) = b.get("tool_use_id").and_then(Value::as_str) else {
                        continue;
                    };
                    let Some(used) = pending.remove(id) else {
                        continue;
                    };
                    stats.joined += 1;
                    // The structured result sits beside the block when the line holds one result;
                    // otherwise fall back to the block's own content.
                    let response = match v.get("toolUseResult") {
                        Some(r) if results.len() == 1 => r.clone(),
                        _ => b.get("content").cloned().unwrap_or(Value::Null),
                    };
                    let mut payload = Map::new();
                    let s = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
                    payload.insert("session_id".into(), s("sessionId"));
                    payload.insert("transcript_path".into(), Value::Null);
                    payload.insert("cwd".into(), s("cwd"));
                    payload.insert("permission_mode".into(), json!("default"));
                    payload.insert("hook_event_name".into(), json!("PostToolUse"));
                    payload.insert("tool_name".into(), json!(used.name));
                    payload.insert("tool_input".into(), used.input);
                    payload.insert("tool_response".into(), response);
                    payload.insert("tool_use_id".into(), json!(id));
                    out.push(ReplayEvent {
                        payload: Value::Object(payload),
                        ts_ms: v
                            .get("timestamp")
                            .and_then(Value::as_str)
                            .and_then(parse_timestamp),
                    });
                }
            }
            _ => {}
        }
    }
    (out, stats)
}

/// Rebuilds the events of a transcript file.
pub fn events_from_file(path: &Path) -> std::io::Result<(Vec<ReplayEvent>, TranscriptStats)> {
    let text = std::fs::read(path)?;
    Ok(events_from_str(&String::from_utf8_lossy(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_use_and_result() {
        let t = r#"{"type":"assistant","sessionId":"s","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]}}
not json
{"type":"system"}
{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t2","name":"Read","input":{}}]}}
{"type":"user","sessionId":"s","cwd":"/p","timestamp":"2026-02-10T21:12:02.480Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"x"}]},"toolUseResult":{"stdout":"a","stderr":""}}"#;
        let (ev, st) = events_from_str(t);
        assert_eq!(st.tool_uses, 2);
        assert_eq!(st.joined, 1);
        assert_eq!(st.bad_lines, 1);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].payload["tool_name"], "Bash");
        assert_eq!(ev[0].payload["tool_response"]["stdout"], "a");
        assert_eq!(ev[0].payload["cwd"], "/p");
        assert_eq!(ev[0].ts_ms, Some(1_770_757_922_480));
    }
}
