//! `posthook bench`: runs the scenarios in the modes asked for, then the load test, grades,
//! compares with a baseline, reports, exports, and returns the verdict.

use super::args::{BenchArgs, Mode};
use super::baseline::{self, Baseline, Entry};
use super::environment::Environment;
use super::error::BenchError;
use super::export::{Exporter, JsonExporter, MarkdownExporter};
use super::floor::{self, Floor};
use super::grade::{self, Grade};
use super::measure::{RunSample, Scratch, Spawner};
use super::modes::{self, Plan, StateStart};
use super::report::{self, Progress};
use super::results::{
    BenchResults, Failures, GradeResult, Headline, LoadResult, ProcessStats, RunConfig,
    ScenarioResult, VsResult,
};
use super::scenarios::{self, Scenario};
use super::spawner::Launcher;
use super::{instructions, load, seed, stats};
use posthook_analyzers::Settings;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Instant, SystemTime};

/// How a run ended, once everything was measured and written: what the caller turns into an
/// exit code (0 for a pass, 3 for a regression, 4 for a missed target, as the README documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No regression against the baseline, every target met.
    Pass,
    /// A scenario regressed against the baseline (this outranks a missed target).
    Regression,
    /// A target was missed: a p95 over the target, a failed call, a failed load test.
    MissedTarget,
}

impl Verdict {
    /// The verdict on what made a run fail, if anything did.
    fn of(failures: &Failures) -> Verdict {
        if !failures.regressions.is_empty() {
            Verdict::Regression
        } else if !failures.missed_targets.is_empty() {
            Verdict::MissedTarget
        } else {
            Verdict::Pass
        }
    }
}

/// Runs the benchmark, prints the report on stdout, writes the outputs asked for and returns the
/// verdict. The caller prints the error.
pub fn run(args: &BenchArgs, settings: &Settings) -> Result<Verdict, BenchError> {
    if args.mode == super::args::Mode::Http {
        return super::http::run(args);
    }
    let results = execute(args, settings)?;
    let mut out = std::io::stdout().lock();
    let _ = report::write(&mut out, &results).and_then(|()| out.flush());
    write_outputs(args, &results)?;
    Ok(Verdict::of(&results.verdict))
}

fn scenarios_for(args: &BenchArgs) -> Result<Vec<Scenario>, BenchError> {
    let mut v = Vec::new();
    if let Some(p) = &args.payloads {
        v.push(scenarios::from_payloads_file(p).map_err(BenchError::Scenarios)?);
    }
    if let Some(p) = &args.transcript {
        v.push(scenarios::from_transcript(p).map_err(BenchError::Scenarios)?);
    }
    if v.is_empty() {
        v = scenarios::builtin();
    }
    if !args.scenarios.is_empty() {
        v.retain(|s| args.scenarios.iter().any(|f| s.name.contains(f.as_str())));
        if v.is_empty() {
            return Err(BenchError::NoScenario {
                filters: args.scenarios.clone(),
                builtin: scenarios::builtin().into_iter().map(|s| s.name).collect(),
            });
        }
    }
    Ok(v)
}

/// The hook as Claude Code runs it: no arguments, the payload on stdin. The profile and the
/// disabled rules reach it through the environment, as a user's own settings would.
fn posthook_spawner(exe: &Path, settings: &Settings) -> Spawner {
    let disabled: Vec<&str> = settings.disabled.iter().map(String::as_str).collect();
    Spawner::new("posthook", exe, &[])
        .env("POSTHOOK_PROFILE", settings.profile.as_str())
        .env("POSTHOOK_DISABLE", disabled.join(","))
}

fn check(args: &BenchArgs) -> Result<(), BenchError> {
    if !(args.min_time.is_finite() && args.min_time >= 0.0) {
        return Err(BenchError::BadArgument(
            "--min-time must be a number of seconds, 0 or more",
        ));
    }
    if !(args.alert_threshold.is_finite() && args.alert_threshold >= 0.0) {
        return Err(BenchError::BadArgument(
            "--alert-threshold must be a percentage, 0 or more",
        ));
    }
    if !(args.target_ms.is_finite() && args.target_ms > 0.0) {
        return Err(BenchError::BadArgument("--target-ms must be above 0"));
    }
    if args.runs == Some(0) {
        return Err(BenchError::BadArgument("--runs must be at least 1"));
    }
    if args.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(BenchError::BadArgument("--command is empty"));
    }
    Ok(())
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

/// What a run measures with, set up once.
struct Setup {
    environment: Environment,
    exe: std::path::PathBuf,
    scenarios: Vec<Scenario>,
    baseline: Option<Baseline>,
    /// The hook under test: posthook, or the command when it is measured alone.
    subject: Spawner,
    subject_is_posthook: bool,
    /// With --vs: the other hook.
    vs: Option<Spawner>,
    floor: Floor,
    /// `posthook floor`, measured beside the minimal program (none when it is the floor).
    posthook_floor: Option<Spawner>,
    instructions: bool,
    in_process_on: bool,
    e2e_on: bool,
    load_on: bool,
    plan: Plan,
}

fn setup(args: &BenchArgs, settings: &Settings, scratch: &Scratch) -> Result<Setup, BenchError> {
    check(args)?;
    let exe = std::env::current_exe().map_err(|source| BenchError::OwnBinary {
        doing: "finding own executable",
        source,
    })?;
    let scenarios = scenarios_for(args)?;
    let baseline = match &args.baseline {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| e.to_string())
                .and_then(|t| Baseline::parse(&t))
                .map_err(|reason| BenchError::Baseline {
                    path: p.clone(),
                    reason,
                })?,
        ),
        None => None,
    };
    let posthook = posthook_spawner(&exe, settings);
    let other = args.command.as_deref().map(Spawner::shell);
    let (subject, vs) = match (&other, args.vs) {
        (Some(o), false) => (o.clone(), None),
        (o, _) => (posthook.clone(), o.clone()),
    };
    let subject_is_posthook = args.command.is_none() || args.vs;
    let e2e_on = args.mode != Mode::InProcess;
    let floor = if e2e_on {
        floor::build(scratch, &exe)
    } else {
        floor::posthook_floor(&exe, false)
    };
    let posthook_floor = floor
        .minimal
        .then(|| floor::posthook_floor(&exe, false).spawner);
    Ok(Setup {
        environment: Environment::detect(),
        in_process_on: subject_is_posthook && args.mode != Mode::EndToEnd,
        load_on: e2e_on && !args.no_load && args.users > 0 && args.requests > 0,
        e2e_on,
        instructions: e2e_on && !args.no_instructions && instructions::available(),
        plan: Plan {
            warmup: args.warmup,
            min_runs: args.min_runs,
            max_runs: args.max_runs,
            min_time: args.min_time,
            exact: args.runs,
        },
        exe,
        scenarios,
        baseline,
        subject,
        subject_is_posthook,
        vs,
        floor,
        posthook_floor,
    })
}

/// Now, in ms since the epoch: seeded sessions end now, so that the hook sees the same gap since
/// their last call in every run (rules that look at time gaps take the same path).
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Everything measured, before it is judged.
struct Measured {
    scenarios: Vec<ScenarioResult>,
    floor: Vec<RunSample>,
    posthook_floor: Vec<RunSample>,
    floor_instructions: Option<u64>,
    posthook_floor_instructions: Option<u64>,
    load: Vec<LoadResult>,
    spawner_max_rss: Option<u64>,
}

fn measure(
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
        let small = super::small_spawner::build(scratch.path());
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

fn execute(args: &BenchArgs, settings: &Settings) -> Result<BenchResults, BenchError> {
    let started = Instant::now();
    let scratch = Scratch::new("run").map_err(|source| BenchError::Scratch {
        what: String::from("scratch dir"),
        source,
    })?;
    let setup = setup(args, settings, &scratch)?;
    let measured = measure(&setup, args, settings, &scratch)?;
    Ok(judge(
        args,
        setup,
        measured,
        started.elapsed().as_secs_f64(),
    ))
}

/// Turns the measurements into the results: pooled floors, the headline, grades, the baseline
/// comparison and the verdict. Pure: no clock, no I/O.
fn judge(args: &BenchArgs, setup: Setup, m: Measured, elapsed_s: f64) -> BenchResults {
    let floor = (!m.floor.is_empty()).then(|| modes::process_stats("floor", &m.floor, None));
    let posthook_floor = (!m.posthook_floor.is_empty())
        .then(|| modes::process_stats("posthook floor", &m.posthook_floor, Some(&m.floor)));
    let headline = m
        .scenarios
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
                instructions: s.instructions,
            })
        })
        .collect();

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
    let verdict = verdict_of(
        &m.scenarios,
        &m.load,
        &comparisons,
        &setup.subject.label,
        target_s,
    );

    BenchResults {
        environment: setup.environment,
        config: RunConfig {
            subject: setup.subject.label.clone(),
            floor: setup.floor.description.clone(),
            seeded_events: seed::SEED_EVENTS,
            instructions: if setup.instructions {
                String::from("valgrind --tool=callgrind, one call per scenario")
            } else if args.no_instructions {
                String::from("not counted (--no-instructions)")
            } else if setup.e2e_on {
                String::from("not counted (no valgrind here)")
            } else {
                String::from("not counted (in-process only)")
            },
            vs: setup.vs.as_ref().map(|o| o.label.clone()),
            warmup: args.warmup,
            min_runs: args.min_runs,
            max_runs: args.max_runs,
            min_time_s: args.min_time,
            runs: args.runs,
            target_s,
            alert_threshold: threshold,
            spawner_max_rss_bytes: m.spawner_max_rss,
        },
        floor,
        posthook_floor,
        headline,
        floor_instructions: m.floor_instructions,
        posthook_floor_instructions: m.posthook_floor_instructions,
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
                let instr = match (c.baseline_instructions, c.current_instructions) {
                    (Some(b), Some(n)) => format!(", instructions {b} -> {n}"),
                    _ => String::new(),
                };
                format!(
                    "{}: CPU {:.2}x -> {:.2}x the floor's (change {:+.2} ± {:.2}){instr}",
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
                    super::units::duration(p.time.p95),
                    super::units::duration(target_s)
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
                super::units::duration(l.latency.mean),
                super::units::percent(l.success_rate),
                l.lost_events.map_or("-".to_string(), |v| v.to_string())
            ));
        }
    }
    verdict
}

/// The figures a baseline keeps: each scenario's median CPU time over its interleaved floor's,
/// seeded session, with its error, the wall-time ratio and instructions.
fn current_entries(results: &[ScenarioResult]) -> BTreeMap<String, Entry> {
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
                    instructions: r.instructions,
                },
            ))
        })
        .collect()
}

fn write_file(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), BenchError> {
    std::fs::write(path, bytes).map_err(|source| BenchError::Write {
        what: Some(what),
        path: path.to_path_buf(),
        source,
    })
}

fn write_outputs(args: &BenchArgs, r: &BenchResults) -> Result<(), BenchError> {
    let ser = |e: &dyn Exporter| {
        e.serialize(r)
            .map_err(|e| BenchError::Serialize(e.to_string()))
    };
    if let Some(p) = &args.export_json {
        write_file(p, &ser(&JsonExporter)?, "JSON export")?;
    }
    if let Some(p) = &args.export_markdown {
        write_file(p, &ser(&MarkdownExporter)?, "Markdown export")?;
    }
    if let Some(p) = &args.save_baseline {
        let b = Baseline::new(&r.config.subject, current_entries(&r.scenarios));
        let mut text =
            serde_json::to_vec_pretty(&b).map_err(|e| BenchError::Serialize(e.to_string()))?;
        text.push(b'\n');
        write_file(p, &text, "baseline")?;
    }
    if let Some(p) = &args.history {
        let mut line = serde_json::to_vec(&history_line(r))
            .map_err(|e| BenchError::Serialize(e.to_string()))?;
        line.push(b'\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|source| BenchError::History {
                path: p.clone(),
                source,
            })?;
    }
    Ok(())
}

/// One line of `--history`: enough to plot trends without the full export.
fn history_line(r: &BenchResults) -> serde_json::Value {
    let scenarios: serde_json::Map<String, serde_json::Value> = r
        .scenarios
        .iter()
        .map(|s| {
            let e2e = s.end_to_end.as_ref().map(|p| {
                json!({
                    "mean_s": p.time.mean, "stdev_s": p.time.stdev, "median_s": p.time.median,
                    "p95_s": p.time.p95, "ratio_to_floor": p.ratio_to_floor,
                })
            });
            let ip = s.in_process.as_ref().map(
                |p| json!({"mean_s": p.time.mean, "median_s": p.time.median, "p99_s": p.time.p99}),
            );
            (s.name.clone(), json!({"end_to_end": e2e, "in_process": ip}))
        })
        .collect();
    json!({
        "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        "posthook_version": r.environment.posthook_version,
        "subject": r.config.subject,
        "cpu": r.environment.cpu,
        "cores": r.environment.cores,
        "build": r.environment.build,
        "floor_mean_s": r.floor.as_ref().map(|f| f.time.mean),
        "grade": r.grade.as_ref().map(|g| g.grade.as_str()),
        "score": r.grade.as_ref().map(|g| g.score),
        "ok": r.verdict.ok(),
        "scenarios": scenarios,
    })
}
