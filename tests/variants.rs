//! Utterance variants and data tables through the real binary: one test case per variant and
//! per row, named in every report, selected by `--filter` and `--shard`, snapshotted apiece.

mod common;

use common::Workspace;

/// Three ways to ask for a balance (the third one the demo bot does not understand), and
/// an outline over two account types.
const SUITE: &str = r#"name: Balance
customer:
  accounts: [{ type: checking, balance: 120.50 }, { type: savings, balance: 900 }]
steps:
  - user: { any_of: ["what's my checking balance?", "checking balance please", "how rich am I"] }
    bot: { contains: "{{ checking.balance | usd }}" }
---
name: Balance of <account>
examples:
  - { account: checking, consent: granted }
  - { account: savings, consent: granted }
customer:
  consent: <consent>
  accounts: [{ type: checking, balance: 120.50 }, { type: savings, balance: 900 }]
steps:
  - user: "what's my <account> balance?"
    bot:
      contains: "{{ <account>.balance | usd }}"
"#;

fn names(report: &serde_json::Value) -> Vec<(String, String)> {
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}

#[test]
fn every_variant_and_row_is_a_test_case_of_its_own() {
    let ws = Workspace::new();
    ws.write("scenarios/balance.yaml", SUITE);
    let run = ws.banter_reporting(&["run"]);
    assert_eq!(run.code, 1, "the third variant fails: {run:?}");
    let [json, junit, _html] = ws.reports();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        names(&report),
        pairs(&[
            ("Balance [variant 1]", "passed"),
            ("Balance [variant 2]", "passed"),
            ("Balance [variant 3]", "failed"),
            ("Balance of checking", "passed"),
            ("Balance of savings", "passed"),
        ])
    );
    // Every case keeps the line of the scenario it came from.
    let lines: Vec<u64> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 1, 1, 8, 8]);
    for name in ["Balance [variant 3]", "Balance of savings"] {
        assert!(
            junit.contains(&format!("name=\"{name}\"")),
            "{name} in JUnit: {junit}"
        );
    }
    assert!(run.stdout.contains("Balance [variant 3]"), "{run:?}");
}

#[test]
fn filter_and_shards_select_test_cases() {
    let ws = Workspace::new();
    ws.write("scenarios/balance.yaml", SUITE);
    let (run, report) = ws.banter_json(&["run", "--filter", "variant 2"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(names(&report), pairs(&[("Balance [variant 2]", "passed")]));
    let mut seen = Vec::new();
    for shard in ["1/2", "2/2"] {
        let (_, report) = ws.banter_json(&["run", "--shard", shard]);
        let names = names(&report);
        assert!(!names.is_empty() && names.len() < 5, "{shard}: {names:?}");
        seen.extend(names.into_iter().map(|(n, _)| n));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "Balance [variant 1]",
            "Balance [variant 2]",
            "Balance [variant 3]",
            "Balance of checking",
            "Balance of savings"
        ]
    );
}

#[test]
fn each_variant_has_its_own_snapshot() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/hi.yaml",
        "name: Hi\nsnapshot: true\nsteps:\n  - user: { any_of: [hi, hello] }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    for (file, said) in [
        ("hi_variant_1_be2c76a4", "user: hi"),
        ("hi_variant_2_c231ab63", "user: hello"),
    ] {
        let snap = std::fs::read_to_string(ws.path().join(format!("snapshots/{file}.snap")))
            .unwrap_or_else(|e| panic!("{file}: {e}: {run:?}"));
        assert!(snap.contains(said), "{snap}");
    }
    // A variant whose transcript changed fails alone.
    ws.write(
        "scenarios/hi.yaml",
        "name: Hi\nsnapshot: true\nsteps:\n  - user: { any_of: [hi, what's my balance] }\n",
    );
    let (run, report) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        names(&report),
        pairs(&[("Hi [variant 1]", "passed"), ("Hi [variant 2]", "failed")])
    );
}

#[test]
fn bad_shapes_stop_the_run_located() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/bad.yaml",
        "name: a\nsteps:\n  - user: { any_of: [] }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: scenarios/bad.yaml:3:21: steps[0].user.any_of: needs at least one alternative"
        ),
        "{run:?}"
    );
    ws.write(
        "scenarios/bad.yaml",
        "name: a\nexamples: [{ acount: checking }]\nsteps:\n  - user: \"my <account> balance\"\n",
    );
    let run = ws.banter(&["validate"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: scenarios/bad.yaml:1:1: scenario `a`: examples column `acount` is not used: write `<acount>` where its value goes"
    );
}
