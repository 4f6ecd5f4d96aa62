//! The Bot Framework connector end to end: banter plays the channel against a real bot
//! process speaking the protocol, reading replies the bot posts back to the channel.

mod common;

use common::{repo, Workspace};

fn workspace(mode: &str) -> Workspace {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/botframework_bot.py");
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: botframework\n  url: \"http://127.0.0.1:{{{{ port }}}}/api/messages\"\n  timeout: 5s\n  start:\n    command: \"exec python3 {}\"\n    env: {{ MODE: \"{mode}\", PORT: \"{{{{ port }}}}\", BANK_URL: \"{{{{ bank.url }}}}\" }}\n    ready: GET /health\n",
            script.display()
        ),
    );
    ws
}

#[test]
fn replies_posted_to_the_channel_are_the_turns_replies() {
    let ws = workspace("normal");
    ws.write(
        "scenarios/s.yaml",
        "name: Balance over the Bot Framework\ncustomer:\n  accounts: [{ type: checking, balance: 1234.56 }]\nsteps:\n  - user: hi\n    bot: { contains: \"How can I help?\", buttons: [Balance, Advisor] }\n  - user: what's my balance?\n    bot: { contains: \"$1,234.56\", quick_replies: [Transactions, Advisor] }\n    bank: { called: [\"GET /fdx/v6/accounts\"] }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("against botframework bot at http://127.0.0.1:"),
        "{run:?}"
    );
}

#[test]
fn a_wrong_reply_fails_and_a_crashing_bot_is_an_error() {
    let ws = workspace("normal");
    ws.write(
        "scenarios/s.yaml",
        "name: Wrong\nsteps: [{ user: what's my balance?, bot: { contains: \"$0.01\" } }]\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 (user: \"what's my balance?\"): reply does not contain \"$0.01\""),
        "{run:?}"
    );

    let broken = workspace("broken");
    broken.write("scenarios/s.yaml", "name: Broken\nsteps: [{ user: hi }]\n");
    let run = broken.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("answered HTTP 500: {\"error\": \"bot crashed\"}"),
        "{run:?}"
    );
}

/// Installs the botbuilder test bot's packages from its lockfile, once.
fn install_botbuilder() -> std::path::PathBuf {
    let dir = repo().join("tests/bots/botbuilder");
    if !dir.join("node_modules/botbuilder").is_dir() {
        let npm = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm is needed for the botbuilder test bot");
        assert!(
            npm.status.success(),
            "npm ci failed: {}",
            String::from_utf8_lossy(&npm.stderr)
        );
    }
    dir.join("bot.js")
}

#[test]
fn a_bot_built_with_the_botbuilder_sdk_is_driven_through_the_channel() {
    let bot = install_botbuilder();
    let ws = Workspace::new();
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: botframework\n  url: \"http://127.0.0.1:{{{{ port }}}}/api/messages\"\n  timeout: 10s\n  start:\n    command: \"exec node {}\"\n    env: {{ PORT: \"{{{{ port }}}}\", BANK_URL: \"{{{{ bank.url }}}}\" }}\n    ready: GET /health\n",
            bot.display()
        ),
    );
    ws.write(
        "scenarios/s.yaml",
        "- name: SDK bot answers\n  customer:\n    accounts: [{ type: checking, balance: 1234.56 }]\n  steps:\n    - user: hi\n      bot: { contains: \"How can I help?\", buttons: [Balance, Advisor] }\n    - user: what is my balance?\n      bot: { contains: \"$1,234.56\", quick_replies: [Transactions, Advisor] }\n      bank: { called: [\"GET /fdx/v6/accounts\"] }\n- name: SDK bot wrong expectation\n  steps:\n    - user: hi\n      bot: { buttons: [Mortgage] }\n",
    );
    let run = ws.banter(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("PASS  SDK bot answers"), "{run:?}");
    assert!(
        run.stdout.contains("FAIL  SDK bot wrong expectation"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("no button \"Mortgage\" is offered"),
        "{run:?}"
    );
}

#[test]
fn a_receipt_card_is_a_receipt_the_matchers_see() {
    let ws = workspace("normal");
    ws.write(
        "scenarios/s.yaml",
        "- name: Receipt\n  steps:\n    - user: receipt please\n      bot: { contains: \"Receipt for Maria Garcia (order pmt_7): Payment; total $25.00\", receipt: { total: \"$25.00\", recipient: maria, order: pmt_7 } }\n- name: Wrong total\n  steps:\n    - user: receipt please\n      bot: { receipt: { total: 26 } }\n",
    );
    let (run, report) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(report["scenarios"][0]["status"], "passed", "{report}");
    let receipt = &report["scenarios"][0]["turns"][0]["replies"][0]["receipt"];
    assert_eq!(receipt["total"], "$25.00", "{report}");
    let failure = &report["scenarios"][1]["failures"][0];
    assert_eq!(failure["message"], "no receipt with total 26", "{report}");
}
