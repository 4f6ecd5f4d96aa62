//! Suite discovery through the real binary: `banter run DIR` reads the nearest `banter.yaml`
//! of DIR, names it in the run's first line, and `--config` still wins.

mod common;

use common::{banter_with_env, repo, Workspace};

const BANTER_BIN: (&str, &str) = ("BANTER_BIN", env!("CARGO_BIN_EXE_banter"));

#[test]
fn a_suite_directory_runs_with_its_own_banter_yaml() {
    let run = banter_with_env(&repo(), &["run", "scenarios/messenger"], &[BANTER_BIN]);
    assert_eq!(run.code, 0, "{run:?}");
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.contains("against messenger bot"), "{first}");
    assert!(
        first.ends_with("(seed 1, config scenarios/messenger/banter.yaml)"),
        "{first}"
    );
}

#[test]
fn a_scenario_file_finds_the_config_of_its_directory() {
    let run = banter_with_env(
        &repo(),
        &["validate", "scenarios/messenger/linked.yaml"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let ws = Workspace::new();
    ws.demo_bot()
        .write(
            "suite/deep/greeting.yaml",
            "name: Greeting\nsteps:\n  - user: hi\n    bot: { contains_any: [hello, hi] }\n",
        )
        .write("suite/banter.yaml", "bot: { connector: stdio }\n");
    // The nearest banter.yaml is suite/'s (a stdio bot without a command: refused), not the
    // workspace's.
    let run = ws.banter(&["run", "suite/deep/greeting.yaml"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("suite/banter.yaml: bot.start.command"),
        "{run:?}"
    );
    // Without one in the suite, the search climbs to the current directory's.
    std::fs::remove_file(ws.path().join("suite/banter.yaml")).unwrap();
    let run = ws.banter(&["run", "suite/deep"]);
    assert_eq!(run.code, 0, "{run:?}");
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.ends_with("(seed 1, config banter.yaml)"), "{first}");
}

#[test]
fn the_search_stops_at_the_current_directory() {
    let ws = Workspace::new();
    ws.write("banter.yaml", "bot: { connector: stdio }\n")
        .write(
            "project/scenarios/greeting.yaml",
            "name: Greeting\nsteps:\n  - user: hi\n    bot: { contains_any: [hello, hi] }\n",
        );
    // Run from project/: the broken banter.yaml above it is not read; the demo bot is tested.
    let run = banter_with_env(&ws.path().join("project"), &["run", "scenarios"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.ends_with("(seed 1)"), "{first}");
}

#[test]
fn config_still_wins_over_the_suite_banter_yaml() {
    let ws = Workspace::new();
    ws.demo_bot();
    let config = ws.path().join("banter.yaml");
    let run = banter_with_env(
        &repo(),
        &[
            "run",
            "scenarios/messenger",
            "--config",
            config.to_str().unwrap(),
        ],
        &[BANTER_BIN],
    );
    // The HTTP demo bot cannot play the Messenger suite.
    assert_eq!(run.code, 1, "{run:?}");
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(first.contains("against http bot"), "{first}");
    assert!(
        first.ends_with(&format!("config {})", config.display())),
        "{first}"
    );
}

#[test]
fn paths_of_different_suites_are_refused() {
    let run = banter_with_env(
        &repo(),
        &["run", "scenarios", "scenarios/messenger"],
        &[BANTER_BIN],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: scenarios uses no banter.yaml but scenarios/messenger uses scenarios/messenger/banter.yaml: run them separately, or name one config with --config",
    );
}
