//! The results laid out: every section a [`Table`], rendered whole by `--full` and the exports,
//! and the short default: what posthook tells Claude, then the self-benchmark's verdict.

use super::baseline::Verdict as Change;
use super::results::{BenchResults, InProcess, LoadResult, ProcessStats, ScenarioResult};
use super::scenarios::Origin;
use super::seed::SEED_EVENTS;
use super::stats;
use super::table::{bytes, duration, Cell, Table, Unit};

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

/// What the floor is.
fn floor_name(r: &BenchResults) -> &str {
    &r.setup.floor.description
}

/// A column: its name, and its cell in a row.
type Col<T> = (&'static str, fn(&T) -> Cell);

/// A table of `rows`, each named in its first column (`key`), then one cell per column of `cols`.
fn table<T>(title: impl Into<String>, key: &str, cols: &[Col<T>], rows: Vec<(&str, T)>) -> Table {
    let names: Vec<&str> = (std::iter::once(key))
        .chain(cols.iter().map(|c| c.0))
        .collect();
    let mut t = Table::new(title, &names);
    for (name, row) in rows {
        let cells = cols.iter().map(|c| (c.1)(&row));
        t.row(std::iter::once(name.into()).chain(cells).collect());
    }
    t
}

/// Every table of the full report, in order; empty ones left out.
pub(super) fn tables(r: &BenchResults) -> Vec<Table> {
    let seeded = format!(
        "end to end, seeded: one `{}` process per call (no arguments), starting from a \
         {SEED_EVENTS}-event session; wall time spawn to exit, CPU and peak RSS its own (wait4); \
         last, the floor, run after every measured call",
        r.setup.subject.label
    );
    let fresh = "end to end, fresh: the same, each pass starting from no session state";
    let mut v = vec![
        machine(r),
        messages(r, usize::MAX),
        end_to_end(r, seeded, |s| s.end_to_end.as_ref(), r.floor.as_ref()),
        end_to_end(r, fresh.into(), |s| s.end_to_end_fresh.as_ref(), None),
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
    let (e, c) = (&r.setup.environment, &r.setup);
    let spawner = format!(
        "{}, the least Linux reports for a child",
        bytes(r.spawner_max_rss)
    );
    let rows = [
        ("hook", c.hook_program.clone()),
        ("floor", floor_name(r).to_string()),
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

/// A row of an end-to-end table: the scenario's calls per pass (none for the floor), its figures.
type Measured<'a> = (Option<usize>, &'a ProcessStats);

fn end_to_end(
    r: &BenchResults,
    title: String,
    pick: fn(&ScenarioResult) -> Option<&ProcessStats>,
    floor: Option<&ProcessStats>,
) -> Table {
    let cols: [Col<Measured>; 12] = [
        ("calls", |(c, _)| c.map_or(Cell::Empty, count)),
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
    let mut rows: Vec<(&str, Measured)> = (r.scenarios.iter())
        .filter_map(|s| Some((s.name.as_str(), (Some(s.calls), pick(s)?))))
        .collect();
    rows.extend(
        floor
            .filter(|_| !rows.is_empty())
            .map(|f| ("floor", (None, f))),
    );
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
    let other = r.setup.vs.as_ref().map_or("", |o| o.label.as_str());
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

/// A stage's calls, total time and findings.
type StageSum = (usize, f64, Option<usize>);

/// Per stage over every scenario: record, each analyzer, guidance.
fn stages(r: &BenchResults) -> Table {
    let mut rows: Vec<(&str, StageSum)> = Vec::new();
    let all = (r.scenarios.iter()).filter_map(|s| s.in_process.as_ref());
    for st in all.flat_map(|p| &p.stages) {
        match rows.iter_mut().find(|r| r.0 == st.name) {
            Some((_, (calls, total, findings))) => {
                (*calls, *total) = (*calls + st.calls, *total + st.total_s);
                *findings = findings.zip(st.findings).map(|(a, b)| a + b);
            }
            None => rows.push((&st.name, (st.calls, st.total_s, st.findings))),
        }
    }
    // Guidance runs last in every call.
    if let Some(i) = rows.iter().position(|r| r.0 == "guidance") {
        let g = rows.remove(i);
        rows.push(g);
    }
    let cols: [Col<StageSum>; 3] = [
        ("calls", |r| count(r.0)),
        ("mean/call", |r| secs(r.1 / r.0.max(1) as f64)),
        ("findings", |r| r.2.map_or(Cell::Empty, count)),
    ];
    let title = "where the in-process time goes (all scenarios, warm)";
    table(title, "stage", &cols, rows)
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
    let rows = (r.baseline.iter())
        .map(|c| (c.scenario.as_str(), c))
        .collect();
    let title = "against the baseline: median CPU time over the floor's, then and now";
    table(title, "scenario", &cols, rows)
}

/// The lines that end every report: what failed, then the result.
pub(super) fn result(r: &BenchResults) -> String {
    let f = &r.failures;
    let compared = match (r.setup.baseline.is_some(), f.regressions.is_empty()) {
        (false, _) => "no baseline given, so nothing was compared",
        (true, true) => "no regression against the baseline",
        (true, false) => "slower than the baseline",
    };
    let regressions = f.regressions.iter().map(|s| format!("regression: {s}\n"));
    let missed = (f.missed_targets.iter()).map(|s| format!("missed target: {s}\n"));
    let target = duration(r.setup.target_s);
    let result = match f.ok() {
        true => format!("result: ok (every p95 under {target}, no failed call, {compared})\n"),
        false => format!("result: FAILED ({compared})\n"),
    };
    regressions.chain(missed).chain([result]).collect()
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
        let (n, sessions, calls) = (m.messages.len(), m.sessions, m.calls);
        out += &format!("posthook on {sessions} real session(s), {calls} calls: ");
        out += &format!("{n} message(s) to Claude\n");
        let list = messages(r, SHORT_MESSAGES).terminal();
        let rows = list.lines().skip(1).filter(|_| n > 0);
        out.extend(rows.map(|l| l.to_owned() + "\n"));
        if let Some(more) = n.checked_sub(SHORT_MESSAGES).filter(|&x| x > 0) {
            out += &format!("  … and {more} more (--full lists them all)\n");
        }
        let (median, p99) = (duration(m.cost.median), duration(m.cost.p99));
        out += "  per call in process (parse, record, analyzers, guidance): ";
        out += &format!("median {median}, p99 {p99}\n\n");
    }
    let (hook, took) = (&r.setup.hook_program, r.elapsed_s);
    out += &format!(
        "the hook as Claude Code runs it: {hook}\n{}{}",
        verdict(r),
        result(r)
    );
    out + &format!("took {took:.1} s; every table: posthook --bench --full\n")
}

/// The hook call against the floor (the headline calls when they ran, else every scenario's
/// seeded calls), and the verdict on it.
fn verdict(r: &BenchResults) -> String {
    let headline = r.scenarios.iter().any(|s| s.origin == Origin::Headline);
    let measured: Vec<(&str, &ProcessStats)> = (r.scenarios.iter())
        .filter(|s| !headline || s.origin == Origin::Headline)
        .filter_map(|s| Some((s.name.as_str(), s.end_to_end.as_ref()?)))
        .collect();
    let pool =
        |f: fn(&ProcessStats) -> &Vec<f64>| measured.iter().flat_map(move |m| f(m.1).clone());
    let hook: Vec<f64> = pool(|p| &p.times_s).collect();
    let floor: Vec<f64> = pool(|p| &p.floor_times_s).collect();
    let Some((ratio, error)) = stats::median_ratio(&hook, &floor) else {
        return String::from("  (nothing measured end to end)\n");
    };
    let each = measured
        .iter()
        .map(|(n, p)| format!("{n} {}", Cell::ratio(p.median_ratio_to_floor)));
    let [median, floor_median] = [&hook, &floor].map(|x| duration(stats::median(x)));
    let mut out = format!("  hook call: median {median} = {ratio:.2} ± {error:.2}x the cost of ");
    out += &format!("starting a bare process (floor: {}, ", floor_name(r));
    out += &format!("median {floor_median})\n  per scenario: ");
    out += &format!("{}\nverdict: ", each.collect::<Vec<_>>().join(", "));
    out += &match (ratio <= GOAL, r.setup.environment.build) {
        (true, _) => format!(
            "within {GOAL}x the floor, the goal: a call costs little more than \
                              the process Claude Code starts anyway\n"
        ),
        (false, "debug") => format!(
            "over the goal of {GOAL}x the floor (a debug build: measure a \
                                     release build for real figures)\n"
        ),
        (false, _) => format!("over the goal of {GOAL}x the floor\n"),
    };
    out
}
