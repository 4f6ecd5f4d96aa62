//! What every scenario of a run shares: the bank, the sinks, the detector, the bot, and the
//! time windows that attribute sink traffic to scenarios running side by side.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::bot::Bot;
use crate::bank::Bank;
use crate::privacy::{Detector, Scan};
use crate::scenario::PrivacyConfig;
use crate::sinks::{Captured, Sinks};
use crate::snapshot::SnapshotStore;

/// The shared state of a run.
pub(super) struct World {
    pub seed: u64,
    pub bank: Bank,
    pub sinks: Sinks,
    /// Knows every customer of the run: the scenarios' in order, then the decoys.
    pub detector: Detector,
    /// The name of each customer of the detector: its scenario's name, or `decoy customer N`.
    pub names: Vec<String>,
    pub privacy: PrivacyConfig,
    pub bot: Bot,
    pub snapshots: SnapshotStore,
    pub windows: Mutex<Windows>,
}

/// When each scenario was listening to the sinks, and the scans of the requests still needed.
#[derive(Default)]
pub(super) struct Windows {
    /// Per scenario index: the sink cursor and start when it began, and when its settle window ended.
    spans: HashMap<usize, Span>,
    scans: HashMap<u64, Arc<Scan>>,
}

#[derive(Clone, Copy)]
struct Span {
    cursor: u64,
    start: Instant,
    end: Option<Instant>,
    /// Judged: its requests are no longer needed, but its window still attributes others'.
    judged: bool,
}

impl Span {
    fn covers(&self, at: Instant) -> bool {
        self.start <= at && self.end.is_none_or(|end| at <= end)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl World {
    /// Scenario `index` starts listening; returns its sink cursor.
    pub fn open_window(&self, index: usize) -> u64 {
        let mut windows = lock(&self.windows);
        let cursor = self.sinks.cursor();
        windows.spans.insert(
            index,
            Span {
                cursor,
                start: Instant::now(),
                end: None,
                judged: false,
            },
        );
        cursor
    }

    /// Scenario `index` has stopped listening (its settle window is over).
    pub fn close_window(&self, index: usize) {
        if let Some(span) = lock(&self.windows).spans.get_mut(&index) {
            span.end = Some(Instant::now());
        }
    }

    /// Whether scenario `index` was listening when a request arrived at `at`.
    pub fn listening(&self, index: usize, at: Instant) -> bool {
        lock(&self.windows)
            .spans
            .get(&index)
            .is_some_and(|span| span.covers(at))
    }

    /// The requests that arrived within scenario `index`'s window.
    pub fn requests_of(&self, index: usize) -> Vec<Captured> {
        let span = lock(&self.windows).spans.get(&index).copied();
        let Some(span) = span else { return Vec::new() };
        self.sinks
            .since(span.cursor)
            .into_iter()
            .filter(|c| span.covers(c.request.at))
            .collect()
    }

    /// The scan of a captured request, computed once however many scenarios look at it.
    pub fn scan(&self, captured: &Captured) -> Arc<Scan> {
        if let Some(scan) = lock(&self.windows).scans.get(&captured.seq) {
            return scan.clone();
        }
        let scan = Arc::new(self.detector.scan_request(&captured.request));
        lock(&self.windows).scans.insert(captured.seq, scan.clone());
        scan
    }

    /// Scenario `index` is judged: forget the requests and scans no unjudged window needs.
    pub fn finish(&self, index: usize) {
        let mut windows = lock(&self.windows);
        if let Some(span) = windows.spans.get_mut(&index) {
            span.judged = true;
        }
        let needed = windows
            .spans
            .values()
            .filter(|s| !s.judged)
            .map(|s| s.cursor)
            .min()
            .unwrap_or_else(|| self.sinks.cursor());
        windows.scans.retain(|&seq, _| seq >= needed);
        self.sinks.forget_before(needed);
    }
}
