//! The HTML report: one self-contained page with the summary, every scenario's failures,
//! leaks and transcript. Everything the bot said is HTML-escaped by the template engine, its
//! control characters other than line breaks and tabs are shown as escapes, and long texts
//! are clipped (the JSON report keeps them whole).

use std::borrow::Cow;
use std::path::Path;

use minijinja::{escape_formatter, AutoEscape, Environment, Value};

use super::{escape_controls_but, Report};

const TEMPLATE: &str = include_str!("report.html");

/// Renders the report as an HTML page.
pub fn html(report: &Report) -> Result<String, minijinja::Error> {
    render_html(TEMPLATE, minijinja::context! { report => report.clipped() })
}

/// Renders a page template with HTML auto-escaping: every value shown is escaped, and its
/// control characters (ESC, BEL, NUL, …), which a browser would keep raw, are shown as escapes
/// (`\u{1b}[31m`); line breaks and tabs stay.
pub fn render_html(template: &str, context: Value) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(|out, state, value| {
        match value
            .as_str()
            .filter(|_| !value.is_safe())
            .map(|text| escape_controls_but(text, &['\n', '\t']))
        {
            Some(Cow::Owned(shown)) => escape_formatter(out, state, &Value::from(shown)),
            _ => escape_formatter(out, state, value),
        }
    });
    env.template_from_str(template)?.render(context)
}

/// Writes the HTML report to `path`, creating parent directories.
pub fn write_html(report: &Report, path: &Path) -> std::io::Result<()> {
    super::write_file(path, &html(report).map_err(std::io::Error::other)?)
}
