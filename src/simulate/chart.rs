//! The simulation's HTML page (`report.html`): one self-contained file, no script and no CDN,
//! its charts inline SVG drawn here: latency over time (p50 and p99 of each second, with the
//! turns per second) and latency by percentile (overall and per scenario), then the
//! thresholds, the scenarios, the failures by kind and every violation. Everything a bot said
//! is escaped.

use std::fmt::Write as _;

use html_escape::encode_text;

use super::summary::{Latency, Summary};

/// The charts' size, in SVG units.
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
/// The margins: left (for the axis labels), right, top, bottom.
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;
/// Most violations listed on the page; all are in `summary.json`.
const LISTED: usize = 500;
/// The percentiles of the percentile chart.
const PERCENTILES: [f64; 8] = [0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 100.0];
/// Line colours, in turn.
const COLOURS: [&str; 6] = [
    "#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#57606a",
];

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// A value axis from 0 to a round number at or above `max`.
fn ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    ((max / step).ceil() * step).max(f64::MIN_POSITIVE)
}

fn x_at(i: usize, n: usize) -> f64 {
    LEFT + (WIDTH - LEFT - RIGHT)
        * if n <= 1 {
            0.5
        } else {
            i as f64 / (n - 1) as f64
        }
}

fn y_at(v: f64, top: f64) -> f64 {
    HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (v / top).min(1.0)
}

/// The frame of a chart: its axes, the y axis's ticks in `unit`, and the x labels given.
fn frame(svg: &mut String, label: &str, top: f64, unit: &str, x_labels: &[(usize, usize, String)]) {
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{}">"#,
        html_escape::encode_double_quoted_attribute(label)
    );
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let y = y_at(v, top);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d7de"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11">{} {unit}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            trim(v)
        );
    }
    for (i, n, text) in x_labels {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11">{}</text>"#,
            x_at(*i, *n),
            HEIGHT - BOTTOM + 16.0,
            encode_text(text)
        );
    }
}

fn trim(v: f64) -> String {
    if v >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn polyline(svg: &mut String, points: &[(f64, f64)], colour: &str, name: &str) {
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
        path.join(" "),
        encode_text(name)
    );
    for (x, y) in points {
        let _ = write!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="2" fill="{colour}"/>"#
        );
    }
}

fn legend(entries: &[(&str, String)]) -> String {
    let mut html = String::from(r#"<p class="legend">"#);
    for (colour, name) in entries {
        let _ = write!(
            html,
            r#"<span><svg width="14" height="10"><rect width="14" height="10" fill="{colour}"/></svg> {}</span> "#,
            encode_text(name)
        );
    }
    html.push_str("</p>");
    html
}

/// Latency over time: p50 and p99 of each second's turns, and its turns as bars.
fn over_time(summary: &Summary) -> String {
    let seconds = &summary.timeline;
    let n = seconds.len();
    let top = ceiling(
        seconds
            .iter()
            .map(|s| ms(s.latency.p99_us))
            .fold(0.0, f64::max),
    );
    let most_turns = seconds.iter().map(|s| s.turns).max().unwrap_or(0).max(1) as f64;
    let every = (n / 10).max(1);
    let labels: Vec<(usize, usize, String)> = (0..n)
        .step_by(every)
        .map(|i| (i, n, format!("{i} s")))
        .collect();
    let mut svg = String::new();
    frame(&mut svg, "latency over time", top, "ms", &labels);
    let bar = ((WIDTH - LEFT - RIGHT) / n.max(1) as f64 * 0.6).max(1.0);
    for (i, s) in seconds.iter().enumerate() {
        let h = (HEIGHT - TOP - BOTTOM) * s.turns as f64 / most_turns;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{bar:.1}" height="{h:.1}" fill="#eaeef2"><title>second {i}: {} turns, {} failed</title></rect>"##,
            x_at(i, n) - bar / 2.0,
            HEIGHT - BOTTOM - h,
            s.turns,
            s.failed
        );
    }
    for (colour, name, pick) in [
        (
            COLOURS[0],
            "p50",
            (|l: &Latency| l.p50_us) as fn(&Latency) -> u64,
        ),
        (COLOURS[1], "p99", |l: &Latency| l.p99_us),
    ] {
        let points: Vec<(f64, f64)> = seconds
            .iter()
            .enumerate()
            .filter(|(_, s)| s.turns > 0)
            .map(|(i, s)| (x_at(i, n), y_at(ms(pick(&s.latency)), top)))
            .collect();
        polyline(&mut svg, &points, colour, name);
    }
    svg.push_str("</svg>");
    svg + &legend(&[
        (COLOURS[0], "p50 of the second".into()),
        (COLOURS[1], "p99 of the second".into()),
        (
            "#eaeef2",
            format!("turns per second (highest {most_turns})"),
        ),
    ])
}

/// A latency's value at each of [`PERCENTILES`], in ms.
fn at_percentiles(latency: &Latency) -> Vec<f64> {
    let Ok(histogram) = latency.histogram() else {
        return Vec::new();
    };
    if histogram.is_empty() {
        return Vec::new();
    }
    PERCENTILES
        .iter()
        .map(|&q| ms(histogram.value_at_quantile(q / 100.0)))
        .collect()
}

/// Latency by percentile, overall and for each scenario.
fn by_percentile(summary: &Summary) -> String {
    let mut lines: Vec<(String, Vec<f64>)> =
        vec![("all turns".into(), at_percentiles(&summary.latency))];
    lines.extend(
        summary
            .scenarios
            .iter()
            .map(|s| (s.name.clone(), at_percentiles(&s.latency))),
    );
    let top = ceiling(
        lines
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max),
    );
    let n = PERCENTILES.len();
    let labels: Vec<(usize, usize, String)> = PERCENTILES
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let text = match *q {
                0.0 => "min".to_string(),
                100.0 => "max".to_string(),
                q => format!("p{q}"),
            };
            (i, n, text)
        })
        .collect();
    let mut svg = String::new();
    frame(&mut svg, "latency by percentile", top, "ms", &labels);
    let mut entries = Vec::new();
    for (k, (name, values)) in lines.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (x_at(i, n), y_at(*v, top)))
            .collect();
        polyline(&mut svg, &points, colour, name);
        entries.push((colour, name.clone()));
    }
    svg.push_str("</svg>");
    svg + &legend(&entries)
}

fn latency_row(name: &str, extra: &str, l: &Latency) -> String {
    format!(
        "<tr><td>{}</td>{extra}<td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
        encode_text(name),
        l.count,
        ms(l.p50_us),
        ms(l.p90_us),
        ms(l.p99_us),
        ms(l.p999_us),
        ms(l.max_us)
    )
}

/// The whole page.
pub fn page(summary: &Summary) -> String {
    let setup = &summary.setup;
    let verdict = if summary.passed_thresholds {
        "PASSED"
    } else {
        "FAILED"
    };
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>banter simulate: {verdict}</title><style>body{{font-family:system-ui,sans-serif;margin:24px;max-width:820px;color:#1f2328}}table{{border-collapse:collapse;margin:8px 0 16px}}td,th{{border:1px solid #d0d7de;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}.passed{{color:#1a7f37}}.failed{{color:#d1242f}}.legend span{{margin-right:12px;font-size:13px}}.violations td{{text-align:left;overflow-wrap:anywhere;max-width:480px}}svg text{{fill:#57606a;font-family:system-ui,sans-serif}}</style></head><body>"#
    );
    let _ = write!(
        html,
        r#"<h1>banter simulate: <span class="{}">{verdict}</span></h1><p>{}. Bot: {}. Seed {}, {} customers per profile, {} virtual users (closed workload){}{}.</p>"#,
        verdict.to_lowercase(),
        summary.headline(),
        encode_text(&setup.bot),
        setup.seed,
        setup.customers,
        setup.concurrency,
        if setup.shards.is_empty() {
            String::new()
        } else {
            format!(", shards {}", encode_text(&setup.shards.join(", ")))
        },
        if summary.interrupted {
            ", interrupted"
        } else {
            ""
        },
    );
    html.push_str("<h2>Latency over time</h2>");
    html.push_str(&over_time(summary));
    html.push_str("<h2>Latency by percentile</h2>");
    html.push_str(&by_percentile(summary));
    html.push_str("<h2>Thresholds</h2><table><tr><th>threshold</th><th>limit</th><th>measured</th><th>verdict</th></tr>");
    for v in &summary.thresholds {
        let _ = write!(
            html,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="{}">{}</td></tr>"#,
            encode_text(&v.name),
            encode_text(&v.limit),
            encode_text(&v.actual),
            if v.passed { "passed" } else { "failed" },
            if v.passed { "passed" } else { "failed" }
        );
    }
    html.push_str("</table><h2>Turn latency (ms)</h2><table><tr><th>scenario</th><th>conversations</th><th>failed</th><th>turns</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
    for s in &summary.scenarios {
        let extra = format!("<td>{}</td><td>{}</td>", s.conversations, s.failed);
        html.push_str(&latency_row(&s.name, &extra, &s.latency));
    }
    let extra = format!(
        "<td>{}</td><td>{}</td>",
        summary.conversations, summary.failed
    );
    html.push_str(&latency_row(
        "all (the bot's time)",
        &extra,
        &summary.latency,
    ));
    html.push_str(&latency_row(
        "banter's overhead on CPU",
        "<td></td><td></td>",
        &summary.overhead_cpu,
    ));
    html.push_str(&latency_row(
        "banter's overhead",
        "<td></td><td></td>",
        &summary.overhead,
    ));
    html.push_str(
        "</table><h2>Failures by kind</h2><table><tr><th>kind</th><th>failures</th></tr>",
    );
    for (kind, n) in &summary.errors {
        let _ = write!(html, "<tr><td>{}</td><td>{n}</td></tr>", encode_text(kind));
    }
    let _ = write!(
        html,
        r#"</table><h2>Violations ({})</h2><table class="violations"><tr><th>conversation</th><th>scenario</th><th>customer</th><th>turn</th><th>kind</th><th>what</th></tr>"#,
        summary.leaks
    );
    for v in summary.violations.iter().take(LISTED) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            v.conversation,
            encode_text(&v.scenario),
            encode_text(&v.customer),
            v.failure.turn.map(|t| t.to_string()).unwrap_or_default(),
            v.failure.kind.as_str(),
            encode_text(&v.failure.message)
        );
    }
    html.push_str("</table>");
    if summary.violations.len() > LISTED {
        let _ = write!(
            html,
            "<p>… and {} more in summary.json.</p>",
            summary.violations.len() - LISTED
        );
    }
    html.push_str("</body></html>\n");
    html
}
