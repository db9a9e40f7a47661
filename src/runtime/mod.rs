//! The pipeline: lazily built analyzers, a pattern cache, per-analyzer timing, a time budget, and
//! the guidance provider's choice of one message.

mod builder;
mod cache;
mod report;
mod slot;

pub use builder::RuntimeBuilder;
pub use cache::CacheStats;
pub use report::{AnalyzerTiming, Report, RunStatus, Timings};

use crate::input::{self, BatchInput, HookInput, InputError, StopInput};
use cache::PatternLru;
use dashmap::DashMap;
use posthook_analyzers::builtin;
use posthook_analyzers::guidance::{self, Silence, Verdict};
use posthook_analyzers::{
    Context, Feedback, Finding, History, ProjectCheck, Settings, Severity, StopContext, ToolCall,
};
use slot::Slot;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The default time budget for all analyzers of one call: 40 ms.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(40);
/// The rule ids of the critical single-call checks (their spec says `critical`): they run
/// whatever the time budget, and a project file cannot disable them.
pub(crate) fn critical_rules() -> Vec<&'static str> {
    builtin::registry()
        .iter()
        .filter(|b| b.critical)
        .flat_map(|b| b.rules.iter().map(|r| r.id))
        .collect()
}

/// What the end of a turn is judged with besides the history: facts the shell finds (the analyzers
/// read no files).
#[derive(Clone, Copy)]
pub struct StopEnv<'a> {
    /// The project root (paths under it are shown relative to it).
    pub root: Option<&'a str>,
    /// The project's own checks (`cargo test` where a `Cargo.toml` is).
    pub project_checks: &'a [ProjectCheck],
    /// What a call printed, by the hash of its `tool_use_id`, where it can still be found.
    pub recall: &'a dyn Fn(u64) -> Option<String>,
}

impl StopEnv<'_> {
    /// No project facts and nothing to recall.
    pub fn none() -> StopEnv<'static> {
        StopEnv {
            root: None,
            project_checks: &[],
            recall: &|_| None,
        }
    }
}

/// The default number of entries of the pattern cache.
pub const DEFAULT_CACHE_CAPACITY: usize = 4096;

/// The posthook runtime: analyzes tool calls against session histories.
///
/// A `Runtime` is `Sync`: share one between threads to serve many sessions at once. It keeps
/// in-memory histories for [`Runtime::handle`]; the hook binary instead loads and saves them with
/// [`crate::store::Store`] and calls [`Runtime::process`].
pub struct Runtime {
    settings: Settings,
    budget: Duration,
    slots: Vec<Slot>,
    cache: PatternLru,
    /// In-memory histories for [`Runtime::handle`]. Created on first use: building a `DashMap`
    /// asks the OS for the CPU count (cgroup files), which a one-event hook process never needs.
    sessions: OnceLock<DashMap<String, History>>,
}

impl Runtime {
    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The pattern cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Names of the analyzers constructed so far (they are built on first use).
    pub fn built_analyzers(&self) -> Vec<&'static str> {
        self.slots
            .iter()
            .filter(|s| s.is_built())
            .map(Slot::name)
            .collect()
    }

    /// Builds now every analyzer that applies to `tool`, so that a following [`Runtime::process`]
    /// only analyzes. The hook calls it before taking the session lock, which then stays held for
    /// the analysis alone. A constructor that panics is left for `process` to report.
    pub fn prepare(&self, tool: &str) {
        for slot in self.slots.iter().filter(|s| s.applies(tool)) {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                slot.get();
            }));
        }
    }

    /// Names of all analyzers, built or not, in run order.
    pub fn analyzer_names(&self) -> Vec<&'static str> {
        self.slots.iter().map(Slot::name).collect()
    }

    /// Runs the pipeline for `call` on `history`: records the call, runs every analyzer that
    /// applies (timed, within the budget, panics caught), and lets the guidance provider choose the
    /// message. `history` is updated in place; persisting it is the caller's business.
    pub fn process(&self, call: &ToolCall, history: &mut History) -> Report {
        let start = Instant::now();
        history.record(call);
        let record = start.elapsed();
        let mut findings = Vec::new();
        let timings = {
            let history: &History = history;
            let Some(fact) = history.last() else {
                unreachable!("record always appends a fact")
            };
            let cx = Context {
                call,
                fact,
                history,
                settings: &self.settings,
                cache: &self.cache,
            };
            self.run_analyzers(&cx, start, &mut findings)
        };
        self.drop_disabled(&mut findings, history);
        let g = Instant::now();
        let mut uptake = history.observe_uptake(&findings, &self.settings);
        let decision = guidance::decide(&findings, call, history, &self.settings);
        let mut notice = None;
        if let Some(shown) = decision
            .verdicts
            .iter()
            .find(|v| v.verdict == Verdict::Shown)
        {
            uptake.extend(history.await_uptake(&shown.rule, &shown.subject));
            notice = critical_notice(decision.feedback.as_ref(), history, &shown.subject);
        }
        let guidance = g.elapsed();
        let timings = Timings {
            total: start.elapsed(),
            record,
            guidance,
            analyzers: timings,
        };
        Report {
            uptake,
            notice,
            ..Report::of(decision, findings, timings, history.events_total)
        }
    }

    /// Drops the findings of rules that may not fire in this session (disabled, or of a hive
    /// family off in it): an analyzer never checks.
    fn drop_disabled(&self, findings: &mut Vec<Finding>, history: &History) {
        let used = history.counters.families;
        findings.retain(|f| self.settings.rule_enabled(&f.rule, used));
    }

    /// Runs every analyzer that applies to `cx.call`, in order, into `findings`: each timed, its
    /// panic caught (its findings dropped), and skipped once the call's budget counted from `start`
    /// is used up (critical checks excepted). Returns the timing of each.
    fn run_analyzers(
        &self,
        cx: &Context<'_>,
        start: Instant,
        findings: &mut Vec<Finding>,
    ) -> Vec<AnalyzerTiming> {
        let mut timings = Vec::with_capacity(self.slots.len());
        // One clock read per analyzer: the end of one run is the start of the next, and the
        // budget check uses the same reading.
        let mut mark = Instant::now();
        let used = cx.history.counters.families;
        for slot in &self.slots {
            if !slot.applies(&cx.call.tool) || !slot.enabled(&self.settings, used) {
                continue;
            }
            let name = slot.name();
            if !slot.critical() && mark.duration_since(start) >= self.budget {
                tracing::debug!(analyzer = name, "skipped: time budget used up");
                timings.push(AnalyzerTiming {
                    name,
                    elapsed: Duration::ZERO,
                    findings: 0,
                    status: RunStatus::SkippedBudget,
                });
                continue;
            }
            let _span = tracing::trace_span!("analyzer", name).entered();
            let timing = run_caught(name, mark, findings, |f| slot.get().analyze(cx, f));
            mark += timing.elapsed;
            timings.push(timing);
        }
        timings
    }

    /// Records a turn's batch event on `history`: the turn boundary and the calls refused before
    /// they ran (see [`History::record_batch`]). A refusal was already shown to Claude as the
    /// tool's own error, so nothing else is analyzed; but the same refusal again (`String to
    /// replace not found`, `File has not been read yet`) is a loop like any other, and the
    /// failure-loop rule speaks on the batch event.
    pub fn process_batch(
        &self,
        batch: &BatchInput,
        agent_id: Option<&str>,
        history: &mut History,
    ) -> Report {
        let start = Instant::now();
        let ids: Vec<&str> = batch.ids.iter().map(String::as_str).collect();
        let rejected = history.record_batch(agent_id, &ids, &batch.rejected);
        let record = start.elapsed();
        let mut findings = Vec::new();
        let mut looped: Option<&ToolCall> = None;
        if rejected > 0
            && builtin::FailureLoop::SPEC.enabled(&self.settings, history.counters.families)
        {
            let loop_rule = builtin::FailureLoop;
            for call in &batch.rejected {
                let h = call
                    .tool_use_id
                    .as_deref()
                    .map(|i| posthook_analyzers::fnv1a64(i.as_bytes()));
                let Some(fact) = history
                    .recent
                    .iter()
                    .rev()
                    .find(|f| h.is_some() && f.id == h)
                else {
                    continue;
                };
                let cx = Context {
                    call,
                    fact,
                    history,
                    settings: &self.settings,
                    cache: &self.cache,
                };
                let before = findings.len();
                posthook_analyzers::Analyzer::analyze(&loop_rule, &cx, &mut findings);
                if findings.len() > before {
                    looped = Some(call);
                }
            }
        }
        let decision = match looped {
            Some(call) => guidance::decide(&findings, call, history, &self.settings),
            None => quiet(Silence::Turn {
                calls: ids.len(),
                rejected,
            }),
        };
        Report::of(
            decision,
            findings,
            Timings::of_record(start, record),
            history.events_total,
        )
    }

    /// Answers the end of a turn on `history`: runs the analyzers that judge stops
    /// ([`posthook_analyzers::Analyzer::at_stop`]) for the stopping stream (`agent`: `None` for
    /// the main thread) and lets [`guidance::decide_stop`] choose (never while
    /// `stop_hook_active`, never twice for the same state).
    pub fn process_stop(
        &self,
        stop: &StopInput,
        agent: Option<&str>,
        history: &mut History,
        env: &StopEnv<'_>,
    ) -> Report {
        let start = Instant::now();
        let agent = agent.filter(|_| stop.subagent);
        let hold = if stop.stop_hook_active {
            Some("stop_hook_active: the model already goes on because of a stop hook")
        } else if stop.running_tasks > 0 {
            Some("background tasks still run: the turn resumes when they finish")
        } else if stop.subagent && agent.is_none() {
            // It cannot be judged on the subagent's own stream.
            Some("a subagent's stop that does not name the subagent")
        } else {
            None
        };
        if stop.subagent {
            history.events.subagent_stop += 1;
        } else {
            history.events.stop += 1;
        }
        let record = start.elapsed();
        let mut findings = Vec::new();
        let mut timings = Vec::new();
        if hold.is_none() {
            let cx = StopContext {
                history,
                agent,
                root: env.root,
                project_checks: env.project_checks,
                settings: &self.settings,
                recall: env.recall,
            };
            let used = history.counters.families;
            let on = |s: &&Slot| s.at_stop() && s.enabled(&self.settings, used);
            for slot in self.slots.iter().filter(on) {
                let run = |f: &mut Vec<Finding>| slot.get().at_stop(&cx, f);
                timings.push(run_caught(slot.name(), Instant::now(), &mut findings, run));
            }
        }
        self.drop_disabled(&mut findings, history);
        let g = Instant::now();
        let decision = guidance::decide_stop(&findings, agent, hold, history, &self.settings);
        let timings = Timings {
            total: start.elapsed(),
            record,
            guidance: g.elapsed(),
            analyzers: timings,
        };
        Report::of(decision, findings, timings, history.events_total)
    }

    /// Records an event that only marks the history: a subagent's start (its stream begins) or a
    /// compaction (what the model read is forgotten). Nothing is said.
    fn process_mark(&self, input: &HookInput, history: &mut History) -> Report {
        let start = Instant::now();
        if input.is_compaction() {
            history.record_compaction();
        } else if let Some(agent) = input.agent_id.as_deref() {
            history.record_subagent_start(agent);
        }
        Report::of(
            quiet(Silence::NoFindings),
            Vec::new(),
            Timings::of_record(start, start.elapsed()),
            history.events_total,
        )
    }

    /// Runs one recorded event on `history`: a finished call ([`Runtime::process`]), a turn
    /// ([`Runtime::process_batch`]), the end of a turn ([`Runtime::process_stop`], with no project
    /// facts: see [`Runtime::process_event_with`]) or a mark (a subagent's start, a compaction).
    /// `None` for events posthook does not record.
    pub fn process_event(&self, input: &HookInput, history: &mut History) -> Option<Report> {
        self.process_event_with(input, history, &StopEnv::none())
    }

    /// [`Runtime::process_event`], with what the end of a turn is judged with.
    pub fn process_event_with(
        &self,
        input: &HookInput,
        history: &mut History,
        env: &StopEnv<'_>,
    ) -> Option<Report> {
        if let Some(call) = &input.call {
            return Some(self.process(call, history));
        }
        if let Some(stop) = &input.stop {
            return Some(self.process_stop(stop, input.agent_id.as_deref(), history, env));
        }
        if input.is_compaction() || input.is_subagent_start() {
            return Some(self.process_mark(input, history));
        }
        let batch = input.batch.as_ref()?;
        Some(self.process_batch(batch, input.agent_id.as_deref(), history))
    }

    /// Handles one parsed event against the runtime's in-memory history of its session.
    /// Returns `None` for events posthook does not record (see [`HookInput::is_recorded`]).
    pub fn handle(&self, input: &HookInput) -> Option<Report> {
        if !input.is_recorded() {
            return None;
        }
        let mut history = self.sessions().entry(input.session_id.clone()).or_default();
        self.process_event(input, &mut history)
    }

    /// Parses a raw hook payload and handles it; `now_ms` stamps the call.
    pub fn handle_json(&self, payload: &[u8], now_ms: u64) -> Result<Option<Report>, InputError> {
        let input = input::parse(payload, now_ms, None)?;
        Ok(self.handle(&input))
    }

    fn sessions(&self) -> &DashMap<String, History> {
        self.sessions.get_or_init(DashMap::new)
    }

    /// A copy of the in-memory history of a session.
    pub fn session(&self, session_id: &str) -> Option<History> {
        self.sessions().get(session_id).map(|h| h.clone())
    }

    /// Drops the in-memory history of a session.
    pub fn forget_session(&self, session_id: &str) -> Option<History> {
        self.sessions().remove(session_id).map(|(_, h)| h)
    }
}

/// The line a critical message (critical severity, or a major one of a critical check: a force
/// push, a bypassed check) also shows the user, the first time it is shown on `subject` in the
/// session.
fn critical_notice(fb: Option<&Feedback>, history: &History, subject: &str) -> Option<String> {
    let fb = fb.filter(|f| {
        f.severity == Severity::Critical
            || (f.severity >= Severity::Major && critical_rules().contains(&f.rule.as_str()))
    })?;
    let m = history.guidance.memory(&fb.rule, subject)?;
    let first = fb.text.lines().next().unwrap_or_default();
    let headline = first
        .strip_prefix(&format!("posthook [{}] ", fb.rule))
        .unwrap_or(first);
    // Not the message's own first line: the model gets that once, in the answer's other field.
    (m.shown == 1).then(|| format!("posthook: {}: {headline}", fb.rule))
}

/// Runs one analyzer (`run`, adding to `findings`) that started at the clock reading `mark`:
/// its panic caught and the findings it added then dropped. Its timing runs from `mark` to its
/// end, so the next analyzer's mark is `mark` plus its `elapsed`.
fn run_caught(
    name: &'static str,
    mark: Instant,
    findings: &mut Vec<Finding>,
    run: impl FnOnce(&mut Vec<Finding>),
) -> AnalyzerTiming {
    let before = findings.len();
    let ran = catch_unwind(AssertUnwindSafe(|| run(findings)));
    let elapsed = mark.elapsed();
    let status = if ran.is_ok() {
        RunStatus::Ran
    } else {
        tracing::warn!(
            analyzer = name,
            "analyzer panicked; its findings were dropped"
        );
        findings.truncate(before);
        RunStatus::Panicked
    };
    AnalyzerTiming {
        name,
        elapsed,
        findings: findings.len() - before,
        status,
    }
}

/// The guidance provider's answer when nothing was judged: no message, and why.
fn quiet(silence: Silence) -> guidance::Decision {
    guidance::Decision {
        feedback: None,
        silence: Some(silence),
        verdicts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::{Analyzer, Severity};
    use serde_json::json;

    struct Boom;
    impl Analyzer for Boom {
        fn name(&self) -> &'static str {
            "boom"
        }
        fn analyze(&self, _: &Context<'_>, _: &mut Vec<Finding>) {
            panic!("boom");
        }
    }

    struct Slow(Duration);
    impl Analyzer for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn analyze(&self, _: &Context<'_>, out: &mut Vec<Finding>) {
            std::thread::sleep(self.0);
            out.push(Finding::new("slow-rule", Severity::Minor, 1).headline("slow"));
        }
    }

    /// Says two rules on every call, and counts its runs.
    struct Twice(std::sync::atomic::AtomicUsize);
    impl Analyzer for Twice {
        fn name(&self) -> &'static str {
            "twice"
        }
        fn rules(&self) -> &'static [&'static str] {
            &["twice-a", "twice-b"]
        }
        fn analyze(&self, _: &Context<'_>, out: &mut Vec<Finding>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for rule in self.rules() {
                out.push(Finding::new(*rule, Severity::Minor, 1).headline("x"));
            }
        }
    }

    #[test]
    fn disabled_rules_are_neither_run_nor_said() {
        let mut settings = Settings::default();
        settings
            .disabled
            .insert(builtin::ExecSafety::SPEC.name.into());
        settings.disabled.insert("twice-a".into());
        let rt = Runtime::builder()
            .settings(settings.clone())
            .analyzer(Twice(0.into()))
            .build();
        let r = rt.process(
            &ToolCall::new("Bash", json!({"command": "rm -rf /"})),
            &mut History::new(),
        );
        let ran: Vec<&str> = r.timings.analyzers.iter().map(|t| t.name).collect();
        assert!(ran.contains(&"danger") && ran.contains(&"twice"), "{ran:?}");
        // Off: disabled, and a hive rule in `auto` in a session that used no hive tool.
        for off in ["exec-safety", "coordinator-bypass", "workflow-pattern"] {
            assert!(!ran.contains(&off), "{off} ran: {ran:?}");
            assert!(!rt.built_analyzers().contains(&off), "{off} was built");
        }
        let said: Vec<&str> = r.findings.iter().map(|f| f.rule.as_ref()).collect();
        assert_eq!(said, ["twice-b"], "the disabled rule's finding is dropped");
        settings.disabled.insert("twice-b".into());
        let twice = Twice(0.into());
        let rt = Runtime::builder()
            .settings(settings)
            .without_builtins()
            .analyzer(twice)
            .build();
        let r = rt.process(&ToolCall::new("Read", json!({})), &mut History::new());
        assert!(r.timings.analyzers.is_empty(), "all its rules off: not run");
    }

    #[test]
    fn lazy_build_only_what_applies() {
        let rt = Runtime::default();
        assert!(rt.built_analyzers().is_empty());
        rt.process(
            &ToolCall::new("Read", json!({"file_path": "/a"})),
            &mut History::new(),
        );
        assert!(!rt.built_analyzers().contains(&"exec-safety"));
        rt.process(
            &ToolCall::new("Bash", json!({"command": "ls"})),
            &mut History::new(),
        );
        assert!(rt.built_analyzers().contains(&"exec-safety"));
    }

    #[test]
    fn panics_are_caught() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let rt = Runtime::builder().analyzer(Boom).build();
        let r = rt.process(&ToolCall::new("Read", json!({})), &mut History::new());
        std::panic::set_hook(prev);
        let t = r
            .timings
            .analyzers
            .iter()
            .find(|t| t.name == "boom")
            .expect("timed");
        assert_eq!(t.status, RunStatus::Panicked);
    }

    #[test]
    fn budget_skips_the_rest() {
        let rt = Runtime::builder()
            .without_builtins()
            .budget(Duration::from_millis(5))
            .analyzer(Slow(Duration::from_millis(20)))
            .analyzer(Slow(Duration::from_millis(20)))
            .build();
        let r = rt.process(&ToolCall::new("Read", json!({})), &mut History::new());
        let statuses: Vec<RunStatus> = r.timings.analyzers.iter().map(|t| t.status).collect();
        assert_eq!(statuses, vec![RunStatus::Ran, RunStatus::SkippedBudget]);
        assert_eq!(r.findings.len(), 1);
    }

    #[test]
    fn sessions_are_separate_and_sync() {
        fn assert_sync<T: Sync + Send>() {}
        assert_sync::<Runtime>();
        let rt = Runtime::default();
        let ev = |s: &str| {
            format!(
                r#"{{"session_id":"{s}","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{{"file_path":"/a"}}}}"#
            )
        };
        std::thread::scope(|scope| {
            for s in ["a", "b"] {
                let rt = &rt;
                let p = ev(s);
                scope.spawn(move || {
                    for i in 0..50 {
                        rt.handle_json(p.as_bytes(), i).expect("valid");
                    }
                });
            }
        });
        assert_eq!(rt.session("a").map(|h| h.events_total), Some(50));
        assert_eq!(rt.session("b").map(|h| h.events_total), Some(50));
    }
}
