//! The built-in benchmark scenarios: the original suite's eight single-call payloads.

use serde_json::{json, Value};

/// One benchmark scenario: a name and the hook payloads it sends, in order.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// Hook payloads (full PostToolUse stdin objects).
    pub payloads: Vec<Value>,
}

fn event(tool: &str, input: Value, response: Value) -> Value {
    json!({
        "session_id": "bench",
        "transcript_path": "/tmp/bench.jsonl",
        "cwd": "/tmp/bench-project",
        "permission_mode": "default",
        "hook_event_name": "PostToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_response": response,
        "tool_use_id": "toolu_bench",
    })
}

/// The eight scenarios of the original benchmark (analyzers.md §6).
pub fn builtin() -> Vec<Scenario> {
    let one = |name: &str, payload: Value| Scenario {
        name: name.to_string(),
        payloads: vec![payload],
    };
    vec![
        one(
            "simple-read",
            event(
                "Read",
                json!({"file_path": "/tmp/bench-project/src/main.rs"}),
                json!({"type": "text", "file": {"filePath": "/tmp/bench-project/src/main.rs", "content": "fn main() {}\n", "numLines": 1, "startLine": 1, "totalLines": 1}}),
            ),
        ),
        one(
            "complex-write",
            event(
                "Write",
                json!({"file_path": "/tmp/bench-project/app.py", "content": "import sys\n\ndef main():\n    print('hello')\n\nif __name__ == '__main__':\n    main()\n"}),
                json!({"type": "create", "filePath": "/tmp/bench-project/app.py"}),
            ),
        ),
        one(
            "hook-violation",
            event(
                "Write",
                json!({"file_path": "/tmp/bench-project/.claude/hooks/bad.py", "content": "import sys\nsys.path.insert(0, '/tmp')\n"}),
                json!({"type": "create", "filePath": "/tmp/bench-project/.claude/hooks/bad.py"}),
            ),
        ),
        one(
            "mcp-tool",
            event(
                "mcp__zen__chat",
                json!({"prompt": "Review the plan", "model": "auto"}),
                json!([{"type": "text", "text": "Looks good."}]),
            ),
        ),
        one(
            "error-handling",
            event(
                "Read",
                json!({"file_path": "/tmp/bench-project/missing.txt"}),
                json!({"success": false, "error": "File not found"}),
            ),
        ),
        one(
            "large-file",
            event(
                "Write",
                json!({"file_path": "/tmp/bench-project/large.txt", "content": format!("{}{}", "x".repeat(1000), "\n".repeat(100))}),
                json!({"type": "create", "filePath": "/tmp/bench-project/large.txt"}),
            ),
        ),
        one(
            "multi-tool-sequence",
            event(
                "Edit",
                json!({"file_path": "/tmp/bench-project/src/lib.rs", "old_string": "a", "new_string": "b"}),
                json!({"filePath": "/tmp/bench-project/src/lib.rs", "oldString": "a", "newString": "b"}),
            ),
        ),
        one(
            "timeout",
            event(
                "WebSearch",
                json!({"query": "rust hooks"}),
                json!({"success": false, "error": "Request timeout"}),
            ),
        ),
    ]
}
