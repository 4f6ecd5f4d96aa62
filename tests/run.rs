//! End-to-end tests of `banter run` through the real binary: verdicts, exit codes and error messages.

mod common;

use common::{banter_in, repo, Workspace, TWO_TURNS};

#[test]
fn repository_scenarios_pass_against_the_demo_bot() {
    let run = banter_in(&repo(), &["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(" 0 failed, 0 errors"), "{run:?}");
    assert!(
        run.stdout.lines().filter(|l| l.starts_with("PASS")).count() >= 10,
        "{run:?}"
    );
}

#[test]
fn a_wrong_expectation_exits_1_and_names_the_turn() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/wrong.yaml",
        "name: Wrong balance\ncustomer:\n  accounts: [{ type: checking, balance: 10.00 }]\nsteps:\n  - user: hi\n    bot: { contains: hello }\n  - user: what's my checking balance?\n    bot: { contains: \"$99.99\" }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL  Wrong balance"), "{run:?}");
    assert!(
        run.stdout.contains(
            "turn 2 (user: \"what's my checking balance?\"): reply does not contain \"$99.99\""
        ),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("has a balance of $10.00"),
        "the actual reply is shown: {run:?}"
    );
}

#[test]
fn a_wrong_bank_expectation_fails() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/bank.yaml",
        "name: Bank expectation\nsteps:\n  - user: talk to an advisor\n    bank: { called: [\"GET /fdx/v6/accounts\"] }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "turn 1 (user: \"talk to an advisor\"): the bot did not call GET /fdx/v6/accounts"
        ),
        "{run:?}"
    );
}

#[test]
fn malformed_yaml_exits_2_with_file_line_and_column() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/bad.yaml",
        "name: Broken\nsteps:\n  - user: \"unterminated\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.stderr.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("error: scenarios/bad.yaml:4:1: found unexpected end of stream"),
        "{run:?}"
    );
    assert!(
        line.ends_with("while scanning a quoted scalar at line 3 column 11"),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {run:?}");
}

#[test]
fn an_unknown_key_exits_2_with_a_suggestion() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/typo.yaml",
        "name: Typo\nsteps:\n  - user: hi\n    bot: { contians: hello }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("scenarios/typo.yaml:4:"), "{run:?}");
    assert!(
        run.stderr.contains("unknown field `contians`")
            && run.stderr.contains("did you mean `contains`?"),
        "{run:?}"
    );
    let validate = ws.banter(&["validate"]);
    assert_eq!(validate.code, 2, "{validate:?}");
}

#[test]
fn an_unknown_key_in_the_config_exits_2() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS);
    ws.write(
        "banter.yaml",
        "bot:\n  url: http://127.0.0.1:1/chat\n  timout: 1s\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("banter.yaml:3:") && run.stderr.contains("did you mean `timeout`?"),
        "{run:?}"
    );
}

#[test]
fn an_unreachable_bot_is_an_error_naming_the_bot_and_turn() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS);
    ws.write(
        "banter.yaml",
        "bot:\n  url: http://127.0.0.1:9/chat\n  timeout: 2s\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("ERROR Two turns"), "{run:?}");
    assert!(
        run.stdout.contains(
            "turn 1 (user: \"hello\"): cannot reach the bot at http://127.0.0.1:9/chat: "
        ),
        "{run:?}"
    );
}

#[test]
fn a_hanging_bot_is_caught_by_the_turn_timeout() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS)
        .misbehaving_bot("hang", "1s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 (user: \"hello\"): http bot at http://127.0.0.1:"),
        "{run:?}"
    );
    assert!(run.stdout.contains("did not answer within 1s"), "{run:?}");
}

#[test]
fn a_bot_that_dies_mid_run_is_reported_with_its_output() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS)
        .misbehaving_bot("die", "5s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("ERROR Two turns"), "{run:?}");
    assert!(
        run.stdout.contains("turn 2 (user: \"balance please\")"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("the bot process exited with exit status: 3"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("| fatal: out of memory while handling message 2"),
        "{run:?}"
    );
}

#[test]
fn a_non_json_reply_is_an_error() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS)
        .misbehaving_bot("nonjson", "5s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("answered with a body that is not JSON: <html><body>Service unavailable"),
        "{run:?}"
    );
}

#[test]
fn an_http_error_from_the_bot_is_an_error() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS)
        .misbehaving_bot("status500", "5s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("answered HTTP 500: {\"error\": \"boom\"}"),
        "{run:?}"
    );
}

#[test]
fn a_bot_that_reads_another_customers_account_fails_isolation() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/two.yaml",
        "- name: First customer\n  steps: [{ user: balance }]\n- name: Second customer\n  steps: [{ user: balance }]\n",
    )
    .misbehaving_bot("cache", "5s");
    let run = ws.banter(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("PASS  First customer"), "{run:?}");
    assert!(run.stdout.contains("FAIL  Second customer"), "{run:?}");
    assert!(
        run.stdout
            .contains("the bot requested another customer's account: GET /fdx/v6/accounts/acc_"),
        "{run:?}"
    );
}

#[test]
fn a_bot_that_ignores_missing_consent_fails_not_called() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path().join("scenarios")).unwrap();
    std::fs::copy(
        repo().join("scenarios/consent_none.yaml"),
        ws.path().join("scenarios/consent_none.yaml"),
    )
    .unwrap();
    ws.misbehaving_bot("sloppy", "5s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 (user: \"hi\"): the bot called * /**"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("GET /fdx/v6/accounts -> 401"),
        "{run:?}"
    );
}

#[test]
fn a_started_bot_leaves_no_process_behind() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/ok.yaml",
        "name: Echo\nsteps: [{ user: hi, bot: { contains: hi } }]\n",
    )
    .misbehaving_bot("echo", "5s");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!ws.bot_alive(), "the bot process outlived the run");
}

#[test]
fn the_demo_bot_can_run_as_a_started_process() {
    let ws = Workspace::new();
    let scenarios = repo().join("scenarios");
    ws.demo_bot();
    let run = ws.banter(&["run", scenarios.to_str().unwrap(), "--tag", "smoke"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("0 failed, 0 errors"), "{run:?}");
}

#[test]
fn the_demo_bot_reports_a_port_in_use() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let run = banter_in(
        &repo(),
        &[
            "demo-bot",
            "--port",
            &port,
            "--bank-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(&format!("127.0.0.1:{port}")), "{run:?}");
}

#[test]
fn filters_select_scenarios_and_an_empty_selection_is_usage_error() {
    let run = banter_in(&repo(), &["run", "--filter", "advisor"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("1 scenarios: 1 passed"), "{run:?}");
    let none = banter_in(&repo(), &["run", "--tag", "no-such-tag"]);
    assert_eq!(none.code, 2, "{none:?}");
}

/// Runs a quick scenario and a slow one, sends `signal` once the quick one has finished, and
/// checks that the run exits with `code` and writes the quick one's reports.
fn interrupt_mid_run(ws: &Workspace, signal: libc::c_int, code: i32) {
    ws.write(
        "scenarios/slow.yaml",
        "- name: Quick\n  steps: [{ user: advisor please }]\n- name: Slow\n  faults: [{ path: \"/fdx/**\", delay: 30s }]\n  steps: [{ user: balance }, { user: balance }]\n",
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_banter"))
        .args(["run", "--jobs", "2"])
        .args(ws.report_args())
        .current_dir(ws.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: signals the child we spawned.
    unsafe { libc::kill(child.id() as i32, signal) };
    let run = common::finish_within(child, std::time::Duration::from_secs(30));
    assert_eq!(run.code, code, "{run:?}");
    let [json, junit, html] = ws.reports();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["interrupted"], true);
    assert_eq!(json["scenarios"].as_array().unwrap().len(), 1);
    assert_eq!(json["scenarios"][0]["name"], "Quick");
    assert!(
        junit.contains("name=\"Quick\"") && !junit.contains("Slow"),
        "{junit}"
    );
    assert!(html.contains("Quick"), "{html}");
}

#[test]
fn an_interrupted_run_reports_the_finished_scenarios() {
    let ws = Workspace::new();
    ws.write("banter.yaml", "");
    interrupt_mid_run(&ws, libc::SIGINT, 130);
}

#[test]
fn a_terminated_run_stops_the_bot_and_reports_the_finished_scenarios() {
    let ws = Workspace::new();
    ws.demo_bot();
    interrupt_mid_run(&ws, libc::SIGTERM, 143);
    assert!(!ws.bot_alive(), "the bot process outlived the run");
}

#[test]
fn the_html_report_escapes_what_the_bot_said() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/x.yaml",
        "name: Script\nsteps: [{ user: \"<script>alert('x')</script> & <b>\", bot: { contains: nothing-like-this } }]\n",
    )
    .misbehaving_bot("echo", "5s");
    let html = ws.path().join("out/report.html");
    let run = ws.banter(&["run", "--html", html.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<title>banter report</title>"), "{page}");
    assert!(
        page.contains(
            "You said: &lt;script&gt;alert(&#x27;x&#x27;)&lt;&#x2f;script&gt; &amp; &lt;b&gt;"
        ),
        "{page}"
    );
    assert!(
        !page.contains("<script>alert"),
        "unescaped bot text in {page}"
    );
}

#[test]
fn a_wrong_reply_count_fails() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/count.yaml",
        "name: Count\nsteps:\n  - user: show my last 2 transactions\n    bot: { replies: 3 }\n  - user: hi\n    bot: { replies: 2 }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 2 (user: \"hi\"): the bot sent 1 replies, not 2"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains("turn 1 "),
        "turn 1 has 3 replies: {run:?}"
    );
}

#[test]
fn jobs_beyond_the_scenario_count_run_and_zero_jobs_is_a_usage_error() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS)
        .misbehaving_bot("echo", "5s");
    let huge = (1u64 << 61).to_string();
    // Before, the run spun at 100% CPU starting 2^61 workers; the run now ends within the limit.
    let run = ws.banter(&["run", "--jobs", &huge]);
    assert_eq!(run.code, 0, "{run:?}");
    let zero = ws.banter(&["run", "--jobs", "0"]);
    assert_eq!(zero.code, 2, "{zero:?}");
    assert!(zero.stderr.contains("'--jobs <JOBS>'"), "{zero:?}");
}

#[test]
fn a_started_bot_whose_port_another_server_holds_is_refused() {
    // Another server already answers on the bot's fixed port, as a passing bot would.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in other.incoming().flatten() {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let _ = stream.read(&mut [0; 4096]);
            let body = r#"{"replies": [{"text": "hello, your balance"}]}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS).write(
        "banter.yaml",
        &format!("bot:\n  url: http://127.0.0.1:{port}/chat\n  start:\n    command: \"sleep 5\"\n"),
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        format!("error: bot `sleep 5`: 127.0.0.1:{port} already accepts connections before the bot is started; another process holds the bot's port"),
        "{run:?}"
    );
}

#[test]
fn a_hostile_bot_cannot_drive_the_terminal_or_flood_the_reports() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/x.yaml",
        "name: Hostile\nsteps: [{ user: hi, bot: { contains: nothing-like-this } }]\n",
    )
    .misbehaving_bot("hostile", "20s");
    let run = ws.banter_reporting(&["run"]);
    assert_eq!(run.code, 1, "{}", &run.stderr);
    let terminal = &run.stdout;
    assert!(
        !terminal.contains(['\u{1b}', '\u{7}', '\0']),
        "raw control characters on the terminal"
    );
    assert!(
        terminal.contains(r"| \u{1b}[2J\u{1b}]0;pwned\u{7} bell\u{7} nul\0 done"),
        "{}",
        &terminal[..terminal.len().min(20_000)]
    );
    let marker = "… [truncated: 10485760 bytes, full text in the JSON report]";
    assert!(
        terminal.contains(marker),
        "{}",
        &terminal[..terminal.len().min(20_000)]
    );
    assert!(
        terminal.len() < 64 * 1024,
        "terminal output: {} bytes",
        terminal.len()
    );
    let [json, junit, html] = ws.reports();
    assert!(junit.len() < 64 * 1024, "JUnit: {} bytes", junit.len());
    assert!(junit.contains(marker) && !junit.contains(['\u{1b}', '\0']));
    assert!(html.len() < 64 * 1024, "HTML: {} bytes", html.len());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let reply = json["scenarios"][0]["turns"][0]["replies"][0]["text"]
        .as_str()
        .unwrap();
    assert_eq!(reply.len(), 10 * 1024 * 1024);
    assert!(reply.ends_with("tail"));
}

#[test]
fn no_token_or_code_of_the_run_appears_in_any_report() {
    let ws = Workspace::new();
    let names = ["First tattle", "Second tattle", "Third tattle"];
    let scenarios: String = names
        .iter()
        .map(|n| {
            format!(
                "- name: {n}\n  steps: [{{ user: hi, bot: {{ contains: nothing-like-this }} }}]\n"
            )
        })
        .collect();
    ws.write("scenarios/tattle.yaml", &scenarios)
        .misbehaving_bot("tattle", "5s");
    // Every secret banter issues in the run: the scenarios' customers' and the bank's decoys'.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bank = runtime.block_on(banter::testing::Bank::start(1)).unwrap();
    let mut customers: Vec<_> = names
        .iter()
        .map(|n| banter::Customer::generate(1, n, &Default::default()))
        .collect();
    customers.extend(bank.decoys().iter().cloned());
    let secrets: Vec<String> = customers
        .iter()
        .flat_map(|c| [Some(c.token.clone()), c.authorization_code()])
        .flatten()
        .collect();
    assert_eq!(
        secrets.len(),
        2 * customers.len(),
        "every customer has a token"
    );
    ws.write("tattle.txt", &secrets.join("\n"));
    let run = ws.banter_reporting(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Your token is [REDACTED]"), "{run:?}");
    assert!(
        run.stdout.contains("| received token [REDACTED]"),
        "{run:?}"
    );
    let [json, junit, html] = ws.reports();
    let outputs = [
        ("terminal", run.stdout.clone()),
        ("JSON", json),
        ("JUnit", junit),
        ("HTML", html),
    ];
    for (output, text) in &outputs {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} in the {output} report:\n{text}"
            );
        }
    }
}

#[test]
fn deeply_nested_yaml_fails_at_once_where_it_passes_the_limit() {
    let ws = Workspace::new();
    ws.write("scenarios/deep.yaml", &"[".repeat(100_000));
    let started = std::time::Instant::now();
    let run = ws.banter(&["validate"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: scenarios/deep.yaml:1:256: nested deeper than 256 levels",
        "{run:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn only_regular_files_are_scenarios() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS);
    let fifo = ws.path().join("scenarios/x.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let walked = ws.banter(&["validate"]);
    assert_eq!(walked.code, 0, "{walked:?}");
    assert_eq!(
        walked.stderr.trim(),
        "note: skipping scenarios/x.yaml: a FIFO, not a regular file or directory",
        "{walked:?}"
    );
    assert!(
        walked.stdout.contains("1 scenarios are valid"),
        "{walked:?}"
    );
    for args in [
        &["validate", "scenarios/x.yaml"][..],
        &["run", "scenarios/x.yaml"],
        &["run", "--config", "scenarios/x.yaml"],
    ] {
        let named = ws.banter(args);
        assert_eq!(named.code, 2, "{named:?}");
        assert!(
            named
                .stderr
                .ends_with("error: scenarios/x.yaml: a FIFO, not a regular file or directory\n"),
            "{named:?}"
        );
    }
}

#[test]
fn a_device_named_as_a_path_is_called_what_it_is() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS);
    for args in [
        &["validate", "/dev/zero"][..],
        &["run", "--config", "/dev/zero"],
    ] {
        let run = ws.banter(args);
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.stderr.trim(),
            "error: /dev/zero: a character device, not a regular file or directory",
            "{run:?}"
        );
    }
}

#[test]
fn a_json_pointer_without_a_leading_slash_is_a_located_config_error() {
    let ws = Workspace::new();
    ws.write("scenarios/ok.yaml", TWO_TURNS);
    for (key, line) in [("replies", 3), ("text", 4), ("quick_replies", 5)] {
        let mut config = String::from(
            "bot:\n  url: http://127.0.0.1:1/chat\n  replies: /replies\n  text: /text\n  quick_replies: /quick_replies\n",
        );
        config = config.replace(&format!("{key}: /"), &format!("{key}: "));
        ws.write("banter.yaml", &config);
        let run = ws.banter(&["run"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: banter.yaml:{line}:{}: bot.{key}: invalid JSON pointer `{key}`: it starts with `/`",
                key.len() + 5
            )),
            "{run:?}"
        );
    }
}

#[test]
fn validate_rejects_template_variables_that_the_run_would_not_define() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/vars.yaml",
        "name: Vars\ncustomer:\n  accounts: [{ type: checking }]\nsteps:\n  - user: \"{{ customer.first_name }} {{ checking.id }} {{ conversation.id }} {{ bank.url }} {{ sinks.meta.url }}\"\n    bot: { contains: \"{{ customer.accounts[0].balance | usd }}\" }\n    bank: { called: [\"GET /fdx/v6/accounts/{{ checking.id }}\"] }\n  - user: hi\n    bot: { not_contains: [\"x\", \"{{ savings.id }}\"] }\n",
    );
    let run = ws.banter(&["validate"]);
    assert_eq!(run.code, 2, "{run:?}");
    let line = run.stderr.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("error: scenarios/vars.yaml:9:33: steps[1].bot.not_contains: template `{{ savings.id }}`: undefined value"),
        "{run:?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "the run refuses it up front: {run:?}");
    ws.write(
        "scenarios/vars.yaml",
        &std::fs::read_to_string(ws.path().join("scenarios/vars.yaml"))
            .unwrap()
            .replace("savings.id", "checking.number"),
    );
    let run = ws.banter(&["validate"]);
    assert_eq!(run.code, 0, "{run:?}");
}
