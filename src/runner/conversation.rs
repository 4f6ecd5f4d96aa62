//! Running one scenario: its customer, its bank session, and the conversation turn by turn.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::bot::Bot;
use crate::bank::{self, Bank};
use crate::check::privacy::{self, Leak, SinkWarning, Whose};
use crate::check::{self, Failure, FailureKind};
use crate::customer::Customer;
use crate::privacy::{Detector, ValueKind};
use crate::report::{ScenarioReport, Status};
use crate::scenario::PrivacyConfig;
use crate::scenario::Scenario;
use crate::sinks::{SinkKind, Sinks};
use crate::template;
use crate::transcript::Turn;

/// How long a failed turn waits to learn whether the bot process died.
const EXIT_GRACE: Duration = Duration::from_millis(500);

/// A stable conversation id for a scenario under a seed.
fn conversation_id(seed: u64, name: &str) -> String {
    let digest = Sha256::digest(format!("{seed}:{name}").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("banter-{hex}")
}

fn millis(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What every scenario of a run shares.
pub(super) struct World<'a> {
    pub seed: u64,
    pub bank: &'a Bank,
    pub sinks: &'a Sinks,
    /// Knows every customer of the run: the scenarios' in order, then the decoys.
    pub detector: &'a Detector,
    /// The name of each customer of the detector: its scenario's name, or `decoy-N`.
    pub names: &'a [String],
    pub privacy: &'a PrivacyConfig,
}

/// Runs `scenario` (the `index`th of the run, with `customer`) against the bot and returns its report.
pub(super) async fn run(
    world: &World<'_>,
    scenario: &Scenario,
    index: usize,
    customer: Customer,
    bot: &mut Bot,
) -> ScenarioReport {
    let (seed, bank) = (world.seed, world.bank);
    let started = Instant::now();
    let sink_cursor = world.sinks.cursor();
    let mut turn_starts = Vec::new();
    let secrets: Vec<String> = [
        Some(customer.token.clone()),
        bank::authorization_code(&customer),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    let session = bank.open(customer.clone(), scenario.faults.clone());
    let context = minijinja::context! {
        customer => customer,
        conversation => minijinja::context! { id => conversation_id(seed, &scenario.name) },
        ..bot.context.clone()
    };
    let mut chat = bot.connector.open(context.clone());
    let mut turns = Vec::new();
    let mut failures = Vec::new();
    let mut errored = false;
    let mut seen_calls = 0;

    for (step_index, step) in scenario.steps.iter().enumerate() {
        let turn = step_index + 1;
        let user = match template::render(step.user.as_str(), &context) {
            Ok(text) => text,
            Err(e) => {
                failures.push(Failure::new(
                    Some(turn),
                    FailureKind::Error,
                    format!("user text: {e}"),
                ));
                errored = true;
                break;
            }
        };
        if let Some(status) = bot.exit_status() {
            failures.push(Failure::new(
                Some(turn),
                FailureKind::Error,
                format!("the bot process is not running (exited with {status})"),
            ));
            errored = true;
            break;
        }
        session.begin_turn(turn);
        let turn_started = Instant::now();
        turn_starts.push(turn_started);
        let sent = tokio::time::timeout(bot.turn_timeout, chat.send(&user)).await;
        session.end_turn();
        let calls = session.calls();
        let bank_calls: Vec<_> = calls[seen_calls.min(calls.len())..].to_vec();
        seen_calls = calls.len();
        let replies = match sent {
            Ok(Ok(replies)) => replies,
            Ok(Err(e)) => {
                let died = bot
                    .exited_within(EXIT_GRACE)
                    .await
                    .map(|s| format!(" (the bot process exited with {s})"))
                    .unwrap_or_default();
                failures.push(Failure::new(
                    Some(turn),
                    FailureKind::Error,
                    format!("{e}{died}"),
                ));
                errored = true;
                Vec::new()
            }
            Err(_) => {
                failures.push(Failure::new(
                    Some(turn),
                    FailureKind::Error,
                    format!(
                        "{} did not answer within {:?}",
                        bot.connector.describe(),
                        bot.turn_timeout
                    ),
                ));
                errored = true;
                Vec::new()
            }
        };
        let record = Turn {
            turn,
            user,
            replies,
            bank_calls,
            sink_events: Vec::new(),
            duration_ms: millis(turn_started),
        };
        for reply in &record.replies {
            failures.extend(cross_session(world, index, &reply.text, turn));
        }
        if !errored {
            if let Some(expect) = &step.bot {
                failures.extend(check::check_reply(
                    expect,
                    &record.reply_text(),
                    turn,
                    &context,
                ));
            }
            if let Some(expect) = &step.bank {
                failures.extend(check::check_bank(
                    expect,
                    &record.bank_calls,
                    turn,
                    &context,
                ));
            }
        }
        turns.push(record);
        if errored {
            break;
        }
    }
    failures.extend(check::check_isolation(&session.calls()));
    tokio::time::sleep(world.privacy.settle.0).await;
    let SinkScan { requests: sink_requests, leaks, warnings, notes: scan_notes } =
        scan_sinks(world, scenario, index, sink_cursor, &turn_starts);
    failures.extend(privacy::leak_failures(&leaks));
    failures.sort_by_key(|f| f.turn.unwrap_or(usize::MAX));

    let status = if errored {
        Status::Error
    } else if failures.is_empty() {
        Status::Passed
    } else {
        Status::Failed
    };
    let mut report = ScenarioReport {
        name: scenario.name.clone(),
        file: scenario.origin.file.display().to_string(),
        line: scenario.origin.line,
        tags: scenario.tags.clone(),
        status,
        duration_ms: millis(started),
        failures,
        turns,
        sink_requests,
        leaks,
        warnings,
        scan_notes,
        bot_output: if status == Status::Passed {
            Vec::new()
        } else {
            bot.recent_output()
        },
    };
    report.redact(&secrets);
    report
}

/// The turn a sink request belongs to: the last turn that had started when it arrived.
fn turn_at(turn_starts: &[Instant], at: Instant) -> usize {
    turn_starts.iter().filter(|&&start| start <= at).count()
}

/// Scans what the sinks received since the scenario started, and judges it.
fn scan_sinks(
    world: &World<'_>,
    scenario: &Scenario,
    index: usize,
    cursor: u64,
    turn_starts: &[Instant],
) -> SinkScan {
    let rules: Vec<_> = world
        .privacy
        .allow
        .iter()
        .chain(&scenario.privacy.allow)
        .collect();
    let (mut leaks, mut warnings, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let captured = world.sinks.since(cursor);
    for c in &captured {
        let request = &c.request;
        let kind = world.sinks.kind(&request.sink).unwrap_or(SinkKind::Other);
        let turn = turn_at(turn_starts, request.at);
        let scan = world.detector.scan_request(request);
        for finding in &scan.findings {
            let whose = if finding.customer == index {
                Whose::Own
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
        notes.extend(scan.notes.iter().map(|n| format!("{} {line}: {n}", request.sink)));
    }
    if let Some(last) = captured.last() {
        world.sinks.forget_before(last.seq + 1);
    }
    SinkScan {
        requests: captured.len(),
        leaks: dedupe(leaks),
        warnings,
        notes,
    }
}

/// What the sinks received during one scenario, judged.
struct SinkScan {
    requests: usize,
    leaks: Vec<Leak>,
    warnings: Vec<SinkWarning>,
    notes: Vec<String>,
}

/// One leak per place and form: the own customer's when it is among the owners (merchant
/// names are shared by many customers), otherwise the first other customer's.
fn dedupe(leaks: Vec<Leak>) -> Vec<Leak> {
    let mut kept: Vec<Leak> = Vec::new();
    for leak in leaks {
        let same = kept.iter().position(|k| {
            k.sink == leak.sink
                && k.request == leak.request
                && k.location == leak.location
                && k.kind == leak.kind
                && k.chain == leak.chain
                && k.turn == leak.turn
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
fn cross_session(world: &World<'_>, index: usize, text: &str, turn: usize) -> Vec<Failure> {
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
