//! `posthook install` / `uninstall` on settings files that already hold other hooks, permissions
//! and env.

use crate::support::{lean_bin, Sandbox};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};

fn existing_settings() -> Value {
    json!({
        "permissions": {"allow": ["Bash(npm test:*)", "Read(*)"], "deny": ["Bash(rm:*)"]},
        "env": {"RUST_LOG": "info", "FOO": "bar"},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/guard.sh", "timeout": 5}]}
            ],
            "PostToolUse": [
                {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --write"}]}
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
        },
        "model": "opus"
    })
}

/// Writes `v` in a style of its own (4-space indent, no final newline), so that only a byte-for-byte
/// restore reproduces it.
fn write(path: &Path, v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("json");
    let text = String::from_utf8(buf).expect("utf8");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, &text).expect("write");
    text
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("read")).expect("valid json")
}

/// Keys of every object, depth first, in file order: equal JSON with equal key order.
fn key_order(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                key_order(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| key_order(v, out)),
        _ => {}
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    key_order(v, &mut out);
    out
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn our_group(settings: &Value) -> Value {
    our_group_of(settings, "PostToolUse")
}

fn our_group_of(settings: &Value, event: &str) -> Value {
    settings["hooks"][event]
        .as_array()
        .expect("event list")
        .iter()
        .find(|g| {
            g["hooks"][0]["command"]
                .as_str()
                .is_some_and(|c| c.contains("posthook"))
        })
        .cloned()
        .expect("posthook group")
}

#[test]
fn install_then_uninstall_restores_the_file() {
    for (scope, rel) in [
        ("project", ".claude/settings.json"),
        ("local", ".claude/settings.local.json"),
    ] {
        let sb = Sandbox::new();
        let path = sb.project().join(rel);
        let original_text = write(&path, &existing_settings());
        let original = read(&path);

        let d = sb
            .in_project(&["install", "--scope", scope])
            .run()
            .expect_code(0);
        assert!(
            d.stdout().contains("installed posthook in"),
            "{}",
            d.stdout()
        );
        // The tests run target/debug/posthook: the user is told to install a release build.
        assert!(
            d.stdout().contains("note: this is a debug build"),
            "{}",
            d.stdout()
        );
        let installed = read(&path);
        // The program registered is a copy of the lean hook, outside the build tree, where the
        // next build cannot replace it under a running session.
        let exe = PathBuf::from(
            our_group(&installed)["hooks"][0]["command"]
                .as_str()
                .expect("str"),
        );
        assert!(
            exe.starts_with(sb.home().join(".local/share/posthook/bin"))
                && exe.ends_with("posthook-hook"),
            "{}",
            exe.display()
        );
        assert_eq!(
            fs::read(&exe).expect("the copy"),
            fs::read(lean_bin()).expect("the build")
        );
        assert!(
            d.stdout().contains("the program is a copy of"),
            "{}",
            d.stdout()
        );
        for event in ["PostToolUse", "PostToolUseFailure", "PostToolBatch"] {
            assert_eq!(
                our_group_of(&installed, event),
                json!({"matcher": "*", "hooks": [{"type": "command", "command": exe.to_str().expect("utf8"), "args": [], "timeout": 10}]}),
                "{event}: exec form"
            );
        }
        let group = our_group(&installed);
        assert!(Path::new(group["hooks"][0]["command"].as_str().expect("str")).is_absolute());
        // Everything else is untouched and keeps its order.
        for k in ["permissions", "env", "model"] {
            assert_eq!(installed[k], original[k], "{k}");
        }
        assert_eq!(
            installed["hooks"]["PreToolUse"],
            original["hooks"]["PreToolUse"]
        );
        // Another hook's Stop group stays first; posthook's own follows it.
        assert_eq!(installed["hooks"]["Stop"][0], original["hooks"]["Stop"][0]);
        assert_eq!(installed["hooks"]["Stop"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            installed["hooks"]["PostToolUse"][0],
            original["hooks"]["PostToolUse"][0]
        );
        let top: Vec<&String> = installed.as_object().expect("obj").keys().collect();
        assert_eq!(top, ["permissions", "env", "hooks", "model"]);
        let events: Vec<&String> = installed["hooks"]
            .as_object()
            .expect("hooks")
            .keys()
            .collect();
        assert_eq!(
            events,
            [
                "PreToolUse",
                "PostToolUse",
                "Stop",
                "PostToolUseFailure",
                "PostToolBatch",
                "SubagentStop",
                "SubagentStart",
                "PostCompact"
            ]
        );
        // The backup holds the old bytes.
        let backups: Vec<PathBuf> = files_in(path.parent().expect("dir"))
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".bak"))
            .collect();
        assert_eq!(backups.len(), 1, "{backups:?}");
        assert_eq!(
            fs::read_to_string(&backups[0]).expect("backup"),
            original_text
        );

        sb.in_project(&["uninstall", "--scope", scope])
            .run()
            .expect_code(0);
        let after = read(&path);
        assert_eq!(after, original);
        assert_eq!(keys(&after), keys(&original));
        assert_eq!(
            fs::read_to_string(&path).expect("read"),
            original_text,
            "byte for byte"
        );
    }
}

#[test]
fn install_twice_equals_install_once() {
    let sb = Sandbox::new();
    let path = sb.project().join(".claude/settings.json");
    write(&path, &existing_settings());
    sb.in_project(&["install", "--timeout", "7", "--matcher", "Bash|Edit"])
        .run()
        .expect_code(0);
    let once = fs::read(&path).expect("read");
    let files_once = files_in(&sb.project().join(".claude"));
    let d = sb
        .in_project(&["install", "--timeout", "7", "--matcher", "Bash|Edit"])
        .run()
        .expect_code(0);
    assert!(d.stdout().contains("nothing changed"), "{}", d.stdout());
    assert_eq!(fs::read(&path).expect("read"), once);
    assert_eq!(
        files_in(&sb.project().join(".claude")),
        files_once,
        "no second backup"
    );
    let group = our_group(&read(&path));
    assert_eq!(group["matcher"], "Bash|Edit");
    assert_eq!(group["hooks"][0]["timeout"], 7);
    assert_eq!(
        our_group_of(&read(&path), "PostToolBatch")["matcher"],
        "Bash|Edit"
    );

    // A changed option updates the one entry in place instead of adding a second one.
    sb.in_project(&["install", "--timeout", "3", "--output", "json"])
        .run()
        .expect_code(0);
    let v = read(&path);
    let ours: Vec<&Value> = v["hooks"]["PostToolUse"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|g| g.to_string().contains("posthook"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["hooks"][0]["timeout"], 3);
    assert_eq!(ours[0]["matcher"], "*");
    assert_eq!(ours[0]["hooks"][0]["args"], json!(["--output", "json"]));
    for event in ["PostToolUseFailure", "PostToolBatch"] {
        let n = v["hooks"][event]
            .as_array()
            .expect("list")
            .iter()
            .filter(|g| g.to_string().contains("posthook"))
            .count();
        assert_eq!(n, 1, "{event}: one entry, updated in place");
    }
}

#[test]
fn user_scope_writes_home_settings_and_cleans_up() {
    let sb = Sandbox::new();
    let path = sb.home().join(".claude/settings.json");
    sb.in_project(&["install", "--scope", "user"])
        .run()
        .expect_code(0);
    let v = read(&path);
    assert_eq!(v["hooks"]["PostToolUse"].as_array().map(Vec::len), Some(1));
    assert!(!sb.project().join(".claude/settings.json").exists());
    sb.in_project(&["uninstall", "--scope", "user"])
        .run()
        .expect_code(0);
    assert_eq!(read(&path), json!({}), "the containers it created are gone");
}

#[test]
fn malformed_settings_are_refused_untouched() {
    let sb = Sandbox::new();
    let dir = sb.project().join(".claude");
    let path = dir.join("settings.json");
    let bad = "{\n  \"permissions\": {\"allow\": []},\n  \"hooks\": {\n    \"PostToolUse\": [,]\n  }\n}\n";
    fs::write(&path, bad).expect("write");
    let before = files_in(&dir);
    for args in [&["install"][..], &["uninstall"], &["install", "--dry-run"]] {
        let d = sb.in_project(args).run().expect_code(1);
        let err = d.stderr();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(fs::read_to_string(&path).expect("read"), bad);
        assert_eq!(files_in(&dir), before, "no backup, no temp file");
    }
    // Valid JSON of the wrong shape is refused too.
    fs::write(&path, r#"{"hooks": {"PostToolUse": {"matcher": "*"}}}"#).expect("write");
    let d = sb.in_project(&["install"]).run().expect_code(1);
    assert!(d.stderr().contains("hooks.PostToolUse"), "{}", d.stderr());
}

#[test]
fn dry_run_writes_nothing() {
    let sb = Sandbox::new();
    let dir = sb.project().join(".claude");
    let path = dir.join("settings.json");
    let text = write(&path, &existing_settings());
    let before = files_in(&dir);
    let d = sb
        .in_project(&["install", "--dry-run"])
        .run()
        .expect_code(0);
    assert!(d.stdout().contains("nothing written"), "{}", d.stdout());
    assert!(
        d.stdout()
            .lines()
            .any(|l| l.starts_with('+') && l.contains("posthook")),
        "{}",
        d.stdout()
    );
    assert_eq!(fs::read_to_string(&path).expect("read"), text);
    assert_eq!(files_in(&dir), before);
    // No file at all: a dry run does not create one either.
    let d = sb
        .in_project(&["install", "--dry-run", "--scope", "local"])
        .run()
        .expect_code(0);
    assert!(d.stdout().contains("settings.local.json"), "{}", d.stdout());
    assert_eq!(files_in(&dir), before);
    // Uninstall dry run after a real install leaves the install in place.
    sb.in_project(&["install"]).run().expect_code(0);
    let installed = fs::read(&path).expect("read");
    sb.in_project(&["uninstall", "--dry-run"])
        .run()
        .expect_code(0);
    assert_eq!(fs::read(&path).expect("read"), installed);
}

#[test]
fn timeout_is_in_seconds() {
    let sb = Sandbox::new();
    let d = sb
        .in_project(&["install", "--timeout", "60000"])
        .run()
        .expect_code(1);
    assert!(d.stderr().contains("60000"), "{}", d.stderr());
    assert!(!sb.project().join(".claude/settings.json").exists());
}

/// The plugin's hooks (plugin/hooks/hooks.json) are what `install` writes: the same events,
/// matchers, exec form, arguments and timeouts; only the program differs (posthook-hook from
/// PATH, where `cargo install posthook` puts it).
#[test]
fn the_plugin_registers_what_install_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plugin: Value = serde_json::from_str(
        &fs::read_to_string(root.join("plugin/hooks/hooks.json")).expect("hooks.json"),
    )
    .expect("json");
    let sb = Sandbox::new();
    sb.home();
    sb.in_project(&["install", "--no-copy"])
        .run()
        .expect_code(0);
    let installed = read(&sb.project().join(".claude/settings.json"));
    let events = installed["hooks"].as_object().expect("hooks");
    assert_eq!(
        plugin["hooks"].as_object().expect("plugin hooks").len(),
        events.len(),
        "the same events"
    );
    for (event, groups) in events {
        let mut ours = groups[0].clone();
        let mut theirs = plugin["hooks"][event][0].clone();
        assert_eq!(theirs["hooks"][0]["command"], "posthook-hook", "{event}");
        for g in [&mut ours, &mut theirs] {
            g["hooks"][0]["command"] = Value::Null;
        }
        assert_eq!(ours, theirs, "{event}");
    }
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(root.join("plugin/.claude-plugin/plugin.json")).expect("plugin.json"),
    )
    .expect("json");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
}

/// Settings files written by hand: tabs, CRLF, keys in no particular order, trailing spaces (after
/// a value, after the last group of a list, after the last event and the last key), other hooks;
/// one without a final newline and without `hooks`.
const HAND_WRITTEN: [&str; 2] = [
    concat!(
        "{\r\n",
        "\t\"model\": \"opus\",   \r\n",
        "\t\"hooks\": {\r\n",
        "\t\t\"Stop\": [\r\n",
        "\t\t\t{\"hooks\": [{\"type\": \"command\", \"command\": \"notify-send done\"}]}  \r\n",
        "\t\t],\r\n",
        "\t\t\"PreToolUse\": [\r\n",
        "\t\t\t{\r\n",
        "\t\t\t\t\"hooks\": [{\"timeout\": 5, \"command\": \"$CLAUDE_PROJECT_DIR/.claude/hooks/guard.sh\", \"type\": \"command\"}],\r\n",
        "\t\t\t\t\"matcher\": \"Bash\"\r\n",
        "\t\t\t}\r\n",
        "\t\t],\r\n",
        "\t\t\"PostToolUse\": [\r\n",
        "\t\t\t{\"matcher\": \"Edit|Write\", \"hooks\": [{\"type\": \"command\", \"command\": \"prettier --write\"}]}\r\n",
        "\t\t]   \r\n",
        "\t},\r\n",
        "\t\"permissions\": {\"deny\": [\"Bash(rm:*)\"], \"allow\": [\"Read(*)\"]},\r\n",
        "\t\"env\": {\t\"RUST_LOG\": \"info\" }\r\n",
        "}\r\n",
    ),
    "{\r\n\t\"env\": {\"A\": \"1\"},\r\n\t\"model\": \"opus\"  \r\n}",
];

/// Whether `v` is one of posthook's groups: every hook in it runs the registered program.
fn is_our_group(v: &Value) -> bool {
    v["hooks"].as_array().is_some_and(|hooks| {
        !hooks.is_empty()
            && hooks.iter().all(|h| {
                h["command"]
                    .as_str()
                    .is_some_and(|c| c.ends_with("/posthook-hook"))
            })
    })
}

/// Checks that `after` is `before` with posthook's entries added and nothing else changed: the
/// lines are walked together; a line of `before` is in `after` as it was, or with a comma after
/// its value when posthook's lines follow it, and every run of lines only `after` has is
/// posthook's: one group, or whole event lists of its groups. Returns the number of runs.
fn only_posthook_added(before: &str, after: &str) -> usize {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let with_comma = |line: &str| {
        let end = line.trim_end().len();
        format!("{},{}", &line[..end], &line[end..])
    };
    let (mut i, mut runs, mut comma) = (0, 0, false);
    let mut added = String::new();
    for line in new {
        match old.get(i) {
            Some(&o) if o == line || with_comma(o) == line => {
                if added.is_empty() {
                    assert!(!comma, "a comma and nothing after it: {:?}", old[i - 1]);
                } else {
                    assert_our_run(&added);
                    runs += 1;
                    added.clear();
                }
                comma = o != line;
                i += 1;
            }
            _ => added.push_str(line),
        }
    }
    assert!(added.is_empty(), "added at the end: {added:?}");
    assert_eq!(
        i,
        old.len(),
        "lines of the original missing after {:?}",
        old.get(i)
    );
    runs
}

/// Whether `v` is posthook's alone: one of its groups, or lists of them, or events or a `hooks`
/// object holding only those.
fn all_ours(v: &Value) -> bool {
    const EVENTS: [&str; 8] = [
        "hooks",
        "PostToolUse",
        "PostToolUseFailure",
        "PostToolBatch",
        "Stop",
        "SubagentStop",
        "SubagentStart",
        "PostCompact",
    ];
    is_our_group(v)
        || v.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(all_ours))
        || v.as_object().is_some_and(|m| {
            !m.is_empty()
                && m.iter()
                    .all(|(k, v)| EVENTS.contains(&k.as_str()) && all_ours(v))
        })
}

/// Asserts that a run of added lines is posthook's alone: a value, or properties (with the comma
/// that separates them from what follows, if any).
fn assert_our_run(run: &str) {
    let text = run.trim_end().trim_end_matches(',');
    let v: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&format!("{{{text}}}")))
        .unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert!(all_ours(&v), "not posthook's: {run:?}");
}

#[test]
fn install_touches_only_its_own_entries_and_uninstall_gives_the_bytes_back() {
    for (original, runs) in HAND_WRITTEN.into_iter().zip([3, 1]) {
        let sb = Sandbox::new();
        let path = sb.project().join(".claude/settings.json");
        fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        fs::write(&path, original).expect("write");
        sb.in_project(&["install"]).run().expect_code(0);
        let installed = fs::read_to_string(&path).expect("read");
        assert_eq!(
            only_posthook_added(original, &installed),
            runs,
            "{installed}"
        );
        let v: Value = serde_json::from_str(&installed).expect("valid json");
        for event in ["PostToolUse", "PostToolUseFailure", "Stop", "PostCompact"] {
            assert!(is_our_group(&our_group_of(&v, event)), "{event}");
        }
        assert_eq!(
            installed.matches('\n').count(),
            installed.matches("\r\n").count(),
            "CRLF throughout: {installed:?}"
        );
        assert!(
            !installed.lines().any(|l| l.starts_with(' ')),
            "indented with tabs, as the file is: {installed}"
        );
        sb.in_project(&["install"]).run().expect_code(0);
        assert_eq!(fs::read_to_string(&path).expect("read"), installed);

        sb.in_project(&["uninstall"]).run().expect_code(0);
        assert_eq!(fs::read_to_string(&path).expect("read"), original);
    }
}

#[test]
fn a_comment_is_refused_as_claude_code_refuses_it() {
    let sb = Sandbox::new();
    let path = sb.project().join(".claude/settings.json");
    fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let text = "{\n  // the team's model\n  \"model\": \"opus\"\n}\n";
    fs::write(&path, text).expect("write");
    let d = sb.in_project(&["install"]).run().expect_code(1);
    assert!(d.stderr().contains("line 2"), "{}", d.stderr());
    assert_eq!(fs::read_to_string(&path).expect("read"), text);
}
