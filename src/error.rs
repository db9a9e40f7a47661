//! What a command that ran hands back to the dispatcher: the text it prints and its exit code.
//! Commands that fail return their own typed error instead; the dispatcher ([`crate::cli`]) turns
//! either into what is printed and the exit code.

use crate::exit::{FAILURE, OK};

/// What a command that ran prints on stdout, and the exit code it ends with: [`OK`], or
/// [`FAILURE`] for a check that failed, or the bench's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// The text for stdout (printed as is).
    pub text: String,
    code: u8,
}

impl Outcome {
    /// Text to print, from a command that checks nothing: [`OK`].
    pub(crate) fn text(text: impl Into<String>) -> Outcome {
        Outcome {
            text: text.into(),
            code: OK,
        }
    }

    /// Text to print, from a check: `(text, passed)`; [`FAILURE`] when it did not pass.
    pub(crate) fn check((text, passed): (String, bool)) -> Outcome {
        Outcome {
            text,
            code: if passed { OK } else { FAILURE },
        }
    }

    /// Text to print and the exit code to end with.
    pub(crate) fn with_code(text: String, code: u8) -> Outcome {
        Outcome { text, code }
    }

    /// The exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_that_failed_exits_1() {
        assert_eq!(Outcome::check((String::new(), false)).exit_code(), 1);
        assert_eq!(Outcome::check((String::new(), true)).exit_code(), 0);
        assert_eq!(Outcome::text("x").exit_code(), 0);
    }
}
