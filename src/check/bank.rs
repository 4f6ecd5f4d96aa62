//! Bank expectations (`called`, `not_called`) and the isolation rule: no other customer's accounts.

use super::{Failure, FailureKind};
use crate::bank::{BankCall, Outcome};
use crate::scenario::{BankExpect, CallPattern, GlobText};
use crate::template;

fn calls_text(calls: &[BankCall]) -> String {
    if calls.is_empty() {
        return "no bank calls".into();
    }
    calls
        .iter()
        .map(|c| format!("{} -> {}", c.line(), c.status))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A call pattern rendered and compiled; `Err` holds the failure message.
fn compile(
    pattern: &CallPattern,
    context: &minijinja::Value,
) -> Result<(String, GlobText), String> {
    let path = template::render(pattern.path.as_str(), context).map_err(|e| e.to_string())?;
    let glob = GlobText::new(&path)?;
    Ok((format!("{} {}", pattern.method, path), glob))
}

fn hits(pattern: &CallPattern, glob: &GlobText, call: &BankCall) -> bool {
    (pattern.method == "*" || pattern.method == call.method) && glob.is_match(&call.path)
}

/// Checks the calls of one turn against its expectations.
pub fn check_bank(
    expect: &BankExpect,
    calls: &[BankCall],
    turn: usize,
    context: &minijinja::Value,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let groups = [(&expect.called, true), (&expect.not_called, false)];
    for (patterns, wanted) in groups {
        for pattern in patterns {
            let (shown, glob) = match compile(pattern, context) {
                Ok(compiled) => compiled,
                Err(message) => {
                    failures.push(Failure::new(Some(turn), FailureKind::Bank, message));
                    continue;
                }
            };
            let found = calls.iter().any(|c| hits(pattern, &glob, c));
            if found != wanted {
                let (message, expected) = if wanted {
                    (
                        format!("the bot did not call {shown}"),
                        format!("called {shown}"),
                    )
                } else {
                    (
                        format!("the bot called {shown}"),
                        format!("not called {shown}"),
                    )
                };
                failures.push(
                    Failure::new(Some(turn), FailureKind::Bank, message)
                        .with(expected, calls_text(calls)),
                );
            }
        }
    }
    failures
}

/// Every call for another customer's account is a failure of its own.
pub fn check_isolation(calls: &[BankCall]) -> Vec<Failure> {
    calls
        .iter()
        .filter(|c| c.outcome == Outcome::IsolationViolation)
        .map(|c| {
            Failure::new(
                Some(c.turn).filter(|&t| t > 0),
                FailureKind::Isolation,
                format!(
                    "the bot requested another customer's account: {} (403, code 706)",
                    c.line()
                ),
            )
        })
        .collect()
}
