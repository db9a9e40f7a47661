//! Exit codes: the one place they are defined, and the one place a command's result is turned
//! into one.
//!
//! Every command returns `Result<Outcome, Error>`: an [`Outcome`] is the text it prints and its
//! exit code (doctor, config check, service install and status exit 1 on a failed check; the bench
//! exits with its [`Verdict`]); an [`Error`] wraps the command's own typed error, whose
//! `Display` is the line printed after its [`Error::prefix`]. Hook mode answers with [`OK`],
//! [`BLOCKING`] or [`FAILURE`] through [`crate::output::Rendered::code`].

use crate::tools::bench::{BenchError, Verdict};
use crate::tools::explain::ExplainError;
use crate::tools::install::InstallError;
use crate::tools::replay::ReplayError;
use crate::tools::serve::service::ServiceError;
use crate::tools::serve::ServeError;
use crate::tools::session::SessionError;
use crate::tools::stats::StatsError;
use std::fmt;

/// Success: the command did what it was asked, or the hook has nothing to say (or only
/// non-blocking feedback).
pub(crate) const OK: u8 = 0;
/// Failure: a command that could not do its job or whose check failed, or hook input that cannot
/// be read (Claude Code shows it to the user, not to Claude). Also clap's usage errors, which clap
/// itself would give 2.
pub(crate) const FAILURE: u8 = 1;
/// Hook mode only: blocking feedback on stderr, which Claude Code shows to Claude. Never used for
/// posthook's own faults.
pub(crate) const BLOCKING: u8 = 2;
/// The bench: a scenario regressed against the baseline.
pub(crate) const REGRESSION: u8 = 3;
/// The bench: a target was missed.
pub(crate) const MISSED_TARGET: u8 = 4;

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

    /// The exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }
}

/// A finished benchmark: its report is already on stdout, so nothing more to print.
impl From<Verdict> for Outcome {
    fn from(v: Verdict) -> Outcome {
        Outcome {
            text: String::new(),
            code: bench_exit_code(v),
        }
    }
}

/// The exit code for arguments clap refuses, or for `--help` and `--version`: clap would use 2
/// for a usage error, which means "blocking feedback" to Claude Code, so posthook uses
/// [`FAILURE`]; help and version are [`OK`].
pub(crate) fn usage_exit_code(e: &clap::Error) -> u8 {
    if e.use_stderr() {
        FAILURE
    } else {
        OK
    }
}

/// A command that could not do its job.
#[derive(Debug)]
pub(crate) enum Error {
    /// `posthook bench` (`--bench`).
    Bench(BenchError),
    /// `posthook session ...`.
    Session(SessionError),
    /// `posthook replay`.
    Replay(ReplayError),
    /// `posthook explain`.
    Explain(ExplainError),
    /// `posthook install` / `uninstall`.
    Install(InstallError),
    /// `posthook serve`.
    Serve(ServeError),
    /// `posthook service ...`.
    Service(ServiceError),
    /// `posthook stats`.
    Stats(StatsError),
}

impl Error {
    /// The exit code: every command failure is [`FAILURE`].
    pub(crate) fn exit_code(&self) -> u8 {
        FAILURE
    }

    /// What the printed line starts with: `posthook serve` for the server (as its log lines do),
    /// `posthook` for everything else.
    pub(crate) fn prefix(&self) -> &'static str {
        match self {
            Error::Serve(_) => "posthook serve",
            _ => "posthook",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bench(e) => e.fmt(f),
            Error::Session(e) => e.fmt(f),
            Error::Replay(e) => e.fmt(f),
            Error::Explain(e) => e.fmt(f),
            Error::Install(e) => e.fmt(f),
            Error::Serve(e) => e.fmt(f),
            Error::Service(e) => e.fmt(f),
            Error::Stats(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

macro_rules! from_error {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(impl From<$ty> for Error {
            fn from(e: $ty) -> Error {
                Error::$variant(e)
            }
        })*
    };
}

from_error!(
    Bench(BenchError),
    Session(SessionError),
    Replay(ReplayError),
    Explain(ExplainError),
    Install(InstallError),
    Serve(ServeError),
    Service(ServiceError),
    Stats(StatsError),
);

/// The exit code for a finished benchmark: the bench decides its verdict (a regression outranks a
/// missed target); this says what each exits with. A run that could not finish is an [`Error`],
/// exit [`FAILURE`].
pub(crate) fn bench_exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => OK,
        Verdict::Regression => REGRESSION,
        Verdict::MissedTarget => MISSED_TARGET,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_their_numbers() {
        assert_eq!((OK, FAILURE, BLOCKING), (0, 1, 2));
        assert_eq!(bench_exit_code(Verdict::Pass), 0);
        assert_eq!(bench_exit_code(Verdict::Regression), 3);
        assert_eq!(bench_exit_code(Verdict::MissedTarget), 4);
        assert_eq!(Outcome::check((String::new(), false)).exit_code(), 1);
        assert_eq!(Outcome::text("x").exit_code(), 0);
        assert_eq!(Outcome::from(Verdict::Regression).exit_code(), 3);
        assert!(Outcome::from(Verdict::Pass).text.is_empty());
    }

    #[test]
    fn an_error_is_its_commands_line_and_exit_1() {
        let e = Error::from(SessionError::NoStateDir);
        assert_eq!(
            (e.prefix(), e.to_string().as_str(), e.exit_code()),
            (
                "posthook",
                "no state dir: set POSTHOOK_STATE_DIR or HOME",
                1
            )
        );
        let e = Error::from(ServeError::NoTokenDir);
        assert_eq!((e.prefix(), e.exit_code()), ("posthook serve", 1));
    }
}
