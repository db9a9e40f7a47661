//! What in the state dir may be used: the dir itself (owned by the current user, not writable by
//! group or others), and each file (opened without blocking or following a final link, then
//! `fstat`: a regular file of ours within a size cap).

use super::error::{err, StoreErrorKind};
use super::{Store, StoreError};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::DirBuilderExt;

impl Store {
    pub(super) fn ensure_dir(&self) -> Result<(), StoreError> {
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
    pub(crate) fn check_trusted(&self) -> Result<(), StoreError> {
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
}

/// Open flags for every file the store reads or locks: no blocking open (a FIFO or a device
/// answers at once, and `fstat` then refuses it), no final symlink followed, no controlling tty.
pub(super) const NOBLOCK_FLAGS: i32 =
    libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;

pub(super) fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `Ok` when `file` is a regular file of the current user of at most `max` bytes.
pub(super) fn check_own_file(file: &File, max: u64) -> io::Result<std::fs::Metadata> {
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
    Ok(m)
}
