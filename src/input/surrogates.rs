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

/// Where the next lone surrogate escape at or after `from` starts (its backslash). The payload is
/// searched for `\\u` with a vectorized search ([`super::find`]), so text without such escapes (nearly every
/// payload: the client writes non-ASCII characters as they are) costs a fraction of an instruction
/// per byte. A candidate is an escape only when an even number of backslashes precede it
/// (`\\\\ud83d` is an escaped backslash, then text).
fn next_lone_surrogate(bytes: &[u8], from: usize) -> Option<usize> {
    let mut skip_to = from;
    let mut next = from;
    while let Some(at) = super::find::pair(b"\\u", bytes.get(next..)?).map(|i| i + next) {
        next = at + 2;
        // Only `\\uD800`-`\\uDFFF` can be a surrogate: most `\\u` escapes are let go on one byte.
        if at < skip_to || !matches!(bytes.get(at + 2), Some(b'd' | b'D')) || escaped(bytes, at) {
            continue;
        }
        match hex4(bytes, at + 2) {
            Some(0xD800..=0xDBFF) => {
                if low_surrogate_after(bytes, at).is_none() {
                    return Some(at);
                }
                // The pair's low half is not a lone one.
                skip_to = at + 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(at),
            _ => {}
        }
    }
    None
}

/// Whether the byte at `at` (a backslash or a quote) is escaped: an odd number of backslashes
/// right before it.
pub(super) fn escaped(bytes: &[u8], at: usize) -> bool {
    bytes[..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1
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
    digits.iter().try_fold(0u32, |n, &b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some(n << 4 | u32::from(d))
    })
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

    #[test]
    fn escapes_are_told_from_text_wherever_they_sit() {
        // Three backslashes: an escaped one, then an escape.
        let mut b = br#""\\\ud83d""#.to_vec();
        assert_eq!(replace_lone_surrogates(&mut b), 1);
        assert_eq!(b, br#""\\\ufffd""#);
        // A pair is left alone; a low half right after a pair is lone.
        let mut b = br#""\ud83d\ude00\ude00x""#.to_vec();
        assert_eq!(replace_lone_surrogates(&mut b), 1);
        assert_eq!(b, br#""\ud83d\ude00\ufffdx""#);
        // Far into a long text (past any vector width), at the very end, cut short.
        let mut long = format!("\"{}\\udc00\"", "a\\n".repeat(5000)).into_bytes();
        assert_eq!(replace_lone_surrogates(&mut long), 1);
        assert!(long.ends_with(br#"\ufffd""#));
        assert!(!has_lone_surrogate(br#""\ud8""#), "not four hex digits");
        assert!(has_lone_surrogate(br#""\uD800""#), "upper-case hex");
        assert!(!has_lone_surrogate(br#""\u00e9\\u""#));
    }
}
