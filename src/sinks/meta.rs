//! Meta (ads): the Conversions API, `POST /{version}/{pixel}/events` on graph.facebook.com,
//! and the pixel, `/tr?ev=…` on www.facebook.com, which answers a 1×1 GIF.

use serde_json::json;

use super::payload::{each, json_body, param, text};
use super::service::{Answer, Service};
use super::{CapturedRequest, SinkKind};

pub(super) const SERVICE: Service = Service {
    name: "meta",
    kind: SinkKind::Ads,
    hosts: &["graph.facebook.com", "www.facebook.com"],
    answer,
    events,
};

/// A 1×1 transparent GIF, as the Meta pixel answers.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn answer(request: &CapturedRequest, path: &[&str]) -> Option<Answer> {
    match (request.method.as_str(), path) {
        ("POST", [_version, _pixel, "events"]) => Some(Answer::json(
            200,
            &json!({
                "events_received": 1, "messages": [], "fbtrace_id": "ABanterTraceId"
            }),
        )),
        (_, ["tr"]) => Some(Answer {
            status: 200,
            content_type: "image/gif",
            body: PIXEL_GIF.to_vec(),
        }),
        _ => None,
    }
}

/// `data[].event_name` of a Conversions API call; `ev` of a pixel hit (query or form).
fn events(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>> {
    match (request.method.as_str(), path) {
        ("POST", [_version, _pixel, "events"]) => {
            each(&json_body(request)?["data"], |e| text(&e["event_name"]))
        }
        (_, ["tr"]) => param(request, "ev").map(|ev| vec![ev]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::service::names;

    #[test]
    fn conversions_api_and_pixel() {
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
}
