//! The HTML report: one self-contained page with the summary, every scenario's failures,
//! leaks and transcript. Everything the bot said is HTML-escaped by the template engine, and
//! long texts are clipped (the JSON report keeps them whole).

use std::path::Path;

use minijinja::{AutoEscape, Environment};

use super::Report;

const TEMPLATE: &str = include_str!("report.html");

/// Renders the report as an HTML page.
pub fn html(report: &Report) -> Result<String, minijinja::Error> {
    render_html(TEMPLATE, minijinja::context! { report => report.clipped() })
}

/// Renders a page template with HTML auto-escaping: every value shown is escaped.
pub fn render_html(template: &str, context: minijinja::Value) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.template_from_str(template)?.render(context)
}

/// Writes the HTML report to `path`, creating parent directories.
pub fn write_html(report: &Report, path: &Path) -> std::io::Result<()> {
    super::write_file(path, &html(report).map_err(std::io::Error::other)?)
}
