//! What went wrong in the store: the kind of operation and the path involved.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

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

pub(super) fn err(kind: StoreErrorKind, path: &Path, source: Option<io::Error>) -> StoreError {
    StoreError {
        kind,
        path: path.to_path_buf(),
        source,
    }
}
