//! The terminal reporter: one line per scenario, failure details, and a summary, with a
//! progress bar on a terminal and colours unless `NO_COLOR` is set. What the bot, the bank or the
//! sinks saw is shown clipped and with control characters escaped.

use std::io::Write;

use console::style;
use indicatif::{ProgressBar, ProgressStyle};

use super::{escape_controls, Report, ScenarioReport, Status};
use super::{Event, Reporter, SnapshotStatus};
use crate::check::privacy::SinkWarning;
use crate::check::FailureKind;

/// Writes human-readable progress to a stream (stdout for the CLI).
pub struct TerminalReporter<W: Write> {
    out: W,
    progress: bool,
    bar: Option<ProgressBar>,
}

impl<W: Write> TerminalReporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W) -> Self {
        TerminalReporter {
            out,
            progress: false,
            bar: None,
        }
    }

    /// Shows a progress bar on stderr while scenarios run, when stderr is a terminal.
    pub fn with_progress(mut self) -> Self {
        self.progress = true;
        self
    }

    fn scenario(&mut self, s: &ScenarioReport) -> std::io::Result<()> {
        let s = &s.clipped();
        let label = match s.status {
            Status::Passed => style("PASS ").green(),
            Status::Failed => style("FAIL ").red().bold(),
            Status::Error => style("ERROR").red().bold(),
        };
        writeln!(
            self.out,
            "{label} {} ({}:{}, {} turns, {} ms)",
            s.name,
            s.file,
            s.line,
            s.turns.len(),
            s.duration_ms
        )?;
        for f in s.failures.iter().filter(|f| f.kind != FailureKind::Privacy) {
            let user = f
                .turn
                .and_then(|t| s.turns.iter().find(|turn| turn.turn == t))
                .map(|turn| format!(" (user: \"{}\")", escape_controls(&turn.user)))
                .unwrap_or_default();
            let at = f
                .turn
                .map(|t| format!("turn {t}{user}: "))
                .unwrap_or_default();
            writeln!(self.out, "      {at}{}", escape_controls(&f.message))?;
            if let Some(expected) = &f.expected {
                writeln!(self.out, "        expected: {}", escape_controls(expected))?;
            }
            if let Some(actual) = &f.actual {
                writeln!(
                    self.out,
                    "        actual:   \"{}\"",
                    escape_controls(actual)
                )?;
            }
            for line in f.detail.iter().flat_map(|d| d.lines()) {
                let line = &*escape_controls(line);
                let line = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => style(line).green(),
                    Some('-') if !line.starts_with("---") => style(line).red(),
                    _ => style(line),
                };
                writeln!(self.out, "        {line}")?;
            }
        }
        if let Some(snapshot) = s
            .snapshot
            .as_ref()
            .filter(|r| matches!(r.status, SnapshotStatus::Created | SnapshotStatus::Accepted))
        {
            writeln!(
                self.out,
                "      snapshot {:?}: {}",
                snapshot.status, snapshot.path
            )?;
        }
        self.privacy(s)?;
        if !s.bot_output.is_empty() {
            writeln!(
                self.out,
                "      bot output (last {} lines):",
                s.bot_output.len()
            )?;
            for line in &s.bot_output {
                writeln!(self.out, "        | {}", escape_controls(line))?;
            }
        }
        Ok(())
    }

    /// Leaks grouped by sink and request, then warnings.
    fn privacy(&mut self, s: &ScenarioReport) -> std::io::Result<()> {
        for note in &s.scan_notes {
            writeln!(self.out, "      note: {}", escape_controls(note))?;
        }
        if s.leaks.is_empty() && s.warnings.is_empty() {
            return Ok(());
        }
        let failing = s.leaks.iter().filter(|l| !l.allowed).count();
        writeln!(
            self.out,
            "      privacy: {} leaks ({failing} failing), {} warnings",
            s.leaks.len(),
            s.warnings.len()
        )?;
        let mut sinks: Vec<&str> = s.leaks.iter().map(|l| l.sink.as_str()).collect();
        sinks.sort_unstable();
        sinks.dedup();
        for sink in sinks {
            writeln!(self.out, "        {sink}:")?;
            for l in s.leaks.iter().filter(|l| l.sink == sink) {
                let whose = l.whose.suffix();
                let allowed = if l.allowed { " (allowed)" } else { "" };
                writeln!(
                    self.out,
                    "          turn {} {}: {}{whose} at {} via {}{allowed}",
                    l.turn,
                    escape_controls(&l.request),
                    l.kind,
                    escape_controls(&l.location),
                    l.chain
                )?;
            }
        }
        for w in &s.warnings {
            self.warning("        ", w)?;
        }
        Ok(())
    }

    fn warning(&mut self, indent: &str, w: &SinkWarning) -> std::io::Result<()> {
        writeln!(
            self.out,
            "{indent}warning: {} looks like a {:?} ({}) at {} {} via {}",
            w.sink,
            w.pattern,
            w.masked,
            escape_controls(&w.request),
            escape_controls(&w.location),
            w.chain
        )
    }

    /// Every host the bot sent traffic to.
    fn egress(&mut self, r: &Report) -> std::io::Result<()> {
        if r.egress.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "\ntraffic by host:")?;
        for e in &r.egress {
            let host = e.host.as_deref().unwrap_or("(the sink's own URL)");
            writeln!(
                self.out,
                "      {} {}: {} requests, {} with customer values",
                e.sink,
                escape_controls(host),
                e.requests,
                e.with_customer_values
            )?;
        }
        Ok(())
    }

    /// What the scans of sink requests that no scenario owned found, if anything.
    fn unattributed(&mut self, r: &Report) -> std::io::Result<()> {
        let u = &r.unattributed;
        if u.notes.is_empty() && u.warnings.is_empty() && u.signals.is_empty() && u.leaks.is_empty()
        {
            return Ok(());
        }
        writeln!(
            self.out,
            "\nsink requests that no scenario owned ({}, all scanned):",
            u.requests
        )?;
        for failure in u.failures() {
            writeln!(self.out, "      FAIL {}", escape_controls(&failure.message))?;
        }
        for note in &u.notes {
            writeln!(self.out, "      note: {}", escape_controls(note))?;
        }
        for w in &u.warnings {
            self.warning("      ", w)?;
        }
        Ok(())
    }

    fn summary(&mut self, r: &Report) -> std::io::Result<()> {
        self.unattributed(r)?;
        self.egress(r)?;
        for note in &r.capture_notes {
            writeln!(self.out, "\nnote: {}", escape_controls(note))?;
        }
        for panic in &r.server_panics {
            writeln!(self.out, "ERROR {panic}; the run is an error")?;
        }
        let s = r.summary;
        let interrupted = if r.interrupted { " (interrupted)" } else { "" };
        writeln!(
            self.out,
            "\n{} scenarios: {} passed, {} failed, {} errors; seed {}; {:.2} s{interrupted}",
            s.total,
            s.passed,
            s.failed,
            s.errors,
            r.seed,
            r.duration_ms as f64 / 1000.0
        )
    }
}

impl<W: Write + Send> Reporter for TerminalReporter<W> {
    fn on_event(&mut self, event: &Event<'_>) {
        let result = match event {
            Event::RunStarted {
                scenarios,
                bot,
                seed,
                proxy,
                config,
            } => {
                if self.progress {
                    let bar = ProgressBar::new(*scenarios as u64);
                    if let Ok(style) =
                        ProgressStyle::with_template("{bar:40} {pos}/{len} scenarios {elapsed}")
                    {
                        bar.set_style(style);
                    }
                    self.bar = Some(bar);
                }
                let config = match config {
                    Some(path) => {
                        format!(", config {}", escape_controls(&path.display().to_string()))
                    }
                    None => String::new(),
                };
                writeln!(
                    self.out,
                    "banter: running {scenarios} scenarios against {bot} (seed {seed}{config})"
                )
                .and_then(|()| match proxy {
                    Some((url, ca)) => writeln!(
                        self.out,
                        "banter: capture proxy {url}, CA certificate {}",
                        escape_controls(&ca.display().to_string())
                    ),
                    None => Ok(()),
                })
                .and_then(|()| writeln!(self.out))
            }
            Event::ScenarioFinished(s) => match self.bar.clone() {
                Some(bar) => {
                    let result = bar.suspend(|| self.scenario(s));
                    bar.inc(1);
                    result
                }
                None => self.scenario(s),
            },
            Event::RunFinished(r) => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                self.summary(r)
            }
        };
        // A closed stdout must not stop the run; the reports still get written.
        let _ = result.and_then(|()| self.out.flush());
    }
}
