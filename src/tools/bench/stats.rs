//! Statistics over latency samples: pure functions of plain numbers, no clocks, no I/O.
//!
//! Samples are seconds as `f64` (as in hyperfine). Percentiles use the nearest-rank method, the
//! standard deviation is the sample one (n - 1), and ratios of medians carry a robust error (from
//! the median absolute deviation), so a few slow runs on a busy machine do not widen them.

/// The summary of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for fewer than two samples).
    pub stdev: f64,
    /// Median (mean of the two middle samples for an even count).
    pub median: f64,
    /// 95th percentile, nearest rank.
    pub p95: f64,
    /// 99th percentile, nearest rank.
    pub p99: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarizes `xs`; all fields are zero for an empty slice.
    pub(crate) fn of(xs: &[f64]) -> Summary {
        if xs.is_empty() {
            return Summary::default();
        }
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        Summary {
            n: xs.len(),
            mean: mean(xs),
            stdev: stdev(xs),
            median: median_sorted(&sorted),
            p95: percentile_sorted(&sorted, 95.0),
            p99: percentile_sorted(&sorted, 99.0),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

/// Arithmetic mean; 0 for an empty slice.
pub(super) fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Sample standard deviation (divides by n - 1); 0 for fewer than two samples.
pub(super) fn stdev(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() - 1) as f64).sqrt()
}

fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Median; 0 for an empty slice.
pub(super) fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

/// The `p`th percentile (0 < p <= 100) of sorted samples by nearest rank: the smallest sample
/// with at least p% of the samples at or below it, i.e. the one at rank `ceil(p / 100 * n)`.
pub(super) fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let n = sorted.len();
    // The epsilon keeps 95% of 20 samples at rank 19 despite binary rounding of 0.95 * 20.
    let rank = ((p / 100.0) * n as f64 - 1e-9).ceil().max(1.0) as usize;
    sorted[rank.min(n) - 1]
}

/// `a / b` with its standard error propagated from the two standard deviations (first order, as
/// hyperfine's relative speed): `r * sqrt((sa / a)^2 + (sb / b)^2)`. `None` when `a` or `b` is
/// not positive.
pub(super) fn ratio(a: f64, sa: f64, b: f64, sb: f64) -> Option<(f64, f64)> {
    if a <= 0.0 || b <= 0.0 {
        return None;
    }
    let r = a / b;
    Some((r, r * ((sa / a).powi(2) + (sb / b).powi(2)).sqrt()))
}

/// The standard error of the median, estimated robustly: `1.2533 * 1.4826 * MAD / sqrt(n)` (the
/// median's asymptotic error for a normal sample, with the spread taken from the median absolute
/// deviation, so that a few slow runs on a busy machine do not inflate it). 0 for fewer than two
/// samples.
pub(super) fn median_error(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = median(xs);
    let mad = median(&xs.iter().map(|x| (x - m).abs()).collect::<Vec<_>>());
    1.2533 * 1.4826 * mad / (xs.len() as f64).sqrt()
}

/// The ratio of two samples' medians, `median(a) / median(b)`, with its standard error
/// propagated from [`median_error`] of each. `None` when either median is not positive.
pub(super) fn median_ratio(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    ratio(median(a), median_error(a), median(b), median_error(b))
}

/// How many runs to make, as hyperfine: enough to fill `min_time` given how long one run took,
/// and never fewer than `min_runs` or more than `max_runs`.
pub(super) fn plan_runs(one_run: f64, min_time: f64, min_runs: usize, max_runs: usize) -> usize {
    let max_runs = max_runs.max(min_runs).max(1);
    let wanted = if one_run > 0.0 {
        (min_time / one_run).ceil()
    } else {
        max_runs as f64
    };
    // `as usize` saturates for huge or infinite values.
    (wanted as usize).clamp(min_runs.max(1), max_runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn mean_and_sample_stdev() {
        // mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32 / 7 = 4.571428..; sqrt = 2.138089..
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert!(close(mean(&xs), 5.0));
        assert!(close(stdev(&xs), (32.0f64 / 7.0).sqrt()));
        assert!(close(stdev(&xs), 2.138_089_935_299_395));
        assert_eq!(stdev(&[3.0]), 0.0);
        assert_eq!(mean(&[]), 0.0);
    }

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        // 95% of 20 = 19 -> the 19th value; 99% of 20 = 19.8 -> rank 20.
        assert_eq!(percentile_sorted(&xs, 95.0), 19.0);
        assert_eq!(percentile_sorted(&xs, 99.0), 20.0);
        assert_eq!(percentile_sorted(&xs, 50.0), 10.0);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        // 95% of 10 = 9.5 -> rank 10.
        assert_eq!(percentile_sorted(&ten, 95.0), 10.0);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile_sorted(&hundred, 99.0), 99.0);
        assert_eq!(percentile_sorted(&hundred, 95.0), 95.0);
        assert_eq!(percentile_sorted(&[7.0], 99.0), 7.0);
        assert_eq!(percentile_sorted(&[], 99.0), 0.0);
    }

    #[test]
    fn summary_of_known_samples() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let s = Summary::of(&xs);
        assert_eq!(s.n, 8);
        assert!(close(s.mean, 5.0));
        assert_eq!(s.median, 4.5);
        // 95% of 8 = 7.6 -> rank 8.
        assert_eq!(s.p95, 9.0);
        assert_eq!(s.p99, 9.0);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        assert_eq!(Summary::of(&[]), Summary::default());
    }

    #[test]
    fn shares_ratios_and_plans() {
        // 2/1 with 10% and 20% relative errors: 2 * sqrt(0.01 + 0.04).
        let (r, e) = ratio(2.0, 0.2, 1.0, 0.2).expect("positive");
        assert!(close(r, 2.0));
        assert!(close(e, 2.0 * 0.05f64.sqrt()));
        assert_eq!(ratio(1.0, 0.0, 0.0, 0.0), None);
        // 3 s of runs at 0.1 s each = 30 runs, within 10..=100.
        assert_eq!(plan_runs(0.1, 3.0, 10, 100), 30);
        assert_eq!(plan_runs(1.0, 3.0, 10, 100), 10);
        assert_eq!(plan_runs(0.0001, 3.0, 10, 100), 100);
        assert_eq!(plan_runs(0.0, 3.0, 10, 100), 100);
        assert_eq!(plan_runs(0.1, 3.0, 5, 2), 5);
    }

    #[test]
    fn median_errors_and_ratios_by_hand() {
        // Median 3, deviations [2, 1, 0, 1, 97] -> MAD 1: the 100 does not widen the error.
        let xs = [1.0, 2.0, 3.0, 4.0, 100.0];
        let e = 1.2533 * 1.4826 / 5f64.sqrt();
        assert!(close(median_error(&xs), e));
        assert_eq!(median_error(&[1.0]), 0.0);
        let (r, re) = median_ratio(&xs, &[1.5, 1.5, 1.5]).expect("ratio");
        assert!(close(r, 2.0));
        // The floor's MAD is 0: the error is the hook's alone, relative.
        assert!(close(re, 2.0 * e / 3.0));
        assert!(median_ratio(&xs, &[]).is_none());
    }
}
