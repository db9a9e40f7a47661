//! The concurrent load test: U users send R requests each, in parallel, one process per request.
//!
//! In `separate_sessions` mode each user is its own session; in `same_session` mode all users
//! write to one session, which is what parallel tool calls of one Claude Code session do, and
//! where a hook that does not lock its state loses events. Lost events are counted from the
//! session store afterwards: sent minus recorded.

use super::measure::{RunSample, Scratch, Spawner};
use super::results::LoadResult;
use super::spawner::Launcher;
use super::stats::Summary;
use crate::store::Store;
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
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

/// The shape of one load test.
#[derive(Debug, Clone, Copy)]
pub(super) struct LoadShape {
    /// Parallel users.
    pub users: usize,
    /// Requests per user.
    pub requests: usize,
    /// All users in one session.
    pub same_session: bool,
    /// Read posthook's session store afterwards to count lost events (posthook only).
    pub count_store: bool,
}

/// Runs one load test; `payloads` are cycled through, each user starting at its own offset.
pub(super) fn run(
    exe: &Path,
    spawner: &Spawner,
    payloads: &[Vec<u8>],
    shape: LoadShape,
    scratch: &Scratch,
) -> io::Result<LoadResult> {
    let LoadShape {
        users,
        requests,
        same_session,
        count_store,
    } = shape;
    let mode = if same_session {
        "same_session"
    } else {
        "separate_sessions"
    };
    let state = scratch.fresh_state(&format!("load-{mode}"))?;
    let scratch_dirs = (0..users)
        .map(|u| scratch.dir(&format!("load-out-{u}")))
        .collect::<io::Result<Vec<_>>>()?;
    let start = Instant::now();
    let samples = run_users(exe, spawner, payloads, &shape, &state, &scratch_dirs)?;
    let wall = start.elapsed().as_secs_f64();
    let sent = samples.len();
    let ok: Vec<f64> = samples
        .iter()
        .filter(|s| s.success())
        .map(|s| s.wall.as_secs_f64())
        .collect();
    let succeeded = ok.len();
    let latency = Summary::of(&ok);
    let success_rate = if sent == 0 {
        0.0
    } else {
        succeeded as f64 / sent as f64
    };
    let recorded = count_store.then(|| {
        let mut sessions: Vec<String> = (0..users).map(|u| session_of(same_session, u)).collect();
        sessions.dedup();
        recorded_events(&state, &sessions)
    });
    let lost_events = recorded.map(|r| (sent as u64).saturating_sub(r));
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

/// The session of user `u`: one shared by all in `same_session` mode, else its own.
fn session_of(same_session: bool, u: usize) -> String {
    if same_session {
        "load-shared".to_string()
    } else {
        format!("load-user-{u}")
    }
}

/// The users in parallel, one thread and one spawner helper each, every request a process with
/// its state in `state`; all their samples.
fn run_users(
    exe: &Path,
    spawner: &Spawner,
    payloads: &[Vec<u8>],
    shape: &LoadShape,
    state: &Path,
    scratch_dirs: &[PathBuf],
) -> io::Result<Vec<RunSample>> {
    let &LoadShape {
        users,
        requests,
        same_session,
        ..
    } = shape;
    let results: Vec<io::Result<Vec<RunSample>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..users)
            .map(|u| {
                let session = session_of(same_session, u);
                let out_dir = &scratch_dirs[u];
                scope.spawn(move || {
                    // Each user its own helper, started before the clock runs for its requests.
                    let mut launcher = Launcher::start(exe);
                    let mut samples = Vec::with_capacity(requests);
                    for r in 0..requests {
                        let Some(t) = payloads.get((u + r) % payloads.len().max(1)) else {
                            break;
                        };
                        let payload = with_session(t, &session);
                        samples.push(launcher.run(spawner, &payload, state, out_dir)?);
                    }
                    Ok(samples)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a load-test thread panicked")))
            })
            .collect()
    });
    let mut samples = Vec::new();
    for r in results {
        samples.extend(r?);
    }
    Ok(samples)
}

/// The events posthook's session store in `state` recorded for `sessions`.
fn recorded_events(state: &Path, sessions: &[String]) -> u64 {
    let store = Store::new(state);
    sessions
        .iter()
        .map(|s| {
            store
                .load(s)
                .ok()
                .flatten()
                .map_or(0, |st| st.history.events_total)
        })
        .sum::<u64>()
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
