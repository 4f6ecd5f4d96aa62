//! Bank expectations (`called`, `not_called`) and the isolation rule: no other customer's accounts.

use super::{Failure, FailureKind};
use crate::bank::{BankCall, Outcome};
use crate::scenario::{BankExpect, GlobText};
use crate::template;
use crate::template::CallPattern;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn call(turn: usize, line: &str, outcome: Outcome) -> BankCall {
        let (method, target) = line.split_once(' ').expect("METHOD /path");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        BankCall {
            turn,
            method: method.into(),
            path: path.into(),
            query: query.into(),
            status: if outcome == Outcome::Ok { 200 } else { 403 },
            outcome,
        }
    }

    /// The failure messages of `yaml` expectations against calls made with these lines.
    fn check(yaml: &str, lines: &[&str]) -> Vec<String> {
        let expect: BankExpect = serde_yaml::from_str(yaml).expect("bank expectations");
        let calls: Vec<BankCall> = lines.iter().map(|l| call(3, l, Outcome::Ok)).collect();
        let context = minijinja::context! { checking => minijinja::context! { id => "acc-1" } };
        let failures = check_bank(&expect, &calls, 3, &context);
        for failure in &failures {
            assert_eq!((failure.turn, failure.kind), (Some(3), FailureKind::Bank));
        }
        failures.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn bank_expectations_glob_paths_and_methods() {
        let accounts = "GET /fdx/v6/accounts";
        let transactions = "GET /fdx/v6/accounts/acc-1/transactions?limit=3";
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("called: ['GET /fdx/v6/accounts']", &[accounts], &[]),
            ("called: ['GET /fdx/v6/accounts/{{ checking.id }}/transactions']", &[accounts, transactions], &[]),
            // `*` stays within one segment; `**` crosses them.
            ("called: ['GET /fdx/v6/accounts/*/transactions']", &[transactions], &[]),
            ("called: ['GET /fdx/v6/*/transactions']", &[transactions], &["the bot did not call GET /fdx/v6/*/transactions"]),
            ("called: ['GET /fdx/v6/**/transactions']", &[transactions], &[]),
            ("called: ['GET /fdx/**']", &[accounts], &[]),
            ("called: ['GET /fdx/v6/accounts/*']", &[accounts], &["the bot did not call GET /fdx/v6/accounts/*"]),
            // Method `*` is any method; others must match.
            ("called: ['* /fdx/v6/accounts']", &[accounts], &[]),
            ("called: ['POST /fdx/v6/accounts']", &[accounts], &["the bot did not call POST /fdx/v6/accounts"]),
            ("called: ['GET /fdx/v6/accounts']", &[], &["the bot did not call GET /fdx/v6/accounts"]),
            ("not_called: ['* /**']", &[], &[]),
            ("not_called: ['* /**']", &[accounts], &["the bot called * /**"]),
            ("not_called: ['GET /fdx/v6/customers/current']", &[accounts], &[]),
            (
                "{called: ['GET /oauth/token', 'GET /fdx/v6/accounts'], not_called: ['GET /fdx/**/transactions']}",
                &[accounts, transactions],
                &["the bot did not call GET /oauth/token", "the bot called GET /fdx/**/transactions"],
            ),
            ("called: ['GET /fdx/{{ nobody }}']", &[accounts], &["template `/fdx/{{ nobody }}`: undefined value"]),
        ];
        for (yaml, lines, expected) in cases {
            assert_eq!(check(yaml, lines), *expected, "{yaml} on {lines:?}");
        }
    }

    #[test]
    fn a_failed_expectation_shows_the_calls_made() {
        let expect: BankExpect = serde_yaml::from_str("called: ['GET /fdx/v6/customers/current']")
            .expect("expectations");
        let calls = [call(1, "GET /fdx/v6/accounts?limit=5", Outcome::Ok)];
        let failures = check_bank(&expect, &calls, 1, &minijinja::Value::UNDEFINED);
        assert_eq!(
            failures[0].expected.as_deref(),
            Some("called GET /fdx/v6/customers/current")
        );
        assert_eq!(
            failures[0].actual.as_deref(),
            Some("GET /fdx/v6/accounts?limit=5 -> 200")
        );
        let failures = check_bank(&expect, &[], 1, &minijinja::Value::UNDEFINED);
        assert_eq!(failures[0].actual.as_deref(), Some("no bank calls"));
    }

    #[test]
    fn isolation_fails_once_per_call_for_another_customers_account() {
        const OTHER: &str = "GET /fdx/v6/accounts/theirs";
        // The calls of a scenario (turn, line, outcome), and the turns of its failures.
        type Case = (
            &'static [(usize, &'static str, Outcome)],
            &'static [Option<usize>],
        );
        let cases: &[Case] = &[
            (&[], &[]),
            (&[(1, "GET /fdx/v6/accounts", Outcome::Ok)], &[]),
            (
                &[
                    (1, OTHER, Outcome::NotFound),
                    (2, OTHER, Outcome::ConsentRevoked),
                ],
                &[],
            ),
            (&[(2, OTHER, Outcome::IsolationViolation)], &[Some(2)]),
            // Between turns (turn 0) the failure belongs to no turn.
            (
                &[
                    (0, OTHER, Outcome::IsolationViolation),
                    (1, "GET /fdx/v6/accounts", Outcome::Ok),
                    (3, OTHER, Outcome::IsolationViolation),
                ],
                &[None, Some(3)],
            ),
        ];
        for (calls, turns) in cases {
            let calls: Vec<BankCall> = calls
                .iter()
                .map(|&(turn, line, outcome)| call(turn, line, outcome))
                .collect();
            let failures = check_isolation(&calls);
            let found: Vec<Option<usize>> = failures.iter().map(|f| f.turn).collect();
            assert_eq!(found, *turns, "{calls:?}");
            for failure in &failures {
                assert_eq!(failure.kind, FailureKind::Isolation);
                assert_eq!(
                    failure.message,
                    "the bot requested another customer's account: GET /fdx/v6/accounts/theirs (403, code 706)"
                );
            }
        }
    }
}
