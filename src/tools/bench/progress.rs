//! The progress line on stderr while the benchmark runs.

use std::io::{self, IsTerminal, Write};

/// Progress on stderr while the benchmark runs, on a terminal only (never in pipes or CI logs).
pub(crate) struct Progress {
    out: Option<io::Stderr>,
    total: usize,
    step: usize,
    label: String,
}

impl Progress {
    /// A progress indicator for `total` steps; silent unless stderr is a terminal.
    pub(crate) fn new(total: usize) -> Progress {
        let err = io::stderr();
        Progress {
            out: err.is_terminal().then_some(err),
            total,
            step: 0,
            label: String::new(),
        }
    }

    /// Starts the next step.
    pub(crate) fn step(&mut self, label: &str) {
        self.step += 1;
        self.label = label.to_string();
        self.detail("");
    }

    /// Updates the current step's detail (e.g. `12/40`).
    pub(crate) fn detail(&mut self, detail: &str) {
        if let Some(out) = &mut self.out {
            let width = 24usize;
            let done = (self.step.saturating_sub(1) * width) / self.total.max(1);
            let bar: String = "#".repeat(done) + &"-".repeat(width - done.min(width));
            let _ = write!(
                out,
                "\r\x1b[2K[{bar}] {}/{} {} {detail}",
                self.step, self.total, self.label
            );
            let _ = out.flush();
        }
    }

    /// Clears the line.
    pub(crate) fn finish(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = write!(out, "\r\x1b[2K");
            let _ = out.flush();
        }
    }
}
