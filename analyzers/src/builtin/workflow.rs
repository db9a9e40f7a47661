//! Workflow pattern (catalogue §1): shapes in the last few tool names that show work done around
//! the hive instead of through it.

use super::shared::{coordinator_name, drift_priority, memory_name, used_tool};
use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, Analyzer, Category, Context, Fact, Finding, Severity, Threshold};

pub(crate) const RUN: Threshold = Threshold::new(
    "workflow-pattern.run",
    3.0,
    "consecutive Write/Edit/Read/Bash calls (within the last 6) that show no MCP coordination",
);
pub(crate) const FILE_OPS: Threshold = Threshold::new(
    "workflow-pattern.file-ops",
    3.0,
    "file ops among the last 4 calls that make a file op fragmented work",
);
pub(crate) const TASKS: Threshold = Threshold::new(
    "workflow-pattern.tasks",
    2.0,
    "Task calls among the last 5 that need a memory tool among them",
);

/// The tool-name window of the catalogue.
const WINDOW: usize = 6;

/// Workflow pattern, first match wins: a run of 3+ Write/Edit/Read/Bash with no mcp call
/// (`no_mcp_coordination`, moderate); storage worker, write, storage worker, write (`fragmented`,
/// minor); Task, Task, Task (`missing_hive_memory`, moderate); a file op with >= 3 file ops in the
/// last 4 (fragmented, minor, 25); >= 2 Task in the last 5 without a memory tool (moderate, 45).
///
/// The original matched the first shape with a regex over the names joined by " → " that never
/// allowed the separator, so it could not match; here the run is counted directly.
pub struct WorkflowPattern;

const RULE: Rule = Rule {
    id: "workflow-pattern",
    kind: Kind::Protocol,
    family: Family::Coordinator,
    doc: "file and shell work routed around the hive the session uses",
};

impl WorkflowPattern {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::All,
        thresholds: &[RUN, FILE_OPS, TASKS],
        critical: false,
        make: || Box::new(WorkflowPattern),
    };
}

fn plain_native(f: &Fact) -> bool {
    matches!(f.tool.as_str(), "Write" | "Edit" | "Read" | "Bash")
}

fn is_task(f: &Fact) -> bool {
    matches!(f.tool.as_str(), "Task" | "Agent")
}

fn is_write_edit(f: &Fact) -> bool {
    matches!(f.tool.as_str(), "Write" | "Edit")
}

/// The last [`WINDOW`] facts, newest first: `last[0]` is the current call.
type Window<'h> = [Option<&'h Fact>; WINDOW];

fn is_storage_worker(f: &Fact) -> bool {
    f.cat == Category::McpFs
}

impl Analyzer for WorkflowPattern {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Newest first: last[0] is the current call.
        let mut last: Window<'_> = [None; WINDOW];
        for (slot, f) in last.iter_mut().zip(cx.history.recent.iter().rev()) {
            *slot = Some(f);
        }
        // First match wins.
        let finding = no_coordination(cx, &last)
            .or_else(|| alternating_storage(cx, &last))
            .or_else(|| task_chain(cx, &last))
            .or_else(|| fragmented_files(cx, &last))
            .or_else(|| tasks_without_memory(cx, &last));
        out.extend(finding);
    }
}

/// A run of Write/Edit/Read/Bash with no MCP call.
fn no_coordination(cx: &Context<'_>, last: &Window<'_>) -> Option<Finding> {
    let run = last
        .iter()
        .take_while(|f| f.is_some_and(plain_native))
        .count() as u64;
    if run < cx.count(&RUN) {
        return None;
    }
    let sev = Severity::Moderate;
    Some(
        Finding::new(
            RULE.id,
            sev,
            drift_priority(sev, run, cx.history),
        )
        .headline("file and shell work with no MCP coordination")
        .observed(format!(
            "The last {run} calls were Write/Edit/Read/Bash ({}) with no MCP tool between them.",
            cx.history.last_tools(run as usize).join(", ")
        ))
        .next_step(format!(
            "route the next step through the hive: plan it with {}{}",
            coordinator_name(cx.history),
            used_tool(cx.history, |t| t.starts_with("mcp__claude-flow__"))
                .map(|t| format!(" or hand it to a flow worker ({t})"))
                .unwrap_or_default()
        )),
    )
}

/// Storage worker, write, storage worker, write.
fn alternating_storage(cx: &Context<'_>, last: &Window<'_>) -> Option<Finding> {
    let is = |i: usize, p: fn(&Fact) -> bool| last[i].is_some_and(p);
    if !(is(0, is_write_edit)
        && is(1, is_storage_worker)
        && is(2, is_write_edit)
        && is(3, is_storage_worker))
    {
        return None;
    }
    let sev = Severity::Minor;
    Some(
        Finding::new(RULE.id, sev, drift_priority(sev, 4, cx.history))
            .headline("storage worker and direct edits alternate")
            .observed("The last 4 calls alternated storage-worker calls and Write/Edit on files.")
            .next_step("do the file changes through one channel: either the storage worker or Write/Edit, batched"),
    )
}

/// Task, Task, Task.
fn task_chain(cx: &Context<'_>, last: &Window<'_>) -> Option<Finding> {
    if !last[..3].iter().all(|f| f.is_some_and(is_task)) {
        return None;
    }
    let sev = Severity::Moderate;
    Some(
        Finding::new(RULE.id, sev, drift_priority(sev, 3, cx.history))
            .headline("three sub-tasks in a row without shared memory")
            .observed(format!(
                "The last 3 calls each started a {}; none stored context in hive memory.",
                cx.fact.tool
            ))
            .next_step(format!(
                "store the shared context with {} so the sub-tasks build on each other",
                memory_name(cx.history)
            )),
    )
}

/// A file op with enough file ops among the last 4 calls.
fn fragmented_files(cx: &Context<'_>, last: &Window<'_>) -> Option<Finding> {
    let file_ops = last
        .iter()
        .take(4)
        .flatten()
        .filter(|f| f.cat == Category::File)
        .count();
    if cx.fact.cat != Category::File || (file_ops as u64) < cx.count(&FILE_OPS) {
        return None;
    }
    Some(
        Finding::new(RULE.id, Severity::Minor, 25)
            .headline("fragmented file work")
            .observed(format!(
                "{file_ops} of the last 4 calls were single file operations."
            ))
            .next_step("plan the file changes first, then make them together as parallel calls"),
    )
}

/// Enough Task calls among the last 5 without a memory tool.
fn tasks_without_memory(cx: &Context<'_>, last: &Window<'_>) -> Option<Finding> {
    let tasks = last.iter().take(5).flatten().filter(|f| is_task(f)).count() as u64;
    let memory = last.iter().take(5).flatten().any(|f| f.is_memory());
    if tasks < cx.count(&TASKS) || memory {
        return None;
    }
    Some(
        Finding::new(RULE.id, Severity::Moderate, 45)
            .headline("sub-tasks started without hive memory")
            .observed(format!(
                "{tasks} of the last 5 calls started a sub-task and none used a memory tool."
            ))
            .next_step("record the task split and decisions with a memory tool before starting more sub-tasks"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{bash, call, edit, read, write, Session};
    use serde_json::json;

    fn headline(s: &mut Session, c: crate::ToolCall) -> Option<String> {
        s.step(&WorkflowPattern, c)
            .first()
            .map(|f| f.headline.clone())
    }

    #[test]
    fn no_mcp_run_matches_at_three() {
        let mut s = Session::hive();
        assert_eq!(headline(&mut s, read("/p/a")), None);
        assert_eq!(headline(&mut s, edit("/p/a")), None);
        assert_eq!(
            headline(&mut s, bash("ls")).as_deref(),
            Some("file and shell work with no MCP coordination")
        );
        s.feed(call("mcp__zen__chat", json!({})));
        assert_eq!(headline(&mut s, read("/p/a")), None);
        assert_eq!(headline(&mut s, write("/p/a", "x")), None);
        s.feed(call("Grep", json!({})));
        // Grep breaks the Write/Edit/Read/Bash run
        assert_eq!(headline(&mut s, bash("ls")), None);
    }

    #[test]
    fn fragmented_storage_and_writes() {
        let mut s = Session::hive();
        s.feed(call("mcp__filesystem__read_file", json!({})));
        s.feed(edit("/p/a"));
        s.feed(call("mcp__filesystem__read_file", json!({})));
        assert_eq!(
            headline(&mut s, edit("/p/a")).as_deref(),
            Some("storage worker and direct edits alternate")
        );
    }

    #[test]
    fn tasks() {
        let mut s = Session::hive();
        assert_eq!(headline(&mut s, call("Task", json!({}))), None);
        assert_eq!(
            headline(&mut s, call("Task", json!({}))).as_deref(),
            Some("sub-tasks started without hive memory")
        );
        assert_eq!(
            headline(&mut s, call("Task", json!({}))).as_deref(),
            Some("three sub-tasks in a row without shared memory")
        );
        let mut s = Session::hive();
        s.feed(call("Task", json!({})));
        s.feed(call("mcp__claude-flow__memory_usage", json!({})));
        assert_eq!(
            headline(&mut s, call("Task", json!({}))),
            None,
            "memory used"
        );
    }

    #[test]
    fn fragmented_file_ops() {
        let mut s = Session::hive();
        s.feed(call("MultiEdit", json!({"file_path": "/p/a", "edits": []})));
        s.feed(call("mcp__x__y", json!({})));
        s.feed(call("NotebookEdit", json!({"notebook_path": "/p/n"})));
        // 2 file ops of the last 4 (MultiEdit, NotebookEdit) + current = 3
        assert_eq!(
            headline(
                &mut s,
                call("MultiEdit", json!({"file_path": "/p/b", "edits": []}))
            )
            .as_deref(),
            Some("fragmented file work")
        );
        let mut s = Session::hive();
        s.feed(call("MultiEdit", json!({"file_path": "/p/a", "edits": []})));
        s.feed(call("mcp__x__y", json!({})));
        s.feed(call("mcp__x__y", json!({})));
        assert_eq!(
            headline(
                &mut s,
                call("MultiEdit", json!({"file_path": "/p/b", "edits": []}))
            ),
            None
        );
    }
}
