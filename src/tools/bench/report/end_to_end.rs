//! The process-per-call tables: seeded and fresh latencies, the hook's own resources, the other
//! hook side by side, the concurrent load.

use super::cells::{mean_sd, ratio, short, sparkline};
use crate::tools::bench::results::{BenchResults, ProcessStats, ScenarioResult};
use crate::tools::bench::units::{bytes, duration, percent};
use std::io::{self, Write};

/// The seeded and the fresh latency tables, then the resources.
pub(super) fn write_end_to_end(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    let e2e: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| s.end_to_end.as_ref().map(|p| (s, p)))
        .collect();
    if e2e.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nend to end, seeded: one `{}` process per call (no arguments), starting from a {}-event session (wall time, spawn to exit)",
        r.config.subject, r.config.seeded_events
    )?;
    latency_header(out)?;
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
        latency_header(out)?;
        for (s, p) in &fresh {
            latency_row(out, &s.name, s.calls, p)?;
        }
    }
    write_resources(out, r, &e2e)
}

/// The hook process's own resources per call, seeded: CPU, peak RSS, stderr, shares, grade.
fn write_resources(
    out: &mut impl Write,
    r: &BenchResults,
    e2e: &[(&ScenarioResult, &ProcessStats)],
) -> io::Result<()> {
    let bound = match r.config.spawner_max_rss_bytes {
        Some(b) => format!(
            "spawned from a helper whose own peak RSS, {}, is the lowest peak RSS Linux can report",
            bytes(b)
        ),
        None => "spawned directly: peak RSS includes the benchmark's own".to_string(),
    };
    writeln!(
        out,
        "\n  the hook process itself (wait4), per call, seeded; {bound}"
    )?;
    writeln!(
        out,
        "  {:<20} {:>9} {:>7} {:>9} {:>10} {:>8} {:>8} {:>6} {:>6} {:>5} {:>6} {:>3}",
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
        ""
    )?;
    for (s, p) in e2e {
        resource_row(out, &s.name, p)?;
    }
    Ok(())
}

/// The header of a latency table.
fn latency_header(out: &mut dyn Write) -> io::Result<()> {
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

fn resource_row(out: &mut impl Write, name: &str, p: &ProcessStats) -> io::Result<()> {
    writeln!(
        out,
        "  {name:<20} {:>9} {:>6.0}% {:>9} {:>8.0} B {:>8} {:>8} {:>6} {:>6} {:>5} {:>6.1} {:>3}",
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
    )
}

pub(super) fn write_vs(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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

pub(super) fn write_load(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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
