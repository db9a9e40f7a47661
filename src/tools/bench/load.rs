//! The concurrent load test: U users send R requests each, in parallel, one process per request.
//!
//! In `separate_sessions` mode each user is its own session; in `same_session` mode all users
//! write to one session, which is what parallel tool calls of one Claude Code session do, and
//! where a hook that does not lock its state loses events. Lost events are counted from
//! posthook's session store afterwards: sent minus recorded.

use super::measure::{RunSample, Scratch, Spawner};
use super::results::LoadResult;
use super::spawner::Launcher;
use super::stats::Summary;
use crate::store::Store;
use serde_json::Value;
use std::io;
use std::path::Path;
use std::time::Instant;

/// The original's pass rule: mean latency under 200 ms and more than 80% success.
pub(super) fn passes(mean_s: f64, success_rate: f64) -> bool {
    mean_s < 0.200 && success_rate > 0.8
}

fn with_session(template: &[u8], session: &str) -> Vec<u8> {
    match serde_json::from_slice::<Value>(template) {
        Ok(Value::Object(mut o)) => {
            o.insert("session_id".into(), Value::String(session.to_string()));
            Value::Object(o).to_string().into_bytes()
        }
        _ => template.to_vec(),
    }
}

/// Runs one load test of `users` × `requests` of `spawner` (spawned by helpers of `exe`; posthook's
/// store is read to count lost events); `payloads` are cycled through, each user starting at its
/// own offset, with one thread and one spawner helper each.
pub(super) fn run(
    (exe, spawner, posthook): (&Path, &Spawner, bool),
    payloads: &[Vec<u8>],
    (users, requests, same_session): (usize, usize, bool),
    scratch: &Scratch,
) -> io::Result<LoadResult> {
    let mode = if same_session {
        "same_session"
    } else {
        "separate_sessions"
    };
    let state = scratch.fresh_state(&format!("load-{mode}"))?;
    let session = |u: usize| match same_session {
        true => "load-shared".to_string(),
        false => format!("load-user-{u}"),
    };
    let user = |u: usize| -> io::Result<Vec<RunSample>> {
        let out_dir = scratch.dir(&format!("load-out-{u}"))?;
        let mut launcher = Launcher::start(exe)?;
        let sent = (0..requests).filter_map(|r| payloads.get((u + r) % payloads.len().max(1)));
        let run =
            |p: &Vec<u8>| launcher.run(spawner, &with_session(p, &session(u)), &state, &out_dir);
        sent.map(run).collect()
    };
    let start = Instant::now();
    let results: Vec<io::Result<Vec<RunSample>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..users).map(|u| scope.spawn(move || user(u))).collect();
        let panicked = || Err(io::Error::other("a load-test thread panicked"));
        (handles.into_iter())
            .map(|h| h.join().unwrap_or_else(|_| panicked()))
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let samples: Vec<RunSample> = (results.into_iter())
        .collect::<io::Result<Vec<_>>>()?
        .concat();
    let sent = samples.len();
    let ok: Vec<f64> = (samples.iter().filter(|s| s.success()))
        .map(|s| s.wall.as_secs_f64())
        .collect();
    let (latency, success_rate) = (Summary::of(&ok), ok.len() as f64 / sent.max(1) as f64);
    let lost_events = posthook.then(|| {
        let mut sessions: Vec<String> = (0..users).map(session).collect();
        sessions.dedup();
        let store = Store::new(&state);
        let recorded: u64 = (sessions.iter())
            .filter_map(|s| store.load(s).ok().flatten())
            .map(|st| st.history.events_total)
            .sum();
        (sent as u64).saturating_sub(recorded)
    });
    Ok(LoadResult {
        mode,
        subject: spawner.label.clone(),
        users,
        requests_per_user: requests,
        sent,
        success_rate,
        throughput_per_s: if wall > 0.0 { sent as f64 / wall } else { 0.0 },
        latency,
        lost_events,
        passed: passes(latency.mean, success_rate) && lost_events.unwrap_or(0) == 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_rule() {
        assert!(passes(0.150, 0.9));
        assert!(!passes(0.200, 1.0));
        assert!(!passes(0.010, 0.8));
    }

    #[test]
    fn session_is_rewritten() {
        let p = with_session(br#"{"session_id":"a","tool_name":"Read"}"#, "b");
        let v: Value = serde_json::from_slice(&p).expect("json");
        assert_eq!(v["session_id"], "b");
        assert_eq!(v["tool_name"], "Read");
        assert_eq!(with_session(b"[1]", "b"), b"[1]".to_vec());
    }
}
