//! Money movement end to end through the binary: the shipped money scenarios pass against the
//! demo bot and fail, for the right reasons, against a careless one (no confirmation, a double
//! spend after a lost answer or a replayed webhook, a refusal reported as success) and against
//! a bot that pays more than it asked the user to confirm; money expectations that are
//! written wrong stop the run at their place in the file.

mod common;

use common::{repo, Workspace};
use serde_json::Value;

/// The messages of failures of `kind` in the report's scenario named `name`.
fn failures(report: &Value, name: &str, kind: &str) -> Vec<String> {
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let scenario = scenarios
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name}: {report}"));
    scenario["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["kind"] == kind)
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The report of a run of the repository's `scenarios` with the workspace's banter.yaml, which
/// must fail.
fn failing_run(ws: &Workspace, scenarios: &str) -> Value {
    let scenarios = repo().join(scenarios);
    let args = [
        "run",
        scenarios.to_str().unwrap(),
        "--config",
        "banter.yaml",
    ];
    let (run, report) = ws.banter_json(&args);
    assert_eq!(run.code, 1, "{run:?}");
    report
}

fn any(messages: &[String], text: &str) -> bool {
    messages.iter().any(|m| m.contains(text))
}

#[test]
fn the_money_scenarios_pass_against_the_demo_bot() {
    let ws = Workspace::new();
    let scenarios = repo().join("scenarios/money.yaml");
    let (run, report) = ws.banter_json(&["run", scenarios.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(report["summary"]["passed"], 6, "{report}");
    // The turn that paid lists what moved, with the payment's id and idempotency key.
    let paid = &report["scenarios"][0]["turns"][1]["moved"][0];
    assert_eq!(paid["kind"], "payment", "{report}");
    assert_eq!(paid["amount"], 25.0);
    assert!(paid["id"].as_str().unwrap().starts_with("pmt_"), "{paid}");
    assert!(paid["idempotency_key"].as_str().is_some(), "{paid}");
    // Ids come from the seed and the scenario: a second run gives the same ones.
    let (_, again) = ws.banter_json(&["run", scenarios.to_str().unwrap(), "--jobs", "1"]);
    assert_eq!(
        again["scenarios"][0]["turns"][1]["moved"],
        report["scenarios"][0]["turns"][1]["moved"]
    );
}

#[test]
fn a_careless_bot_is_caught_moving_money_unconfirmed_twice_and_claiming_success() {
    let ws = Workspace::new();
    let example = repo().join("examples/careless/banter.yaml");
    ws.write("banter.yaml", &std::fs::read_to_string(example).unwrap());
    let report = failing_run(&ws, "scenarios/money.yaml");
    let money = failures(&report, "Pay a payee after confirming", "money");
    assert!(
        any(
            &money,
            "money moved without a confirmation turn: payment of $25.00"
        ),
        "{money:?}"
    );
    // A lost answer, retried without an idempotency key: the payment went out twice.
    let lost = failures(
        &report,
        "A payment whose answer is lost goes out once",
        "money",
    );
    assert!(any(&lost, "the same payment went out twice"), "{lost:?}");
    // Insufficient funds handled badly: the bot says it is done although nothing moved.
    let refused = "A payment the account cannot cover is refused and said so";
    let replies = failures(&report, refused, "reply");
    assert!(
        any(&replies, "does not contain \"Please confirm\""),
        "{replies:?}"
    );
    assert!(any(&replies, "\"Done\""), "{replies:?}");
    assert!(
        failures(&report, refused, "money").is_empty(),
        "nothing moved: {report}"
    );
    // Turning the built-in checks off, in the scenario or in banter.yaml for every scenario
    // without its own, leaves only the scenario's own expectations.
    let off = "{ require_confirmation: false, match_confirmation: false, no_double_spend: false }";
    let steps = "faults: [{ path: /fdx/v6/payments, method: POST, lost: true, times: 1 }]\nsteps:\n  - user: \"pay {{ payee.name }} $5\"\n    bank: { moved: [{ to: payee, amount: 5 }, { to: payee, amount: 5 }] }\n";
    ws.write(
        "unchecked.yaml",
        &format!("name: Careless but allowed\nmoney: {off}\n{steps}"),
    );
    ws.write(
        "default.yaml",
        &format!("name: Careless, checked by default\n{steps}"),
    );
    let (run, report) = ws.banter_json(&["run", "unchecked.yaml", "--config", "banter.yaml"]);
    assert_eq!(run.code, 0, "{run:?}\n{report}");
    let (run, _) = ws.banter_json(&["run", "default.yaml", "--config", "banter.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    ws.write(
        "off.yaml",
        &format!("demo: {{ careless: true }}\nmoney: {off}\n"),
    );
    let (run, report) = ws.banter_json(&["run", "default.yaml", "--config", "off.yaml"]);
    assert_eq!(run.code, 0, "{run:?}\n{report}");
}

#[test]
fn a_careless_messenger_bot_pays_again_on_a_replayed_webhook() {
    let ws = Workspace::new();
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  timeout: 5s\n  start:\n    command: \"exec '{}' demo-bot --careless --port {{{{ port }}}}\"\n    env:\n      BANK_URL: \"{{{{ bank.url }}}}\"\n      GRAPH_URL: \"{{{{ graph.url }}}}\"\n      APP_SECRET: \"{{{{ messenger.app_secret }}}}\"\n      VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\"\n      PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\"\n    ready: GET /health\n",
            env!("CARGO_BIN_EXE_banter")
        ),
    );
    let report = failing_run(&ws, "scenarios/messenger/money.yaml");
    let name =
        "Messenger payment is confirmed, sent once and receipted; replayed webhooks move nothing";
    let money = failures(&report, name, "money");
    assert!(
        any(&money, "money moved without a confirmation turn"),
        "{money:?}"
    );
    assert!(any(&money, "the same payment went out twice"), "{money:?}");
    // The first replay's turn: money the step said must not move.
    let turn2: Vec<&Value> = report["scenarios"][0]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["turn"] == 2 && f["kind"] == "money")
        .collect();
    assert!(!turn2.is_empty(), "{report}");
}

#[test]
fn a_bot_that_pays_more_than_it_asked_to_confirm_fails() {
    let ws = Workspace::new();
    ws.misbehaving_bot("overpay", "5s");
    ws.write(
        "overpay.yaml",
        "name: Overpays\ncustomer: { accounts: [{ type: checking, balance: 1000 }] }\nsteps:\n  - user: pay my first payee $25\n  - user: \"yes\"\n",
    );
    let (run, report) = ws.banter_json(&["run", "overpay.yaml"]);
    assert_eq!(run.code, 1, "{run:?}");
    let money = failures(&report, "Overpays", "money");
    assert_eq!(money.len(), 1, "{money:?}");
    // The key the bot chose is its token: reports redact it like every token banter issued.
    let paid = &report["scenarios"][0]["turns"][1]["moved"][0];
    assert_eq!(paid["idempotency_key"], "[REDACTED]", "{report}");
    assert!(!report.to_string().contains("tok_"), "{report}");
    assert!(
        money[0]
            .starts_with("money moved differs from what the user confirmed: payment of $250.00"),
        "{money:?}"
    );
}

#[test]
fn money_expectations_written_wrong_are_located() {
    let ws = Workspace::new();
    let cases = [
        (
            "typo.yaml",
            "name: Typo\nsteps:\n  - user: hi\n    bank: { moved: [{ to: payee, amont: 25 }] }\n",
            "typo.yaml:4:",
            "amont",
        ),
        (
            "alias.yaml",
            "name: Alias\nsteps:\n  - user: hi\n    bank:\n      balances: { brokerage: 10 }\n",
            "alias.yaml:5:19:",
            "no account `brokerage`",
        ),
        (
            "template.yaml",
            "name: Template\nsteps:\n  - user: hi\n    bank: { moved: [{ to: \"{{ nobody.id }}\", amount: 1 }] }\n",
            "template.yaml:4:",
            "bank.moved.to",
        ),
        (
            "checks.yaml",
            "name: Checks\nmoney: { confirm: false }\nsteps:\n  - user: hi\n",
            "checks.yaml:2:",
            "confirm",
        ),
    ];
    for (file, text, at, says) in cases {
        ws.write(file, text);
        let run = ws.banter(&["validate", file]);
        assert_eq!(run.code, 2, "{file}: {run:?}");
        assert!(
            run.stderr.contains(at) && run.stderr.contains(says),
            "{file}: {run:?}"
        );
    }
}

#[test]
fn a_leaky_bot_that_reports_a_payment_leaks_the_payee_and_the_amount() {
    let ws = Workspace::new();
    ws.write("banter.yaml", "demo:\n  leaky: true\n");
    let scenarios = repo().join("scenarios/money.yaml");
    let args = [
        "run",
        scenarios.to_str().unwrap(),
        "--config",
        "banter.yaml",
        "--filter",
        "Pay a payee",
    ];
    let (run, report) = ws.banter_json(&args);
    assert_eq!(run.code, 1, "{run:?}");
    let leaks: Vec<(String, String)> = report["scenarios"][0]["leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["location"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("payee", "body:/events/0/params/payee"),
        ("amount", "body:/events/0/params/value"),
    ];
    for (kind, location) in expected {
        assert!(
            leaks.iter().any(|(k, l)| k == kind && l == location),
            "{leaks:?}"
        );
    }
}

#[test]
fn a_payee_who_shares_another_customers_name_is_the_payers_own() {
    // With seed 1, the first scenario's customer pays an "Isidro Ward", and "Isidro Ward" is
    // the second scenario's customer: naming the payee shows no one else's data.
    let ws = Workspace::new();
    ws.write(
        "scenarios/pair.yaml",
        r#"
- name: A payment the account cannot cover is refused and said so n207
  customer:
    accounts:
      - { type: checking, balance: 10.00 }
  steps:
    - user: "pay {{ payee.name }} $25"
      bot: { contains: "Isidro Ward" }
- name: Revoked consent stops bank access for the conversation n344
  customer:
    consent: revoked
  steps:
    - user: "what's my name?"
"#,
    );
    let (run, report) = ws.banter_json(&["run", "scenarios", "--seed", "1"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(report["summary"]["passed"], 2, "{report}");
}
