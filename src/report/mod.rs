//! Run results and their output formats: the terminal, a versioned JSON report, JUnit XML
//! and an HTML page.

mod html;
mod json;
mod junit;
mod merge;
mod terminal;

use serde::Serialize;

pub use html::{html, write_html};
pub use json::write_json;
pub use junit::{junit_xml, write_junit};
pub use merge::{merge_json, MergeError};
pub use terminal::TerminalReporter;

use crate::check::privacy::{Leak, SinkWarning};
use crate::check::Failure;
use crate::runner::SnapshotResult;
use crate::transcript::Turn;

/// Writes a report file, creating its parent directories.
fn write_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
}

/// The version of the JSON report format.
pub const REPORT_VERSION: u32 = 1;

/// A scenario's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check failed.
    Failed,
    /// The conversation could not be completed.
    Error,
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// The line it starts at.
    pub line: usize,
    /// Its tags.
    pub tags: Vec<String>,
    /// The verdict.
    pub status: Status,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Everything that failed, in turn order.
    pub failures: Vec<Failure>,
    /// The conversation as it happened.
    pub turns: Vec<Turn>,
    /// How many requests the sinks received during the scenario (all were scanned).
    pub sink_requests: usize,
    /// Customer values found in requests to sinks, allowed or not.
    pub leaks: Vec<Leak>,
    /// Unknown values in sink traffic that look like personal data.
    pub warnings: Vec<SinkWarning>,
    /// What the scan could not read whole (size caps, bodies whose encoding lied), per request.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scan_notes: Vec<String>,
    /// The snapshot check, when the scenario snapshots its transcript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotResult>,
    /// The bot's recent output, when the scenario did not pass and banter started the bot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bot_output: Vec<String>,
}

/// What replaces a secret in reports.
pub const REDACTED: &str = "[REDACTED]";

impl ScenarioReport {
    /// Replaces every occurrence of `secrets` (tokens, authorization codes) in the report's text.
    pub fn redact(&mut self, secrets: &[String]) {
        let scrub = |text: &mut String| {
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), REDACTED);
                }
            }
        };
        for turn in &mut self.turns {
            scrub(&mut turn.user);
            for reply in &mut turn.replies {
                scrub(&mut reply.text);
                reply.quick_replies.iter_mut().for_each(scrub);
            }
            for call in &mut turn.bank_calls {
                scrub(&mut call.path);
                scrub(&mut call.query);
            }
        }
        for failure in &mut self.failures {
            scrub(&mut failure.message);
            failure.detail.iter_mut().for_each(scrub);
            failure
                .expected
                .iter_mut()
                .chain(failure.actual.iter_mut())
                .for_each(scrub);
        }
        self.bot_output.iter_mut().for_each(scrub);
    }
}

/// Counts by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Scenarios run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Could not complete.
    pub errors: usize,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The seed of the synthetic customers.
    pub seed: u64,
    /// The bot under test.
    pub bot: String,
    /// Whether the run was interrupted (Ctrl-C) before every scenario ran.
    pub interrupted: bool,
    /// Whether `--fail-fast` stopped the run before every scenario ran.
    pub stopped_early: bool,
    /// Counts by verdict.
    pub summary: Summary,
    /// Panics in banter's own servers (bank, sinks, reply inbox) during the run: each lost a
    /// request, so the run is an error even when every scenario passed.
    pub server_panics: Vec<String>,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// One entry per scenario that finished, in scenario order.
    pub scenarios: Vec<ScenarioReport>,
}

impl Report {
    /// An empty report for a run about to start.
    pub fn new(seed: u64, bot: String) -> Self {
        Report {
            version: REPORT_VERSION,
            seed,
            bot,
            interrupted: false,
            stopped_early: false,
            summary: Summary::default(),
            server_panics: Vec::new(),
            duration_ms: 0,
            scenarios: Vec::new(),
        }
    }

    /// Adds a finished scenario.
    pub fn push(&mut self, scenario: ScenarioReport) {
        self.summary.total += 1;
        match scenario.status {
            Status::Passed => self.summary.passed += 1,
            Status::Failed => self.summary.failed += 1,
            Status::Error => self.summary.errors += 1,
        }
        self.scenarios.push(scenario);
    }

    /// Whether every scenario passed, the run was complete and none of banter's servers panicked.
    pub fn passed(&self) -> bool {
        !self.interrupted
            && !self.stopped_early
            && self.server_panics.is_empty()
            && self.summary.passed == self.summary.total
    }

    /// Panics with every failure, for use in `cargo test`.
    #[track_caller]
    pub fn assert_passed(&self) {
        if self.passed() {
            return;
        }
        let mut text = format!(
            "banter: {} of {} scenarios did not pass",
            self.summary.total - self.summary.passed,
            self.summary.total
        );
        for s in self.scenarios.iter().filter(|s| s.status != Status::Passed) {
            text.push_str(&format!(
                "\n  {:?} {} ({}:{})",
                s.status, s.name, s.file, s.line
            ));
            for f in &s.failures {
                let turn = f.turn.map(|t| format!("turn {t}: ")).unwrap_or_default();
                text.push_str(&format!("\n    {turn}{}", f.message));
            }
        }
        for panic in &self.server_panics {
            text.push_str(&format!("\n  {panic}"));
        }
        if self.interrupted || self.stopped_early {
            text.push_str("\n  (the run did not complete)");
        }
        panic!("{text}");
    }
}
