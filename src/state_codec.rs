//! The bytes of a session's state file: what the store writes and what it reads back.
//!
//! State is written as MessagePack (version 2): a map `{format, version, session_id, history}`
//! whose `history` is the [`History`] exactly as its serde derives describe it, field names
//! included. Being self-describing, it follows the derives by itself: a field added to `History`
//! (with `#[serde(default)]`) is written and read with no change here, a field removed is skipped,
//! and `skip_serializing_if` works as in JSON. Loading and saving it costs a fraction of JSON's
//! (no text to scan for escapes, no numbers to parse from digits), which matters because every hook
//! call does both.
//!
//! Files written by older versions are JSON (version 1, `{"format": ...}`); they still load, and
//! the next save writes them anew in the current format. JSON is told apart by its first
//! non-blank byte, `{`, which no MessagePack map starts with. People read state through
//! `posthook session show`, which prints it as JSON whatever the file holds.

use posthook_analyzers::History;
use serde::{Deserialize, Serialize};

/// The name every state file carries, in either encoding.
pub const FORMAT_NAME: &str = "posthook-session";
/// The version written: MessagePack.
pub const BINARY_VERSION: u32 = 2;
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
    /// MessagePack, version 2: what this build writes.
    Binary,
    /// JSON, version 1: read, and rewritten as binary on the next save.
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
    Binary(rmp_serde::decode::Error),
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
    #[error(transparent)]
    Encode(rmp_serde::encode::Error),
}

/// The bytes of a state file for `session_id` and `history`.
pub fn encode(session_id: &str, history: &History) -> Result<Vec<u8>, StateError> {
    let env = EnvelopeOut {
        format: FORMAT_NAME,
        version: BINARY_VERSION,
        session_id,
        history,
    };
    rmp_serde::to_vec_named(&env).map_err(StateError::Encode)
}

/// Reads a state file's bytes (either encoding): the session id, the history and the encoding
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
        Some(_) => (
            rmp_serde::from_slice(bytes).map_err(StateError::Binary)?,
            Encoding::Binary,
            BINARY_VERSION,
        ),
    };
    if env.format != FORMAT_NAME || env.version != expected {
        return Err(StateError::Unsupported {
            format: env.format,
            version: env.version,
        });
    }
    Ok((env.session_id, env.history, encoding))
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

    #[test]
    fn what_is_not_a_state_file_says_why() {
        assert!(matches!(decode(b" \n"), Err(StateError::Empty)));
        assert!(matches!(decode(b"{\"format\""), Err(StateError::Json(_))));
        assert!(matches!(decode(b"\xc1garbage"), Err(StateError::Binary(_))));
        let future = rmp_serde::to_vec_named(&json!({"format": FORMAT_NAME, "version": 9,
            "session_id": "s", "history": History::new()}))
        .expect("encode");
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
    fn binary_roundtrip_is_exact() {
        let h = history();
        let bytes = encode("s1", &h).expect("encode");
        assert_ne!(bytes.first(), Some(&b'{'));
        let (id, back, enc) = decode(&bytes).expect("decode");
        assert_eq!((id.as_str(), enc), ("s1", Encoding::Binary));
        assert_eq!(back, h);
    }

    #[test]
    fn json_state_of_older_versions_still_loads() {
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
    fn fields_unknown_to_this_build_are_skipped_and_missing_ones_defaulted() {
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
            version: BINARY_VERSION,
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
        let good = encode("s1", &history()).expect("encode");
        let future = rmp_serde::to_vec_named(&json!({
            "format": FORMAT_NAME, "version": 3, "session_id": "s", "history": {},
        }))
        .expect("encode");
        let other = rmp_serde::to_vec_named(&json!({
            "format": "someone-else", "version": 2, "session_id": "s", "history": {},
        }))
        .expect("encode");
        let json_claiming_v2 = br#"{"format":"posthook-session","version":2,"history":{}}"#;
        for (what, bytes) in [
            ("empty", &b""[..]),
            ("blank", &b"  \n"[..]),
            ("truncated", &good[..good.len() / 2]),
            ("garbage", &[0xc1, 0xff, 0x00][..]),
            ("a JSON array", &b"[1,2,3]"[..]),
            ("future version", &future[..]),
            ("other format", &other[..]),
            ("JSON with the binary version", &json_claiming_v2[..]),
        ] {
            assert!(decode(bytes).is_err(), "{what}");
        }
    }
}
