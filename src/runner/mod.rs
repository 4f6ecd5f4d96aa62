//! Orchestration: select and shard scenarios, start the bank, the sinks and the bot, run the
//! conversations side by side, and emit events in scenario order.

mod attribution;
mod bot;
mod context;
mod conversation;
mod prepared;
mod shard;
mod slot;
mod snapshot;
mod stage;
mod world;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::RwLock;
use tokio::task::JoinSet;

use crate::report::{Event, Reporter, Silent};
pub(crate) use conversation::TurnTiming;
pub use shard::Shard;
pub(crate) use stage::Stage;

use crate::bank;
use crate::check::{Failure, FailureKind};
use crate::customer::Customer;
use crate::report::{Redactor, Report, ScenarioReport, Status};
use crate::scenario::{load_paths, Config, Scenario};
use crate::sinks;
use crate::snapshot::{Mode as SnapshotMode, SnapshotStore};
use crate::Error;
use slot::Slot;
use world::World;

/// The default run seed.
pub const DEFAULT_SEED: u64 = 1;

/// The note of a run whose bot had no way to reach the sinks.
const UNREACHABLE_SINKS: &str = "the bot could not reach the sinks: banter did not start it, no capture proxy ran (`capture: { proxy: true }`) and no template handed it a `{{ sinks.NAME.url }}`, so none of its telemetry was checked";

/// Where the scenarios come from.
enum Source {
    Paths(Vec<PathBuf>),
    Loaded(Vec<Scenario>),
}

/// Where the configuration comes from.
pub enum ConfigSource {
    /// A `banter.yaml` to read when the run starts.
    File(PathBuf),
    /// A configuration built in code.
    Value(Box<Config>),
}

impl From<&str> for ConfigSource {
    fn from(path: &str) -> Self {
        ConfigSource::File(path.into())
    }
}

impl From<&Path> for ConfigSource {
    fn from(path: &Path) -> Self {
        ConfigSource::File(path.into())
    }
}

impl From<PathBuf> for ConfigSource {
    fn from(path: PathBuf) -> Self {
        ConfigSource::File(path)
    }
}

impl From<Config> for ConfigSource {
    fn from(config: Config) -> Self {
        ConfigSource::Value(Box::new(config))
    }
}

/// A set of scenarios and how to run them: the library's entry point. Errors in the
/// scenarios or the config surface when the suite runs.
///
/// ```no_run
/// # async fn example() -> Result<(), banter::Error> {
/// let report = banter::Suite::from_dir("scenarios").config("banter.yaml").seed(7).run().await?;
/// report.assert_passed();
/// # Ok(()) }
/// ```
pub struct Suite {
    source: Source,
    config: Option<ConfigSource>,
    seed: Option<u64>,
    filter: Option<String>,
    tags: Vec<String>,
    jobs: Option<usize>,
    shard: Option<Shard>,
    fail_fast: bool,
    snapshots: PathBuf,
    snapshot_mode: Option<SnapshotMode>,
}

/// A future that, when it completes, interrupts the run (e.g. Ctrl-C).
pub type Interrupt = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Suite {
    /// The scenarios under `paths` (files, or directories searched recursively).
    pub fn from_paths<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Suite {
        let paths = paths
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect();
        Suite::with_source(Source::Paths(paths))
    }

    /// The scenarios in one directory.
    pub fn from_dir(dir: impl AsRef<Path>) -> Suite {
        Suite::from_paths([dir])
    }

    /// A suite of already loaded scenarios.
    pub fn new(scenarios: Vec<Scenario>) -> Suite {
        Suite::with_source(Source::Loaded(scenarios))
    }

    fn with_source(source: Source) -> Suite {
        Suite {
            source,
            config: None,
            seed: None,
            filter: None,
            tags: Vec::new(),
            jobs: None,
            shard: None,
            fail_fast: false,
            snapshots: PathBuf::from("snapshots"),
            snapshot_mode: None,
        }
    }

    /// Uses this configuration: a `banter.yaml` path, or a [`Config`]. Without one, the
    /// built-in demo bot is tested.
    pub fn config(mut self, config: impl Into<ConfigSource>) -> Self {
        self.config = Some(config.into());
        self
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

    /// How many scenarios run at once (at least 1, at most the number of scenarios); the
    /// number of CPUs by default.
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = Some(jobs.max(1));
        self
    }

    /// Runs only this shard of the selected scenarios.
    pub fn shard(mut self, shard: Shard) -> Self {
        self.shard = Some(shard);
        self
    }

    /// Stops at the first scenario that does not pass.
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.fail_fast = yes;
        self
    }

    /// Keeps snapshots in `dir` (`snapshots` by default).
    pub fn snapshots(mut self, dir: impl Into<PathBuf>) -> Self {
        self.snapshots = dir.into();
        self
    }

    /// How snapshots are checked. By default: [`SnapshotMode::Ci`] when the `CI` environment
    /// variable is set (a missing snapshot fails), else [`SnapshotMode::Local`] (it is written).
    pub fn snapshot_mode(mut self, mode: SnapshotMode) -> Self {
        self.snapshot_mode = Some(mode);
        self
    }

    /// Loads the scenarios and the config, and applies the filters, tags and shard.
    pub fn plan(self) -> Result<Plan, Error> {
        let scenarios = match self.source {
            Source::Paths(paths) => load_paths(&paths)?,
            Source::Loaded(scenarios) => scenarios,
        };
        let (config, config_file) = match self.config {
            Some(ConfigSource::File(path)) => (Config::load(&path)?, Some(path)),
            Some(ConfigSource::Value(config)) => (*config, None),
            None => (Config::default(), None),
        };
        let filter = self.filter.map(|f| f.to_lowercase());
        let chosen: Vec<Scenario> = scenarios
            .into_iter()
            .filter(|s| {
                filter
                    .as_ref()
                    .is_none_or(|f| s.name.to_lowercase().contains(f))
            })
            .filter(|s| self.tags.is_empty() || s.tags.iter().any(|t| self.tags.contains(t)))
            .collect();
        let chosen_count = chosen.len();
        let selected: Vec<Scenario> = chosen
            .into_iter()
            .filter(|s| self.shard.is_none_or(|shard| shard.holds(s)))
            .collect();
        // A shard of a small suite may hold none of its scenarios: a CI matrix leg with
        // nothing to do, not a usage error.
        let empty_shard = self
            .shard
            .filter(|_| selected.is_empty() && chosen_count > 0);
        let seed = self.seed.or(config.seed).unwrap_or(DEFAULT_SEED);
        let casts = context::check_templates(&selected, seed, &sink_specs(&config))?;
        // More workers than scenarios would only spin: the run starts at most one per scenario.
        let jobs = self
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, selected.len().max(1));
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        let mode = self.snapshot_mode.unwrap_or(if in_ci {
            SnapshotMode::Ci
        } else {
            SnapshotMode::Local
        });
        Ok(Plan {
            scenarios: selected,
            casts,
            config,
            config_file,
            empty_shard,
            seed,
            jobs,
            fail_fast: self.fail_fast,
            snapshots: SnapshotStore::new(self.snapshots, mode),
        })
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
        interrupt: Interrupt,
    ) -> Result<Report, Error> {
        self.plan()?.run(reporter, interrupt).await
    }
}

/// The sinks of a run: the built-in ones and the config's.
fn sink_specs(config: &Config) -> Vec<sinks::SinkSpec> {
    let mut specs = sinks::builtin();
    specs.extend(config.sinks.iter().cloned());
    specs
}

/// A suite ready to run: its scenarios selected, its config loaded.
pub struct Plan {
    /// The scenarios that will run, in order.
    pub scenarios: Vec<Scenario>,
    /// Their customers, generated when their templates were checked.
    casts: Vec<context::Cast>,
    config: Config,
    config_file: Option<PathBuf>,
    empty_shard: Option<Shard>,
    seed: u64,
    jobs: usize,
    fail_fast: bool,
    snapshots: SnapshotStore,
}

/// Scenarios that snapshot their transcript run alone, so the sink events in their snapshots
/// belong to them alone; the others run side by side.
async fn run_one(
    world: Arc<World>,
    exclusive: Arc<RwLock<()>>,
    redactor: Arc<Redactor>,
    scenario: Arc<Scenario>,
    index: usize,
    customer: Arc<Customer>,
    slot: Slot,
) -> ScenarioReport {
    let faults = scenario.faults.iter().map(bank::Fault::from).collect();
    let run = conversation::run(&world, &redactor, &scenario, index, customer, faults, slot);
    let (report, _timings) = if scenario.snapshots() {
        let _alone = exclusive.write().await;
        run.await
    } else {
        let _shared = exclusive.read().await;
        run.await
    };
    report
}

/// The report for a scenario whose task failed unexpectedly.
fn crashed(scenario: &Scenario, why: String) -> ScenarioReport {
    let mut report = ScenarioReport::of(scenario);
    report
        .failures
        .push(Failure::new(None, FailureKind::Error, why));
    report.conclude(true);
    report
}

impl Plan {
    /// The planned run's configuration.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The planned run's seed.
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// Runs the planned scenarios.
    pub async fn run(
        self,
        reporter: &mut dyn Reporter,
        mut interrupt: Interrupt,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let panics = crate::panics::mark();
        let seed = self.seed;
        if let Some(shard) = self.empty_shard {
            let report = Report::new(seed, String::new());
            let bot = format!("no bot: shard {shard} holds none of the selected scenarios");
            reporter.on_event(&Event::RunStarted {
                scenarios: 0,
                bot: &bot,
                seed,
                proxy: None,
                config: self.config_file.as_deref(),
            });
            reporter.on_event(&Event::RunFinished(&report));
            return Ok(report);
        }
        if self.scenarios.is_empty() {
            return Err(Error::NothingSelected);
        }
        let mut casts = self.casts.into_iter();
        let customers: Vec<Arc<Customer>> = self
            .scenarios
            .iter()
            .map(|s| {
                let cast = casts.next().unwrap_or_else(|| context::Cast::of(seed, s));
                Arc::new(cast.customer_for(seed, s))
            })
            .collect();
        let names = self.scenarios.iter().map(|s| s.name.clone()).collect();
        let started_world = World::start(
            &self.config,
            seed,
            &customers,
            self.scenarios.iter().map(Scenario::amounts_moved).collect(),
            names,
            self.snapshots,
            &mut interrupt,
        )
        .await?;
        let Some((world, redactor)) = started_world else {
            let mut report = Report::new(seed, String::new());
            report.interrupted = true;
            return Ok(report);
        };
        let mut report = Report::new(seed, world.bot.connector.describe());
        reporter.on_event(&Event::RunStarted {
            scenarios: self.scenarios.len(),
            bot: &report.bot,
            seed,
            proxy: world.bot.proxy.as_ref().map(|p| (p.url(), p.cert_file())),
            config: self.config_file.as_deref(),
        });
        let (world, redactor) = (Arc::new(world), Arc::new(redactor));

        let exclusive = Arc::new(RwLock::new(()));
        let scenarios: Vec<Arc<Scenario>> = self.scenarios.into_iter().map(Arc::new).collect();
        let total = scenarios.len();
        // Scenarios start in order, at most `jobs` playing their turns at a time; a scenario
        // frees its slot when its turns are played (with `--fail-fast`, at its verdict, so the
        // run stops at the first failure).
        let mut queue = scenarios.iter().cloned().zip(customers).enumerate();
        let mut tasks = JoinSet::new();
        let mut task_index = HashMap::new();
        let (freed, mut slots_freed) = tokio::sync::mpsc::unbounded_channel();
        let fail_fast = self.fail_fast;
        let mut spawn_next = |tasks: &mut JoinSet<ScenarioReport>,
                              task_index: &mut HashMap<_, _>| {
            if let Some((index, (scenario, customer))) = queue.next() {
                let handle = tasks.spawn(run_one(
                    world.clone(),
                    exclusive.clone(),
                    redactor.clone(),
                    scenario,
                    index,
                    customer,
                    Slot::new(freed.clone(), fail_fast),
                ));
                task_index.insert(handle.id(), index);
            }
        };
        for _ in 0..self.jobs {
            spawn_next(&mut tasks, &mut task_index);
        }

        let mut done: BTreeMap<usize, ScenarioReport> = BTreeMap::new();
        let mut next = 0;
        let mut stop = false;
        loop {
            let joined = tokio::select! {
                joined = tasks.join_next_with_id() => joined,
                Some(()) = slots_freed.recv() => {
                    if !stop {
                        spawn_next(&mut tasks, &mut task_index);
                    }
                    continue;
                }
                () = &mut interrupt => {
                    report.interrupted = true;
                    break;
                }
            };
            let Some(joined) = joined else {
                // Every task is done; a slot freed by the last of them may still be unread.
                if !stop && slots_freed.try_recv().is_ok() {
                    spawn_next(&mut tasks, &mut task_index);
                    continue;
                }
                break;
            };
            let (index, finished) = match joined {
                Ok((id, finished)) => (task_index.get(&id).copied().unwrap_or_default(), finished),
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    let index = task_index.get(&e.id()).copied().unwrap_or_default();
                    let why = format!("the scenario's task failed: {e}");
                    let mut crashed = crashed(&scenarios[index.min(total - 1)], why);
                    crashed.redact(&redactor);
                    (index, crashed)
                }
            };
            stop |= self.fail_fast && finished.status != Status::Passed;
            done.insert(index, finished);
            while let Some(finished) = done.remove(&next) {
                reporter.on_event(&Event::ScenarioFinished(&finished));
                report.push(finished);
                next += 1;
            }
            if stop {
                tasks.abort_all();
            }
        }
        tasks.shutdown().await;
        // Scenarios that finished after one that was stopped: report them too, in order.
        for finished in done.into_values() {
            reporter.on_event(&Event::ScenarioFinished(&finished));
            report.push(finished);
        }
        report.stopped_early = !report.interrupted && report.summary.total < total;
        if !report.interrupted {
            world.close(conversation::SCAN_QUIET).await;
        }
        {
            let mut windows = crate::sync::lock(&world.windows);
            report.unattributed = std::mem::take(&mut windows.unattributed).ordered();
            report.egress = attribution::egress(std::mem::take(&mut windows.egress));
        }
        if let Some(proxy) = &world.bot.proxy {
            report
                .egress
                .extend(attribution::forwarded(proxy.forwarded()));
            let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
            report.capture_notes = attribution::refusals(&world, &names, proxy.refusals());
        }
        if !world.bot.reaches(&world.sinks) {
            report.capture_notes.push(UNREACHABLE_SINKS.into());
        }
        if let Ok(world) = Arc::try_unwrap(world) {
            world.bot.stop().await;
        }
        report.server_panics = crate::panics::since(panics);
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        reporter.on_event(&Event::RunFinished(&report));
        Ok(report)
    }
}
