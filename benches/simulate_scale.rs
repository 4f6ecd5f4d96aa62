//! The cost of `banter simulate` against scale: the release binary simulates 1,000 and 10,000
//! conversations (100,000 too with `SIMULATE_SCALE=100000`) of the repository's balance,
//! transactions and advisor scenarios against the bundled demo bot, 300 customers per
//! profile, 16 virtual users, and reports each run's wall time, peak RSS (the child's
//! `ru_maxrss`, from `wait4`), throughput, and banter's overhead per turn (wall and on CPU)
//! from its summary.
//!
//! Run with `cargo bench --bench simulate_scale` (the binary is built in release mode with it).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SCALES: [u64; 2] = [1_000, 10_000];

/// Runs the simulation of `conversations` into `out`; gives the wall seconds and the peak RSS in MiB.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its peak RSS"
)]
fn simulate(conversations: u64, out: &Path) -> (f64, f64) {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_banter"))
        .arg("simulate")
        .arg(&scenarios)
        .args(["--customers", "300", "--concurrency", "16"])
        .args(["--conversations", &conversations.to_string()])
        .args(["--mix", "balance=5,transactions=3,advisor=1", "--seed", "1"])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start banter simulate");
    let pid = i32::try_from(child.id()).expect("a pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with valid pointers to fill.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "banter simulate failed: {status}"
    );
    (wall, usage.ru_maxrss as f64 / 1024.0)
}

fn main() {
    let mut scales = SCALES.to_vec();
    if let Ok(extra) = std::env::var("SIMULATE_SCALE") {
        scales.push(extra.parse().expect("SIMULATE_SCALE is a number"));
    }
    println!("conversations  wall      peak RSS   conv/s   overhead p50/p99/p99.9 (wall)   on CPU p50/p99/p99.9");
    for conversations in scales {
        let out = tempfile::tempdir().expect("temp dir");
        let (wall, rss) = simulate(conversations, out.path());
        let text = std::fs::read_to_string(out.path().join("summary.json")).expect("summary");
        let summary: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(summary["conversations"], conversations);
        assert_eq!(summary["failed"], 0, "every conversation passes");
        let us = |part: &str, p: &str| summary[part][p].as_u64().unwrap_or_default();
        println!(
            "{conversations:>13}  {wall:>6.1} s  {rss:>6.0} MiB  {:>6.0}   {} / {} / {} µs {:>14} {} / {} / {} µs",
            summary["conversations_per_second"].as_f64().unwrap_or_default(),
            us("overhead", "p50_us"),
            us("overhead", "p99_us"),
            us("overhead", "p999_us"),
            "",
            us("overhead_cpu", "p50_us"),
            us("overhead_cpu", "p99_us"),
            us("overhead_cpu", "p999_us"),
        );
    }
}
