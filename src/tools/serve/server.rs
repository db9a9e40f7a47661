//! The server's shared state and its threads: a pool of workers blocked in `accept`, each serving
//! one connection at a time, grown when all are busy; the routes; the shutdown.

use super::answer::Project;
use super::http::{Conn, ReadError, Request};
use super::net::{Listener, Stream};
use super::sessions::Sessions;
use super::{token, HOOK_PATH, KEEP_ALIVE, MIN_IDLE, PROJECTS};
use crate::config;
use lru::LruCache;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The server's shared state.
pub(crate) struct Server {
    token: String,
    pub(super) flags: config::Layer,
    pub(super) sessions: Sessions,
    pub(super) projects: Mutex<LruCache<String, Arc<Project>>>,
    stopping: AtomicBool,
    max_body: u64,
    idle: AtomicUsize,
    live: AtomicUsize,
    pub(super) max_threads: usize,
    done: (Mutex<()>, Condvar),
}

impl Server {
    /// A server answering with `token`, the configuration `flags` over each project's files,
    /// and `sessions`.
    pub(crate) fn new(token: String, flags: config::Layer, sessions: Sessions) -> Server {
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
    pub(crate) fn serve_conn(&self, stream: Stream) {
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
                Err(ReadError::Closed) => return,
                Err(ReadError::Io(e)) => {
                    tracing::debug!(error = %e, "connection failed");
                    return;
                }
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
    pub(crate) fn start(self: &Arc<Self>, listener: Listener) -> Arc<Listener> {
        let listener = Arc::new(listener);
        for _ in 0..MIN_IDLE {
            self.spawn_worker(&listener);
        }
        listener
    }

    /// Stops accepting, lets running requests finish (each is bounded by the request timeout),
    /// waits for the workers up to `grace`, then writes every session. Returns the number of
    /// sessions written and whether every worker had finished.
    pub(crate) fn shutdown(&self, addr: SocketAddr, grace: Duration) -> (usize, bool) {
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
