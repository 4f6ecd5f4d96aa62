//! Attributing what the bot sent to the sinks to scenarios, customers and turns: leaks of
//! the scenario's own customer, and of customers no running scenario stands for. Each sink
//! request is scanned once, as it arrives ([`inspector`]); a scenario then claims the
//! requests that hold its customer's values.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::world::World;
use crate::check::privacy::{self, Leak, SinkRequest, SinkWarning, Whose};
use crate::check::{Failure, FailureKind};
use crate::privacy::{Detector, Scan};
use crate::scenario::Scenario;
use crate::sinks::{self, Inspector, Lost, SinkKind};

/// What the run keeps of one sink request: its scan, and what reports and snapshots show.
pub(super) struct Inspected {
    request: SinkRequest,
    scan: Scan,
    /// The events it reported, by name (`google: balance_viewed`).
    events: Vec<String>,
}

/// Scans each sink request with `detector` as it arrives.
pub(super) fn inspector(detector: Arc<Detector>) -> Inspector<Inspected> {
    Arc::new(move |request| Inspected {
        request: SinkRequest::of(request),
        scan: detector.scan_request(request),
        events: sinks::event_names(request),
    })
}

/// Sink traffic that no scenario could be told to own: requests that held no running
/// scenario's customer values (ordinary telemetry, which cannot be told apart while
/// conversations overlap). Every one was scanned; what its scans found is kept here.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Unattributed {
    /// How many requests.
    pub requests: u64,
    /// Unknown values in them that look like personal data.
    pub warnings: Vec<SinkWarning>,
    /// What their scans could not read whole, and requests that could not be scanned.
    pub notes: Vec<String>,
}

impl Unattributed {
    pub(super) fn add(&mut self, inspected: &Inspected) {
        self.requests += 1;
        let request = &inspected.request;
        self.warnings.extend(
            inspected
                .scan
                .warnings
                .iter()
                .map(|w| privacy::warn(w, request, 0)),
        );
        self.notes.extend(
            inspected
                .scan
                .notes
                .iter()
                .map(|n| format!("{} {}: {n}", request.sink, request.line)),
        );
    }

    pub(super) fn lose(&mut self, lost: &Lost) {
        self.requests += 1;
        self.notes
            .push(format!("a sink request was not scanned: {}", lost.why));
    }
}

/// What the sinks received during one scenario, judged.
pub(super) struct SinkScan {
    /// How many requests arrived within the scenario's window.
    pub requests: usize,
    pub leaks: Vec<Leak>,
    pub warnings: Vec<SinkWarning>,
    pub notes: Vec<String>,
    /// The events of the scenario's requests as (turn, `sink: name`), for scenarios that
    /// snapshot their transcript and so run alone.
    pub events: Vec<(usize, String)>,
    /// Requests in the window that could not be scanned or kept: the scenario is an error.
    pub lost: Vec<Failure>,
}

/// The turn a sink request belongs to: the last turn that had started when it arrived.
fn turn_at(turn_starts: &[Instant], at: Instant) -> usize {
    turn_starts.iter().filter(|&&start| start <= at).count()
}

/// Judges the requests that arrived within scenario `index`'s window.
///
/// A request belongs to the listening scenarios whose customers' values it holds most of
/// (a merchant name is shared by many customers, an email is not). One that holds only values
/// of customers whose scenario was not listening (decoys, scenarios already over) belongs to
/// every scenario listening when it arrived, as someone else's data. One that holds no
/// customer's values belongs to the scenario only when it runs alone (it snapshots its
/// transcript); otherwise to no scenario, and the run reports it as unattributed, so that a
/// scenario's report does not depend on what ran beside it.
pub(super) fn scan_sinks(
    world: &World,
    scenario: &Scenario,
    index: usize,
    turn_starts: &[Instant],
) -> SinkScan {
    let rules: Vec<_> = world
        .privacy
        .allow
        .iter()
        .chain(&scenario.privacy.allow)
        .collect();
    let (records, lost) = world.requests_of(index);
    let (mut leaks, mut warnings, mut notes, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut claimed: Vec<u64> = lost.iter().map(|l| l.seq).collect();
    for record in &records {
        let Inspected {
            request,
            scan,
            events: request_events,
        } = record.summary.as_ref();
        let mut score: BTreeMap<usize, usize> = BTreeMap::new();
        for finding in scan
            .findings
            .iter()
            .filter(|f| world.listening(f.customer, record.at))
        {
            *score.entry(finding.customer).or_default() += 1;
        }
        let best = score.values().copied().max().unwrap_or(0);
        let owned = if best > 0 {
            score.get(&index) == Some(&best)
        } else {
            !scan.findings.is_empty() || scenario.snapshots()
        };
        if !owned {
            continue;
        }
        claimed.push(record.seq);
        let kind = world.sinks.kind(&request.sink).unwrap_or(SinkKind::Other);
        let turn = turn_at(turn_starts, record.at);
        // Only a scenario that runs alone can tell which content-free events are its own.
        if scenario.snapshots() {
            events.extend(request_events.iter().map(|name| (turn, name.clone())));
        }
        for finding in &scan.findings {
            let whose = if finding.customer == index {
                Whose::Own
            } else if score.contains_key(&finding.customer) {
                continue;
            } else {
                Whose::Other(
                    world
                        .names
                        .get(finding.customer)
                        .cloned()
                        .unwrap_or_default(),
                )
            };
            leaks.push(privacy::judge(finding, request, kind, turn, whose, &rules));
        }
        warnings.extend(
            scan.warnings
                .iter()
                .map(|w| privacy::warn(w, request, turn)),
        );
        notes.extend(
            scan.notes
                .iter()
                .map(|n| format!("{} {}: {n}", request.sink, request.line)),
        );
    }
    let requests = claimed.len() - lost.len();
    world.claim(claimed);
    let lost = lost
        .iter()
        .map(|l| {
            let message = format!(
                "a sink request that arrived during the scenario was not scanned: {}",
                l.why
            );
            Failure::new(None, FailureKind::Error, message)
        })
        .collect();
    SinkScan {
        requests,
        leaks: dedupe(leaks),
        warnings,
        notes,
        events,
        lost,
    }
}

/// One leak per place and form: the own customer's when it is among the owners (merchant
/// names are shared by many customers), otherwise the first other customer's.
fn dedupe(leaks: Vec<Leak>) -> Vec<Leak> {
    let mut kept: Vec<Leak> = Vec::new();
    for leak in leaks {
        let same = kept.iter().position(|k| {
            (&k.sink, &k.request, &k.location, k.kind, &k.chain, k.turn)
                == (
                    &leak.sink,
                    &leak.request,
                    &leak.location,
                    leak.kind,
                    &leak.chain,
                    leak.turn,
                )
        });
        match same {
            Some(i) if leak.whose == Whose::Own => kept[i] = leak,
            Some(_) => {}
            None => kept.push(leak),
        }
    }
    kept
}
