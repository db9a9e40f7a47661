//! The server's sessions: histories held in memory, persisted to the same state files as the hook
//! process writes (so a session moves freely between the two modes, and `session show` and
//! `explain` read it either way).
//!
//! - One lock per session: concurrent requests of a session serialize, different sessions run in
//!   parallel. The map from ids to sessions is locked only to find or insert an entry.
//! - Written behind: an event changes the history in memory and is answered; a flusher writes
//!   every changed session within `flush_interval` (the bound on what a crash of the server can
//!   lose), and [`Sessions::flush_all`] writes everything at shutdown. A zero interval writes
//!   through: the state is saved before the answer.
//! - Coherent with hook processes: a session with nothing unsaved checks its state file's
//!   [`Stamp`] before each event (one `stat`) and reloads it when a hook process wrote it
//!   meanwhile. Saving takes the same file lock as the hook.
//! - Bounded: an LRU of `capacity` sessions; before a new session is admitted, the least recently
//!   used one no request holds is saved if it has unsaved events and dropped from memory (its
//!   state is on disk), so the cap holds during a burst of new sessions too.

use crate::store::{Stamp, Store};
use lru::LruCache;
use posthook_analyzers::History;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// The default bound on unsaved events: 100 ms.
pub(crate) const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// The default number of sessions held in memory.
pub(crate) const DEFAULT_CAPACITY: usize = 2048;
/// How often the state dir is swept of expired sessions.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

struct Entry {
    /// The store the history belongs to (`None`: not loaded yet).
    store: Option<Store>,
    history: History,
    /// The version on disk the history was read from or last written as.
    stamp: Option<Stamp>,
}

struct Slot {
    id: String,
    /// Set while the history holds events not yet on disk. Read without the entry's lock.
    dirty: AtomicBool,
    entry: Mutex<Entry>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counters, for the log and `--bench`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    /// Sessions in memory now.
    pub held: usize,
    /// Histories written to disk.
    pub saves: u64,
    /// Histories read from disk.
    pub loads: u64,
    /// Sessions dropped from memory to make room.
    pub evictions: u64,
    /// Saves that replaced a version another writer had put there meanwhile.
    pub conflicts: u64,
}

/// The sessions of one server.
pub(crate) struct Sessions {
    map: Mutex<LruCache<String, Arc<Slot>>>,
    capacity: usize,
    flush_interval: Duration,
    /// Wakes the flusher early (shutdown).
    wake: Condvar,
    stopping: AtomicBool,
    /// The record's tallies of answered events, written with the sessions.
    record: crate::record::Pending,
    saves: AtomicU64,
    loads: AtomicU64,
    evictions: AtomicU64,
    conflicts: AtomicU64,
}

impl Sessions {
    /// Sessions held up to `capacity`, written within `flush_interval` (zero: write-through).
    pub(crate) fn new(capacity: usize, flush_interval: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(LruCache::unbounded()),
            capacity: capacity.max(1),
            flush_interval,
            wake: Condvar::new(),
            stopping: AtomicBool::new(false),
            record: crate::record::Pending::default(),
            saves: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            conflicts: AtomicU64::new(0),
        }
    }

    /// The bound on unsaved events.
    pub(crate) fn flush_interval(&self) -> Duration {
        self.flush_interval
    }

    /// Where an answered event's record is kept until the flusher writes it; `None` when the
    /// sessions are written through (a zero flush interval), and so is the record.
    pub(crate) fn record(&self) -> Option<&crate::record::Pending> {
        (!self.flush_interval.is_zero()).then_some(&self.record)
    }

    /// The counters.
    pub(crate) fn stats(&self) -> Stats {
        Stats {
            held: lock(&self.map).len(),
            saves: self.saves.load(Ordering::Relaxed),
            loads: self.loads.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            conflicts: self.conflicts.load(Ordering::Relaxed),
        }
    }

    fn slot(&self, session_id: &str) -> Arc<Slot> {
        let mut map = lock(&self.map);
        if let Some(s) = map.get(session_id) {
            return Arc::clone(s);
        }
        let slot = Arc::new(Slot {
            id: session_id.to_string(),
            dirty: AtomicBool::new(false),
            entry: Mutex::new(Entry {
                store: None,
                history: History::new(),
                stamp: None,
            }),
        });
        self.make_room(&mut map);
        map.put(session_id.to_string(), Arc::clone(&slot));
        slot
    }

    /// Before a new session is admitted: drops sessions, least recently used first, until there
    /// is room for it. A session with unsaved events is saved first (under the map's lock, so no
    /// request can reload it from disk before the save lands); one a request holds is skipped.
    /// The cap holds at all times unless every held session is in use or cannot be saved (more
    /// requests in flight than `--max-sessions`, or a failing disk): then the new one is admitted
    /// over it and the flusher trims later.
    fn make_room(&self, map: &mut LruCache<String, Arc<Slot>>) {
        while map.len() >= self.capacity {
            let victim = map
                .iter()
                .rev()
                .filter(|(_, s)| Arc::strong_count(s) == 1)
                .find_map(|(k, s)| {
                    if s.dirty.load(Ordering::Acquire) {
                        let mut e = lock(&s.entry);
                        self.save(s, &mut e);
                    }
                    (!s.dirty.load(Ordering::Acquire)).then(|| k.clone())
                });
            let Some(key) = victim else {
                return;
            };
            map.pop(&key);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops least recently used sessions beyond the capacity, as long as they have nothing
    /// unsaved and no request holds them (only the map does: nobody can take a new reference
    /// while the map is locked). A session in use or unsaved stops the trim; the flusher trims
    /// again once it has written it.
    fn trim(&self, map: &mut LruCache<String, Arc<Slot>>) {
        while map.len() > self.capacity {
            let Some((_, lru)) = map.peek_lru() else {
                return;
            };
            if Arc::strong_count(lru) > 1 || lru.dirty.load(Ordering::Acquire) {
                return;
            }
            map.pop_lru();
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs `f` on the history of `session_id` (stored in `store`), with the session's lock held:
    /// loads it first when it is not in memory or a hook process changed it on disk, and saves it
    /// now (write-through) or within the flush interval.
    pub(crate) fn update<R>(
        &self,
        store: &Store,
        session_id: &str,
        now: SystemTime,
        f: impl FnOnce(&mut History) -> R,
    ) -> R {
        let slot = self.slot(session_id);
        let mut e = lock(&slot.entry);
        let same_store = e.store.as_ref().is_some_and(|s| s.dir() == store.dir());
        let fresh = same_store
            && (slot.dirty.load(Ordering::Acquire)
                || store.stamp(session_id).ok().flatten() == e.stamp);
        if !fresh {
            if !same_store && slot.dirty.load(Ordering::Acquire) {
                // The session's configuration now names another state dir: finish the old one.
                self.save(&slot, &mut e);
            }
            self.load(store, session_id, now, &mut e);
            slot.dirty.store(false, Ordering::Release);
        }
        let value = f(&mut e.history);
        slot.dirty.store(true, Ordering::Release);
        if self.flush_interval.is_zero() {
            self.save(&slot, &mut e);
        }
        value
    }

    fn load(&self, store: &Store, session_id: &str, now: SystemTime, e: &mut Entry) {
        self.loads.fetch_add(1, Ordering::Relaxed);
        match store.load_stamped(session_id, now) {
            Ok(l) => {
                if let Some(p) = &l.set_aside {
                    tracing::warn!(path = %p.display(), "unreadable session state set aside and replaced");
                }
                e.history = l.history;
                e.stamp = l.stamp;
            }
            Err(err) => {
                // Analyzed against an empty history; the next save writes what it learns.
                crate::record::store_fault(&err);
                tracing::error!(error = %err, "session state not read");
                e.history = History::new();
                e.stamp = None;
            }
        }
        e.store = Some(store.clone());
    }

    /// Writes one session if it has unsaved events. The entry's lock is held by the caller.
    fn save(&self, slot: &Slot, e: &mut Entry) {
        if !slot.dirty.load(Ordering::Acquire) {
            return;
        }
        let Some(store) = &e.store else {
            return;
        };
        match store.save_stamped(&slot.id, &e.history, e.stamp) {
            Ok(saved) => {
                self.saves.fetch_add(1, Ordering::Relaxed);
                if saved.conflict {
                    self.conflicts.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        session = %slot.id,
                        "session state was written by another process while this server held \
                         unsaved events; the server's history replaced it"
                    );
                }
                e.stamp = saved.stamp;
                slot.dirty.store(false, Ordering::Release);
            }
            Err(err) => {
                // Stays dirty: the next flush tries again.
                crate::record::store_fault(&err);
                tracing::error!(error = %err, session = %slot.id, "session state not saved");
            }
        }
    }

    fn dirty_slots(&self) -> Vec<Arc<Slot>> {
        lock(&self.map)
            .iter()
            .filter(|(_, s)| s.dirty.load(Ordering::Acquire))
            .map(|(_, s)| Arc::clone(s))
            .collect()
    }

    /// Writes every session with unsaved events; returns how many were written. Waits for each
    /// session's running request, so an event answered before this call is on disk after it.
    pub(crate) fn flush_all(&self) -> usize {
        self.record.flush();
        let mut n = 0;
        for slot in self.dirty_slots() {
            let mut e = lock(&slot.entry);
            if slot.dirty.load(Ordering::Acquire) {
                self.save(&slot, &mut e);
                n += 1;
            }
        }
        let mut map = lock(&self.map);
        self.trim(&mut map);
        n
    }

    /// The flusher's loop: every flush interval writes what changed, and once an hour sweeps
    /// `state_dir` of expired sessions. Returns when [`Sessions::stop`] is called.
    pub(crate) fn run_flusher(&self, sweep: Option<&Path>) {
        let mut last_sweep = Instant::now();
        if let Some(dir) = sweep {
            Store::new(dir).sweep(SystemTime::now());
        }
        let interval = if self.flush_interval.is_zero() {
            SWEEP_EVERY
        } else {
            self.flush_interval
        };
        let mut guard = lock(&self.map);
        loop {
            if self.stopping.load(Ordering::Acquire) {
                return;
            }
            guard = self
                .wake
                .wait_timeout(guard, interval)
                .map_or_else(|p| p.into_inner().0, |(g, _)| g);
            drop(guard);
            if self.stopping.load(Ordering::Acquire) {
                return;
            }
            self.flush_all();
            if let Some(dir) = sweep {
                if last_sweep.elapsed() >= SWEEP_EVERY {
                    last_sweep = Instant::now();
                    Store::new(dir).sweep(SystemTime::now());
                }
            }
            guard = lock(&self.map);
        }
    }

    /// Stops the flusher (the caller then calls [`Sessions::flush_all`] itself).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let _guard = lock(&self.map);
        self.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::ToolCall;
    use serde_json::json;

    fn call() -> ToolCall {
        ToolCall::new("Read", json!({"file_path": "/p/a"}))
    }

    fn total(store: &Store, id: &str) -> u64 {
        store
            .load(id)
            .expect("load")
            .map_or(0, |s| s.history.events_total)
    }

    #[test]
    fn the_cap_holds_during_a_burst_of_new_sessions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        // No flush during the burst: every session is unsaved when the next one arrives.
        let s = Sessions::new(4, Duration::from_secs(3600));
        let now = SystemTime::now();
        for i in 0..100 {
            s.update(&store, &format!("burst-{i}"), now, |h| {
                h.record(&call());
            });
            assert!(s.stats().held <= 4, "{} held after {i}", s.stats().held);
        }
        assert_eq!(s.stats().evictions, 96);
        s.flush_all();
        for i in 0..100 {
            assert_eq!(total(&store, &format!("burst-{i}")), 1, "burst-{i}");
        }
        // A dropped session comes back with its history.
        s.update(&store, "burst-0", now, |h| {
            h.record(&call());
        });
        s.flush_all();
        assert_eq!(total(&store, "burst-0"), 2);
    }

    #[test]
    fn written_behind_then_flushed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let s = Sessions::new(8, Duration::from_secs(3600));
        let now = SystemTime::now();
        for _ in 0..3 {
            s.update(&store, "a", now, |h| {
                h.record(&call());
            });
        }
        assert_eq!(total(&store, "a"), 0, "nothing written before the flush");
        assert_eq!(s.flush_all(), 1);
        assert_eq!(total(&store, "a"), 3);
        assert_eq!(s.flush_all(), 0, "nothing left to write");
    }

    #[test]
    fn write_through_saves_before_returning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let s = Sessions::new(8, Duration::ZERO);
        s.update(&store, "a", SystemTime::now(), |h| {
            h.record(&call());
        });
        assert_eq!(total(&store, "a"), 1);
    }

    #[test]
    fn reloads_what_a_hook_process_wrote() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let s = Sessions::new(8, Duration::ZERO);
        let now = SystemTime::now();
        s.update(&store, "a", now, |h| {
            h.record(&call());
        });
        // A hook process records two events on its own.
        for _ in 0..2 {
            store
                .update("a", now, |h| {
                    h.record(&call());
                })
                .expect("update");
        }
        let n = s.update(&store, "a", now, |h| {
            h.record(&call());
            h.events_total
        });
        assert_eq!(n, 4, "the server went on from the hook's version");
        assert_eq!(total(&store, "a"), 4);
        assert_eq!(s.stats().conflicts, 0);
    }

    #[test]
    fn capacity_bounds_memory_and_evicted_sessions_come_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let s = Sessions::new(4, Duration::ZERO);
        let now = SystemTime::now();
        for i in 0..10 {
            s.update(&store, &format!("s{i}"), now, |h| {
                h.record(&call());
            });
        }
        let st = s.stats();
        assert_eq!(st.held, 4);
        assert_eq!(st.evictions, 6);
        let n = s.update(&store, "s0", now, |h| {
            h.record(&call());
            h.events_total
        });
        assert_eq!(n, 2, "an evicted session is read back from disk");
    }

    #[test]
    fn one_session_serializes_across_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::new(dir.path());
        let s = Sessions::new(8, Duration::from_millis(5));
        std::thread::scope(|sc| {
            sc.spawn(|| s.run_flusher(None));
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    sc.spawn(|| {
                        for _ in 0..50 {
                            s.update(&store, "one", SystemTime::now(), |h| {
                                h.record(&call());
                            });
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().expect("worker");
            }
            s.stop();
        });
        s.flush_all();
        assert_eq!(total(&store, "one"), 400);
    }
}
