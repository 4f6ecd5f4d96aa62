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
