//! Raw JSON strings decoded into at most a given number of bytes, cut at a character boundary.
//!
//! One decoder ([`decode`]) serves both ways of decoding: into a copy of the raw text
//! ([`unescape_capped`]), and in place in the payload's own buffer ([`decode_in_place`]), which is
//! how a large string of a payload's `tool_input` becomes a `String` without a second buffer
//! of its size.

use super::surrogates::{hex4, low_surrogate_after};

/// `s` cut to at most `max` bytes at a character boundary.
pub(super) fn cut_to(s: &str, max: usize) -> &str {
    &s[..boundary_at_most(s.as_bytes(), max)]
}

/// The largest character boundary of the UTF-8 text `bytes` at or below `max`.
fn boundary_at_most(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    let mut end = max;
    // A continuation byte (0b10xxxxxx) is never a boundary.
    while end > 0 && bytes[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    end
}

/// Decodes a raw JSON string (quotes included, already validated) into at most `cap` bytes, at a
/// character boundary. Lone surrogates become U+FFFD.
pub(super) fn unescape_capped(raw: &str, cap: usize) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or("");
    if !inner.contains('\\') {
        return cut_to(inner, cap).to_owned();
    }
    let mut out = Copied {
        src: inner.as_bytes(),
        out: Vec::with_capacity(inner.len().min(cap)),
    };
    decode(&mut out, 0, inner.len(), cap);
    into_string(out.out)
}

/// Decodes the raw JSON string `buf[start..end]` (quotes included, validated as part of the
/// payload) to the front of `buf`, which then becomes the string: no second buffer of its size
/// is made. At most `cap` bytes, at a character boundary; lone surrogates become U+FFFD.
pub(super) fn decode_in_place(mut buf: Vec<u8>, start: usize, end: usize, cap: usize) -> String {
    let n = decode(
        &mut InPlace(&mut buf),
        start + 1,
        end.saturating_sub(1),
        cap,
    );
    buf.truncate(n);
    into_string(buf)
}

/// Decoded text as a `String`; it is UTF-8 (runs of validated text cut at character boundaries,
/// and whole characters), and were it not, it is repaired, never refused.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Where [`decode`] reads the escaped text and writes the decoded one.
trait Text {
    /// The escaped text.
    fn src(&self) -> &[u8];
    /// Writes `src()[run]` at `at` in the decoded text.
    fn put_run(&mut self, run: std::ops::Range<usize>, at: usize);
    /// Writes `c` at `at` in the decoded text; returns its length.
    fn put_char(&mut self, c: char, at: usize) -> usize;
}

/// Decoding into a new buffer.
struct Copied<'a> {
    src: &'a [u8],
    out: Vec<u8>,
}

impl Text for Copied<'_> {
    fn src(&self) -> &[u8] {
        self.src
    }
    fn put_run(&mut self, run: std::ops::Range<usize>, _at: usize) {
        self.out.extend_from_slice(&self.src[run]);
    }
    fn put_char(&mut self, c: char, _at: usize) -> usize {
        self.out
            .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        c.len_utf8()
    }
}

/// Decoding to the front of the buffer that holds the escaped text. Decoding never lengthens text
/// (an escape of two to twelve bytes becomes one to four), and every escape is read before its
/// character is written, so the writes never overtake the reads.
struct InPlace<'a>(&'a mut [u8]);

impl Text for InPlace<'_> {
    fn src(&self) -> &[u8] {
        self.0
    }
    fn put_run(&mut self, run: std::ops::Range<usize>, at: usize) {
        self.0.copy_within(run, at);
    }
    fn put_char(&mut self, c: char, at: usize) -> usize {
        c.encode_utf8(&mut self.0[at..]).len()
    }
}

/// Decodes the escaped JSON string text `src()[from..to]` and returns the decoded length (at
/// most `cap`, at a character boundary).
fn decode(t: &mut impl Text, from: usize, to: usize, cap: usize) -> usize {
    let mut w = 0;
    let mut i = from;
    while i < to {
        let src = &t.src()[..to];
        let off = super::find::byte(b'\\', &src[i..]).unwrap_or(to - i);
        let room = cap - w;
        let take = if off > room {
            boundary_at_most(&src[i..i + off], room)
        } else {
            off
        };
        let escape = escape_at(src, i + off);
        t.put_run(i..i + take, w);
        w += take;
        i += off;
        if take < off || i >= to {
            break;
        }
        let Some((c, len)) = escape else {
            break;
        };
        if w + c.len_utf8() > cap {
            break;
        }
        w += t.put_char(c, w);
        i += len;
    }
    w
}

/// The character the escape at `bytes[i]` (a backslash) stands for, and the escape's length;
/// `None` when the text ends inside it. A surrogate pair is one character of two escapes; a lone
/// surrogate or bad digits are U+FFFD.
fn escape_at(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    let c = match bytes.get(i + 1) {
        Some(b'n') => '\n',
        Some(b't') => '\t',
        Some(b'r') => '\r',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'u') if bytes.len() >= i + 6 => {
            let unit = hex4(bytes, i + 2).unwrap_or(0xFFFD);
            if (0xD800..=0xDBFF).contains(&unit) {
                if let Some(low) = low_surrogate_after(bytes, i) {
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    return Some((char::from_u32(code).unwrap_or('\u{fffd}'), 12));
                }
            }
            return Some((char::from_u32(unit).unwrap_or('\u{fffd}'), 6));
        }
        Some(b'u') | None => return None,
        Some(&b) => char::from(b),
    };
    Some((c, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_decoding_is_the_decoded_string_cut_at_a_character_boundary() {
        let raw = r#""a\n\u00e9\ud83d\ude00b\\\"é😀\u0041\ud800c""#;
        let full: String = serde_json::from_str(&raw.replace(r"\ud800", r"\ufffd")).expect("json");
        for cap in 0..=full.len() + 2 {
            assert_eq!(unescape_capped(raw, cap), cut_to(&full, cap), "cap {cap}");
            let mut buf = b"{\"k\":".to_vec();
            buf.extend_from_slice(raw.as_bytes());
            let end = buf.len();
            buf.push(b'}');
            assert_eq!(
                decode_in_place(buf, 5, end, cap),
                cut_to(&full, cap),
                "cap {cap}"
            );
        }
        // Text that ends inside an escape stops before it.
        assert_eq!(unescape_capped(r#""ab\u00""#, 10), "ab");
    }
}
