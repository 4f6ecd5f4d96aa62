//! `simulate:` in `banter.yaml`: the bank faults that `banter simulate` draws for every
//! conversation, and the thresholds that fail a simulation.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::scalar::{self, GlobText};
use crate::bank;
use crate::duration::HumanDuration;

/// The settings of `banter simulate`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateConfig {
    /// Faults every conversation's bank calls may meet, each with its rate.
    #[serde(default)]
    pub faults: Vec<LoadFault>,
    /// What fails the simulation (exit 1).
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// A probabilistic bank fault: each matching call answers `status` and/or waits `delay` with
/// probability `rate`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadFault {
    /// Path glob (`*` one segment, `**` any number); every path when absent.
    #[serde(default)]
    pub path: Option<GlobText>,
    /// Only this method; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The HTTP status to answer instead of the real response (100 to 999).
    #[serde(default, deserialize_with = "scalar::fault_status")]
    pub status: Option<u16>,
    /// How long to wait before answering.
    #[serde(default)]
    pub delay: Option<HumanDuration>,
    /// The probability that a matching call meets the fault, from 0 to 1.
    pub rate: Rate,
}

impl LoadFault {
    /// The bank fault for one conversation, its draws made from `salt`.
    pub fn armed(&self, salt: u64) -> bank::Fault {
        let any = || {
            globset::GlobBuilder::new("**")
                .build()
                .map(|g| g.compile_matcher())
                .unwrap_or_else(|_| unreachable!("`**` is a glob"))
        };
        bank::Fault {
            path: self
                .path
                .as_ref()
                .map_or_else(any, |path| path.matcher().clone()),
            method: self.method.clone(),
            status: self.status,
            delay: self.delay.map(|d| d.0),
            times: None,
            lost: false,
            rate: Some(self.rate.0),
            salt,
        }
    }
}

/// A probability from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "f64")]
pub struct Rate(pub f64);

impl TryFrom<f64> for Rate {
    type Error = String;
    fn try_from(rate: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&rate) {
            Ok(Rate(rate))
        } else {
            Err(format!(
                "invalid rate {rate}: a fault's rate is a probability from 0 to 1, such as 0.01"
            ))
        }
    }
}

/// The limits of a simulation, as k6 writes them: `{ p99: 800ms, errors: 0.5%, leaks: 0 }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// The median turn latency.
    #[serde(default)]
    pub p50: Option<HumanDuration>,
    /// The 90th percentile of turn latency.
    #[serde(default)]
    pub p90: Option<HumanDuration>,
    /// The 99th percentile of turn latency.
    #[serde(default)]
    pub p99: Option<HumanDuration>,
    /// The 99.9th percentile of turn latency.
    #[serde(default)]
    pub p999: Option<HumanDuration>,
    /// The slowest turn.
    #[serde(default)]
    pub max: Option<HumanDuration>,
    /// The share of conversations that did not pass.
    #[serde(default)]
    pub errors: Option<Percent>,
    /// The number of privacy, cross-session and isolation violations.
    #[serde(default)]
    pub leaks: Option<u64>,
}

impl Thresholds {
    /// The latency limits, by name and percentile (100 for the maximum).
    pub fn latencies(&self) -> impl Iterator<Item = (&'static str, f64, Duration)> + '_ {
        [
            ("p50", 50.0, self.p50),
            ("p90", 90.0, self.p90),
            ("p99", 99.0, self.p99),
            ("p999", 99.9, self.p999),
            ("max", 100.0, self.max),
        ]
        .into_iter()
        .filter_map(|(name, q, limit)| limit.map(|limit| (name, q, limit.0)))
    }
}

/// A percentage written `0.5%`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct Percent(pub f64);

impl TryFrom<String> for Percent {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let invalid = || format!("invalid percentage `{text}`: write it such as `0.5%`");
        let number = text.trim().strip_suffix('%').ok_or_else(invalid)?;
        let value: f64 = number.trim().parse().map_err(|_| invalid())?;
        if (0.0..=100.0).contains(&value) {
            Ok(Percent(value))
        } else {
            Err(invalid())
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}
