//! The server's shared state and its threads: a pool of workers that take turns accepting
//! connections and serve ready ones one request at a time, grown when all are busy; one poller
//! that watches the connections without a request yet until they have bytes
//! ([`super::waiting`]); the routes; the shutdown.

use super::answer::Project;
use super::http::{Conn, ReadError, Request, HEAD_TIMEOUT};
use super::net::Listener;
use super::sessions::Sessions;
use super::waiting::{Waiting, Work, LISTENER};
use super::{token, HOOK_PATH, KEEP_ALIVE, MIN_IDLE, PROJECTS};
use crate::config;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How often the poller looks at the stop flag and the waits that are over.
const POLL: Duration = Duration::from_millis(100);
/// How long a worker beyond the [`MIN_IDLE`] kept waiting stays without work.
const WORKER_IDLE: Duration = Duration::from_secs(30);

/// The server's shared state.
pub(crate) struct Server {
    token: String,
    pub(super) flags: config::Layer,
    pub(super) sessions: Sessions,
    pub(super) projects: Mutex<LruCache<String, Arc<Project>>>,
    stopping: AtomicBool,
    max_body: u64,
    waiting: Waiting,
    /// Where new connections come from (set by [`Server::start`]).
    /// Threads running: the poller and the workers.
    live: AtomicUsize,
    pub(super) max_threads: usize,
    done: (Mutex<()>, Condvar),
    /// The OTLP exporter, when an endpoint is configured.
    #[cfg(feature = "otlp")]
    pub(super) otlp: Option<super::otlp::Exporter>,
}

impl Server {
    /// A server answering with `token`, the configuration `flags` over each project's files,
    /// and `sessions`.
    pub(crate) fn new(
        token: String,
        flags: config::Layer,
        sessions: Sessions,
    ) -> std::io::Result<Server> {
        Ok(Server {
            token,
            flags,
            sessions,
            projects: Mutex::new(LruCache::new(
                NonZeroUsize::new(PROJECTS).unwrap_or(NonZeroUsize::MIN),
            )),
            stopping: AtomicBool::new(false),
            max_body: crate::input::DEFAULT_MAX_INPUT,
            waiting: Waiting::new()?,
            live: AtomicUsize::new(0),
            max_threads: 256,
            done: (Mutex::new(()), Condvar::new()),
            #[cfg(feature = "otlp")]
            otlp: super::otlp::Exporter::from_env(),
        })
    }

    /// The sessions.
    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    fn authorized(&self, value: Option<&[u8]>) -> bool {
        let Some(v) = value else { return false };
        let Some(given) = v.strip_prefix(b"Bearer ") else {
            return false;
        };
        token::matches(given.trim_ascii(), self.token.as_bytes())
    }

    fn route(&self, req: Request) -> (u16, &'static str, Vec<u8>) {
        let is_hook = req.path == HOOK_PATH || req.path.starts_with("/hook/");
        match (req.method.as_str(), is_hook, req.path.as_str()) {
            ("POST", true, _) => self.answer_request(req),
            ("GET", _, "/health") => {
                let st = self.sessions.stats();
                let body = serde_json::json!({
                    "status": "ok",
                    "version": env!("CARGO_PKG_VERSION"),
                    "sessions": st.held,
                    "saves": st.saves,
                    "loads": st.loads,
                    "evictions": st.evictions,
                    "connections": self.waiting.open(),
                    "connections_closed_for_room": self.waiting.evicted.load(Ordering::Relaxed),
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

    /// Serves the requests that have arrived on `conn`: the one that made it ready, and any
    /// pipelined behind it. Returns the connection when it is to be kept for its next request.
    pub(crate) fn serve_ready(&self, mut conn: Conn) -> Option<Conn> {
        loop {
            let req = conn.read_request(
                HEAD_TIMEOUT,
                &|| self.stopping(),
                &|a| self.authorized(a),
                self.max_body,
            );
            let req = match req {
                Ok(r) => r,
                Err(e) => {
                    self.refuse(&mut conn, e);
                    return None;
                }
            };
            let keep = req.keep_alive;
            let (status, ctype, body) = self.route(req);
            let close = !keep || self.stopping();
            if conn.respond(status, ctype, &body, close).is_err() || close {
                return None;
            }
            if !conn.has_buffered() {
                conn.shrink();
                return Some(conn);
            }
        }
    }

    /// Answers a request that could not be read, where there is anything to answer.
    fn refuse(&self, conn: &mut Conn, e: ReadError) {
        match e {
            ReadError::Closed => {}
            ReadError::Io(e) => tracing::debug!(error = %e, "connection failed"),
            ReadError::Unauthorized => {
                let _ = conn.respond(401, "text/plain", b"missing or wrong token\n", true);
            }
            ReadError::TooLarge => {
                let e = crate::input::InputError::TooLarge {
                    limit: self.max_body,
                };
                let line = format!("posthook: invalid hook input: {e}\n");
                let _ = conn.respond(413, "text/plain", line.as_bytes(), true);
            }
            ReadError::Bad(status, why) => {
                let _ = conn.respond(status, "text/plain", format!("{why}\n").as_bytes(), true);
            }
        }
    }

    /// A worker: takes ready connections and serves them; goes when the server stops, or when
    /// it has waited [`WORKER_IDLE`] with more than [`MIN_IDLE`] others waiting too.
    fn worker(self: Arc<Self>) {
        let retire = |waited: Duration| {
            waited >= WORKER_IDLE && self.waiting.idle_workers.load(Ordering::Acquire) >= MIN_IDLE
        };
        while let Some(work) = self.waiting.take(&|| self.stopping(), &retire) {
            let conn = match work {
                Work::Serve(conn) => conn,
                Work::Accept => match self.accept_one() {
                    Some(conn) => conn,
                    None => continue,
                },
            };
            match self.serve_ready(conn) {
                Some(conn) if !self.stopping() => self.waiting.park(conn, KEEP_ALIVE),
                _ => self.waiting.release(),
            }
        }
        self.live.fetch_sub(1, Ordering::AcqRel);
        let _g = self.done.0.lock();
        self.done.1.notify_all();
    }

    fn spawn_worker(self: &Arc<Self>) {
        // `live` counts the poller too.
        if self.live.fetch_add(1, Ordering::AcqRel) > self.max_threads {
            self.live.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(String::from("posthook-http"))
            .spawn(move || me.worker());
        if let Err(e) = spawned {
            self.live.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(error = %e, "no new worker thread");
        }
    }

    /// The thread that watches the connections without a request until they have bytes to read.
    fn poller(self: Arc<Self>) {
        let mut events = Vec::with_capacity(256);
        let mut swept = Instant::now();
        while !self.stopping() {
            for key in self.waiting.wait(POLL, &mut events) {
                if key == LISTENER {
                    self.waiting.listener_ready();
                } else {
                    self.waiting.make_ready(key);
                }
                self.worker_for_ready();
            }
            if swept.elapsed() >= POLL {
                self.waiting.sweep();
                swept = Instant::now();
            }
        }
        self.waiting.close_all();
        self.live.fetch_sub(1, Ordering::AcqRel);
        let _g = self.done.0.lock();
        self.done.1.notify_all();
    }

    /// A connection was queued: a new worker when none waits for it.
    fn worker_for_ready(self: &Arc<Self>) {
        if self.waiting.idle_workers.load(Ordering::Acquire) == 0 {
            self.spawn_worker();
        }
    }

    /// The accept turn: waits up to [`POLL`] for a new connection, hands the turn on, and
    /// returns the connection when its request has arrived (else it is parked or refused).
    fn accept_one(self: &Arc<Self>) -> Option<Conn> {
        let listener = self.waiting.listener()?;
        let accepted = listener.accept_within(POLL);
        self.waiting.end_turn(matches!(accepted, Ok(Some(_))));
        match accepted {
            Ok(Some((stream, peer))) => {
                // No worker left to take the turn: another one.
                self.worker_for_ready();
                self.waiting.admit(Conn::from_peer(stream, peer), peer)
            }
            Ok(None) => None,
            Err(e) => {
                // Out of descriptors, say: the connection waits in the backlog meanwhile.
                tracing::warn!(error = %e, "accept failed");
                std::thread::sleep(Duration::from_millis(10));
                None
            }
        }
    }

    /// Serves `listener` until [`Server::shutdown`]: the poller thread and [`MIN_IDLE`] workers.
    pub(crate) fn start(self: &Arc<Self>, listener: Listener) -> std::io::Result<()> {
        listener.set_nonblocking()?;
        if !self.waiting.set_listener(listener)? {
            return Err(std::io::Error::other("the server is already started"));
        }
        self.live.fetch_add(1, Ordering::AcqRel);
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name(String::from("posthook-poll"))
            .spawn(move || me.poller());
        if let Err(e) = spawned {
            self.live.fetch_sub(1, Ordering::AcqRel);
            return Err(e);
        }
        for _ in 0..MIN_IDLE {
            self.spawn_worker();
        }
        Ok(())
    }

    /// Stops accepting, closes the connections waiting for a request, lets running requests
    /// finish (each is bounded by the request timeout), waits for the threads up to `grace`,
    /// then writes every session. Returns the number of sessions written and whether every
    /// thread had finished.
    pub(crate) fn shutdown(&self, grace: Duration) -> (usize, bool) {
        self.stopping.store(true, Ordering::Release);
        self.waiting.close_all();
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
        #[cfg(feature = "otlp")]
        if let Some(x) = &self.otlp {
            x.shutdown();
        }
        (self.sessions.flush_all(), finished)
    }
}
