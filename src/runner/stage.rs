//! A started run whose conversations are chosen elsewhere: the bank, the sinks, the needles
//! and the bot of [`World::start`], and one conversation at a time played on them exactly as
//! `banter run` plays a scenario. `banter simulate` plays its templates for many customers here.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::conversation::{self, TurnTiming};
use super::slot::Slot;
use super::world::{Ties, World};
use crate::bank;
use crate::customer::Customer;
use crate::report::{Redactor, ScenarioReport, Unattributed};
use crate::scenario::{Config, Scenario};
use crate::Error;

/// The shared machinery of a run, started.
pub(crate) struct Stage {
    world: Arc<World>,
    redactor: Redactor,
}

impl Stage {
    /// Starts the bank, the sinks and the bot of `config` for conversations with `customers`,
    /// named `names` in reports; `None` when `interrupt` completes first.
    pub async fn start(
        config: &Config,
        seed: u64,
        customers: &[Arc<Customer>],
        names: Vec<String>,
        mut interrupt: super::Interrupt,
    ) -> Result<Option<Stage>, Error> {
        // Snapshots are not taken under load: the store is never written.
        let snapshots =
            crate::snapshot::SnapshotStore::new(std::env::temp_dir(), crate::snapshot::Mode::Local);
        let started = World::start(
            config,
            seed,
            customers,
            Vec::new(),
            names,
            snapshots,
            &mut interrupt,
        )
        .await?;
        Ok(started.map(|(world, redactor)| Stage {
            world: Arc::new(World {
                ties: Ties::ToTheListener,
                ..world
            }),
            redactor,
        }))
    }

    /// How reports name the bot.
    pub fn bot(&self) -> String {
        self.world.bot.connector.describe()
    }

    /// Waits until the needles of every customer are prepared.
    pub async fn ready(&self) -> Result<(), Error> {
        self.world
            .detector
            .ready()
            .await
            .map(drop)
            .map_err(|e| Error::Needles(e.to_string()))
    }

    /// Plays `scenario` with `customer`, the `index`th customer of [`Stage::start`], whose
    /// bank calls meet `faults`, and judges it; `turns_played` hears when its turns are played
    /// (before the settle window and the scans). A customer must not be in two conversations
    /// at once.
    pub async fn converse(
        &self,
        scenario: &Scenario,
        index: usize,
        customer: Arc<Customer>,
        faults: Vec<bank::Fault>,
        turns_played: UnboundedSender<()>,
    ) -> (ScenarioReport, Vec<TurnTiming>) {
        let slot = Slot::new(turns_played, false);
        conversation::run(
            &self.world,
            &self.redactor,
            scenario,
            index,
            customer,
            faults,
            slot,
        )
        .await
    }

    /// Waits for the last sink requests to be scanned, stops the bot, and gives the sink
    /// traffic that no conversation claimed.
    pub async fn close(self) -> Unattributed {
        self.world.close(conversation::SCAN_QUIET).await;
        let unattributed =
            std::mem::take(&mut crate::sync::lock(&self.world.windows).unattributed).ordered();
        if let Ok(world) = Arc::try_unwrap(self.world) {
            world.bot.stop().await;
        }
        unattributed
    }
}
