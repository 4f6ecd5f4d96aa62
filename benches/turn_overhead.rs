//! Harness overhead per turn: `banter` driving the demo bot, beside a raw HTTP client
//! sending the same messages to the same bot code with the same bank and telemetry sinks,
//! in the same process. The harness side includes the privacy scan of every sink request.
//!
//! Run with `cargo bench --bench turn_overhead`. Prints per-turn times and their ratio.

mod common;

use std::time::{Duration, Instant};

use banter::testing::sinks::{self, Sinks};
use banter::testing::{Bank, DemoBot, Telemetry};
use banter::{Config, Customer, CustomerSpec};
use common::{median, run_suite, TEXTS};

const SCENARIOS: usize = 100;
const ROUNDS: usize = 5;
const SEED: u64 = 11;

fn write_scenarios(dir: &std::path::Path) {
    let mut yaml = String::new();
    for i in 0..SCENARIOS {
        yaml.push_str(&format!(
            "- name: bench {i}\n  steps:\n    - {{ user: \"{}\", bot: {{ contains: \"{{{{ customer.first_name }}}}\" }} }}\n    - {{ user: \"{}\", bot: {{ contains: \"balance of\" }}, bank: {{ called: [\"GET /fdx/v6/accounts/*\"] }} }}\n    - {{ user: \"{}\", bot: {{ contains: \"transactions\" }} }}\n    - {{ user: \"{}\", bot: {{ contains: \"Starbucks\" }} }}\n    - {{ user: \"{}\", bot: {{ contains: \"advisor\" }}, bank: {{ not_called: [\"* /**\"] }} }}\n",
            TEXTS[0], TEXTS[1], TEXTS[2], TEXTS[3], TEXTS[4]
        ));
    }
    std::fs::write(dir.join("bench.yaml"), yaml).expect("write scenarios");
}

async fn harness(dir: &std::path::Path) -> Duration {
    // One scenario at a time: the raw client below is sequential too.
    run_suite(dir, Config::default(), SEED).await
}

async fn raw() -> Duration {
    let bank = Bank::start(SEED).await.expect("bank");
    // The same telemetry traffic as under banter, into the same kind of capture servers.
    let sinks = Sinks::start(&sinks::builtin(), std::sync::Arc::new(|_: &_| ()))
        .await
        .expect("sinks");
    let telemetry = Telemetry::from_urls(|name| sinks.url(name), false);
    let bot = DemoBot::start(&bank.url(), 0, telemetry)
        .await
        .expect("bot");
    let client = reqwest::Client::new();
    let url = format!("{}/chat", bot.url());
    let started = Instant::now();
    for i in 0..SCENARIOS {
        let name = format!("bench {i}");
        let customer = Customer::generate(SEED, &name, &CustomerSpec::default());
        let token = customer.token.clone();
        let _session = bank.open(customer, Vec::new());
        for text in TEXTS {
            let body =
                serde_json::json!({ "conversation_id": name, "text": text, "bank_token": token });
            let reply: serde_json::Value = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("send")
                .json()
                .await
                .expect("json");
            assert!(reply["replies"].is_array());
        }
    }
    let elapsed = started.elapsed();
    bot.shutdown();
    elapsed
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write_scenarios(dir.path());
    let turns = (SCENARIOS * TEXTS.len()) as f64;
    // Warm up both paths once, then alternate so that machine noise hits both alike.
    harness(dir.path()).await;
    raw().await;
    let (mut with_banter, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        with_banter.push(harness(dir.path()).await);
        baseline.push(raw().await);
    }
    let (h, r) = (median(with_banter), median(baseline));
    let per_turn = |d: Duration| d.as_secs_f64() * 1e6 / turns;
    println!(
        "turn_overhead: {SCENARIOS} scenarios x {} turns, median of {ROUNDS} rounds",
        TEXTS.len()
    );
    println!("  raw HTTP client : {:8.1} us/turn", per_turn(r));
    println!("  banter run      : {:8.1} us/turn", per_turn(h));
    println!(
        "  ratio           : {:8.2}x  (overhead {:+.1} us/turn)",
        per_turn(h) / per_turn(r),
        per_turn(h) - per_turn(r)
    );
}
