//! What a benchmark run found, before it is laid out in tables. Times are seconds, sizes bytes,
//! shares 0..=1; a ratio comes with its standard error.

use super::baseline::Comparison;
use super::messages::Messages;
use super::runner::Setup;
use super::scenarios::Origin;
use super::stats::Summary;

/// A whole benchmark run: what it was set up with, what it measured, what failed.
pub(crate) struct BenchResults {
    pub setup: Setup,
    /// The floor, run after every measured call (all scenarios pooled).
    pub floor: Option<ProcessStats>,
    pub scenarios: Vec<ScenarioResult>,
    pub load: Vec<LoadResult>,
    /// What posthook says on real sessions (when posthook is measured).
    pub messages: Option<Messages>,
    /// Peak RSS of the helper that spawned the measured processes: Linux counts a child's peak
    /// RSS from its spawner's, so no peak RSS figure can be lower.
    pub spawner_max_rss: u64,
    /// With `--baseline`: the comparison per scenario.
    pub baseline: Vec<Comparison>,
    pub failures: Failures,
    pub elapsed_s: f64,
}

/// One scenario's figures in every mode that ran: in process; one process per call as Claude
/// Code runs the hook, in a seeded session, then each pass from no session state; with `--vs`,
/// the other hook command.
pub(crate) struct ScenarioResult {
    pub name: String,
    pub origin: Origin,
    /// Calls per pass (one session, in order).
    pub calls: usize,
    pub in_process: Option<InProcess>,
    pub end_to_end: Option<ProcessStats>,
    pub end_to_end_fresh: Option<ProcessStats>,
    pub vs: Option<ProcessStats>,
}

/// The pipeline alone, warm (analyzers built, pattern cache filled): per call, parse + record +
/// analyzers + guidance; the first call on a fresh Runtime; the stages, in run order.
pub(crate) struct InProcess {
    pub time: Summary,
    pub first_call_s: f64,
    pub stages: Vec<Stage>,
    /// Pattern-cache lookups answered from the cache; `None` when nothing was looked up.
    pub cache_hit_rate: Option<f64>,
    pub feedback_rate: f64,
}

/// One stage (`record`, an analyzer, `guidance`): the calls it ran on, its total time on them,
/// an analyzer's findings.
pub(crate) struct Stage {
    pub name: String,
    pub calls: usize,
    pub total_s: f64,
    pub findings: Option<usize>,
}

/// End-to-end figures of one process per call.
pub(crate) struct ProcessStats {
    pub samples: usize,
    /// Wall time per call (spawn to reaped), over successful calls; each of them, in order; the
    /// floor's interleaved with them.
    pub time: Summary,
    pub times_s: Vec<f64>,
    pub floor_times_s: Vec<f64>,
    /// The median over the floor's median, from interleaved runs.
    pub median_ratio_to_floor: Option<(f64, f64)>,
    /// The median CPU time (user + system) over the floor's: the work done, which a loaded machine
    /// changes far less than the wall time (regressions are judged by it).
    pub cpu_ratio_to_floor: Option<(f64, f64)>,
    pub cpu_median_s: f64,
    pub max_rss_peak_bytes: u64,
    /// Calls that exited 0 or 2.
    pub success_rate: f64,
    /// Calls that gave Claude a message.
    pub feedback_rate: f64,
}

/// One concurrent load test, `separate_sessions` (each user its own) or `same_session`; lost
/// events (posthook only) are the sent ones its session store did not record; `passed`: mean
/// under 200 ms, success above 80%, no event lost.
pub(crate) struct LoadResult {
    pub mode: &'static str,
    pub subject: String,
    pub users: usize,
    pub requests_per_user: usize,
    pub sent: usize,
    pub success_rate: f64,
    pub throughput_per_s: f64,
    pub latency: Summary,
    pub lost_events: Option<u64>,
    pub passed: bool,
}

/// Why the run failed, if it did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Failures {
    pub regressions: Vec<String>,
    pub missed_targets: Vec<String>,
}

impl Failures {
    pub(crate) fn ok(&self) -> bool {
        self.regressions.is_empty() && self.missed_targets.is_empty()
    }
}
