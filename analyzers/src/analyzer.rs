//! The [`Analyzer`] trait and what an analyzer sees.

use crate::{Fact, Finding, History, Pending, Settings, Threshold, ToolCall};

/// Memoizes pure classifications of strings (a command's safety flags, a path's class, ...).
///
/// A long-lived runtime (the library, `replay`, `--bench`) sees the same commands and paths again and
/// again; a cache turns repeated regex work into a hash lookup. Implementations must be cheap to call
/// and must only cache: `compute` is a pure function of `input`, so skipping the cache never changes a
/// result.
pub trait PatternCache: Sync {
    /// Returns `compute(input)`, possibly from the cache. `namespace` separates unrelated
    /// classifications of the same string.
    fn classify(&self, namespace: &'static str, input: &str, compute: &dyn Fn(&str) -> u64) -> u64;
}

/// A [`PatternCache`] that caches nothing: for one-shot use and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

impl PatternCache for NoCache {
    fn classify(
        &self,
        _namespace: &'static str,
        input: &str,
        compute: &dyn Fn(&str) -> u64,
    ) -> u64 {
        compute(input)
    }
}

/// What an analyzer sees of one call: read-only.
///
/// The history already holds the current call: `history.recent.back()` is `fact`, and the counters
/// include it. Analyzers that want "the calls before this one" skip the last fact.
pub struct Context<'a> {
    /// The call that just finished, with its full input (never persisted).
    pub call: &'a ToolCall,
    /// The compact facts recorded for this call.
    pub fact: &'a Fact,
    /// The session's history, including this call.
    pub history: &'a History,
    /// Profile, disabled rules, thresholds.
    pub settings: &'a Settings,
    /// Memoization for pattern matches.
    pub cache: &'a dyn PatternCache,
}

impl Context<'_> {
    /// The facts before the current call, newest first.
    pub fn previous(&self) -> impl Iterator<Item = &Fact> {
        self.history.recent.iter().rev().skip(1)
    }

    /// A threshold from the settings, `default` when not configured.
    pub fn threshold(&self, key: &str, default: f64) -> f64 {
        self.settings.threshold(key, default)
    }

    /// A declared [`Threshold`], as configured (or its default).
    pub fn limit(&self, t: &Threshold) -> f64 {
        self.settings.threshold(t.key, t.default)
    }

    /// A declared [`Threshold`] as a count (negative values read as 0).
    pub fn count(&self, t: &Threshold) -> u64 {
        let v = self.limit(t);
        if v.is_finite() && v > 0.0 {
            v as u64
        } else {
            0
        }
    }
}

/// A check the project itself names, whatever the session ran: `cargo test` where a `Cargo.toml`
/// is, `mix test` where a `mix.exs` is. The shell finds them (the analyzers read no files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectCheck {
    /// The language bit it covers.
    pub lang: u16,
    /// The command.
    pub command: String,
    /// The file that names it (`Cargo.toml`).
    pub because: String,
}

/// What an analyzer sees at the end of a turn (`Stop` for the main thread, `SubagentStop` for a
/// subagent): read-only.
pub struct StopContext<'a> {
    /// The session's history.
    pub history: &'a History,
    /// The subagent that is stopping; `None`: the main thread.
    pub agent: Option<&'a str>,
    /// The project root, when known (paths under it are shown relative to it).
    pub root: Option<&'a str>,
    /// The project's own checks (see [`ProjectCheck`]).
    pub project_checks: &'a [ProjectCheck],
    /// Profile, disabled rules, thresholds, stop mode.
    pub settings: &'a Settings,
    /// What a call printed, by the hash of its `tool_use_id` ([`Fact::id`]), where the shell can
    /// still find it (the transcript): the history never keeps outputs.
    pub recall: &'a dyn Fn(u64) -> Option<String>,
}

impl StopContext<'_> {
    /// What the stopping stream is judged on: the whole session's for the main thread (its turn
    /// ends the work), the subagent's own stream for a subagent.
    pub fn pending(&self) -> Option<&Pending> {
        self.history.pending_of(self.agent)
    }
}

/// One analysis over a call and its session history.
///
/// Implementations are pure: no I/O, no clocks, no global mutable state. They are built lazily by the
/// runtime, may be shared across threads, and are timed individually. A panic inside `analyze` is
/// caught by the runtime and reported as a skipped analyzer; it never breaks the hook.
pub trait Analyzer: Send + Sync {
    /// A short stable name, shown in timings (`safety`, `drift`, ...).
    fn name(&self) -> &'static str;

    /// The rule ids this analyzer can emit (for an analyzer added through the library; the
    /// built-in ones are described by their `SPEC`s, see [`crate::builtin::registry`]). The
    /// runtime skips an analyzer whose rules are all disabled (one that declares none always
    /// runs) and drops the findings of disabled rules: an analyzer never checks.
    fn rules(&self) -> &'static [&'static str] {
        &[]
    }

    /// A cheap pre-check on the tool name; analyzers that return false are not run (built-in
    /// analyzers are not built either: their tools are in [`crate::builtin::registry`]).
    fn applies_to(&self, _tool: &str) -> bool {
        true
    }

    /// Examines the call and pushes findings, if any, onto `out`.
    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>);

    /// Examines the end of a turn and pushes findings, if any, onto `out`. Most analyzers look
    /// at calls only and keep this default, which finds nothing.
    fn at_stop(&self, _cx: &StopContext<'_>, _out: &mut Vec<Finding>) {}
}
