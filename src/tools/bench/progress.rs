//! The progress line on stderr while the benchmark runs, on a terminal only (never in pipes or CI
//! logs).

use std::io::{self, IsTerminal, Write};

pub(crate) struct Progress {
    out: Option<io::Stderr>,
    total: usize,
    step: usize,
}

impl Progress {
    /// A progress line for `total` steps; silent unless stderr is a terminal.
    pub(crate) fn new(total: usize) -> Progress {
        let err = io::stderr();
        Progress {
            out: err.is_terminal().then_some(err),
            total,
            step: 0,
        }
    }

    /// Starts the next step, named `label`.
    pub(crate) fn step(&mut self, label: &str) {
        self.step += 1;
        if let Some(out) = &mut self.out {
            let done = (self.step - 1) * 24 / self.total.max(1);
            let bar = format!("{}{}", "#".repeat(done), "-".repeat(24 - done.min(24)));
            let _ = write!(out, "\r\x1b[2K[{bar}] {}/{} {label}", self.step, self.total);
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
