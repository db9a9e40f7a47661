//! What a benchmark run found: the data the report prints and the exporters serialize.
//!
//! Times are seconds (`*_s` or a [`Summary`] of seconds), sizes bytes, shares 0..=1.

use super::baseline::Comparison;
use super::environment::Environment;
use super::grade::Grade;
use super::scenarios::Origin;
use super::stats::Summary;
use serde::Serialize;

/// A whole benchmark run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BenchResults {
    /// The machine.
    pub environment: Environment,
    /// How it was run.
    pub config: RunConfig,
    /// The floor: spawning a minimal program that only reads stdin and exits, run right after
    /// every measured call of the hook under test (all scenarios pooled).
    pub floor: Option<ProcessStats>,
    /// The headline: the hook as Claude Code runs it, on a seeded session, against the floor.
    pub headline: Vec<Headline>,
    /// One entry per scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// The concurrent load tests.
    pub load: Vec<LoadResult>,
    /// The grade of the measured hook, from its end-to-end figures.
    pub grade: Option<GradeResult>,
    /// With `--vs`: the grade of the other hook command.
    pub vs_grade: Option<GradeResult>,
    /// With `--baseline`: the comparison per scenario.
    pub baseline: Vec<Comparison>,
    /// The `--baseline` file, when one was given.
    pub baseline_file: Option<String>,
    /// What made the run fail, if anything.
    pub verdict: Failures,
    /// Wall time of the whole benchmark.
    pub elapsed_s: f64,
}

/// The settings a run used.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunConfig {
    /// What was measured end to end: `posthook` or the `--command`.
    pub subject: String,
    /// The program measured as posthook: the registered one, else the running executable.
    pub hook_program: String,
    /// What the floor is.
    pub floor: String,
    /// Calls recorded in the session state each end-to-end call starts from (the fresh-session
    /// figures start from none).
    pub seeded_events: usize,
    /// With `--vs`: the command measured beside posthook.
    pub vs: Option<String>,
    /// Warmup calls per scenario and mode.
    pub warmup: usize,
    /// Fewest measured calls per scenario and mode.
    pub min_runs: usize,
    /// Most measured calls per scenario and mode.
    pub max_runs: usize,
    /// Measure at least this long per scenario and mode (s).
    pub min_time_s: f64,
    /// Exact measured calls, when `--runs` was given.
    pub runs: Option<usize>,
    /// The latency target for p95 (s).
    pub target_s: f64,
    /// The regression alert threshold (0.5 = alert above 1.5x the baseline).
    pub alert_threshold: f64,
    /// Peak RSS of the helper that spawned the measured processes: Linux counts a child's peak
    /// RSS from its spawner's, so no `max_rss` figure can be lower than this. `None` when they
    /// were spawned by the benchmark itself.
    pub spawner_max_rss_bytes: Option<u64>,
}

/// One scenario's figures in every mode that ran.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// Where it comes from.
    pub origin: Origin,
    /// Calls per pass (one session, in order).
    pub calls: usize,
    /// The Runtime in this process, without process start or disk.
    pub in_process: Option<InProcess>,
    /// One process per call, as Claude Code runs the hook, in a seeded session.
    pub end_to_end: Option<ProcessStats>,
    /// The same, each pass starting from no session state.
    pub end_to_end_fresh: Option<ProcessStats>,
    /// With `--vs`: the other hook command, end to end.
    pub vs: Option<VsResult>,
}

/// The other hook command beside posthook.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VsResult {
    /// Its end-to-end figures.
    pub end_to_end: ProcessStats,
    /// Its mean divided by posthook's: how many times slower it is.
    pub ratio_to_posthook: Option<f64>,
    /// Standard error of that ratio.
    pub ratio_to_posthook_error: Option<f64>,
}

/// In-process figures: the pipeline alone, warm (analyzers built, pattern cache filled).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InProcess {
    /// Measured calls.
    pub samples: usize,
    /// Latency per call: parse + record + analyzers + guidance.
    pub time: Summary,
    /// The first call on a fresh Runtime (builds the analyzers it needs), before warmup.
    pub first_call_s: f64,
    /// Mean time per call spent recording the call into the history.
    pub record_mean_s: f64,
    /// Mean time per call spent in the guidance provider.
    pub guidance_mean_s: f64,
    /// Per analyzer, in run order.
    pub analyzers: Vec<AnalyzerShare>,
    /// Pattern-cache lookups answered from the cache, during the measured calls.
    pub cache_hits: u64,
    /// Pattern-cache lookups that computed.
    pub cache_misses: u64,
    /// hits / (hits + misses); `None` when nothing was looked up.
    pub cache_hit_rate: Option<f64>,
    /// Share of calls that produced feedback.
    pub feedback_rate: f64,
}

/// One analyzer's part of the in-process time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AnalyzerShare {
    /// The analyzer.
    pub name: String,
    /// Calls it ran on.
    pub calls: usize,
    /// Mean time per call it ran on.
    pub mean_s: f64,
    /// Findings it produced in total.
    pub findings: usize,
}

/// End-to-end figures of one process per call.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ProcessStats {
    /// What ran.
    pub subject: String,
    /// Measured calls.
    pub samples: usize,
    /// Wall time per call (spawn to reaped), over successful calls.
    pub time: Summary,
    /// Mean divided by the floor's mean.
    pub ratio_to_floor: Option<f64>,
    /// Standard error of that ratio.
    pub ratio_to_floor_error: Option<f64>,
    /// Median divided by the floor's median, from interleaved runs: the figure regressions are
    /// judged by (steadier than the means on a busy machine).
    pub median_ratio_to_floor: Option<f64>,
    /// Standard error of that ratio (from each median's robust error).
    pub median_ratio_to_floor_error: Option<f64>,
    /// The median CPU time (user + system) over the floor's: the work done, which a loaded machine
    /// changes far less than the wall time (regressions are judged by it).
    pub cpu_ratio_to_floor: Option<f64>,
    /// Standard error of that ratio.
    pub cpu_ratio_to_floor_error: Option<f64>,
    /// CPU time (user + system) of the hook process per call.
    pub cpu_time: Summary,
    /// Mean CPU time as a share of wall time, in percent.
    pub cpu_percent: f64,
    /// Mean peak resident set size of the hook process (bytes).
    pub max_rss_mean_bytes: f64,
    /// Largest peak resident set size seen (bytes).
    pub max_rss_peak_bytes: u64,
    /// Mean bytes written to stderr.
    pub stderr_mean_bytes: f64,
    /// Share of calls that exited 0 or 2.
    pub success_rate: f64,
    /// Share of calls that gave feedback.
    pub feedback_rate: f64,
    /// Share of successful calls under 50 ms.
    pub target_50ms_share: f64,
    /// Share of successful calls under 100 ms.
    pub target_100ms_share: f64,
    /// The original suite's score for this scenario.
    pub score: f64,
    /// Its letter.
    pub grade: Grade,
    /// Every successful call's wall time, in order.
    pub times_s: Vec<f64>,
}

/// One headline figure.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Headline {
    /// The scenario.
    pub scenario: String,
    /// Median wall time of the hook (s).
    pub median_s: f64,
    /// Median wall time of the floor, interleaved with it (s).
    pub floor_median_s: f64,
    /// The ratio of the two medians.
    pub ratio: f64,
    /// Its standard error.
    pub ratio_error: f64,
    /// Calls measured.
    pub n: usize,
}

/// One concurrent load test.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LoadResult {
    /// `separate_sessions` (each user its own) or `same_session` (all users in one).
    pub mode: &'static str,
    /// What ran.
    pub subject: String,
    /// Parallel users.
    pub users: usize,
    /// Requests per user, one after the other.
    pub requests_per_user: usize,
    /// Requests sent.
    pub sent: usize,
    /// Requests that exited 0 or 2.
    pub succeeded: usize,
    /// succeeded / sent.
    pub success_rate: f64,
    /// Wall time of the whole test.
    pub wall_s: f64,
    /// Requests per second.
    pub throughput_per_s: f64,
    /// Latency per request.
    pub latency: Summary,
    /// Events found in the session store afterwards (posthook only).
    pub recorded: Option<u64>,
    /// sent - recorded (posthook only).
    pub lost_events: Option<u64>,
    /// The original's pass rule: mean under 200 ms and success above 80%; and no event lost.
    pub passed: bool,
}

/// The overall grade of one hook.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GradeResult {
    /// What was graded.
    pub subject: String,
    /// Mean of the scenarios' scores.
    pub score: f64,
    /// Its letter.
    pub grade: Grade,
    /// Share of all successful calls under 50 ms.
    pub target_50ms_share: f64,
    /// Share of all successful calls under 100 ms.
    pub target_100ms_share: f64,
}

/// Why the run failed, if it did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Failures {
    /// Scenarios slower than the baseline by more than the threshold.
    pub regressions: Vec<String>,
    /// Targets missed: `scenario: p95 ...`, failed calls, failed load tests.
    pub missed_targets: Vec<String>,
}

impl Failures {
    /// Whether nothing failed.
    pub(crate) fn ok(&self) -> bool {
        self.regressions.is_empty() && self.missed_targets.is_empty()
    }
}
