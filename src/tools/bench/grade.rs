//! The grade A+..F, with the original suite's formula so that figures compare across the two.
//!
//! Per scenario: a time score from the mean latency (100 under 25 ms, 90 under 50, 80 under 100,
//! 70 under 200, then falling 1 point per 10 ms above 200), then
//! `0.4 * time_score + 30 * success_rate + 20 * consistency + 10 * feedback_rate`. The overall
//! score is the mean over scenarios, and the letter comes from fixed bands.

use serde::Serialize;
use std::fmt;

/// The time score of a mean latency in milliseconds.
///
/// Kept exactly as the original computed it, jump at 200 ms included (199 ms scores 70, 200 ms
/// scores 100 and falls from there): changing it would make grades incomparable.
pub(super) fn time_score(mean_ms: f64) -> f64 {
    if mean_ms < 25.0 {
        100.0
    } else if mean_ms < 50.0 {
        90.0
    } else if mean_ms < 100.0 {
        80.0
    } else if mean_ms < 200.0 {
        70.0
    } else {
        (100.0 - (mean_ms - 200.0) / 10.0).max(0.0)
    }
}

/// One scenario's score, 0..=100. Rates and consistency are shares in 0..=1.
pub(super) fn scenario_score(
    mean_ms: f64,
    success_rate: f64,
    consistency: f64,
    feedback_rate: f64,
) -> f64 {
    0.4 * time_score(mean_ms) + 30.0 * success_rate + 20.0 * consistency + 10.0 * feedback_rate
}

/// The overall score: the mean of the scenarios' scores (0 when there are none).
pub(super) fn overall(scores: &[f64]) -> f64 {
    if scores.is_empty() {
        0.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    }
}

/// A letter grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grade {
    /// 95 and up.
    APlus,
    /// 90 and up.
    A,
    /// 85 and up.
    AMinus,
    /// 80 and up.
    BPlus,
    /// 75 and up.
    B,
    /// 70 and up.
    BMinus,
    /// 65 and up.
    CPlus,
    /// 60 and up.
    C,
    /// 55 and up.
    CMinus,
    /// 50 and up.
    D,
    /// Below 50.
    F,
}

impl Grade {
    /// The grade of a score.
    pub(crate) fn of(score: f64) -> Grade {
        const BANDS: [(f64, Grade); 10] = [
            (95.0, Grade::APlus),
            (90.0, Grade::A),
            (85.0, Grade::AMinus),
            (80.0, Grade::BPlus),
            (75.0, Grade::B),
            (70.0, Grade::BMinus),
            (65.0, Grade::CPlus),
            (60.0, Grade::C),
            (55.0, Grade::CMinus),
            (50.0, Grade::D),
        ];
        BANDS
            .iter()
            .find(|(min, _)| score >= *min)
            .map_or(Grade::F, |&(_, g)| g)
    }

    /// The letter, e.g. `A-`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Grade::APlus => "A+",
            Grade::A => "A",
            Grade::AMinus => "A-",
            Grade::BPlus => "B+",
            Grade::B => "B",
            Grade::BMinus => "B-",
            Grade::CPlus => "C+",
            Grade::C => "C",
            Grade::CMinus => "C-",
            Grade::D => "D",
            Grade::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Grade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_score_bands() {
        assert_eq!(time_score(1.2), 100.0);
        assert_eq!(time_score(25.0), 90.0);
        assert_eq!(time_score(49.9), 90.0);
        assert_eq!(time_score(50.0), 80.0);
        assert_eq!(time_score(100.0), 70.0);
        assert_eq!(time_score(199.0), 70.0);
        // Above 200 ms: 100 - (mean - 200) / 10.
        assert_eq!(time_score(200.0), 100.0);
        assert_eq!(time_score(450.0), 75.0);
        assert_eq!(time_score(1200.0), 0.0);
        assert_eq!(time_score(5000.0), 0.0);
    }

    #[test]
    fn scenario_scores_by_hand() {
        // Fast, all succeed, consistency 0.9, feedback on half the runs: 40 + 30 + 18 + 5.
        assert!((scenario_score(2.0, 1.0, 0.9, 0.5) - 93.0).abs() < 1e-9);
        // 80 ms, 90% success, consistency 0.5, no feedback: 32 + 27 + 10 + 0.
        assert!((scenario_score(80.0, 0.9, 0.5, 0.0) - 69.0).abs() < 1e-9);
        assert!((overall(&[93.0, 69.0]) - 81.0).abs() < 1e-9);
        assert_eq!(overall(&[]), 0.0);
    }

    #[test]
    fn grade_bands() {
        let cases = [
            (100.0, "A+"),
            (95.0, "A+"),
            (94.99, "A"),
            (90.0, "A"),
            (85.0, "A-"),
            (84.9, "B+"),
            (80.0, "B+"),
            (75.0, "B"),
            (70.0, "B-"),
            (65.0, "C+"),
            (60.0, "C"),
            (55.0, "C-"),
            (50.0, "D"),
            (49.99, "F"),
            (0.0, "F"),
        ];
        for (score, letter) in cases {
            assert_eq!(Grade::of(score).as_str(), letter, "score {score}");
        }
        assert_eq!(Grade::of(93.0).to_string(), "A");
    }
}
