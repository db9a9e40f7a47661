//! A realistic session to measure against: the state a hook finds after 200 calls.
//!
//! Claude Code runs the hook in a session that has been going on for a while; its state file is
//! then full (the history keeps its last 64 facts, the counters and file set grow), and loading and
//! saving it is part of every call. The seed is built in this process from the embedded session
//! sequences, cycled to [`SEED_EVENTS`] calls, and stored under each session id a scenario uses.

use super::scenarios;
use crate::runtime::Runtime;
use crate::store::Store;
use posthook_analyzers::{History, Settings};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

/// Calls recorded in a seeded session.
pub(super) const SEED_EVENTS: usize = 200;

/// The history after [`SEED_EVENTS`] calls of the embedded sessions, ending `end_ms`.
pub(super) fn history(settings: &Settings, end_ms: u64) -> History {
    let payloads: Vec<Vec<u8>> = (scenarios::sessions().into_iter())
        .flat_map(|s| s.payloads)
        .collect();
    let rt = Runtime::builder().settings(settings.clone()).build();
    let mut h = History::new();
    let start = end_ms.saturating_sub(SEED_EVENTS as u64 * 1_000);
    for (i, p) in payloads.iter().cycle().take(SEED_EVENTS).enumerate() {
        let ts = start + i as u64 * 1_000;
        if let Ok(input) = crate::input::parse(p, ts, None) {
            if let Some(call) = input.call.as_ref() {
                rt.process(call, &mut h);
            }
        }
    }
    h
}

/// Now, in ms since the epoch.
pub(super) fn now_ms() -> u64 {
    crate::clock::unix_ms(SystemTime::now())
}

/// Stores `history` in the state dir `dir` under every session id the `payloads` name.
pub(super) fn store(dir: &Path, payloads: &[Vec<u8>], history: &History) -> Result<(), String> {
    let store = Store::new(dir);
    let ids: BTreeSet<String> = (payloads.iter())
        .filter_map(|p| crate::input::parse(p, 0, None).ok())
        .map(|i| i.session_id)
        .collect();
    for id in ids {
        let u = store.update(&id, SystemTime::now(), |h| *h = history.clone());
        if let Some(e) = u.map_err(|e| e.to_string())?.save_error {
            return Err(format!("seeding session state: {e}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_session_is_full_and_stored_under_each_id() {
        let h = history(&Settings::default(), 1_800_000_000_000);
        assert_eq!(h.events_total, SEED_EVENTS as u64);
        assert_eq!(h.recent.len(), posthook_analyzers::HISTORY_CAPACITY);
        let dir = tempfile::tempdir().expect("tempdir");
        let payloads = vec![
            br#"{"session_id":"a","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{}}"#.to_vec(),
            br#"{"session_id":"b","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{}}"#.to_vec(),
            br#"{"session_id":"a","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{}}"#.to_vec(),
        ];
        store(dir.path(), &payloads, &h).expect("stored");
        for id in ["a", "b"] {
            let s = Store::new(dir.path())
                .load(id)
                .expect("load")
                .expect("stored");
            assert_eq!(s.history, h);
        }
    }
}
