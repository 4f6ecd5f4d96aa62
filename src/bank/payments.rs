//! Money movement at the mock bank: each customer's live ledger (balances, histories and payees
//! as they stand now), payees created by the bot, transfers between the customer's own
//! accounts, payments to payees, idempotency keys, and the record of every movement.
//!
//! Ids derive from the customer's id and a counter, so the same conversation gets the same
//! ids on every run and at every `--jobs`.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::call::Outcome;
use super::fdx::{self, Route};
use crate::customer::Transaction;
use crate::customer::{aba_valid, as_of, Account, AccountType, Customer, Direction, Payee};
use crate::money::Money;

/// The most one transfer or payment may move.
pub const LIMIT: Money = Money::from_cents(1_000_000);
/// Error code: the account does not hold enough money.
pub const CODE_INSUFFICIENT_FUNDS: &str = "1201";
/// Error code: no such payee.
pub const CODE_PAYEE_NOT_FOUND: &str = "1202";
/// Error code: the amount is above [`LIMIT`].
pub const CODE_LIMIT_EXCEEDED: &str = "1203";
/// Error code: the request is malformed (no amount, a negative one, a missing account).
pub const CODE_INVALID_REQUEST: &str = "1204";
/// Error code: an idempotency key sent again with a different request.
pub const CODE_KEY_REUSED: &str = "1205";
/// Error code: no such transfer or payment.
pub const CODE_PAYMENT_NOT_FOUND: &str = "1206";
/// Error code: money cannot leave this account (a credit card).
pub const CODE_CANNOT_SEND: &str = "1207";

/// Whether money went to one of the customer's own accounts or to a payee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MovementKind {
    /// Between two of the customer's accounts.
    Transfer,
    /// To a payee.
    Payment,
}

/// Money that left one of the customer's accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The 1-based turn it happened in; 0 between turns.
    pub turn: usize,
    /// The transfer's or payment's id.
    pub id: String,
    /// A transfer or a payment.
    pub kind: MovementKind,
    /// The account the money left.
    pub from: String,
    /// The account (transfer) or payee (payment) it went to.
    pub to: String,
    /// The payee's name, or the receiving account's type (`savings`).
    pub to_name: String,
    /// How much.
    pub amount: Money,
    /// The idempotency key the request carried, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// A transfer or payment the bank accepted, with what `GET` by id shows.
struct Order {
    body: Value,
    kind: MovementKind,
    /// `PROCESSED`, or `FAILED` when the payee's bank refused it.
    settled: &'static str,
}

/// The first answer to an idempotency key, and the request it answered.
struct Stored {
    request: String,
    status: u16,
    body: Value,
    outcome: Outcome,
}

/// What the bank answers: status, body and what it made of the call.
pub(super) type Answer = (u16, Value, Outcome);

/// One customer's money as it stands now.
pub(super) struct Ledger {
    /// The customer with the accounts, histories and payees of now: shared with the
    /// session until money first moves.
    pub live: Arc<Customer>,
    orders: HashMap<String, Order>,
    keys: HashMap<String, Stored>,
    movements: Vec<Movement>,
    created: usize,
}

/// A write the bot asked for, read from the request.
pub(super) struct Write<'a> {
    pub route: Route<'a>,
    pub body: &'a [u8],
    pub key: Option<String>,
    pub turn: usize,
}

fn refuse(status: u16, code: &str, message: &str, outcome: Outcome) -> Answer {
    (status, fdx::error(code, message), outcome)
}

fn invalid(message: &str) -> Answer {
    refuse(400, CODE_INVALID_REQUEST, message, Outcome::BadRequest)
}

/// An amount written as a JSON number or a decimal string.
fn amount(body: &Value) -> Option<Money> {
    let value = body.get("amount")?;
    let dollars = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s
            .trim()
            .trim_start_matches('$')
            .replace(',', "")
            .parse()
            .ok()?,
        _ => return None,
    };
    (dollars.is_finite() && dollars.abs() < 1e13).then(|| Money::from_dollars(dollars))
}

fn text<'a>(body: &'a Value, pointers: &[&str]) -> Option<&'a str> {
    pointers
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_str))
        .filter(|s| !s.trim().is_empty())
}

/// `GET /fdx/v6/payees` entry.
fn payee_body(p: &Payee) -> Value {
    json!({
        "payeeId": p.id,
        "status": "ACTIVE",
        "merchant": { "displayName": p.name, "merchantAccountIds": [p.account_number] },
        "paymentNetworks": [{ "bankId": p.routing_number, "identifier": p.account_number, "type": "US_ACH" }],
    })
}

impl Ledger {
    pub fn new(customer: Arc<Customer>) -> Ledger {
        Ledger {
            live: customer,
            orders: HashMap::new(),
            keys: HashMap::new(),
            movements: Vec::new(),
            created: 0,
        }
    }

    /// Every movement so far, in order.
    pub fn movements(&self) -> &[Movement] {
        &self.movements
    }

    /// A new id: `prefix_` and ten hex digits of the customer's id and a counter.
    fn next_id(&mut self, prefix: &str) -> String {
        self.created += 1;
        let digest = Sha256::digest(format!("{}:{}", self.live.id, self.created).as_bytes());
        let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
        format!("{prefix}_{hex}")
    }

    /// `GET /fdx/v6/payees`
    pub fn payees(&self) -> Value {
        let payees: Vec<Value> = self.live.payees.iter().map(payee_body).collect();
        json!({ "page": { "totalElements": payees.len() }, "payees": payees })
    }

    /// `GET /fdx/v6/transfers/{id}` and `GET /fdx/v6/payments/{id}`: the order as it settled.
    pub fn order(&self, id: &str, kind: MovementKind) -> Answer {
        match self.orders.get(id).filter(|o| o.kind == kind) {
            Some(order) => {
                let mut body = order.body.clone();
                body["status"] = json!(order.settled);
                (200, body, Outcome::Ok)
            }
            None => refuse(
                404,
                CODE_PAYMENT_NOT_FOUND,
                "no such transfer or payment",
                Outcome::NotFound,
            ),
        }
    }

    /// A write (`POST` of a payee, transfer or payment), answered once per idempotency key.
    /// `foreign` says whether an account id belongs to another customer.
    pub fn write(&mut self, write: Write<'_>, foreign: &dyn Fn(&str) -> bool) -> Answer {
        let parsed: Option<Value> = serde_json::from_slice(write.body).ok();
        let request = format!(
            "{:?} {}",
            write.route,
            parsed.as_ref().map_or_else(
                || String::from_utf8_lossy(write.body).into_owned(),
                Value::to_string
            )
        );
        if let Some(stored) = write.key.as_ref().and_then(|k| self.keys.get(k)) {
            if stored.request != request {
                let message = "the idempotency key was used for a different request";
                return refuse(422, CODE_KEY_REUSED, message, Outcome::Refused);
            }
            // The first answer again; nothing moves. A refusal stays a refusal.
            let outcome = match stored.outcome {
                Outcome::Ok => Outcome::Replayed,
                other => other,
            };
            return (stored.status, stored.body.clone(), outcome);
        }
        let answer = match parsed {
            None => invalid("the body is not JSON"),
            Some(body) => match write.route {
                Route::CreatePayee => self.create_payee(&body),
                Route::CreateTransfer => self.transfer(&body, &write, foreign),
                _ => self.pay(&body, &write, foreign),
            },
        };
        if let Some(key) = write.key {
            let (status, body, outcome) = answer.clone();
            let stored = Stored {
                request,
                status,
                body,
                outcome,
            };
            self.keys.insert(key, stored);
        }
        answer
    }

    fn create_payee(&mut self, body: &Value) -> Answer {
        let Some(name) = text(body, &["/merchant/displayName", "/displayName", "/name"]) else {
            return invalid("a payee needs merchant.displayName");
        };
        let account = text(
            body,
            &[
                "/merchant/merchantAccountIds/0",
                "/paymentNetworks/0/identifier",
                "/accountNumber",
            ],
        );
        let routing = text(body, &["/paymentNetworks/0/bankId", "/routingNumber"]);
        let (Some(account), Some(routing)) = (account, routing) else {
            return invalid("a payee needs an account number and a routing number");
        };
        let payee = Payee {
            id: self.next_id("pye"),
            name: name.trim().to_string(),
            account_number: account.to_string(),
            routing_number: routing.to_string(),
        };
        let answer = (201, payee_body(&payee), Outcome::Ok);
        Arc::make_mut(&mut self.live).payees.push(payee);
        answer
    }

    /// The customer's account `id` that money may leave, or the refusal.
    fn source(&self, id: Option<&str>, foreign: &dyn Fn(&str) -> bool) -> Result<usize, Answer> {
        let index = self.own_account(id, foreign)?;
        if self.live.accounts[index].kind == AccountType::CreditCard {
            let message = "money cannot be sent from a credit card";
            return Err(refuse(422, CODE_CANNOT_SEND, message, Outcome::Refused));
        }
        Ok(index)
    }

    fn own_account(
        &self,
        id: Option<&str>,
        foreign: &dyn Fn(&str) -> bool,
    ) -> Result<usize, Answer> {
        let Some(id) = id else {
            return Err(invalid("fromAccountId and toAccountId are required"));
        };
        if let Some(index) = self.live.accounts.iter().position(|a| a.id == id) {
            return Ok(index);
        }
        Err(if foreign(id) {
            let message = "account is not accessible to this customer";
            refuse(
                403,
                fdx::CODE_NOT_YOUR_ACCOUNT,
                message,
                Outcome::IsolationViolation,
            )
        } else {
            refuse(
                404,
                fdx::CODE_ACCOUNT_NOT_FOUND,
                "account not found",
                Outcome::NotFound,
            )
        })
    }

    /// The amount, if it may leave account `from`.
    fn checked_amount(&self, body: &Value, from: usize) -> Result<Money, Answer> {
        let Some(amount) = amount(body).filter(|a| a.cents() > 0) else {
            return Err(invalid("amount must be a positive number"));
        };
        if amount > LIMIT {
            let message = format!("the amount is above the limit of {}", LIMIT.usd());
            return Err(refuse(422, CODE_LIMIT_EXCEEDED, &message, Outcome::Refused));
        }
        if amount > self.live.accounts[from].available_balance {
            let message = "insufficient funds in the account";
            return Err(refuse(
                422,
                CODE_INSUFFICIENT_FUNDS,
                message,
                Outcome::Refused,
            ));
        }
        Ok(amount)
    }

    fn transfer(
        &mut self,
        body: &Value,
        write: &Write<'_>,
        foreign: &dyn Fn(&str) -> bool,
    ) -> Answer {
        let parts = (|| {
            let from = self.source(text(body, &["/fromAccountId"]), foreign)?;
            let to = self.own_account(text(body, &["/toAccountId"]), foreign)?;
            if from == to {
                return Err(invalid(
                    "fromAccountId and toAccountId are the same account",
                ));
            }
            Ok((from, to, self.checked_amount(body, from)?))
        })();
        let (from, to, amount) = match parts {
            Ok(parts) => parts,
            Err(answer) => return answer,
        };
        let id = self.next_id("trf");
        let (from_kind, to_kind) = (self.live.accounts[from].kind, self.live.accounts[to].kind);
        let (from_id, to_id) = (
            self.live.accounts[from].id.clone(),
            self.live.accounts[to].id.clone(),
        );
        let debit = format!("Transfer to {}", to_kind.label());
        let credit = format!("Transfer from {}", from_kind.label());
        self.post(from, &debit, amount, Direction::Debit);
        self.post(to, &credit, amount, Direction::Credit);
        let order = json!({
            "transferId": id, "fromAccountId": from_id, "toAccountId": to_id,
            "amount": amount, "transferDate": as_of().to_string(), "status": "PENDING",
        });
        self.record(
            write,
            &id,
            MovementKind::Transfer,
            (from_id, to_id, to_kind.label().to_string()),
            amount,
        );
        self.orders.insert(
            id,
            Order {
                body: order.clone(),
                kind: MovementKind::Transfer,
                settled: "PROCESSED",
            },
        );
        (201, order, Outcome::Ok)
    }

    fn pay(&mut self, body: &Value, write: &Write<'_>, foreign: &dyn Fn(&str) -> bool) -> Answer {
        let parts = (|| {
            let from = self.source(text(body, &["/fromAccountId"]), foreign)?;
            let payee = text(body, &["/toPayeeId", "/payeeId"]).and_then(|id| self.live.payee(id));
            let Some(payee) = payee.cloned() else {
                return Err(refuse(
                    404,
                    CODE_PAYEE_NOT_FOUND,
                    "payee not found",
                    Outcome::NotFound,
                ));
            };
            Ok((from, payee, self.checked_amount(body, from)?))
        })();
        let (from, payee, amount) = match parts {
            Ok(parts) => parts,
            Err(answer) => return answer,
        };
        let id = self.next_id("pmt");
        let from_id = self.live.accounts[from].id.clone();
        let order = json!({
            "paymentId": id, "fromAccountId": from_id, "toPayeeId": payee.id,
            "amount": amount, "dueDate": as_of().to_string(), "status": "PENDING",
        });
        // The payee's bank refuses a routing number that fails its checksum: nothing moves.
        let settled = if aba_valid(&payee.routing_number) {
            self.post(from, &payee.name, amount, Direction::Debit);
            self.record(
                write,
                &id,
                MovementKind::Payment,
                (from_id, payee.id, payee.name),
                amount,
            );
            "PROCESSED"
        } else {
            "FAILED"
        };
        self.orders.insert(
            id,
            Order {
                body: order.clone(),
                kind: MovementKind::Payment,
                settled,
            },
        );
        (201, order, Outcome::Ok)
    }

    /// Posts a transaction to account `index` and moves its balances, so that
    /// `opening_balance ± transactions = balance` still holds.
    fn post(&mut self, index: usize, description: &str, amount: Money, direction: Direction) {
        let id = self.next_id("txn");
        let account: &mut Account = &mut Arc::make_mut(&mut self.live).accounts[index];
        // A card's balance is what is owed: a debit raises it, a payment (credit) lowers it.
        let owed = account.kind == AccountType::CreditCard;
        let up = (direction == Direction::Credit) != owed;
        let change = if up {
            amount
        } else {
            Money::from_cents(-amount.cents())
        };
        account.balance = account.balance + change;
        account.available_balance = if owed {
            account.available_balance - change
        } else {
            account.available_balance + change
        };
        let transaction = Transaction {
            id,
            date: as_of(),
            merchant: description.to_string(),
            amount,
            direction,
        };
        account.transactions.insert(0, transaction);
    }

    fn record(
        &mut self,
        write: &Write<'_>,
        id: &str,
        kind: MovementKind,
        (from, to, to_name): (String, String, String),
        amount: Money,
    ) {
        self.movements.push(Movement {
            turn: write.turn,
            id: id.to_string(),
            kind,
            from,
            to,
            to_name,
            amount,
            idempotency_key: write.key.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{AccountSpec, CustomerSpec};

    fn ledger() -> Ledger {
        let spec = CustomerSpec {
            accounts: [
                AccountType::Checking,
                AccountType::Savings,
                AccountType::CreditCard,
            ]
            .map(|kind| AccountSpec {
                kind: Some(kind),
                balance: Some(Money::from_cents(100_000)),
            })
            .to_vec(),
            ..CustomerSpec::default()
        };
        Ledger::new(Arc::new(Customer::generate(1, "payer", &spec)))
    }

    fn write(ledger: &mut Ledger, route: Route<'_>, body: Value, key: Option<&str>) -> Answer {
        let body = body.to_string();
        let write = Write {
            route,
            body: body.as_bytes(),
            key: key.map(str::to_string),
            turn: 2,
        };
        ledger.write(write, &|id| id == "acc_theirs")
    }

    /// `opening_balance ± transactions = balance` for every account.
    fn reconciles(ledger: &Ledger) {
        for a in &ledger.live.accounts {
            let net: i64 = a
                .transactions
                .iter()
                .map(|t| {
                    if t.direction == Direction::Credit {
                        t.amount.cents()
                    } else {
                        -t.amount.cents()
                    }
                })
                .sum();
            let net = if a.kind == AccountType::CreditCard {
                -net
            } else {
                net
            };
            assert_eq!(
                a.opening_balance.cents() + net,
                a.balance.cents(),
                "{}",
                a.id
            );
        }
    }

    #[test]
    fn the_customer_the_ledger_shares_keeps_its_balances_when_money_moves() {
        let mut l = ledger();
        let shared = Arc::clone(&l.live);
        let [checking, savings] = [0, 1].map(|i| l.live.accounts[i].id.clone());
        let body = json!({"fromAccountId": checking, "toAccountId": savings, "amount": 10});
        assert_eq!(write(&mut l, Route::CreateTransfer, body, None).0, 201);
        assert_eq!(shared.accounts[0].balance, Money::from_cents(100_000));
        assert_eq!(l.live.accounts[0].balance, Money::from_cents(99_000));
        let name =
            json!({"name": "Kim Lee", "accountNumber": "12345678", "routingNumber": "011000015"});
        let payees = shared.payees.len();
        assert_eq!(write(&mut l, Route::CreatePayee, name, None).0, 201);
        assert_eq!(
            (shared.payees.len(), l.live.payees.len()),
            (payees, payees + 1)
        );
    }

    #[test]
    fn transfers_and_payments_move_balances_and_histories() {
        let mut l = ledger();
        let [checking, savings, card] = [0, 1, 2].map(|i| l.live.accounts[i].id.clone());
        let payee = l.live.payees[0].clone();
        let available = l.live.accounts[0].available_balance;
        let (status, body, outcome) = write(
            &mut l,
            Route::CreateTransfer,
            json!({"fromAccountId": checking, "toAccountId": savings, "amount": 25.5}),
            None,
        );
        assert_eq!(
            (status, outcome, body["status"].as_str()),
            (201, Outcome::Ok, Some("PENDING"))
        );
        assert_eq!(
            l.live.accounts[0].balance,
            Money::from_cents(100_000 - 2_550)
        );
        assert_eq!(
            l.live.accounts[0].available_balance,
            available - Money::from_cents(2_550)
        );
        assert_eq!(l.live.accounts[1].balance, Money::from_cents(102_550));
        assert_eq!(
            l.live.accounts[1].transactions[0].merchant,
            "Transfer from checking"
        );
        let (_, body, _) = write(
            &mut l,
            Route::CreatePayment,
            json!({"fromAccountId": checking, "toPayeeId": payee.id, "amount": "$500.00"}),
            None,
        );
        let id = body["paymentId"].as_str().unwrap().to_string();
        assert_eq!(l.order(&id, MovementKind::Payment).1["status"], "PROCESSED");
        assert_eq!(l.order(&id, MovementKind::Transfer).0, 404);
        // Paying the card lowers what is owed.
        write(
            &mut l,
            Route::CreateTransfer,
            json!({"fromAccountId": savings, "toAccountId": card, "amount": 10}),
            None,
        );
        assert_eq!(l.live.accounts[2].balance, Money::from_cents(99_000));
        reconciles(&l);
        let moved: Vec<(MovementKind, &str, Money)> = l
            .movements()
            .iter()
            .map(|m| (m.kind, m.to_name.as_str(), m.amount))
            .collect();
        assert_eq!(
            moved,
            [
                (MovementKind::Transfer, "savings", Money::from_cents(2_550)),
                (
                    MovementKind::Payment,
                    payee.name.as_str(),
                    Money::from_cents(50_000)
                ),
                (
                    MovementKind::Transfer,
                    "credit card",
                    Money::from_cents(1_000)
                ),
            ]
        );
        assert!(l.movements().iter().all(|m| m.turn == 2));
        // The same customer gets the same ids on every run.
        let mut again = ledger();
        write(
            &mut again,
            Route::CreateTransfer,
            json!({"fromAccountId": checking, "toAccountId": savings, "amount": 25.5}),
            None,
        );
        assert_eq!(again.movements()[0].id, l.movements()[0].id);
    }

    #[test]
    fn refusals_carry_fdx_codes_and_move_nothing() {
        let mut l = ledger();
        let [checking, savings, card] = [0, 1, 2].map(|i| l.live.accounts[i].id.clone());
        let payee = l.live.payees[1].id.clone();
        let cases = [
            (
                Route::CreatePayment,
                json!({"fromAccountId": checking, "toPayeeId": payee, "amount": 5000}),
                422,
                CODE_INSUFFICIENT_FUNDS,
                Outcome::Refused,
            ),
            (
                Route::CreatePayment,
                json!({"fromAccountId": checking, "toPayeeId": "pye_nobody", "amount": 5}),
                404,
                CODE_PAYEE_NOT_FOUND,
                Outcome::NotFound,
            ),
            (
                Route::CreatePayment,
                json!({"fromAccountId": "acc_theirs", "toPayeeId": payee, "amount": 5}),
                403,
                fdx::CODE_NOT_YOUR_ACCOUNT,
                Outcome::IsolationViolation,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": checking, "toAccountId": "acc_theirs", "amount": 5}),
                403,
                fdx::CODE_NOT_YOUR_ACCOUNT,
                Outcome::IsolationViolation,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": checking, "toAccountId": "acc_gone", "amount": 5}),
                404,
                fdx::CODE_ACCOUNT_NOT_FOUND,
                Outcome::NotFound,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": checking, "toAccountId": savings, "amount": 10000.01}),
                422,
                CODE_LIMIT_EXCEEDED,
                Outcome::Refused,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": card, "toAccountId": savings, "amount": 1}),
                422,
                CODE_CANNOT_SEND,
                Outcome::Refused,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": checking, "toAccountId": savings, "amount": -1}),
                400,
                CODE_INVALID_REQUEST,
                Outcome::BadRequest,
            ),
            (
                Route::CreateTransfer,
                json!({"fromAccountId": checking, "toAccountId": checking, "amount": 1}),
                400,
                CODE_INVALID_REQUEST,
                Outcome::BadRequest,
            ),
            (
                Route::CreatePayee,
                json!({"merchant": {"displayName": "No Account"}}),
                400,
                CODE_INVALID_REQUEST,
                Outcome::BadRequest,
            ),
        ];
        for (route, body, status, code, outcome) in cases {
            let shown = body.to_string();
            let answer = write(&mut l, route, body, None);
            assert_eq!(
                (answer.0, answer.1["code"].as_str(), answer.2),
                (status, Some(code), outcome),
                "{shown}"
            );
        }
        assert!(l.movements().is_empty());
        assert_eq!(l.live.accounts[0].balance, Money::from_cents(100_000));
    }

    #[test]
    fn an_idempotency_key_answers_the_first_result_and_moves_nothing_again() {
        let mut l = ledger();
        let (checking, payee) = (l.live.accounts[0].id.clone(), l.live.payees[0].id.clone());
        let body = json!({"fromAccountId": checking, "toPayeeId": payee, "amount": 25});
        let first = write(&mut l, Route::CreatePayment, body.clone(), Some("k1"));
        let again = write(&mut l, Route::CreatePayment, body.clone(), Some("k1"));
        assert_eq!(
            (again.0, &again.1, again.2),
            (first.0, &first.1, Outcome::Replayed)
        );
        assert_eq!(l.movements().len(), 1);
        assert_eq!(l.movements()[0].idempotency_key.as_deref(), Some("k1"));
        let other = json!({"fromAccountId": checking, "toPayeeId": payee, "amount": 26});
        let reused = write(&mut l, Route::CreatePayment, other, Some("k1"));
        assert_eq!(
            (reused.0, reused.1["code"].as_str()),
            (422, Some(CODE_KEY_REUSED))
        );
        // Without a key, the same request is a second payment.
        write(&mut l, Route::CreatePayment, body.clone(), None);
        write(&mut l, Route::CreatePayment, body, None);
        assert_eq!(l.movements().len(), 3);
        reconciles(&l);
    }

    #[test]
    fn payees_are_listed_created_and_a_bad_routing_number_fails_the_payment() {
        let mut l = ledger();
        let checking = l.live.accounts[0].id.clone();
        assert_eq!(l.payees()["payees"].as_array().map(Vec::len), Some(2));
        let created = write(
            &mut l,
            Route::CreatePayee,
            json!({
                "merchant": {"displayName": "Bad Routing Co", "merchantAccountIds": ["12345678"]},
                "paymentNetworks": [{"bankId": "123456789"}],
            }),
            None,
        );
        assert_eq!(created.0, 201);
        let payee = created.1["payeeId"].as_str().unwrap().to_string();
        assert_eq!(
            l.payees()["payees"][2]["merchant"]["displayName"],
            "Bad Routing Co"
        );
        let (status, body, _) = write(
            &mut l,
            Route::CreatePayment,
            json!({"fromAccountId": checking, "toPayeeId": payee, "amount": 5}),
            None,
        );
        assert_eq!((status, body["status"].as_str()), (201, Some("PENDING")));
        let id = body["paymentId"].as_str().unwrap();
        assert_eq!(l.order(id, MovementKind::Payment).1["status"], "FAILED");
        assert!(l.movements().is_empty());
    }
}
