//! The replay as one JSON object: `events`, `files`, `profile`, `steps`, `summary`.

use super::summary::{nanos, pct, summarize, Summary};
use super::{Replay, Step};
use serde_json::{json, Value};

/// The replay as one JSON object: `events`, `files`, `steps`, `summary`.
pub(crate) fn to_json(r: &Replay) -> Value {
    let steps: Vec<Value> = r.steps.iter().map(|s| step_json(r, s)).collect();
    let s = summarize(r);
    json!({
        "events": s.events,
        "files": r.files,
        "profile": r.settings.profile.as_str(),
        "steps": steps,
        "summary": {
            "events": s.events,
            "calls": s.calls,
            "event_kinds": {
                "PostToolUse": s.uses,
                "PostToolUseFailure": s.failures,
                "PostToolBatch": s.batches,
                "Stop": s.stops,
                "PostCompact": s.compactions,
                "refused": s.refused,
            },
            "feedback": s.with_feedback,
            "feedback_rate": pct(s.with_feedback, s.calls) / 100.0,
            "blocking": s.blocking,
            "failed_calls": s.failed_calls,
            "unreadable_payloads": s.errors,
            "rules": rules_json(&s),
            "analyzers": analyzers_json(&s),
        }
    })
}

/// One step: where it came from, what it was, and what the pipeline made of it.
fn step_json(r: &Replay, s: &Step) -> Value {
    let mut v = json!({
        "n": s.n,
        "file": r.files[s.file].path,
        "session_id": s.session_id,
        "event": s.event,
        "agent_id": s.agent_id,
        "ts_ms": s.ts_ms,
        "tool": s.tool,
        "tool_use_id": s.tool_use_id,
        "failed": s.failed,
        "detail": s.detail,
        "exit_code": s.exit_code,
    });
    if s.tool_use_id.is_none() && matches!(s.event, "Stop" | "SubagentStop" | "PostCompact") {
        if let Some(o) = v.as_object_mut() {
            o.remove("tool_use_id");
        }
    }
    if let Some(e) = &s.error {
        v["error"] = json!(e);
    }
    if let Some(rep) = &s.report {
        v["feedback"] = json!(rep.feedback);
        v["silence"] = json!(rep.silence);
        v["findings"] = json!(rep
            .findings
            .iter()
            .map(|f| json!({"rule": f.rule, "severity": f.severity, "priority": f.priority, "headline": f.headline}))
            .collect::<Vec<_>>());
        v["total_ns"] = json!(nanos(rep.timings.total));
    }
    v
}

/// Per rule: found, shown, blocking, and the uptake of the messages shown.
fn rules_json(s: &Summary) -> serde_json::Map<String, Value> {
    s.rules
        .iter()
        .map(|(k, c)| {
            (
                k.clone(),
                json!({"found": c.found, "shown": c.shown, "blocking": c.blocking,
                    "heeded": c.heeded, "ignored": c.ignored, "unjudged": c.unjudged,
                    "uptake": crate::tools::stats::uptake_percent(c.heeded, c.ignored)}),
            )
        })
        .collect()
}

/// Per analyzer: runs and timings in nanoseconds, panics, skips.
fn analyzers_json(s: &Summary) -> serde_json::Map<String, Value> {
    s.analyzers
        .iter()
        .map(|(k, a)| {
            (
                (*k).to_string(),
                json!({
                    "runs": a.runs,
                    "mean_ns": nanos(a.mean_run()),
                    "max_ns": nanos(a.max),
                    "first_run_ns": nanos(a.first.unwrap_or_default()),
                    "panicked": a.panics,
                    "skipped_budget": a.skipped,
                }),
            )
        })
        .collect()
}
