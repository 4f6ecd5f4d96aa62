//! End-to-end privacy tests: the leaky demo bot is caught leak by leak, with exact
//! locations and chains; the normal demo bot passes with zero findings.

mod common;

use banter::{Leak, Report, Status, Suite, ValueKind, Whose};
use common::{banter_in, repo, timeless};

async fn leaky_report() -> Report {
    Suite::from_paths([repo().join("examples/leaky/scenarios")])
        .config(repo().join("examples/leaky/banter.yaml"))
        .run()
        .await
        .unwrap()
}

fn has(
    leaks: &[Leak],
    sink: &str,
    request: &str,
    location: &str,
    kind: ValueKind,
    chain: &str,
) -> bool {
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
        report
            .scenarios
            .iter()
            .find(|s| s.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no scenario {prefix}"))
    };
    let meta = "POST /v19.0/1234567890/events";
    let expected: [(&str, &str, &str, &str, ValueKind, &str); 13] = [
        (
            "Greeting",
            "meta",
            meta,
            "body:/data/0/user_data/em/0",
            ValueKind::Email,
            "json → sha256(lower(email))",
        ),
        (
            "Greeting",
            "meta",
            meta,
            "body:/data/0/user_data/ph/0",
            ValueKind::Phone,
            "json → sha256(digits(phone))",
        ),
        (
            "Greeting",
            "meta",
            meta,
            "body:/data/0/user_data/fn/0",
            ValueKind::Name,
            "json → sha256(lower(first_name))",
        ),
        (
            "Greeting",
            "segment",
            "POST /v1/identify",
            "body:/traits/email",
            ValueKind::Email,
            "json → email",
        ),
        (
            "Greeting",
            "segment",
            "POST /v1/identify",
            "body:/traits/phone",
            ValueKind::Phone,
            "json → e164(phone)",
        ),
        (
            "Greeting",
            "segment",
            "POST /v1/identify",
            "header:x-bank-token",
            ValueKind::Token,
            "token",
        ),
        (
            "Balance",
            "google",
            "POST /mp/collect",
            "body:/events/0/params/value",
            ValueKind::Amount,
            "json → value(amount)",
        ),
        (
            "Balance",
            "google",
            "POST /mp/collect",
            "body:/events/0/params/balance_band",
            ValueKind::Amount,
            "json → bucket(balance)",
        ),
        (
            "Transactions",
            "mixpanel",
            "POST /track",
            "body:form:data/properties/$email",
            ValueKind::Email,
            "form → base64 → json → email",
        ),
        (
            "Transactions",
            "mixpanel",
            "POST /track",
            "body:form:data/properties/last_merchant",
            ValueKind::Merchant,
            "form → base64 → json → merchant",
        ),
        (
            "Advisor",
            "amplitude",
            "POST /2/httpapi",
            "body:/events/0/user_properties/dob",
            ValueKind::DateOfBirth,
            "gzip → json → yyyy-mm-dd(date_of_birth)",
        ),
        (
            "Greeting",
            "meta",
            "POST /v19.0/1234567890/events",
            "body:/data/0/custom_data/credit_tier",
            ValueKind::FinancialStatus,
            "json → status(credit tier)",
        ),
        (
            "Advisor",
            "amplitude",
            "POST /2/httpapi",
            "body:/events/0/user_properties/zip",
            ValueKind::Address,
            "gzip → json → zip",
        ),
    ];
    for (scenario, sink, request, location, kind, chain) in expected {
        let s = by_name(scenario);
        assert_eq!(s.status, Status::Failed, "{scenario}");
        assert!(
            has(&s.leaks, sink, request, location, kind, chain),
            "{scenario}: missing {sink} {location} {chain} in {:#?}",
            s.leaks
        );
    }
    let allowed = by_name("An allowed amount");
    assert_eq!(allowed.status, Status::Passed);
    assert!(allowed.leaks.iter().all(|l| l.allowed) && !allowed.leaks.is_empty());
}

#[test]
fn the_leaky_example_fails_through_the_cli_and_names_the_leaks() {
    let run = banter_in(
        &repo(),
        &[
            "run",
            "examples/leaky/scenarios",
            "--config",
            "examples/leaky/banter.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("turn 1 POST /v19.0/1234567890/events: email at body:/data/0/user_data/em/0 via json → sha256(lower(email))"), "{run:?}");
    assert!(run.stdout.contains("4 failed"), "{run:?}");
}

#[tokio::test]
async fn the_normal_demo_bot_sends_telemetry_without_any_finding() {
    let report = Suite::from_paths([repo().join("scenarios")])
        .run()
        .await
        .unwrap();
    assert!(report.passed(), "{report:#?}");
    // Telemetry without customer values belongs to no scenario (unless it runs alone to
    // snapshot its transcript), and the run accounts for it.
    let turns: usize = report.scenarios.iter().map(|s| s.turns.len()).sum();
    let owned: usize = report.scenarios.iter().map(|s| s.sink_requests).sum();
    let all = owned as u64 + report.unattributed.requests;
    assert!(
        all >= 5 * turns as u64,
        "the bot sends telemetry every turn: {all} requests for {turns} turns"
    );
    assert!(
        report.unattributed.warnings.is_empty(),
        "{:#?}",
        report.unattributed
    );
    for s in &report.scenarios {
        assert!(s.leaks.is_empty(), "{}: {:#?}", s.name, s.leaks);
        assert!(s.warnings.is_empty(), "{}: {:#?}", s.name, s.warnings);
    }
}

#[test]
fn a_started_leaky_bot_gets_sink_urls_from_templates_and_is_caught() {
    let ws = common::Workspace::new();
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  start:\n    command: \"exec '{}' demo-bot --leaky --port {{{{ port }}}}\"\n    env:\n      BANK_URL: \"{{{{ bank.url }}}}\"\n      META_URL: \"{{{{ sinks.meta.url }}}}\"\n      SEGMENT_URL: \"{{{{ sinks.segment.url }}}}\"\n    ready: GET /health\n",
            env!("CARGO_BIN_EXE_banter")
        ),
    );
    let scenarios = repo().join("examples/leaky/scenarios");
    let run = ws.banter(&["run", scenarios.to_str().unwrap(), "--filter", "greeting"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("email at body:/data/0/user_data/em/0 via json → sha256(lower(email))"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("token at header:x-bank-token via token"),
        "{run:?}"
    );
}

/// A banter.yaml with an extra sink `braze` of `kind`, a bot that sends the bank token there,
/// and `extra` appended (e.g. a privacy policy).
fn custom_sink_workspace(kind: &str, extra: &str) -> common::Workspace {
    sink_bot_workspace(
        "custom_sink",
        "",
        &format!("sinks:\n  - {{ name: braze, kind: {kind} }}\n{extra}"),
    )
}

/// A banter.yaml that starts the misbehaving bot in `mode` with `SINK_URL` pointing at the
/// sink `braze` (declared in `extra`, or Segment's when `extra` declares no sink) and `env`
/// (YAML flow entries) added, and one echo scenario.
fn sink_bot_workspace(mode: &str, env: &str, extra: &str) -> common::Workspace {
    let ws = common::Workspace::new();
    let script = repo().join("tests/bots/misbehaving_bot.py");
    ws.write(
        "scenarios/echo.yaml",
        "name: Echo\nsteps: [{ user: hello, bot: { contains: hello } }]\n",
    );
    let sink = if extra.contains("braze") {
        "braze"
    } else {
        "segment"
    };
    ws.write(
        "banter.yaml",
        &format!(
            "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  timeout: 120s\n  start:\n    command: \"exec python3 {} {mode}\"\n    env: {{ PORT: \"{{{{ port }}}}\", SINK_URL: \"{{{{ sinks.{sink}.url }}}}\"{env} }}\n    ready: GET /health\n{extra}",
            script.display()
        ),
    );
    ws
}

#[test]
fn a_declared_sink_is_scanned_and_fails_by_default() {
    let run = custom_sink_workspace("analytics", "").banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 POST /events: token at body:/props/session via json → token"),
        "{run:?}"
    );
}

#[test]
fn a_config_allow_rule_or_an_other_sink_reports_without_failing() {
    let allowed = custom_sink_workspace(
        "analytics",
        "privacy:\n  allow:\n    - { kind: token, sink: braze, field: \"body:/props/*\" }\n",
    )
    .banter(&["run"]);
    assert_eq!(allowed.code, 0, "{allowed:?}");
    assert!(
        allowed.stdout.contains("via json → token (allowed)"),
        "{allowed:?}"
    );
    let other = custom_sink_workspace("other", "").banter(&["run"]);
    assert_eq!(other.code, 0, "{other:?}");
    let narrow = custom_sink_workspace(
        "analytics",
        "privacy:\n  allow:\n    - { kind: token, sink: braze, field: \"body:/elsewhere\" }\n",
    )
    .banter(&["run"]);
    assert_eq!(
        narrow.code, 1,
        "a rule for another field does not allow it: {narrow:?}"
    );
}

#[test]
fn a_reply_with_another_customers_data_is_a_cross_session_leak() {
    let ws = common::Workspace::new();
    ws.write(
        "scenarios/two.yaml",
        "- name: First customer\n  steps: [{ user: hi }]\n- name: Second customer\n  steps: [{ user: hi }]\n",
    )
    .misbehaving_bot("stale", "5s");
    let run = ws.banter(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("PASS  First customer"), "{run:?}");
    assert!(run.stdout.contains("FAIL  Second customer"), "{run:?}");
    assert!(run.stdout.contains("turn 1 (user: \"hi\"): the reply shows another customer's email (First customer) via email"), "{run:?}");
}

#[test]
fn a_leak_followed_by_a_flood_of_requests_is_still_caught() {
    // Before, the sinks kept 20,000 requests and evicted the oldest unscanned: the leak passed.
    let run = sink_bot_workspace("flood", ", FLOOD_COUNT: \"20001\"", "").banter(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 POST /events: token at body:/props/session via json → token"),
        "{run:?}"
    );
}

#[test]
fn a_leak_at_the_end_of_a_body_too_large_for_memory_is_caught() {
    // 40 MiB: past the in-memory cap, so it is kept on disk; before, only the first 16 MiB
    // of a body were scanned.
    let ws = sink_bot_workspace("bigbody", ", BIG_MB: \"40\"", "");
    let run = ws.banter(&["run", "--json", "report.json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("turn 1 POST /upload: token at body via token"),
        "{run:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("report.json")).unwrap())
            .unwrap();
    let notes = report["scenarios"][0]["scan_notes"].to_string();
    assert!(notes.contains("scanned whole from disk"), "{notes}");
}

#[test]
fn telemetry_that_no_scenario_owns_is_reported_with_what_its_scan_found() {
    let ws = sink_bot_workspace("stranger", "", "");
    let run = ws.banter(&["run", "--json", "report.json"]);
    assert_eq!(run.code, 0, "a warning does not fail: {run:?}");
    assert!(
        run.stdout.contains("sink requests that no scenario owned (1, all scanned):\n      warning: segment looks like a CardNumber (4111********1111) at POST /events body:/props/card via json → card_number"),
        "{run:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["unattributed"]["requests"], 1);
    assert_eq!(report["scenarios"][0]["sink_requests"], 0);
    assert_eq!(report["scenarios"][0]["warnings"], serde_json::json!([]));
}

#[test]
fn a_leak_in_the_first_turn_is_caught_while_the_needles_are_prepared_and_reported_alike_at_one_job()
{
    // 300 customers: their needles take longer to prepare than the bank, the sinks, the bot
    // and a first turn take to start, so the first leaks reach the sinks before the detector
    // is ready. Each balance is the customer's own, so each request belongs to one scenario;
    // its band (1k-5k) is many customers', and counts only for the one the request names.
    let ws = common::Workspace::new();
    let scenarios: String = (0..300)
        .map(|i| {
            format!(
                "- name: Balance {i:03}\n  customer: {{ accounts: [{{ type: checking, balance: {}.17 }}] }}\n  steps: [{{ user: \"what's my checking balance?\" }}]\n",
                1000 + 7 * i
            )
        })
        .collect();
    ws.write("banter.yaml", "demo: { leaky: true }\n")
        .write("scenarios/balances.yaml", &scenarios);
    let (run, side_by_side) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    let reports = side_by_side["scenarios"].as_array().expect("scenarios");
    assert_eq!(reports.len(), 300, "{run:?}");
    for report in reports {
        assert_eq!(
            report["failures"],
            serde_json::json!([{
                "turn": 1,
                "kind": "privacy",
                "message": "the customer's amount leaked to google (POST /mp/collect) at body:/events/0/params/balance_band via json → bucket(balance)"
            }, {
                "turn": 1,
                "kind": "privacy",
                "message": "the customer's amount leaked to google (POST /mp/collect) at body:/events/0/params/value via json → value(amount)"
            }]),
            "{report}"
        );
    }
    let (_, alone) = ws.banter_json(&["run", "--jobs", "1"]);
    assert_eq!(timeless(side_by_side), timeless(alone));
}

#[test]
fn values_that_two_scenarios_share_are_the_runs_leak_whatever_ran_beside_them() {
    // Both customers hold the balance and its band: which conversation sent the leaky
    // bot's balance event cannot be told, so neither scenario owns it, side by side or not,
    // and the run fails on it.
    let ws = common::Workspace::new();
    let scenario = |name: &str| {
        format!("- name: {name}\n  customer: {{ accounts: [{{ type: checking, balance: 2481.17 }}] }}\n  steps: [{{ user: \"what's my checking balance?\" }}]\n")
    };
    let both = scenario("Same balance A") + &scenario("Same balance B");
    ws.write("banter.yaml", "demo: { leaky: true }\n")
        .write("scenarios/same.yaml", &both);
    let (run, side_by_side) = ws.banter_json(&["run", "--jobs", "2"]);
    assert_eq!(run.code, 1, "{run:?}");
    for report in side_by_side["scenarios"].as_array().expect("scenarios") {
        assert_eq!(report["status"], "passed", "{report}");
        assert_eq!(report["leaks"], serde_json::json!([]), "{report}");
    }
    let shared = serde_json::json!({"shared": ["Same balance A", "Same balance B"]});
    let leaks = side_by_side["unattributed"]["leaks"]
        .as_array()
        .expect("leaks");
    let places: Vec<(&str, &str)> = leaks
        .iter()
        .inspect(|l| assert_eq!((&l["whose"], &l["allowed"]), (&shared, &false.into())))
        .map(|l| {
            (
                l["location"].as_str().unwrap(),
                l["chain"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            (
                "body:/events/0/params/balance_band",
                "json → bucket(balance)"
            ),
            ("body:/events/0/params/value", "json → value(amount)")
        ]
    );
    assert!(
        run.stdout.contains("FAIL 2 customers' (Same balance A, Same balance B) amount leaked to google (POST /mp/collect) at body:/events/0/params/value"),
        "{run:?}"
    );
    let (_, alone) = ws.banter_json(&["run", "--jobs", "1"]);
    assert_eq!(timeless(side_by_side), timeless(alone));
}

/// A demo bot started outside banter, with no way to learn the sinks' URLs.
struct OutsideBot {
    child: std::process::Child,
    port: u16,
}

impl OutsideBot {
    fn start() -> OutsideBot {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_banter"))
            .args(["demo-bot", "--port", &port.to_string()])
            .args(["--bank-url", "http://127.0.0.1:9"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the demo bot did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        OutsideBot { child, port }
    }
}

impl Drop for OutsideBot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_bot_that_cannot_reach_the_sinks_is_named_and_one_handed_a_sink_is_not() {
    let bot = OutsideBot::start();
    let ws = common::Workspace::new();
    ws.write(
        "scenarios/hi.yaml",
        // The outside bot has no bank: it apologises, which is all this test needs.
        "name: greeting\nsteps:\n  - user: hi\n    bot: { contains: \"can't reach your bank\" }\n",
    );
    let note = "the bot could not reach the sinks";
    let config = |extra: &str| {
        format!(
            "bot:\n  url: \"http://127.0.0.1:{}/chat\"\n{extra}",
            bot.port
        )
    };
    ws.write("banter.yaml", &config(""));
    let (run, report) = ws.banter_json(&["run", "scenarios"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(note), "{run:?}");
    assert!(report["capture_notes"][0].as_str().unwrap().contains(note));

    // A sink URL in a header reaches the bot: it could send there, so the window is kept.
    ws.write(
        "banter.yaml",
        &config("  headers: { X-Telemetry: \"{{ sinks.segment.url }}\" }\n"),
    );
    let (run, report) = ws.banter_json(&["run", "scenarios"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains(note), "{run:?}");
    assert_eq!(report["capture_notes"], serde_json::json!([]), "{run:?}");
}

#[test]
fn financial_status_fails_at_an_ads_sink_warns_at_analytics_and_follows_the_config() {
    let workspace = |kind: &str, extra: &str| {
        sink_bot_workspace(
            "status",
            "",
            &format!("sinks:\n  - {{ name: braze, kind: {kind} }}\n{extra}"),
        )
    };
    let overdraft = "a financial-status signal went to braze (POST /events) at body:/events/0 via json → status(overdraft)";
    let payday = "status(payday advance)";
    // No customer value rides along: no scenario owns the request, and the run fails.
    let ws = workspace("ads", "");
    let (run, report) = ws.banter_json(&["run", "--junit", "junit.xml"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains(&format!("FAIL {overdraft}")), "{run:?}");
    assert!(!run.stdout.contains(payday), "{run:?}");
    assert!(!run.stdout.contains("balance viewed"), "{run:?}");
    assert_eq!(report["summary"]["failed"], 0, "{run:?}");
    let signals = report["unattributed"]["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(signals[0]["kind"], "financial_status");
    let junit = std::fs::read_to_string(ws.path().join("junit.xml")).unwrap();
    assert!(junit.contains("sink requests no scenario owned"), "{junit}");

    // At an analytics sink the same request is a warning only.
    let (run, report) = workspace("analytics", "").banter_json(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let warnings = report["unattributed"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["pattern"], "financial_status");
    assert_eq!(warnings[0]["masked"], "overdraft_warning");

    // The config allows a built-in term and adds one of its own.
    let status = "privacy:\n  status: { allow: [Overdraft], terms: [payday-advance] }\n";
    let (run, report) = workspace("ads", status).banter_json(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stdout.contains("status(overdraft)"), "{run:?}");
    assert!(run.stdout.contains(payday), "{run:?}");
    assert_eq!(
        report["unattributed"]["signals"][0]["location"],
        "body:/events/1"
    );
}

/// Two scenario names whose customers share a name, and the name: the first's last name is
/// the second's first name.
fn sharing_a_name(seed: u64) -> (String, String, String) {
    let spec = banter::CustomerSpec::default();
    let mut by_first: std::collections::HashMap<String, String> = Default::default();
    let customers: Vec<(String, banter::Customer)> = (0..5_000)
        .map(|i| {
            let name = format!("Customer {i}");
            let customer = banter::Customer::generate(seed, &name, &spec);
            (name, customer)
        })
        .collect();
    for (name, customer) in &customers {
        by_first
            .entry(customer.first_name.to_lowercase())
            .or_insert_with(|| name.clone());
    }
    customers
        .iter()
        .find_map(|(name, customer)| {
            // Names shorter than four letters are no needles.
            let last = customer.last_name.to_lowercase();
            let other = by_first.get(&last).filter(|_| last.len() >= 4)?;
            (other != name).then(|| (name.clone(), other.clone(), customer.last_name.clone()))
        })
        .expect("among 5,000 customers, one's last name is another's first name")
}

#[tokio::test]
async fn the_own_customers_value_is_not_another_customers_because_they_share_it() {
    let seed = 7;
    let (first, second, shared) = sharing_a_name(seed);
    let dir = tempfile::tempdir().unwrap();
    // The leaky bot sends the first customer's last name to Segment; the second customer,
    // whose first name it is, has no conversation open then (one job, in file order).
    std::fs::write(
        dir.path().join("two.yaml"),
        format!("- name: {first}\n  steps: [{{ user: hi }}]\n- name: {second}\n  steps: [{{ user: hi }}]\n"),
    )
    .unwrap();
    let report = Suite::from_paths([dir.path()])
        .config(repo().join("examples/leaky/banter.yaml"))
        .seed(seed)
        .jobs(1)
        .run()
        .await
        .unwrap();
    let leaks = &report.scenarios[0].leaks;
    let at = "body:/traits/lastName";
    assert!(
        leaks
            .iter()
            .any(|l| l.location == at && l.whose == Whose::Own && l.chain == "json → last_name"),
        "the first customer's last name ({shared}) is their own leak: {leaks:#?}"
    );
    let others: Vec<&Leak> = leaks
        .iter()
        .filter(|l| matches!(l.whose, Whose::Other(_)))
        .collect();
    assert!(
        others.is_empty(),
        "{shared} is not {second}'s leak: {others:#?}"
    );
}

#[test]
fn a_value_of_a_customer_whose_conversation_is_over_is_another_customers_leak() {
    // No settle window, and the bot tells the first customer's email only in the second
    // conversation's last turn: the first conversation is over by then.
    let bank = ", BANK_URL: \"{{ bank.url }}\"";
    let ws = sink_bot_workspace("stale_sink", bank, "privacy:\n  settle: 0s\n");
    ws.write(
        "scenarios/echo.yaml",
        "- name: First customer\n  steps: [{ user: tell, bot: { contains: tell } }]\n- name: Second customer\n  steps: [{ user: hello }, { user: hello }, { user: hello }, { user: tell, bot: { contains: tell } }]\n",
    );
    let run = ws.banter(&["run", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("POST /events: email at body:/props/email via json → email"),
        "the first customer's own leak: {run:?}"
    );
    assert!(
        run.stdout.contains(
            "POST /events: email of First customer at body:/props/email via json → email"
        ),
        "{run:?}"
    );
}
