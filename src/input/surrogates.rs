//! Lone UTF-16 surrogate escapes, which Node writes for a string cut inside an emoji and serde_json
//! refuses: found, and replaced in place.

/// Replaces every lone UTF-16 surrogate escape (`\ud83d` not followed by a low surrogate, or a low
/// surrogate on its own) by `\ufffd`, in place. Node's `JSON.stringify` writes them for a string
/// cut inside an emoji; serde_json refuses them. The replacement has the same length, so byte
/// positions in error messages still point into the payload as sent. Returns how many were
/// replaced.
pub(crate) fn replace_lone_surrogates(bytes: &mut [u8]) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(at) = next_lone_surrogate(bytes, from) {
        bytes[at + 2..at + 6].copy_from_slice(b"fffd");
        n += 1;
        from = at + 6;
    }
    n
}

/// Where the next lone surrogate escape at or after `from` starts (its backslash). Escapes are
/// walked as JSON does: `\\u...` is an escaped backslash and text, not an escape.
fn next_lone_surrogate(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(off) = bytes
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'\\'))
    {
        i += off;
        if bytes.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        match hex4(bytes, i + 2) {
            Some(0xD800..=0xDBFF) => {
                if low_surrogate_after(bytes, i).is_none() {
                    return Some(i);
                }
                i += 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(i),
            Some(_) => i += 6,
            None => i += 2,
        }
    }
    None
}

/// The low surrogate escape that follows the high one at `i` (`\\uD83D\\uDE00`), if there is one.
pub(super) fn low_surrogate_after(bytes: &[u8], i: usize) -> Option<u32> {
    if bytes.get(i + 6) != Some(&b'\\') || bytes.get(i + 7) != Some(&b'u') {
        return None;
    }
    hex4(bytes, i + 8).filter(|u| (0xDC00..=0xDFFF).contains(u))
}

pub(super) fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16)
        .ok()
        .filter(|_| s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether [`replace_lone_surrogates`] would change anything (no copy made to find out).
pub(super) fn has_lone_surrogate(bytes: &[u8]) -> bool {
    next_lone_surrogate(bytes, 0).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn lone_surrogates_become_replacement_characters_in_place() {
        let mut b = br#"{"a":"x\ud83d","b":"\udc00","c":"\ud83d\ude00","d":"\\ud83d"}"#.to_vec();
        let len = b.len();
        assert_eq!(replace_lone_surrogates(&mut b), 2);
        assert_eq!(b.len(), len, "same length: positions hold");
        let v: Value = serde_json::from_slice(&b).expect("valid now");
        assert_eq!(v["a"], "x\u{fffd}");
        assert_eq!(v["b"], "\u{fffd}");
        assert_eq!(v["c"], "\u{1f600}");
        assert_eq!(v["d"], "\\ud83d", "an escaped backslash is not an escape");
    }
}
