//! The analytics event names in a captured sink request, read the way each service encodes
//! them (Meta, GA4, Segment, Mixpanel, Amplitude), so a transcript can show what the bot
//! reported without the payloads. Anything unreadable falls back to `METHOD /path`.

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;

use super::CapturedRequest;
use crate::inflate::{inflate, Codec};

const ANY_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, ANY_PADDING);
const BASE64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, ANY_PADDING);

/// The events in one request, each as `"{sink}: {name}"` (`"google: balance_viewed"`); a request
/// whose events cannot be read is one entry, `"{sink}: {method} {path}"`.
pub fn event_names(request: &CapturedRequest) -> Vec<String> {
    known(request)
        .filter(|names| !names.is_empty())
        .unwrap_or_else(|| vec![format!("{} {}", request.method, request.path)])
        .into_iter()
        .map(|name| format!("{}: {name}", request.sink))
        .collect()
}

/// The names by the service's path shape; None when the shape or the payload is unknown.
fn known(request: &CapturedRequest) -> Option<Vec<String>> {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        // Meta Conversions API and pixel.
        ("POST", [_version, _pixel, "events"]) => {
            each(&json_body(request)?["data"], |e| text(&e["event_name"]))
        }
        (_, ["tr"]) => param(request, "ev").map(|ev| vec![ev]),
        // GA4 Measurement Protocol.
        ("POST", ["mp", "collect"] | ["debug", "mp", "collect"]) => {
            each(&json_body(request)?["events"], |e| text(&e["name"]))
        }
        // Segment.
        (_, ["v1", "track"]) => Some(vec![text(&json_body(request)?["event"])?]),
        (_, ["v1", kind @ ("identify" | "page" | "screen" | "group" | "alias")]) => {
            Some(vec![kind.to_string()])
        }
        (_, ["v1", "batch"]) => each(&json_body(request)?["batch"], |m| {
            match m["type"].as_str()? {
                "track" => text(&m["event"]),
                kind => Some(kind.to_string()),
            }
        }),
        // Mixpanel: one object or a list, base64 in `data=` (form or query), or a JSON body.
        (_, [kind @ ("track" | "import" | "engage")]) => {
            let data = mixpanel_data(request)?;
            let messages = match &data {
                Value::Array(list) => list.as_slice(),
                one => std::slice::from_ref(one),
            };
            each_of(messages, |m| match *kind {
                "engage" => Some("engage".to_string()),
                _ => text(&m["event"]),
            })
        }
        // Amplitude.
        ("POST", ["2", "httpapi"] | ["batch"]) => {
            each(&json_body(request)?["events"], |e| text(&e["event_type"]))
        }
        _ => None,
    }
}

/// `name` of every element of the JSON array `list`.
fn each(list: &Value, name: impl Fn(&Value) -> Option<String>) -> Option<Vec<String>> {
    each_of(list.as_array()?, name)
}

fn each_of(list: &[Value], name: impl Fn(&Value) -> Option<String>) -> Option<Vec<String>> {
    Some(list.iter().filter_map(name).collect())
}

/// A non-empty JSON string.
fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The body, un-gzipped when it starts with the gzip magic bytes; None if that fails or
/// would exceed the inflation cap.
fn body(request: &CapturedRequest) -> Option<Cow<'_, [u8]>> {
    if Codec::sniff(&request.body) != Some(Codec::Gzip) {
        return Some(Cow::Borrowed(&request.body));
    }
    inflate(Codec::Gzip, &request.body)
        .complete()
        .map(Cow::Owned)
}

fn json_body(request: &CapturedRequest) -> Option<Value> {
    serde_json::from_slice(&body(request)?).ok()
}

/// The first non-empty `key` parameter of the query, or else of a form body.
fn param(request: &CapturedRequest, key: &str) -> Option<String> {
    let find = |form: &[u8]| {
        form_urlencoded::parse(form)
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    };
    find(request.query.as_bytes()).or_else(|| find(&body(request)?))
}

/// Mixpanel's payload: `data=` as base64 (either alphabet, `+` possibly unescaped into a
/// space) or plain JSON, or else the body as JSON.
fn mixpanel_data(request: &CapturedRequest) -> Option<Value> {
    let Some(data) = param(request, "data") else {
        return json_body(request);
    };
    let encoded = data.trim().replace(' ', "+");
    let engine = if encoded.contains(['-', '_']) {
        &BASE64URL
    } else {
        &BASE64
    };
    engine
        .decode(&encoded)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .or_else(|| serde_json::from_str(&data).ok())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use serde_json::json;

    use super::*;

    fn names(sink: &str, method: &str, url: &str, body: impl Into<Vec<u8>>) -> Vec<String> {
        event_names(&CapturedRequest::new(sink, method, url, &[], body))
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn meta_conversions_api_and_pixel() {
        let body = json!({"data": [{"event_name": "Contact"}, {"event_name": "Lead"}]});
        assert_eq!(
            names("meta", "POST", "/v19.0/1234567890/events", body.to_string()),
            ["meta: Contact", "meta: Lead"]
        );
        assert_eq!(
            names("meta", "GET", "/tr?id=1&ev=PageView&noscript=1", ""),
            ["meta: PageView"]
        );
        assert_eq!(names("meta", "POST", "/tr", "id=1&ev=Lead"), ["meta: Lead"]);
    }

    #[test]
    fn google_measurement_protocol() {
        let body =
            json!({"client_id": "1.2", "events": [{"name": "balance_viewed", "params": {}}]});
        let url = "/mp/collect?measurement_id=G-BANTER01&api_secret=demo_secret";
        assert_eq!(
            names("google", "POST", url, body.to_string()),
            ["google: balance_viewed"]
        );
        assert_eq!(
            names("google", "POST", "/debug/mp/collect", body.to_string()),
            ["google: balance_viewed"]
        );
    }

    #[test]
    fn segment_calls_and_batches() {
        let track = json!({"event": "Intent Handled", "properties": {}});
        assert_eq!(
            names("segment", "POST", "/v1/track", track.to_string()),
            ["segment: Intent Handled"]
        );
        assert_eq!(
            names("segment", "POST", "/v1/identify", "{}"),
            ["segment: identify"]
        );
        assert_eq!(names("segment", "POST", "/v1/page", ""), ["segment: page"]);
        let batch = json!({"batch": [
            {"type": "identify", "traits": {}},
            {"type": "track", "event": "Balance Viewed"},
            {"type": "page", "name": "Home"},
        ]});
        assert_eq!(
            names("segment", "POST", "/v1/batch", batch.to_string()),
            [
                "segment: identify",
                "segment: Balance Viewed",
                "segment: page"
            ]
        );
    }

    #[test]
    fn mixpanel_data_in_form_query_or_body() {
        let one = json!({"event": "greeting", "properties": {"distinct_id": "d"}});
        let form = format!(
            "data={}",
            STANDARD.encode(one.to_string()).replace('+', "%2B")
        );
        assert_eq!(
            names("mixpanel", "POST", "/track", form),
            ["mixpanel: greeting"]
        );
        let list = json!([{"event": "a", "properties": {}}, {"event": "b"}]);
        let query = format!(
            "/track?ip=1&data={}",
            URL_SAFE_NO_PAD.encode(list.to_string())
        );
        assert_eq!(
            names("mixpanel", "GET", &query, ""),
            ["mixpanel: a", "mixpanel: b"]
        );
        // A `+` left unescaped in a form decodes as a space.
        let plus = json!({"event": "Transactions Viewed", "properties": {"x": ">>>"}});
        let encoded = STANDARD.encode(plus.to_string());
        assert!(encoded.contains('+'));
        assert_eq!(
            names("mixpanel", "POST", "/track", format!("data={encoded}")),
            ["mixpanel: Transactions Viewed"]
        );
        let plain = "data=%7B%22event%22%3A%20%22plain%20json%22%7D";
        assert_eq!(
            names("mixpanel", "POST", "/track", plain),
            ["mixpanel: plain json"]
        );
        let engage = json!([{"$distinct_id": "d", "$set": {}}]);
        let form = format!("data={}", STANDARD.encode(engage.to_string()));
        assert_eq!(
            names("mixpanel", "POST", "/engage", form),
            ["mixpanel: engage"]
        );
        assert_eq!(
            names("mixpanel", "POST", "/import", list.to_string()),
            ["mixpanel: a", "mixpanel: b"]
        );
    }

    #[test]
    fn amplitude_plain_and_gzipped() {
        let body = json!({"api_key": "k", "events": [{"event_type": "spending"}, {"event_type": "advisor"}]});
        let expected = ["amplitude: spending", "amplitude: advisor"];
        assert_eq!(
            names(
                "amplitude",
                "POST",
                "/2/httpapi",
                gzip(body.to_string().as_bytes())
            ),
            expected
        );
        assert_eq!(
            names("amplitude", "POST", "/batch", body.to_string()),
            expected
        );
    }

    #[test]
    fn unknown_or_unreadable_requests_fall_back_to_method_and_path() {
        let bomb = gzip(&vec![b' '; crate::inflate::MAX_INFLATED + 1]);
        let corrupt = gzip(br#"{"events":[{"event_type":"x"}]}"#)[..20].to_vec();
        let cases: [(&str, &str, Vec<u8>); 9] = [
            ("POST", "/users/track", b"{}".to_vec()),
            ("POST", "/2/httpapi", bomb),
            ("POST", "/2/httpapi", corrupt),
            ("POST", "/mp/collect", b"not json".to_vec()),
            ("POST", "/mp/collect", br#"{"events": []}"#.to_vec()),
            (
                "POST",
                "/v1/batch",
                br#"{"batch": [{"event": "no type"}]}"#.to_vec(),
            ),
            ("POST", "/track", b"data=%%%not-base64".to_vec()),
            ("GET", "/tr", b"".to_vec()),
            ("GET", "", vec![0xff, 0x1f, 0x8b]),
        ];
        for (method, path, body) in cases {
            assert_eq!(
                names("custom", method, path, body),
                [format!("custom: {method} {path}")],
                "{method} {path}"
            );
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let bodies: [&[u8]; 6] = [
            b"",
            b"[]",
            b"null",
            b"{\"data\": 3}",
            &[0x1f, 0x8b],
            &[0xc3, 0x28],
        ];
        let paths = [
            "/",
            "//",
            "/v1/track",
            "/tr?ev",
            "/x/y/events",
            "/engage?data=",
            "/v1/batch",
        ];
        for path in paths {
            for body in bodies {
                assert_eq!(names("s", "POST", path, body).len(), 1);
            }
        }
    }
}
