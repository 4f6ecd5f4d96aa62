//! What every scenario of a run shares: the bank, the sinks, the detector, the bot, and the
//! time windows that attribute sink traffic to scenarios running side by side.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::attribution::{self, EgressTally, Inspected};
use super::bot::Bot;
use super::prepared::Prepared;
use super::Interrupt;
use crate::bank::{self, Bank};
use crate::customer::Customer;
use crate::money::Money;
use crate::privacy::Vocabulary;
use crate::report::Redactor;
use crate::report::Unattributed;
use crate::scenario::{Config, MoneyChecks, PrivacyConfig, UnknownPolicy};
use crate::sinks::{Lost, Record, SinkKind, Sinks};
use crate::snapshot::SnapshotStore;
use crate::sync::lock;
use crate::Error;

/// The shared state of a run.
pub(super) struct World {
    pub seed: u64,
    pub bank: Bank,
    pub sinks: Sinks<Inspected>,
    /// Knows every customer of the run: the scenarios' in order, then the decoys (prepared
    /// while the run starts).
    pub detector: Arc<Prepared>,
    /// The name of each customer of the detector: its scenario's name, or `decoy customer N`.
    pub names: Vec<String>,
    /// How many of the customers are the scenarios' (the first ones); the rest are decoys.
    pub scenarios: usize,
    /// Who owns a request whose values several customers hold equally.
    pub ties: Ties,
    pub privacy: PrivacyConfig,
    /// The money checks of scenarios that do not set their own.
    pub money: MoneyChecks,
    /// What a customer value at the `unknown` sink does.
    pub unknown: UnknownPolicy,
    pub bot: Bot,
    pub snapshots: SnapshotStore,
    pub windows: Mutex<Windows>,
}

/// Who owns a sink request whose values several scenarios' customers hold equally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ties {
    /// No one: the run reports it, so that reports do not depend on what ran beside what
    /// (`banter run`).
    Unowned,
    /// The one of those customers whose conversation was listening when it arrived, if only
    /// one was (`banter simulate`, whose customers of one template share its values, and
    /// whose conversations overlap by design).
    ToTheListener,
}

/// When each scenario was listening to the sinks, which requests a scenario claimed, and the
/// sink traffic that no scenario claimed.
#[derive(Default)]
pub(super) struct Windows {
    /// Per scenario index: the sink cursor and start when it began, and when its settle window ended.
    spans: HashMap<usize, Span>,
    /// The cursors of the windows not yet judged, with how many windows opened at each: the
    /// least is the oldest request still needed.
    unjudged: BTreeMap<u64, usize>,
    /// Requests some scenario owns, until they are forgotten.
    claimed: HashSet<u64>,
    /// Requests forgotten without an owner.
    pub unattributed: Unattributed,
    /// Every request forgotten, by sink and host.
    pub egress: EgressTally,
}

#[derive(Clone, Copy)]
struct Span {
    cursor: u64,
    start: Instant,
    end: Option<Instant>,
}

impl Span {
    fn covers(&self, at: Instant) -> bool {
        self.start <= at && self.end.is_none_or(|end| at <= end)
    }
}

impl World {
    /// Starts the bank, the sinks and the bot for a run whose conversations are with
    /// `customers` (named `names`, one each, in order); the needles of every customer, the
    /// bank's decoys included, are prepared meanwhile. `None` when `interrupt` completes
    /// before the bot is up. Also gives the redactor of every token and authorization code.
    pub async fn start(
        config: &Config,
        seed: u64,
        customers: &[Arc<Customer>],
        amounts: Vec<Vec<Money>>,
        mut names: Vec<String>,
        snapshots: SnapshotStore,
        interrupt: &mut Interrupt,
    ) -> Result<Option<(World, Redactor)>, Error> {
        let bank = Bank::start(seed).await?;
        let mut everyone = customers.to_vec();
        everyone.extend(bank.decoys().iter().cloned().map(Arc::new));
        let everyone = Arc::new(everyone);
        // The needles are prepared while the sinks, the bot and the first turns start.
        let status = &config.privacy.status;
        let vocabulary = Vocabulary::new(&status.terms, &status.allow);
        let detector = Prepared::start(Arc::clone(&everyone), amounts, vocabulary);
        names.extend((1..=bank.decoys().len()).map(bank::decoy_name));
        let sinks = Sinks::start(
            &super::sink_specs(config),
            attribution::inspector(detector.clone()),
        )
        .await?;
        // Every token and authorization code of the run, decoys' too: a bot's shared output,
        // or a reply that crosses sessions, can show any of them in any scenario's report.
        let redactor = Redactor::new(everyone.iter().flat_map(|c| {
            [Some(c.token.clone()), c.authorization_code()]
                .into_iter()
                .flatten()
        }))?;
        let bot = tokio::select! {
            bot = Bot::start(config, &bank, &sinks) => bot?,
            () = interrupt => return Ok(None),
        };
        let world = World {
            seed,
            bank,
            sinks,
            detector,
            names,
            scenarios: customers.len(),
            ties: Ties::Unowned,
            privacy: config.privacy.clone(),
            money: config.money,
            unknown: config.capture.unknown,
            bot,
            snapshots,
            windows: Default::default(),
        };
        Ok(Some((world, redactor)))
    }

    /// Scenario `index` starts listening, from the sinks' current cursor.
    pub fn open_window(&self, index: usize) {
        let mut windows = lock(&self.windows);
        let span = Span {
            cursor: self.sinks.cursor(),
            start: Instant::now(),
            end: None,
        };
        *windows.unjudged.entry(span.cursor).or_default() += 1;
        windows.spans.insert(index, span);
    }

    /// Scenario `index` has stopped listening (its settle window is over): when.
    pub fn close_window(&self, index: usize) -> Instant {
        let now = Instant::now();
        if let Some(span) = lock(&self.windows).spans.get_mut(&index) {
            span.end = Some(now);
        }
        now
    }

    /// Whether scenario `index` was listening when a request arrived at `at`.
    pub fn listening(&self, index: usize, at: Instant) -> bool {
        lock(&self.windows)
            .spans
            .get(&index)
            .is_some_and(|span| span.covers(at))
    }

    /// The inspected and the lost requests that arrived within scenario `index`'s window.
    pub fn requests_of(&self, index: usize) -> (Vec<Record<Inspected>>, Vec<Lost>) {
        let span = lock(&self.windows).spans.get(&index).copied();
        let Some(span) = span else {
            return (Vec::new(), Vec::new());
        };
        let (mut records, mut lost) = self.sinks.since(span.cursor);
        records.retain(|r| span.covers(r.at));
        lost.retain(|l| span.covers(l.at));
        (records, lost)
    }

    /// The kind of the sink `name` as the verdicts see it: a host no sink stands for counts as
    /// `other` under `capture.unknown: report`.
    pub fn sink_kind(&self, name: &str) -> SinkKind {
        match self.sinks.kind(name).unwrap_or(SinkKind::Other) {
            SinkKind::Unknown if self.unknown == UnknownPolicy::Report => SinkKind::Other,
            kind => kind,
        }
    }

    /// Scenario `index` owns these requests.
    pub fn claim(&self, seqs: impl IntoIterator<Item = u64>) {
        lock(&self.windows).claimed.extend(seqs);
    }

    /// Scenario `index` is judged: forget the requests no unjudged window needs, tallying
    /// those no scenario claimed. Its window stays, to tell whose values later requests hold.
    pub fn finish(&self, index: usize) {
        let mut windows = lock(&self.windows);
        if let Some(cursor) = windows.spans.get(&index).map(|span| span.cursor) {
            if let Some(count) = windows.unjudged.get_mut(&cursor) {
                *count -= 1;
                if *count == 0 {
                    windows.unjudged.remove(&cursor);
                }
            }
        }
        let needed = windows
            .unjudged
            .keys()
            .next()
            .copied()
            .unwrap_or_else(|| self.sinks.cursor());
        self.forget_before(&mut windows, needed);
    }

    /// Waits for every request to be inspected, and tallies what no scenario claimed.
    pub async fn close(&self, quiet: std::time::Duration) {
        let settled = self.sinks.settle(Instant::now(), quiet).await;
        let mut windows = lock(&self.windows);
        if let Err(unsettled) = settled {
            windows.unattributed.notes.push(unsettled.to_string());
        }
        self.forget_before(&mut windows, self.sinks.cursor());
    }

    fn forget_before(&self, windows: &mut Windows, before: u64) {
        let (records, lost) = self.sinks.forget_before(before);
        for record in &records {
            attribution::tally(&mut windows.egress, &record.summary);
            if !windows.claimed.remove(&record.seq) {
                let kind = self.sink_kind(record.summary.sink());
                windows.unattributed.add(&record.summary, kind, self);
            }
        }
        for lost in &lost {
            if !windows.claimed.remove(&lost.seq) {
                windows.unattributed.lose(lost);
            }
        }
    }
}
