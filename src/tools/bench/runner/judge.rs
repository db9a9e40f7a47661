//! From the measurements to the results: the pooled floor, the baseline comparison and what made
//! the run fail. Pure: no clock, no I/O.

use super::collect::Measured;
use super::setup::Setup;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::{self, Entry};
use crate::tools::bench::modes;
use crate::tools::bench::results::{
    BenchResults, Failures, LoadResult, ProcessStats, RunConfig, ScenarioResult,
};
use crate::tools::bench::units::{duration, percent};
use std::collections::BTreeMap;

/// Turns the measurements into the results.
pub(super) fn judge(args: &BenchArgs, setup: Setup, m: Measured, elapsed_s: f64) -> BenchResults {
    let floor = (!m.floor.is_empty()).then(|| modes::process_stats(&m.floor, None));
    let comparisons = setup
        .baseline
        .as_ref()
        .map(|b| {
            let threshold = args.alert_threshold / 100.0;
            baseline::compare(b, &current_entries(&m.scenarios), threshold)
        })
        .unwrap_or_default();
    let target_s = args.target_ms / 1e3;
    let mut failures = failures_of(&m.scenarios, &m.load, &comparisons, target_s);
    if setup.floor.as_ref().is_some_and(|f| !f.minimal) {
        // The ratios are then against posthook's own `floor`, a cheaper process than the minimal
        // program (about 15% on this project's machines): they look better than they are.
        failures.missed_targets.push(String::from(
            "the floor: no rustc could build the minimal program, so `posthook floor` stood in \
             and every ratio is against a cheaper floor; install rustc or set RUSTC",
        ));
    }
    BenchResults {
        environment: setup.environment,
        config: RunConfig {
            subject: setup.subject.label.clone(),
            hook_program: setup.hook_program,
            floor: setup.floor.map(|f| f.description).unwrap_or_default(),
            vs: setup.vs.as_ref().map(|o| o.label.clone()),
            target_s,
            spawner_max_rss_bytes: m.spawner_max_rss,
        },
        floor,
        scenarios: m.scenarios,
        load: m.load,
        baseline: comparisons,
        baseline_given: setup.baseline.is_some(),
        messages: m.messages,
        failures,
        elapsed_s,
    }
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
/// failed load tests of the hook under test (the first hook measured under load).
fn failures_of(
    scenarios: &[ScenarioResult],
    load: &[LoadResult],
    comparisons: &[baseline::Comparison],
    target_s: f64,
) -> Failures {
    let mut f = Failures {
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
            f.missed_targets
                .extend(failed_calls(p).map(|e| format!("{}{what}: {e}", r.name)));
            if p.time.n > 0 && p.time.p95 >= target_s {
                f.missed_targets.push(format!(
                    "{}{what}: p95 {} is not under {}",
                    r.name,
                    duration(p.time.p95),
                    duration(target_s)
                ));
            }
        }
        if let Some(e) = r.vs.as_ref().and_then(failed_calls) {
            f.missed_targets
                .push(format!("{}: the other hook: {e}", r.name));
        }
    }
    let subject = load.first().map(|l| l.subject.as_str());
    for l in load
        .iter()
        .filter(|l| !l.passed && Some(l.subject.as_str()) == subject)
    {
        f.missed_targets.push(format!(
            "load test {}: mean {}, success {}, lost events {}",
            l.mode,
            duration(l.latency.mean),
            percent(l.success_rate),
            l.lost_events.map_or("-".to_string(), |v| v.to_string())
        ));
    }
    f
}

/// The figures a baseline keeps: each scenario's median CPU time over its interleaved floor's,
/// seeded session, with its error and the wall-time ratio.
pub(super) fn current_entries(results: &[ScenarioResult]) -> BTreeMap<String, Entry> {
    results
        .iter()
        .filter_map(|r| {
            let p = r.end_to_end.as_ref()?;
            let (ratio, ratio_error) = p.cpu_ratio_to_floor?;
            Some((
                r.name.clone(),
                Entry {
                    ratio,
                    ratio_error,
                    wall_ratio: p.median_ratio_to_floor.map(|r| r.0),
                    median_s: p.time.median,
                    n: p.time.n,
                },
            ))
        })
        .collect()
}
