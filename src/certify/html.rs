//! `certificate.html`: one self-contained page, the requirement matrix first, then the
//! evidence of each requirement. Everything the bot said is HTML-escaped by the template
//! engine, its control characters are shown as escapes, and long texts are clipped
//! (`certificate.json` keeps them whole).

use super::Certificate;
use crate::report::{clip, render_html};

const TEMPLATE: &str = include_str!("certificate.html");

/// Renders the certificate as an HTML page.
pub fn html(certificate: &Certificate) -> Result<String, minijinja::Error> {
    let mut shown = certificate.clone();
    for evidence in shown.requirements.iter_mut().flat_map(|r| &mut r.evidence) {
        let texts = evidence.turns.iter_mut().flat_map(|t| {
            std::iter::once(&mut t.user)
                .chain(&mut t.replies)
                .chain(&mut t.bank_calls)
        });
        for text in texts
            .chain(&mut evidence.failures)
            .chain(&mut evidence.findings)
        {
            *text = clip(text).into_owned();
        }
    }
    render_html(TEMPLATE, minijinja::context! { c => shown })
}
