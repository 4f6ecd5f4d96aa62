//! The JUnit XML report (quick-junit): one test case per scenario, with its failures, a
//! transcript excerpt, and the bot's output in `system-err`; long texts are clipped and control
//! characters escaped (the JSON report keeps them whole).

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use super::{escape_controls, Report, ScenarioReport, Status};

/// The transcript of a scenario as plain text: user turns and replies.
fn transcript(s: &ScenarioReport) -> String {
    let mut text = String::new();
    for turn in &s.turns {
        text.push_str(&format!("turn {} user: {}\n", turn.turn, turn.user));
        for reply in &turn.replies {
            text.push_str(&format!("turn {} bot:  {}\n", turn.turn, reply.text));
        }
    }
    text
}

fn case(s: &ScenarioReport) -> TestCase {
    let status = match s.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed | Status::Error => {
            let kind = if s.status == Status::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            let lines: Vec<String> = s
                .failures
                .iter()
                .map(|f| {
                    let message = escape_controls(&f.message);
                    match f.turn {
                        Some(turn) => format!("turn {turn}: {message}"),
                        None => message.into_owned(),
                    }
                })
                .collect();
            status.set_message(lines.first().cloned().unwrap_or_default());
            if let Some(first) = s.failures.first() {
                status.set_type(first.kind.as_str());
            }
            status.set_description(format!("{}\n\n{}", lines.join("\n"), transcript(s)));
            status
        }
    };
    let mut case = TestCase::new(s.name.as_str(), status);
    case.set_classname(format!("{}:{}", s.file, s.line));
    case.set_time(Duration::from_millis(s.duration_ms));
    if !s.bot_output.is_empty() {
        let lines: Vec<_> = s.bot_output.iter().map(|l| escape_controls(l)).collect();
        case.set_system_err(lines.join("\n"));
    }
    case
}

/// Renders the report as JUnit XML.
pub fn junit_xml(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("banter");
    suite.set_time(Duration::from_millis(report.duration_ms));
    suite.add_test_cases(report.clipped().scenarios.iter().map(case));
    let unowned = report.unattributed.failures();
    if !unowned.is_empty() {
        let lines: Vec<String> = unowned
            .iter()
            .map(|f| escape_controls(&f.message).into_owned())
            .collect();
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(lines[0].clone());
        status.set_type("privacy");
        status.set_description(lines.join("\n"));
        suite.add_test_case(TestCase::new("sink requests no scenario owned", status));
    }
    let mut junit = Junit::new("banter");
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suite(suite);
    junit.to_string()
}

/// Writes the JUnit XML report to `path`, creating parent directories.
pub fn write_junit(report: &Report, path: &Path) -> std::io::Result<()> {
    super::write_file(path, &junit_xml(report).map_err(std::io::Error::other)?)
}
