//! Run results and their output formats: the terminal, a versioned JSON report, JUnit XML
//! and an HTML page.

mod event;
mod html;
mod json;
mod junit;
mod merge;
mod terminal;

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, BuildError, MatchKind};
use serde::{Deserialize, Serialize};

pub use event::{Event, Reporter, Silent};
pub use html::{render_html, write_html};
pub use json::write_json;
pub use junit::write_junit;
pub use merge::{merge_json, MergeError};
pub use terminal::TerminalReporter;

use crate::check::privacy::{Leak, SinkWarning};
use crate::check::Failure;
use crate::scenario::Scenario;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Every check held.
    Passed,
    /// A check failed.
    Failed,
    /// The conversation could not be completed.
    Error,
}

/// The result of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scan_notes: Vec<String>,
    /// The snapshot check, when the scenario snapshots its transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotResult>,
    /// The bot's recent output, when the scenario did not pass and banter started the bot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bot_output: Vec<String>,
}

/// What became of a scenario's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SnapshotStatus {
    /// The transcript matched the snapshot.
    Matched,
    /// There was none; it was written.
    Created,
    /// `--accept` wrote it.
    Accepted,
    /// There was none, and under CI that fails.
    Missing,
    /// The transcript differs; `.snap.new` holds the new one.
    Changed,
}

/// The snapshot entry of a scenario report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotResult {
    /// What happened.
    pub status: SnapshotStatus,
    /// The `.snap` file.
    pub path: String,
}

/// Sink traffic that no scenario could be told to own: requests that held no running
/// scenario's customer values (ordinary telemetry, which cannot be told apart while
/// conversations overlap). Every one was scanned; what its scans found is kept here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unattributed {
    /// How many requests.
    pub requests: u64,
    /// Unknown values in them that look like personal data, and financial-status terms at
    /// analytics sinks.
    pub warnings: Vec<SinkWarning>,
    /// Financial-status terms in them at ads sinks: these fail the run.
    #[serde(default)]
    pub signals: Vec<Leak>,
    /// Customer values in them: values that several scenarios' customers hold equally, and
    /// values of a scenario that was not listening when they arrived. Those that no rule of
    /// the run allows fail it.
    #[serde(default)]
    pub leaks: Vec<Leak>,
    /// What their scans could not read whole, and requests that could not be scanned.
    pub notes: Vec<String>,
}

impl Unattributed {
    /// The failures of the run for what no scenario owned.
    pub fn failures(&self) -> Vec<Failure> {
        let leaks: Vec<Leak> = self.signals.iter().chain(&self.leaks).cloned().collect();
        crate::check::privacy::leak_failures(&leaks)
    }
}

/// Traffic to one host: every request the bot sent there during the run, whichever scenario
/// owned it, at a sink or, through the capture proxy, at the mock bank or the Graph mock. A bank partner reads the list as "this bot talks to these services and
/// nothing else".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Egress {
    /// The sink that captured it (`segment`, …, or `unknown` for hosts nothing maps), or
    /// `bank` or `messenger graph` for requests the capture proxy forwarded to those mocks.
    pub sink: String,
    /// The host the bot addressed, when the capture proxy brought the request; none when the
    /// bot used the sink's own URL.
    pub host: Option<String>,
    /// How many requests.
    pub requests: u64,
    /// How many of them held some customer's values (sink requests only: the bank and the
    /// Graph mock are not scanned).
    pub with_customer_values: u64,
}

/// What replaces a secret in reports.
pub const REDACTED: &str = "[REDACTED]";

/// The longest text shown whole on the terminal, in JUnit and in HTML; the JSON report keeps
/// every text whole.
pub const SHOWN_BYTES: usize = 8 * 1024;

/// `text` cut to [`SHOWN_BYTES`] (at a character boundary) with a marker saying how long it was.
pub fn clip(text: &str) -> Cow<'_, str> {
    if text.len() <= SHOWN_BYTES {
        return Cow::Borrowed(text);
    }
    let end = (0..=SHOWN_BYTES)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    Cow::Owned(format!(
        "{}… [truncated: {} bytes, full text in the JSON report]",
        &text[..end],
        text.len()
    ))
}

/// `text` with its control characters (ESC, BEL, NUL, line breaks, …) written as Rust escapes
/// (`\u{1b}`), so that nothing a bot sends can clear, retitle or otherwise drive a terminal,
/// or break an XML report.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape_controls_but(text, &[])
}

/// `text` with its control characters written as Rust escapes, as [`escape_controls`] does,
/// except those in `kept`.
fn escape_controls_but<'a>(text: &'a str, kept: &[char]) -> Cow<'a, str> {
    let escaped = |c: char| c.is_control() && !kept.contains(&c);
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if escaped(c) {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Replaces secrets (every bearer token and authorization code of a run) by [`REDACTED`],
/// all of them in one pass over a text.
#[derive(Debug, Clone)]
pub struct Redactor {
    secrets: AhoCorasick,
}

impl Redactor {
    /// A redactor for `secrets`; empty ones are ignored.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Result<Redactor, BuildError> {
        let secrets = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(secrets.into_iter().filter(|s| !s.is_empty()))?;
        Ok(Redactor { secrets })
    }

    /// Replaces every secret in `text`.
    pub fn scrub(&self, text: &mut String) {
        if self.secrets.is_match(text.as_str()) {
            let mut scrubbed = String::with_capacity(text.len());
            self.secrets
                .replace_all_with(text, &mut scrubbed, |_, _, out| {
                    out.push_str(REDACTED);
                    true
                });
            *text = scrubbed;
        }
    }
}

impl ScenarioReport {
    /// The report of `scenario` before anything is known: no turns, no failures, passed.
    pub(crate) fn of(scenario: &Scenario) -> ScenarioReport {
        ScenarioReport {
            name: scenario.name.clone(),
            file: scenario.origin.file.display().to_string(),
            line: scenario.origin.line,
            tags: scenario.tags.clone(),
            status: Status::Passed,
            duration_ms: 0,
            failures: Vec::new(),
            turns: Vec::new(),
            sink_requests: 0,
            leaks: Vec::new(),
            warnings: Vec::new(),
            scan_notes: Vec::new(),
            snapshot: None,
            bot_output: Vec::new(),
        }
    }

    /// Orders the failures by turn (those of no turn last) and gives the verdict: an error
    /// when the conversation could not be completed (`errored`), else failed when any check
    /// failed, else passed.
    pub(crate) fn conclude(&mut self, errored: bool) {
        self.failures.sort_by_key(|f| f.turn.unwrap_or(usize::MAX));
        self.status = if errored {
            Status::Error
        } else if self.failures.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        };
    }

    /// Calls `f` on every text in the report that can hold what the bot, the bank or the sinks saw.
    pub(crate) fn each_text(&mut self, f: &mut dyn FnMut(&mut String)) {
        for turn in &mut self.turns {
            f(&mut turn.user);
            for reply in &mut turn.replies {
                f(&mut reply.text);
                reply.quick_replies.iter_mut().for_each(&mut *f);
                reply.buttons.iter_mut().for_each(&mut *f);
                if let Some(receipt) = &mut reply.receipt {
                    [
                        &mut receipt.recipient,
                        &mut receipt.order,
                        &mut receipt.total,
                    ]
                    .into_iter()
                    .chain(receipt.items.iter_mut())
                    .for_each(&mut *f);
                }
            }
            for call in &mut turn.bank_calls {
                f(&mut call.path);
                f(&mut call.query);
            }
            for moved in &mut turn.moved {
                [&mut moved.from, &mut moved.to, &mut moved.to_name]
                    .into_iter()
                    .chain(moved.idempotency_key.iter_mut())
                    .for_each(&mut *f);
            }
            turn.sink_events.iter_mut().for_each(&mut *f);
        }
        for failure in &mut self.failures {
            f(&mut failure.message);
            failure
                .detail
                .iter_mut()
                .chain(failure.expected.iter_mut())
                .chain(failure.actual.iter_mut())
                .for_each(&mut *f);
        }
        for leak in &mut self.leaks {
            f(&mut leak.request);
            f(&mut leak.location);
        }
        for warning in &mut self.warnings {
            f(&mut warning.request);
            f(&mut warning.location);
        }
        self.scan_notes.iter_mut().for_each(&mut *f);
        self.bot_output.iter_mut().for_each(f);
    }

    /// Replaces every secret `redactor` knows (tokens, authorization codes) in the report's text.
    pub(crate) fn redact(&mut self, redactor: &Redactor) {
        self.each_text(&mut |text: &mut String| redactor.scrub(text));
    }

    /// A copy for display, with every long text [`clip`]ped.
    pub(crate) fn clipped(&self) -> ScenarioReport {
        let mut shown = self.clone();
        shown.clip_texts();
        shown
    }

    fn clip_texts(&mut self) {
        self.each_text(&mut |text: &mut String| {
            if let Cow::Owned(clipped) = clip(text) {
                *text = clipped;
            }
        });
    }
}

impl Report {
    /// A copy for display, with every long text [`clip`]ped.
    pub(crate) fn clipped(&self) -> Report {
        let mut shown = self.clone();
        shown
            .scenarios
            .iter_mut()
            .for_each(ScenarioReport::clip_texts);
        shown
    }
}

/// Counts by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Sink requests no scenario owned (they held no customer's values while conversations
    /// overlapped): every one scanned, with what the scans found.
    pub unattributed: Unattributed,
    /// Every host the bot sent traffic to, by sink (or forwarded service) and host.
    #[serde(default)]
    pub egress: Vec<Egress>,
    /// What the run could not see: hosts whose certificate the bot refused through the capture
    /// proxy, or a bot that had no way to reach the sinks at all.
    #[serde(default)]
    pub capture_notes: Vec<String>,
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
            unattributed: Unattributed::default(),
            egress: Vec::new(),
            capture_notes: Vec::new(),
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
            && self.unattributed.failures().is_empty()
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
        for failure in self.unattributed.failures() {
            text.push_str(&format!("\n  no scenario's request: {}", failure.message));
        }
        if self.interrupted || self.stopped_early {
            text.push_str("\n  (the run did not complete)");
        }
        panic!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::FailureKind;

    #[test]
    fn a_report_concludes_error_failed_or_passed_with_failures_in_turn_order() {
        let mut scenario: Scenario =
            serde_yaml::from_str("{ name: balance, tags: [smoke], steps: [{ user: hi }] }")
                .expect("a scenario");
        scenario.origin.file = "scenarios/balance.yaml".into();
        scenario.origin.line = 3;
        let failure = |turn| Failure::new(turn, FailureKind::Reply, format!("{turn:?}"));
        // (failures, errored, status, the failures' turns after)
        let cases = [
            (vec![], false, Status::Passed, vec![]),
            (vec![], true, Status::Error, vec![]),
            (vec![Some(2)], false, Status::Failed, vec![Some(2)]),
            (vec![Some(2)], true, Status::Error, vec![Some(2)]),
            (
                vec![None, Some(3), Some(1), None, Some(1)],
                false,
                Status::Failed,
                vec![Some(1), Some(1), Some(3), None, None],
            ),
        ];
        for (turns, errored, status, sorted) in cases {
            let mut report = ScenarioReport {
                failures: turns.iter().map(|&t| failure(t)).collect(),
                ..ScenarioReport::of(&scenario)
            };
            report.conclude(errored);
            assert_eq!(report.status, status, "{turns:?} (errored: {errored})");
            let after: Vec<Option<usize>> = report.failures.iter().map(|f| f.turn).collect();
            assert_eq!(after, sorted);
        }
        let report = ScenarioReport::of(&scenario);
        assert_eq!(
            (
                report.name.as_str(),
                report.file.as_str(),
                report.line,
                &report.tags[..]
            ),
            (
                "balance",
                "scenarios/balance.yaml",
                3,
                &["smoke".to_string()][..]
            )
        );
    }
}
