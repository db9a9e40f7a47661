//! Every measurement of a run, in order: each scenario in process and end to end (seeded, fresh,
//! the other hook, instructions), the floors' instructions, then the load tests.

use super::setup::Setup;
use crate::bench::args::BenchArgs;
use crate::bench::error::BenchError;
use crate::bench::measure::{RunSample, Scratch, Spawner};
use crate::bench::modes::{self, StateStart};
use crate::bench::report::Progress;
use crate::bench::results::{LoadResult, ProcessStats, ScenarioResult, VsResult};
use crate::bench::spawner::Launcher;
use crate::bench::{instructions, load, seed, stats};
use posthook_analyzers::Settings;
use std::time::SystemTime;

/// Now, in ms since the epoch: seeded sessions end now, so that the hook sees the same gap since
/// their last call in every run (rules that look at time gaps take the same path).
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Everything measured, before it is judged.
pub(super) struct Measured {
    pub(super) scenarios: Vec<ScenarioResult>,
    pub(super) floor: Vec<RunSample>,
    pub(super) posthook_floor: Vec<RunSample>,
    pub(super) floor_instructions: Option<u64>,
    pub(super) posthook_floor_instructions: Option<u64>,
    pub(super) load: Vec<LoadResult>,
    pub(super) spawner_max_rss: Option<u64>,
}

pub(super) fn measure(
    setup: &Setup,
    args: &BenchArgs,
    settings: &Settings,
    scratch: &Scratch,
) -> Result<Measured, BenchError> {
    let state_dir = |source| BenchError::Scratch {
        what: String::from("a state dir"),
        source,
    };
    let vs_n = usize::from(setup.vs.is_some());
    let steps = setup.scenarios.len()
        * (usize::from(setup.in_process_on) + usize::from(setup.e2e_on) * (2 + vs_n))
        + usize::from(setup.load_on) * 2 * (1 + vs_n);
    let mut progress = Progress::new(steps, !args.no_progress);
    let mut launcher = if setup.e2e_on {
        let small = crate::bench::small_spawner::build(scratch.path());
        Launcher::start_small(small.as_deref(), &setup.exe)
    } else {
        Launcher::Direct
    };
    let mut m = Measured {
        scenarios: Vec::new(),
        floor: Vec::new(),
        posthook_floor: Vec::new(),
        floor_instructions: None,
        posthook_floor_instructions: None,
        load: Vec::new(),
        spawner_max_rss: None,
    };
    let floor = &setup.floor.spawner;
    let mut floors: Vec<&Spawner> = vec![floor];
    floors.extend(setup.posthook_floor.as_ref());
    for (i, sc) in setup.scenarios.iter().enumerate() {
        let in_process = setup.in_process_on.then(|| {
            progress.step(&format!("in-process {}", sc.name));
            modes::in_process(sc, settings, &setup.plan)
        });
        let ids = seed::session_ids(&sc.payloads);
        let mut run = |sp: &Spawner,
                       floors: &[&Spawner],
                       start: &StateStart,
                       what: &str,
                       progress: &mut Progress|
         -> Result<(ProcessStats, Vec<Vec<RunSample>>), BenchError> {
            progress.step(&format!("end-to-end {} {} {what}", sp.label, sc.name));
            let samples = modes::end_to_end(
                &mut launcher,
                sp,
                floors,
                sc,
                start,
                &setup.plan,
                scratch,
                progress,
            )
            .map_err(|source| BenchError::Run {
                label: sp.label.clone(),
                source,
            })?;
            let stats = modes::process_stats(
                &sp.label,
                &samples.hook,
                samples.floors.first().map(Vec::as_slice),
            );
            Ok((stats, samples.floors))
        };
        let (mut end_to_end, mut end_to_end_fresh, mut vs, mut instructions) =
            (None, None, None, None);
        if setup.e2e_on {
            let dir = scratch.dir(&format!("seeded-{i}")).map_err(state_dir)?;
            if setup.subject_is_posthook {
                seed::store(&dir, &ids, &seed::history(settings, now_ms()))
                    .map_err(BenchError::Seed)?;
            }
            let (seeded, mut f) = run(
                &setup.subject,
                &floors,
                &StateStart::Seeded(dir),
                "seeded",
                &mut progress,
            )?;
            let mut f = f.drain(..);
            m.floor.extend(f.next().unwrap_or_default());
            m.posthook_floor.extend(f.next().unwrap_or_default());
            end_to_end = Some(seeded);
            let (fresh, f) = run(
                &setup.subject,
                &[floor],
                &StateStart::Fresh,
                "fresh",
                &mut progress,
            )?;
            m.floor.extend(f.into_iter().flatten());
            end_to_end_fresh = Some(fresh);
            if let Some(o) = &setup.vs {
                let (theirs, f) = run(o, &[floor], &StateStart::Fresh, "", &mut progress)?;
                m.floor.extend(f.into_iter().flatten());
                vs = Some(theirs);
            }
            if setup.instructions && setup.subject_is_posthook {
                progress.detail("instructions");
                let dir = scratch.fresh_state("callgrind-state").map_err(state_dir)?;
                seed::store(&dir, &ids, &seed::history(settings, now_ms()))
                    .map_err(BenchError::Seed)?;
                instructions = sc
                    .payloads
                    .last()
                    .and_then(|p| instructions::count(&setup.subject, p, &dir, scratch.path()));
            }
        }
        let vs = vs.map(|theirs| {
            let ratio = end_to_end.as_ref().and_then(|ours: &ProcessStats| {
                stats::ratio(
                    theirs.time.mean,
                    theirs.time.stdev,
                    ours.time.mean,
                    ours.time.stdev,
                )
            });
            VsResult {
                end_to_end: theirs,
                ratio_to_posthook: ratio.map(|r| r.0),
                ratio_to_posthook_error: ratio.map(|r| r.1),
            }
        });
        m.scenarios.push(ScenarioResult {
            name: sc.name.clone(),
            origin: sc.origin,
            calls: sc.payloads.len(),
            in_process,
            end_to_end,
            end_to_end_fresh,
            instructions,
            vs,
        });
    }
    if setup.instructions {
        let payload = setup
            .scenarios
            .first()
            .and_then(|s| s.payloads.first())
            .cloned()
            .unwrap_or_default();
        let dir = scratch.fresh_state("callgrind-floor").map_err(state_dir)?;
        m.floor_instructions = instructions::count(floor, &payload, &dir, scratch.path());
        m.posthook_floor_instructions = setup
            .posthook_floor
            .as_ref()
            .and_then(|f| instructions::count(f, &payload, &dir, scratch.path()));
    }

    if setup.load_on {
        let payloads: Vec<Vec<u8>> = setup
            .scenarios
            .iter()
            .flat_map(|s| s.payloads.iter().cloned())
            .collect();
        for (sp, is_posthook) in std::iter::once((&setup.subject, setup.subject_is_posthook))
            .chain(setup.vs.as_ref().map(|o| (o, false)))
        {
            for same in [false, true] {
                progress.step(&format!(
                    "load {} {}",
                    sp.label,
                    if same {
                        "same session"
                    } else {
                        "separate sessions"
                    }
                ));
                m.load.push(
                    load::run(
                        &setup.exe,
                        sp,
                        &payloads,
                        load::LoadShape {
                            users: args.users,
                            requests: args.requests,
                            same_session: same,
                            count_store: is_posthook,
                        },
                        scratch,
                    )
                    .map_err(BenchError::Load)?,
                );
            }
        }
    }
    progress.finish();
    m.spawner_max_rss = launcher.spawner_max_rss();
    Ok(m)
}
