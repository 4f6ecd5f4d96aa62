//! Amplitude (analytics): the HTTP V2 API, `POST /2/httpapi`, and the Batch Event Upload API,
//! `POST /batch`, on api2.amplitude.com and the EU's api.eu.amplitude.com. Bodies are JSON,
//! often gzip'd.

use serde_json::json;

use super::payload::{each, json_body, text};
use super::service::{Answer, Service};
use super::{CapturedRequest, SinkKind};

pub(super) const SERVICE: Service = Service {
    name: "amplitude",
    kind: SinkKind::Analytics,
    hosts: &["api2.amplitude.com", "api.eu.amplitude.com"],
    answer,
    events,
};

fn answer(request: &CapturedRequest, path: &[&str]) -> Option<Answer> {
    match (request.method.as_str(), path) {
        ("POST", ["2", "httpapi"] | ["batch"]) => Some(Answer::json(
            200,
            &json!({
                "code": 200, "events_ingested": 1, "payload_size_bytes": request.body_len(), "server_upload_time": 1_782_777_600_000_u64
            }),
        )),
        _ => None,
    }
}

/// `events[].event_type`.
fn events(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>> {
    match (request.method.as_str(), path) {
        ("POST", ["2", "httpapi"] | ["batch"]) => {
            each(&json_body(request)?["events"], |e| text(&e["event_type"]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::service::names;
    use crate::inflate::gzip;

    #[test]
    fn plain_and_gzipped() {
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
}
