//! The simulation's closing summary on the terminal: counts, throughput, latency and overhead
//! percentiles, per scenario, failures by kind, the first violations and the thresholds. What
//! a bot said is shown with its control characters escaped.

use std::io::Write;
use std::time::Duration;

use super::summary::{Latency, Summary};
use crate::report::escape_controls;

/// Violations shown on the terminal; all are in `summary.json`.
const SHOWN: usize = 20;

fn d(us: u64) -> String {
    humantime::format_duration(Duration::from_micros(us)).to_string()
}

fn percentiles(l: &Latency) -> String {
    format!(
        "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        d(l.p50_us),
        d(l.p90_us),
        d(l.p99_us),
        d(l.p999_us),
        d(l.max_us)
    )
}

/// Prints `summary` to `out`.
pub fn print_summary(summary: &Summary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", summary.headline())?;
    writeln!(out, "latency   {}", percentiles(&summary.latency))?;
    writeln!(out, "overhead  {}", percentiles(&summary.overhead))?;
    writeln!(out, "  on CPU  {}", percentiles(&summary.overhead_cpu))?;
    for s in &summary.scenarios {
        writeln!(
            out,
            "  {}: {} conversations, {} failed; {}",
            escape_controls(&s.name),
            s.conversations,
            s.failed,
            percentiles(&s.latency)
        )?;
    }
    if !summary.errors.is_empty() {
        let kinds: Vec<String> = summary
            .errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(out, "failures by kind: {}", kinds.join(", "))?;
    }
    for v in summary.violations.iter().take(SHOWN) {
        let turn = v
            .failure
            .turn
            .map(|t| format!(" turn {t}"))
            .unwrap_or_default();
        writeln!(
            out,
            "VIOLATION conversation {} ({}, {}){turn}: {}: {}",
            v.conversation,
            escape_controls(&v.scenario),
            escape_controls(&v.customer),
            v.failure.kind.as_str(),
            escape_controls(&v.failure.message)
        )?;
    }
    if summary.violations.len() > SHOWN {
        writeln!(
            out,
            "… and {} more violations in summary.json",
            summary.violations.len() - SHOWN
        )?;
    }
    if summary.unattributed_leaks > 0 {
        writeln!(
            out,
            "VIOLATION {} leaks in sink requests that no conversation could be told to own \
             (values that several customers share, sent while they were talking)",
            summary.unattributed_leaks
        )?;
    }
    for v in &summary.thresholds {
        writeln!(
            out,
            "threshold {} <= {}: {} ({})",
            v.name,
            v.limit,
            if v.passed { "passed" } else { "FAILED" },
            v.actual
        )?;
    }
    if summary.interrupted {
        writeln!(out, "interrupted")?;
    }
    Ok(())
}
