//! The replay itself: the transcripts' live events, interleaved by time, run one by one through
//! the hook's pipeline against an in-memory history per session.

use crate::hook::StopFacts;
use crate::input;
use crate::output::{self, OutputMode};
use crate::runtime::{Report, Runtime, StopEnv};
use crate::transcript::{self, LiveEvent, LiveKind, TranscriptStats};
use posthook_analyzers::{fnv1a64, truncate_chars, History, Settings, ToolCall};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A transcript that was replayed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileSummary {
    /// Its path.
    pub path: PathBuf,
    /// Lines read.
    pub lines: usize,
    /// Lines that were not JSON objects (skipped).
    pub bad_lines: usize,
    /// `tool_use` blocks seen.
    pub tool_uses: usize,
    /// Events rebuilt (per-call events and batches).
    pub events: usize,
    /// Tool uses with a result.
    pub joined: usize,
    /// The directory the session was launched in (its first `cwd`), the replay's project root.
    pub launch_dir: Option<String>,
}

/// One replayed event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Step {
    /// 1-based position in the replay.
    pub n: usize,
    /// Index into [`Replay::files`].
    pub file: usize,
    /// The session the event belongs to.
    pub session_id: String,
    /// The hook event: `PostToolUse`, `PostToolUseFailure` or `PostToolBatch`.
    pub event: &'static str,
    /// The subagent, for calls made inside one.
    pub agent_id: Option<String>,
    /// Time stamp used, ms since the epoch.
    pub ts_ms: u64,
    /// The tool.
    pub tool: String,
    /// The tool use id from the transcript.
    pub tool_use_id: Option<String>,
    /// Whether the tool call failed.
    pub failed: bool,
    /// The command, path or description, cut short.
    pub detail: String,
    /// What the pipeline made of it; `None` when the payload could not be parsed (`error`).
    pub report: Option<Report>,
    /// Why the payload could not be parsed.
    pub error: Option<String>,
    /// Exit code the hook would have used.
    pub exit_code: u8,
    /// The session's history right after this step (kept only for the last steps; see
    /// [`replay`]'s `keep_last`).
    pub history: Option<History>,
    /// The session's history right before this step (kept like `history`).
    pub history_before: Option<History>,
}

/// The result of a replay.
pub(crate) struct Replay {
    /// The transcripts, in the order given.
    pub files: Vec<FileSummary>,
    /// Every event, in the order the hook would have seen them.
    pub steps: Vec<Step>,
    /// The settings used.
    pub settings: Settings,
    /// The output mode used for exit codes.
    pub output: OutputMode,
}

/// The `.jsonl` files at `path`: the file itself, or every one under a directory (sorted).
pub(crate) fn transcript_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        // Read it to surface "not found" with the path.
        std::fs::metadata(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir)?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) fn detail(call: &ToolCall) -> String {
    let d = call
        .command()
        .or_else(|| call.path())
        .or_else(|| call.str_field("description"))
        .or_else(|| call.str_field("pattern"))
        .or_else(|| call.str_field("url"))
        .or_else(|| call.str_field("query"))
        .unwrap_or("");
    let line = d.lines().next().unwrap_or("");
    truncate_chars(line.trim(), 60).into_owned()
}

/// Replays `files` with `settings`. The history after each of the last `keep_last` steps is kept
/// in [`Step::history`] (for `explain`). `budget` is the analyzers' time budget per call: pass
/// [`super::REPLAY_BUDGET`] so results do not depend on how loaded the machine is.
pub(crate) fn replay(
    files: &[PathBuf],
    settings: Settings,
    output_mode: OutputMode,
    budget: Duration,
    keep_last: usize,
    project_dir: Option<&str>,
) -> std::io::Result<Replay> {
    let (summaries, events) = read_all(files)?;
    // Live, `CLAUDE_PROJECT_DIR` is the directory the session was launched in, whatever the agent
    // `cd`s into later: each file's launch directory, unless the caller names the project.
    let roots: Vec<Option<String>> = summaries
        .iter()
        .map(|f| {
            project_dir
                .map(str::to_owned)
                .or_else(|| f.launch_dir.clone())
        })
        .collect();
    let runtime = Runtime::builder()
        .settings(settings.clone())
        .budget(budget)
        .build();
    let mut histories: HashMap<String, History> = HashMap::new();
    let mut outputs = Outputs::default();
    let mut last_ts = 0;
    let total = events.len();
    let mut steps = Vec::with_capacity(total);
    for (i, (fi, ev)) in events.into_iter().enumerate() {
        // Monotonic, as a live hook's clock is.
        let ts = ev.ts_ms.unwrap_or(last_ts).max(last_ts);
        last_ts = ts;
        let mut step = new_step(i + 1, fi, &ev, ts);
        let keep = i + keep_last >= total;
        outputs.note(&ev);
        let root = roots.get(fi).cloned().flatten();
        let state = State {
            runtime: &runtime,
            histories: &mut histories,
            outputs: &outputs,
            output_mode,
            project_dir: root.as_deref(),
        };
        run_step(&mut step, &ev, state, keep);
        steps.push(step);
    }
    Ok(Replay {
        files: summaries,
        steps,
        settings,
        output: output_mode,
    })
}

/// Step `n` for event `ev` of file `file`, as far as the payload tells before it is analyzed.
fn new_step(n: usize, file: usize, ev: &LiveEvent, ts: u64) -> Step {
    let text = |k: &str| ev.payload.get(k).and_then(Value::as_str).map(str::to_owned);
    Step {
        n,
        file,
        event: ev.kind.event_name(),
        agent_id: text("agent_id"),
        ts_ms: ts,
        tool: text("tool_name").unwrap_or_default(),
        tool_use_id: text("tool_use_id"),
        ..Step::default()
    }
}

/// The home directory a recorded session's `cwd` lies in (`/home/NAME`, `/Users/NAME`, `/root`):
/// what `~` stood for on the machine that recorded it, which is not the replaying one.
fn home_of(cwd: &str) -> Option<String> {
    if cwd == "/root" || cwd.starts_with("/root/") {
        return Some(String::from("/root"));
    }
    ["/home/", "/Users/"].iter().find_map(|prefix| {
        let rest = cwd.strip_prefix(prefix)?;
        let name = rest.split('/').next().filter(|n| !n.is_empty())?;
        Some(format!("{prefix}{name}"))
    })
}

/// The failed calls' error texts, by the hash of their tool use id: what the live hook finds in
/// the transcript at a stop (the history never keeps them), kept in memory for the replay.
#[derive(Default)]
struct Outputs(HashMap<u64, String>);

impl Outputs {
    fn note(&mut self, ev: &LiveEvent) {
        if ev.kind != LiveKind::Failure {
            return;
        }
        let text = |k: &str| ev.payload.get(k).and_then(Value::as_str);
        if let (Some(id), Some(error)) = (text("tool_use_id"), text("error")) {
            self.0.insert(fnv1a64(id.as_bytes()), error.to_string());
        }
    }
}

/// What each step runs against, and the project directory the hook would have been given.
struct State<'a> {
    runtime: &'a Runtime,
    histories: &'a mut HashMap<String, History>,
    outputs: &'a Outputs,
    output_mode: OutputMode,
    project_dir: Option<&'a str>,
}

/// Parses `ev` as the hook would and runs it against its session's history in `histories`,
/// filling in `step`; `keep`: keep the history before and after it. A stop is judged with the
/// project's checks where the recorded project is on this machine, and with the failed calls'
/// outputs the live hook would have read in the transcript.
fn run_step(step: &mut Step, ev: &LiveEvent, st: State<'_>, keep: bool) {
    let State {
        runtime,
        histories,
        outputs,
        output_mode,
        project_dir,
    } = st;
    let bytes = serde_json::to_vec(&ev.payload).unwrap_or_default();
    let cwd = ev.payload.get("cwd").and_then(Value::as_str);
    match input::parse_owned(bytes, step.ts_ms, project_dir) {
        Ok(mut hook_input) => {
            hook_input.set_home(cwd.and_then(home_of).as_deref());
            let history = histories.entry(hook_input.session_id.clone()).or_default();
            if keep {
                step.history_before = Some(history.clone());
            }
            let facts = StopFacts::find(None, &hook_input);
            let recall = |id: u64| outputs.0.get(&id).cloned();
            let report = facts.with_env(|env| {
                let env = StopEnv {
                    recall: &recall,
                    ..*env
                };
                runtime.process_event_with(&hook_input, history, &env)
            });
            if let Some(report) = report {
                step.exit_code =
                    output::render(report.feedback.as_ref(), output_mode, &hook_input.event).code;
                step.report = Some(report);
            }
            if let Some(call) = &hook_input.call {
                step.failed = call.failed;
                step.detail = detail(call);
            } else if let Some(b) = &hook_input.batch {
                step.detail = format!("turn of {}", plural(b.ids.len(), "call"));
            } else if let Some(s) = &hook_input.stop {
                step.detail = match (&hook_input.agent_id, s.subagent) {
                    (Some(a), true) => format!("subagent {} reports back", truncate_chars(a, 40)),
                    _ => String::from("end of turn"),
                };
            } else if hook_input.is_compaction() {
                step.detail = String::from("context compacted");
            }
            if keep {
                step.history = Some(history.clone());
            }
            step.session_id = hook_input.session_id;
        }
        Err(e) => step.error = Some(e.to_string()),
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A live event and the index of the file it came from.
type FileEvent = (usize, LiveEvent);

/// The live events of every file, interleaved by time when there are several (a session and its
/// subagents, as the hook saw them; the sort is stable, so a turn's batch stays after its calls).
fn read_all(files: &[PathBuf]) -> std::io::Result<(Vec<FileSummary>, Vec<FileEvent>)> {
    let mut summaries = Vec::new();
    let mut events = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let (evs, stats): (_, TranscriptStats) = transcript::live_events_from_file(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        summaries.push(FileSummary {
            path: path.clone(),
            lines: stats.lines,
            bad_lines: stats.bad_lines,
            tool_uses: stats.tool_uses,
            events: evs.len(),
            joined: stats.joined,
            launch_dir: stats.launch_dir,
        });
        events.extend(evs.into_iter().map(|e| (fi, e)));
    }
    if files.len() > 1 {
        events.sort_by_key(|(_, e)| e.ts_ms.unwrap_or(0));
    }
    // A subagent stops once: its Task result in the main transcript and the end of its own file
    // are the same stop.
    let mut stopped = std::collections::HashSet::new();
    events.retain(|(_, e)| {
        e.kind != LiveKind::SubagentStop
            || stopped.insert(
                e.payload
                    .get("agent_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
    });
    Ok((summaries, events))
}

#[cfg(test)]
mod tests {
    use super::home_of;

    #[test]
    fn the_recorded_home_comes_from_the_recorded_cwd() {
        assert_eq!(home_of("/home/ann/proj").as_deref(), Some("/home/ann"));
        assert_eq!(home_of("/Users/bob").as_deref(), Some("/Users/bob"));
        assert_eq!(home_of("/root/x").as_deref(), Some("/root"));
        assert_eq!(home_of("/home/").as_deref(), None);
        assert_eq!(home_of("/srv/app"), None);
        assert_eq!(home_of("/rooted"), None);
    }
}
