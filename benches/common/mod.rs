//! What the turn benchmarks share: the five messages of a conversation, a timed suite run,
//! and the median of their rounds.

use std::path::Path;
use std::time::{Duration, Instant};

use banter::{Config, HumanDuration, Suite};

/// A conversation's user messages: a greeting, bank questions, the hand-off.
pub const TEXTS: [&str; 5] = [
    "hi",
    "what's my checking balance?",
    "show my last 3 transactions",
    "how much did I spend at Starbucks?",
    "talk to an advisor",
];

/// The median of the rounds' times.
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The wall time of the suite at `dir` under `config`, one scenario at a time, with no settle
/// window (the demo bot sends its telemetry before it replies).
pub async fn run_suite(dir: &Path, mut config: Config, seed: u64) -> Duration {
    config.privacy.settle = HumanDuration(Duration::ZERO);
    let started = Instant::now();
    let report = Suite::from_paths([dir])
        .config(config)
        .jobs(1)
        .seed(seed)
        .run()
        .await
        .expect("run");
    assert!(report.passed(), "bench scenarios must pass");
    started.elapsed()
}
