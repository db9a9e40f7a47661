//! The little HTTP/1.1 the server speaks: one request at a time per connection (keep-alive and
//! pipelining work; nothing is interleaved), bodies by `Content-Length` or chunked, `Expect:
//! 100-continue`, and hard bounds on everything a peer controls: the head's size, the body's
//! size, the time a request may take to arrive, and the time an idle connection is kept.
//!
//! The request head is parsed by `httparse` (the parser hyper uses, fuzzed and allocation-free)
//! and a chunked body decoded incrementally, both in [`super::wire`] (pure, fuzzed); the rest is
//! plain blocking I/O on a socket ([`super::net`]).

use super::net::Stream;
use super::wire::{parse_head, Chunked, WireError};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

/// The most a request head may take: 64 KiB.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// How long one request may take to arrive once its first byte has.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long its head (request line and headers) may take: a peer that dribbles a head byte by
/// byte holds a worker no longer than this.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a connection waiting for its next request checks whether the server is stopping.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// One request, as the server needs it.
#[derive(Debug, Default)]
pub(crate) struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `X-Posthook-Project-Dir` header's value.
    pub project_dir: Option<String>,
    /// The W3C `traceparent` header's value.
    #[cfg(feature = "otlp")]
    pub traceparent: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
}

/// Why no request was read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection (or it stayed idle too long, or the server is stopping)
    /// between requests: nothing to answer.
    Closed,
    /// A request that cannot be served; answer with this status and close.
    Bad(u16, &'static str),
    /// The body is larger than the cap: answer 413 and close.
    TooLarge,
    /// The head was read and is not authorized: answer 401 and close, without reading the body.
    Unauthorized,
    /// The connection failed.
    Io(io::Error),
}

/// A connection and the bytes read from it but not used yet.
pub(crate) struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    peer: Option<std::net::IpAddr>,
}

impl Conn {
    /// Wraps a stream accepted from `peer`.
    pub(crate) fn from_peer(stream: Stream, peer: Option<std::net::IpAddr>) -> Conn {
        let _ = stream.set_nodelay();
        Conn {
            stream,
            buf: Vec::new(),
            peer,
        }
    }

    /// The socket.
    pub(crate) fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The peer's address, when known.
    pub(crate) fn peer(&self) -> Option<std::net::IpAddr> {
        self.peer
    }

    /// Whether bytes of a next request were read already (pipelining).
    pub(crate) fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Gives back the buffer's memory while the connection waits.
    pub(crate) fn shrink(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        }
    }

    /// Reads what the connection has into the buffer's spare room: no scratch chunk to zero and
    /// copy from.
    fn read_more(&mut self) -> io::Result<usize> {
        self.buf.reserve(16 * 1024);
        let spare = rustix::buffer::spare_capacity(&mut self.buf);
        Ok(rustix::io::read(self.stream.as_fd(), spare)?)
    }

    fn fill(&mut self, deadline: Instant) -> Result<usize, ReadError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadError::Bad(408, "request timeout"));
        }
        let _ = self.stream.set_read_timeout(Some(left));
        match self.read_more() {
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(ReadError::Bad(408, "request timeout"))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(ReadError::Io(e)),
        }
    }

    /// Waits for the first byte of the next request: up to `idle`, giving up early once
    /// `stopping` says so.
    fn wait_for_request(&mut self, idle: Duration, stopping: &dyn Fn() -> bool) -> bool {
        if !self.buf.is_empty() {
            return true;
        }
        let until = Instant::now() + idle;
        loop {
            if stopping() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = self.stream.set_read_timeout(Some(left.min(IDLE_POLL)));
            match self.read_more() {
                Ok(0) => return false,
                Ok(_) => return true,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return false,
            }
        }
    }

    /// Reads the next request. `authorized` sees the `Authorization` value before any of the
    /// body is read; `max_body` caps the body.
    pub(crate) fn read_request(
        &mut self,
        idle: Duration,
        stopping: &dyn Fn() -> bool,
        authorized: &dyn Fn(Option<&[u8]>) -> bool,
        max_body: u64,
    ) -> Result<Request, ReadError> {
        if !self.wait_for_request(idle, stopping) {
            return Err(ReadError::Closed);
        }
        let start = Instant::now();
        let head_deadline = start + HEAD_TIMEOUT;
        let deadline = start + REQUEST_TIMEOUT;
        let head = loop {
            if let Some(h) = parse_head(&self.buf).map_err(ReadError::from)? {
                break h;
            }
            if self.buf.len() >= MAX_HEAD {
                return Err(ReadError::Bad(431, "request head too large"));
            }
            if self.fill(head_deadline)? == 0 {
                return Err(if self.buf.is_empty() {
                    ReadError::Closed
                } else {
                    ReadError::Bad(400, "connection closed mid-request")
                });
            }
        };
        self.buf.drain(..head.len);
        if !authorized(head.authorization.as_deref()) {
            return Err(ReadError::Unauthorized);
        }
        if head.content_length.is_some_and(|n| n > max_body) {
            return Err(ReadError::TooLarge);
        }
        if head.expect_continue && self.buf.is_empty() {
            self.stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .map_err(ReadError::Io)?;
        }
        let body = if head.chunked {
            self.read_chunked(deadline, max_body)?
        } else {
            self.read_exact_body(head.content_length.unwrap_or(0), deadline)?
        };
        Ok(Request {
            method: head.method,
            path: head.path,
            project_dir: head.project_dir,
            #[cfg(feature = "otlp")]
            traceparent: head.traceparent,
            body,
            keep_alive: head.keep_alive,
        })
    }

    fn read_exact_body(&mut self, len: u64, deadline: Instant) -> Result<Vec<u8>, ReadError> {
        let len = usize::try_from(len).map_err(|_| ReadError::TooLarge)?;
        // The room of a body of up to 1 MiB at once: no copy as the buffer grows. (Not more: the
        // length is the peer's claim until the bytes come.)
        self.buf
            .reserve(len.saturating_sub(self.buf.len()).min(1 << 20));
        while self.buf.len() < len {
            if self.fill(deadline)? == 0 {
                return Err(ReadError::Bad(400, "connection closed mid-body"));
            }
        }
        let rest = self.buf.split_off(len);
        Ok(std::mem::replace(&mut self.buf, rest))
    }

    fn read_chunked(&mut self, deadline: Instant, max_body: u64) -> Result<Vec<u8>, ReadError> {
        let mut decoder = Chunked::new(max_body);
        loop {
            if let Some(body) = decoder.feed(&mut self.buf).map_err(ReadError::from)? {
                return Ok(body);
            }
            if self.fill(deadline)? == 0 {
                return Err(ReadError::Bad(400, "connection closed mid-body"));
            }
        }
    }

    /// Writes one answer. `close` adds `Connection: close`.
    pub(crate) fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        close: bool,
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(128 + body.len());
        let _ = write!(
            out,
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            reason(status),
            body.len()
        );
        if status == 401 {
            out.extend_from_slice(b"WWW-Authenticate: Bearer\r\n");
        }
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        self.stream.write_all(&out)?;
        self.stream.flush()
    }
}

impl From<WireError> for ReadError {
    fn from(e: WireError) -> ReadError {
        match e {
            WireError::Bad(status, why) => ReadError::Bad(status, why),
            WireError::TooLarge => ReadError::TooLarge,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::serve::net::Listener;

    /// Sends `raw` to a connection and reads one request from it.
    fn read(raw: &'static [u8], max_body: u64) -> Result<Request, ReadError> {
        let l = Listener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        let addr = l.local_addr().expect("addr");
        let t = std::thread::spawn(move || {
            let mut s = Stream::connect(addr).expect("connect");
            s.write_all(raw).expect("write");
            std::thread::sleep(Duration::from_millis(200));
        });
        let s = l.accept().expect("accept");
        let mut c = Conn::from_peer(s, None);
        let r = c.read_request(
            Duration::from_secs(2),
            &|| false,
            &|a| a == Some(b"Bearer t".as_slice()),
            max_body,
        );
        t.join().expect("client");
        r
    }

    #[test]
    fn content_length_and_chunked_bodies() {
        let r = read(
            b"POST /hook HTTP/1.1\r\nAuthorization: Bearer t\r\nContent-Length: 5\r\n\r\nhello",
            100,
        )
        .expect("request");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hook"));
        assert_eq!(r.body, b"hello");
        assert!(r.keep_alive);
        let r = read(
            b"POST /hook?x=1 HTTP/1.1\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nhel\r\n2;ext\r\nlo\r\n0\r\n\r\n",
            100,
        )
        .expect("chunked");
        assert_eq!(r.body, b"hello");
        assert_eq!(r.path, "/hook");
        assert!(!r.keep_alive);
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            read(
                b"POST /hook HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
                100
            ),
            Err(ReadError::Unauthorized)
        ));
        assert!(matches!(
            read(
                b"POST /hook HTTP/1.1\r\nAuthorization: Bearer t\r\nContent-Length: 101\r\n\r\n",
                100
            ),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read(
                b"POST /hook HTTP/1.1\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n",
                100
            ),
            Err(ReadError::TooLarge)
        ));
        assert!(matches!(
            read(
                b"POST /hook HTTP/1.1\r\nAuthorization: Bearer t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                100
            ),
            Err(ReadError::Bad(400, _))
        ));
        assert!(matches!(
            read(b"\x01\x02 nonsense\r\n\r\n", 100),
            Err(ReadError::Bad(400, _))
        ));
    }
}
