//! A command that could not do its job, the exit code of each result, and of arguments clap
//! refuses. The one place a command's result is turned into an exit code.

use crate::error::Outcome;
use crate::exit::{FAILURE, MISSED_TARGET, OK, REGRESSION};
use crate::tools::bench::{BenchError, Verdict};
use crate::tools::explain::ExplainError;
use crate::tools::install::InstallError;
use crate::tools::replay::ReplayError;
use crate::tools::serve::service::ServiceError;
use crate::tools::serve::ServeError;
use crate::tools::session::SessionError;
use crate::tools::stats::StatsError;
use std::fmt;

/// A finished benchmark: its report is already on stdout, so nothing more to print.
impl From<Verdict> for Outcome {
    fn from(v: Verdict) -> Outcome {
        Outcome::with_code(String::new(), bench_exit_code(v))
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
        assert_eq!(bench_exit_code(Verdict::Pass), 0);
        assert_eq!(bench_exit_code(Verdict::Regression), 3);
        assert_eq!(bench_exit_code(Verdict::MissedTarget), 4);
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
