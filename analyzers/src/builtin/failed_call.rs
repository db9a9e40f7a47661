//! Failed tool calls (catalogue §5): guidance when a call failed in a way worth a next step.

use crate::{Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const STREAK: Threshold = Threshold::new(
    "failed-call.streak",
    3.0,
    "failed calls in a row (any tools) after which to speak about a failure without a specific hint",
);

/// What kind of failure an error text describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Timeout,
    Memory,
    NotRead,
    Stale,
    Missing,
    Permission,
    Other,
}

fn kind(error: &str) -> Kind {
    let e = error.to_ascii_lowercase();
    if e.contains("timeout") || e.contains("timed out") {
        Kind::Timeout
    } else if e.contains("out of memory") || e.contains("memory") || e.contains("heap") {
        Kind::Memory
    } else if e.contains("has not been read") {
        Kind::NotRead
    } else if e.contains("modified since") || e.contains("string to replace not found") {
        Kind::Stale
    } else if e.contains("does not exist") || e.contains("no such file") || e.contains("not found")
    {
        Kind::Missing
    } else if e.contains("permission denied") || e.contains("not permitted") {
        Kind::Permission
    } else {
        Kind::Other
    }
}

fn next_step(kind: Kind, tool: &str) -> &'static str {
    match kind {
        Kind::Timeout => "split the work into smaller steps (fewer files, a narrower query, or a background run for long commands) and retry one step",
        Kind::Memory => "process the input in chunks (limit/offset, pagination, or a streaming command) instead of all at once",
        Kind::NotRead | Kind::Stale => "Read the file again and build the edit on its current content",
        Kind::Missing => "find the right path or name first (Glob or ls), then retry with it",
        Kind::Permission => "check ownership and permissions of the target; do not work around them with sudo",
        Kind::Other if tool == "Bash" => "read the command's error output and fix its cause before trying something else",
        Kind::Other => "read the error and change the call's input before trying again",
    }
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Failed tool calls: a failure whose error mentions a timeout or memory gets a specific next step
/// at once (moderate, 35); any other failure is left to Claude (it sees the error itself) until 3
/// calls in a row have failed (moderate, 38), then the message names the tool and the next step for
/// that kind of error.
///
/// Tuned on the real transcripts: speaking on every failure would mean a message for each failing
/// test run, most of which Claude handles on its own the next turn.
pub struct FailedCall;

impl FailedCall {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["failed-call"];
}

impl Analyzer for FailedCall {
    fn name(&self) -> &'static str {
        "failed-call"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("failed-call") || !cx.call.failed {
            return;
        }
        let error = cx.call.error.as_deref().unwrap_or("");
        let k = kind(error);
        let streak = cx.history.recent.iter().rev().take_while(|f| !f.ok).count() as u64;
        let urgent_kind = matches!(k, Kind::Timeout | Kind::Memory);
        if !urgent_kind && streak < cx.count(&STREAK) {
            return;
        }
        let tool = cx.call.tool.as_str();
        let first_line = error.lines().next().unwrap_or("").trim();
        let (headline, priority) = match k {
            Kind::Timeout => (format!("{tool} timed out"), 35),
            Kind::Memory => (format!("{tool} ran out of memory"), 35),
            _ => (format!("{streak} failed calls in a row"), 38),
        };
        let observed = if streak > 1 {
            format!(
                "{tool} failed: {}. It is the {} failed call in a row.",
                crate::truncate_chars(first_line, 120),
                ordinal(streak)
            )
        } else {
            format!("{tool} failed: {}.", crate::truncate_chars(first_line, 120))
        };
        out.push(
            Finding::new("failed-call", Severity::Moderate, priority)
                .headline(headline)
                .observed(observed)
                .next_step(next_step(k, tool)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, call, read, Session};
    use serde_json::json;

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 111].map(ordinal).to_vec();
        assert_eq!(
            got,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]
        );
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("Request timeout"), Kind::Timeout);
        assert_eq!(kind("JavaScript heap out of memory"), Kind::Memory);
        assert_eq!(
            kind("File has not been read yet. Read it first"),
            Kind::NotRead
        );
        assert_eq!(kind("File has been modified since read"), Kind::Stale);
        assert_eq!(kind("Error: File does not exist."), Kind::Missing);
        assert_eq!(kind("bash: x: Permission denied"), Kind::Permission);
        assert_eq!(kind("Error: Exit code 1"), Kind::Other);
    }

    #[test]
    fn timeout_and_memory_speak_at_once() {
        let mut s = Session::default_profile();
        let f = s.step(
            &FailedCall,
            call("WebSearch", json!({"query": "x"})).failed_with("Request timeout"),
        );
        assert_eq!(f[0].headline, "WebSearch timed out");
        assert!(f[0].next_step.contains("smaller steps"));
        let f = s.step(
            &FailedCall,
            bash("node x").failed_with("FATAL ERROR: heap out of memory"),
        );
        assert!(f[0].next_step.contains("chunks"));
    }

    #[test]
    fn other_failures_wait_for_a_streak() {
        let mut s = Session::default_profile();
        assert!(s
            .step(
                &FailedCall,
                read("/p/a").failed_with("Error: File does not exist.")
            )
            .is_empty());
        assert!(s
            .step(&FailedCall, bash("x").failed_with("Error: Exit code 1"))
            .is_empty());
        let f = s.step(
            &FailedCall,
            read("/p/b").failed_with("Error: File does not exist."),
        );
        assert_eq!(f[0].headline, "3 failed calls in a row");
        assert!(
            f[0].observed.contains("3rd failed call"),
            "{}",
            f[0].observed
        );
        assert!(f[0].next_step.contains("Glob"));
        assert!(s.step(&FailedCall, bash("ls")).is_empty(), "success");
        assert!(
            s.step(&FailedCall, bash("x").failed_with("Error: Exit code 1"))
                .is_empty(),
            "streak reset"
        );
    }
}
