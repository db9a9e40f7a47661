//! The bytes of a session's state file: what the store writes and what it reads back.
//!
//! State is written as [postcard] (version 3): the format name, the version, the session id and
//! the [`History`], every struct as its fields in declaration order, integers as varints, with no
//! field names and no type markers. Every hook call loads and saves its session, and this is the
//! cheapest encoding serde offers for it. The price is that the bytes follow the derives exactly:
//! a change to a persisted struct (a field added, removed or reordered) changes the format, so it
//! comes with a new [`BINARY_VERSION`]; a test holds the encoding of a sample history to its
//! committed bytes and fails until that is done. A file of another version is set aside unread
//! (the session starts afresh), never misread.
//!
//! Files of older versions still load, and are written anew in the current format on the next
//! save: version 2 (MessagePack with field names, told by its first byte, a map's) and version 1
//! (JSON, told by its first non-blank byte, `{`). People read state through
//! `posthook session show`, which prints it as JSON whatever the file holds.

use posthook_analyzers::History;
use serde::{Deserialize, Serialize};

/// The name every state file carries, in either encoding.
pub const FORMAT_NAME: &str = "posthook-session";
/// The version written: postcard.
pub const BINARY_VERSION: u32 = 3;
/// MessagePack with field names, still read.
pub const NAMED_VERSION: u32 = 2;
/// The version of JSON state files, still read.
pub const JSON_VERSION: u32 = 1;

/// State files larger than this are set aside unread: 4 MiB. The largest history the caps allow
/// (17 streams of 64 facts with 512-character paths, 512 file hashes, 256 tool counters) is about
/// 1 MiB; a real one is a few KiB.
pub const MAX_STATE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'static str,
    version: u32,
    session_id: &'a str,
    history: &'a History,
}

/// What a file of version 1 or 2 holds (self-describing: read by name).
#[derive(Deserialize)]
struct EnvelopeIn {
    format: String,
    version: u32,
    #[serde(default)]
    session_id: String,
    history: History,
}

/// Which encoding a state file was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// postcard, version 3: what this build writes.
    Binary,
    /// MessagePack with field names, version 2: read, and rewritten on the next save.
    Named,
    /// JSON, version 1: read, and rewritten on the next save.
    Json,
}

/// Why bytes are not a state file this build can read, or a history could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No bytes (or only blanks).
    #[error("empty state file")]
    Empty,
    /// JSON state that does not parse as a state file (truncated, garbage, wrong shape).
    #[error(transparent)]
    Json(serde_json::Error),
    /// MessagePack state that does not parse as a state file.
    #[error(transparent)]
    Named(rmp_serde::decode::Error),
    /// Binary state that does not parse as a state file of its version.
    #[error("{0}")]
    Binary(postcard::Error),
    /// A state file of another format, or of a version this build does not read.
    #[error("unsupported state format {format} v{version}")]
    Unsupported {
        /// The `format` it names.
        format: String,
        /// The `version` it names.
        version: u32,
    },
    /// More bytes than a state file may have ([`MAX_STATE_BYTES`]).
    #[error("larger than {MAX_STATE_BYTES} bytes")]
    TooLarge,
    /// The history could not be encoded.
    #[error("{0}")]
    Encode(postcard::Error),
}

/// The bytes of a state file for `session_id` and `history`.
pub fn encode(session_id: &str, history: &History) -> Result<Vec<u8>, StateError> {
    let env = EnvelopeOut {
        format: FORMAT_NAME,
        version: BINARY_VERSION,
        session_id,
        history,
    };
    postcard::to_stdvec(&env).map_err(StateError::Encode)
}

/// Reads a state file's bytes (any encoding): the session id, the history and the encoding
/// found. `Err` says why the bytes are not a state file this build can read (truncated,
/// garbage, another format, a future version).
pub fn decode(bytes: &[u8]) -> Result<(String, History, Encoding), StateError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let (env, encoding, expected): (EnvelopeIn, _, _) = match first {
        None => return Err(StateError::Empty),
        Some(b'{') => (
            serde_json::from_slice(bytes).map_err(StateError::Json)?,
            Encoding::Json,
            JSON_VERSION,
        ),
        // A MessagePack map (fixmap, map16, map32); postcard starts with the name's length, 16.
        Some(0x80..=0x8f | 0xde | 0xdf) => (
            rmp_serde::from_slice(bytes).map_err(StateError::Named)?,
            Encoding::Named,
            NAMED_VERSION,
        ),
        Some(_) => return decode_binary(bytes),
    };
    if env.format != FORMAT_NAME || env.version != expected {
        return Err(StateError::Unsupported {
            format: env.format,
            version: env.version,
        });
    }
    Ok((env.session_id, env.history, encoding))
}

/// Reads the name and version first, so that another format or version is named, not misread.
fn decode_binary(bytes: &[u8]) -> Result<(String, History, Encoding), StateError> {
    let ((format, version), rest): ((String, u32), _) =
        postcard::take_from_bytes(bytes).map_err(StateError::Binary)?;
    if format != FORMAT_NAME || version != BINARY_VERSION {
        return Err(StateError::Unsupported { format, version });
    }
    let ((session_id, history), rest): ((String, History), _) =
        postcard::take_from_bytes(rest).map_err(StateError::Binary)?;
    if !rest.is_empty() {
        return Err(StateError::Binary(postcard::Error::DeserializeBadEncoding));
    }
    Ok((session_id, history, Encoding::Binary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::ToolCall;
    use serde_json::json;

    fn history() -> History {
        let mut h = History::new();
        h.record(&ToolCall::new("Read", json!({"file_path": "/p/a.rs"})).at(1_000));
        h.record(&ToolCall::new("Bash", json!({"command": "cargo test"})).at(2_000));
        h.record(&ToolCall::new("mcp__zen__chat", json!({"prompt": "x"})).at(2_500));
        h
    }

    /// A history that fills every persisted struct: streams, failures, reads, pending changes.
    fn full_history() -> History {
        let mut h = history();
        let edit = json!({"file_path": "/p/a.rs", "old_string": "a", "new_string": "b"});
        h.record(&ToolCall::new("Edit", edit).at(3_000).with_id("toolu_1"));
        h.record(
            &ToolCall::new("Read", json!({"file_path": "/p/b.rs"}))
                .in_agent("ag1")
                .at(3_500),
        );
        for t in [4_000, 4_100] {
            let test = ToolCall::new("Bash", json!({"command": "cargo test"}));
            h.record(
                &test
                    .at(t)
                    .failed_with("error[E0425]: cannot find value `x`"),
            );
        }
        h.record(&ToolCall::new("Read", json!({"file_path": "/p/c.rs"})).at(4_200));
        h
    }

    /// The current version and the length and FNV-1a hash of its encoding of [`full_history`].
    /// When a persisted struct changes, this test fails: give the new format a new
    /// [`BINARY_VERSION`], then put its figures here.
    const PINNED: (u32, usize, u64) = (3, 600, 0x512b_2f40_b73e_9373);

    #[test]
    fn the_encoding_is_pinned_to_its_version() {
        let bytes = encode("s1", &full_history()).expect("encode");
        let hash = posthook_analyzers::fnv1a64(&bytes);
        assert_eq!(
            (BINARY_VERSION, bytes.len(), hash),
            PINNED,
            "the state format changed: a new BINARY_VERSION, then its figures in PINNED"
        );
        let (_, back, _) = decode(&bytes).expect("decode");
        assert_eq!(back, full_history());
        let filled = (back.streams.len(), back.failures.len(), back.reads.len());
        assert!(filled.0 * filled.1 * filled.2 > 0, "{filled:?}");
    }

    #[test]
    fn what_is_not_a_state_file_says_why() {
        assert!(matches!(decode(b" \n"), Err(StateError::Empty)));
        assert!(matches!(decode(b"{\"format\""), Err(StateError::Json(_))));
        assert!(matches!(decode(b"\x84garbage"), Err(StateError::Named(_))));
        assert!(matches!(decode(b"\x10garbage"), Err(StateError::Binary(_))));
        let future =
            postcard::to_stdvec(&(FORMAT_NAME, 9u32, "s", History::new())).expect("encode");
        let e = decode(&future).expect_err("a future version");
        assert_eq!(
            e.to_string(),
            "unsupported state format posthook-session v9"
        );
        let other = serde_json::to_vec(&json!({"format": "other", "version": 1,
            "history": History::new()}))
        .expect("json");
        assert!(matches!(
            decode(&other),
            Err(StateError::Unsupported { format, version: 1 }) if format == "other"
        ));
        assert_eq!(StateError::Empty.to_string(), "empty state file");
    }

    #[test]
    fn binary_roundtrip_is_exact_and_names_no_field() {
        let h = full_history();
        let bytes = encode("s1", &h).expect("encode");
        let (id, back, enc) = decode(&bytes).expect("decode");
        assert_eq!((id.as_str(), enc), ("s1", Encoding::Binary));
        assert_eq!(back, h);
        let named = rmp_serde::to_vec_named(&h).expect("named");
        let has = |b: &[u8], s: &str| b.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(has(&named, "events_total") && !has(&bytes, "events_total"));
        assert!(
            bytes.len() * 2 < named.len(),
            "{} vs {}",
            bytes.len(),
            named.len()
        );
    }

    fn named(version: u32, h: &History) -> Vec<u8> {
        rmp_serde::to_vec_named(&EnvelopeOut {
            format: FORMAT_NAME,
            version,
            session_id: "s1",
            history: h,
        })
        .expect("encode")
    }

    #[test]
    fn state_of_the_earlier_versions_still_loads() {
        let h = full_history();
        let (id, back, enc) = decode(&named(NAMED_VERSION, &h)).expect("decode");
        assert_eq!((id.as_str(), enc, &back), ("s1", Encoding::Named, &h));
        let h = history();
        let old = serde_json::to_vec(&json!({
            "format": FORMAT_NAME, "version": 1, "session_id": "s1", "history": h,
        }))
        .expect("json");
        let (id, back, enc) = decode(&old).expect("decode");
        assert_eq!((id.as_str(), enc), ("s1", Encoding::Json));
        assert_eq!(back, h);
        // Pretty-printed, with leading blanks, as a person may have saved it.
        let pretty = format!(
            "\n  {}",
            serde_json::to_string_pretty(
                &serde_json::from_slice::<serde_json::Value>(&old).expect("v")
            )
            .expect("pretty")
        );
        assert_eq!(decode(pretty.as_bytes()).expect("decode").1, h);
    }

    #[test]
    fn named_fields_unknown_to_this_build_are_skipped_and_missing_ones_defaulted() {
        // A file written by a build whose History had one more field.
        #[derive(Serialize)]
        struct Later<'a> {
            #[serde(flatten)]
            history: &'a History,
            field_of_a_later_build: Vec<u32>,
        }
        #[derive(Serialize)]
        struct Envelope<'a> {
            format: &'a str,
            version: u32,
            session_id: &'a str,
            history: Later<'a>,
        }
        let h = history();
        let bytes = rmp_serde::to_vec_named(&Envelope {
            format: FORMAT_NAME,
            version: NAMED_VERSION,
            session_id: "s",
            history: Later {
                history: &h,
                field_of_a_later_build: vec![1, 2, 3],
            },
        })
        .expect("encode");
        assert_eq!(decode(&bytes).expect("decode").1, h);
        // And one by a build whose History had fewer fields.
        let env = json!({"format": FORMAT_NAME, "version": 2, "session_id": "s",
            "history": {"events_total": 3, "last_ts": 9}});
        let bytes = rmp_serde::to_vec_named(&env).expect("encode");
        let (_, back, _) = decode(&bytes).expect("decode");
        assert_eq!((back.events_total, back.last_ts), (3, 9));
        assert_eq!(back.recent, History::new().recent);
        assert_eq!(back.guidance, History::new().guidance);
    }

    #[test]
    fn what_is_not_a_state_file_is_refused() {
        let good = encode("s1", &full_history()).expect("encode");
        let mut longer = good.clone();
        longer.push(0);
        let future = postcard::to_stdvec(&(FORMAT_NAME, BINARY_VERSION + 1, "s", History::new()))
            .expect("encode");
        let other =
            postcard::to_stdvec(&("someone-else", BINARY_VERSION, "s", History::new())).expect("e");
        let named_other = rmp_serde::to_vec_named(&json!({
            "format": "someone-else", "version": 2, "session_id": "s", "history": {},
        }))
        .expect("encode");
        let json_claiming_v2 = br#"{"format":"posthook-session","version":2,"history":{}}"#;
        for (what, bytes) in [
            ("empty", &b""[..]),
            ("blank", &b"  \n"[..]),
            ("truncated", &good[..good.len() / 2]),
            ("cut by one byte", &good[..good.len() - 1]),
            ("a byte more", &longer[..]),
            ("garbage", &[0xc1, 0xff, 0x00][..]),
            ("a JSON array", &b"[1,2,3]"[..]),
            ("future version", &future[..]),
            ("other format", &other[..]),
            ("other format, named", &named_other[..]),
            (
                "named, claiming the binary version",
                &named(BINARY_VERSION, &History::new())[..],
            ),
            ("JSON with the binary version", &json_claiming_v2[..]),
        ] {
            assert!(decode(bytes).is_err(), "{what}");
        }
    }
}
