//! Everything posthook reads from outside, by the first byte of the input:
//! - `0`: a hook payload. Any bytes either parse into an event or give a one-line error; a parsed
//!   event goes through the pipeline twice on one history (so the history-dependent rules run), what reaches Claude has no raw control character and no forged `posthook [` line, and
//!   the history it leaves round-trips through its stored form.
//! - `1`: a state file, as found in the state dir: parsed and loaded from disk, then it must be
//!   within its caps, and a call analyzed on it must save and load back.
//! - `2`: a config file, as the user's and as a project's: every problem is one line, and a
//!   project file never sets a path, logging, quiet output or a disabled safety rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posthook::analyzers::guidance::MAX_MESSAGE_CHARS;
use posthook::analyzers::{
    History, ToolCall, HISTORY_CAPACITY, MAX_CMD_HEAD_CHARS, MAX_PATH_CHARS, MAX_TOOL_CHARS,
    PER_TOOL_CAPACITY, SEEN_FILES_CAPACITY,
};
use posthook::{config, output, store, Runtime, Store};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fn runtime() -> &'static Runtime {
    // A budget no instrumented build reaches: every analyzer runs.
    RUNTIME.get_or_init(|| Runtime::builder().budget(Duration::from_secs(60)).build())
}

fn check_feedback(report: &posthook::Report) {
    let Some(fb) = &report.feedback else { return };
    assert!(fb.text.chars().count() <= MAX_MESSAGE_CHARS);
    for mode in [output::OutputMode::Stderr, output::OutputMode::Json] {
        let r = output::render(Some(fb), mode, "PostToolUse");
        let text = String::from_utf8_lossy(if r.stderr.is_empty() { &r.stdout } else { &r.stderr })
            .into_owned();
        let text = if mode == output::OutputMode::Json || r.stderr.is_empty() {
            let v: serde_json::Value = serde_json::from_str(&text).expect("hook JSON");
            // A block carries the text as its reason, anything else as additional context.
            v["hookSpecificOutput"]["additionalContext"]
                .as_str()
                .or_else(|| v["reason"].as_str())
                .expect("the message in the answer")
                .to_string()
        } else {
            text
        };
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character reaches Claude: {text:?}"
        );
        for line in text.lines().skip(1) {
            assert!(
                !line.trim_start().starts_with("posthook ["),
                "forged line: {text:?}"
            );
        }
    }
}

fn within_caps(h: &History) {
    assert!(h.recent.len() <= HISTORY_CAPACITY);
    assert!(h.seen_files.len() <= SEEN_FILES_CAPACITY);
    assert!(h.counters.per_tool.len() <= PER_TOOL_CAPACITY + 1);
    for f in &h.recent {
        assert!(f.tool.chars().count() <= MAX_TOOL_CHARS);
        assert!(f.path.as_ref().is_none_or(|p| p.chars().count() <= MAX_PATH_CHARS));
        assert!(f.cmd.as_ref().is_none_or(|c| c.chars().count() <= MAX_CMD_HEAD_CHARS));
    }
}

fn hook_input(data: &[u8]) {
    let event = match posthook::input::parse(data, 1_700_000_000_000, Some("/tmp/project")) {
        Ok(ev) => ev,
        Err(e) => {
            let line = e.to_string();
            let r = output::render_input_error(&e);
            assert_eq!(r.stderr.iter().filter(|&&b| b == b'\n').count(), 1, "{line:?}");
            return;
        }
    };
    let mut history = History::new();
    for _ in 0..2 {
        if let Some(report) = runtime().process_event(&event, &mut history) {
            check_feedback(&report);
        }
    }
    within_caps(&history);
    let stored = serde_json::to_vec(&history).expect("history serializes");
    let back: History = serde_json::from_slice(&stored).expect("stored history reads back");
    // `reread_of` lives only while a call is recorded: it is never stored.
    let mut expected = history.clone();
    expected.reread_of = None;
    assert_eq!(back, expected);
}

fn state_file(data: &[u8]) {
    if let Ok((_, h)) = store::parse_state(data) {
        within_caps(&h);
    }
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"));
    let store = Store::new(dir.path().join("state"));
    let _ = std::fs::create_dir_all(store.dir());
    let path = store.state_path("s");
    let _ = std::fs::write(&path, data);
    if let Ok(Some(s)) = store.load("s") {
        within_caps(&s.history);
    }
    let call = ToolCall::new("Bash", serde_json::json!({"command": "curl x | sh"}));
    let u = store
        .update("s", SystemTime::now(), |h| {
            let r = runtime().process(&call, h);
            check_feedback(&r);
            h.events_total
        })
        .expect("a trusted dir always updates");
    assert!(u.save_error.is_none(), "{:?}", u.save_error);
    let loaded = store.load("s").expect("loads").expect("saved");
    // Counters are clamped on load (a planted one at the cap is clamped back once more).
    assert_eq!(loaded.history.events_total, u.value.min(store::COUNTER_CAP));
    within_caps(&loaded.history);
    // Keep the dir small: only this session's files.
    if let Some(p) = u.set_aside {
        let _ = std::fs::remove_file(&p).or_else(|_| std::fs::remove_dir_all(&p));
    }
}

fn config_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let safety = config::safety_rules();
    for project in [false, true] {
        let (layer, problems) =
            config::parse_layer_as("/p/.claude/posthook.json", text, Some("/home/u".as_ref()), project);
        for p in &problems {
            let line = p.to_string();
            assert!(!line.chars().any(char::is_control), "{line:?}");
        }
        if let Some(b) = layer.budget_ms {
            assert!(config::BUDGET_RANGE.contains(&b));
        }
        if let Some(d) = &layer.state_dir {
            assert!(d.is_absolute());
        }
        if project {
            assert!(layer.state_dir.is_none());
            assert!(layer.log_level.is_none());
            assert_ne!(layer.output, Some(output::OutputMode::Quiet));
            assert!(!layer.disabled_rules.iter().any(|r| safety.contains(&r.as_str())));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => hook_input(rest),
        1 => state_file(rest),
        _ => config_file(rest),
    }
});
