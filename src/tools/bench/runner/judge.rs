//! The verdict on the results: the baseline comparison and what made the run fail. Pure: no
//! clock, no I/O.

use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::{self, Entry};
use crate::tools::bench::results::{BenchResults, Failures, ProcessStats};
use crate::tools::bench::results::{LoadResult, ScenarioResult};
use crate::tools::bench::table::{duration, percent};
use std::collections::BTreeMap;

/// Judges the results: the baseline comparison, and what made the run fail.
pub(super) fn judge(args: &BenchArgs, r: &mut BenchResults) {
    let threshold = args.alert_threshold / 100.0;
    let current = current_entries(&r.scenarios);
    r.baseline = (r.setup.baseline.as_ref())
        .map(|b| baseline::compare(b, &current, threshold))
        .unwrap_or_default();
    r.failures = Failures {
        regressions: regressions(&r.baseline),
        missed_targets: missed_targets(&r.scenarios, &r.load, r.setup.target_s),
    };
    if !r.setup.floor.minimal {
        // The ratios are then against posthook's own `floor`, a cheaper process than the minimal
        // program (about 15% on this project's machines): they look better than they are.
        r.failures.missed_targets.push(String::from(
            "the floor: no rustc could build the minimal program, so `posthook floor` stood in \
             and every ratio is against a cheaper floor; install rustc or set RUSTC",
        ));
    }
}

fn regressions(comparisons: &[baseline::Comparison]) -> Vec<String> {
    (comparisons.iter())
        .filter(|c| c.verdict == baseline::Verdict::Regressed)
        .map(|c| {
            format!(
                "{}: CPU {:.2}x -> {:.2}x the floor's (change {:+.2} ± {:.2})",
                c.scenario, c.baseline_ratio, c.current_ratio, c.change, c.change_error
            )
        })
        .collect()
}

fn failed_calls(p: &ProcessStats) -> Option<String> {
    let failed = p.samples - (p.success_rate * p.samples as f64).round() as usize;
    let n = p.samples;
    (failed > 0).then(|| format!("{failed} of {n} calls failed (exit other than 0 or 2)"))
}

/// Failed calls (of either hook), p95s over the target, failed load tests of the hook under test
/// (the first one loaded).
fn missed_targets(scenarios: &[ScenarioResult], load: &[LoadResult], target_s: f64) -> Vec<String> {
    let mut out = Vec::new();
    for r in scenarios {
        let runs = [
            ("", &r.end_to_end),
            (" (fresh session)", &r.end_to_end_fresh),
        ];
        for (what, p) in runs {
            let Some(p) = p else { continue };
            out.extend(failed_calls(p).map(|e| format!("{}{what}: {e}", r.name)));
            if p.time.n > 0 && p.time.p95 >= target_s {
                let (p95, target) = (duration(p.time.p95), duration(target_s));
                out.push(format!("{}{what}: p95 {p95} is not under {target}", r.name));
            }
        }
        let other = r.vs.as_ref().and_then(failed_calls);
        out.extend(other.map(|e| format!("{}: the other hook: {e}", r.name)));
    }
    let subject = load.first().map(|l| &l.subject);
    for l in (load.iter()).filter(|l| !l.passed && Some(&l.subject) == subject) {
        out.push(format!(
            "load test {}: mean {}, success {}, lost events {}",
            l.mode,
            duration(l.latency.mean),
            percent(l.success_rate),
            l.lost_events.map_or("-".to_string(), |v| v.to_string())
        ));
    }
    out
}

/// The figures a baseline keeps: each scenario's median CPU time over its interleaved floor's,
/// seeded session, with its error and the wall-time ratio.
pub(super) fn current_entries(results: &[ScenarioResult]) -> BTreeMap<String, Entry> {
    (results.iter())
        .filter_map(|r| {
            let p = r.end_to_end.as_ref()?;
            let (ratio, ratio_error) = p.cpu_ratio_to_floor?;
            let entry = Entry {
                ratio,
                ratio_error,
                wall_ratio: p.median_ratio_to_floor.map(|r| r.0),
                median_s: p.time.median,
                n: p.time.n,
            };
            Some((r.name.clone(), entry))
        })
        .collect()
}
