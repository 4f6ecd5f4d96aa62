//! The checks: reply matchers, bank-call expectations, money movement, isolation and privacy,
//! each producing [`Failure`]s.

mod bank;
pub mod money;
pub mod privacy;
mod reply;

use serde::{Deserialize, Serialize};

pub use bank::{check_bank, check_isolation};
pub use reply::check_reply;

use crate::scenario::Step;
use crate::transcript::Turn;

/// Checks one completed turn against its step: the reply matchers, then the bank expectations.
pub fn check_turn(step: &Step, turn: &Turn, context: &minijinja::Value) -> Vec<Failure> {
    let mut failures = Vec::new();
    if let Some(expect) = &step.bot {
        failures.extend(check_reply(expect, &turn.replies, turn.turn, context));
    }
    if let Some(expect) = &step.bank {
        failures.extend(check_bank(expect, &turn.bank_calls, turn.turn, context));
    }
    failures
}

/// Which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// A reply matcher.
    Reply,
    /// A bank expectation.
    Bank,
    /// Money moved other than expected, without a confirmation, or twice.
    Money,
    /// The bot read another customer's data at the bank.
    Isolation,
    /// Customer data reached an ads or analytics sink.
    Privacy,
    /// A reply showed another customer's data.
    CrossSession,
    /// The transcript does not match its snapshot, or the snapshot is missing under CI.
    Snapshot,
    /// The turn could not be completed (bot unreachable, timed out, bad reply).
    Error,
}

impl FailureKind {
    /// The snake_case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Reply => "reply",
            FailureKind::Bank => "bank",
            FailureKind::Money => "money",
            FailureKind::Isolation => "isolation",
            FailureKind::Privacy => "privacy",
            FailureKind::CrossSession => "cross_session",
            FailureKind::Snapshot => "snapshot",
            FailureKind::Error => "error",
        }
    }
}

/// One failed expectation, located at its turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The 1-based turn, when the failure belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<usize>,
    /// Which kind of check.
    pub kind: FailureKind,
    /// What went wrong, in one line.
    pub message: String,
    /// What was expected, when that helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What happened instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// A longer explanation shown as is, such as a snapshot diff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Failure {
    /// A failure with a message only.
    pub fn new(turn: Option<usize>, kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            turn,
            kind,
            message: message.into(),
            expected: None,
            actual: None,
            detail: None,
        }
    }

    /// Adds a longer explanation.
    pub fn detailed(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds what was expected and what happened.
    pub fn with(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}
