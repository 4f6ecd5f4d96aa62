//! Transcript snapshots end to end: created locally, matched, a changed reply caught with a
//! diff, accepted with `--accept`, missing under CI, and readable by insta.

mod common;

use common::{banter_in, banter_with_env, repo, Workspace};

fn scenario(user: &str) -> String {
    format!("name: Snapshotted greeting\nsnapshot: true\nsteps:\n  - user: \"{user}\"\n")
}

#[test]
fn a_changed_reply_fails_with_a_diff_and_accept_fixes_it() {
    let ws = Workspace::new();
    ws.write("scenarios/s.yaml", &scenario("hi"));
    let snap = ws.path().join("snapshots/snapshotted_greeting.snap");
    let new = ws.path().join("snapshots/snapshotted_greeting.snap.new");

    let created = ws.banter(&["run"]);
    assert_eq!(created.code, 0, "{created:?}");
    assert!(
        created
            .stdout
            .contains("snapshot Created: snapshots/snapshotted_greeting.snap"),
        "{created:?}"
    );
    let stored = insta::Snapshot::from_file(&snap).expect("insta reads the snapshot");
    assert_eq!(stored.metadata().expression(), Some("Snapshotted greeting"));
    assert_eq!(ws.banter(&["run"]).code, 0, "the second run matches");

    ws.write("scenarios/s.yaml", &scenario("talk to an advisor"));
    let changed = ws.banter(&["run"]);
    assert_eq!(changed.code, 1, "{changed:?}");
    assert!(
        changed
            .stdout
            .contains("the transcript differs from snapshots/snapshotted_greeting.snap"),
        "{changed:?}"
    );
    assert!(changed.stdout.contains("-- user: hi"), "{changed:?}");
    assert!(
        changed.stdout.contains("+- user: talk to an advisor"),
        "{changed:?}"
    );
    assert!(
        changed
            .stdout
            .contains("+  - I'm connecting you to an advisor."),
        "{changed:?}"
    );
    insta::Snapshot::from_file(&new).expect("insta reads the pending snapshot");

    let accepted = ws.banter(&["run", "--accept"]);
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert!(!new.exists(), ".snap.new is removed once accepted");
    assert_eq!(ws.banter(&["run"]).code, 0);
}

#[test]
fn a_missing_snapshot_fails_under_ci() {
    let ws = Workspace::new();
    ws.write("scenarios/s.yaml", &scenario("hi"));
    let run = banter_with_env(ws.path(), &["run"], &[("CI", "true")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("no snapshot snapshots/snapshotted_greeting.snap (CI is set)"),
        "{run:?}"
    );
    assert!(ws
        .path()
        .join("snapshots/snapshotted_greeting.snap.new")
        .exists());
}

#[test]
fn the_repository_snapshots_match_under_ci() {
    let run = banter_with_env(&repo(), &["run", "--tag", "smoke"], &[("CI", "true")]);
    assert_eq!(run.code, 0, "{run:?}");
    let again = banter_in(&repo(), &["run", "--filter", "balances", "--jobs", "8"]);
    assert_eq!(again.code, 0, "{again:?}");
}
