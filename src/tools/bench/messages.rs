//! What posthook tells Claude on real sessions (the embedded ones, or the user's own calls): each
//! session's calls run in order through the Runtime (as the hook runs them, one history per
//! session), with every message it gives and the time each call took in this process.

use super::scenarios::Scenario;
use super::stats::Summary;
use crate::runtime::Runtime;
use posthook_analyzers::{History, Settings};
use std::collections::HashMap;
use std::time::Instant;

/// One message posthook gives Claude.
pub(super) struct Message {
    /// The call's position in the session, from 1.
    pub call: usize,
    pub session: String,
    pub tool: String,
    /// The command, path or description, cut short.
    pub what: String,
    /// The message's first line.
    pub text: String,
    /// The call's time in process (s).
    pub cost_s: f64,
}

/// The embedded sessions replayed.
pub(super) struct Messages {
    pub sessions: usize,
    pub calls: usize,
    pub messages: Vec<Message>,
    /// Time per call in process, warm (s).
    pub cost: Summary,
}

/// Replays `sessions` twice on one Runtime: once to build its analyzers and fill its caches, then
/// again, from fresh histories, timing each call and keeping each message.
pub(super) fn replay(sessions: &[Scenario], settings: &Settings) -> Messages {
    let rt = Runtime::builder().settings(settings.clone()).build();
    let mut kept = Vec::new();
    let mut times = Vec::new();
    for measured in [false, true] {
        let mut histories: HashMap<&str, History> = HashMap::new();
        for sc in sessions {
            for (i, p) in sc.payloads.iter().enumerate() {
                let ts = 1_800_000_000_000 + i as u64 * 1_000;
                let start = Instant::now();
                let Ok(input) = crate::input::parse(p, ts, None) else {
                    continue;
                };
                let Some(call) = input.call.as_ref() else {
                    continue;
                };
                let report = rt.process(call, histories.entry(&sc.name).or_default());
                let cost_s = start.elapsed().as_secs_f64();
                if !measured {
                    continue;
                }
                times.push(cost_s);
                if let Some(f) = report.feedback {
                    kept.push(Message {
                        call: i + 1,
                        session: sc.name.clone(),
                        tool: call.tool.to_string(),
                        what: crate::tools::replay::detail(call),
                        text: f.text.lines().next().unwrap_or("").to_string(),
                        cost_s,
                    });
                }
            }
        }
    }
    Messages {
        sessions: sessions.len(),
        calls: times.len(),
        messages: kept,
        cost: Summary::of(&times),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_sessions_give_messages() {
        let sessions = crate::tools::bench::scenarios::sessions();
        let m = replay(&sessions, &Settings::default());
        assert_eq!(m.sessions, sessions.len());
        let calls: usize = sessions.iter().map(|s| s.payloads.len()).sum();
        assert_eq!((m.calls, m.cost.n), (calls, calls));
        // The subagent's session searches with `find` where Glob does it: posthook says so.
        let glob = (m.messages.iter())
            .find(|x| x.text.contains("[tool-misuse]"))
            .expect("a tool-misuse message");
        assert_eq!(
            (glob.session.as_str(), glob.tool.as_str()),
            ("session-agent", "Bash")
        );
        assert!(glob.what.starts_with("find "), "{}", glob.what);
        assert!(m.messages.iter().all(|x| x.cost_s > 0.0 && x.call >= 1));
    }
}
