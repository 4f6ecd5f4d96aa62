//! The JSON report file.

use std::path::Path;

use super::Report;

/// Writes the report as pretty JSON to `path`, creating parent directories.
pub fn write_json(report: &Report, path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
