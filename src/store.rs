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
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StoreErrorKind::Dir => "preparing state dir",
            StoreErrorKind::Lock => "locking session state",
            StoreErrorKind::LockTimeout => "gave up waiting for the lock of session state",
            StoreErrorKind::Read => "reading session state",
            StoreErrorKind::Write => "writing session state",
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
            Ok(m) if m.is_dir() => Ok(()),
            Ok(m) if m.file_type().is_symlink() && self.dir.is_dir() => Ok(()),
            Ok(_) => Err(err(
                StoreErrorKind::Dir,
                &self.dir,
                Some(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "not a directory",
                )),
            )),
            Err(_) => fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .map_err(|e| err(StoreErrorKind::Dir, &self.dir, Some(e))),
        }
    }

    fn open_lock(&self, session_id: &str) -> Result<File, StoreError> {
        let path = self.lock_path(session_id);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| err(StoreErrorKind::Lock, &path, Some(e)))?;
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
        let path = self.state_path(session_id);
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

    /// Deletes sessions untouched for longer than the TTL, and stale temporary files. Best effort:
    /// runs when a new session starts, so its cost is paid once per session, not per call.
    pub fn sweep(&self, now: SystemTime) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let stale_tmp = name.contains(".tmp.") && age > Duration::from_secs(3600);
            let expired =
                (name.ends_with(".json") || name.contains(".json.corrupt-")) && age > self.ttl;
            if stale_tmp || expired {
                if fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
                if let Some(stem) = name.strip_suffix(".json") {
                    let _ = fs::remove_file(self.dir.join(format!("{stem}.lock")));
                }
            }
        }
        removed
    }

    /// Every stored session's id and state file.
    pub fn list(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
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
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
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
    let stamp = if stamp {
        Some(Stamp::of(&file.metadata().map_err(ReadError::Io)?))
    } else {
        None
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(ReadError::Io)?;
    let (session_id, history, _) =
        crate::state_codec::decode(&bytes).map_err(ReadError::Invalid)?;
    Ok(Some((session_id, history, stamp)))
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
        assert_eq!(store.sweep(later), 1);
        assert!(store.load("old").expect("load").is_none());
    }
}
