//! Privacy verdicts: which sink findings are leaks that fail a scenario, and cross-session replies.

use serde::Serialize;

use super::{Failure, FailureKind};
use crate::privacy::{Finding, ValueKind, Warning, WarningKind};
use crate::scenario::AllowRule;
use crate::sinks::{CapturedRequest, SinkKind};

/// Whose value a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Whose {
    /// The scenario's own customer.
    Own,
    /// Another customer of the bank (named by their scenario, or `decoy customer N`).
    Other(String),
}

/// A customer value found in a request to a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// The sink's name.
    pub sink: String,
    /// `METHOD /path` of the request.
    pub request: String,
    /// Where in the request, e.g. `body:/data/0/user_data/em/0`.
    pub location: String,
    /// The kind of value.
    pub kind: ValueKind,
    /// How it was encoded, e.g. `json → sha256(lower(email))`.
    pub chain: String,
    /// The turn it came in (0: before the first turn).
    pub turn: usize,
    /// Whose value it is.
    pub whose: Whose,
    /// Whether a policy rule allows it (or the sink is of kind `other`); allowed leaks do not fail.
    pub allowed: bool,
}

/// An unknown value that looks like personal data, in a request to a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SinkWarning {
    /// The sink's name.
    pub sink: String,
    /// `METHOD /path` of the request.
    pub request: String,
    /// Where in the request.
    pub location: String,
    /// What it looks like.
    pub pattern: WarningKind,
    /// How it was encoded.
    pub chain: String,
    /// The value, masked.
    pub masked: String,
    /// The turn it came in.
    pub turn: usize,
}

/// A sink request as findings name it: its sink and `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkRequest {
    /// The sink's name.
    pub sink: String,
    /// `METHOD /path`.
    pub line: String,
}

impl SinkRequest {
    /// The name of a captured request.
    pub fn of(request: &CapturedRequest) -> SinkRequest {
        SinkRequest {
            sink: request.sink.clone(),
            line: format!("{} {}", request.method, request.path),
        }
    }
}

/// Judges one finding in a sink request.
pub fn judge(
    finding: &Finding,
    request: &SinkRequest,
    sink_kind: SinkKind,
    turn: usize,
    whose: Whose,
    rules: &[&AllowRule],
) -> Leak {
    let allowed = sink_kind == SinkKind::Other
        || rules
            .iter()
            .any(|r| r.allows(finding.kind, &request.sink, &finding.location));
    Leak {
        sink: request.sink.clone(),
        request: request.line.clone(),
        location: finding.location.clone(),
        kind: finding.kind,
        chain: finding.chain.clone(),
        turn,
        whose,
        allowed,
    }
}

/// A warning located in its request.
pub fn warn(warning: &Warning, request: &SinkRequest, turn: usize) -> SinkWarning {
    SinkWarning {
        sink: request.sink.clone(),
        request: request.line.clone(),
        location: warning.location.clone(),
        pattern: warning.pattern,
        chain: warning.chain.clone(),
        masked: warning.masked.clone(),
        turn,
    }
}

fn whose_text(whose: &Whose) -> String {
    match whose {
        Whose::Own => "the customer's".into(),
        Whose::Other(name) => format!("another customer's ({name})"),
    }
}

/// The failures for the leaks that are not allowed.
pub fn leak_failures(leaks: &[Leak]) -> Vec<Failure> {
    leaks
        .iter()
        .filter(|l| !l.allowed)
        .map(|l| {
            Failure::new(
                Some(l.turn).filter(|&t| t > 0),
                FailureKind::Privacy,
                format!(
                    "{} {} leaked to {} ({}) at {} via {}",
                    whose_text(&l.whose),
                    l.kind,
                    l.sink,
                    l.request,
                    l.location,
                    l.chain
                ),
            )
        })
        .collect()
}

/// A failure for a reply that shows another customer's data.
pub fn cross_session(finding: &Finding, turn: usize, whose: &str) -> Failure {
    Failure::new(
        Some(turn),
        FailureKind::CrossSession,
        format!(
            "the reply shows another customer's {} ({whose}) via {}",
            finding.kind, finding.chain
        ),
    )
}
