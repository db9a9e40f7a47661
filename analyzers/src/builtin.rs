//! The built-in analyzers and the registry the runtime builds them from, lazily.
//!
//! One analyzer per file. Each declares its thresholds as [`Threshold`] constants and reads them
//! through [`crate::Context::limit`]; [`thresholds`] lists them all for configuration checks.

use crate::{Analyzer, Category, Fact, History, Severity, Threshold};

mod batching;
mod coordinator;
mod edit_without_read;
mod failed_call;
mod flow;
mod hook_guard;
mod mcp_params;
mod memory;
mod native_overuse;
mod outside_project;
mod path_safety;
mod repeated;
mod repeated_failure;
mod safety;
mod todo_batch;
mod untested_edits;
mod workflow;

pub use batching::Batching;
pub use coordinator::CoordinatorBypass;
pub use edit_without_read::EditWithoutRead;
pub use failed_call::FailedCall;
pub use flow::FlowCoordination;
pub use hook_guard::HookFileGuard;
pub use mcp_params::McpParams;
pub use memory::MemoryCoordination;
pub use native_overuse::NativeOveruse;
pub use outside_project::OutsideProject;
pub use path_safety::PathSafety;
pub use repeated::Repeated;
pub use repeated_failure::RepeatedFailure;
pub use safety::ExecSafety;
pub use todo_batch::TodoBatch;
pub use untested_edits::UntestedEdits;
pub use workflow::WorkflowPattern;

/// A built-in analyzer, not yet constructed.
///
/// The runtime builds an analyzer the first time a call arrives for which `applies` is true, so a
/// hook process handling one `Read` never pays for the Bash analyzers' regexes.
pub struct Builtin {
    /// The analyzer's name (as in timings).
    pub name: &'static str,
    /// Rule ids it can emit.
    pub rules: &'static [&'static str],
    /// Whether it has anything to say about a tool, by name.
    pub applies: fn(&str) -> bool,
    /// Builds it.
    pub make: fn() -> Box<dyn Analyzer>,
}

fn any_tool(_: &str) -> bool {
    true
}

fn bash_only(tool: &str) -> bool {
    tool == "Bash"
}

fn native_only(tool: &str) -> bool {
    !tool.starts_with("mcp__")
}

fn flow_only(tool: &str) -> bool {
    Category::of(tool) == Category::McpFlow
}

fn file_op(tool: &str) -> bool {
    Category::of(tool) == Category::File
}

fn write_op(tool: &str) -> bool {
    matches!(tool, "Write" | "Edit" | "MultiEdit" | "NotebookEdit")
}

fn edit_op(tool: &str) -> bool {
    matches!(tool, "Edit" | "MultiEdit" | "NotebookEdit")
}

fn file_or_bash(tool: &str) -> bool {
    tool == "Bash" || file_op(tool)
}

fn todo_only(tool: &str) -> bool {
    tool == "TodoWrite"
}

fn mcp_checked(tool: &str) -> bool {
    mcp_params::checked(tool)
}

/// Every built-in analyzer, in the order they run.
pub fn registry() -> &'static [Builtin] {
    &[
        Builtin {
            name: "exec-safety",
            rules: ExecSafety::RULES,
            applies: bash_only,
            make: || Box::new(ExecSafety::new()),
        },
        Builtin {
            name: "path-safety",
            rules: PathSafety::RULES,
            applies: file_op,
            make: || Box::new(PathSafety),
        },
        Builtin {
            name: "hook-file-guard",
            rules: HookFileGuard::RULES,
            applies: write_op,
            make: || Box::new(HookFileGuard),
        },
        Builtin {
            name: "failed-call",
            rules: FailedCall::RULES,
            applies: any_tool,
            make: || Box::new(FailedCall),
        },
        Builtin {
            name: "mcp-params",
            rules: McpParams::RULES,
            applies: mcp_checked,
            make: || Box::new(McpParams),
        },
        Builtin {
            name: "coordinator-bypass",
            rules: CoordinatorBypass::RULES,
            applies: any_tool,
            make: || Box::new(CoordinatorBypass),
        },
        Builtin {
            name: "flow-coordination",
            rules: FlowCoordination::RULES,
            applies: flow_only,
            make: || Box::new(FlowCoordination),
        },
        Builtin {
            name: "native-overuse",
            rules: NativeOveruse::RULES,
            applies: native_only,
            make: || Box::new(NativeOveruse),
        },
        Builtin {
            name: "workflow-pattern",
            rules: WorkflowPattern::RULES,
            applies: any_tool,
            make: || Box::new(WorkflowPattern),
        },
        Builtin {
            name: "memory-coordination",
            rules: MemoryCoordination::RULES,
            applies: any_tool,
            make: || Box::new(MemoryCoordination),
        },
        Builtin {
            name: "batching",
            rules: Batching::RULES,
            applies: file_or_bash,
            make: || Box::new(Batching),
        },
        Builtin {
            name: "repeated",
            rules: Repeated::RULES,
            applies: file_or_bash,
            make: || Box::new(Repeated),
        },
        Builtin {
            name: "todo-batch",
            rules: TodoBatch::RULES,
            applies: todo_only,
            make: || Box::new(TodoBatch),
        },
        Builtin {
            name: "repeated-failure",
            rules: RepeatedFailure::RULES,
            applies: bash_only,
            make: || Box::new(RepeatedFailure),
        },
        Builtin {
            name: "edit-without-read",
            rules: EditWithoutRead::RULES,
            applies: edit_op,
            make: || Box::new(EditWithoutRead),
        },
        Builtin {
            name: "untested-edits",
            rules: UntestedEdits::RULES,
            applies: write_op,
            make: || Box::new(UntestedEdits),
        },
        Builtin {
            name: "outside-project",
            rules: OutsideProject::RULES,
            applies: write_op,
            make: || Box::new(OutsideProject),
        },
    ]
}

/// Every rule id the built-in analyzers can emit.
pub fn rule_ids() -> Vec<&'static str> {
    registry()
        .iter()
        .flat_map(|b| b.rules.iter().copied())
        .collect()
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

/// Every threshold a built-in rule reads, with its default: for `posthook config check` and docs.
pub fn thresholds() -> &'static [Threshold] {
    static ALL: &[Threshold] = &[
        PARALLEL_GAP_MS,
        coordinator::FLOW_WINDOW,
        coordinator::STORAGE_WINDOW,
        coordinator::NATIVE_RUN,
        coordinator::NATIVE_RUN_MAJOR,
        coordinator::COMPLEX_WINDOW,
        coordinator::COMPLEX_WRITE_CHARS,
        coordinator::COMPLEX_MULTIEDIT,
        flow::WINDOW,
        flow::MAJOR_AFTER,
        flow::MAX_AGENTS,
        native_overuse::MINOR,
        native_overuse::MODERATE,
        native_overuse::MAJOR,
        workflow::RUN,
        workflow::FILE_OPS,
        workflow::TASKS,
        memory::WINDOW,
        memory::DECISIONS,
        memory::SWITCHES,
        memory::MEMORY_WINDOW,
        memory::LARGE_WRITE,
        batching::FILE_RUN,
        batching::BASH_RUN,
        repeated::FILE_WINDOW,
        repeated::FILE_SAME,
        repeated::BASH_WINDOW,
        repeated::BASH_SAME,
        todo_batch::MIN,
        todo_batch::MAX,
        repeated_failure::RETRIES,
        repeated_failure::FAILURES,
        repeated_failure::WINDOW,
        untested_edits::EDITS,
        path_safety::LARGE_WRITE,
        failed_call::STREAK,
    ];
    ALL
}

/// The catalogue's priority of a drift finding: `severity*10 + (20 if n>5 else 10 if n>3 else 0)
/// + (15 if mcp_ratio<0.3 else 10 if mcp_ratio<0.5 else 0)`, with `n` the rule's run length and
/// `mcp_ratio` the share of `mcp__` tools among the last 10 calls.
pub(crate) fn drift_priority(severity: Severity, n: u64, history: &History) -> u32 {
    let run = if n > 5 {
        20
    } else if n > 3 {
        10
    } else {
        0
    };
    let ratio = mcp_ratio(history, 10);
    let mcp = if ratio < 0.3 {
        15
    } else if ratio < 0.5 {
        10
    } else {
        0
    };
    severity.level() * 10 + run + mcp
}

/// Share of `mcp__` tools among the last `window` calls (0 for an empty history).
pub(crate) fn mcp_ratio(history: &History, window: usize) -> f64 {
    let mut n = 0u32;
    let mut mcp = 0u32;
    for f in history.recent.iter().rev().take(window) {
        n += 1;
        if f.is_mcp() {
            mcp += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        f64::from(mcp) / f64::from(n)
    }
}

/// Whether `fact` was made in the same assistant turn as the call before it in its stream: as the
/// turn's batch event tells when the client sends them, else by the time gap between the two.
pub(crate) fn same_turn(fact: &Fact, parallel_gap_ms: u64) -> bool {
    fact.same_turn
        .unwrap_or_else(|| fact.gap.is_some_and(|g| g < parallel_gap_ms))
}

/// Plural helper for messages: `1 file`, `3 files`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
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
    fn rule_ids_are_the_catalogue() {
        let ids: BTreeSet<&str> = rule_ids().into_iter().collect();
        let want: BTreeSet<&str> = [
            "coordinator-bypass",
            "flow-coordination",
            "native-overuse",
            "workflow-pattern",
            "batching-file-ops",
            "batching-bash",
            "repeated-file-op",
            "repeated-command",
            "todo-batch",
            "memory-coordination",
            "repeated-failure",
            "edit-without-read",
            "untested-edits",
            "outside-project",
            "exec-safety",
            "path-safety",
            "hook-file-guard",
            "failed-call",
            "mcp-params",
        ]
        .into_iter()
        .collect();
        assert_eq!(ids, want);
        assert_eq!(rule_ids().len(), want.len(), "each rule has one analyzer");
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

    #[test]
    fn drift_priority_follows_the_formula() {
        let h = History::new();
        assert_eq!(drift_priority(Severity::Moderate, 3, &h), 20 + 15);
        assert_eq!(drift_priority(Severity::Moderate, 4, &h), 20 + 10 + 15);
        assert_eq!(drift_priority(Severity::Major, 6, &h), 30 + 20 + 15);
        let mut h = History::new();
        for t in ["mcp__zen__chat", "Read", "mcp__x__y", "Read"] {
            h.record(&crate::ToolCall::new(t, serde_json::json!({})));
        }
        // ratio 0.5: no bonus
        assert_eq!(drift_priority(Severity::Minor, 1, &h), 10);
        h.record(&crate::ToolCall::new("Read", serde_json::json!({})));
        // ratio 0.4: +10
        assert_eq!(drift_priority(Severity::Minor, 1, &h), 20);
    }

    #[test]
    fn same_turn_uses_the_gap() {
        let mut f = Fact::from_call(&crate::ToolCall::new("Read", serde_json::json!({})), None);
        assert!(!same_turn(&f, 2000));
        f.gap = Some(1999);
        assert!(same_turn(&f, 2000));
        f.gap = Some(2000);
        assert!(!same_turn(&f, 2000));
        f.same_turn = Some(true);
        assert!(same_turn(&f, 2000), "a batch event overrides the gap");
        f.gap = Some(10);
        f.same_turn = Some(false);
        assert!(!same_turn(&f, 2000));
    }
}
