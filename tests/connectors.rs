//! End-to-end tests of the rasa, openai and stdio connectors through the real binary, each
//! against a small Python bot in `tests/bots/` that speaks the protocol and reads the mock
//! bank with the customer's token; and of the `bot:` settings each connector accepts.

mod common;

use std::time::{Duration, Instant};

use common::{repo, Run, Workspace, TWO_TURNS};

/// The shell command that runs one of the Python bots in `tests/bots/`.
fn python_bot(script: &str, mode: &str) -> String {
    format!(
        "exec python3 {} {mode}",
        repo().join("tests/bots").join(script).display()
    )
}

/// Writes a banter.yaml whose `bot:` section is `settings` (indented keys) plus a started
/// Python bot, and `scenarios/s.yaml`; runs `banter run` with `args` and returns the run
/// with its JSON report.
fn run_bot(
    settings: &str,
    script: &str,
    mode: &str,
    scenarios: &str,
    args: &[&str],
) -> (Run, serde_json::Value) {
    let ws = Workspace::new();
    ws.write("scenarios/s.yaml", scenarios).write(
        "banter.yaml",
        &format!(
            "bot:\n{settings}  start:\n    command: \"{}\"\n    env: {{ PORT: \"{{{{ port }}}}\", BANK_URL: \"{{{{ bank.url }}}}\", PID_FILE: \"{}\" }}\n",
            python_bot(script, mode),
            ws.path().join("bot.pid").display()
        ),
    );
    let mut all = vec!["run", "--json", "report.json"];
    all.extend_from_slice(args);
    let run = ws.banter(&all);
    assert_no_process_left(&ws);
    let report = std::fs::read_to_string(ws.path().join("report.json"))
        .map(|text| serde_json::from_str(&text).expect("JSON report"))
        .unwrap_or_default();
    (run, report)
}

/// The bot, which wrote its pid to `bot.pid` as every bot of these tests does, is gone once the run is over.
fn assert_no_process_left(ws: &Workspace) {
    let pid = std::fs::read_to_string(ws.path().join("bot.pid"))
        .expect("the bot wrote its pid to $PID_FILE");
    let pid: i32 = pid.trim().parse().expect("pid");
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "bot process {pid} outlived the run");
}

/// Asserts that the run printed `text`, showing the whole run when it did not.
#[track_caller]
fn assert_says(run: &Run, text: &str) {
    assert!(run.stdout.contains(text), "expected {text:?} in:\n{run:?}");
}

const RASA: &str = "  connector: rasa\n  url: \"http://127.0.0.1:{{ port }}/webhooks/rest/webhook\"\n  timeout: 5s\n";

#[test]
fn rasa_replies_buttons_and_a_failing_expectation() {
    let (run, json) = run_bot(
        RASA,
        "rasa_bot.py",
        "",
        "- name: Rasa balance\n  customer:\n    accounts: [{ type: checking, balance: 2481.17 }]\n  steps:\n    - user: hi\n      bot: { contains: \"this is conversation {{ conversation.id }}. What can I do?\" }\n    - user: what's my balance?\n      bot: { equals: \"Your balance is {{ checking.balance | usd }}.\" }\n- name: Rasa wrong balance\n  customer:\n    accounts: [{ type: checking, balance: 10.00 }]\n  steps:\n    - user: what's my balance?\n      bot: { contains: \"$99.99\" }\n",
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(&run, "against rasa bot at http://127.0.0.1:");
    assert_says(&run, "PASS  Rasa balance");
    assert_says(&run, "FAIL  Rasa wrong balance");
    assert_says(
        &run,
        "turn 1 (user: \"what's my balance?\"): reply does not contain \"$99.99\"",
    );
    assert_says(&run, "Your balance is $10.00.");
    let turns = &json["scenarios"][0]["turns"];
    // The custom payload and the image have no text: one message per turn.
    assert_eq!(turns[0]["replies"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(
        turns[0]["replies"][0]["quick_replies"],
        serde_json::json!(["Check balance", "Talk to an advisor"])
    );
    assert_eq!(
        turns[1]["replies"],
        serde_json::json!([{ "text": "Your balance is $2,481.17." }])
    );
    assert_eq!(
        turns[1]["bank_calls"][0]["path"].as_str(),
        Some("/fdx/v6/accounts"),
        "the bot read the bank with the token from the metadata: {json}"
    );
}

/// Three turns against the OpenAI bot: it counts the user messages, checks the history it
/// is sent against its own replies, and echoes the templated system prompt.
fn openai_conversation(stream: bool) {
    let mode = if stream { "stream" } else { "plain" };
    let (run, _) = run_bot(
        &format!("  connector: openai\n  url: \"http://127.0.0.1:{{{{ port }}}}/v1/chat/completions\"\n  system: \"You help {{{{ customer.first_name }}}} with banking\"\n  stream: {stream}\n  timeout: 5s\n"),
        "openai_bot.py",
        "ok",
        &format!("name: History\ncustomer:\n  accounts: [{{ type: checking, balance: 2481.17 }}]\nsteps:\n  - user: hello\n    bot: {{ contains: \"[{mode}] message 1, 0 earlier replies, system: You help {{{{ customer.first_name }}}} with banking.\", case_sensitive: true }}\n  - user: what's my balance?\n    bot: {{ contains: [\"message 2, 1 earlier replies\", \"Your balance is {{{{ checking.balance | usd }}}}.\"] }}\n  - user: thanks\n    bot: {{ contains: \"message 3, 2 earlier replies\" }}\n"),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_says(&run, "PASS  History");
}

#[test]
fn openai_plain_keeps_the_history() {
    openai_conversation(false);
}

#[test]
fn openai_streamed_joins_the_events_and_keeps_the_history() {
    openai_conversation(true);
}

#[test]
fn openai_non_json_and_http_errors_name_the_bot_and_turn() {
    let settings = "  connector: openai\n  url: \"http://127.0.0.1:{{ port }}/v1/chat/completions\"\n  timeout: 5s\n";
    let (run, _) = run_bot(settings, "openai_bot.py", "nonjson", TWO_TURNS, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(&run, "ERROR Two turns");
    assert_says(
        &run,
        "turn 1 (user: \"hello\"): the openai bot at http://127.0.0.1:",
    );
    assert_says(
        &run,
        "/v1/chat/completions answered with a body that is not JSON: <html><body>Bad gateway",
    );
    let (run, _) = run_bot(settings, "openai_bot.py", "status500", TWO_TURNS, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(
        &run,
        "turn 1 (user: \"hello\"): the bot at http://127.0.0.1:",
    );
    assert_says(
        &run,
        "/v1/chat/completions answered HTTP 500: {\"error\": {\"message\": \"model overloaded\"}}",
    );
}

const STDIO: &str = "  connector: stdio\n  timeout: 5s\n";

#[test]
fn stdio_concurrent_scenarios_each_get_their_own_answers() {
    let scenarios: String = (1..=3)
        .map(|i| format!("- name: Stdio {i}\n  customer:\n    accounts: [{{ type: checking, balance: {i}234.50 }}]\n  steps:\n    - user: hi\n      bot: {{ equals: \"Hello {{{{ conversation.id }}}}! You said: hi\", case_sensitive: true }}\n    - user: my balance\n      bot: {{ equals: \"Your balance is {{{{ checking.balance | usd }}}}.\" }}\n"))
        .collect();
    let (run, json) = run_bot(STDIO, "stdio_bot.py", "ok", &scenarios, &["--jobs", "3"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_says(&run, "3 scenarios: 3 passed");
    assert_says(
        &run,
        &format!("against stdio bot `{}`", python_bot("stdio_bot.py", "ok")),
    );
    assert_eq!(
        json["scenarios"][2]["turns"][1]["replies"],
        serde_json::json!([{ "text": "Your balance is $3,234.50.", "quick_replies": ["Recent transactions", "Talk to an advisor"] }])
    );
}

#[test]
fn stdio_a_line_that_is_not_json_is_an_error() {
    let (run, _) = run_bot(STDIO, "stdio_bot.py", "nonjson", TWO_TURNS, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(&run, "ERROR Two turns");
    let bot = python_bot("stdio_bot.py", "nonjson");
    assert_says(
        &run,
        &format!("turn 1 (user: \"hello\"): the stdio bot `{bot}` answered with a body that is not JSON: Hello! (this line is not JSON)"),
    );
}

#[test]
fn stdio_a_bot_that_exits_is_reported_with_its_status_and_stderr() {
    let (run, _) = run_bot(STDIO, "stdio_bot.py", "die", TWO_TURNS, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let bot = python_bot("stdio_bot.py", "die");
    assert_says(
        &run,
        &format!("turn 2 (user: \"balance please\"): the stdio bot `{bot}` closed its stdout without answering (the bot process exited with exit status: 3)"),
    );
    assert_says(&run, "| stdio bot (die) started");
    assert_says(&run, "| fatal: lost the ledger while handling message 2");
}

#[test]
fn stdio_a_bot_that_never_answers_is_caught_by_the_turn_timeout() {
    let started = Instant::now();
    let (run, _) = run_bot(
        "  connector: stdio\n  timeout: 1s\n",
        "stdio_bot.py",
        "hang",
        TWO_TURNS,
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(&run, "ERROR Two turns");
    assert_says(
        &run,
        &format!(
            "turn 1 (user: \"hello\"): stdio bot `{}` did not answer within 1s",
            python_bot("stdio_bot.py", "hang")
        ),
    );
    assert!(!run.stdout.contains("turn 2"), "{run:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{run:?}");
}

#[test]
fn stdio_a_late_answer_is_not_taken_for_the_next_message() {
    let (run, _) = run_bot(
        "  connector: stdio\n  timeout: 1s\n",
        "stdio_bot.py",
        "late",
        "- name: First\n  steps: [{ user: hi }]\n- name: Second\n  steps: [{ user: hello again }]\n",
        &["--jobs", "1"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_says(&run, "turn 1 (user: \"hi\"): stdio bot `");
    assert_says(&run, "did not answer within 1s");
    let bot = python_bot("stdio_bot.py", "late");
    assert_says(
        &run,
        &format!("turn 1 (user: \"hello again\"): the stdio bot `{bot}` did not answer a previous message in time, so its answers can no longer be matched to messages"),
    );
    assert!(
        !run.stdout.contains("You said"),
        "the late answer was used: {run:?}"
    );
}

#[test]
fn bot_settings_must_fit_the_connector() {
    let cases = [
        ("bot:\n  connector: rasa\n", "banter.yaml: bot.url: connector rasa needs the bot's URL"),
        (
            "bot:\n  connector: stdio\n  url: http://127.0.0.1:1/\n  start: { command: cat }\n",
            "banter.yaml: bot.url: connector stdio does not use it (used by http, rasa, openai, messenger, botframework)",
        ),
        (
            "bot:\n  url: http://127.0.0.1:1/chat\n  model: gpt-4o\n",
            "banter.yaml: bot.model: connector http does not use it (used by openai)",
        ),
        (
            "bot:\n  connector: stdio\n",
            "banter.yaml: bot.start.command: connector stdio needs the command that starts the bot",
        ),
        (
            "bot:\n  connector: stdio\n  start: { command: cat, ready: GET /health }\n",
            "banter.yaml: bot.start.ready: connector stdio does not use it",
        ),
        (
            "bot:\n  connector: rassa\n",
            "banter.yaml:2:14: bot.connector: unknown variant `rassa`, expected one of `http`, `rasa`, `openai`, `stdio`, `messenger`, `botframework` (did you mean `rasa`?)",
        ),
    ];
    for (config, expected) in cases {
        let ws = Workspace::new();
        ws.write("scenarios/ok.yaml", TWO_TURNS)
            .write("banter.yaml", config);
        let run = ws.banter(&["run"]);
        assert_eq!(run.code, 2, "{config}: {run:?}");
        assert!(
            run.stderr.starts_with(&format!("error: {expected}")),
            "{config}: {run:?}"
        );
    }
}
