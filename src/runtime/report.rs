//! What the pipeline made of one call: the message or the reason for none, the findings and
//! verdicts, and where the time went.

use posthook_analyzers::guidance::{Decision, RuleVerdict, Silence};
use posthook_analyzers::uptake::Resolved;
use posthook_analyzers::{Feedback, Finding};
use serde::Serialize;
use std::time::Duration;

/// How one analyzer's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// It ran to the end.
    Ran,
    /// It panicked; its findings were discarded.
    Panicked,
    /// The call's time budget was used up before its turn.
    SkippedBudget,
}

/// One analyzer's timing for one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyzerTiming {
    /// The analyzer's name.
    pub name: &'static str,
    /// Time spent in it (zero when skipped).
    #[serde(serialize_with = "ser_nanos")]
    pub elapsed: Duration,
    /// Findings it produced.
    pub findings: usize,
    /// How its run ended.
    pub status: RunStatus,
}

fn ser_nanos<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Where the time of one call went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// The whole pipeline: record, analyzers, guidance.
    #[serde(serialize_with = "ser_nanos")]
    pub total: Duration,
    /// Recording the call's facts into the history.
    #[serde(serialize_with = "ser_nanos")]
    pub record: Duration,
    /// The guidance provider.
    #[serde(serialize_with = "ser_nanos")]
    pub guidance: Duration,
    /// Every analyzer that applied to the call, in run order.
    pub analyzers: Vec<AnalyzerTiming>,
}

/// What the pipeline made of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The one message for Claude, if any.
    pub feedback: Option<Feedback>,
    /// Why there is no message, when there is none.
    pub silence: Option<Silence>,
    /// Every finding of the call, before the guidance provider's choice.
    pub findings: Vec<Finding>,
    /// What the guidance provider did with each finding and why (shown, held by its cooldown,
    /// muted, outranked, ...), best-ranked first.
    pub verdicts: Vec<RuleVerdict>,
    /// Where the time went.
    pub timings: Timings,
    /// Events recorded for the session, this one included.
    pub events_total: u64,
    /// Earlier messages of the session whose uptake this call told (heeded, ignored, or their
    /// window passed), oldest first.
    pub uptake: Vec<Resolved>,
    /// For the user too: the first line of a critical message, the first time it is shown on its
    /// subject in the session (`systemMessage` in the JSON answer).
    pub notice: Option<String>,
}

impl Timings {
    /// The timings of an event that only records: `record` of it, and nothing analyzed.
    pub(crate) fn of_record(start: std::time::Instant, record: Duration) -> Timings {
        Timings {
            total: start.elapsed(),
            record,
            guidance: Duration::ZERO,
            analyzers: Vec::new(),
        }
    }
}

impl Report {
    /// The report of an event: the guidance provider's `decision` on its `findings`, with no
    /// uptake told and no notice for the user (the caller adds those where they apply).
    pub(crate) fn of(
        decision: Decision,
        findings: Vec<Finding>,
        timings: Timings,
        events_total: u64,
    ) -> Report {
        Report {
            feedback: decision.feedback,
            silence: decision.silence,
            findings,
            verdicts: decision.verdicts,
            timings,
            events_total,
            uptake: Vec::new(),
            notice: None,
        }
    }
}
