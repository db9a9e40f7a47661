//! Hook mode: one event from stdin to one answer, with the session's history loaded and saved.
//!
//! Fail-open: bad input gets one line and exit 1; posthook's own faults (no state dir, a lock held
//! too long, a full disk) are logged and the call is still analyzed against whatever history could
//! be read. It never exits 2 for its own faults.

use crate::clock::unix_ms;
use crate::input::{self, HookInput, DEFAULT_MAX_INPUT};
use crate::output::{self, OutputMode, Rendered};
use crate::runtime::{Report, Runtime, StopEnv, DEFAULT_BUDGET};
use crate::store::{Store, DEFAULT_LOCK_TIMEOUT};
use posthook_analyzers::{History, ProjectCheck, Settings};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Set once the answer is about to be written; guards the fallback deadline thread's exit.
static ANSWERED: Mutex<bool> = Mutex::new(false);

/// Bounds the whole process: once `deadline` has passed without an answer (stdin that never ends,
/// a stalled disk, an analyzer that never returns), the process exits 0 with no output, so Claude
/// Code is never held up. Called once, by the hook's `main`.
///
/// This is a kernel timer ([`crate::alarm`]), which costs one system call to arm and one to
/// disarm and nothing while it waits; when it fires, one fixed line goes to the log (if any).
/// When the timer cannot be set, a thread sleeps on the deadline and logs before it exits.
pub(crate) fn start_deadline(deadline: Duration) {
    test_delay();
    if crate::alarm::arm(deadline) {
        if tracing::enabled!(tracing::Level::ERROR) {
            if let Some(log) = crate::telemetry::open_log() {
                crate::alarm::report_to(log);
            }
        }
        return;
    }
    let spawned = std::thread::Builder::new()
        .name(String::from("posthook-deadline"))
        .spawn(move || {
            std::thread::sleep(deadline);
            let answered = ANSWERED.lock().unwrap_or_else(|p| p.into_inner());
            if !*answered {
                tracing::error!(
                    deadline_ms = deadline.as_millis() as u64,
                    "deadline passed before an answer; exiting 0 without one"
                );
                std::process::exit(i32::from(crate::exit::OK));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no deadline thread: the call is not bounded");
    }
}

/// The lean hook executable (`posthook-hook`): the hook call and nothing else. With no arguments
/// (as Claude Code runs it) no argument parser is built; otherwise the hook-mode flags are parsed
/// (`--output`, `--profile`, `--disable`, `--budget-ms`, `--state-dir`, `--help`, `--version`).
/// A subcommand is refused with one line that names the `posthook` executable, exit 1. Returns
/// the exit code. Does what Rust's start-up would for an entry point that skips it (standard
/// descriptors, `SIGPIPE`): `posthook-hook` enters at the C `main` on Linux, and passes the
/// arguments the C runtime gave it (`std::env::args` is empty there with musl, whose C runtime,
/// unlike glibc's, does not hand them to Rust's initializers).
pub fn main(args: Vec<std::ffi::OsString>) -> u8 {
    crate::start::as_rust_does();
    let layer = if args.len() <= 1 {
        crate::config::Layer::default()
    } else if let Some(word) = args[1].to_str().filter(|a| !a.starts_with('-')) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "posthook-hook: `{word}` is a command of the `posthook` executable (run `posthook \
             {word}`); posthook-hook only answers hook events on stdin"
        );
        return crate::exit::FAILURE;
    } else {
        match lean_flags(args) {
            Ok(flags) => flags.layer(),
            Err(e) => {
                let _ = e.print();
                let code = if e.use_stderr() {
                    crate::exit::FAILURE
                } else {
                    crate::exit::OK
                };
                return code;
            }
        }
    };
    start_deadline_from_env();
    run_process(&process_options(&resolve_config(layer)))
}

/// The lean executable's command line: the hook-mode flags alone.
fn lean_flags(args: Vec<std::ffi::OsString>) -> Result<crate::config::HookFlags, clap::Error> {
    use clap::{Args, FromArgMatches};
    let cmd = crate::config::HookFlags::augment_args(
        clap::Command::new("posthook-hook")
            .version(env!("CARGO_PKG_VERSION"))
            .about(
                "The posthook hook alone: reads one Claude Code hook event (JSON) on stdin and \
                 answers it. The tools (install, doctor, replay, stats, serve, ...) are in the \
                 `posthook` executable.",
            ),
    );
    let matches = cmd.try_get_matches_from(args)?;
    crate::config::HookFlags::from_arg_matches(&matches)
}

/// Starts the hook's deadline before the first file (config, log) is touched: a config file or a
/// log that blocks is then bounded like everything else.
pub(crate) fn start_deadline_from_env() {
    start_deadline(crate::config::deadline_from_env().unwrap_or(DEFAULT_DEADLINE));
}

/// Set by [`run_process`]: this process answers one call and exits, so what it loaded need not be
/// freed before the exit reclaims it (see [`Store::for_last_use`]). [`run`], which embedders and
/// tests call many times in one process, leaves it unset.
static ONE_CALL_PROCESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The hook process: answers the event on stdin with `opts`, writes the answer and returns its
/// exit code. The deadline was started by [`start_deadline_from_env`].
pub(crate) fn run_process(opts: &HookOptions) -> u8 {
    ONE_CALL_PROCESS.store(true, std::sync::atomic::Ordering::Relaxed);
    // The deadline was armed before logging was set up: hand it the log now, so that a deadline
    // that fires is still logged.
    if tracing::enabled!(tracing::Level::ERROR) {
        if let Some(log) = crate::telemetry::open_log() {
            crate::alarm::report_to(log);
        }
    }
    // Fail-open: a panic anywhere in the hook path is logged and the session goes on (exit 0).
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "posthook panicked; exiting 0");
    }));
    let started = std::time::Instant::now();
    let rendered = std::panic::catch_unwind(|| run(opts, std::io::stdin().lock()))
        .unwrap_or_else(|_| crate::record::panicked(opts, started));
    answering();
    output::emit(&rendered);
    rendered.code
}

/// Marks the answer as being written: from now on the deadline lets the process finish. Holds
/// the deadline off while it runs, so an answer is never cut halfway.
pub(crate) fn answering() {
    crate::alarm::disarm();
    *ANSWERED.lock().unwrap_or_else(|p| p.into_inner()) = true;
}

/// The benchmark's own tests slow the hook down on purpose, to check that a regression is
/// flagged: `POSTHOOK_TEST_DELAY_US` adds that many microseconds of work (a busy loop, as a slower
/// build would) to the call. Unset (always, in real use), it costs one environment lookup.
fn test_delay() {
    if let Some(us) = std::env::var_os("POSTHOOK_TEST_DELAY_US") {
        if let Some(us) = us.to_str().and_then(|s| s.parse::<u64>().ok()) {
            let until = Duration::from_micros(us.min(1_000_000));
            let start = std::time::Instant::now();
            while start.elapsed() < until {
                std::hint::spin_loop();
            }
        }
    }
}

/// Options for this hook process: the record is opened for the whole call first (for the deadline
/// counter, and shared by every later use: the learned back-off read by [`options_from`], the
/// call's counts), then the options.
pub(crate) fn process_options(resolved: &crate::config::Resolved) -> HookOptions {
    crate::record::count_deadline_hits(resolved.config.state_dir.as_deref());
    options_from(resolved)
}

/// Hook options from a resolved configuration.
pub fn options_from(resolved: &crate::config::Resolved) -> HookOptions {
    let c = &resolved.config;
    let project_dir = crate::project::claude_project_dir();
    let mut settings = c.settings();
    if c.learned_backoff {
        settings.quieted = crate::record::quieted(c.state_dir.as_deref(), project_dir.as_deref());
    }
    HookOptions {
        output: c.output,
        settings,
        budget: Duration::from_millis(c.budget_ms),
        state_dir: c.state_dir.clone(),
        fsync: c.fsync,
        project_dir,
        home: crate::project::home_dir().and_then(|h| h.to_str().map(str::to_owned)),
        lock_timeout: Duration::from_millis(c.lock_timeout_ms),
        deadline: Duration::from_millis(c.deadline_ms),
        ..HookOptions::default()
    }
}

/// The effective configuration over `flags`, with logging set up and its problems logged.
pub(crate) fn resolve_config(flags: crate::config::Layer) -> crate::config::Resolved {
    let resolved = crate::config::resolve_current(flags);
    crate::telemetry::init(&resolved.config.log_level);
    for p in &resolved.problems {
        tracing::warn!(problem = %p, "configuration problem; the value falls back to the level below");
    }
    resolved
}

/// Everything hook mode needs to know, resolved by the caller from flags, config and environment.
#[derive(Debug, Clone)]
pub struct HookOptions {
    /// Output mode.
    pub output: OutputMode,
    /// Analysis settings.
    pub settings: Settings,
    /// Time budget for the analyzers.
    pub budget: Duration,
    /// The state dir; `None` runs without persisted history.
    pub state_dir: Option<PathBuf>,
    /// The stdin cap in bytes.
    pub max_input: u64,
    /// Longest wait for the session lock.
    pub lock_timeout: Duration,
    /// Whether to fsync state.
    pub fsync: bool,
    /// `CLAUDE_PROJECT_DIR`.
    pub project_dir: Option<String>,
    /// `$HOME`: what `~` and `$HOME` in a Bash command stand for.
    pub home: Option<String>,
    /// The most the whole call may take (a kernel timer that ends the process with exit 0).
    pub deadline: Duration,
}

/// The default bound on a whole hook call: 5 s. Far above a normal call (milliseconds) and above
/// the longest lock wait, far below Claude Code's hook timeout.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

impl Default for HookOptions {
    fn default() -> Self {
        HookOptions {
            output: OutputMode::Stderr,
            settings: Settings::default(),
            budget: DEFAULT_BUDGET,
            state_dir: None,
            max_input: DEFAULT_MAX_INPUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            fsync: false,
            project_dir: None,
            home: None,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

/// Reads one event from `stdin`, analyzes it and returns what to print and the exit code.
pub fn run(opts: &HookOptions, stdin: impl Read) -> Rendered {
    let bytes = match input::read_capped(stdin, opts.max_input) {
        Ok(b) => b,
        Err(e) => return output::render_input_error(&e),
    };
    answer(opts, bytes, SystemTime::now(), |event, now| {
        // One event per process: a tiny pattern cache is enough.
        let runtime = Runtime::builder()
            .settings(opts.settings.clone())
            .budget(opts.budget)
            .cache_capacity(16)
            .build();
        analyze(&runtime, opts, event, now)
    })
}

/// The hook's answer to one payload: parses it, lets `analyze` run the pipeline on an event
/// posthook records against the session's history, and renders the report in `opts.output`.
/// The hook process analyzes against the store; `posthook serve` against its sessions in
/// memory: both answer through here, so they answer alike.
pub fn answer(
    opts: &HookOptions,
    bytes: Vec<u8>,
    now: SystemTime,
    analyze: impl FnOnce(&HookInput, SystemTime) -> Report,
) -> Rendered {
    answer_recorded(opts, bytes, now, analyze, None)
}

/// [`answer`], with the record written behind into `pending` (`posthook serve`) instead of at
/// once (`None`).
pub(crate) fn answer_recorded(
    opts: &HookOptions,
    bytes: Vec<u8>,
    now: SystemTime,
    analyze: impl FnOnce(&HookInput, SystemTime) -> Report,
    pending: Option<&crate::record::Pending>,
) -> Rendered {
    let started = std::time::Instant::now();
    crate::record::take_fault();
    let mut event = match input::parse_owned(bytes, unix_ms(now), opts.project_dir.as_deref()) {
        Ok(ev) => ev,
        Err(e) => return output::render_input_error(&e),
    };
    event.set_home(opts.home.as_deref());
    if !event.is_recorded() {
        tracing::debug!(event = %event.event, "not an event posthook records: ignored");
        return Rendered::default();
    }
    let report = analyze(&event, now);
    let tell = output::can_tell(&report, opts.output).then_some(event.session_id.as_str());
    let fault = crate::record::answered(opts, now, started, Some(&report), tell, pending);
    log_report(&report);
    if std::env::var_os(MUTE_ENV).is_some() {
        return Rendered::default();
    }
    output::with_fault_notice(
        output::render_report(&report, opts.output, &event.event),
        fault.map(crate::record::Fault::as_str),
    )
}

/// Test-only: when set, the call is analyzed and recorded but its answer is dropped (nothing
/// printed, exit 0), as a build that lost its output would behave. The end-to-end test sets it to
/// prove that it fails when feedback stops reaching the model.
pub(crate) const MUTE_ENV: &str = "POSTHOOK_TEST_MUTE";

/// What the end of a turn is judged with besides the history, found by the shell: the project
/// root and its own checks, and the transcript that still holds the calls' outputs. Found before
/// the session's lock is taken; the transcript is read only if a message quotes a failed check.
#[derive(Default)]
pub(crate) struct StopFacts {
    root: Option<String>,
    checks: Vec<ProjectCheck>,
    transcript: Option<PathBuf>,
}

impl StopFacts {
    /// The facts for `event` (nothing for an event that is not a stop). The project is
    /// `project_dir` (`CLAUDE_PROJECT_DIR`), else the git root above the payload's `cwd`.
    pub(crate) fn find(project_dir: Option<&str>, event: &HookInput) -> StopFacts {
        let Some(stop) = &event.stop else {
            return StopFacts::default();
        };
        let dir = match (project_dir, event.cwd.as_deref()) {
            (Some(d), _) if !d.is_empty() => Some(PathBuf::from(d)),
            (_, Some(cwd)) if cwd.starts_with('/') => {
                Some(crate::project::project_dir(None, std::path::Path::new(cwd)))
            }
            _ => None,
        };
        StopFacts {
            root: dir.as_ref().map(|d| d.to_string_lossy().into_owned()),
            checks: dir
                .as_deref()
                .map(crate::project::project_checks)
                .unwrap_or_default(),
            transcript: stop.transcript_path.as_deref().map(PathBuf::from),
        }
    }

    /// Runs `f` with these facts as a [`StopEnv`].
    pub(crate) fn with_env<R>(&self, f: impl FnOnce(&StopEnv<'_>) -> R) -> R {
        let recall = |id: u64| {
            self.transcript
                .as_deref()
                .and_then(|p| crate::transcript::tool_output(p, id))
        };
        f(&StopEnv {
            root: self.root.as_deref(),
            project_checks: &self.checks,
            recall: &recall,
        })
    }
}

fn analyze(runtime: &Runtime, opts: &HookOptions, event: &HookInput, now: SystemTime) -> Report {
    let session_id = event.session_id.as_str();
    let facts = StopFacts::find(opts.project_dir.as_deref(), event);
    let run = |h: &mut History| {
        let report = facts.with_env(|env| {
            runtime
                .process_event_with(event, h, env)
                .unwrap_or_else(|| unreachable!("only recorded events reach the store"))
        });
        decided(opts, event, &report);
        report
    };
    let Some(dir) = &opts.state_dir else {
        tracing::warn!(
            "no state dir (no HOME, XDG_STATE_HOME or POSTHOOK_STATE_DIR): history not kept"
        );
        return run(&mut History::new());
    };
    let store = Store::new(dir)
        .with_lock_timeout(opts.lock_timeout)
        .with_fsync(opts.fsync)
        .for_last_use(ONE_CALL_PROCESS.load(std::sync::atomic::Ordering::Relaxed));
    // Build the analyzers before locking: the lock is then held for the analysis alone.
    if let Some(call) = &event.call {
        runtime.prepare(&call.tool);
    }
    match store.update(session_id, now, run) {
        Ok(u) => {
            if let Some(p) = &u.set_aside {
                tracing::warn!(path = %p.display(), "unreadable session state set aside and replaced");
            }
            if let Some(e) = &u.save_error {
                crate::record::store_fault(e);
                tracing::error!(error = %e, "session state not saved");
            }
            u.value
        }
        Err(e) => {
            crate::record::store_fault(&e);
            tracing::error!(error = %e, "analyzing without saving");
            let mut history = store
                .load(session_id)
                .ok()
                .flatten()
                .map(|s| s.history)
                .unwrap_or_default();
            run(&mut history)
        }
    }
}

/// The answer is decided once the analyzers ran, before the history is saved: hands it to the
/// deadline, so that a save slowed down by a loaded disk cannot make the deadline drop it.
fn decided(opts: &HookOptions, event: &HookInput, report: &Report) {
    if report.feedback.is_none() || std::env::var_os(MUTE_ENV).is_some() {
        return;
    }
    let r = output::render(report.feedback.as_ref(), opts.output, &event.event);
    if r != Rendered::default() {
        crate::alarm::deliver_on_alarm(&r.stdout, &r.stderr, r.code);
        test_pause_after_decision();
    }
}

/// The tests of [`decided`] hold the hook between the decision and the save:
/// `POSTHOOK_TEST_DECIDED_PAUSE_MS` sleeps that long (at most 10 s), as a saturated disk would.
/// Read only once an answer is decided: a call with nothing to say never looks it up.
fn test_pause_after_decision() {
    if let Some(ms) = std::env::var_os("POSTHOOK_TEST_DECIDED_PAUSE_MS") {
        if let Some(ms) = ms.to_str().and_then(|s| s.parse::<u64>().ok()) {
            std::thread::sleep(Duration::from_millis(ms.min(10_000)));
        }
    }
}

fn log_report(report: &Report) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    for t in &report.timings.analyzers {
        tracing::debug!(analyzer = t.name, ns = t.elapsed.as_nanos() as u64, status = ?t.status, findings = t.findings);
    }
    tracing::debug!(
        total_ns = report.timings.total.as_nanos() as u64,
        events_total = report.events_total,
        feedback = report.feedback.as_ref().map(|f| f.rule.as_str()),
        "call analyzed"
    );
}
