//! The Messenger connector end to end: banter plays the Messenger Platform against the
//! demo bot started as a real process, and catches a bot that breaks the protocol.

mod common;

use common::{repo, Workspace};

/// A workspace whose banter.yaml starts the demo bot as a Messenger bot, handing it
/// `verify_token` and `page_token` (templates) rather than the ones banter expects.
fn messenger_workspace(verify_token: &str, page_token: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  timeout: 5s\n  start:\n    command: \"exec '{}' demo-bot --port {{{{ port }}}}\"\n    env:\n      BANK_URL: \"{{{{ bank.url }}}}\"\n      GRAPH_URL: \"{{{{ graph.url }}}}\"\n      APP_SECRET: \"{{{{ messenger.app_secret }}}}\"\n      VERIFY_TOKEN: \"{verify_token}\"\n      PAGE_TOKEN: \"{page_token}\"\n    ready: GET /health\n",
            env!("CARGO_BIN_EXE_banter")
        ),
    );
    ws
}

const VERIFY: &str = "{{ messenger.verify_token }}";
const PAGE: &str = "{{ messenger.page_token }}";

#[test]
fn messenger_scenarios_pass_through_signed_webhooks_and_the_send_api() {
    let ws = messenger_workspace(VERIFY, PAGE);

    let report = ws.path().join("r.json");
    let scenarios = repo().join("scenarios/messenger");
    let run = ws.banter(&[
        "run",
        scenarios.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(json["summary"]["passed"], 9, "{json}");
    let greeting = &json["scenarios"][0]["turns"][0]["replies"][0];
    assert_eq!(
        greeting["buttons"],
        serde_json::json!(["Balance", "Transactions", "Advisor"]),
        "button template titles: {json}"
    );
    assert_eq!(json["scenarios"][0]["turns"][1]["user_kind"], "postback");
}

#[test]
fn a_button_that_is_not_offered_fails_the_turn() {
    let ws = messenger_workspace(VERIFY, PAGE);

    ws.write(
        "scenarios/s.yaml",
        "name: Buttons\nsteps:\n  - user: hi\n    bot: { buttons: [Balance, Mortgage], quick_replies: Balance }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 (user: \"hi\"): no button \"Mortgage\" is offered"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("no quick reply \"Balance\" is offered"),
        "buttons are not quick replies: {run:?}"
    );
}

#[test]
fn a_webhook_that_fails_verification_stops_the_run() {
    let ws = messenger_workspace("not-the-token", PAGE);
    ws.write("scenarios/s.yaml", "name: Hi\nsteps: [{ user: hi }]\n");

    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("failed the webhook verification: it answered HTTP 403"),
        "{run:?}"
    );
}

#[test]
fn a_send_api_call_with_a_wrong_page_token_is_an_error() {
    let ws = messenger_workspace(VERIFY, "wrong-token");
    ws.write(
        "scenarios/s.yaml",
        "name: Hi\ncustomer: { consent: none }\nsteps: [{ user: hi }]\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 (user: \"hi\"): the messenger bot at http://127.0.0.1:"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(
            "made a Send API call the Graph API refuses: the page access token is wrong or missing"
        ),
        "{run:?}"
    );
}

#[test]
fn webhook_signatures_are_hmac_sha256_of_the_body() {
    let body = "{\"object\":\"page\"}";
    let expected = format!("sha256={}", python_hmac("secret", body));
    assert_eq!(
        banter::testing::signature("secret", body.as_bytes()),
        expected
    );
}

/// HMAC-SHA256 hex computed by Python's standard library, as an independent reference.
fn python_hmac(key: &str, body: &str) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())", key, body])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn webhook_checks_catch_a_bot_that_skips_signature_verification() {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/messenger_bot.py");
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  start:\n    command: \"exec python3 {}\"\n    env: {{ PORT: \"{{{{ port }}}}\", GRAPH_URL: \"{{{{ graph.url }}}}\", VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\", PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\" }}\n    ready: GET /health\n",
            script.display()
        ),
    );
    std::fs::create_dir_all(ws.path().join("scenarios")).unwrap();
    std::fs::copy(
        repo().join("scenarios/messenger/security.yaml"),
        ws.path().join("scenarios/security.yaml"),
    )
    .unwrap();
    ws.write(
        "scenarios/advisor.yaml",
        "name: Advisor\nsteps: [{ user: advisor please, bot: { handover: true } }]\n",
    );
    let run = ws.banter(&["run"]);
    assert!(
        run.stdout.contains(
            "turn 1 (user: \"advisor please\"): the bot did not hand the conversation over"
        ),
        "{run:?}"
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 2 (user: \"hi\"): the messenger bot at http://127.0.0.1:")
            && run.stdout.contains(
                "accepted a webhook event with a wrong signature instead of answering 4xx"
            ),
        "{run:?}"
    );
}

#[test]
fn webhook_checks_need_a_webhook() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/s.yaml",
        "name: Check\nsteps: [{ user: { webhook: unsigned } }]\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("has no webhook to check"), "{run:?}");
}

/// A workspace with the careless Python Messenger bot in `mode`.
fn careless_bot(mode: &str) -> Workspace {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/messenger_bot.py");
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  start:\n    command: \"exec python3 {}\"\n    env: {{ MODE: {mode}, APP_SECRET: \"{{{{ messenger.app_secret }}}}\", PORT: \"{{{{ port }}}}\", GRAPH_URL: \"{{{{ graph.url }}}}\", VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\", PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\" }}\n    ready: GET /health\n",
            script.display()
        ),
    );
    ws
}

#[test]
fn a_reply_sent_to_another_conversation_is_cross_talk() {
    let ws = careless_bot("crosstalk");
    ws.write(
        "scenarios/two.yaml",
        "- name: First\n  customer: { consent: none }\n  steps: [{ user: hi }]\n- name: Second\n  customer: { consent: none }\n  steps: [{ user: hi }]\n",
    );
    let run = ws.banter(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("PASS  First"), "{run:?}");
    assert!(
        run.stdout
            .contains("which was not waiting for one (cross-talk)"),
        "{run:?}"
    );
}

#[test]
fn a_reply_to_an_unknown_psid_is_refused() {
    let ws = careless_bot("unknown");
    ws.write(
        "scenarios/s.yaml",
        "name: Hi\ncustomer: { consent: none }\nsteps: [{ user: hi }]\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("the recipient `999` is not a user of this page"),
        "{run:?}"
    );
}

#[test]
fn a_bot_that_checks_only_the_sha1_signature_accepts_signed_events() {
    let ws = careless_bot("sha1");
    ws.write(
        "scenarios/s.yaml",
        "name: SHA-1\nsteps:\n  - { user: hi, bot: { contains: Hello } }\n  - user: { webhook: bad_signature }\n  - user: { webhook: unsigned }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
}
