//! The top level of a JSON object, member by member, as raw text: what a `tool_response`'s probe
//! reads without a second parse of the whole response.
//!
//! The payload's parse has already checked the text and found where the response is, but
//! serde_json cannot also hand over a few of its members in that walk without decoding every
//! string the response holds (a file's content, a command's output). A second serde_json parse
//! of the response costs as much as the first: 150 K instructions of a 25 KB Edit call's 650 K.
//! This walk relies on the text being valid JSON and only finds where each member ends, jumping
//! from quote to quote inside strings with SSE2: about a tenth of that.

use super::find;
use super::surrogates::escaped;

/// The members of a valid JSON object, each as `(key, value)` in their JSON text (the key with
/// its quotes), in order; the walk ends at the object's end (or at anything it cannot follow).
pub(super) struct Members<'a> {
    text: &'a str,
    at: usize,
}

/// The members of `text`, a valid JSON object.
pub(super) fn members(text: &str) -> Members<'_> {
    Members { text, at: 0 }
}

/// The top-level string member `key` of a payload, decoded (cut to
/// [`super::MAX_FIELD_BYTES`]), found before the payload is parsed: what `posthook serve` needs
/// to pick the project a payload belongs to. `None` when the payload is no UTF-8 object text or
/// has no such string (a payload that is not valid JSON may give any answer here; its parse then
/// refuses it).
pub(crate) fn top_level_string(payload: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(payload).ok()?.trim_start();
    let (_, value) = members(text).find(|(k, _)| k.get(1..k.len() - 1) == Some(key))?;
    super::wire::capped_text(value)
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let at = skip_space(b, self.at);
        // `{` before the first member, `,` before the others; `}` (or anything else) ends it.
        if !matches!(b.get(at), Some(b'{' | b',')) {
            return None;
        }
        let key_at = skip_space(b, at + 1);
        if b.get(key_at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, key_at)?;
        let colon = skip_space(b, key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let value_at = skip_space(b, colon + 1);
        let value_end = value_end(b, value_at)?;
        self.at = value_end;
        Some((
            self.text.get(key_at..key_end)?,
            self.text.get(value_at..value_end)?,
        ))
    }
}

fn skip_space(b: &[u8], mut at: usize) -> usize {
    while matches!(b.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// Just past the string whose opening quote is `b[at]`: the next quote that no backslash
/// escapes. Searching for quotes alone passes over the many `\n` of a file's text at SSE2 speed.
fn string_end(b: &[u8], at: usize) -> Option<usize> {
    let mut from = at + 1;
    loop {
        let quote = from + find::byte(b'"', b.get(from..)?)?;
        if !escaped(b, quote) {
            return Some(quote + 1);
        }
        from = quote + 1;
    }
}

/// Just past the value that starts at `b[at]`.
fn value_end(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at)? {
        b'"' => string_end(b, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        // A number, `true`, `false` or `null`.
        _ => {
            let len = b[at..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(b.len() - at);
            Some(at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;

    /// The members as serde_json finds them, raw.
    fn by_serde(text: &str) -> Vec<(String, String)> {
        let m: BTreeMap<String, &RawValue> = serde_json::from_str(text).expect("json");
        m.into_iter()
            .map(|(k, v)| (k, v.get().to_owned()))
            .collect()
    }

    fn walked(text: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = members(text)
            .map(|(k, v)| (serde_json::from_str(k).expect("key"), v.to_owned()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn members_are_the_ones_serde_json_finds() {
        for text in [
            "{}",
            " { } ",
            r#"{"a":1}"#,
            r#"{"a":-1.5e3,"b":true,"c":null,"d":false}"#,
            r#"{ "a" : "x" , "b" : [ 1 , "]" , { "c" : "}" } ] , "e" : { } }"#,
            r#"{"q":"say \"hi\" \\","r":"\\\\","s":"\\\"}\\"}"#,
            r#"{"es\"c":"\u00e9\ud83d\ude00","n":[[[]]],"t":"tab\tin"}"#,
            "{\n\t\"a\"\r\n:\n[\n1\n,\n2\n]\n,\n\"b\"\n:\n{\"c\":[{\"d\":\"[{\"}]}\n}",
        ] {
            assert_eq!(walked(text), by_serde(text), "{text}");
        }
    }

    #[test]
    fn a_top_level_string_is_found_and_decoded_and_nothing_deeper() {
        let p = br#" {"tool_input":{"cwd":"/inner"},"cwd":"/p/\u00e9 \"q\"","n":1}"#;
        assert_eq!(top_level_string(p, "cwd").as_deref(), Some("/p/é \"q\""));
        assert_eq!(
            top_level_string(br#"{"tool_input":{"cwd":"/inner"}}"#, "cwd"),
            None
        );
        assert_eq!(top_level_string(br#"{"cwd":7}"#, "cwd"), None);
        for bad in [&b"\xff{"[..], b"", b"[1]", b"{\"cwd\"", b"{\"cwd\":\"x"] {
            assert_eq!(top_level_string(bad, "cwd"), None);
        }
    }

    #[test]
    fn every_real_response_walks_as_serde_json_parses_it() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/transcripts");
        let mut objects = 0;
        for entry in std::fs::read_dir(dir).expect("transcripts") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).expect("read").lines() {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                for r in [&v["toolUseResult"], &v["tool_response"]] {
                    if r.is_object() {
                        let text = r.to_string();
                        assert_eq!(walked(&text), by_serde(&text), "{}", path.display());
                        objects += 1;
                    }
                }
            }
        }
        assert!(objects > 100, "only {objects} object responses found");
    }
}
