//! `posthook session show`: what is stored for a session.

use crate::store::{Store, StoredSession};
use posthook_analyzers::visible_controls as shown;
use posthook_analyzers::History;
use std::fmt::Write as _;

/// The session's streams of work as JSON: the main thread (`agent: null`) and each subagent, with
/// its calls, closed turns and recent facts.
fn streams_json(h: &History) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut push = |agent: &str,
                    recent: &std::collections::VecDeque<posthook_analyzers::Fact>,
                    c: &posthook_analyzers::StreamCounters| {
        out.push(serde_json::json!({
            "agent": if agent.is_empty() { serde_json::Value::Null } else { serde_json::json!(agent) },
            "calls": c.calls,
            "turns": c.turns,
            "turns_from_batches": c.batched,
            "recent": recent,
        }));
    };
    push(h.agent.as_deref().unwrap_or(""), &h.recent, &h.stream);
    for (agent, st) in &h.streams {
        push(agent, &st.recent, &st.counters);
    }
    out.sort_by_key(|v| v["agent"].as_str().map(str::to_owned));
    out
}

/// Renders a stored session as JSON: `events_total` (tool calls recorded) and `event_kinds` (what
/// was recorded, by event) at the top level, then the streams and the session-wide state.
pub fn to_json(s: &StoredSession) -> String {
    let h = &s.history;
    let v = serde_json::json!({
        "session_id": s.session_id,
        "path": s.path.display().to_string(),
        "events_total": h.events_total,
        "event_kinds": {
            "PostToolUse": h.events.post_tool_use,
            "PostToolUseFailure": h.events.post_tool_use_failure,
            "PostToolBatch": h.events.post_tool_batch,
            "refused": h.events.rejected,
        },
        "first_ts": h.first_ts,
        "last_ts": h.last_ts,
        "counters": h.counters,
        "streams": streams_json(h),
        "failures": h.failures,
        "recent": h.recent,
        "guidance": h.guidance,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Renders a stored session for people.
pub fn to_text(s: &StoredSession) -> String {
    let h = &s.history;
    let mut out = String::new();
    let _ = writeln!(out, "session       {}", shown(&s.session_id));
    let _ = writeln!(out, "state file    {}", s.path.display());
    let _ = writeln!(
        out,
        "events total  {} calls ({} PostToolUse, {} PostToolUseFailure; {} PostToolBatch, {} refused calls)",
        h.events_total,
        h.events.post_tool_use,
        h.events.post_tool_use_failure,
        h.events.post_tool_batch,
        h.events.rejected
    );
    let streams: Vec<String> = h
        .stream_summary()
        .into_iter()
        .map(|(agent, calls, turns)| {
            let who = if agent.is_empty() {
                String::from("main")
            } else {
                format!("agent {agent}")
            };
            format!("{who}: {calls} calls, {turns} turns")
        })
        .collect();
    let _ = writeln!(out, "streams       {}", streams.join("; "));
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
    let _ = writeln!(
        out,
        "recent ({} kept, {}):",
        h.recent.len(),
        h.agent
            .as_deref()
            .map_or_else(|| String::from("main thread"), |a| format!("agent {a}"))
    );
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
