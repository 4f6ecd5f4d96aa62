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
