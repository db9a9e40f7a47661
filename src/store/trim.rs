//! Cutting a loaded history to the caps a recorded one keeps.

use super::PER_TOOL_CAPACITY;
use posthook_analyzers::{
    guidance::SUBJECTS_CAPACITY, Fact, History, StreamCounters, FAILURES_CAPACITY,
    HISTORY_CAPACITY, MAX_CMD_HEAD_CHARS, MAX_PATH_CHARS, MAX_STREAMS, MAX_TOOL_CHARS,
    READS_CAPACITY, SEEN_FILES_CAPACITY,
};

/// Cuts a loaded history to the caps a recorded one keeps: the last
/// [`posthook_analyzers::HISTORY_CAPACITY`] facts of each stream with their strings cut to the
/// documented lengths, at most [`posthook_analyzers::MAX_STREAMS`] + 1 parked streams, the last
/// [`posthook_analyzers::SEEN_FILES_CAPACITY`] file hashes and [`FAILURES_CAPACITY`] failures, the
/// [`PER_TOOL_CAPACITY`] most used tools; counters clamped far below overflow. A state file written
/// by anyone else cannot make later calls slower, larger or panic.
///
/// [`FAILURES_CAPACITY`]: posthook_analyzers::FAILURES_CAPACITY
pub(crate) fn trim_history(h: &mut History) {
    h.events_total = h.events_total.min(BIG);
    h.first_ts = h.first_ts.min(BIG);
    h.last_ts = h.last_ts.min(BIG);
    if let Some(a) = &mut h.agent {
        cut(a, MAX_TOOL_CHARS);
    }
    trim_streams(h);
    trim_failures_and_events(h);
    trim_counters(h);
    while h.reads.len() > READS_CAPACITY {
        h.reads.pop_front();
    }
    trim_guidance(h);
    trim_uptake(h);
}

/// At most [`posthook_analyzers::uptake::PENDING_CAPACITY`] pending messages, the newest, their
/// strings cut.
fn trim_uptake(h: &mut History) {
    let cap = posthook_analyzers::uptake::PENDING_CAPACITY;
    let extra = h.uptake.len().saturating_sub(cap);
    h.uptake.drain(..extra);
    for p in &mut h.uptake {
        cut(&mut p.rule, MAX_TOOL_CHARS);
        cut(&mut p.subject, 160);
        p.at = p.at.min(BIG);
    }
}

const BIG: u64 = COUNTER_CAP;
const BIG32: u32 = COUNTER_CAP_32;

fn cut(s: &mut String, max: usize) {
    if let std::borrow::Cow::Owned(c) = posthook_analyzers::truncate_chars(s, max) {
        *s = c;
    }
}

fn facts(recent: &mut std::collections::VecDeque<Fact>) {
    while recent.len() > HISTORY_CAPACITY {
        recent.pop_front();
    }
    for f in recent.iter_mut() {
        cut(&mut f.tool, MAX_TOOL_CHARS);
        if let Some(p) = &mut f.path {
            cut(p, MAX_PATH_CHARS);
        }
        if let Some(c) = &mut f.cmd {
            cut(c, MAX_CMD_HEAD_CHARS);
        }
        f.ts = f.ts.min(BIG);
        f.gap = f.gap.map(|g| g.min(BIG));
        f.in_len = f.in_len.min(BIG);
        f.out_len = f.out_len.min(BIG);
        f.count = f.count.min(BIG32);
        f.turn = f.turn.min(BIG);
    }
}

fn stream(s: &mut StreamCounters) {
    for n in [
        &mut s.native_run,
        &mut s.since_coordinator,
        &mut s.flow_uncoordinated,
    ] {
        *n = (*n).min(BIG32);
    }
    s.calls = s.calls.min(BIG);
    s.turns = s.turns.min(BIG);
    s.last_ts = s.last_ts.min(BIG);
    s.last_batch.truncate(HISTORY_CAPACITY);
}

/// The active stream and at most [`MAX_STREAMS`] + 1 parked ones, each with its facts and counters
/// cut.
fn trim_streams(h: &mut History) {
    facts(&mut h.recent);
    stream(&mut h.stream);
    if h.streams.len() > MAX_STREAMS + 1 || h.streams.keys().any(|k| k.len() > MAX_TOOL_CHARS) {
        // Keep the most recently active streams, under ids cut like the active one's.
        let mut all: Vec<(String, posthook_analyzers::Stream)> =
            std::mem::take(&mut h.streams).into_iter().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.1.counters.last_ts));
        for (mut k, v) in all.into_iter().take(MAX_STREAMS + 1) {
            cut(&mut k, MAX_TOOL_CHARS);
            h.streams.entry(k).or_insert(v);
        }
    }
    for s in h.streams.values_mut() {
        facts(&mut s.recent);
        stream(&mut s.counters);
    }
}

/// The last [`FAILURES_CAPACITY`] failures, the per-event counters, the last
/// [`SEEN_FILES_CAPACITY`] file hashes.
fn trim_failures_and_events(h: &mut History) {
    while h.failures.len() > FAILURES_CAPACITY {
        h.failures.pop_front();
    }
    for f in &mut h.failures {
        f.times = f.times.min(BIG32);
        f.at = f.at.min(BIG);
    }
    let e = &mut h.events;
    for n in [
        &mut e.post_tool_use,
        &mut e.post_tool_use_failure,
        &mut e.post_tool_batch,
        &mut e.rejected,
    ] {
        *n = (*n).min(BIG);
    }
    while h.seen_files.len() > SEEN_FILES_CAPACITY {
        h.seen_files.pop_front();
    }
}

/// The session-wide counters: the [`PER_TOOL_CAPACITY`] most used tools, 16 unchecked files, 16
/// check commands.
fn trim_counters(h: &mut History) {
    let c = &mut h.counters;
    c.edits_since_check = c.edits_since_check.min(BIG32);
    c.failures = c.failures.min(BIG);
    let per_tool = &mut c.per_tool;
    if per_tool.len() > PER_TOOL_CAPACITY || per_tool.keys().any(|k| k.len() > MAX_TOOL_CHARS) {
        let mut all: Vec<(String, u64)> = std::mem::take(per_tool).into_iter().collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (mut k, n) in all {
            cut(&mut k, MAX_TOOL_CHARS);
            if per_tool.len() >= PER_TOOL_CAPACITY && !per_tool.contains_key(&k) {
                continue;
            }
            let slot = per_tool.entry(k).or_insert(0);
            *slot = slot.saturating_add(n);
        }
    }
    for n in per_tool.values_mut() {
        *n = (*n).min(BIG);
    }
    while c.unchecked.len() > 16 {
        c.unchecked.pop();
    }
    for u in &mut c.unchecked {
        cut(&mut u.path, MAX_PATH_CHARS);
        u.changes = u.changes.min(BIG32);
        u.at = u.at.min(BIG);
    }
    if c.checks.len() > 16 {
        let keep: Vec<u16> = c.checks.keys().copied().take(16).collect();
        c.checks.retain(|k, _| keep.contains(k));
    }
    for v in c.checks.values_mut() {
        cut(v, MAX_CMD_HEAD_CHARS);
    }
}

/// The guidance provider's memory: at most [`SUBJECTS_CAPACITY`] subjects, none with an overlong
/// key.
fn trim_guidance(h: &mut History) {
    let g = &mut h.guidance;
    g.last_shown_at = g.last_shown_at.min(BIG);
    g.last_protocol_at = g.last_protocol_at.min(BIG);
    if let Some(r) = &mut g.last_rule {
        cut(r, MAX_TOOL_CHARS);
    }
    let long = |k: &String| k.len() > 2 * MAX_TOOL_CHARS;
    if g.subjects.len() > SUBJECTS_CAPACITY || g.subjects.keys().any(long) {
        let keep: Vec<String> = g
            .subjects
            .keys()
            .filter(|k| !long(k))
            .take(SUBJECTS_CAPACITY)
            .cloned()
            .collect();
        g.subjects.retain(|k, _| keep.contains(k));
    }
    for m in g.subjects.values_mut() {
        m.fired = m.fired.min(BIG32);
        m.shown = m.shown.min(BIG32);
        m.ignored = m.ignored.min(BIG32);
        m.shown_at = m.shown_at.min(BIG);
        m.fired_at = m.fired_at.min(BIG);
    }
}

/// 64-bit counters and times of a loaded history are clamped to this: far above any real session
/// (2^48 ms is 8,900 years), far below overflow. A planted counter at the cap goes on counting from
/// it, and is clamped back on the next load.
pub const COUNTER_CAP: u64 = 1 << 48;
/// The same for 32-bit counters.
pub(crate) const COUNTER_CAP_32: u32 = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::{History, ToolCall};
    use serde_json::json;

    fn call() -> ToolCall {
        ToolCall::new("Read", json!({"file_path": "/p/a"}))
    }

    #[test]
    fn loaded_histories_are_cut_to_their_caps() {
        let mut h = History::new();
        for i in 0..200 {
            h.record(&ToolCall::new(format!("t{i}"), json!({"file_path": "/p"})));
        }
        h.recent.extend(h.recent.clone());
        h.events_total = u64::MAX;
        h.stream.native_run = u32::MAX;
        for i in 0..1000 {
            h.counters
                .per_tool
                .insert(format!("{}{i}", "x".repeat(300)), i);
        }
        trim_history(&mut h);
        assert_eq!(h.recent.len(), posthook_analyzers::HISTORY_CAPACITY);
        assert!(h.counters.per_tool.len() <= PER_TOOL_CAPACITY);
        assert!(h.counters.per_tool.keys().all(|k| k.chars().count() <= 128));
        // Recording on it can no longer overflow.
        h.record(&call());
        assert!(h.events_total < u64::MAX);
    }
}
