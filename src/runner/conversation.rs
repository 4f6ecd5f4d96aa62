//! Running one scenario: play its turns against the bot (checking each), collect what the
//! sinks received in its window, and build its report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::attribution::{self, SinkScan};
use super::bot::Bot;
use super::context::scenario_context;
use super::slot::Slot;
use super::snapshot;
use super::world::World;
use crate::bank::{self, BankSession};
use crate::check::privacy;
use crate::check::{self, money, Failure, FailureKind};
use crate::connector::Session;
use crate::customer::Customer;
use crate::report::{Redactor, ScenarioReport, Status};
use crate::scenario::{Action, Scenario, Step, UserInput, WebhookCheck};
use crate::template;
use crate::transcript::{Turn, UserKind, UserMessage};

/// How long a failed turn waits to learn whether the bot process died.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// How long the scan of the scenario's sink requests may go without finishing any of them.
pub(super) const SCAN_QUIET: Duration = Duration::from_secs(60);
/// How many sink requests may wait for their scan before a new scenario starts.
const SCAN_BACKLOG: usize = 256;

fn millis(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// How long one turn took: in all, and inside the connector's request (the bot's time, with
/// the bank and sink calls it waited on); the rest is banter's own work on the turn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TurnTiming {
    /// When the turn started.
    pub at: Instant,
    /// The whole turn: its message rendered, sent, answered, recorded and checked.
    pub total: Duration,
    /// Inside the connector's request.
    pub bot: Duration,
    /// The CPU time of banter's own work on the turn, outside the connector's request: the
    /// rest of the turn without the time its thread was off the CPU.
    pub own_cpu: Duration,
}

/// The CPU time the calling thread has used.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill.
    let filled = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
    if !filled {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or_default(),
        u32::try_from(now.tv_nsec).unwrap_or_default(),
    )
}

/// The CPU time of a turn's two stretches of banter's own work, each on one thread: from its
/// start to its request, and from the answer to its end.
struct TurnCpu {
    start: Duration,
    before_request: Duration,
    after_answer: Duration,
}

impl TurnCpu {
    fn own(&self) -> Duration {
        self.before_request.saturating_sub(self.start)
            + thread_cpu().saturating_sub(self.after_answer)
    }
}

/// Runs `scenario` (the `index`th of the run, with `customer`, whose bank calls meet
/// `faults`) against the bot and returns its report, with every secret of the run redacted,
/// and how long each turn took.
pub(super) async fn run(
    world: &World,
    redactor: &Redactor,
    scenario: &Scenario,
    index: usize,
    customer: Arc<Customer>,
    faults: Vec<bank::Fault>,
    mut slot: Slot,
) -> (ScenarioReport, Vec<TurnTiming>) {
    // Settle windows overlap later conversations; those must not outrun the scan of what the
    // earlier ones sent, or every window waits on an ever longer queue.
    world.sinks.backlog_below(SCAN_BACKLOG, SCAN_QUIET).await;
    let started = Instant::now();
    world.open_window(index);
    let session = world.bank.open(Arc::clone(&customer), faults);
    let bot_context = world.bot.context.clone();
    let context = scenario_context(world.seed, &scenario.name, &customer, bot_context);
    let mut verdict = Verdict::default();
    let mut played = play(world, scenario, &session, &context, &mut verdict).await;
    verdict
        .failures
        .extend(check::check_isolation(&session.calls()));
    slot.turns_played();
    check_replies(world, index, &customer, &played, &mut verdict).await;
    let sinks = collect_sinks(world, scenario, index, &mut played, &mut verdict).await;
    verdict
        .failures
        .extend(privacy::leak_failures(&sinks.leaks));

    let mut report = ScenarioReport {
        duration_ms: millis(started),
        failures: verdict.failures,
        turns: played.turns,
        sink_requests: sinks.requests,
        leaks: sinks.leaks,
        warnings: sinks.warnings,
        scan_notes: sinks.notes,
        ..ScenarioReport::of(scenario)
    };
    report.redact(redactor);
    if scenario.snapshots() && !verdict.errored {
        snapshot::check(world, scenario, &customer, &mut report);
    }
    report.conclude(verdict.errored);
    if report.status != Status::Passed {
        report.bot_output = world.bot.recent_output();
        report.redact(redactor);
    }
    (report, played.timings)
}

/// What the checks found so far, and whether the scenario could not be completed.
#[derive(Default)]
struct Verdict {
    failures: Vec<Failure>,
    errored: bool,
}

impl Verdict {
    /// The scenario could not be completed.
    fn error(&mut self, turn: Option<usize>, message: String) {
        self.failures
            .push(Failure::new(turn, FailureKind::Error, message));
        self.errored = true;
    }
}

/// The turns played, when each started, and where its reply checks' failures go.
struct Played {
    turns: Vec<Turn>,
    starts: Vec<Instant>,
    checked_at: Vec<usize>,
    timings: Vec<TurnTiming>,
}

/// Plays the scenario's steps turn by turn, checking each turn's replies and bank calls (other
/// customers' data in the replies is looked for later, by [`check_replies`]); stops at the
/// first turn that cannot be completed.
async fn play(
    world: &World,
    scenario: &Scenario,
    session: &BankSession,
    context: &minijinja::Value,
    verdict: &mut Verdict,
) -> Played {
    let bot = &world.bot;
    let mut chat = bot.connector.open(context.clone());
    let mut played = Played {
        turns: Vec::new(),
        starts: Vec::new(),
        checked_at: Vec::new(),
        timings: Vec::new(),
    };
    let mut seen = Seen::default();
    for (step, turn) in scenario.steps.iter().zip(1..) {
        let at = Instant::now();
        let cpu_start = thread_cpu();
        let message = match message(step, context) {
            Ok(message) => message,
            Err(e) => {
                verdict.error(Some(turn), format!("user text: {e}"));
                break;
            }
        };
        if let Some(status) = bot.exit_status() {
            let why = format!("the bot process is not running (exited with {status})");
            verdict.error(Some(turn), why);
            break;
        }
        session.begin_turn(turn);
        played.starts.push(Instant::now());
        let (record, unanswered, bot_time, (before_request, after_answer)) =
            exchange(bot, chat.as_mut(), session, message, turn, seen).await;
        let cpu = TurnCpu {
            start: cpu_start,
            before_request,
            after_answer,
        };
        let mut timing = TurnTiming {
            at,
            total: Duration::ZERO,
            bot: bot_time,
            own_cpu: Duration::ZERO,
        };
        seen.calls += record.bank_calls.len();
        seen.moved += record.moved.len();
        // The replies are checked once the needles are ready, their failures put here.
        played.checked_at.push(verdict.failures.len());
        if let Some(why) = unanswered {
            verdict.error(Some(turn), why);
            played.turns.push(record);
            timing.total = at.elapsed();
            timing.own_cpu = cpu.own();
            played.timings.push(timing);
            break;
        }
        let checked = check::check_turn(step, &record, context);
        verdict.failures.extend(checked);
        if let Some(expect) = &step.bank {
            let balances = session.balances();
            let checked = money::check_money(expect, &record, &balances, context);
            verdict.failures.extend(checked);
        }
        played.turns.push(record);
        timing.total = at.elapsed();
        timing.own_cpu = cpu.own();
        played.timings.push(timing);
    }
    let checks = scenario.money.unwrap_or(world.money);
    let built_in = money::check_conversation(&checks, &played.turns);
    verdict.failures.extend(built_in);
    played
}

/// How many bank calls and movements of money earlier turns took.
#[derive(Clone, Copy, Default)]
struct Seen {
    calls: usize,
    moved: usize,
}

/// Checks each turn's replies for other customers' data, once the needles are ready: the
/// failures of turn `n` go at `checked_at[n - 1]` among the failures, where the turn left them,
/// so that the report does not depend on when the needles were ready. The names of the
/// `customer`'s own payees are theirs, whoever else has the same name.
async fn check_replies(
    world: &World,
    index: usize,
    customer: &Customer,
    played: &Played,
    verdict: &mut Verdict,
) {
    let detector = match world.detector.ready().await {
        Ok(detector) => detector,
        Err(e) => {
            verdict.error(None, e.to_string());
            return;
        }
    };
    // From the last turn back, so that each insertion leaves the earlier places as they were.
    let places = played.turns.iter().zip(&played.checked_at).enumerate();
    for (i, (record, &at)) in places.rev() {
        let turn = i + 1;
        let shown: Vec<Failure> = record
            .replies
            .iter()
            .flat_map(|reply| {
                let text = privacy::without_payees(&reply.text, &customer.payees);
                let findings = detector.scan_text(&text, "reply");
                privacy::cross_session(&findings, index, &world.names, turn)
            })
            .collect();
        verdict.failures.splice(at..at, shown);
    }
}

/// The message that plays `step`: the user's, its text rendered with `context`, or a webhook
/// check's event, whose text is "hi".
fn message(
    step: &Step,
    context: &minijinja::Value,
) -> Result<UserMessage, template::TemplateError> {
    let (text, kind) = match &step.action {
        Action::Message(input) => {
            let kind = match input {
                UserInput::Text(_) => UserKind::Text,
                UserInput::QuickReply(_) => UserKind::QuickReply,
                UserInput::Postback(_) => UserKind::Postback,
            };
            (template::render(input.template().as_str(), context)?, kind)
        }
        Action::Webhook(check) => {
            let kind = match check {
                WebhookCheck::BadSignature => UserKind::BadSignature,
                WebhookCheck::Unsigned => UserKind::Unsigned,
                WebhookCheck::Replay => UserKind::Replay,
            };
            ("hi".to_string(), kind)
        }
    };
    Ok(UserMessage {
        text,
        kind,
        expected_replies: step.bot.as_ref().and_then(|b| b.replies),
    })
}

/// Sends turn `turn`'s message and records the turn, with the bank calls made and the money
/// moved since the `seen` before it; also returns why the bot gave no answer, if it did not,
/// how long the connector's request took, and the thread's CPU time just before and just
/// after it.
async fn exchange(
    bot: &Bot,
    chat: &mut dyn Session,
    session: &BankSession,
    message: UserMessage,
    turn: usize,
    seen: Seen,
) -> (Turn, Option<String>, Duration, (Duration, Duration)) {
    let before_request = thread_cpu();
    let started = Instant::now();
    let sent = tokio::time::timeout(bot.turn_timeout, chat.send(&message)).await;
    let bot_time = started.elapsed();
    let after_answer = thread_cpu();
    session.end_turn();
    let bank_calls = session.calls_since(seen.calls);
    let moved = session.movements_since(seen.moved);
    let (replies, unanswered) = match sent {
        Ok(Ok(replies)) => (replies, None),
        Ok(Err(e)) => {
            let died = bot
                .exited_within(EXIT_GRACE)
                .await
                .map(|s| format!(" (the bot process exited with {s})"))
                .unwrap_or_default();
            (Vec::new(), Some(format!("{e}{died}")))
        }
        Err(_) => {
            let why = format!(
                "{} did not answer within {:?}",
                bot.connector.describe(),
                bot.turn_timeout
            );
            (Vec::new(), Some(why))
        }
    };
    let record = Turn {
        turn,
        user: message.text,
        user_kind: message.kind,
        replies,
        bank_calls,
        moved,
        sink_events: Vec::new(),
        duration_ms: millis(started),
    };
    (record, unanswered, bot_time, (before_request, after_answer))
}

/// Waits out the settle window (when the bot can reach the sinks at all), then judges the sink requests that arrived in the scenario's
/// window and files their events under the turns they came in.
async fn collect_sinks(
    world: &World,
    scenario: &Scenario,
    index: usize,
    played: &mut Played,
    verdict: &mut Verdict,
) -> SinkScan {
    // A bot that cannot reach the sinks sends them nothing late; the run says so at its end.
    if world.bot.reaches(&world.sinks) {
        tokio::time::sleep(world.privacy.settle.0).await;
    }
    let closed = world.close_window(index);
    if let Err(unsettled) = world.sinks.settle(closed, SCAN_QUIET).await {
        verdict.error(None, unsettled.to_string());
    }
    let mut scan = attribution::scan_sinks(world, scenario, index, &played.starts);
    verdict.errored |= !scan.lost.is_empty();
    verdict.failures.append(&mut scan.lost);
    world.finish(index);
    for (turn, event) in std::mem::take(&mut scan.events) {
        if let Some(record) = turn.checked_sub(1).and_then(|i| played.turns.get_mut(i)) {
            record.sink_events.push(event);
        }
    }
    // Bots send telemetry concurrently: arrival order is not part of the conversation.
    played.turns.iter_mut().for_each(|t| t.sink_events.sort());
    scan
}
