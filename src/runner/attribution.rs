//! Attributing what the bot sent to the sinks, and what it said, to customers and turns:
//! leaks of the scenario's own customer, of customers no running scenario stands for, and
//! other customers' data in replies.

use std::collections::BTreeMap;
use std::time::Instant;

use super::world::World;
use crate::check::privacy::{self, Leak, SinkWarning, Whose};
use crate::check::Failure;
use crate::privacy::ValueKind;
use crate::scenario::Scenario;
use crate::sinks::{self, SinkKind};

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
}

/// The turn a sink request belongs to: the last turn that had started when it arrived.
fn turn_at(turn_starts: &[Instant], at: Instant) -> usize {
    turn_starts.iter().filter(|&&start| start <= at).count()
}

/// Scans the requests that arrived within scenario `index`'s window, and judges them.
///
/// A request belongs to the listening scenarios whose customers' values it holds most of
/// (a merchant name is shared by many customers, an email is not); a request that holds no
/// listening scenario's values belongs to every scenario listening when it arrived. Values of
/// customers whose scenario was not listening (decoys, scenarios already over) are someone
/// else's data.
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
    let captured = world.requests_of(index);
    let (mut leaks, mut warnings, mut notes, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in &captured {
        let request = &c.request;
        let scan = world.scan(c);
        let mut score: BTreeMap<usize, usize> = BTreeMap::new();
        for finding in scan
            .findings
            .iter()
            .filter(|f| world.listening(f.customer, request.at))
        {
            *score.entry(finding.customer).or_default() += 1;
        }
        let best = score.values().copied().max().unwrap_or(0);
        if best > 0 && score.get(&index) != Some(&best) {
            continue;
        }
        let kind = world.sinks.kind(&request.sink).unwrap_or(SinkKind::Other);
        let turn = turn_at(turn_starts, request.at);
        // Only a scenario that runs alone can tell which content-free events are its own.
        if scenario.snapshots() {
            events.extend(
                sinks::event_names(request)
                    .into_iter()
                    .map(|name| (turn, name)),
            );
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
        let line = privacy::request_line(request);
        notes.extend(
            scan.notes
                .iter()
                .map(|n| format!("{} {line}: {n}", request.sink)),
        );
    }
    SinkScan {
        requests: captured.len(),
        leaks: dedupe(leaks),
        warnings,
        notes,
        events,
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

/// Another customer's strong identifiers in a reply: names only in full, addresses only by street.
pub(super) fn cross_session(world: &World, index: usize, text: &str, turn: usize) -> Vec<Failure> {
    let findings = world.detector.scan_text(text, "reply");
    let own: Vec<(ValueKind, &str)> = findings
        .iter()
        .filter(|f| f.customer == index)
        .map(|f| (f.kind, f.chain.as_str()))
        .collect();
    findings
        .iter()
        .filter(|f| f.customer != index && !own.contains(&(f.kind, f.chain.as_str())))
        .filter(|f| match f.kind {
            ValueKind::Name => f.chain.ends_with("full_name"),
            ValueKind::Address => f.chain.ends_with("street"),
            _ => true,
        })
        .map(|f| {
            privacy::cross_session(
                f,
                turn,
                world.names.get(f.customer).map_or("", String::as_str),
            )
        })
        .collect()
}
