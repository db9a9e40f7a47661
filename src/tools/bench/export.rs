//! Exporters: results to bytes (JSON, Markdown). They never print; the caller writes the bytes
//! where it was asked to.

use super::results::BenchResults;
use super::units::{bytes, duration, percent};
use std::fmt::Write as _;
use std::io;

/// Turns results into the bytes of one file format.
pub(crate) trait Exporter {
    /// The whole file.
    fn serialize(&self, results: &BenchResults) -> io::Result<Vec<u8>>;
}

/// Pretty-printed JSON of [`BenchResults`]: per scenario `in_process`, `end_to_end` (with
/// `ratio_to_floor`), `vs`; then `floor`, `load`, `grade`, `environment`.
pub(crate) struct JsonExporter;

impl Exporter for JsonExporter {
    fn serialize(&self, results: &BenchResults) -> io::Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(results).map_err(io::Error::other)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// A Markdown summary: environment, floor, one table per mode, load test, grade.
pub(crate) struct MarkdownExporter;

fn ms(mean: f64, sd: f64) -> String {
    format!("{} ± {}", duration(mean), duration(sd))
}

impl Exporter for MarkdownExporter {
    fn serialize(&self, r: &BenchResults) -> io::Result<Vec<u8>> {
        let mut s = String::new();
        // The sections `write!` into a String, which cannot fail.
        md_header(&mut s, r);
        md_end_to_end(&mut s, r);
        md_vs(&mut s, r);
        md_in_process(&mut s, r);
        md_load(&mut s, r);
        md_grades_and_baseline(&mut s, r);
        Ok(s.into_bytes())
    }
}

/// The title, the machine, the headline and the floor.
fn md_header(s: &mut String, r: &BenchResults) {
    let e = &r.environment;
    let _ = writeln!(s, "# posthook bench: {}\n", r.config.subject);
    let _ = writeln!(
        s,
        "{} ({} cores, {}), {}, posthook {} ({} build), load average {:.2}\n",
        e.cpu,
        e.cores,
        bytes(e.memory_bytes),
        e.os,
        e.posthook_version,
        e.build,
        e.load_average
    );
    for h in &r.headline {
        let _ = writeln!(
            s,
            "**{}: {:.2} ± {:.2}x the floor** (median {} vs {}, n={}, as Claude Code runs the hook, {}-event session)\n",
            h.scenario,
            h.ratio,
            h.ratio_error,
            duration(h.median_s),
            duration(h.floor_median_s),
            h.n,
            r.config.seeded_events
        );
    }
    if let Some(f) = &r.floor {
        let _ = writeln!(
            s,
            "Floor ({}): {}, median {}, n={}\n",
            r.config.floor,
            ms(f.time.mean, f.time.stdev),
            duration(f.time.median),
            f.time.n
        );
    }
}

/// The end-to-end table.
fn md_end_to_end(s: &mut String, r: &BenchResults) {
    if r.scenarios.iter().any(|x| x.end_to_end.is_some()) {
        let _ = writeln!(s, "## End to end (one process per call)\n");
        let _ = writeln!(s, "| scenario | n | mean ± σ | median | p95 | p99 | min … max | × floor | median × floor | CPU | peak RSS | success | feedback | score |");
        let _ = writeln!(
            s,
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        );
        for x in &r.scenarios {
            let Some(p) = &x.end_to_end else { continue };
            let t = &p.time;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} … {} | {} | {} | {} | {} | {} | {} | {:.1} {} |",
                x.name,
                t.n,
                ms(t.mean, t.stdev),
                duration(t.median),
                duration(t.p95),
                duration(t.p99),
                duration(t.min),
                duration(t.max),
                match (p.ratio_to_floor, p.ratio_to_floor_error) {
                    (Some(a), Some(b)) => format!("{a:.2} ± {b:.2}"),
                    _ => "-".into(),
                },
                p.median_ratio_to_floor
                    .map_or("-".into(), |r| format!("{r:.2}")),
                duration(p.cpu_time.mean),
                bytes(p.max_rss_peak_bytes),
                percent(p.success_rate),
                percent(p.feedback_rate),
                p.score,
                p.grade
            );
        }
        let _ = writeln!(s);
    }
}

/// The side-by-side table.
fn md_vs(s: &mut String, r: &BenchResults) {
    if r.scenarios.iter().any(|x| x.vs.is_some()) {
        let _ = writeln!(s, "## Side by side\n");
        let _ = writeln!(s, "| scenario | posthook | other hook | ratio |");
        let _ = writeln!(s, "|---|--:|--:|--:|");
        for x in &r.scenarios {
            let (Some(p), Some(v)) = (&x.end_to_end, &x.vs) else {
                continue;
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                x.name,
                ms(p.time.mean, p.time.stdev),
                ms(v.end_to_end.time.mean, v.end_to_end.time.stdev),
                match (v.ratio_to_posthook, v.ratio_to_posthook_error) {
                    (Some(a), Some(b)) => format!("{a:.2} ± {b:.2}x"),
                    _ => "-".into(),
                }
            );
        }
        let _ = writeln!(s);
    }
}

/// The in-process table.
fn md_in_process(s: &mut String, r: &BenchResults) {
    if r.scenarios.iter().any(|x| x.in_process.is_some()) {
        let _ = writeln!(s, "## In process (the Runtime alone, warm)\n");
        let _ = writeln!(
            s,
            "| scenario | n | mean ± σ | median | p99 | first call | cache hit |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|");
        for x in &r.scenarios {
            let Some(p) = &x.in_process else { continue };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                x.name,
                p.time.n,
                ms(p.time.mean, p.time.stdev),
                duration(p.time.median),
                duration(p.time.p99),
                duration(p.first_call_s),
                p.cache_hit_rate.map_or("-".into(), percent)
            );
        }
        let _ = writeln!(s);
    }
}

/// The load-test table.
fn md_load(s: &mut String, r: &BenchResults) {
    if !r.load.is_empty() {
        let _ = writeln!(s, "## Concurrent load\n");
        let _ = writeln!(
            s,
            "| mode | users × requests | throughput | mean | p99 | success | lost events | pass |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|");
        for l in &r.load {
            let _ = writeln!(
                s,
                "| {} | {} × {} | {:.0}/s | {} | {} | {} | {} | {} |",
                l.mode,
                l.users,
                l.requests_per_user,
                l.throughput_per_s,
                duration(l.latency.mean),
                duration(l.latency.p99),
                percent(l.success_rate),
                l.lost_events.map_or("-".into(), |v| v.to_string()),
                if l.passed { "yes" } else { "no" }
            );
        }
        let _ = writeln!(s);
    }
}

/// The grades and the baseline comparison.
fn md_grades_and_baseline(s: &mut String, r: &BenchResults) {
    for g in r.grade.iter().chain(r.vs_grade.iter()) {
        let _ = writeln!(
            s,
            "**Grade {}: {}** (score {:.1}/100); {} of calls under 50 ms, {} under 100 ms\n",
            g.subject,
            g.grade,
            g.score,
            percent(g.target_50ms_share),
            percent(g.target_100ms_share)
        );
    }
    for c in &r.baseline {
        let _ = writeln!(
            s,
            "- {}: {:.2}x -> {:.2}x the floor (change {:+.2} ± {:.2}) ({:?})",
            c.scenario, c.baseline_ratio, c.current_ratio, c.change, c.change_error, c.verdict
        );
    }
}
