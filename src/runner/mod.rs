//! Orchestration: select scenarios, start the bank and the bot, run each conversation, emit events.

mod bot;
mod conversation;
mod event;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Instant;

pub use event::{Event, Reporter, Silent};

use crate::bank::Bank;
use crate::customer::Customer;
use crate::privacy::Detector;
use crate::report::Report;
use crate::scenario::{load_paths, Config, Scenario};
use crate::sinks::{self, Sinks};
use crate::Error;
use bot::Bot;
use conversation::World;

/// The default run seed.
pub const DEFAULT_SEED: u64 = 1;

/// A set of scenarios and how to run them: the library's entry point.
///
/// ```no_run
/// # async fn example() -> Result<(), banter::Error> {
/// let report = banter::Suite::from_paths(["scenarios"])?
///     .config_file("banter.yaml")?
///     .seed(7)
///     .run()
///     .await?;
/// println!("{} of {} passed", report.summary.passed, report.summary.total);
/// # Ok(()) }
/// ```
pub struct Suite {
    scenarios: Vec<Scenario>,
    config: Config,
    seed: Option<u64>,
    filter: Option<String>,
    tags: Vec<String>,
}

/// A future that, when it completes, interrupts the run (e.g. Ctrl-C).
pub type Interrupt = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Suite {
    /// Loads the scenarios under `paths` (files or directories).
    pub fn from_paths<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Suite, Error> {
        let paths: Vec<P> = paths.into_iter().collect();
        Ok(Suite::new(load_paths(&paths)?))
    }

    /// A suite of already loaded scenarios.
    pub fn new(scenarios: Vec<Scenario>) -> Suite {
        Suite {
            scenarios,
            config: Config::default(),
            seed: None,
            filter: None,
            tags: Vec::new(),
        }
    }

    /// Uses this configuration (the reference bot when it names no bot).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Reads the configuration from a `banter.yaml`.
    pub fn config_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(self.config(Config::load(path.as_ref())?))
    }

    /// Sets the run seed (overrides the config's).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Runs only scenarios whose name contains `text` (case-insensitive).
    pub fn filter(mut self, text: impl Into<String>) -> Self {
        self.filter = Some(text.into());
        self
    }

    /// Runs only scenarios with this tag; several tags select the union.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The scenarios the filters select, in order.
    pub fn selected(&self) -> Vec<&Scenario> {
        let filter = self.filter.as_ref().map(|f| f.to_lowercase());
        self.scenarios
            .iter()
            .filter(|s| {
                filter
                    .as_ref()
                    .is_none_or(|f| s.name.to_lowercase().contains(f))
            })
            .filter(|s| self.tags.is_empty() || s.tags.iter().any(|t| self.tags.contains(t)))
            .collect()
    }

    /// Runs the suite silently and returns the report.
    pub async fn run(self) -> Result<Report, Error> {
        self.run_with(&mut Silent, Box::pin(std::future::pending()))
            .await
    }

    /// Runs the suite, sending events to `reporter`, until done or until `interrupt` completes.
    /// An interrupted run still returns the report of every scenario that finished.
    pub async fn run_with(
        self,
        reporter: &mut dyn Reporter,
        mut interrupt: Interrupt,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let seed = self.seed.or(self.config.seed).unwrap_or(DEFAULT_SEED);
        let selected = self.selected();
        if selected.is_empty() {
            return Err(Error::NothingSelected);
        }
        let bank = Bank::start(seed).await?;
        let mut sink_specs = sinks::builtin();
        sink_specs.extend(self.config.sinks.iter().cloned());
        let sinks = Sinks::start(&sink_specs).await?;
        let customers: Vec<Customer> = selected
            .iter()
            .map(|s| Customer::generate(seed, &s.name, &s.customer.spec()))
            .collect();
        let mut everyone = customers.clone();
        everyone.extend(bank.decoys().iter().cloned());
        let mut names: Vec<String> = selected.iter().map(|s| s.name.clone()).collect();
        names.extend((1..=bank.decoys().len()).map(|i| format!("decoy-{i}")));
        let detector = Detector::new(&everyone);
        let world = World {
            seed,
            bank: &bank,
            sinks: &sinks,
            detector: &detector,
            names: &names,
            privacy: &self.config.privacy,
        };
        let mut bot = tokio::select! {
            bot = Bot::start(&self.config, &bank, &sinks) => bot?,
            () = &mut interrupt => {
                let mut report = Report::new(seed, String::new());
                report.interrupted = true;
                return Ok(report);
            }
        };
        let mut report = Report::new(seed, bot.connector.describe());
        reporter.on_event(&Event::RunStarted {
            scenarios: selected.len(),
            bot: &report.bot,
            seed,
        });
        for ((index, scenario), customer) in selected.into_iter().enumerate().zip(customers) {
            let finished = tokio::select! {
                finished = conversation::run(&world, scenario, index, customer, &mut bot) => finished,
                () = &mut interrupt => {
                    report.interrupted = true;
                    break;
                }
            };
            reporter.on_event(&Event::ScenarioFinished(&finished));
            report.push(finished);
        }
        bot.stop().await;
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        reporter.on_event(&Event::RunFinished(&report));
        Ok(report)
    }
}
