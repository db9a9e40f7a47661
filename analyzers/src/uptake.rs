//! Uptake: whether the agent acted on a message it was shown, judged from the calls that followed.
//!
//! When a message is shown, its compact facts (rule, subject, the shown call's subject hash, error
//! signature, path hash, languages) are kept in the session's history as a [`Pending`]. Every
//! later call is held against each pending message, by the kind of incident its rule addresses,
//! until one tells (or its window of calls passes):
//!
//! | kind | heeded | ignored | window passes |
//! |---|---|---|---|
//! | loop | the subject succeeds or fails differently | the same failing call again | heeded (moved on) |
//! | tool-misuse | the dedicated tool is used | the same kind of Bash lookup again | unjudged |
//! | untested-change | a check covering the language runs | a commit comes first | unjudged |
//! | danger | — | the rule fires again (the same kind of call) | heeded |
//! | parallelizable | a turn of several calls | two more read-only calls one per turn | unjudged |
//! | wasted-context | — | the same file read again | heeded |
//! | protocol, others | — | the rule fires again on its subject | heeded |
//!
//! Nothing but hashes, names and bits is kept, never a command, an output or a file's contents.

use crate::builtin::{self, Kind};
use crate::text::{fnv1a64, tags, truncate_chars};
use crate::{Fact, Finding, History, Settings};
use serde::{Deserialize, Serialize};

/// Pending messages kept per session; a new one past it drops the oldest, unjudged.
pub const PENDING_CAPACITY: usize = 4;

/// What the agent did after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Uptake {
    /// It acted on it.
    Heeded,
    /// It went on as before.
    Ignored,
    /// Nothing that followed told either way.
    Unjudged,
}

/// A shown message awaiting its judgement: compact facts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pending {
    /// The rule shown.
    pub rule: String,
    /// Its subject (cut to 160 characters).
    pub subject: String,
    /// `events_total` when it was shown.
    pub at: u64,
    /// The shown call's [`Fact::subject`].
    pub call: u64,
    /// The shown call's error signature, when it failed.
    pub sig: Option<u64>,
    /// A hash of the shown call's path, when it had one.
    pub path: Option<u64>,
    /// Languages the message is about (untested-change: every language changed and not checked).
    pub langs: u16,
    /// Read-only calls made one per turn since (parallelizable).
    pub singles: u8,
}

/// One message judged: its rule and what the agent did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The rule of the message.
    pub rule: String,
    /// The judgement.
    pub uptake: Uptake,
}

fn kind_of(rule: &str) -> Option<Kind> {
    builtin::rule_def(rule).map(|r| r.kind)
}

/// Calls a pending message of `kind` waits for a sign.
fn window(kind: Option<Kind>) -> u64 {
    match kind {
        Some(Kind::Loop) => 3,
        Some(Kind::UntestedChange) => 40,
        _ => 6,
    }
}

/// What a window that passed without a sign means.
fn on_expiry(kind: Option<Kind>) -> Uptake {
    match kind {
        Some(Kind::ToolMisuse | Kind::UntestedChange | Kind::Parallelizable) => Uptake::Unjudged,
        _ => Uptake::Heeded,
    }
}

fn path_hash(f: &Fact) -> Option<u64> {
    f.path.as_deref().map(|p| fnv1a64(p.as_bytes()))
}

fn misuse_tag(tool: &str) -> u32 {
    match tool {
        "Glob" | "LS" => tags::LISTS,
        "Grep" => tags::SEARCHES,
        "Read" => tags::PRINTS,
        _ => 0,
    }
}

/// The sign `fact` (with this call's `findings`) gives about `p`, if any.
fn judge(p: &mut Pending, fact: &Fact, findings: &[Finding], gap_ms: u64) -> Option<Uptake> {
    let refired = |same_subject: bool| {
        findings
            .iter()
            .any(|f| f.rule == p.rule && (!same_subject || f.subject == p.subject))
    };
    match kind_of(&p.rule) {
        Some(Kind::Loop) => (fact.subject() == p.call).then(|| {
            if !fact.ok && fact.sig == p.sig {
                Uptake::Ignored
            } else {
                Uptake::Heeded
            }
        }),
        Some(Kind::ToolMisuse) => {
            let bit = misuse_tag(&p.subject);
            if fact.tool == p.subject {
                Some(Uptake::Heeded)
            } else {
                (fact.tool == "Bash" && bit != 0 && fact.tags & bit != 0).then_some(Uptake::Ignored)
            }
        }
        Some(Kind::UntestedChange) => {
            if fact.is_commit() {
                Some(Uptake::Ignored)
            } else {
                (fact.tool == "Bash" && fact.ok && fact.langs & p.langs != 0)
                    .then_some(Uptake::Heeded)
            }
        }
        Some(Kind::Parallelizable) => {
            let same_turn = fact
                .same_turn
                .unwrap_or_else(|| fact.gap.is_some_and(|g| g < gap_ms));
            if same_turn {
                return Some(Uptake::Heeded);
            }
            if builtin::is_read_only(&fact.tool) {
                p.singles += 1;
            }
            (p.singles >= 2).then_some(Uptake::Ignored)
        }
        Some(Kind::WastedContext) => {
            (fact.tool == "Read" && path_hash(fact) == p.path && p.path.is_some())
                .then_some(Uptake::Ignored)
        }
        Some(Kind::Danger) => refired(false).then_some(Uptake::Ignored),
        Some(Kind::Protocol) | None => refired(true).then_some(Uptake::Ignored),
    }
}

impl History {
    /// Holds the latest call (and its `findings`) against every pending message and returns those
    /// it judged, oldest first; a message whose window passed is judged by its kind's default.
    /// Call it after the call is recorded and analyzed, before a new message is chosen.
    pub fn observe_uptake(&mut self, findings: &[Finding], settings: &Settings) -> Vec<Resolved> {
        let Some(fact) = self.recent.back() else {
            return Vec::new();
        };
        if self.uptake.is_empty() {
            return Vec::new();
        }
        let gap = builtin::PARALLEL_GAP_MS;
        let gap_ms = settings.threshold(gap.key, gap.default).max(0.0) as u64;
        let now = self.events_total;
        let mut out = Vec::new();
        let mut kept = Vec::with_capacity(self.uptake.len());
        for mut p in std::mem::take(&mut self.uptake) {
            let kind = kind_of(&p.rule);
            let sign = judge(&mut p, fact, findings, gap_ms)
                .or_else(|| (now.saturating_sub(p.at) >= window(kind)).then(|| on_expiry(kind)));
            match sign {
                Some(uptake) => out.push(Resolved {
                    rule: p.rule,
                    uptake,
                }),
                None => kept.push(p),
            }
        }
        self.uptake = kept;
        out
    }

    /// Keeps the message of `rule` on `subject`, shown for the latest call, pending its judgement.
    /// Returns a message it displaced past [`PENDING_CAPACITY`], unjudged.
    pub fn await_uptake(&mut self, rule: &str, subject: &str) -> Option<Resolved> {
        let fact = self.recent.back()?;
        let langs = if kind_of(rule) == Some(Kind::UntestedChange) {
            self.counters.unchecked.iter().fold(0, |a, u| a | u.lang)
        } else {
            0
        };
        let pending = Pending {
            rule: rule.to_string(),
            subject: truncate_chars(subject, 160).into_owned(),
            at: self.events_total,
            call: fact.subject(),
            sig: fact.sig.filter(|_| !fact.ok),
            path: path_hash(fact),
            langs,
            singles: 0,
        };
        self.uptake.push(pending);
        (self.uptake.len() > PENDING_CAPACITY).then(|| {
            let p = self.uptake.remove(0);
            Resolved {
                rule: p.rule,
                uptake: Uptake::Unjudged,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Severity, ToolCall};
    use serde_json::json;

    fn bash(cmd: &str) -> ToolCall {
        ToolCall::new("Bash", json!({ "command": cmd }))
    }

    fn read(path: &str) -> ToolCall {
        ToolCall::new("Read", json!({ "file_path": path }))
    }

    /// A session in which `rule` on `subject` was shown for the last of `before`.
    struct S {
        h: History,
        ts: u64,
    }

    impl S {
        fn shown(before: &[ToolCall], rule: &str, subject: &str) -> S {
            let mut s = S {
                h: History::new(),
                ts: 0,
            };
            for c in before {
                s.call(c.clone(), &[]);
            }
            assert_eq!(s.h.await_uptake(rule, subject), None);
            s
        }

        /// Records `c` (10 s after the previous call) with these findings; what it judged.
        fn call(&mut self, c: ToolCall, findings: &[Finding]) -> Vec<Uptake> {
            self.ts += 10_000;
            self.h.record(&c.at(self.ts));
            self.h
                .observe_uptake(findings, &Settings::default())
                .into_iter()
                .map(|r| r.uptake)
                .collect()
        }

        fn fast(&mut self, c: ToolCall) -> Vec<Uptake> {
            self.ts -= 9_900;
            self.call(c, &[])
        }
    }

    fn fired(rule: &'static str, subject: &str) -> Finding {
        Finding::new(rule, Severity::Major, 50).subject(subject)
    }

    const FAIL: &str = "error[E0425]: cannot find value `x` in this scope";

    #[test]
    fn loop_same_failure_is_ignored_a_change_is_heeded() {
        let failing = || bash("cargo build").failed_with(FAIL);
        let mut s = S::shown(&[failing(), failing()], "failure-loop", "cargo build");
        assert_eq!(s.call(failing(), &[]), [Uptake::Ignored]);

        let mut s = S::shown(&[failing(), failing()], "failure-loop", "cargo build");
        let other = bash("cargo build").failed_with("error[E0308]: mismatched types");
        assert_eq!(s.call(other, &[]), [Uptake::Heeded], "a changed signature");

        let mut s = S::shown(&[failing(), failing()], "failure-loop", "cargo build");
        assert!(
            s.call(read("/p/src/main.rs"), &[]).is_empty(),
            "no sign yet"
        );
        assert!(s.call(read("/p/src/lib.rs"), &[]).is_empty());
        assert_eq!(
            s.call(read("/p/src/x.rs"), &[]),
            [Uptake::Heeded],
            "moved on for the whole window"
        );
    }

    #[test]
    fn tool_misuse_dedicated_tool_is_heeded_more_bash_is_ignored() {
        let before = [bash("grep -rn foo src"), bash("grep -rn bar src")];
        let mut s = S::shown(&before, "tool-misuse", "Grep");
        let grep = ToolCall::new("Grep", json!({"pattern": "foo"}));
        assert_eq!(s.call(grep, &[]), [Uptake::Heeded]);

        let mut s = S::shown(&before, "tool-misuse", "Grep");
        assert!(s.call(read("/p/a.rs"), &[]).is_empty());
        assert_eq!(s.call(bash("grep -rn baz src"), &[]), [Uptake::Ignored]);
    }

    #[test]
    fn untested_change_check_is_heeded_a_commit_first_is_ignored() {
        let edit = ToolCall::new(
            "Edit",
            json!({"file_path": "/p/src/lib.rs", "old_string": "a", "new_string": "b"}),
        );
        let before = [edit, bash("git commit -m x")];
        let mut s = S::shown(&before, "untested-change", "lang:rust");
        assert!(s.h.uptake[0].langs != 0, "the language is kept");
        assert_eq!(s.call(bash("cargo test"), &[]), [Uptake::Heeded]);

        let mut s = S::shown(&before, "untested-change", "lang:rust");
        assert!(s.call(bash("npm test"), &[]).is_empty(), "another language");
        assert_eq!(s.call(bash("git commit -m y"), &[]), [Uptake::Ignored]);
    }

    #[test]
    fn danger_same_kind_again_is_ignored_else_heeded() {
        let push = || bash("git push --force origin main");
        let mut s = S::shown(&[push()], "danger", "git push");
        assert_eq!(
            s.call(push(), &[fired("danger", "git push")]),
            [Uptake::Ignored]
        );

        let mut s = S::shown(&[push()], "danger", "git push");
        let judged: Vec<Uptake> = (0..6)
            .flat_map(|i| s.call(bash(&format!("git status {i}")), &[]))
            .collect();
        assert_eq!(judged, [Uptake::Heeded]);
    }

    #[test]
    fn parallelizable_multi_call_turn_is_heeded_singles_are_ignored() {
        let before = [read("/p/a"), read("/p/b"), read("/p/c")];
        let mut s = S::shown(&before, "parallelizable", "reads");
        assert!(s.call(read("/p/d"), &[]).is_empty());
        assert_eq!(s.fast(read("/p/e")), [Uptake::Heeded]);

        let mut s = S::shown(&before, "parallelizable", "reads");
        assert!(s.call(read("/p/d"), &[]).is_empty());
        assert_eq!(s.call(read("/p/e"), &[]), [Uptake::Ignored]);
    }

    #[test]
    fn wasted_context_reread_is_ignored_else_heeded() {
        let before = [read("/p/big.log"), read("/p/big.log")];
        let mut s = S::shown(&before, "wasted-context", "/p/big.log");
        assert!(s.call(read("/p/other"), &[]).is_empty());
        assert_eq!(s.call(read("/p/big.log"), &[]), [Uptake::Ignored]);

        let mut s = S::shown(&before, "wasted-context", "/p/big.log");
        let judged: Vec<Uptake> = (0..6)
            .flat_map(|i| s.call(read(&format!("/p/f{i}")), &[]))
            .collect();
        assert_eq!(judged, [Uptake::Heeded]);
    }

    #[test]
    fn protocol_refire_on_its_subject_is_ignored_else_heeded() {
        let task = || ToolCall::new("Task", json!({"prompt": "x"}));
        let mut s = S::shown(&[task()], "coordinator-bypass", "");
        assert!(
            s.call(task(), &[fired("native-overuse", "")]).is_empty(),
            "another rule"
        );
        assert_eq!(
            s.call(task(), &[fired("coordinator-bypass", "")]),
            [Uptake::Ignored]
        );

        let mut s = S::shown(&[task()], "coordinator-bypass", "");
        let judged: Vec<Uptake> = (0..6).flat_map(|_| s.call(task(), &[])).collect();
        assert_eq!(judged, [Uptake::Heeded]);
    }

    #[test]
    fn pending_messages_are_bounded() {
        let mut s = S::shown(&[read("/p/a")], "tool-misuse", "Grep");
        for i in 0..PENDING_CAPACITY {
            let gone = s.h.await_uptake("wasted-context", &format!("/p/{i}"));
            assert_eq!(gone.is_some(), i + 1 == PENDING_CAPACITY);
        }
        assert_eq!(s.h.uptake.len(), PENDING_CAPACITY);
        let mut s = S::shown(&[read("/p/a")], "x", &"s".repeat(10_000));
        assert_eq!(s.h.uptake[0].subject.chars().count(), 160);
        assert!(s.call(read("/p/b"), &[]).is_empty());
    }
}
