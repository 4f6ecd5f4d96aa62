//! The per-conversation record, `conversations.jsonl`: one JSON line per conversation as it
//! ends (in the order they end), written through a buffer, so that memory does not grow with
//! the number of conversations.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::measure::micros;
use crate::check::Failure;
use crate::report::{ScenarioReport, Status};
use crate::runner::TurnTiming;

/// One conversation's line.
#[derive(Serialize)]
struct Line<'a> {
    conversation: u64,
    scenario: &'a str,
    customer: &'a str,
    status: Status,
    duration_ms: u64,
    /// Per turn, the bot's time and banter's own, µs.
    latency_us: Vec<u64>,
    overhead_us: Vec<u64>,
    sink_requests: usize,
    failures: &'a [Failure],
}

/// The open JSON Lines file.
pub struct Journal {
    out: BufWriter<File>,
}

impl Journal {
    /// Creates (truncates) the file.
    pub fn create(path: &Path) -> std::io::Result<Journal> {
        Ok(Journal {
            out: BufWriter::new(File::create(path)?),
        })
    }

    /// Appends conversation `conversation`'s line.
    pub fn write(
        &mut self,
        conversation: u64,
        customer: &str,
        report: &ScenarioReport,
        timings: &[TurnTiming],
    ) -> std::io::Result<()> {
        let line = Line {
            conversation,
            scenario: &report.name,
            customer,
            status: report.status,
            duration_ms: report.duration_ms,
            latency_us: timings.iter().map(|t| micros(t.bot)).collect(),
            overhead_us: timings
                .iter()
                .map(|t| micros(t.total.saturating_sub(t.bot)))
                .collect(),
            sink_requests: report.sink_requests,
            failures: &report.failures,
        };
        serde_json::to_writer(&mut self.out, &line).map_err(std::io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// Writes out what is buffered.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
