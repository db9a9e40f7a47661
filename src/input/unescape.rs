//! Raw JSON strings decoded into at most a given number of bytes, cut at a character boundary.

use super::surrogates::{hex4, low_surrogate_after};

/// `s` cut to at most `max` bytes at a character boundary.
pub(super) fn cut_to(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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
    let mut out = String::with_capacity(inner.len().min(cap));
    let bytes = inner.as_bytes();
    let mut i = 0;
    let push = |out: &mut String, c: char| -> bool {
        if out.len() + c.len_utf8() > cap {
            return false;
        }
        out.push(c);
        true
    };
    while i < bytes.len() {
        let Some(off) = super::find::byte(b'\\', &bytes[i..]) else {
            let rest = &inner[i..];
            out.push_str(cut_to(rest, cap - out.len()));
            break;
        };
        let run = &inner[i..i + off];
        if out.len() + run.len() > cap {
            out.push_str(cut_to(run, cap - out.len()));
            break;
        }
        out.push_str(run);
        i += off;
        let c = match bytes.get(i + 1) {
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'u') => {
                let unit = hex4(bytes, i + 2).unwrap_or(0xFFFD);
                if (0xD800..=0xDBFF).contains(&unit) {
                    if let Some(low) = low_surrogate_after(bytes, i) {
                        i += 6;
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        let c = char::from_u32(code).unwrap_or('\u{fffd}');
                        i += 6;
                        if !push(&mut out, c) {
                            break;
                        }
                        continue;
                    }
                }
                i += 4;
                char::from_u32(unit).unwrap_or('\u{fffd}')
            }
            Some(&b) => char::from(b),
            None => break,
        };
        i += 2;
        if !push(&mut out, c) {
            break;
        }
    }
    out
}
