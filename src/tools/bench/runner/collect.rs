//! Every measurement of a run, in order: each scenario in process and end to end (seeded, fresh,
//! the other hook), then the load tests.

use super::setup::Setup;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::measure::{RunSample, Scratch, Spawner};
use crate::tools::bench::messages::{self, Messages};
use crate::tools::bench::modes::{self, StateStart};
use crate::tools::bench::progress::Progress;
use crate::tools::bench::results::{LoadResult, ProcessStats, ScenarioResult};
use crate::tools::bench::scenarios::{self, Origin, Scenario};
use crate::tools::bench::spawner::Launcher;
use crate::tools::bench::{load, seed};
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
    pub(super) load: Vec<LoadResult>,
    pub(super) spawner_max_rss: Option<u64>,
    pub(super) messages: Option<Messages>,
}

fn state_dir(source: std::io::Error) -> BenchError {
    BenchError::Scratch {
        what: "a state dir",
        source,
    }
}

/// Runs every measurement the setup asks for, in order.
pub(super) fn measure(
    setup: &Setup,
    args: &BenchArgs,
    settings: &Settings,
    scratch: &Scratch,
) -> Result<Measured, BenchError> {
    let vs_n = usize::from(setup.vs.is_some());
    let steps = setup.scenarios.len()
        * (usize::from(setup.in_process_on) + usize::from(setup.e2e_on) * (2 + vs_n))
        + usize::from(setup.load_on) * 2 * (1 + vs_n);
    let launcher = if setup.e2e_on {
        Launcher::start(&setup.exe)
    } else {
        Launcher::Direct
    };
    let mut run = Run {
        setup,
        settings,
        scratch,
        launcher,
        progress: Progress::new(steps),
    };
    // What posthook says: on the user's own calls when given, else on the embedded sessions.
    let messages = setup.subject_is_posthook.then(|| {
        let mut calls: Vec<Scenario> = (setup.scenarios.iter())
            .filter(|s| s.origin == Origin::User)
            .cloned()
            .collect();
        if calls.is_empty() {
            calls = scenarios::sessions();
        }
        messages::replay(&calls, settings)
    });
    let mut m = Measured {
        scenarios: Vec::new(),
        floor: Vec::new(),
        load: Vec::new(),
        spawner_max_rss: None,
        messages,
    };
    for (i, sc) in setup.scenarios.iter().enumerate() {
        let result = run.scenario(i, sc, &mut m)?;
        m.scenarios.push(result);
    }
    if setup.load_on {
        run.load_tests(args, &mut m)?;
    }
    run.progress.finish();
    m.spawner_max_rss = run.launcher.spawner_max_rss();
    Ok(m)
}

/// What the measurements of one run share: the setup, the helper that spawns the hooks, the
/// progress line.
struct Run<'a> {
    setup: &'a Setup,
    settings: &'a Settings,
    scratch: &'a Scratch,
    launcher: Launcher,
    progress: Progress,
}

/// One scenario's end-to-end figures, before the other hook's is set against ours.
#[derive(Default)]
struct EndToEnd {
    seeded: Option<ProcessStats>,
    fresh: Option<ProcessStats>,
    vs: Option<ProcessStats>,
}

impl Run<'_> {
    /// One scenario in process and end to end; the floors' samples go to `m`.
    fn scenario(
        &mut self,
        i: usize,
        sc: &Scenario,
        m: &mut Measured,
    ) -> Result<ScenarioResult, BenchError> {
        let in_process = self.setup.in_process_on.then(|| {
            self.progress.step(&format!("in-process {}", sc.name));
            modes::in_process(sc, self.settings, &self.setup.plan)
        });
        let e2e = if self.setup.e2e_on {
            self.end_to_end(i, sc, m)?
        } else {
            EndToEnd::default()
        };
        Ok(ScenarioResult {
            name: sc.name.clone(),
            origin: sc.origin,
            calls: sc.payloads.len(),
            in_process,
            end_to_end: e2e.seeded,
            end_to_end_fresh: e2e.fresh,
            vs: e2e.vs,
        })
    }

    /// One scenario end to end: from a seeded session, from a fresh one, and the other hook.
    fn end_to_end(
        &mut self,
        i: usize,
        sc: &Scenario,
        m: &mut Measured,
    ) -> Result<EndToEnd, BenchError> {
        let setup = self.setup;
        let floor = &setup.floor.spawner;
        let ids = seed::session_ids(&sc.payloads);
        let dir = self
            .scratch
            .dir(&format!("seeded-{i}"))
            .map_err(state_dir)?;
        if setup.subject_is_posthook {
            seed::store(&dir, &ids, &seed::history(self.settings, now_ms()))
                .map_err(BenchError::Seed)?;
        }
        let (seeded, f) = self.run(
            &setup.subject,
            &[floor],
            sc,
            &StateStart::Seeded(dir),
            "seeded",
        )?;
        m.floor.extend(f.into_iter().flatten());
        let (fresh, f) = self.run(&setup.subject, &[floor], sc, &StateStart::Fresh, "fresh")?;
        m.floor.extend(f.into_iter().flatten());
        let mut out = EndToEnd {
            seeded: Some(seeded),
            fresh: Some(fresh),
            ..EndToEnd::default()
        };
        if let Some(o) = &setup.vs {
            let (theirs, f) = self.run(o, &[floor], sc, &StateStart::Fresh, "")?;
            m.floor.extend(f.into_iter().flatten());
            out.vs = Some(theirs);
        }
        Ok(out)
    }

    /// One end-to-end measurement of `sp` on `sc`, each call followed by `floors`: its figures and
    /// the floors' samples.
    fn run(
        &mut self,
        sp: &Spawner,
        floors: &[&Spawner],
        sc: &Scenario,
        start: &StateStart,
        what: &str,
    ) -> Result<(ProcessStats, Vec<Vec<RunSample>>), BenchError> {
        self.progress
            .step(&format!("end-to-end {} {} {what}", sp.label, sc.name));
        let samples = modes::end_to_end(
            &mut self.launcher,
            sp,
            floors,
            sc,
            start,
            &self.setup.plan,
            self.scratch,
            &mut self.progress,
        )
        .map_err(|source| BenchError::Run {
            label: sp.label.clone(),
            source,
        })?;
        let stats = modes::process_stats(&samples.hook, samples.floors.first().map(Vec::as_slice));
        Ok((stats, samples.floors))
    }

    /// The load tests of the hook under test, then of the other hook: separate sessions, then one
    /// shared session.
    fn load_tests(&mut self, args: &BenchArgs, m: &mut Measured) -> Result<(), BenchError> {
        let setup = self.setup;
        let payloads: Vec<Vec<u8>> = setup
            .scenarios
            .iter()
            .flat_map(|s| s.payloads.iter().cloned())
            .collect();
        for (sp, is_posthook) in std::iter::once((&setup.subject, setup.subject_is_posthook))
            .chain(setup.vs.as_ref().map(|o| (o, false)))
        {
            for same in [false, true] {
                self.progress.step(&format!(
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
                        self.scratch,
                    )
                    .map_err(BenchError::Load)?,
                );
            }
        }
        Ok(())
    }
}
