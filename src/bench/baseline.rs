//! Regression detection: a saved baseline of per-scenario means, the comparison against it, and an
//! append-only history line per run.
//!
//! The verdict is the original's rule made configurable: a scenario regressed when its mean is
//! above `(1 + threshold)` times the baseline's (threshold 0.5 by default, i.e. 1.5x). The ratio
//! is reported with its error, propagated from both standard deviations, so a reader can tell a
//! real slowdown from noise.

use super::stats;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format name written into baseline files.
pub const FORMAT: &str = "posthook-bench-baseline";

/// One scenario's figures in a baseline (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Mean latency.
    pub mean: f64,
    /// Its standard deviation.
    pub stdev: f64,
    /// Samples behind it.
    pub n: usize,
}

/// A saved baseline: per-scenario end-to-end means of the measured hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub version: u32,
    /// The posthook version that wrote it.
    pub posthook_version: String,
    /// What was measured (`posthook` or the `--command`).
    pub subject: String,
    /// By scenario name.
    pub scenarios: BTreeMap<String, Entry>,
}

impl Baseline {
    /// A baseline of `scenarios` for `subject`.
    pub fn new(subject: &str, scenarios: BTreeMap<String, Entry>) -> Baseline {
        Baseline {
            format: FORMAT.to_string(),
            version: 1,
            posthook_version: env!("CARGO_PKG_VERSION").to_string(),
            subject: subject.to_string(),
            scenarios,
        }
    }

    /// Parses a baseline file's text.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.format != FORMAT {
            return Err(format!("not a {FORMAT} file (format '{}')", b.format));
        }
        Ok(b)
    }
}

/// How a scenario compares with its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Slower than `(1 + threshold)` times the baseline.
    Regressed,
    /// Faster than the baseline divided by `(1 + threshold)`.
    Improved,
    /// Within the threshold either way.
    Unchanged,
}

/// One scenario's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// Baseline mean (s).
    pub baseline_mean: f64,
    /// Current mean (s).
    pub current_mean: f64,
    /// current / baseline.
    pub ratio: f64,
    /// Standard error of the ratio.
    pub ratio_error: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// The verdict for a ratio (current / baseline) at `threshold` (0.5 = alert above 1.5x).
pub fn verdict(ratio: f64, threshold: f64) -> Verdict {
    if ratio > 1.0 + threshold {
        Verdict::Regressed
    } else if ratio * (1.0 + threshold) < 1.0 {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    }
}

/// Compares the current figures with the baseline, scenario by scenario; scenarios missing on
/// either side are left out.
pub fn compare(
    baseline: &Baseline,
    current: &BTreeMap<String, Entry>,
    threshold: f64,
) -> Vec<Comparison> {
    current
        .iter()
        .filter_map(|(name, cur)| {
            let base = baseline.scenarios.get(name)?;
            let (ratio, ratio_error) = stats::ratio(cur.mean, cur.stdev, base.mean, base.stdev)?;
            Some(Comparison {
                scenario: name.clone(),
                baseline_mean: base.mean,
                current_mean: cur.mean,
                ratio,
                ratio_error,
                verdict: verdict(ratio, threshold),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mean: f64, stdev: f64) -> Entry {
        Entry { mean, stdev, n: 10 }
    }

    #[test]
    fn verdicts_at_the_default_threshold() {
        assert_eq!(verdict(1.51, 0.5), Verdict::Regressed);
        assert_eq!(verdict(1.5, 0.5), Verdict::Unchanged);
        assert_eq!(verdict(1.0, 0.5), Verdict::Unchanged);
        // 1 / 1.5 = 0.666..: just under it is an improvement.
        assert_eq!(verdict(0.66, 0.5), Verdict::Improved);
        assert_eq!(verdict(0.67, 0.5), Verdict::Unchanged);
        assert_eq!(verdict(1.11, 0.1), Verdict::Regressed);
    }

    #[test]
    fn compare_by_hand() {
        let base = Baseline::new(
            "posthook",
            BTreeMap::from([
                ("a".to_string(), entry(0.002, 0.0002)),
                ("b".to_string(), entry(0.002, 0.0)),
                ("gone".to_string(), entry(0.002, 0.0)),
            ]),
        );
        let current = BTreeMap::from([
            ("a".to_string(), entry(0.004, 0.0004)),
            ("b".to_string(), entry(0.0025, 0.0)),
            ("new".to_string(), entry(0.001, 0.0)),
        ]);
        let c = compare(&base, &current, 0.5);
        assert_eq!(c.len(), 2);
        // a: 2x with 10% relative error on both sides: 2 * sqrt(0.02) = 0.28284..
        assert_eq!(c[0].scenario, "a");
        assert!((c[0].ratio - 2.0).abs() < 1e-9);
        assert!((c[0].ratio_error - 2.0 * 0.02f64.sqrt()).abs() < 1e-9);
        assert_eq!(c[0].verdict, Verdict::Regressed);
        // b: 1.25x, within the threshold.
        assert!((c[1].ratio - 1.25).abs() < 1e-9);
        assert_eq!(c[1].verdict, Verdict::Unchanged);
    }

    #[test]
    fn baseline_round_trip_and_format_check() {
        let b = Baseline::new("posthook", BTreeMap::from([("a".into(), entry(0.1, 0.01))]));
        let text = serde_json::to_string(&b).expect("serializes");
        assert_eq!(Baseline::parse(&text).expect("parses"), b);
        let err = Baseline::parse(
            r#"{"format":"x","version":1,"posthook_version":"0","subject":"s","scenarios":{}}"#,
        )
        .expect_err("wrong format");
        assert!(err.contains("not a posthook-bench-baseline file"), "{err}");
        assert!(Baseline::parse("{").is_err());
    }
}
