//! The results laid out: every section a [`Table`], rendered whole by `--full` and the exports,
//! and the short default: what posthook tells Claude, then the self-benchmark's verdict.

use super::baseline::Verdict as Change;
use super::results::{BenchResults, ProcessStats};
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

/// Every table of the full report, in order; empty ones left out.
pub(super) fn tables(r: &BenchResults) -> Vec<Table> {
    let mut v = vec![machine(r), messages(r, usize::MAX), headline(r), floor(r)];
    let seeded = format!(
        "end to end, seeded: one `{}` process per call (no arguments), starting from a \
         {SEED_EVENTS}-event session; wall time spawn to exit, CPU and peak RSS its own (wait4)",
        r.config.subject
    );
    v.push(end_to_end(r, seeded, |s| s.end_to_end.as_ref()));
    let fresh = "end to end, fresh: the same, each pass starting from no session state";
    v.push(end_to_end(r, fresh.into(), |s| s.end_to_end_fresh.as_ref()));
    v.extend([vs(r), in_process(r), stages(r), load(r), baseline(r)]);
    v.retain(|t| !t.rows.is_empty());
    v
}

fn machine(r: &BenchResults) -> Table {
    let e = &r.environment;
    let mut t = Table::new("posthook bench", &["what", "value"]);
    let rows = [
        ("hook", r.config.hook_program.clone()),
        ("floor", r.config.floor.clone()),
        (
            "posthook",
            format!("{} ({} build)", e.posthook_version, e.build),
        ),
        ("cpu", format!("{} ({} cores)", e.cpu, e.cores)),
        ("os", e.os.clone()),
        ("load average", format!("{:.2}", e.load_average)),
    ];
    let spawner = r.config.spawner_max_rss_bytes.map_or_else(
        || String::from("none: spawned directly, peak RSS includes the benchmark's own"),
        |b| {
            format!(
                "{}, the lowest peak RSS Linux can report for a child",
                bytes(b)
            )
        },
    );
    let more = [
        ("memory", bytes(e.memory_bytes)),
        ("spawner peak RSS", spawner),
        ("took", duration(r.elapsed_s)),
    ];
    for (k, v) in rows.into_iter().chain(more) {
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
    let mut t = Table::new(
        format!(
            "headline: real Edit and Bash calls as Claude Code sends them, against the floor \
             (medians of interleaved runs, {SEED_EVENTS}-event session)"
        ),
        &["scenario", "median", "floor median", "x floor", "n"],
    );
    for s in r.scenarios.iter().filter(|s| s.origin == Origin::Headline) {
        let Some(p) = &s.end_to_end else { continue };
        let Some((ratio, _)) = p.median_ratio_to_floor else {
            continue;
        };
        t.row(vec![
            s.name.as_str().into(),
            secs(p.time.median),
            secs(p.time.median / ratio),
            Cell::ratio(p.median_ratio_to_floor),
            count(p.time.n),
        ]);
    }
    t
}

fn floor(r: &BenchResults) -> Table {
    let mut t = Table::new(
        "floor: run after every measured call, fed the same payload",
        &["floor", "n", "median", "p99", "CPU", "peak RSS"],
    );
    if let Some(f) = &r.floor {
        t.row(vec![
            r.config.floor.as_str().into(),
            count(f.time.n),
            secs(f.time.median),
            secs(f.time.p99),
            secs(f.cpu_median_s),
            Cell::of(f.max_rss_peak_bytes as f64, Unit::Bytes),
        ]);
    }
    t
}

fn end_to_end(
    r: &BenchResults,
    title: String,
    pick: impl Fn(&super::results::ScenarioResult) -> Option<&ProcessStats>,
) -> Table {
    let mut t = Table::new(
        title,
        &[
            "scenario",
            "calls",
            "n",
            "median",
            "p95",
            "p99",
            "max",
            "x floor",
            "CPU x floor",
            "CPU",
            "peak RSS",
            "feedback",
            "success",
        ],
    );
    for s in &r.scenarios {
        let Some(p) = pick(s) else { continue };
        t.row(vec![
            s.name.as_str().into(),
            count(s.calls),
            count(p.time.n),
            secs(p.time.median),
            secs(p.time.p95),
            secs(p.time.p99),
            secs(p.time.max),
            Cell::ratio(p.median_ratio_to_floor),
            Cell::ratio(p.cpu_ratio_to_floor),
            secs(p.cpu_median_s),
            Cell::of(p.max_rss_peak_bytes as f64, Unit::Bytes),
            share(p.feedback_rate),
            share(p.success_rate),
        ]);
    }
    t
}

fn vs(r: &BenchResults) -> Table {
    let other = r.config.vs.as_deref().unwrap_or("");
    let mut t = Table::new(
        format!("side by side: `{other}` vs posthook (ratio: its median over posthook's)"),
        &[
            "scenario",
            "posthook",
            "other hook",
            "ratio",
            "its x floor",
            "feedback",
            "success",
        ],
    );
    for s in &r.scenarios {
        let (Some(p), Some(o)) = (&s.end_to_end, &s.vs) else {
            continue;
        };
        t.row(vec![
            s.name.as_str().into(),
            secs(p.time.median),
            secs(o.time.median),
            Cell::ratio(stats::median_ratio(&o.times_s, &p.times_s)),
            Cell::ratio(o.median_ratio_to_floor),
            share(o.feedback_rate),
            share(o.success_rate),
        ]);
    }
    t
}

fn in_process(r: &BenchResults) -> Table {
    let mut t = Table::new(
        "in process: the Runtime alone (parse, record, analyzers, guidance), no process start or \
         disk; cold: the first call on a new Runtime, then warm",
        &[
            "scenario",
            "n",
            "cold",
            "median",
            "p99",
            "max",
            "cache hit",
            "feedback",
        ],
    );
    for s in &r.scenarios {
        let Some(p) = &s.in_process else { continue };
        t.row(vec![
            s.name.as_str().into(),
            count(p.time.n),
            secs(p.first_call_s),
            secs(p.time.median),
            secs(p.time.p99),
            secs(p.time.max),
            p.cache_hit_rate.map_or(Cell::Empty, share),
            share(p.feedback_rate),
        ]);
    }
    t
}

/// Per stage over every scenario, weighted by calls: record, each analyzer, guidance.
fn stages(r: &BenchResults) -> Table {
    let mut t = Table::new(
        "where the in-process time goes (all scenarios, warm)",
        &["stage", "calls", "mean/call", "findings"],
    );
    let ip: Vec<_> = r
        .scenarios
        .iter()
        .filter_map(|s| s.in_process.as_ref())
        .collect();
    if ip.is_empty() {
        return t;
    }
    let n: usize = ip.iter().map(|p| p.time.n).sum();
    let per_call = |f: &dyn Fn(&super::results::InProcess) -> f64| {
        ip.iter().map(|p| f(p) * p.time.n as f64).sum::<f64>() / n.max(1) as f64
    };
    t.row(vec![
        "record".into(),
        count(n),
        secs(per_call(&|p| p.record_mean_s)),
        Cell::Empty,
    ]);
    let mut names: Vec<&str> = Vec::new();
    for a in ip.iter().flat_map(|p| &p.analyzers) {
        if !names.contains(&a.name.as_str()) {
            names.push(&a.name);
        }
    }
    for name in names {
        let runs = ip
            .iter()
            .flat_map(|p| &p.analyzers)
            .filter(|a| a.name == name);
        let (calls, total, findings) = runs.fold((0, 0.0, 0), |(c, t, f), a| {
            (c + a.calls, t + a.mean_s * a.calls as f64, f + a.findings)
        });
        t.row(vec![
            name.into(),
            count(calls),
            secs(total / calls.max(1) as f64),
            count(findings),
        ]);
    }
    t.row(vec![
        "guidance".into(),
        count(n),
        secs(per_call(&|p| p.guidance_mean_s)),
        Cell::Empty,
    ]);
    t
}

fn load(r: &BenchResults) -> Table {
    let mut t = Table::new(
        "concurrent load: users in parallel, each sending its requests one after the other; lost: \
         sent minus the events the session store recorded",
        &[
            "hook", "mode", "users", "requests", "sent", "req/s", "mean", "p99", "success", "lost",
            "pass",
        ],
    );
    for l in &r.load {
        t.row(vec![
            cut(&l.subject, 24).into(),
            l.mode.into(),
            count(l.users),
            count(l.requests_per_user),
            count(l.sent),
            Cell::of(l.throughput_per_s.round(), Unit::Count),
            secs(l.latency.mean),
            secs(l.latency.p99),
            share(l.success_rate),
            l.lost_events.map_or(Cell::Empty, |v| count(v as usize)),
            (if l.passed { "yes" } else { "NO" }).into(),
        ]);
    }
    t
}

fn baseline(r: &BenchResults) -> Table {
    let mut t = Table::new(
        "against the baseline: median CPU time over the floor's, then and now",
        &["scenario", "baseline", "now", "change", "verdict"],
    );
    for c in &r.baseline {
        let verdict = match c.verdict {
            Change::Regressed => "REGRESSED",
            Change::Improved => "improved",
            Change::Unchanged => "unchanged",
        };
        t.row(vec![
            c.scenario.as_str().into(),
            Cell::of(c.baseline_ratio, Unit::Ratio),
            Cell::of(c.current_ratio, Unit::Ratio),
            Cell::pm(c.change, c.change_error, Unit::Ratio),
            verdict.into(),
        ]);
    }
    t
}

/// The lines that end every report: what failed, then the result.
pub(super) fn result(r: &BenchResults) -> String {
    let mut out = String::new();
    let compared = if !r.baseline_given {
        "no baseline given, so nothing was compared"
    } else if r.failures.regressions.is_empty() {
        "no regression against the baseline"
    } else {
        "slower than the baseline"
    };
    for s in &r.failures.regressions {
        let _ = writeln!(out, "regression: {s}");
    }
    for s in &r.failures.missed_targets {
        let _ = writeln!(out, "missed target: {s}");
    }
    if r.failures.ok() {
        let _ = writeln!(
            out,
            "result: ok (every p95 under {}, no failed call, {compared}); took {:.1} s",
            duration(r.config.target_s),
            r.elapsed_s
        );
    } else {
        let _ = writeln!(
            out,
            "result: FAILED ({compared}); took {:.1} s",
            r.elapsed_s
        );
    }
    out
}

/// The full report for the terminal: every table, then the result.
pub(super) fn full(r: &BenchResults) -> String {
    let mut out: Vec<String> = tables(r).iter().map(Table::terminal).collect();
    out.push(result(r));
    out.join("\n")
}

/// The default report: the messages posthook gives on real sessions, the hook call against the
/// floor and the verdict, the result.
pub(super) fn short(r: &BenchResults) -> String {
    let mut out = String::new();
    if let Some(m) = &r.messages {
        let _ = writeln!(
            out,
            "posthook on {} real session(s), {} calls: {} message(s) to Claude",
            m.sessions,
            m.calls,
            m.messages.len()
        );
        let list = messages(r, SHORT_MESSAGES).terminal();
        out.extend(list.lines().skip(1).map(|l| format!("{l}\n")));
        if m.messages.len() > SHORT_MESSAGES {
            let more = m.messages.len() - SHORT_MESSAGES;
            let _ = writeln!(out, "  … and {more} more (--full lists them all)");
        }
        let _ = writeln!(
            out,
            "  per call in process (parse, record, analyzers, guidance): median {}, p99 {}\n",
            duration(m.cost.median),
            duration(m.cost.p99)
        );
    }
    out.push_str(&verdict(r));
    out.push_str(&result(r));
    out.push_str("every table: posthook --bench --full\n");
    out
}

/// The hook call against the floor, and the verdict on it.
fn verdict(r: &BenchResults) -> String {
    let mut out = format!(
        "the hook as Claude Code runs it: {}\n",
        r.config.hook_program
    );
    let headline = r.scenarios.iter().any(|s| s.origin == Origin::Headline);
    let measured: Vec<(&str, &ProcessStats)> = (r.scenarios.iter())
        .filter(|s| !headline || s.origin == Origin::Headline)
        .filter_map(|s| Some((s.name.as_str(), s.end_to_end.as_ref()?)))
        .collect();
    let hook: Vec<f64> = measured
        .iter()
        .flat_map(|(_, p)| p.times_s.iter().copied())
        .collect();
    let (Some(floor), false) = (&r.floor, hook.is_empty()) else {
        out.push_str("  (nothing measured end to end)\n");
        return out;
    };
    let Some((ratio, error)) = stats::median_ratio(&hook, &floor.times_s) else {
        return out;
    };
    let _ = writeln!(
        out,
        "  hook call: median {} = {ratio:.2} ± {error:.2}x the cost of starting a bare process \
         (floor: {}, median {})",
        duration(stats::median(&hook)),
        r.config.floor,
        duration(floor.time.median)
    );
    let each: Vec<String> = (measured.iter())
        .filter_map(|(n, p)| {
            Some(format!(
                "{n} {}",
                Cell::ratio(Some(p.median_ratio_to_floor?))
            ))
        })
        .collect();
    let _ = writeln!(out, "  per scenario: {}", each.join(", "));
    let debug = if r.environment.build == "debug" {
        " (a debug build: measure a release build for real figures)"
    } else {
        ""
    };
    let _ = if ratio <= GOAL {
        writeln!(out, "verdict: within {GOAL}x the floor, the goal: a call costs little more than the process Claude Code starts anyway")
    } else {
        writeln!(out, "verdict: over the goal of {GOAL}x the floor{debug}")
    };
    out
}
