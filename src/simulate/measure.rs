//! The simulation's aggregates, kept in memory whatever the number of conversations: latency
//! and overhead histograms (microseconds, 3 significant figures) overall and per scenario, a
//! per-second timeline, failures counted by kind, every privacy, cross-session and isolation
//! violation with its conversation, and a bounded sample of the other failures (all of them
//! are in the JSON Lines file).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::check::{Failure, FailureKind};
use crate::report::{ScenarioReport, Status};
use crate::runner::TurnTiming;

/// How many failures other than violations are kept in memory (and the summary) as examples.
pub const KEPT_FAILURES: usize = 100;

/// An empty latency histogram: 1 µs to an hour, 3 significant figures.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .unwrap_or_else(|_| unreachable!("the bounds are valid"))
}

/// An empty histogram for one second of the timeline: 2 significant figures, a tenth of the
/// memory, so that a long simulation's timeline stays small.
pub fn second_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2)
        .unwrap_or_else(|_| unreachable!("the bounds are valid"))
}

/// A duration in whole microseconds, at least 1 (the histogram's lowest value).
pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, 3_600_000_000)
}

/// A failure that a conversation met, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located {
    /// The conversation's number.
    pub conversation: u64,
    /// The scenario it played.
    pub scenario: String,
    /// Its customer.
    pub customer: String,
    /// What failed.
    #[serde(flatten)]
    pub failure: Failure,
}

/// One scenario's share of the traffic.
#[derive(Debug, Clone)]
pub struct ScenarioTally {
    pub conversations: u64,
    pub failed: u64,
    pub latency: Histogram<u64>,
}

impl Default for ScenarioTally {
    fn default() -> Self {
        ScenarioTally {
            conversations: 0,
            failed: 0,
            latency: histogram(),
        }
    }
}

/// One second of the simulation.
#[derive(Debug, Clone)]
pub struct Second {
    pub turns: u64,
    pub failed: u64,
    pub latency: Histogram<u64>,
}

impl Default for Second {
    fn default() -> Self {
        Second {
            turns: 0,
            failed: 0,
            latency: second_histogram(),
        }
    }
}

/// Everything the simulation keeps about the conversations it played.
#[derive(Debug, Clone)]
pub struct Tally {
    pub conversations: u64,
    pub failed: u64,
    pub turns: u64,
    /// The bot's time per turn (inside the connector's request).
    pub latency: Histogram<u64>,
    /// Banter's own time per turn (the rest of the turn).
    pub overhead: Histogram<u64>,
    /// Banter's own CPU time per turn (the rest of the turn, without its time off the CPU).
    pub overhead_cpu: Histogram<u64>,
    pub scenarios: BTreeMap<String, ScenarioTally>,
    /// Failures by kind (`reply`, `privacy`, …).
    pub errors: BTreeMap<String, u64>,
    pub violations: Vec<Located>,
    pub failures: Vec<Located>,
    /// Failures not kept in `failures`.
    pub failures_not_kept: u64,
    /// Leaks in sink requests that no conversation could be told to own (values that
    /// customers of one template share, sent while several of them were talking): counted
    /// with the violations.
    pub unowned_leaks: u64,
    /// Per second since the start.
    pub timeline: Vec<Second>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            conversations: 0,
            failed: 0,
            turns: 0,
            latency: histogram(),
            overhead: histogram(),
            overhead_cpu: histogram(),
            scenarios: BTreeMap::new(),
            errors: BTreeMap::new(),
            violations: Vec::new(),
            failures: Vec::new(),
            failures_not_kept: 0,
            unowned_leaks: 0,
            timeline: Vec::new(),
        }
    }
}

/// Whether a failure is a violation: a privacy leak, another customer's data in a reply, or
/// another customer's account read at the bank.
pub fn is_violation(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::Privacy | FailureKind::CrossSession | FailureKind::Isolation
    )
}

impl Tally {
    /// Adds conversation `conversation` with `customer`: its report and turn timings, the
    /// turns placed on the timeline from `start`.
    pub fn add(
        &mut self,
        conversation: u64,
        customer: &str,
        report: &ScenarioReport,
        timings: &[TurnTiming],
        start: Instant,
    ) {
        let failed = report.status != Status::Passed;
        self.conversations += 1;
        self.failed += u64::from(failed);
        self.turns += timings.len() as u64;
        let scenario = self.scenarios.entry(report.name.clone()).or_default();
        scenario.conversations += 1;
        scenario.failed += u64::from(failed);
        for timing in timings {
            let latency = micros(timing.bot);
            let overhead = micros(timing.total.saturating_sub(timing.bot));
            self.latency.saturating_record(latency);
            self.overhead.saturating_record(overhead);
            self.overhead_cpu.saturating_record(micros(timing.own_cpu));
            scenario.latency.saturating_record(latency);
            let second = timing.at.saturating_duration_since(start).as_secs() as usize;
            if self.timeline.len() <= second {
                self.timeline.resize_with(second + 1, Second::default);
            }
            let slot = &mut self.timeline[second];
            slot.turns += 1;
            slot.latency.saturating_record(latency);
        }
        if failed {
            let second = timings.first().map_or(0, |t| {
                t.at.saturating_duration_since(start).as_secs() as usize
            });
            if self.timeline.len() <= second {
                self.timeline.resize_with(second + 1, Second::default);
            }
            self.timeline[second].failed += 1;
        }
        for failure in &report.failures {
            *self
                .errors
                .entry(failure.kind.as_str().to_string())
                .or_default() += 1;
            let located = || Located {
                conversation,
                scenario: report.name.clone(),
                customer: customer.to_string(),
                failure: failure.clone(),
            };
            if is_violation(failure.kind) {
                self.violations.push(located());
            } else if self.failures.len() < KEPT_FAILURES {
                self.failures.push(located());
            } else {
                self.failures_not_kept += 1;
            }
        }
    }

    /// The number of violations, those no conversation owned included.
    pub fn leaks(&self) -> u64 {
        self.violations.len() as u64 + self.unowned_leaks
    }
}
