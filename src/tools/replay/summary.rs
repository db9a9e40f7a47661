//! The counts and timings over a whole replay: events by kind, feedback, rules, analyzers.

use super::Replay;
use crate::runtime::RunStatus;
use posthook_analyzers::guidance::Silence;
use posthook_analyzers::uptake::Uptake;
use std::collections::BTreeMap;
use std::time::Duration;

/// How often a rule was found, shown, and shown as blocking.
#[derive(Default)]
pub(super) struct RuleCount {
    pub(super) found: u64,
    pub(super) shown: u64,
    pub(super) blocking: u64,
    /// Shown messages the agent acted on, went on as before after, or neither told.
    pub(super) heeded: u64,
    pub(super) ignored: u64,
    pub(super) unjudged: u64,
}

/// Timing of one analyzer over a replay. The first run includes building the analyzer (compiling
/// its patterns), which a hook process pays once per call but a replay only once: it is kept apart
/// so the mean says what a run costs once built.
#[derive(Default)]
pub(super) struct AnalyzerStat {
    pub(super) runs: u64,
    pub(super) first: Option<Duration>,
    pub(super) total: Duration,
    pub(super) max: Duration,
    pub(super) panics: u64,
    pub(super) skipped: u64,
}

impl AnalyzerStat {
    /// The mean time of a run once built: over the runs after the first.
    pub(super) fn mean_run(&self) -> Duration {
        mean(self.total, self.runs.saturating_sub(1))
    }
}

/// The counts and timings over a replay.
#[derive(Default)]
pub(super) struct Summary {
    pub(super) events: usize,
    /// Per-call events (PostToolUse + PostToolUseFailure): what the feedback rate is over.
    pub(super) calls: usize,
    pub(super) uses: usize,
    pub(super) failures: usize,
    pub(super) batches: usize,
    /// `Stop` and `SubagentStop` events (the ends of turns).
    pub(super) stops: usize,
    /// `PostCompact` events.
    pub(super) compactions: usize,
    pub(super) refused: usize,
    pub(super) with_feedback: usize,
    pub(super) blocking: usize,
    pub(super) failed_calls: usize,
    pub(super) errors: usize,
    pub(super) rules: BTreeMap<String, RuleCount>,
    pub(super) analyzers: BTreeMap<&'static str, AnalyzerStat>,
    pub(super) pipeline_total: Duration,
    pub(super) pipeline_max: Duration,
}

/// Counts and times every step of `r`.
pub(super) fn summarize(r: &Replay) -> Summary {
    let mut s = Summary {
        events: r.steps.len(),
        ..Summary::default()
    };
    for step in &r.steps {
        if step.error.is_some() {
            s.errors += 1;
        }
        if step.failed {
            s.failed_calls += 1;
        }
        match step.event {
            "PostToolUse" => s.uses += 1,
            "PostToolUseFailure" => s.failures += 1,
            "Stop" | "SubagentStop" => s.stops += 1,
            "PostCompact" => s.compactions += 1,
            _ => s.batches += 1,
        }
        if let Some(rep) = &step.report {
            add_report(&mut s, rep);
        }
    }
    s.calls = s.uses + s.failures;
    s
}

/// Adds one step's report to the summary: refusals, pipeline time, findings, messages, uptake
/// and the analyzers' timings.
fn add_report(s: &mut Summary, rep: &crate::runtime::Report) {
    if let Some(Silence::Turn { rejected, .. }) = &rep.silence {
        s.refused += rejected;
    }
    s.pipeline_total += rep.timings.total;
    s.pipeline_max = s.pipeline_max.max(rep.timings.total);
    for f in &rep.findings {
        s.rules.entry(f.rule.to_string()).or_default().found += 1;
    }
    if let Some(fb) = &rep.feedback {
        s.with_feedback += 1;
        let c = s.rules.entry(fb.rule.clone()).or_default();
        c.shown += 1;
        if fb.blocking {
            s.blocking += 1;
            c.blocking += 1;
        }
    }
    for u in &rep.uptake {
        let c = s.rules.entry(u.rule.clone()).or_default();
        match u.uptake {
            Uptake::Heeded => c.heeded += 1,
            Uptake::Ignored => c.ignored += 1,
            Uptake::Unjudged => c.unjudged += 1,
        }
    }
    for t in &rep.timings.analyzers {
        let a = s.analyzers.entry(t.name).or_default();
        match t.status {
            RunStatus::Ran => {
                a.runs += 1;
                if a.first.is_none() {
                    a.first = Some(t.elapsed);
                } else {
                    a.total += t.elapsed;
                    a.max = a.max.max(t.elapsed);
                }
            }
            RunStatus::Panicked => a.panics += 1,
            RunStatus::SkippedBudget => a.skipped += 1,
        }
    }
}

/// `n` as a percentage of `of` (0 of nothing).
pub(super) fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// `d` in microseconds.
pub(super) fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `d` in nanoseconds (saturating).
pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The mean of `n` durations adding up to `total` (zero for none).
pub(super) fn mean(total: Duration, n: u64) -> Duration {
    if n == 0 {
        Duration::ZERO
    } else {
        total / u32::try_from(n).unwrap_or(u32::MAX)
    }
}
