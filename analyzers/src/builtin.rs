//! The built-in analyzers and the registry the runtime builds them from, lazily.
//!
//! One analyzer per file, and its one definition beside it: a `SPEC` ([`Builtin`]) with its name,
//! its rules (each with the incident kind it addresses, the family of tools its advice relies on
//! and its docs), the tools it applies to, its thresholds with their defaults, and whether it is a
//! critical single-call check. [`registry`] lists them, one line each, in the order they run; the
//! runtime, `posthook config`, `explain` and docs/rules.md ([`rules_markdown`]) all read it. The
//! helpers the rules share (drift priority, the session's own tools to name, same turn) are in
//! `shared`.

use crate::settings::Family;
use crate::{Analyzer, Category, Families, Settings, Threshold};

mod docs;
mod shared;

pub use docs::rules_markdown;

/// Declares the built-in analyzers, each as `module::Type` (the file `builtin/module.rs` holding
/// `Type` and its `Type::SPEC`), in the order they run.
macro_rules! analyzers {
    ($($module:ident::$analyzer:ident),* $(,)?) => {
        $(mod $module; pub use $module::$analyzer;)*
        static REGISTRY: &[Builtin] = &[$($analyzer::SPEC),*];
    };
}

analyzers! {
    safety::ExecSafety,
    danger::Danger,
    path_safety::PathSafety,
    hook_guard::HookFileGuard,
    outside_project::OutsideProject,
    failure_loop::FailureLoop,
    untested_change::UntestedChange,
    unchecked_stop::UncheckedStop,
    tool_misuse::ToolMisuse,
    wasted_context::WastedContext,
    parallelizable::Parallelizable,
    mcp_params::McpParams,
    coordinator::CoordinatorBypass,
    flow::FlowCoordination,
    native_overuse::NativeOveruse,
    workflow::WorkflowPattern,
    memory::MemoryCoordination,
}

/// The kind of incident a rule addresses (the names of the labelled incidents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The same failing call with the same error, again.
    Loop,
    /// Bash `find`/`grep`/`cat` where the session uses the dedicated tool.
    ToolMisuse,
    /// Independent read-only calls made one per turn.
    Parallelizable,
    /// Code changed, then committed without the tests or build that cover it.
    UntestedChange,
    /// Destructive or risky actions.
    Danger,
    /// Re-reading what did not change; dumping huge outputs.
    WastedContext,
    /// The session's own coordination protocol broken (hive sessions).
    Protocol,
}

impl Kind {
    /// The name used in the incident labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Loop => "loop",
            Kind::ToolMisuse => "tool-misuse",
            Kind::Parallelizable => "parallelizable",
            Kind::UntestedChange => "untested-change",
            Kind::Danger => "danger",
            Kind::WastedContext => "wasted-context",
            Kind::Protocol => "protocol",
        }
    }
}

/// One rule an analyzer can emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its stable id, shown in every message (`posthook [id]`) and used to disable it.
    pub id: &'static str,
    /// The incident kind it addresses.
    pub kind: Kind,
    /// The tools its advice relies on.
    pub family: Family,
    /// What it says and when, in Markdown: its row of docs/rules.md.
    pub doc: &'static str,
}

/// The tools an analyzer applies to: a cheap test on the tool name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tools {
    /// Every tool.
    All,
    /// Bash only.
    Bash,
    /// File tools: Read, Write, Edit, MultiEdit, NotebookEdit.
    Files,
    /// Tools that change a file: Write, Edit, MultiEdit, NotebookEdit.
    Writes,
    /// Every tool but `mcp__*`.
    Native,
    /// `mcp__claude-flow__*` tools.
    Flow,
    /// The MCP tools whose parameters are checked (zen thinkdeep, flow swarm_init / agent_spawn).
    CheckedMcp,
    /// Read-only tools: Read, Grep, Glob, LS, WebFetch, WebSearch.
    ReadOnly,
    /// Bash and the read-only tools.
    BashOrReadOnly,
    /// No tool: the end of a turn (`Stop`, `SubagentStop`).
    Stop,
}

/// Tools that read without changing anything.
pub(crate) fn is_read_only(tool: &str) -> bool {
    matches!(
        tool,
        "Read" | "Grep" | "Glob" | "LS" | "WebFetch" | "WebSearch"
    )
}

impl Tools {
    /// Whether `tool` is one of them.
    pub fn applies(self, tool: &str) -> bool {
        match self {
            Tools::All => true,
            Tools::Bash => tool == "Bash",
            Tools::Files => Category::of(tool) == Category::File,
            Tools::Writes => matches!(tool, "Write" | "Edit" | "MultiEdit" | "NotebookEdit"),
            Tools::Native => !tool.starts_with("mcp__"),
            Tools::Flow => Category::of(tool) == Category::McpFlow,
            Tools::CheckedMcp => mcp_params::checked(tool),
            Tools::ReadOnly => is_read_only(tool),
            Tools::BashOrReadOnly => tool == "Bash" || is_read_only(tool),
            Tools::Stop => false,
        }
    }

    /// In words, for docs and `explain`.
    pub fn describe(self) -> &'static str {
        match self {
            Tools::All => "every tool",
            Tools::Bash => "Bash",
            Tools::Files => "Read, Write, Edit, MultiEdit, NotebookEdit",
            Tools::Writes => "Write, Edit, MultiEdit, NotebookEdit",
            Tools::Native => "every tool but mcp__*",
            Tools::Flow => "mcp__claude-flow__*",
            Tools::CheckedMcp => "mcp__zen__thinkdeep, mcp__claude-flow__swarm_init / agent_spawn",
            Tools::ReadOnly => "Read, Grep, Glob, LS, WebFetch, WebSearch",
            Tools::BashOrReadOnly => "Bash, Read, Grep, Glob, LS, WebFetch, WebSearch",
            Tools::Stop => "no tool: the end of a turn (Stop, SubagentStop)",
        }
    }
}

/// A built-in analyzer, not yet constructed: its one definition, the `SPEC` in its own file.
///
/// The runtime builds an analyzer the first time a call arrives for one of its tools (and one of
/// its rules is on), so a hook process handling one `Read` never pays for the Bash analyzers'
/// patterns.
pub struct Builtin {
    /// The analyzer's name (as in timings).
    pub name: &'static str,
    /// The rules it can emit.
    pub rules: &'static [Rule],
    /// The tools it applies to.
    pub tools: Tools,
    /// Every threshold it reads, with its default.
    pub thresholds: &'static [Threshold],
    /// A critical single-call check: it runs whatever the time budget (the budget applies to the
    /// others), and a project file cannot disable it.
    pub critical: bool,
    /// Builds it.
    pub make: fn() -> Box<dyn Analyzer>,
}

impl Builtin {
    /// Whether it has anything to say about a tool, by name.
    pub fn applies(&self, tool: &str) -> bool {
        self.tools.applies(tool)
    }

    /// Whether it judges the end of a turn ([`crate::Analyzer::at_stop`]).
    pub fn at_stop(&self) -> bool {
        self.tools == Tools::Stop
    }

    /// Whether one of its rules may fire in this session (`used`: the hive families it has
    /// used); the runtime neither builds nor runs it otherwise.
    pub fn enabled(&self, settings: &Settings, used: Families) -> bool {
        self.rules
            .iter()
            .any(|r| settings.allows(r.id, r.family, used))
    }
}

/// Every built-in analyzer, in the order they run.
pub fn registry() -> &'static [Builtin] {
    REGISTRY
}

/// Every rule of the built-in analyzers, in registry order (the order is persisted: a rule's
/// index is its bit in the record's quiet row).
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    registry().iter().flat_map(|b| b.rules.iter())
}

/// The definition of `rule`, if a built-in analyzer emits it.
pub fn rule_def(rule: &str) -> Option<&'static Rule> {
    rules().find(|r| r.id == rule)
}

/// The family of `rule` (a rule that is not built in, e.g. a library user's, is [`Family::Core`]).
pub fn family_of(rule: &str) -> Family {
    rule_def(rule).map_or(Family::Core, |r| r.family)
}

/// The analyzer that emits `rule`.
pub fn analyzer_of(rule: &str) -> Option<&'static Builtin> {
    registry()
        .iter()
        .find(|b| b.rules.iter().any(|r| r.id == rule))
}

/// Every rule id the built-in analyzers can emit.
pub fn rule_ids() -> Vec<&'static str> {
    rules().map(|r| r.id).collect()
}

/// Calls whose gap to the previous call is below this were made in the same assistant turn (in
/// parallel): they are one step, not a batching opportunity.
///
/// Chosen from the real transcripts: result timestamps of calls from one assistant message are
/// 0-2,400 ms apart (a parallel batch finishes one tool at a time), while the shortest gap between
/// two assistant turns was 2,487 ms (the model has to produce a new message). In hook mode parallel
/// calls arrive within milliseconds, which this also covers.
pub const PARALLEL_GAP_MS: Threshold = Threshold::new(
    "batching.parallel-gap-ms",
    2000.0,
    "calls less than this many ms after the previous one belong to the same turn (parallel calls)",
);

/// Every threshold a built-in rule reads, with its default (from [`registry`], each once), for
/// `posthook config check` and docs.
pub fn thresholds() -> Vec<Threshold> {
    let mut out: Vec<Threshold> = Vec::new();
    for t in registry().iter().flat_map(|b| b.thresholds.iter()) {
        if !out.iter().any(|o| o.key == t.key) {
            out.push(*t);
        }
    }
    out
}
#[cfg(test)]
pub(crate) mod testkit {
    //! A session driver for analyzer unit tests: records calls with realistic gaps and runs one
    //! analyzer on each.

    use crate::{Analyzer, Context, Finding, History, NoCache, Profile, Settings, ToolCall};
    use serde_json::Value;

    /// The gap between two sequential turns in tests.
    pub const TURN_MS: u64 = 5_000;

    pub struct Session {
        pub history: History,
        pub settings: Settings,
        now: u64,
        next_gap: u64,
    }

    impl Session {
        pub fn new(profile: Profile) -> Session {
            Session {
                history: History::new(),
                settings: Settings::with_profile(profile),
                now: 1_000_000,
                next_gap: TURN_MS,
            }
        }

        pub fn hive() -> Session {
            Session::new(Profile::Hive)
        }

        pub fn default_profile() -> Session {
            Session::new(Profile::Default)
        }

        /// The next call arrives `ms` after the previous one (once).
        pub fn after(&mut self, ms: u64) -> &mut Session {
            self.next_gap = ms;
            self
        }

        /// Sets a threshold override.
        pub fn set(&mut self, key: &str, v: f64) -> &mut Session {
            self.settings.thresholds.insert(key.to_string(), v);
            self
        }

        fn stamp(&mut self, mut call: ToolCall) -> ToolCall {
            self.now += self.next_gap;
            self.next_gap = TURN_MS;
            call.ts_ms = self.now;
            call
        }

        /// Records a call without analyzing it.
        pub fn feed(&mut self, call: ToolCall) {
            let call = self.stamp(call);
            self.history.record(&call);
        }

        /// Records a call and returns what `a` finds about it.
        pub fn step(&mut self, a: &dyn Analyzer, call: ToolCall) -> Vec<Finding> {
            let call = self.stamp(call);
            self.history.record(&call);
            let fact = self.history.last().cloned().expect("recorded");
            let cx = Context {
                call: &call,
                fact: &fact,
                history: &self.history,
                settings: &self.settings,
                cache: &NoCache,
            };
            let mut out = Vec::new();
            a.analyze(&cx, &mut out);
            // As the runtime does: a disabled rule's findings are dropped.
            out.retain(|f| {
                self.settings
                    .rule_enabled(&f.rule, self.history.counters.families)
            });
            assert!(out.len() <= 1, "an analyzer yields at most one finding");
            for f in &out {
                assert!(
                    !f.headline.is_empty() && !f.observed.is_empty() && !f.next_step.is_empty()
                );
            }
            out
        }
    }

    pub fn call(tool: &str, input: Value) -> ToolCall {
        ToolCall::new(tool, input)
    }

    pub fn read(path: &str) -> ToolCall {
        call("Read", serde_json::json!({ "file_path": path }))
    }

    pub fn edit(path: &str) -> ToolCall {
        call(
            "Edit",
            serde_json::json!({ "file_path": path, "old_string": "a", "new_string": "b" }),
        )
    }

    pub fn write(path: &str, content: &str) -> ToolCall {
        call(
            "Write",
            serde_json::json!({ "file_path": path, "content": content }),
        )
    }

    pub fn bash(cmd: &str) -> ToolCall {
        call("Bash", serde_json::json!({ "command": cmd }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_rule_has_one_analyzer() {
        let ids = rule_ids();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "a rule id twice: {ids:?}");
        for b in registry() {
            assert_eq!(analyzer_of(b.rules[0].id).map(|a| a.name), Some(b.name));
        }
    }

    #[test]
    fn each_analyzer_is_defined_once_and_builds_what_it_says() {
        for b in registry() {
            let a = (b.make)();
            assert_eq!(a.name(), b.name, "the registry's name is the analyzer's");
            assert!(!b.rules.is_empty(), "{}", b.name);
            for r in b.rules {
                assert!(
                    !r.doc.is_empty() && !r.doc.contains(['\n', '|']),
                    "{}: one row",
                    r.id
                );
                assert_eq!(family_of(r.id), r.family);
            }
        }
        // The hook-file guard applies to every tool that writes, NotebookEdit included.
        let guard = HookFileGuard::SPEC;
        assert!(guard.applies("NotebookEdit") && guard.applies("Write") && !guard.applies("Read"));
    }

    #[test]
    fn threshold_keys_are_unique_and_name_a_rule() {
        let ids = rule_ids();
        let mut seen = BTreeSet::new();
        for t in thresholds() {
            assert!(seen.insert(t.key), "duplicate key {}", t.key);
            let (rule, name) = t.key.split_once('.').expect("rule.name");
            assert!(
                ids.contains(&rule) || rule == "batching",
                "{} names no rule",
                t.key
            );
            assert!(!name.is_empty() && !t.description.is_empty());
            assert!(t.default.is_finite() && t.default >= 0.0);
        }
    }
}
