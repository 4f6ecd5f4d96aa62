//! A conversation rendered as a deterministic YAML document: the customer's ids templated back
//! to their names (`{{ checking.id }}`) and what varies between runs (ports, timestamps, UUIDs)
//! redacted, while dates and amounts, the point of a snapshot, stay as they are.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::bank::MovementKind;
use crate::customer::{Account, Customer};
use crate::transcript::{Turn, UserKind};

/// What varies between runs, and what replaces it. Plain dates do not match.
static VOLATILE: LazyLock<[(Regex, &str); 3]> = LazyLock::new(|| {
    let regex = |pattern| Regex::new(pattern).expect("a valid constant pattern");
    [
        (
            regex(r"\b(?:127\.0\.0\.1|localhost):\d{1,5}\b"),
            "127.0.0.1:[port]",
        ),
        (
            regex(
                r"(?i)\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
            ),
            "[timestamp]",
        ),
        (
            regex(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
            "[uuid]",
        ),
    ]
});

/// Each account's template name: its type (`checking`, `savings`, `credit_card`), numbered
/// from the second account of a type on (`checking_2`), in the customer's account order.
pub fn account_aliases(customer: &Customer) -> Vec<(String, &Account)> {
    let accounts = &customer.accounts;
    accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            let base = account.kind.label().replace(' ', "_");
            let nth = 1 + accounts[..i]
                .iter()
                .filter(|a| a.kind == account.kind)
                .count();
            let alias = if nth == 1 {
                base
            } else {
                format!("{base}_{nth}")
            };
            (alias, account)
        })
        .collect()
}

/// Each payee's template name and id: `payee`, then `payee_2`, … in the customer's order.
pub fn payee_aliases(customer: &Customer) -> impl Iterator<Item = (String, &str)> {
    customer.payees.iter().enumerate().map(|(i, payee)| {
        let alias = if i == 0 {
            "payee".to_string()
        } else {
            format!("payee_{}", i + 1)
        };
        (alias, payee.id.as_str())
    })
}

/// The conversation as YAML, one entry per turn: `user` (`[quick reply] …` or `[postback] …`
/// when not typed), `bot` (a reply's text, or `text` with `quick_replies` and `buttons`), `bank` (`METHOD /path?query → status`), `moved` (`payment pmt_… $25.00: {{ checking.id }} → {{ payee.id }} (name)`) and `sinks` (the events by name);
/// empty `bank`, `moved` and `sinks` are left out, and so are timings.
pub fn render(turns: &[Turn], customer: &Customer) -> String {
    let scrub = Scrubber::new(customer);
    let document: Vec<TurnDoc> = turns
        .iter()
        .map(|turn| TurnDoc {
            user: match turn.user_kind {
                UserKind::Text => scrub.text(&turn.user),
                UserKind::QuickReply => format!("[quick reply] {}", scrub.text(&turn.user)),
                UserKind::Postback => format!("[postback] {}", scrub.text(&turn.user)),
                check => format!("[webhook check] {check:?}"),
            },
            bot: turn
                .replies
                .iter()
                .map(|reply| {
                    if reply.handover {
                        return Reply::Text("[handover to a human]".into());
                    }
                    let text = scrub.text(&reply.text);
                    if reply.quick_replies.is_empty() && reply.buttons.is_empty() {
                        return Reply::Text(text);
                    }
                    let titles = |list: &[String]| list.iter().map(|q| scrub.text(q)).collect();
                    Reply::WithChoices {
                        text,
                        quick_replies: titles(&reply.quick_replies),
                        buttons: titles(&reply.buttons),
                    }
                })
                .collect(),
            bank: turn
                .bank_calls
                .iter()
                .map(|call| format!("{} → {}", scrub.text(&call.line()), call.status))
                .collect(),
            moved: turn
                .moved
                .iter()
                .map(|m| {
                    let kind = match m.kind {
                        MovementKind::Transfer => "transfer",
                        MovementKind::Payment => "payment",
                    };
                    let line = format!(
                        "{kind} {} {}: {} → {} ({})",
                        m.id,
                        m.amount.usd(),
                        m.from,
                        m.to,
                        m.to_name
                    );
                    scrub.text(&line)
                })
                .collect(),
            sinks: turn.sink_events.iter().map(|e| scrub.text(e)).collect(),
        })
        .collect();
    // Only strings and lists of them: serde_yaml has no way to fail on these.
    serde_yaml::to_string(&document)
        .unwrap_or_else(|e| format!("# the transcript cannot be written as YAML: {e}\n"))
}

#[derive(Serialize)]
struct TurnDoc {
    user: String,
    bot: Vec<Reply>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bank: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    moved: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sinks: Vec<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Reply {
    Text(String),
    WithChoices {
        text: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        quick_replies: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<String>,
    },
}

/// Templates a customer's ids and redacts volatile values in any text.
struct Scrubber<'a> {
    /// (id, template), longest id first so that no id is replaced inside a longer one.
    ids: Vec<(&'a str, String)>,
}

impl<'a> Scrubber<'a> {
    fn new(customer: &'a Customer) -> Self {
        let mut ids: Vec<(&str, String)> = account_aliases(customer)
            .into_iter()
            .map(|(alias, account)| (account.id.as_str(), format!("{{{{ {alias}.id }}}}")))
            .chain(payee_aliases(customer).map(|(alias, id)| (id, format!("{{{{ {alias}.id }}}}"))))
            .chain([(customer.id.as_str(), "{{ customer.id }}".to_string())])
            .filter(|(id, _)| !id.is_empty())
            .collect();
        ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
        Scrubber { ids }
    }

    fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (id, template) in &self.ids {
            if out.contains(id) {
                out = out.replace(id, template);
            }
        }
        for (pattern, replacement) in VOLATILE.iter() {
            out = pattern.replace_all(&out, *replacement).into_owned();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{BankCall, Outcome};
    use crate::customer::{AccountSpec, AccountType, CustomerSpec};
    use crate::transcript::BotMessage;

    /// A customer with two checking accounts, a savings account and a card.
    fn customer() -> Customer {
        let kinds = [
            AccountType::Checking,
            AccountType::Savings,
            AccountType::Checking,
            AccountType::CreditCard,
        ];
        let spec = CustomerSpec {
            accounts: kinds
                .map(|kind| AccountSpec {
                    kind: Some(kind),
                    balance: None,
                })
                .to_vec(),
            ..CustomerSpec::default()
        };
        Customer::generate(7, "snapshot render", &spec)
    }

    fn call(path: &str, query: &str, status: u16) -> BankCall {
        BankCall {
            turn: 1,
            method: "GET".into(),
            path: path.into(),
            query: query.into(),
            status,
            outcome: Outcome::Ok,
        }
    }

    fn reply(text: String, quick_replies: &[&str]) -> BotMessage {
        BotMessage {
            text,
            quick_replies: quick_replies.iter().map(|q| q.to_string()).collect(),
            buttons: Vec::new(),
            handover: false,
            receipt: None,
        }
    }

    #[test]
    fn aliases_number_repeated_account_types() {
        let c = customer();
        let aliases: Vec<(String, &str)> = account_aliases(&c)
            .into_iter()
            .map(|(alias, account)| (alias, account.id.as_str()))
            .collect();
        let expected = ["checking", "savings", "checking_2", "credit_card"];
        let ids = c.accounts.iter().map(|a| a.id.as_str());
        assert_eq!(
            aliases,
            expected
                .iter()
                .map(|e| e.to_string())
                .zip(ids)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn templates_ids_and_redacts_volatile_values() {
        let c = customer();
        let scrub = Scrubber::new(&c);
        let (checking_2, card) = (&c.accounts[2].id, &c.accounts[3].id);
        let cases = [
            (
                format!("/fdx/v6/accounts/{checking_2}/transactions"),
                "/fdx/v6/accounts/{{ checking_2.id }}/transactions".to_string(),
            ),
            (
                format!("{card} of {}", c.id),
                "{{ credit_card.id }} of {{ customer.id }}".into(),
            ),
            (
                "http://127.0.0.1:41234/chat and localhost:8080".into(),
                "http://127.0.0.1:[port]/chat and 127.0.0.1:[port]".into(),
            ),
            (
                "at 2026-06-29T10:00:00Z, 2026-06-29t10:00:00.123+02:00 and 2026-06-29T10:00"
                    .into(),
                "at [timestamp], [timestamp] and [timestamp]".into(),
            ),
            (
                "id 3F2504E0-4F89-11D3-9A0C-0305E82C3301.".into(),
                "id [uuid].".into(),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(scrub.text(&input), expected);
        }
        // Deterministic data is the point of a snapshot: dates, amounts, other ids stay.
        for kept in [
            "on 2026-06-29",
            "$2,481.17",
            "1234.56",
            "acc_0000000000",
            "port 8080",
            "12:30",
        ] {
            assert_eq!(scrub.text(kept), kept);
        }
    }

    #[test]
    fn render_transcript() {
        let c = customer();
        let (checking, checking_2) = (&c.accounts[0], &c.accounts[2]);
        let turns = [
            Turn {
                turn: 1,
                user: "hi".into(),
                user_kind: UserKind::Text,
                replies: vec![reply(format!("Hello {}! How can I help?", c.first_name), &["Balances", "Recent transactions"])],
                bank_calls: vec![call("/fdx/v6/customers/current", "", 200)],
                moved: Vec::new(),
                sink_events: vec!["google: greeting".into(), "segment: Intent Handled".into()],
                duration_ms: 12,
            },
            Turn {
                turn: 2,
                user: format!("show {}", checking_2.id),
                user_kind: UserKind::Text,
                replies: vec![
                    reply(format!("Your checking account {} has {} as of 2026-06-29T10:00:00Z.", checking_2.id, checking_2.balance.usd()), &[]),
                    reply(format!("Recent:\n- 2026-06-29 Starbucks $4.50\n- Receipt 3f2504e0-4f89-11d3-9a0c-0305e82c3301 at http://localhost:41234/r\nMain account: {} ({})", checking.id, checking.balance.usd()), &[]),
                ],
                bank_calls: vec![
                    call("/fdx/v6/accounts", "", 200),
                    call(&format!("/fdx/v6/accounts/{}/transactions", checking_2.id), "startTime=2026-04-01&limit=5", 200),
                    call("/fdx/v6/accounts/acc_someoneels", "", 403),
                ],
                moved: Vec::new(),
                sink_events: vec![],
                duration_ms: 34,
            },
            Turn {
                turn: 3,
                user: "bye".into(),
                user_kind: UserKind::Text,
                replies: vec![],
                bank_calls: vec![],
                moved: vec![crate::bank::Movement {
                    turn: 3,
                    id: "pmt_0123456789".into(),
                    kind: MovementKind::Payment,
                    from: checking.id.clone(),
                    to: c.payees[1].id.clone(),
                    to_name: c.payees[1].name.clone(),
                    amount: crate::money::Money::from_cents(2_500),
                    idempotency_key: Some("k".into()),
                }],
                sink_events: vec![],
                duration_ms: 5,
            },
        ];
        insta::assert_snapshot!(render(&turns, &c));
    }
}
