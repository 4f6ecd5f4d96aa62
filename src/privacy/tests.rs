//! Detector tests: a planted corpus (one leak per transform and location, each asserting the
//! exact kind, location and chain), a clean corpus of realistic analytics traffic that must
//! yield no finding, robustness against hostile bodies, and bot-reply scanning.

use std::io::Write;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::NaiveDate;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use sha3::Sha3_256;

use super::corpus;
use super::*;
use crate::customer::{AccountSpec, AccountType, Consent, CustomerSpec};
use crate::money::Money;

pub(super) const EMAIL: &str = "adele.lovelace@gmail.com";
const SSN: &str = "123-45-6789";

/// Customer 0 has known identity values, a checking balance of $1,234.56 and a credit card;
/// customers 1 to 3 are decoys, 1 with the email bob@example.com.
pub(super) fn customers() -> Vec<Customer> {
    let spec = CustomerSpec {
        consent: Consent::Granted,
        accounts: vec![
            AccountSpec {
                kind: Some(AccountType::Checking),
                balance: Some(Money::from_cents(123_456)),
            },
            AccountSpec {
                kind: Some(AccountType::CreditCard),
                balance: None,
            },
        ],
    };
    let mut planted = Customer::generate(1, "planted", &spec);
    planted.first_name = "Adele".into();
    planted.last_name = "Lovelace".into();
    planted.email = EMAIL.into();
    planted.phone = "+16505551212".into();
    planted.date_of_birth = NaiveDate::from_ymd_opt(1985, 4, 12).expect("a date");
    planted.ssn = SSN.into();
    let mut decoys: Vec<Customer> = (0..3)
        .map(|i| Customer::generate(1, &format!("decoy-{i}"), &CustomerSpec::default()))
        .collect();
    decoys[0].email = "bob@example.com".into();
    std::iter::once(planted).chain(decoys).collect()
}

pub(super) fn hex_of<D: Digest>(data: &[u8]) -> String {
    D::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn sha256(data: &str) -> String {
    hex_of::<Sha256>(data.as_bytes())
}

pub(super) fn get(target: &str) -> CapturedRequest {
    CapturedRequest::new("meta", "GET", target, &[], "")
}

pub(super) fn post(
    target: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> CapturedRequest {
    CapturedRequest::new("segment", "POST", target, headers, body)
}

pub(super) fn json_post(body: serde_json::Value) -> CapturedRequest {
    json_post_raw(body.to_string())
}

fn json_post_raw(body: String) -> CapturedRequest {
    post("/v1/track", &[("content-type", "application/json")], body)
}

fn text_post(body: &str) -> CapturedRequest {
    post("/log", &[("content-type", "text/plain")], body)
}

pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("write to a Vec");
    encoder.finish().expect("finish to a Vec")
}

/// A brotli stream holding `data` in one uncompressed meta-block (no encoder crate needed):
/// WBITS=16, ISLAST=0, MNIBBLES=4, MLEN-1, ISUNCOMPRESSED=1, pad to a byte, the data, then
/// an empty last meta-block.
fn brotli_stored(data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(data.len()).expect("small");
    assert!((1..=1 << 16).contains(&len));
    let header = ((len - 1) << 4) | (1 << 20);
    let mut out = header.to_le_bytes()[..3].to_vec();
    out.extend_from_slice(data);
    out.push(0b11);
    out
}

fn multipart(name: &str, value: &str) -> Vec<u8> {
    format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n{value}\r\n--XyZ--\r\n"
    )
    .into_bytes()
}

/// Base64 of a JSON document holding the email after `pad` bytes of padding, to put the email
/// at each of the three byte alignments.
fn base64_json_email(pad: usize) -> String {
    STANDARD.encode(format!(
        r#"{{"p":"{}","email":"{EMAIL}"}}"#,
        "x".repeat(pad)
    ))
}

/// Base64 of `{"?":1,"ph":sha256(digits(phone))}`, percent-encoded: the `?` makes a `/` at
/// offset 3, so the base64 survives only when the url step comes first.
fn url_base64_phone() -> String {
    let b64 = STANDARD.encode(format!(r#"{{"?":1,"ph":"{}"}}"#, sha256("16505551212")));
    assert_eq!(b64.find('/'), Some(3));
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// Mixpanel's `data`: percent-encoded base64 of the event JSON, with a `/` (from the `?`
/// key) that the raw form value only holds as `%2F`.
fn mixpanel_data() -> String {
    let event = format!(r#"{{"event":"x?","properties":{{"$email":"{EMAIL}","mp_lib":"web"}}}}"#);
    let b64 = STANDARD.encode(event);
    assert!(b64.contains('/'));
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

struct Case {
    name: &'static str,
    request: CapturedRequest,
    kind: ValueKind,
    location: String,
    chain: &'static str,
}

fn case(
    name: &'static str,
    request: CapturedRequest,
    kind: ValueKind,
    location: &str,
    chain: &'static str,
) -> Case {
    Case {
        name,
        request,
        kind,
        location: location.to_owned(),
        chain,
    }
}

fn planted_cases(c: &Customer) -> Vec<Case> {
    use serde_json::json;
    use ValueKind::*;
    let card = c.accounts[1].card_number.clone().expect("a credit card");
    let grouped = |sep: &str| {
        let digits: Vec<char> = card.chars().collect();
        digits
            .chunks(4)
            .map(|g| g.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(sep)
    };
    let em = sha256(EMAIL);
    let digest_bytes = Sha256::digest(EMAIL.as_bytes());
    let amplitude =
        json!({"events": [{"event_type": "open", "user_properties": {"dob": "1985-04-12"}}]});
    let user = json!({"user": {"email": EMAIL}}).to_string();
    let ce = |encoding: &'static str| {
        [
            ("content-type", "application/json"),
            ("content-encoding", encoding),
        ]
    };
    let hashed = |label: &'static str, digest: String| {
        case(
            label,
            json_post(json!({"h": digest})),
            Email,
            "body:/h",
            label,
        )
    };
    vec![
        case(
            "raw email in query",
            get(&format!("/tr?ev=Lead&ud[em]={EMAIL}")),
            Email,
            "query:ud[em]",
            "email",
        ),
        case(
            "url-encoded email",
            get("/collect?em=adele.lovelace%40gmail.com"),
            Email,
            "query:em",
            "url → email",
        ),
        case(
            "plus for spaces",
            get("/collect?name=Adele+Lovelace"),
            Name,
            "query:name",
            "url → full_name",
        ),
        case(
            "meta capi",
            json_post(json!({"data": [{"user_data": {"em": [em]}}]})),
            Email,
            "body:/data/0/user_data/em/0",
            "json → sha256(lower(email))",
        ),
        case(
            "upper hex",
            get(&format!("/tr?ud[em]={}", em.to_uppercase())),
            Email,
            "query:ud[em]",
            "sha256(lower(email))",
        ),
        case(
            "base64 digest",
            json_post(json!({"em": STANDARD.encode(digest_bytes)})),
            Email,
            "body:/em",
            "json → base64 → sha256(lower(email))",
        ),
        case(
            "base64url digest",
            get(&format!("/c?uid={}", URL_SAFE_NO_PAD.encode(digest_bytes))),
            Email,
            "query:uid",
            "base64 → sha256(lower(email))",
        ),
        hashed("json → md5(lower(email))", hex_of::<Md5>(EMAIL.as_bytes())),
        hashed(
            "json → sha1(lower(email))",
            hex_of::<Sha1>(EMAIL.as_bytes()),
        ),
        hashed(
            "json → sha224(lower(email))",
            hex_of::<Sha224>(EMAIL.as_bytes()),
        ),
        hashed(
            "json → sha384(lower(email))",
            hex_of::<Sha384>(EMAIL.as_bytes()),
        ),
        hashed(
            "json → sha512(lower(email))",
            hex_of::<Sha512>(EMAIL.as_bytes()),
        ),
        hashed(
            "json → sha3-256(lower(email))",
            hex_of::<Sha3_256>(EMAIL.as_bytes()),
        ),
        hashed(
            "json → sha256(md5(lower(email)))",
            sha256(&hex_of::<Md5>(EMAIL.as_bytes())),
        ),
        hashed(
            "json → sha256(nodots(email))",
            sha256("adelelovelace@gmail.com"),
        ),
        case(
            "meta phone",
            json_post(json!({"ph": sha256("16505551212")})),
            Phone,
            "body:/ph",
            "json → sha256(digits(phone))",
        ),
        case(
            "google phone",
            json_post(json!({"ph": sha256("+16505551212")})),
            Phone,
            "body:/ph",
            "json → sha256(e164(phone))",
        ),
        case(
            "gmail without dots",
            get("/c?e=adelelovelace@gmail.com"),
            Email,
            "query:e",
            "nodots(email)",
        ),
        case(
            "base64 json offset 0",
            json_post(json!({"payload": base64_json_email(0)})),
            Email,
            "body:/payload/email",
            "json → base64 → json → email",
        ),
        case(
            "base64 json offset 1",
            json_post(json!({"payload": base64_json_email(1)})),
            Email,
            "body:/payload/email",
            "json → base64 → json → email",
        ),
        case(
            "base64 json offset 2",
            json_post(json!({"payload": base64_json_email(2)})),
            Email,
            "body:/payload/email",
            "json → base64 → json → email",
        ),
        case(
            "base64url json",
            get(&format!(
                "/track?data={}",
                URL_SAFE_NO_PAD.encode(format!(r#"{{"$email":"{EMAIL}"}}"#))
            )),
            Email,
            "query:data/$email",
            "base64 → json → email",
        ),
        case(
            "hex email",
            get(&format!(
                "/c?h={}",
                EMAIL
                    .bytes()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )),
            Email,
            "query:h",
            "hex → email",
        ),
        case(
            "json escape",
            text_post("contact adele.lovelace\\u0040gmail.com"),
            Email,
            "body",
            "json-escape → email",
        ),
        case(
            "escaped slashes",
            get("/c?ref=https:\\/\\/bank.example\\/dob\\/04\\/12\\/1985"),
            DateOfBirth,
            "query:ref",
            "json-escape → mm/dd/yyyy(date_of_birth)",
        ),
        case(
            "html entities",
            post(
                "/c",
                &[("content-type", "text/html")],
                "<p>Write to adele.lovelace&#64;gmail.com</p>",
            ),
            Email,
            "body",
            "html → email",
        ),
        case(
            "rot13 name",
            text_post("Hfre: Nqryr Ybirynpr"),
            Name,
            "body",
            "rot13 → full_name",
        ),
        case(
            "gzip body",
            post("/v1/track", &ce("gzip"), corpus::gzip(user.as_bytes())),
            Email,
            "body:/user/email",
            "gzip → json → email",
        ),
        case(
            "deflate body",
            post("/v1/track", &ce("deflate"), deflate(user.as_bytes())),
            Email,
            "body:/user/email",
            "deflate → json → email",
        ),
        case(
            "brotli body",
            post("/v1/track", &ce("br"), brotli_stored(user.as_bytes())),
            Email,
            "body:/user/email",
            "br → json → email",
        ),
        case(
            "lying encoding",
            post("/v1/track", &ce("gzip"), user.as_str()),
            Email,
            "body:/user/email",
            "json → email",
        ),
        case(
            "cookie",
            post(
                "/c",
                &[(
                    "cookie",
                    &format!("_fbp=fb.1.1719792000000.1234567890; uid={}", c.token),
                )],
                "",
            ),
            Token,
            "header:cookie:uid",
            "token",
        ),
        case(
            "bearer token",
            post(
                "/c",
                &[("authorization", &format!("Bearer {}", c.token))],
                "",
            ),
            Token,
            "header:authorization",
            "token",
        ),
        case(
            "custom header",
            post(
                "/c",
                &[("x-bank-token", &c.authorization_code().expect("a token"))],
                "",
            ),
            Token,
            "header:x-bank-token",
            "authorization_code",
        ),
        case(
            "multipart",
            post(
                "/upload",
                &[("content-type", "multipart/form-data; boundary=XyZ")],
                multipart("email", EMAIL),
            ),
            Email,
            "body:multipart:email",
            "multipart → email",
        ),
        case(
            "mixpanel data",
            post(
                "/track",
                &[("content-type", "application/x-www-form-urlencoded")],
                format!("data={}&ip=1", mixpanel_data()),
            ),
            Email,
            "body:form:data/properties/$email",
            "form → base64 → json → email",
        ),
        case(
            "form body",
            post(
                "/track",
                &[("content-type", "application/x-www-form-urlencoded")],
                "event=lead&email=adele.lovelace%40gmail.com",
            ),
            Email,
            "body:form:email",
            "form → email",
        ),
        case(
            "path segment",
            get("/users/adele.lovelace%40gmail.com/events"),
            Email,
            "path",
            "url → email",
        ),
        case(
            "pipe separated",
            get("/c?ph=x|6505551212|y"),
            Phone,
            "query:ph",
            "national(phone)",
        ),
        case(
            "comma separated",
            get("/c?ids=abc,123456789,def"),
            Ssn,
            "query:ids",
            "compact(ssn)",
        ),
        case(
            "dob yyyymmdd",
            json_post(json!({"dob": "19850412"})),
            DateOfBirth,
            "body:/dob",
            "json → yyyymmdd(date_of_birth)",
        ),
        case(
            "dob yyyy-mm-dd gzip amplitude",
            post(
                "/2/httpapi",
                &ce("gzip"),
                corpus::gzip(amplitude.to_string().as_bytes()),
            ),
            DateOfBirth,
            "body:/events/0/user_properties/dob",
            "gzip → json → yyyy-mm-dd(date_of_birth)",
        ),
        case(
            "dob mm/dd/yyyy",
            get("/c?dob=04%2F12%2F1985"),
            DateOfBirth,
            "query:dob",
            "url → mm/dd/yyyy(date_of_birth)",
        ),
        case(
            "dob dd/mm/yyyy",
            post(
                "/c",
                &[("content-type", "application/x-www-form-urlencoded")],
                "dob=12/04/1985",
            ),
            DateOfBirth,
            "body:form:dob",
            "form → dd/mm/yyyy(date_of_birth)",
        ),
        case(
            "ssn dashed",
            json_post(json!({"taxId": SSN})),
            Ssn,
            "body:/taxId",
            "json → ssn",
        ),
        case(
            "ssn compact",
            get("/c?t=123456789"),
            Ssn,
            "query:t",
            "compact(ssn)",
        ),
        case(
            "card spaced",
            get(&format!("/c?cc={}", grouped("%20"))),
            CardNumber,
            "query:cc",
            "url → grouped(card_number)",
        ),
        case(
            "card dashed",
            json_post(json!({"card": grouped("-")})),
            CardNumber,
            "body:/card",
            "json → grouped(card_number)",
        ),
        case(
            "card compact",
            json_post(json!({"pan": card})),
            CardNumber,
            "body:/pan",
            "json → card_number",
        ),
        case(
            "routing number",
            get(&format!("/c?aba={}", c.accounts[0].routing_number)),
            RoutingNumber,
            "query:aba",
            "routing_number",
        ),
        case(
            "account number",
            post("/c", &[("x-account", &c.accounts[0].number)], ""),
            AccountNumber,
            "header:x-account",
            "account_number",
        ),
        case(
            "amount in text",
            text_post("Your balance is $1,234.56."),
            Amount,
            "body",
            "amount",
        ),
        case(
            "balance under value",
            json_post(json!({"value": 1234.56})),
            Amount,
            "body:/value",
            "json → value(amount)",
        ),
        case(
            "cents under revenue",
            json_post(json!({"revenue": 123456})),
            Amount,
            "body:/revenue",
            "json → value(amount)",
        ),
        case(
            "merchant",
            json_post(json!({"merchant": "Starbucks"})),
            Merchant,
            "body:/merchant",
            "json → merchant",
        ),
        case(
            "url of base64 of json",
            get(&format!("/c?d={}", url_base64_phone())),
            Phone,
            "query:d/ph",
            "url → base64 → json → sha256(digits(phone))",
        ),
        case(
            "formatted phone",
            text_post("call (650) 555-1212 now"),
            Phone,
            "body",
            "formatted(phone)",
        ),
        case(
            "e164 url-encoded",
            get("/c?ph=%2B16505551212"),
            Phone,
            "query:ph",
            "url → e164(phone)",
        ),
        case(
            "street",
            json_post(json!({"address": {"line1": c.address.street}})),
            Address,
            "body:/address/line1",
            "json → street",
        ),
        case(
            "zip as number",
            json_post(json!({"zip": c.address.zip.parse::<u32>().expect("digits")})),
            Address,
            "body:/zip",
            "json → zip",
        ),
    ]
}

#[test]
fn planted_corpus_finds_every_leak() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let cases = planted_cases(&customers[0]);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let scan = detector.scan_request(&case.request);
        let expected = (0, case.kind, case.location.as_str(), case.chain);
        let found = scan
            .findings
            .iter()
            .any(|f| (f.customer, f.kind, f.location.as_str(), f.chain.as_str()) == expected);
        if !found {
            failures.push(format!(
                "{}: expected {expected:?}\n  got {:#?}",
                case.name, scan.findings
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn lying_content_encoding_is_noted_and_scanned() {
    let detector = Detector::new(&customers());
    let request = post(
        "/c",
        &[("content-encoding", "gzip")],
        format!(r#"{{"email":"{EMAIL}"}}"#),
    );
    let scan = detector.scan_request(&request);
    assert_eq!(
        scan.notes,
        ["body: Content-Encoding says gzip but the body is not gzip; scanned as is"]
    );
    assert!(scan
        .findings
        .iter()
        .any(|f| f.location == "body:/email" && f.chain == "json → email"));
}

#[test]
fn findings_are_deduplicated_per_field_and_sorted() {
    let detector = Detector::new(&customers());
    let request = get(&format!("/c?a={EMAIL}&b={EMAIL}&a={}", sha256(EMAIL)));
    let emails: Vec<(String, String)> = detector
        .scan_request(&request)
        .findings
        .into_iter()
        .filter(|f| f.kind == ValueKind::Email)
        .map(|f| (f.location, f.chain))
        .collect();
    let expected =
        [("query:a", "email"), ("query:b", "email")].map(|(l, c)| (l.to_owned(), c.to_owned()));
    assert_eq!(emails, expected);
}

#[test]
fn boundary_rule_rejects_partial_numbers_and_words() {
    let mut customers = customers();
    customers[0].address.zip = "94107".into();
    customers[0].first_name = "Anne".into();
    let detector = Detector::new(&customers);
    let buried = "/c?ts=1719410723&t=Annexe&id=x9anne3&h=ab94107cd0123456&k=Abc94107XyzQwe9RtyUio";
    let scan = detector.scan_request(&get(buried));
    assert_eq!(scan.findings, vec![], "{:#?}", scan.findings);
    let scan = detector.scan_request(&get("/c?zip=94107&n=anne_x"));
    assert_eq!(scan.findings.len(), 2, "{:#?}", scan.findings);
}

#[test]
fn protocol_headers_raise_no_warnings() {
    let detector = Detector::new(&customers());
    // 021000021 is ABA-valid; as a length, a host or a date part it is not personal data.
    let number = "021000021";
    let headers = [
        ("content-length", number),
        ("Content-Type", "text/plain; v=021000021"),
        ("user-agent", "bot/021000021"),
        ("host", "021000021.example"),
        ("x-routing", number),
    ];
    let scan = detector.scan_request(&post("/collect", &headers, "{}"));
    let warned: Vec<&str> = scan.warnings.iter().map(|w| w.location.as_str()).collect();
    assert_eq!(warned, ["header:x-routing"], "{:#?}", scan.warnings);
}

#[test]
fn warnings_report_unknown_values_only() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let card = customers[0].accounts[1]
        .card_number
        .clone()
        .expect("a card");
    let body = format!("known {card} {SSN} {EMAIL}; unknown 4111 1111 1111 1111, 011000015, 078-05-1120, eve@example.org");
    let scan = detector.scan_request(&text_post(&body));
    let warnings: Vec<(WarningKind, &str, &str, &str)> = scan
        .warnings
        .iter()
        .map(|w| {
            (
                w.pattern,
                w.location.as_str(),
                w.chain.as_str(),
                w.masked.as_str(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                WarningKind::CardNumber,
                "body",
                "card_number",
                "4111********1111"
            ),
            (
                WarningKind::RoutingNumber,
                "body",
                "routing_number",
                "*****0015"
            ),
            (WarningKind::Ssn, "body", "ssn", "***-**-1120"),
            (WarningKind::Email, "body", "email", "e***@example.org"),
        ]
    );
}

fn clean_requests() -> Vec<CapturedRequest> {
    corpus::clean(20_240_701, 240)
        .into_iter()
        .map(|t| {
            let headers: Vec<(&str, &str)> =
                t.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            CapturedRequest::new(t.sink, t.method, &t.target, &headers, t.body)
        })
        .collect()
}

#[test]
fn clean_corpus_has_no_findings() {
    let customers: Vec<Customer> = (0..50)
        .map(|i| Customer::generate(5, &format!("c{i}"), &CustomerSpec::default()))
        .collect();
    let detector = Detector::new(&customers);
    let requests = clean_requests();
    assert!(requests.len() >= 200);
    let (mut findings, mut warnings, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let mut signals = Vec::new();
    for request in &requests {
        let scan = detector.scan_request(request);
        let target = format!("{} {}?{}", request.method, request.path, request.query);
        findings.extend(scan.findings.into_iter().map(|f| (target.clone(), f)));
        signals.extend(scan.signals.into_iter().map(|s| (target.clone(), s)));
        warnings.extend(scan.warnings.into_iter().map(|w| (target.clone(), w)));
        notes.extend(scan.notes);
    }
    println!(
        "clean corpus: {} requests, {} warnings",
        requests.len(),
        warnings.len()
    );
    assert!(
        findings.is_empty(),
        "{} findings: {findings:#?}",
        findings.len()
    );
    assert!(
        warnings.is_empty(),
        "{} warnings: {warnings:#?}",
        warnings.len()
    );
    assert!(notes.is_empty(), "{notes:#?}");
    assert!(signals.is_empty(), "{signals:#?}");
}

#[test]
fn huge_body_is_capped_and_scanned() {
    let detector = Detector::new(&customers());
    let line = "lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\n";
    let mut body = format!("first {EMAIL}\n").into_bytes();
    while body.len() < 50 << 20 {
        body.extend_from_slice(line.as_bytes());
    }
    let note = format!("body: {} bytes; scanned the first 16 MiB", body.len());
    let mut request = text_post("");
    request.body = body;
    let scan = detector.scan_request(&request);
    assert_eq!(scan.notes, [note]);
    assert!(scan
        .findings
        .iter()
        .any(|f| f.kind == ValueKind::Email && f.location == "body"));
}

#[test]
fn documents_over_the_field_budget_are_scanned_as_text() {
    let detector = Detector::new(&customers());
    let json = format!(r#"[{}"{EMAIL}"]"#, "1,".repeat(150_000));
    let scan = detector.scan_request(&json_post_raw(json));
    let note = "body holds 150001 fields, over the budget of 100000 per request; scanned as text";
    assert_eq!(scan.notes, [note]);
    assert!(scan
        .findings
        .iter()
        .any(|f| f.location == "body" && f.chain == "email"));
}

#[test]
fn gzip_bomb_is_capped() {
    let detector = Detector::new(&customers());
    // 200 gzip members of 1 MiB of zeros each: 200 MiB inflated.
    let member = corpus::gzip(&vec![0u8; 1 << 20]);
    let bomb: Vec<u8> = member
        .iter()
        .copied()
        .cycle()
        .take(member.len() * 200)
        .collect();
    let scan = detector.scan_request(&post("/c", &[("content-encoding", "gzip")], bomb));
    assert_eq!(scan.notes, ["body: gzip output capped at 8 MiB"]);
}

#[test]
fn invalid_utf8_around_a_value_is_scanned() {
    let detector = Detector::new(&customers());
    let mut body = b"\xff\xfe\x00garbage ".to_vec();
    body.extend_from_slice(EMAIL.as_bytes());
    body.extend_from_slice(b" \xc3\x28\xa0");
    let scan = detector.scan_request(&post("/c", &[], body));
    let found = |f: &Finding| {
        (
            f.customer,
            f.kind,
            f.location.as_str(),
            f.chain.as_str(),
            f.form,
        ) == (0, ValueKind::Email, "body", "email", ValueForm::Other)
    };
    assert!(scan.findings.iter().any(found), "{:#?}", scan.findings);
}

#[test]
fn a_document_that_turns_out_no_json_is_scanned_as_text_only() {
    let detector = Detector::new(&customers());
    // Cut short, with more after it, or broken inside after the value: what the walk met
    // before the parse failed is not kept, and the text scan finds the value once, in the
    // body as text.
    for body in [
        format!(r#"{{"user": {{"em": "{EMAIL}"}}, "n": "#),
        format!(r#"{{"user": {{"em": "{EMAIL}"}}}} trailing"#),
        format!(r#"{{"user": {{"em": "{EMAIL}"}}, "n": ]}}"#),
    ] {
        let scan = detector.scan_request(&json_post_raw(body.clone()));
        let found: Vec<(&str, &str)> = scan
            .findings
            .iter()
            .map(|f| (f.location.as_str(), f.chain.as_str()))
            .collect();
        assert_eq!(found, [("body", "email")], "{body}");
    }
    let whole = format!(r#"{{"user": {{"em": "{EMAIL}"}}}}"#);
    let scan = detector.scan_request(&json_post_raw(whole));
    let locations: Vec<&str> = scan.findings.iter().map(|f| f.location.as_str()).collect();
    assert_eq!(locations, ["body:/user/em"]);
}

#[test]
fn truncated_gzip_scans_what_decoded() {
    let detector = Detector::new(&customers());
    let mut text = format!("{EMAIL} ").into_bytes();
    text.extend((0..20_000u32).flat_map(|i| i.to_le_bytes()));
    let gz = corpus::gzip(&text);
    let cut = gz[..gz.len() / 2].to_vec();
    let scan = detector.scan_request(&post("/c", &[], cut));
    assert!(
        scan.notes[0].starts_with("body: gzip stream is corrupt or truncated"),
        "{:?}",
        scan.notes
    );
    assert!(scan
        .findings
        .iter()
        .any(|f| f.kind == ValueKind::Email && f.chain == "gzip → email"));
}

#[test]
fn builds_for_a_thousand_customers() {
    let customers: Vec<Customer> = (0..1000)
        .map(|i| Customer::generate(9, &format!("c{i}"), &CustomerSpec::default()))
        .collect();
    let detector = Detector::new(&customers);
    let scan = detector.scan_request(&get(&format!(
        "/tr?ud[em]={}",
        sha256(&customers[999].email)
    )));
    assert!(scan
        .findings
        .iter()
        .any(|f| f.customer == 999 && f.kind == ValueKind::Email));
}

#[test]
fn scan_text_finds_identity_values_only() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let findings = detector.scan_text("Your advisor will email bob@example.com", "reply");
    let found: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.customer,
                f.kind,
                f.location.as_str(),
                f.chain.as_str(),
                f.form,
            )
        })
        .collect();
    assert_eq!(
        found,
        [(1, ValueKind::Email, "reply", "email", ValueForm::Other)]
    );
    let spending = "You spent $1,234.56 at Starbucks and 1234.56 at Trader Joe's";
    assert_eq!(detector.scan_text(spending, "reply"), []);
}

#[test]
fn findings_name_the_full_name_and_the_street_by_form() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let street = customers[0].address.street.clone();
    let form_of = |text: &str, kind: ValueKind| {
        let findings = detector.scan_text(text, "reply");
        let finding = findings.iter().find(|f| f.customer == 0 && f.kind == kind);
        finding.map(|f| f.form)
    };
    let cases = [
        ("Hi Adele Lovelace", ValueKind::Name, ValueForm::FullName),
        ("Hi Adele", ValueKind::Name, ValueForm::Other),
        (
            &format!("We mailed it to {street}"),
            ValueKind::Address,
            ValueForm::Street,
        ),
        (EMAIL, ValueKind::Email, ValueForm::Other),
    ];
    for (text, kind, form) in cases {
        assert_eq!(form_of(text, kind), Some(form), "{text}");
    }
}

#[test]
fn serializes_snake_case() {
    let finding = Finding {
        customer: 0,
        kind: ValueKind::DateOfBirth,
        location: "path".into(),
        chain: "email".into(),
        form: ValueForm::Other,
        needle: 7,
    };
    let json = serde_json::to_value(&finding).expect("serializes");
    assert_eq!(json["kind"], "date_of_birth");
    assert!(json.get("needle").is_none(), "{json}");
    assert_eq!(ValueKind::AccountNumber.to_string(), "account_number");
    assert_eq!(
        serde_json::to_value(WarningKind::RoutingNumber).expect("serializes"),
        "routing_number"
    );
}

#[test]
fn a_name_inside_a_longer_value_is_part_of_that_finding() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let scan = detector.scan_request(&json_post(
        serde_json::json!({ "traits": { "email": EMAIL, "first": "Adele" } }),
    ));
    let found: Vec<(&str, &str)> = scan
        .findings
        .iter()
        .map(|f| (f.location.as_str(), f.chain.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("body:/traits/email", "json → email"),
            ("body:/traits/first", "json → first_name")
        ]
    );
}

#[test]
fn short_numbers_count_only_as_whole_tokens_or_under_their_key() {
    let mut customers = customers();
    customers[0].address.zip = "94107".into();
    let detector = Detector::new(&customers);
    // Ids derived from hashes: the zip's digits sit between letters.
    for clean in [
        serde_json::json!({"client_id": "3fa94107e2.1719", "events": [{"params": {"session_id": "a94107fe3b"}}]}),
        serde_json::json!({"anonymousId": "c94107d1-0b2e-4c1f-9e1a"}),
    ] {
        let scan = detector.scan_request(&json_post(clean.clone()));
        assert_eq!(scan.findings, vec![], "{clean}: {:#?}", scan.findings);
    }
    // A sink's port, or a body's length, that happens to equal the zip code.
    let protocol = post(
        "/2/httpapi",
        &[("host", "127.0.0.1:94107"), ("content-length", "94107")],
        "{}",
    );
    let scan = detector.scan_request(&protocol);
    assert_eq!(scan.findings, vec![], "{:#?}", scan.findings);
    let leaks = [
        (
            serde_json::json!({"user_data": {"zp": ["94107"]}}),
            "body:/user_data/zp/0",
        ),
        (serde_json::json!({"postal": "x94107"}), "body:/postal"),
    ];
    for (leak, location) in leaks {
        let scan = detector.scan_request(&json_post(leak.clone()));
        let zips: Vec<&str> = scan
            .findings
            .iter()
            .filter(|f| f.kind == ValueKind::Address)
            .map(|f| f.location.as_str())
            .collect();
        assert_eq!(zips, [location], "{leak}");
    }
}

#[test]
fn a_zip_code_alone_counts_only_beside_another_value_of_its_customer() {
    let mut customers = customers();
    customers[0].address.zip = "94107".into();
    let detector = Detector::new(&customers);
    // Alone, five digits are any number a bot sends: a latency, an order number.
    for alone in [
        serde_json::json!({"note": "ships to 94107-1234"}),
        serde_json::json!({"latency_ms": 94107}),
    ] {
        let scan = detector.scan_request(&json_post(alone.clone()));
        assert_eq!(scan.findings, vec![], "{alone}: {:#?}", scan.findings);
    }
    assert_eq!(detector.scan_text("Order 94107 is on its way", "reply"), []);
    // Beside the customer's email, the same text names where they live.
    let email = customers[0].email.clone();
    let beside = serde_json::json!({"note": "ships to 94107-1234", "em": email});
    let scan = detector.scan_request(&json_post(beside));
    let found: Vec<(ValueKind, &str)> = scan
        .findings
        .iter()
        .map(|f| (f.kind, f.location.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (ValueKind::Email, "body:/em"),
            (ValueKind::Address, "body:/note")
        ]
    );
    // Another customer's email corroborates nothing.
    let other = serde_json::json!({"note": "ships to 94107", "em": customers[1].email});
    let scan = detector.scan_request(&json_post(other));
    assert!(
        scan.findings.iter().all(|f| f.customer == 1),
        "{:#?}",
        scan.findings
    );
    let reply = detector.scan_text(&format!("{email}: order 94107"), "reply");
    let kinds: Vec<ValueKind> = reply.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [ValueKind::Email, ValueKind::Address], "{reply:#?}");
}

/// A text found clean is passed over when met again in the same context (see `clean`): never
/// where its context differs, nor where its scan recorded or decoded anything.
#[test]
fn a_text_remembered_clean_is_scanned_again_wherever_it_may_say_more() {
    let customers = customers();
    let detector = Detector::new(&customers);
    let kinds = |scan: &Scan| scan.findings.iter().map(|f| f.kind).collect::<Vec<_>>();
    // $1,234.56 in cents is no amount under a latency's key, however often it is sent there,
    // and is one under a value's key.
    for _ in 0..3 {
        let scan = detector.scan_request(&json_post(serde_json::json!({"latency": 123456})));
        assert_eq!(kinds(&scan), []);
    }
    let scan = detector.scan_request(&json_post(serde_json::json!({"revenue": 123456})));
    assert_eq!(kinds(&scan), [ValueKind::Amount]);
    // A text clean for one detector's customers is no clean text for another's.
    let stranger = Detector::new(&customers[1..]);
    let email = serde_json::json!({ "note": EMAIL });
    for _ in 0..3 {
        assert_eq!(kinds(&stranger.scan_request(&json_post(email.clone()))), []);
    }
    // A leak is found each time it is sent.
    for _ in 0..3 {
        let scan = detector.scan_request(&json_post(email.clone()));
        assert_eq!(kinds(&scan), [ValueKind::Email]);
    }
    // The same token decoded over and over still spends the request's token budget.
    let token = STANDARD.encode("a clean text, base64 encoded");
    let query: Vec<String> = (0..300).map(|i| format!("q{i}={token}")).collect();
    let scan = detector.scan_request(&get(&format!("/c?{}", query.join("&"))));
    assert!(
        scan.notes
            .iter()
            .any(|n| n.contains("decoding stopped after")),
        "{:?}",
        scan.notes
    );
}

#[test]
fn a_local_part_that_is_a_word_counts_only_under_an_email_key() {
    let mut customers = customers();
    customers[1].email = "brice@example.com".into();
    customers[2].email = "brice_77@example.com".into();
    let detector = Detector::new(&customers);
    assert_eq!(detector.scan_text("Hello Brice!", "reply"), []);
    let scan = detector.scan_request(&json_post(serde_json::json!({"em": "brice"})));
    let found: Vec<(usize, &str)> = scan
        .findings
        .iter()
        .map(|f| (f.customer, f.chain.as_str()))
        .collect();
    assert_eq!(found, [(1, "json → local(email)")]);
    let findings = detector.scan_text("Ask for brice_77 at the branch", "reply");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].chain, "local(email)");
    assert_eq!(detector.scan_text("id xbrice_77", "reply"), []);
}

#[test]
fn derived_values_count_under_money_keys_for_a_customer_the_request_names() {
    let detector = Detector::new(&customers());
    let em = sha256(EMAIL);
    let derived = |body: serde_json::Value| -> Vec<(String, String)> {
        let scan = detector.scan_request(&json_post(body));
        scan.findings
            .into_iter()
            .filter(|f| {
                ["bucket(", "rounded(", "sum("]
                    .iter()
                    .any(|d| f.chain.contains(d))
            })
            .map(|f| {
                assert_eq!((f.customer, f.kind), (0, ValueKind::Amount), "{f:?}");
                (f.location, f.chain)
            })
            .collect()
    };
    let bucket = |location: &str| vec![(location.to_owned(), "json → bucket(balance)".to_owned())];
    // (body, derived findings) — customer 0's checking balance is $1,234.56.
    let cases: Vec<(serde_json::Value, Vec<(String, String)>)> = vec![
        (
            serde_json::json!({"em": em, "balance_bucket": "1k-5k"}),
            bucket("body:/balance_bucket"),
        ),
        (
            serde_json::json!({"em": em, "balance_tier": "$1,000–$5,000"}),
            bucket("body:/balance_tier"),
        ),
        (
            serde_json::json!({"em": em, "balance": 1200}),
            vec![("body:/balance".into(), "json → rounded(balance)".into())],
        ),
        // No value of the customer's beside it: a bucket says nothing about anyone.
        (
            serde_json::json!({"session": "x", "balance_bucket": "1k-5k"}),
            vec![],
        ),
        // A bucket that does not hold the balance, or under a key that names no money.
        (
            serde_json::json!({"em": em, "balance_bucket": "5k-10k"}),
            vec![],
        ),
        (serde_json::json!({"em": em, "range": "1k-5k"}), vec![]),
        // The exact amount is an amount finding of its own, not a derived one.
        (serde_json::json!({"em": em, "value": 1234.56}), vec![]),
    ];
    for (body, expected) in cases {
        assert_eq!(derived(body.clone()), expected, "{body}");
    }
}

#[test]
fn status_signals_are_found_in_keys_on_the_way_field_names_headers_paths_and_values() {
    let detector = Detector::new(&customers());
    /// Each signal's location, term and field.
    type Signals = Vec<(String, String, SignalField)>;
    let signals = |request: CapturedRequest| -> Signals {
        let scan = detector.scan_request(&request);
        scan.signals
            .into_iter()
            .map(|s| (s.location, s.term, s.field))
            .collect()
    };
    let one = |location: &str, term: &str, field| vec![(location.into(), term.into(), field)];
    let cases: Vec<(CapturedRequest, Signals)> = vec![
        (
            json_post(serde_json::json!({"overdraft": {"amount": 5}})),
            one("body:/overdraft", "overdraft", SignalField::Key),
        ),
        (
            json_post(serde_json::json!({"event": "lowBalanceAlert"})),
            one("body:/event", "low balance", SignalField::Value),
        ),
        (
            get("/tr?ev=Lead&cd[credit_tier]=b"),
            one("query:cd[credit_tier]", "credit tier", SignalField::Key),
        ),
        (
            post("/v1/track", &[("x-low-balance", "1")], ""),
            one("header:x-low-balance", "low balance", SignalField::Key),
        ),
        (
            post("/track/loan-declined", &[], ""),
            one("path", "loan declined", SignalField::Value),
        ),
        (
            post("/v1/track", &[("x-reason", "application declined")], ""),
            one(
                "header:x-reason",
                "application declined",
                SignalField::Value,
            ),
        ),
        // A protocol header's value is a media type, an encoding or a user agent.
        (
            post("/v1/track", &[("content-type", "application/declined")], ""),
            vec![],
        ),
        (
            json_post(serde_json::json!({"event": "balance_viewed", "intent": "balance"})),
            vec![],
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(signals(request.clone()), expected, "{request:?}");
    }
}

#[test]
fn a_configured_term_without_letters_is_still_found_in_values_without_letters() {
    let vocabulary = Vocabulary::new(["subprime 600"], Vec::<&str>::new());
    let detector = Detector::prepare(&customers(), &[], vocabulary);
    let scan = detector.scan_request(&json_post(serde_json::json!({"tier": "subprime-600"})));
    let terms: Vec<&str> = scan.signals.iter().map(|s| s.term.as_str()).collect();
    assert_eq!(terms, ["subprime 600"]);
    // A term whose letters all come before `g` is looked for in values without later ones.
    let early = Vocabulary::new(["fee"], Vec::<&str>::new());
    let detector = Detector::prepare(&customers(), &[], early);
    let scan = detector.scan_request(&json_post(serde_json::json!({"charge": "fee"})));
    let terms: Vec<&str> = scan.signals.iter().map(|s| s.term.as_str()).collect();
    assert_eq!(terms, ["fee"]);
    let digits_only = Vocabulary::new(["600"], Vec::<&str>::new());
    let detector = Detector::prepare(&customers(), &[], digits_only);
    let scan = detector.scan_request(&json_post(serde_json::json!({"score": "600"})));
    let terms: Vec<&str> = scan.signals.iter().map(|s| s.term.as_str()).collect();
    assert_eq!(terms, ["600"]);
}

#[test]
fn payees_and_amounts_moved_are_known_values() {
    let customers = customers();
    let payee = customers[0].payees[0].clone();
    let moved = vec![vec![Money::from_cents(4_321)]];
    let detector = Detector::prepare(&customers, &moved, Vocabulary::default());
    let body = serde_json::json!({"properties": {
        "to": payee.name,
        "acct": payee.account_number,
        "aba": payee.routing_number,
        "hashed_payee": sha256(&payee.name.to_lowercase()),
        "amount": 43.21,
    }});
    let scan = detector.scan_request(&json_post(body));
    let mut found: Vec<(ValueKind, String)> = scan
        .findings
        .iter()
        .map(|f| (f.kind, f.location.clone()))
        .collect();
    found.sort();
    let at = |key: &str| format!("body:/properties/{key}");
    let mut expected = vec![
        (ValueKind::Payee, at("to")),
        (ValueKind::Payee, at("hashed_payee")),
        (ValueKind::AccountNumber, at("acct")),
        (ValueKind::RoutingNumber, at("aba")),
        (ValueKind::Amount, at("amount")),
    ];
    expected.sort();
    assert_eq!(found, expected, "{scan:#?}");
    assert!(scan.findings.iter().all(|f| f.customer == 0));
    // Without the amount moved, $43.21 is nobody's.
    let scan =
        Detector::new(&customers).scan_request(&json_post(serde_json::json!({"amount": 43.21})));
    assert!(scan.findings.is_empty(), "{scan:#?}");
    // A reply naming one's own payee is no finding kind that counts across sessions.
    let shown = detector.scan_text(&format!("Paid {}", payee.name), "reply");
    assert!(shown.is_empty(), "{shown:#?}");
}

#[test]
fn a_count_of_the_customers_transactions_counts_under_a_key_that_names_one() {
    let people = customers();
    let detector = Detector::new(&people);
    let all = people[0]
        .accounts
        .iter()
        .map(|a| a.transactions.len())
        .sum::<usize>();
    let em = sha256(EMAIL);
    let counts = |body: serde_json::Value| -> Vec<(usize, ValueKind, String)> {
        let scan = detector.scan_request(&json_post(body));
        scan.findings
            .into_iter()
            .filter(|f| f.chain.contains("count("))
            .map(|f| (f.customer, f.kind, f.chain))
            .collect()
    };
    let found = counts(serde_json::json!({"em": em, "txnCount": all}));
    assert_eq!(
        found,
        [(
            0,
            ValueKind::FinancialStatus,
            "json → count(transactions)".to_owned()
        )]
    );
    // Under a key that counts something else, or with no value of the customer's beside it.
    assert_eq!(
        counts(serde_json::json!({"em": em, "reply_count": all})),
        []
    );
    assert_eq!(counts(serde_json::json!({"txnCount": all})), []);
}

#[test]
fn a_compressed_token_that_inflates_past_the_cap_has_its_head_scanned_and_noted() {
    let detector = Detector::new(&customers());
    let mut text = format!("{{\"email\":\"{EMAIL}\",\"pad\":\"").into_bytes();
    text.resize(3 << 20, b'x');
    let token = STANDARD.encode(deflate(&text));
    let scan = detector.scan_request(&json_post(serde_json::json!({ "d": token })));
    let chains: Vec<(ValueKind, &str)> = scan
        .findings
        .iter()
        .map(|f| (f.kind, f.chain.as_str()))
        .collect();
    assert!(
        chains.contains(&(ValueKind::Email, "json → base64 → zlib → email")),
        "{scan:#?}"
    );
    assert_eq!(
        scan.notes,
        ["body:/d: a base64 zlib stream inflated past 1048576 bytes; its first 1048576 scanned"]
    );
}
