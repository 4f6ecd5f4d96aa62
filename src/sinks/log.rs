//! The run's record of sink traffic: each request from the moment its head arrives (pending)
//! until its inspection is recorded, and what inspection kept, in arrival order. Nothing leaves
//! unaccounted: a request that could not be inspected or kept is recorded as lost, with why.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The most inspected requests kept at once (they are forgotten once every scenario that
/// could own them is judged); past it, requests are lost, and said to be.
const MAX_RECORDS: usize = 1_000_000;

/// What inspecting one request gave, with its place in arrival order.
#[derive(Debug)]
pub struct Record<S> {
    /// Position in arrival order, from 0.
    pub seq: u64,
    /// When its head arrived.
    pub at: Instant,
    /// What the inspector made of it.
    pub summary: Arc<S>,
}

impl<S> Clone for Record<S> {
    fn clone(&self) -> Self {
        Record {
            seq: self.seq,
            at: self.at,
            summary: Arc::clone(&self.summary),
        }
    }
}

/// A request that arrived but whose inspection could not be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Position in arrival order.
    pub seq: u64,
    /// When its head arrived.
    pub at: Instant,
    /// Why: "the scan panicked: …", "over the cap of … requests kept at once".
    pub why: String,
}

struct State<S> {
    records: BTreeMap<u64, Record<S>>,
    pending: BTreeMap<u64, Instant>,
    lost: BTreeMap<u64, Lost>,
}

pub(super) struct Log<S> {
    next: AtomicU64,
    state: Mutex<State<S>>,
    changed: Notify,
}

/// Requests that arrived in time but were still being received or inspected when the wait
/// for them gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{pending} sink request(s) still being received or scanned after {quiet:?} without progress"
)]
pub struct Unsettled {
    /// How many.
    pub pending: usize,
    /// How long nothing finished.
    pub quiet: Duration,
}

impl<S> Log<S> {
    pub fn new() -> Log<S> {
        Log {
            next: AtomicU64::new(0),
            state: Mutex::new(State {
                records: BTreeMap::new(),
                pending: BTreeMap::new(),
                lost: BTreeMap::new(),
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<S>> {
        crate::sync::lock(&self.state)
    }

    /// A request's head arrived: its sequence number and arrival time. Both are taken under
    /// one lock, so arrival times never decrease along sequence numbers.
    pub fn arrive(&self) -> (u64, Instant) {
        let mut state = self.state();
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        let at = Instant::now();
        state.pending.insert(seq, at);
        (seq, at)
    }

    /// The inspection of request `seq` is done.
    pub fn record(&self, seq: u64, summary: S) {
        let mut state = self.state();
        if let Some(at) = state.pending.remove(&seq) {
            if state.records.len() < MAX_RECORDS {
                let summary = Arc::new(summary);
                state.records.insert(seq, Record { seq, at, summary });
            } else {
                let why = format!("over the cap of {MAX_RECORDS} requests kept at once");
                state.lost.insert(seq, Lost { seq, at, why });
            }
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// Request `seq` could not be inspected.
    pub fn lose(&self, seq: u64, why: String) {
        let mut state = self.state();
        if let Some(at) = state.pending.remove(&seq) {
            state.lost.insert(seq, Lost { seq, at, why });
        }
        drop(state);
        self.changed.notify_waiters();
    }

    /// The sequence number the next request will get.
    pub fn cursor(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// The kept records and the lost requests with `seq >= from`, in order.
    pub fn since(&self, from: u64) -> (Vec<Record<S>>, Vec<Lost>) {
        let state = self.state();
        let records = state
            .records
            .range(from..)
            .map(|(_, r)| r.clone())
            .collect();
        let lost = state.lost.range(from..).map(|(_, l)| l.clone()).collect();
        (records, lost)
    }

    /// Forgets what arrived before `before`, once no scenario needs it, and returns it.
    pub fn forget_before(&self, before: u64) -> (Vec<Record<S>>, Vec<Lost>) {
        let mut state = self.state();
        let kept = state.records.split_off(&before);
        let records = std::mem::replace(&mut state.records, kept);
        let kept = state.lost.split_off(&before);
        let lost = std::mem::replace(&mut state.lost, kept);
        (
            records.into_values().collect(),
            lost.into_values().collect(),
        )
    }

    /// Waits until fewer than `most` requests are being received or inspected, giving up (and
    /// going on) when none finishes for `quiet`: how a run keeps new conversations from
    /// outrunning the scan of what earlier ones sent.
    pub async fn below(&self, most: usize, quiet: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.state().pending.len() < most {
                return;
            }
            if tokio::time::timeout(quiet, changed).await.is_err() {
                return;
            }
        }
    }

    /// Waits until every request whose head arrived by `until` is inspected, giving up when
    /// none finishes for `quiet`.
    pub async fn settle(&self, until: Instant, quiet: Duration) -> Result<(), Unsettled> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            // Arrival times follow sequence numbers, so the oldest pending request decides:
            // one look however many requests are in flight and scenarios wait.
            let waiting = |state: &State<S>| {
                state
                    .pending
                    .first_key_value()
                    .is_some_and(|(_, &at)| at <= until)
            };
            if !waiting(&self.state()) {
                return Ok(());
            }
            if tokio::time::timeout(quiet, changed).await.is_err() {
                let state = self.state();
                let pending = state.pending.values().filter(|&&at| at <= until).count();
                return Err(Unsettled { pending, quiet });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_arrival_is_recorded_or_lost_and_settling_waits_for_it() {
        let log: Log<&str> = Log::new();
        let ((a, _), (b, _)) = (log.arrive(), log.arrive());
        // Both are still being scanned: settling on them gives up, and says how many.
        let unsettled = log.settle(Instant::now(), Duration::from_millis(20)).await;
        assert_eq!(unsettled.unwrap_err().pending, 2);
        log.record(a, "scanned");
        log.lose(b, "the scan of this request failed: boom".into());
        log.settle(Instant::now(), Duration::from_millis(20))
            .await
            .unwrap();
        let (records, lost) = log.since(0);
        assert_eq!(records.len(), 1);
        assert_eq!(*records[0].summary, "scanned");
        assert_eq!(lost.len(), 1);
        assert!(lost[0].why.contains("boom"));
        // A request that arrives later does not hold up a window that closed before it.
        let before_it = Instant::now();
        let (late, _) = log.arrive();
        log.settle(before_it, Duration::from_millis(20))
            .await
            .unwrap();
        let (forgotten, forgotten_lost) = log.forget_before(late);
        assert_eq!((forgotten.len(), forgotten_lost.len()), (1, 1));
        let (records, lost) = log.since(0);
        assert!(records.is_empty() && lost.is_empty());
    }
}
