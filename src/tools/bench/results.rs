//! What a benchmark run found, before it is laid out in tables. Times are seconds, sizes bytes,
//! shares 0..=1; a ratio is a value with its standard error.

use super::baseline::Comparison;
use super::environment::Environment;
use super::messages::Messages;
use super::scenarios::Origin;
use super::stats::Summary;

/// A whole benchmark run.
pub(crate) struct BenchResults {
    pub environment: Environment,
    pub config: RunConfig,
    /// The floor, run after every measured call of the hook under test (all scenarios pooled).
    pub floor: Option<ProcessStats>,
    pub scenarios: Vec<ScenarioResult>,
    pub load: Vec<LoadResult>,
    /// With `--baseline`: the comparison per scenario.
    pub baseline: Vec<Comparison>,
    pub baseline_given: bool,
    /// What posthook says on the embedded sessions (when posthook is the hook measured).
    pub messages: Option<Messages>,
    pub failures: Failures,
    pub elapsed_s: f64,
}

/// The settings a run used.
pub(crate) struct RunConfig {
    /// What was measured end to end: `posthook` or the `--command`.
    pub subject: String,
    /// The program measured as posthook: the registered one, else the running executable.
    pub hook_program: String,
    /// What the floor is.
    pub floor: String,
    /// With `--vs`: the command measured beside posthook.
    pub vs: Option<String>,
    /// The latency target for every p95 (s).
    pub target_s: f64,
    /// Peak RSS of the helper that spawned the measured processes: Linux counts a child's peak
    /// RSS from its spawner's, so no peak RSS figure can be lower. `None`: spawned directly.
    pub spawner_max_rss_bytes: Option<u64>,
}

/// One scenario's figures in every mode that ran.
pub(crate) struct ScenarioResult {
    pub name: String,
    pub origin: Origin,
    /// Calls per pass (one session, in order).
    pub calls: usize,
    pub in_process: Option<InProcess>,
    /// One process per call, as Claude Code runs the hook, in a seeded session.
    pub end_to_end: Option<ProcessStats>,
    /// The same, each pass starting from no session state.
    pub end_to_end_fresh: Option<ProcessStats>,
    /// With `--vs`: the other hook command, end to end.
    pub vs: Option<ProcessStats>,
}

/// In-process figures: the pipeline alone, warm (analyzers built, pattern cache filled).
pub(crate) struct InProcess {
    /// Latency per call: parse + record + analyzers + guidance.
    pub time: Summary,
    /// The first call on a fresh Runtime (it builds the analyzers it needs).
    pub first_call_s: f64,
    pub record_mean_s: f64,
    pub guidance_mean_s: f64,
    /// Per analyzer, in run order.
    pub analyzers: Vec<AnalyzerShare>,
    /// Pattern-cache lookups answered from the cache; `None` when nothing was looked up.
    pub cache_hit_rate: Option<f64>,
    pub feedback_rate: f64,
}

/// One analyzer's part of the in-process time.
pub(crate) struct AnalyzerShare {
    pub name: String,
    /// Calls it ran on.
    pub calls: usize,
    /// Mean time per call it ran on.
    pub mean_s: f64,
    pub findings: usize,
}

/// End-to-end figures of one process per call.
pub(crate) struct ProcessStats {
    pub samples: usize,
    /// Wall time per call (spawn to reaped), over successful calls.
    pub time: Summary,
    /// Every successful call's wall time, in order.
    pub times_s: Vec<f64>,
    /// The median over the floor's median, from interleaved runs.
    pub median_ratio_to_floor: Option<(f64, f64)>,
    /// The median CPU time (user + system) over the floor's: the work done, which a loaded machine
    /// changes far less than the wall time (regressions are judged by it).
    pub cpu_ratio_to_floor: Option<(f64, f64)>,
    /// Median CPU time of the process per call.
    pub cpu_median_s: f64,
    /// Largest peak resident set size seen.
    pub max_rss_peak_bytes: u64,
    /// Share of calls that exited 0 or 2.
    pub success_rate: f64,
    /// Share of calls that gave Claude a message.
    pub feedback_rate: f64,
}

/// One concurrent load test.
pub(crate) struct LoadResult {
    /// `separate_sessions` (each user its own) or `same_session` (all users in one).
    pub mode: &'static str,
    pub subject: String,
    pub users: usize,
    pub requests_per_user: usize,
    pub sent: usize,
    pub success_rate: f64,
    pub throughput_per_s: f64,
    pub latency: Summary,
    /// sent - recorded (posthook only).
    pub lost_events: Option<u64>,
    /// Mean under 200 ms, success above 80%, and no event lost.
    pub passed: bool,
}

/// Why the run failed, if it did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Failures {
    /// Scenarios slower than the baseline by more than the threshold.
    pub regressions: Vec<String>,
    /// Targets missed: `scenario: p95 ...`, failed calls, failed load tests, a floor that fell back.
    pub missed_targets: Vec<String>,
}

impl Failures {
    /// Whether nothing failed.
    pub(crate) fn ok(&self) -> bool {
        self.regressions.is_empty() && self.missed_targets.is_empty()
    }
}
