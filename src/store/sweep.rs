//! The sweep: deletes what posthook left behind (expired sessions, stale temporary files, orphan
//! locks), and only what it wrote; the survey counts the same without deleting.

use super::names::{own_name, NameKind};
use super::trust::{check_own_file, current_uid, NOBLOCK_FLAGS};
use super::Store;
use crate::state_codec::FORMAT_NAME;
use posthook_analyzers::History;
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A temporary file this old is a leftover of a killed writer (a writer holds it for microseconds,
/// and the hook's deadline ends every process within seconds).
const STALE_TMP: Duration = Duration::from_secs(60);
/// A lock file with no state beside it, this old and not held, is an orphan of a killed process.
const ORPHAN_LOCK: Duration = Duration::from_secs(60);

/// What the state dir holds, as `doctor` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Survey {
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

enum Verdict {
    Keep,
    Delete,
    Foreign,
}

impl Store {
    /// Deletes what posthook left behind: sessions untouched for longer than the TTL, stale
    /// temporary files and orphan locks. Best effort: runs when a new session starts (and every
    /// `SWEEP_EVERY` events of a session), so its cost is paid once per session, not per call.
    ///
    /// Only files posthook wrote are deleted; anything else is left alone.
    pub fn sweep(&self, now: SystemTime) -> usize {
        self.walk(now, true).removed
    }

    /// What [`Store::sweep`] would find, without deleting anything: for `doctor`.
    pub(crate) fn survey(&self, now: SystemTime) -> Survey {
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
            if name == crate::record::FILE_NAME {
                continue;
            }
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
    // The encodings posthook has written start with the format name: JSON (version 1),
    // MessagePack with field names (version 2) and postcard (version 3, the current one). A
    // temporary file cut short by a kill holds a prefix of one of them, or all of it.
    let json = format!("{{\"format\":\"{FORMAT_NAME}\"").into_bytes();
    // A map of four (0x84), the key "format" (fixstr 6), the name (fixstr 16).
    let named = [&b"\x84\xa6format\xb0"[..], FORMAT_NAME.as_bytes()].concat();
    let binary = binary_marker();
    [json, named, binary].iter().any(|marker| {
        if head.len() < marker.len() {
            !head.is_empty() && marker.starts_with(&head)
        } else {
            head.starts_with(marker)
        }
    })
}

/// How a state file this build writes starts: its envelope up to the end of the format name.
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

#[cfg(test)]
mod tests {
    use super::super::*;
    use std::fs;
    use std::time::{Duration, SystemTime};

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
    fn temporary_files_of_every_state_version_are_told_by_their_first_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = posthook_analyzers::History::new();
        let named = rmp_serde::to_vec_named(&serde_json::json!({
            "format": crate::state_codec::FORMAT_NAME, "version": 2, "session_id": "s",
            "history": h,
        }))
        .expect("encode");
        let json = serde_json::to_vec(&serde_json::json!({
            "format": crate::state_codec::FORMAT_NAME, "version": 1, "history": h,
        }))
        .expect("json");
        let current = crate::state_codec::encode("s", &h).expect("encode");
        for (what, bytes, ours) in [
            ("current", &current[..], true),
            ("cut short", &current[..5], true),
            ("named", &named[..], true),
            ("json", &json[..], true),
            ("other", &b"\x94\xa3abc"[..], false),
            ("empty", &b""[..], false),
        ] {
            let path = dir.path().join(format!("{what}.json.tmp.1"));
            fs::write(&path, bytes).expect("write");
            assert_eq!(super::has_marker(&path), ours, "{what}");
        }
    }
}
