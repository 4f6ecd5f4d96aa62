//! Money checks: a step's `moved` and `balances` expectations, and the built-in rules of a
//! conversation that moves money (confirm first, move what was confirmed, move it once).
//!
//! A turn *asks for confirmation* when one of its replies says `confirm`, `are you sure`,
//! `shall I`, `should I`, `do you want` or `would you like`; the user *confirms* in the next
//! turn by saying (or tapping) `yes`, `confirm`, `ok`, `sure`, `go ahead`, `send it`, … A
//! webhook check (a replay included) is never a confirmation, since the user said nothing
//! new, and is skipped when looking for the turn that asked.

use std::sync::LazyLock;

use regex::Regex;

use super::{Failure, FailureKind};
use crate::bank::{Movement, MovementKind};
use crate::money::Money;
use crate::scenario::{BankExpect, MoneyChecks, MoveExpect};
use crate::template;
use crate::transcript::Turn;

static ASKS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(confirm|are you sure|shall i|should i|do you want|would you like)\b").ok()
});
static CONFIRMS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(yes|y|yep|yeah|confirm|confirmed|ok|okay|sure|go ahead|do it|send it|approve)\b",
    )
    .ok()
});

/// What an account or payee written in a scenario names: `checking` or `payee` (an alias in
/// `context`) stands for its id; anything else is taken as written.
pub fn resolve(text: &str, context: &minijinja::Value) -> String {
    context
        .get_attr(text.trim())
        .ok()
        .and_then(|alias| alias.get_attr("id").ok())
        .and_then(|id| id.as_str().map(str::to_string))
        .unwrap_or_else(|| text.trim().to_string())
}

/// `payment of $25.00 from acc_1 to Maria Garcia (pmt_1)`
fn describe(m: &Movement) -> String {
    let kind = match m.kind {
        MovementKind::Transfer => "transfer",
        MovementKind::Payment => "payment",
    };
    format!(
        "{kind} of {} from {} to {} ({})",
        m.amount.usd(),
        m.from,
        m.to_name,
        m.id
    )
}

fn listed(moved: &[Movement]) -> String {
    if moved.is_empty() {
        return "no money moved".into();
    }
    moved.iter().map(describe).collect::<Vec<_>>().join("; ")
}

/// An expected movement, rendered: `from` (any when `None`), `to`, amount.
struct Wanted {
    from: Option<String>,
    to: String,
    amount: Money,
}

impl Wanted {
    fn render(expect: &MoveExpect, context: &minijinja::Value) -> Result<Wanted, String> {
        let render = |t: &crate::scenario::Template| {
            template::render(t.as_str(), context)
                .map(|text| resolve(&text, context))
                .map_err(|e| e.to_string())
        };
        Ok(Wanted {
            from: expect.from.as_ref().map(render).transpose()?,
            to: render(&expect.to)?,
            amount: expect.amount,
        })
    }

    fn matches(&self, m: &Movement) -> bool {
        self.amount == m.amount
            && self.from.as_ref().is_none_or(|from| *from == m.from)
            && (self.to == m.to || self.to.eq_ignore_ascii_case(&m.to_name))
    }

    fn shown(&self) -> String {
        let from = self.from.as_deref().unwrap_or("any account");
        format!("{} from {from} to {}", self.amount.usd(), self.to)
    }
}

/// Checks a step's `moved` and `balances` against the turn's movements and the balances after it.
pub fn check_money(
    expect: &BankExpect,
    turn: &Turn,
    balances: &[(String, Money)],
    context: &minijinja::Value,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let fail = |message: String| Failure::new(Some(turn.turn), FailureKind::Money, message);
    if let Some(moved) = &expect.moved {
        let mut wanted = Vec::new();
        for expect in moved {
            match Wanted::render(expect, context) {
                Ok(w) => wanted.push(w),
                Err(message) => failures.push(fail(message)),
            }
        }
        let mut unmatched: Vec<&Movement> = turn.moved.iter().collect();
        let mut missing = Vec::new();
        for w in &wanted {
            match unmatched.iter().position(|m| w.matches(m)) {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => missing.push(w.shown()),
            }
        }
        if !missing.is_empty() || !unmatched.is_empty() {
            let expected = if wanted.is_empty() {
                "no money moved".to_string()
            } else {
                wanted
                    .iter()
                    .map(Wanted::shown)
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let message = if missing.is_empty() {
                let extra: Vec<String> = unmatched.iter().map(|m| describe(m)).collect();
                format!(
                    "money moved that the step did not expect: {}",
                    extra.join("; ")
                )
            } else {
                format!("money did not move as expected: {}", missing.join("; "))
            };
            failures.push(fail(message).with(expected, listed(&turn.moved)));
        }
    }
    for (account, want) in &expect.balances {
        let id = resolve(account, context);
        match balances.iter().find(|(held, _)| *held == id) {
            Some((_, balance)) if balance == want => {}
            Some((_, balance)) => failures.push(
                fail(format!(
                    "{account} balance after the turn is {}",
                    balance.usd()
                ))
                .with(want.usd(), balance.usd()),
            ),
            None => failures.push(fail(format!("the customer has no account {account}"))),
        }
    }
    failures
}

/// Whether `turn` asks the user to confirm something, and the text that asks.
fn confirmation_asked(turn: &Turn) -> Option<String> {
    let asks = ASKS.as_ref()?;
    let text: Vec<&str> = turn.replies.iter().map(|r| r.text.as_str()).collect();
    let text = text.join("\n");
    asks.is_match(&text).then_some(text)
}

/// Whether the user confirmed in `turn` (a typed, tapped or pressed yes; never a webhook check).
fn confirms(turn: &Turn) -> bool {
    !turn.user_kind.is_webhook_check()
        && CONFIRMS.as_ref().is_some_and(|re| re.is_match(&turn.user))
}

/// How `amount` may be written in a confirmation: `$1,250.00`, `1,250.00`, `1250.00`, `$1,250`.
fn amount_forms(amount: Money) -> Vec<String> {
    let usd = amount.usd();
    let mut forms = vec![
        usd.clone(),
        usd.trim_start_matches('$').to_string(),
        amount.plain(),
    ];
    if amount.cents() % 100 == 0 {
        forms.push(usd.trim_end_matches(".00").to_string());
    }
    forms
}

/// The built-in rules over the whole conversation, as `checks` turns them on.
pub fn check_conversation(checks: &MoneyChecks, turns: &[Turn]) -> Vec<Failure> {
    let mut failures = Vec::new();
    // Per movement: the turn whose confirmation it used, if any.
    let mut spent: Vec<(&Movement, Option<usize>)> = Vec::new();
    for (i, turn) in turns.iter().enumerate() {
        // The bot's last turn before this one; banter's webhook probes are not conversation.
        let asked = turns[..i]
            .iter()
            .rev()
            .find(|t| !t.user_kind.is_webhook_check())
            .and_then(confirmation_asked)
            .filter(|_| confirms(turn));
        for m in &turn.moved {
            let fail = |message: String| Failure::new(Some(turn.turn), FailureKind::Money, message);
            match &asked {
                None if checks.require_confirmation => failures.push(fail(format!(
                    "money moved without a confirmation turn: {}",
                    describe(m)
                ))),
                Some(prompt) if checks.match_confirmation => {
                    let lower = prompt.to_lowercase();
                    let amount_ok = amount_forms(m.amount).iter().any(|f| prompt.contains(f));
                    let to_ok = lower.contains(&m.to_name.to_lowercase());
                    if !amount_ok || !to_ok {
                        let message = format!(
                            "money moved differs from what the user confirmed: {}",
                            describe(m)
                        );
                        failures.push(fail(message).with(prompt.clone(), describe(m)));
                    }
                }
                _ => {}
            }
            let confirmed_in = asked.as_ref().map(|_| turn.turn);
            let same = |(earlier, when): &&(&Movement, Option<usize>)| {
                earlier.kind == m.kind
                    && earlier.from == m.from
                    && earlier.to == m.to
                    && earlier.amount == m.amount
                    && (confirmed_in.is_none() || *when == confirmed_in)
            };
            if checks.no_double_spend {
                if let Some((first, _)) = spent.iter().find(same) {
                    failures.push(fail(format!(
                        "the same payment went out twice: {} after {} in turn {}",
                        describe(m),
                        first.id,
                        first.turn
                    )));
                }
            }
            spent.push((m, confirmed_in));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{BotMessage, UserKind};

    fn movement(turn: usize, id: &str, amount: i64) -> Movement {
        Movement {
            turn,
            id: id.into(),
            kind: MovementKind::Payment,
            from: "acc_1".into(),
            to: "pye_1".into(),
            to_name: "Maria Garcia".into(),
            amount: Money::from_cents(amount),
            idempotency_key: None,
        }
    }

    fn turn(n: usize, user: &str, reply: &str, moved: Vec<Movement>) -> Turn {
        Turn {
            turn: n,
            user: user.into(),
            user_kind: UserKind::Text,
            replies: vec![BotMessage {
                text: reply.into(),
                quick_replies: Vec::new(),
                buttons: Vec::new(),
                handover: false,
                receipt: None,
            }],
            bank_calls: Vec::new(),
            moved,
            sink_events: Vec::new(),
            duration_ms: 0,
        }
    }

    const ASK: &str = "Please confirm: send $25.00 to Maria Garcia from checking?";

    fn messages(checks: MoneyChecks, turns: &[Turn]) -> Vec<String> {
        check_conversation(&checks, turns)
            .into_iter()
            .map(|f| format!("{:?} {}", f.turn, f.message))
            .collect()
    }

    #[test]
    fn a_confirmed_payment_passes_and_an_unconfirmed_one_fails() {
        let on = MoneyChecks::default();
        let confirmed = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "yes", "Sent.", vec![movement(2, "pmt_1", 2_500)]),
        ];
        assert!(messages(on, &confirmed).is_empty());
        let careless = [turn(
            1,
            "pay Maria $25",
            "Sent.",
            vec![movement(1, "pmt_1", 2_500)],
        )];
        assert_eq!(
            messages(on, &careless),
            ["Some(1) money moved without a confirmation turn: payment of $25.00 from acc_1 to Maria Garcia (pmt_1)"]
        );
        // Confirmation in the same turn, or a "no", is not a confirmation turn.
        let no = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "no", "Sent.", vec![movement(2, "pmt_1", 2_500)]),
        ];
        assert_eq!(messages(on, &no).len(), 1);
        let off = MoneyChecks {
            require_confirmation: false,
            ..on
        };
        assert!(messages(off, &careless).is_empty());
    }

    #[test]
    fn a_payment_that_differs_from_the_confirmation_fails() {
        let on = MoneyChecks::default();
        let wrong_amount = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "yes", "Sent.", vec![movement(2, "pmt_1", 25_000)]),
        ];
        assert_eq!(
            messages(on, &wrong_amount),
            ["Some(2) money moved differs from what the user confirmed: payment of $250.00 from acc_1 to Maria Garcia (pmt_1)"]
        );
        let mut wrong_payee = movement(2, "pmt_1", 2_500);
        wrong_payee.to_name = "Acme Corp".into();
        let turns = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "yes", "Sent.", vec![wrong_payee]),
        ];
        assert_eq!(messages(on, &turns).len(), 1);
        let off = MoneyChecks {
            match_confirmation: false,
            ..on
        };
        assert!(messages(off, &wrong_amount).is_empty());
    }

    #[test]
    fn the_same_payment_twice_on_one_confirmation_fails() {
        let on = MoneyChecks::default();
        // A retry without an idempotency key: two payments in the confirming turn.
        let retried = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(
                2,
                "yes",
                "Sent.",
                vec![movement(2, "pmt_1", 2_500), movement(2, "pmt_2", 2_500)],
            ),
        ];
        assert_eq!(
            messages(on, &retried),
            ["Some(2) the same payment went out twice: payment of $25.00 from acc_1 to Maria Garcia (pmt_2) after pmt_1 in turn 2"]
        );
        // A replayed webhook: the bot pays again with no new confirmation.
        let mut replay = turn(3, "yes", "Sent.", vec![movement(3, "pmt_2", 2_500)]);
        replay.user_kind = UserKind::Replay;
        let replayed = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "yes", "Sent.", vec![movement(2, "pmt_1", 2_500)]),
            replay,
        ];
        let found = messages(on, &replayed);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[1].contains("went out twice"), "{found:?}");
        // A probe between the question and the answer does not hide the question.
        let mut probe = turn(2, "hi", "", vec![]);
        probe.user_kind = UserKind::Replay;
        let probed = [
            turn(1, "pay Maria $25", ASK, vec![]),
            probe,
            turn(3, "yes", "Sent.", vec![movement(3, "pmt_1", 2_500)]),
        ];
        assert!(messages(on, &probed).is_empty());
        // The same payment confirmed twice is two payments.
        let twice = [
            turn(1, "pay Maria $25", ASK, vec![]),
            turn(2, "yes", "Sent.", vec![movement(2, "pmt_1", 2_500)]),
            turn(3, "pay Maria $25 again", ASK, vec![]),
            turn(4, "yes", "Sent.", vec![movement(4, "pmt_2", 2_500)]),
        ];
        assert!(messages(on, &twice).is_empty());
    }

    #[test]
    fn moved_and_balances_expectations() {
        let context = minijinja::context! {
            checking => minijinja::context! { id => "acc_1" },
            payee => minijinja::context! { id => "pye_1", name => "Maria Garcia" },
        };
        let check = |yaml: &str, moved: Vec<Movement>| -> Vec<String> {
            let expect: BankExpect = serde_yaml::from_str(yaml).expect("bank expectations");
            let turn = turn(2, "yes", "Sent.", moved);
            let balances = [("acc_1".to_string(), Money::from_cents(97_500))];
            check_money(&expect, &turn, &balances, &context)
                .into_iter()
                .map(|f| f.message)
                .collect()
        };
        let paid = || vec![movement(2, "pmt_1", 2_500)];
        let ok: &[&str] = &[];
        for yaml in [
            "moved: [{ from: '{{ checking.id }}', to: payee, amount: 25.00 }]",
            "moved: [{ from: checking, to: 'Maria Garcia', amount: 25 }]",
            "moved: [{ to: '{{ payee.id }}', amount: 25 }]",
            "balances: { checking: 975.00, acc_1: 975 }",
        ] {
            assert_eq!(check(yaml, paid()), ok, "{yaml}");
        }
        assert_eq!(check("moved: []", vec![]), ok);
        assert_eq!(
            check("moved: []", paid()),
            ["money moved that the step did not expect: payment of $25.00 from acc_1 to Maria Garcia (pmt_1)"]
        );
        assert_eq!(
            check("moved: [{ to: payee, amount: 20 }]", paid()),
            ["money did not move as expected: $20.00 from any account to pye_1"]
        );
        assert_eq!(
            check(
                "moved: [{ to: payee, amount: 25 }, { to: payee, amount: 25 }]",
                paid()
            ),
            ["money did not move as expected: $25.00 from any account to pye_1"]
        );
        assert_eq!(
            check("balances: { checking: 1000 }", vec![]),
            ["checking balance after the turn is $975.00"]
        );
        assert_eq!(
            check("balances: { savings: 1 }", vec![]),
            ["the customer has no account savings"]
        );
        // No `moved` key: nothing is asserted about money.
        assert_eq!(check("called: []", paid()), ok);
    }
}
