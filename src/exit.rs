//! Exit codes: the one place their numbers are defined. A leaf: the hook path and the tools both
//! read it, and it reads nothing.

/// Success: the command did what it was asked, or the hook has nothing to say (or only
/// non-blocking feedback).
pub(crate) const OK: u8 = 0;
/// Failure: a command that could not do its job or whose check failed, or hook input that cannot
/// be read (Claude Code shows it to the user, not to Claude). Also usage errors, which clap itself
/// would give 2.
pub(crate) const FAILURE: u8 = 1;
/// Hook mode only: blocking feedback on stderr, which Claude Code shows to Claude. Never used for
/// posthook's own faults.
pub(crate) const BLOCKING: u8 = 2;
/// The bench: a scenario regressed against the baseline.
#[cfg(feature = "tools")]
pub(crate) const REGRESSION: u8 = 3;
/// The bench: a target was missed.
#[cfg(feature = "tools")]
pub(crate) const MISSED_TARGET: u8 = 4;

#[cfg(test)]
mod tests {
    #[test]
    fn codes_keep_their_numbers() {
        assert_eq!((super::OK, super::FAILURE, super::BLOCKING), (0, 1, 2));
    }
}
