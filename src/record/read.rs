//! Reading the whole record back, for `stats`, `statusline` and `doctor`.

use super::file::{self, RecordFile};
use super::{Counts, Fault, FILE_NAME};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// One row of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    /// The project's hash (`0`: no project).
    pub(crate) project: u64,
    /// Days since the Unix epoch.
    pub(crate) day: u32,
    /// The rule (`None`: posthook's own health).
    pub(crate) rule: Option<String>,
    pub(crate) counts: Counts,
}

/// The whole record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Calls the deadline ended, ever.
    pub(crate) deadline_hits: u64,
    /// The last error: when (ms), its kind and project hash.
    pub(crate) last_error: Option<(u64, Fault, u64)>,
    /// The last call: when (ms) and how long it took (µs).
    pub(crate) last_call: Option<(u64, u64)>,
    /// Project hashes and paths.
    pub(crate) projects: Vec<(u64, String)>,
    /// Rule rows by day (day 0: all time) and health rows by day.
    pub(crate) rows: Vec<Row>,
    /// Per project, the rules the learned back-off quieted: `(project, slower bits, off bits)`.
    pub(crate) quiet: Vec<(u64, u32, u32)>,
}

impl Snapshot {
    /// The path of a project hash, when known.
    pub(crate) fn project_path(&self, hash: u64) -> Option<&str> {
        self.projects
            .iter()
            .find(|(h, _)| *h == hash)
            .map(|(_, p)| p.as_str())
    }
}

/// Reads the record in `dir` (`None`: there is none, or it is not a record), under a shared lock.
pub(crate) fn read(dir: &Path) -> io::Result<Option<Snapshot>> {
    let f = match RecordFile::open(&dir.join(FILE_NAME), false) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let bytes = {
        let _lock = f.lock(false)?;
        if !f.is_valid()? {
            return Ok(None);
        }
        let mut b = vec![0u8; file::FILE_BYTES as usize];
        f.file.read_exact_at(&mut b, 0)?;
        b
    };
    Ok(Some(parse(&bytes)))
}

fn parse(b: &[u8]) -> Snapshot {
    let at = |o: u64| file::le64(&b[o as usize..]);
    let error_ts = at(file::AT_ERROR_TS);
    let call_ts = at(file::AT_CALL_TS);
    let projects_at = file::HEADER as usize;
    let rows_at = file::rows_at() as usize;
    Snapshot {
        deadline_hits: at(file::AT_DEADLINE),
        last_error: Fault::from_code(at(file::AT_ERROR_KIND))
            .filter(|_| error_ts != 0)
            .map(|k| (error_ts, k, at(file::AT_ERROR_PROJECT))),
        last_call: (call_ts != 0).then(|| (call_ts, at(file::AT_CALL_US))),
        projects: b[projects_at..rows_at]
            .chunks(file::PROJECT_BYTES as usize)
            .filter_map(file::parse_project)
            .collect(),
        quiet: b[rows_at..]
            .chunks(file::SLOT_BYTES as usize)
            .filter_map(file::parse_row)
            .filter(|r| r.2 == file::ROW_QUIET)
            .map(|(project, _, _, _, c)| (project, c[0], c[1]))
            .collect(),
        rows: b[rows_at..]
            .chunks(file::SLOT_BYTES as usize)
            .filter_map(file::parse_row)
            .filter(|r| r.2 != file::ROW_QUIET)
            .map(|(project, day, kind, name, counts)| Row {
                project,
                day,
                rule: (kind == file::ROW_RULE).then_some(name),
                counts,
            })
            .collect(),
    }
}
