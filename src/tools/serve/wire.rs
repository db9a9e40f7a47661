//! The bytes of an HTTP/1.1 request, without the socket: its head (parsed by `httparse`) and a
//! chunked body (an incremental decoder). Pure functions of their input, so the fuzz targets
//! (`fuzz/fuzz_targets/http_*.rs`) include this file as it is and feed it any bytes, in any
//! pieces. Depends on `std` and `httparse` only.

/// Headers read at most.
pub(crate) const MAX_HEADERS: usize = 64;
/// The longest chunk-size or trailer line.
pub(crate) const MAX_LINE: usize = 4096;

/// Why a request cannot be served: answer with this and close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WireError {
    /// This status, for this reason.
    Bad(u16, &'static str),
    /// The body is larger than the cap: 413.
    TooLarge,
}

/// A request head, as the server needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Head {
    /// The head's length in bytes (where the body starts).
    pub len: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `Authorization` header's value.
    pub authorization: Option<Vec<u8>>,
    /// The `X-Posthook-Project-Dir` header's value, when not empty.
    pub project_dir: Option<String>,
    /// The W3C `traceparent` header's value, for the exported span's parent.
    #[cfg(feature = "otlp")]
    pub traceparent: Option<String>,
    /// Whether the connection stays open after the answer.
    pub keep_alive: bool,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Expect: 100-continue`.
    pub expect_continue: bool,
}

/// Parses the head at the start of `buf`: `Ok(None)` while it is incomplete.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => head_of(&parsed, n).map(Some),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(WireError::Bad(431, "too many headers")),
        Err(_) => Err(WireError::Bad(400, "malformed request")),
    }
}

fn header(head: &mut Head, name: &str, value: &[u8]) -> Result<(), WireError> {
    if name.eq_ignore_ascii_case("authorization") {
        head.authorization = Some(value.to_vec());
    } else if name.eq_ignore_ascii_case("x-posthook-project-dir") {
        head.project_dir = std::str::from_utf8(value)
            .ok()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    } else if cfg!(feature = "otlp") && name.eq_ignore_ascii_case("traceparent") {
        #[cfg(feature = "otlp")]
        {
            head.traceparent = std::str::from_utf8(value).ok().map(|s| s.trim().to_owned());
        }
    } else if name.eq_ignore_ascii_case("content-length") {
        let v = std::str::from_utf8(value)
            .ok()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(WireError::Bad(400, "bad content-length"))?;
        if head.content_length.is_some_and(|c| c != v) {
            return Err(WireError::Bad(400, "conflicting content-length"));
        }
        head.content_length = Some(v);
    } else if name.eq_ignore_ascii_case("transfer-encoding") {
        if !value.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            return Err(WireError::Bad(501, "unsupported transfer-encoding"));
        }
        head.chunked = true;
    } else if name.eq_ignore_ascii_case("connection") {
        let v = String::from_utf8_lossy(value).to_ascii_lowercase();
        if v.contains("close") {
            head.keep_alive = false;
        } else if v.contains("keep-alive") {
            head.keep_alive = true;
        }
    } else if name.eq_ignore_ascii_case("expect") {
        head.expect_continue = value.eq_ignore_ascii_case(b"100-continue");
    }
    Ok(())
}

fn head_of(parsed: &httparse::Request<'_, '_>, n: usize) -> Result<Head, WireError> {
    let target = parsed.path.unwrap_or_default();
    let mut head = Head {
        len: n,
        method: parsed.method.unwrap_or_default().to_string(),
        path: target.split('?').next().unwrap_or_default().to_string(),
        keep_alive: parsed.version == Some(1),
        ..Head::default()
    };
    for h in parsed.headers.iter() {
        header(&mut head, h.name, h.value)?;
    }
    if head.chunked && head.content_length.is_some() {
        // Request smuggling territory: refuse rather than pick one.
        return Err(WireError::Bad(400, "both content-length and chunked"));
    }
    Ok(head)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data: this many bytes to go.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// Expecting trailer lines, up to the empty one.
    Trailers,
}

/// An incremental decoder of a chunked body, capped at `max` bytes of body: every size is added
/// with checked arithmetic, so no size (`ffffffffffffffff` included) wraps past the cap.
#[derive(Debug)]
pub(crate) struct Chunked {
    state: State,
    body: Vec<u8>,
    max: u64,
}

fn line_at(buf: &[u8]) -> Result<Option<usize>, WireError> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(i) if i > MAX_LINE => Err(WireError::Bad(400, "chunk line too long")),
        Some(i) => Ok(Some(i)),
        None if buf.len() > MAX_LINE + 1 => Err(WireError::Bad(400, "chunk line too long")),
        None => Ok(None),
    }
}

fn chunk_size(line: &[u8]) -> Result<u64, WireError> {
    let size = line.split(|&b| b == b';').next().unwrap_or_default();
    let size = size.trim_ascii();
    if size.is_empty() || size.len() > 16 || !size.iter().all(u8::is_ascii_hexdigit) {
        return Err(WireError::Bad(400, "bad chunk size"));
    }
    let text = std::str::from_utf8(size).map_err(|_| WireError::Bad(400, "bad chunk size"))?;
    u64::from_str_radix(text, 16).map_err(|_| WireError::Bad(400, "bad chunk size"))
}

impl Chunked {
    /// A decoder for a body of at most `max` bytes.
    pub(crate) fn new(max: u64) -> Chunked {
        Chunked {
            state: State::Size,
            body: Vec::new(),
            max,
        }
    }

    /// Takes what it can from the front of `buf` (the bytes after the head, as they arrive):
    /// `Ok(Some(body))` once the body is complete, the bytes after it left in `buf`.
    pub(crate) fn feed(&mut self, buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, WireError> {
        let mut pos = 0;
        let done = self.step_all(buf, &mut pos);
        buf.drain(..pos);
        done.map(|finished| finished.then(|| std::mem::take(&mut self.body)))
    }

    /// Runs the state machine over `buf[pos..]`; `true` when the body ended.
    fn step_all(&mut self, buf: &[u8], pos: &mut usize) -> Result<bool, WireError> {
        loop {
            let rest = &buf[*pos..];
            match self.state {
                State::Size => {
                    let Some(i) = line_at(rest)? else {
                        return Ok(false);
                    };
                    let size = chunk_size(&rest[..i])?;
                    *pos += i + 2;
                    if size == 0 {
                        self.state = State::Trailers;
                        continue;
                    }
                    if (self.body.len() as u64)
                        .checked_add(size)
                        .is_none_or(|total| total > self.max)
                    {
                        return Err(WireError::TooLarge);
                    }
                    self.state = State::Data(size);
                }
                State::Data(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    self.body.extend_from_slice(&rest[..take]);
                    *pos += take;
                    let left = left - take as u64;
                    if left > 0 {
                        self.state = State::Data(left);
                        return Ok(false);
                    }
                    self.state = State::DataEnd;
                }
                State::DataEnd => {
                    if rest.len() < 2 {
                        return Ok(false);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(WireError::Bad(400, "chunk not followed by CRLF"));
                    }
                    *pos += 2;
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(i) = line_at(rest)? else {
                        return Ok(false);
                    };
                    *pos += i + 2;
                    if i == 0 {
                        self.state = State::Size;
                        return Ok(true);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8], max: u64, piece: usize) -> Result<Option<Vec<u8>>, WireError> {
        let mut d = Chunked::new(max);
        let mut buf = Vec::new();
        for part in input.chunks(piece.max(1)) {
            buf.extend_from_slice(part);
            if let Some(body) = d.feed(&mut buf)? {
                return Ok(Some(body));
            }
        }
        Ok(None)
    }

    #[test]
    fn chunked_bodies_in_any_pieces() {
        let input = b"3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for piece in [1, 2, 3, 7, 100] {
            assert_eq!(
                decode(input, 100, piece),
                Ok(Some(b"hello".to_vec())),
                "{piece}"
            );
        }
        let mut buf = input.to_vec();
        let mut d = Chunked::new(100);
        assert_eq!(d.feed(&mut buf), Ok(Some(b"hello".to_vec())));
        assert_eq!(buf, b"NEXT", "what follows the body stays");
    }

    #[test]
    fn chunk_sizes_cannot_wrap_or_cheat() {
        let wrap = b"10\r\n0123456789abcdef\r\nffffffffffffffff\r\n";
        assert_eq!(decode(wrap, 1 << 20, 5), Err(WireError::TooLarge));
        assert_eq!(decode(b"65\r\n", 100, 1), Err(WireError::TooLarge));
        for bad in [
            &b"+5\r\nhello\r\n"[..],
            b"\r\n",
            b"1ffffffffffffffff\r\n",
            b"z\r\n",
        ] {
            assert!(
                matches!(decode(bad, 100, 3), Err(WireError::Bad(400, _))),
                "{bad:?}"
            );
        }
        let long = vec![b'1'; MAX_LINE + 10];
        assert!(matches!(
            decode(&long, 100, 64),
            Err(WireError::Bad(400, _))
        ));
        assert!(matches!(
            decode(b"1\r\naXX", 100, 1),
            Err(WireError::Bad(400, _))
        ));
    }

    #[test]
    fn heads() {
        let h = parse_head(b"POST /hook?x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
            .expect("ok")
            .expect("complete");
        assert_eq!(
            (h.path.as_str(), h.content_length, h.len),
            ("/hook", Some(5), 44)
        );
        assert!(parse_head(b"POST /hook HTTP/1.1\r\n")
            .expect("ok")
            .is_none());
        assert!(parse_head(b"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n").is_err());
        assert!(parse_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").is_err());
    }
}
