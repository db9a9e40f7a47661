//! Why a payload was refused, in words that name what and where.

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Nothing but whitespace on stdin.
    #[error("empty input: expected one JSON object on stdin")]
    Empty,
    /// Larger than the cap.
    #[error("input exceeds the {} MiB limit", limit / (1024 * 1024))]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// Not UTF-8.
    #[error("input is not UTF-8 at byte {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Not JSON (serde_json's message, with line and column).
    #[error("{0}")]
    Syntax(String),
    /// JSON, but the top level is not an object.
    #[error("expected a JSON object at the top level, found {0}")]
    NotObject(&'static str),
    /// A required field is missing or of the wrong type.
    #[error("field `{field}`: expected {expected}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// Reading stdin failed.
    #[error("reading stdin: {0}")]
    Io(String),
}
