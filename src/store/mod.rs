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
//! (every list and counter bounded). The sweep deletes only files posthook wrote: its own name pattern, regular,
//! owned by the current user, and (for state) posthook's format marker inside; anything else is
//! left alone and counted (`posthook doctor` reports them).

mod error;
mod load;
mod lock;
mod names;
mod read;
mod save;
mod sweep;
mod trim;
mod trust;
mod update;

pub use error::{StoreError, StoreErrorKind};
pub use read::parse_state;
pub use trim::COUNTER_CAP;

use posthook_analyzers::{floor_boundary, fnv1a64, History};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Sessions untouched for this long are deleted: 7 days.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a hook waits for another process holding the session's lock: 2 s.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// State files larger than this are set aside unread (defined with the state file's bytes).
pub use crate::state_codec::MAX_STATE_BYTES;
/// Session ids are stored cut to this many characters (the file name is a hash past 64 anyway).
pub const MAX_SESSION_ID_CHARS: usize = 128;
/// Per-tool counters kept on load; past it, the least used tools are dropped.
pub(crate) const PER_TOOL_CAPACITY: usize = posthook_analyzers::PER_TOOL_CAPACITY;
/// How often (in events of a session) a save is followed by a sweep.
pub(crate) const SWEEP_EVERY: u64 = 256;

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
    last_use: bool,
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
pub(crate) fn session_key(session_id: &str) -> String {
    // Hook input keeps at most this much of an id: cut the same way here, so `session show` with
    // the whole id finds what the hook stored.
    let session_id = &session_id[..floor_boundary(session_id, crate::input::MAX_FIELD_BYTES)];
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
            last_use: false,
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

    /// Whether the process ends after its one [`Store::update`] (a hook call): the history is then
    /// left to the exit to reclaim, not freed fact by fact and string by string (about 5% of a
    /// hook call). Off by default: a long-lived embedder frees what it loads.
    pub fn for_last_use(mut self, on: bool) -> Store {
        self.last_use = on;
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
