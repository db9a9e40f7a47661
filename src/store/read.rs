//! Reading a state file: bounded, non-blocking, no final link followed, `fstat`-checked, cut to
//! the caps; what cannot be read is set aside.

use super::trim::trim_history;
use super::trust::{check_own_file, NOBLOCK_FLAGS};
use super::{Stamp, MAX_SESSION_ID_CHARS, MAX_STATE_BYTES};
use crate::clock::unix_ms;
use crate::state_codec::StateError;
use posthook_analyzers::History;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub(super) enum ReadError {
    Io(io::Error),
    Invalid(String),
}

pub(super) fn read_state(path: &Path) -> Result<Option<(String, History)>, ReadError> {
    read_state_with(path, false).map(|r| r.map(|(id, h, _)| (id, h)))
}

/// Reads a state file, with its stamp when `stamp` is set (one more syscall, which the hook's
/// own reads skip).
pub(super) fn read_state_with(
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
    let meta =
        check_own_file(&file, MAX_STATE_BYTES).map_err(|e| ReadError::Invalid(e.to_string()))?;
    let stamp = stamp.then(|| Stamp::of(&meta));
    // Sized from the fstat just made: one read for the whole file (and one that finds its end),
    // where a growing buffer took a dozen.
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_STATE_BYTES) as usize + 1);
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(ReadError::Invalid(format!(
            "larger than {MAX_STATE_BYTES} bytes"
        )));
    }
    let (session_id, mut history, _) =
        crate::state_codec::decode(&bytes).map_err(|e| ReadError::Invalid(e.to_string()))?;
    trim_history(&mut history);
    let id = posthook_analyzers::truncate_chars(&session_id, MAX_SESSION_ID_CHARS).into_owned();
    Ok(Some((id, history, stamp)))
}

/// Parses the bytes of a state file as [`Store::load`] does (format check, caps applied): the
/// stored session id and history, or why the bytes are not a state. For fuzzing and tools.
///
/// [`Store::load`]: super::Store::load
pub fn parse_state(bytes: &[u8]) -> Result<(String, History), StateError> {
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Err(StateError::TooLarge);
    }
    let (session_id, mut history, _) = crate::state_codec::decode(bytes)?;
    trim_history(&mut history);
    let id = posthook_analyzers::truncate_chars(&session_id, MAX_SESSION_ID_CHARS).into_owned();
    Ok((id, history))
}

/// Renames unreadable state at `path` aside, to `<path>.corrupt-<ms since the epoch of now>`; the
/// new name, or `None` when the rename failed.
pub(super) fn move_aside(path: &Path, now: SystemTime) -> Option<PathBuf> {
    let stamp = unix_ms(now);
    let aside = path.with_extension(format!("json.corrupt-{stamp}"));
    fs::rename(path, &aside).is_ok().then_some(aside)
}
