//! Privacy verdicts: which sink findings are leaks that fail a scenario, and cross-session replies.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Failure, FailureKind};
use crate::customer::Payee;
use crate::privacy::{Finding, Signal, ValueForm, ValueKind, Warning, WarningKind};
use crate::scenario::AllowRule;
use crate::sinks::{CapturedRequest, SinkKind};

/// Whose value a finding is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Whose {
    /// The scenario's own customer.
    Own,
    /// Another customer of the bank (named by their scenario, or `decoy customer N`).
    Other(String),
    /// Customers of several scenarios who hold it equally, all named: which conversation
    /// sent it cannot be told (only in requests no scenario owned).
    Shared(Vec<String>),
}

impl Whose {
    /// Whose it is, after the kind of value in a report's line: ` of NAME`, or nothing for
    /// the own customer.
    pub fn suffix(&self) -> String {
        match self {
            Whose::Own => String::new(),
            Whose::Other(name) => format!(" of {name}"),
            Whose::Shared(names) => format!(" of one of {}", few(names)),
        }
    }
}

/// Up to three of `names`, and how many more there are.
fn few(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// A customer value found in a request to a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A sink request as findings name it: its sink and `METHOD /path` (`METHOD host/path` through
/// the capture proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkRequest {
    /// The sink's name.
    pub sink: String,
    /// `METHOD /path`.
    pub line: String,
}

impl SinkRequest {
    /// The name of a captured request; one the capture proxy brought names the host the bot
    /// addressed (`POST tracker.example.net/collect`).
    pub fn of(request: &CapturedRequest) -> SinkRequest {
        let host = request.host.as_deref().unwrap_or("");
        SinkRequest {
            sink: request.sink.clone(),
            line: format!("{} {host}{}", request.method, request.path),
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

/// What a financial-status signal in a sink request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// At an ads sink, or a host no sink stands for under `unknown: fail`: it fails unless
    /// an allow rule (`kind: financial_status`) allows it.
    Leak(Leak),
    /// At an analytics sink: reported, never a failure.
    Warning(SinkWarning),
}

/// Judges one financial-status signal; a sink of kind `other` takes them silently.
pub fn status(
    signal: &Signal,
    request: &SinkRequest,
    sink_kind: SinkKind,
    turn: usize,
    rules: &[&AllowRule],
) -> Option<Status> {
    match sink_kind {
        SinkKind::Ads | SinkKind::Unknown => Some(Status::Leak(Leak {
            sink: request.sink.clone(),
            request: request.line.clone(),
            location: signal.location.clone(),
            kind: ValueKind::FinancialStatus,
            chain: signal.chain.clone(),
            turn,
            whose: Whose::Own,
            allowed: rules
                .iter()
                .any(|r| r.allows(ValueKind::FinancialStatus, &request.sink, &signal.location)),
        })),
        SinkKind::Analytics => Some(Status::Warning(SinkWarning {
            sink: request.sink.clone(),
            request: request.line.clone(),
            location: signal.location.clone(),
            pattern: WarningKind::FinancialStatus,
            chain: signal.chain.clone(),
            masked: signal.text.clone(),
            turn,
        })),
        SinkKind::Other => None,
    }
}

fn whose_text(whose: &Whose) -> String {
    match whose {
        Whose::Own => "the customer's".into(),
        Whose::Other(name) => format!("another customer's ({name})"),
        Whose::Shared(names) => format!("{} customers' ({})", names.len(), few(names)),
    }
}

/// The failures for the leaks that are not allowed.
pub fn leak_failures(leaks: &[Leak]) -> Vec<Failure> {
    leaks
        .iter()
        .filter(|l| !l.allowed)
        .map(|l| {
            let message = if l.kind == ValueKind::FinancialStatus {
                format!(
                    "a financial-status signal went to {} ({}) at {} via {}",
                    l.sink, l.request, l.location, l.chain
                )
            } else {
                format!(
                    "{} {} leaked to {} ({}) at {} via {}",
                    whose_text(&l.whose),
                    l.kind,
                    l.sink,
                    l.request,
                    l.location,
                    l.chain
                )
            };
            Failure::new(
                Some(l.turn).filter(|&t| t > 0),
                FailureKind::Privacy,
                message,
            )
        })
        .collect()
}

/// The failures for a reply, in the conversation of customer `own`, that shows another
/// customer's strong identifiers: names only in full, addresses only by street, and nothing
/// that is the own customer's value too. `findings` are the reply's; `names` name every
/// customer (their scenario, or `decoy customer N`).
pub fn cross_session(
    findings: &[Finding],
    own: usize,
    names: &[String],
    turn: usize,
) -> Vec<Failure> {
    let owns = |f: &Finding| {
        findings
            .iter()
            .any(|o| o.customer == own && (o.kind, &o.chain) == (f.kind, &f.chain))
    };
    findings
        .iter()
        .filter(|f| f.customer != own && !owns(f))
        .filter(|f| match f.kind {
            ValueKind::Name => f.form == ValueForm::FullName,
            ValueKind::Address => f.form == ValueForm::Street,
            _ => true,
        })
        .map(|f| {
            let whose = names.get(f.customer).map_or("", String::as_str);
            Failure::new(
                Some(turn),
                FailureKind::CrossSession,
                format!(
                    "the reply shows another customer's {} ({whose}) via {}",
                    f.kind, f.chain
                ),
            )
        })
        .collect()
}

/// `reply` with the names of the own customer's `payees` blanked out, in any ASCII case: a
/// person the customer pays is theirs to be shown, even where another customer of the run
/// has the same full name.
pub fn without_payees<'a>(reply: &'a str, payees: &[Payee]) -> Cow<'a, str> {
    let lower = reply.to_ascii_lowercase();
    let mut blanked: Option<Vec<u8>> = None;
    for payee in payees.iter().filter(|p| !p.name.is_empty()) {
        let name = payee.name.to_ascii_lowercase();
        for (at, _) in lower.match_indices(&name) {
            let bytes = blanked.get_or_insert_with(|| reply.as_bytes().to_vec());
            bytes[at..at + name.len()].fill(b' ');
        }
    }
    match blanked {
        // Whole characters of the reply became spaces, so it is UTF-8 still.
        Some(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
        None => Cow::Borrowed(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(customer: usize, kind: ValueKind, chain: &str, form: ValueForm) -> Finding {
        Finding {
            customer,
            kind,
            location: "body:/events/0/params/value".into(),
            chain: chain.into(),
            form,
            needle: 0,
        }
    }

    fn rule(yaml: &str) -> AllowRule {
        serde_yaml::from_str(yaml).expect("an allow rule")
    }

    #[test]
    fn policy_allows_by_kind_sink_and_field_glob() {
        let request = SinkRequest {
            sink: "google".into(),
            line: "POST /mp/collect".into(),
        };
        let amount = finding(
            0,
            ValueKind::Amount,
            "json → value(amount)",
            ValueForm::Other,
        );
        let email = finding(0, ValueKind::Email, "json → email", ValueForm::Other);
        // (rules, finding, sink kind, allowed)
        let cases: [(&[&str], &Finding, SinkKind, bool); 9] = [
            (&[], &amount, SinkKind::Analytics, false),
            (&[], &amount, SinkKind::Ads, false),
            (&[], &email, SinkKind::Other, true),
            (
                &["{kind: amount, sink: google}"],
                &amount,
                SinkKind::Analytics,
                true,
            ),
            (
                &["{kind: amount, sink: google}"],
                &email,
                SinkKind::Analytics,
                false,
            ),
            (
                &["{kind: amount, sink: meta}"],
                &amount,
                SinkKind::Analytics,
                false,
            ),
            (
                &["{kind: amount, sink: google, field: 'body:/events/*/params/value'}"],
                &amount,
                SinkKind::Analytics,
                true,
            ),
            (
                &["{kind: amount, sink: google, field: 'body:/events/*/params/price'}"],
                &amount,
                SinkKind::Analytics,
                false,
            ),
            (
                &[
                    "{kind: email, sink: meta}",
                    "{kind: amount, sink: google, field: 'body:*'}",
                ],
                &amount,
                SinkKind::Ads,
                true,
            ),
        ];
        for (rules, finding, sink_kind, allowed) in cases {
            let rules: Vec<AllowRule> = rules.iter().map(|r| rule(r)).collect();
            let rules: Vec<&AllowRule> = rules.iter().collect();
            let leak = judge(finding, &request, sink_kind, 3, Whose::Own, &rules);
            assert_eq!(leak.allowed, allowed, "{rules:?} {finding:?} {sink_kind:?}");
            assert_eq!(leak_failures(&[leak]).len(), usize::from(!allowed));
        }
    }

    #[test]
    fn leak_failures_name_whose_value_leaked_and_where() {
        let request = SinkRequest {
            sink: "meta".into(),
            line: "POST /v18.0/1/events".into(),
        };
        let email = finding(
            0,
            ValueKind::Email,
            "json → sha256(email)",
            ValueForm::Other,
        );
        let other = Whose::Other("Alice".into());
        let leaks = [
            judge(&email, &request, SinkKind::Ads, 0, Whose::Own, &[]),
            judge(&email, &request, SinkKind::Ads, 2, other, &[]),
        ];
        let failures = leak_failures(&leaks);
        let located: Vec<_> = failures.iter().map(|f| (f.turn, f.kind)).collect();
        assert_eq!(
            located,
            [
                (None, FailureKind::Privacy),
                (Some(2), FailureKind::Privacy)
            ]
        );
        assert_eq!(
            failures[1].message,
            "another customer's (Alice) email leaked to meta (POST /v18.0/1/events) \
             at body:/events/0/params/value via json → sha256(email)"
        );
        assert!(failures[0].message.starts_with("the customer's email"));
    }

    #[test]
    fn cross_session_fails_on_strong_identifiers_of_others_only() {
        let names: Vec<String> = ["me", "Alice"].map(String::from).to_vec();
        let full_name = || finding(1, ValueKind::Name, "full_name", ValueForm::FullName);
        let first_name = finding(1, ValueKind::Name, "first_name", ValueForm::Other);
        let hashed_name = finding(
            1,
            ValueKind::Name,
            "sha256(lower(full_name))",
            ValueForm::Other,
        );
        let street = finding(1, ValueKind::Address, "street", ValueForm::Street);
        let city = finding(1, ValueKind::Address, "city", ValueForm::Other);
        let email = finding(1, ValueKind::Email, "email", ValueForm::Other);
        let mine = |f: &Finding| Finding {
            customer: 0,
            ..f.clone()
        };
        // (findings of the reply, failures)
        let cases: Vec<(Vec<Finding>, usize)> = vec![
            (vec![], 0),
            (vec![full_name()], 1),
            (vec![first_name.clone()], 0),
            (vec![hashed_name], 0),
            (vec![street.clone()], 1),
            (vec![city], 0),
            (vec![email.clone()], 1),
            (vec![mine(&email)], 0),
            // A value both customers share (the same street) is the own customer's.
            (vec![mine(&street), street], 0),
            (vec![mine(&first_name), full_name(), email], 2),
        ];
        for (findings, failures) in cases {
            let found = cross_session(&findings, 0, &names, 4);
            assert_eq!(found.len(), failures, "{findings:?}");
            for failure in &found {
                assert_eq!(
                    (failure.turn, failure.kind),
                    (Some(4), FailureKind::CrossSession)
                );
                assert!(failure.message.contains("(Alice)"), "{}", failure.message);
            }
        }
    }

    #[test]
    fn a_payees_name_is_blanked_in_any_case_and_nothing_else() {
        let payee = |name: &str| Payee {
            id: "pye_1".into(),
            name: name.into(),
            account_number: "1".into(),
            routing_number: "1".into(),
        };
        let payees = [payee("Isidro Ward"), payee("Ward Inc")];
        let blanked = without_payees("Send $25 to ISIDRO WARD, or isidro ward? Ward.", &payees);
        assert_eq!(blanked, "Send $25 to            , or            ? Ward.");
        assert!(matches!(
            without_payees("Send $25 to Isidro", &payees),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            without_payees("Zoë → Isidro Ward é", &payees),
            "Zoë →             é"
        );
        assert!(matches!(
            without_payees("hi", &[payee("")]),
            Cow::Borrowed(_)
        ));
    }
}
