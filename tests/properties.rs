//! Property tests on stable Rust (proptest): the scenario loader and the leak detector (every
//! decoder it chains: inflation, URL, HTML and JSON escapes, base64, hex, base32, base58,
//! lz-string, form and JSON bodies) never panic on arbitrary input, and their time grows
//! linearly with adversarial input.
//!
//! A short pass runs in `cargo test` (48 cases per property); a long local pass:
//! `PROPTEST_CASES=20000 cargo test --release --test properties`.

mod common;

use std::time::{Duration, Instant};

use banter::{CapturedRequest, Customer, CustomerSpec, Detector};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pieces of YAML and of banter's scenario vocabulary, so that arbitrary files reach past the
/// YAML parser into the scenario types.
fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name: a\n".to_string()),
        Just("steps:\n".to_string()),
        Just("  - user: hi\n".to_string()),
        Just("  - user: { any_of: [a, { quick_reply: b }] }\n".to_string()),
        Just("  - include: x.yaml\n    with: { a: 1 }\n".to_string()),
        Just("examples: [{ a: 1 }, { a: two }]\n".to_string()),
        Just("    bot: { contains: \"<a>\", matches: \"(\" }\n".to_string()),
        Just(
            "customer: { consent: <a>, accounts: [{ type: savings, balance: 1e400 }] }\n"
                .to_string()
        ),
        Just("faults: [{ path: \"/**\", status: 99999999999999999999 }]\n".to_string()),
        Just("---\n".to_string()),
        Just("- ".to_string()),
        Just("&a [*a, *a]\n".to_string()),
        Just("{{ customer.first_name }}".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("\"\\u".to_string()),
        Just("\t".to_string()),
        "[ -~\n]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn yaml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(yaml_piece(), 0..24).prop_map(|pieces| pieces.concat())
}

fn load(ws: &common::Workspace, text: &str) -> Result<usize, String> {
    ws.write("s.yaml", text);
    banter::load_paths(&[ws.path().join("s.yaml")])
        .map(|s| s.len())
        .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_loader_never_panics(text in yaml_text()) {
        let ws = common::Workspace::new();
        let _ = load(&ws, &text);
    }
}

/// The scans of a request: a customer's values, encoded every way banter decodes.
fn detector() -> (Detector, Customer) {
    let customer = Customer::generate(1, "Property", &CustomerSpec::default());
    (Detector::new(std::slice::from_ref(&customer)), customer)
}

fn request(
    content_type: &str,
    encoding: Option<&str>,
    query: String,
    body: Vec<u8>,
) -> CapturedRequest {
    let mut headers = vec![("content-type".to_string(), content_type.to_string())];
    if let Some(encoding) = encoding {
        headers.push(("content-encoding".to_string(), encoding.to_string()));
    }
    CapturedRequest {
        sink: "google".into(),
        host: None,
        at: Instant::now(),
        method: "POST".into(),
        path: "/mp/collect".into(),
        query,
        headers,
        body,
        spill: None,
        body_error: None,
    }
}

/// Bodies built from pieces every decoder looks for, the customer's email among them.
fn body_piece(email: String) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(email.clone().into_bytes()),
        Just(b"%40%25%".to_vec()),
        Just(b"&amp;&#x40;&#".to_vec()),
        Just(b"\\u0040\\ud83d\\".to_vec()),
        Just(b"{\"em\":\"".to_vec()),
        Just(b"\"}".to_vec()),
        Just(b"[[[".to_vec()),
        Just(b"a=b&c=".to_vec()),
        Just(b"QUJDREVGRw==".to_vec()),
        Just(b"0123456789abcdef".to_vec()),
        Just(b"MFRGGZDFMZTWQ===".to_vec()),
        Just(b"\x1f\x8b\x08\x00".to_vec()),
        Just(b"\x78\x9c".to_vec()),
        Just("N4IgDghgzg".as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..48),
    ]
}

fn body(email: String) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(body_piece(email), 0..32).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_leak_detector_never_panics(
        body in body(detector().1.email),
        query in "[ -~]{0,64}",
        content_type in prop_oneof![
            Just("application/json"),
            Just("application/x-www-form-urlencoded"),
            Just("text/plain"),
            Just("text/html"),
            Just("application/octet-stream"),
        ],
        encoding in prop_oneof![Just(None), Just(Some("gzip")), Just(Some("deflate")), Just(Some("br")), Just(Some("x-bogus"))],
    ) {
        let (detector, _) = detector();
        let text = String::from_utf8_lossy(&body).into_owned();
        let _ = detector.scan_request(&request(content_type, encoding, query, body));
        let _ = detector.scan_text(&text, "reply");
    }
}

/// Whether the time of `work(n)` grows at most about linearly: 8 times the input may take
/// at most 32 times as long (a quadratic would take 64). The small input is grown until it
/// takes long enough to measure. The measurements run one at a time, small and large in
/// turn, six of each, and the fastest of each is compared: a busy machine only ever makes
/// a measurement slower, so the fastest is the nearest to the truth either way.
fn grows_linearly(name: &str, work: impl FnMut(usize)) {
    grows_linearly_up_to(name, 1 << 23, 32.0, work);
}

/// [`grows_linearly`] for work that takes at most `most` units, and whose large input may
/// take at most `times` as long as the small one. The large input is never past `most`, so
/// that a cap on the work (a limit the loader enforces) cannot hide a quadratic by making
/// the large input less than 8 times the small one; below a cap, a quadratic part may not
/// outweigh the linear one at the small input, and shows as less than 64 times: `times`
/// then says how much less.
fn grows_linearly_up_to(name: &str, most: usize, times: f64, mut work: impl FnMut(usize)) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut timed = |n: usize| {
        let start = Instant::now();
        work(n);
        start.elapsed()
    };
    let mut n = (most / 8).min(1024);
    while timed(n).min(timed(n)) < Duration::from_millis(5) && n * 16 <= most {
        n *= 2;
    }
    let (mut small, mut large) = (Duration::MAX, Duration::MAX);
    for _ in 0..6 {
        small = small.min(timed(n));
        large = large.min(timed(n * 8));
    }
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    if std::env::var_os("BANTER_SHOW_RATIOS").is_some() {
        eprintln!(
            "{name}: {n} units {small:?}, {} units {large:?}: {ratio:.1} times",
            n * 8
        );
    }
    assert!(
        ratio < times,
        "{name}: {n} units took {small:?}, {} took {large:?} ({ratio:.1} times)",
        n * 8
    );
}

#[test]
fn the_leak_detector_stays_linear_on_adversarial_bodies() {
    let (detector, customer) = detector();
    /// A family of bodies: its name, its content type, and the body of `n` bytes around an
    /// email.
    type Family = (&'static str, &'static str, fn(usize, &str) -> Vec<u8>);
    let families: [Family; 8] = [
        ("plain text", "text/plain", |n, _| vec![b'a'; n]),
        ("a base64 run", "text/plain", |n, _| b"QUJD".repeat(n / 4)),
        ("a hex run", "text/plain", |n, _| b"0a".repeat(n / 2)),
        (
            "percent escapes",
            "application/x-www-form-urlencoded",
            |n, _| b"%41".repeat(n / 3),
        ),
        ("JSON escapes", "application/json", |n, _| {
            [
                b"{\"a\":\"".to_vec(),
                b"\\u0041".repeat(n / 6),
                b"\"}".to_vec(),
            ]
            .concat()
        }),
        ("deep JSON", "application/json", |n, _| {
            [b"[".repeat(n / 2), b"]".repeat(n / 2)].concat()
        }),
        (
            "many form fields",
            "application/x-www-form-urlencoded",
            |n, email| {
                format!("k={email}&")
                    .repeat(n / (email.len() + 3))
                    .into_bytes()
            },
        ),
        ("many JSON keys", "application/json", |n, email| {
            let fields: Vec<String> = (0..n / 32)
                .map(|i| format!("\"k{i}\":\"{email}\""))
                .collect();
            format!("{{{}}}", fields.join(",")).into_bytes()
        }),
    ];
    for (name, content_type, make) in families {
        grows_linearly(name, |n| {
            let body = make(n, &customer.email);
            let _ = detector.scan_request(&request(content_type, None, String::new(), body));
        });
    }
}

#[test]
fn the_loader_stays_linear_on_adversarial_files() {
    let ws = common::Workspace::new();
    /// A family of files: its name, the most bytes it grows to with the most times as long
    /// as the small input its largest may take, and the file of about `n` bytes.
    type Family = (&'static str, (usize, f64), fn(usize) -> String);
    let any = (1 << 23, 32.0);
    let families: [Family; 4] = [
        ("many scenarios", any, |n| {
            (0..n / 40)
                .map(|i| format!("- name: s{i}\n  steps: [{{ user: hi }}]\n"))
                .collect()
        }),
        ("a long text", any, |n| {
            format!("name: a\nsteps: [{{ user: \"{}\" }}]\n", "x".repeat(n))
        }),
        // One test case per alternative, up to the limit of 1,000 a scenario expands into:
        // 124 alternatives against 999. Reading a case outweighs copying the alternatives
        // at 124 of them, so copying them all for each case takes 25 times as long at 999
        // (a case read once each, 7 times).
        ("many variants", (999 * 8, 16.0), |n| {
            let words: Vec<String> = (0..n / 8).map(|i| format!("w{i}")).collect();
            format!(
                "name: a\nsteps:\n  - user: {{ any_of: [{}] }}\n",
                words.join(", ")
            )
        }),
        ("many aliases", any, |n| {
            let mut text = String::from("name: a\nx: &a [1, 2, 3, 4]\n");
            text.push_str(&format!("y: [{}]\n", vec!["*a"; n / 4].join(", ")));
            text.push_str("steps: [{ user: hi }]\n");
            text
        }),
    ];
    // The files are scenarios: the largest of many variants is 999 test cases.
    assert_eq!(load(&ws, &(families[2].2)(999 * 8)), Ok(999));
    for (name, (most, times), make) in families {
        grows_linearly_up_to(name, most, times, |n| {
            let _ = load(&ws, &make(n));
        });
    }
}

/// The linearity check catches a quadratic.
#[test]
#[should_panic(expected = "times)")]
fn a_quadratic_fails_the_linearity_check() {
    grows_linearly("quadratic", |n| {
        let mut sum = 0u64;
        for i in 0..n as u64 {
            for j in 0..n as u64 {
                sum = sum.wrapping_add(std::hint::black_box(i ^ j));
            }
        }
        std::hint::black_box(sum);
    });
}
