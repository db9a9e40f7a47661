//! `posthook explain`: why each rule fired or stayed silent on the last events of a session.
//!
//! Two sources. A transcript (`--transcript FILE`) is replayed in memory ([`crate::tools::replay`]) and the
//! last N events are explained one by one: per rule, whether its analyzer ran, whether the profile
//! or the config switched it off, what it found, and what the guidance provider did with it
//! (shown, held back by a cooldown, outranked), with the session's counters, the thresholds and the
//! escalation level at that point. A stored session (`SESSION_ID`) keeps only compact facts, never
//! the calls themselves, so it is explained from its counters and the guidance provider's memory:
//! which rules fired and were shown, what cooldown is running, the escalation level.
//!
//! `steps` explains replayed events, `stored` a stored session; this module holds the arguments,
//! the errors, the command and what both say alike (profiles, verdicts, thresholds, guidance).

mod steps;
mod stored;

pub(crate) use steps::{from_transcript, steps_text};
pub(crate) use stored::{stored_json, stored_text};

use crate::config::{fmt_num, known_thresholds, Resolved};
use crate::error::Outcome;
use crate::store::Store;
use crate::tools::replay;
use crate::tools::session::{self, SessionError};
use posthook_analyzers::builtin;
use posthook_analyzers::guidance::{cooldown, MUTE_AFTER};
use posthook_analyzers::{History, Profile, Settings, Severity};
use serde_json::{json, Value};
use std::path::PathBuf;

/// `posthook explain` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook explain --transcript ~/.claude/projects/-home-me-proj/5f1c2d4e-0a.jsonl --last 5
  posthook explain 5f1c2d4e-0a            # a stored session: counters, cooldowns, escalation
  posthook --profile hive explain --transcript session.jsonl --json")]
pub(crate) struct ExplainArgs {
    /// A stored session id (as in the hook payload's session_id).
    #[arg(required_unless_present = "transcript", conflicts_with = "transcript")]
    pub session_id: Option<String>,
    /// Replay this transcript and explain its last events instead.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// How many of the last events to explain.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub last: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub out: crate::config::OutputFlag,
    #[command(flatten)]
    pub rules: crate::config::RuleFlags,
    #[command(flatten)]
    pub state: crate::config::StateDirFlag,
}

impl ExplainArgs {
    /// The hook-mode flags explain acts on: the output mode, the rules, the state dir.
    pub(crate) fn flags(&self) -> crate::config::HookFlags {
        crate::config::HookFlags {
            out: self.out.clone(),
            rules: self.rules.clone(),
            state: self.state.clone(),
            ..crate::config::HookFlags::default()
        }
    }
}

/// Why there is nothing to explain.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExplainError {
    /// The transcript could not be read.
    #[error("reading transcript: {0}")]
    Transcript(#[source] std::io::Error),
    /// The stored session could not be loaded.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Runs `posthook explain` with the effective configuration: a transcript replayed in memory, or
/// a stored session from the state dir.
pub(crate) fn run(args: &ExplainArgs, resolved: &Resolved) -> Result<Outcome, ExplainError> {
    let c = &resolved.config;
    let settings = c.settings();
    if let Some(path) = &args.transcript {
        let r = replay::replay(
            std::slice::from_ref(path),
            settings.clone(),
            c.output,
            replay::REPLAY_BUDGET,
            // Each call may be followed by its turn's batch event.
            args.last.saturating_mul(2),
            None,
        )
        .map_err(ExplainError::Transcript)?;
        let steps = from_transcript(&r, args.last);
        return Ok(Outcome::text(if args.json {
            serde_json::to_string_pretty(&steps).unwrap_or_default() + "\n"
        } else {
            replay::safe_text(&steps_text(&steps, &settings))
        }));
    }
    let id = args.session_id.as_deref().unwrap_or_default();
    let store = Store::new(session::state_dir(resolved)?);
    let s = session::load(&store, id)?;
    Ok(Outcome::text(if args.json {
        serde_json::to_string_pretty(&stored_json(&s, &settings)).unwrap_or_default() + "\n"
    } else {
        replay::safe_text(&stored_text(&s, &settings, args.last))
    }))
}

fn profile_reason(settings: &Settings, rule: &str) -> String {
    let family = builtin::family_of(rule);
    match settings.profile {
        Profile::Default => format!(
            "off: a hive rule (family {}), and the profile is default",
            family.as_str()
        ),
        Profile::Auto => format!(
            "off: a hive rule; profile auto turns it on once the session uses a tool of its \
             family ({}), and this one has not",
            family.as_str()
        ),
        Profile::Hive => String::from("off"),
    }
}

fn thresholds_of(rule: &str, settings: &Settings) -> String {
    let prefix = format!("{rule}.");
    let parts: Vec<String> = known_thresholds()
        .into_iter()
        .filter(|(k, _, _)| k.starts_with(&prefix))
        .map(|(k, d, _)| {
            let v = settings.threshold(k, d);
            let name = k.trim_start_matches(&prefix);
            if (v - d).abs() > f64::EPSILON {
                format!("{name} {} (default {})", fmt_num(v), fmt_num(d))
            } else {
                format!("{name} {}", fmt_num(v))
            }
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" [thresholds: {}]", parts.join(", "))
    }
}

fn counters_json(h: &History) -> Value {
    let mut v = serde_json::to_value(&h.counters).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("per_tool");
    }
    v["events_total"] = json!(h.events_total);
    v
}

/// The guidance provider's state in words, as the call numbered `now` meets it (`h` is the history
/// before that call): calls since the last message, escalation, the cooldown of each severity,
/// and each rule's memory.
pub(crate) fn guidance_lines(h: &History, now: u64) -> Vec<String> {
    let g = &h.guidance;
    let mut out = Vec::new();
    let since = if g.last_shown_at == 0 {
        None
    } else {
        Some(now.saturating_sub(g.last_shown_at))
    };
    match (since, &g.last_rule) {
        (Some(s), Some(rule)) => out.push(format!(
            "going in: last message {rule} at call {}, {s} call(s) before call {now}",
            g.last_shown_at
        )),
        _ => out.push(format!("going in: no message shown before call {now}")),
    }
    let cds: Vec<String> = [Severity::Minor, Severity::Moderate, Severity::Major]
        .into_iter()
        .map(|s| format!("{} {}", s.as_str(), cooldown(s)))
        .collect();
    out.push(format!(
        "cooldowns per rule and subject, in calls: {} (doubled for each ignored notice; muted \
         after {MUTE_AFTER}); critical findings and confirmed loops always pass",
        cds.join(", ")
    ));
    for (key, m) in &g.subjects {
        let state = if m.ignored >= MUTE_AFTER {
            String::from("muted")
        } else if m.shown > 0 {
            match m.cooldown_left(now) {
                0 => String::from("open"),
                left => format!("cooldown, {left} call(s) to go"),
            }
        } else {
            String::from("never shown")
        };
        out.push(format!(
            "{key}: fired {}, shown {}, ignored {}; {state}",
            m.fired, m.shown, m.ignored
        ));
    }
    out
}
