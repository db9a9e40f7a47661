//! posthook's entries in a settings document: their shape, and finding, adding, updating and
//! removing them without touching anything else.

use super::file::{append_elem, append_prop, input, object_or_append, set_prop, value_of};
use super::{shape, InstallError, DEFAULT_MATCHER};
use crate::output::OutputMode;
use jsonc_parser::cst::{CstArray, CstNode, CstObject};
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

/// Adds or updates posthook's entry for every event of [`HOOK_EVENTS`] in the settings tree
/// `doc`, creating `hooks` and the event lists it lacks. `doc` must have passed the shape check.
pub(super) fn install_into(doc: &CstObject, entry: &Entry) {
    let Some(hooks) = object_or_append(doc, "hooks") else {
        return;
    };
    for event in HOOK_EVENTS {
        let list = match hooks.get(event) {
            Some(prop) => prop.array_value(),
            None => append_prop(&hooks, event, &json!([])).array_value(),
        };
        if let Some(list) = list {
            install_event(&list, event, entry);
        }
    }
}

/// A group of the tree, its list of hooks, and those of them that are posthook's (`None`: no
/// hook of posthook's in it).
fn with_ours(group: &CstNode) -> Option<(CstObject, CstArray, Vec<CstNode>)> {
    let object = group.as_object()?;
    let hooks = object.array_value("hooks")?;
    let ours: Vec<CstNode> = (hooks.elements().into_iter())
        .filter(|h| is_posthook_hook(&value_of(h)))
        .collect();
    (!ours.is_empty()).then_some((object, hooks, ours))
}

/// Puts posthook's entry into one event's list: updates the first group holding it in place
/// (keeping its position and any keys the user added), removes duplicates, or appends a group.
/// Nothing that already says what it should is rewritten.
fn install_event(list: &CstArray, event: &str, entry: &Entry) {
    let matcher = entry.matcher(event);
    let mut placed = false;
    for group in list.elements() {
        let Some((object, group_hooks, ours)) = with_ours(&group) else {
            continue;
        };
        let only_ours = ours.len() == group_hooks.elements().len();
        let matcher_same = object
            .get("matcher")
            .and_then(|p| p.value())
            .map(|v| value_of(&v))
            == Some(json!(matcher));
        let mut ours = ours.into_iter();
        if !placed && (only_ours || matcher_same) {
            // Update in place: keep the group where it is and any extra keys the user added.
            if let Some(hook) = ours.next() {
                update_hook(&hook, entry);
            }
            set_prop(&object, "matcher", &json!(matcher));
            placed = true;
        }
        // A duplicate, or ours inside someone else's group with another matcher: take it out.
        ours.for_each(CstNode::remove);
        if group_hooks.elements().is_empty() {
            group.remove();
        }
    }
    if !placed {
        append_elem(list, &entry.group(event));
    }
}

/// Makes one of posthook's hooks say what `entry` says (replaced only when it differs).
fn update_hook(hook: &CstNode, entry: &Entry) {
    let current = value_of(hook);
    let want = match &entry.http {
        Some(http) => http.clone(),
        None => {
            let mut obj = current.as_object().cloned().unwrap_or_default();
            // An http entry turned back into the command.
            for k in ["url", "headers", "allowedEnvVars"] {
                obj.remove(k);
            }
            obj.insert("type".into(), json!("command"));
            obj.insert("command".into(), json!(entry.command));
            obj.insert("args".into(), json!(entry.args));
            obj.insert("timeout".into(), json!(entry.timeout_s));
            Value::Object(obj)
        }
    };
    if want != current {
        if let Some(object) = hook.as_object() {
            object.replace_with(input(&want));
        }
    }
}

/// Removes posthook's hooks from the settings tree's event lists ([`HOOK_EVENTS`]), and the
/// groups, lists and the `hooks` object that are left empty by it (as they are when `install`
/// created them: a list or object that was there before keeps whatever else it holds).
pub(super) fn uninstall_from(doc: &CstObject) {
    let Some(hooks) = doc.object_value("hooks") else {
        return;
    };
    let mut removed = false;
    for event in HOOK_EVENTS {
        let Some(list) = hooks.array_value(event) else {
            continue;
        };
        let mut here = false;
        for group in list.elements() {
            let Some((_, group_hooks, ours)) = with_ours(&group) else {
                continue;
            };
            here = true;
            ours.into_iter().for_each(CstNode::remove);
            if group_hooks.elements().is_empty() {
                group.remove();
            }
        }
        if let Some(prop) = hooks
            .get(event)
            .filter(|_| here && list.elements().is_empty())
        {
            prop.remove();
        }
        removed |= here;
    }
    if let Some(prop) = doc
        .get("hooks")
        .filter(|_| removed && hooks.properties().is_empty())
    {
        prop.remove();
    }
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

/// Every hook in a settings document's groups of [`HOOK_EVENTS`], with its event and its group:
/// `hooks.<event>[].hooks[]`, events in [`HOOK_EVENTS`] order, then groups, then hooks, in the
/// document's order. What is not a list where a list belongs holds no hook.
pub(crate) fn hooks_of(
    doc: &Map<String, Value>,
) -> impl Iterator<Item = (&'static str, &Value, &Value)> {
    let lists = doc.get("hooks");
    HOOK_EVENTS.into_iter().flat_map(move |event| {
        let groups = lists.and_then(|h| h.get(event)).and_then(Value::as_array);
        groups.into_iter().flatten().flat_map(move |group| {
            let hooks = group.get("hooks").and_then(Value::as_array);
            hooks
                .into_iter()
                .flatten()
                .map(move |hook| (event, group, hook))
        })
    })
}

/// posthook's hook commands found in a settings document's groups of [`HOOK_EVENTS`].
pub(crate) fn posthook_commands(doc: &Map<String, Value>) -> Vec<FoundEntry> {
    hooks_of(doc)
        .filter(|(_, _, h)| is_posthook_hook(h))
        .filter_map(|(event, group, h)| {
            Some(FoundEntry {
                event,
                command: h.get("command")?.as_str()?.to_string(),
                args: h.get("args").and_then(Value::as_array).map(|a| {
                    a.iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect()
                }),
                matcher: group
                    .get("matcher")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                timeout: h.get("timeout").and_then(Value::as_f64),
            })
        })
        .collect()
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

    /// `v` as a settings file, edited by `f`, read back.
    fn edited(v: &Value, f: impl FnOnce(&CstObject)) -> Value {
        let text = serde_json::to_string_pretty(v).expect("json");
        let tree = super::super::file::parse_settings(Path::new("s.json"), &text)
            .expect("valid")
            .tree;
        f(&tree.object_value_or_set());
        serde_json::from_str(&tree.to_string()).expect("still valid")
    }

    fn install(v: &Value, e: &Entry) -> Value {
        edited(v, |d| install_into(d, e))
    }

    fn uninstall(v: &Value) -> Value {
        edited(v, uninstall_from)
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
        let d = install(
            &json!({
                "permissions": {"allow": ["Bash(ls)"]},
                "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}],
                          "Stop": []}
            }),
            &entry(),
        );
        assert_eq!(install(&d, &entry()), d);
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
        let keys: Vec<&String> = d.as_object().expect("doc").keys().collect();
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
        let d = install(
            &json!({"hooks": {"PostToolUse": [
                {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "timeout": 60000}]},
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}
            ]}}),
            &entry(),
        );
        let list = d["hooks"]["PostToolUse"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], entry().group("PostToolUse"));
        // An exec-form entry keeps its form and gets posthook's args.
        let mut e = entry();
        e.args = vec!["--output".into(), "quiet".into()];
        let d = install(
            &json!({"hooks": {"PostToolUse": [
                {"matcher": "*", "hooks": [{"type": "command", "command": "/old/posthook", "args": ["--output", "json"], "x": 1}]}
            ]}}),
            &e,
        );
        assert_eq!(
            d["hooks"]["PostToolUse"][0]["hooks"][0],
            json!({"type": "command", "command": "/opt/bin/posthook", "args": ["--output", "quiet"], "x": 1, "timeout": 10})
        );
        // A duplicate, and posthook inside another hook's group with another matcher, go.
        let d = install(
            &json!({"hooks": {"PostToolUse": [
                {"matcher": "*", "hooks": [{"type": "command", "command": "/a/posthook", "args": []}]},
                {"matcher": "*", "hooks": [{"type": "command", "command": "/b/posthook", "args": []}]},
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "fmt"}, {"type": "command", "command": "/c/posthook", "args": []}]}
            ]}}),
            &entry(),
        );
        assert_eq!(
            d["hooks"]["PostToolUse"],
            json!([entry().group("PostToolUse"), {"matcher": "Bash", "hooks": [{"type": "command", "command": "fmt"}]}])
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
        let original =
            json!({"env": {"A": "1"}, "hooks": {"PreToolUse": [{"matcher": "*", "hooks": []}]}});
        let installed = install(&original, &entry());
        assert_ne!(installed, original);
        let d = uninstall(&installed);
        assert_eq!(d, original);
        assert_eq!(uninstall(&d), original);
        assert_eq!(uninstall(&install(&json!({}), &entry())), json!({}));
        // Someone else's hook in posthook's group stays, and so does the group.
        let shared = json!({"hooks": {"Stop": [{"hooks": [
            {"type": "command", "command": "/a/posthook", "args": []},
            {"type": "command", "command": "notify-send done"}
        ]}]}});
        assert_eq!(
            uninstall(&shared),
            json!({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]}})
        );
    }
}
