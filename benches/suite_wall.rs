//! Wall time of whole suites: the repository's scenarios with `--jobs 1` against `--jobs` set
//! to the CPU count, and 500 generated scenarios against a raw HTTP client sending the same
//! requests to the same bot code, bank and sinks with the same concurrency.
//!
//! Run with `cargo bench --bench suite_wall`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use banter::testing::sinks::{self, Sinks};
use banter::testing::{Bank, DemoBot, Telemetry};
use banter::{Config, Customer, CustomerSpec, HumanDuration, SnapshotMode, Suite};

const GENERATED: usize = 500;
const SEED: u64 = 3;
const TEXTS: [&str; 3] = ["hi", "what's my checking balance?", "talk to an advisor"];

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn suite(dir: &Path, jobs: usize, settle: bool) -> Duration {
    let mut config = Config::default();
    if !settle {
        config.privacy.settle = HumanDuration(Duration::ZERO);
    }
    let snapshots = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let report = Suite::from_dir(dir)
        .config(config)
        .jobs(jobs)
        .seed(SEED)
        .snapshots(snapshots.path())
        .snapshot_mode(SnapshotMode::Accept)
        .run()
        .await
        .expect("run");
    assert!(report.passed(), "bench scenarios must pass");
    started.elapsed()
}

async fn raw(jobs: usize) -> Duration {
    let bank = Arc::new(Bank::start(SEED).await.expect("bank"));
    let sinks = Sinks::start(&sinks::builtin(), Arc::new(|_: &_| ()))
        .await
        .expect("sinks");
    let bot = DemoBot::start(
        &bank.url(),
        0,
        Telemetry::from_urls(|name| sinks.url(name), false),
    )
    .await
    .expect("bot");
    let url = Arc::new(format!("{}/chat", bot.url()));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..jobs {
        let (bank, url, client) = (bank.clone(), url.clone(), client.clone());
        tasks.spawn(async move {
            for i in (worker..GENERATED).step_by(jobs) {
                let name = format!("generated {i}");
                let customer = Customer::generate(SEED, &name, &CustomerSpec::default());
                let token = customer.token.clone();
                let _session = bank.open(customer, Vec::new());
                for text in TEXTS {
                    let body = serde_json::json!({ "conversation_id": name, "text": text, "bank_token": token });
                    let reply: serde_json::Value =
                        client.post(url.as_str()).json(&body).send().await.expect("send").json().await.expect("json");
                    assert!(reply["replies"].is_array());
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    bot.shutdown();
    elapsed
}

fn generate(dir: &Path) {
    let mut yaml = String::new();
    for i in 0..GENERATED {
        yaml.push_str(&format!(
            "- name: generated {i}\n  steps:\n    - {{ user: \"{}\", bot: {{ contains: \"{{{{ customer.first_name }}}}\" }} }}\n    - {{ user: \"{}\", bot: {{ contains: \"{{{{ checking.balance | usd }}}}\" }} }}\n    - {{ user: \"{}\", bank: {{ not_called: [\"* /**\"] }} }}\n",
            TEXTS[0], TEXTS[1], TEXTS[2]
        ));
    }
    std::fs::write(dir.join("generated.yaml"), yaml).expect("write scenarios");
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let n = cpus();
    let one = suite(&repo, 1, true).await;
    let many = suite(&repo, n, true).await;
    println!("suite_wall: repository scenarios (settle 300 ms)");
    println!("  --jobs 1   : {:7.2} s", secs(one));
    println!(
        "  --jobs {n:<3} : {:7.2} s  ({:.2}x faster)",
        secs(many),
        secs(one) / secs(many)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    generate(dir.path());
    let harness = suite(dir.path(), n, false).await;
    let baseline = raw(n).await;
    let turns = (GENERATED * TEXTS.len()) as f64;
    println!(
        "suite_wall: {GENERATED} generated scenarios x {} turns, {n} at a time (settle 0)",
        TEXTS.len()
    );
    println!(
        "  raw HTTP client : {:7.2} s  ({:6.0} us/turn)",
        secs(baseline),
        secs(baseline) * 1e6 / turns
    );
    println!(
        "  banter          : {:7.2} s  ({:6.0} us/turn)",
        secs(harness),
        secs(harness) * 1e6 / turns
    );
    println!(
        "  ratio           : {:7.2}x",
        secs(harness) / secs(baseline)
    );
}
