//! The terminal report and the progress indicator: the only bench module that writes to the
//! terminal. Everything is written through `std::io::Write`, so tests can render into a buffer.

mod cells;
mod end_to_end;
mod in_process;
mod progress;
mod summary;

pub(super) use progress::Progress;

use super::results::BenchResults;
use end_to_end::{write_end_to_end, write_load, write_vs};
use in_process::write_in_process;
use std::io::{self, Write};
use summary::{
    write_baseline, write_floors, write_grades, write_header, write_headline, write_notes,
    write_verdict,
};

/// Writes the whole report: one section after the other, each a function of the results alone.
pub(super) fn write(out: &mut impl Write, r: &BenchResults) -> io::Result<()> {
    write_header(out, r)?;
    write_headline(out, r)?;
    write_floors(out, r)?;
    write_end_to_end(out, r)?;
    write_vs(out, r)?;
    write_in_process(out, r)?;
    write_load(out, r)?;
    write_grades(out, r)?;
    write_baseline(out, r)?;
    write_notes(out, r)?;
    write_verdict(out, r)
}
