//! Every measurement of a run, in order: what posthook says on real sessions, each scenario in
//! process and end to end (seeded, fresh, the other hook), then the load tests.

use super::setup::Setup;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::measure::{Scratch, Spawner};
use crate::tools::bench::messages;
use crate::tools::bench::modes::{self, EndToEnd};
use crate::tools::bench::progress::Progress;
use crate::tools::bench::results::{BenchResults, Failures, LoadResult, ScenarioResult};
use crate::tools::bench::scenarios::{self, Origin, Scenario};
use crate::tools::bench::spawner::Launcher;
use crate::tools::bench::{load, seed};
use posthook_analyzers::Settings;
use std::path::Path;

/// Runs every measurement the setup asks for, in order; the results, not judged yet.
pub(super) fn measure(
    setup: Setup,
    args: &BenchArgs,
    settings: &Settings,
    scratch: &Scratch,
) -> Result<BenchResults, BenchError> {
    let vs_n = usize::from(setup.vs.is_some());
    let per_scenario = usize::from(setup.subject_is_posthook) + 2 + vs_n;
    let loads = usize::from(setup.load_on) * 2 * (1 + vs_n);
    let mut progress = Progress::new(setup.scenarios.len() * per_scenario + loads);
    let mut e2e = EndToEnd {
        launcher: Launcher::start(&setup.exe)
            .map_err(BenchError::io("starting `posthook bench-spawner`"))?,
        floor: &setup.floor.spawner,
        plan: setup.plan,
        scratch,
        floor_samples: Vec::new(),
    };
    // What posthook says: on the user's own calls when given, else on the embedded sessions.
    let messages = setup.subject_is_posthook.then(|| {
        let own = setup.scenarios.iter().filter(|s| s.origin == Origin::User);
        let calls: Vec<Scenario> = own.cloned().collect();
        match calls.is_empty() {
            true => messages::replay(&scenarios::sessions(), settings),
            false => messages::replay(&calls, settings),
        }
    });
    let mut results = Vec::new();
    for (i, sc) in setup.scenarios.iter().enumerate() {
        // In process: posthook's Runtime, so only when posthook is measured.
        let in_process = setup.subject_is_posthook.then(|| {
            progress.step(&format!("in-process {}", sc.name));
            modes::in_process(sc, settings, &setup.plan)
        });
        let mut r = ScenarioResult {
            name: sc.name.clone(),
            origin: sc.origin,
            calls: sc.payloads.len(),
            in_process,
            end_to_end: None,
            end_to_end_fresh: None,
            vs: None,
        };
        end_to_end(&mut e2e, (&setup, settings), (i, sc), &mut r, &mut progress)?;
        results.push(r);
    }
    let load = match setup.load_on {
        true => load_tests(&setup, args, scratch, &mut progress)?,
        false => Vec::new(),
    };
    progress.finish();
    let spawner_max_rss = e2e.launcher.max_rss;
    let floor = Some(e2e.floor_samples).filter(|f| !f.is_empty());
    Ok(BenchResults {
        setup,
        floor: floor.map(|f| modes::process_stats(&f, None)),
        scenarios: results,
        load,
        messages,
        spawner_max_rss,
        baseline: Vec::new(),
        failures: Failures::default(),
        elapsed_s: 0.0,
    })
}

/// One scenario end to end: from a seeded session, from a fresh one, and the other hook.
fn end_to_end(
    e: &mut EndToEnd<'_>,
    (setup, settings): (&Setup, &Settings),
    (i, sc): (usize, &Scenario),
    r: &mut ScenarioResult,
    progress: &mut Progress,
) -> Result<(), BenchError> {
    let dir =
        (e.scratch.dir(&format!("seeded-{i}"))).map_err(BenchError::io("making a state dir"))?;
    if setup.subject_is_posthook {
        // Seeded sessions end now, so that the hook sees the same gap since their last call in
        // every run (rules that look at time gaps take the same path).
        let history = seed::history(settings, seed::now_ms());
        seed::store(&dir, &sc.payloads, &history).map_err(BenchError::Input)?;
    }
    let mut run = |sp: &Spawner, state: Option<&Path>, what: &str| {
        progress.step(&format!("end-to-end {} {} {what}", sp.label, sc.name));
        (e.measure(sp, sc, state)).map_err(BenchError::io(format!("running `{}`", sp.label)))
    };
    r.end_to_end = Some(run(&setup.subject, Some(&dir), "seeded")?);
    r.end_to_end_fresh = Some(run(&setup.subject, None, "fresh")?);
    if let Some(o) = &setup.vs {
        r.vs = Some(run(o, None, "")?);
    }
    Ok(())
}

/// The load tests of the hook under test, then of the other hook: separate sessions, then one
/// shared session.
fn load_tests(
    setup: &Setup,
    args: &BenchArgs,
    scratch: &Scratch,
    progress: &mut Progress,
) -> Result<Vec<LoadResult>, BenchError> {
    let payloads: Vec<Vec<u8>> = (setup.scenarios.iter())
        .flat_map(|s| s.payloads.iter().cloned())
        .collect();
    let hooks = std::iter::once((&setup.subject, setup.subject_is_posthook))
        .chain(setup.vs.as_ref().map(|o| (o, false)));
    let mut out = Vec::new();
    for (spawner, posthook) in hooks {
        let loader = (&*setup.exe, spawner, posthook);
        for (same, mode) in [(false, "separate sessions"), (true, "same session")] {
            progress.step(&format!("load {} {mode}", spawner.label));
            let shape = (args.users, args.requests, same);
            let r = load::run(loader, &payloads, shape, scratch);
            out.push(r.map_err(BenchError::io("running the load test"))?);
        }
    }
    Ok(out)
}
