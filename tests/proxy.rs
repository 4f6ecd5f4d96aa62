//! The capture proxy end to end: a started Python bot, unmodified, calls Mixpanel and a
//! tracker at their real HTTPS addresses; banter points it at the proxy and the run's CA, so
//! nothing leaves the machine, Mixpanel's sink answers as the real service does, and what
//! reached the unknown host is scanned and judged.

mod common;

use common::{repo, Workspace};

const SCENARIO: &str = "name: Proxied\nsteps:\n  - user: \"my email is {{ customer.email }}\"\n    bot: { contains: 'mixpanel answered {\"error\":null,\"status\":1}' }\n";

/// Runs the proxied bot in `mode` with the JSON report, and returns the exit code and report.
fn run(mode: &str) -> (common::Run, serde_json::Value) {
    let ws = Workspace::new();
    let script = repo().join("tests/bots/proxied_bot.py");
    ws.write("scenarios/s.yaml", SCENARIO).write(
        "banter.yaml",
        &format!(
            "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  start:\n    command: \"exec python3 {} {mode}\"\n    env: {{ PORT: \"{{{{ port }}}}\" }}\n    ready: GET /health\n",
            script.display()
        ),
    );
    ws.banter_json(&["run"])
}

#[test]
fn a_started_bot_reaches_the_sinks_through_the_proxy_at_real_hosts() {
    let (run, report) = run("clean");
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
}

#[test]
fn a_customer_value_sent_to_an_unknown_host_fails_the_scenario() {
    let (run, report) = run("leaky");
    assert_eq!(run.code, 1, "{run:?}");
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["status"], "failed", "{run:?}");
    let leaks = scenario["leaks"].as_array().expect("leaks");
    let email = leaks
        .iter()
        .find(|leak| leak["kind"] == "email")
        .unwrap_or_else(|| panic!("no email leak in {leaks:?}"));
    assert_eq!(email["sink"], "unknown");
    assert_eq!(email["request"], "POST tracker.example.net/collect");
    assert_eq!(email["location"], "body:/said");
    assert_eq!(email["allowed"], false);
    assert!(
        run.stdout.contains("tracker.example.net"),
        "the terminal names the host: {run:?}"
    );
    // The egress inventory names every host the bot reached, with what it carried.
    let unknown = report["egress"]
        .as_array()
        .expect("egress")
        .iter()
        .find(|e| e["host"] == "tracker.example.net")
        .unwrap_or_else(|| panic!("no egress to the unknown host in {report}"));
    assert_eq!(unknown["sink"], "unknown");
    assert_eq!(unknown["with_customer_values"], 1, "{unknown}");
    assert!(
        run.stdout
            .contains("unknown tracker.example.net: 1 requests, 1 with customer values"),
        "{run:?}"
    );
}
