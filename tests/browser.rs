//! The certificate's and the run report's HTML in a real browser (headless Chromium, which
//! `.ci/run` installs): rendered from runs against a bot whose replies hold markup, terminal
//! escapes and 1 MiB of text (`tests/bots/hostile_bot.py`), the page the browser builds has
//! no element or attribute but its template's, the bot's markup shows as text and its control
//! characters as escapes, the certificate's requirement matrix comes before the evidence, the
//! pages fit the window's width and have a bounded height, and the certificate screenshots.
//!
//! The size of a page is measured on a copy in a scratch directory with a script added that
//! writes `scrollHeight` and `scrollWidth` onto `<body>`, read back from `--dump-dom`.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{finish_within, repo, Run, Workspace, TWO_TURNS};

/// How long one Chromium run may take before it is killed and the test fails.
const BROWSER_LIMIT: Duration = Duration::from_secs(60);
/// The window the pages are laid out in.
const WIDTH: u64 = 1280;
const HEIGHT: u64 = 2000;
/// The tallest page allowed, in CSS pixels: the hostile certificate is about 13,000; the bot's
/// 1 MiB reply unclipped would be over 150,000 on its own.
const MAX_HEIGHT: u64 = 40_000;

/// What the hostile bot says (its `MARKUP`), as the dumped DOM must show it: escaped markup,
/// and control characters written as escapes.
const SHOWN: [&str; 5] = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;",
    "&lt;iframe src=\"http://evil/\"&gt;&lt;/iframe&gt;",
    "\\u{1b}[31mred\\u{1b}[0m",
    "\\u{1b}]8;;http://evil\\u{7}link",
];
/// The marker of the clipped 1 MiB reply.
const CLIPPED: &str = "[truncated: 1048576 bytes, full text in the JSON report]";

/// Runs headless Chromium with `args` and a fresh profile; fails the test with the install
/// command when it is missing.
fn chromium(args: &[String]) -> Run {
    let profile = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout kills its helper processes too.
        .process_group(0);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("chromium is not installed: apt-get install chromium (CI installs it)")
        }
        Err(e) => panic!("chromium: {e}"),
    };
    let run = finish_within(child, BROWSER_LIMIT);
    assert_eq!(run.code, 0, "chromium {args:?}: {run:?}");
    run
}

/// The DOM Chromium builds from the page at `path`, serialized.
fn dump_dom(path: &Path) -> String {
    chromium(&[
        format!("--window-size={WIDTH},{HEIGHT}"),
        "--dump-dom".into(),
        format!("file://{}", path.display()),
    ])
    .stdout
}

/// The laid-out height and width of `page` in the browser window, in CSS pixels.
fn size(page: &str) -> (u64, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("measured.html");
    let script = "<script>document.body.dataset.height = document.documentElement.scrollHeight; \
                  document.body.dataset.width = document.documentElement.scrollWidth;</script>";
    std::fs::write(
        &copy,
        page.replacen("</body>", &format!("{script}</body>"), 1),
    )
    .unwrap();
    let dom = dump_dom(&copy);
    let read = |name: &str| -> u64 {
        let at = dom
            .find(&format!("data-{name}=\""))
            .unwrap_or_else(|| panic!("no {name} measured"))
            + name.len()
            + 7;
        dom[at..dom[at..].find('"').unwrap() + at].parse().unwrap()
    };
    (read("height"), read("width"))
}

/// The start tags of an HTML text, in order: each element's name and its attributes' names.
/// It reads serialized DOM (where `<` in text is always `&lt;` and attribute values are quoted)
/// and page templates (where Jinja sits in text and quoted values).
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let name_end = |c: char| c.is_whitespace() || matches!(c, '>' | '/' | '=');
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with(['!', '/']) {
            continue;
        }
        let end = rest.find(name_end).unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = &rest[end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let end = rest.find(name_end).unwrap_or(rest.len());
            attributes.push(rest[..end].to_ascii_lowercase());
            rest = &rest[end..];
            if let Some(value) = rest.strip_prefix('=') {
                rest = match value.chars().next() {
                    Some(quote @ ('"' | '\'')) => value[1..]
                        .find(quote)
                        .map_or("", |close| &value[close + 2..]),
                    _ => {
                        &value[value
                            .find(|c: char| c.is_whitespace() || c == '>')
                            .unwrap_or(value.len())..]
                    }
                };
            }
        }
        tags.push((name, attributes));
    }
    tags
}

/// What in `dom`, a page rendered from `template`, the template did not write: elements and
/// attributes it does not have (the parser's own `<tbody>` aside), and raw control characters
/// other than line breaks and tabs.
fn foreign(dom: &str, template: &str) -> Vec<String> {
    let written = tags(template);
    let elements: Vec<&str> = written.iter().map(|(name, _)| name.as_str()).collect();
    let attributes: Vec<&str> = written
        .iter()
        .flat_map(|(_, a)| a)
        .map(String::as_str)
        .collect();
    let mut found = Vec::new();
    for (name, names) in tags(dom) {
        if !elements.contains(&name.as_str()) && name != "tbody" {
            found.push(format!("element <{name}>"));
        }
        for attribute in names {
            if !attributes.contains(&attribute.as_str()) {
                found.push(format!("attribute {attribute} on <{name}>"));
            }
        }
    }
    for c in dom
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        found.push(format!("raw control character {c:?}"));
    }
    found
}

/// Takes a screenshot of `page` into `shot`: a PNG of the window's size that is not blank.
fn screenshot(page: &Path, shot: &Path) {
    chromium(&[
        format!("--window-size={WIDTH},{HEIGHT}"),
        format!("--screenshot={}", shot.display()),
        format!("file://{}", page.display()),
    ]);
    let png = std::fs::read(shot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let dimension = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!(
        (dimension(16), dimension(20)),
        (WIDTH as u32, HEIGHT as u32)
    );
    assert!(
        png.len() > 10_000,
        "a blank screenshot: {} bytes",
        png.len()
    );
}

/// Checks a page rendered from the template at `template` (a path in the repository) after a
/// run against the hostile bot: only the template's elements and attributes, the bot's text
/// escaped, its long reply clipped, the page as wide as the window and of bounded height.
/// Returns the dumped DOM.
fn check_page(page: &Path, template: &str) -> String {
    let dom = dump_dom(page);
    let template = std::fs::read_to_string(repo().join(template)).unwrap();
    assert_eq!(foreign(&dom, &template), Vec::<String>::new());
    for shown in SHOWN.into_iter().chain([CLIPPED]) {
        assert!(
            dom.contains(shown),
            "{shown} is not shown in {}",
            page.display()
        );
    }
    let (height, width) = size(&std::fs::read_to_string(page).unwrap());
    assert!(width <= WIDTH, "{} is {width} px wide", page.display());
    assert!(
        height <= MAX_HEIGHT,
        "{} is {height} px high",
        page.display()
    );
    dom
}

/// A workspace whose banter.yaml starts the hostile bot.
fn hostile() -> Workspace {
    let ws = Workspace::new();
    ws.python_bot("hostile_bot.py", "10s");
    ws
}

#[test]
fn the_certificate_of_a_hostile_bot_renders_its_replies_as_text_matrix_first() {
    let ws = hostile();
    let run = ws.banter(&["certify", "--out", "cert"]);
    assert_eq!(run.code, 1, "{run:?}");
    let page = ws.path().join("cert/certificate.html");
    let dom = check_page(&page, "src/certify/certificate.html");
    let matrix = dom.find("<h2>Requirements</h2>").expect("the matrix");
    let evidence = dom.find("<h2>Evidence</h2>").expect("the evidence");
    assert!(matrix < evidence, "the matrix comes first");

    screenshot(&page, &ws.path().join("certificate.png"));
}

#[test]
fn the_run_report_of_a_hostile_bot_renders_its_replies_and_output_as_text() {
    let ws = hostile();
    ws.write("scenarios/two.yaml", TWO_TURNS);
    let run = ws.banter(&["run", "--html", "report.html"]);
    assert_eq!(run.code, 1, "{run:?}");
    let dom = check_page(&ws.path().join("report.html"), "src/report/report.html");
    // The bot's output, shown because the scenario failed, and its quick reply.
    assert!(dom.contains("hostile bot on port"), "the bot's output");
    assert!(
        dom.contains("[&lt;b onclick=alert(1)&gt;Balance&lt;/b&gt;]"),
        "the quick reply"
    );
}

#[test]
fn the_checks_catch_markup_controls_and_an_unclipped_reply() {
    let template = "<html><head></head><body><p class=\"bot\">{{ text }}</p><br></body></html>";
    let clean =
        "<html><head></head><body><p class=\"bot\">&lt;img onerror=x&gt;</p><br></body></html>";
    assert_eq!(foreign(clean, template), Vec::<String>::new());
    let injected = "<html><head></head><body><p class=\"bot\"></p><img src=\"x\" onerror=\"alert(1)\"><script>alert(1)</script><p class=\"bot\" style='a>b' onclick=x>\u{1b}[31m</p></body></html>";
    assert_eq!(
        foreign(injected, template),
        [
            "element <img>",
            "attribute src on <img>",
            "attribute onerror on <img>",
            "element <script>",
            "attribute style on <p>",
            "attribute onclick on <p>",
            "raw control character '\\u{1b}'",
        ]
    );
    // The certificate's stylesheet alone does not bound a page: an unclipped reply would
    // overflow MAX_HEIGHT.
    let certificate = std::fs::read_to_string(repo().join("src/certify/certificate.html")).unwrap();
    let style = &certificate[..certificate.find("</style>").unwrap()];
    let page = format!(
        "{style}</style></head><body><table><tr><td class=\"bot\">{}</td></tr></table></body></html>",
        "x".repeat(1 << 20)
    );
    let (height, _) = size(&page);
    assert!(height > MAX_HEIGHT, "{height} px");
}

#[test]
fn the_simulation_page_draws_its_charts_and_shows_names_as_text() {
    let ws = Workspace::new();
    ws.write("banter.yaml", "demo: { leaky: true }\n");
    ws.write(
        "scenarios/marked.yaml",
        "name: \"<b>Balance</b> & co\"\nsteps:\n  - user: \"what's my checking balance?\"\n",
    );
    let args = "simulate scenarios --customers 6 --concurrency 2 --conversations 12 --out sim";
    let run = ws.banter(&args.split_whitespace().collect::<Vec<_>>());
    assert_eq!(run.code, 1, "the leaky bot breaks `leaks: 0`: {run:?}");
    let page = ws.path().join("sim/report.html");
    let dom = dump_dom(&page);
    let allowed = [
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "svg", "line",
        "text", "rect", "polyline", "circle", "table", "tbody", "tr", "th", "td",
    ];
    for (tag, _) in tags(&dom) {
        assert!(allowed.contains(&tag.as_str()), "unexpected <{tag}>");
    }
    assert!(
        dom.contains("&lt;b&gt;Balance&lt;/b&gt; &amp; co"),
        "the name as text"
    );
    assert_eq!(dom.matches("<svg viewBox").count(), 2, "two charts");
    assert!(dom.contains("<polyline"), "lines drawn");
    assert!(dom.contains("leaked to"), "the violations listed");
    let (_, width) = size(&std::fs::read_to_string(&page).unwrap());
    assert!(width <= WIDTH, "{width} px wide");

    screenshot(&page, &ws.path().join("simulate.png"));
}
