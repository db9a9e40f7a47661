//! posthook's entries in a settings document: their shape, and finding, adding, updating and
//! removing them without touching anything else.

use super::{shape, InstallError, DEFAULT_MATCHER};
use crate::output::OutputMode;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The arguments of posthook's exec-form entry: none, or `--output MODE`.
pub(crate) fn hook_args(output: Option<OutputMode>) -> Vec<String> {
    match output {
        Some(mode) => vec![String::from("--output"), mode.as_str().to_string()],
        None => Vec::new(),
    }
}

/// The events posthook is registered for, in the order they are written: a successful call, a
/// failed call, a turn, the end of the main thread's turn, the end of a subagent's, a subagent's
/// start, a compaction of the context. (Claude Code 2.1.332 sends all of them to command and http
/// hooks: `SubagentStart` with `agent_id` and `agent_type`; `PostCompact` with `trigger` and
/// `compact_summary`; `Stop`/`SubagentStop` with `stop_hook_active`, and for a subagent
/// `agent_id`, `agent_type` and `agent_transcript_path`.)
pub(crate) const HOOK_EVENTS: [&str; 7] = crate::input::EVENTS;

/// What posthook loses when it is not registered for `event`.
pub(crate) fn missing_event_cost(event: &str) -> &'static str {
    match event {
        "PostToolUse" => {
            "successful calls are never seen: the session history stays empty and no rule fires"
        }
        "PostToolUseFailure" => {
            "failed calls are never seen (Claude Code reports them only as PostToolUseFailure): \
             loops on the same error go unnoticed"
        }
        "Stop" => {
            "the end of a turn is never seen: a turn can end with code changed since its last check \
             or with that check failing"
        }
        "SubagentStop" => {
            "a subagent's end is never seen: it can report back with code changed since its last \
             check or with that check failing"
        }
        "SubagentStart" => "a subagent's stream is known only from its first call",
        "PostCompact" => {
            "compactions are never seen: a file read again after one may be called a wasted re-read"
        }
        _ => "turns are guessed from time gaps, and calls refused before they ran are never seen",
    }
}

/// The program of a shell command line: its first word, with quotes removed (a line the shell
/// could not parse, say an unclosed quote: its first whitespace-separated word).
pub(crate) fn program_of(command: &str) -> String {
    match shell_words::split(command) {
        Ok(words) => words.into_iter().next().unwrap_or_default(),
        Err(_) => command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Whether a hook command runs posthook (its program's file name is `posthook`).
pub(crate) fn is_posthook_command(command: &str) -> bool {
    is_posthook_program(Path::new(&program_of(command)))
}

/// Whether a program is posthook's: its file name is `posthook`, or `posthook-hook` (the lean
/// hook executable, which `install` registers).
pub(crate) fn is_posthook_program(program: &Path) -> bool {
    program
        .file_name()
        .is_some_and(|n| n == "posthook" || n == super::copy::LEAN_NAME)
}

/// Whether a hook entry runs posthook: a command entry whose program's file name is `posthook`
/// (in exec form, with `args`, `command` is the program itself, not a shell line).
fn is_posthook_hook(hook: &Value) -> bool {
    if super::http::is_posthook_http(hook) {
        return true;
    }
    if hook
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "command")
    {
        return false;
    }
    let Some(command) = hook.get("command").and_then(Value::as_str) else {
        return false;
    };
    if hook.get("args").is_some() {
        is_posthook_program(Path::new(command))
    } else {
        is_posthook_command(command)
    }
}

/// What posthook's entries should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The matcher of each event, in [`HOOK_EVENTS`] order (`*` = every tool).
    pub matchers: [String; HOOK_EVENTS.len()],
    /// The program: posthook's absolute path (exec form: no shell in between).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Timeout in seconds.
    pub timeout_s: u64,
    /// An http hook to write instead of the command (`install --http`, for `posthook serve`).
    pub http: Option<Value>,
}

impl Entry {
    /// An entry with one matcher for every event.
    #[cfg(test)]
    pub(crate) fn new(
        command: impl Into<String>,
        args: Vec<String>,
        matcher: &str,
        timeout_s: u64,
    ) -> Entry {
        Entry {
            matchers: std::array::from_fn(|_| matcher.to_string()),
            command: command.into(),
            args,
            timeout_s,
            http: None,
        }
    }

    fn hook(&self) -> Value {
        if let Some(h) = &self.http {
            return h.clone();
        }
        json!({"type": "command", "command": self.command, "args": self.args, "timeout": self.timeout_s})
    }

    /// The matcher for `event`.
    pub(crate) fn matcher(&self, event: &str) -> &str {
        HOOK_EVENTS
            .iter()
            .position(|e| *e == event)
            .map_or(DEFAULT_MATCHER, |i| self.matchers[i].as_str())
    }

    /// The whole group for `event`, as it is written into the settings.
    pub(crate) fn group(&self, event: &str) -> Value {
        json!({"matcher": self.matcher(event), "hooks": [self.hook()]})
    }
}

/// Checks the shape of posthook's event lists (`hooks.PostToolUse`, ...) without changing anything.
pub(super) fn check_shape(path: &Path, doc: &Map<String, Value>) -> Result<(), InstallError> {
    let Some(hooks) = doc.get("hooks") else {
        return Ok(());
    };
    let hooks = hooks
        .as_object()
        .ok_or_else(|| shape(path, "hooks", "an object"))?;
    for event in HOOK_EVENTS {
        let Some(list) = hooks.get(event) else {
            continue;
        };
        let list = list
            .as_array()
            .ok_or_else(|| shape(path, &format!("hooks.{event}"), "an array"))?;
        for (i, g) in list.iter().enumerate() {
            let g = g
                .as_object()
                .ok_or_else(|| shape(path, &format!("hooks.{event}[{i}]"), "an object"))?;
            if let Some(h) = g.get("hooks") {
                if !h.is_array() {
                    return Err(shape(
                        path,
                        &format!("hooks.{event}[{i}].hooks"),
                        "an array",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn group_hooks_mut(group: &mut Value) -> Option<&mut Vec<Value>> {
    group.get_mut("hooks").and_then(Value::as_array_mut)
}

/// Adds or updates posthook's entry for every event of [`HOOK_EVENTS`] in `doc`. Returns whether
/// `doc` changed. `doc` must have passed the shape check.
pub(super) fn install_into(doc: &mut Map<String, Value>, entry: &Entry) -> bool {
    let before = doc.clone();
    let hooks = doc
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(hooks) = hooks.as_object_mut() else {
        return false;
    };
    for event in HOOK_EVENTS {
        let list = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = list.as_array_mut() {
            install_event(list, event, entry);
        }
    }
    *doc != before
}

/// Puts posthook's entry into one event's list: updates the first group holding it in place
/// (keeping its position and any keys the user added), removes duplicates, or appends a group.
fn install_event(list: &mut Vec<Value>, event: &str, entry: &Entry) {
    let matcher = entry.matcher(event);
    let mut placed = false;
    let mut i = 0;
    while i < list.len() {
        let group = &mut list[i];
        let matcher_same = group.get("matcher").and_then(Value::as_str) == Some(matcher);
        let Some(group_hooks) = group_hooks_mut(group) else {
            i += 1;
            continue;
        };
        if !group_hooks.iter().any(is_posthook_hook) {
            i += 1;
            continue;
        }
        let only_ours = group_hooks.iter().all(is_posthook_hook);
        if !placed && (only_ours || matcher_same) {
            // Update in place: keep the group where it is and any extra keys the user added.
            let mut kept = false;
            group_hooks.retain_mut(|h| {
                if !is_posthook_hook(h) {
                    return true;
                }
                if kept {
                    return false;
                }
                kept = true;
                if let Some(http) = &entry.http {
                    *h = http.clone();
                    return true;
                }
                if let Some(obj) = h.as_object_mut() {
                    // An http entry turned back into the command.
                    for k in ["url", "headers", "allowedEnvVars"] {
                        obj.remove(k);
                    }
                    obj.insert("type".into(), json!("command"));
                    obj.insert("command".into(), json!(entry.command));
                    obj.insert("args".into(), json!(entry.args));
                    obj.insert("timeout".into(), json!(entry.timeout_s));
                }
                true
            });
            if let Some(g) = group.as_object_mut() {
                g.insert("matcher".into(), json!(matcher));
            }
            placed = true;
            i += 1;
        } else {
            // A duplicate, or ours inside someone else's group with another matcher: take it out.
            group_hooks.retain(|h| !is_posthook_hook(h));
            if group_hooks.is_empty() {
                list.remove(i);
            } else {
                i += 1;
            }
        }
    }
    if !placed {
        list.push(entry.group(event));
    }
}

/// Removes posthook's hooks from `doc`'s event lists ([`HOOK_EVENTS`]), and the groups, lists and
/// the hooks object that held nothing else. Returns whether `doc` changed.
pub(super) fn uninstall_from(doc: &mut Map<String, Value>) -> bool {
    let Some(hooks) = doc.get_mut("hooks").and_then(Value::as_object_mut) else {
        return false;
    };
    let mut removed = false;
    for event in HOOK_EVENTS {
        let Some(list) = hooks.get_mut(event).and_then(Value::as_array_mut) else {
            continue;
        };
        let mut here = false;
        list.retain_mut(|group| {
            let Some(group_hooks) = group_hooks_mut(group) else {
                return true;
            };
            let n = group_hooks.len();
            group_hooks.retain(|h| !is_posthook_hook(h));
            if group_hooks.len() == n {
                return true;
            }
            here = true;
            !group_hooks.is_empty()
        });
        if here && list.is_empty() {
            hooks.remove(event);
        }
        removed |= here;
    }
    if !removed {
        return false;
    }
    if hooks.is_empty() {
        doc.remove("hooks");
    }
    true
}

/// One posthook hook found in a settings document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoundEntry {
    /// The event it is registered for.
    pub event: &'static str,
    /// The command as written (in exec form, the program).
    pub command: String,
    /// The arguments, for an exec-form entry (`None`: a shell command line).
    pub args: Option<Vec<String>>,
    /// The matcher of its group, if any.
    pub matcher: Option<String>,
    /// Its timeout in seconds, if any.
    pub timeout: Option<f64>,
}

/// posthook's hook commands found in a settings document's groups of [`HOOK_EVENTS`].
pub(crate) fn posthook_commands(doc: &Map<String, Value>) -> Vec<FoundEntry> {
    let mut out = Vec::new();
    for event in HOOK_EVENTS {
        let groups = doc
            .get("hooks")
            .and_then(|h| h.get(event))
            .and_then(Value::as_array);
        for g in groups.into_iter().flatten() {
            let matcher = g.get("matcher").and_then(Value::as_str).map(str::to_owned);
            for h in g
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|h| is_posthook_hook(h))
            {
                let Some(c) = h.get("command").and_then(Value::as_str) else {
                    continue;
                };
                out.push(FoundEntry {
                    event,
                    command: c.to_string(),
                    args: h.get("args").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                            .collect()
                    }),
                    matcher: matcher.clone(),
                    timeout: h.get("timeout").and_then(Value::as_f64),
                });
            }
        }
    }
    out
}
/// The matcher of each event from `--matcher` values: `M` for every event, `EVENT=M` for one;
/// later values win. Unset events get `*`.
pub(crate) fn matchers_from(values: &[String]) -> [String; HOOK_EVENTS.len()] {
    let mut m: [String; HOOK_EVENTS.len()] = std::array::from_fn(|_| String::from(DEFAULT_MATCHER));
    for v in values {
        let one = v.split_once('=').and_then(|(event, matcher)| {
            HOOK_EVENTS
                .iter()
                .position(|e| *e == event)
                .map(|i| (i, matcher))
        });
        match one {
            Some((i, matcher)) => m[i] = matcher.to_string(),
            None => m.iter_mut().for_each(|x| *x = v.clone()),
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry::new("/opt/bin/posthook", Vec::new(), "*", 10)
    }

    fn doc(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test docs are objects"),
        }
    }

    #[test]
    fn recognizes_exec_form_entries() {
        assert!(is_posthook_hook(
            &json!({"type": "command", "command": "/my dir/posthook", "args": []})
        ));
        assert!(!is_posthook_hook(
            &json!({"type": "command", "command": "/bin/sh", "args": ["-c", "posthook"]})
        ));
        assert!(!is_posthook_hook(
            &json!({"type": "http", "url": "http://127.0.0.1:1/posthook"})
        ));
    }

    #[test]
    fn recognizes_posthook_commands() {
        assert!(is_posthook_command("/usr/local/bin/posthook"));
        assert!(is_posthook_command("'/my dir/posthook' --output json"));
        assert!(is_posthook_command("posthook"));
        assert!(!is_posthook_command("/usr/bin/posthook-other"));
        assert!(!is_posthook_command("echo posthook"));
        assert!(!is_posthook_command(
            "$CLAUDE_PROJECT_DIR/.claude/hooks/fmt.sh"
        ));
    }

    #[test]
    fn a_quoted_command_written_by_hand_names_its_program() {
        let cmd = shell_words::join(["/my dir/it's/posthook", "--output", "json"]);
        assert_eq!(program_of(&cmd), "/my dir/it's/posthook");
        assert!(is_posthook_command(&cmd));
        assert_eq!(program_of("/a/posthook"), "/a/posthook");
    }

    #[test]
    fn install_keeps_others_and_is_idempotent() {
        let mut d = doc(json!({
            "permissions": {"allow": ["Bash(ls)"]},
            "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}],
                      "Stop": []}
        }));
        assert!(install_into(&mut d, &entry()));
        let once = d.clone();
        assert!(!install_into(&mut d, &entry()));
        assert_eq!(d, once);
        let list = d["hooks"]["PostToolUse"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], entry().group("PostToolUse"));
        assert_eq!(
            list[1]["hooks"][0],
            json!({"type": "command", "command": "/opt/bin/posthook", "args": [], "timeout": 10}),
            "exec form"
        );
        for event in &HOOK_EVENTS[1..] {
            assert_eq!(d["hooks"][event], json!([entry().group(event)]), "{event}");
        }
        // Key order is kept: permissions first, then hooks; in hooks, the existing keys first.
        let keys: Vec<&String> = d.keys().collect();
        assert_eq!(keys, ["permissions", "hooks"]);
        let events: Vec<&String> = d["hooks"].as_object().expect("hooks").keys().collect();
        assert_eq!(
            events,
            [
                "PostToolUse",
                "Stop",
                "PostToolUseFailure",
                "PostToolBatch",
                "SubagentStop",
                "SubagentStart",
                "PostCompact"
            ]
        );
    }

    #[test]
    fn reinstall_updates_in_place() {
        let mut d = doc(json!({"hooks": {"PostToolUse": [
            {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "timeout": 60000}]},
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}
        ]}}));
        assert!(install_into(&mut d, &entry()));
        let list = d["hooks"]["PostToolUse"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], entry().group("PostToolUse"));
        // An exec-form entry keeps its form and gets posthook's args.
        let mut d = doc(json!({"hooks": {"PostToolUse": [
            {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "args": ["--output", "json"], "x": 1}]}
        ]}}));
        let mut e = entry();
        e.args = vec!["--output".into(), "quiet".into()];
        install_into(&mut d, &e);
        assert_eq!(
            d["hooks"]["PostToolUse"][0]["hooks"][0],
            json!({"type": "command", "command": "/opt/bin/posthook", "args": ["--output", "quiet"], "x": 1, "timeout": 10})
        );
    }

    #[test]
    fn matchers_per_event() {
        let all = |m: &'static str| vec![m; HOOK_EVENTS.len()];
        let m = matchers_from(&[]);
        assert_eq!(m.to_vec(), all("*"));
        let m = matchers_from(&["Bash|Edit".into(), "PostToolUseFailure=Bash".into()]);
        let mut want = all("Bash|Edit");
        want[1] = "Bash";
        assert_eq!(m.to_vec(), want);
        let m = matchers_from(&["a=b".into()]);
        assert_eq!(m.to_vec(), all("a=b"), "not an event name: a matcher");
    }

    #[test]
    fn uninstall_removes_only_what_it_added() {
        let original = doc(
            json!({"env": {"A": "1"}, "hooks": {"PreToolUse": [{"matcher": "*", "hooks": []}]}}),
        );
        let mut d = original.clone();
        install_into(&mut d, &entry());
        assert!(uninstall_from(&mut d));
        assert_eq!(d, original);
        assert!(!uninstall_from(&mut d));
        let mut empty = Map::new();
        install_into(&mut empty, &entry());
        uninstall_from(&mut empty);
        assert!(empty.is_empty());
    }
}
