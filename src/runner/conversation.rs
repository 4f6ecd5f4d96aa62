//! Running one scenario: its customer, its bank session, and the conversation turn by turn.

use std::time::{Duration, Instant};

use super::attribution::{self, SinkScan};
use super::context::scenario_context;
use super::snapshot;
use super::world::World;
use crate::check::privacy;
use crate::check::{self, Failure, FailureKind};
use crate::customer::Customer;
use crate::report::{Redactor, ScenarioReport, Status};
use crate::scenario::Scenario;
use crate::template;
use crate::transcript::{Turn, UserMessage};

/// How long a failed turn waits to learn whether the bot process died.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// How long the scan of the scenario's sink requests may go without finishing any of them.
pub(super) const SCAN_QUIET: Duration = Duration::from_secs(60);

fn millis(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs `scenario` (the `index`th of the run, with `customer`) against the bot and returns its
/// report, with every secret of the run redacted.
pub(super) async fn run(
    world: &World,
    redactor: &Redactor,
    scenario: &Scenario,
    index: usize,
    customer: Customer,
) -> ScenarioReport {
    let (seed, bank, bot) = (world.seed, &world.bank, &world.bot);
    let started = Instant::now();
    world.open_window(index);
    let mut turn_starts = Vec::new();
    let session = bank.open(customer.clone(), scenario.faults.clone());
    let context = scenario_context(seed, &scenario.name, &customer, bot.context.clone());
    let mut chat = bot.connector.open(context.clone());
    let mut turns = Vec::new();
    let mut failures = Vec::new();
    let mut errored = false;
    let mut seen_calls = 0;

    for (step_index, step) in scenario.steps.iter().enumerate() {
        let turn = step_index + 1;
        let (template, user_kind) = step.user.parts();
        let user = match template::render(template.as_str(), &context) {
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
        let message = UserMessage {
            text: user,
            kind: user_kind,
            expected_replies: step.bot.as_ref().and_then(|b| b.replies),
        };
        let sent = tokio::time::timeout(bot.turn_timeout, chat.send(&message)).await;
        let user = message.text;
        session.end_turn();
        let bank_calls = session.calls_since(seen_calls);
        seen_calls += bank_calls.len();
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
            user_kind,
            replies,
            bank_calls,
            sink_events: Vec::new(),
            duration_ms: millis(turn_started),
        };
        for reply in &record.replies {
            let findings = world.detector.scan_text(&reply.text, "reply");
            failures.extend(privacy::cross_session(&findings, index, &world.names, turn));
        }
        if !errored {
            if let Some(expect) = &step.bot {
                failures.extend(check::check_reply(expect, &record.replies, turn, &context));
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
    let closed = world.close_window(index);
    if let Err(unsettled) = world.sinks.settle(closed, SCAN_QUIET).await {
        failures.push(Failure::new(
            None,
            FailureKind::Error,
            unsettled.to_string(),
        ));
        errored = true;
    }
    let SinkScan {
        requests: sink_requests,
        leaks,
        warnings,
        notes: scan_notes,
        events,
        lost,
    } = attribution::scan_sinks(world, scenario, index, &turn_starts);
    errored |= !lost.is_empty();
    failures.extend(lost);
    world.finish(index);
    for (turn, event) in events {
        if let Some(record) = turn.checked_sub(1).and_then(|i| turns.get_mut(i)) {
            record.sink_events.push(event);
        }
    }
    // Bots send telemetry concurrently: arrival order is not part of the conversation.
    turns.iter_mut().for_each(|t| t.sink_events.sort());
    failures.extend(privacy::leak_failures(&leaks));

    let mut report = ScenarioReport {
        name: scenario.name.clone(),
        file: scenario.origin.file.display().to_string(),
        line: scenario.origin.line,
        tags: scenario.tags.clone(),
        status: Status::Passed,
        duration_ms: millis(started),
        failures,
        turns,
        sink_requests,
        leaks,
        warnings,
        scan_notes,
        snapshot: None,
        bot_output: Vec::new(),
    };
    report.redact(redactor);
    if scenario.snapshots() && !errored {
        snapshot::check(world, scenario, &customer, &mut report);
    }
    report
        .failures
        .sort_by_key(|f| f.turn.unwrap_or(usize::MAX));
    report.status = if errored {
        Status::Error
    } else if report.failures.is_empty() {
        Status::Passed
    } else {
        Status::Failed
    };
    if report.status != Status::Passed {
        report.bot_output = bot.recent_output();
        report.redact(redactor);
    }
    report
}
