//! The terminal report and the progress indicator: the only bench module that writes to the
//! terminal. Everything is written through `std::io::Write`, so tests can render into a buffer.

use super::baseline::Verdict as Change;
use super::results::{BenchResults, GradeResult, InProcess, ProcessStats};
use super::stats;
use super::units::{bytes, duration, percent};
use std::io::{self, IsTerminal, Write};

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the latency distribution: a histogram of `xs` in `bins` bins from the minimum
/// to the 99th percentile (slower samples land in the last bin).
pub fn sparkline(xs: &[f64], bins: usize) -> String {
    if xs.is_empty() {
        return String::new();
    }
    let s = stats::Summary::of(xs);
    let counts = stats::histogram(xs, bins, s.min, s.p99);
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                SPARKS[((c * SPARKS.len()).div_ceil(top) - 1).min(SPARKS.len() - 1)]
            }
        })
        .collect()
}

/// Progress on stderr while the benchmark runs, on a terminal only (never in pipes or CI logs).
pub struct Progress {
    out: Option<io::Stderr>,
    total: usize,
    step: usize,
    label: String,
}

impl Progress {
    /// A progress indicator for `total` steps; silent unless stderr is a terminal and `enabled`.
    pub fn new(total: usize, enabled: bool) -> Progress {
        let err = io::stderr();
        let on = enabled && err.is_terminal();
        Progress {
            out: on.then_some(err),
            total,
            step: 0,
            label: String::new(),
        }
    }

    /// Starts the next step.
    pub fn step(&mut self, label: &str) {
        self.step += 1;
        self.label = label.to_string();
        self.detail("");
    }

    /// Updates the current step's detail (e.g. `12/40`).
    pub fn detail(&mut self, detail: &str) {
        if let Some(out) = &mut self.out {
            let width = 24usize;
            let done = (self.step.saturating_sub(1) * width) / self.total.max(1);
            let bar: String = "#".repeat(done) + &"-".repeat(width - done.min(width));
            let _ = write!(
                out,
                "\r\x1b[2K[{bar}] {}/{} {} {detail}",
                self.step, self.total, self.label
            );
            let _ = out.flush();
        }
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = write!(out, "\r\x1b[2K");
            let _ = out.flush();
        }
    }
}

/// `s` cut to `n` characters, with an ellipsis when cut.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

fn mean_sd(mean: f64, sd: f64) -> String {
    format!("{} ± {}", duration(mean), duration(sd))
}

fn ratio(r: Option<f64>, e: Option<f64>) -> String {
    match (r, e) {
        (Some(r), Some(e)) => format!("{r:.2} ± {e:.2}"),
        _ => "-".to_string(),
    }
}

fn latency_row(out: &mut impl Write, name: &str, calls: usize, p: &ProcessStats) -> io::Result<()> {
    let t = &p.time;
    writeln!(
        out,
        "  {name:<20} {calls:>5} {:>5}  {:>21} {:>9} {:>9} {:>9}  {:>21}  {:>12} {:>7}  {}",
        t.n,
        mean_sd(t.mean, t.stdev),
        duration(t.median),
        duration(t.p95),
        duration(t.p99),
        format!("{} … {}", duration(t.min), duration(t.max)),
        ratio(p.median_ratio_to_floor, p.median_ratio_to_floor_error),
        ratio(p.cpu_ratio_to_floor, p.cpu_ratio_to_floor_error),
        sparkline(&p.times_s, 12),
    )
}

fn resource_row(
    out: &mut impl Write,
    name: &str,
    p: &ProcessStats,
    instr: Option<u64>,
) -> io::Result<()> {
    writeln!(
        out,
        "  {name:<20} {:>9} {:>6.0}% {:>9} {:>8.0} B {:>8} {:>8} {:>6} {:>6} {:>5} {:>6.1} {:>3} {:>12}",
        duration(p.cpu_time.mean),
        p.cpu_percent,
        bytes(p.max_rss_peak_bytes),
        p.stderr_mean_bytes,
        percent(p.feedback_rate),
        percent(p.success_rate),
        percent(p.target_50ms_share),
        percent(p.target_100ms_share),
        p.time.outliers,
        p.score,
        p.grade.as_str(),
        instructions(instr),
    )
}

fn in_process_row(out: &mut impl Write, name: &str, ip: &InProcess) -> io::Result<()> {
    let t = &ip.time;
    writeln!(
        out,
        "  {name:<20} {:>6}  {:>10}  {:>21} {:>9} {:>9} {:>9}  {:>9}  {:>8}",
        t.n,
        duration(ip.first_call_s),
        mean_sd(t.mean, t.stdev),
        duration(t.median),
        duration(t.p99),
        duration(t.max),
        ip.cache_hit_rate.map_or("-".to_string(), percent),
        percent(ip.feedback_rate),
    )
}

fn grade_line(out: &mut impl Write, g: &GradeResult) -> io::Result<()> {
    writeln!(
        out,
        "  {:<28} {} (score {:.1}/100); {} of calls under 50 ms, {} under 100 ms",
        g.subject,
        g.grade,
        g.score,
        percent(g.target_50ms_share),
        percent(g.target_100ms_share)
    )
}

/// Writes the whole report: one section after the other, each a function of the results alone.
pub fn write(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    write_header(out, r)?;
    write_headline(out, r)?;
    write_floors(out, r)?;
    write_end_to_end(out, r)?;
    write_vs(out, r)?;
    write_in_process(out, r)?;
    write_load(out, r)?;
    write_grades(out, r)?;
    write_baseline(out, r)?;
    write_notes(out, r)?;
    write_verdict(out, r)
}

fn write_header(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let env = &r.environment;
    writeln!(
        out,
        "posthook bench: {} on {} ({} cores, {}), {}, posthook {} ({} build), load average {:.2}",
        r.config.subject,
        env.cpu,
        env.cores,
        bytes(env.memory_bytes),
        env.os,
        env.posthook_version,
        env.build,
        env.load_average,
    )?;
    if env.build == "debug" {
        writeln!(
            out,
            "note: a debug build; measure a release build (`cargo build-static`, see the README) for real figures"
        )?;
    }
    Ok(())
}

fn instructions(n: Option<u64>) -> String {
    n.map_or("-".to_string(), |n| format!("{:.2} M", n as f64 / 1e6))
}

fn write_headline(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if r.headline.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nheadline: `{}` as Claude Code runs it (no arguments, payload on stdin, a {}-event session), against {}; medians of interleaved runs",
        r.config.subject, r.config.seeded_events, r.config.floor
    )?;
    for h in &r.headline {
        writeln!(
            out,
            "  {:<14} {:.2} ± {:.2}x the floor   median {} vs {}, n={}, instructions {} vs {}",
            h.scenario,
            h.ratio,
            h.ratio_error,
            duration(h.median_s),
            duration(h.floor_median_s),
            h.n,
            instructions(h.instructions),
            instructions(r.floor_instructions),
        )?;
    }
    Ok(())
}

fn write_floors(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if let Some(f) = &r.floor {
        writeln!(
            out,
            "\nfloor ({}; run after every measured call): median {}, {}, p99 {}, n={}, CPU {}, peak RSS {}, instructions {}",
            r.config.floor,
            duration(f.time.median),
            mean_sd(f.time.mean, f.time.stdev),
            duration(f.time.p99),
            f.time.n,
            duration(f.cpu_time.mean),
            bytes(f.max_rss_peak_bytes),
            instructions(r.floor_instructions),
        )?;
    }
    if let Some(f) = &r.posthook_floor {
        writeln!(
            out,
            "`posthook floor` (posthook's binary doing only that, beside it): median {}, {} the floor, peak RSS {}, instructions {}",
            duration(f.time.median),
            ratio(f.median_ratio_to_floor, f.median_ratio_to_floor_error) + "x",
            bytes(f.max_rss_peak_bytes),
            instructions(r.posthook_floor_instructions),
        )?;
    }
    Ok(())
}

fn write_end_to_end(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let e2e: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| s.end_to_end.as_ref().map(|p| (s, p)))
        .collect();
    if e2e.is_empty() {
        return Ok(());
    }
    let header = |out: &mut dyn Write| {
        writeln!(
            out,
            "  {:<20} {:>5} {:>5}  {:>21} {:>9} {:>9} {:>9}  {:>21}  {:>12} {:>12}  min→p99",
            "scenario",
            "calls",
            "n",
            "mean ± σ",
            "median",
            "p95",
            "p99",
            "min … max",
            "median×floor",
            "CPU×floor",
        )
    };
    writeln!(
        out,
        "\nend to end, seeded: one `{}` process per call (no arguments), starting from a {}-event session (wall time, spawn to exit)",
        r.config.subject, r.config.seeded_events
    )?;
    header(out)?;
    for (s, p) in &e2e {
        latency_row(out, &s.name, s.calls, p)?;
    }
    let fresh: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| s.end_to_end_fresh.as_ref().map(|p| (s, p)))
        .collect();
    if !fresh.is_empty() {
        writeln!(
            out,
            "\nend to end, fresh: the same, each pass starting from no session state"
        )?;
        header(out)?;
        for (s, p) in &fresh {
            latency_row(out, &s.name, s.calls, p)?;
        }
    }
    let bound = match r.config.spawner_max_rss_bytes {
        Some(b) => format!(
            "spawned from a helper whose own peak RSS, {}, is the lowest peak RSS Linux can report",
            bytes(b)
        ),
        None => "spawned directly: peak RSS includes the benchmark's own".to_string(),
    };
    writeln!(
        out,
        "\n  the hook process itself (wait4), per call, seeded; {bound}; instructions: {}",
        r.config.instructions
    )?;
    writeln!(
        out,
        "  {:<20} {:>9} {:>7} {:>9} {:>10} {:>8} {:>8} {:>6} {:>6} {:>5} {:>6} {:>3} {:>12}",
        "scenario",
        "CPU",
        "CPU%",
        "peak RSS",
        "stderr",
        "feedback",
        "success",
        "<50ms",
        "<100ms",
        "outl",
        "score",
        "",
        "instructions"
    )?;
    for (s, p) in &e2e {
        resource_row(out, &s.name, p, s.instructions)?;
    }
    Ok(())
}

fn write_vs(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let vs: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| Some((s, s.end_to_end.as_ref()?, s.vs.as_ref()?)))
        .collect();
    let Some((_, _, first)) = vs.first() else {
        return Ok(());
    };
    writeln!(
        out,
        "\nside by side: `{}` vs posthook (ratio = its mean / posthook's mean)",
        first.end_to_end.subject
    )?;
    writeln!(
        out,
        "  {:<20} {:>21}  {:>21}  {:>14}  {:>12}  {:>8}",
        "scenario", "posthook", "other hook", "ratio", "its × floor", "success"
    )?;
    for (s, p, v) in &vs {
        writeln!(
            out,
            "  {:<20} {:>21}  {:>21}  {:>13}x  {:>12}  {:>8}",
            s.name,
            mean_sd(p.time.mean, p.time.stdev),
            mean_sd(v.end_to_end.time.mean, v.end_to_end.time.stdev),
            ratio(v.ratio_to_posthook, v.ratio_to_posthook_error),
            ratio(
                v.end_to_end.median_ratio_to_floor,
                v.end_to_end.median_ratio_to_floor_error
            ),
            percent(v.end_to_end.success_rate),
        )?;
    }
    Ok(())
}

/// One stage of the in-process time, over every scenario.
struct StageRow {
    name: String,
    calls: usize,
    mean_s: f64,
    findings: Option<usize>,
}

/// Per-stage time over every scenario, weighted by calls: record, each analyzer, guidance.
fn stage_rows(ip: &[&InProcess]) -> Vec<StageRow> {
    let mut analyzers: Vec<(String, usize, f64, usize)> = Vec::new();
    let (mut rec, mut gui, mut n) = (0.0, 0.0, 0usize);
    for p in ip {
        rec += p.record_mean_s * p.samples as f64;
        gui += p.guidance_mean_s * p.samples as f64;
        n += p.samples;
        for a in &p.analyzers {
            match analyzers.iter_mut().find(|x| x.0 == a.name) {
                Some(x) => {
                    x.1 += a.calls;
                    x.2 += a.mean_s * a.calls as f64;
                    x.3 += a.findings;
                }
                None => analyzers.push((
                    a.name.clone(),
                    a.calls,
                    a.mean_s * a.calls as f64,
                    a.findings,
                )),
            }
        }
    }
    let n = n.max(1);
    let mut rows = vec![StageRow {
        name: "record".into(),
        calls: n,
        mean_s: rec / n as f64,
        findings: None,
    }];
    rows.extend(
        analyzers
            .into_iter()
            .map(|(name, calls, total, findings)| StageRow {
                name,
                calls,
                mean_s: total / calls.max(1) as f64,
                findings: Some(findings),
            }),
    );
    rows.push(StageRow {
        name: "guidance".into(),
        calls: n,
        mean_s: gui / n as f64,
        findings: None,
    });
    rows
}

fn write_in_process(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let ip: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| s.in_process.as_ref().map(|p| (s, p)))
        .collect();
    if ip.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nin process: the Runtime alone (parse, record, analyzers, guidance), no process start or disk; cold = the first call on a new Runtime, warm = after the warmup"
    )?;
    writeln!(
        out,
        "  {:<20} {:>6}  {:>10}  {:>21} {:>9} {:>9} {:>9}  {:>9}  {:>8}",
        "scenario", "n", "cold", "warm mean ± σ", "median", "p99", "max", "cache hit", "feedback"
    )?;
    for (s, p) in &ip {
        in_process_row(out, &s.name, p)?;
    }
    writeln!(
        out,
        "\n  where the in-process time goes (all scenarios, warm)"
    )?;
    writeln!(
        out,
        "  {:<20} {:>8} {:>12} {:>9}",
        "stage", "calls", "mean/call", "findings"
    )?;
    let all: Vec<&InProcess> = ip.iter().map(|(_, p)| *p).collect();
    for row in stage_rows(&all) {
        writeln!(
            out,
            "  {:<20} {:>8} {:>12} {:>9}",
            row.name,
            row.calls,
            duration(row.mean_s),
            row.findings.map_or("-".to_string(), |f| f.to_string())
        )?;
    }
    Ok(())
}

fn write_load(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if r.load.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nconcurrent load: users in parallel, each sending its requests one after the other"
    )?;
    writeln!(
        out,
        "  {:<20} {:<18} {:>9} {:>11} {:>10} {:>10} {:>8} {:>6} {:>5}",
        "hook", "mode", "users×req", "throughput", "mean", "p99", "success", "lost", "pass"
    )?;
    for l in &r.load {
        writeln!(
            out,
            "  {:<20} {:<18} {:>9} {:>9.0}/s {:>10} {:>10} {:>8} {:>6} {:>5}",
            short(&l.subject, 20),
            l.mode,
            format!("{}×{}", l.users, l.requests_per_user),
            l.throughput_per_s,
            duration(l.latency.mean),
            duration(l.latency.p99),
            percent(l.success_rate),
            l.lost_events.map_or("-".to_string(), |v| v.to_string()),
            if l.passed { "yes" } else { "NO" },
        )?;
    }
    Ok(())
}

fn write_grades(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if r.grade.is_some() || r.vs_grade.is_some() {
        writeln!(out, "\ngrade (the original suite's formula, end to end)")?;
        for g in r.grade.iter().chain(r.vs_grade.iter()) {
            grade_line(out, g)?;
        }
    }
    Ok(())
}

fn write_baseline(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let Some(file) = &r.baseline_file else {
        return Ok(());
    };
    writeln!(
        out,
        "\nagainst the baseline {file}: each run's median CPU time set against its own floor's, interleaved; a regression rises by more than {:.0}% and beyond twice both runs' errors, or by more than {:.0}% in instructions",
        r.config.alert_threshold * 100.0,
        super::baseline::INSTRUCTION_THRESHOLD * 100.0
    )?;
    if r.baseline.is_empty() {
        writeln!(out, "  no scenario in common with the baseline")?;
    }
    for c in &r.baseline {
        let v = match c.verdict {
            Change::Regressed => "REGRESSED",
            Change::Improved => "improved",
            Change::Unchanged => "unchanged",
        };
        writeln!(
            out,
            "  {:<20} CPU {:>6.2}x -> {:>6.2}x  change {:+.2} ± {:.2}  instructions {} -> {}  {v}",
            c.scenario,
            c.baseline_ratio,
            c.current_ratio,
            c.change,
            c.change_error,
            instructions(c.baseline_instructions),
            instructions(c.current_instructions),
        )?;
    }
    Ok(())
}

fn write_notes(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let outliers: Vec<&str> = r
        .scenarios
        .iter()
        .filter(|s| s.end_to_end.as_ref().is_some_and(|p| p.time.outliers > 0))
        .map(|s| s.name.as_str())
        .collect();
    if !outliers.is_empty() {
        writeln!(
            out,
            "\nnote: statistical outliers (modified z-score above {:.1}) in {}: other programs were likely busy; the medians and the ratios to the floor are robust to them",
            stats::OUTLIER_THRESHOLD,
            outliers.join(", ")
        )?;
    }
    Ok(())
}

fn write_verdict(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    writeln!(out)?;
    let compared = if r.baseline_file.is_some() {
        "no regression against the baseline"
    } else {
        "no baseline given, so nothing was compared"
    };
    if r.verdict.ok() {
        writeln!(
            out,
            "result: ok (every p95 under {}, no failed call, {compared}); took {:.1} s",
            duration(r.config.target_s),
            r.elapsed_s
        )?;
    } else {
        for s in &r.verdict.regressions {
            writeln!(out, "regression: {s}")?;
        }
        for s in &r.verdict.missed_targets {
            writeln!(out, "missed target: {s}")?;
        }
        if r.baseline_file.is_none() {
            writeln!(out, "(no baseline given, so nothing was compared)")?;
        }
        writeln!(out, "result: FAILED; took {:.1} s", r.elapsed_s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_shape() {
        // Two clusters: most samples fast, a few slow.
        let xs = [1.0, 1.0, 1.0, 1.0, 1.1, 2.0, 2.0, 3.0];
        let s = sparkline(&xs, 4);
        assert_eq!(s.chars().count(), 4);
        assert_eq!(s.chars().next(), Some('█'));
        assert_eq!(s.chars().nth(1), Some(' '));
        assert_eq!(sparkline(&[], 4), "");
    }
}
