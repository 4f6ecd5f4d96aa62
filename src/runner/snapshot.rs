//! Checking a finished scenario's transcript against its snapshot.

use super::world::World;
use crate::check::{Failure, FailureKind};
use crate::customer::Customer;
use crate::report::{ScenarioReport, SnapshotResult, SnapshotStatus};
use crate::scenario::Scenario;
use crate::snapshot::{self, Outcome};

/// Renders the snapshotted turns (all of them with `snapshot: true` on the scenario, else the
/// steps marked so), checks them, and records the outcome and any failure in `report`.
pub(super) fn check(
    world: &World,
    scenario: &Scenario,
    customer: &Customer,
    report: &mut ScenarioReport,
) {
    let turns: Vec<_> = report
        .turns
        .iter()
        .filter(|t| {
            scenario.snapshot
                || t.turn
                    .checked_sub(1)
                    .and_then(|i| scenario.steps.get(i))
                    .is_some_and(|s| s.snapshot)
        })
        .cloned()
        .collect();
    let contents = snapshot::render(&turns, customer);
    let (status, path, failure) = match world.snapshots.check(
        &scenario.name,
        &report.file,
        &contents,
    ) {
        Ok(Outcome::Matched) => (
            SnapshotStatus::Matched,
            snapshot_path(world, scenario),
            None,
        ),
        Ok(Outcome::Created { path }) => {
            (SnapshotStatus::Created, path.display().to_string(), None)
        }
        Ok(Outcome::Accepted { path }) => {
            (SnapshotStatus::Accepted, path.display().to_string(), None)
        }
        Ok(Outcome::Missing { path, new_path }) => {
            let message = format!(
                "no snapshot {} (CI is set); the transcript is in {} to review and accept",
                path.display(),
                new_path.display()
            );
            (
                SnapshotStatus::Missing,
                path.display().to_string(),
                Some(Failure::new(None, FailureKind::Snapshot, message)),
            )
        }
        Ok(Outcome::Changed {
            path,
            new_path,
            diff,
        }) => {
            let message = format!(
                "the transcript differs from {} (new: {}; accept with `banter run --accept` or `cargo insta accept`)",
                path.display(),
                new_path.display()
            );
            let failure = Failure::new(None, FailureKind::Snapshot, message).detailed(diff);
            (
                SnapshotStatus::Changed,
                path.display().to_string(),
                Some(failure),
            )
        }
        Err(e) => {
            let failure = Failure::new(None, FailureKind::Snapshot, e.to_string());
            (
                SnapshotStatus::Missing,
                snapshot_path(world, scenario),
                Some(failure),
            )
        }
    };
    report.failures.extend(failure);
    report.snapshot = Some(SnapshotResult { status, path });
}

fn snapshot_path(world: &World, scenario: &Scenario) -> String {
    world
        .snapshots
        .path_of(&scenario.name)
        .display()
        .to_string()
}
