//! Google Analytics 4 (analytics): the Measurement Protocol, `POST /mp/collect` (204, no body)
//! and its validation endpoint `POST /debug/mp/collect`, on www.google-analytics.com and the
//! EU's region1.google-analytics.com.

use serde_json::json;

use super::payload::{each, json_body, text};
use super::service::{Answer, Service};
use super::{CapturedRequest, SinkKind};

pub(super) const SERVICE: Service = Service {
    name: "google",
    kind: SinkKind::Analytics,
    hosts: &["www.google-analytics.com", "region1.google-analytics.com"],
    answer,
    events,
};

fn answer(request: &CapturedRequest, path: &[&str]) -> Option<Answer> {
    match (request.method.as_str(), path) {
        ("POST", ["mp", "collect"]) => Some(Answer {
            status: 204,
            content_type: "text/plain",
            body: Vec::new(),
        }),
        ("POST", ["debug", "mp", "collect"]) => {
            Some(Answer::json(200, &json!({ "validationMessages": [] })))
        }
        _ => None,
    }
}

/// `events[].name`.
fn events(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>> {
    match (request.method.as_str(), path) {
        ("POST", ["mp", "collect"] | ["debug", "mp", "collect"]) => {
            each(&json_body(request)?["events"], |e| text(&e["name"]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::service::names;

    #[test]
    fn measurement_protocol() {
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
}
