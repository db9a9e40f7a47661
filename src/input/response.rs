//! What a `tool_response` says: its size, and the error when it reports one, found without
//! building it.

use super::bounded::bounded_value;
use super::members::members;
use super::unescape::unescape_capped;
use super::wire::{capped_text, text_bool};
use posthook_analyzers::{ceil_boundary, floor_boundary, truncate_chars};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// The few members of an object-shaped `tool_response` that say whether the call failed, as JSON
/// text; the walk ([`members`]) passes over every other member without decoding it. Each is read
/// on its own, so one member of an unexpected type (`"status": 500`) does not hide the others.
#[derive(Default)]
struct ResponseProbe<'a> {
    success: Option<&'a str>,
    error: Option<&'a str>,
    is_error: Option<&'a str>,
    is_error_camel: Option<&'a str>,
    status: Option<&'a str>,
    stdout: Option<&'a str>,
}

impl<'a> ResponseProbe<'a> {
    /// The probe of `text`, a valid JSON object; of a key given twice, the first.
    fn of(text: &'a str) -> ResponseProbe<'a> {
        let mut p = ResponseProbe::default();
        for (key, value) in members(text) {
            let decoded;
            let key = if key.contains('\\') {
                decoded = unescape_capped(key, 16);
                decoded.as_str()
            } else {
                &key[1..key.len() - 1]
            };
            let slot = match key {
                "success" => &mut p.success,
                "error" => &mut p.error,
                "is_error" => &mut p.is_error,
                "isError" => &mut p.is_error_camel,
                "status" => &mut p.status,
                "stdout" => &mut p.stdout,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        p
    }
}

/// Whether a command's first line of output is its own report of an error: a command that
/// exited 0 after printing `❌ Unknown hooks command: x` or `Error: ...` failed all the same, and
/// running it again unchanged fails the same way.
fn reports_an_error(first: &str) -> bool {
    let lower = first.to_ascii_lowercase();
    first.starts_with(['❌', '✖', '✗'])
        || lower.starts_with("error:")
        || lower.starts_with("fatal:")
        || lower.contains("command not found")
        || (lower.contains("unknown") && lower.contains("command"))
}

/// How much of an error text a call keeps for its own message and signature (never persisted).
pub(super) const ERROR_CHARS: usize = 4000;

/// How much of the start and of the end of a failed call's error text (`PostToolUseFailure`'s
/// `error`) is kept: the exit code and the first diagnostics are at the start, a test runner's
/// failures and a build's last errors at the end. Never persisted: only its signature is.
pub(super) const ERROR_HEAD_BYTES: usize = 2 * 1024;
/// See [`ERROR_HEAD_BYTES`].
pub(super) const ERROR_TAIL_BYTES: usize = 6 * 1024;

/// Raw error strings up to this size (as JSON, escapes included) are decoded whole, so that their
/// end is kept; a larger one (the client cuts a command's output long before) only by its start.
const ERROR_DECODE_BYTES: usize = 128 * 1024;

/// A failed call's `error` field: decoded whole when it is not huge (its end holds a test runner's
/// failures), else its start; `None` when it is not a string.
pub(super) fn error_text(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    if !text.starts_with('"') {
        return None;
    }
    if text.len() <= ERROR_DECODE_BYTES {
        if let Ok(s) = serde_json::from_str::<String>(text) {
            return Some(s);
        }
    }
    Some(unescape_capped(text, ERROR_HEAD_BYTES + ERROR_TAIL_BYTES))
}

/// `text` with its middle left out when it is longer than `head + tail` bytes: the first `head`
/// and the last `tail` bytes (at character boundaries), joined by a line that says so.
pub(super) fn head_and_tail(text: &str, head: usize, tail: usize) -> String {
    if text.len() <= head + tail {
        return text.to_owned();
    }
    let h = floor_boundary(text, head);
    let t = ceil_boundary(text, text.len() - tail);
    format!("{}\n[...]\n{}", &text[..h], &text[t..])
}

/// What posthook learns from a `tool_response`: its size, and the error if it reports one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ResponseSummary {
    /// Size in bytes of the raw JSON.
    pub len: u64,
    /// The error, when the response reports a failure.
    pub error: Option<String>,
}

/// The two output fields of a Bash `tool_response`, kept raw.
#[derive(Deserialize, Default)]
#[serde(default)]
struct OutputProbe<'a> {
    #[serde(borrow)]
    stdout: Option<&'a RawValue>,
    #[serde(borrow)]
    stderr: Option<&'a RawValue>,
}

/// The start of a Bash response's output (stdout, then stderr), decoded into at most `cap` bytes;
/// `None` when the response has neither.
pub(crate) fn command_output(raw: &RawValue, cap: usize) -> Option<String> {
    let p: OutputProbe<'_> = serde_json::from_str(raw.get()).ok()?;
    let mut out = String::new();
    for field in [p.stdout, p.stderr].into_iter().flatten() {
        if field.get().starts_with('"') && out.len() < cap {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&unescape_capped(field.get(), cap - out.len()));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Summarizes a raw `tool_response`.
pub(crate) fn summarize_response(raw: &RawValue) -> ResponseSummary {
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
                let first = t
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("");
                if lower.starts_with("error")
                    || lower.starts_with("<tool_use_error>")
                    || reports_an_error(first)
                {
                    let t = t.trim_start_matches("<tool_use_error>");
                    out.error = Some(truncate_chars(t.trim(), ERROR_CHARS).into_owned());
                }
            }
        }
        Some(b'{') => {
            let p = ResponseProbe::of(text);
            let error_text = p.error.and_then(|e| match bounded_value(e) {
                Value::String(s) if !s.trim().is_empty() => Some(s),
                Value::Null | Value::Bool(false) | Value::String(_) => None,
                other => Some(truncate_chars(&other.to_string(), ERROR_CHARS).into_owned()),
            });
            let status = p.status.and_then(capped_text);
            let flagged = text_bool(p.success) == Some(false)
                || text_bool(p.is_error) == Some(true)
                || text_bool(p.is_error_camel) == Some(true)
                || matches!(status.as_deref(), Some("error" | "failed" | "failure"));
            if flagged || error_text.is_some() {
                let msg = error_text.unwrap_or_else(|| String::from("the tool reported a failure"));
                out.error = Some(truncate_chars(&msg, ERROR_CHARS).into_owned());
            } else if let Some(raw) = p.stdout.filter(|r| r.starts_with('"')) {
                let head = unescape_capped(raw, ERROR_CHARS);
                let first = head.lines().map(str::trim).find(|l| !l.is_empty());
                if first.is_some_and(reports_an_error) {
                    out.error = Some(head);
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_long_error_keeps_its_start_and_its_end() {
        let long = format!(
            "Exit code 101\n{}\nassertion failed: left 3 right 9",
            "Compiling x\n".repeat(2000)
        );
        let kept = head_and_tail(&long, ERROR_HEAD_BYTES, ERROR_TAIL_BYTES);
        assert!(kept.len() < ERROR_HEAD_BYTES + ERROR_TAIL_BYTES + 16);
        assert!(kept.starts_with("Exit code 101\n"));
        assert!(kept.ends_with("assertion failed: left 3 right 9"));
        assert!(kept.contains("\n[...]\n"));
        assert_eq!(head_and_tail("short", 3, 2), "short");
        let wide = "é".repeat(10);
        let kept = head_and_tail(&wide, 3, 3);
        assert!(kept.starts_with('é') && kept.ends_with('é'), "{kept}");
    }

    #[test]
    fn a_command_that_reports_an_error_on_its_first_line_failed() {
        let r =
            |s: &str| summarize_response(&serde_json::from_str::<Box<RawValue>>(s).expect("json"));
        let e = r(r#"{"stdout":"\u274c Unknown hooks command: notification\nClaude Flow Hooks:\n  pre-task","stderr":""}"#).error;
        assert!(
            e.as_deref()
                .is_some_and(|e| e.starts_with("❌ Unknown hooks command: notification")),
            "{e:?}"
        );
        assert!(
            r(r#""\u274c Unknown hooks command: pre-search\nUsage: ...""#)
                .error
                .is_some()
        );
        assert!(r(r#"{"stdout":"\nError: no such task\n","stderr":""}"#)
            .error
            .is_some());
        assert!(
            r(r#"{"stdout":"bash: foo: command not found","stderr":""}"#)
                .error
                .is_some()
        );
        // Output that merely mentions errors is output.
        for ok in [
            r#"{"stdout":"src/a.rs:3: error: x","stderr":""}"#,
            r#"{"stdout":"0 errors, 2 warnings","stderr":""}"#,
            r#"{"stdout":"test result: ok. 3 passed\nerror: later","stderr":""}"#,
            r#"{"stdout":"","stderr":"Error: on stderr only"}"#,
        ] {
            assert_eq!(r(ok).error, None, "{ok}");
        }
    }
}
