//! The simulation's JSON summary (`summary.json`): counts, throughput, latency and overhead
//! percentiles overall, per scenario and per second, failures by kind, every violation, the
//! thresholds' verdicts, and each histogram serialised in HdrHistogram's V2 format, base64.
//! Summaries of shards merge exactly: their histograms are added, not their percentiles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::measure::{Located, ScenarioTally, Second, Tally};
use super::thresholds::{Limits, Verdict};

/// What the summary's `kind` says.
pub const SUMMARY_KIND: &str = "banter simulate";
/// The version of the summary format.
pub const SUMMARY_VERSION: u32 = 1;

/// A histogram's percentiles in microseconds, and the histogram itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// How many turns.
    pub count: u64,
    /// The lowest, µs.
    pub min_us: u64,
    /// The mean, µs, to a tenth.
    pub mean_us: f64,
    /// The median, µs.
    pub p50_us: u64,
    /// The 90th percentile, µs.
    pub p90_us: u64,
    /// The 99th percentile, µs.
    pub p99_us: u64,
    /// The 99.9th percentile, µs.
    pub p999_us: u64,
    /// The highest, µs.
    pub max_us: u64,
    /// HdrHistogram V2 serialisation, base64 (standard alphabet, padded).
    pub histogram: String,
}

impl Latency {
    /// The percentiles of `histogram`, and the histogram serialised.
    pub fn of(histogram: &Histogram<u64>) -> Latency {
        let mut bytes = Vec::new();
        // Serialising into memory fails only for histograms V2 cannot hold; none of ours.
        let _ = V2Serializer::new().serialize(histogram, &mut bytes);
        let empty = histogram.is_empty();
        let at = |q: f64| {
            if empty {
                0
            } else {
                histogram.value_at_quantile(q)
            }
        };
        Latency {
            count: histogram.len(),
            min_us: if empty { 0 } else { histogram.min() },
            mean_us: if empty {
                0.0
            } else {
                (histogram.mean() * 10.0).round() / 10.0
            },
            p50_us: at(0.5),
            p90_us: at(0.9),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: if empty { 0 } else { histogram.max() },
            histogram: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The histogram back.
    pub fn histogram(&self) -> Result<Histogram<u64>, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.histogram)
            .map_err(|e| format!("a histogram is not base64: {e}"))?;
        Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("a histogram is not in HdrHistogram's V2 format: {e:?}"))
    }
}

/// One scenario's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// The scenario's name.
    pub name: String,
    /// Conversations that played it.
    pub conversations: u64,
    /// Of those, how many did not pass.
    pub failed: u64,
    /// Its turns' latency.
    pub latency: Latency,
}

/// One second of the simulation, from its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondSummary {
    /// Seconds since the start.
    pub second: usize,
    /// Turns that started in it.
    pub turns: u64,
    /// Conversations that started in it and did not pass.
    pub failed: u64,
    /// The latency of its turns (histograms of 2 significant figures).
    pub latency: Latency,
}

/// How the simulation was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// The seed.
    pub seed: u64,
    /// The bot, as reports name it.
    pub bot: String,
    /// `closed`: a fixed number of virtual users, each starting a conversation when its last ends.
    pub workload: String,
    /// Customers per customer profile.
    pub customers: usize,
    /// Virtual users (per shard).
    pub concurrency: usize,
    /// The shards this summary covers (`2/3`); empty for a whole simulation.
    pub shards: Vec<String>,
    /// The thresholds.
    pub limits: Limits,
}

/// The JSON summary of a simulation (or of merged shards).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `banter simulate`.
    pub kind: String,
    /// [`SUMMARY_VERSION`].
    pub version: u32,
    /// How it was run.
    #[serde(flatten)]
    pub setup: Setup,
    /// Wall time (the longest shard's, for merged shards).
    pub duration_ms: u64,
    /// Whether Ctrl-C or SIGTERM stopped it.
    pub interrupted: bool,
    /// Conversations played.
    pub conversations: u64,
    /// Of those, how many passed.
    pub passed: u64,
    /// And how many did not.
    pub failed: u64,
    /// Turns played.
    pub turns: u64,
    /// Conversations per second of wall time.
    pub conversations_per_second: f64,
    /// Turns per second of wall time.
    pub turns_per_second: f64,
    /// The bot's time per turn: inside the connector's request.
    pub latency: Latency,
    /// Banter's own time per turn: the rest of the turn.
    pub overhead: Latency,
    /// Banter's own CPU time per turn: the rest of the turn without its time off the CPU
    /// (which other threads and processes on the machine take).
    pub overhead_cpu: Latency,
    /// Per scenario, by name.
    pub scenarios: Vec<ScenarioSummary>,
    /// Failures by kind.
    pub errors: BTreeMap<String, u64>,
    /// How many violations (privacy, cross-session, isolation).
    pub leaks: u64,
    /// Every violation, with its conversation.
    pub violations: Vec<Located>,
    /// Examples of the other failures (every one is in `conversations.jsonl`).
    pub failures: Vec<Located>,
    /// How many other failures are not among the examples.
    pub failures_not_kept: u64,
    /// Sink requests that no conversation claimed (no customer values, or values several
    /// conversations' customers share, while conversations overlapped).
    pub unattributed_requests: u64,
    /// The leaks in those requests, counted in `leaks` but not among `violations`.
    #[serde(default)]
    pub unattributed_leaks: u64,
    /// Per second.
    pub timeline: Vec<SecondSummary>,
    /// The thresholds' verdicts.
    pub thresholds: Vec<Verdict>,
    /// Whether every threshold held and nothing interrupted the simulation.
    pub passed_thresholds: bool,
}

impl Summary {
    /// `N conversations (P passed, F failed), T turns in S s: C conversations/s, U turns/s`.
    pub(super) fn headline(&self) -> String {
        format!(
            "{} conversations ({} passed, {} failed), {} turns in {:.1} s: {} conversations/s, {} turns/s",
            self.conversations,
            self.passed,
            self.failed,
            self.turns,
            self.duration_ms as f64 / 1000.0,
            self.conversations_per_second,
            self.turns_per_second
        )
    }

    /// The summary of `tally`, judged against the setup's limits.
    pub(super) fn new(
        setup: Setup,
        tally: &Tally,
        duration_ms: u64,
        interrupted: bool,
        unattributed: u64,
    ) -> Summary {
        let seconds = (duration_ms as f64 / 1000.0).max(0.001);
        let thresholds = setup.limits.judge(tally);
        let passed_thresholds = !interrupted && thresholds.iter().all(|v| v.passed);
        // In conversation order, not in the order the conversations ended.
        let mut violations = tally.violations.clone();
        violations.sort_by_key(|v| v.conversation);
        Summary {
            kind: SUMMARY_KIND.into(),
            version: SUMMARY_VERSION,
            setup,
            duration_ms,
            interrupted,
            conversations: tally.conversations,
            passed: tally.conversations - tally.failed,
            failed: tally.failed,
            turns: tally.turns,
            conversations_per_second: round(tally.conversations as f64 / seconds),
            turns_per_second: round(tally.turns as f64 / seconds),
            latency: Latency::of(&tally.latency),
            overhead: Latency::of(&tally.overhead),
            overhead_cpu: Latency::of(&tally.overhead_cpu),
            scenarios: tally
                .scenarios
                .iter()
                .map(|(name, s)| ScenarioSummary {
                    name: name.clone(),
                    conversations: s.conversations,
                    failed: s.failed,
                    latency: Latency::of(&s.latency),
                })
                .collect(),
            errors: tally.errors.clone(),
            leaks: tally.leaks(),
            violations,
            failures: tally.failures.clone(),
            failures_not_kept: tally.failures_not_kept,
            unattributed_requests: unattributed,
            unattributed_leaks: tally.unowned_leaks,
            timeline: tally
                .timeline
                .iter()
                .enumerate()
                .map(|(second, s)| SecondSummary {
                    second,
                    turns: s.turns,
                    failed: s.failed,
                    latency: Latency::of(&s.latency),
                })
                .collect(),
            thresholds,
            passed_thresholds,
        }
    }

    /// The tally back from the summary, histograms included.
    pub(super) fn tally(&self) -> Result<Tally, String> {
        let mut tally = Tally {
            conversations: self.conversations,
            failed: self.failed,
            turns: self.turns,
            latency: self.latency.histogram()?,
            overhead: self.overhead.histogram()?,
            overhead_cpu: self.overhead_cpu.histogram()?,
            errors: self.errors.clone(),
            violations: self.violations.clone(),
            failures: self.failures.clone(),
            failures_not_kept: self.failures_not_kept,
            unowned_leaks: self.unattributed_leaks,
            ..Tally::default()
        };
        for s in &self.scenarios {
            tally.scenarios.insert(
                s.name.clone(),
                ScenarioTally {
                    conversations: s.conversations,
                    failed: s.failed,
                    latency: s.latency.histogram()?,
                },
            );
        }
        for s in &self.timeline {
            if tally.timeline.len() <= s.second {
                tally.timeline.resize_with(s.second + 1, Second::default);
            }
            tally.timeline[s.second] = Second {
                turns: s.turns,
                failed: s.failed,
                latency: s.latency.histogram()?,
            };
        }
        Ok(tally)
    }

    /// Writes the summary as pretty JSON.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text + "\n")
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Adds `other` into `tally`: counts summed, histograms added, violations and failure
/// examples joined (in conversation order), the timelines added second by second.
pub(super) fn add(tally: &mut Tally, other: Tally) -> Result<(), String> {
    let added = |e: hdrhistogram::AdditionError| format!("the histograms cannot be added: {e:?}");
    tally.conversations += other.conversations;
    tally.failed += other.failed;
    tally.turns += other.turns;
    tally.latency.add(&other.latency).map_err(added)?;
    tally.overhead.add(&other.overhead).map_err(added)?;
    tally.overhead_cpu.add(&other.overhead_cpu).map_err(added)?;
    for (name, s) in other.scenarios {
        let mine = tally.scenarios.entry(name).or_default();
        mine.conversations += s.conversations;
        mine.failed += s.failed;
        mine.latency.add(&s.latency).map_err(added)?;
    }
    for (kind, n) in other.errors {
        *tally.errors.entry(kind).or_default() += n;
    }
    tally.violations.extend(other.violations);
    tally.unowned_leaks += other.unowned_leaks;
    tally.violations.sort_by_key(|v| v.conversation);
    tally.failures.extend(other.failures);
    tally.failures.sort_by_key(|v| v.conversation);
    let kept = tally.failures.len().min(super::measure::KEPT_FAILURES);
    tally.failures_not_kept += other.failures_not_kept + (tally.failures.len() - kept) as u64;
    tally.failures.truncate(kept);
    if tally.timeline.len() < other.timeline.len() {
        tally
            .timeline
            .resize_with(other.timeline.len(), Second::default);
    }
    for (mine, s) in tally.timeline.iter_mut().zip(other.timeline) {
        mine.turns += s.turns;
        mine.failed += s.failed;
        mine.latency.add(&s.latency).map_err(added)?;
    }
    Ok(())
}

/// Summaries could not be merged.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct SummaryError {
    /// The summary file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Whether the JSON file at `path` is a simulation summary (rather than a run report).
pub fn is_summary(path: &Path) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Kind>(&text).ok())
        .and_then(|k| k.kind)
        .is_some_and(|k| k == SUMMARY_KIND)
}

/// Reads simulation summaries (of shards) and merges them: histograms added exactly, counts
/// summed, the duration the longest shard's, the thresholds judged again on the whole.
pub fn merge(paths: &[PathBuf]) -> Result<Summary, SummaryError> {
    let mut merged: Option<(Setup, Tally, u64, bool, u64)> = None;
    for path in paths {
        let error = |reason: String| SummaryError {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
        let summary: Summary = serde_json::from_str(&text)
            .map_err(|e| error(format!("not a banter simulate summary: {e}")))?;
        if summary.kind != SUMMARY_KIND || summary.version != SUMMARY_VERSION {
            return Err(error(format!(
                "not a banter simulate summary of version {SUMMARY_VERSION}"
            )));
        }
        let tally = summary.tally().map_err(error)?;
        match &mut merged {
            None => {
                merged = Some((
                    summary.setup,
                    tally,
                    summary.duration_ms,
                    summary.interrupted,
                    summary.unattributed_requests,
                ))
            }
            Some((setup, all, duration, interrupted, unattributed)) => {
                if setup.seed != summary.setup.seed || setup.customers != summary.setup.customers {
                    return Err(error(format!(
                        "seed {} and {} customers differ from seed {} and {} customers",
                        summary.setup.seed, summary.setup.customers, setup.seed, setup.customers
                    )));
                }
                if let Some(twice) = summary
                    .setup
                    .shards
                    .iter()
                    .find(|s| setup.shards.contains(s))
                {
                    return Err(error(format!("shard {twice} is already merged")));
                }
                setup.shards.extend(summary.setup.shards);
                setup.concurrency += summary.setup.concurrency;
                add(all, tally).map_err(error)?;
                *duration = (*duration).max(summary.duration_ms);
                *interrupted |= summary.interrupted;
                *unattributed += summary.unattributed_requests;
            }
        }
    }
    let (mut setup, tally, duration, interrupted, unattributed) =
        merged.ok_or_else(|| SummaryError {
            path: PathBuf::new(),
            reason: "no summary to merge".into(),
        })?;
    setup.shards.sort();
    Ok(Summary::new(
        setup,
        &tally,
        duration,
        interrupted,
        unattributed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::measure::histogram;

    fn tally(values: &[u64]) -> Tally {
        let mut tally = Tally::default();
        for &v in values {
            tally.latency.record(v).unwrap();
            tally.overhead.record(v / 10 + 1).unwrap();
            tally.overhead_cpu.record(v / 20 + 1).unwrap();
        }
        tally.turns = values.len() as u64;
        tally
    }

    #[test]
    fn shards_add_up_to_the_histogram_of_all_their_values() {
        let values: Vec<u64> = (1..=3000u64).map(|i| i * i % 977_371 + 1).collect();
        let mut merged = Tally::default();
        for shard in values.chunks(1000) {
            // Through the summary, as `banter merge` reads it.
            let setup = Setup {
                seed: 1,
                bot: "bot".into(),
                workload: "closed".into(),
                customers: 10,
                concurrency: 1,
                shards: Vec::new(),
                limits: Limits::default(),
            };
            let summary = Summary::new(setup, &tally(shard), 1000, false, 0);
            add(&mut merged, summary.tally().expect("a tally")).expect("added");
        }
        let whole = tally(&values);
        assert_eq!(merged.latency, whole.latency);
        assert_eq!(merged.overhead_cpu, whole.overhead_cpu);
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                merged.latency.value_at_quantile(q),
                whole.latency.value_at_quantile(q)
            );
        }
        assert_eq!(merged.turns, 3000);
    }

    #[test]
    fn a_histogram_survives_its_serialisation() {
        let mut h = histogram();
        for v in [1, 17, 980, 45_000, 3_600_000_000] {
            h.record(v).unwrap();
        }
        let latency = Latency::of(&h);
        assert_eq!(latency.histogram().expect("decoded"), h);
        assert_eq!(latency.max_us, h.max());
        let broken = Latency {
            histogram: "not base64!".into(),
            ..latency
        };
        assert!(broken.histogram().is_err());
    }
}
