//! The results laid out: every section a [`Table`], rendered whole by `--full` and the exports,
//! and the short default: what posthook tells Claude, then the self-benchmark's verdict.

use super::baseline::Verdict as Change;
use super::results::{BenchResults, InProcess, LoadResult, ProcessStats, ScenarioResult};
use super::scenarios::Origin;
use super::seed::SEED_EVENTS;
use super::stats;
use super::table::{Cell, Table, Unit};
use super::units::{bytes, duration};
use std::fmt::Write as _;

/// The goal of a hook call: its median at most this many times the floor's.
const GOAL: f64 = 1.5;
/// Messages listed in the short report.
const SHORT_MESSAGES: usize = 10;

fn secs(v: f64) -> Cell {
    Cell::of(v, Unit::Seconds)
}

fn count(v: usize) -> Cell {
    Cell::of(v as f64, Unit::Count)
}

fn share(v: f64) -> Cell {
    Cell::of(v, Unit::Share)
}

fn cut(s: &str, n: usize) -> String {
    posthook_analyzers::truncate_chars(s, n).into_owned()
}

/// A column: its name, and its cell in a row.
type Col<T> = (&'static str, fn(&T) -> Cell);

/// A table of `rows`, each named in its first column (`key`), then one cell per column of `cols`.
fn table<T>(title: impl Into<String>, key: &str, cols: &[Col<T>], rows: Vec<(&str, T)>) -> Table {
    let names: Vec<&str> = std::iter::once(key)
        .chain(cols.iter().map(|c| c.0))
        .collect();
    let mut t = Table::new(title, &names);
    for (name, row) in rows {
        t.row(
            std::iter::once(name.into())
                .chain(cols.iter().map(|c| (c.1)(&row)))
                .collect(),
        );
    }
    t
}

/// Every table of the full report, in order; empty ones left out.
pub(super) fn tables(r: &BenchResults) -> Vec<Table> {
    let seeded = format!(
        "end to end, seeded: one `{}` process per call (no arguments), starting from a \
         {SEED_EVENTS}-event session; wall time spawn to exit, CPU and peak RSS its own (wait4)",
        r.config.subject
    );
    let fresh = "end to end, fresh: the same, each pass starting from no session state";
    let mut v = vec![
        machine(r),
        messages(r, usize::MAX),
        headline(r),
        floor(r),
        end_to_end(r, seeded, |s| s.end_to_end.as_ref()),
        end_to_end(r, fresh.into(), |s| s.end_to_end_fresh.as_ref()),
        vs(r),
        in_process(r),
        stages(r),
        load(r),
        baseline(r),
    ];
    v.retain(|t| !t.rows.is_empty());
    v
}

fn machine(r: &BenchResults) -> Table {
    let (e, c) = (&r.environment, &r.config);
    let spawner = c.spawner_max_rss_bytes.map_or_else(
        || String::from("none: spawned directly, peak RSS includes the benchmark's own"),
        |b| {
            format!(
                "{}, the lowest peak RSS Linux can report for a child",
                bytes(b)
            )
        },
    );
    let rows = [
        ("hook", c.hook_program.clone()),
        ("floor", c.floor.clone()),
        (
            "posthook",
            format!("{} ({} build)", e.posthook_version, e.build),
        ),
        ("cpu", format!("{} ({} cores)", e.cpu, e.cores)),
        ("memory", bytes(e.memory_bytes)),
        ("os", e.os.clone()),
        ("load average", format!("{:.2}", e.load_average)),
        ("spawner peak RSS", spawner),
        ("took", duration(r.elapsed_s)),
    ];
    let mut t = Table::new("posthook bench", &["what", "value"]);
    for (k, v) in rows {
        t.row(vec![k.into(), v.into()]);
    }
    t
}

/// The messages posthook gives on the replayed sessions, at most `max`.
fn messages(r: &BenchResults, max: usize) -> Table {
    let mut t = Table::new(
        "what posthook tells Claude (call: position in its session; cost: that call in process)",
        &["call", "session", "tool", "what", "message", "cost"],
    );
    for m in r.messages.iter().flat_map(|m| m.messages.iter()).take(max) {
        t.row(vec![
            count(m.call),
            m.session.as_str().into(),
            m.tool.as_str().into(),
            cut(&m.what, 36).into(),
            cut(&m.text, 90).into(),
            secs(m.cost_s),
        ]);
    }
    t
}

fn headline(r: &BenchResults) -> Table {
    let cols: [Col<&ProcessStats>; 4] = [
        ("median", |p| secs(p.time.median)),
        ("floor median", |p| {
            (p.median_ratio_to_floor).map_or(Cell::Empty, |(x, _)| secs(p.time.median / x))
        }),
        ("x floor", |p| Cell::ratio(p.median_ratio_to_floor)),
        ("n", |p| count(p.time.n)),
    ];
    let rows = (r.scenarios.iter().filter(|s| s.origin == Origin::Headline))
        .filter_map(|s| Some((s.name.as_str(), s.end_to_end.as_ref()?)))
        .collect();
    let title = "headline: real Edit and Bash calls as Claude Code sends them, against the floor \
                 (medians of interleaved runs)";
    table(title, "scenario", &cols, rows)
}

fn floor(r: &BenchResults) -> Table {
    let cols: [Col<&ProcessStats>; 5] = [
        ("n", |f| count(f.time.n)),
        ("median", |f| secs(f.time.median)),
        ("p99", |f| secs(f.time.p99)),
        ("CPU", |f| secs(f.cpu_median_s)),
        ("peak RSS", |f| {
            Cell::of(f.max_rss_peak_bytes as f64, Unit::Bytes)
        }),
    ];
    let rows = (r.floor.iter())
        .map(|f| (r.config.floor.as_str(), f))
        .collect();
    let title = "floor: run after every measured call, fed the same payload";
    table(title, "floor", &cols, rows)
}

type Measured<'a> = (&'a ScenarioResult, &'a ProcessStats);

fn end_to_end(
    r: &BenchResults,
    title: String,
    pick: fn(&ScenarioResult) -> Option<&ProcessStats>,
) -> Table {
    let cols: [Col<Measured>; 12] = [
        ("calls", |(s, _)| count(s.calls)),
        ("n", |(_, p)| count(p.time.n)),
        ("median", |(_, p)| secs(p.time.median)),
        ("p95", |(_, p)| secs(p.time.p95)),
        ("p99", |(_, p)| secs(p.time.p99)),
        ("max", |(_, p)| secs(p.time.max)),
        ("x floor", |(_, p)| Cell::ratio(p.median_ratio_to_floor)),
        ("CPU x floor", |(_, p)| Cell::ratio(p.cpu_ratio_to_floor)),
        ("CPU", |(_, p)| secs(p.cpu_median_s)),
        ("peak RSS", |(_, p)| {
            Cell::of(p.max_rss_peak_bytes as f64, Unit::Bytes)
        }),
        ("feedback", |(_, p)| share(p.feedback_rate)),
        ("success", |(_, p)| share(p.success_rate)),
    ];
    let rows = (r.scenarios.iter())
        .filter_map(|s| Some((s.name.as_str(), (s, pick(s)?))))
        .collect();
    table(title, "scenario", &cols, rows)
}

fn vs(r: &BenchResults) -> Table {
    let cols: [Col<(&ProcessStats, &ProcessStats)>; 6] = [
        ("posthook", |(p, _)| secs(p.time.median)),
        ("other hook", |(_, o)| secs(o.time.median)),
        ("ratio", |(p, o)| {
            Cell::ratio(stats::median_ratio(&o.times_s, &p.times_s))
        }),
        ("its x floor", |(_, o)| Cell::ratio(o.median_ratio_to_floor)),
        ("feedback", |(_, o)| share(o.feedback_rate)),
        ("success", |(_, o)| share(o.success_rate)),
    ];
    let rows = (r.scenarios.iter())
        .filter_map(|s| Some((s.name.as_str(), (s.end_to_end.as_ref()?, s.vs.as_ref()?))))
        .collect();
    let other = r.config.vs.as_deref().unwrap_or("");
    let title = format!("side by side: `{other}` vs posthook (ratio: its median over posthook's)");
    table(title, "scenario", &cols, rows)
}

fn in_process(r: &BenchResults) -> Table {
    let cols: [Col<&InProcess>; 7] = [
        ("n", |p| count(p.time.n)),
        ("cold", |p| secs(p.first_call_s)),
        ("median", |p| secs(p.time.median)),
        ("p99", |p| secs(p.time.p99)),
        ("max", |p| secs(p.time.max)),
        ("cache hit", |p| p.cache_hit_rate.map_or(Cell::Empty, share)),
        ("feedback", |p| share(p.feedback_rate)),
    ];
    let rows = (r.scenarios.iter())
        .filter_map(|s| Some((s.name.as_str(), s.in_process.as_ref()?)))
        .collect();
    let title = "in process: the Runtime alone (parse, record, analyzers, guidance), no process \
                 start or disk; cold: the first call on a new Runtime, then warm";
    table(title, "scenario", &cols, rows)
}

/// Per stage over every scenario, weighted by calls: record, each analyzer, guidance.
fn stages(r: &BenchResults) -> Table {
    let ip: Vec<&InProcess> = r
        .scenarios
        .iter()
        .filter_map(|s| s.in_process.as_ref())
        .collect();
    let n: usize = ip.iter().map(|p| p.time.n).sum();
    let mean = |f: fn(&InProcess) -> f64| {
        ip.iter().map(|p| f(p) * p.time.n as f64).sum::<f64>() / n.max(1) as f64
    };
    let mut rows = vec![("record", (n, mean(|p| p.record_mean_s), None))];
    for a in ip.iter().flat_map(|p| &p.analyzers) {
        let calls = a.calls as f64;
        match rows.iter_mut().find(|r| r.0 == a.name) {
            Some((_, (c, m, f))) => {
                *m = (*m * *c as f64 + a.mean_s * calls) / (*c as f64 + calls).max(1.0);
                *c += a.calls;
                *f = f.map(|f| f + a.findings);
            }
            None => rows.push((&a.name, (a.calls, a.mean_s, Some(a.findings)))),
        }
    }
    rows.push(("guidance", (n, mean(|p| p.guidance_mean_s), None)));
    let cols: [Col<(usize, f64, Option<usize>)>; 3] = [
        ("calls", |r| count(r.0)),
        ("mean/call", |r| secs(r.1)),
        ("findings", |r| r.2.map_or(Cell::Empty, count)),
    ];
    if ip.is_empty() {
        rows.clear();
    }
    table(
        "where the in-process time goes (all scenarios, warm)",
        "stage",
        &cols,
        rows,
    )
}

fn load(r: &BenchResults) -> Table {
    let cols: [Col<&LoadResult>; 10] = [
        ("mode", |l| l.mode.into()),
        ("users", |l| count(l.users)),
        ("requests", |l| count(l.requests_per_user)),
        ("sent", |l| count(l.sent)),
        ("req/s", |l| {
            Cell::of(l.throughput_per_s.round(), Unit::Count)
        }),
        ("mean", |l| secs(l.latency.mean)),
        ("p99", |l| secs(l.latency.p99)),
        ("success", |l| share(l.success_rate)),
        ("lost", |l| {
            l.lost_events.map_or(Cell::Empty, |v| count(v as usize))
        }),
        ("pass", |l| (if l.passed { "yes" } else { "NO" }).into()),
    ];
    let names: Vec<String> = r.load.iter().map(|l| cut(&l.subject, 24)).collect();
    let rows = names.iter().map(String::as_str).zip(&r.load).collect();
    let title = "concurrent load: users in parallel, each sending its requests one after the \
                 other; lost: sent minus the events the session store recorded";
    table(title, "hook", &cols, rows)
}

fn baseline(r: &BenchResults) -> Table {
    let cols: [Col<&super::baseline::Comparison>; 4] = [
        ("baseline", |c| Cell::of(c.baseline_ratio, Unit::Ratio)),
        ("now", |c| Cell::of(c.current_ratio, Unit::Ratio)),
        ("change", |c| {
            Cell::pm(c.change, c.change_error, Unit::Ratio)
        }),
        ("verdict", |c| match c.verdict {
            Change::Regressed => "REGRESSED".into(),
            Change::Improved => "improved".into(),
            Change::Unchanged => "unchanged".into(),
        }),
    ];
    let rows = r
        .baseline
        .iter()
        .map(|c| (c.scenario.as_str(), c))
        .collect();
    let title = "against the baseline: median CPU time over the floor's, then and now";
    table(title, "scenario", &cols, rows)
}

/// The lines that end every report: what failed, then the result.
pub(super) fn result(r: &BenchResults) -> String {
    let f = &r.failures;
    let compared = match (r.baseline_given, f.regressions.is_empty()) {
        (false, _) => "no baseline given, so nothing was compared",
        (true, true) => "no regression against the baseline",
        (true, false) => "slower than the baseline",
    };
    let mut out = String::new();
    for s in &f.regressions {
        let _ = writeln!(out, "regression: {s}");
    }
    for s in &f.missed_targets {
        let _ = writeln!(out, "missed target: {s}");
    }
    let target = duration(r.config.target_s);
    let _ = match f.ok() {
        true => writeln!(
            out,
            "result: ok (every p95 under {target}, no failed call, {compared})"
        ),
        false => writeln!(out, "result: FAILED ({compared})"),
    };
    out
}

/// The full report for the terminal: every table, then the result.
pub(super) fn full(r: &BenchResults) -> String {
    let mut out: Vec<String> = tables(r).iter().map(Table::terminal).collect();
    out.push(result(r));
    out.join("\n")
}

/// The default report: the messages posthook gives on real sessions, the hook call against the
/// floor and the verdict on it, the result.
pub(super) fn short(r: &BenchResults) -> String {
    let mut out = String::new();
    if let Some(m) = &r.messages {
        let n = m.messages.len();
        let (sessions, calls) = (m.sessions, m.calls);
        let _ = writeln!(
            out,
            "posthook on {sessions} real session(s), {calls} calls: {n} message(s) to Claude"
        );
        let list = messages(r, SHORT_MESSAGES).terminal();
        out.extend(list.lines().skip(1).map(|l| format!("{l}\n")));
        if n > SHORT_MESSAGES {
            let _ = writeln!(
                out,
                "  … and {} more (--full lists them all)",
                n - SHORT_MESSAGES
            );
        }
        let (median, p99) = (duration(m.cost.median), duration(m.cost.p99));
        let what = "parse, record, analyzers, guidance";
        let _ = writeln!(
            out,
            "  per call in process ({what}): median {median}, p99 {p99}\n"
        );
    }
    let _ = writeln!(
        out,
        "the hook as Claude Code runs it: {}",
        r.config.hook_program
    );
    out.push_str(&verdict(r));
    out.push_str(&result(r));
    let _ = writeln!(
        out,
        "took {:.1} s; every table: posthook --bench --full",
        r.elapsed_s
    );
    out
}

/// The hook call against the floor (the headline calls when they ran, else every scenario's
/// seeded calls), and the verdict on it.
fn verdict(r: &BenchResults) -> String {
    let headline = r.scenarios.iter().any(|s| s.origin == Origin::Headline);
    let measured: Vec<(&str, &ProcessStats)> = (r.scenarios.iter())
        .filter(|s| !headline || s.origin == Origin::Headline)
        .filter_map(|s| Some((s.name.as_str(), s.end_to_end.as_ref()?)))
        .collect();
    let hook: Vec<f64> = measured
        .iter()
        .flat_map(|(_, p)| p.times_s.clone())
        .collect();
    let Some((floor, (ratio, error))) =
        (r.floor.as_ref()).and_then(|f| Some((f, stats::median_ratio(&hook, &f.times_s)?)))
    else {
        return String::from("  (nothing measured end to end)\n");
    };
    let each: Vec<String> = (measured.iter())
        .map(|(n, p)| format!("{n} {}", Cell::ratio(p.median_ratio_to_floor)))
        .collect();
    let debug = match r.environment.build {
        "debug" => " (a debug build: measure a release build for real figures)",
        _ => "",
    };
    let verdict = match ratio <= GOAL {
        true => format!(
            "within {GOAL}x the floor, the goal: a call costs little more than the process \
             Claude Code starts anyway"
        ),
        false => format!("over the goal of {GOAL}x the floor{debug}"),
    };
    format!(
        "  hook call: median {} = {ratio:.2} ± {error:.2}x the cost of starting a bare process \
         (floor: {}, median {})\n  per scenario: {}\nverdict: {verdict}\n",
        duration(stats::median(&hook)),
        r.config.floor,
        duration(floor.time.median),
        each.join(", ")
    )
}
