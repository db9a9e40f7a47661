//! `posthook session show`: what is stored for a session.

use crate::store::{Store, StoredSession};
use posthook_analyzers::visible_controls as shown;
use std::fmt::Write as _;

/// Renders a stored session as JSON (`events_total` at the top level, then the whole history).
pub fn to_json(s: &StoredSession) -> String {
    let v = serde_json::json!({
        "session_id": s.session_id,
        "path": s.path.display().to_string(),
        "events_total": s.history.events_total,
        "first_ts": s.history.first_ts,
        "last_ts": s.history.last_ts,
        "counters": s.history.counters,
        "recent": s.history.recent,
        "guidance": s.history.guidance,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Renders a stored session for people.
pub fn to_text(s: &StoredSession) -> String {
    let h = &s.history;
    let mut out = String::new();
    let _ = writeln!(out, "session       {}", shown(&s.session_id));
    let _ = writeln!(out, "state file    {}", s.path.display());
    let _ = writeln!(out, "events total  {}", h.events_total);
    let secs = h.last_ts.saturating_sub(h.first_ts) / 1000;
    let _ = writeln!(out, "span          {}m {}s", secs / 60, secs % 60);
    let _ = writeln!(out, "failures      {}", h.counters.failures);
    let _ = writeln!(
        out,
        "hive tools    {}",
        if h.counters.hive_seen {
            "used"
        } else {
            "not used"
        }
    );
    let tools: Vec<String> = h
        .counters
        .per_tool
        .iter()
        .map(|(t, n)| format!("{} {n}", shown(t)))
        .collect();
    let _ = writeln!(out, "per tool      {}", tools.join(", "));
    let _ = writeln!(out, "recent ({} kept):", h.recent.len());
    for f in h.recent.iter().rev().take(10) {
        let detail = f.cmd.as_deref().or(f.path.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "  {:<12} {:<9} {:<4} {}",
            shown(&f.tool),
            f.cat.as_str(),
            if f.ok { "ok" } else { "FAIL" },
            shown(detail)
        );
    }
    out
}

/// Loads a session for `show`; a readable error when there is none.
pub fn load(store: &Store, id: &str) -> Result<StoredSession, String> {
    match store.load(id) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(format!(
            "no stored session '{id}' in {}",
            store.dir().display()
        )),
        Err(e) => Err(e.to_string()),
    }
}
