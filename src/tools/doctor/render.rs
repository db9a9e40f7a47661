//! The checks as text: one line each, its fix below it, and a count.

use super::{Check, Status};
use std::fmt::Write as _;

/// Renders the checks; the bool is true when none failed.
pub(crate) fn to_text(checks: &[Check]) -> (String, bool) {
    let mut out = String::new();
    let mut failed = 0;
    for c in checks {
        let tag = match c.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => {
                failed += 1;
                "FAIL"
            }
        };
        let _ = writeln!(out, "  {tag}  {}", c.text);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "        fix: {fix}");
        }
    }
    if failed == 0 {
        let _ = writeln!(out, "  {} checks passed", checks.len());
    } else {
        let _ = writeln!(out, "  {failed} of {} checks failed", checks.len());
    }
    (out, failed == 0)
}
