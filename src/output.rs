//! Turns a result into what Claude Code reads: an exit code and bytes for stdout and stderr.
//! The only hook-path module that writes to them.
//!
//! The contract (see docs/output.md):
//! - `stderr` (default): blocking feedback goes to stderr with exit 2, which Claude Code shows to
//!   Claude; non-blocking feedback goes to stdout as JSON `additionalContext` with exit 0, which
//!   Claude also sees, without the error label; no feedback: silence and exit 0.
//! - `json`: always exit 0; each message is sent once: non-blocking feedback as
//!   `hookSpecificOutput.additionalContext`, blocking feedback as `"decision": "block"` with the
//!   text in `"reason"` only (the client forwards both fields to Claude, so the same text in both
//!   would reach it twice; `reason` is the one it shows as a blocking hook's message, the channel
//!   exit 2 uses).
//! - `quiet`: analyze and record, print nothing, exit 0.
//! - The end of a turn (`Stop`, `SubagentStop`): blocking feedback blocks the stop, and the model
//!   goes on with the text as its next instruction: exit 2 with the text on stderr, or in `json`
//!   `"decision": "block"` with the text as `hookSpecificOutput.additionalContext` (Claude Code
//!   2.1.332 shows a stop's `reason` to the model twice, the additional context once).
//!   Non-blocking feedback is a `{"systemMessage": ...}` for the user, exit 0.
//! - Bad input: one line on stderr, exit 1 (Claude Code shows it to the user only).

use crate::exit;
use crate::input::InputError;
use posthook_analyzers::{safe_message, visible_controls, Feedback};
use serde_json::json;
use std::io::Write;

/// How feedback is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputMode {
    /// Blocking feedback on stderr with exit 2; other feedback as JSON context on stdout.
    #[default]
    Stderr,
    /// Always exit 0; feedback as JSON on stdout.
    Json,
    /// Print nothing; only analyze and record.
    Quiet,
}

impl OutputMode {
    /// Parses `stderr`, `json` or `quiet`.
    pub fn parse(s: &str) -> Option<OutputMode> {
        match s {
            "stderr" => Some(OutputMode::Stderr),
            "json" => Some(OutputMode::Json),
            "quiet" => Some(OutputMode::Quiet),
            _ => None,
        }
    }

    /// The mode's name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputMode::Stderr => "stderr",
            OutputMode::Json => "json",
            OutputMode::Quiet => "quiet",
        }
    }
}

/// What the hook process writes and how it exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    /// Bytes for stdout.
    pub stdout: Vec<u8>,
    /// Bytes for stderr.
    pub stderr: Vec<u8>,
    /// Exit code: 0, 1 (bad input) or 2 (blocking feedback); the numbers are defined once, in
    /// the crate's exit-code module.
    pub code: u8,
}

/// Whether `event` is the end of a turn, which has no `additionalContext`: a message reaches the
/// model only by blocking the stop, and otherwise goes to the user as a `systemMessage`.
fn is_stop(event: &str) -> bool {
    matches!(event, "Stop" | "SubagentStop")
}

fn context_json(text: &str, blocking: bool, event: &str) -> Vec<u8> {
    let v = if blocking && is_stop(event) {
        // Claude Code 2.1.332 shows a stop's `reason` to the model twice (as the stop hook's
        // feedback and as its blocking error); the text as the block's additional context
        // reaches it once.
        json!({
            "decision": "block",
            "hookSpecificOutput": {
                "hookEventName": event,
                "additionalContext": text,
            }
        })
    } else if blocking {
        json!({ "decision": "block", "reason": text })
    } else if is_stop(event) {
        json!({ "systemMessage": text })
    } else {
        json!({
            "hookSpecificOutput": {
                "hookEventName": event,
                "additionalContext": text,
            }
        })
    };
    let mut bytes = v.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

/// Renders the feedback of one event in `mode`; `event` is its `hook_event_name`, which a JSON
/// answer names.
///
/// The text passes through [`safe_message`] first: control characters taken from paths, commands
/// or tool names are shown as `\u001b` and the like, and no line of it but the first can read
/// `posthook [`.
pub fn render(feedback: Option<&Feedback>, mode: OutputMode, event: &str) -> Rendered {
    let Some(fb) = feedback else {
        return Rendered::default();
    };
    let safe = Feedback {
        text: safe_message(&fb.text).into_owned(),
        ..fb.clone()
    };
    let fb = &safe;
    match mode {
        OutputMode::Quiet => Rendered::default(),
        OutputMode::Json => Rendered {
            stdout: context_json(&fb.text, fb.blocking, event),
            ..Rendered::default()
        },
        OutputMode::Stderr if fb.blocking => {
            let mut stderr = fb.text.clone().into_bytes();
            stderr.push(b'\n');
            Rendered {
                stderr,
                code: exit::BLOCKING,
                ..Rendered::default()
            }
        }
        OutputMode::Stderr => Rendered {
            stdout: context_json(&fb.text, false, event),
            ..Rendered::default()
        },
    }
}

/// Renders a report's answer in `mode`: its feedback ([`render`]) and, in JSON mode, its notice
/// for the user as `systemMessage` (in stderr mode a blocking message is exit 2 and text, which
/// has no field for the user).
pub(crate) fn render_report(
    report: &crate::runtime::Report,
    mode: OutputMode,
    event: &str,
) -> Rendered {
    let mut r = render(report.feedback.as_ref(), mode, event);
    let Some(notice) = report.notice.as_deref() else {
        return r;
    };
    if mode != OutputMode::Json || r.stdout.is_empty() {
        return r;
    }
    if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice(&r.stdout) {
        m.insert(
            "systemMessage".into(),
            serde_json::Value::String(visible_controls(notice).into_owned()),
        );
        let mut bytes = serde_json::Value::Object(m).to_string().into_bytes();
        bytes.push(b'\n');
        r.stdout = bytes;
    }
    r
}

/// Tells the user, once per session, that posthook hit a fault of its own (`fault`: its kind) on
/// this call: a `systemMessage`, which Claude Code shows the user and not the model, in an answer
/// that stays exit 0 (added to the JSON answer, or the whole answer when there was none). A
/// blocking answer in stderr mode (exit 2, text) has no field for it: it is left as it is, and
/// `posthook statusline` and `doctor` still show the fault.
pub(crate) fn with_fault_notice(mut r: Rendered, fault: Option<&str>) -> Rendered {
    let Some(kind) = fault else { return r };
    if r.code != exit::OK {
        return r;
    }
    let text = format!(
        "posthook: internal fault ({kind}); the session goes on without it (see `posthook doctor`)"
    );
    let mut m = match serde_json::from_slice(&r.stdout) {
        Ok(serde_json::Value::Object(m)) => m,
        _ if r.stdout.is_empty() => serde_json::Map::new(),
        _ => return r,
    };
    m.entry("systemMessage")
        .or_insert(serde_json::Value::String(text));
    let mut bytes = serde_json::Value::Object(m).to_string().into_bytes();
    bytes.push(b'\n');
    r.stdout = bytes;
    r
}

/// Whether the answer to `report` in `mode` can carry a notice for the user: not in quiet mode,
/// not as exit 2 and text.
pub(crate) fn can_tell(report: &crate::runtime::Report, mode: OutputMode) -> bool {
    let blocking = report.feedback.as_ref().is_some_and(|f| f.blocking);
    match mode {
        OutputMode::Quiet => false,
        OutputMode::Stderr => !blocking,
        OutputMode::Json => true,
    }
}

/// Renders the one-line answer to a payload posthook cannot read.
pub fn render_input_error(e: &InputError) -> Rendered {
    let line = format!(
        "posthook: invalid hook input: {}\n",
        visible_controls(&e.to_string())
    );
    Rendered {
        stderr: line.into_bytes(),
        code: exit::FAILURE,
        ..Rendered::default()
    }
}

/// Writes `r` to the process's stdout and stderr. A closed pipe is not an error: Claude Code may
/// have stopped listening, and the exit code still says what happened.
pub(crate) fn emit(r: &Rendered) {
    if !r.stdout.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&r.stdout).and_then(|()| out.flush());
    }
    if !r.stderr.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&r.stderr).and_then(|()| err.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::guidance::Escalation;
    use posthook_analyzers::Severity;

    fn fb(blocking: bool) -> Feedback {
        Feedback {
            rule: "exec-safety".into(),
            severity: Severity::Critical,
            escalation: Escalation::Gentle,
            blocking,
            text: "posthook [exec-safety] x".into(),
        }
    }

    #[test]
    fn modes() {
        assert_eq!(
            render(None, OutputMode::Stderr, "PostToolUse"),
            Rendered::default()
        );
        let b = render(Some(&fb(true)), OutputMode::Stderr, "PostToolUse");
        assert_eq!((b.code, b.stdout.is_empty()), (2, true));
        assert_eq!(b.stderr, b"posthook [exec-safety] x\n");
        let nb = render(Some(&fb(false)), OutputMode::Stderr, "PostToolUseFailure");
        assert_eq!((nb.code, nb.stderr.is_empty()), (0, true));
        let v: serde_json::Value = serde_json::from_slice(&nb.stdout).expect("json");
        assert_eq!(
            v["hookSpecificOutput"]["additionalContext"],
            "posthook [exec-safety] x"
        );
        assert_eq!(
            v["hookSpecificOutput"]["hookEventName"], "PostToolUseFailure",
            "the answer names the event it answers"
        );
        let j = render(Some(&fb(true)), OutputMode::Json, "PostToolUse");
        assert_eq!(j.code, 0);
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("json");
        assert_eq!(v["decision"], "block");
        assert_eq!(v["reason"], "posthook [exec-safety] x");
        let text = String::from_utf8(j.stdout.clone()).expect("utf8");
        assert_eq!(
            text.matches("posthook [exec-safety]").count(),
            1,
            "a blocking message is sent once: {text}"
        );
        let j = render(Some(&fb(false)), OutputMode::Json, "PostToolUse");
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("json");
        assert_eq!(v.get("decision"), None);
        assert_eq!(
            v["hookSpecificOutput"]["additionalContext"],
            "posthook [exec-safety] x"
        );
        assert_eq!(
            render(Some(&fb(true)), OutputMode::Quiet, "PostToolUse"),
            Rendered::default()
        );
    }

    #[test]
    fn stops_are_blocked_or_told_to_the_user() {
        let stop = |blocking: bool, mode: OutputMode, event: &str| {
            let fb = Feedback {
                rule: "unchecked-stop".into(),
                blocking,
                ..fb(blocking)
            };
            render(Some(&fb), mode, event)
        };
        let b = stop(true, OutputMode::Stderr, "Stop");
        assert_eq!((b.code, b.stdout.is_empty()), (2, true));
        let j = stop(true, OutputMode::Json, "SubagentStop");
        let v: serde_json::Value = serde_json::from_slice(&j.stdout).expect("json");
        assert_eq!((j.code, &v["decision"]), (0, &json!("block")));
        assert_eq!(
            v.get("reason"),
            None,
            "the client would show a reason twice"
        );
        assert_eq!(v["hookSpecificOutput"]["hookEventName"], "SubagentStop");
        assert_eq!(
            v["hookSpecificOutput"]["additionalContext"],
            "posthook [exec-safety] x"
        );
        for mode in [OutputMode::Stderr, OutputMode::Json] {
            let a = stop(false, mode, "Stop");
            let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("json");
            assert_eq!(a.code, 0);
            assert_eq!(v["systemMessage"], "posthook [exec-safety] x");
            assert_eq!(
                v.get("hookSpecificOutput"),
                None,
                "no such field for a stop"
            );
        }
    }

    #[test]
    fn input_error_is_one_line() {
        let r = render_input_error(&InputError::Syntax(
            "expected `,` at line 1 column 3".into(),
        ));
        assert_eq!(r.code, 1);
        let s = String::from_utf8(r.stderr).expect("utf8");
        assert_eq!(s.lines().count(), 1);
        assert!(s.starts_with("posthook: invalid hook input: "));
    }
}
