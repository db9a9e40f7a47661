//! The record's bytes: one file of a fixed size, read and written in place under `flock`.
//!
//! ```text
//! 0        header (256 B): magic, deadline hits, last error, last call
//! 256      projects (64 x 256 B): hash, last day seen, path (cut to 240 bytes)
//! 16640    rows (2048 x 128 B) in buckets of 16: project, day, row name, 22 u32 counters
//! 278784   end
//! ```
//!
//! A row lives in the bucket its key hashes to; a full bucket gives up its oldest row. A call
//! reads the buckets it changes (2 KiB each) and writes back the rows it changed (128 B each): no
//! fsync, no growth, never more than [`FILE_BYTES`]. Everything little-endian.

use super::{Counts, RowKey, COUNTERS};
use posthook_analyzers::{floor_boundary, Fnv};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

pub(super) const MAGIC: &[u8; 8] = b"PHREC\x00\x00\x01";
pub(super) const HEADER: u64 = 256;
pub(super) const PROJECTS: u64 = 64;
pub(super) const PROJECT_BYTES: u64 = 256;
pub(super) const PROJECT_WAYS: u64 = 4;
pub(super) const MAX_PROJECT_PATH: usize = 240;
pub(super) const SLOTS: u64 = 2048;
pub(super) const SLOT_BYTES: u64 = 128;
pub(super) const BUCKET: u64 = 16;
pub(super) const NAME_BYTES: usize = 24;
const ROWS_AT: u64 = HEADER + PROJECTS * PROJECT_BYTES;
/// The record's size, always.
pub(crate) const FILE_BYTES: u64 = ROWS_AT + SLOTS * SLOT_BYTES;

/// Header offsets.
pub(super) const AT_DEADLINE: u64 = 8;
pub(super) const AT_ERROR_TS: u64 = 16;
pub(super) const AT_ERROR_KIND: u64 = 24;
pub(super) const AT_ERROR_PROJECT: u64 = 32;
pub(super) const AT_CALL_TS: u64 = 40;
pub(super) const AT_CALL_US: u64 = 48;
/// The next slot of the ring of sessions told of a fault, then the ring (8 session hashes).
pub(super) const AT_TOLD_NEXT: u64 = 56;
pub(super) const AT_TOLD: u64 = 64;
pub(super) const TOLD_SLOTS: u64 = 8;

/// Row kinds.
pub(super) const ROW_RULE: u8 = 1;
pub(super) const ROW_HEALTH: u8 = 2;
pub(super) const ROW_QUIET: u8 = 3;

/// The record file, opened (created when asked) without following a symlink, a regular file of
/// the current user only.
pub(super) struct RecordFile {
    pub(super) file: std::sync::Arc<File>,
}

/// The record a hook process opened for the whole call (see [`RecordFile::keep_open`]): its path
/// and its handle, which every later use in the process shares instead of opening and checking
/// the file again.
static KEPT: std::sync::OnceLock<(std::path::PathBuf, std::sync::Arc<File>)> =
    std::sync::OnceLock::new();

/// One bucket's bytes.
type Bucket = [u8; (BUCKET * SLOT_BYTES) as usize];

/// Holds the record's lock; released when dropped.
pub(super) struct Locked<'a>(&'a File);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}

impl RecordFile {
    pub(super) fn open(path: &Path, create: bool) -> io::Result<RecordFile> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        if let Some((_, file)) = KEPT.get().filter(|(p, _)| p == path) {
            return Ok(RecordFile { file: file.clone() });
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(create)
            .create(create)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)?;
        let m = file.metadata()?;
        if !m.file_type().is_file() || m.uid() != rustix::process::geteuid().as_raw() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "not a regular file of the current user",
            ));
        }
        Ok(RecordFile {
            file: std::sync::Arc::new(file),
        })
    }

    /// Opens (creating) the record at `path` for the rest of the process: a hook process, which
    /// answers one call, reads and writes the record through this one handle (one open and one
    /// check of the file instead of three). Returns the handle.
    pub(super) fn keep_open(path: &Path) -> io::Result<RecordFile> {
        let f = RecordFile::open(path, true)?;
        let _ = KEPT.set((path.to_path_buf(), f.file.clone()));
        Ok(f)
    }

    /// Whether this process keeps the record at `path` open (its directory was checked then).
    pub(super) fn is_kept(path: &Path) -> bool {
        KEPT.get().is_some_and(|(p, _)| p == path)
    }

    pub(super) fn lock(&self, exclusive: bool) -> io::Result<Locked<'_>> {
        use rustix::fs::FlockOperation as Op;
        let op = if exclusive {
            Op::LockExclusive
        } else {
            Op::LockShared
        };
        rustix::fs::flock(&self.file, op)?;
        Ok(Locked(&self.file))
    }

    /// Whether the file is a record: its size and magic.
    pub(super) fn is_valid(&self) -> io::Result<bool> {
        if self.file.metadata()?.len() != FILE_BYTES {
            return Ok(false);
        }
        let mut magic = [0u8; 8];
        self.file.read_exact_at(&mut magic, 0)?;
        Ok(&magic == MAGIC)
    }

    /// Makes the file an empty record (under the exclusive lock): anything else there is lost.
    pub(super) fn reset(&self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.set_len(FILE_BYTES)?;
        self.file.write_all_at(MAGIC, 0)
    }

    pub(super) fn put_u64(&self, at: u64, v: u64) -> io::Result<()> {
        self.file.write_all_at(&v.to_le_bytes(), at)
    }

    pub(super) fn get_u64(&self, at: u64) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.file.read_exact_at(&mut b, at)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Whether `session` was not told of a fault yet (one of the last [`TOLD_SLOTS`] told); it
    /// counts as told from now on.
    pub(super) fn first_told(&self, session: u64) -> io::Result<bool> {
        let mut ring = [0u8; (TOLD_SLOTS * 8) as usize];
        self.file.read_exact_at(&mut ring, AT_TOLD)?;
        if ring.chunks(8).any(|c| le64(c) == session) {
            return Ok(false);
        }
        let next = self.get_u64(AT_TOLD_NEXT)? % TOLD_SLOTS;
        self.put_u64(AT_TOLD + next * 8, session)?;
        self.put_u64(AT_TOLD_NEXT, next + 1)?;
        Ok(true)
    }

    /// Adds `counts` to the row of `key` for `project` on `day`, taking a slot when it has none.
    pub(super) fn add(
        &self,
        project: u64,
        day: u32,
        key: &RowKey,
        counts: &Counts,
    ) -> io::Result<()> {
        self.update(project, day, key, |c| {
            for (v, add) in c.iter_mut().zip(counts) {
                *v = v.saturating_add(*add);
            }
        })
        .map(drop)
    }

    /// The row of `key` for `project` on `day`, when there is one.
    pub(super) fn get(&self, project: u64, day: u32, key: &RowKey) -> io::Result<Option<Counts>> {
        let (kind, name) = key.parts();
        let (_, buf) = self.bucket(project, day, kind, name)?;
        Ok(buf
            .chunks(SLOT_BYTES as usize)
            .find(|s| row_is(s, project, day, kind, name))
            .and_then(parse_row)
            .map(|r| r.4))
    }

    /// The bucket of a row: its offset and bytes (on the stack: a 2 KiB heap buffer would cost
    /// the allocator more than the read).
    fn bucket(&self, project: u64, day: u32, kind: u8, name: &str) -> io::Result<(u64, Bucket)> {
        let bucket = row_hash(project, day, kind, name) % (SLOTS / BUCKET);
        let at = ROWS_AT + bucket * BUCKET * SLOT_BYTES;
        let mut buf = [0u8; (BUCKET * SLOT_BYTES) as usize];
        self.file.read_exact_at(&mut buf, at)?;
        Ok((at, buf))
    }

    /// Changes the row of `key` for `project` on `day` with `f` (a new row starts at zero, in a
    /// free slot or the oldest day's) and returns its counts.
    pub(super) fn update(
        &self,
        project: u64,
        day: u32,
        key: &RowKey,
        f: impl FnOnce(&mut Counts),
    ) -> io::Result<Counts> {
        let (kind, name) = key.parts();
        let (at, buf) = self.bucket(project, day, kind, name)?;
        let slots: Vec<&[u8]> = buf.chunks(SLOT_BYTES as usize).collect();
        let i = slots
            .iter()
            .position(|s| row_is(s, project, day, kind, name))
            .or_else(|| slots.iter().position(|s| s[12] == 0))
            .unwrap_or_else(|| oldest(&slots));
        let mut slot = [0u8; SLOT_BYTES as usize];
        if row_is(slots[i], project, day, kind, name) {
            slot.copy_from_slice(slots[i]);
        } else {
            write_key(&mut slot, project, day, kind, name);
        }
        let mut counts = [0u32; COUNTERS];
        for (n, c) in counts.iter_mut().enumerate() {
            *c = le32(&slot[40 + n * 4..]);
        }
        f(&mut counts);
        for (n, c) in counts.iter().enumerate() {
            slot[40 + n * 4..44 + n * 4].copy_from_slice(&c.to_le_bytes());
        }
        self.file.write_all_at(&slot, at + i as u64 * SLOT_BYTES)?;
        Ok(counts)
    }

    /// Notes the project's path, when its entry is missing or from an earlier day.
    pub(super) fn note_project(&self, project: u64, day: u32, path: &str) -> io::Result<()> {
        let set = project % (PROJECTS / PROJECT_WAYS);
        let at = HEADER + set * PROJECT_WAYS * PROJECT_BYTES;
        let mut buf = [0u8; (PROJECT_WAYS * PROJECT_BYTES) as usize];
        self.file.read_exact_at(&mut buf, at)?;
        let ways: Vec<&[u8]> = buf.chunks(PROJECT_BYTES as usize).collect();
        let hash = |w: &[u8]| le64(&w[0..8]);
        let seen = |w: &[u8]| le32(&w[8..12]);
        let i = match ways.iter().position(|w| hash(w) == project) {
            Some(i) if seen(ways[i]) == day => return Ok(()),
            Some(i) => i,
            None => (0..ways.len())
                .min_by_key(|&i| seen(ways[i]))
                .unwrap_or_default(),
        };
        let mut entry = [0u8; PROJECT_BYTES as usize];
        let path = cut_bytes(path, MAX_PROJECT_PATH);
        entry[0..8].copy_from_slice(&project.to_le_bytes());
        entry[8..12].copy_from_slice(&day.to_le_bytes());
        entry[12..14].copy_from_slice(&(path.len() as u16).to_le_bytes());
        entry[16..16 + path.len()].copy_from_slice(path.as_bytes());
        self.file
            .write_all_at(&entry, at + i as u64 * PROJECT_BYTES)
    }
}

fn hash_fn(w: &[u8]) -> (u64, u32) {
    (le64(&w[0..8]), le32(&w[8..12]))
}

pub(super) fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
}

pub(super) fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap_or_default())
}

/// `s` cut to at most `max` bytes, on a character boundary.
pub(super) fn cut_bytes(s: &str, max: usize) -> &str {
    &s[..floor_boundary(s, max)]
}

/// FNV-1a over the row's key: the project's hash and the day (little-endian), the kind, the name.
/// Persisted (it places a row in the file): the bytes hashed never change.
fn row_hash(project: u64, day: u32, kind: u8, name: &str) -> u64 {
    Fnv::new()
        .bytes(&project.to_le_bytes())
        .bytes(&day.to_le_bytes())
        .byte(kind)
        .bytes(name.as_bytes())
        .finish()
}

fn row_is(slot: &[u8], project: u64, day: u32, kind: u8, name: &str) -> bool {
    let len = usize::from(slot[13]).min(NAME_BYTES);
    slot[12] == kind
        && le64(&slot[0..8]) == project
        && le32(&slot[8..12]) == day
        && &slot[16..16 + len] == name.as_bytes()
}

fn write_key(slot: &mut [u8], project: u64, day: u32, kind: u8, name: &str) {
    slot[0..8].copy_from_slice(&project.to_le_bytes());
    slot[8..12].copy_from_slice(&day.to_le_bytes());
    slot[12] = kind;
    slot[13] = name.len() as u8;
    slot[16..16 + name.len()].copy_from_slice(name.as_bytes());
}

/// The slot of the oldest day: the one a full bucket gives up.
fn oldest(slots: &[&[u8]]) -> usize {
    (0..slots.len())
        .min_by_key(|&i| hash_fn(slots[i]).1)
        .unwrap_or_default()
}

/// One row as read back.
pub(super) fn parse_row(slot: &[u8]) -> Option<(u64, u32, u8, String, Counts)> {
    let kind = slot[12];
    if kind == 0 {
        return None;
    }
    let len = usize::from(slot[13]).min(NAME_BYTES);
    let name = String::from_utf8_lossy(&slot[16..16 + len]).into_owned();
    let mut counts = [0u32; COUNTERS];
    for (n, c) in counts.iter_mut().enumerate() {
        *c = le32(&slot[40 + n * 4..]);
    }
    Some((le64(&slot[0..8]), le32(&slot[8..12]), kind, name, counts))
}

/// One project entry as read back.
pub(super) fn parse_project(entry: &[u8]) -> Option<(u64, String)> {
    let hash = le64(&entry[0..8]);
    let len = usize::from(u16::from_le_bytes([entry[12], entry[13]])).min(MAX_PROJECT_PATH);
    (hash != 0 || len != 0).then(|| {
        (
            hash,
            String::from_utf8_lossy(&entry[16..16 + len]).into_owned(),
        )
    })
}

/// Where the rows and the projects start.
pub(super) const fn rows_at() -> u64 {
    ROWS_AT
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's hash places it in the file: the same key must hash to the same value in every
    /// version, or a new binary would not find the rows an older one wrote.
    #[test]
    fn row_hashes_are_pinned() {
        assert_eq!(
            row_hash(0x1234_5678_9abc_def1, 20_000, 2, "Bash"),
            0x36e7_6d4d_c240_270a
        );
        assert_eq!(row_hash(0, 0, 0, ""), 0x7c96_179f_62da_e92f);
        assert_eq!(
            row_hash(u64::MAX, u32::MAX, 255, "exec-safety é"),
            0x3e04_7cc1_679c_3afc
        );
    }
}
