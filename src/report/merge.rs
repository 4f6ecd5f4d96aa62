//! Merging JSON reports, e.g. of the shards of one suite run on several machines.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Report, Summary, REPORT_VERSION};

/// The reports could not be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A report could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The report file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A report is not a banter JSON report of this version.
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The report file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Two reports disagree, or hold the same scenario.
    #[error("{}: {reason}", path.display())]
    Conflict {
        /// The report that conflicts with the ones before it.
        path: PathBuf,
        /// What conflicts.
        reason: String,
    },
    /// No report was given.
    #[error("no report to merge")]
    NoReports,
}

/// Reads JSON reports and merges them into one: scenarios ordered by file and line, counts
/// recomputed, unattributed sink traffic added up. The reports must share their seed and
/// hold each scenario once.
pub fn merge_json(paths: &[PathBuf]) -> Result<Report, MergeError> {
    let mut merged: Option<Report> = None;
    let mut names = HashSet::new();
    for path in paths {
        let report = read(path)?;
        let conflict = |reason: String| MergeError::Conflict {
            path: path.clone(),
            reason,
        };
        let merged = merged.get_or_insert_with(|| Report::new(report.seed, report.bot.clone()));
        // The report of an empty shard names no bot.
        if merged.bot.is_empty() {
            merged.bot.clone_from(&report.bot);
        }
        if merged.seed != report.seed {
            return Err(conflict(format!(
                "seed {} differs from {}",
                report.seed, merged.seed
            )));
        }
        if let Some(twice) = report
            .scenarios
            .iter()
            .find(|s| !names.insert(s.name.clone()))
        {
            return Err(conflict(format!(
                "scenario `{}` is in more than one report",
                twice.name
            )));
        }
        merged.absorb(report);
    }
    let mut merged = merged.ok_or(MergeError::NoReports)?;
    let mut scenarios = std::mem::take(&mut merged.scenarios);
    scenarios.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    merged.summary = Summary::default();
    scenarios.into_iter().for_each(|s| merged.push(s));
    Ok(merged)
}

impl Report {
    /// Adds another report's scenarios, server panics, unattributed sink traffic, egress and capture notes to this
    /// one; the run was interrupted or stopped early if either was, and took the longer time.
    fn absorb(&mut self, other: Report) {
        self.interrupted |= other.interrupted;
        self.stopped_early |= other.stopped_early;
        self.duration_ms = self.duration_ms.max(other.duration_ms);
        self.server_panics.extend(other.server_panics);
        self.unattributed.requests += other.unattributed.requests;
        self.unattributed
            .warnings
            .extend(other.unattributed.warnings);
        self.unattributed.signals.extend(other.unattributed.signals);
        self.unattributed.leaks.extend(other.unattributed.leaks);
        self.unattributed.notes.extend(other.unattributed.notes);
        // Shards of one run share their run-wide notes (a bot that cannot reach the sinks).
        for note in other.capture_notes {
            if !self.capture_notes.contains(&note) {
                self.capture_notes.push(note);
            }
        }
        for egress in other.egress {
            match self
                .egress
                .iter_mut()
                .find(|e| (&e.sink, &e.host) == (&egress.sink, &egress.host))
            {
                Some(known) => {
                    known.requests += egress.requests;
                    known.with_customer_values += egress.with_customer_values;
                }
                None => self.egress.push(egress),
            }
        }
        self.egress
            .sort_by(|a, b| (&a.sink, &a.host).cmp(&(&b.sink, &b.host)));
        other.scenarios.into_iter().for_each(|s| self.push(s));
    }
}

fn read(path: &Path) -> Result<Report, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |reason: String| MergeError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if value["version"] != REPORT_VERSION {
        return Err(invalid(format!(
            "not a banter report of version {REPORT_VERSION}"
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        invalid(format!(
            "not a banter report of version {REPORT_VERSION}: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{BankCall, Outcome};
    use crate::check::privacy::{Leak, SinkWarning, Whose};
    use crate::check::{Failure, FailureKind};
    use crate::privacy::{ValueKind, WarningKind};
    use crate::report::{ScenarioReport, SnapshotResult, SnapshotStatus, Status};
    use crate::scenario::Scenario;
    use crate::transcript::{BotMessage, Turn, UserKind};

    fn scenario(name: &str, file: &str, line: usize, status: Status) -> ScenarioReport {
        let mut scenario: Scenario =
            serde_yaml::from_str(&format!("{{ name: {name}, steps: [{{ user: hi }}] }}"))
                .expect("a scenario");
        scenario.origin.file = file.into();
        scenario.origin.line = line;
        ScenarioReport {
            status,
            ..ScenarioReport::of(&scenario)
        }
    }

    fn report(seed: u64, scenarios: Vec<ScenarioReport>) -> Report {
        let mut report = Report::new(seed, "http bot".into());
        report.duration_ms = 10;
        scenarios.into_iter().for_each(|s| report.push(s));
        report
    }

    /// Writes each report as JSON to its own file in `dir`.
    fn files(dir: &Path, reports: &[serde_json::Value]) -> Vec<PathBuf> {
        let paths: Vec<PathBuf> = (0..reports.len())
            .map(|i| dir.join(format!("shard-{i}.json")))
            .collect();
        for (path, report) in paths.iter().zip(reports) {
            std::fs::write(path, report.to_string()).expect("writes");
        }
        paths
    }

    fn json(report: &Report) -> serde_json::Value {
        serde_json::to_value(report).expect("serialises")
    }

    /// A scenario report with every part a report can hold.
    fn full() -> ScenarioReport {
        let leak = Leak {
            sink: "meta".into(),
            request: "POST /v18.0/1/events".into(),
            location: "body:/data/0/user_data/em/0".into(),
            kind: ValueKind::Email,
            chain: "json → sha256(lower(email))".into(),
            turn: 1,
            whose: Whose::Other("decoy customer 1".into()),
            allowed: false,
        };
        let warning = SinkWarning {
            sink: "google".into(),
            request: "POST /mp/collect".into(),
            location: "body:/events/0/params/card".into(),
            pattern: WarningKind::CardNumber,
            chain: "json → card_number".into(),
            masked: "4111********1111".into(),
            turn: 1,
        };
        let turn = Turn {
            turn: 1,
            user: "Transfer".into(),
            user_kind: UserKind::QuickReply,
            replies: vec![BotMessage {
                text: "Which account?".into(),
                quick_replies: vec!["Checking".into()],
                buttons: vec!["Savings".into()],
                handover: true,
                receipt: None,
            }],
            bank_calls: vec![BankCall {
                turn: 1,
                method: "GET".into(),
                path: "/fdx/v6/accounts".into(),
                query: "limit=3".into(),
                status: 200,
                outcome: Outcome::Ok,
            }],
            moved: Vec::new(),
            sink_events: vec!["google: transfer".into()],
            duration_ms: 12,
        };
        ScenarioReport {
            failures: vec![Failure::new(Some(1), FailureKind::Privacy, "a leak")
                .with("nothing", "email")
                .detailed("in meta")],
            turns: vec![turn],
            sink_requests: 3,
            leaks: vec![leak],
            warnings: vec![warning],
            scan_notes: vec!["a note".into()],
            snapshot: Some(SnapshotResult {
                status: SnapshotStatus::Changed,
                path: "snapshots/x.snap".into(),
            }),
            bot_output: vec!["listening".into()],
            ..scenario("full", "a.yaml", 1, Status::Failed)
        }
    }

    #[test]
    fn a_report_reads_back_as_it_was_written() {
        let mut report = report(
            7,
            vec![full(), scenario("bare", "a.yaml", 9, Status::Passed)],
        );
        report.server_panics.push("bank: boom".into());
        report.unattributed.requests = 4;
        report.unattributed.notes.push("cut".into());
        let text = serde_json::to_string(&report).expect("serialises");
        let read: Report = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(read, report);
    }

    #[test]
    fn shards_merge_in_file_order_with_counts_recomputed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut second = report(
            7,
            vec![
                scenario("c", "b.yaml", 1, Status::Error),
                scenario("a", "a.yaml", 9, Status::Passed),
            ],
        );
        second.stopped_early = true;
        second.duration_ms = 25;
        second.server_panics.push("boom".into());
        second.unattributed.requests = 2;
        second.unattributed.notes.push("second".into());
        second.capture_notes = vec!["run-wide".into(), "second's host".into()];
        let egress = |host: &str, requests, with_customer_values| super::super::Egress {
            sink: "segment".into(),
            host: Some(host.into()),
            requests,
            with_customer_values,
        };
        second.egress = vec![egress("api.segment.io", 2, 1)];
        let mut first = report(7, vec![scenario("b", "a.yaml", 20, Status::Failed)]);
        first.unattributed.requests = 3;
        first.unattributed.notes.push("first".into());
        first.capture_notes = vec!["run-wide".into()];
        first.egress = vec![
            egress("api.segment.io", 5, 0),
            egress("events.eu1.segmentapis.com", 1, 0),
        ];
        let reports = [json(&first), json(&second), json(&report(7, vec![]))];
        let merged = merge_json(&files(dir.path(), &reports)).expect("merges");
        let names: Vec<&str> = merged.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            merged.egress,
            [
                egress("api.segment.io", 7, 1),
                egress("events.eu1.segmentapis.com", 1, 0)
            ]
        );
        assert_eq!(
            merged.summary,
            Summary {
                total: 3,
                passed: 1,
                failed: 1,
                errors: 1
            }
        );
        assert_eq!((merged.seed, merged.bot.as_str()), (7, "http bot"));
        assert_eq!((merged.interrupted, merged.stopped_early), (false, true));
        assert_eq!(merged.duration_ms, 25);
        assert_eq!(merged.server_panics, ["boom"]);
        assert_eq!(merged.unattributed.requests, 5);
        assert_eq!(merged.unattributed.notes, ["first", "second"]);
        assert_eq!(merged.capture_notes, ["run-wide", "second's host"]);
        assert_eq!(merged.version, REPORT_VERSION);
        assert!(!merged.passed());
    }

    #[test]
    fn reports_that_disagree_or_are_no_reports_do_not_merge() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let one = || json(&report(7, vec![scenario("a", "a.yaml", 1, Status::Passed)]));
        let cases: [(Vec<serde_json::Value>, &str); 5] = [
            (
                vec![one(), json(&report(8, vec![]))],
                "shard-1.json: seed 8 differs from 7",
            ),
            (
                vec![one(), one()],
                "shard-1.json: scenario `a` is in more than one report",
            ),
            (
                vec![serde_json::json!({ "version": 0, "scenarios": [] })],
                "shard-0.json: not a banter report of version 1",
            ),
            (
                vec![serde_json::json!({ "version": REPORT_VERSION })],
                "shard-0.json: not a banter report of version 1: missing field `seed`",
            ),
            (
                vec![serde_json::json!("text")],
                "shard-0.json: not a banter report of version 1",
            ),
        ];
        for (reports, expected) in cases {
            let error = merge_json(&files(dir.path(), &reports)).expect_err("does not merge");
            assert!(
                error.to_string().ends_with(expected),
                "{error} for {reports:?}"
            );
        }
        let broken = dir.path().join("broken.json");
        std::fs::write(&broken, "{ not json").expect("writes");
        let error = merge_json(&[broken]).expect_err("not JSON");
        assert!(matches!(error, MergeError::Invalid { .. }), "{error}");
        assert!(
            error.to_string().contains("broken.json: not JSON: "),
            "{error}"
        );
        let error = merge_json(&[dir.path().join("missing.json")]).expect_err("no file");
        assert!(matches!(error, MergeError::Read { .. }), "{error}");
        let error = merge_json(&[]).expect_err("nothing to merge");
        assert!(matches!(error, MergeError::NoReports), "{error}");
    }
}
