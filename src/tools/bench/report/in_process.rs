//! The in-process tables: the Runtime alone per scenario, and where its time goes.

use super::cells::mean_sd;
use crate::tools::bench::results::{BenchResults, InProcess};
use crate::tools::bench::units::{duration, percent};
use std::io::{self, Write};

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

pub(super) fn write_in_process(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
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
