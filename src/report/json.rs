//! The JSON report file.

use std::path::Path;

use super::Report;

/// Writes the report as pretty JSON to `path`, creating parent directories.
pub fn write_json(report: &Report, path: &Path) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    super::write_file(path, &(text + "\n"))
}
