//! `posthook serve`: the hook as a long-lived local server, for Claude Code's `"type": "http"`
//! hooks. Claude Code POSTs the exact JSON a command hook gets on stdin and reads a 2xx JSON body
//! as it reads a command hook's stdout; the server answers what the hook process would print for
//! the same event and session, through the same code ([`crate::hook::answer`]), with the
//! sessions held in memory ([`sessions`]) and the analyzers and pattern cache kept warm.
//!
//! - Loopback only (another address needs `--allow-non-loopback`), and every request needs the
//!   per-user token ([`token`]): without it, 401 and no analysis. Bodies are capped like stdin.
//! - The answer: the hook's stdout JSON; `{}` where the hook prints nothing; a blocking message
//!   (the hook's exit 2) as `{"decision":"block","reason":...}`; input the hook refuses (its exit
//!   1) as a 400 with the same line (Claude Code shows a non-blocking error, as for exit 1).
//! - A crash of the server loses at most the events answered in the last flush interval
//!   (`--flush-ms`, default 100; 0 saves each event before answering). SIGTERM and SIGINT stop
//!   accepting, let running requests finish, and write every session before exiting.
//! - Threads: a pool of workers blocked in `accept` (a new connection is served by a thread that
//!   is already running), grown when all are busy, up to `--max-threads`.
//!
//! Why a small std server and not a framework: the protocol needed is one POST endpoint on
//! loopback, for one trusted client, with no TLS. hyper would bring an async runtime into the
//! binary whose no-argument call is the hook itself, where start-up cost matters; the head is
//! parsed by `httparse`, the rest is a page of blocking I/O.

pub mod client;
pub mod http;
pub mod net;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod token;

use crate::config;
use crate::hook::{self, HookOptions};
use crate::output::Rendered;
use crate::runtime::Runtime;
use crate::store::Store;
use http::{Conn, ReadError, Request};
use lru::LruCache;
use net::{Listener, Stream};
use posthook_analyzers::History;
use serde::Deserialize;
use serde_json::value::RawValue;
use sessions::Sessions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The default address: loopback, a fixed port that `install --http` also writes.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:47311";
/// The path Claude Code posts events to (`/hook/<anything>` is accepted as well).
pub const HOOK_PATH: &str = "/hook";
/// How long a kept-alive connection may wait for its next request.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Workers kept waiting for connections.
const MIN_IDLE: usize = 8;
/// How often a project's configuration is read again.
const CONFIG_TTL: Duration = Duration::from_secs(1);
/// How often the main thread looks for SIGTERM/SIGINT.
const SIGNAL_POLL: Duration = Duration::from_millis(20);
/// Projects whose configuration is held.
const PROJECTS: usize = 64;

/// `posthook serve` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook serve                                  # 127.0.0.1:47311, log on stderr
  posthook serve --listen 127.0.0.1:0             # any free port (printed on stderr)
  posthook serve --flush-ms 0                     # save every event before answering

Every request needs `Authorization: Bearer <token>`, the token being the content of
$XDG_CONFIG_HOME/posthook/serve.token (else ~/.config/posthook/serve.token), created 0600 on first
start. `posthook install --http` registers the server in Claude Code's settings.")]
pub struct ServeArgs {
    /// Address to listen on; loopback only unless --allow-non-loopback.
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Listen on an address other than loopback (anyone who can reach it and has the token can
    /// use it).
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Write sessions with new events within this many milliseconds (what a crash of the server
    /// can lose); 0 saves every event before answering it.
    #[arg(long, default_value_t = 100, value_name = "MS")]
    pub flush_ms: u64,
    /// Sessions held in memory; the least recently used beyond this are dropped (they are on
    /// disk) [default: 2048].
    #[arg(long, default_value_t = sessions::DEFAULT_CAPACITY, value_name = "N")]
    pub max_sessions: usize,
    /// Most worker threads (one per open connection).
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_threads: usize,
    /// The token file [default: $XDG_CONFIG_HOME/posthook/serve.token or
    /// ~/.config/posthook/serve.token].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// What one project's events are answered with: its configuration, resolved as the hook process
/// resolves it in that project, and a runtime built from it (kept warm across events).
struct Project {
    opts: HookOptions,
    runtime: Runtime,
    store: Option<Store>,
    config: config::Config,
    /// When the configuration was last read.
    checked: Mutex<Instant>,
}

/// The server's shared state.
pub struct Server {
    token: String,
    flags: config::Layer,
    sessions: Sessions,
    projects: Mutex<LruCache<String, Arc<Project>>>,
    stopping: AtomicBool,
    max_body: u64,
    idle: AtomicUsize,
    live: AtomicUsize,
    max_threads: usize,
    done: (Mutex<()>, Condvar),
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    cwd: Option<&'a RawValue>,
}

/// The payload's `cwd`, read without building anything else.
fn probe_cwd(body: &[u8]) -> Option<String> {
    let p: Probe<'_> = serde_json::from_slice(body).ok()?;
    serde_json::from_str::<String>(p.cwd?.get())
        .ok()
        .filter(|s| !s.is_empty())
}

/// Maps the hook's answer to HTTP: what Claude Code reads from a 2xx body is what it reads from
/// the hook's stdout; exit 2 (blocking feedback on stderr) becomes its JSON equivalent; exit 1
/// (refused input) a 400 with the same line, which Claude Code treats as a non-blocking error.
pub fn http_answer(r: &Rendered) -> (u16, &'static str, Vec<u8>) {
    match r.code {
        0 if r.stdout.is_empty() => (200, "application/json", b"{}".to_vec()),
        0 => (200, "application/json", r.stdout.clone()),
        2 => {
            let text = String::from_utf8_lossy(&r.stderr);
            let body = serde_json::json!({
                "decision": "block",
                "reason": text.trim_end_matches('\n'),
            });
            (200, "application/json", body.to_string().into_bytes())
        }
        _ => (400, "text/plain; charset=utf-8", r.stderr.clone()),
    }
}

impl Server {
    /// A server answering with `token`, the configuration `flags` over each project's files,
    /// and `sessions`.
    pub fn new(token: String, flags: config::Layer, sessions: Sessions) -> Server {
        Server {
            token,
            flags,
            sessions,
            projects: Mutex::new(LruCache::new(
                NonZeroUsize::new(PROJECTS).unwrap_or(NonZeroUsize::MIN),
            )),
            stopping: AtomicBool::new(false),
            max_body: crate::input::DEFAULT_MAX_INPUT,
            idle: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            max_threads: 256,
            done: (Mutex::new(()), Condvar::new()),
        }
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    fn authorized(&self, value: Option<&[u8]>) -> bool {
        let Some(v) = value else { return false };
        let Some(given) = v.strip_prefix(b"Bearer ") else {
            return false;
        };
        token::matches(given.trim_ascii(), self.token.as_bytes())
    }

    /// The project `key` names (the header's dir, or `cwd:` and the payload's cwd), its dir found
    /// by `find` only when the cached answer is older than [`CONFIG_TTL`]: the walk up to a git
    /// root costs a `stat` per level.
    fn project(&self, key: String, find: impl FnOnce() -> Option<PathBuf>) -> Arc<Project> {
        let cached = self
            .projects
            .lock()
            .ok()
            .and_then(|mut m| m.get(&key).cloned());
        if let Some(p) = &cached {
            let checked = *p
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if checked.elapsed() < CONFIG_TTL {
                return Arc::clone(p);
            }
        }
        let dir = find();
        let env = |k: &str| std::env::var_os(k);
        let resolved = config::resolve(&config::Inputs {
            flags: self.flags.clone(),
            env: &env,
            project_dir: dir.clone(),
        });
        for p in &resolved.problems {
            tracing::warn!(problem = %p, "configuration problem; the value falls back to the level below");
        }
        let project = match cached {
            // Unchanged: keep the warm runtime.
            Some(p) if p.config == resolved.config && p.opts.project_dir == dir_text(&dir) => {
                *p.checked
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
                return p;
            }
            _ => {
                let mut opts = crate::cli::hook_options_from(&resolved);
                opts.project_dir = dir_text(&dir);
                let runtime = Runtime::builder()
                    .settings(opts.settings.clone())
                    .budget(opts.budget)
                    .build();
                let store = opts.state_dir.as_ref().map(|d| {
                    Store::new(d)
                        .with_lock_timeout(opts.lock_timeout)
                        .with_fsync(opts.fsync)
                });
                Arc::new(Project {
                    opts,
                    runtime,
                    store,
                    config: resolved.config,
                    checked: Mutex::new(Instant::now()),
                })
            }
        };
        if let Ok(mut m) = self.projects.lock() {
            m.put(key, Arc::clone(&project));
        }
        project
    }

    /// Answers one hook payload: `(status, content type, body)`.
    pub fn answer_event(
        &self,
        body: Vec<u8>,
        project_dir: Option<String>,
    ) -> (u16, &'static str, Vec<u8>) {
        let now = SystemTime::now();
        // The hook process's project is CLAUDE_PROJECT_DIR, which `install --http` passes in a
        // header; without it, the git root of the payload's cwd (the hook's own fallback).
        // A value the client did not substitute (`$CLAUDE_PROJECT_DIR` itself) or blanked is
        // no project dir.
        let project = match project_dir.filter(|d| d.starts_with('/')) {
            Some(d) => self.project(d.clone(), || Some(PathBuf::from(d))),
            None => match probe_cwd(&body) {
                Some(cwd) => self.project(format!("cwd:{cwd}"), || {
                    Some(crate::project::project_dir(None, &PathBuf::from(cwd)))
                }),
                None => self.project(String::new(), || None),
            },
        };
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hook::answer(&project.opts, body, now, |event, now| {
                let runtime = &project.runtime;
                let run = |h: &mut History| {
                    runtime
                        .process_event(event, h)
                        .unwrap_or_else(|| unreachable!("only recorded events are answered"))
                };
                // Build the analyzers before the session's lock, as the hook does.
                if let Some(call) = &event.call {
                    runtime.prepare(&call.tool);
                }
                match &project.store {
                    Some(store) => self.sessions.update(store, &event.session_id, now, run),
                    None => {
                        tracing::warn!("no state dir: history not kept");
                        run(&mut History::new())
                    }
                }
            })
        }))
        .unwrap_or_else(|_| {
            tracing::error!("a request panicked; answered with no feedback");
            Rendered::default()
        });
        http_answer(&rendered)
    }

    fn route(&self, req: Request) -> (u16, &'static str, Vec<u8>) {
        let is_hook = req.path == HOOK_PATH || req.path.starts_with("/hook/");
        match (req.method.as_str(), is_hook, req.path.as_str()) {
            ("POST", true, _) => self.answer_event(req.body, req.project_dir),
            ("GET", _, "/health") => {
                let st = self.sessions.stats();
                let body = serde_json::json!({
                    "status": "ok",
                    "version": env!("CARGO_PKG_VERSION"),
                    "sessions": st.held,
                    "saves": st.saves,
                    "loads": st.loads,
                    "evictions": st.evictions,
                    "flush_ms": self.sessions.flush_interval().as_millis() as u64,
                });
                (200, "application/json", body.to_string().into_bytes())
            }
            (_, true, _) | (_, _, "/health") => {
                (405, "text/plain", b"method not allowed\n".to_vec())
            }
            _ => (404, "text/plain", b"not found\n".to_vec()),
        }
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Serves one connection until it closes, goes idle or the server stops.
    pub fn serve_conn(&self, stream: Stream) {
        let mut conn = Conn::new(stream);
        loop {
            let req = conn.read_request(
                KEEP_ALIVE,
                &|| self.stopping(),
                &|a| self.authorized(a),
                self.max_body,
            );
            let req = match req {
                Ok(r) => r,
                Err(ReadError::Closed | ReadError::Io(_)) => return,
                Err(ReadError::Unauthorized) => {
                    let _ = conn.respond(401, "text/plain", b"missing or wrong token\n", true);
                    return;
                }
                Err(ReadError::TooLarge) => {
                    let e = crate::input::InputError::TooLarge {
                        limit: self.max_body,
                    };
                    let line = format!("posthook: invalid hook input: {e}\n");
                    let _ = conn.respond(413, "text/plain", line.as_bytes(), true);
                    return;
                }
                Err(ReadError::Bad(status, why)) => {
                    let _ = conn.respond(status, "text/plain", format!("{why}\n").as_bytes(), true);
                    return;
                }
            };
            let keep = req.keep_alive;
            let (status, ctype, body) = self.route(req);
            let close = !keep || self.stopping();
            if conn.respond(status, ctype, &body, close).is_err() || close {
                return;
            }
        }
    }

    fn worker(self: Arc<Self>, listener: Arc<Listener>) {
        loop {
            self.idle.fetch_add(1, Ordering::AcqRel);
            let accepted = listener.accept();
            let idle = self.idle.fetch_sub(1, Ordering::AcqRel) - 1;
            if self.stopping() {
                break;
            }
            match accepted {
                Ok(stream) => {
                    if idle == 0 {
                        self.spawn_worker(&listener);
                    }
                    self.serve_conn(stream);
                }
                Err(e) => {
                    // Out of descriptors, say: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            if self.idle.load(Ordering::Acquire) >= MIN_IDLE {
                break;
            }
        }
        self.live.fetch_sub(1, Ordering::AcqRel);
        let _g = self.done.0.lock();
        self.done.1.notify_all();
    }

    fn spawn_worker(self: &Arc<Self>, listener: &Arc<Listener>) {
        if self.live.fetch_add(1, Ordering::AcqRel) >= self.max_threads {
            self.live.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let me = Arc::clone(self);
        let l = Arc::clone(listener);
        let spawned = std::thread::Builder::new()
            .name(String::from("posthook-http"))
            .spawn(move || me.worker(l));
        if let Err(e) = spawned {
            self.live.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(error = %e, "no new worker thread");
        }
    }

    /// Serves `listener` until [`Server::shutdown`]; returns once every worker has finished
    /// (or `grace` has passed).
    pub fn start(self: &Arc<Self>, listener: Listener) -> Arc<Listener> {
        let listener = Arc::new(listener);
        for _ in 0..MIN_IDLE {
            self.spawn_worker(&listener);
        }
        listener
    }

    /// Stops accepting, lets running requests finish (each is bounded by the request timeout),
    /// waits for the workers up to `grace`, then writes every session. Returns the number of
    /// sessions written and whether every worker had finished.
    pub fn shutdown(&self, addr: SocketAddr, grace: Duration) -> (usize, bool) {
        self.stopping.store(true, Ordering::Release);
        // Wake the workers blocked in accept: each takes one of these and sees the flag.
        for _ in 0..self.idle.load(Ordering::Acquire) + 1 {
            let _ = Stream::connect(addr);
        }
        let until = Instant::now() + grace;
        let mut g = self
            .done
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while self.live.load(Ordering::Acquire) > 0 {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            g = self
                .done
                .1
                .wait_timeout(g, left.min(Duration::from_millis(50)))
                .map_or_else(|p| p.into_inner().0, |(g, _)| g);
        }
        drop(g);
        let finished = self.live.load(Ordering::Acquire) == 0;
        self.sessions.stop();
        (self.sessions.flush_all(), finished)
    }
}

fn dir_text(dir: &Option<PathBuf>) -> Option<String> {
    dir.as_ref().map(|d| d.to_string_lossy().into_owned())
}

fn init_log(level: &str) {
    if std::env::var_os("POSTHOOK_LOG").is_some_and(|p| !p.is_empty()) {
        crate::telemetry::init(level);
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init();
}

fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "posthook serve: {line}");
}

/// `posthook serve`: runs in the foreground until SIGTERM or SIGINT, its log on stderr.
pub fn run(args: &ServeArgs, flags: config::Layer) -> ExitCode {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let base = config::resolve_current(flags.clone());
    init_log(&base.config.log_level);
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        say(&format!(
            "refusing to listen on {}: not a loopback address (the server analyzes whatever \
             reaches it; pass --allow-non-loopback to do it anyway)",
            args.listen
        ));
        return ExitCode::FAILURE;
    }
    let env = |k: &str| std::env::var_os(k);
    let Some(token_path) = args
        .token_file
        .clone()
        .or_else(|| token::default_path(&env))
    else {
        say("no config dir for the token (set HOME or XDG_CONFIG_HOME, or pass --token-file)");
        return ExitCode::FAILURE;
    };
    let token = match token::load_or_create(&token_path) {
        Ok(t) => t,
        Err(e) => {
            say(&format!("token file '{}': {e}", token_path.display()));
            return ExitCode::FAILURE;
        }
    };
    // A flag the main thread polls, not signal-hook's iterator: that one's self-pipe imports
    // `send` from libc, which every hook call would pay the loader for.
    let term = Arc::new(AtomicBool::new(false));
    let int = Arc::new(AtomicBool::new(false));
    for (sig, flag) in [(SIGTERM, &term), (SIGINT, &int)] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(flag)) {
            say(&format!("cannot handle signals: {e}"));
            return ExitCode::FAILURE;
        }
    }
    let listener = match Listener::bind(args.listen) {
        Ok(l) => l,
        Err(e) => {
            say(&format!("cannot listen on {}: {e}", args.listen));
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(args.listen);
    let sessions = Sessions::new(args.max_sessions, Duration::from_millis(args.flush_ms));
    let mut server = Server::new(token, flags, sessions);
    server.max_threads = args.max_threads.max(MIN_IDLE);
    let server = Arc::new(server);
    let sweep_dir = base.config.state_dir.clone();
    let flusher = {
        let s = Arc::clone(&server);
        std::thread::Builder::new()
            .name(String::from("posthook-flush"))
            .spawn(move || s.sessions().run_flusher(sweep_dir.as_deref()))
    };
    let _listener = server.start(listener);
    say(&format!(
        "listening on http://{addr}{HOOK_PATH} (token in {}, state in {}, sessions written within {} ms)",
        token_path.display(),
        base.config
            .state_dir
            .as_ref()
            .map_or_else(|| String::from("(none)"), |d| d.display().to_string()),
        args.flush_ms
    ));
    while !term.load(Ordering::Acquire) && !int.load(Ordering::Acquire) {
        std::thread::sleep(SIGNAL_POLL);
    }
    say(&format!(
        "{}: stopping",
        if int.load(Ordering::Acquire) {
            "SIGINT"
        } else {
            "SIGTERM"
        }
    ));
    let (written, finished) = server.shutdown(addr, Duration::from_secs(15));
    if let Ok(f) = flusher {
        let _ = f.join();
    }
    if !finished {
        say("some requests were still running after 15 s; their events may be lost");
    }
    say(&format!("stopped; {written} session(s) written"));
    ExitCode::SUCCESS
}
