//! Regression detection that survives a noisy machine.
//!
//! Raw times from two runs minutes apart on a shared machine differ by more than any regression
//! worth catching. So a baseline keeps, per scenario, the hook's median CPU time (from wait4) over
//! the floor's, *measured in the same run, interleaved with it*, with that ratio's error: on a
//! loaded machine wall time is mostly waiting for a core, the work done is not. A scenario
//! regressed when its ratio rose by more than the threshold *and* by more than twice the two
//! runs' errors combined.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const FORMAT: &str = "posthook-bench-baseline";
/// Version 2 keeps ratios to the floor (version 1 kept raw means).
const VERSION: u32 = 2;
/// How many combined standard errors a ratio must rise by to count.
const ERROR_MULTIPLE: f64 = 2.0;

/// One scenario in a baseline: the CPU ratio and its error, then for the reader the wall-time
/// ratio, the hook's median and the samples behind them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub ratio: f64,
    pub ratio_error: f64,
    #[serde(default)]
    pub wall_ratio: Option<f64>,
    pub median_s: f64,
    pub n: usize,
}

/// A saved baseline of the measured hook (`subject`), by scenario name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    pub format: String,
    pub version: u32,
    pub posthook_version: String,
    pub subject: String,
    pub scenarios: BTreeMap<String, Entry>,
}

impl Baseline {
    pub(crate) fn new(subject: &str, scenarios: BTreeMap<String, Entry>) -> Baseline {
        Baseline {
            format: FORMAT.to_string(),
            version: VERSION,
            posthook_version: env!("CARGO_PKG_VERSION").to_string(),
            subject: subject.to_string(),
            scenarios,
        }
    }

    /// Parses a baseline file's text.
    pub(crate) fn parse(text: &str) -> Result<Baseline, String> {
        let h: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if h["format"] != FORMAT {
            return Err(format!("not a {FORMAT} file (format {})", h["format"]));
        }
        if h["version"] != VERSION {
            return Err(format!(
                "a version {} baseline (raw times, which cannot be compared across runs on a busy \
                 machine); save a new one with --save-baseline",
                h["version"]
            ));
        }
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// How a scenario compares with its baseline, beyond the threshold and the errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Regressed,
    Improved,
    Unchanged,
}

/// One scenario's comparison: the two ratios, the change and its error (both runs' combined).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub scenario: String,
    pub baseline_ratio: f64,
    pub current_ratio: f64,
    pub change: f64,
    pub change_error: f64,
    pub verdict: Verdict,
}

/// The verdict on a ratio that went from `base` to `cur`: beyond `threshold` (0.25 = 25%) and
/// beyond [`ERROR_MULTIPLE`] times the combined error `err`.
fn ratio_verdict(base: f64, cur: f64, err: f64, threshold: f64) -> Verdict {
    let beyond_error = (cur - base).abs() > ERROR_MULTIPLE * err;
    if beyond_error && cur > base * (1.0 + threshold) {
        Verdict::Regressed
    } else if beyond_error && cur * (1.0 + threshold) < base {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    }
}

/// Compares the current figures with the baseline, scenario by scenario; scenarios missing on
/// either side are left out.
pub(super) fn compare(
    baseline: &Baseline,
    current: &BTreeMap<String, Entry>,
    threshold: f64,
) -> Vec<Comparison> {
    (current.iter())
        .filter_map(|(name, cur)| {
            let base = baseline.scenarios.get(name)?;
            let change_error = (base.ratio_error.powi(2) + cur.ratio_error.powi(2)).sqrt();
            Some(Comparison {
                scenario: name.clone(),
                baseline_ratio: base.ratio,
                current_ratio: cur.ratio,
                change: cur.ratio - base.ratio,
                change_error,
                verdict: ratio_verdict(base.ratio, cur.ratio, change_error, threshold),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ratio: f64, ratio_error: f64) -> Entry {
        Entry {
            ratio,
            ratio_error,
            wall_ratio: None,
            median_s: 0.001,
            n: 100,
        }
    }

    #[test]
    fn a_ratio_must_rise_beyond_the_threshold_and_the_errors() {
        // 1.0 -> 1.3 at 25%: beyond the threshold; the errors decide.
        assert_eq!(ratio_verdict(1.0, 1.3, 0.1, 0.25), Verdict::Regressed);
        assert_eq!(ratio_verdict(1.0, 1.3, 0.16, 0.25), Verdict::Unchanged);
        // Within the threshold however small the error.
        assert_eq!(ratio_verdict(1.0, 1.2, 0.0, 0.25), Verdict::Unchanged);
        assert_eq!(ratio_verdict(1.3, 1.0, 0.1, 0.25), Verdict::Improved);
        assert_eq!(ratio_verdict(1.0, 1.0, 0.0, 0.25), Verdict::Unchanged);
    }

    #[test]
    fn compare_by_hand() {
        let base = Baseline::new(
            "posthook",
            BTreeMap::from([
                ("a".to_string(), entry(1.0, 0.03)),
                ("b".to_string(), entry(1.3, 0.03)),
                ("c".to_string(), entry(1.0, 0.03)),
                ("gone".to_string(), entry(1.0, 0.0)),
            ]),
        );
        let current = BTreeMap::from([
            ("a".to_string(), entry(3.0, 0.04)),
            // Faster beyond the threshold and the errors.
            ("b".to_string(), entry(1.0, 0.03)),
            // Slower under load, with a wide error.
            ("c".to_string(), entry(1.4, 0.3)),
            ("new".to_string(), entry(1.0, 0.0)),
        ]);
        let c = compare(&base, &current, 0.25);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].scenario, "a");
        assert!((c[0].change - 2.0).abs() < 1e-9);
        assert!((c[0].change_error - 0.05).abs() < 1e-9);
        assert_eq!(c[0].verdict, Verdict::Regressed);
        assert_eq!(c[1].verdict, Verdict::Improved);
        assert_eq!(c[2].verdict, Verdict::Unchanged);
    }

    #[test]
    fn baseline_round_trip_and_format_check() {
        let b = Baseline::new("posthook", BTreeMap::from([("a".into(), entry(1.1, 0.01))]));
        let text = serde_json::to_string(&b).expect("serializes");
        assert_eq!(Baseline::parse(&text).expect("parses"), b);
        let err = Baseline::parse(
            r#"{"format":"x","version":2,"posthook_version":"0","subject":"s","scenarios":{}}"#,
        )
        .expect_err("wrong format");
        assert!(err.contains("not a posthook-bench-baseline file"), "{err}");
        let old = Baseline::parse(
            r#"{"format":"posthook-bench-baseline","version":1,"posthook_version":"0","subject":"s","scenarios":{}}"#,
        )
        .expect_err("old version");
        assert!(old.contains("save a new one"), "{old}");
        assert!(Baseline::parse("{").is_err());
    }
}
