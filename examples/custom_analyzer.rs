//! Adding your own analyzer to the posthook runtime.
//!
//! Run with `cargo run --example custom_analyzer`. The analyzer below flags edits of lock files
//! (`Cargo.lock`, `package-lock.json`), which should change only through the package manager.

use posthook::analyzers::{Analyzer, Context, Finding, Severity};
use posthook::Runtime;

struct LockFileEdits;

impl Analyzer for LockFileEdits {
    fn name(&self) -> &'static str {
        "lock-file-edits"
    }

    fn rules(&self) -> &'static [&'static str] {
        &["lock-file-edit"]
    }

    fn applies_to(&self, tool: &str) -> bool {
        matches!(tool, "Edit" | "Write" | "MultiEdit")
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(path) = cx.call.path() else { return };
        if !(path.ends_with("Cargo.lock") || path.ends_with("package-lock.json")) {
            return;
        }
        // The history is persisted across hook calls: count earlier edits of lock files too.
        let earlier = cx
            .previous()
            .filter(|f| f.is_write() && f.path.as_deref() == Some(path))
            .count();
        out.push(
            Finding::new("lock-file-edit", Severity::Major, 80)
                .headline("lock file edited by hand")
                .observed(format!(
                    "{path} was edited directly ({} edits this session).",
                    earlier + 1
                ))
                .next_step(
                    "revert it and let the package manager update it (cargo update, npm install)",
                ),
        );
    }
}

#[expect(clippy::print_stdout, reason = "an example prints its result")]
fn main() {
    let runtime = Runtime::builder().analyzer(LockFileEdits).build();
    let payload = br#"{"session_id":"demo","hook_event_name":"PostToolUse","tool_name":"Edit",
        "tool_input":{"file_path":"/work/app/Cargo.lock","old_string":"1.0.0","new_string":"1.0.1"},
        "tool_response":{"filePath":"/work/app/Cargo.lock"}}"#;
    let report = runtime
        .handle_json(payload, 0)
        .expect("valid payload")
        .expect("a PostToolUse event");
    if let Some(fb) = &report.feedback {
        println!("{}\n(blocking: {})", fb.text, fb.blocking);
    }
    for t in &report.timings.analyzers {
        println!("{:<20} {:>10?} {:?}", t.name, t.elapsed, t.status);
    }
}
