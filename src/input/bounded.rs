//! The bounded builder: `tool_input` as a `serde_json::Value` within fixed limits of depth, items,
//! values and string bytes.

use super::unescape::{cut_to, decode_in_place, unescape_capped};
use super::InputError;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// How deep `tool_input` is built: the analyzers read at most three levels
/// (`edits[i].new_string`); deeper values are `null`.
pub const MAX_INPUT_DEPTH: usize = 8;
/// Elements kept per array and keys per object of `tool_input`; the rest are skipped unbuilt.
pub const MAX_INPUT_ITEMS: usize = 1024;
/// Values built in all of `tool_input`; past it, values are `null`.
pub const MAX_INPUT_NODES: usize = 65_536;
/// String bytes (keys and values) built in all of `tool_input`: 16 MiB, the fields the analyzers
/// read first. With the 32 MiB input this bounds the hook's peak memory (docs/hardening.md).
pub const MAX_INPUT_STRING_BYTES: usize = 16 * 1024 * 1024;
/// The most kept of a payload's own string fields (tool name, session id, cwd, ...).
pub const MAX_FIELD_BYTES: usize = 4096;
const MAX_KEY_BYTES: usize = 256;

/// Top-level `tool_input` fields the analyzers read: built first, so a large field they ignore
/// cannot use up the string budget before them.
const READ_FIRST: &[&str] = &[
    "command",
    "file_path",
    "notebook_path",
    "path",
    "content",
    "new_string",
    "old_string",
    "new_source",
    "edits",
    "todos",
    "description",
];

/// Builds `tool_input` as a `serde_json::Value` within fixed bounds (depth, items, values, string
/// bytes). A 32 MB array of zeros becomes 1,024 numbers, not 16 million; strings are decoded from
/// the raw text directly, so no scratch copy of a large string is made either.
pub(crate) fn bounded_value(raw: &str) -> Value {
    let mut b = Bounded {
        nodes: 0,
        strings: MAX_INPUT_STRING_BYTES,
        may_defer: false,
        deferred: None,
    };
    b.build(raw, 0, true)
}

struct Bounded {
    nodes: usize,
    strings: usize,
    /// Whether a large top-level string may be left to [`decode_in_place`].
    may_defer: bool,
    deferred: Option<Deferred>,
}

/// A top-level string of `tool_input` at least this long (raw) is decoded in the payload's own
/// buffer when the parse owns it: below it, a copy costs less than moving the string to the
/// buffer's front.
const DEFER_MIN_BYTES: usize = 256 * 1024;

/// The one large string of `tool_input` left undecoded by the parse, to be decoded in place in the
/// payload's buffer once nothing borrows it ([`super::payload::parse_owned`]). Its place in the
/// object holds `null` until then.
#[derive(Debug)]
pub(super) struct Deferred {
    /// Its key in `tool_input`.
    pub(super) key: String,
    /// Where its raw text (quotes included) starts in memory, and its length.
    pub(super) addr: usize,
    pub(super) len: usize,
    /// The most bytes it may decode to: its share of [`MAX_INPUT_STRING_BYTES`], taken when it was
    /// met, as large as its raw text (decoding never lengthens it).
    pub(super) cap: usize,
}

impl Deferred {
    /// Decodes the string in `buf`, the buffer the payload was parsed from, into a `String` made
    /// of that buffer. `None` when its text is not in `buf`.
    pub(super) fn decode(&self, buf: Vec<u8>) -> Option<String> {
        let start = self.addr.checked_sub(buf.as_ptr() as usize)?;
        let end = start.checked_add(self.len).filter(|&e| e <= buf.len())?;
        Some(decode_in_place(buf, start, end, self.cap))
    }
}

impl Bounded {
    fn build(&mut self, raw: &str, depth: usize, top: bool) -> Value {
        let raw = raw.trim_start();
        if self.nodes >= MAX_INPUT_NODES {
            return Value::Null;
        }
        self.nodes += 1;
        match raw.as_bytes().first() {
            Some(b'"') => {
                let s = unescape_capped(raw, self.strings);
                self.strings -= s.len();
                Value::String(s)
            }
            Some(b'{') if depth < MAX_INPUT_DEPTH => {
                let mut entries: Vec<(String, &RawValue)> = Vec::new();
                let mut de = serde_json::Deserializer::from_str(raw);
                let _ = serde::Deserializer::deserialize_map(&mut de, Entries(&mut entries));
                self.object(entries, depth, top)
            }
            Some(b'[') if depth < MAX_INPUT_DEPTH => {
                let mut items: Vec<&RawValue> = Vec::new();
                let mut de = serde_json::Deserializer::from_str(raw);
                let _ = serde::Deserializer::deserialize_seq(&mut de, Items(&mut items));
                self.array(items, depth)
            }
            Some(b'{' | b'[') => Value::Null,
            _ => serde_json::from_str::<Value>(raw).unwrap_or(Value::Null),
        }
    }
}

impl Bounded {
    /// An object from its raw entries; at the top, the fields the analyzers read first.
    fn object(&mut self, mut entries: Vec<(String, &RawValue)>, depth: usize, top: bool) -> Value {
        if top {
            // Stable: among equals the payload's order is kept.
            entries.sort_by_key(|(k, _)| !READ_FIRST.contains(&k.as_str()));
        }
        let mut map = serde_json::Map::new();
        for (k, v) in entries {
            if self.nodes >= MAX_INPUT_NODES {
                break;
            }
            let k = cut_to(&k, MAX_KEY_BYTES.min(self.strings)).to_owned();
            self.strings -= k.len();
            let v = if top && self.defers(&k, v.get()) {
                let raw = v.get();
                let cap = (raw.len() - 2).min(self.strings);
                self.strings -= cap;
                self.nodes += 1;
                self.deferred = Some(Deferred {
                    key: k.clone(),
                    addr: raw.as_ptr() as usize,
                    len: raw.len(),
                    cap,
                });
                Value::Null
            } else {
                // A key given again replaces the string left undecoded, as it replaces any value.
                if top && self.deferred.as_ref().is_some_and(|d| d.key == k) {
                    self.deferred = None;
                }
                self.build(v.get(), depth + 1, false)
            };
            map.insert(k, v);
        }
        Value::Object(map)
    }

    /// Whether the raw value is the string left to [`decode_in_place`]: the first large one, but
    /// never a Bash `command`, which the parse itself reads (is it a commit?).
    fn defers(&self, key: &str, raw: &str) -> bool {
        self.may_defer
            && key != "command"
            && self.deferred.is_none()
            && raw.len() >= DEFER_MIN_BYTES
            && raw.starts_with('"')
            && self.nodes < MAX_INPUT_NODES
    }

    /// An array from its raw elements.
    fn array(&mut self, items: Vec<&RawValue>, depth: usize) -> Value {
        Value::Array(
            items
                .into_iter()
                .map(|v| self.build(v.get(), depth + 1, false))
                .collect(),
        )
    }
}

/// A payload's `tool_input` as the payload's own parse leaves it: an object's (or array's) members
/// raw, found in the same walk that reads the rest of the payload, so building it never walks the
/// payload's largest field a second time; any other value as it is.
#[derive(Debug)]
pub(super) enum RawInput<'de> {
    /// An object's first [`MAX_INPUT_ITEMS`] entries.
    Object(Vec<(String, &'de RawValue)>),
    /// An array's first [`MAX_INPUT_ITEMS`] elements.
    Array(Vec<&'de RawValue>),
    /// A string, number, boolean or null.
    Scalar(Value),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawInput<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawInput<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = RawInput<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                Entries(&mut entries).visit_map(map)?;
                Ok(RawInput::Object(entries))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                Items(&mut items).visit_seq(seq)?;
                Ok(RawInput::Array(items))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::String(
                    cut_to(v, MAX_INPUT_STRING_BYTES).to_owned(),
                )))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::from(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::from(v)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawInput::Scalar(Value::Null))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Builds a payload's `tool_input` within the same bounds as [`bounded_value`], from the members
/// its parse already found. With `may_defer`, its first large top-level string is left to be
/// decoded in the payload's buffer: the [`Deferred`] returned says where it is.
pub(super) fn bounded_input(
    input: Option<RawInput<'_>>,
    may_defer: bool,
) -> (Value, Option<Deferred>) {
    let mut b = Bounded {
        nodes: 1,
        strings: MAX_INPUT_STRING_BYTES,
        may_defer,
        deferred: None,
    };
    let value = match input {
        None => Value::Null,
        Some(RawInput::Object(entries)) => b.object(entries, 0, true),
        Some(RawInput::Array(items)) => b.array(items, 0),
        Some(RawInput::Scalar(v)) => v,
    };
    (value, b.deferred)
}

/// The first [`MAX_INPUT_ITEMS`] entries of a JSON object, raw; the rest skipped unbuilt.
struct Entries<'a, 'de>(&'a mut Vec<(String, &'de RawValue)>);

impl<'de> serde::de::Visitor<'de> for Entries<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<Key>()? {
            if self.0.len() < MAX_INPUT_ITEMS {
                self.0.push((k.0, map.next_value::<&RawValue>()?));
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The first [`MAX_INPUT_ITEMS`] elements of a JSON array, raw; the rest skipped unbuilt.
pub(super) struct Items<'a, 'de>(pub(super) &'a mut Vec<&'de RawValue>);

impl<'de> serde::de::Visitor<'de> for Items<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while self.0.len() < MAX_INPUT_ITEMS {
            match seq.next_element::<&RawValue>()? {
                Some(v) => self.0.push(v),
                None => return Ok(()),
            }
        }
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// An object key, cut to [`MAX_KEY_BYTES`].
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(cut_to(v, MAX_KEY_BYTES).to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// `tool_input` is kept as a Value: it is what the analyzers read. Odd shapes (array, string,
/// null) are kept as they are; accessors simply find no fields in them.
///
/// Built within fixed bounds ([`bounded_value`]): what the analyzers read, never a tree as large as
/// the payload.
pub(super) fn parse_tool_input(raw: Option<&RawValue>) -> Result<Value, InputError> {
    Ok(raw.map_or(Value::Null, |r| bounded_value(r.get())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_input_is_built_within_bounds() {
        let zeros = format!("[{}0]", "0,".repeat(100_000));
        let raw: Box<RawValue> = serde_json::from_str(&zeros).expect("json");
        assert_eq!(
            bounded_value(raw.get()).as_array().map(Vec::len),
            Some(MAX_INPUT_ITEMS)
        );
        let deep = format!("{}1{}", "[".repeat(50), "]".repeat(50));
        let raw: Box<RawValue> = serde_json::from_str(&deep).expect("json");
        let mut v = bounded_value(raw.get());
        let mut depth = 0;
        while let Value::Array(mut a) = v {
            depth += 1;
            v = a.pop().unwrap_or(Value::Null);
        }
        assert_eq!(depth, MAX_INPUT_DEPTH);
        let raw: Box<RawValue> = serde_json::from_str(
            r#"{"big":"\u00e9\n\"q\"\ud83d\ude00","command":"ls","edits":[{"new_string":"a"}]}"#,
        )
        .expect("json");
        let v = bounded_value(raw.get());
        assert_eq!(v["big"], "\u{e9}\n\"q\"\u{1f600}");
        assert_eq!(v["edits"][0]["new_string"], "a");
        assert_eq!(
            unescape_capped(r#""\u00e9\u00e9""#, 3),
            "\u{e9}",
            "cut at a character"
        );
    }
}
