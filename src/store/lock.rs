//! The session lock: a lock file beside the state, taken with a bounded wait in the kernel.

use super::error::{err, StoreErrorKind};
use super::trust::{check_own_file, NOBLOCK_FLAGS};
use super::{Store, StoreError};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

impl Store {
    pub(super) fn open_lock(&self, session_id: &str) -> Result<File, StoreError> {
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
}

/// Whether the open `file` is what `path` names now (same device and inode).
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
