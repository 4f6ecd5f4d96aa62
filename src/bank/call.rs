//! The bank's call log: every request the bot made, with its turn and what the bank made of it.

use serde::{Deserialize, Serialize};

/// What the bank did with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Answered with data.
    Ok,
    /// No token, or an unknown one: 401.
    Unauthorized,
    /// The customer revoked consent: 403.
    ConsentRevoked,
    /// The bot asked for another customer's account: 403, code 706. Fails the scenario.
    IsolationViolation,
    /// No such resource: 404.
    NotFound,
    /// A malformed request: 400.
    BadRequest,
    /// A fault injected by the scenario answered instead.
    Fault,
    /// The bank refused to move money (insufficient funds, a limit, a reused idempotency key): 422.
    Refused,
    /// A request with an idempotency key already answered: the first answer again, nothing moved.
    Replayed,
    /// The bank did what was asked, but an injected fault lost the answer.
    Lost,
}

/// One request the bot made to the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankCall {
    /// The 1-based turn it came in; 0 if it came between turns.
    pub turn: usize,
    /// HTTP method.
    pub method: String,
    /// URL path, without the query.
    pub path: String,
    /// The raw query string, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// The status the bank answered.
    pub status: u16,
    /// What the bank made of it.
    pub outcome: Outcome,
}

impl BankCall {
    /// `GET /fdx/v6/accounts?limit=5`
    pub fn line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}
