//! What can stop the benchmark before it reaches a verdict. The texts are the ones printed after
//! `posthook: `.

/// Why the benchmark could not run to its verdict (or could not write what it was asked to).
#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchError {
    /// What it was given cannot be used: a flag's value, a `--payloads` or `--transcript` file
    /// with nothing to send, a `--baseline` that is not one (the message says which and why).
    #[error("{0}")]
    Input(String),
    /// `--scenario` filters that match no scenario; the built-in names to choose from.
    #[error("no scenario matches {filters:?}; built-in ones: {}", builtin.join(", "))]
    NoScenario {
        filters: Vec<String>,
        builtin: Vec<String>,
    },
    /// A step failed on the machine: `doing` says which (running a hook, writing an export...).
    #[error("{doing}: {source}")]
    Io {
        doing: String,
        source: std::io::Error,
    },
}

impl BenchError {
    /// An I/O failure while `doing` something.
    pub(crate) fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
        let doing = doing.into();
        |source| BenchError::Io { doing, source }
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
        let w = BenchError::io("writing baseline '/x/y'")(std::io::Error::other("full"));
        assert_eq!(w.to_string(), "writing baseline '/x/y': full");
        assert!(std::error::Error::source(&w).is_some());
    }
}
