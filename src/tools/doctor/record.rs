//! The record's health figures: calls, errors by kind, deadline hits, p50/p99 over the last 7
//! days, and the last error.

use super::{pass, warn, Check};
use crate::config::Resolved;
use crate::record;
use crate::tools::stats::{ago, health_line, quiet_lines, Filter, Summary};
use std::time::SystemTime;

/// One check: what the hook and `serve` recorded of their own health this week.
pub(super) fn record_check(resolved: &Resolved) -> Check {
    let Some(dir) = resolved.config.state_dir.as_deref() else {
        return pass(String::from("record: no state dir, nothing recorded"));
    };
    let snap = match record::read(dir) {
        Ok(Some(s)) => s,
        Ok(None) => return pass(String::from("record: no calls recorded yet")),
        Err(e) => {
            return warn(
                format!("record {}: {e}", dir.join(record::FILE_NAME).display()),
                "remove the file: posthook writes a new one",
            )
        }
    };
    let filter = Filter {
        since_day: record::day_of(SystemTime::now()).saturating_sub(6),
        ..Filter::default()
    };
    let s = Summary::of(&snap, &filter);
    let mut figures = format!("record, last 7 days: {}", health_line(&s.health));
    for l in quiet_lines(&s.quieted) {
        figures.push_str("\n        ");
        figures.push_str(&l);
    }
    match &s.last_error {
        Some(e) if s.health.errors > 0 => warn(
            format!("{figures}; last error: {} ({})", e.kind, ago(e.at_ms)),
            "set POSTHOOK_LOG=/path/to/file to see the next one in full",
        ),
        _ => pass(figures),
    }
}
