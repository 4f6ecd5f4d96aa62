//! Parallel and sharded runs, fail-fast, JUnit, merging reports, and the assertion helper.

mod common;

use std::collections::BTreeSet;

use banter::Shard;
use banter::Status;
use banter::Suite;
use common::{repo, stable, Workspace};

#[tokio::test]
async fn eight_jobs_give_the_same_report_as_one() {
    let one = Suite::from_dir(repo().join("scenarios"))
        .jobs(1)
        .run()
        .await
        .unwrap();
    let eight = Suite::from_dir(repo().join("scenarios"))
        .jobs(8)
        .run()
        .await
        .unwrap();
    assert!(one.passed());
    assert_eq!(stable(&one), stable(&eight));
}

/// `count` scenarios, each asserting its own customer's name and checking balance.
fn generated(count: usize) -> Vec<banter::Scenario> {
    let yaml: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "name: generated {i:04}\nsteps:\n  - user: hi\n    bot: {{ contains: \"{{{{ customer.first_name }}}}\" }}\n  - user: what's my checking balance?\n    bot: {{ contains: \"{{{{ checking.balance | usd }}}}\" }}\n  - user: talk to an advisor\n    bot: {{ contains: advisor }}\n"
            )
        })
        .collect();
    let ws = Workspace::new();
    ws.write("scenarios/generated.yaml", &yaml.join("---\n"));
    banter::load_paths(&[ws.path().join("scenarios")]).unwrap()
}

#[tokio::test]
async fn many_overlapping_conversations_give_the_same_report_at_any_concurrency() {
    // Before, thousands of customers' zip codes matched digits inside telemetry ids, and every
    // scenario counted the telemetry of every scenario beside it: verdicts and reports changed
    // with --jobs and from run to run.
    let mut config = banter::Config::default();
    config.privacy.settle = banter::HumanDuration(std::time::Duration::from_millis(20));
    let scenarios = generated(300);
    let run = |jobs| {
        Suite::new(scenarios.clone())
            .config(config.clone())
            .jobs(jobs)
            .run()
    };
    let one = run(1).await.unwrap();
    one.assert_passed();
    assert_eq!(
        one.unattributed.requests,
        300 * 3 * 5,
        "{:#?}",
        one.unattributed
    );
    let one = stable(&one);
    for jobs in [64, 300] {
        let many = stable(&run(jobs).await.unwrap());
        let first_difference = (0..300).find(|&i| one["scenarios"][i] != many["scenarios"][i]);
        if let Some(i) = first_difference {
            panic!(
                "--jobs {jobs} differs from --jobs 1 at scenario {i}:\n{:#}\n{:#}",
                one["scenarios"][i], many["scenarios"][i]
            );
        }
        assert_eq!(one, many, "--jobs {jobs}");
    }
}

/// The leaky demo bot sends its Meta and Segment calls of a turn at once, so they arrive in
/// either order: the reports list the leaks, warnings and failures in an order of their own,
/// the same at every `--jobs` and on every run.
#[tokio::test]
async fn eight_jobs_keep_leak_reports() {
    let run = |jobs| async move {
        let report = Suite::from_dir(repo().join("examples/leaky/scenarios"))
            .config(repo().join("examples/leaky/banter.yaml"))
            .jobs(jobs)
            .run()
            .await
            .unwrap();
        assert!(report.scenarios.iter().all(|s| !s.leaks.is_empty()));
        stable(&report)
    };
    let one = run(1).await;
    for _ in 0..3 {
        assert_eq!(one, run(8).await);
    }
}

#[test]
fn shards_partition_the_suite() {
    let names = |shard: Option<Shard>| -> Vec<String> {
        let mut suite = Suite::from_dir(repo().join("scenarios"));
        if let Some(shard) = shard {
            suite = suite.shard(shard);
        }
        suite
            .plan()
            .unwrap()
            .scenarios
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    let all: BTreeSet<String> = names(None).into_iter().collect();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for k in 1..=3 {
        let shard: Shard = format!("{k}/3").parse().unwrap();
        let part = names(Some(shard));
        total += part.len();
        seen.extend(part);
    }
    assert_eq!(total, all.len(), "every scenario exactly once");
    assert_eq!(seen, all);
    assert!(
        "0/3".parse::<Shard>().is_err()
            && "4/3".parse::<Shard>().is_err()
            && "x".parse::<Shard>().is_err()
    );
}

fn failing_suite() -> Workspace {
    let ws = Workspace::new();
    ws.write(
        "scenarios/suite.yaml",
        "- name: A fails\n  steps: [{ user: hi, bot: { contains: \"no such reply\" } }]\n- name: B passes\n  steps: [{ user: advisor please, bot: { contains: advisor } }]\n- name: C passes\n  steps: [{ user: hi }]\n",
    );
    ws
}

#[test]
fn fail_fast_stops_after_the_first_failure() {
    let ws = failing_suite();
    let report = ws.path().join("r.json");
    let run = ws.banter(&[
        "run",
        "--jobs",
        "1",
        "--fail-fast",
        "--json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(json["scenarios"].as_array().unwrap().len(), 1, "{run:?}");
    assert_eq!(json["stopped_early"], true);
}

#[test]
fn junit_is_well_formed_xml_with_the_right_counts() {
    let ws = failing_suite();
    let junit = ws.path().join("out/junit.xml");
    let run = ws.banter(&["run", "--junit", junit.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run:?}");
    let check = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             suite = root.find('testsuite')\n\
             cases = suite.findall('testcase')\n\
             failed = [c.get('name') for c in cases if c.find('failure') is not None]\n\
             print(root.get('tests'), root.get('failures'), len(cases), ','.join(failed))\n\
             print(cases[0].find('failure').get('message'))",
        )
        .arg(&junit)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("3 1 3 A fails"));
    assert_eq!(
        lines.next(),
        Some("turn 1: reply does not contain \"no such reply\"")
    );
}

#[test]
fn shard_reports_merge_into_the_whole_suite() {
    let ws = Workspace::new();
    let scenarios = repo().join("scenarios");
    let scenarios = scenarios.to_str().unwrap();
    let mut parts = Vec::new();
    for k in 1..=2 {
        let out = ws.path().join(format!("shard{k}.json"));
        let run = ws.banter(&[
            "run",
            scenarios,
            "--shard",
            &format!("{k}/2"),
            "--json",
            out.to_str().unwrap(),
        ]);
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        if run.code == 0 {
            parts.push(out.to_str().unwrap().to_string());
        }
    }
    let merged = ws.path().join("merged.json");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--json", merged.to_str().unwrap()]);
    let run = ws.banter(&args);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let total = Suite::from_dir(repo().join("scenarios"))
        .plan()
        .unwrap()
        .scenarios
        .len();
    assert_eq!(json["summary"]["total"], total);
    assert_eq!(json["summary"]["passed"], total);
    let twice = ws.banter(&[
        "merge",
        &parts[0],
        &parts[0],
        "--json",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(twice.code, 2, "{twice:?}");
    assert!(
        twice.stderr.contains("is in more than one report"),
        "{twice:?}"
    );
}

#[tokio::test]
#[should_panic(expected = "turn 1: reply does not contain \"no such reply\"")]
async fn assert_passed_panics_with_the_failures() {
    let ws = failing_suite();
    let report = Suite::from_dir(ws.path().join("scenarios"))
        .run()
        .await
        .unwrap();
    assert_eq!(report.scenarios[0].status, Status::Failed);
    report.assert_passed();
}
