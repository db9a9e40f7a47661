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
//! - A crash of the server loses at most the events answered in the last flush interval, and
//!   their counts in the record (`--flush-ms`, default 100; 0 saves each event before answering). SIGTERM and SIGINT stop
//!   accepting, let running requests finish, and write every session before exiting.
//! - The wire is hyper's HTTP/1.1 on a tokio runtime, with bounds on what a peer controls: the
//!   head's size and the time it may take, the body's size and time, and the connections open
//!   ([`conns`]: at most 512, the longest idle closed first to make room).
//!
//! The tree: `server` (the shared state, the connections' tasks, the routes, the shutdown),
//! `conns` (the open connections and their bounds), `answer` (one event: its project's
//! configuration, the hook's answer, as HTTP), `sessions`, `token`, `owner`, `service`, `client`;
//! this module: the arguments, the errors and the command.

mod answer;
pub(crate) mod client;
mod conns;
#[cfg(feature = "otlp")]
mod otlp;
mod owner;
mod server;
pub(crate) mod service;
pub(crate) mod sessions;
pub(crate) mod token;

pub(crate) use server::Server;

use crate::config;
use sessions::Sessions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The default address: loopback, a fixed port that `install --http` also writes.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:47311";
/// The path Claude Code posts events to (`/hook/<anything>` is accepted as well).
pub(crate) const HOOK_PATH: &str = "/hook";
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
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub flags: crate::config::HookFlags,
    /// Address to listen on; loopback only unless --allow-non-loopback.
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Listen on an address other than loopback (anyone who can reach it and has the token can
    /// use it).
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Write sessions with new events, and the record's counts of them, within this many
    /// milliseconds (what a crash of the server can lose); 0 saves every event before answering it.
    #[arg(long, default_value_t = sessions::DEFAULT_FLUSH_INTERVAL.as_millis() as u64, value_name = "MS")]
    pub flush_ms: u64,
    /// Sessions held in memory; the least recently used beyond this are dropped (they are on
    /// disk) [default: 2048].
    #[arg(long, default_value_t = sessions::DEFAULT_CAPACITY, value_name = "N")]
    pub max_sessions: usize,
    /// Most threads answering requests (one per core up to this; connections waiting for a
    /// request hold none).
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_threads: usize,
    /// The token file [default: $XDG_CONFIG_HOME/posthook/serve.token or
    /// ~/.config/posthook/serve.token].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// `--listen` is not a loopback address and `--allow-non-loopback` was not given.
    #[error(
        "refusing to listen on {0}: not a loopback address (the server analyzes whatever \
         reaches it; pass --allow-non-loopback to do it anyway)"
    )]
    NotLoopback(SocketAddr),
    /// No `--token-file` and no config dir to put the token in.
    #[error("no config dir for the token (set HOME or XDG_CONFIG_HOME, or pass --token-file)")]
    NoTokenDir,
    /// The token file could not be read or created.
    #[error("token file '{}': {source}", path.display())]
    Token {
        /// The token file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// SIGTERM and SIGINT could not be handled.
    #[error("cannot handle signals: {0}")]
    Signals(#[source] std::io::Error),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What happened.
        source: std::io::Error,
    },
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
pub(crate) fn run(args: &ServeArgs, flags: config::Layer) -> Result<(), ServeError> {
    let base = config::resolve_current(flags.clone());
    init_log(&base.config.log_level);
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        return Err(ServeError::NotLoopback(args.listen));
    }
    let (token_path, token) = load_token(args)?;
    let signals = Signals::register()?;
    let listener =
        std::net::TcpListener::bind(args.listen).map_err(|source| ServeError::Listen {
            addr: args.listen,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(args.listen);
    let sessions = Sessions::new(args.max_sessions, Duration::from_millis(args.flush_ms));
    let listen_err = |source| ServeError::Listen {
        addr: args.listen,
        source,
    };
    let mut server = Server::new(token, flags, sessions);
    server.max_threads = args.max_threads.max(1);
    let server = Arc::new(server);
    let sweep_dir = base.config.state_dir.clone();
    let flusher = {
        let s = Arc::clone(&server);
        std::thread::Builder::new()
            .name(String::from("posthook-flush"))
            .spawn(move || s.sessions().run_flusher(sweep_dir.as_deref()))
    };
    server.start(listener).map_err(listen_err)?;
    say(&format!(
        "listening on http://{addr}{HOOK_PATH} (token in {}, state in {}, sessions written within {} ms)",
        token_path.display(),
        base.config
            .state_dir
            .as_ref()
            .map_or_else(|| String::from("(none)"), |d| d.display().to_string()),
        args.flush_ms
    ));
    signals.wait();
    stop(&server, flusher);
    Ok(())
}

/// The token file `--token-file` names, else the default one, and the token in it (created on
/// first start).
fn load_token(args: &ServeArgs) -> Result<(PathBuf, String), ServeError> {
    let env = |k: &str| std::env::var_os(k);
    let token_path = args
        .token_file
        .clone()
        .or_else(|| token::default_path(&env))
        .ok_or(ServeError::NoTokenDir)?;
    match token::load_or_create(&token_path) {
        Ok(t) => Ok((token_path, t)),
        Err(source) => Err(ServeError::Token {
            path: token_path,
            source,
        }),
    }
}

/// SIGTERM and SIGINT, as flags the main thread polls.
struct Signals {
    term: Arc<AtomicBool>,
    int: Arc<AtomicBool>,
}

impl Signals {
    fn register() -> Result<Signals, ServeError> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        // A flag the main thread polls, not signal-hook's iterator: that one's self-pipe imports
        // `send` from libc, which every hook call would pay the loader for.
        let term = Arc::new(AtomicBool::new(false));
        let int = Arc::new(AtomicBool::new(false));
        for (sig, flag) in [(SIGTERM, &term), (SIGINT, &int)] {
            signal_hook::flag::register(sig, Arc::clone(flag)).map_err(ServeError::Signals)?;
        }
        Ok(Signals { term, int })
    }

    /// Returns once either has arrived, saying which.
    fn wait(&self) {
        while !self.term.load(Ordering::Acquire) && !self.int.load(Ordering::Acquire) {
            std::thread::sleep(SIGNAL_POLL);
        }
        say(&format!(
            "{}: stopping",
            if self.int.load(Ordering::Acquire) {
                "SIGINT"
            } else {
                "SIGTERM"
            }
        ));
    }
}

/// Stops the server, waits for the flusher, and says how it went.
fn stop(server: &Server, flusher: std::io::Result<JoinHandle<()>>) {
    let (written, finished) = server.shutdown(Duration::from_secs(15));
    if let Ok(f) = flusher {
        let _ = f.join();
    }
    if !finished {
        say("some requests were still running after 15 s; their events may be lost");
    }
    say(&format!("stopped; {written} session(s) written"));
}
