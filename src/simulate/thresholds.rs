//! Thresholds, as k6 has them: limits on turn latency percentiles, on the share of
//! conversations that did not pass, and on violations; each one a verdict, and a JUnit test
//! case. A broken threshold makes `banter simulate` (and `banter merge`) exit 1.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};

use super::measure::Tally;
use crate::scenario::Thresholds;

/// The limits of `simulate.thresholds`, as the summary keeps them (so that a merge of shards
/// judges the whole against the same limits).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Turn latency percentiles, by name (`p50`, `p90`, `p99`, `p999`, `max`), in µs.
    #[serde(default)]
    pub latency_us: Vec<(String, f64, u64)>,
    /// The largest share of conversations that may fail, in percent.
    #[serde(default)]
    pub errors_percent: Option<f64>,
    /// The most violations allowed.
    #[serde(default)]
    pub leaks: Option<u64>,
}

impl From<&Thresholds> for Limits {
    fn from(thresholds: &Thresholds) -> Self {
        Limits {
            latency_us: thresholds
                .latencies()
                .map(|(name, q, limit)| (name.to_string(), q, super::measure::micros(limit)))
                .collect(),
            errors_percent: thresholds.errors.map(|p| p.0),
            leaks: thresholds.leaks,
        }
    }
}

/// One threshold, judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `p99`, `errors`, `leaks`, …
    pub name: String,
    /// The limit, as written (`800ms`, `0.5%`, `0`).
    pub limit: String,
    /// What the simulation measured.
    pub actual: String,
    /// Whether the measure is within the limit.
    pub passed: bool,
}

fn shown(micros: u64) -> String {
    humantime::format_duration(Duration::from_micros(micros)).to_string()
}

impl Limits {
    /// Each limit against `tally`.
    pub(super) fn judge(&self, tally: &Tally) -> Vec<Verdict> {
        let mut verdicts = Vec::new();
        for (name, q, limit) in &self.latency_us {
            let actual = if *q >= 100.0 {
                tally.latency.max()
            } else {
                tally.latency.value_at_quantile(q / 100.0)
            };
            verdicts.push(Verdict {
                name: name.clone(),
                limit: shown(*limit),
                actual: shown(actual),
                passed: actual <= *limit,
            });
        }
        if let Some(limit) = self.errors_percent {
            let share = if tally.conversations == 0 {
                0.0
            } else {
                tally.failed as f64 * 100.0 / tally.conversations as f64
            };
            verdicts.push(Verdict {
                name: "errors".into(),
                limit: format!("{limit}%"),
                actual: format!("{share:.3}% ({} of {})", tally.failed, tally.conversations),
                passed: share <= limit,
            });
        }
        if let Some(limit) = self.leaks {
            verdicts.push(Verdict {
                name: "leaks".into(),
                limit: limit.to_string(),
                actual: tally.leaks().to_string(),
                passed: tally.leaks() <= limit,
            });
        }
        verdicts
    }
}

/// JUnit XML with one test case per threshold.
pub fn junit(
    verdicts: &[Verdict],
    duration: Duration,
) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("banter simulate thresholds");
    suite.set_time(duration);
    suite.add_test_cases(verdicts.iter().map(|v| {
        let status = if v.passed {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(format!(
                "{}: {} is over the limit of {}",
                v.name, v.actual, v.limit
            ));
            status.set_type("threshold");
            status
        };
        let mut case = TestCase::new(format!("{} <= {}", v.name, v.limit), status);
        case.set_classname("thresholds");
        case
    }));
    let mut junit = Junit::new("banter simulate");
    junit.set_time(duration);
    junit.add_test_suite(suite);
    junit.to_string()
}
