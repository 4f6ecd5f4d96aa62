//! End-to-end privacy tests: the leaky reference bot is caught leak by leak, with exact
//! locations and chains; the normal reference bot passes with zero findings.

mod common;

use banter::check::privacy::{Leak, Whose};
use banter::privacy::ValueKind;
use banter::report::{Report, Status};
use banter::Suite;
use common::{banter_in, repo};

async fn leaky_report() -> Report {
    Suite::from_paths([repo().join("examples/leaky/scenarios")])
        .unwrap()
        .config_file(repo().join("examples/leaky/banter.yaml"))
        .unwrap()
        .run()
        .await
        .unwrap()
}

fn has(leaks: &[Leak], sink: &str, request: &str, location: &str, kind: ValueKind, chain: &str) -> bool {
    leaks.iter().any(|l| {
        l.sink == sink
            && l.request == request
            && l.location == location
            && l.kind == kind
            && l.chain == chain
            && l.whose == Whose::Own
            && l.turn == 1
    })
}

#[tokio::test]
async fn every_planted_leak_is_found_with_its_exact_chain() {
    let report = leaky_report().await;
    assert!(!report.passed());
    let by_name = |prefix: &str| {
        report.scenarios.iter().find(|s| s.name.starts_with(prefix)).unwrap_or_else(|| panic!("no scenario {prefix}"))
    };
    let meta = "POST /v19.0/1234567890/events";
    let expected: [(&str, &str, &str, &str, ValueKind, &str); 11] = [
        ("Greeting", "meta", meta, "body:/data/0/user_data/em/0", ValueKind::Email, "json → sha256(lower(email))"),
        ("Greeting", "meta", meta, "body:/data/0/user_data/ph/0", ValueKind::Phone, "json → sha256(digits(phone))"),
        ("Greeting", "meta", meta, "body:/data/0/user_data/fn/0", ValueKind::Name, "json → sha256(lower(first_name))"),
        ("Greeting", "segment", "POST /v1/identify", "body:/traits/email", ValueKind::Email, "json → email"),
        ("Greeting", "segment", "POST /v1/identify", "body:/traits/phone", ValueKind::Phone, "json → e164(phone)"),
        ("Greeting", "segment", "POST /v1/identify", "header:x-bank-token", ValueKind::Token, "token"),
        ("Balance", "google", "POST /mp/collect", "body:/events/0/params/value", ValueKind::Amount, "json → value(amount)"),
        ("Transactions", "mixpanel", "POST /track", "body:form:data/properties/$email", ValueKind::Email, "form → base64 → json → email"),
        ("Transactions", "mixpanel", "POST /track", "body:form:data/properties/last_merchant", ValueKind::Merchant, "form → base64 → json → merchant"),
        ("Advisor", "amplitude", "POST /2/httpapi", "body:/events/0/user_properties/dob", ValueKind::DateOfBirth, "gzip → json → yyyy-mm-dd(date_of_birth)"),
        ("Advisor", "amplitude", "POST /2/httpapi", "body:/events/0/user_properties/zip", ValueKind::Address, "gzip → json → zip"),
    ];
    for (scenario, sink, request, location, kind, chain) in expected {
        let s = by_name(scenario);
        assert_eq!(s.status, Status::Failed, "{scenario}");
        assert!(has(&s.leaks, sink, request, location, kind, chain), "{scenario}: missing {sink} {location} {chain} in {:#?}", s.leaks);
    }
    let allowed = by_name("An allowed amount");
    assert_eq!(allowed.status, Status::Passed);
    assert!(allowed.leaks.iter().all(|l| l.allowed) && !allowed.leaks.is_empty());
}

#[test]
fn the_leaky_example_fails_through_the_cli_and_names_the_leaks() {
    let run = banter_in(
        &repo(),
        &["run", "examples/leaky/scenarios", "--config", "examples/leaky/banter.yaml"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("turn 1 POST /v19.0/1234567890/events: email at body:/data/0/user_data/em/0 via json → sha256(lower(email))"), "{run:?}");
    assert!(run.stdout.contains("4 failed"), "{run:?}");
}

#[tokio::test]
async fn the_normal_reference_bot_sends_telemetry_without_any_finding() {
    let report = Suite::from_paths([repo().join("scenarios")]).unwrap().run().await.unwrap();
    assert!(report.passed(), "{report:#?}");
    for s in &report.scenarios {
        assert!(s.sink_requests >= 5 * s.turns.len(), "{}: the bot sends telemetry every turn", s.name);
        assert!(s.leaks.is_empty(), "{}: {:#?}", s.name, s.leaks);
        assert!(s.warnings.is_empty(), "{}: {:#?}", s.name, s.warnings);
    }
}
