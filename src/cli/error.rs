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
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// `posthook bench` (`--bench`).
    #[error(transparent)]
    Bench(#[from] BenchError),
    /// `posthook session ...`.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// `posthook replay`.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `posthook explain`.
    #[error(transparent)]
    Explain(#[from] ExplainError),
    /// `posthook install` / `uninstall`.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// `posthook serve`.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// `posthook service ...`.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// `posthook stats`.
    #[error(transparent)]
    Stats(#[from] StatsError),
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
