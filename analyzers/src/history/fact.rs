//! [`Fact`]: the compact record of one call, all that is persisted about it.

use super::limits::{MAX_CMD_HEAD_CHARS, MAX_PATH_CHARS, MAX_TOOL_CHARS};
use crate::text::{
    failed_part, fnv1a64, script_head, script_lookup_tags, script_tags, simple_head, tags,
    truncate_chars,
};
use crate::{Category, Outcome, ToolCall};
use serde::{Deserialize, Serialize};

/// The compact record of one call: all that is persisted about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Tool name.
    pub tool: String,
    /// Tool category.
    pub cat: Category,
    /// File or search path, when the call had one (cut to 512 characters).
    #[serde(default)]
    pub path: Option<String>,
    /// Bash only: program and subcommand, never the arguments.
    #[serde(default)]
    pub cmd: Option<String>,
    /// Bash: a stable hash of the whole command, to recognize the same command again; Grep, Glob,
    /// LS: a hash of the whole query.
    #[serde(default)]
    pub cmd_hash: Option<u64>,
    /// Bash only: [`crate::tags`] bits.
    #[serde(default)]
    pub tags: u32,
    /// Whether the call succeeded.
    pub ok: bool,
    /// Arrival time, ms since the Unix epoch.
    pub ts: u64,
    /// Milliseconds since the previous call of the session (none for the first).
    #[serde(default)]
    pub gap: Option<u64>,
    /// Size of the tool input's main payload (content, command, ...) in bytes.
    #[serde(default)]
    pub in_len: u64,
    /// Size of the tool response in bytes.
    #[serde(default)]
    pub out_len: u64,
    /// Task/Agent: 1; MultiEdit: number of edits; TodoWrite: number of todos; else 0.
    #[serde(default)]
    pub count: u32,
    /// How the call ended (`ok` is false for every outcome but `Ok`).
    #[serde(default)]
    pub outcome: Outcome,
    /// The failure's [`crate::error_signature`], when it failed (never the text).
    #[serde(default)]
    pub sig: Option<u64>,
    /// A hash of `tool_use_id`, which ties the call to its turn's batch event.
    #[serde(default)]
    pub id: Option<u64>,
    /// The turn of its stream the call belongs to (1-based; 0 in state written before turns).
    #[serde(default)]
    pub turn: u64,
    /// Whether it was made in the same assistant turn as the call before it in its stream, as
    /// batch events tell; `None` where the stream has no batch events yet (then time gaps tell).
    #[serde(default)]
    pub same_turn: Option<bool>,
    /// [`crate::langs`] bits: a file change's language, or the languages a Bash check covers.
    #[serde(default)]
    pub langs: u16,
    /// Read only: a hash of the `offset`/`limit` it asked for (none: the whole file).
    #[serde(default)]
    pub range: Option<u64>,
    /// A hive memory tool's operation: 1 for a read (list, search, retrieve), 2 for a write
    /// (store, set, delete); 0 for every other call.
    #[serde(default)]
    pub mem: u8,
}

/// [`Fact::mem`]: a read of hive memory.
pub const MEM_READ: u8 = 1;
/// [`Fact::mem`]: a write to hive memory.
pub const MEM_WRITE: u8 = 2;

/// Task/Agent: 1; MultiEdit: its edits; TodoWrite: its todos; else 0.
fn item_count(call: &ToolCall) -> u32 {
    let len = |k: &str| {
        call.input
            .get(k)
            .and_then(|e| e.as_array())
            .map_or(0, Vec::len)
    };
    (match call.tool.as_str() {
        "MultiEdit" => len("edits"),
        "TodoWrite" => len("todos"),
        "Task" | "Agent" => 1,
        _ => 0,
    }) as u32
}

/// A path that is not a field of the input: the one file a plain Bash search or print looks into
/// (`grep -A5 x lib/a.ex`), or the directory a Glob's pattern names (`test/web/**/*_test.exs`).
fn derived_path(call: &ToolCall) -> Option<String> {
    if call.command().is_some() {
        crate::text::lookup_file(call.script(), call.home.as_deref())
    } else if call.tool == "Glob" {
        glob_directory(call)
    } else {
        None
    }
}

/// The directory a Glob searches: its `path` joined with the pattern's leading directories that
/// hold no wildcard; `None` when both are empty.
fn glob_directory(call: &ToolCall) -> Option<String> {
    let base = call.str_field("path").unwrap_or("").trim_end_matches('/');
    let pattern = call.str_field("pattern").unwrap_or("");
    let mut dirs: Vec<&str> = pattern.split('/').collect();
    dirs.pop();
    let lit: Vec<&str> = dirs
        .into_iter()
        .take_while(|d| !d.contains(['*', '?', '[', '{']))
        .collect();
    let lit = lit.join("/");
    match (base.is_empty(), lit.is_empty()) {
        (true, true) => None,
        (false, true) => Some(base.to_string()),
        (true, false) => Some(lit),
        (false, false) => Some(format!("{base}/{lit}")),
    }
}

/// What a hive memory call does to the store, from its name and its `action` argument.
fn memory_op(call: &ToolCall) -> u8 {
    if !call.tool.contains("memory") {
        return 0;
    }
    let action = call.str_field("action").unwrap_or("");
    let name = call.tool.rsplit("__").next().unwrap_or("");
    let writes = [
        "store", "set", "write", "save", "put", "update", "delete", "add",
    ];
    if writes
        .iter()
        .any(|w| action.contains(w) || name.contains(w))
    {
        MEM_WRITE
    } else {
        MEM_READ
    }
}

/// The head of a Bash call's command: for a failed call, the part its error belongs to
/// ([`failed_part`]: in `git add -A && git commit` rejected by a hook, `git commit`).
fn head_of(call: &ToolCall) -> String {
    let script = call.script();
    if call.failed {
        if let Some(part) = failed_part(script, call.error.as_deref().unwrap_or("")) {
            return simple_head(part);
        }
    }
    script_head(script)
}

impl Fact {
    /// Extracts the facts of `call`; `prev_ts` is the previous call's arrival time.
    pub fn from_call(call: &ToolCall, prev_ts: Option<u64>) -> Fact {
        let cat = call.category();
        let command = call.command();
        let in_len = match call.tool.as_str() {
            "Write" => call.str_field("content").map_or(0, str::len),
            "Bash" => command.map_or(0, str::len),
            _ => call.new_content().map_or(0, |c| c.len()),
        } as u64;
        let count = item_count(call);
        let owned_path = derived_path(call);
        let path = owned_path.as_deref().or_else(|| match cat {
            Category::File | Category::Search | Category::McpFs if call.tool != "Glob" => {
                call.path()
            }
            _ => None,
        });
        Fact {
            tool: truncate_chars(&call.tool, MAX_TOOL_CHARS).into_owned(),
            cat,
            path: path.map(|p| truncate_chars(p, MAX_PATH_CHARS).into_owned()),
            cmd: command.map(|_| truncate_chars(&head_of(call), MAX_CMD_HEAD_CHARS).into_owned()),
            cmd_hash: command.map(|c| fnv1a64(c.trim().as_bytes())).or_else(|| {
                (cat == Category::Search).then(|| fnv1a64(call.input.to_string().as_bytes()))
            }),
            tags: command.map_or(0, |c| {
                script_tags(call.script())
                    | script_lookup_tags(call.script())
                    | crate::text::syntax_check_tags(c)
            }),
            ok: !call.failed,
            ts: call.ts_ms,
            gap: prev_ts.map(|p| call.ts_ms.saturating_sub(p)),
            in_len,
            out_len: call.response_len,
            count,
            outcome: call.outcome,
            sig: call.error_signature(),
            id: call.tool_use_id.as_deref().map(|i| fnv1a64(i.as_bytes())),
            turn: 0,
            same_turn: None,
            langs: match (command, path) {
                // A commit whose own hooks ran tests checked what it committed.
                (Some(_), _) => {
                    crate::lang::script_langs(call.script())
                        | call
                            .output
                            .as_deref()
                            .filter(|_| !call.failed)
                            .map_or(0, crate::checks_in_output)
                }
                (None, Some(p)) if call.is_write() => crate::lang_of(p),
                _ => 0,
            },
            mem: memory_op(call),
            range: (call.tool == "Read")
                .then(|| {
                    let o = call.input.get("offset").and_then(serde_json::Value::as_u64);
                    let l = call.input.get("limit").and_then(serde_json::Value::as_u64);
                    (o.is_some() || l.is_some()).then(|| fnv1a64(format!("{o:?}/{l:?}").as_bytes()))
                })
                .flatten(),
        }
    }

    /// The subject a repeated failure is about: the tool with its command head (program and
    /// subcommand) or its path.
    pub fn subject(&self) -> u64 {
        let mut h = fnv1a64(self.tool.as_bytes());
        if let Some(c) = &self.cmd {
            h ^= fnv1a64(c.as_bytes()).rotate_left(1);
        } else if let Some(p) = &self.path {
            h ^= fnv1a64(p.as_bytes()).rotate_left(2);
        }
        h
    }

    /// Whether it ran `git commit`.
    pub fn is_commit(&self) -> bool {
        self.tags & tags::COMMIT != 0
    }

    /// True for `mcp__*` tools.
    pub fn is_mcp(&self) -> bool {
        self.cat.is_mcp()
    }

    /// True for tools that change files.
    pub fn is_write(&self) -> bool {
        matches!(
            self.tool.as_str(),
            "Write" | "Edit" | "MultiEdit" | "NotebookEdit"
        )
    }

    /// True for tools whose name contains `memory` (hive memory).
    pub fn is_memory(&self) -> bool {
        self.tool.contains("memory")
    }

    /// True for Bash calls that ran tests or a build.
    pub fn is_check(&self) -> bool {
        self.tags & (tags::TEST | tags::BUILD) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bash(cmd: &str) -> ToolCall {
        ToolCall::new("Bash", json!({ "command": cmd }))
    }

    use crate::History;

    #[test]
    fn facts_hold_no_contents() {
        let secret = "sk-live-0123456789abcdef";
        let mut h = History::new();
        h.record(&bash(&format!(
            "curl -H 'Authorization: {secret}' https://x"
        )));
        h.record(&ToolCall::new(
            "Write",
            json!({"file_path": "/p/.env", "content": secret}),
        ));
        let json = serde_json::to_string(&h).expect("serializes");
        assert!(!json.contains(secret), "{json}");
        assert_eq!(h.recent[1].in_len, secret.len() as u64);
    }

    #[test]
    fn a_failed_chain_is_named_by_the_part_that_failed() {
        let hook = "trim trailing whitespace.................Passed\nruff.....................Failed\n- hook id: ruff";
        let call = bash("git add -A && git commit -m 'sk_live_0123 fix'").failed_with(hook);
        let f = Fact::from_call(&call, None);
        assert_eq!(f.cmd.as_deref(), Some("git commit"));
        let ok = Fact::from_call(&bash("git add -A && git commit -m x"), None);
        assert_eq!(
            ok.cmd.as_deref(),
            Some("git add"),
            "a success keeps the first program"
        );
        let call = bash("ls /nope && cargo test").failed_with("ls: cannot access '/nope'");
        assert_eq!(Fact::from_call(&call, None).cmd.as_deref(), Some("ls"));
        let call = bash("cd x && timeout 60 npx vitest run").failed_with("1 test failed");
        assert_eq!(
            Fact::from_call(&call, None).cmd.as_deref(),
            Some("npx vitest")
        );
        assert_ne!(
            Fact::from_call(
                &bash("git add -A && git commit -m x").failed_with(hook),
                None
            )
            .subject(),
            Fact::from_call(&bash("git add -A").failed_with("fatal: x"), None).subject(),
            "the commit's failures are not the add's"
        );
    }
}
