//! Statistics over latency samples (seconds, as in hyperfine): pure functions of plain numbers.
//!
//! Percentiles use the nearest-rank method, and ratios of medians carry a robust error (from the
//! median absolute deviation), so a few slow runs on a busy machine do not widen them.

/// The summary of a set of samples; all zero for none. The median of an even count is the mean
/// of the two middle samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Summary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    pub(crate) fn of(xs: &[f64]) -> Summary {
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        Summary {
            n: xs.len(),
            mean: xs.iter().sum::<f64>() / xs.len().max(1) as f64,
            median: median_sorted(&sorted),
            p95: percentile_sorted(&sorted, 95.0),
            p99: percentile_sorted(&sorted, 99.0),
            max: sorted.last().copied().unwrap_or(0.0),
        }
    }
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
    // The epsilon keeps 95% of 20 samples at rank 19 despite binary rounding of 0.95 * 20.
    let rank = ((p / 100.0) * sorted.len() as f64 - 1e-9).ceil().max(1.0) as usize;
    sorted
        .get(rank.min(sorted.len()).wrapping_sub(1))
        .copied()
        .unwrap_or(0.0)
}

/// The standard error of the median, estimated robustly: `1.2533 * 1.4826 * MAD / sqrt(n)` (the
/// median's asymptotic error for a normal sample, with the spread taken from the median absolute
/// deviation). 0 for fewer than two samples.
pub(super) fn median_error(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = median(xs);
    let mad = median(&xs.iter().map(|x| (x - m).abs()).collect::<Vec<_>>());
    1.2533 * 1.4826 * mad / (xs.len() as f64).sqrt()
}

/// `median(a) / median(b)` with its standard error, propagated to first order from
/// [`median_error`] of each: `r * sqrt((ea / a)^2 + (eb / b)^2)`. `None` when either median is
/// not positive.
pub(super) fn median_ratio(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let (ma, mb) = (median(a), median(b));
    if ma <= 0.0 || mb <= 0.0 {
        return None;
    }
    let r = ma / mb;
    let e = r * ((median_error(a) / ma).powi(2) + (median_error(b) / mb).powi(2)).sqrt();
    Some((r, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
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
        assert_eq!(s.max, 9.0);
        assert_eq!(Summary::of(&[]), Summary::default());
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
        // Both spread: the relative errors add in quadrature.
        let b = [1.0, 1.5, 2.0];
        let (r, re) = median_ratio(&xs, &b).expect("ratio");
        let eb = 1.2533 * 1.4826 * 0.5 / 3f64.sqrt();
        assert!(close(r, 2.0));
        assert!(close(
            re,
            2.0 * ((e / 3.0).powi(2) + (eb / 1.5).powi(2)).sqrt()
        ));
    }
}
