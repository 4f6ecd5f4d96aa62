//! A Messenger turn against an HTTP turn: the same scenarios through `banter` against the same
//! demo bot process (`banter demo-bot`), once over its `/chat` endpoint with the `http`
//! connector and once as a Messenger bot on `/webhook` with the `messenger` connector (signed
//! webhook events in, Send API calls to banter's Graph mock out), alternating rounds.
//!
//! Run with `cargo bench --bench messenger_turn`. Prints per-turn times and their ratio.

mod common;

use std::path::Path;
use std::time::Duration;

use banter::Config;
use common::{median, run_suite, TEXTS};

const SCENARIOS: usize = 20;
const ROUNDS: usize = 3;
const SEED: u64 = 5;

/// The demo bot process, as the `http` connector or as a Messenger bot.
fn write_config(dir: &Path, name: &str, connector: &str) -> Config {
    let bin = env!("CARGO_BIN_EXE_banter");
    let bot = match connector {
        "messenger" => "  connector: messenger\n  url: \"http://127.0.0.1:{{ port }}/webhook\"\n",
        _ => "  connector: http\n  url: \"http://127.0.0.1:{{ port }}/chat\"\n",
    };
    let yaml = format!(
        "bot:\n{bot}  start:\n    command: \"exec {bin} demo-bot --port {{{{ port }}}}\"\n    env:\n      BANK_URL: \"{{{{ bank.url }}}}\"\n      GRAPH_URL: \"{{{{ graph.url }}}}\"\n      APP_SECRET: \"{{{{ messenger.app_secret }}}}\"\n      VERIFY_TOKEN: \"{{{{ messenger.verify_token }}}}\"\n      PAGE_TOKEN: \"{{{{ messenger.page_token }}}}\"\n    ready: GET /health\n"
    );
    let bot = match connector {
        "messenger" => yaml,
        // The HTTP bot has no Graph mock to point at.
        _ => yaml
            .lines()
            .filter(|line| !line.contains("graph.url") && !line.contains("messenger."))
            .map(|line| format!("{line}\n"))
            .collect(),
    };
    let path = dir.join(name);
    std::fs::write(&path, bot).expect("write config");
    Config::load(&path).expect("config")
}

fn write_scenarios(dir: &Path) {
    let mut yaml = String::new();
    for i in 0..SCENARIOS {
        yaml.push_str(&format!("- name: turn {i}\n  steps:\n"));
        for text in TEXTS {
            yaml.push_str(&format!("    - user: \"{text}\"\n"));
        }
    }
    std::fs::write(dir.join("turns.yaml"), yaml).expect("write scenarios");
}

#[tokio::main]
async fn main() {
    // `cargo bench -- --list` lists nothing here.
    if std::env::args().skip(1).any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).expect("scenario dir");
    write_scenarios(&scenarios);
    let configs = [
        write_config(dir.path(), "http.yaml", "http"),
        write_config(dir.path(), "messenger.yaml", "messenger"),
    ];
    let mut rounds = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (config, times) in configs.iter().zip(&mut rounds) {
            times.push(run_suite(&scenarios, config.clone(), SEED).await);
        }
    }
    let turns = (SCENARIOS * TEXTS.len()) as f64;
    let per_turn = |d: Duration| d.as_secs_f64() * 1e3 / turns;
    let [h, m] = rounds.map(median);
    println!(
        "messenger_turn: {SCENARIOS} scenarios x {} turns, one at a time, median of {ROUNDS} rounds (start-up included)",
        TEXTS.len()
    );
    println!("  http connector      : {:7.2} ms/turn", per_turn(h));
    println!("  messenger connector : {:7.2} ms/turn", per_turn(m));
    println!("  ratio               : {:7.2}x", per_turn(m) / per_turn(h));
}
