//! Replay quality: every real session of the shared data, replayed call by call in-process with
//! the transcript's own timestamps, must get feedback on at most 15% of its tool calls and never
//! the same message twice in a row.

use crate::support::transcripts_dir;
use posthook::analyzers::{History, Profile, Settings};
use posthook::input;
use posthook::transcript::events_from_file;
use posthook::Runtime;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most feedback a session may get, as a share of its tool calls.
const MAX_FEEDBACK_RATE: f64 = 0.15;

struct Replayed {
    name: String,
    calls: usize,
    messages: Vec<(String, String, bool)>,
    /// Findings per rule before the guidance provider's choice.
    findings: BTreeMap<String, usize>,
}

fn transcripts() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(transcripts_dir())
        .expect("shared transcripts")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    v
}

fn replay(path: &Path, profile: Profile) -> Replayed {
    let settings = Settings::with_profile(profile);
    // A generous budget: in a debug build the first regex compile can use up the 40 ms default,
    // and skipped analyzers would make the replay say less than the hook does.
    let runtime = Runtime::builder()
        .settings(settings)
        .budget(std::time::Duration::from_secs(10))
        .build();
    let (events, _) = events_from_file(path).expect("readable transcript");
    let mut histories: BTreeMap<String, History> = BTreeMap::new();
    let mut calls = 0;
    let mut messages = Vec::new();
    let mut findings: BTreeMap<String, usize> = BTreeMap::new();
    let mut last_ts = 0;
    for ev in events {
        let bytes = serde_json::to_vec(&ev.payload).expect("json");
        // Transcript time, so gaps between calls are the real ones (monotonic, as the hook sees it).
        let ts = ev.ts_ms.unwrap_or(last_ts).max(last_ts);
        last_ts = ts;
        let parsed = input::parse(&bytes, ts, None).expect("rebuilt payloads parse");
        let Some(call) = parsed.call.as_ref().filter(|_| parsed.is_post_tool_use()) else {
            continue;
        };
        calls += 1;
        let history = histories.entry(parsed.session_id.clone()).or_default();
        let report = runtime.process(call, history);
        for f in &report.findings {
            *findings.entry(f.rule.to_string()).or_default() += 1;
        }
        if let Some(fb) = report.feedback {
            messages.push((fb.rule, fb.text, fb.blocking));
        }
    }
    Replayed {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        calls,
        messages,
        findings,
    }
}

/// The message without its context lines: what "the same message" means.
fn core(text: &str) -> &str {
    text.split("\nContext:").next().unwrap_or(text)
}

#[expect(
    clippy::print_stderr,
    reason = "the per-session report (run with --nocapture) is what the closing notes quote"
)]
fn check(profile: Profile) {
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    let (mut calls, mut fed) = (0, 0);
    for path in transcripts() {
        let r = replay(&path, profile);
        let rate = if r.calls == 0 {
            0.0
        } else {
            r.messages.len() as f64 / r.calls as f64
        };
        eprintln!(
            "{:?} {:<60} calls {:>4} feedback {:>3} rate {:>5.1}%",
            profile,
            r.name,
            r.calls,
            r.messages.len(),
            rate * 100.0
        );
        for (rule, text, blocking) in &r.messages {
            *per_rule.entry(rule.clone()).or_default() += 1;
            eprintln!(
                "    [{}] {}",
                if *blocking { "block" } else { "note" },
                text.replace('\n', " | ")
            );
        }
        assert!(
            rate <= MAX_FEEDBACK_RATE,
            "{}: feedback on {} of {} calls",
            r.name,
            r.messages.len(),
            r.calls
        );
        for w in r.messages.windows(2) {
            assert_ne!(
                core(&w[0].1),
                core(&w[1].1),
                "{}: same message twice in a row",
                r.name
            );
        }
        calls += r.calls;
        fed += r.messages.len();
        for (rule, n) in &r.findings {
            *found.entry(rule.clone()).or_default() += n;
        }
    }
    eprintln!("{profile:?}: {fed} messages on {calls} calls; per rule {per_rule:?}");
    eprintln!("{profile:?}: findings before guidance, per rule {found:?}");
    assert!(
        calls > 300,
        "the shared sessions hold 400+ tool calls, replayed {calls}"
    );
}

#[test]
fn real_sessions_default_profile() {
    check(Profile::Default);
}

#[test]
fn real_sessions_auto_profile() {
    check(Profile::Auto);
}
