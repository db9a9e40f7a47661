//! Feedback quality on labelled real sessions, scored as the feedback bar defines it: every
//! labelled transcript of tests/data is replayed (`posthook replay FILE --json`, as the live hook
//! would have run), and each message is a hit when it lands from an incident's first call to 3
//! calls after its last one and its rule addresses that incident's kind; every other message is a
//! miss, and so is a message that names a tool the session never used. Run with `--nocapture` for
//! the per-session table.

use crate::support::{labels_file, transcripts_dir, Sandbox};
use posthook::analyzers::builtin;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const MIN_PRECISION: f64 = 0.80;
const MIN_RECALL: f64 = 0.60;
const MAX_MESSAGE_RATE: f64 = 0.05;
const MAX_BLOCKING: usize = 1;

/// Every tool name of Claude Code, old and new, that a message could name. Kept here on purpose,
/// apart from the guidance provider's own list: the score must not trust the code it scores.
const TOOL_NAMES: &[&str] = &[
    "MultiEdit",
    "Glob",
    "Grep",
    "LS",
    "TodoWrite",
    "Task",
    "Agent",
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
    "BashOutput",
    "TaskOutput",
    "KillShell",
    "Skill",
    "ToolSearch",
    "ListAgents",
];

/// The position of each tool use with a result, in the order the results appear (the step
/// numbers the labels were made on).
fn positions(path: &std::path::Path) -> HashMap<String, usize> {
    let text = std::fs::read_to_string(path).expect("transcript");
    let mut open = BTreeSet::new();
    let mut out = HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array) else {
            continue;
        };
        for b in blocks {
            match b["type"].as_str() {
                Some("tool_use") => {
                    open.insert(b["id"].as_str().unwrap_or("").to_string());
                }
                Some("tool_result") => {
                    let id = b["tool_use_id"].as_str().unwrap_or("").to_string();
                    if open.remove(&id) {
                        let n = out.len() + 1;
                        out.insert(id, n);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A tool the text names that the session never used (Read, Edit, Write and Bash aside).
fn unused_tool(text: &str, used: &BTreeSet<String>) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in words {
        if TOOL_NAMES.contains(&w) && !used.contains(w) {
            return Some(w.to_string());
        }
        if let Some(rest) = w.strip_prefix("mcp__") {
            let _ = rest;
            if !used
                .iter()
                .any(|u| u == w || (w.ends_with("__") && u.starts_with(w)))
            {
                return Some(w.to_string());
            }
        }
    }
    None
}

#[derive(Default, Clone, Copy)]
struct Score {
    calls: usize,
    messages: usize,
    hits: usize,
    blocking: usize,
    incidents: usize,
    detected: usize,
    ungrounded: usize,
}

impl Score {
    fn add(&mut self, o: &Score) {
        self.calls += o.calls;
        self.messages += o.messages;
        self.hits += o.hits;
        self.blocking += o.blocking;
        self.incidents += o.incidents;
        self.detected += o.detected;
        self.ungrounded += o.ungrounded;
    }

    fn precision(&self) -> f64 {
        if self.messages == 0 {
            1.0
        } else {
            self.hits as f64 / self.messages as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.incidents == 0 {
            1.0
        } else {
            self.detected as f64 / self.incidents as f64
        }
    }

    fn rate(&self) -> f64 {
        self.messages as f64 / self.calls.max(1) as f64
    }

    fn line(&self) -> String {
        format!(
            "{:>5} calls {:>3} msgs ({:>4.1}%) {:>3} hits  precision {:>3.0}%  recall {:>3.0}% ({} of {})  {} blocking",
            self.calls,
            self.messages,
            self.rate() * 100.0,
            self.hits,
            self.precision() * 100.0,
            self.recall() * 100.0,
            self.detected,
            self.incidents,
            self.blocking
        )
    }
}

/// The project a labelled session comes from: its file name's prefix (`spotter__...`).
fn project_of(session: &str) -> &str {
    session.split("__").next().unwrap_or(session)
}

/// The position each step is scored at: its call's, or for a step without a call of its own (a
/// turn's end), the last call before it.
fn step_positions(steps: &[Value], pos: &HashMap<String, usize>) -> Vec<usize> {
    let mut last = 0;
    steps
        .iter()
        .map(|s| {
            if let Some(p) = s["tool_use_id"].as_str().and_then(|id| pos.get(id)) {
                if s["event"] != "PostToolBatch" {
                    last = last.max(*p);
                }
                *p
            } else {
                last
            }
        })
        .collect()
}

type Incident<'a> = (usize, usize, &'a str);

fn incidents_of<'a>(
    name: &str,
    label: &'a Value,
    pos: &HashMap<String, usize>,
) -> Vec<Incident<'a>> {
    label["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .filter(|i| i["kind"] != "other")
        .map(|i| {
            let at = |k: &str| {
                let id = i[k].as_str().expect("id");
                *pos.get(id)
                    .unwrap_or_else(|| panic!("{name}: {id} not in the transcript"))
            };
            (
                at("start_id"),
                at("end_id"),
                i["kind"].as_str().expect("kind"),
            )
        })
        .collect()
}

/// Replays one labelled session and scores its messages; prints one line per message.
#[expect(
    clippy::print_stderr,
    reason = "the per-message lines (run with --nocapture) are what the docs quote"
)]
fn score_session(
    sb: &Sandbox,
    name: &str,
    label: &Value,
    per_rule: &mut BTreeMap<String, (usize, usize)>,
) -> Score {
    let path = transcripts_dir().join(format!("{name}.jsonl"));
    let pos = positions(&path);
    let d = sb
        .cmd(&["replay", path.to_str().expect("utf8"), "--json"])
        .run()
        .expect_code(0);
    let v: Value = serde_json::from_str(&d.stdout()).expect("replay json");
    let steps = v["steps"].as_array().expect("steps");
    let used: BTreeSet<String> = steps
        .iter()
        .filter_map(|s| s["tool"].as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let incidents = incidents_of(name, label, &pos);
    let mut s = Score {
        calls: v["summary"]["calls"].as_u64().expect("calls") as usize,
        incidents: incidents.len(),
        ..Score::default()
    };
    let mut found = vec![false; incidents.len()];
    let at_of = step_positions(steps, &pos);
    for (step, at) in steps.iter().zip(at_of) {
        let Some(fb) = step["feedback"].as_object() else {
            continue;
        };
        let rule = fb["rule"].as_str().expect("rule");
        let text = fb["text"].as_str().expect("text");
        s.messages += 1;
        // A blocked stop is a message like any other: the model goes on with it as its next
        // instruction. Only a block after a tool call counts as a blocking message.
        let stop = matches!(step["event"].as_str(), Some("Stop" | "SubagentStop"));
        if fb["blocking"] == true && !stop {
            s.blocking += 1;
        }
        let kind = builtin::rule_def(rule).map(|r| r.kind.as_str());
        let grounded = unused_tool(text, &used);
        if grounded.is_some() {
            s.ungrounded += 1;
        }
        let hit = grounded.is_none()
            && incidents.iter().enumerate().any(|(i, (start, end, k))| {
                let ok = Some(*k) == kind && at >= *start && at <= end + 3;
                if ok {
                    found[i] = true;
                }
                ok
            });
        let e = per_rule.entry(rule.to_string()).or_default();
        if hit {
            s.hits += 1;
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        eprintln!(
            "    #{at:<4} {} [{}] {}{}",
            if hit { "HIT " } else { "MISS" },
            rule,
            text.lines().next().unwrap_or(""),
            grounded
                .map(|t| format!("  (names {t}, never used)"))
                .unwrap_or_default()
        );
    }
    s.detected = found.iter().filter(|f| **f).count();
    s
}

/// The bars every project and the total must meet.
const MIN_PROJECT_PRECISION: f64 = 0.60;

#[test]
#[expect(
    clippy::print_stderr,
    reason = "the per-session, per-project and per-rule tables (run with --nocapture) are what the docs quote"
)]
fn feedback_on_labelled_sessions_meets_the_bar() {
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(labels_file()).expect("labels"))
            .expect("labels json");
    let sessions = labels["sessions"].as_object().expect("sessions");
    assert!(
        sessions.len() >= 18,
        "labelled sessions: {}",
        sessions.len()
    );
    let sb = Sandbox::new();
    let mut total = Score::default();
    let mut per_rule: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut per_project: BTreeMap<String, Score> = BTreeMap::new();
    for (name, label) in sessions {
        let s = score_session(&sb, name, label, &mut per_rule);
        eprintln!("{name:<48} {}", s.line());
        per_project
            .entry(project_of(name).to_string())
            .or_default()
            .add(&s);
        total.add(&s);
    }
    eprintln!("per project:");
    for (p, s) in &per_project {
        eprintln!("  {p:<14} {}", s.line());
    }
    eprintln!("leave one project out (the others' figures):");
    for p in per_project.keys() {
        let mut rest = Score::default();
        for (q, s) in &per_project {
            if q != p {
                rest.add(s);
            }
        }
        eprintln!("  without {p:<14} {}", rest.line());
    }
    eprintln!("total: {}", total.line());
    for (rule, (hits, misses)) in &per_rule {
        eprintln!("  rule {rule:<20} hits {hits:>3}  misses {misses:>3}");
    }
    assert!(
        total.incidents >= 18,
        "detectable incidents in the labels: {}",
        total.incidents
    );
    assert_eq!(
        total.ungrounded, 0,
        "messages naming a tool the session never used"
    );
    assert!(
        total.precision() >= MIN_PRECISION,
        "precision {:.0}% < {:.0}%",
        total.precision() * 100.0,
        MIN_PRECISION * 100.0
    );
    assert!(
        total.recall() >= MIN_RECALL,
        "recall {:.0}% < {:.0}%",
        total.recall() * 100.0,
        MIN_RECALL * 100.0
    );
    assert!(
        total.rate() <= MAX_MESSAGE_RATE,
        "messages on {:.1}% of calls",
        total.rate() * 100.0
    );
    assert!(
        total.blocking <= MAX_BLOCKING,
        "{} blocking messages",
        total.blocking
    );
    for (p, s) in &per_project {
        assert!(
            s.precision() >= MIN_PROJECT_PRECISION,
            "{p}: precision {:.0}% < {:.0}%",
            s.precision() * 100.0,
            MIN_PROJECT_PRECISION * 100.0
        );
    }
}
