//! The call that just finished, as analyzers see it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The broad kind of a tool, used for context switches and batching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Read, Write, Edit, MultiEdit, NotebookEdit.
    File,
    /// Grep, Glob.
    Search,
    /// Bash, Task, Agent.
    Execution,
    /// `mcp__zen__*`: the coordinator.
    McpZen,
    /// `mcp__claude-flow__*`: flow workers.
    McpFlow,
    /// `mcp__filesystem__*`: storage workers.
    McpFs,
    /// Any other `mcp__*` tool.
    Mcp,
    /// WebFetch, WebSearch.
    Web,
    /// TodoWrite and task-list tools.
    Todo,
    /// Anything else (AskUserQuestion, ExitPlanMode, unknown tools).
    Other,
}

impl Category {
    /// Classifies a tool by name.
    pub fn of(tool: &str) -> Category {
        if let Some(rest) = tool.strip_prefix("mcp__") {
            return if rest.starts_with("zen__") {
                Category::McpZen
            } else if rest.starts_with("claude-flow__") || rest.starts_with("claude_flow__") {
                Category::McpFlow
            } else if rest.starts_with("filesystem__") {
                Category::McpFs
            } else {
                Category::Mcp
            };
        }
        match tool {
            "Read" | "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => Category::File,
            "Grep" | "Glob" | "LS" => Category::Search,
            "Bash" | "Task" | "Agent" | "BashOutput" | "TaskOutput" | "KillShell" => {
                Category::Execution
            }
            "WebFetch" | "WebSearch" => Category::Web,
            "TodoWrite" | "TaskCreate" | "TaskUpdate" => Category::Todo,
            _ => Category::Other,
        }
    }

    /// True for every `mcp__*` category.
    pub fn is_mcp(self) -> bool {
        matches!(
            self,
            Category::McpZen | Category::McpFlow | Category::McpFs | Category::Mcp
        )
    }

    /// The snake_case name used in messages and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::File => "file",
            Category::Search => "search",
            Category::Execution => "execution",
            Category::McpZen => "mcp_zen",
            Category::McpFlow => "mcp_flow",
            Category::McpFs => "mcp_fs",
            Category::Mcp => "mcp",
            Category::Web => "web",
            Category::Todo => "todo",
            Category::Other => "other",
        }
    }
}

/// One finished tool call with everything the analyzers may look at.
///
/// Built by the shell from a PostToolUse payload (or by a test from plain values). It holds the
/// tool's input in full, which is why it is never persisted: only its [`crate::Fact`] is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCall {
    /// `tool_name`, e.g. `Bash` or `mcp__zen__chat`.
    pub tool: String,
    /// `tool_input`; `Value::Null` when absent.
    pub input: Value,
    /// Whether the tool reported a failure (an error string or an error flag in `tool_response`).
    pub failed: bool,
    /// The first part of the error text, when the tool failed (never persisted).
    pub error: Option<String>,
    /// Size of `tool_response` in bytes as received.
    pub response_len: u64,
    /// When the call reached posthook, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// The session's working directory (`cwd` of the payload).
    pub cwd: Option<String>,
    /// The project root (`CLAUDE_PROJECT_DIR`), when known.
    pub project_dir: Option<String>,
    /// The user's home directory (`$HOME` of the hook process), which `~` and `$HOME` in a Bash
    /// command stand for; set by the input layer (the analyzers read no environment).
    pub home: Option<String>,
    /// `agent_id`: set on calls made inside a subagent, which are their own stream of work.
    pub agent_id: Option<String>,
    /// `tool_use_id`, which ties the call to its turn's `PostToolBatch`.
    pub tool_use_id: Option<String>,
    /// How the call ended, as the client reported it.
    pub outcome: Outcome,
    /// The start of a successful `git commit`'s output (stdout, then stderr), at most
    /// [`crate::COMMIT_OUTPUT_BYTES`]: whether the repository's own hooks ran checks while
    /// committing. Read for this call only and never persisted; `None` for every other call.
    pub output: Option<String>,
    /// The Bash command read once, on first use (see [`ToolCall::script`]).
    parsed: ParseCache,
}

/// The parse of a call's command, made on first use and shared by every rule. Two calls are
/// equal whether or not their commands were parsed yet.
#[derive(Debug, Clone, Default)]
struct ParseCache(std::sync::OnceLock<crate::text::shell::Script>);

impl PartialEq for ParseCache {
    fn eq(&self, _: &ParseCache) -> bool {
        true
    }
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It ran and succeeded (`PostToolUse`).
    #[default]
    Ok,
    /// It ran and failed (`PostToolUseFailure`, or an error-shaped response from older clients).
    Failed,
    /// The user interrupted it (`PostToolUseFailure` with `is_interrupt`).
    Interrupted,
    /// It was refused before it ran (a `<tool_use_error>` listed only in `PostToolBatch`).
    Rejected,
}

impl ToolCall {
    /// A successful call of `tool` with `input`, at time 0: a starting point for tests and examples.
    pub fn new(tool: impl Into<String>, input: Value) -> ToolCall {
        ToolCall {
            tool: tool.into(),
            input,
            ..ToolCall::default()
        }
    }

    /// Sets the home directory (builder style).
    pub fn with_home(mut self, home: impl Into<String>) -> ToolCall {
        self.home = Some(home.into());
        self
    }

    /// The Bash command as the shell reads it (an empty script for other tools), parsed once:
    /// paths resolve against `cwd` and `home`. Set `input`, `cwd` and `home` before the first
    /// call; later changes are not seen.
    pub(crate) fn script(&self) -> &crate::text::shell::Script {
        self.parsed.0.get_or_init(|| {
            let env = crate::text::shell::Env {
                cwd: self.cwd.as_deref(),
                home: self.home.as_deref(),
            };
            self.command()
                .map(|c| crate::text::shell::parse(c, env))
                .unwrap_or_default()
        })
    }

    /// Sets the subagent the call came from (builder style).
    pub fn in_agent(mut self, agent_id: impl Into<String>) -> ToolCall {
        self.agent_id = Some(agent_id.into());
        self
    }

    /// Sets the tool use id (builder style).
    pub fn with_id(mut self, id: impl Into<String>) -> ToolCall {
        self.tool_use_id = Some(id.into());
        self
    }

    /// The compact signature of the call's error ([`crate::error_signature`]), when it failed.
    pub fn error_signature(&self) -> Option<u64> {
        self.error.as_deref().map(crate::error_signature)
    }

    /// Sets the arrival time (builder style).
    pub fn at(mut self, ts_ms: u64) -> ToolCall {
        self.ts_ms = ts_ms;
        self
    }

    /// Marks the call failed with `error` (builder style).
    pub fn failed_with(mut self, error: impl Into<String>) -> ToolCall {
        self.failed = true;
        self.error = Some(error.into());
        self.outcome = Outcome::Failed;
        self
    }

    /// Sets `cwd` (builder style).
    pub fn in_dir(mut self, cwd: impl Into<String>) -> ToolCall {
        self.cwd = Some(cwd.into());
        self
    }

    /// The tool's category.
    pub fn category(&self) -> Category {
        Category::of(&self.tool)
    }

    /// A string field of `tool_input`.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.input.get(key).and_then(Value::as_str)
    }

    /// The file a file op works on (`file_path`, `notebook_path`), or the `path` of a search.
    pub fn path(&self) -> Option<&str> {
        self.str_field("file_path")
            .or_else(|| self.str_field("notebook_path"))
            .or_else(|| self.str_field("path"))
    }

    /// The Bash command, for Bash calls.
    pub fn command(&self) -> Option<&str> {
        if self.tool == "Bash" {
            self.str_field("command")
        } else {
            None
        }
    }

    /// The new content a write-like call puts into a file: Write `content`, Edit `new_string`,
    /// NotebookEdit `new_source`, every MultiEdit `new_string` joined by newlines.
    pub fn new_content(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self.tool.as_str() {
            "Write" => self.str_field("content").map(Cow::Borrowed),
            "Edit" => self.str_field("new_string").map(Cow::Borrowed),
            "NotebookEdit" => self.str_field("new_source").map(Cow::Borrowed),
            "MultiEdit" => {
                let edits = self.input.get("edits")?.as_array()?;
                let joined: Vec<&str> = edits
                    .iter()
                    .filter_map(|e| e.get("new_string").and_then(Value::as_str))
                    .collect();
                Some(Cow::Owned(joined.join("\n")))
            }
            _ => None,
        }
    }

    /// True for tools that change a file: Write, Edit, MultiEdit, NotebookEdit.
    pub fn is_write(&self) -> bool {
        matches!(
            self.tool.as_str(),
            "Write" | "Edit" | "MultiEdit" | "NotebookEdit"
        )
    }

    /// The project root: `project_dir`, else `cwd`.
    pub fn project_root(&self) -> Option<&str> {
        self.project_dir.as_deref().or(self.cwd.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn categories() {
        assert_eq!(Category::of("Read"), Category::File);
        assert_eq!(Category::of("Glob"), Category::Search);
        assert_eq!(Category::of("Task"), Category::Execution);
        assert_eq!(Category::of("mcp__zen__chat"), Category::McpZen);
        assert_eq!(
            Category::of("mcp__claude-flow__swarm_init"),
            Category::McpFlow
        );
        assert_eq!(Category::of("mcp__filesystem__read"), Category::McpFs);
        assert_eq!(Category::of("mcp__github__x"), Category::Mcp);
        assert_eq!(Category::of("Whatever"), Category::Other);
        assert!(Category::McpZen.is_mcp());
        assert!(!Category::File.is_mcp());
    }

    #[test]
    fn fields() {
        let c = ToolCall::new("Bash", json!({"command": "ls -la"}));
        assert_eq!(c.command(), Some("ls -la"));
        assert_eq!(c.path(), None);
        let m = ToolCall::new(
            "MultiEdit",
            json!({"file_path": "/p/a.rs", "edits": [{"new_string": "a"}, {"new_string": "b"}]}),
        );
        assert_eq!(m.path(), Some("/p/a.rs"));
        assert_eq!(m.new_content().as_deref(), Some("a\nb"));
        assert!(m.is_write());
    }
}
