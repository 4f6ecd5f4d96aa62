//! Mixpanel (analytics): the ingestion API, `/track`, `/engage` and `/import`, which answer
//! `1`, or `{"status": 1, "error": null}` when the request asks for `verbose=1` (in the query
//! or the form, as the official SDKs always do), on api.mixpanel.com and the EU and India residency hosts api-eu.mixpanel.com and
//! api-in.mixpanel.com. Payloads are one message or a list, as base64 (or plain) JSON in a
//! `data=` query or form parameter, or a JSON body.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::{json, Value};

use super::payload::{each_of, json_body, param, text};
use super::service::{Answer, Service};
use super::{CapturedRequest, SinkKind};

pub(super) const SERVICE: Service = Service {
    name: "mixpanel",
    kind: SinkKind::Analytics,
    hosts: &[
        "api.mixpanel.com",
        "api-eu.mixpanel.com",
        "api-in.mixpanel.com",
    ],
    answer,
    events,
};

const ANY_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, ANY_PADDING);
const BASE64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, ANY_PADDING);

fn answer(request: &CapturedRequest, path: &[&str]) -> Option<Answer> {
    match path {
        ["track" | "engage" | "import"] if param(request, "verbose").as_deref() == Some("1") => {
            Some(Answer::json(200, &json!({"status": 1, "error": null})))
        }
        ["track" | "engage" | "import"] => Some(Answer {
            status: 200,
            content_type: "text/plain",
            body: b"1".to_vec(),
        }),
        _ => None,
    }
}

/// Each message's `event`; an engage message is `engage`.
fn events(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>> {
    let [kind @ ("track" | "import" | "engage")] = path else {
        return None;
    };
    let data = data(request)?;
    let messages = match &data {
        Value::Array(list) => list.as_slice(),
        one => std::slice::from_ref(one),
    };
    each_of(messages, |m| match *kind {
        "engage" => Some("engage".to_string()),
        _ => text(&m["event"]),
    })
}

/// The payload: `data=` as base64 (either alphabet, `+` possibly unescaped into a space) or
/// plain JSON, or else the body as JSON.
fn data(request: &CapturedRequest) -> Option<Value> {
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
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    use serde_json::json;

    use super::super::service::{answer, names};
    use super::super::CapturedRequest;

    #[test]
    fn answers_verbose_json_when_asked_in_the_query_or_the_form() {
        let verbose = r#"{"error":null,"status":1}"#;
        let cases = [
            ("/track?verbose=1", "", verbose),
            ("/engage?ip=0&verbose=1", "", verbose),
            ("/track", "data=e30&verbose=1", verbose),
            ("/import?verbose=0", "", "1"),
            ("/track", "data=e30", "1"),
        ];
        for (target, body, expected) in cases {
            let request = CapturedRequest::new("mixpanel", "POST", target, &[], body);
            let answer = answer(&request);
            assert_eq!(
                String::from_utf8_lossy(&answer.body),
                expected,
                "{target} {body}"
            );
        }
    }

    #[test]
    fn data_in_form_query_or_body() {
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
}
