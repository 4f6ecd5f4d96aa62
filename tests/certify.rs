//! `banter certify`, `banter keygen` and `banter verify` through the binary: the demo bot
//! passes, the leaky demo bot fails the privacy requirement, Messenger bots get the webhook
//! requirements and others do not, and a certificate changed in any way fails verification.

mod common;

use std::path::Path;

use common::{banter_in, banter_with_env, repo, Workspace};
use serde_json::Value;

/// Reads `certificate.json` from `dir`.
fn certificate(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("certificate.json")).expect("certificate.json");
    serde_json::from_str(&text).expect("JSON")
}

/// Each requirement's id and verdict.
fn verdicts(certificate: &Value) -> Vec<(String, String)> {
    certificate["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn verdict_of(certificate: &Value, id: &str) -> String {
    verdicts(certificate)
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no requirement {id}"))
}

#[test]
fn the_demo_bot_passes_every_applicable_requirement_and_webhooks_do_not_apply() {
    let ws = Workspace::new();
    let run = ws.banter(&["certify", "--out", "cert"]);
    assert_eq!(run.code, 0, "{run:?}");
    let cert = certificate(&ws.path().join("cert"));
    assert_eq!(cert["verdict"], "passed");
    assert_eq!(cert["format"], "banter-certificate/1");
    assert_eq!(cert["bot"]["connector"], "demo");
    assert!(cert["digest"].as_str().unwrap().starts_with("sha256:"));
    for (id, verdict) in verdicts(&cert) {
        let expected = if id.starts_with("MSG-") || id == "INC-1" {
            "not_applicable"
        } else {
            "passed"
        };
        assert_eq!(verdict, expected, "{id}");
    }
    let data = &cert["requirements"][0];
    assert_eq!(data["id"], "DATA-1");
    let turn = &data["evidence"][0]["turns"][0];
    assert!(
        turn["replies"][0].as_str().unwrap().contains("$2,481.17"),
        "{turn}"
    );
    assert!(!ws.path().join("cert/certificate.sig").exists());
    let html = std::fs::read_to_string(ws.path().join("cert/certificate.html")).unwrap();
    let matrix = html.find("<h2>Requirements</h2>").expect("the matrix");
    let evidence = html.find("<h2>Evidence</h2>").expect("the evidence");
    assert!(matrix < evidence, "the matrix comes first");
    let verified = ws.banter(&["verify", "cert/certificate.json"]);
    assert_eq!(verified.code, 0, "{verified:?}");
    assert!(verified.stdout.contains("not signed"), "{verified:?}");
}

#[test]
fn the_leaky_demo_bot_fails_privacy_and_passes_the_rest() {
    let ws = Workspace::new();
    let config = repo().join("examples/leaky/banter.yaml");
    let run = ws.banter(&[
        "certify",
        "--config",
        config.to_str().unwrap(),
        "--out",
        "cert",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let cert = certificate(&ws.path().join("cert"));
    assert_eq!(cert["verdict"], "failed");
    assert_eq!(verdict_of(&cert, "PRIV-1"), "failed");
    // The leaks belong to the privacy requirement, not to the conversations they happened in.
    for id in ["DATA-1", "DATA-2", "CONSENT-1", "ISO-1", "RES-1", "PRIV-3"] {
        assert_eq!(verdict_of(&cert, id), "passed", "{id}");
    }
    let privacy = cert["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "PRIV-1")
        .unwrap();
    let findings: Vec<&str> = privacy["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["findings"].as_array().unwrap())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        findings
            .iter()
            .any(|f| f.contains("meta") && f.contains("sha256(lower(email))")),
        "{findings:#?}"
    );
    assert!(run.stdout.contains("FAILED         PRIV-1"), "{run:?}");
}

#[test]
fn a_messenger_bot_is_held_to_the_webhook_requirements_and_hands_over() {
    let ws = Workspace::new();
    let config = repo().join("scenarios/messenger/banter.yaml");
    let included = repo().join("scenarios/messenger/security.yaml");
    let run = banter_with_env(
        ws.path(),
        &[
            "certify",
            "--config",
            config.to_str().unwrap(),
            "--include",
            included.to_str().unwrap(),
            "--out",
            "cert",
        ],
        &[("BANTER_BIN", env!("CARGO_BIN_EXE_banter"))],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let cert = certificate(&ws.path().join("cert"));
    assert_eq!(cert["bot"]["connector"], "messenger");
    for (id, verdict) in verdicts(&cert) {
        assert_eq!(verdict, "passed", "{id}");
    }
    let text = serde_json::to_string(&cert).unwrap();
    assert!(text.contains("[webhook: bad_signature]"), "{text}");
    assert!(text.contains("[hand-over to a human]"), "{text}");
}

#[test]
fn an_http_bot_banter_starts_is_seen_through_the_proxy_and_webhooks_do_not_apply() {
    let ws = Workspace::new();
    ws.demo_bot();
    let run = ws.banter(&["certify", "--out", "cert"]);
    assert_eq!(run.code, 0, "{run:?}");
    let cert = certificate(&ws.path().join("cert"));
    assert_eq!(cert["bot"]["connector"], "http");
    assert_eq!(
        cert["bot"]["description"],
        "http bot http://127.0.0.1:{{ port }}/chat"
    );
    for id in ["MSG-1", "MSG-2", "MSG-3"] {
        assert_eq!(verdict_of(&cert, id), "not_applicable", "{id}");
    }
    assert_eq!(cert["summary"]["passed"], 13);
    // The capture proxy ran: only the limit that holds for every bot is left.
    let limits = cert["limits"].as_array().unwrap();
    assert_eq!(limits.len(), 1, "{limits:?}");
}

/// Signs a demo certificate in a fresh workspace: the workspace and its key directory.
fn signed() -> Workspace {
    let ws = Workspace::new();
    let keys = ws.banter(&["keygen", "--out", "keys"]);
    assert_eq!(keys.code, 0, "{keys:?}");
    let run = ws.banter(&[
        "certify",
        "--out",
        "cert",
        "--sign",
        "keys/banter-ed25519.key",
        "--seed",
        "3",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    ws
}

#[test]
fn a_signed_certificate_verifies_and_any_change_fails_verification() {
    let ws = signed();
    let json = ws.path().join("cert/certificate.json");
    let sig = ws.path().join("cert/certificate.sig");
    let verify = |key: &str| ws.banter(&["verify", "cert/certificate.json", "--key", key]);
    let ok = verify("keys/banter-ed25519.pub");
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("digest and signature OK"), "{ok:?}");
    let original = std::fs::read_to_string(&json).unwrap();
    let original_sig = std::fs::read_to_string(&sig).unwrap();

    // One verdict.
    let changed = original.replacen(
        "\"verdict\": \"not_applicable\"",
        "\"verdict\": \"passed\"",
        1,
    );
    assert_ne!(changed, original);
    std::fs::write(&json, &changed).unwrap();
    let run = verify("keys/banter-ed25519.pub");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("digest does not match"), "{run:?}");

    // One evidence line: a reply of the bot.
    let changed = original.replacen("$2,481.17", "$2,481.71", 1);
    assert_ne!(changed, original);
    std::fs::write(&json, &changed).unwrap();
    let run = verify("keys/banter-ed25519.pub");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("digest does not match"), "{run:?}");

    // A changed digest that matches changed content still fails: the signature covers it.
    std::fs::write(&json, &original).unwrap();
    let mut bytes = original_sig.clone().into_bytes();
    bytes[10] = if bytes[10] == b'0' { b'1' } else { b'0' };
    std::fs::write(&sig, &bytes).unwrap();
    let run = verify("keys/banter-ed25519.pub");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("certificate.sig: the signature does not match"),
        "{run:?}"
    );

    // Untouched again, and checked against the key it names when none is given.
    std::fs::write(&sig, &original_sig).unwrap();
    let run = ws.banter(&["verify", "cert/certificate.json"]);
    assert_eq!(run.code, 0, "{run:?}");

    // Another key.
    let other = ws.banter(&["keygen", "--out", "other"]);
    assert_eq!(other.code, 0, "{other:?}");
    let run = verify("other/banter-ed25519.pub");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not by the key given"), "{run:?}");
}

#[test]
fn bad_input_is_one_line_naming_the_file_and_exits_2() {
    let ws = Workspace::new();
    ws.write("broken.json", "{ \"format\": ");
    ws.write("bad.pub", "not a key\n");
    ws.write("empty.yaml", "");
    ws.write(
        "banter.yaml",
        "certify:\n  utterances:\n    balanse: [\"what do I have?\"]\n",
    );
    let keys = ws.banter(&["keygen", "--out", "keys"]);
    assert_eq!(keys.code, 0, "{keys:?}");
    for (args, names) in [
        (vec!["verify", "broken.json"], "broken.json"),
        (vec!["verify", "missing.json"], "missing.json"),
        (vec!["verify", "banter.yaml"], "banter.yaml"),
        (vec!["certify", "--out", "cert"], "banter.yaml:3:"),
        (
            vec!["certify", "--config", "none.yaml", "--out", "cert"],
            "none.yaml",
        ),
        (
            vec![
                "certify",
                "--config",
                "broken.json",
                "--out",
                "c",
                "--sign",
                "bad.pub",
            ],
            "broken.json",
        ),
        (
            vec![
                "certify",
                "--out",
                "c",
                "--sign",
                "keys/banter-ed25519.pub",
                "--config",
                "empty.yaml",
            ],
            "banter-ed25519.pub",
        ),
        (vec!["keygen", "--out", "keys"], "banter-ed25519.key"),
    ] {
        let run = ws.banter(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {run:?}");
        assert!(lines[0].starts_with("error: "), "{run:?}");
        assert!(lines[0].contains(names), "{args:?}: {run:?}");
    }
    let signed = signed();
    let run = banter_in(
        signed.path(),
        &["verify", "cert/certificate.json", "--key", "../nowhere.pub"],
    );
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn the_same_seed_gives_the_same_certificate_but_its_date() {
    let strip = |mut cert: Value| {
        let map = cert.as_object_mut().unwrap();
        for volatile in ["issued_at", "digest"] {
            map.remove(volatile);
        }
        cert
    };
    let ws = Workspace::new();
    // An included scenario shows the partner's own conversation, escaped in the page.
    ws.write(
        "own/markup.yaml",
        "name: Markup in a message\nsteps:\n  - user: \"<script>alert(1)</script> hello\"\n",
    );
    let args = ["certify", "--seed", "9", "--include", "own", "--out"];
    let first = ws.banter(&[&args[..], &["a"]].concat());
    let second = ws.banter(&[&args[..], &["b"]].concat());
    assert_eq!((first.code, second.code), (0, 0), "{first:?}\n{second:?}");
    let (a, b) = (
        certificate(&ws.path().join("a")),
        certificate(&ws.path().join("b")),
    );
    assert_eq!(a["seed"], 9);
    assert_eq!(verdict_of(&a, "INC-1"), "passed");
    assert_eq!(strip(a), strip(b));
    let html = std::fs::read_to_string(ws.path().join("a/certificate.html")).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "escaped"
    );
    assert!(!html.contains("<script>"));
}
