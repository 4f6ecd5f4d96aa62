//! The capture proxy end to end: started Python bots, unmodified, call Mixpanel, trackers,
//! their bank and the Messenger Send API at their real HTTPS addresses; banter points them at
//! the proxy and its CA, so nothing leaves the machine. Sinks answer as the real services do,
//! the bank and Graph hosts reach banter's mocks, what reached other hosts is scanned and
//! judged, and a client that refuses the proxy's certificate is reported by host. A bot that
//! banter does not start uses the proxy at a fixed address with a CA kept across runs.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{repo, Workspace};

const MIXPANEL: &str = "name: Proxied\nsteps:\n  - user: \"my email is {{ customer.email }}\"\n    bot: { contains: 'mixpanel answered {\"error\":null,\"status\":1}' }\n";

/// A workspace whose banter.yaml starts the proxied bot with `modes` and the extra `env`
/// entries (`, KEY: value`), with `more` appended (`capture:`, `sinks:`), and `scenario`.
fn workspace(modes: &str, env: &str, more: &str, scenario: &str) -> Workspace {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/proxied_bot.py");
    ws.write("scenarios/s.yaml", scenario).write(
        "banter.yaml",
        &format!(
            "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  start:\n    command: \"exec python3 {} {modes}\"\n    env: {{ PORT: \"{{{{ port }}}}\"{env} }}\n    ready: GET /health\n{more}",
            script.display()
        ),
    );
    ws
}

/// Runs banter in `ws` with every report, and returns the run and the JSON report.
fn run_in(ws: &Workspace) -> (common::Run, serde_json::Value) {
    let run = ws.banter_reporting(&["run"]);
    let report = std::fs::read_to_string(ws.path().join("report.json"))
        .map(|text| serde_json::from_str(&text).expect("JSON report"))
        .unwrap_or_default();
    (run, report)
}

/// Runs the proxied bot in `modes` with `more` in banter.yaml.
fn run_bot(modes: &str, more: &str) -> (common::Run, serde_json::Value) {
    run_in(&workspace(modes, "", more, MIXPANEL))
}

/// The leaks of the report's first scenario.
fn leaks(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["scenarios"][0]["leaks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The first scenario's leak of its customer's email.
fn email_leak(report: &serde_json::Value) -> serde_json::Value {
    let found = leaks(report);
    found
        .iter()
        .find(|leak| leak["kind"] == "email")
        .cloned()
        .unwrap_or_else(|| panic!("no email leak in {found:?}"))
}

/// The egress entry for `host`.
fn egress<'a>(report: &'a serde_json::Value, host: &str) -> &'a serde_json::Value {
    report["egress"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["host"] == host))
        .unwrap_or_else(|| panic!("no egress to {host} in {report}"))
}

#[test]
fn a_started_bot_reaches_the_sinks_through_the_proxy_at_real_hosts() {
    let (run, report) = run_bot("clean", "");
    assert_eq!(run.code, 0, "{run:?}");
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["status"], "passed", "{run:?}");
    assert_eq!(scenario["leaks"], serde_json::json!([]), "{scenario}");
    // The Mixpanel event holds no customer value: it is the run's, not the scenario's.
    assert_eq!(report["unattributed"]["requests"], 1, "{report}");
    assert_eq!(
        report["egress"],
        serde_json::json!([{"sink": "mixpanel", "host": "api.mixpanel.com", "requests": 1, "with_customer_values": 0}]),
        "{report}"
    );
    let named = run.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        named.starts_with("banter: capture proxy http://127.0.0.1:"),
        "the proxy and its CA are named first: {run:?}"
    );
    let (_, cert) = named
        .split_once(", CA certificate ")
        .unwrap_or_else(|| panic!("no CA path in {named}"));
    assert!(cert.ends_with("/banter-ca.pem"), "{named}");
    // The run's CA is gone with the run.
    let dir = std::path::Path::new(cert)
        .parent()
        .expect("the CA's directory");
    assert!(!dir.exists(), "{} outlived the run", dir.display());
}

#[test]
fn a_customer_value_sent_to_an_unknown_host_fails_the_scenario() {
    let (run, report) = run_bot("leaky", "");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(report["scenarios"][0]["status"], "failed", "{run:?}");
    let email = email_leak(&report);
    assert_eq!(email["sink"], "unknown");
    assert_eq!(email["request"], "POST tracker.example.net/collect");
    assert_eq!(email["location"], "body:/said");
    assert_eq!(email["allowed"], false);
    assert!(
        run.stdout.contains("tracker.example.net"),
        "the terminal names the host: {run:?}"
    );
    // The egress inventory names every host the bot reached, with what it carried.
    let unknown = egress(&report, "tracker.example.net");
    assert_eq!(unknown["sink"], "unknown");
    assert_eq!(unknown["with_customer_values"], 1, "{unknown}");
    assert!(
        run.stdout
            .contains("unknown tracker.example.net: 1 requests, 1 with customer values"),
        "{run:?}"
    );
}

#[test]
fn with_unknown_report_a_value_at_an_unknown_host_is_reported_and_does_not_fail() {
    let (run, report) = run_bot("leaky", "capture: { unknown: report }\n");
    assert_eq!(run.code, 0, "{run:?}");
    let email = email_leak(&report);
    assert_eq!(
        (&email["sink"], &email["allowed"]),
        (&serde_json::json!("unknown"), &serde_json::json!(true)),
        "{email}"
    );
}

#[test]
fn requests_to_the_banks_production_host_reach_the_mock_bank_as_bank_calls() {
    const BALANCE: &str = "name: Balance\nsteps:\n  - user: balance please\n    bot: { contains: \"balance {{ customer.accounts[0].balance | usd }}\" }\n    bank: { called: [\"GET /fdx/v6/accounts\"] }\n";
    let bank_url = ", BANK_URL: \"https://api.examplebank.com\"";
    let ws = workspace(
        "bank",
        bank_url,
        "capture: { bank_hosts: [API.ExampleBank.com] }\n",
        BALANCE,
    );
    let (run, report) = run_in(&ws);
    assert_eq!(run.code, 0, "{run:?}");
    let calls = &report["scenarios"][0]["turns"][0]["bank_calls"];
    assert_eq!(calls[0]["path"], "/fdx/v6/accounts", "{report}");
    assert_eq!(calls[0]["status"], 200, "{report}");
    let bank = egress(&report, "api.examplebank.com");
    assert_eq!(bank["sink"], "bank", "{bank}");
    assert_eq!(bank["requests"], 1, "{bank}");
    let [_, _, html] = ws.reports();
    assert!(
        html.contains("<td>bank</td><td>api.examplebank.com</td><td>1</td>"),
        "the HTML report lists the bank host: {html}"
    );

    // Without the setting, the bank host is a stranger: nothing answers as the bank.
    let ws = workspace("bank", bank_url, "", BALANCE);
    let (run, report) = run_in(&ws);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(egress(&report, "api.examplebank.com")["sink"], "unknown");
}

#[test]
fn hosts_matching_a_glob_go_to_the_sink_it_names_and_its_kind_decides() {
    let sinks = |kind: &str| {
        format!("sinks: [{{ name: tracker, kind: {kind} }}]\ncapture:\n  hosts:\n    - {{ host: \"*.Tracker.example\", sink: tracker }}\n")
    };
    let (run, report) = run_bot("glob", &sinks("analytics"));
    assert_eq!(run.code, 1, "{run:?}");
    let email = email_leak(&report);
    assert_eq!(email["sink"], "tracker", "{email}");
    assert_eq!(email["request"], "POST cdn.tracker.example/collect");
    assert_eq!(email["allowed"], false);
    assert_eq!(egress(&report, "cdn.tracker.example")["sink"], "tracker");

    let (run, report) = run_bot("glob", &sinks("other"));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        leaks(&report).iter().all(|leak| leak["allowed"] == true),
        "{report}"
    );
}

#[test]
fn a_host_routed_to_a_sink_the_run_does_not_have_is_a_located_config_error() {
    let (run, _) = run_bot(
        "glob",
        "capture:\n  hosts:\n    - { host: \"*.tracker.example\", sink: trackr }\n",
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(
            "banter.yaml:9:42: capture.hosts: `*.tracker.example` routes to sink `trackr`"
        ),
        "{run:?}"
    );
}

#[test]
fn a_client_that_refuses_the_proxys_certificate_is_reported_by_host() {
    const PINNED: &str =
        "name: Pinned\nsteps:\n  - user: hello\n    bot: { contains: pinned call refused }\n";
    let ws = workspace("pinned", "", "", PINNED);
    let (run, report) = run_in(&ws);
    assert_eq!(run.code, 0, "{run:?}");
    let note = "the bot refused the capture proxy's certificate for pinned.example.com during Pinned (certificate pinning?): its traffic to that host was not seen";
    assert_eq!(
        report["capture_notes"],
        serde_json::json!([note]),
        "{report}"
    );
    assert!(run.stdout.contains(note), "{run:?}");
    let [_, _, html] = ws.reports();
    assert!(
        html.contains(
            "the bot refused the capture proxy&#x27;s certificate for pinned.example.com"
        ),
        "{html}"
    );
}

#[test]
fn a_messenger_bots_send_api_calls_to_the_real_graph_host_reach_the_graph_mock() {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/messenger_bot.py");
    ws.write(
        "scenarios/s.yaml",
        "name: Hi\nsteps:\n  - user: hi\n    bot: { contains: \"You said: hi\" }\n",
    )
    .write(
        "banter.yaml",
        &format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  start:\n    command: \"exec python3 {}\"\n    env:\n      PORT: \"{{{{ port }}}}\"\n      GRAPH_URL: https://graph.facebook.com\n      VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\"\n      PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\"\n    ready: GET /health\n",
            script.display()
        ),
    );
    let (run, report) = run_in(&ws);
    assert_eq!(run.code, 0, "{run:?}");
    let graph = egress(&report, "graph.facebook.com");
    assert_eq!(graph["sink"], "messenger graph", "{report}");
    assert_eq!(graph["requests"], 1, "{report}");
}

/// A free port of 127.0.0.1.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Waits until something listens on `port`.
fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bot_started_elsewhere_uses_the_proxy_at_a_fixed_address_with_a_kept_ca() {
    let ws = Workspace::new();
    let proxy_port = free_port();
    let ca_dir = ws.path().join("ca");
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    // The bot binds a port of its own choosing and says which: a port picked here and bound
    // later could be taken meanwhile by a server of a test running beside this one.
    let mut bot = Command::new("python3")
        .arg(repo().join("tests/bots/proxied_bot.py"))
        .arg("leaky")
        .env("PORT", "0")
        .env("HTTPS_PROXY", &proxy)
        .env("NO_PROXY", "127.0.0.1")
        .env("SSL_CERT_FILE", ca_dir.join("banter-ca.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the bot");
    let mut line = String::new();
    let stdout = bot.stdout.take().expect("the bot's stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
        .expect("the bot says its port");
    let bot_port: u16 = line.trim().parse().expect("a port number");
    wait_for(bot_port);
    ws.write("scenarios/s.yaml", MIXPANEL).write(
        "banter.yaml",
        &format!(
            "bot:\n  url: http://127.0.0.1:{bot_port}/chat\ncapture:\n  proxy: true\n  listen: 127.0.0.1:{proxy_port}\n  ca_dir: ca\n  unknown: report\n"
        ),
    );
    let first = run_in(&ws);
    let cert = std::fs::read_to_string(ca_dir.join("banter-ca.pem"));
    let second = run_in(&ws);
    let _ = bot.kill();
    let _ = bot.wait();
    for (run, report) in [&first, &second] {
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.lines().nth(1).is_some_and(|line| line
                == format!(
                    "banter: capture proxy {proxy}, CA certificate {}",
                    ca_dir.join("banter-ca.pem").display()
                )),
            "{run:?}"
        );
        assert_eq!(
            egress(report, "tracker.example.net")["with_customer_values"],
            1
        );
    }
    // The CA was made once, kept private, and reused.
    assert_eq!(
        cert.ok(),
        std::fs::read_to_string(ca_dir.join("banter-ca.pem")).ok()
    );
    let mode = |name: &str| {
        let path = ca_dir.join(name);
        std::fs::metadata(path).expect("kept").permissions().mode() & 0o777
    };
    assert_eq!((mode(""), mode("banter-ca-key.pem")), (0o700, 0o600));
    // The key never reaches a report.
    let key = std::fs::read_to_string(ca_dir.join("banter-ca-key.pem")).expect("key");
    let secret = key.lines().nth(1).expect("a line of the key");
    for report in ws.reports() {
        assert!(!report.contains(secret));
    }
}

#[test]
fn the_proxy_listens_on_the_loopback_only() {
    let ws = Workspace::new();
    ws.write("scenarios/s.yaml", MIXPANEL).write(
        "banter.yaml",
        "bot:\n  url: http://127.0.0.1:9/chat\ncapture: { proxy: true, listen: \"0.0.0.0:8899\" }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("banter.yaml:3:") && run.stderr.contains("is not on the loopback"),
        "{run:?}"
    );
}
