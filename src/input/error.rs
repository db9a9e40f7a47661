//! Why a payload was refused, in words that name what and where.

use std::fmt;

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Nothing but whitespace on stdin.
    Empty,
    /// Larger than the cap.
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// Not UTF-8.
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Not JSON (serde_json's message, with line and column).
    Syntax(String),
    /// JSON, but the top level is not an object.
    NotObject(&'static str),
    /// A required field is missing or of the wrong type.
    Field {
        /// Field name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// Reading stdin failed.
    Io(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Empty => write!(f, "empty input: expected one JSON object on stdin"),
            InputError::TooLarge { limit } => {
                write!(f, "input exceeds the {} MiB limit", limit / (1024 * 1024))
            }
            InputError::NotUtf8 { offset } => write!(f, "input is not UTF-8 at byte {offset}"),
            InputError::Syntax(msg) => write!(f, "{msg}"),
            InputError::NotObject(what) => {
                write!(f, "expected a JSON object at the top level, found {what}")
            }
            InputError::Field { field, expected } => {
                write!(f, "field `{field}`: expected {expected}")
            }
            InputError::Io(msg) => write!(f, "reading stdin: {msg}"),
        }
    }
}

impl std::error::Error for InputError {}
