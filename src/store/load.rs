//! Reading sessions without the lock: by id, by file, every state file listed, the stamp now on
//! disk, and the stamped load of a long-lived holder.

use super::error::{err, StoreErrorKind};
use super::names::{own_name, NameKind};
use super::read::{move_aside, read_state, read_state_with, ReadError};
use super::{Loaded, Stamp, Store, StoreError, StoredSession};
use posthook_analyzers::History;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::time::SystemTime;

impl Store {
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

    /// The version of a session's state file now on disk (`None`: no file). One `stat`; see
    /// [`Stamp`].
    pub(crate) fn stamp(&self, session_id: &str) -> io::Result<Option<Stamp>> {
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
                let set_aside = move_aside(&path, now);
                Ok(Loaded {
                    history: History::new(),
                    stamp: None,
                    set_aside,
                })
            }
            Err(ReadError::Io(e)) => Err(err(StoreErrorKind::Read, &path, Some(e))),
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
