//! The two measuring modes: in-process (the Runtime alone) and end-to-end (one process per call,
//! as Claude Code runs a hook), and how many runs each makes.

use super::measure::{RunSample, Scratch, Spawner};
use super::progress::Progress;
use super::results::{AnalyzerShare, InProcess, ProcessStats};
use super::scenarios::Scenario;
use super::spawner::Launcher;
use super::stats::{self, Summary};
use crate::runtime::Runtime;
use posthook_analyzers::{History, Settings};
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// How many runs to make.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// Calls run and thrown away before measuring.
    pub warmup: usize,
    /// Fewest measured calls.
    pub min_runs: usize,
    /// Most measured calls (unless `min_runs` is higher).
    pub max_runs: usize,
    /// Measure at least this long, within those bounds (s).
    pub min_time: f64,
    /// Exactly this many measured calls, overriding the rest.
    pub exact: Option<usize>,
}

impl Plan {
    /// Passes over a scenario of `calls` calls, given that one pass took `pass_time` seconds.
    /// Counts are in calls, so a 40-call sequence needs fewer passes than a single call.
    pub(super) fn passes(&self, calls: usize, pass_time: f64) -> usize {
        let calls = calls.max(1);
        let per = |n: usize| n.div_ceil(calls).max(1);
        if let Some(n) = self.exact {
            return per(n);
        }
        stats::plan_runs(
            pass_time,
            self.min_time,
            per(self.min_runs),
            per(self.max_runs),
        )
    }

    /// Warmup passes.
    pub(super) fn warmup_passes(&self, calls: usize) -> usize {
        if self.warmup == 0 {
            0
        } else {
            self.warmup.div_ceil(calls.max(1))
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[derive(Default)]
struct AnalyzerAcc {
    total: Duration,
    calls: usize,
    findings: usize,
}

#[derive(Default)]
struct InProcessAcc {
    times: Vec<f64>,
    record: Duration,
    guidance: Duration,
    feedback: usize,
    analyzers: Vec<(&'static str, AnalyzerAcc)>,
}

/// One pass over the scenario on a fresh history; returns the pass's time.
fn in_process_pass(rt: &Runtime, sc: &Scenario, acc: Option<&mut InProcessAcc>) -> f64 {
    let mut acc = acc;
    let mut history = History::new();
    let start = Instant::now();
    for p in &sc.payloads {
        let t = Instant::now();
        let report = match crate::input::parse(p, now_ms(), None) {
            Ok(input) if input.is_post_tool_use() => input
                .call
                .as_ref()
                .map(|call| rt.process(call, &mut history)),
            _ => None,
        };
        let elapsed = t.elapsed();
        if let (Some(acc), Some(r)) = (acc.as_deref_mut(), report) {
            acc.times.push(elapsed.as_secs_f64());
            acc.record += r.timings.record;
            acc.guidance += r.timings.guidance;
            acc.feedback += usize::from(r.feedback.is_some());
            for t in &r.timings.analyzers {
                let i = match acc.analyzers.iter().position(|(n, _)| *n == t.name) {
                    Some(i) => i,
                    None => {
                        acc.analyzers.push((t.name, AnalyzerAcc::default()));
                        acc.analyzers.len() - 1
                    }
                };
                let a = &mut acc.analyzers[i].1;
                a.total += t.elapsed;
                a.calls += 1;
                a.findings += t.findings;
            }
        }
    }
    start.elapsed().as_secs_f64()
}

/// Measures a scenario in this process: the Runtime (parse, record, analyzers, guidance) on a
/// fresh history per pass, with the analyzers built and the pattern cache warm after the warmup.
pub(super) fn in_process(sc: &Scenario, settings: &Settings, plan: &Plan) -> InProcess {
    let rt = Runtime::builder().settings(settings.clone()).build();
    let first = Instant::now();
    if let Some(p) = sc.payloads.first() {
        if let Ok(input) = crate::input::parse(p, now_ms(), None) {
            if let Some(call) = input.call.as_ref() {
                rt.process(call, &mut History::new());
            }
        }
    }
    let first_call_s = first.elapsed().as_secs_f64();
    let mut pass_time = 0.0;
    for _ in 0..plan.warmup_passes(sc.payloads.len()) {
        pass_time = in_process_pass(&rt, sc, None);
    }
    let before = rt.cache_stats();
    let mut acc = InProcessAcc::default();
    let first_measured = in_process_pass(&rt, sc, Some(&mut acc));
    if pass_time == 0.0 {
        pass_time = first_measured;
    }
    let passes = plan.passes(sc.payloads.len(), pass_time);
    for _ in 1..passes {
        in_process_pass(&rt, sc, Some(&mut acc));
    }
    let after = rt.cache_stats();
    let (hits, lookups) = (
        after.hits - before.hits,
        after.hits + after.misses - before.hits - before.misses,
    );
    let n = acc.times.len();
    let per_call = |d: Duration| {
        if n == 0 {
            0.0
        } else {
            d.as_secs_f64() / n as f64
        }
    };
    InProcess {
        time: Summary::of(&acc.times),
        first_call_s,
        record_mean_s: per_call(acc.record),
        guidance_mean_s: per_call(acc.guidance),
        analyzers: acc
            .analyzers
            .iter()
            .map(|(name, a)| AnalyzerShare {
                name: (*name).to_string(),
                calls: a.calls,
                mean_s: if a.calls == 0 {
                    0.0
                } else {
                    a.total.as_secs_f64() / a.calls as f64
                },
                findings: a.findings,
            })
            .collect(),
        cache_hit_rate: (lookups > 0).then(|| hits as f64 / lookups as f64),
        feedback_rate: if n == 0 {
            0.0
        } else {
            acc.feedback as f64 / n as f64
        },
    }
}

/// Where each end-to-end pass starts.
#[derive(Debug, Clone)]
pub(super) enum StateStart {
    /// A fresh, empty state dir per pass: a new session.
    Fresh,
    /// This state dir, seeded beforehand and kept across passes: a session well under way (the
    /// history is bounded, so its size stays the same as calls are added).
    Seeded(PathBuf),
}

/// One pass end to end: one process per call, in order. Each call is paired with one run of each
/// floor, fed the same payload, so that all see the same machine load.
fn end_to_end_pass(
    launcher: &mut Launcher,
    spawner: &Spawner,
    floors: &[&Spawner],
    sc: &Scenario,
    start: &StateStart,
    scratch: &Scratch,
    out: &mut EndToEndSamples,
) -> io::Result<f64> {
    let state = match start {
        StateStart::Fresh => scratch.fresh_state("state")?,
        StateStart::Seeded(dir) => dir.clone(),
    };
    let floor_state = scratch.fresh_state("floor-state")?;
    out.floors.resize_with(floors.len(), Vec::new);
    let mut hook_time = 0.0;
    for p in &sc.payloads {
        // Alternate which runs first, so that neither always follows the other (and inherits
        // what it left in the caches, or the scheduler's state).
        let floors_first = out.hook.len() % 2 == 1;
        let run_floors = |launcher: &mut Launcher, out: &mut EndToEndSamples| {
            for (f, samples) in floors.iter().zip(out.floors.iter_mut()) {
                samples.push(launcher.run(f, p, &floor_state, scratch.path())?);
            }
            Ok::<_, io::Error>(())
        };
        if floors_first {
            run_floors(launcher, out)?;
        }
        let s = launcher.run(spawner, p, &state, scratch.path())?;
        hook_time += s.wall.as_secs_f64();
        out.hook.push(s);
        if !floors_first {
            run_floors(launcher, out)?;
        }
    }
    Ok(hook_time)
}

/// End-to-end samples of a scenario, and of the floors interleaved with them.
#[derive(Debug, Default)]
pub(super) struct EndToEndSamples {
    /// The hook's calls.
    pub hook: Vec<RunSample>,
    /// Per floor, its calls, one after each hook call.
    pub floors: Vec<Vec<RunSample>>,
}

/// Measures a scenario end to end: every call spawns `spawner`, starting from `start`, and, after
/// each call, each of `floors`.
#[expect(
    clippy::too_many_arguments,
    reason = "the measuring context: launcher, subject, floors, scenario, state, plan, scratch, progress"
)]
pub(super) fn end_to_end(
    launcher: &mut Launcher,
    spawner: &Spawner,
    floors: &[&Spawner],
    sc: &Scenario,
    start: &StateStart,
    plan: &Plan,
    scratch: &Scratch,
    progress: &mut Progress,
) -> io::Result<EndToEndSamples> {
    let mut warm = EndToEndSamples::default();
    let mut pass_time = 0.0;
    for _ in 0..plan.warmup_passes(sc.payloads.len()) {
        pass_time = end_to_end_pass(launcher, spawner, floors, sc, start, scratch, &mut warm)?;
    }
    let mut out = EndToEndSamples::default();
    let first = end_to_end_pass(launcher, spawner, floors, sc, start, scratch, &mut out)?;
    if pass_time == 0.0 {
        pass_time = first;
    }
    let passes = plan.passes(sc.payloads.len(), pass_time);
    for i in 1..passes {
        progress.detail(&format!("{}/{passes}", i + 1));
        end_to_end_pass(launcher, spawner, floors, sc, start, scratch, &mut out)?;
    }
    Ok(out)
}

/// Summarizes end-to-end samples, with the ratios to the floor when there is one.
pub(super) fn process_stats(samples: &[RunSample], floor: Option<&[RunSample]>) -> ProcessStats {
    let ok: Vec<&RunSample> = samples.iter().filter(|s| s.success()).collect();
    let wall = |v: &[&RunSample]| -> Vec<f64> { v.iter().map(|s| s.wall.as_secs_f64()).collect() };
    let cpu = |v: &[&RunSample]| -> Vec<f64> { v.iter().map(|s| s.cpu().as_secs_f64()).collect() };
    let floor_ok: Option<Vec<&RunSample>> =
        floor.map(|f| f.iter().filter(|s| s.success()).collect());
    let times = wall(&ok);
    let n = samples.len().max(1) as f64;
    ProcessStats {
        samples: samples.len(),
        time: Summary::of(&times),
        median_ratio_to_floor: floor_ok
            .as_deref()
            .and_then(|f| stats::median_ratio(&times, &wall(f))),
        cpu_ratio_to_floor: floor_ok
            .as_deref()
            .and_then(|f| stats::median_ratio(&cpu(&ok), &cpu(f))),
        cpu_median_s: stats::median(&cpu(&ok)),
        max_rss_peak_bytes: samples.iter().map(|s| s.max_rss).max().unwrap_or(0),
        success_rate: ok.len() as f64 / n,
        feedback_rate: samples.iter().filter(|s| s.feedback()).count() as f64 / n,
        times_s: times,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_count_calls_not_passes() {
        let plan = Plan {
            warmup: 3,
            min_runs: 10,
            max_runs: 100,
            min_time: 1.0,
            exact: None,
        };
        // One call of 1 ms: 1000 wanted, capped at 100.
        assert_eq!(plan.passes(1, 0.001), 100);
        // 40 calls per pass: at least 1 pass (10 calls), at most 3 passes (120 >= 100 calls).
        assert_eq!(plan.passes(40, 0.5), 2);
        assert_eq!(plan.passes(40, 5.0), 1);
        assert_eq!(plan.passes(40, 0.0001), 3);
        assert_eq!(plan.warmup_passes(1), 3);
        assert_eq!(plan.warmup_passes(40), 1);
        let exact = Plan {
            exact: Some(5),
            ..plan
        };
        assert_eq!(exact.passes(1, 0.001), 5);
        assert_eq!(exact.passes(6, 0.001), 1);
        let none = Plan { warmup: 0, ..plan };
        assert_eq!(none.warmup_passes(1), 0);
    }

    #[test]
    fn in_process_breaks_time_down_per_analyzer() {
        let sc = Scenario {
            name: "t".into(),
            origin: super::super::scenarios::Origin::User,
            payloads: vec![
                br#"{"session_id":"s","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf /"}}"#.to_vec(),
            ],
        };
        let plan = Plan {
            warmup: 1,
            min_runs: 4,
            max_runs: 4,
            min_time: 0.0,
            exact: None,
        };
        let r = in_process(&sc, &Settings::default(), &plan);
        assert_eq!(r.time.n, 4);
        let names: Vec<&str> = r.analyzers.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"exec-safety"), "{names:?}");
        assert!(r.analyzers.iter().all(|a| a.calls == 4));
        // The same command every time: after the warmup every lookup is a hit.
        assert_eq!(r.cache_hit_rate, Some(1.0));
        assert_eq!(r.feedback_rate, 1.0);
    }
}
