//! A `PostToolBatch` event: the calls of the turn, and those of them refused before they ran.

use super::bounded::{bounded_value, parse_tool_input, Items};
use super::response::ERROR_CHARS;
use super::wire::{opt_string, BatchCallWire};
use super::{BatchInput, InputError};
use posthook_analyzers::{truncate_chars, Outcome, ToolCall};
use serde_json::value::RawValue;
use serde_json::Value;

/// The text of a refusal, when `raw` (a batch entry's `tool_response`) is one: a string, or a
/// list of text blocks, that starts with `<tool_use_error>`.
fn refusal_text(raw: &RawValue) -> Option<String> {
    let text = match bounded_value(raw.get()) {
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

pub(super) fn parse_batch(
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
    use crate::input::{parse, HookInput, InputError};
    use posthook_analyzers::Outcome;

    fn p(s: &str) -> Result<HookInput, InputError> {
        parse(s.as_bytes(), 1, None)
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
}
