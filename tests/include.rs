//! Reusable steps through the real binary: included steps files spliced into scenarios with
//! their parameters; cycles and missing files stop the run with a located error.

mod common;

use common::Workspace;

#[test]
fn included_steps_run_as_part_of_the_scenario() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/steps/ask-balance.yaml",
        "# Asks for one account's balance.\n- user: \"hi\"\n  bot: { contains_any: [hello, hi] }\n- user: \"what's my <account> balance?\"\n  bot: { contains: \"{{ <account>.balance | usd }}\" }\n",
    )
    .write(
        "scenarios/balance.yaml",
        "- name: Checking\n  steps:\n    - include: steps/ask-balance.yaml\n      with: { account: checking }\n- name: Savings\n  steps:\n    - include: steps/ask-balance.yaml\n      with: { account: savings }\n    - user: \"thanks\"\n",
    );
    let (run, report) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(
        scenarios.len(),
        2,
        "the steps file is not a scenario: {report}"
    );
    let said: Vec<&str> = scenarios[1]["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["hi", "what's my savings balance?", "thanks"]);
    // The included expectations hold the scenario to them: a customer who never linked an
    // account gets no balance, and the scenario fails.
    ws.write(
        "scenarios/balance.yaml",
        "name: Checking\ncustomer: { consent: none }\nsteps:\n  - include: steps/ask-balance.yaml\n    with: { account: checking }\n",
    );
    let (run, report) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(report["scenarios"][0]["status"], "failed", "{report}");
    // A parameter that makes an undefined template is reported before anything runs.
    ws.write(
        "scenarios/balance.yaml",
        "name: Checking\nsteps:\n  - include: steps/ask-balance.yaml\n    with: { account: brokerage }\n",
    );
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("template `{{ brokerage.balance | usd }}`: undefined value"),
        "{run:?}"
    );
}

#[test]
fn include_cycles_and_missing_files_are_located() {
    let ws = Workspace::new();
    ws.write(
        "scenarios/a.yaml",
        "name: A\nsteps:\n  - user: hi\n  - include: steps/x.yaml\n",
    )
    .write("scenarios/steps/x.yaml", "- user: x\n- include: y.yaml\n")
    .write("scenarios/steps/y.yaml", "- user: y\n- include: x.yaml\n");
    let run = ws.banter(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: scenarios/steps/y.yaml:2:3: include cycle: scenarios/steps/x.yaml includes scenarios/steps/y.yaml includes scenarios/steps/x.yaml"
    );
    ws.write(
        "scenarios/a.yaml",
        "name: A\nsteps:\n  - user: hi\n  - include: steps/z.yaml\n",
    );
    let run = ws.banter(&["validate"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "error: scenarios/a.yaml:4:5: include `steps/z.yaml`: scenarios/steps/z.yaml: cannot read:"
        ),
        "{run:?}"
    );
}
