//! The two measuring modes: in-process (the Runtime alone) and end-to-end (one process per call,
//! as Claude Code runs a hook, each call paired with a run of the floor), and how many runs each
//! makes.

use super::measure::{RunSample, Scratch, Spawner};
use super::results::{InProcess, ProcessStats, Stage};
use super::scenarios::Scenario;
use super::seed;
use super::spawner::Launcher;
use super::stats::{self, Summary};
use crate::runtime::Runtime;
use posthook_analyzers::{History, Settings};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// Fewest measured calls per scenario and mode, unless `--runs` says otherwise.
const MIN_RUNS: usize = 10;
/// Most measured calls per scenario and mode.
const MAX_RUNS: usize = 200;
/// Measure a scenario at least this long (s), within those bounds.
const MIN_TIME: f64 = 0.5;

/// How many runs to make.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// Calls run and thrown away before measuring.
    pub warmup: usize,
    /// Exactly this many measured calls (`--runs`), else as many as fill [`MIN_TIME`].
    pub exact: Option<usize>,
}

impl Plan {
    /// Passes over a scenario of `calls` calls, given that one pass took `pass_time` seconds.
    /// Counts are in calls, so a 40-call sequence needs fewer passes than a single call.
    pub(super) fn passes(&self, calls: usize, pass_time: f64) -> usize {
        let per = |n: usize| n.div_ceil(calls.max(1)).max(1);
        // As hyperfine: enough to fill the time, within the bounds (`as` saturates).
        let wanted = (MIN_TIME / pass_time).ceil() as usize;
        (self.exact).map_or(wanted.clamp(per(MIN_RUNS), per(MAX_RUNS)), per)
    }

    /// Runs the passes over a scenario of `calls` calls: the warmup (`pass(false)`, not counted),
    /// then measured ones (`pass(true)`, each returning its time) until the plan is met.
    pub(super) fn run<E>(
        &self,
        calls: usize,
        mut pass: impl FnMut(bool) -> Result<f64, E>,
    ) -> Result<(), E> {
        let mut time = 0.0;
        for _ in 0..self.warmup.div_ceil(calls.max(1)) {
            time = pass(false)?;
        }
        let first = pass(true)?;
        for _ in 1..self.passes(calls, if time > 0.0 { time } else { first }) {
            pass(true)?;
        }
        Ok(())
    }
}

/// What the measured in-process calls add up to.
#[derive(Default)]
struct Tally {
    times: Vec<f64>,
    feedback: usize,
    stages: Vec<Stage>,
}

impl Tally {
    /// One call of the stage `name`, which took `time` (and found `findings`, for an analyzer).
    fn add(&mut self, name: &str, time: Duration, findings: Option<usize>) {
        let i = (self.stages.iter().position(|s| s.name == name)).unwrap_or_else(|| {
            let (calls, total_s, findings) = (0, 0.0, findings.map(|_| 0));
            let name = name.to_string();
            self.stages.push(Stage {
                name,
                calls,
                total_s,
                findings,
            });
            self.stages.len() - 1
        });
        let s = &mut self.stages[i];
        (s.calls, s.total_s) = (s.calls + 1, s.total_s + time.as_secs_f64());
        s.findings = s.findings.zip(findings).map(|(a, b)| a + b);
    }
}

/// One pass over the scenario on a fresh history, counted into `tally` when given; its time.
fn in_process_pass(rt: &Runtime, sc: &Scenario, mut tally: Option<&mut Tally>) -> f64 {
    let mut history = History::new();
    let start = Instant::now();
    for p in &sc.payloads {
        let t = Instant::now();
        let report = match crate::input::parse(p, seed::now_ms(), None) {
            Ok(input) if input.is_post_tool_use() => {
                (input.call.as_ref()).map(|call| rt.process(call, &mut history))
            }
            _ => None,
        };
        let elapsed = t.elapsed();
        let (Some(acc), Some(r)) = (tally.as_deref_mut(), report) else {
            continue;
        };
        acc.times.push(elapsed.as_secs_f64());
        acc.feedback += usize::from(r.feedback.is_some());
        acc.add("record", r.timings.record, None);
        for t in &r.timings.analyzers {
            acc.add(t.name, t.elapsed, Some(t.findings));
        }
        acc.add("guidance", r.timings.guidance, None);
    }
    start.elapsed().as_secs_f64()
}

/// Measures a scenario in this process: the Runtime (parse, record, analyzers, guidance) on a
/// fresh history per pass, with the analyzers built and the pattern cache warm after the warmup.
pub(super) fn in_process(sc: &Scenario, settings: &Settings, plan: &Plan) -> InProcess {
    let rt = Runtime::builder().settings(settings.clone()).build();
    let cold = Scenario {
        payloads: sc.payloads.iter().take(1).cloned().collect(),
        ..sc.clone()
    };
    let first_call_s = in_process_pass(&rt, &cold, None);
    let (mut acc, mut before) = (Tally::default(), None);
    let _ = plan.run(sc.payloads.len(), |measured| {
        before = before.or(measured.then(|| rt.cache_stats()));
        Ok::<_, ()>(in_process_pass(&rt, sc, measured.then_some(&mut acc)))
    });
    let (after, before) = (rt.cache_stats(), before.unwrap_or_default());
    let hits = after.hits - before.hits;
    let lookups = hits + after.misses - before.misses;
    InProcess {
        time: Summary::of(&acc.times),
        first_call_s,
        stages: acc.stages,
        cache_hit_rate: (lookups > 0).then(|| hits as f64 / lookups as f64),
        feedback_rate: acc.feedback as f64 / acc.times.len().max(1) as f64,
    }
}

/// What end-to-end measurements share: the helper that spawns the processes, the floor run after
/// every call, the plan, the scratch dir; and every floor sample taken.
pub(super) struct EndToEnd<'a> {
    pub launcher: Launcher,
    pub floor: &'a Spawner,
    pub plan: Plan,
    pub scratch: &'a Scratch,
    pub floor_samples: Vec<RunSample>,
}

impl EndToEnd<'_> {
    /// Measures `sc` with one `sp` process per call, starting from the state dir `state` kept
    /// across passes (a seeded session), or from none each pass: its figures against the floor
    /// interleaved with it.
    pub(super) fn measure(
        &mut self,
        sp: &Spawner,
        sc: &Scenario,
        state: Option<&Path>,
    ) -> io::Result<ProcessStats> {
        let (mut hook, mut floor) = (Vec::new(), Vec::new());
        let plan = self.plan;
        plan.run(sc.payloads.len(), |measured| match measured {
            true => self.pass(sp, sc, state, (&mut hook, &mut floor)),
            false => self.pass(sp, sc, state, (&mut Vec::new(), &mut Vec::new())),
        })?;
        let stats = process_stats(&hook, Some(&floor));
        self.floor_samples.extend(floor);
        Ok(stats)
    }

    /// One pass: one process per call, in order, each paired with a run of the floor fed the same
    /// payload, so that both see the same machine load; the hook's time.
    fn pass(
        &mut self,
        sp: &Spawner,
        sc: &Scenario,
        state: Option<&Path>,
        (hook, floor): (&mut Vec<RunSample>, &mut Vec<RunSample>),
    ) -> io::Result<f64> {
        let state = match state {
            Some(dir) => dir.to_path_buf(),
            None => self.scratch.fresh_state("state")?,
        };
        let floor_state = self.scratch.fresh_state("floor-state")?;
        let dir = &self.scratch.root;
        let mut time = 0.0;
        for p in &sc.payloads {
            // Alternate which runs first, so that neither always follows the other (and inherits
            // what it left in the caches, or the scheduler's state).
            let floor_first = hook.len() % 2 == 1;
            if floor_first {
                floor.push(self.launcher.run(self.floor, p, &floor_state, dir)?);
            }
            let s = self.launcher.run(sp, p, &state, dir)?;
            time += s.wall.as_secs_f64();
            hook.push(s);
            if !floor_first {
                floor.push(self.launcher.run(self.floor, p, &floor_state, dir)?);
            }
        }
        Ok(time)
    }
}

/// Summarizes end-to-end samples (times over the successful calls), with the ratios to the
/// floor's when there is one.
pub(super) fn process_stats(samples: &[RunSample], floor: Option<&[RunSample]>) -> ProcessStats {
    type Of = fn(&RunSample) -> f64;
    let ok =
        |v: &[RunSample], f: Of| -> Vec<f64> { v.iter().filter(|s| s.success()).map(f).collect() };
    let (wall, cpu): (Of, Of) = (|s| s.wall.as_secs_f64(), |s| s.cpu().as_secs_f64());
    let ratio = |f: Of| floor.and_then(|fl| stats::median_ratio(&ok(samples, f), &ok(fl, f)));
    let times = ok(samples, wall);
    let n = samples.len().max(1) as f64;
    ProcessStats {
        samples: samples.len(),
        time: Summary::of(&times),
        median_ratio_to_floor: ratio(wall),
        cpu_ratio_to_floor: ratio(cpu),
        cpu_median_s: stats::median(&ok(samples, cpu)),
        max_rss_peak_bytes: samples.iter().map(|s| s.max_rss).max().unwrap_or(0),
        success_rate: times.len() as f64 / n,
        feedback_rate: samples.iter().filter(|s| s.feedback()).count() as f64 / n,
        times_s: times,
        floor_times_s: floor.map(|f| ok(f, wall)).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_count_calls_not_passes() {
        let plan = Plan {
            warmup: 3,
            exact: None,
        };
        // One call of 1 ms: 500 wanted for half a second, capped at 200.
        assert_eq!(plan.passes(1, 0.001), 200);
        // 40 calls per pass: at least 1 pass (10 calls), at most 5 passes (200 calls).
        assert_eq!(plan.passes(40, 0.2), 3);
        assert_eq!(plan.passes(40, 5.0), 1);
        assert_eq!(plan.passes(40, 0.0001), 5);
        // No time measured: as many as allowed.
        assert_eq!(plan.passes(1, 0.0), 200);
        let exact = Plan {
            exact: Some(5),
            ..plan
        };
        assert_eq!(exact.passes(1, 0.001), 5);
        assert_eq!(exact.passes(6, 0.001), 1);
        // The warmup covers its calls in whole passes; its time, not the first measured pass's,
        // plans the rest: 1 warmup pass (3 calls of 40), then 3 measured (0.5 s / 0.2 s).
        let mut seen = Vec::new();
        let mut pass = |m: bool| {
            seen.push(m);
            Ok::<_, ()>(if m { 5.0 } else { 0.2 })
        };
        plan.run(40, &mut pass).expect("runs");
        exact.run(1, &mut pass).expect("runs");
        let none = Plan { warmup: 0, ..exact };
        none.run(1, &mut pass).expect("runs");
        let expected: Vec<bool> = [false, true, true, true]
            .into_iter()
            .chain([false; 3])
            .chain([true; 10])
            .collect();
        assert_eq!(seen, expected);
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
            exact: Some(4),
        };
        let r = in_process(&sc, &Settings::default(), &plan);
        assert_eq!(r.time.n, 4);
        let names: Vec<&str> = r.stages.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"exec-safety"), "{names:?}");
        assert_eq!((names[0], names[names.len() - 1]), ("record", "guidance"));
        assert!(r.stages.iter().all(|a| a.calls == 4 && a.total_s > 0.0));
        // The same command every time: after the warmup every lookup is a hit.
        assert_eq!(r.cache_hit_rate, Some(1.0));
        assert_eq!(r.feedback_rate, 1.0);
    }
}
