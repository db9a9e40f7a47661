//! A stored session explained from its compact state: its counters and the guidance provider's
//! memory (which rules fired and were shown, what cooldown is running, the escalation level).

use super::{counters_json, guidance_lines, profile_reason, thresholds_of};
use crate::store::StoredSession;
use posthook_analyzers::builtin;
use posthook_analyzers::visible_controls;
use posthook_analyzers::{History, Settings};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Explains a stored session from its compact state.
pub(crate) fn stored_text(s: &StoredSession, settings: &Settings, last: usize) -> String {
    let h = &s.history;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "session {} ({} events; state {})",
        visible_controls(&s.session_id),
        h.events_total,
        s.path.display()
    );
    let _ = writeln!(
        out,
        "The store keeps compact facts, not the calls: this explains the state the next call will \
         meet. For a call-by-call account, replay the transcript: posthook explain --transcript \
         FILE"
    );
    let _ = writeln!(
        out,
        "\nlast {} call(s), oldest first:",
        last.min(h.recent.len())
    );
    let skip = h.recent.len().saturating_sub(last);
    let first_n = h.events_total - h.recent.len() as u64;
    for (i, f) in h.recent.iter().enumerate().skip(skip) {
        let detail = f.cmd.as_deref().or(f.path.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "  #{:<5} {:<12} {:<4} {}",
            first_n + i as u64 + 1,
            visible_controls(&f.tool),
            if f.ok { "ok" } else { "FAIL" },
            visible_controls(detail)
        );
    }
    let c = counters_json(h);
    let counters: Vec<String> = c
        .as_object()
        .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
        .unwrap_or_default();
    let _ = writeln!(out, "\ncounters: {}", counters.join(", "));
    let _ = writeln!(
        out,
        "guidance, as the next call (call {}) will meet it:",
        h.events_total + 1
    );
    for g in guidance_lines(h, h.events_total + 1) {
        let _ = writeln!(out, "  {g}");
    }
    let _ = writeln!(out, "rules (profile {}):", settings.profile.as_str());
    for rule in builtin::rule_ids() {
        let (fired, shown) = rule_totals(h, rule);
        let state = if settings.disabled.contains(rule) {
            String::from("disabled by configuration")
        } else if !settings.rule_enabled(rule, h.counters.families) {
            profile_reason(settings, rule)
        } else if fired == 0 {
            String::from("on; has not fired in this session")
        } else {
            format!("on; fired {fired} time(s), shown {shown}")
        };
        let _ = writeln!(out, "  {rule:<22} {state}{}", thresholds_of(rule, settings));
    }
    out
}

/// How often `rule` fired and was shown in the session, over all its subjects.
fn rule_totals(h: &History, rule: &str) -> (u32, u32) {
    h.guidance
        .subjects
        .iter()
        .filter(|(k, _)| {
            k.as_str() == rule || k.strip_prefix(rule).is_some_and(|r| r.starts_with(' '))
        })
        .fold((0, 0), |(f, s), (_, m)| (f + m.fired, s + m.shown))
}

/// A stored session as JSON.
pub(crate) fn stored_json(s: &StoredSession, settings: &Settings) -> Value {
    let h = &s.history;
    let rules: Vec<Value> = builtin::rule_ids()
        .into_iter()
        .map(|rule| {
            let subjects: serde_json::Map<String, Value> = h
                .guidance
                .subjects
                .iter()
                .filter(|(k, _)| {
                    k.as_str() == rule || k.strip_prefix(rule).is_some_and(|r| r.starts_with(' '))
                })
                .map(|(k, m)| (k.clone(), json!(m)))
                .collect();
            json!({
                "rule": rule,
                "enabled": settings.rule_enabled(rule, h.counters.families),
                "subjects": subjects,
            })
        })
        .collect();
    json!({
        "session_id": s.session_id,
        "events_total": h.events_total,
        "counters": counters_json(h),
        "guidance": guidance_lines(h, h.events_total + 1),
        "rules": rules,
    })
}
