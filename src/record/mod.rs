//! The record: what posthook did, across sessions, per project, rule and day, and its own health.
//!
//! One file of a fixed size ([`FILE_BYTES`], 272.25 KiB) in the state dir, [`FILE_NAME`]: counters
//! per project, day and rule (findings, shown, blocking, held by each verdict, and the uptake of
//! shown messages: heeded, ignored, unjudged) and per project and day for posthook itself (calls,
//! errors by kind, a histogram of call durations), plus the last call and the last error. Every
//! hook call (and every event `serve` answers) adds its counts in place under an exclusive `flock`:
//! a few `pread`s and `pwrite`s of a few KiB, no fsync, no growth. Rows of the oldest day give way
//! when their bucket is full. Nothing of a tool's output or a file's contents is kept: rule ids,
//! verdict counts, the project's path, durations and error kinds.
//!
//! `replay` and `explain` never touch it unless asked (`--record`).

mod file;
mod read;

#[cfg(test)]
use file::FILE_BYTES;
#[cfg(test)]
pub(crate) use read::Row;
pub(crate) use read::{read, Snapshot};

use crate::clock::unix_ms;
use crate::runtime::Report;
use file::RecordFile;
use posthook_analyzers::guidance::Verdict;
use posthook_analyzers::uptake::Uptake;
use posthook_analyzers::{fnv1a64, Quiet};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The record's file name in the state dir.
pub(crate) const FILE_NAME: &str = "posthook.record";

/// Counters per row.
pub(crate) const COUNTERS: usize = 22;
pub(crate) type Counts = [u32; COUNTERS];

/// Rule rows: what each counter counts.
pub(crate) mod rule {
    pub(crate) const FOUND: usize = 0;
    pub(crate) const SHOWN: usize = 1;
    pub(crate) const BLOCKING: usize = 2;
    pub(crate) const COOLDOWN: usize = 3;
    pub(crate) const MUTED: usize = 4;
    pub(crate) const SPACING: usize = 5;
    pub(crate) const UNGROUNDED: usize = 6;
    pub(crate) const REPEAT: usize = 7;
    pub(crate) const OUTRANKED: usize = 8;
    pub(crate) const INFO: usize = 9;
    pub(crate) const QUIETED: usize = 10;
    pub(crate) const HEEDED: usize = 11;
    pub(crate) const IGNORED: usize = 12;
    pub(crate) const UNJUDGED: usize = 13;
}

/// Health rows: what each counter counts.
pub(crate) mod health {
    pub(crate) const CALLS: usize = 0;
    pub(crate) const ERRORS: usize = 1;
    /// Errors of [`super::Fault`] code `k` are at `FAULTS + k - 1`.
    pub(crate) const FAULTS: usize = 2;
    /// The duration histogram: bucket `i` counts calls under `125 µs << i` (the last: the rest).
    pub(crate) const HIST: usize = 9;
    pub(crate) const BUCKETS: usize = 12;
}

/// The upper bound of histogram bucket `i`, in microseconds (`None`: the last, unbounded).
pub(crate) fn bucket_bound_us(i: usize) -> Option<u64> {
    (i + 1 < health::BUCKETS).then(|| 125u64 << i)
}

/// The histogram bucket holding the `p`th percentile call of `hist` (`None`: no calls).
pub(crate) fn percentile_bucket(hist: &[u64; health::BUCKETS], p: u64) -> Option<usize> {
    let total: u64 = hist.iter().sum();
    let want = (total * p).div_ceil(100).max(1);
    let mut seen = 0;
    hist.iter().position(|n| {
        seen += n;
        seen >= want
    })
}

fn bucket_of(d: Duration) -> usize {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    (0..health::BUCKETS - 1)
        .find(|&i| us < 125u64 << i)
        .unwrap_or(health::BUCKETS - 1)
}

/// Why posthook could not do its job on a call (the kind only, never the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The payload could not be read or understood (counted by `replay --record`; the hook leaves
    /// the state dir untouched for a payload it refuses).
    Input = 1,
    /// The session's lock was not had in time.
    Lock = 2,
    /// The session's state could not be read.
    Read = 3,
    /// The session's state could not be saved.
    Save = 4,
    /// posthook panicked.
    Panic = 5,
    /// No usable state dir.
    StateDir = 6,
}

impl Fault {
    pub(crate) const ALL: [Fault; 6] = [
        Fault::Input,
        Fault::Lock,
        Fault::Read,
        Fault::Save,
        Fault::Panic,
        Fault::StateDir,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Fault::Input => "input",
            Fault::Lock => "lock",
            Fault::Read => "state-read",
            Fault::Save => "state-save",
            Fault::Panic => "panic",
            Fault::StateDir => "state-dir",
        }
    }

    pub(crate) fn from_code(c: u64) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| *f as u64 == c)
    }
}

thread_local! {
    static FAULT: Cell<Option<Fault>> = const { Cell::new(None) };
}

/// Notes a fault of the call this thread is answering (the first one noted wins).
pub(crate) fn fault(kind: Fault) {
    FAULT.with(|f| {
        if f.get().is_none() {
            f.set(Some(kind));
        }
    });
}

/// The fault noted since the last take, cleared.
pub(crate) fn take_fault() -> Option<Fault> {
    FAULT.with(Cell::take)
}

/// A row's name: a rule's id, or posthook's own health.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RowKey {
    Rule(String),
    Health,
    /// A project's quieted rules (day 0): bit `i` of counter 0 (slower) or 1 (off) is the `i`th
    /// rule of the registry.
    Quiet,
}

impl RowKey {
    fn parts(&self) -> (u8, &str) {
        match self {
            RowKey::Rule(r) => (file::ROW_RULE, file::cut_bytes(r, file::NAME_BYTES)),
            RowKey::Health => (file::ROW_HEALTH, ""),
            RowKey::Quiet => (file::ROW_QUIET, ""),
        }
    }
}

/// One answered call, as the record counts it.
pub(crate) struct Call<'a> {
    /// The project dir (`None`: no project).
    pub(crate) project: Option<&'a str>,
    pub(crate) now: SystemTime,
    /// How long posthook took.
    pub(crate) elapsed: Duration,
    /// What the pipeline made of it (`None`: it did not run).
    pub(crate) report: Option<&'a Report>,
    pub(crate) fault: Option<Fault>,
    /// The session, to tell of a fault once (`None`: never told).
    pub(crate) session: Option<&'a str>,
}

/// The day of `t`: days since the Unix epoch (UTC).
pub(crate) fn day_of(t: SystemTime) -> u32 {
    u32::try_from(unix_ms(t) / 86_400_000).unwrap_or(u32::MAX)
}

/// The hash a project is recorded under (`0`: no project).
pub(crate) fn project_hash(project: Option<&str>) -> u64 {
    project.map_or(0, |p| fnv1a64(p.as_bytes()) | 1)
}

/// Counts of one or more calls, to be added to the record at once.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    rows: BTreeMap<(u64, u32, RowKey), Counts>,
    projects: BTreeMap<u64, (u32, String)>,
    last_call: Option<(u64, u64)>,
    last_error: Option<(u64, Fault, u64)>,
    /// The session of a fault, to tell once.
    tell: Option<(u64, Fault)>,
}

fn verdict_counter(v: &Verdict) -> usize {
    match v {
        Verdict::Shown => rule::SHOWN,
        Verdict::Cooldown { .. } => rule::COOLDOWN,
        Verdict::Muted { .. } => rule::MUTED,
        Verdict::Spacing { .. } => rule::SPACING,
        Verdict::Ungrounded { .. } => rule::UNGROUNDED,
        Verdict::Repeat => rule::REPEAT,
        Verdict::Outranked { .. } => rule::OUTRANKED,
        Verdict::Info => rule::INFO,
        Verdict::Quieted => rule::QUIETED,
    }
}

impl Tally {
    fn row(&mut self, project: u64, day: u32, key: RowKey) -> &mut Counts {
        self.rows
            .entry((project, day, key))
            .or_insert([0; COUNTERS])
    }

    /// Counts one call.
    pub(crate) fn add(&mut self, c: &Call<'_>) {
        let project = project_hash(c.project);
        let day = day_of(c.now);
        if let Some(p) = c.project {
            self.projects.insert(project, (day, p.to_string()));
        }
        let h = self.row(project, day, RowKey::Health);
        h[health::CALLS] += 1;
        h[health::HIST + bucket_of(c.elapsed)] += 1;
        if let Some(f) = c.fault {
            h[health::ERRORS] += 1;
            h[health::FAULTS + f as usize - 1] += 1;
            self.last_error = Some((unix_ms(c.now), f, project));
            self.tell = c.session.map(|s| (fnv1a64(s.as_bytes()) | 1, f));
        }
        let us = u64::try_from(c.elapsed.as_micros()).unwrap_or(u64::MAX);
        self.last_call = Some((unix_ms(c.now), us));
        let Some(r) = c.report else { return };
        for v in &r.verdicts {
            let row = self.row(project, day, RowKey::Rule(v.rule.clone()));
            row[rule::FOUND] += 1;
            row[verdict_counter(&v.verdict)] += 1;
        }
        if let Some(fb) = r.feedback.as_ref().filter(|f| f.blocking) {
            self.row(project, day, RowKey::Rule(fb.rule.clone()))[rule::BLOCKING] += 1;
        }
        for u in &r.uptake {
            let at = match u.uptake {
                Uptake::Heeded => rule::HEEDED,
                Uptake::Ignored => rule::IGNORED,
                Uptake::Unjudged => rule::UNJUDGED,
            };
            self.row(project, day, RowKey::Rule(u.rule.clone()))[at] += 1;
        }
    }

    /// Adds the counts to the record in `dir` (created when missing), under its lock. Returns the
    /// fault to tell the user of: the session's first.
    pub(crate) fn write(&self, dir: &Path) -> std::io::Result<Option<Fault>> {
        let f = RecordFile::open(&dir.join(FILE_NAME), true)?;
        let _lock = f.lock(true)?;
        if !f.is_valid()? {
            f.reset()?;
        }
        for ((project, day, key), counts) in &self.rows {
            f.add(*project, *day, key, counts)?;
            if let RowKey::Rule(r) = key {
                // All time (day 0): what the learned back-off goes by.
                let total = f.update(*project, ALL_TIME, key, |c| {
                    for (v, add) in c.iter_mut().zip(counts) {
                        *v = v.saturating_add(*add);
                    }
                })?;
                if counts[rule::HEEDED] + counts[rule::IGNORED] + counts[rule::SHOWN] > 0 {
                    note_quiet(&f, *project, r, &total)?;
                }
            }
        }
        for (hash, (day, path)) in &self.projects {
            f.note_project(*hash, *day, path)?;
        }
        if let Some((ts, us)) = self.last_call {
            f.put_u64(file::AT_CALL_TS, ts)?;
            f.put_u64(file::AT_CALL_US, us)?;
        }
        if let Some((ts, kind, project)) = self.last_error {
            f.put_u64(file::AT_ERROR_TS, ts)?;
            f.put_u64(file::AT_ERROR_KIND, kind as u64)?;
            f.put_u64(file::AT_ERROR_PROJECT, project)?;
        }
        match self.tell {
            Some((session, fault)) if f.first_told(session)? => Ok(Some(fault)),
            _ => Ok(None),
        }
    }
}

/// The day of the all-time rows.
pub(crate) const ALL_TIME: u32 = 0;

/// The registry index of a built-in rule, its bit in the quiet row.
fn rule_bit(rule: &str) -> Option<u32> {
    posthook_analyzers::builtin::rules()
        .position(|r| r.id == rule)
        .filter(|&i| i < 32)
        .map(|i| 1u32 << i)
}

/// Sets the project's quiet bits of `rule` from its all-time counts.
fn note_quiet(f: &RecordFile, project: u64, rule: &str, total: &Counts) -> std::io::Result<()> {
    let Some(bit) = rule_bit(rule) else {
        return Ok(());
    };
    let n = |i: usize| u64::from(total[i]);
    let level = Quiet::level(rule, n(rule::SHOWN), n(rule::HEEDED), n(rule::IGNORED));
    let want = [level.is_some(), level == Some(Quiet::Off)];
    let has = f
        .get(project, ALL_TIME, &RowKey::Quiet)?
        .unwrap_or([0; COUNTERS]);
    if want == [has[0] & bit != 0, has[1] & bit != 0] {
        return Ok(());
    }
    f.update(project, ALL_TIME, &RowKey::Quiet, |c| {
        for (i, on) in want.into_iter().enumerate() {
            c[i] = if on { c[i] | bit } else { c[i] & !bit };
        }
    })
    .map(drop)
}

/// The rules quieted in `project` by the learned back-off, from the record in `dir` (none when
/// there is no record).
pub(crate) fn quieted(dir: Option<&Path>, project: Option<&str>) -> BTreeMap<String, Quiet> {
    let mut out = BTreeMap::new();
    let Some(dir) = dir else { return out };
    let Ok(f) = RecordFile::open(&dir.join(FILE_NAME), false) else {
        return out;
    };
    let Ok(_lock) = f.lock(false) else { return out };
    if !f.is_valid().unwrap_or(false) {
        return out;
    }
    let project = project_hash(project);
    let Ok(Some(c)) = f.get(project, ALL_TIME, &RowKey::Quiet) else {
        return out;
    };
    for (i, r) in posthook_analyzers::builtin::rules().enumerate().take(32) {
        let bit = 1u32 << i;
        if c[1] & bit != 0 {
            out.insert(r.id.to_string(), Quiet::Off);
        } else if c[0] & bit != 0 {
            out.insert(r.id.to_string(), Quiet::Slower);
        }
    }
    out
}

/// Adds one call to the record in `dir` (nothing without a state dir). A record that cannot be
/// written is logged, never an error of the call.
pub(crate) fn note(dir: Option<&Path>, call: &Call<'_>) -> Option<Fault> {
    let dir = dir?;
    let mut t = Tally::default();
    t.add(call);
    t.write_logged(dir)
}

impl Tally {
    /// [`Tally::write`] into a state dir that is created (0700) when missing and used only when
    /// trusted (as the store's); a failure is logged.
    pub(crate) fn write_logged(&self, dir: &Path) -> Option<Fault> {
        use std::os::unix::fs::DirBuilderExt;
        // A record kept open for the call was created in a trusted dir when it was opened.
        if !RecordFile::is_kept(&dir.join(FILE_NAME)) {
            if !dir.exists() {
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir);
            }
            if crate::store::Store::new(dir).check_trusted().is_err() {
                return None;
            }
        }
        self.write(dir)
            .map_err(|e| tracing::warn!(error = %e, "record not written"))
            .ok()
            .flatten()
    }
}

impl From<&crate::store::StoreError> for Fault {
    fn from(e: &crate::store::StoreError) -> Fault {
        use crate::store::StoreErrorKind as K;
        match e.kind {
            K::Dir | K::Untrusted => Fault::StateDir,
            K::Lock | K::LockTimeout => Fault::Lock,
            K::Read => Fault::Read,
            K::Write => Fault::Save,
        }
    }
}

/// Notes a store error as the call's fault.
pub(crate) fn store_fault(e: &crate::store::StoreError) {
    fault(Fault::from(e));
}

/// Records one answered call of the hook or of `serve` (`report`: `None` when the pipeline did not
/// run), with the fault noted meanwhile on this thread, if any. `started`: when posthook began on it.
/// Returns the fault to tell the user of: the first of `session` (`None`: never told).
///
/// With `pending` (a long-lived process that writes the record behind), the call is added there
/// for the caller's flusher to write ([`Pending::flush`]); a call with a fault is written at once
/// all the same, since whether to tell of the fault depends on what the record says.
pub(crate) fn answered(
    opts: &crate::hook::HookOptions,
    now: SystemTime,
    started: std::time::Instant,
    report: Option<&Report>,
    session: Option<&str>,
    pending: Option<&Pending>,
) -> Option<Fault> {
    let fault = take_fault();
    let call = Call {
        project: opts.project_dir.as_deref(),
        now,
        elapsed: started.elapsed(),
        report,
        fault,
        session,
    };
    match (pending, opts.state_dir.as_deref()) {
        (Some(p), Some(dir)) if fault.is_none() => {
            p.add(dir, &call);
            None
        }
        (_, dir) => note(dir, &call),
    }
}

/// Calls answered but not written to the record yet, by state dir.
#[derive(Debug, Default)]
pub(crate) struct Pending(std::sync::Mutex<BTreeMap<std::path::PathBuf, Tally>>);

impl Pending {
    fn add(&self, dir: &Path, call: &Call<'_>) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(dir.to_path_buf())
            .or_default()
            .add(call);
    }

    /// Writes what is pending (a record that cannot be written is logged).
    pub(crate) fn flush(&self) {
        let taken = std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for (dir, tally) in taken {
            let _ = tally.write_logged(&dir);
        }
    }
}

/// Opens the record in `dir` (when the dir exists and is trusted) for the rest of the hook process:
/// for the deadline timer, which counts a hit there if it ends the process
/// ([`crate::alarm::count_to`]), and for the call's own reading and writing of the record.
pub(crate) fn count_deadline_hits(dir: Option<&Path>) {
    use std::os::fd::AsRawFd;
    let Some(dir) = dir.filter(|d| d.is_dir()) else {
        return;
    };
    if crate::store::Store::new(dir).check_trusted().is_err() {
        return;
    }
    if let Ok(f) = RecordFile::keep_open(&dir.join(FILE_NAME)) {
        // The handle is kept for the process (see `keep_open`): the descriptor stays valid.
        crate::alarm::count_to(crate::alarm::Counter {
            fd: f.file.as_raw_fd(),
            magic: *file::MAGIC,
            at: file::AT_DEADLINE as i64,
        });
    }
}

/// Records a call that panicked (the answer is none: exit 0, nothing printed).
pub(crate) fn panicked(
    opts: &crate::hook::HookOptions,
    started: std::time::Instant,
) -> crate::output::Rendered {
    take_fault();
    fault(Fault::Panic);
    answered(opts, SystemTime::now(), started, None, None, None);
    crate::output::Rendered::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::guidance::RuleVerdict;
    use posthook_analyzers::uptake::Resolved;

    fn report(rule: &str, verdict: Verdict, uptake: Option<Uptake>) -> Report {
        Report {
            notice: None,
            feedback: None,
            silence: None,
            findings: Vec::new(),
            verdicts: vec![RuleVerdict {
                rule: rule.into(),
                subject: String::new(),
                verdict,
            }],
            timings: Default::default(),
            events_total: 1,
            uptake: uptake
                .map(|u| Resolved {
                    rule: rule.into(),
                    uptake: u,
                })
                .into_iter()
                .collect(),
        }
    }

    fn call<'a>(project: &'a str, day: u64, r: &'a Report, us: u64) -> Call<'a> {
        Call {
            project: Some(project),
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(day * 86_400 + 60),
            elapsed: Duration::from_micros(us),
            report: Some(r),
            fault: None,
            session: None,
        }
    }

    fn rule_row<'a>(s: &'a Snapshot, rule: &str) -> Vec<&'a Row> {
        s.rows
            .iter()
            .filter(|r| r.rule.as_deref() == Some(rule))
            .collect()
    }

    #[test]
    fn percentiles_fall_in_their_bucket() {
        let mut hist = [0u64; health::BUCKETS];
        assert_eq!(percentile_bucket(&hist, 50), None, "no calls");
        hist[1] = 1;
        hist[3] = 1;
        hist[health::BUCKETS - 1] = 2;
        assert_eq!(percentile_bucket(&hist, 50), Some(3), "the second of four");
        assert_eq!(percentile_bucket(&hist, 25), Some(1));
        assert_eq!(percentile_bucket(&hist, 99), Some(health::BUCKETS - 1));
    }

    #[test]
    fn counts_add_up_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shown = report("failure-loop", Verdict::Shown, Some(Uptake::Ignored));
        let held = report("failure-loop", Verdict::Muted { ignored: 3 }, None);
        for (r, us) in [(&shown, 900), (&held, 3000), (&shown, 100)] {
            let mut t = Tally::default();
            t.add(&call("/p", 20_000, r, us));
            t.write(dir.path()).expect("write");
        }
        let s = read(dir.path()).expect("read").expect("a record");
        let rows: Vec<&Row> = rule_row(&s, "failure-loop")
            .into_iter()
            .filter(|r| r.day != ALL_TIME)
            .collect();
        assert_eq!(rows.len(), 1);
        let c = rows[0].counts;
        assert_eq!(
            (
                c[rule::FOUND],
                c[rule::SHOWN],
                c[rule::MUTED],
                c[rule::IGNORED]
            ),
            (3, 2, 1, 2)
        );
        let h = s.rows.iter().find(|r| r.rule.is_none()).expect("health");
        assert_eq!(h.counts[health::CALLS], 3);
        assert_eq!(h.counts[health::HIST], 1, "100 µs");
        assert_eq!(h.counts[health::HIST + 3], 1, "900 µs: under 1 ms");
        assert_eq!(h.counts[health::HIST + 5], 1, "3 ms: under 4 ms");
        assert_eq!(s.project_path(rows[0].project), Some("/p"));
        assert_eq!(s.last_call, Some((20_000 * 86_400_000 + 60_000, 100)));
        assert_eq!(
            std::fs::metadata(dir.path().join(FILE_NAME))
                .expect("meta")
                .len(),
            FILE_BYTES
        );
    }

    #[test]
    fn stays_fixed_size_after_100k_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let reports: Vec<Report> = (0..40)
            .map(|i| report(&format!("rule-{i}"), Verdict::Shown, Some(Uptake::Heeded)))
            .collect();
        // 50 days of 2,000 events, each day in 5 projects of its own with 40 rules: 10,250 rows
        // for 2,048 slots and 250 projects for 64 entries, so buckets fill and give way.
        for chunk in 0..100u64 {
            let mut t = Tally::default();
            for i in 0..1_000u64 {
                let n = chunk * 1_000 + i;
                let r = &reports[(n % 40) as usize];
                let p = &format!("/project/{}", (n / 2_000) * 5 + n % 5);
                t.add(&call(p, 20_000 + n / 2_000, r, n % 5_000));
            }
            t.write(dir.path()).expect("write");
            assert_eq!(std::fs::metadata(&path).expect("meta").len(), FILE_BYTES);
        }
        let s = read(dir.path()).expect("read").expect("a record");
        assert!(s.rows.len() <= 2048);
        let newest = s.rows.iter().map(|r| r.day).max();
        assert_eq!(
            newest,
            Some(20_000 + 99_999 / 2_000),
            "the newest day is kept"
        );
        let calls: u32 = s
            .rows
            .iter()
            .filter(|r| r.rule.is_none() && r.day == 20_049)
            .map(|r| r.counts[health::CALLS])
            .sum();
        assert_eq!(calls, 2_000, "the newest day lost nothing");
        assert!(s.projects.len() <= 64);
        let newest_projects = (245..250).map(|i| format!("/project/{i}"));
        for p in newest_projects {
            assert!(s.projects.iter().any(|(_, q)| *q == p), "{p} is named");
        }
    }

    #[test]
    fn written_behind_calls_reach_the_record_at_the_flush_and_a_fault_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = crate::hook::HookOptions {
            state_dir: Some(dir.path().to_path_buf()),
            project_dir: Some(String::from("/p")),
            ..Default::default()
        };
        let r = report("tool-misuse", Verdict::Shown, None);
        let pending = Pending::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(20_000 * 86_400);
        for _ in 0..3 {
            let started = std::time::Instant::now();
            assert_eq!(
                answered(&opts, now, started, Some(&r), None, Some(&pending)),
                None
            );
        }
        assert!(
            read(dir.path()).expect("read").is_none(),
            "nothing written before the flush"
        );
        pending.flush();
        let s = read(dir.path()).expect("read").expect("a record");
        let calls = |s: &Snapshot| {
            s.rows
                .iter()
                .find(|r| r.rule.is_none() && r.day != ALL_TIME)
                .map(|h| h.counts[health::CALLS])
        };
        assert_eq!(calls(&s), Some(3));
        // A call with a fault is written at once: telling of it depends on the record.
        FAULT.with(|f| f.set(Some(Fault::Save)));
        let started = std::time::Instant::now();
        let _ = answered(&opts, now, started, Some(&r), Some("s1"), Some(&pending));
        let s = read(dir.path()).expect("read").expect("a record");
        assert_eq!(calls(&s), Some(4));
        pending.flush();
        assert_eq!(
            calls(&read(dir.path()).expect("read").expect("a record")),
            Some(4)
        );
    }

    #[test]
    fn concurrent_writers_lose_no_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = report("tool-misuse", Verdict::Shown, None);
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let mut t = Tally::default();
                        t.add(&call("/p", 20_000, &r, 500));
                        t.write(dir.path()).expect("write");
                    }
                });
            }
        });
        let s = read(dir.path()).expect("read").expect("a record");
        for r in rule_row(&s, "tool-misuse") {
            assert_eq!(r.counts[rule::SHOWN], 800, "day {}", r.day);
        }
    }

    #[test]
    fn a_rule_rarely_heeded_is_quieted_then_off_never_a_critical_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let quiet = || quieted(Some(dir.path()), Some("/p"));
        let day = Cell::new(20_000);
        let shown = |rule: &str, u: Uptake, times: usize| {
            let r = report(rule, Verdict::Shown, Some(u));
            for _ in 0..times {
                // Days apart: the back-off goes by all time, not by day.
                day.set(day.get() + 1);
                let mut t = Tally::default();
                t.add(&call("/p", day.get(), &r, 10));
                t.write(dir.path()).expect("write");
            }
        };
        assert!(quiet().is_empty(), "no record yet");
        shown("tool-misuse", Uptake::Heeded, 1);
        shown("tool-misuse", Uptake::Ignored, 2);
        shown("danger", Uptake::Ignored, 6);
        assert!(quiet().is_empty(), "3 shown");
        shown("tool-misuse", Uptake::Ignored, 3);
        // 6 shown, 1 of 6 heeded.
        assert_eq!(quiet().get("tool-misuse"), Some(&Quiet::Slower));
        assert_eq!(
            quiet().get("danger"),
            None,
            "a critical rule is never quieted"
        );
        shown("tool-misuse", Uptake::Ignored, 6);
        assert_eq!(quiet().get("tool-misuse"), Some(&Quiet::Off));
        assert!(
            quieted(Some(dir.path()), Some("/other")).is_empty(),
            "per project"
        );
        shown("tool-misuse", Uptake::Heeded, 20);
        assert!(quiet().is_empty(), "heeded again: back on");
    }

    #[test]
    fn a_file_that_is_not_a_record_is_replaced_not_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"not a record").expect("write");
        assert_eq!(read(dir.path()).expect("read"), None);
        let r = report("danger", Verdict::Shown, None);
        let mut t = Tally::default();
        t.add(&call("/p", 20_000, &r, 1));
        t.write(dir.path()).expect("write");
        let s = read(dir.path()).expect("read").expect("a record");
        assert_eq!(rule_row(&s, "danger")[0].counts[rule::SHOWN], 1);
        std::fs::remove_file(&path).expect("rm");
        std::os::unix::fs::symlink("/etc/passwd", &path).expect("symlink");
        assert!(
            t.write(dir.path()).is_err(),
            "a planted symlink is not followed"
        );
    }
}
