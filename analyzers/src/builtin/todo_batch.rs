//! TodoWrite batch size (catalogue §2): plans made of too few or too many items.

use crate::{Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const MIN: Threshold = Threshold::new(
    "todo-batch.min",
    5.0,
    "a todo list with fewer items than this suggests planning in larger batches",
);
pub(crate) const MAX: Threshold = Threshold::new(
    "todo-batch.max",
    12.0,
    "a todo list with more items than this is hard to follow",
);

/// TodoWrite batch size: fewer than 5 todos: plan in larger batches (minor, 15); more than 12:
/// split the work (minor, 18); 5-12 is fine.
///
/// TodoWrite is called again for every status change with the same list, so the rule only speaks
/// when the list's size changed since the previous TodoWrite (a new or re-planned list): a status
/// update is not a planning decision.
pub struct TodoBatch;

impl TodoBatch {
    /// The rule this analyzer emits.
    pub const RULES: &'static [&'static str] = &["todo-batch"];
}

impl Analyzer for TodoBatch {
    fn name(&self) -> &'static str {
        "todo-batch"
    }

    fn rules(&self) -> &'static [&'static str] {
        Self::RULES
    }

    fn applies_to(&self, tool: &str) -> bool {
        tool == "TodoWrite"
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.rule_enabled("todo-batch") || cx.fact.tool != "TodoWrite" {
            return;
        }
        let n = u64::from(cx.fact.count);
        if n == 0 {
            return;
        }
        let previous = cx
            .previous()
            .find(|f| f.tool == "TodoWrite")
            .map(|f| u64::from(f.count));
        if previous == Some(n) {
            return;
        }
        let (min, max) = (cx.count(&MIN), cx.count(&MAX));
        let finding = if n < min {
            Finding::new("todo-batch", Severity::Minor, 15)
                .headline("small todo list")
                .observed(format!("The todo list has {n} items; {min} to {max} keep a plan useful."))
                .next_step("if the work has more steps, list them all now so they can be batched and done in order")
        } else if n > max {
            Finding::new("todo-batch", Severity::Minor, 18)
                .headline("long todo list")
                .observed(format!("The todo list has {n} items, more than {max}."))
                .next_step("group the items into at most a dozen larger steps, or split the work into separate tasks")
        } else {
            return;
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::{call, Session};
    use serde_json::json;

    fn todos(n: usize) -> crate::ToolCall {
        let items: Vec<_> = (0..n)
            .map(
                |i| json!({"content": format!("step {i}"), "status": "pending", "activeForm": "x"}),
            )
            .collect();
        call("TodoWrite", json!({ "todos": items }))
    }

    #[test]
    fn sizes() {
        let mut s = Session::default_profile();
        assert_eq!(s.step(&TodoBatch, todos(4))[0].headline, "small todo list");
        assert!(
            s.step(&TodoBatch, todos(4)).is_empty(),
            "status update of the same list"
        );
        assert!(s.step(&TodoBatch, todos(5)).is_empty());
        assert!(s.step(&TodoBatch, todos(12)).is_empty());
        assert_eq!(s.step(&TodoBatch, todos(13))[0].headline, "long todo list");
        assert!(s.step(&TodoBatch, call("TodoWrite", json!({}))).is_empty());
    }
}
