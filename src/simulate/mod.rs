//! `banter simulate`: load. The scenarios are templates; each conversation plays one of them,
//! picked by the mix, with a customer of the simulated population, on the same bank, sinks,
//! leak detector and bot that `banter run` starts, with every check on. The workload is
//! closed: `--concurrency` virtual users, each starting its next conversation when its last
//! one ends, started one after another over `--ramp`. Results stream to a JSON Lines file;
//! only aggregates, violations and a sample of the other failures stay in memory.

mod chart;
mod journal;
mod measure;
mod mix;
mod population;
mod progress;
mod summary;
mod terminal;
mod thresholds;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

pub use measure::Located;
pub use mix::{Mix, UnknownKey};
pub use summary::{
    is_summary, merge, Latency, ScenarioSummary, SecondSummary, Setup, Summary, SummaryError,
    SUMMARY_KIND, SUMMARY_VERSION,
};
pub use terminal::print_summary;
pub use thresholds::{Limits, Verdict};

use crate::bank;
use crate::report::ScenarioReport;
use crate::runner::{Interrupt, Shard, Stage, Suite, TurnTiming};
use crate::scenario::Scenario;
use crate::sync::lock;
use measure::Tally;
use mix::Weights;
use population::Population;
use progress::Progress;

/// What the draw of a conversation's scenario is salted with.
const MIX_DRAW: u64 = 1;
/// What the draws of a conversation's bank faults are salted with.
const FAULT_DRAW: u64 = 2;
/// How long abandoned conversations may take to let go of the stage.
const ABANDON_WAIT: Duration = Duration::from_secs(10);
/// How often the live progress is redrawn.
const REDRAW: Duration = Duration::from_millis(250);

/// When the simulation stops starting conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many conversations (over all shards).
    Conversations(u64),
    /// Once this long has passed; the conversations under way finish.
    Duration(Duration),
}

/// A simulation to run: `banter simulate`'s arguments.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The scenario files or directories: the templates.
    pub paths: Vec<PathBuf>,
    /// The `banter.yaml`; the demo bot without one.
    pub config: Option<PathBuf>,
    /// The seed (overrides the config's).
    pub seed: Option<u64>,
    /// Customers per customer profile.
    pub customers: usize,
    /// Virtual users.
    pub concurrency: usize,
    /// When to stop.
    pub stop: Stop,
    /// How long until every virtual user has started.
    pub ramp: Duration,
    /// The scenario weights; every scenario weighs 1 without.
    pub mix: Option<Mix>,
    /// This shard of the customers only.
    pub shard: Option<Shard>,
    /// Where `summary.json`, `conversations.jsonl`, `junit.xml` and `report.html` go.
    pub out: PathBuf,
    /// Show live progress on stderr (drawn only on a terminal).
    pub progress: bool,
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// The scenarios, the config or the bot.
    #[error(transparent)]
    Run(#[from] crate::Error),
    /// The mix names no scenario.
    #[error(transparent)]
    Mix(#[from] UnknownKey),
    /// The arguments do not fit together.
    #[error("{0}")]
    Usage(String),
    /// Conversations abandoned at an interruption did not end.
    #[error("the conversations under way did not end within {0:?} of the interruption")]
    Abandon(Duration),
    /// An output could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One played conversation, on its way to the tally and the journal.
struct Played {
    conversation: u64,
    customer: usize,
    report: ScenarioReport,
    timings: Vec<TurnTiming>,
}

/// What every virtual user shares.
struct Shared {
    seed: u64,
    stage: Stage,
    scenarios: Vec<Scenario>,
    weights: Weights,
    population: Population,
    faults: Vec<crate::scenario::LoadFault>,
    /// The next conversation number to consider.
    cursor: Mutex<u64>,
    stop: Stop,
    start: Instant,
    stopped: watch::Receiver<bool>,
}

impl Shared {
    /// The next conversation this shard plays, if any is left.
    fn next(&self) -> Option<u64> {
        if *self.stopped.borrow() {
            return None;
        }
        if let Stop::Duration(d) = self.stop {
            if self.start.elapsed() >= d {
                return None;
            }
        }
        let mut cursor = lock(&self.cursor);
        loop {
            let j = *cursor;
            if let Stop::Conversations(m) = self.stop {
                if j >= m {
                    return None;
                }
            }
            *cursor += 1;
            if self.population.holds(j) {
                return Some(j);
            }
        }
    }

    /// Plays conversation `j`; `turns_played` hears when its turns are played.
    async fn play(&self, j: u64, turns_played: mpsc::UnboundedSender<()>) -> Played {
        let s = self
            .weights
            .pick(crate::draw::fraction(&[self.seed, MIX_DRAW, j]));
        // Its own name, so its own conversation id: bots keep their state by it.
        let template = &self.scenarios[s];
        let mut scenario = template.clone();
        scenario.name = format!("{} #{j}", template.name);
        let index = self.population.index(j, s);
        let (customer, _held) = self.population.take(index).await;
        let mut faults: Vec<bank::Fault> = scenario.faults.iter().map(bank::Fault::from).collect();
        faults.extend(self.faults.iter().enumerate().map(|(f, fault)| {
            fault.armed(crate::draw::bits(&[self.seed, FAULT_DRAW, j, f as u64]))
        }));
        let (mut report, timings) = self
            .stage
            .converse(&scenario, index, customer, faults, turns_played)
            .await;
        report.name.clone_from(&template.name);
        Played {
            conversation: j,
            customer: index,
            report,
            timings,
        }
    }
}

/// A virtual user: waits its turn in the ramp, then plays conversations until none is left,
/// starting the next as soon as the last one's turns are played: its settle window and scans
/// go on beside the next conversation, as they do in `banter run`.
async fn virtual_user(shared: Arc<Shared>, delay: Duration, results: mpsc::Sender<Played>) {
    let mut stopped = shared.stopped.clone();
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = stopped.wait_for(|s| *s) => return,
    }
    let mut judging = JoinSet::new();
    while let Some(j) = shared.next() {
        let (turns_played, mut played_turns) = mpsc::unbounded_channel();
        let (shared, results) = (shared.clone(), results.clone());
        judging.spawn(async move {
            let played = shared.play(j, turns_played).await;
            let _ = results.send(played).await;
        });
        // Also when the conversation ends early: its sender is dropped.
        let _ = played_turns.recv().await;
        while judging.try_join_next().is_some() {}
    }
    while judging.join_next().await.is_some() {}
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> SimulateError + '_ {
    move |source| SimulateError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs the simulation until its stop or `interrupt`, and writes its outputs into `out`.
pub async fn simulate(sim: &Simulation, interrupt: Interrupt) -> Result<Summary, SimulateError> {
    if sim.customers < sim.concurrency {
        return Err(SimulateError::Usage(format!(
            "--customers {} is fewer than --concurrency {}: a customer is in one conversation at a time",
            sim.customers, sim.concurrency
        )));
    }
    let mut suite = Suite::from_paths(&sim.paths);
    if let Some(config) = &sim.config {
        suite = suite.config(config.as_path());
    }
    if let Some(seed) = sim.seed {
        suite = suite.seed(seed);
    }
    let plan = suite.plan()?;
    let (seed, config) = (plan.seed(), plan.config().clone());
    let mut scenarios = plan.scenarios;
    if scenarios.is_empty() {
        return Err(crate::Error::NothingSelected.into());
    }
    // Snapshots belong to `banter run`: under load they are neither checked nor written.
    for scenario in &mut scenarios {
        scenario.snapshot = false;
        scenario
            .steps
            .iter_mut()
            .for_each(|step| step.snapshot = false);
    }
    // Only the scenarios in the mix play: the others need no customers.
    let weights = Weights::new(sim.mix.as_ref(), &scenarios)?;
    let mut index = 0..;
    scenarios.retain(|_| weights.picks(index.next().unwrap_or_default()));
    let weights = Weights::new(sim.mix.as_ref(), &scenarios)?;
    let population = Population::new(seed, &scenarios, sim.customers, sim.shard);
    std::fs::create_dir_all(&sim.out).map_err(write_error(&sim.out))?;
    let journal_path = sim.out.join("conversations.jsonl");
    let mut journal =
        journal::Journal::create(&journal_path).map_err(write_error(&journal_path))?;

    let (stop_tx, stopped) = watch::channel(false);
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            interrupt.await;
            interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = stop_tx.send(true);
        });
    }
    let stage_stop = {
        let mut stopped = stopped.clone();
        Box::pin(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
    };
    let names = population.names();
    let Some(stage) = Stage::start(
        &config,
        seed,
        population.customers(),
        names.clone(),
        stage_stop,
    )
    .await?
    else {
        return Ok(Summary::new(
            setup(sim, seed, String::new(), &config),
            &Tally::default(),
            0,
            true,
            0,
        ));
    };
    let bot = stage.bot();
    // Every scan and reply check waits for the needles: the clock starts once they are ready.
    stage.ready().await?;
    let start = Instant::now();
    let shared = Arc::new(Shared {
        seed,
        stage,
        scenarios,
        weights,
        population,
        faults: config.simulate.faults.clone(),
        cursor: Mutex::new(0),
        stop: sim.stop,
        start,
        stopped: stopped.clone(),
    });
    let (results, mut arriving) = mpsc::channel(sim.concurrency.max(1) * 2);
    let mut users = JoinSet::new();
    for u in 0..sim.concurrency {
        let delay = sim.ramp.mul_f64(u as f64 / sim.concurrency as f64);
        users.spawn(virtual_user(shared.clone(), delay, results.clone()));
    }
    drop(results);

    let (limit, by_time) = match sim.stop {
        Stop::Conversations(m) => {
            let held = (0..m).filter(|&j| shared.population.holds(j)).count() as u64;
            (Some(held), false)
        }
        Stop::Duration(_) => (None, true),
    };
    let progress = if sim.progress {
        Some(Progress::new(
            limit,
            match sim.stop {
                Stop::Duration(d) => Some(d),
                Stop::Conversations(_) => None,
            },
        ))
    } else {
        None
    };
    let mut tally = Tally::default();
    let mut redraw = tokio::time::interval(REDRAW);
    let mut stopped_now = stopped.clone();
    let mut written = Ok(());
    loop {
        tokio::select! {
            played = arriving.recv() => {
                let Some(played) = played else { break };
                let customer = &names[played.customer];
                if written.is_ok() {
                    written = journal.write(played.conversation, customer, &played.report, &played.timings);
                }
                tally.add(played.conversation, customer, &played.report, &played.timings, start);
            }
            _ = redraw.tick() => {
                if let Some(progress) = &progress {
                    progress.show(&tally, by_time);
                }
            }
            _ = stopped_now.wait_for(|s| *s), if !*stopped_now.borrow() => {
                // Interrupted: the conversations under way are abandoned.
                users.abort_all();
            }
        }
    }
    while users.join_next().await.is_some() {}
    if let Some(progress) = &progress {
        progress.finish();
    }
    let duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    written.map_err(write_error(&journal_path))?;
    journal.finish().map_err(write_error(&journal_path))?;
    // Conversations abandoned at an interruption let go of the stage as their tasks end.
    let mut shared = shared;
    let waited = Instant::now();
    let shared = loop {
        match Arc::try_unwrap(shared) {
            Ok(shared) => break shared,
            Err(_) if waited.elapsed() > ABANDON_WAIT => {
                return Err(SimulateError::Abandon(ABANDON_WAIT));
            }
            Err(still) => {
                shared = still;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let unattributed = shared.stage.close().await;
    tally.unowned_leaks = unattributed.failures().len() as u64;
    let interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
    let summary = Summary::new(
        setup(sim, seed, bot, &config),
        &tally,
        duration_ms,
        interrupted,
        unattributed.requests,
    );
    write_outputs(&summary, &sim.out)?;
    Ok(summary)
}

/// How the simulation is run, for its summary.
fn setup(sim: &Simulation, seed: u64, bot: String, config: &crate::scenario::Config) -> Setup {
    let mut limits = Limits::from(&config.simulate.thresholds);
    // Violations fail a simulation unless a threshold allows some.
    limits.leaks.get_or_insert(0);
    Setup {
        seed,
        bot,
        workload: "closed".into(),
        customers: sim.customers,
        concurrency: sim.concurrency,
        shards: sim.shard.iter().map(ToString::to_string).collect(),
        limits,
    }
}

/// Writes `summary.json`, `junit.xml` and `report.html` into `out`.
pub fn write_outputs(summary: &Summary, out: &Path) -> Result<(), SimulateError> {
    std::fs::create_dir_all(out).map_err(write_error(out))?;
    let path = out.join("summary.json");
    summary.write(&path).map_err(write_error(&path))?;
    let path = out.join("junit.xml");
    let xml = thresholds::junit(
        &summary.thresholds,
        Duration::from_millis(summary.duration_ms),
    )
    .map_err(|e| write_error(&path)(std::io::Error::other(e)))?;
    std::fs::write(&path, xml).map_err(write_error(&path))?;
    let path = out.join("report.html");
    std::fs::write(&path, chart::page(summary)).map_err(write_error(&path))?;
    Ok(())
}
