//! Attributing what the bot sent to the sinks to scenarios, customers and turns: leaks of
//! the scenario's own customer, and of customers no running scenario stands for. Each sink
//! request is scanned once, as it arrives ([`inspector`]), when the run's needles are ready; a
//! scenario then claims the requests that hold its customer's values.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use super::prepared::{Prepared, PREPARE_WAIT};
use super::world::{Ties, World};
use crate::check::privacy::{self, Leak, SinkRequest, SinkWarning, Whose};
use crate::check::{Failure, FailureKind};
use crate::privacy::{Finding, Scan, ValueKind, WarningKind};
use crate::proxy::{Forwarded, Refusal};
use crate::report::{Egress, Unattributed};
use crate::scenario::Scenario;
use crate::sinks::{self, Inspector, Lost, SinkKind};

/// What the run keeps of one sink request: its scan, and what reports and snapshots show.
pub(super) struct Inspected {
    request: SinkRequest,
    /// The host the bot addressed, when the capture proxy brought the request.
    host: Option<String>,
    scan: Scan,
    /// Why it was not scanned (the needles were not ready): its scenarios are errors.
    unscanned: Option<String>,
    /// The events it reported, by name (`google: balance_viewed`).
    events: Vec<String>,
}

impl Inspected {
    /// The name of the sink that captured it.
    pub fn sink(&self) -> &str {
        &self.request.sink
    }
}

/// Scans each sink request as it arrives, once `detector` is ready.
pub(super) fn inspector(detector: Arc<Prepared>) -> Inspector<Inspected> {
    Arc::new(move |request| {
        let (scan, unscanned) = match detector.wait(PREPARE_WAIT) {
            Ok(detector) => (detector.scan_request(request), None),
            Err(e) => (Scan::default(), Some(e.to_string())),
        };
        Inspected {
            request: SinkRequest::of(request),
            host: request.host.clone(),
            scan,
            unscanned,
            events: sinks::event_names(request),
        }
    })
}

/// How the runner fills [`Unattributed`]: it keeps what it could not give to a scenario.
/// Sink traffic by (sink, host): requests, and those holding customer values.
pub(super) type EgressTally = BTreeMap<(String, Option<String>), (u64, u64)>;

/// Counts one inspected request in the run's egress inventory.
pub(super) fn tally(egress: &mut EgressTally, inspected: &Inspected) {
    let key = (inspected.request.sink.clone(), inspected.host.clone());
    let counts = egress.entry(key).or_default();
    counts.0 += 1;
    counts.1 += u64::from(!inspected.scan.findings.is_empty());
}

/// The egress inventory for the report, by sink and host.
pub(super) fn egress(tally: EgressTally) -> Vec<Egress> {
    tally
        .into_iter()
        .map(|((sink, host), (requests, with_customer_values))| Egress {
            sink,
            host,
            requests,
            with_customer_values,
        })
        .collect()
}

/// The requests the capture proxy forwarded to banter's own servers, for the egress
/// inventory: held customer values are their purpose there, so none are counted.
pub(super) fn forwarded(forwarded: Vec<Forwarded>) -> impl Iterator<Item = Egress> {
    forwarded.into_iter().map(|f| Egress {
        sink: f.service.to_string(),
        host: Some(f.host),
        requests: f.requests,
        with_customer_values: 0,
    })
}

/// One note per host whose certificate the bot refused, naming the scenarios (of `names`,
/// by index) that were listening when it did.
pub(super) fn refusals(world: &World, names: &[&str], refusals: Vec<Refusal>) -> Vec<String> {
    let mut by_host: BTreeMap<String, (usize, Vec<&str>)> = BTreeMap::new();
    for refusal in refusals {
        let (count, during) = by_host.entry(refusal.host).or_default();
        *count += 1;
        for (index, name) in names.iter().enumerate() {
            if world.listening(index, refusal.at) && !during.contains(name) {
                during.push(name);
            }
        }
    }
    by_host
        .into_iter()
        .map(|(host, (count, during))| {
            let times = if count == 1 {
                String::new()
            } else {
                format!(" ({count} times)")
            };
            let scenarios = if during.is_empty() {
                String::new()
            } else {
                format!(" during {}", during.join(", "))
            };
            format!(
                "the bot refused the capture proxy's certificate for {host}{times}{scenarios} \
                 (certificate pinning?): its traffic to that host was not seen"
            )
        })
        .collect()
}

impl Unattributed {
    /// A request no scenario of `world` owned, sent to a sink of `kind`: its warnings are
    /// reported, and its customer values, and its financial-status signals at an ads sink,
    /// fail the run unless the run's rules allow them.
    pub(super) fn add(&mut self, inspected: &Inspected, kind: SinkKind, world: &World) {
        self.requests += 1;
        let request = &inspected.request;
        let rules: Vec<_> = world.privacy.allow.iter().collect();
        let findings = &inspected.scan.findings;
        let customers: Vec<usize> = findings.iter().map(|f| f.customer).collect();
        let tied = match holders(&customers, world.scenarios) {
            Holders::Tied(tied) => tied,
            Holders::One(_) | Holders::Nobody => Vec::new(),
        };
        let shared: Vec<String> = tied.iter().map(|&c| name_of(world, c)).collect();
        for finding in findings {
            let whose = if tied.contains(&finding.customer) {
                Whose::Shared(shared.clone())
            } else if tied.iter().any(|&t| own_too(findings, t, finding)) {
                // Where the tied customers' value is, another's is the same value.
                continue;
            } else {
                Whose::Other(name_of(world, finding.customer))
            };
            self.leaks
                .push(privacy::judge(finding, request, kind, 0, whose, &rules));
        }
        for signal in &inspected.scan.signals {
            match privacy::status(signal, request, kind, 0, &rules) {
                Some(privacy::Status::Leak(leak)) => self.signals.push(leak),
                Some(privacy::Status::Warning(warning)) => self.warnings.push(warning),
                None => {}
            }
        }
        self.notes.extend(
            inspected
                .unscanned
                .iter()
                .map(|why| format!("a sink request was not scanned: {why}")),
        );
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

    /// The tally with its warnings and notes in an order of their own, not the order in which
    /// requests arrived.
    pub(super) fn ordered(mut self) -> Unattributed {
        self.warnings
            .sort_by(|a, b| warning_order(a).cmp(&warning_order(b)));
        self.signals
            .sort_by(|a, b| leak_order(a).cmp(&leak_order(b)));
        self.signals.dedup();
        self.leaks.sort_by(|a, b| leak_order(a).cmp(&leak_order(b)));
        self.leaks.dedup();
        self.notes.sort();
        self
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

/// Whose values a request holds, whatever was running when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holders {
    /// No scenario's customer's: none at all, or only the bank's decoys'.
    Nobody,
    /// One scenario's customer holds more of them than any other.
    One(usize),
    /// Several scenarios' customers hold the most of them, equally (a balance that two
    /// scenarios set, an amount two customers share): which conversation sent it cannot be
    /// told from its content.
    Tied(Vec<usize>),
}

/// The holders of a request whose findings are values of `customers` (one entry per
/// finding), where the first `scenarios` customers are the scenarios' and the rest decoys:
/// the scenarios' customers who hold the most of them (a merchant name is shared by many
/// customers, an email is not). Which scenarios were running plays no part, so that the
/// same bot traffic is attributed the same way whatever `--jobs` is.
fn holders(customers: &[usize], scenarios: usize) -> Holders {
    let mut score: BTreeMap<usize, usize> = BTreeMap::new();
    for &customer in customers.iter().filter(|&&c| c < scenarios) {
        *score.entry(customer).or_default() += 1;
    }
    let Some(&best) = score.values().max() else {
        return Holders::Nobody;
    };
    let mut best = score
        .into_iter()
        .filter(|&(_, n)| n == best)
        .map(|(c, _)| c);
    match (best.next(), best.next()) {
        (Some(one), None) => Holders::One(one),
        (first, second) => Holders::Tied(first.into_iter().chain(second).chain(best).collect()),
    }
}

/// Whose value one finding of a request is, to the scenario that owns the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// The scenario's own customer's.
    Own,
    /// Another customer's: a decoy, or the customer of another scenario.
    Other(usize),
}

/// Whether scenario `index` owns a request whose findings are values of `customers` (one
/// entry per finding; the first `scenarios` customers are the scenarios'), and if so, whose
/// each finding is. `listening` tells whether a scenario was listening when the request
/// arrived; `alone`, whether scenario `index` runs alone (it snapshots its transcript).
///
/// A request belongs to the scenario of its one [`holders`] customer. One whose holder's
/// scenario was not listening (over, or not begun), or that holds only decoys' values,
/// belongs to every scenario listening when it arrived, as someone else's data. One whose
/// holders tie belongs to no scenario, or under [`Ties::ToTheListener`] to the one of them
/// listening when it arrived, if only one was; one that holds no customer's values belongs
/// to no scenario, unless the scenario runs alone. The run reports what no scenario owned as unattributed,
/// so that a scenario's report does not depend on what ran beside it.
fn claim(
    customers: &[usize],
    scenarios: usize,
    ties: Ties,
    listening: impl Fn(usize) -> bool,
    index: usize,
    alone: bool,
) -> Option<Vec<Holder>> {
    let owned = match holders(customers, scenarios) {
        Holders::One(holder) => holder == index || !listening(holder),
        Holders::Tied(tied) => {
            ties == Ties::ToTheListener
                && tied.contains(&index)
                && listening(index)
                && tied.iter().filter(|&&c| listening(c)).count() == 1
        }
        Holders::Nobody => !customers.is_empty() || alone,
    };
    let holder = |customer| match customer {
        c if c == index => Holder::Own,
        c => Holder::Other(c),
    };
    owned.then(|| customers.iter().copied().map(holder).collect())
}

/// Judges the requests that arrived within scenario `index`'s window, each as [`claim`] decides.
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
    let mut unscanned_why: Vec<String> = Vec::new();
    for record in &records {
        let Inspected {
            request,
            scan,
            events: request_events,
            unscanned,
            ..
        } = record.summary.as_ref();
        if let Some(why) = unscanned {
            claimed.push(record.seq);
            unscanned_why.push(why.clone());
            continue;
        }
        let customers: Vec<usize> = scan.findings.iter().map(|f| f.customer).collect();
        let listening = |customer| world.listening(customer, record.at);
        let (scenarios, alone) = (world.scenarios, scenario.snapshots());
        let Some(holders) = claim(&customers, scenarios, world.ties, listening, index, alone)
        else {
            continue;
        };
        claimed.push(record.seq);
        let kind = world.sink_kind(&request.sink);
        let turn = turn_at(turn_starts, record.at);
        // Only a scenario that runs alone can tell which content-free events are its own.
        if scenario.snapshots() {
            events.extend(request_events.iter().map(|name| (turn, name.clone())));
        }
        for (finding, holder) in scan.findings.iter().zip(holders) {
            let whose = match holder {
                Holder::Own => Whose::Own,
                Holder::Other(_) if own_too(&scan.findings, index, finding) => continue,
                Holder::Other(customer) => Whose::Other(name_of(world, customer)),
            };
            leaks.push(privacy::judge(finding, request, kind, turn, whose, &rules));
        }
        warnings.extend(
            scan.warnings
                .iter()
                .map(|w| privacy::warn(w, request, turn)),
        );
        for signal in &scan.signals {
            match privacy::status(signal, request, kind, turn, &rules) {
                Some(privacy::Status::Leak(leak)) => leaks.push(leak),
                Some(privacy::Status::Warning(warning)) => warnings.push(warning),
                None => {}
            }
        }
        notes.extend(
            scan.notes
                .iter()
                .map(|n| format!("{} {}: {n}", request.sink, request.line)),
        );
    }
    // Requests of one turn arrive in whatever order the bot's concurrent calls finish: the
    // report lists what they held in an order of its own, whatever `--jobs` is.
    leaks.sort_by(|a, b| leak_order(a).cmp(&leak_order(b)));
    warnings.sort_by(|a, b| warning_order(a).cmp(&warning_order(b)));
    notes.sort();
    let requests = claimed.len() - lost.len();
    world.claim(claimed);
    let lost = lost
        .iter()
        .map(|l| &l.why)
        .chain(&unscanned_why)
        .map(|why| {
            let message =
                format!("a sink request that arrived during the scenario was not scanned: {why}");
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

/// Whether `finding`, another customer's, is a value of customer `own` too: the same value
/// at the same place (a first name that is someone's last name), or any amount where the
/// own customer's amount is (a sum of another's that equals it), as one place holds one
/// amount.
fn own_too(findings: &[Finding], own: usize, finding: &Finding) -> bool {
    findings.iter().any(|o| {
        o.customer == own
            && o.location == finding.location
            && (o.needle == finding.needle
                || (o.kind, finding.kind) == (ValueKind::Amount, ValueKind::Amount))
    })
}

/// The name of customer `index`: its scenario's, or `decoy customer N`.
fn name_of(world: &World, index: usize) -> String {
    world.names.get(index).cloned().unwrap_or_default()
}

/// The order of a scenario's leaks: by turn, then where, then what; its own customer's first.
fn leak_order(leak: &Leak) -> (usize, &str, &str, &str, ValueKind, &str, &Whose, bool) {
    (
        leak.turn,
        &leak.sink,
        &leak.request,
        &leak.location,
        leak.kind,
        &leak.chain,
        &leak.whose,
        leak.allowed,
    )
}

/// The order of a scenario's warnings: by turn, then where, then what.
fn warning_order(warning: &SinkWarning) -> (usize, &str, &str, &str, WarningKind, &str, &str) {
    (
        warning.turn,
        &warning.sink,
        &warning.request,
        &warning.location,
        warning.pattern,
        &warning.chain,
        &warning.masked,
    )
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

#[cfg(test)]
mod tests {
    use super::Holder::{Other, Own};
    use super::*;

    /// The customer of each finding, the scenario, whether it runs alone, and its claim.
    type Case = (&'static [usize], usize, bool, Option<Vec<Holder>>);

    #[test]
    fn a_request_belongs_to_the_scenario_whose_customer_holds_most_of_its_values() {
        // Customers 0 to 3 are the scenarios'; 4 is a decoy. Scenarios 0, 1 and 2 are
        // listening, 3 is not (over, or not begun).
        let listening = |c: usize| c < 3;
        let cases: [Case; 15] = [
            (&[0, 0, 1], 0, false, Some(vec![Own, Own, Other(1)])),
            (&[0, 0, 1], 1, false, None),
            (&[0, 0, 1], 2, false, None),
            // Ties belong to no scenario, whoever was listening.
            (&[0, 1], 0, false, None),
            (&[0, 1], 1, false, None),
            (&[0, 3], 0, false, None),
            // The values of a scenario not listening: everyone's, as someone else's data.
            (
                &[0, 3, 3, 3],
                0,
                false,
                Some(vec![Own, Other(3), Other(3), Other(3)]),
            ),
            (
                &[0, 3, 3, 3],
                1,
                false,
                Some(vec![Other(0), Other(3), Other(3), Other(3)]),
            ),
            (&[3], 0, false, Some(vec![Other(3)])),
            // Decoys' values count for no one: everyone's, as someone else's data.
            (&[0, 4, 4], 0, false, Some(vec![Own, Other(4), Other(4)])),
            (&[4], 2, true, Some(vec![Other(4)])),
            (&[0, 4, 4], 1, false, None),
            // No customer values: only a scenario running alone can own it.
            (&[], 0, false, None),
            (&[], 0, true, Some(vec![])),
            // Running alone does not take another listener's request.
            (&[1], 0, true, None),
        ];
        for (customers, index, alone, expected) in cases {
            assert_eq!(
                claim(customers, 4, Ties::Unowned, listening, index, alone),
                expected,
                "{customers:?} for scenario {index} (alone: {alone})"
            );
        }
    }

    /// The customer of each finding, the scenario, and its claim.
    type TieCase = (&'static [usize], usize, Option<Vec<Holder>>);

    #[test]
    fn a_tie_goes_to_its_one_listener_only_where_the_ties_say_so() {
        // Customers 0, 1 and 2 are listening, 3 is not.
        let listening = |c: usize| c < 3;
        let cases: [TieCase; 5] = [
            (&[0, 3], 0, Some(vec![Own, Other(3)])),
            (&[0, 3], 3, None),
            // Two tied listeners: which sent it cannot be told.
            (&[0, 1], 0, None),
            (&[0, 1, 3], 1, None),
            (&[2, 0, 0], 2, None),
        ];
        for (customers, index, expected) in cases {
            let to_the_listener = claim(customers, 4, Ties::ToTheListener, listening, index, false);
            assert_eq!(to_the_listener, expected, "{customers:?} for {index}");
            let unowned = claim(customers, 4, Ties::Unowned, listening, index, false);
            assert_eq!(unowned, None, "{customers:?} for {index}");
        }
    }

    #[test]
    fn the_holders_of_a_request_are_the_scenarios_customers_who_hold_the_most() {
        let cases: [(&[usize], Holders); 6] = [
            (&[], Holders::Nobody),
            (&[4, 4], Holders::Nobody),
            (&[2, 4, 4], Holders::One(2)),
            (&[1, 2, 2], Holders::One(2)),
            (&[3, 1, 2, 3, 1], Holders::Tied(vec![1, 3])),
            (&[0, 1, 2], Holders::Tied(vec![0, 1, 2])),
        ];
        for (customers, expected) in cases {
            assert_eq!(holders(customers, 4), expected, "{customers:?}");
        }
    }

    #[test]
    fn a_sink_request_belongs_to_the_last_turn_started_before_it() {
        let t0 = Instant::now();
        let starts: Vec<Instant> = (1..=3)
            .map(|s| t0 + std::time::Duration::from_secs(s))
            .collect();
        let at = |s: u64| t0 + std::time::Duration::from_millis(s);
        let cases = [(0, 0), (1_000, 1), (1_500, 1), (3_000, 3), (9_000, 3)];
        for (millis, turn) in cases {
            assert_eq!(turn_at(&starts, at(millis)), turn, "{millis} ms");
        }
    }
}
