//! `banter simulate` through the real binary against the bundled demo bot: its outputs, its
//! determinism whatever the concurrency, thresholds and leaks that fail it (exit 1), bad
//! flags and settings (exit 2), probabilistic bank faults drawn from the seed, and three
//! shards merged against one run of the same total.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{repo, Run, Workspace};
use serde_json::Value;

/// Runs `banter simulate` on the repository's scenarios in `ws` with `args` (split at
/// spaces), its outputs in `out`.
fn simulate(ws: &Workspace, out: &str, args: &str) -> Run {
    let scenarios = repo().join("scenarios").display().to_string();
    let mut all = vec!["simulate", scenarios.as_str(), "--out", out];
    all.extend(args.split_whitespace());
    ws.banter(&all)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("a JSON file");
    serde_json::from_str(&text).expect("JSON")
}

fn summary(dir: &Path) -> Value {
    read_json(&dir.join("summary.json"))
}

/// Each conversation's line of `conversations.jsonl`, by number: scenario, customer, status.
fn journal(dir: &Path) -> BTreeMap<u64, (String, String, String)> {
    let text = std::fs::read_to_string(dir.join("conversations.jsonl")).expect("jsonl");
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            let field = |k: &str| v[k].as_str().unwrap().to_string();
            let number = v["conversation"].as_u64().unwrap();
            (
                number,
                (field("scenario"), field("customer"), field("status")),
            )
        })
        .collect()
}

/// Each scenario's name and conversations in a summary.
fn per_scenario(s: &Value) -> Vec<(String, u64)> {
    let scenarios = s["scenarios"].as_array().unwrap().iter();
    scenarios
        .map(|x| {
            let name = x["name"].as_str().unwrap().to_string();
            (name, x["conversations"].as_u64().unwrap())
        })
        .collect()
}

const MIX: &str = "--mix balance=5,transactions=3,advisor=1";

#[test]
fn a_simulation_writes_its_summary_journal_junit_and_page() {
    let ws = Workspace::new();
    let args = format!("--customers 20 --concurrency 4 --conversations 60 {MIX}");
    let run = simulate(&ws, "out", &args);
    assert_eq!(run.code, 0, "{run:?}");
    let line = "60 conversations (60 passed, 0 failed)";
    assert!(run.stdout.contains(line), "{run:?}");
    let out = ws.path().join("out");
    let s = summary(&out);
    assert_eq!(s["kind"], "banter simulate");
    assert_eq!(s["workload"], "closed");
    assert_eq!(s["conversations"], 60);
    let turns = s["turns"].as_u64().unwrap();
    assert_eq!(s["latency"]["count"].as_u64(), Some(turns));
    assert_eq!(s["overhead"]["count"].as_u64(), Some(turns));
    let at = |p: &str| s["latency"][p].as_u64().unwrap();
    assert!(at("p50_us") <= at("p99_us") && at("p99_us") <= at("max_us"));
    assert!(s["latency"]["histogram"].as_str().unwrap().len() > 10);
    // Only the mixed scenarios play, the balance most.
    let played = per_scenario(&s);
    let names: Vec<&str> = played.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Checking balance after opt-in",
            "Hand-off to a human advisor",
            "Last three transactions"
        ]
    );
    assert_eq!(played.iter().map(|(_, n)| n).sum::<u64>(), 60);
    assert!(played[0].1 > played[1].1, "{played:?}");
    let lines = journal(&out);
    let numbers: Vec<u64> = lines.keys().copied().collect();
    assert_eq!(numbers, (0..60).collect::<Vec<_>>());
    // Conversation j is with customer j mod 20 of its scenario's profile.
    assert!(lines[&23].1.starts_with("customer 3 "), "{:?}", lines[&23]);
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"testcase name="leaks &lt;= 0""#),
        "{junit}"
    );
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("<svg") && page.contains("Latency over time"));
    for external in ["src=\"http", "href=\"http", "<script", "<link"] {
        assert!(!page.contains(external), "no external resource: {external}");
    }
}

#[test]
fn the_same_seed_plays_the_same_conversations_whatever_the_concurrency() {
    let ws = Workspace::new();
    let args = |c: u32, seed: u32| {
        format!("--customers 16 --concurrency {c} --conversations 40 --seed {seed} {MIX}")
    };
    assert_eq!(simulate(&ws, "one", &args(1, 9)).code, 0);
    assert_eq!(simulate(&ws, "eight", &args(8, 9)).code, 0);
    let one = journal(&ws.path().join("one"));
    assert_eq!(one, journal(&ws.path().join("eight")));
    // Another seed mixes differently.
    assert_eq!(simulate(&ws, "other", &args(8, 10)).code, 0);
    assert_ne!(one, journal(&ws.path().join("other")));
}

#[test]
fn a_broken_threshold_exits_1_with_a_failed_junit_case() {
    let ws = Workspace::new();
    let thresholds = "simulate:\n  thresholds: { p99: 1us, errors: 0.5%, leaks: 0 }\n";
    ws.write("banter.yaml", thresholds);
    let args = "--customers 8 --concurrency 2 --conversations 10 --mix advisor=1";
    let run = simulate(&ws, "out", args);
    assert_eq!(run.code, 1, "{run:?}");
    let line = "threshold p99 <= 1us: FAILED";
    assert!(run.stdout.contains(line), "{run:?}");
    let junit = std::fs::read_to_string(ws.path().join("out/junit.xml")).unwrap();
    let counts = junit.contains(r#"tests="3""#) && junit.contains(r#"failures="1""#);
    assert!(counts, "{junit}");
    assert_eq!(summary(&ws.path().join("out"))["passed_thresholds"], false);
    // Generous limits pass.
    let thresholds = "simulate:\n  thresholds: { p99: 30s, max: 60s, errors: 0%, leaks: 0 }\n";
    ws.write("banter.yaml", thresholds);
    let run = simulate(&ws, "out", args);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_leaky_bot_fails_with_every_violation_and_its_conversation() {
    let ws = Workspace::new();
    ws.write("banter.yaml", "demo: { leaky: true }\n");
    let args = "--customers 10 --concurrency 3 --conversations 12 --mix balance=1";
    let run = simulate(&ws, "out", args);
    assert_eq!(run.code, 1, "{run:?}");
    let s = summary(&ws.path().join("out"));
    let violations = s["violations"].as_array().unwrap();
    // Leaks no conversation could be told to own (customers of the one template share its
    // balance) count too.
    let unowned = s["unattributed_leaks"].as_u64().unwrap();
    assert_eq!(s["leaks"].as_u64(), Some(violations.len() as u64 + unowned));
    // Every conversation leaked, and each is named, in conversation order.
    let mut leaked: Vec<u64> = violations
        .iter()
        .map(|v| v["conversation"].as_u64().unwrap())
        .collect();
    leaked.dedup();
    assert_eq!(leaked, (0..12).collect::<Vec<_>>());
    assert!(violations.iter().all(|v| v["kind"] == "privacy"));
    assert_eq!(violations[0]["customer"], "customer 0");
    let messages: Vec<&str> = violations
        .iter()
        .filter(|v| v["conversation"] == 0)
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    // The leaky demo bot leaks values, and tags its lead with a credit tier.
    assert!(
        messages.iter().any(|m| m.starts_with("the customer's ")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("a financial-status signal")),
        "{messages:?}"
    );
    let shown = "VIOLATION conversation 0 (Checking balance after opt-in, customer 0)";
    assert!(run.stdout.contains(shown), "{run:?}");
    assert!(
        run.stdout.contains("threshold leaks <= 0: FAILED"),
        "{run:?}"
    );
}

#[test]
fn bad_flags_and_settings_exit_2_with_one_clear_line() {
    let ws = Workspace::new();
    let few = "--customers 4 --concurrency 2 --conversations 3";
    let cases = [
        ("--customers 4 --concurrency 2".to_string(), "--duration"),
        (format!("{few} --duration 1s"), "cannot be used with"),
        (
            "--customers 2 --concurrency 4 --conversations 3".to_string(),
            "--customers 2 is fewer than --concurrency 4",
        ),
        (
            format!("{few} --mix nope=1"),
            "--mix: `nope` names no scenario",
        ),
        (
            format!("{few} --mix balance=0"),
            "invalid mix entry `balance=0`",
        ),
        (format!("{few} --ramp soon"), "--ramp"),
    ];
    for (args, expected) in cases {
        let run = simulate(&ws, "out", &args);
        assert_eq!(run.code, 2, "{args}: {run:?}");
        assert!(run.stderr.contains(expected), "{args}: {run:?}");
    }
    for (setting, expected) in [
        ("simulate:\n  thresholds: { errors: 5 }\n", "banter.yaml:2:"),
        (
            "simulate:\n  thresholds: { p98: 1s }\n",
            "unknown field `p98`",
        ),
        (
            "simulate:\n  faults: [{ status: 503, rate: 2 }]\n",
            "invalid rate 2",
        ),
    ] {
        ws.write("banter.yaml", setting);
        let run = simulate(&ws, "out", few);
        assert_eq!(run.code, 2, "{setting}: {run:?}");
        assert!(run.stderr.contains(expected), "{setting}: {run:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    }
}

#[test]
fn probabilistic_bank_faults_are_drawn_from_the_seed() {
    let ws = Workspace::new();
    ws.write(
        "banter.yaml",
        "simulate:\n  faults: [{ path: \"/fdx/v6/accounts/*\", status: 503, rate: 0.3 }]\n  thresholds: { errors: 100% }\n",
    );
    let args =
        |c: u32| format!("--customers 12 --concurrency {c} --conversations 40 --mix balance=1");
    assert_eq!(simulate(&ws, "a", &args(2)).code, 0);
    assert_eq!(simulate(&ws, "b", &args(6)).code, 0);
    let a = journal(&ws.path().join("a"));
    assert_eq!(a, journal(&ws.path().join("b")));
    let failed = a
        .values()
        .filter(|(_, _, status)| status != "passed")
        .count();
    assert!((3..30).contains(&failed), "{failed} of 40 failed");
}

#[test]
fn a_short_duration_stops_the_simulation() {
    let ws = Workspace::new();
    let args = "--customers 8 --concurrency 2 --duration 1500ms --ramp 500ms --mix advisor=1";
    let run = simulate(&ws, "out", args);
    assert_eq!(run.code, 0, "{run:?}");
    let s = summary(&ws.path().join("out"));
    assert!(s["conversations"].as_u64().unwrap() > 0, "{s}");
    assert!(s["duration_ms"].as_u64().unwrap() < 10_000, "{s}");
    assert!(!s["timeline"].as_array().unwrap().is_empty());
}

#[test]
fn three_shards_merge_into_the_counts_and_histograms_of_one_run() {
    let ws = Workspace::new();
    let common = format!("--customers 12 --concurrency 3 --conversations 90 {MIX}");
    assert_eq!(simulate(&ws, "whole", &common).code, 0);
    for k in 1..=3 {
        let run = simulate(
            &ws,
            &format!("shard{k}"),
            &format!("{common} --shard {k}/3"),
        );
        assert_eq!(run.code, 0, "{run:?}");
    }
    let shard = |k: u32| ws.path().join(format!("shard{k}"));
    let shards: Vec<String> = (1..=3)
        .map(|k| shard(k).join("summary.json").display().to_string())
        .collect();
    let merge = |out: &str| {
        let mut args = vec!["merge"];
        args.extend(shards.iter().map(String::as_str));
        args.extend(["--json", out]);
        ws.banter(&args)
    };
    let run = merge("merged/summary.json");
    assert_eq!(run.code, 0, "{run:?}");
    let whole = summary(&ws.path().join("whole"));
    let merged = summary(&ws.path().join("merged"));
    // Every conversation once, with the same scenario, customer and verdict.
    let mut sharded = BTreeMap::new();
    (1..=3).for_each(|k| sharded.extend(journal(&shard(k))));
    assert_eq!(sharded, journal(&ws.path().join("whole")));
    for key in ["conversations", "passed", "failed", "turns", "leaks"] {
        assert_eq!(merged[key], whole[key], "{key}");
    }
    assert_eq!(per_scenario(&merged), per_scenario(&whole));
    assert_eq!(merged["shards"], serde_json::json!(["1/3", "2/3", "3/3"]));
    assert_eq!(merged["latency"]["count"], whole["latency"]["count"]);
    // The histograms are added, not their percentiles: the merged maximum is the largest
    // shard maximum, and merging again gives the same histogram.
    let max = (1..=3)
        .map(|k| summary(&shard(k))["latency"]["max_us"].as_u64().unwrap())
        .max();
    assert_eq!(merged["latency"]["max_us"].as_u64(), max);
    assert_eq!(merge("again.json").code, 0);
    let again = read_json(&ws.path().join("again.json"));
    assert_eq!(again["latency"], merged["latency"]);
    assert!(ws.path().join("report.html").is_file());
    // A shard twice is refused.
    let run = ws.banter(&["merge", &shards[0], &shards[0], "--json", "twice.json"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("shard 1/3 is already merged"),
        "{run:?}"
    );
}

#[test]
fn an_interrupted_simulation_exits_130_and_still_writes_its_summary() {
    let ws = Workspace::new();
    // Every bank call waits 30 s: the conversations under way are abandoned at Ctrl-C.
    ws.write(
        "banter.yaml",
        "simulate:\n  faults: [{ delay: 30s, rate: 1 }]\n",
    );
    let scenarios = repo().join("scenarios");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_banter"))
        .arg("simulate")
        .arg(&scenarios)
        .args(
            "--customers 4 --concurrency 2 --duration 60s --mix balance=1,advisor=1 --out out"
                .split(' '),
        )
        .current_dir(ws.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // SAFETY: signals the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let run = common::finish_within(child, std::time::Duration::from_secs(30));
    assert_eq!(run.code, 130, "{run:?}");
    let s = summary(&ws.path().join("out"));
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["passed_thresholds"], false);
    assert!(run.stdout.contains("interrupted"), "{run:?}");
}

#[test]
fn isolation_and_cross_session_violations_under_load_name_their_conversations() {
    for (mode, kind) in [("cache", "isolation"), ("stale", "cross_session")] {
        let ws = Workspace::new();
        ws.misbehaving_bot(mode, "10s");
        ws.write(
            "scenarios/balance.yaml",
            "name: Balance\nsteps:\n  - user: balance please\n",
        );
        // Conversation 6 would be customer 0's again: its data is its own there.
        let args = "simulate scenarios --customers 6 --concurrency 1 --conversations 6 --out out";
        let run = ws.banter(&args.split(' ').collect::<Vec<_>>());
        assert_eq!(run.code, 1, "{mode}: {run:?}");
        let s = summary(&ws.path().join("out"));
        let violations = s["violations"].as_array().unwrap();
        // The bot keeps what it read for conversation 0 and serves it to every later one.
        let mut seen: Vec<u64> = violations
            .iter()
            .filter(|v| v["kind"] == kind)
            .map(|v| v["conversation"].as_u64().unwrap())
            .collect();
        seen.dedup();
        assert_eq!(seen, (1..6).collect::<Vec<_>>(), "{mode}: {violations:?}");
        assert_eq!(violations[0]["customer"], "customer 1");
    }
}
