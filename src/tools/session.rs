//! `posthook session show | list`: what is stored for a session, and which sessions are stored.

use crate::config::{HookFlags, Resolved, StateDirFlag};
use crate::error::Outcome;
use crate::store::{Store, StoreError, StoredSession};
use posthook_analyzers::visible_controls as shown;
use posthook_analyzers::History;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `posthook session ...`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SessionCommand {
    /// Print what is stored for a session.
    #[command(after_help = "Example:\n  posthook session show 5f1c2d-4e0a --json")]
    Show {
        /// The session id (as in the hook payload's session_id).
        id: String,
        /// Print JSON (with `events_total`) instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        state: StateDirFlag,
    },
    /// List stored sessions.
    #[command(
        after_help = "Example:\n  posthook session list    # one line per session: id, events"
    )]
    List {
        #[command(flatten)]
        state: StateDirFlag,
    },
}

impl SessionCommand {
    /// The hook-mode flag session acts on: the state dir.
    pub(crate) fn flags(&self) -> HookFlags {
        match self {
            SessionCommand::Show { state, .. } | SessionCommand::List { state } => {
                HookFlags::from(state.clone())
            }
        }
    }
}

/// Why a stored session could not be shown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// No state dir is configured (no HOME, no POSTHOOK_STATE_DIR).
    #[error("no state dir: set POSTHOOK_STATE_DIR or HOME")]
    NoStateDir,
    /// No session with this id is stored.
    #[error("no stored session '{id}' in {}", dir.display())]
    NotFound {
        /// The id asked for.
        id: String,
        /// The state dir searched.
        dir: PathBuf,
    },
    /// The session's state file could not be read.
    #[error(transparent)]
    Unreadable(StoreError),
}

/// Runs `posthook session show` or `list` in the state dir of `resolved`.
pub(crate) fn run(cmd: &SessionCommand, resolved: &Resolved) -> Result<Outcome, SessionError> {
    let store = Store::new(state_dir(resolved)?);
    match cmd {
        SessionCommand::Show { id, json, .. } => {
            let s = load(&store, id)?;
            Ok(Outcome::text(if *json {
                to_json(&s) + "\n"
            } else {
                to_text(&s)
            }))
        }
        SessionCommand::List { .. } => Ok(Outcome::text(list_text(&store))),
    }
}

/// The configured state dir, or [`SessionError::NoStateDir`].
pub(crate) fn state_dir(resolved: &Resolved) -> Result<PathBuf, SessionError> {
    resolved
        .config
        .state_dir
        .clone()
        .ok_or(SessionError::NoStateDir)
}

/// One line per stored session that can be read: its id and its number of events.
pub(crate) fn list_text(store: &Store) -> String {
    let mut text = String::new();
    for p in store.list() {
        if let Ok(Some(s)) = store.load_file(p) {
            text.push_str(&format!(
                "{}\t{}\n",
                posthook_analyzers::visible_controls(&s.session_id),
                s.history.events_total
            ));
        }
    }
    text
}

/// The session's streams of work as JSON: the main thread (`agent: null`) and each subagent, with
/// its calls, closed turns and recent facts.
fn streams_json(h: &History) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut push = |agent: &str,
                    recent: &std::collections::VecDeque<posthook_analyzers::Fact>,
                    c: &posthook_analyzers::StreamCounters| {
        out.push(serde_json::json!({
            "agent": if agent.is_empty() { serde_json::Value::Null } else { serde_json::json!(agent) },
            "calls": c.calls,
            "turns": c.turns,
            "turns_from_batches": c.batched,
            "recent": recent,
        }));
    };
    push(h.agent.as_deref().unwrap_or(""), &h.recent, &h.stream);
    for (agent, st) in &h.streams {
        push(agent, &st.recent, &st.counters);
    }
    out.sort_by_key(|v| v["agent"].as_str().map(str::to_owned));
    out
}

/// Renders a stored session as JSON: `events_total` (tool calls recorded) and `event_kinds` (what
/// was recorded, by event) at the top level, then the streams and the session-wide state.
pub(crate) fn to_json(s: &StoredSession) -> String {
    let h = &s.history;
    let v = serde_json::json!({
        "session_id": s.session_id,
        "path": s.path.display().to_string(),
        "events_total": h.events_total,
        "event_kinds": {
            "PostToolUse": h.events.post_tool_use,
            "PostToolUseFailure": h.events.post_tool_use_failure,
            "PostToolBatch": h.events.post_tool_batch,
            "refused": h.events.rejected,
            "Stop": h.events.stop,
            "SubagentStop": h.events.subagent_stop,
            "SubagentStart": h.events.subagent_start,
            "PostCompact": h.events.post_compact,
        },
        "first_ts": h.first_ts,
        "last_ts": h.last_ts,
        "counters": h.counters,
        "streams": streams_json(h),
        "failures": h.failures,
        "recent": h.recent,
        "guidance": h.guidance,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Renders a stored session for people.
pub(crate) fn to_text(s: &StoredSession) -> String {
    let h = &s.history;
    let mut out = String::new();
    let _ = writeln!(out, "session       {}", shown(&s.session_id));
    let _ = writeln!(out, "state file    {}", s.path.display());
    let _ = writeln!(
        out,
        "events total  {} calls ({} PostToolUse, {} PostToolUseFailure; {} PostToolBatch, {} refused calls)",
        h.events_total,
        h.events.post_tool_use,
        h.events.post_tool_use_failure,
        h.events.post_tool_batch,
        h.events.rejected
    );
    let streams: Vec<String> = h
        .stream_summary()
        .into_iter()
        .map(|(agent, calls, turns)| {
            let who = if agent.is_empty() {
                String::from("main")
            } else {
                format!("agent {agent}")
            };
            format!("{who}: {calls} calls, {turns} turns")
        })
        .collect();
    let _ = writeln!(out, "streams       {}", streams.join("; "));
    let secs = h.last_ts.saturating_sub(h.first_ts) / 1000;
    let _ = writeln!(out, "span          {}m {}s", secs / 60, secs % 60);
    let _ = writeln!(out, "failures      {}", h.counters.failures);
    let _ = writeln!(
        out,
        "hive tools    {}",
        if h.counters.hive_seen {
            "used"
        } else {
            "not used"
        }
    );
    let tools: Vec<String> = h
        .counters
        .per_tool
        .iter()
        .map(|(t, n)| format!("{} {n}", shown(t)))
        .collect();
    let _ = writeln!(out, "per tool      {}", tools.join(", "));
    let _ = writeln!(
        out,
        "recent ({} kept, {}):",
        h.recent.len(),
        h.agent
            .as_deref()
            .map_or_else(|| String::from("main thread"), |a| format!("agent {a}"))
    );
    for f in h.recent.iter().rev().take(10) {
        let detail = f.cmd.as_deref().or(f.path.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "  {:<12} {:<9} {:<4} {}",
            shown(&f.tool),
            f.cat.as_str(),
            if f.ok { "ok" } else { "FAIL" },
            shown(detail)
        );
    }
    out
}

/// Loads a session for `show`; a readable error when there is none.
pub(crate) fn load(store: &Store, id: &str) -> Result<StoredSession, SessionError> {
    match store.load(id) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(SessionError::NotFound {
            id: id.to_string(),
            dir: store.dir().to_path_buf(),
        }),
        Err(e) => Err(SessionError::Unreadable(e)),
    }
}
