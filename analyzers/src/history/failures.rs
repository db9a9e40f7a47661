//! Recent failures by subject and signature, for telling the same failure again (loops).

use super::limits::FAILURES_CAPACITY;
use super::{Fact, History};
use serde::{Deserialize, Serialize};

/// A failure remembered for loop detection: what failed and how, never the error text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureMark {
    /// [`Fact::subject`] of the failed call.
    pub subject: u64,
    /// Its error signature.
    pub sig: u64,
    /// How many times this subject failed with this signature in a row (other failures of the
    /// same subject reset it).
    pub times: u32,
    /// `events_total` at its latest failure.
    pub at: u64,
    /// Whether a file was changed since this run of failures began.
    #[serde(default)]
    pub changed: bool,
    /// The agent (a hash of its id; 0: the main thread) of the latest failure.
    #[serde(default)]
    pub agent: u64,
    /// How many times in this run the failure came from another agent than the time before: more
    /// than 0 means several agents keep running into it (an instruction they all share).
    #[serde(default)]
    pub other_agents: u32,
}

impl History {
    pub(super) fn note_failure(&mut self, subject: u64, sig: u64) {
        let at = self.events_total;
        let agent = self
            .agent
            .as_deref()
            .map_or(0, |a| crate::fnv1a64(a.as_bytes()));
        if let Some(i) = self.failures.iter().position(|m| m.subject == subject) {
            let mut m = self.failures.remove(i).unwrap_or_default();
            if m.sig == sig {
                m.times += 1;
                if m.agent != agent {
                    m.other_agents += 1;
                }
            } else {
                m.times = 1;
                m.changed = false;
                m.other_agents = 0;
            }
            m.sig = sig;
            m.at = at;
            m.agent = agent;
            self.failures.push_back(m);
        } else {
            if self.failures.len() >= FAILURES_CAPACITY {
                self.failures.pop_front();
            }
            self.failures.push_back(FailureMark {
                subject,
                sig,
                times: 1,
                at,
                changed: false,
                agent,
                other_agents: 0,
            });
        }
    }

    /// How many times in a row `fact`'s subject has failed with `fact`'s signature (0 when the
    /// fact is not a failure).
    pub fn failure_streak(&self, fact: &Fact) -> u32 {
        self.failure_mark(fact).map_or(0, |m| m.times)
    }

    /// The run of failures `fact` belongs to: its subject's, when the signature is the same.
    pub fn failure_mark(&self, fact: &Fact) -> Option<&FailureMark> {
        let (Some(sig), false) = (fact.sig, fact.ok) else {
            return None;
        };
        let subject = fact.subject();
        self.failures
            .iter()
            .rev()
            .find(|m| m.subject == subject)
            .filter(|m| m.sig == sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolCall;
    use serde_json::json;

    fn bash(cmd: &str) -> ToolCall {
        ToolCall::new("Bash", json!({ "command": cmd }))
    }

    #[test]
    fn failures_are_counted_by_subject_and_signature() {
        let mut h = History::new();
        let fail = |err: &str| bash("cargo test").failed_with(err.to_string());
        h.record(&fail("Exit code 101\nerror: x"));
        h.record(&fail("Exit code 101\nerror: x"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 2);
        h.record(&fail("Exit code 101\nerror: y"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 1, "another error starts over");
        h.record(&bash("ls"));
        let f = h.recent.back().cloned().expect("fact");
        assert_eq!(h.failure_streak(&f), 0);
        let json = serde_json::to_string(&h).expect("serializes");
        assert!(!json.contains("error: x"), "signatures only");
    }
}
