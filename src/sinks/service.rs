//! The real services that the built-in sinks stand in for. Each service module (`meta`,
//! `google`, `segment`, `mixpanel`, `amplitude`) fills in one [`Service`]: its kind, the host
//! names of the real service, what it answers on its paths and how its requests name their
//! events. This module holds the table of them and what is looked up through it: a sink's
//! answer (`200 {}` off the service's paths and for declared sinks), a request's event names,
//! and the built-in sink for a real host name.

use serde_json::json;

use super::{amplitude, google, meta, mixpanel, segment, CapturedRequest, SinkKind};

/// The services, in the order of [`super::builtin`].
const SERVICES: [&Service; 5] = [
    &meta::SERVICE,
    &google::SERVICE,
    &segment::SERVICE,
    &mixpanel::SERVICE,
    &amplitude::SERVICE,
];

/// An ad or analytics service that a built-in sink stands in for.
pub struct Service {
    /// The sink's name, as in templates (`{{ sinks.meta.url }}`).
    pub name: &'static str,
    /// What the service is, which decides the default privacy policy.
    pub kind: SinkKind,
    /// The host names the real service collects on (`api.segment.io`, …).
    pub hosts: &'static [&'static str],
    /// What the service answers to a request on a path (split into segments): the answer
    /// may depend on the method, the parameters and the body's length; None off its paths.
    pub(super) answer: fn(request: &CapturedRequest, path: &[&str]) -> Option<Answer>,
    /// The event names in a request on one of the service's paths (split into segments);
    /// None when the path is not the service's or the payload cannot be read.
    pub(super) events: fn(request: &CapturedRequest, path: &[&str]) -> Option<Vec<String>>,
}

impl Service {
    /// Every built-in service.
    pub fn all() -> impl Iterator<Item = &'static Service> {
        SERVICES.into_iter()
    }

    /// The built-in service whose sink is named `name`.
    pub fn named(name: &str) -> Option<&'static Service> {
        Service::all().find(|service| service.name == name)
    }

    /// The built-in service that collects on `host` (`api.segment.io`, `API.Segment.io:443`,
    /// `graph.facebook.com.`): case is ignored, as are a port and a trailing dot.
    pub fn for_host(host: &str) -> Option<&'static Service> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                name
            }
            _ => host,
        };
        let name = name.strip_suffix('.').unwrap_or(name);
        Service::all().find(|service| {
            service
                .hosts
                .iter()
                .any(|known| known.eq_ignore_ascii_case(name))
        })
    }
}

/// A response to send back to the bot.
pub(super) struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    /// A JSON answer.
    pub(super) fn json(status: u16, value: &serde_json::Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
        }
    }
}

/// A path's segments, without the leading and trailing `/`.
fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// What the request's sink answers to it: like its service on the service's paths, `200 {}`
/// elsewhere and for declared sinks.
pub(super) fn answer(request: &CapturedRequest) -> Answer {
    Service::named(&request.sink)
        .and_then(|service| (service.answer)(request, &segments(&request.path)))
        .unwrap_or_else(|| Answer::json(200, &json!({})))
}

/// The events in one request, each as `"{sink}: {name}"` (`"google: balance_viewed"`), read the
/// way the service whose paths the request is on encodes them, whichever sink it reached (a
/// declared sink that speaks Segment's API is read as Segment). A request whose events cannot
/// be read is one entry, `"{sink}: {method} {path}"`.
pub fn event_names(request: &CapturedRequest) -> Vec<String> {
    let path = segments(&request.path);
    Service::all()
        .find_map(|service| (service.events)(request, &path))
        .filter(|names| !names.is_empty())
        .unwrap_or_else(|| vec![format!("{} {}", request.method, request.path)])
        .into_iter()
        .map(|name| format!("{}: {name}", request.sink))
        .collect()
}

/// The event names of a request built from its parts, for the services' tests.
#[cfg(test)]
pub(super) fn names(sink: &str, method: &str, url: &str, body: impl Into<Vec<u8>>) -> Vec<String> {
    event_names(&CapturedRequest::new(sink, method, url, &[], body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inflate::{gzip, MAX_INFLATED};

    #[test]
    fn real_hosts_map_to_their_sinks() {
        let cases = [
            ("graph.facebook.com", Some("meta")),
            ("www.facebook.com", Some("meta")),
            ("www.google-analytics.com", Some("google")),
            ("region1.google-analytics.com", Some("google")),
            ("api.segment.io", Some("segment")),
            ("events.eu1.segmentapis.com", Some("segment")),
            ("api.mixpanel.com", Some("mixpanel")),
            ("api-eu.mixpanel.com", Some("mixpanel")),
            ("api-in.mixpanel.com", Some("mixpanel")),
            ("api2.amplitude.com", Some("amplitude")),
            ("api.eu.amplitude.com", Some("amplitude")),
            ("API.Segment.IO:443", Some("segment")),
            ("graph.facebook.com.", Some("meta")),
            ("graph.facebook.com.:8443", Some("meta")),
            ("facebook.com", None),
            ("segment.io", None),
            ("api.segment.io.evil.example", None),
            ("api.segment.io:", None),
            ("", None),
        ];
        for (host, sink) in cases {
            assert_eq!(Service::for_host(host).map(|s| s.name), sink, "{host}");
        }
    }

    #[test]
    fn every_host_belongs_to_one_service() {
        for service in Service::all() {
            for host in service.hosts {
                assert_eq!(Service::for_host(host).map(|s| s.name), Some(service.name));
            }
        }
    }

    #[test]
    fn services_answer_on_their_paths_and_200_empty_elsewhere() {
        let cases = [
            (
                "meta",
                "POST",
                "/v19.0/1/events",
                200,
                "application/json",
                r#"{"events_received":1,"fbtrace_id":"ABanterTraceId","messages":[]}"#,
            ),
            ("meta", "GET", "/tr", 200, "image/gif", "GIF89a"),
            ("google", "POST", "/mp/collect", 204, "text/plain", ""),
            (
                "google",
                "POST",
                "/debug/mp/collect",
                200,
                "application/json",
                r#"{"validationMessages":[]}"#,
            ),
            (
                "segment",
                "POST",
                "/v1/batch",
                200,
                "application/json",
                r#"{"success":true}"#,
            ),
            ("mixpanel", "GET", "/engage", 200, "text/plain", "1"),
            (
                "amplitude",
                "POST",
                "/batch",
                200,
                "application/json",
                r#"{"code":200,"events_ingested":1,"payload_size_bytes":42,"server_upload_time":1782777600000}"#,
            ),
            (
                "amplitude",
                "POST",
                "/2/httpapi/",
                200,
                "application/json",
                r#"{"code":200,"events_ingested":1,"payload_size_bytes":42,"server_upload_time":1782777600000}"#,
            ),
            (
                "google",
                "GET",
                "/mp/collect",
                200,
                "application/json",
                "{}",
            ),
            (
                "segment",
                "POST",
                "/v1/unknown",
                200,
                "application/json",
                "{}",
            ),
            (
                "mixpanel",
                "POST",
                "/v1/track",
                200,
                "application/json",
                "{}",
            ),
            ("braze", "POST", "/v1/track", 200, "application/json", "{}"),
        ];
        for (sink, method, path, status, content_type, body) in cases {
            let request = CapturedRequest::new(sink, method, path, &[], vec![b'x'; 42]);
            let answer = answer(&request);
            assert_eq!(
                (answer.status, answer.content_type),
                (status, content_type),
                "{sink} {method} {path}"
            );
            assert!(
                answer.body.starts_with(body.as_bytes()),
                "{sink} {method} {path}"
            );
        }
    }

    #[test]
    fn declared_sinks_are_read_by_the_api_they_speak() {
        let track = r#"{"event": "Intent Handled"}"#;
        assert_eq!(
            names("rudderstack", "POST", "/v1/track", track),
            ["rudderstack: Intent Handled"]
        );
    }

    #[test]
    fn unknown_or_unreadable_requests_fall_back_to_method_and_path() {
        let bomb = gzip(&vec![b' '; MAX_INFLATED + 1]);
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
