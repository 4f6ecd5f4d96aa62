//! End-to-end tests through the public library API: suites, determinism, and the mock bank over HTTP.

mod common;

use banter::testing::{decoy_name, Bank, DECOYS};
use banter::{Consent, Customer, CustomerSpec, Outcome, SnapshotMode, Status, Suite};
use common::{repo, stable};

#[tokio::test]
async fn the_repository_suite_passes_through_the_library() {
    let report = Suite::from_paths([repo().join("scenarios")])
        .run()
        .await
        .unwrap();
    assert!(report.passed(), "{report:#?}");
    assert!(report.summary.total >= 10);
}

#[tokio::test]
async fn one_seed_gives_the_same_report_and_another_seed_does_not() {
    // Another seed changes the transcripts: keep their snapshots out of the repository.
    let snapshots = tempfile::tempdir().unwrap();
    let dir = snapshots.path().to_path_buf();
    let run = |seed| {
        let dir = dir.clone();
        async move {
            let report = Suite::from_paths([repo().join("scenarios")])
                .filter("transactions")
                .snapshots(dir)
                .snapshot_mode(SnapshotMode::Accept)
                .seed(seed)
                .run()
                .await
                .unwrap();
            stable(&report)
        }
    };
    let first = run(7).await;
    assert_eq!(first, run(7).await);
    assert_ne!(first, run(8).await);
}

#[tokio::test]
async fn a_failing_suite_reports_the_failed_turn() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.yaml");
    std::fs::write(&path, "name: Wrong\nsteps:\n  - user: hi\n  - user: advisor please\n    bot: { contains: \"no such words\" }\n").unwrap();
    let report = Suite::from_paths([&path]).run().await.unwrap();
    assert!(!report.passed());
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.status, Status::Failed);
    assert_eq!(scenario.failures[0].turn, Some(2));
    assert_eq!(scenario.turns.len(), 2);
}

#[tokio::test]
async fn a_panic_in_the_mock_bank_makes_the_run_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("faulty.yaml");
    std::fs::write(&path, "name: Faulty bank\nfaults: [{ path: \"/fdx/**\", status: 503 }]\nsteps:\n  - user: what's my checking balance?\n").unwrap();
    let mut plan = Suite::from_paths([&path]).plan().unwrap();
    // Scenario files cannot hold such a status; one built in code reaches the bank.
    plan.scenarios[0].faults[0].status = Some(1000);
    let report = plan
        .run(&mut banter::Silent, Box::pin(std::future::pending()))
        .await
        .unwrap();
    assert!(!report.passed(), "{report:#?}");
    assert_eq!(report.server_panics.len(), 1, "{report:#?}");
    assert!(
        report.server_panics[0].starts_with("the mock bank panicked at "),
        "{report:#?}"
    );
}

#[tokio::test]
async fn no_scenario_name_gives_a_decoy_customer() {
    let bank = Bank::start(1).await.unwrap();
    assert_eq!(bank.decoys().len(), DECOYS);
    for i in 1..=bank.decoys().len() {
        for name in [format!("decoy-{i}"), decoy_name(i)] {
            let customer = Customer::generate(1, &name, &CustomerSpec::default());
            for decoy in bank.decoys() {
                assert_ne!(customer.token, decoy.token, "{name}");
                assert_ne!(customer.email, decoy.email, "{name}");
            }
        }
    }
}

#[tokio::test]
async fn tokens_are_redacted_from_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.yaml");
    std::fs::write(
        &path,
        "name: Says the token\nsteps:\n  - user: \"my token is {{ customer.token }}\"\n",
    )
    .unwrap();
    let report = Suite::from_paths([&path]).seed(3).run().await.unwrap();
    let customer = Customer::generate(3, "Says the token", &CustomerSpec::default());
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains(&customer.token),
        "token leaked into the report"
    );
    assert!(json.contains("my token is [REDACTED]"));
}

async fn get(bank: &Bank, path: &str, token: &str) -> (u16, serde_json::Value) {
    let request = reqwest::Client::new().get(format!("{}{path}", bank.url()));
    answer(request.bearer_auth(token)).await
}

/// The status and JSON body (`null` when there is none) of a request to the bank.
async fn answer(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn the_bank_serves_fdx_per_customer_and_logs_every_call() {
    let bank = Bank::start(5).await.unwrap();
    assert!(bank.url().starts_with("http://127.0.0.1:"));
    let alice = Customer::generate(5, "alice", &CustomerSpec::default());
    let bob = Customer::generate(5, "bob", &CustomerSpec::default());
    let session = bank.open(alice.clone(), Vec::new());
    let _bob = bank.open(bob.clone(), Vec::new());
    session.begin_turn(1);

    let (status, accounts) = get(&bank, "/fdx/v6/accounts", &alice.token).await;
    assert_eq!(status, 200);
    assert_eq!(
        accounts["accounts"][0]["accountId"],
        alice.accounts[0].id.as_str()
    );

    let (status, customer) = get(&bank, "/fdx/v6/customers/current", &alice.token).await;
    assert_eq!(
        (status, customer["taxId"].as_str()),
        (200, Some(alice.ssn.as_str()))
    );

    let checking = &alice.accounts[0];
    let path = format!(
        "/fdx/v6/accounts/{}/transactions?limit=10&offset=10",
        checking.id
    );
    let (status, page) = get(&bank, &path, &alice.token).await;
    assert_eq!(status, 200);
    assert_eq!(
        page["transactions"][0]["transactionId"],
        checking.transactions[10].id.as_str()
    );
    assert_eq!(page["page"]["nextOffset"], "20");

    let (status, networks) = get(
        &bank,
        &format!("/fdx/v6/accounts/{}/payment-networks", checking.id),
        &alice.token,
    )
    .await;
    assert_eq!(
        (status, networks["paymentNetworks"][0]["bankId"].as_str()),
        (200, Some(checking.routing_number.as_str()))
    );

    let (status, error) = get(
        &bank,
        &format!("/fdx/v6/accounts/{}", bob.accounts[0].id),
        &alice.token,
    )
    .await;
    assert_eq!((status, error["code"].as_str()), (403, Some("706")));
    let (status, _) = get(&bank, "/fdx/v6/accounts", "tok_unknown").await;
    assert_eq!(status, 401);
    session.end_turn();

    let outcomes: Vec<Outcome> = session.calls().iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Ok,
            Outcome::Ok,
            Outcome::Ok,
            Outcome::Ok,
            Outcome::IsolationViolation,
            Outcome::Unauthorized
        ]
    );
    assert!(session.calls().iter().all(|c| c.turn == 1));
}

#[tokio::test]
async fn the_bank_exchanges_codes_and_denies_revoked_consent() {
    let bank = Bank::start(5).await.unwrap();
    let linked = Customer::generate(5, "linked", &CustomerSpec::default());
    let revoked = Customer::generate(
        5,
        "revoked",
        &CustomerSpec {
            consent: Consent::Revoked,
            ..Default::default()
        },
    );
    let _a = bank.open(linked.clone(), Vec::new());
    let b = bank.open(revoked.clone(), Vec::new());

    let code = linked.authorization_code().unwrap();
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", bank.url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["access_token"], linked.token.as_str());

    let (status, error) = get(&bank, "/fdx/v6/accounts", &revoked.token).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("1107")));
    assert_eq!(b.calls()[0].outcome, Outcome::ConsentRevoked);
}

async fn post(
    bank: &Bank,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", bank.url()))
        .bearer_auth(token)
        .json(&body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    answer(request).await
}

#[tokio::test]
async fn the_bank_moves_money_once_per_idempotency_key_even_when_the_answer_is_lost() {
    let bank = Bank::start(5).await.unwrap();
    let carol = Customer::generate(5, "carol", &CustomerSpec::default());
    let dave = Customer::generate(5, "dave", &CustomerSpec::default());
    let lost = banter::testing::BankFault {
        path: globset::Glob::new("/fdx/v6/payments")
            .unwrap()
            .compile_matcher(),
        method: Some("POST".into()),
        status: None,
        delay: None,
        times: Some(1),
        lost: true,
        rate: None,
        salt: 0,
    };
    let session = bank.open(carol.clone(), vec![lost]);
    let _dave = bank.open(dave.clone(), Vec::new());
    session.begin_turn(1);
    let (checking, payee) = (&carol.accounts[0], &carol.payees[0]);
    let (status, payees) = get(&bank, "/fdx/v6/payees", &carol.token).await;
    assert_eq!(
        (status, payees["payees"][0]["payeeId"].as_str()),
        (200, Some(payee.id.as_str()))
    );
    let body =
        serde_json::json!({"fromAccountId": checking.id, "toPayeeId": payee.id, "amount": 25});
    // The first answer is lost, but the payment went out; the retry with the same key gets the
    // payment back and moves nothing.
    let pay = || {
        post(
            &bank,
            "/fdx/v6/payments",
            &carol.token,
            Some("k-1"),
            body.clone(),
        )
    };
    assert_eq!(pay().await.0, 504);
    let (status, payment) = pay().await;
    assert_eq!((status, payment["status"].as_str()), (201, Some("PENDING")));
    let id = payment["paymentId"].as_str().unwrap();
    let (status, settled) = get(&bank, &format!("/fdx/v6/payments/{id}"), &carol.token).await;
    assert_eq!(
        (status, settled["status"].as_str()),
        (200, Some("PROCESSED"))
    );
    let (_, account) = get(
        &bank,
        &format!("/fdx/v6/accounts/{}", checking.id),
        &carol.token,
    )
    .await;
    let expected = checking.balance - banter::Money::from_cents(2_500);
    assert_eq!(account["currentBalance"], serde_json::json!(expected));
    // Another customer's account: refused, and an isolation violation.
    let theirs = serde_json::json!({"fromAccountId": dave.accounts[0].id, "toPayeeId": payee.id, "amount": 1});
    let (status, error) = post(&bank, "/fdx/v6/payments", &carol.token, None, theirs).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("706")));
    session.end_turn();
    let moved = session.movements_since(0);
    assert_eq!(moved.len(), 1);
    assert_eq!(
        (moved[0].id.as_str(), moved[0].turn, moved[0].amount),
        (id, 1, banter::Money::from_cents(2_500))
    );
    let outcomes: Vec<Outcome> = session.calls().iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Ok,
            Outcome::Lost,
            Outcome::Replayed,
            Outcome::Ok,
            Outcome::Ok,
            Outcome::IsolationViolation
        ]
    );
    let balances = session.balances();
    assert_eq!(balances[0], (checking.id.clone(), expected));
}
