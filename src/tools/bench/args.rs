//! The options of `posthook bench` (also `posthook --bench`).

use std::path::PathBuf;

const AFTER_HELP: &str = "\
Examples:
  posthook --bench                                  what posthook says, what a call costs, verdict
  posthook --bench --full                           the same, with every table
  posthook --bench --export-json out.json --export-markdown out.md
  posthook bench --command 'python3 hook.py' --vs   another hook beside posthook, with the ratio
  posthook bench --transcript ~/.claude/projects/p/session.jsonl
  posthook bench --save-baseline base.json          later: --baseline base.json (exit 3 on a regression)

Exit codes: 0 ok; 1 bad arguments or I/O error; 3 a scenario regressed against --baseline;
4 a target was missed (a p95 at or above --target-ms, a failed call, a failed load test, a floor
that fell back to `posthook floor`).";

/// Options of `posthook bench` / `posthook --bench`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct BenchArgs {
    /// The rules the in-process measurements run.
    #[command(flatten)]
    pub rules: crate::config::RuleFlags,
    /// Exactly N measured calls per scenario and mode (default: as many as fill half a second,
    /// from 10 to 200).
    #[arg(long, value_name = "N")]
    pub runs: Option<usize>,
    /// Calls run before measuring each scenario and mode (not counted).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub warmup: usize,
    /// Only scenarios whose name contains NAME (repeatable).
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Your own payloads, one JSON object per line, sent in order to one session (replaces the
    /// built-in scenarios).
    #[arg(long, value_name = "FILE.jsonl")]
    pub payloads: Option<PathBuf>,
    /// A Claude Code transcript: its tool calls rebuilt as hook payloads (replaces the built-in
    /// scenarios).
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Measure another hook command (run with `sh -c`, as Claude Code does) instead of posthook.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// With --command: measure posthook too, side by side, with the ratio.
    #[arg(long, requires = "command")]
    pub vs: bool,
    /// Parallel users in the load test (0 skips it).
    #[arg(long, value_name = "U", default_value_t = 5)]
    pub users: usize,
    /// Requests per user in the load test.
    #[arg(long, value_name = "R", default_value_t = 10)]
    pub requests: usize,
    /// Skip the concurrent load test.
    #[arg(long)]
    pub no_load: bool,
    /// Every scenario's end-to-end p95 must be under this (milliseconds).
    #[arg(long, value_name = "MS", default_value_t = 100.0)]
    pub target_ms: f64,
    /// Save this run's per-scenario CPU times over the floor's as a baseline.
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
    /// Compare with a saved baseline; exit 3 when a scenario is slower by more than the threshold.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Regression alert threshold: a scenario's ratio to the floor must rise by more than this
    /// percentage (and beyond both runs' errors) to count.
    #[arg(long, value_name = "PERCENT", default_value_t = 25.0)]
    pub alert_threshold: f64,
    /// Append the JSON export, on one line, to FILE (for trends).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Write every table as JSON.
    #[arg(long, value_name = "FILE")]
    pub export_json: Option<PathBuf>,
    /// Write every table as Markdown.
    #[arg(long, value_name = "FILE")]
    pub export_markdown: Option<PathBuf>,
    /// Print every table (the default prints what posthook tells Claude on real sessions, the
    /// hook call against the floor and the verdict).
    #[arg(long)]
    pub full: bool,
}
