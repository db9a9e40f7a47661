//! The cells the report's tables share: durations with their spread, ratios, instruction
//! counts, cut names, sparklines.

use crate::tools::bench::stats;
use crate::tools::bench::units::duration;

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the latency distribution: a histogram of `xs` in `bins` bins from the minimum
/// to the 99th percentile (slower samples land in the last bin).
pub(super) fn sparkline(xs: &[f64], bins: usize) -> String {
    if xs.is_empty() {
        return String::new();
    }
    let s = stats::Summary::of(xs);
    let counts = stats::histogram(xs, bins, s.min, s.p99);
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                SPARKS[((c * SPARKS.len()).div_ceil(top) - 1).min(SPARKS.len() - 1)]
            }
        })
        .collect()
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub(super) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

pub(super) fn mean_sd(mean: f64, sd: f64) -> String {
    format!("{} ± {}", duration(mean), duration(sd))
}

pub(super) fn ratio(r: Option<f64>, e: Option<f64>) -> String {
    match (r, e) {
        (Some(r), Some(e)) => format!("{r:.2} ± {e:.2}"),
        _ => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_shape() {
        // Two clusters: most samples fast, a few slow.
        let xs = [1.0, 1.0, 1.0, 1.0, 1.1, 2.0, 2.0, 3.0];
        let s = sparkline(&xs, 4);
        assert_eq!(s.chars().count(), 4);
        assert_eq!(s.chars().next(), Some('█'));
        assert_eq!(s.chars().nth(1), Some(' '));
        assert_eq!(sparkline(&[], 4), "");
    }
}
