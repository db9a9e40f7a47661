//! Changing a session under its lock: the hook's update (load, change, save, now and then a
//! sweep), and the save of a long-lived holder.

use super::error::{err, StoreErrorKind};
use super::read::{move_aside, read_state, ReadError};
use super::{Saved, Stamp, Store, StoreError, Updated, SWEEP_EVERY};
use posthook_analyzers::History;
use std::time::SystemTime;

impl Store {
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
                set_aside = move_aside(&path, now);
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
        if self.last_use {
            std::mem::forget(history);
        }
        Ok(Updated {
            value,
            save_error,
            set_aside,
        })
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
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use posthook_analyzers::ToolCall;
    use serde_json::json;
    use std::fs;
    use std::path::Path;
    use std::time::SystemTime;

    fn call() -> ToolCall {
        ToolCall::new("Read", json!({"file_path": "/p/a"}))
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
}
