//! Rebuilding hook payloads from Claude Code transcripts (JSONL).
//!
//! Two views of a transcript:
//! - [`live_events_from_str`]: the events the live client (2.1.332) would have sent, in order: a
//!   successful call as `PostToolUse`, a failed one as `PostToolUseFailure` with its error text, a
//!   call refused before it ran (a `<tool_use_error>` result, a permission the user denied) only
//!   inside its turn's `PostToolBatch`, one batch per assistant message (one API message id = one
//!   turn) after its last result, and subagent calls with their `agent_id`. `replay` and `explain`
//!   use it, so that "what would posthook have said" holds.
//! - [`events_from_str`]: every tool use with a result as a `PostToolUse` payload, failures
//!   included, as clients before PostToolUseFailure sent them (benchmarks use it as a stream of
//!   calls).
//!
//! A transcript has one content block per line: `assistant` lines carry `tool_use` blocks, and a
//! later `user` line carries the matching `tool_result` plus a top-level `toolUseResult` (the
//! structured `tool_response`). Joining the two by id gives the payload the hook received. Lines
//! that do not parse and lines of other types are skipped; a `tool_use` without a result yields no
//! event. Payloads come out in the order their results appear, which is the order the hook ran.

use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// One rebuilt hook event.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayEvent {
    /// The full PostToolUse stdin object.
    pub payload: Value,
    /// When the result was written, ms since the Unix epoch (from the line's `timestamp`).
    pub ts_ms: Option<u64>,
}

/// Counts of what a transcript held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranscriptStats {
    /// Lines read.
    pub lines: usize,
    /// Lines that were not JSON objects.
    pub bad_lines: usize,
    /// `tool_use` blocks seen.
    pub tool_uses: usize,
    /// `tool_use` blocks joined with a result (= events).
    pub joined: usize,
    /// The directory the session was launched in: the first `cwd` of the file (a transcript's
    /// first line that has one, or a stream's `init` line). Live, that is `CLAUDE_PROJECT_DIR`;
    /// later lines' `cwd` follow the agent's `cd`s.
    pub launch_dir: Option<String>,
}

/// Parses an RFC 3339 timestamp (`2026-02-10T21:12:02.480Z`) into ms since the epoch.
pub(crate) fn parse_timestamp(s: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    u64::try_from(d.as_millis()).ok()
}

struct PendingUse {
    name: String,
    input: Value,
}

/// Field `k` of a JSON object, `null` when it is missing.
fn field(v: &Value, k: &str) -> Value {
    v.get(k).cloned().unwrap_or(Value::Null)
}

/// When a line was written, ms since the Unix epoch (its `timestamp`).
fn line_ts(v: &Value) -> Option<u64> {
    v.get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
}

/// The API message id of an `assistant` line (one id = one turn), or one of its own when it has
/// none.
fn message_id(v: &Value, line_no: usize) -> String {
    v.get("message")
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("line-{line_no}"), str::to_owned)
}

fn content_blocks(line: &Value) -> &[Value] {
    line.get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Whether a content block is of type `ty`.
fn is_block(b: &Value, ty: &str) -> bool {
    b.get("type").and_then(Value::as_str) == Some(ty)
}

/// The JSON objects of a transcript's lines, counting lines and unreadable ones in `stats`.
fn objects(text: &str, stats: &mut TranscriptStats) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            stats.lines += 1;
            match serde_json::from_str::<Value>(line) {
                Ok(v) if v.is_object() => Some(v),
                _ => {
                    stats.bad_lines += 1;
                    None
                }
            }
        })
        .collect()
}

/// The `tool_use` blocks of an `assistant` line: id, and the call's name and input.
fn tool_uses(line: &Value) -> impl Iterator<Item = (&str, PendingUse)> {
    content_blocks(line).iter().filter_map(|b| {
        if !is_block(b, "tool_use") {
            return None;
        }
        let id = b.get("id").and_then(Value::as_str)?;
        let name = b.get("name").and_then(Value::as_str)?;
        let input = field(b, "input");
        Some((
            id,
            PendingUse {
                name: name.to_string(),
                input,
            },
        ))
    })
}

/// A `tool_result` block joined with its pending call.
struct Joined<'a, T> {
    /// The tool use id.
    id: &'a str,
    /// The `tool_result` block.
    block: &'a Value,
    /// What was pending for the id.
    used: T,
    /// The structured `tool_response`: the line's `toolUseResult` when the line holds one result,
    /// else the block's own content.
    response: Value,
}

/// The `tool_result` blocks of `user` line `v` whose call is in `pending` (taken out of it), in
/// order, counted in `stats.joined`.
fn join_results<'a, T: 'a>(
    v: &'a Value,
    pending: &'a mut HashMap<String, T>,
    stats: &'a mut TranscriptStats,
) -> impl Iterator<Item = Joined<'a, T>> + 'a {
    let results: Vec<&Value> = content_blocks(v)
        .iter()
        .filter(|b| is_block(b, "tool_result"))
        .collect();
    let single = results.len() == 1;
    results.into_iter().filter_map(move |block| {
        let id = block.get("tool_use_id").and_then(Value::as_str)?;
        let used = pending.remove(id)?;
        stats.joined += 1;
        let response = match v.get("toolUseResult") {
            Some(r) if single => r.clone(),
            _ => field(block, "content"),
        };
        Some(Joined {
            id,
            block,
            used,
            response,
        })
    })
}

/// The fields every rebuilt payload starts with: the session, the directory, the event and the
/// subagent it came from.
fn event_payload(
    kind: LiveKind,
    session: Value,
    cwd: Value,
    agent: Option<&str>,
) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("session_id".into(), session);
    payload.insert("transcript_path".into(), Value::Null);
    payload.insert("cwd".into(), cwd);
    payload.insert("hook_event_name".into(), json!(kind.event_name()));
    if let Some(a) = agent {
        payload.insert("agent_id".into(), json!(a));
    }
    payload
}

/// A call's event (`PostToolUse` or `PostToolUseFailure`) at `user` line `v`, without its
/// outcome (`tool_response`, or `error`).
fn call_payload(
    kind: LiveKind,
    v: &Value,
    agent: Option<&str>,
    id: &str,
    name: &str,
    input: Value,
) -> Map<String, Value> {
    let mut payload = event_payload(kind, field(v, "sessionId"), field(v, "cwd"), agent);
    payload.insert("permission_mode".into(), json!("default"));
    payload.insert("tool_name".into(), json!(name));
    payload.insert("tool_input".into(), input);
    payload.insert("tool_use_id".into(), json!(id));
    payload
}

/// Rebuilds the events of a transcript given as text.
pub fn events_from_str(text: &str) -> (Vec<ReplayEvent>, TranscriptStats) {
    let mut stats = TranscriptStats::default();
    let mut pending: HashMap<String, PendingUse> = HashMap::new();
    let mut out = Vec::new();
    for v in objects(text, &mut stats) {
        match v.get("type").and_then(Value::as_str) {
            Some("assistant") => {
                for (id, call) in tool_uses(&v) {
                    stats.tool_uses += 1;
                    pending.insert(id.to_string(), call);
                }
            }
            Some("user") => {
                let ts_ms = line_ts(&v);
                for j in join_results(&v, &mut pending, &mut stats) {
                    let mut payload =
                        call_payload(LiveKind::Use, &v, None, j.id, &j.used.name, j.used.input);
                    payload.insert("tool_response".into(), j.response);
                    out.push(ReplayEvent {
                        payload: Value::Object(payload),
                        ts_ms,
                    });
                }
            }
            _ => {}
        }
    }
    (out, stats)
}

/// What kind of hook event a rebuilt payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    /// `PostToolUse`.
    Use,
    /// `PostToolUseFailure`.
    Failure,
    /// `PostToolBatch`.
    Batch,
    /// `Stop`: the main thread's turn ended (an assistant message with no tool use, before the
    /// next prompt or at the end of the file).
    Stop,
    /// `SubagentStop`: a subagent reported back (its Task/Agent result, or the end of its file).
    SubagentStop,
    /// `PostCompact`: the context was compacted (a `compact_boundary` line).
    Compact,
}

impl LiveKind {
    /// The event's `hook_event_name`.
    pub fn event_name(self) -> &'static str {
        match self {
            LiveKind::Use => "PostToolUse",
            LiveKind::Failure => "PostToolUseFailure",
            LiveKind::Batch => "PostToolBatch",
            LiveKind::Stop => "Stop",
            LiveKind::SubagentStop => "SubagentStop",
            LiveKind::Compact => "PostCompact",
        }
    }
}

/// One event as the live client would have sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// The full stdin object, `timestamp_ms` included when the transcript has times.
    pub payload: Value,
    /// Its kind.
    pub kind: LiveKind,
    /// When it happened, ms since the Unix epoch (the line's `timestamp`).
    pub ts_ms: Option<u64>,
}

impl LiveEvent {
    /// The event of `kind` with `payload`, stamped `ts_ms` (which the payload then carries as
    /// `timestamp_ms`).
    fn new(mut payload: Map<String, Value>, kind: LiveKind, ts_ms: Option<u64>) -> LiveEvent {
        if let Some(t) = ts_ms {
            payload.insert("timestamp_ms".into(), json!(t));
        }
        LiveEvent {
            payload: Value::Object(payload),
            kind,
            ts_ms,
        }
    }
}

/// The text the model saw of a `tool_result` block: its string content, or its text blocks joined.
fn result_text(block: &Value) -> String {
    match block.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Whether an error result was a refusal before the call ran (no per-call event live). A Read of
/// a missing file reads `<tool_use_error>File does not exist.` in transcripts, but the live client
/// reports it as a failure of a call that ran (PostToolUseFailure).
fn is_refusal(text: &str) -> bool {
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix("<tool_use_error>") {
        return !rest.trim_start().starts_with("File does not exist");
    }
    t.starts_with("The user doesn't want to proceed with this tool use")
}

#[derive(Default)]
struct Turn {
    pending: usize,
    calls: Vec<Value>,
    session: Value,
    cwd: Value,
    agent: Option<String>,
    ts: Option<u64>,
}

/// Rebuilds the events the live client would have sent for a transcript given as text.
pub fn live_events_from_str(text: &str) -> (Vec<LiveEvent>, TranscriptStats) {
    let mut stats = TranscriptStats::default();
    let lines = objects(text, &mut stats);
    let mut b = LiveBuilder {
        stats,
        ..LiveBuilder::default()
    };
    for (line_no, v) in lines.iter().enumerate() {
        if b.stats.launch_dir.is_none() {
            b.stats.launch_dir = v
                .get("cwd")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
        }
        // A subagent's lines carry `agentId` in a transcript, and the id of the Task call that
        // started it (`parent_tool_use_id`) in a `--output-format stream-json` stream.
        let agent = ["agentId", "parent_tool_use_id"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .filter(|a| !a.is_empty());
        match v.get("type").and_then(Value::as_str) {
            Some("assistant") => {
                let msg_id = message_id(v, line_no);
                b.note_message(v, &msg_id, agent);
                b.assistant(v, msg_id, agent);
            }
            Some("user") => {
                if is_prompt(v) {
                    b.end_turn();
                }
                b.user(v, agent);
            }
            Some("system")
                if v.get("subtype").and_then(Value::as_str) == Some("compact_boundary") =>
            {
                // A turn that ended in text ended before the compaction.
                b.end_turn();
                b.out.push(mark_event(v, LiveKind::Compact, None));
            }
            _ => {}
        }
    }
    // Turns whose calls did not all get a result (a session cut off) still end.
    for id in std::mem::take(&mut b.order) {
        if let Some(turn) = b.turns.remove(&id) {
            if !turn.calls.is_empty() {
                b.out.push(batch_event(turn));
            }
        }
    }
    // The end of the file ends the main thread's last turn, and, in a subagent's own file, its
    // whole stream.
    b.end_turn();
    if let Some((agent, last)) = b.last_agent_line.take().filter(|_| !b.main_lines) {
        b.out
            .push(mark_event(&last, LiveKind::SubagentStop, Some(&agent)));
    }
    (b.out, b.stats)
}

/// Whether a `user` line is a prompt that starts a new turn: not a tool result, not a line the
/// client wrote for itself (meta lines, a compaction's summary), not an interruption (the turn
/// was cut off, and no Stop fires for it).
fn is_prompt(v: &Value) -> bool {
    let flag = |k: &str| v.get(k).and_then(Value::as_bool) == Some(true);
    if flag("isMeta") || flag("isCompactSummary") || flag("isVisibleInTranscriptOnly") {
        return false;
    }
    let text = match v.get("message").and_then(|m| m.get("content")) {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(blocks)) => {
            if blocks.iter().any(|b| is_block(b, "tool_result")) {
                return false;
            }
            blocks
                .iter()
                .find_map(|b| b.get("text").and_then(Value::as_str))
                .unwrap_or("")
        }
        _ => return false,
    };
    !text.trim_start().starts_with("[Request interrupted")
}

/// A `Stop`, `SubagentStop` or `PostCompact` event at line `v` (its session, cwd and time).
fn mark_event(v: &Value, kind: LiveKind, agent: Option<&str>) -> LiveEvent {
    let mut payload = event_payload(kind, field(v, "sessionId"), field(v, "cwd"), agent);
    if kind != LiveKind::Compact {
        payload.insert("stop_hook_active".into(), json!(false));
    }
    LiveEvent::new(payload, kind, line_ts(v))
}

/// The state of [`live_events_from_str`] between lines.
#[derive(Default)]
struct LiveBuilder {
    stats: TranscriptStats,
    /// Tool use id -> the call and its message id.
    pending: HashMap<String, (PendingUse, String)>,
    /// Message id -> its turn, while it is open.
    turns: HashMap<String, Turn>,
    /// Open turns, oldest first.
    order: Vec<String>,
    out: Vec<LiveEvent>,
    /// The main thread's latest assistant message: its id, whether it used a tool, its last line.
    message: Option<(String, bool, Value)>,
    /// A subagent's latest line.
    last_agent_line: Option<(String, Value)>,
    /// Whether the file has main-thread lines (then it is not a subagent's own file).
    main_lines: bool,
}

impl LiveBuilder {
    /// Follows the main thread's assistant messages (which end the turn when they use no tool)
    /// and a subagent file's latest line (where its stream ends). `id`: the line's message id.
    fn note_message(&mut self, v: &Value, id: &str, agent: Option<&str>) {
        if let Some(a) = agent {
            self.last_agent_line = Some((a.to_string(), v.clone()));
            return;
        }
        self.main_lines = true;
        let uses_tool = tool_uses(v).next().is_some();
        match &mut self.message {
            Some((open, used, last)) if open == id => {
                *used |= uses_tool;
                *last = v.clone();
            }
            _ => self.message = Some((id.to_owned(), uses_tool, v.clone())),
        }
    }

    /// A prompt or the end of the file: a main-thread turn whose last message used no tool ended
    /// there, with a `Stop`.
    fn end_turn(&mut self) {
        if let Some((_, false, last)) = self.message.take() {
            self.out.push(mark_event(&last, LiveKind::Stop, None));
        }
    }

    /// An `assistant` line of message `msg_id`: its tool uses join the message's turn.
    fn assistant(&mut self, v: &Value, msg_id: String, agent: Option<&str>) {
        // A new assistant message starts a new turn: the finished ones end here. (A result can be
        // written before the next tool_use line of the same message, so a turn is not over when
        // its calls seen so far have all returned.)
        if !self.turns.contains_key(&msg_id) {
            flush_finished(&mut self.turns, &mut self.order, &mut self.out);
        }
        for (id, call) in tool_uses(v) {
            self.stats.tool_uses += 1;
            let order = &mut self.order;
            let turn = self.turns.entry(msg_id.clone()).or_insert_with(|| {
                order.push(msg_id.clone());
                Turn {
                    agent: agent.map(str::to_owned),
                    ..Turn::default()
                }
            });
            turn.pending += 1;
            self.pending.insert(id.to_string(), (call, msg_id.clone()));
        }
    }

    /// A `user` line: each tool result becomes the call's own event (or none, for a refusal) and
    /// an entry of its turn's batch.
    fn user(&mut self, v: &Value, agent: Option<&str>) {
        let ts = line_ts(v);
        if let Some(a) = agent {
            self.last_agent_line = Some((a.to_string(), v.clone()));
        }
        for j in join_results(v, &mut self.pending, &mut self.stats) {
            let (used, msg_id) = j.used;
            let seen = result_text(j.block);
            let is_error = j.block.get("is_error").and_then(Value::as_bool) == Some(true);
            // A subagent's result: it stopped just before its tool returned.
            if matches!(used.name.as_str(), "Task" | "Agent") {
                if let Some(a) = j.response.get("agentId").and_then(Value::as_str) {
                    self.out
                        .push(mark_event(v, LiveKind::SubagentStop, Some(a)));
                }
            }
            if let Some(kind) = call_kind(is_error, &seen) {
                let mut payload =
                    call_payload(kind, v, agent, j.id, &used.name, used.input.clone());
                if kind == LiveKind::Use {
                    payload.insert("tool_response".into(), j.response);
                } else {
                    payload.insert("error".into(), json!(seen));
                    payload.insert(
                        "is_interrupt".into(),
                        json!(seen.contains("[Request interrupted by user")),
                    );
                }
                self.out.push(LiveEvent::new(payload, kind, ts));
            }
            if let Some(turn) = self.turns.get_mut(&msg_id) {
                turn.pending = turn.pending.saturating_sub(1);
                turn.calls.push(json!({
                    "tool_name": used.name,
                    "tool_input": used.input,
                    "tool_use_id": j.id,
                    "tool_response": seen,
                }));
                turn.session = field(v, "sessionId");
                turn.cwd = field(v, "cwd");
                turn.ts = ts.or(turn.ts);
            }
        }
    }
}

/// The kind of a call's own event, as the live client sends it: PostToolUse with the structured
/// response, PostToolUseFailure with the error text the model saw (`seen`), or none for a refusal.
fn call_kind(is_error: bool, seen: &str) -> Option<LiveKind> {
    if !is_error {
        Some(LiveKind::Use)
    } else if is_refusal(seen) {
        None
    } else {
        Some(LiveKind::Failure)
    }
}

/// Emits the batch of every turn whose calls have all returned, oldest first.
fn flush_finished(
    turns: &mut HashMap<String, Turn>,
    order: &mut Vec<String>,
    out: &mut Vec<LiveEvent>,
) {
    order.retain(|id| {
        if turns.get(id).is_some_and(|t| t.pending == 0) {
            if let Some(turn) = turns.remove(id) {
                out.push(batch_event(turn));
            }
            false
        } else {
            true
        }
    });
}

fn batch_event(turn: Turn) -> LiveEvent {
    let mut payload = event_payload(
        LiveKind::Batch,
        turn.session,
        turn.cwd,
        turn.agent.as_deref(),
    );
    payload.insert("tool_calls".into(), Value::Array(turn.calls));
    LiveEvent::new(payload, LiveKind::Batch, turn.ts)
}

/// How much of a transcript's end [`tool_output`] reads.
const OUTPUT_TAIL_BYTES: u64 = 4 * 1024 * 1024;

/// What the model saw of one call, found by the hash of its `tool_use_id`
/// ([`posthook_analyzers::fnv1a64`]) in the last few MiB of a transcript: how the hook, which
/// never stores outputs, quotes a check's error line at the end of a turn. `None` when the path
/// is not a `.jsonl` file or the result is not there (yet).
pub(crate) fn tool_output(path: &Path, id: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    if path.extension().is_none_or(|x| x != "jsonl") {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok().filter(std::fs::Metadata::is_file)?.len();
    let from = len.saturating_sub(OUTPUT_TAIL_BYTES);
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut bytes = Vec::new();
    f.take(OUTPUT_TAIL_BYTES).read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    // The first line may be cut: it does not parse, and is skipped like any bad line.
    text.lines().rev().find_map(|line| {
        if !line.contains("tool_result") {
            return None;
        }
        let v: Value = serde_json::from_str(line).ok()?;
        content_blocks(&v).iter().find_map(|b| {
            let tid = b.get("tool_use_id").and_then(Value::as_str)?;
            (posthook_analyzers::fnv1a64(tid.as_bytes()) == id).then(|| result_text(b))
        })
    })
}

/// Rebuilds the live events of a transcript file ([`live_events_from_str`]).
pub fn live_events_from_file(path: &Path) -> std::io::Result<(Vec<LiveEvent>, TranscriptStats)> {
    let text = std::fs::read(path)?;
    Ok(live_events_from_str(&String::from_utf8_lossy(&text)))
}

/// Rebuilds the events of a transcript file.
pub fn events_from_file(path: &Path) -> std::io::Result<(Vec<ReplayEvent>, TranscriptStats)> {
    let text = std::fs::read(path)?;
    Ok(events_from_str(&String::from_utf8_lossy(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_output_is_found_by_its_id_hash() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path().join("s.jsonl");
        let lines = [
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"cargo test"}}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"Exit code 101\nerror[E0308]: mismatched types","is_error":true}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"ok"}]}]}}"#,
        ];
        std::fs::write(&p, lines.join("\n")).expect("write");
        let h = |s: &str| posthook_analyzers::fnv1a64(s.as_bytes());
        assert_eq!(
            tool_output(&p, h("t1")).as_deref(),
            Some("Exit code 101\nerror[E0308]: mismatched types")
        );
        assert_eq!(tool_output(&p, h("t2")).as_deref(), Some("ok"));
        assert_eq!(tool_output(&p, h("t3")), None);
        let other = t.path().join("s.txt");
        std::fs::write(&other, lines.join("\n")).expect("write");
        assert_eq!(
            tool_output(&other, h("t1")),
            None,
            "only transcripts are read"
        );
    }

    #[test]
    fn turns_end_where_the_model_stops() {
        let lines = [
            r#"{"type":"user","sessionId":"s","message":{"content":"fix it"}}"#,
            r#"{"type":"assistant","sessionId":"s","message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Task","input":{"description":"d"}}]}}"#,
            r#"{"type":"user","sessionId":"s","timestamp":"2026-02-10T21:12:02.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]},"toolUseResult":{"status":"completed","agentId":"a1"}}"#,
            r#"{"type":"assistant","sessionId":"s","message":{"id":"m2","content":[{"type":"text","text":"Done."}]}}"#,
            r#"{"type":"system","subtype":"compact_boundary","sessionId":"s"}"#,
            r#"{"type":"user","sessionId":"s","isCompactSummary":true,"message":{"content":"This session is being continued"}}"#,
            r#"{"type":"user","sessionId":"s","message":{"content":"next"}}"#,
            r#"{"type":"assistant","sessionId":"s","message":{"id":"m3","content":[{"type":"text","text":"Working"}]}}"#,
            r#"{"type":"user","sessionId":"s","message":{"content":[{"type":"text","text":"[Request interrupted by user]"}]}}"#,
            r#"{"type":"assistant","sessionId":"s","message":{"id":"m4","content":[{"type":"text","text":"Fine."}]}}"#,
        ];
        let (ev, _) = live_events_from_str(&lines.join("\n"));
        let kinds: Vec<LiveKind> = ev.iter().map(|e| e.kind).collect();
        use LiveKind::*;
        assert_eq!(
            kinds,
            vec![SubagentStop, Use, Batch, Stop, Compact, Stop],
            "the subagent stops before its result; the text turn ends before the compaction; \
             an interrupted turn fires no Stop; the end of the file ends the last one"
        );
        assert_eq!(ev[0].payload["agent_id"], "a1");
        assert_eq!(ev[3].payload["stop_hook_active"], false);
        // A subagent's own file ends its stream.
        let sub = r#"{"type":"assistant","sessionId":"s","agentId":"a2","message":{"id":"m1","content":[{"type":"text","text":"found it"}]}}"#;
        let (ev, _) = live_events_from_str(sub);
        assert_eq!(ev.len(), 1);
        assert_eq!(
            (ev[0].kind, &ev[0].payload["agent_id"]),
            (SubagentStop, &json!("a2"))
        );
        for e in &ev {
            let bytes = serde_json::to_vec(&e.payload).expect("json");
            let parsed = crate::input::parse(&bytes, 0, None).expect("parses");
            assert!(parsed.is_recorded() && parsed.stop.is_some());
        }
    }

    #[test]
    fn joins_use_and_result() {
        let t = r#"{"type":"assistant","sessionId":"s","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]}}
not json
{"type":"system"}
{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t2","name":"Read","input":{}}]}}
{"type":"user","sessionId":"s","cwd":"/p","timestamp":"2026-02-10T21:12:02.480Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"x"}]},"toolUseResult":{"stdout":"a","stderr":""}}"#;
        let (ev, st) = events_from_str(t);
        assert_eq!(st.tool_uses, 2);
        assert_eq!(st.joined, 1);
        assert_eq!(st.bad_lines, 1);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].payload["tool_name"], "Bash");
        assert_eq!(ev[0].payload["tool_response"]["stdout"], "a");
        assert_eq!(ev[0].payload["cwd"], "/p");
        assert_eq!(ev[0].ts_ms, Some(1_770_757_922_480));
    }

    #[test]
    fn live_events_are_what_the_client_sends() {
        let t = r#"{"type":"assistant","sessionId":"s","message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]}}
{"type":"assistant","sessionId":"s","message":{"id":"m1","content":[{"type":"tool_use","id":"t2","name":"Edit","input":{"file_path":"/p/a"}}]}}
{"type":"assistant","sessionId":"s","message":{"id":"m1","content":[{"type":"tool_use","id":"t3","name":"Read","input":{"file_path":"/p/b"}}]}}
{"type":"user","sessionId":"s","timestamp":"2026-02-10T21:12:02.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"Exit code 2\nls: nope","is_error":true}]},"toolUseResult":"Error: Exit code 2\nls: nope"}
{"type":"user","sessionId":"s","timestamp":"2026-02-10T21:12:03.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t2","content":"<tool_use_error>String to replace not found</tool_use_error>","is_error":true}]}}
{"type":"user","sessionId":"s","timestamp":"2026-02-10T21:12:04.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t3","content":"x"}]},"toolUseResult":{"type":"text"}}
{"type":"assistant","sessionId":"s","agentId":"a7","message":{"id":"m2","content":[{"type":"tool_use","id":"t4","name":"Read","input":{"file_path":"/p/c"}}]}}
{"type":"user","sessionId":"s","agentId":"a7","timestamp":"2026-02-10T21:12:09.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t4","content":"<tool_use_error>File does not exist.</tool_use_error>","is_error":true}]}}"#;
        let (ev, st) = live_events_from_str(t);
        assert_eq!(st.tool_uses, 4);
        let kinds: Vec<LiveKind> = ev.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                LiveKind::Failure,
                LiveKind::Use,
                LiveKind::Batch,
                LiveKind::Failure,
                LiveKind::Batch
            ]
        );
        assert_eq!(ev[0].payload["error"], "Exit code 2\nls: nope");
        assert_eq!(ev[0].payload.get("tool_response"), None);
        assert_eq!(ev[0].payload["timestamp_ms"], 1_770_757_922_000_u64);
        let calls = ev[2].payload["tool_calls"].as_array().expect("calls");
        assert_eq!(calls.len(), 3, "the refused call is only in the batch");
        assert_eq!(calls[1]["tool_use_id"], "t2");
        assert_eq!(ev[3].payload["agent_id"], "a7");
        assert_eq!(ev[4].payload["agent_id"], "a7");
        for e in &ev {
            let bytes = serde_json::to_vec(&e.payload).expect("json");
            let parsed = crate::input::parse(&bytes, 0, None).expect("parses");
            assert!(parsed.is_recorded(), "{:?}", e.kind);
        }
    }
}
