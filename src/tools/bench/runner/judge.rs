//! From the measurements to the results: pooled floors, the headline, grades, the baseline
//! comparison and what made the run fail. Pure: no clock, no I/O.

use super::collect::Measured;
use super::setup::Setup;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::{self, Entry};
use crate::tools::bench::grade::{self, Grade};
use crate::tools::bench::modes;
use crate::tools::bench::results::{
    BenchResults, Failures, GradeResult, Headline, LoadResult, ProcessStats, RunConfig,
    ScenarioResult,
};
use crate::tools::bench::{scenarios, seed, stats};
use std::collections::BTreeMap;

/// Turns the measurements into the results: pooled floors, the headline, grades, the baseline
/// comparison and the verdict. Pure: no clock, no I/O.
pub(super) fn judge(args: &BenchArgs, setup: Setup, m: Measured, elapsed_s: f64) -> BenchResults {
    let floor = (!m.floor.is_empty()).then(|| modes::process_stats("floor", &m.floor, None));
    let headline = headline(&m.scenarios);

    let ours: Vec<&ProcessStats> = m
        .scenarios
        .iter()
        .filter_map(|r| r.end_to_end.as_ref())
        .collect();
    let theirs: Vec<&ProcessStats> = m
        .scenarios
        .iter()
        .filter_map(|r| r.vs.as_ref().map(|v| &v.end_to_end))
        .collect();
    let grade = grade_of(&setup.subject.label, &ours);
    let vs_grade = setup.vs.as_ref().and_then(|o| grade_of(&o.label, &theirs));

    let threshold = args.alert_threshold / 100.0;
    let comparisons = setup
        .baseline
        .as_ref()
        .map(|b| baseline::compare(b, &current_entries(&m.scenarios), threshold))
        .unwrap_or_default();
    let target_s = args.target_ms / 1e3;
    let config = run_config(args, &setup, m.spawner_max_rss);
    let mut verdict = verdict_of(
        &m.scenarios,
        &m.load,
        &comparisons,
        &setup.subject.label,
        target_s,
    );
    if setup.e2e_on && !setup.floor.minimal {
        // The ratios are then against posthook's own `floor`, a cheaper process than the minimal
        // program (about 15% on this project's machines): they look better than they are.
        verdict.missed_targets.push(String::from(
            "the floor: no rustc could build the minimal program, so `posthook floor` stood in \
             and every ratio is against a cheaper floor; install rustc or set RUSTC",
        ));
    }

    BenchResults {
        environment: setup.environment,
        config,
        floor,
        headline,
        scenarios: m.scenarios,
        load: m.load,
        grade,
        vs_grade,
        baseline: comparisons,
        baseline_file: args.baseline.as_ref().map(|p| p.display().to_string()),
        verdict,
        elapsed_s,
    }
}

/// The headline: the headline scenarios' seeded end-to-end medians against the floor's.
fn headline(scenarios: &[ScenarioResult]) -> Vec<Headline> {
    scenarios
        .iter()
        .filter(|s| s.origin == scenarios::Origin::Headline)
        .filter_map(|s| {
            let p = s.end_to_end.as_ref()?;
            Some(Headline {
                scenario: s.name.clone(),
                median_s: p.time.median,
                floor_median_s: p.time.median / p.median_ratio_to_floor?,
                ratio: p.median_ratio_to_floor?,
                ratio_error: p.median_ratio_to_floor_error?,
                n: p.time.n,
            })
        })
        .collect()
}

/// How the run was made, for the report and the exports.
fn run_config(args: &BenchArgs, setup: &Setup, spawner_max_rss: Option<u64>) -> RunConfig {
    RunConfig {
        subject: setup.subject.label.clone(),
        hook_program: setup.hook_program.clone(),
        floor: setup.floor.description.clone(),
        seeded_events: seed::SEED_EVENTS,
        vs: setup.vs.as_ref().map(|o| o.label.clone()),
        warmup: args.warmup,
        min_runs: args.min_runs,
        max_runs: args.max_runs,
        min_time_s: args.min_time,
        runs: args.runs,
        target_s: args.target_ms / 1e3,
        alert_threshold: args.alert_threshold / 100.0,
        spawner_max_rss_bytes: spawner_max_rss,
    }
}

fn grade_of(subject: &str, stats: &[&ProcessStats]) -> Option<GradeResult> {
    if stats.is_empty() {
        return None;
    }
    let scores: Vec<f64> = stats.iter().map(|p| p.score).collect();
    let all: Vec<f64> = stats
        .iter()
        .flat_map(|p| p.times_s.iter().copied())
        .collect();
    let score = grade::overall(&scores);
    Some(GradeResult {
        subject: subject.to_string(),
        score,
        grade: Grade::of(score),
        target_50ms_share: stats::share_below(&all, 0.050),
        target_100ms_share: stats::share_below(&all, 0.100),
    })
}

fn failed_calls(p: &ProcessStats) -> Option<String> {
    (p.success_rate < 1.0).then(|| {
        let failed = p.samples - (p.success_rate * p.samples as f64).round() as usize;
        format!(
            "{failed} of {} calls failed (exit other than 0 or 2)",
            p.samples
        )
    })
}

/// What made the run fail: regressions, failed calls (of either hook), p95s over the target,
/// failed load tests of the hook under test.
fn verdict_of(
    scenarios: &[ScenarioResult],
    load: &[LoadResult],
    comparisons: &[baseline::Comparison],
    subject: &str,
    target_s: f64,
) -> Failures {
    let mut verdict = Failures {
        regressions: comparisons
            .iter()
            .filter(|c| c.verdict == baseline::Verdict::Regressed)
            .map(|c| {
                format!(
                    "{}: CPU {:.2}x -> {:.2}x the floor's (change {:+.2} ± {:.2})",
                    c.scenario, c.baseline_ratio, c.current_ratio, c.change, c.change_error
                )
            })
            .collect(),
        missed_targets: Vec::new(),
    };
    for r in scenarios {
        let runs = [
            ("", r.end_to_end.as_ref()),
            (" (fresh session)", r.end_to_end_fresh.as_ref()),
        ];
        for (what, p) in runs {
            let Some(p) = p else { continue };
            if let Some(f) = failed_calls(p) {
                verdict
                    .missed_targets
                    .push(format!("{}{what}: {f}", r.name));
            }
            if p.time.n > 0 && p.time.p95 >= target_s {
                verdict.missed_targets.push(format!(
                    "{}{what}: p95 {} is not under {}",
                    r.name,
                    crate::tools::bench::units::duration(p.time.p95),
                    crate::tools::bench::units::duration(target_s)
                ));
            }
        }
        if let Some(f) = r.vs.as_ref().and_then(|v| failed_calls(&v.end_to_end)) {
            verdict
                .missed_targets
                .push(format!("{}: the other hook: {f}", r.name));
        }
    }
    for l in load {
        if !l.passed && l.subject == subject {
            verdict.missed_targets.push(format!(
                "load test {}: mean {}, success {}, lost events {}",
                l.mode,
                crate::tools::bench::units::duration(l.latency.mean),
                crate::tools::bench::units::percent(l.success_rate),
                l.lost_events.map_or("-".to_string(), |v| v.to_string())
            ));
        }
    }
    verdict
}

/// The figures a baseline keeps: each scenario's median CPU time over its interleaved floor's,
/// seeded session, with its error and the wall-time ratio.
pub(super) fn current_entries(results: &[ScenarioResult]) -> BTreeMap<String, Entry> {
    results
        .iter()
        .filter_map(|r| {
            let p = r.end_to_end.as_ref()?;
            Some((
                r.name.clone(),
                Entry {
                    ratio: p.cpu_ratio_to_floor?,
                    ratio_error: p.cpu_ratio_to_floor_error?,
                    wall_ratio: p.median_ratio_to_floor,
                    median_s: p.time.median,
                    n: p.time.n,
                },
            ))
        })
        .collect()
}
