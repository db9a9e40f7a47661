//! What can stop the benchmark before it reaches a verdict, one variant per kind of failure. The
//! texts are the ones printed after `posthook: `.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why the benchmark could not run to its verdict (or could not write what it was asked to).
#[derive(Debug)]
pub(crate) enum BenchError {
    /// A flag's value cannot be used (`--runs 0`, an empty `--command`, ...): the message says
    /// which and why.
    BadArgument(&'static str),
    /// `--scenario` filters that match no scenario.
    NoScenario {
        /// The filters given.
        filters: Vec<String>,
        /// The names of the built-in scenarios, to choose from.
        builtin: Vec<String>,
    },
    /// A `--payloads` or `--transcript` file that cannot be read or holds nothing to send, or no
    /// payload at all: the whole message.
    Scenarios(String),
    /// The `--baseline` file cannot be read or is not a baseline.
    Baseline {
        /// The file.
        path: PathBuf,
        /// What went wrong with it.
        reason: String,
    },
    /// This binary cannot be located (the benchmark spawns it); `doing` names the step.
    OwnBinary {
        /// The step, e.g. `finding own executable`.
        doing: &'static str,
        /// Why.
        source: io::Error,
    },
    /// A scratch or state directory cannot be made; `what` names it.
    Scratch {
        /// The directory, as the message names it.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// The seeded session state cannot be stored.
    Seed(String),
    /// A hook command cannot be run and measured end to end.
    Run {
        /// The command's label.
        label: String,
        /// Why.
        source: io::Error,
    },
    /// The concurrent load test cannot be run.
    Load(io::Error),
    /// Results cannot be turned into the bytes of an export or a baseline.
    Serialize(String),
    /// An export or the baseline to save cannot be written.
    Write {
        /// What the file is (`JSON export`, `baseline`, ...), when the message names it.
        what: Option<&'static str>,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The `--history` file cannot be appended to.
    History {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::BadArgument(m) => f.write_str(m),
            BenchError::NoScenario { filters, builtin } => write!(
                f,
                "no scenario matches {filters:?}; built-in ones: {}",
                builtin.join(", ")
            ),
            BenchError::Scenarios(m) => f.write_str(m),
            BenchError::Baseline { path, reason } => {
                write!(f, "reading baseline '{}': {reason}", path.display())
            }
            BenchError::OwnBinary { doing, source } => write!(f, "{doing}: {source}"),
            BenchError::Scratch { what, source } => write!(f, "creating {what}: {source}"),
            BenchError::Seed(e) => write!(f, "seeding session state: {e}"),
            BenchError::Run { label, source } => write!(f, "running `{label}`: {source}"),
            BenchError::Load(e) => write!(f, "running the load test: {e}"),
            BenchError::Serialize(m) => f.write_str(m),
            BenchError::Write { what, path, source } => match what {
                Some(w) => write!(f, "writing {w} '{}': {source}", path.display()),
                None => write!(f, "writing '{}': {source}", path.display()),
            },
            BenchError::History { path, source } => {
                write!(f, "appending to history '{}': {source}", path.display())
            }
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::OwnBinary { source, .. }
            | BenchError::Scratch { source, .. }
            | BenchError::Run { source, .. }
            | BenchError::Write { source, .. }
            | BenchError::History { source, .. } => Some(source),
            BenchError::Load(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_printed_messages() {
        let e = BenchError::NoScenario {
            filters: vec!["nope".into()],
            builtin: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            e.to_string(),
            r#"no scenario matches ["nope"]; built-in ones: a, b"#
        );
        let w = |what| BenchError::Write {
            what,
            path: "/x/y".into(),
            source: io::Error::other("full"),
        };
        assert_eq!(
            w(Some("baseline")).to_string(),
            "writing baseline '/x/y': full"
        );
        assert_eq!(w(None).to_string(), "writing '/x/y': full");
        assert_eq!(
            BenchError::Scratch {
                what: "a state dir".into(),
                source: io::Error::other("denied")
            }
            .to_string(),
            "creating a state dir: denied"
        );
    }
}
