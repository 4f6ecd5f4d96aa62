//! Merging JSON reports, e.g. of the shards of one suite run on several machines.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::REPORT_VERSION;

/// The reports could not be merged.
#[derive(Debug, thiserror::Error)]
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
    /// The merged report could not be written.
    #[error("{}: cannot write the merged report: {source}", path.display())]
    Write {
        /// Where it was to go.
        path: PathBuf,
        /// Why it could not be serialised or written.
        source: std::io::Error,
    },
}

/// Merges JSON reports into one: scenarios ordered by file and line, counts recomputed.
pub fn merge_json(paths: &[PathBuf]) -> Result<Value, MergeError> {
    let mut scenarios: Vec<Value> = Vec::new();
    let (mut seed, mut bot) = (None::<Value>, None::<Value>);
    let (mut interrupted, mut stopped_early, mut duration) = (false, false, 0u64);
    let mut server_panics: Vec<Value> = Vec::new();
    let mut names = HashSet::new();
    for path in paths {
        let report = read(path)?;
        let conflict = |reason: String| MergeError::Conflict {
            path: path.clone(),
            reason,
        };
        match &seed {
            Some(s) if *s != report["seed"] => {
                return Err(conflict(format!(
                    "seed {} differs from {s}",
                    report["seed"]
                )))
            }
            _ => seed = Some(report["seed"].clone()),
        }
        bot.get_or_insert_with(|| report["bot"].clone());
        interrupted |= report["interrupted"].as_bool().unwrap_or(false);
        stopped_early |= report["stopped_early"].as_bool().unwrap_or(false);
        server_panics.extend(
            report["server_panics"]
                .as_array()
                .into_iter()
                .flatten()
                .cloned(),
        );
        duration = duration.max(report["duration_ms"].as_u64().unwrap_or(0));
        for scenario in report["scenarios"].as_array().into_iter().flatten() {
            let name = scenario["name"].as_str().unwrap_or_default().to_string();
            if !names.insert(name.clone()) {
                return Err(conflict(format!(
                    "scenario `{name}` is in more than one report"
                )));
            }
            scenarios.push(scenario.clone());
        }
    }
    scenarios.sort_by(|a, b| {
        (a["file"].as_str(), a["line"].as_u64()).cmp(&(b["file"].as_str(), b["line"].as_u64()))
    });
    let count = |status: &str| scenarios.iter().filter(|s| s["status"] == status).count();
    Ok(json!({
        "version": REPORT_VERSION,
        "seed": seed,
        "bot": bot,
        "interrupted": interrupted,
        "stopped_early": stopped_early,
        "server_panics": server_panics,
        "summary": { "total": scenarios.len(), "passed": count("passed"), "failed": count("failed"), "errors": count("error") },
        "duration_ms": duration,
        "scenarios": scenarios,
    }))
}

/// Writes a merged report as pretty JSON to `path`.
pub fn write_merged(merged: &Value, path: &Path) -> Result<(), MergeError> {
    let write = |source| MergeError::Write {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_string_pretty(merged).map_err(|e| write(e.into()))?;
    std::fs::write(path, text + "\n").map_err(write)
}

fn read(path: &Path) -> Result<Value, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |reason: String| MergeError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let report: Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    if report["version"] != json!(REPORT_VERSION) || !report["scenarios"].is_array() {
        return Err(invalid(format!(
            "not a banter report of version {REPORT_VERSION}"
        )));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, file: &str, line: u64, status: &str) -> Value {
        json!({ "name": name, "file": file, "line": line, "status": status })
    }

    fn report(seed: u64, scenarios: &[Value]) -> Value {
        json!({
            "version": REPORT_VERSION, "seed": seed, "bot": "http bot", "interrupted": false,
            "stopped_early": false, "server_panics": [], "duration_ms": 10, "scenarios": scenarios,
        })
    }

    /// Writes each report to its own file in `dir`.
    fn files(dir: &Path, reports: &[Value]) -> Vec<PathBuf> {
        let paths: Vec<PathBuf> = (0..reports.len())
            .map(|i| dir.join(format!("shard-{i}.json")))
            .collect();
        for (path, report) in paths.iter().zip(reports) {
            std::fs::write(path, report.to_string()).expect("writes");
        }
        paths
    }

    #[test]
    fn shards_merge_in_file_order_with_counts_recomputed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut second = report(
            7,
            &[
                scenario("c", "b.yaml", 1, "error"),
                scenario("a", "a.yaml", 9, "passed"),
            ],
        );
        second["stopped_early"] = json!(true);
        second["duration_ms"] = json!(25);
        second["server_panics"] = json!([{ "message": "boom" }]);
        let reports = [
            report(7, &[scenario("b", "a.yaml", 20, "failed")]),
            second,
            report(7, &[]),
        ];
        let merged = merge_json(&files(dir.path(), &reports)).expect("merges");
        let names: Vec<&str> = merged["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .map(|s| s["name"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            merged["summary"],
            json!({ "total": 3, "passed": 1, "failed": 1, "errors": 1 })
        );
        assert_eq!(
            (&merged["seed"], &merged["bot"]),
            (&json!(7), &json!("http bot"))
        );
        assert_eq!(
            (&merged["interrupted"], &merged["stopped_early"]),
            (&json!(false), &json!(true))
        );
        assert_eq!(merged["duration_ms"], 25);
        assert_eq!(merged["server_panics"], json!([{ "message": "boom" }]));
        assert_eq!(merged["version"], REPORT_VERSION);
    }

    #[test]
    fn reports_that_disagree_or_are_no_reports_do_not_merge() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let one = || report(7, &[scenario("a", "a.yaml", 1, "passed")]);
        let cases: [(Vec<Value>, &str); 5] = [
            (
                vec![one(), report(8, &[])],
                "shard-1.json: seed 8 differs from 7",
            ),
            (
                vec![one(), one()],
                "shard-1.json: scenario `a` is in more than one report",
            ),
            (
                vec![json!({ "version": 0, "scenarios": [] })],
                "shard-0.json: not a banter report of version 1",
            ),
            (
                vec![json!({ "version": REPORT_VERSION })],
                "shard-0.json: not a banter report of version 1",
            ),
            (
                vec![json!("text")],
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
    }

    #[test]
    fn a_merged_report_that_cannot_be_written_is_an_error() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let merged = report(1, &[]);
        let out = dir.path().join("merged.json");
        write_merged(&merged, &out).expect("writes");
        let text = std::fs::read_to_string(&out).expect("reads");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), merged);
        assert!(text.ends_with("}\n"));
        let error = write_merged(&merged, dir.path()).expect_err("a directory");
        assert!(matches!(error, MergeError::Write { .. }), "{error}");
        let expected = format!("{}: cannot write the merged report: ", dir.path().display());
        assert!(error.to_string().starts_with(&expected), "{error}");
    }
}
