//! `posthook --bench`: the built-in self-benchmark, and a benchmark for any other hook command.
//!
//! Scenarios (the original suite's eight calls, sequences from real sessions, or the user's own)
//! are measured in two modes: in process (the Runtime alone, with the time per analyzer and the
//! pattern-cache hit rate) and end to end (one process per call with a fresh state dir, as Claude
//! Code runs a hook, with the child's own CPU time and peak RSS). Every end-to-end figure is set
//! against the floor: the same spawn of a process that only reads stdin and exits.
//!
//! The tree: `scenarios` (what is sent), `measure` (one child process), `modes` (in-process and
//! end-to-end runs), `messages` (what posthook tells Claude on real sessions), `load` (concurrent
//! users), `stats` (pure), `baseline` (regressions), `results` (the data), `table` (the one shape
//! of every section, and its renderers), `report` (the sections, the short default),
//! `runner` (ties it together and returns a [`Verdict`]), `error` (what stops a run: [`BenchError`]).
//! The load on `posthook serve` is measured by `benches/serve_load.py`.

mod args;
mod baseline;
mod error;
mod floor;
mod load;
mod measure;
mod messages;
mod modes;
mod progress;
mod report;
mod results;
mod runner;
mod scenarios;
mod seed;
mod spawner;
mod stats;
mod table;

pub(crate) use args::BenchArgs;
pub(crate) use error::BenchError;
pub(crate) use runner::{run, Verdict};
pub(crate) use spawner::serve as serve_spawner;
