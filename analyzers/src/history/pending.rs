//! Work not yet checked, kept per scope (the whole session, and each stream of work): the code
//! changed since the last check that covers its language, the last checks and how they ended, and
//! the state the last blocked stop was about. What `unchecked-stop` judges the end of a turn on.
//!
//! Only paths, command heads, hashes and flags are kept: never a check's output.

use super::limits::MAX_CMD_HEAD_CHARS;
use super::Fact;
use crate::text::{fnv1a64, truncate_chars};
use serde::{Deserialize, Serialize};

/// Distinct files remembered per language (past it, "and N more" counts no further).
pub const PENDING_FILES_CAPACITY: usize = 64;
/// Paths kept per language to name in a message (the latest changed).
pub const PENDING_PATHS: usize = 3;
/// Check marks kept per scope.
const CHECKS_CAPACITY: usize = 8;
/// Languages kept per scope.
const LANGS_CAPACITY: usize = 16;

/// Code of one language changed since the last check that covers it, in one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Changed {
    /// The language bit.
    pub lang: u16,
    /// The latest changed files, at most [`PENDING_PATHS`], the newest last.
    pub paths: Vec<String>,
    /// Hashes of every distinct file changed, at most [`PENDING_FILES_CAPACITY`].
    pub files: Vec<u64>,
    /// Successful changes.
    pub changes: u32,
}

/// One check (a test, a build, a type check) and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckMark {
    /// The languages it covers ([`crate::langs::ANY`] for a generic runner).
    pub langs: u16,
    /// Its command head (`cargo test`, `mix test`).
    pub head: String,
    /// Whether it passed.
    pub ok: bool,
    /// Its failure's [`crate::error_signature`], when it failed.
    pub sig: Option<u64>,
    /// A hash of its `tool_use_id`, to find what it printed where that is kept (the transcript).
    pub id: Option<u64>,
}

/// What one scope (the session, or one stream) has changed and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pending {
    /// Code changed since the last check that covers it, per language.
    pub changed: Vec<Changed>,
    /// The latest checks, oldest first; a check is dropped once a later one covers all it covered.
    pub checks: Vec<CheckMark>,
    /// The languages whose code this scope has changed at all.
    pub touched: u16,
    /// The state the last blocked stop was about (0: none), so the same state never blocks twice.
    pub blocked: u64,
}

impl Pending {
    /// Whether nothing is pending and nothing was blocked.
    pub fn is_empty(&self) -> bool {
        *self == Pending::default()
    }

    /// Records a fact: a successful change of a code file, or a check.
    pub fn note(&mut self, fact: &Fact) {
        if let (Some(head), true) = (&fact.cmd, fact.langs != 0) {
            self.note_check(fact, head);
        } else if fact.is_write() && fact.ok && fact.langs != 0 {
            self.note_change(fact);
        }
    }

    fn note_check(&mut self, fact: &Fact, head: &str) {
        let covered = fact.langs;
        self.changed.retain(|c| c.lang & covered == 0);
        self.checks.retain(|m| m.langs & !covered != 0);
        if self.checks.len() >= CHECKS_CAPACITY {
            self.checks.remove(0);
        }
        self.checks.push(CheckMark {
            langs: covered,
            head: truncate_chars(head, MAX_CMD_HEAD_CHARS).into_owned(),
            ok: fact.ok,
            sig: fact.sig.filter(|_| !fact.ok),
            id: fact.id,
        });
    }

    fn note_change(&mut self, fact: &Fact) {
        let path = fact.path.clone().unwrap_or_default();
        let file = fnv1a64(path.as_bytes());
        self.touched |= fact.langs;
        let i = match self.changed.iter().position(|c| c.lang == fact.langs) {
            Some(i) => i,
            None if self.changed.len() < LANGS_CAPACITY => {
                self.changed.push(Changed {
                    lang: fact.langs,
                    ..Changed::default()
                });
                self.changed.len() - 1
            }
            None => return,
        };
        let c = &mut self.changed[i];
        c.changes = c.changes.saturating_add(1);
        if !c.files.contains(&file) && c.files.len() < PENDING_FILES_CAPACITY {
            c.files.push(file);
        }
        c.paths.retain(|p| *p != path);
        if c.paths.len() >= PENDING_PATHS {
            c.paths.remove(0);
        }
        c.paths.push(path);
    }

    /// The latest check that covers `lang`.
    pub fn last_check(&self, lang: u16) -> Option<&CheckMark> {
        self.checks.iter().rev().find(|m| m.langs & lang != 0)
    }

    /// The checks that failed and are still the latest for some language this scope changed:
    /// no later check covers all of that, whatever changed since.
    pub fn failing(&self) -> impl Iterator<Item = &CheckMark> {
        self.checks.iter().enumerate().filter_map(move |(i, m)| {
            let later = self.checks[i + 1..].iter().fold(0u16, |a, n| a | n.langs);
            (!m.ok && m.langs & self.touched & !later != 0).then_some(m)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{History, ToolCall};
    use serde_json::json;

    fn fact(call: ToolCall) -> Fact {
        let mut h = History::new();
        h.record(&call).clone()
    }
    fn edit(p: &str) -> Fact {
        fact(ToolCall::new(
            "Edit",
            json!({"file_path": p, "new_string": "x"}),
        ))
    }
    fn bash(c: &str) -> Fact {
        fact(ToolCall::new("Bash", json!({ "command": c })))
    }

    #[test]
    fn changes_checks_and_failures() {
        let mut p = Pending::default();
        p.note(&edit("/p/a.rs"));
        p.note(&edit("/p/b.rs"));
        p.note(&edit("/p/a.rs"));
        p.note(&edit("/p/README.md"));
        assert_eq!(p.changed.len(), 1, "docs are not code");
        assert_eq!(p.changed[0].paths, vec!["/p/b.rs", "/p/a.rs"]);
        assert_eq!((p.changed[0].files.len(), p.changed[0].changes), (2, 3));
        p.note(&fact(
            ToolCall::new("Bash", json!({"command": "cargo test"}))
                .failed_with("Exit code 101\nerror[E0308]: mismatched types"),
        ));
        assert!(p.changed.is_empty(), "checked, even though it failed");
        assert_eq!(p.failing().count(), 1);
        p.note(&bash("npx vitest run"));
        assert_eq!(p.failing().count(), 1, "another language's check");
        p.note(&bash("cargo test"));
        assert_eq!(p.failing().count(), 0, "fixed");
        assert_eq!(p.checks.len(), 2, "the failed run was superseded");
        assert_eq!(p.last_check(crate::langs::RUST).map(|m| m.ok), Some(true));
    }
}
