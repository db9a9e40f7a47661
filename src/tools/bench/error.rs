//! What can stop the benchmark before it reaches a verdict, one variant per kind of failure. The
//! texts are the ones printed after `posthook: `.

use std::io;
use std::path::PathBuf;

/// Why the benchmark could not run to its verdict (or could not write what it was asked to).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchError {
    /// A flag's value cannot be used (`--runs 0`, an empty `--command`, ...).
    #[error("{0}")]
    BadArgument(&'static str),
    /// `--scenario` filters that match no scenario; the built-in names to choose from.
    #[error("no scenario matches {filters:?}; built-in ones: {}", builtin.join(", "))]
    NoScenario {
        filters: Vec<String>,
        builtin: Vec<String>,
    },
    /// A `--payloads` or `--transcript` file that cannot be read or holds nothing to send.
    #[error("{0}")]
    Scenarios(String),
    /// The `--baseline` file cannot be read or is not a baseline.
    #[error("reading baseline '{}': {reason}", path.display())]
    Baseline { path: PathBuf, reason: String },
    /// This binary cannot be located (the benchmark spawns it).
    #[error("finding own executable: {0}")]
    OwnBinary(#[source] io::Error),
    /// A scratch or state directory cannot be made; `what` names it.
    #[error("creating {what}: {source}")]
    Scratch {
        what: &'static str,
        source: io::Error,
    },
    /// The seeded session state cannot be stored.
    #[error("{0}")]
    Seed(String),
    /// A hook command cannot be run and measured end to end.
    #[error("running `{label}`: {source}")]
    Run { label: String, source: io::Error },
    /// The concurrent load test cannot be run.
    #[error("running the load test: {0}")]
    Load(#[source] io::Error),
    /// Results cannot be turned into the bytes of an export or a baseline.
    #[error("{0}")]
    Serialize(String),
    /// An export, the baseline to save or the history cannot be written.
    #[error("writing {what} '{}': {source}", path.display())]
    Write {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
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
        let w = BenchError::Write {
            what: "baseline",
            path: "/x/y".into(),
            source: io::Error::other("full"),
        };
        assert_eq!(w.to_string(), "writing baseline '/x/y': full");
        let s = BenchError::Scratch {
            what: "a state dir",
            source: io::Error::other("denied"),
        };
        assert_eq!(s.to_string(), "creating a state dir: denied");
    }
}
