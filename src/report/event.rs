//! Run events and the reporter interface that consumes them.

use std::path::Path;

use super::{Report, ScenarioReport};

/// Something that happened during a run, in order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The bank and bot are up; scenarios are about to run.
    RunStarted {
        /// How many scenarios will run.
        scenarios: usize,
        /// The bot under test.
        bot: &'a str,
        /// The run seed.
        seed: u64,
        /// The capture proxy's URL and the CA certificate its clients must trust, when it runs.
        proxy: Option<(&'a str, &'a Path)>,
        /// The `banter.yaml` the run reads, when it reads one.
        config: Option<&'a Path>,
    },
    /// A scenario finished with a verdict.
    ScenarioFinished(&'a ScenarioReport),
    /// The run is over (or was interrupted).
    RunFinished(&'a Report),
}

/// Receives run events, e.g. to print progress.
pub trait Reporter: Send {
    /// Called for each event, in order.
    fn on_event(&mut self, event: &Event<'_>);
}

/// A reporter that ignores everything.
pub struct Silent;

impl Reporter for Silent {
    fn on_event(&mut self, _event: &Event<'_>) {}
}
