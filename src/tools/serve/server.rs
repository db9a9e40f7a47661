//! The server's shared state and how it serves: hyper's HTTP/1.1 on a tokio runtime, one task a
//! connection, bounded as [`super::conns`] says; the routes; the shutdown.
//!
//! hyper reads each request head within [`HEAD_TIMEOUT`] (counted from the connection's start or
//! its last answer, so it also closes a silent connection), caps the head at [`MAX_HEAD`] bytes
//! and [`MAX_HEADERS`] headers, decodes chunked bodies and answers `Expect: 100-continue` only
//! when the body is first read, which is after the token was checked. The runtime has a thread per
//! core (at most `--max-threads`), and a hook request is answered on the thread that read it.

use super::conns::Conns;
use super::{token, HOOK_PATH, PROJECTS};
use crate::config;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use lru::LruCache;
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How long a request head may take to arrive, from the connection's start or its last answer:
/// a connection that sends nothing, or dribbles a head byte by byte, is closed after this.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request's body may take once its head has arrived.
pub(crate) const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The bound on a request head: one still incomplete when hyper's read buffer holds this much is
/// refused (431).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most headers a request may have.
pub(crate) const MAX_HEADERS: usize = 64;

enum BodyError {
    TooLarge,
    Bad(hyper::Error),
}

/// Reads a request's body into one buffer, refusing it once it passes `max`. The buffer is
/// reserved for the declared length up to 1 MiB (beyond that the length is the peer's claim until
/// the bytes come), so a body is copied once, from hyper's frames.
async fn read_body(
    req: Request<Incoming>,
    max: u64,
    declared: Option<u64>,
) -> Result<Vec<u8>, BodyError> {
    let reserve = declared.unwrap_or(0).min(1 << 20);
    let mut buf = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Bad)?;
        if let Some(data) = frame.data_ref() {
            if (buf.len() + data.len()) as u64 > max {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(buf)
}

/// An open connection's place among [`Server::conns`], given back when dropped: when the
/// connection ends, is closed to make room, or its task is dropped or panics (else a lost place
/// would count as busy for ever, and enough of them would refuse every new connection).
struct Open(Arc<Server>, u64);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.conns.remove(self.1);
    }
}

/// The server's shared state.
pub(crate) struct Server {
    token: String,
    pub(super) flags: config::Layer,
    pub(super) sessions: super::Sessions,
    pub(super) projects: Mutex<LruCache<String, Arc<super::answer::Project>>>,
    max_body: u64,
    conns: Conns,
    pub(super) max_threads: usize,
    /// Set once by [`Server::start`]: the runtime, the stop signal, the accepting task.
    running: Mutex<Option<Running>>,
    /// The OTLP exporter, when an endpoint is configured.
    #[cfg(feature = "otlp")]
    pub(super) otlp: Option<super::otlp::Exporter>,
}

struct Running {
    runtime: tokio::runtime::Runtime,
    stop: watch::Sender<bool>,
    accepting: tokio::task::JoinHandle<()>,
}

type Answer = Response<Full<Bytes>>;

fn answer(status: u16, content_type: &'static str, body: Vec<u8>, close: bool) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if status == 401 {
        r.headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
    }
    if close {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

fn text(status: u16, line: &str) -> Answer {
    answer(status, "text/plain", format!("{line}\n").into_bytes(), true)
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

impl Server {
    /// A server answering with `token`, the configuration `flags` over each project's files,
    /// and `sessions`.
    pub(crate) fn new(token: String, flags: config::Layer, sessions: super::Sessions) -> Server {
        Server {
            token,
            flags,
            sessions,
            projects: Mutex::new(LruCache::new(
                NonZeroUsize::new(PROJECTS).unwrap_or(NonZeroUsize::MIN),
            )),
            max_body: crate::input::DEFAULT_MAX_INPUT,
            conns: Conns::default(),
            max_threads: 256,
            running: Mutex::new(None),
            #[cfg(feature = "otlp")]
            otlp: super::otlp::Exporter::from_env(),
        }
    }

    /// The sessions.
    pub(crate) fn sessions(&self) -> &super::Sessions {
        &self.sessions
    }

    fn authorized(&self, req: &Request<Incoming>) -> bool {
        let Some(given) = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        else {
            return false;
        };
        token::matches(given.trim_ascii(), self.token.as_bytes())
    }

    fn health(&self) -> Answer {
        let st = self.sessions.stats();
        let body = serde_json::json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "sessions": st.held,
            "saves": st.saves,
            "loads": st.loads,
            "evictions": st.evictions,
            "connections": self.conns.open(),
            "connections_closed_for_room": self.conns.evicted.load(Ordering::Relaxed),
            "flush_ms": self.sessions.flush_interval().as_millis() as u64,
        });
        answer(
            200,
            "application/json",
            body.to_string().into_bytes(),
            false,
        )
    }

    /// One request: the token first (no body is read without it), then the route.
    async fn route(self: Arc<Self>, req: Request<Incoming>) -> Answer {
        if !self.authorized(&req) {
            return text(401, "missing or wrong token");
        }
        let path = req.uri().path();
        let is_hook = path == HOOK_PATH || path.starts_with("/hook/");
        match (req.method(), is_hook, path) {
            (&Method::POST, true, _) => self.hook_request(req).await,
            (&Method::GET, _, "/health") => self.health(),
            (_, true, _) | (_, _, "/health") => text(405, "method not allowed"),
            _ => text(404, "not found"),
        }
    }

    /// A hook event: its body, read within the cap and [`BODY_TIMEOUT`], answered as the hook
    /// would answer it.
    async fn hook_request(self: Arc<Self>, req: Request<Incoming>) -> Answer {
        let too_large = || {
            let e = crate::input::InputError::TooLarge {
                limit: self.max_body,
            };
            text(413, &format!("posthook: invalid hook input: {e}"))
        };
        let declared = header(&req, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_body) {
            return too_large();
        }
        let project_dir = header(&req, "x-posthook-project-dir").map(String::from);
        #[cfg(feature = "otlp")]
        let traceparent = header(&req, "traceparent").map(String::from);
        let body = match tokio::time::timeout(BODY_TIMEOUT, read_body(req, self.max_body, declared))
            .await
        {
            Err(_) => return text(408, "request timeout"),
            Ok(Err(BodyError::TooLarge)) => return too_large(),
            Ok(Err(BodyError::Bad(e))) => {
                tracing::debug!(error = %e, "request body not read");
                return text(400, "bad request body");
            }
            Ok(Ok(b)) => b,
        };
        #[cfg(feature = "otlp")]
        let export = self
            .otlp
            .as_ref()
            .map(|x| (x, traceparent.as_deref(), std::time::SystemTime::now()));
        #[cfg(not(feature = "otlp"))]
        let export = None;
        // On the runtime's thread: handing the work to another thread (`block_in_place`,
        // `spawn_blocking`) cost 20-35 us a request, more than most answers take.
        let (status, ctype, out) = self.answer_event(body, project_dir, export);
        answer(status, ctype, out, false)
    }

    /// Serves one accepted connection until it closes, is closed to make room, or the server
    /// stops.
    fn serve_conn(
        self: &Arc<Self>,
        stream: tokio::net::TcpStream,
        peer: std::net::IpAddr,
        graceful: &GracefulShutdown,
    ) {
        let Some((key, closed)) = self.conns.admit(peer) else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let me = Arc::clone(self);
        let service = hyper::service::service_fn(move |req| {
            let me = Arc::clone(&me);
            async move {
                me.conns.set_busy(key, true);
                let a = Arc::clone(&me).route(req).await;
                me.conns.set_busy(key, false);
                Ok::<_, Infallible>(a)
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .max_buf_size(MAX_HEAD)
            .max_headers(MAX_HEADERS)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        let open = Open(Arc::clone(self), key);
        tokio::spawn(async move {
            let _open = open;
            tokio::select! {
                r = conn => if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended");
                },
                // Closed to make room, or by a stopping server: dropping it closes it.
                _ = closed => {}
            }
        });
    }

    /// Accepts until told to stop, then lets running requests finish.
    async fn accept(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        mut stop: watch::Receiver<bool>,
    ) {
        let graceful = GracefulShutdown::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => self.serve_conn(stream, peer.ip(), &graceful),
                    Err(e) => {
                        // Out of descriptors, say: the connection waits in the backlog meanwhile.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                _ = stop.changed() => break,
            }
        }
        drop(listener);
        self.conns.close_idle();
        graceful.shutdown().await;
    }

    /// Serves `listener` until [`Server::shutdown`].
    pub(crate) fn start(self: &Arc<Self>, listener: std::net::TcpListener) -> std::io::Result<()> {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.is_some() {
            return Err(std::io::Error::other("the server is already started"));
        }
        listener.set_nonblocking(true)?;
        let cores = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores.min(self.max_threads).max(1))
            .thread_name("posthook-http")
            .enable_all()
            .build()?;
        let listener = {
            let _in = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, stopped) = watch::channel(false);
        let accepting = runtime.spawn(Arc::clone(self).accept(listener, stopped));
        *running = Some(Running {
            runtime,
            stop,
            accepting,
        });
        Ok(())
    }

    /// Stops accepting, closes idle connections, lets running requests finish, waits up to
    /// `grace`, then writes every session. Returns the number of sessions written and whether
    /// every request had finished.
    pub(crate) fn shutdown(&self, grace: Duration) -> (usize, bool) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let finished = running.is_none_or(|r| {
            let _ = r.stop.send(true);
            let done = r
                .runtime
                .block_on(async { tokio::time::timeout(grace, r.accepting).await })
                .is_ok();
            r.runtime.shutdown_timeout(Duration::from_millis(100));
            done
        });
        self.sessions.stop();
        #[cfg(feature = "otlp")]
        if let Some(x) = &self.otlp {
            x.shutdown();
        }
        (self.sessions.flush_all(), finished)
    }
}
