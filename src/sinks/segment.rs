//! Segment (analytics): the HTTP tracking API, `/v1/track`, `/v1/identify`, `/v1/batch`,
//! `/v1/page`, `/v1/screen`, `/v1/group` and `/v1/alias`, on api.segment.io and the EU's
//! events.eu1.segmentapis.com.

use serde_json::json;

use super::payload::{each, json_body, text};
use super::service::{Answer, Service};
use super::{CapturedRequest, SinkKind};

pub(super) const SERVICE: Service = Service {
    name: "segment",
    kind: SinkKind::Analytics,
    hosts: &["api.segment.io", "events.eu1.segmentapis.com"],
    answer,
    events,
};

fn answer(request: &CapturedRequest, path: &[&str]) -> Option<Answer> {
    match (request.method.as_str(), path) {
        (
            "POST",
            ["v1", "track" | "identify" | "batch" | "page" | "screen" | "group" | "alias"],
        ) => Some(Answer::json(200, &json!({ "success": true }))),
        _ => None,
    }
}

/// A track call's `event`; any other call by its type; a batch's messages each so.
fn events(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>> {
    match path {
        ["v1", "track"] => Some(vec![text(&json_body(request)?["event"])?]),
        ["v1", kind @ ("identify" | "page" | "screen" | "group" | "alias")] => {
            Some(vec![kind.to_string()])
        }
        ["v1", "batch"] => each(&json_body(request)?["batch"], |m| {
            match m["type"].as_str()? {
                "track" => text(&m["event"]),
                kind => Some(kind.to_string()),
            }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::service::names;

    #[test]
    fn calls_and_batches() {
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
}
