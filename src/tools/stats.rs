//! `posthook stats`: what posthook did across sessions, per rule and per project, from the record
//! (`crate::record`), and its own health.

use crate::clock::unix_ms;
use crate::config::{HookFlags, Resolved, StateDirFlag};
use crate::error::Outcome;
use crate::record::{self, health, rule, Counts, Fault, Snapshot};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const AFTER_HELP: &str = "\
Uptake is posthook's own field estimate of how useful each rule is: for every message shown, \
whether the agent acted on it within the next few calls, judged from what it did next (the same \
failing call again, the dedicated tool used, a check run before the commit, ...). Heeded and \
ignored messages count; those nothing told either way do not.

Examples:
  posthook stats
  posthook stats --since 30d --project ~/src/app
  posthook stats --rule failure-loop --json";

/// `posthook stats`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct StatsArgs {
    /// Count the days within this long before today (e.g. 7d, 24h, 30d).
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// Only this project (its dir, as Claude Code's CLAUDE_PROJECT_DIR names it).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Only this rule.
    #[arg(long, value_name = "ID")]
    pub rule: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateDirFlag,
}

impl StatsArgs {
    /// The hook-mode flag stats acts on: the state dir.
    pub(crate) fn flags(&self) -> HookFlags {
        HookFlags::from(self.state.clone())
    }
}

/// Why there are no stats to show.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StatsError {
    /// No state dir is configured.
    #[error("no state dir: set POSTHOOK_STATE_DIR or HOME")]
    NoStateDir,
    /// The record could not be read.
    #[error("reading {path}: {err}", path = .0.display(), err = .1)]
    Unreadable(PathBuf, #[source] std::io::Error),
}

/// One rule's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct RuleStats {
    pub rule: String,
    pub found: u64,
    pub shown: u64,
    pub blocking: u64,
    pub cooldown: u64,
    pub muted: u64,
    pub spacing: u64,
    pub ungrounded: u64,
    pub repeat: u64,
    pub outranked: u64,
    pub info: u64,
    /// Held because the learned back-off turned the rule off in the project.
    pub quieted: u64,
    pub heeded: u64,
    pub ignored: u64,
    pub unjudged: u64,
    /// Heeded of the judged messages, in percent (`None`: none judged).
    pub uptake: Option<u32>,
}

/// Heeded of heeded and ignored, in percent.
pub(crate) fn uptake_percent(heeded: u64, ignored: u64) -> Option<u32> {
    let judged = heeded + ignored;
    (judged > 0).then(|| ((heeded * 100 + judged / 2) / judged) as u32)
}

impl RuleStats {
    fn add(&mut self, c: &Counts) {
        let n = |i: usize| u64::from(c[i]);
        self.found += n(rule::FOUND);
        self.shown += n(rule::SHOWN);
        self.blocking += n(rule::BLOCKING);
        self.cooldown += n(rule::COOLDOWN);
        self.muted += n(rule::MUTED);
        self.spacing += n(rule::SPACING);
        self.ungrounded += n(rule::UNGROUNDED);
        self.repeat += n(rule::REPEAT);
        self.outranked += n(rule::OUTRANKED);
        self.info += n(rule::INFO);
        self.quieted += n(rule::QUIETED);
        self.heeded += n(rule::HEEDED);
        self.ignored += n(rule::IGNORED);
        self.unjudged += n(rule::UNJUDGED);
        self.uptake = uptake_percent(self.heeded, self.ignored);
    }
}

/// posthook's own health over the rows counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Health {
    pub calls: u64,
    pub errors: u64,
    /// Errors by kind (only kinds that occurred).
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// Calls the deadline ended (all time: counted outside the day rows).
    pub deadline_hits: u64,
    /// The median call's duration, at most (ms; `None`: no calls).
    pub p50_ms: Option<f64>,
    /// The 99th percentile, at most (ms).
    pub p99_ms: Option<f64>,
    #[serde(skip)]
    hist: [u64; health::BUCKETS],
}

impl Health {
    fn add(&mut self, c: &Counts) {
        self.calls += u64::from(c[health::CALLS]);
        self.errors += u64::from(c[health::ERRORS]);
        for f in Fault::ALL {
            let n = u64::from(c[health::FAULTS + f as usize - 1]);
            if n > 0 {
                *self.errors_by_kind.entry(f.as_str()).or_default() += n;
            }
        }
        for (i, h) in self.hist.iter_mut().enumerate() {
            *h += u64::from(c[health::HIST + i]);
        }
        self.p50_ms = self.percentile(50);
        self.p99_ms = self.percentile(99);
    }

    /// The upper bound of the bucket holding the `p`th percentile call (the last bucket: its
    /// lower bound).
    fn percentile(&self, p: u64) -> Option<f64> {
        let i = record::percentile_bucket(&self.hist, p)?;
        let us = record::bucket_bound_us(i).unwrap_or(125 << (health::BUCKETS - 2));
        Some(us as f64 / 1000.0)
    }
}

/// One project's counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct ProjectStats {
    /// Its dir (`None`: calls outside any project, or a project no longer named in the record).
    pub project: Option<String>,
    pub calls: u64,
    pub errors: u64,
    pub found: u64,
    pub shown: u64,
    pub blocking: u64,
    pub uptake: Option<u32>,
    #[serde(skip)]
    heeded: u64,
    #[serde(skip)]
    ignored: u64,
}

/// The last error the record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LastError {
    /// When, in ms since the Unix epoch.
    pub at_ms: u64,
    pub kind: &'static str,
    pub project: Option<String>,
}

/// What `stats` shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Summary {
    /// The first day counted (days since the Unix epoch).
    pub since_day: u32,
    pub rules: Vec<RuleStats>,
    pub projects: Vec<ProjectStats>,
    pub health: Health,
    pub last_error: Option<LastError>,
    /// Rules the learned back-off quieted, per project.
    pub quieted: Vec<Quieted>,
}

/// A rule quieted in a project by the learned back-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Quieted {
    pub project: Option<String>,
    pub rule: String,
    /// `slower` (cooldowns four times as long) or `off`.
    pub level: &'static str,
    /// Messages shown, all time.
    pub shown: u64,
    /// Their uptake, all time.
    pub uptake: Option<u32>,
}

/// How to turn the learned back-off off again.
pub(crate) const UNQUIET: &str =
    "to turn it back on: POSTHOOK_LEARNED_BACKOFF=0, or \"learned_backoff\": false in .claude/posthook.json or ~/.config/posthook/config.json";

/// The rules quieted in the projects `filter` selects, with their all-time figures.
fn quieted(snap: &Snapshot, filter: &Filter) -> Vec<Quieted> {
    let mut out = Vec::new();
    let rules: Vec<&str> = posthook_analyzers::builtin::rules()
        .map(|r| r.id)
        .take(32)
        .collect();
    for (project, slower, off) in &snap.quiet {
        if filter.project.is_some_and(|p| p != *project) {
            continue;
        }
        for (i, rule) in rules.iter().enumerate() {
            let bit = 1u32 << i;
            if (slower | off) & bit == 0 || filter.rule.as_deref().is_some_and(|r| r != *rule) {
                continue;
            }
            let mut all = RuleStats::default();
            snap.rows
                .iter()
                .filter(|r| r.project == *project && r.day == record::ALL_TIME)
                .filter(|r| r.rule.as_deref() == Some(*rule))
                .for_each(|r| all.add(&r.counts));
            out.push(Quieted {
                project: snap.project_path(*project).map(str::to_string),
                rule: (*rule).to_string(),
                level: if off & bit != 0 { "off" } else { "slower" },
                shown: all.shown,
                uptake: all.uptake,
            });
        }
    }
    out
}

/// One line per quieted rule, saying how to turn it back on.
pub(crate) fn quiet_lines(q: &[Quieted]) -> Vec<String> {
    q.iter()
        .map(|q| {
            let what = if q.level == "off" {
                "off"
            } else {
                "shown with longer cooldowns"
            };
            format!(
                "{} is quieted in {} ({what}: uptake {} over {} messages shown); {UNQUIET}",
                q.rule,
                q.project.as_deref().unwrap_or("(no project)"),
                pct(q.uptake),
                q.shown
            )
        })
        .collect()
}

/// What to count.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub since_day: u32,
    pub project: Option<u64>,
    pub rule: Option<String>,
}

impl Summary {
    /// The counts of `snap`'s rows that pass `filter`, by rule (most found first) and project.
    pub(crate) fn of(snap: &Snapshot, filter: &Filter) -> Summary {
        let mut rules: BTreeMap<&str, RuleStats> = BTreeMap::new();
        let mut projects: BTreeMap<u64, ProjectStats> = BTreeMap::new();
        let mut health = Health::default();
        let rows = snap
            .rows
            .iter()
            .filter(|r| r.day >= filter.since_day && r.day != record::ALL_TIME)
            .filter(|r| filter.project.is_none_or(|p| p == r.project));
        for r in rows {
            let p = projects.entry(r.project).or_default();
            match &r.rule {
                None => {
                    p.calls += u64::from(r.counts[health::CALLS]);
                    p.errors += u64::from(r.counts[health::ERRORS]);
                    health.add(&r.counts);
                }
                Some(name) if filter.rule.as_ref().is_none_or(|f| f == name) => {
                    add_project_rule(p, &r.counts);
                    let s = rules.entry(name).or_default();
                    s.rule.clone_from(name);
                    s.add(&r.counts);
                }
                Some(_) => {}
            }
        }
        health.deadline_hits = snap.deadline_hits;
        let mut rules: Vec<RuleStats> = rules.into_values().collect();
        rules.sort_by(|a, b| b.found.cmp(&a.found).then(a.rule.cmp(&b.rule)));
        let mut projects: Vec<ProjectStats> = projects
            .into_iter()
            .map(|(h, mut p)| {
                p.project = snap.project_path(h).map(str::to_string);
                p
            })
            .collect();
        projects.sort_by_key(|p| std::cmp::Reverse(p.calls));
        Summary {
            quieted: quieted(snap, filter),
            since_day: filter.since_day,
            rules,
            projects,
            health,
            last_error: snap.last_error.map(|(at_ms, kind, p)| LastError {
                at_ms,
                kind: kind.as_str(),
                project: snap.project_path(p).map(str::to_string),
            }),
        }
    }
}

fn add_project_rule(p: &mut ProjectStats, c: &Counts) {
    p.found += u64::from(c[rule::FOUND]);
    p.shown += u64::from(c[rule::SHOWN]);
    p.blocking += u64::from(c[rule::BLOCKING]);
    p.heeded += u64::from(c[rule::HEEDED]);
    p.ignored += u64::from(c[rule::IGNORED]);
    p.uptake = uptake_percent(p.heeded, p.ignored);
}

/// The hash the record keeps `dir` under: as given, else as the canonical path, whichever the
/// record names.
fn project_key(snap: &Snapshot, dir: &Path) -> u64 {
    let given = dir.to_string_lossy();
    let given = given.trim_end_matches('/');
    let canonical = std::fs::canonicalize(dir)
        .ok()
        .map(|p| p.to_string_lossy().into_owned());
    [Some(given.to_string()), canonical]
        .into_iter()
        .flatten()
        .map(|p| record::project_hash(Some(&p)))
        .find(|h| snap.project_path(*h).is_some() || snap.rows.iter().any(|r| r.project == *h))
        .unwrap_or_else(|| record::project_hash(Some(given)))
}

/// Reads the record of the state dir `resolved` names (an empty one when there is none).
pub(crate) fn snapshot(resolved: &Resolved) -> Result<Snapshot, StatsError> {
    let dir = resolved
        .config
        .state_dir
        .clone()
        .ok_or(StatsError::NoStateDir)?;
    match record::read(&dir) {
        Ok(s) => Ok(s.unwrap_or_default()),
        Err(e) => Err(StatsError::Unreadable(dir.join(record::FILE_NAME), e)),
    }
}

/// Runs `posthook stats`.
pub(crate) fn run(args: &StatsArgs, resolved: &Resolved) -> Result<Outcome, StatsError> {
    let snap = snapshot(resolved)?;
    let today = record::day_of(SystemTime::now());
    let days = u32::try_from(args.since.as_secs().div_ceil(86_400)).unwrap_or(u32::MAX);
    let filter = Filter {
        since_day: today.saturating_sub(days.saturating_sub(1)),
        project: args.project.as_deref().map(|d| project_key(&snap, d)),
        rule: args.rule.clone(),
    };
    let summary = Summary::of(&snap, &filter);
    if args.json {
        return Ok(Outcome::text(
            serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n",
        ));
    }
    Ok(Outcome::text(to_text(&summary, days)))
}

fn pct(p: Option<u32>) -> String {
    p.map_or_else(|| "-".into(), |p| format!("{p}%"))
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v} ms"))
}

/// The health line: calls, errors by kind, deadline hits, p50/p99.
pub(crate) fn health_line(h: &Health) -> String {
    let kinds: Vec<String> = h
        .errors_by_kind
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let errors = if kinds.is_empty() {
        String::from("0 errors")
    } else {
        format!("{} errors ({})", h.errors, kinds.join(", "))
    };
    format!(
        "{} calls, {errors}, {} deadline hits (all time), p50 <= {}, p99 <= {}",
        h.calls,
        h.deadline_hits,
        ms(h.p50_ms),
        ms(h.p99_ms)
    )
}

fn to_text(s: &Summary, days: u32) -> String {
    let mut t = format!("posthook stats: the last {days} days\n\n");
    if s.rules.is_empty() {
        t.push_str("no findings recorded\n");
    } else {
        let _ = writeln!(
            t,
            "{:<20} {:>6} {:>6} {:>8} {:>7} {:>7} {:>6} {:>6} {:>8}",
            "rule",
            "found",
            "shown",
            "blocking",
            "heeded",
            "ignored",
            "uptake",
            "muted",
            "cooldown"
        );
        for r in &s.rules {
            let _ = writeln!(
                t,
                "{:<20} {:>6} {:>6} {:>8} {:>7} {:>7} {:>6} {:>6} {:>8}",
                r.rule,
                r.found,
                r.shown,
                r.blocking,
                r.heeded,
                r.ignored,
                pct(r.uptake),
                r.muted,
                r.cooldown
            );
        }
    }
    t.push('\n');
    for p in &s.projects {
        let _ = writeln!(
            t,
            "{}: {} calls, {} found, {} shown, {} blocking, uptake {}, {} errors",
            p.project.as_deref().unwrap_or("(no project)"),
            p.calls,
            p.found,
            p.shown,
            p.blocking,
            pct(p.uptake),
            p.errors
        );
    }
    for l in quiet_lines(&s.quieted) {
        let _ = writeln!(t, "{l}");
    }
    let _ = writeln!(t, "health: {}", health_line(&s.health));
    if let Some(e) = &s.last_error {
        let _ = writeln!(t, "last error: {} ({})", e.kind, ago(e.at_ms));
    }
    t.push_str(
        "uptake: posthook's own estimate of how often the agent acted on a rule's message\n",
    );
    t
}

/// How long ago `at_ms` was, in words.
pub(crate) fn ago(at_ms: u64) -> String {
    let now = unix_ms(SystemTime::now());
    let secs = now.saturating_sub(at_ms) / 1000;
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Row, COUNTERS};

    fn row(project: u64, day: u32, rule: Option<&str>, set: &[(usize, u32)]) -> Row {
        let mut counts = [0; COUNTERS];
        for (i, n) in set {
            counts[*i] = *n;
        }
        Row {
            project,
            day,
            rule: rule.map(str::to_string),
            counts,
        }
    }

    #[test]
    fn sums_rules_and_projects_within_the_filter() {
        let snap = Snapshot {
            projects: vec![(7, "/a".into())],
            rows: vec![
                row(
                    7,
                    10,
                    Some("failure-loop"),
                    &[
                        (rule::FOUND, 5),
                        (rule::SHOWN, 3),
                        (rule::HEEDED, 2),
                        (rule::IGNORED, 1),
                    ],
                ),
                row(7, 9, Some("failure-loop"), &[(rule::FOUND, 100)]),
                row(
                    8,
                    10,
                    Some("failure-loop"),
                    &[(rule::FOUND, 1), (rule::IGNORED, 1)],
                ),
                row(
                    7,
                    10,
                    None,
                    &[
                        (health::CALLS, 4),
                        (health::ERRORS, 1),
                        (health::FAULTS + 1, 1),
                        (health::HIST + 2, 3),
                        (health::HIST + 7, 1),
                    ],
                ),
            ],
            ..Snapshot::default()
        };
        let s = Summary::of(
            &snap,
            &Filter {
                since_day: 10,
                project: None,
                rule: None,
            },
        );
        assert_eq!(s.rules.len(), 1);
        let r = &s.rules[0];
        assert_eq!(
            (r.found, r.shown, r.heeded, r.ignored, r.uptake),
            (6, 3, 2, 2, Some(50))
        );
        assert_eq!(s.health.calls, 4);
        assert_eq!(s.health.errors_by_kind.get("lock"), Some(&1));
        assert_eq!((s.health.p50_ms, s.health.p99_ms), (Some(0.5), Some(16.0)));
        let s = Summary::of(
            &snap,
            &Filter {
                since_day: 10,
                project: Some(7),
                rule: None,
            },
        );
        assert_eq!(s.rules[0].uptake, Some(67));
        assert_eq!(s.projects[0].project.as_deref(), Some("/a"));
        let s = Summary::of(
            &snap,
            &Filter {
                since_day: 0,
                project: None,
                rule: Some("danger".into()),
            },
        );
        assert!(s.rules.is_empty());
    }
}
