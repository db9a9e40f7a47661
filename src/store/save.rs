//! Writing a session's state: a new file beside the old one, then swapped in atomically.

use super::error::{err, StoreErrorKind};
use super::{session_key, Stamp, Store, StoreError, MAX_SESSION_ID_CHARS};
use posthook_analyzers::History;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

impl Store {
    pub(super) fn write_state(
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
