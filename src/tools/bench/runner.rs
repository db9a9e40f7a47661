//! `posthook bench`: sets up, measures, judges, reports, writes the outputs asked for, and
//! returns the verdict.

mod collect;
mod judge;
mod outputs;
mod setup;

pub(crate) use setup::Setup;

use super::args::BenchArgs;
use super::error::BenchError;
use super::measure::Scratch;
use super::report;
use super::results::Failures;
use posthook_analyzers::Settings;
use std::io::Write;
use std::time::Instant;

/// How a run ended: what the caller turns into an exit code (`bench_exit_code` in the dispatcher:
/// 0 for a pass, 3 for a regression, 4 for a missed target, as docs/benchmark.md documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    /// A scenario regressed against the baseline (this outranks a missed target).
    Regression,
    /// A p95 over the target, a failed call, a failed load test, a floor that fell back.
    MissedTarget,
}

impl Verdict {
    fn of(f: &Failures) -> Verdict {
        match (f.regressions.is_empty(), f.missed_targets.is_empty()) {
            (false, _) => Verdict::Regression,
            (true, false) => Verdict::MissedTarget,
            (true, true) => Verdict::Pass,
        }
    }
}

/// Runs the benchmark, prints the report on stdout, writes the outputs asked for and returns the
/// verdict. The caller prints the error.
pub(crate) fn run(args: &BenchArgs, settings: &Settings) -> Result<Verdict, BenchError> {
    let started = Instant::now();
    let scratch = Scratch::new("run").map_err(BenchError::io("creating scratch dir"))?;
    let setup = setup::setup(args, settings, &scratch)?;
    let mut results = collect::measure(setup, args, settings, &scratch)?;
    judge::judge(args, &mut results);
    results.elapsed_s = started.elapsed().as_secs_f64();
    let text = match args.full {
        true => report::full(&results),
        false => report::short(&results),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    outputs::write_outputs(args, &results)?;
    Ok(Verdict::of(&results.failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regression_outranks_a_missed_target() {
        let mut f = Failures::default();
        assert_eq!(Verdict::of(&f), Verdict::Pass);
        f.missed_targets
            .push("simple-read: p95 60 ms is not under 50 ms".into());
        assert_eq!(Verdict::of(&f), Verdict::MissedTarget);
        f.regressions.push("simple-read: CPU 1.00x -> 2.00x".into());
        assert_eq!(Verdict::of(&f), Verdict::Regression);
    }
}
