//! `banter import botium` through the real binary, on a small BotiumScript corpus written in
//! Botium's documented format (tests/fixtures/botium/): what converts runs against the demo
//! bot, and every line that does not is reported at its file and line.

mod common;

use common::{repo, Workspace};

fn fixtures() -> String {
    repo().join("tests/fixtures/botium").display().to_string()
}

#[test]
fn a_botium_corpus_converts_and_runs_against_the_demo_bot() {
    let ws = Workspace::new();
    let run = ws.banter(&["import", "botium", &fixtures()]);
    assert_eq!(run.code, 0, "{run:?}");
    let stdout = run.stdout.replace(&format!("{}/", fixtures()), "");
    let expected = "\
converted balance.convo.txt -> scenarios/balance.yaml
converted greeting.pconvo.txt -> scenarios/steps/greeting.yaml
converted optout.convo.txt -> scenarios/optout.yaml
converted partials/optout.pconvo.txt -> scenarios/steps/optout.yaml
converted unknown.convo.txt -> scenarios/unknown.yaml
not converted: balance.convo.txt:12: `MEDIA https://example.com/chart.png`: a media asserter: kept as a comment, banter does not check media
not converted: notes.txt: not a BotiumScript text file (.convo.txt, .pconvo.txt, .utterances.txt): skipped
not converted: optout.convo.txt:4: `Welcome!`: a bot message with no user message before it: banter's turns start with the user
not converted: optout.convo.txt:11: `PCONVO_MISSING`: no partial convo of that name among the files imported
not converted: unknown.convo.txt:5: `PAUSE 500`: a logic hook with no banter equivalent
not converted: unknown.convo.txt:11: `?Let me check`: an optional bot message: banter has no optional matcher
not converted: unknown.convo.txt:13: `INTENT unknown`: an asserter with no banter equivalent
not converted: unknown.convo.txt:16: `MEDIA photo.jpg`: a user media upload: banter sends text, quick replies and postbacks only
not converted: unknown.convo.txt:19: `TEXT_EQUALS Sorry, I didn't understand that. You can ask about your balance, recent transactions, spending at a merchant, or talk to an advisor.`: answers a user message that was not converted
5 files converted, 9 lines or files not converted
";
    assert_eq!(stdout, expected);
    let balance = std::fs::read_to_string(ws.path().join("scenarios/balance.yaml")).unwrap();
    for line in [
        "name: \"TC_BALANCE\"",
        "  - include: \"steps/greeting.yaml\"",
        "  # MEDIA https://example.com/chart.png: banter does not check media (line 12 of the convo)",
        "      matches: \"(?s)Your checking account ending .* has a balance of \\\\$.*\"",
        "  - user: { postback: \"Advisor\" }",
    ] {
        assert!(balance.contains(line), "{line} in {balance}");
    }
    let greeting =
        std::fs::read_to_string(ws.path().join("scenarios/steps/greeting.yaml")).unwrap();
    assert!(
        greeting.contains("- user: { any_of: [\"hello\", \"hi\", \"good morning\"] }"),
        "{greeting}"
    );
    assert!(
        greeting.contains("quick_replies: [\"Balance\", \"Transactions\", \"Advisor\"]"),
        "{greeting}"
    );
    // The converted suite runs: one test case per utterance of the greeting.
    let (run, report) = ws.banter_json(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(report["summary"]["total"], 7, "{report}");
    assert_eq!(report["summary"]["passed"], 7, "{report}");
}

#[test]
fn a_converted_expectation_holds_the_bot_to_it() {
    let ws = Workspace::new();
    ws.write(
        "botium/wrong.convo.txt",
        "TC_WRONG\n\n#me\nwhat's my checking balance?\n\n#bot\nYou are a millionaire\n",
    );
    let run = ws.banter(&["import", "botium", "botium", "--out", "suite"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (run, report) = ws.banter_json(&["run", "suite"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(report["scenarios"][0]["status"], "failed", "{report}");
}

#[test]
fn imports_overwrite_nothing_and_bad_paths_are_errors() {
    let ws = Workspace::new();
    ws.write("scenarios/unknown.yaml", "mine\n");
    let run = ws.banter(&["import", "botium", &fixtures()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: scenarios/unknown.yaml: already exists; banter import writes no file over another (nothing was written)"
    );
    assert!(!ws.path().join("scenarios/balance.yaml").exists());
    let run = ws.banter(&["import", "botium", "nowhere"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with("error: nowhere: cannot read:"),
        "{run:?}"
    );
    ws.write("empty/hello.utterances.txt", "UTT\nhi\n");
    let run = ws.banter(&["import", "botium", "empty"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "error: no BotiumScript convo (.convo.txt, .pconvo.txt) found in empty"
    );
}
