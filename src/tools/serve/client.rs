//! A minimal client for the server, as `doctor`, `service status` and `--bench --mode http` use
//! it: one request per connection, as Claude Code sends them, or several on one kept-alive
//! connection.

use super::net::Stream;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long the client waits for a connection or an answer.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// One answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// A connection to the server.
pub(crate) struct Client {
    stream: Stream,
    buf: Vec<u8>,
}

impl Client {
    /// Connects to `addr`.
    pub(crate) fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = Stream::connect(addr)?;
        stream.set_nodelay()?;
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Connects to `addr` and checks that the process answering runs as this user (see
    /// [`super::owner`]) before anything, the token above all, is sent.
    pub(crate) fn connect_verified(addr: SocketAddr) -> Result<Client, HealthError> {
        let c = Client::connect(addr).map_err(|e| HealthError::Down(e.to_string()))?;
        let local = c
            .stream
            .local_addr()
            .map_err(|e| HealthError::Down(e.to_string()))?;
        super::owner::verify(local, addr).map_err(HealthError::NotOurs)?;
        Ok(c)
    }

    /// Sends one request and reads its answer (`keep_alive`: the connection stays open).
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
        keep_alive: bool,
    ) -> io::Result<Answer> {
        let mut req = Vec::with_capacity(256 + body.len());
        write!(
            req,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        )?;
        if let Some(t) = token {
            write!(req, "Authorization: Bearer {t}\r\n")?;
        }
        if !keep_alive {
            req.extend_from_slice(b"Connection: close\r\n");
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        self.stream.write_all(&req)?;
        self.read_answer()
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the answer",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn read_answer(&mut self) -> io::Result<Answer> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let status = resp.code.unwrap_or(0);
                    let len = resp
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok())
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    self.buf.drain(..n);
                    if status == 100 {
                        continue;
                    }
                    while self.buf.len() < len {
                        self.fill()?;
                    }
                    let rest = self.buf.split_off(len);
                    let body = std::mem::replace(&mut self.buf, rest);
                    return Ok(Answer { status, body });
                }
                Ok(httparse::Status::Partial) => self.fill()?,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
        }
    }
}

/// What `/health` said, and how long a round trip took.
#[derive(Debug, Clone)]
pub(crate) struct Health {
    /// Sessions the server holds.
    pub sessions: u64,
    /// Median round trip, new connection each, in ms.
    pub median_ms: f64,
    /// Round trips measured.
    pub samples: usize,
}

/// Why `/health` gave no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HealthError {
    /// Nothing answers, or not as the server does.
    #[error("{0}")]
    Down(String),
    /// The process at the address runs as another user: nothing was sent to it.
    #[error("{0}")]
    NotOurs(String),
}

/// Asks the server at `addr` for `/health` a few times (new connection each) with the user's
/// token.
pub(crate) fn health(addr: SocketAddr) -> Result<Health, HealthError> {
    let env = |k: &str| std::env::var_os(k);
    let path = super::token::default_path(&env)
        .ok_or_else(|| HealthError::Down(String::from("no config dir for the token")))?;
    let token = super::token::load(&path)
        .map_err(|e| HealthError::Down(format!("token file '{}': {e}", path.display())))?;
    health_with(addr, &token)
}

/// [`health`] with a given token. Each connection is verified ([`Client::connect_verified`])
/// before the token is sent on it.
pub(crate) fn health_with(addr: SocketAddr, token: &str) -> Result<Health, HealthError> {
    let down = |e: String| HealthError::Down(e);
    let mut times = Vec::new();
    let mut sessions = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let a = Client::connect_verified(addr)?
            .request("GET", "/health", Some(token), b"", false)
            .map_err(|e| down(e.to_string()))?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        if a.status == 401 {
            return Err(down(String::from("401: the server has another token")));
        }
        if a.status != 200 {
            return Err(down(format!("status {}", a.status)));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&a.body).map_err(|e| down(e.to_string()))?;
        sessions = v["sessions"].as_u64().unwrap_or(0);
    }
    times.sort_by(f64::total_cmp);
    Ok(Health {
        sessions,
        median_ms: times[times.len() / 2],
        samples: times.len(),
    })
}
