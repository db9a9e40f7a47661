//! The benchmark's scenarios: the original suite's eight single calls, call sequences rebuilt from
//! real Claude Code sessions, and the user's own payloads or transcript.
//!
//! The session sequences are compiled into the binary (`sessions.jsonl`, generated from the
//! transcripts in `tests/data/transcripts` by the ignored test `regenerate_sessions`), so
//! `posthook --bench` works on a fresh clone. Long strings in them are cut to
//! `MAX_STRING` characters: the hook's work depends on the call's shape, and the sequences
//! should not carry whole file contents or command outputs.

use crate::transcript;
#[cfg(test)]
use serde_json::json;
use serde_json::Value;
use std::path::Path;

/// The longest string kept in an embedded payload, in characters.
#[cfg(test)]
const MAX_STRING: usize = 512;

/// The embedded session sequences: one `{"scenario": name, "payload": {...}}` per line.
const SESSIONS: &str = include_str!("sessions.jsonl");

/// The headline calls, whole (not cut like the sequences): the median Edit and the median Bash
/// call, by payload size, of a real session; the Edit's response carries the file, as Claude
/// Code sends it (about 25 KB). Same line format as [`SESSIONS`].
const HEADLINE: &str = include_str!("headline.jsonl");

/// Single calls: the original suite's eight scenarios (analyzers.md section 6), then two Bash
/// commands that pass the safety check's literal prefilter, so that its regexes are compiled and
/// run in the hook process (`mix format` contains `rm`; the other matches two checks).
const SINGLES: &str = include_str!("singles.jsonl");

/// Where a scenario comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// One Edit and one Bash call from a real session: the headline figures.
    Headline,
    /// A built-in single call.
    Single,
    /// A call sequence rebuilt from a real session.
    Session,
    /// The user's `--payloads` or `--transcript`.
    User,
}

/// One benchmark scenario: a name and the hook payloads it sends, in order, to one session.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    pub name: String,
    pub origin: Origin,
    /// Hook payloads (full PostToolUse stdin objects), serialized.
    pub payloads: Vec<Vec<u8>>,
}

/// The scenarios of embedded lines `{"scenario": name, "payload": {...}}`, one per run of lines
/// of the same name.
fn parse(text: &str, origin: Origin) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for v in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let (Some(name), Some(payload)) = (v["scenario"].as_str(), v.get("payload")) else {
            continue;
        };
        let bytes = payload.to_string().into_bytes();
        match out.last_mut() {
            Some(last) if last.name == name => last.payloads.push(bytes),
            _ => out.push(Scenario {
                name: name.to_string(),
                origin,
                payloads: vec![bytes],
            }),
        }
    }
    out
}

/// The call sequences rebuilt from real sessions, compiled into the binary.
pub(super) fn sessions() -> Vec<Scenario> {
    parse(SESSIONS, Origin::Session)
}

/// The built-in scenarios: the headline pair, the single calls, then the session sequences.
pub(crate) fn builtin() -> Vec<Scenario> {
    let mut v = parse(HEADLINE, Origin::Headline);
    v.extend(parse(SINGLES, Origin::Single));
    v.extend(sessions());
    v
}

/// A scenario of the user's, named after its file.
fn user(path: &Path, payloads: Vec<Vec<u8>>) -> Scenario {
    let name = path
        .file_stem()
        .map_or("user".into(), |s| s.to_string_lossy().into_owned());
    Scenario {
        name,
        origin: Origin::User,
        payloads,
    }
}

/// A scenario from a file of payloads, one JSON object per line (blank lines and lines starting
/// with `#` skipped).
pub(super) fn from_payloads_file(path: &Path) -> Result<Scenario, String> {
    let at = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading payloads '{at}': {e}"))?;
    let mut payloads = Vec::new();
    for (i, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |e: &dyn std::fmt::Display| format!("payloads '{at}' line {}: {e}", i + 1);
        let v: Value = serde_json::from_str(line).map_err(|e| bad(&e))?;
        if !v.is_object() {
            return Err(bad(&"not a JSON object"));
        }
        payloads.push(v.to_string().into_bytes());
    }
    if payloads.is_empty() {
        return Err(format!("payloads '{at}': no payload found"));
    }
    Ok(user(path, payloads))
}

/// A scenario from a Claude Code transcript: every tool call it holds, as the hook received it.
pub(super) fn from_transcript(path: &Path) -> Result<Scenario, String> {
    let at = path.display();
    let (events, _) = transcript::events_from_file(path)
        .map_err(|e| format!("reading transcript '{at}': {e}"))?;
    if events.is_empty() {
        return Err(format!(
            "transcript '{at}': no tool call with a result found"
        ));
    }
    let payloads = (events.iter()).map(|e| e.payload.to_string().into_bytes());
    let payloads = payloads.collect();
    Ok(user(path, payloads))
}

/// Cuts every string longer than [`MAX_STRING`] characters, recursively.
#[cfg(test)]
fn compact(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > MAX_STRING => {
            Value::String(s.chars().take(MAX_STRING).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(compact).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), compact(v))).collect()),
        other => other.clone(),
    }
}

/// The transcripts the embedded sequences come from: scenario name, file, calls kept.
#[cfg(test)]
const SESSION_SOURCES: &[(&str, &str, usize)] = &[
    ("session-tool-heavy", "spotter__tool_heavy.jsonl", 6),
    (
        "session-fasthooks",
        "fasthooks__sample_main_transcript.jsonl",
        10,
    ),
    ("session-subagent", "spotter__subagent.jsonl", 16),
    (
        "session-long",
        "spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl",
        40,
    ),
    (
        "session-agent",
        "spotter__8463c716__agent-a7be2f0.jsonl",
        40,
    ),
];

/// The session the headline calls come from.
#[cfg(test)]
const HEADLINE_SOURCE: &str = "spotter__4d5611e5-241a-462a-8d15-5122611a9569.jsonl";

/// Builds the text of `headline.jsonl`: the median Edit and Bash payloads of [`HEADLINE_SOURCE`],
/// by size, whole.
#[cfg(test)]
fn render_headline(dir: &Path) -> Result<String, String> {
    let path = dir.join(HEADLINE_SOURCE);
    let (events, _) = transcript::events_from_file(&path)
        .map_err(|e| format!("reading transcript '{}': {e}", path.display()))?;
    let mut out = String::new();
    for (name, tool) in [("claude-edit", "Edit"), ("claude-bash", "Bash")] {
        let mut sized: Vec<&Value> = events
            .iter()
            .map(|e| &e.payload)
            .filter(|p| p["tool_name"] == tool)
            .collect();
        sized.sort_by_key(|p| p.to_string().len());
        let median = sized
            .get(sized.len() / 2)
            .ok_or(format!("no {tool} call"))?;
        out.push_str(&json!({"scenario": name, "payload": median}).to_string());
        out.push('\n');
    }
    Ok(out)
}

/// Builds the text of `sessions.jsonl` from the transcripts in `dir`.
#[cfg(test)]
fn render_sessions(dir: &Path) -> Result<String, String> {
    let mut out = String::new();
    for (name, file, keep) in SESSION_SOURCES {
        let path = dir.join(file);
        let (events, _) = transcript::events_from_file(&path)
            .map_err(|e| format!("reading transcript '{}': {e}", path.display()))?;
        for e in events.iter().take(*keep) {
            let line = json!({"scenario": name, "payload": compact(&e.payload)});
            out.push_str(&line.to_string());
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The real transcripts kept with the tests (`tests/data/transcripts`).
    fn transcripts() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcripts")
    }

    #[test]
    fn every_builtin_payload_is_a_post_tool_use_call() {
        let all = builtin();
        assert_eq!(
            all.iter().filter(|s| s.origin == Origin::Single).count(),
            10
        );
        let sessions: Vec<&Scenario> = all.iter().filter(|s| s.origin == Origin::Session).collect();
        assert_eq!(sessions.len(), SESSION_SOURCES.len());
        for (sc, (name, _, keep)) in sessions.iter().zip(SESSION_SOURCES) {
            assert_eq!(sc.name, *name);
            assert!(
                sc.payloads.len() <= *keep && sc.payloads.len() >= 5,
                "{}",
                sc.name
            );
        }
        for sc in &all {
            for p in &sc.payloads {
                let input = crate::input::parse(p, 0, None).expect("parses");
                assert!(input.is_post_tool_use(), "{}", sc.name);
            }
        }
    }

    #[test]
    fn embedded_sessions_match_the_transcripts() {
        let dir = transcripts();
        assert!(dir.is_dir(), "{} is missing", dir.display());
        // Compared as JSON values: key order depends on serde_json's features, not on the data.
        let parse = |text: &str| -> Vec<Value> {
            text.lines()
                .map(|l| serde_json::from_str(l).expect("JSON line"))
                .collect()
        };
        let stale = "is stale: run `cargo test -p posthook --lib regenerate_sessions -- --ignored`";
        let fresh = render_sessions(&dir).expect("renders");
        assert!(parse(&fresh) == parse(SESSIONS), "sessions.jsonl {stale}");
        let fresh = render_headline(&dir).expect("renders");
        assert!(parse(&fresh) == parse(HEADLINE), "headline.jsonl {stale}");
        // Real size: the Edit's payload carries the edited file.
        let sizes: Vec<usize> = (super::parse(HEADLINE, Origin::Headline).iter())
            .map(|s| s.payloads[0].len())
            .collect();
        assert!(sizes.len() == 2 && sizes[0] > 20_000, "{sizes:?}");
    }

    #[test]
    #[ignore = "writes src/tools/bench/sessions.jsonl and headline.jsonl from tests/data/transcripts"]
    fn regenerate_sessions() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tools/bench");
        let text = render_sessions(&transcripts()).expect("renders");
        std::fs::write(here.join("sessions.jsonl"), text).expect("writes");
        let text = render_headline(&transcripts()).expect("renders");
        std::fs::write(here.join("headline.jsonl"), text).expect("writes");
    }

    #[test]
    fn compact_cuts_long_strings_only() {
        let long = "é".repeat(MAX_STRING + 10);
        let v = json!({"a": [long, "short"], "n": 3});
        let c = compact(&v);
        assert_eq!(
            c["a"][0].as_str().map(|s| s.chars().count()),
            Some(MAX_STRING)
        );
        assert_eq!(c["a"][1], "short");
        assert_eq!(c["n"], 3);
    }

    #[test]
    fn user_payloads_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = dir.path().join("mine.jsonl");
        std::fs::write(
            &ok,
            "# comment\n{\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Read\"}\n\n",
        )
        .expect("write");
        let sc = from_payloads_file(&ok).expect("reads");
        assert_eq!((sc.name.as_str(), sc.payloads.len()), ("mine", 1));
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{}\n[1]\n").expect("write");
        let err = from_payloads_file(&bad).expect_err("array line");
        assert!(err.contains("line 2: not a JSON object"), "{err}");
        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, "\n").expect("write");
        assert!(from_payloads_file(&empty).is_err());
    }
}
