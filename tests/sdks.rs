//! The capture proxy against real, unmodified SDKs at their default hosts: chat bots in
//! tests/bots/sdk/ send telemetry through segment-analytics-python, mixpanel,
//! facebook_business, @segment/analytics-node and @amplitude/analytics-node, and a Messenger
//! bot built on botly answers through the Send API, none of them given a host. banter starts
//! each bot behind its proxy; a clean bot passes with no finding, no warning and no request to
//! the `unknown` sink, and the one leak a leaky bot plants through the SDK fails the run with
//! the right sink, value kind and location.
//!
//! The SDKs come from pinned installs made by tests/bots/sdk/setup.sh, which the first test to
//! need them runs when they are missing or their pins changed.

mod common;

use std::path::PathBuf;

use common::{repo, Workspace};
use serde_json::Value;

/// The SDK bots' directory, with its pinned installs in place: runs tests/bots/sdk/setup.sh
/// once per test run when an install is missing or its pins changed, and fails the test with
/// the script's output when it cannot.
fn installed() -> PathBuf {
    static SETUP: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let dir = repo().join("tests/bots/sdk");
    let mut done = SETUP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !*done && !current(&dir) {
        let setup = std::process::Command::new("bash")
            .arg(dir.join("setup.sh"))
            .output()
            .expect("bash runs tests/bots/sdk/setup.sh");
        assert!(
            setup.status.success() && current(&dir),
            "tests/bots/sdk/setup.sh could not install the SDK test bots (python3 with venv, and node with npm, are needed): {}",
            String::from_utf8_lossy(&setup.stderr)
        );
    }
    *done = true;
    dir
}

/// Whether setup.sh installed from the current pins: it leaves a copy of each pin file beside
/// what it installed from it.
fn current(dir: &std::path::Path) -> bool {
    let same = |pins: &str, copy: &str| {
        let pins = std::fs::read_to_string(dir.join(pins)).expect("the pin file");
        std::fs::read_to_string(dir.join(copy)).is_ok_and(|installed| installed == pins)
    };
    same("requirements.txt", ".venv/installed-requirements.txt")
        && same(
            "package-lock.json",
            "node_modules/installed-package-lock.json",
        )
}

/// One customer with a known balance asks for it twice.
const SCENARIO: &str = "name: Balance through a real SDK\ncustomer:\n  accounts: [{ type: checking, balance: 1234.56 }]\nsteps:\n  - user: what's my balance?\n    bot: { contains: \"$1,234.56\" }\n  - user: and my balance now?\n    bot: { contains: \"$1,234.56\" }\n";

/// A bot that sends telemetry through one real SDK, and what banter must see of it.
struct Sdk {
    /// The command that starts the bot, run in tests/bots/sdk/.
    command: &'static str,
    /// The bot's own settings, as YAML flow-mapping entries.
    env: &'static str,
    /// The sink that stands for the service, and the SDK's default host.
    sink: &'static str,
    host: &'static str,
    /// The finding that the leak planted in leaky mode must give: (report field, value).
    leak: &'static [(&'static str, &'static str)],
}

const PYTHON: &str = ".venv/bin/python python_bot.py";

const SEGMENT_PYTHON: Sdk = Sdk {
    command: PYTHON,
    env: "SDK: segment",
    sink: "segment",
    host: "api.segment.io",
    leak: &[
        ("kind", "email"),
        ("request", "POST api.segment.io/v1/batch"),
        ("location", "body:/batch/0/traits/email"),
        ("chain", "json → email"),
    ],
};

const MIXPANEL_PYTHON: Sdk = Sdk {
    command: PYTHON,
    env: "SDK: mixpanel",
    sink: "mixpanel",
    host: "api.mixpanel.com",
    leak: &[
        ("kind", "phone"),
        ("request", "POST api.mixpanel.com/engage"),
        ("location", "body:form:data/$set/$phone"),
        ("chain", "form → json → e164(phone)"),
    ],
};

const META_PYTHON: Sdk = Sdk {
    command: PYTHON,
    env: "SDK: meta",
    sink: "meta",
    host: "graph.facebook.com",
    // The SDK hashes the email, and sends `data` as a JSON list of JSON-encoded events.
    leak: &[
        ("kind", "email"),
        ("request", "POST graph.facebook.com/v26.0/1234567890/events"),
        ("location", "body:form:data/0/user_data/em/0"),
        ("chain", "form → json → json → sha256(lower(email))"),
    ],
};

const NODE: &str = "node node_bot.js";

const SEGMENT_NODE: Sdk = Sdk {
    command: NODE,
    env: "SDK: segment",
    sink: "segment",
    host: "api.segment.io",
    leak: &[
        ("kind", "name"),
        ("request", "POST api.segment.io/v1/batch"),
        ("location", "body:/batch/0/traits/name"),
        ("chain", "json → full_name"),
    ],
};

const AMPLITUDE_NODE: Sdk = Sdk {
    command: NODE,
    env: "SDK: amplitude",
    sink: "amplitude",
    host: "api2.amplitude.com",
    leak: &[
        ("kind", "phone"),
        ("request", "POST api2.amplitude.com/2/httpapi"),
        ("location", "body:/events/0/user_properties/$set/phone"),
        ("chain", "json → e164(phone)"),
    ],
};

/// Runs `scenario` against the bot that `config` (given the SDK bots' directory) starts, and
/// returns the run and its JSON report.
fn run(scenario: &str, config: impl FnOnce(&std::path::Path) -> String) -> (common::Run, Value) {
    let dir = installed();
    let ws = Workspace::new();
    ws.write("scenarios/s.yaml", scenario)
        .write("banter.yaml", &config(&dir));
    ws.banter_json(&["run"])
}

impl Sdk {
    /// Starts the bot in `mode` behind the proxy, plays [`SCENARIO`], and returns the run and
    /// its JSON report.
    fn run(&self, mode: &str) -> (common::Run, Value) {
        run(SCENARIO, |dir| {
            format!(
            "bot:\n  url: \"http://127.0.0.1:{{{{ port }}}}/chat\"\n  timeout: 20s\n  start:\n    command: \"cd '{}' && exec {}\"\n    env: {{ {}, MODE: {mode}, PORT: \"{{{{ port }}}}\", BANK_URL: \"{{{{ bank.url }}}}\" }}\n    ready: GET /health\n    timeout: 30s\n",
            dir.display(),
            self.command,
            self.env
        )
        })
    }

    /// The clean bot passes, its telemetry reached the sink at the SDK's default host, and
    /// nothing was found: no leak, no warning, no note, no request to any other host.
    fn assert_clean(&self) {
        let (run, report) = self.run("clean");
        assert_eq!(run.code, 0, "{run:?}");
        let scenario = &report["scenarios"][0];
        assert_eq!(scenario["status"], "passed", "{run:?}");
        let found = [
            &scenario["leaks"],
            &scenario["warnings"],
            &scenario["scan_notes"],
            &report["unattributed"]["warnings"],
            &report["unattributed"]["notes"],
        ];
        assert!(
            found
                .iter()
                .all(|list| list.as_array().is_none_or(Vec::is_empty)),
            "nothing is found in clean telemetry: {report:#}"
        );
        let egress = self.only_own_host(&report);
        assert!(
            egress.iter().all(|e| e["with_customer_values"] == 0),
            "{egress:?}"
        );
    }

    /// The leaky bot fails on the leak it planted, once per request, and on nothing else; the
    /// egress inventory names the SDK's host as carrying customer values.
    fn assert_leaky(&self) {
        let (run, report) = self.run("leaky");
        assert_eq!(run.code, 1, "{run:?}");
        let scenario = &report["scenarios"][0];
        assert_eq!(scenario["status"], "failed", "{run:?}");
        let leaks = scenario["leaks"].as_array().expect("leaks");
        assert!(
            leaks
                .iter()
                .any(|leak| self.leak.iter().all(|(key, value)| leak[key] == *value)),
            "no leak {:?} among {leaks:#?}",
            self.leak
        );
        assert!(
            leaks
                .iter()
                .all(|leak| leak["sink"] == self.sink && leak["allowed"] == false),
            "{leaks:#?}"
        );
        // One leak, one finding: the planted value is reported once per request, at its
        // deepest location, not again at the form field or query that contains it.
        let mut requests: Vec<_> = leaks.iter().map(|l| (&l["turn"], &l["request"])).collect();
        let found = requests.len();
        requests.dedup();
        assert_eq!(requests.len(), found, "{leaks:#?}");
        let egress = self.only_own_host(&report);
        assert!(
            egress
                .iter()
                .any(|e| e["with_customer_values"].as_u64() >= Some(1)),
            "{egress:?}"
        );
    }

    /// The egress inventory, which must list the SDK's default host at the service's sink
    /// and nothing else (no request reached the `unknown` sink).
    fn only_own_host<'r>(&self, report: &'r Value) -> &'r Vec<Value> {
        let egress = report["egress"].as_array().expect("an egress inventory");
        assert!(
            !egress.is_empty()
                && egress
                    .iter()
                    .all(|e| e["sink"] == self.sink && e["host"] == self.host),
            "all telemetry, and only it, went to {} at {}: {egress:?}",
            self.sink,
            self.host
        );
        egress
    }
}

#[test]
fn segment_python_sdk_clean_telemetry_reaches_the_segment_sink() {
    SEGMENT_PYTHON.assert_clean();
}

#[test]
fn segment_python_sdk_identify_with_an_email_trait_is_caught() {
    SEGMENT_PYTHON.assert_leaky();
}

#[test]
fn mixpanel_python_sdk_clean_telemetry_reaches_the_mixpanel_sink() {
    MIXPANEL_PYTHON.assert_clean();
}

#[test]
fn mixpanel_python_sdk_people_set_with_a_phone_is_caught() {
    MIXPANEL_PYTHON.assert_leaky();
}

#[test]
fn facebook_business_sdk_clean_conversions_reach_the_meta_sink() {
    META_PYTHON.assert_clean();
}

#[test]
fn facebook_business_sdk_hashed_email_in_user_data_is_caught() {
    META_PYTHON.assert_leaky();
}

#[test]
fn segment_node_sdk_clean_telemetry_reaches_the_segment_sink() {
    SEGMENT_NODE.assert_clean();
}

#[test]
fn segment_node_sdk_identify_with_a_name_trait_is_caught() {
    SEGMENT_NODE.assert_leaky();
}

#[test]
fn amplitude_node_sdk_clean_telemetry_reaches_the_amplitude_sink() {
    AMPLITUDE_NODE.assert_clean();
}

#[test]
fn amplitude_node_sdk_identify_with_a_phone_is_caught() {
    AMPLITUDE_NODE.assert_leaky();
}

/// The botly bot's conversations: a linked customer greets and asks for the balance, then
/// forged and unsigned webhooks are refused and a replayed one is not answered twice; a
/// customer who never linked an account is asked to.
const MESSENGER_SCENARIOS: &str = "- name: botly bot over Messenger\n  customer:\n    accounts: [{ type: checking, balance: 1234.56 }]\n  steps:\n    - user: hi\n      bot: { contains: \"Hello! Ask me for your balance.\" }\n    - user: what's my balance?\n      bot: { contains: \"$1,234.56\" }\n      bank: { called: [\"GET /fdx/v6/accounts\"] }\n    - user: { webhook: bad_signature }\n    - user: { webhook: unsigned }\n    - user: { webhook: replay }\n- name: botly bot without a linked account\n  customer: { consent: none }\n  steps:\n    - user: balance?\n      bot: { contains: \"link your bank account\" }\n      bank: { not_called: [\"* /**\"] }\n";

#[test]
fn botly_messenger_bot_answers_through_the_send_api_at_its_default_host() {
    let (run, report) = run(MESSENGER_SCENARIOS, |dir| {
        format!(
            "bot:\n  connector: messenger\n  url: \"http://127.0.0.1:{{{{ port }}}}/webhook\"\n  timeout: 10s\n  start:\n    command: \"cd '{}' && exec node messenger_bot.js\"\n    env:\n      PORT: \"{{{{ port }}}}\"\n      BANK_URL: \"{{{{ bank.url }}}}\"\n      APP_SECRET: \"{{{{ messenger.app_secret }}}}\"\n      VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\"\n      PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\"\n    ready: GET /health\n    timeout: 30s\n",
            dir.display()
        )
    });
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(report["summary"]["passed"], 2, "{run:?}");
    // The Send API calls went to the Graph mock, not to the Meta ads sink.
    assert!(
        report["egress"].as_array().is_none_or(|egress| egress
            .iter()
            .all(|e| e["sink"] != "meta" && e["sink"] != "unknown")),
        "{report:#}"
    );
}
