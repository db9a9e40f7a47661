//! `posthook bench`: runs the scenarios in the modes asked for, then the load test, grades,
//! compares with a baseline, reports, exports, and turns the verdict into an exit code.

use super::args::{BenchArgs, Mode};
use super::baseline::{self, Baseline, Entry};
use super::environment::Environment;
use super::export::{Exporter, JsonExporter, MarkdownExporter};
use super::grade::{self, Grade};
use super::measure::{Scratch, Spawner};
use super::modes::{self, Plan};
use super::report::{self, Progress};
use super::results::{
    BenchResults, GradeResult, ProcessStats, RunConfig, ScenarioResult, Verdict, VsResult,
};
use super::scenarios::{self, Scenario};
use super::spawner::Launcher;
use super::stats::Summary;
use super::{load, stats};
use posthook_analyzers::Settings;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

/// Exit code when a scenario regressed against the baseline.
pub const EXIT_REGRESSION: u8 = 3;
/// Exit code when a target was missed.
pub const EXIT_MISSED_TARGET: u8 = 4;

/// Runs the benchmark, prints the report on stdout and returns the exit code.
pub fn run(args: &BenchArgs, settings: &Settings) -> ExitCode {
    if args.mode == super::args::Mode::Http {
        return super::http::run(args);
    }
    match execute(args, settings) {
        Ok(results) => {
            let mut out = std::io::stdout().lock();
            let _ = report::write(&mut out, &results).and_then(|()| out.flush());
            if let Err(e) = write_outputs(args, &results) {
                let _ = writeln!(std::io::stderr(), "posthook: {e}");
                return ExitCode::FAILURE;
            }
            if !results.verdict.regressions.is_empty() {
                ExitCode::from(EXIT_REGRESSION)
            } else if !results.verdict.missed_targets.is_empty() {
                ExitCode::from(EXIT_MISSED_TARGET)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "posthook: {e}");
            ExitCode::FAILURE
        }
    }
}

fn scenarios_for(args: &BenchArgs) -> Result<Vec<Scenario>, String> {
    let mut v = Vec::new();
    if let Some(p) = &args.payloads {
        v.push(scenarios::from_payloads_file(p)?);
    }
    if let Some(p) = &args.transcript {
        v.push(scenarios::from_transcript(p)?);
    }
    if v.is_empty() {
        v = scenarios::builtin();
    }
    if !args.scenarios.is_empty() {
        v.retain(|s| args.scenarios.iter().any(|f| s.name.contains(f.as_str())));
        if v.is_empty() {
            return Err(format!(
                "no scenario matches {:?}; built-in ones: {}",
                args.scenarios,
                scenarios::builtin()
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(v)
}

/// The spawned hook gets the same profile and disabled rules as the in-process runtime.
fn posthook_spawner(exe: &Path, settings: &Settings) -> Spawner {
    let mut args: Vec<String> = vec!["--profile".into(), settings.profile.as_str().into()];
    for r in &settings.disabled {
        args.push("--disable".into());
        args.push(r.clone());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Spawner::new("posthook", exe, &refs)
}

fn check(args: &BenchArgs) -> Result<(), String> {
    if !(args.min_time.is_finite() && args.min_time >= 0.0) {
        return Err("--min-time must be a number of seconds, 0 or more".into());
    }
    if !(args.alert_threshold.is_finite() && args.alert_threshold >= 0.0) {
        return Err("--alert-threshold must be a percentage, 0 or more".into());
    }
    if !(args.target_ms.is_finite() && args.target_ms > 0.0) {
        return Err("--target-ms must be above 0".into());
    }
    if args.runs == Some(0) {
        return Err("--runs must be at least 1".into());
    }
    if args.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err("--command is empty".into());
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

fn execute(args: &BenchArgs, settings: &Settings) -> Result<BenchResults, String> {
    check(args)?;
    let started = Instant::now();
    let environment = Environment::detect();
    let exe = std::env::current_exe().map_err(|e| format!("finding own executable: {e}"))?;
    let scenarios = scenarios_for(args)?;
    let baseline_in = match &args.baseline {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| format!("reading baseline '{}': {e}", p.display()))
                .and_then(|t| {
                    Baseline::parse(&t)
                        .map_err(|e| format!("reading baseline '{}': {e}", p.display()))
                })?,
        ),
        None => None,
    };
    let posthook = posthook_spawner(&exe, settings);
    let other = args.command.as_deref().map(Spawner::shell);
    // The hook under test: posthook, or the command when it is measured alone.
    let (subject, vs) = match (&other, args.vs) {
        (Some(o), false) => (o.clone(), None),
        (o, _) => (posthook.clone(), o.clone()),
    };
    let subject_is_posthook = args.command.is_none() || args.vs;
    let in_process_on = subject_is_posthook && args.mode != Mode::EndToEnd;
    let e2e_on = args.mode != Mode::InProcess;
    let load_on = e2e_on && !args.no_load && args.users > 0 && args.requests > 0;
    let plan = Plan {
        warmup: args.warmup,
        min_runs: args.min_runs,
        max_runs: args.max_runs,
        min_time: args.min_time,
        exact: args.runs,
    };
    let steps = scenarios.len()
        * (usize::from(in_process_on) + usize::from(e2e_on) * (1 + usize::from(vs.is_some())))
        + usize::from(load_on) * 2 * (1 + usize::from(vs.is_some()));
    let mut progress = Progress::new(steps, !args.no_progress);
    let scratch = Scratch::new("run").map_err(|e| format!("creating scratch dir: {e}"))?;
    let io_err = |what: &str, e: std::io::Error| format!("{what}: {e}");
    let floor_spawner = Spawner::new("floor", &exe, &["floor"]);
    let mut floor_all = Vec::new();
    let mut launcher = if e2e_on {
        Launcher::start(&exe)
    } else {
        Launcher::Direct
    };

    let mut results = Vec::new();
    for sc in &scenarios {
        let in_process = if in_process_on {
            progress.step(&format!("in-process {}", sc.name));
            Some(modes::in_process(sc, settings, &plan))
        } else {
            None
        };
        // The floor runs interleaved with the hook under test; the other hook of --vs is set
        // against the same floor samples, taken moments apart.
        let mut scenario_floor: Option<Summary> = None;
        let mut e2e = |sp: &Spawner, with_floor: bool, progress: &mut Progress| {
            progress.step(&format!("end-to-end {} {}", sp.label, sc.name));
            let floor = with_floor.then_some(&floor_spawner);
            let samples =
                modes::end_to_end(&mut launcher, sp, floor, sc, &plan, &scratch, progress)
                    .map_err(|e| io_err(&format!("running `{}`", sp.label), e))?;
            if with_floor {
                let ok: Vec<f64> = samples
                    .floor
                    .iter()
                    .filter(|s| s.success())
                    .map(|s| s.wall.as_secs_f64())
                    .collect();
                scenario_floor = Some(Summary::of(&ok));
                floor_all.extend(samples.floor);
            }
            Ok::<_, String>(modes::process_stats(
                &sp.label,
                &samples.hook,
                scenario_floor.as_ref(),
            ))
        };
        let end_to_end = if e2e_on {
            Some(e2e(&subject, true, &mut progress)?)
        } else {
            None
        };
        let vs_result = match (&vs, e2e_on) {
            (Some(o), true) => {
                let theirs = e2e(o, false, &mut progress)?;
                let ratio = end_to_end.as_ref().and_then(|ours| {
                    stats::ratio(
                        theirs.time.mean,
                        theirs.time.stdev,
                        ours.time.mean,
                        ours.time.stdev,
                    )
                });
                Some(VsResult {
                    end_to_end: theirs,
                    ratio_to_posthook: ratio.map(|r| r.0),
                    ratio_to_posthook_error: ratio.map(|r| r.1),
                })
            }
            _ => None,
        };
        results.push(ScenarioResult {
            name: sc.name.clone(),
            origin: sc.origin,
            calls: sc.payloads.len(),
            in_process,
            end_to_end,
            vs: vs_result,
        });
    }

    let floor = (!floor_all.is_empty()).then(|| modes::process_stats("floor", &floor_all, None));

    let mut load_results = Vec::new();
    if load_on {
        let payloads: Vec<Vec<u8>> = scenarios
            .iter()
            .flat_map(|s| s.payloads.iter().cloned())
            .collect();
        for (sp, is_posthook) in
            std::iter::once((&subject, subject_is_posthook)).chain(vs.as_ref().map(|o| (o, false)))
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
                load_results.push(
                    load::run(
                        &exe,
                        sp,
                        &payloads,
                        load::LoadShape {
                            users: args.users,
                            requests: args.requests,
                            same_session: same,
                            count_store: is_posthook,
                        },
                        &scratch,
                    )
                    .map_err(|e| io_err("running the load test", e))?,
                );
            }
        }
    }
    progress.finish();

    let ours: Vec<&ProcessStats> = results
        .iter()
        .filter_map(|r| r.end_to_end.as_ref())
        .collect();
    let theirs: Vec<&ProcessStats> = results
        .iter()
        .filter_map(|r| r.vs.as_ref().map(|v| &v.end_to_end))
        .collect();
    let grade = grade_of(&subject.label, &ours);
    let vs_grade = vs.as_ref().and_then(|o| grade_of(&o.label, &theirs));

    let current = current_entries(&results);
    let threshold = args.alert_threshold / 100.0;
    let comparisons = baseline_in
        .as_ref()
        .map(|b| baseline::compare(b, &current, threshold))
        .unwrap_or_default();

    let target_s = args.target_ms / 1e3;
    let mut verdict = Verdict {
        regressions: comparisons
            .iter()
            .filter(|c| c.verdict == baseline::Verdict::Regressed)
            .map(|c| {
                format!(
                    "{}: {:.2} ± {:.2}x the baseline (alert above {:.2}x)",
                    c.scenario,
                    c.ratio,
                    c.ratio_error,
                    1.0 + threshold
                )
            })
            .collect(),
        missed_targets: Vec::new(),
    };
    for r in &results {
        let Some(p) = &r.end_to_end else { continue };
        if p.success_rate < 1.0 {
            let failed = p.samples - (p.success_rate * p.samples as f64).round() as usize;
            verdict.missed_targets.push(format!(
                "{}: {failed} of {} calls failed (exit other than 0 or 2)",
                r.name, p.samples
            ));
        }
        if p.time.n > 0 && p.time.p95 >= target_s {
            verdict.missed_targets.push(format!(
                "{}: p95 {} is not under {}",
                r.name,
                super::units::duration(p.time.p95),
                super::units::duration(target_s)
            ));
        }
    }
    for l in &load_results {
        if !l.passed && l.subject == subject.label {
            verdict.missed_targets.push(format!(
                "load test {}: mean {}, success {}, lost events {}",
                l.mode,
                super::units::duration(l.latency.mean),
                super::units::percent(l.success_rate),
                l.lost_events.map_or("-".to_string(), |v| v.to_string())
            ));
        }
    }

    Ok(BenchResults {
        environment,
        config: RunConfig {
            subject: subject.label.clone(),
            vs: vs.as_ref().map(|o| o.label.clone()),
            warmup: args.warmup,
            min_runs: args.min_runs,
            max_runs: args.max_runs,
            min_time_s: args.min_time,
            runs: args.runs,
            target_s,
            alert_threshold: threshold,
            spawner_max_rss_bytes: launcher.spawner_max_rss(),
        },
        floor,
        scenarios: results,
        load: load_results,
        grade,
        vs_grade,
        baseline: comparisons,
        verdict,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

/// The figures a baseline keeps: end-to-end means of the hook under test, else in-process ones.
fn current_entries(results: &[ScenarioResult]) -> BTreeMap<String, Entry> {
    results
        .iter()
        .filter_map(|r| {
            let t = r
                .end_to_end
                .as_ref()
                .map(|p| p.time)
                .or_else(|| r.in_process.as_ref().map(|p| p.time))?;
            Some((
                r.name.clone(),
                Entry {
                    mean: t.mean,
                    stdev: t.stdev,
                    n: t.n,
                },
            ))
        })
        .collect()
}

fn write_file(path: &Path, bytes: &[u8], what: &str) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {what} '{}': {e}", path.display()))
}

fn write_outputs(args: &BenchArgs, r: &BenchResults) -> Result<(), String> {
    let ser = |e: &dyn Exporter| e.serialize(r).map_err(|e| e.to_string());
    if let Some(p) = &args.export_json {
        write_file(p, &ser(&JsonExporter)?, "JSON export")?;
    }
    if let Some(p) = &args.export_markdown {
        write_file(p, &ser(&MarkdownExporter)?, "Markdown export")?;
    }
    if let Some(p) = &args.save_baseline {
        let b = Baseline::new(&r.config.subject, current_entries(&r.scenarios));
        let mut text = serde_json::to_vec_pretty(&b).map_err(|e| e.to_string())?;
        text.push(b'\n');
        write_file(p, &text, "baseline")?;
    }
    if let Some(p) = &args.history {
        let mut line = serde_json::to_vec(&history_line(r)).map_err(|e| e.to_string())?;
        line.push(b'\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|e| format!("appending to history '{}': {e}", p.display()))?;
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
