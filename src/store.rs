//! Per-session history on disk.
//!
//! One file per session under the state dir (`<id>.json`; its bytes: [`crate::state_codec`]),
//! guarded by a lock file beside it. An update takes the lock (bounded wait), reads the state, lets
//! the caller change it, writes a temporary file and renames it over the old one, then releases the
//! lock. So parallel hook processes of one session
//! never lose each other's events, and a process killed at any point leaves either the old or the
//! new state, never a torn one. Writes are not fsynced by default (a crash of the machine itself may
//! lose the last events); set `POSTHOOK_FSYNC=1` to trade ~1 ms per call for that.
//!
//! Safety: a session id never names a path outside the state dir (ids that are not plain
//! `[A-Za-z0-9_-]{1,64}` are replaced by a hash); files are created 0600 in a 0700 dir and opened
//! with `O_NOFOLLOW`, so a planted symlink is never followed to write elsewhere. State that does not
//! parse (truncated, garbage, a future format version) is renamed aside and replaced.
//!
//! Trust: whatever sits in the state dir is untrusted input. The dir is used only when it is owned
//! by the current user and not writable by group or others (as ssh treats `~/.ssh`); otherwise the
//! call runs without history and says why ([`StoreErrorKind::Untrusted`]). Every file is opened
//! without blocking and without following a final symlink, and is read only when `fstat` shows a
//! regular file of ours no larger than [`MAX_STATE_BYTES`]: a FIFO, a device, a directory or an
//! 8 GiB file at a state path is set aside unread. A loaded history is cut to its caps
//! ([`trim_history`]). The sweep deletes only files posthook wrote: its own name pattern, regular,
//! owned by the current user, and (for state) posthook's format marker inside; anything else is
//! left alone and counted ([`Store::survey`]).

use posthook_analyzers::{fnv1a64, History};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The state file format version this build writes (see [`crate::state_codec`]).
pub const FORMAT_VERSION: u32 = crate::state_codec::BINARY_VERSION;
/// Sessions untouched for this long are deleted: 7 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a hook waits for another process holding the session's lock: 2 s.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
use crate::state_codec::FORMAT_NAME;
/// State files larger than this are set aside unread: 4 MiB. The largest history the caps allow
/// (17 streams of 64 facts with 512-character paths, 512 file hashes, 256 tool counters) is about
/// 1 MiB; a real one is a few KiB.
pub const MAX_STATE_BYTES: u64 = 4 * 1024 * 1024;
/// Session ids are stored cut to this many characters (the file name is a hash past 64 anyway).
pub const MAX_SESSION_ID_CHARS: usize = 128;
/// Per-tool counters kept on load; past it, the least used tools are dropped.
pub const PER_TOOL_CAPACITY: usize = posthook_analyzers::PER_TOOL_CAPACITY;
/// A temporary file this old is a leftover of a killed writer (a writer holds it for microseconds,
/// and the hook's deadline ends every process within seconds).
const STALE_TMP: Duration = Duration::from_secs(60);
/// A lock file with no state beside it, this old and not held, is an orphan of a killed process.
const ORPHAN_LOCK: Duration = Duration::from_secs(60);

/// What went wrong in the store, with the path involved.
#[derive(Debug)]
pub struct StoreError {
    /// What the store was doing.
    pub kind: StoreErrorKind,
    /// The file or dir involved.
    pub path: PathBuf,
    /// The underlying error, if any.
    pub source: Option<io::Error>,
}

/// The kinds of [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// Creating or checking the state dir.
    Dir,
    /// Opening or taking the session lock.
    Lock,
    /// Gave up waiting for the lock.
    LockTimeout,
    /// Reading the state file.
    Read,
    /// Writing or replacing the state file.
    Write,
    /// The state dir is not safe to use (another user's, or writable by group or others).
    Untrusted,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::Dir => "preparing state dir",
            StoreErrorKind::Lock => "locking session state",
            StoreErrorKind::LockTimeout => "gave up waiting for the lock of session state",
            StoreErrorKind::Read => "reading session state",
            StoreErrorKind::Write => "writing session state",
            StoreErrorKind::Untrusted => "not using state dir",
        };
        write!(f, "{what} '{}'", self.path.display())?;
        if let Some(e) = &self.source {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

fn err(kind: StoreErrorKind, path: &Path, source: Option<io::Error>) -> StoreError {
    StoreError {
        kind,
        path: path.to_path_buf(),
        source,
    }
}

/// A session's stored state, as `session show` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// The session id as Claude Code sent it.
    pub session_id: String,
    /// The state file.
    pub path: PathBuf,
    /// The history.
    pub history: History,
}

/// The result of [`Store::update`] when the caller's closure ran.
#[derive(Debug)]
pub struct Updated<R> {
    /// What the closure returned.
    pub value: R,
    /// Set when the new state could not be saved (the closure's result is still valid).
    pub save_error: Option<StoreError>,
    /// Set when the old state was unreadable and was moved to this path.
    pub set_aside: Option<PathBuf>,
}

/// The version of a state file: its inode, size and modification time. Every write replaces the
/// file with a new one, so a changed stamp means someone wrote the session since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl Stamp {
    fn of(m: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
}

/// A history read by [`Store::load_stamped`].
#[derive(Debug)]
pub struct Loaded {
    /// The history (empty when there was none, or it was unreadable).
    pub history: History,
    /// The version read (`None`: no file).
    pub stamp: Option<Stamp>,
    /// Set when the old state was unreadable and was moved to this path.
    pub set_aside: Option<PathBuf>,
}

/// The result of [`Store::save_stamped`].
#[derive(Debug, Clone, Copy)]
pub struct Saved {
    /// The version now on disk.
    pub stamp: Option<Stamp>,
    /// The file on disk was not the version expected: another writer's events were replaced.
    pub conflict: bool,
}

/// The session store.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    lock_timeout: Duration,
    ttl: Duration,
    fsync: bool,
}

/// Where state lives by default: `$POSTHOOK_STATE_DIR`, else `$XDG_STATE_HOME/posthook`, else
/// `~/.local/state/posthook`. `env` looks variables up (pass `std::env::var_os` in real use).
pub fn default_state_dir(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(d) = non_empty("POSTHOOK_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = non_empty("XDG_STATE_HOME") {
        return Some(PathBuf::from(d).join("posthook"));
    }
    non_empty("HOME").map(|h| PathBuf::from(h).join(".local/state/posthook"))
}

/// The file name stem for a session id: the id itself when it is a plain `[A-Za-z0-9_-]{1,64}`
/// word, else `h-` and a hash. No id can name a path outside the state dir.
pub fn session_key(session_id: &str) -> String {
    // Hook input keeps at most this much of an id: cut the same way here, so `session show` with
    // the whole id finds what the hook stored.
    let mut end = session_id.len().min(crate::input::MAX_FIELD_BYTES);
    while !session_id.is_char_boundary(end) {
        end -= 1;
    }
    let session_id = &session_id[..end];
    let plain = !session_id.is_empty()
        && session_id.len() <= 64
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain && !session_id.starts_with("h-") {
        session_id.to_string()
    } else {
        format!("h-{:016x}", fnv1a64(session_id.as_bytes()))
    }
}

impl Store {
    /// A store rooted at `dir` (created on first write, mode 0700).
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store {
            dir: dir.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            ttl: DEFAULT_TTL,
            fsync: false,
        }
    }

    /// Sets how long to wait for a session's lock.
    pub fn with_lock_timeout(mut self, t: Duration) -> Store {
        self.lock_timeout = t;
        self
    }

    /// Sets after how long untouched sessions are deleted.
    pub fn with_ttl(mut self, t: Duration) -> Store {
        self.ttl = t;
        self
    }

    /// Whether to fsync state before replacing it.
    pub fn with_fsync(mut self, on: bool) -> Store {
        self.fsync = on;
        self
    }

    /// The state dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state file of a session.
    pub fn state_path(&self, session_id: &str) -> PathBuf {
        self.dir.join(format!("{}.json", session_key(session_id)))
    }

    fn lock_path(&self, session_id: &str) -> PathBuf {
        self.dir.join(format!("{}.lock", session_key(session_id)))
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        match fs::symlink_metadata(&self.dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() && self.dir.is_dir() => {}
            Ok(_) => {
                return Err(err(
                    StoreErrorKind::Dir,
                    &self.dir,
                    Some(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "not a directory",
                    )),
                ))
            }
            Err(_) => fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .map_err(|e| err(StoreErrorKind::Dir, &self.dir, Some(e)))?,
        }
        self.check_trusted()
    }

    /// Whether the state dir may be used: it must be a directory owned by the current user and not
    /// writable by group or others. Anyone else who can write there could plant a FIFO that stalls
    /// every call, a state file whose text reaches Claude, or a link to swap under a write.
    pub fn check_trusted(&self) -> Result<(), StoreError> {
        use std::os::unix::fs::MetadataExt;
        let untrusted = |why: String| {
            err(
                StoreErrorKind::Untrusted,
                &self.dir,
                Some(io::Error::new(io::ErrorKind::PermissionDenied, why)),
            )
        };
        let m =
            fs::metadata(&self.dir).map_err(|e| err(StoreErrorKind::Dir, &self.dir, Some(e)))?;
        let me = current_uid();
        if !m.is_dir() {
            return Err(untrusted(String::from("not a directory")));
        }
        if m.uid() != me {
            return Err(untrusted(format!(
                "owned by uid {}, not by the current user (uid {me}); history is not kept",
                m.uid()
            )));
        }
        if m.mode() & 0o022 != 0 {
            return Err(untrusted(format!(
                "mode {:o} lets group or others write in it (chmod 700 it); history is not kept",
                m.mode() & 0o7777
            )));
        }
        Ok(())
    }

    fn open_lock(&self, session_id: &str) -> Result<File, StoreError> {
        // The sweep may remove an orphan lock file between our open and our lock: a lock taken on
        // a file that no longer has the name guards nothing. So check the name still points at
        // the locked file, and start over when it does not.
        let path = self.lock_path(session_id);
        for _ in 0..8 {
            let file = self.lock_once(&path)?;
            if same_file(&file, &path) {
                return Ok(file);
            }
        }
        Err(err(
            StoreErrorKind::Lock,
            &path,
            Some(io::Error::other("the lock file kept being replaced")),
        ))
    }

    fn lock_once(&self, path: &Path) -> Result<File, StoreError> {
        let path = path.to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(NOBLOCK_FLAGS)
            .open(&path)
            .map_err(|e| err(StoreErrorKind::Lock, &path, Some(e)))?;
        check_own_file(&file, u64::MAX).map_err(|e| err(StoreErrorKind::Lock, &path, Some(e)))?;
        let timed_out = || {
            let waited = format!(
                "held by another process for more than {} ms",
                self.lock_timeout.as_millis()
            );
            err(
                StoreErrorKind::LockTimeout,
                &path,
                Some(io::Error::new(io::ErrorKind::TimedOut, waited)),
            )
        };
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if self.lock_timeout.is_zero() => {
                return Err(timed_out())
            }
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => {
                return Err(err(StoreErrorKind::Lock, &path, Some(e)))
            }
        }
        // Contended: wait in the kernel, which wakes waiters as soon as the lock is released.
        // (Polling with a growing pause starved the oldest waiters: newcomers always tried first.)
        // The wait runs on a helper thread so that it can be bounded; a duplicate of the descriptor
        // shares its lock, so the lock the helper takes is ours. Should the helper win only after
        // the timeout, it drops its descriptor and the lock goes with it.
        let waiter = file
            .try_clone()
            .map_err(|e| err(StoreErrorKind::Lock, &path, Some(e)))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(String::from("posthook-lock"))
            .spawn(move || {
                let taken = waiter.lock();
                let _ = tx.send(taken);
            })
            .map_err(|e| err(StoreErrorKind::Lock, &path, Some(e)))?;
        match rx.recv_timeout(self.lock_timeout) {
            Ok(Ok(())) => Ok(file),
            Ok(Err(e)) => Err(err(StoreErrorKind::Lock, &path, Some(e))),
            Err(_) => Err(timed_out()),
        }
    }

    /// Reads a session's state without locking (a rename makes every read see a whole file).
    /// `Ok(None)`: no state for this session.
    pub fn load(&self, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
        self.load_file(self.state_path(session_id))
    }

    /// [`Store::load`] of a state file found by [`Store::list`] (whatever the id it holds).
    pub fn load_file(&self, path: PathBuf) -> Result<Option<StoredSession>, StoreError> {
        if fs::symlink_metadata(&self.dir).is_err() {
            return Ok(None);
        }
        self.check_trusted()?;
        match read_state(&path) {
            Ok(Some((id, history))) => Ok(Some(StoredSession {
                session_id: id,
                path,
                history,
            })),
            Ok(None) => Ok(None),
            Err(ReadError::Io(e)) => Err(err(StoreErrorKind::Read, &path, Some(e))),
            Err(ReadError::Invalid(msg)) => Err(err(
                StoreErrorKind::Read,
                &path,
                Some(io::Error::new(io::ErrorKind::InvalidData, msg)),
            )),
        }
    }

    /// Locks the session, loads its history (empty when new or unreadable), runs `f` on it and
    /// saves the result. `now` stamps set-aside files and drives expiry.
    ///
    /// `Err` means `f` did not run (no dir, no lock). Once `f` has run its value is always
    /// returned, with any save error beside it.
    pub fn update<R>(
        &self,
        session_id: &str,
        now: SystemTime,
        f: impl FnOnce(&mut History) -> R,
    ) -> Result<Updated<R>, StoreError> {
        self.ensure_dir()?;
        let lock = self.open_lock(session_id)?;
        let path = self.state_path(session_id);
        let mut set_aside = None;
        let mut history = match read_state(&path) {
            Ok(Some((_, h))) => h,
            Ok(None) => {
                self.sweep(now);
                History::new()
            }
            Err(ReadError::Invalid(_)) => {
                let stamp = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                let aside = path.with_extension(format!("json.corrupt-{stamp}"));
                if fs::rename(&path, &aside).is_ok() {
                    set_aside = Some(aside);
                }
                History::new()
            }
            Err(ReadError::Io(e)) => return Err(err(StoreErrorKind::Read, &path, Some(e))),
        };
        let value = f(&mut history);
        let save_error = self.write_state(&path, session_id, &history, false).err();
        // Leftovers of killed writers are also swept now and then within a long session, not only
        // when a new one starts.
        if history.events_total % SWEEP_EVERY == 0 {
            self.sweep(now);
        }
        // Unlock explicitly: after a contended wait the helper thread's duplicate of the descriptor
        // may outlive this one by a moment, and the lock belongs to both.
        let _ = lock.unlock();
        drop(lock);
        Ok(Updated {
            value,
            save_error,
            set_aside,
        })
    }

    fn write_state(
        &self,
        path: &Path,
        session_id: &str,
        history: &History,
        want_stamp: bool,
    ) -> Result<Option<Stamp>, StoreError> {
        let session_id = &*posthook_analyzers::truncate_chars(session_id, MAX_SESSION_ID_CHARS);
        let bytes = crate::state_codec::encode(session_id, history)
            .map_err(|e| err(StoreErrorKind::Write, path, Some(io::Error::other(e))))?;
        // One writer per session at a time (the lock is held), so the pid names the temporary
        // file uniquely. Whatever already sits at that name (left by a killed process with the same
        // pid, or planted) is removed, never followed: the file is created with O_EXCL|O_NOFOLLOW.
        let tmp = self.dir.join(format!(
            "{}.json.tmp.{}",
            session_key(session_id),
            std::process::id()
        ));
        let create = || {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&tmp)
        };
        let result = (|| {
            let mut file = match create() {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    fs::remove_file(&tmp)?;
                    create()?
                }
                other => other?,
            };
            file.write_all(&bytes)?;
            if self.fsync {
                file.sync_all()?;
            }
            // Only a long-lived holder of the state needs the stamp: the hook saves the fstat.
            let stamp = if want_stamp {
                Some(Stamp::of(&file.metadata()?))
            } else {
                None
            };
            replace(&tmp, path).map(|()| stamp)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            err(StoreErrorKind::Write, path, Some(e))
        })
    }

    /// The version of a session's state file now on disk (`None`: no file). One `stat`; see
    /// [`Stamp`].
    pub fn stamp(&self, session_id: &str) -> io::Result<Option<Stamp>> {
        match fs::symlink_metadata(self.state_path(session_id)) {
            Ok(m) => Ok(Some(Stamp::of(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads a session's state for a long-lived holder of it (the server's session cache), with
    /// the stamp of the version read. Unlike [`Store::load`], unreadable state is renamed aside and
    /// an empty history returned, as [`Store::update`] does, and a new session sweeps nothing
    /// (the holder sweeps on its own schedule).
    pub fn load_stamped(&self, session_id: &str, now: SystemTime) -> Result<Loaded, StoreError> {
        let path = self.state_path(session_id);
        if fs::symlink_metadata(&self.dir).is_ok() {
            self.check_trusted()?;
        }
        match read_state_with(&path, true) {
            Ok(Some((_, history, stamp))) => Ok(Loaded {
                history,
                stamp,
                set_aside: None,
            }),
            Ok(None) => Ok(Loaded {
                history: History::new(),
                stamp: None,
                set_aside: None,
            }),
            Err(ReadError::Invalid(_)) => {
                let stamp = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                let aside = path.with_extension(format!("json.corrupt-{stamp}"));
                let set_aside = fs::rename(&path, &aside).is_ok().then_some(aside);
                Ok(Loaded {
                    history: History::new(),
                    stamp: None,
                    set_aside,
                })
            }
            Err(ReadError::Io(e)) => Err(err(StoreErrorKind::Read, &path, Some(e))),
        }
    }

    /// Saves a history held in memory, under the session's lock (so it never interleaves with a
    /// hook process's update). `expected` is the stamp of the version the holder last read or
    /// wrote; when the file on disk is another one (someone else wrote the session meanwhile),
    /// the holder's history still replaces it, and [`Saved::conflict`] says so.
    pub fn save_stamped(
        &self,
        session_id: &str,
        history: &History,
        expected: Option<Stamp>,
    ) -> Result<Saved, StoreError> {
        self.ensure_dir()?;
        let lock = self.open_lock(session_id)?;
        let path = self.state_path(session_id);
        let on_disk = self
            .stamp(session_id)
            .map_err(|e| err(StoreErrorKind::Read, &path, Some(e)))?;
        let written = self.write_state(&path, session_id, history, true);
        let _ = lock.unlock();
        drop(lock);
        Ok(Saved {
            stamp: written?,
            conflict: on_disk != expected,
        })
    }

    /// Deletes what posthook left behind: sessions untouched for longer than the TTL, stale
    /// temporary files and orphan locks. Best effort: runs when a new session starts (and every
    /// [`SWEEP_EVERY`] events of a session), so its cost is paid once per session, not per call.
    ///
    /// Only files posthook wrote are deleted (see [`Store::survey`]); anything else is left alone.
    pub fn sweep(&self, now: SystemTime) -> usize {
        self.walk(now, true).removed
    }

    /// What [`Store::sweep`] would find, without deleting anything: for `doctor`.
    pub fn survey(&self, now: SystemTime) -> Survey {
        self.walk(now, false)
    }

    fn walk(&self, now: SystemTime, delete: bool) -> Survey {
        let mut survey = Survey::default();
        if self.check_trusted().is_err() {
            return survey;
        }
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return survey;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                survey.foreign += 1;
                continue;
            };
            let Some(kind) = own_name(name) else {
                survey.foreign += 1;
                continue;
            };
            let path = entry.path();
            let verdict = self.judge(&path, name, kind, now);
            match verdict {
                Verdict::Keep if kind == NameKind::State => {
                    // Only `doctor` (no deletion) pays for reading what it keeps.
                    if delete || has_marker(&path) {
                        survey.sessions += 1;
                    } else {
                        survey.foreign += 1;
                    }
                }
                Verdict::Keep => {}
                Verdict::Foreign => survey.foreign += 1,
                Verdict::Delete => {
                    if !delete {
                        survey.removable += 1;
                    } else if fs::remove_file(&path).is_ok() {
                        survey.removed += 1;
                        // Its lock is an orphan now (judged before, it had a state beside it).
                        if kind == NameKind::State {
                            let lock = format!("{}.lock", name.trim_end_matches(".json"));
                            let lock_path = self.dir.join(&lock);
                            if matches!(
                                self.judge(&lock_path, &lock, NameKind::Lock, now),
                                Verdict::Delete
                            ) && fs::remove_file(&lock_path).is_ok()
                            {
                                survey.removed += 1;
                            }
                        }
                    }
                }
            }
        }
        survey
    }

    fn judge(&self, path: &Path, name: &str, kind: NameKind, now: SystemTime) -> Verdict {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = fs::symlink_metadata(path) else {
            return Verdict::Keep;
        };
        if !meta.file_type().is_file() || meta.uid() != current_uid() {
            return Verdict::Foreign;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        match kind {
            // The marker is read only for what would be deleted: a sweep opens no live state.
            NameKind::State | NameKind::Corrupt if age <= self.ttl => Verdict::Keep,
            NameKind::State | NameKind::Corrupt => {
                if has_marker(path) {
                    Verdict::Delete
                } else {
                    Verdict::Foreign
                }
            }
            NameKind::Tmp(pid) => {
                // Empty or a prefix of a state: a writer killed before or while writing.
                if !has_marker(path) && meta.len() > 0 {
                    return Verdict::Foreign;
                }
                if age > STALE_TMP || !pid_alive(pid) {
                    Verdict::Delete
                } else {
                    Verdict::Keep
                }
            }
            NameKind::Lock => {
                // Locks are empty; a lock with its session's state beside it is in use.
                if meta.len() != 0 {
                    return Verdict::Foreign;
                }
                let stem = name.trim_end_matches(".lock");
                let state = self.dir.join(format!("{stem}.json"));
                if fs::symlink_metadata(&state).is_ok() || age <= ORPHAN_LOCK {
                    return Verdict::Keep;
                }
                // Not held right now: an orphan. (A process that opened it a moment ago notices the
                // removal after locking and starts over: see `open_lock`.)
                let free = OpenOptions::new()
                    .read(true)
                    .custom_flags(NOBLOCK_FLAGS)
                    .open(path)
                    .is_ok_and(|f| f.try_lock().is_ok());
                if free {
                    Verdict::Delete
                } else {
                    Verdict::Keep
                }
            }
        }
    }

    /// Every stored session's state file (posthook's own names only).
    pub fn list(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(own_name)
                    .is_some_and(|k| k == NameKind::State)
            })
            .collect();
        v.sort();
        v
    }
}

/// Puts the new state at `path` atomically.
///
/// ext4 (`auto_da_alloc`) writes a file's data out when it is renamed over an existing file: about
/// 1 ms per hook call on this project's machines, as much as the rest of the call. Swapping the two
/// names in one step (`RENAME_EXCHANGE`) is as atomic for readers and costs ~40 us; the old state,
/// now at the temporary name, is then unlinked. Where the swap is unavailable (another filesystem,
/// an old kernel) or the target is not a regular file, a plain rename does the job. Durability
/// against power loss is `POSTHOOK_FSYNC`'s business either way.
fn replace(tmp: &Path, path: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    let target_is_file = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    if target_is_file {
        // On failure (no swap here, or the target changed under us) the plain rename decides.
        if renameat_with(CWD, tmp, CWD, path, RenameFlags::EXCHANGE).is_ok() {
            // A failure here leaves the old state at the temporary name, which the next write of
            // this session replaces and the sweep removes.
            let _ = fs::remove_file(tmp);
            return Ok(());
        }
    }
    fs::rename(tmp, path)
}

enum ReadError {
    Io(io::Error),
    Invalid(String),
}

fn read_state(path: &Path) -> Result<Option<(String, History)>, ReadError> {
    read_state_with(path, false).map(|r| r.map(|(id, h, _)| (id, h)))
}

/// Reads a state file, with its stamp when `stamp` is set (one more syscall, which the hook's
/// own reads skip).
fn read_state_with(
    path: &Path,
    stamp: bool,
) -> Result<Option<(String, History, Option<Stamp>)>, ReadError> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(NOBLOCK_FLAGS)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // ELOOP: a symlink was planted where the state belongs. Treat as invalid: set it aside.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(ReadError::Invalid(String::from("state path is a symlink")))
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    // A FIFO, a device, a directory, another user's file or a huge file: set aside unread.
    check_own_file(&file, MAX_STATE_BYTES).map_err(|e| ReadError::Invalid(e.to_string()))?;
    let stamp = if stamp {
        Some(Stamp::of(&file.metadata().map_err(ReadError::Io)?))
    } else {
        None
    };
    let mut bytes = Vec::new();
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(ReadError::Invalid(format!(
            "larger than {MAX_STATE_BYTES} bytes"
        )));
    }
    let (session_id, mut history, _) =
        crate::state_codec::decode(&bytes).map_err(ReadError::Invalid)?;
    trim_history(&mut history);
    let id = posthook_analyzers::truncate_chars(&session_id, MAX_SESSION_ID_CHARS).into_owned();
    Ok(Some((id, history, stamp)))
}

/// Parses the bytes of a state file as [`Store::load`] does (format check, caps applied): the
/// stored session id and history, or why the bytes are not a state. For fuzzing and tools.
pub fn parse_state(bytes: &[u8]) -> Result<(String, History), String> {
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(format!("larger than {MAX_STATE_BYTES} bytes"));
    }
    let (session_id, mut history, _) = crate::state_codec::decode(bytes)?;
    trim_history(&mut history);
    let id = posthook_analyzers::truncate_chars(&session_id, MAX_SESSION_ID_CHARS).into_owned();
    Ok((id, history))
}

/// Cuts a loaded history to the caps a recorded one keeps: the last
/// [`posthook_analyzers::HISTORY_CAPACITY`] facts of each stream with their strings cut to the
/// documented lengths, at most [`posthook_analyzers::MAX_STREAMS`] + 1 parked streams, the last
/// [`posthook_analyzers::SEEN_FILES_CAPACITY`] file hashes and [`FAILURES_CAPACITY`] failures, the
/// [`PER_TOOL_CAPACITY`] most used tools; counters clamped far below overflow. A state file written
/// by anyone else cannot make later calls slower, larger or panic.
///
/// [`FAILURES_CAPACITY`]: posthook_analyzers::FAILURES_CAPACITY
pub fn trim_history(h: &mut History) {
    use posthook_analyzers::{
        guidance::SUBJECTS_CAPACITY, Fact, StreamCounters, FAILURES_CAPACITY, HISTORY_CAPACITY,
        MAX_CMD_HEAD_CHARS, MAX_PATH_CHARS, MAX_STREAMS, MAX_TOOL_CHARS, READS_CAPACITY,
        SEEN_FILES_CAPACITY,
    };
    const BIG: u64 = COUNTER_CAP;
    const BIG32: u32 = COUNTER_CAP_32;
    fn cut(s: &mut String, max: usize) {
        if let std::borrow::Cow::Owned(c) = posthook_analyzers::truncate_chars(s, max) {
            *s = c;
        }
    }
    fn facts(recent: &mut std::collections::VecDeque<Fact>) {
        while recent.len() > HISTORY_CAPACITY {
            recent.pop_front();
        }
        for f in recent.iter_mut() {
            cut(&mut f.tool, MAX_TOOL_CHARS);
            if let Some(p) = &mut f.path {
                cut(p, MAX_PATH_CHARS);
            }
            if let Some(c) = &mut f.cmd {
                cut(c, MAX_CMD_HEAD_CHARS);
            }
            f.ts = f.ts.min(BIG);
            f.gap = f.gap.map(|g| g.min(BIG));
            f.in_len = f.in_len.min(BIG);
            f.out_len = f.out_len.min(BIG);
            f.count = f.count.min(BIG32);
            f.turn = f.turn.min(BIG);
        }
    }
    fn stream(s: &mut StreamCounters) {
        for n in [
            &mut s.native_run,
            &mut s.since_coordinator,
            &mut s.flow_uncoordinated,
        ] {
            *n = (*n).min(BIG32);
        }
        s.calls = s.calls.min(BIG);
        s.turns = s.turns.min(BIG);
        s.last_ts = s.last_ts.min(BIG);
        s.last_batch.truncate(HISTORY_CAPACITY);
    }
    h.events_total = h.events_total.min(BIG);
    h.first_ts = h.first_ts.min(BIG);
    h.last_ts = h.last_ts.min(BIG);
    if let Some(a) = &mut h.agent {
        cut(a, MAX_TOOL_CHARS);
    }
    facts(&mut h.recent);
    stream(&mut h.stream);
    if h.streams.len() > MAX_STREAMS + 1 || h.streams.keys().any(|k| k.len() > MAX_TOOL_CHARS) {
        // Keep the most recently active streams, under ids cut like the active one's.
        let mut all: Vec<(String, posthook_analyzers::Stream)> =
            std::mem::take(&mut h.streams).into_iter().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.1.counters.last_ts));
        for (mut k, v) in all.into_iter().take(MAX_STREAMS + 1) {
            cut(&mut k, MAX_TOOL_CHARS);
            h.streams.entry(k).or_insert(v);
        }
    }
    for s in h.streams.values_mut() {
        facts(&mut s.recent);
        stream(&mut s.counters);
    }
    while h.failures.len() > FAILURES_CAPACITY {
        h.failures.pop_front();
    }
    for f in &mut h.failures {
        f.times = f.times.min(BIG32);
        f.at = f.at.min(BIG);
    }
    let e = &mut h.events;
    for n in [
        &mut e.post_tool_use,
        &mut e.post_tool_use_failure,
        &mut e.post_tool_batch,
        &mut e.rejected,
    ] {
        *n = (*n).min(BIG);
    }
    while h.seen_files.len() > SEEN_FILES_CAPACITY {
        h.seen_files.pop_front();
    }
    let c = &mut h.counters;
    c.edits_since_check = c.edits_since_check.min(BIG32);
    c.failures = c.failures.min(BIG);
    let per_tool = &mut c.per_tool;
    if per_tool.len() > PER_TOOL_CAPACITY || per_tool.keys().any(|k| k.len() > MAX_TOOL_CHARS) {
        let mut all: Vec<(String, u64)> = std::mem::take(per_tool).into_iter().collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (mut k, n) in all {
            cut(&mut k, MAX_TOOL_CHARS);
            if per_tool.len() >= PER_TOOL_CAPACITY && !per_tool.contains_key(&k) {
                continue;
            }
            let slot = per_tool.entry(k).or_insert(0);
            *slot = slot.saturating_add(n);
        }
    }
    for n in per_tool.values_mut() {
        *n = (*n).min(BIG);
    }
    while c.unchecked.len() > 16 {
        c.unchecked.pop();
    }
    for u in &mut c.unchecked {
        cut(&mut u.path, MAX_PATH_CHARS);
        u.changes = u.changes.min(BIG32);
        u.at = u.at.min(BIG);
    }
    if c.checks.len() > 16 {
        let keep: Vec<u16> = c.checks.keys().copied().take(16).collect();
        c.checks.retain(|k, _| keep.contains(k));
    }
    for v in c.checks.values_mut() {
        cut(v, MAX_CMD_HEAD_CHARS);
    }
    while h.reads.len() > READS_CAPACITY {
        h.reads.pop_front();
    }
    let g = &mut h.guidance;
    g.last_shown_at = g.last_shown_at.min(BIG);
    g.last_protocol_at = g.last_protocol_at.min(BIG);
    if let Some(r) = &mut g.last_rule {
        cut(r, MAX_TOOL_CHARS);
    }
    let long = |k: &String| k.len() > 2 * MAX_TOOL_CHARS;
    if g.subjects.len() > SUBJECTS_CAPACITY || g.subjects.keys().any(long) {
        let keep: Vec<String> = g
            .subjects
            .keys()
            .filter(|k| !long(k))
            .take(SUBJECTS_CAPACITY)
            .cloned()
            .collect();
        g.subjects.retain(|k, _| keep.contains(k));
    }
    for m in g.subjects.values_mut() {
        m.fired = m.fired.min(BIG32);
        m.shown = m.shown.min(BIG32);
        m.ignored = m.ignored.min(BIG32);
        m.shown_at = m.shown_at.min(BIG);
        m.fired_at = m.fired_at.min(BIG);
    }
}

/// 64-bit counters and times of a loaded history are clamped to this: far above any real session
/// (2^48 ms is 8,900 years), far below overflow. A planted counter at the cap goes on counting from
/// it, and is clamped back on the next load.
pub const COUNTER_CAP: u64 = 1 << 48;
/// The same for 32-bit counters.
pub const COUNTER_CAP_32: u32 = 1 << 30;

/// Open flags for every file the store reads or locks: no blocking open (a FIFO or a device
/// answers at once, and `fstat` then refuses it), no final symlink followed, no controlling tty.
const NOBLOCK_FLAGS: i32 = libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;

/// How often (in events of a session) a save is followed by a sweep.
pub const SWEEP_EVERY: u64 = 256;

fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `Ok` when `file` is a regular file of the current user of at most `max` bytes.
fn check_own_file(file: &File, max: u64) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata()?;
    if !m.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if m.uid() != current_uid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("owned by uid {}, not by the current user", m.uid()),
        ));
    }
    if m.len() > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} bytes, over the {max}-byte cap", m.len()),
        ));
    }
    Ok(())
}

/// Whether the open `file` is what `path` names now (same device and inode).
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the file at `path` starts as posthook writes its state (its format marker in the first
/// bytes). Read without blocking and without following links.
fn has_marker(path: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags(NOBLOCK_FLAGS)
        .open(path)
    else {
        return false;
    };
    if check_own_file(&file, u64::MAX).is_err() {
        return false;
    }
    let mut head = Vec::with_capacity(64);
    if file.take(64).read_to_end(&mut head).is_err() {
        return false;
    }
    // The two encodings posthook has written start with the format name: JSON (version 1) and
    // MessagePack (version 2, the current one). A temporary file cut short by a kill holds a
    // prefix of one of them, or all of it.
    let json = format!("{{\"format\":\"{FORMAT_NAME}\"").into_bytes();
    let binary = binary_marker();
    [json, binary].iter().any(|marker| {
        if head.len() < marker.len() {
            !head.is_empty() && marker.starts_with(&head)
        } else {
            head.starts_with(marker)
        }
    })
}

/// How a MessagePack state file starts: its envelope map up to the end of the format name.
fn binary_marker() -> Vec<u8> {
    let bytes = crate::state_codec::encode("", &History::new()).unwrap_or_default();
    let name = FORMAT_NAME.as_bytes();
    match bytes.windows(name.len()).position(|w| w == name) {
        Some(i) => bytes[..i + name.len()].to_vec(),
        None => name.to_vec(),
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The kinds of names posthook gives the files of its state dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    /// `KEY.json`
    State,
    /// `KEY.json.corrupt-MILLIS`
    Corrupt,
    /// `KEY.json.tmp.PID`
    Tmp(u32),
    /// `KEY.lock`
    Lock,
}

enum Verdict {
    Keep,
    Delete,
    Foreign,
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The kind of a file name of posthook's own pattern, `None` for any other name.
fn own_name(name: &str) -> Option<NameKind> {
    if let Some(key) = name.strip_suffix(".lock") {
        return is_key(key).then_some(NameKind::Lock);
    }
    if let Some(key) = name.strip_suffix(".json") {
        return is_key(key).then_some(NameKind::State);
    }
    let (key, rest) = name.split_once(".json.")?;
    if !is_key(key) {
        return None;
    }
    if let Some(stamp) = rest.strip_prefix("corrupt-") {
        return digits(stamp).then_some(NameKind::Corrupt);
    }
    let pid = rest.strip_prefix("tmp.")?;
    if !digits(pid) {
        return None;
    }
    pid.parse().ok().map(NameKind::Tmp)
}

/// What the state dir holds, as `doctor` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Survey {
    /// Session state files kept.
    pub sessions: usize,
    /// posthook's own leftovers the sweep deletes (expired, stale, orphan).
    pub removable: usize,
    /// Deleted (by [`Store::sweep`]).
    pub removed: usize,
    /// Files the sweep leaves alone: not posthook's name, not a regular file of the current user,
    /// or no posthook format marker inside.
    pub foreign: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::ToolCall;
    use serde_json::json;

    fn call() -> ToolCall {
        ToolCall::new("Read", json!({"file_path": "/p/a"}))
    }

    #[test]
    fn keys_stay_inside() {
        for id in [
            "../../x",
            "/etc/passwd",
            "a/b",
            "",
            ".",
            "..",
            "h-abc",
            &"x".repeat(10_000),
        ] {
            let k = session_key(id);
            assert!(
                !k.contains('/') && !k.starts_with('.') && !k.is_empty(),
                "{id} -> {k}"
            );
            assert!(k.len() <= 64);
        }
        assert_eq!(session_key("abc-123_X"), "abc-123_X");
        assert_ne!(session_key("a/b"), session_key("a/c"));
    }

    #[test]
    fn update_roundtrip_and_recovery() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path().join("state"));
        let now = SystemTime::now();
        for _ in 0..3 {
            let u = store
                .update("s1", now, |h| {
                    h.record(&call());
                    h.events_total
                })
                .expect("update");
            assert!(u.save_error.is_none());
        }
        let s = store.load("s1").expect("load").expect("exists");
        // Replacing swaps names and unlinks the old state: nothing but the state and its lock.
        let mut names: Vec<String> = fs::read_dir(store.dir())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["s1.json", "s1.lock"]);
        assert_eq!(s.history.events_total, 3);
        assert_eq!(s.session_id, "s1");

        fs::write(
            store.state_path("s1"),
            b"{\"format\":\"posthook-session\",\"vers",
        )
        .expect("write");
        let u = store.update("s1", now, |h| h.events_total).expect("update");
        assert_eq!(u.value, 0, "truncated state replaced by a fresh one");
        assert!(u.set_aside.as_ref().is_some_and(|p| p.exists()));
        assert_eq!(
            store
                .load("s1")
                .expect("load")
                .map(|s| s.history.events_total),
            Some(0)
        );
    }

    #[test]
    fn modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path().join("a/b"));
        store
            .update("s", SystemTime::now(), |_| ())
            .expect("update");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        assert_eq!(mode(&store.state_path("s")), 0o600);
    }

    #[test]
    fn expiry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path()).with_ttl(Duration::from_secs(60));
        store
            .update("old", SystemTime::now(), |_| ())
            .expect("update");
        let later = SystemTime::now() + Duration::from_secs(120);
        assert_eq!(store.sweep(later), 2, "the state and its lock");
        assert!(store.load("old").expect("load").is_none());
        assert!(!dir.path().join("old.lock").exists());
    }

    #[test]
    fn own_names_only() {
        assert_eq!(own_name("abc.json"), Some(NameKind::State));
        assert_eq!(own_name("h-0123abcd.lock"), Some(NameKind::Lock));
        assert_eq!(own_name("s1.json.tmp.4242"), Some(NameKind::Tmp(4242)));
        assert_eq!(
            own_name("s1.json.corrupt-1700000000000"),
            Some(NameKind::Corrupt)
        );
        for other in [
            "package.json.bak",
            "tsconfig.build.json",
            ".hidden.json",
            "a b.json",
            "s1.json.tmp.x1",
            "s1.json.corrupt-",
            "config",
            "x.lock.old",
        ] {
            assert_eq!(own_name(other), None, "{other}");
        }
    }

    #[test]
    fn the_sweep_keeps_what_it_did_not_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path()).with_ttl(Duration::from_secs(60));
        store
            .update("old", SystemTime::now(), |_| ())
            .expect("update");
        fs::write(dir.path().join("notes.json"), b"{\"mine\":1}").expect("write");
        fs::write(dir.path().join("x.json.tmp.1"), b"other").expect("write");
        let later = SystemTime::now() + Duration::from_secs(7200);
        let survey = store.survey(later);
        // The lock is counted once its state is gone: only the sweep itself gets that far.
        assert_eq!((survey.removable, survey.foreign), (1, 2), "{survey:?}");
        assert_eq!(store.sweep(later), 2, "the state and its lock");
        assert!(dir.path().join("notes.json").exists());
        assert!(dir.path().join("x.json.tmp.1").exists());
    }

    #[test]
    fn loaded_histories_are_cut_to_their_caps() {
        let mut h = History::new();
        for i in 0..200 {
            h.record(&ToolCall::new(format!("t{i}"), json!({"file_path": "/p"})));
        }
        h.recent.extend(h.recent.clone());
        h.events_total = u64::MAX;
        h.stream.native_run = u32::MAX;
        for i in 0..1000 {
            h.counters
                .per_tool
                .insert(format!("{}{i}", "x".repeat(300)), i);
        }
        trim_history(&mut h);
        assert_eq!(h.recent.len(), posthook_analyzers::HISTORY_CAPACITY);
        assert!(h.counters.per_tool.len() <= PER_TOOL_CAPACITY);
        assert!(h.counters.per_tool.keys().all(|k| k.chars().count() <= 128));
        // Recording on it can no longer overflow.
        h.record(&call());
        assert!(h.events_total < u64::MAX);
    }
}
