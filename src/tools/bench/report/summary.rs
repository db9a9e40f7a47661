//! The report's short sections: the header, the headline, the floors, the grades, the baseline
//! comparison, the notes and the verdict.

use super::cells::mean_sd;
use crate::tools::bench::baseline::Verdict as Change;
use crate::tools::bench::results::{BenchResults, GradeResult};
use crate::tools::bench::stats;
use crate::tools::bench::units::{bytes, duration, percent};
use std::io::{self, Write};

pub(super) fn write_header(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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
            "note: a debug build; measure a release build (`cargo build-static`, see docs/install.md) for real figures"
        )?;
    }
    Ok(())
}

pub(super) fn write_headline(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if r.headline.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nheadline: `{}` as Claude Code runs it (no arguments, payload on stdin, a {}-event session), against {}; medians of interleaved runs\n  posthook is {}",
        r.config.subject, r.config.seeded_events, r.config.floor, r.config.hook_program
    )?;
    for h in &r.headline {
        writeln!(
            out,
            "  {:<14} {:.2} ± {:.2}x the floor   median {} vs {}, n={}",
            h.scenario,
            h.ratio,
            h.ratio_error,
            duration(h.median_s),
            duration(h.floor_median_s),
            h.n,
        )?;
    }
    Ok(())
}

pub(super) fn write_floors(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if let Some(f) = &r.floor {
        writeln!(
            out,
            "\nfloor ({}; run after every measured call): median {}, {}, p99 {}, n={}, CPU {}, peak RSS {}",
            r.config.floor,
            duration(f.time.median),
            mean_sd(f.time.mean, f.time.stdev),
            duration(f.time.p99),
            f.time.n,
            duration(f.cpu_time.mean),
            bytes(f.max_rss_peak_bytes),
        )?;
    }
    Ok(())
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

pub(super) fn write_grades(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    if r.grade.is_some() || r.vs_grade.is_some() {
        writeln!(out, "\ngrade (the original suite's formula, end to end)")?;
        for g in r.grade.iter().chain(r.vs_grade.iter()) {
            grade_line(out, g)?;
        }
    }
    Ok(())
}

pub(super) fn write_baseline(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let Some(file) = &r.baseline_file else {
        return Ok(());
    };
    writeln!(
        out,
        "\nagainst the baseline {file}: each run's median CPU time set against its own floor's, interleaved; a regression rises by more than {:.0}% and beyond twice both runs' errors",
        r.config.alert_threshold * 100.0,
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
            "  {:<20} CPU {:>6.2}x -> {:>6.2}x  change {:+.2} ± {:.2}  {v}",
            c.scenario, c.baseline_ratio, c.current_ratio, c.change, c.change_error,
        )?;
    }
    Ok(())
}

pub(super) fn write_notes(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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

pub(super) fn write_verdict(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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
