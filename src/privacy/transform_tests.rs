//! Detector tests of coverage and precision: one finding per leak where a container and a
//! field decoded from it both hold the value; the platforms' documented normalisations, field
//! by field; every hash of every recognised form; and every hash, encoding and compression of
//! an email and a phone planted in a JSON body, a query and a form, with its exact chain.

use std::io::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use super::corpus;
use super::digests::{Algo, Checksum};
use super::normalise::{PlatformField, CAPI, GOOGLE};
use super::tests::{customers, deflate, get, json_post, post, sha256, EMAIL};
use super::*;

const FORM: [(&str, &str); 1] = [("content-type", "application/x-www-form-urlencoded")];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encodes every byte outside `A-Z a-z 0-9 - . _ ~ $`.
fn pct(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'$' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The findings of customer 0 as (kind, location, chain).
fn leaks(detector: &Detector, request: &CapturedRequest) -> Vec<(ValueKind, String, String)> {
    detector
        .scan_request(request)
        .findings
        .into_iter()
        .filter(|f| f.customer == 0)
        .map(|f| (f.kind, f.location, f.chain))
        .collect()
}

fn one(kind: ValueKind, location: &str, chain: &str) -> Vec<(ValueKind, String, String)> {
    vec![(kind, location.to_owned(), chain.to_owned())]
}

#[test]
fn a_leak_in_a_container_and_its_decoded_field_is_one_finding() {
    let detector = Detector::new(&customers());
    let em = sha256(EMAIL);
    let meta = json!([{"event_name": "Lead", "user_data": {"em": [em]}}]).to_string();
    let meta = post("/tr", &FORM, format!("data={}&ev=Lead", pct(&meta)));
    assert_eq!(
        leaks(&detector, &meta),
        one(
            ValueKind::Email,
            "body:form:data/0/user_data/em/0",
            "form → json → sha256(lower(email))"
        )
    );
    // Mixpanel's base64 sent form-encoded without escaping `+`: form decoding turns each `+`
    // into a space, so the value is also scanned as sent.
    let event = json!({"event": "x>>?", "properties": {"$email": EMAIL, "ok": ">>>"}}).to_string();
    let b64 = STANDARD.encode(event);
    assert!(b64.contains('+'), "{b64}");
    let mixpanel = post("/track", &FORM, format!("data={b64}"));
    assert_eq!(
        leaks(&detector, &mixpanel),
        one(
            ValueKind::Email,
            "body:form:data/properties/$email",
            "form → base64 → json → email"
        )
    );
    let amplitude = json!({"user_id": "u1", "user_properties": {"email": EMAIL}}).to_string();
    let amplitude = get(&format!("/2/httpapi?e={}&v=2", pct(&amplitude)));
    assert_eq!(
        leaks(&detector, &amplitude),
        one(
            ValueKind::Email,
            "query:e/user_properties/email",
            "url → json → email"
        )
    );
}

#[test]
fn only_the_same_form_of_a_value_is_folded_into_the_deeper_finding() {
    let detector = Detector::new(&customers());
    let at = |inner: serde_json::Value| {
        let value = format!("{},{EMAIL}", STANDARD.encode(inner.to_string()));
        let mut found: Vec<(String, String)> = leaks(
            &detector,
            &post("/c", &FORM, format!("data={}", pct(&value))),
        )
        .into_iter()
        .map(|(_, location, chain)| (location, chain))
        .collect();
        found.sort();
        found
    };
    let pair = |location: &str, chain: &str| (location.to_owned(), chain.to_owned());
    // The plain email beside a base64 JSON holding its digest: two forms, two findings.
    assert_eq!(
        at(json!({ "em": sha256(EMAIL) })),
        [
            pair("body:form:data", "form → email"),
            pair(
                "body:form:data/em",
                "form → base64 → json → sha256(lower(email))"
            ),
        ]
    );
    // Beside a base64 JSON holding the same plain email: one finding, the deeper one.
    assert_eq!(
        at(json!({ "em": EMAIL })),
        [pair("body:form:data/em", "form → base64 → json → email")]
    );
}

/// A copy of the planted customer whose address exercises the platforms' rules.
fn platform_customer() -> Vec<Customer> {
    let mut customers = customers();
    let c = &mut customers[0];
    c.address.street = "500 Main St.".into();
    c.address.city = "San Francisco".into();
    c.address.state = "CA".into();
    c.address.zip = "94107".into();
    c.last_name = "Love-Lace".into();
    customers
}

#[test]
fn every_platform_field_is_found_hashed_as_the_platform_normalises_it() {
    let customers = platform_customer();
    let detector = Detector::new(&customers);
    let tables: [(&str, &[PlatformField]); 3] =
        [("meta", &CAPI), ("snap", &CAPI), ("google", &GOOGLE)];
    let mut failures = Vec::new();
    let mut checked = 0;
    for (platform, table) in tables {
        for field in table {
            let value = field.field.of(&customers[0]);
            let normalised = field.rule.apply(&value);
            let request = json_post(json!({"user_data": {field.key: [sha256(&normalised)]}}));
            let location = format!("body:/user_data/{}/0", field.key);
            let found = leaks(&detector, &request);
            let hit = found.iter().any(|(kind, l, chain)| {
                *kind == field.field.kind() && *l == location && chain.starts_with("json → sha256(")
            });
            checked += 1;
            if !hit || found.len() != 1 {
                failures.push(format!(
                    "{platform} {}: {value:?} → {normalised:?}: {found:?}",
                    field.key
                ));
            }
        }
    }
    assert!(checked >= 27);
    assert!(failures.is_empty(), "{failures:#?}");
    // The normalised forms that no general form covers.
    let c = &customers[0];
    for (key, text, label) in [
        ("ct", "sanfrancisco", "compact(city)"),
        ("ln", "lovelace", "compact(last_name)"),
        ("st", "ca", "lower(state)"),
        ("country", "us", "lower(country)"),
        ("external_id", c.id.as_str(), "external_id"),
    ] {
        let request = json_post(json!({ key: sha256(text) }));
        let chain = format!("json → sha256({label})");
        let found = leaks(&detector, &request);
        assert!(
            found.iter().any(|(_, _, ch)| *ch == chain),
            "{key}: {found:?}"
        );
    }
}

#[test]
fn state_and_country_digests_count_only_under_their_keys() {
    let detector = Detector::new(&platform_customer());
    for text in ["ca", "us"] {
        let request = json_post(json!({ "h": sha256(text), "note": [sha256(text)] }));
        assert_eq!(leaks(&detector, &request), vec![], "{text}");
    }
}

#[test]
fn every_recognised_form_is_found_hashed() {
    use ValueKind::*;
    let customers = platform_customer();
    let detector = Detector::new(&customers);
    let cases = [
        (DateOfBirth, "19850412"),
        (DateOfBirth, "1985-04-12"),
        (DateOfBirth, "04/12/1985"),
        (DateOfBirth, "12/04/1985"),
        (Phone, "+16505551212"),
        (Phone, "16505551212"),
        (Phone, "6505551212"),
        (Phone, "(650) 555-1212"),
        (Phone, "650-555-1212"),
        (Phone, "650.555.1212"),
        (Name, "Adele"),
        (Name, "adele"),
        (Name, "Adele Love-Lace"),
        (Email, EMAIL),
        (Email, "adelelovelace@gmail.com"),
        (Address, "San Francisco"),
        (Address, "san francisco"),
        (Address, "sanfrancisco"),
        (Address, "500 Main St."),
        (Address, "94107"),
    ];
    for (kind, text) in cases {
        for algo in [Algo::Md5, Algo::Sha256, Algo::Sha3_512] {
            let digest = hex(&algo.outputs(text.as_bytes())[0]);
            let found = leaks(&detector, &json_post(json!({ "h": digest })));
            let prefix = format!("json → {}(", algo.name());
            let hit = found
                .iter()
                .any(|(k, l, chain)| *k == kind && l == "body:/h" && chain.starts_with(&prefix));
            assert!(hit, "{algo:?}({text}): {found:?}");
        }
    }
}

/// The three containers a payload is planted in: (request, location, chain prefix).
fn containers(payload: &str) -> Vec<(CapturedRequest, &'static str, String)> {
    let encoded = pct(payload);
    let url = if encoded == payload { "" } else { "url → " };
    vec![
        (
            json_post(json!({ "d": payload })),
            "body:/d",
            "json → ".to_owned(),
        ),
        (get(&format!("/c?d={encoded}")), "query:d", url.to_owned()),
        (
            post("/c", &FORM, format!("d={encoded}")),
            "body:form:d",
            "form → ".to_owned(),
        ),
    ]
}

fn zlib(data: &[u8]) -> Vec<u8> {
    deflate(data)
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("write to a Vec");
    encoder.finish().expect("finish to a Vec")
}

/// Each encoding and compression of `value`: (payload, steps after the container's).
fn encodings(value: &str) -> Vec<(String, &'static str)> {
    let bytes = value.as_bytes();
    vec![
        (data_encoding::BASE32.encode(bytes), "base32"),
        (
            data_encoding::BASE32_NOPAD.encode(bytes).to_lowercase(),
            "base32",
        ),
        (bs58::encode(bytes).into_string(), "base58"),
        (lz_str::compress_to_base64(value), "lzstring"),
        (lz_str::compress_to_encoded_uri_component(value), "lzstring"),
        (lz_str::compress_to_utf16(value), "lzstring"),
        (STANDARD.encode(zlib(bytes)), "base64 → zlib"),
        (STANDARD.encode(raw_deflate(bytes)), "base64 → deflate"),
        (STANDARD.encode(corpus::gzip(bytes)), "base64 → gzip"),
        (hex(&zlib(bytes)), "hex → zlib"),
    ]
}

/// Plants `payload` in each container; a line for each whose findings are not exactly one
/// of `kind` whose chain is the container's steps, then `tail`.
fn misses(detector: &Detector, kind: ValueKind, payload: &str, tail: &str) -> Vec<String> {
    containers(payload)
        .into_iter()
        .filter_map(|(request, location, prefix)| {
            let chain = format!("{prefix}{tail}");
            let found = leaks(detector, &request);
            (found != one(kind, location, &chain))
                .then(|| format!("{payload}: expected {location} {chain}, got {found:?}"))
        })
        .collect()
}

/// Every hash and every encoding or compression of `value`: (kind, payload, chain tail).
fn transforms(
    kind: ValueKind,
    value: &str,
    label: &str,
    hashed: &str,
) -> Vec<(ValueKind, String, String)> {
    let hashes = Algo::ALL.into_iter().flat_map(|algo| {
        let chain = format!("{}({hashed})", algo.name());
        algo.outputs(value.as_bytes())
            .into_iter()
            .map(move |output| (kind, hex(&output), chain.clone()))
    });
    let encoded = encodings(value)
        .into_iter()
        .map(|(payload, steps)| (kind, payload, format!("{steps} → {label}")));
    hashes.chain(encoded).collect()
}

#[test]
fn every_hash_encoding_and_compression_is_found_in_every_container() {
    let detector = Detector::new(&customers());
    let email = transforms(ValueKind::Email, EMAIL, "email", "lower(email)");
    let phone = transforms(
        ValueKind::Phone,
        "+16505551212",
        "e164(phone)",
        "e164(phone)",
    );
    let cases: Vec<_> = email.into_iter().chain(phone).collect();
    assert!(cases.len() >= 2 * (20 + 10), "{}", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|(kind, payload, tail)| misses(&detector, *kind, payload, tail))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nested_chains_reach_the_json_inside() {
    let detector = Detector::new(&customers());
    let inner = json!({ "email": EMAIL }).to_string();
    let lz = lz_str::compress_to_encoded_uri_component(inner.as_str());
    let request = get(&format!("/c?d={}", pct(&lz)));
    let url = if pct(&lz) == lz { "" } else { "url → " };
    assert_eq!(
        leaks(&detector, &request),
        one(
            ValueKind::Email,
            "query:d/email",
            &format!("{url}lzstring → json → email")
        )
    );
    // base64 of a JSON holding base58 of a zlib stream holding the email, in a form.
    let deep = json!({ "u": bs58::encode(zlib(EMAIL.as_bytes())).into_string() }).to_string();
    let form = post("/c", &FORM, format!("d={}", pct(&STANDARD.encode(deep))));
    assert_eq!(
        leaks(&detector, &form),
        one(
            ValueKind::Email,
            "body:form:d/u",
            "form → base64 → json → base58 → zlib → email"
        )
    );
}

#[test]
fn checksums_count_as_whole_tokens_under_identity_keys_only() {
    let detector = Detector::new(&customers());
    let email = EMAIL.as_bytes();
    for sum in Checksum::ALL {
        let value = sum.of(email);
        let signed = i32::from_ne_bytes(value.to_ne_bytes());
        for (key, token) in [
            ("em", format!("{value:08x}")),
            ("uid", format!("{value:08X}")),
            ("user_id", value.to_string()),
            ("external_id", signed.to_string()),
        ] {
            let chain = format!("json → {}(lower(email))", sum.name());
            let found = leaks(&detector, &json_post(json!({ key: token })));
            let location = format!("body:/{key}");
            assert_eq!(
                found,
                one(ValueKind::Email, &location, &chain),
                "{key}={token}"
            );
        }
        // The same number under a key that names no identity, or inside a longer token.
        for body in [
            json!({ "session_id": format!("{value:08x}") }),
            json!({ "ts": value.to_string() }),
            json!({ "uid": format!("x{value:08x}") }),
            json!({ "uid": format!("{value:08x}0") }),
        ] {
            assert_eq!(leaks(&detector, &json_post(body.clone())), vec![], "{body}");
        }
    }
    // Random 8-hex session ids and short numbers under identity keys are no finding.
    for token in ["9f3a2b1c", "0badf00d", "12345678", "42", "-7"] {
        let body = json!({ "id": token, "uid": token, "em": token });
        assert_eq!(leaks(&detector, &json_post(body)), vec![], "{token}");
    }
}

#[test]
fn hostile_tokens_do_not_panic() {
    let detector = Detector::new(&customers());
    let bomb = STANDARD.encode(corpus::gzip(&vec![b'a'; 4 << 20]));
    let bodies = [
        "A".repeat(5000),
        "$".repeat(3000) + "Ab",
        "\u{4e00}".repeat(3000),
        "1".repeat(300),
        bomb,
        "MZXW6===".repeat(100),
        "\u{8000}\u{20}\u{4e00}\u{5000}".to_owned(),
    ];
    for body in bodies {
        for request in [
            json_post(json!({ "d": body })),
            post("/c", &FORM, format!("d={body}")),
        ] {
            let _ = detector.scan_request(&request);
        }
    }
}
