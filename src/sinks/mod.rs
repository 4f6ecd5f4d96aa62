//! Capture servers standing in for ad and analytics services: one real HTTP server (wiremock)
//! on 127.0.0.1 per sink, answering like the real service and recording every request whole.

mod events;
mod request;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub use events::event_names;
pub use request::CapturedRequest;

/// The most requests kept in memory; older ones are dropped first.
const MAX_REQUESTS: usize = 20_000;
/// The most body bytes kept in memory across all kept requests.
const MAX_BYTES: usize = 512 * 1024 * 1024;

/// What a sink is, which decides the default privacy policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// An advertising service: no customer data may reach it.
    Ads,
    /// An analytics service: no customer data may reach it.
    Analytics,
    /// Something else: findings are reported, not failed.
    Other,
}

/// A sink to start: its name (used in templates, `{{ sinks.NAME.url }}`) and kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// Template name, e.g. `braze`.
    pub name: String,
    /// `ads`, `analytics` or `other`.
    pub kind: SinkKind,
}

/// The built-in sinks: Meta (ads), Google Analytics 4, Segment, Mixpanel and Amplitude.
pub fn builtin() -> Vec<SinkSpec> {
    [
        ("meta", SinkKind::Ads),
        ("google", SinkKind::Analytics),
        ("segment", SinkKind::Analytics),
        ("mixpanel", SinkKind::Analytics),
        ("amplitude", SinkKind::Analytics),
    ]
    .into_iter()
    .map(|(name, kind)| SinkSpec {
        name: name.into(),
        kind,
    })
    .collect()
}

/// A sink could not start.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Binding 127.0.0.1 failed.
    #[error("cannot bind sink `{name}` to 127.0.0.1: {source}")]
    Bind {
        /// The sink.
        name: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Two sinks share a name.
    #[error("sink `{0}` is declared twice")]
    Duplicate(String),
}

/// A request with its place in the run's capture order.
#[derive(Debug, Clone)]
pub struct Captured {
    /// Position in capture order, from 0.
    pub seq: u64,
    /// The request.
    pub request: Arc<CapturedRequest>,
}

#[derive(Default)]
struct Log {
    next: AtomicU64,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    requests: VecDeque<Captured>,
    bytes: usize,
    dropped: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Log {
    fn record(&self, request: CapturedRequest) {
        let mut kept = lock(&self.kept);
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        kept.bytes += request.body.len();
        kept.requests.push_back(Captured {
            seq,
            request: Arc::new(request),
        });
        while kept.requests.len() > MAX_REQUESTS
            || (kept.bytes > MAX_BYTES && kept.requests.len() > 1)
        {
            if let Some(old) = kept.requests.pop_front() {
                kept.bytes -= old.request.body.len();
                kept.dropped += 1;
            }
        }
    }
}

/// The running sinks of a run.
pub struct Sinks {
    servers: Vec<(SinkSpec, MockServer)>,
    log: Arc<Log>,
}

impl Sinks {
    /// Starts one capture server per sink.
    pub async fn start(specs: &[SinkSpec]) -> Result<Sinks, SinkError> {
        let log = Arc::new(Log::default());
        let mut servers: Vec<(SinkSpec, MockServer)> = Vec::new();
        for spec in specs {
            if servers.iter().any(|(s, _)| s.name == spec.name) {
                return Err(SinkError::Duplicate(spec.name.clone()));
            }
            let listener =
                std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| SinkError::Bind {
                    name: spec.name.clone(),
                    source,
                })?;
            let server = MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await;
            let (name, log) = (spec.name.clone(), log.clone());
            Mock::given(wiremock::matchers::any())
                .respond_with(move |request: &Request| {
                    let _serving = crate::panics::serving("sink");
                    let captured = capture(&name, request);
                    let response = answer(&name, &captured);
                    log.record(captured);
                    response
                })
                .mount(&server)
                .await;
            servers.push((spec.clone(), server));
        }
        Ok(Sinks { servers, log })
    }

    /// `{ meta: { url, kind }, … }` for templates.
    pub fn context(&self) -> minijinja::Value {
        let sinks: std::collections::BTreeMap<String, minijinja::Value> = self
            .servers
            .iter()
            .map(|(spec, server)| {
                (
                    spec.name.clone(),
                    minijinja::context! { url => server.uri(), kind => spec.kind },
                )
            })
            .collect();
        minijinja::Value::from(sinks)
    }

    /// The base URL of the sink named `name`.
    pub fn url(&self, name: &str) -> Option<String> {
        self.servers
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(_, server)| server.uri())
    }

    /// The kind of the sink named `name`.
    pub fn kind(&self, name: &str) -> Option<SinkKind> {
        self.servers
            .iter()
            .find(|(s, _)| s.name == name)
            .map(|(s, _)| s.kind)
    }

    /// The sequence number the next request will get.
    pub fn cursor(&self) -> u64 {
        self.log.next.load(Ordering::SeqCst)
    }

    /// The kept requests with `seq >= from`, in order.
    pub fn since(&self, from: u64) -> Vec<Captured> {
        lock(&self.log.kept)
            .requests
            .iter()
            .filter(|c| c.seq >= from)
            .cloned()
            .collect()
    }

    /// Forgets requests with `seq < before`, once no scenario needs them.
    pub fn forget_before(&self, before: u64) {
        let mut kept = lock(&self.log.kept);
        while kept.requests.front().is_some_and(|c| c.seq < before) {
            if let Some(old) = kept.requests.pop_front() {
                kept.bytes -= old.request.body.len();
            }
        }
    }

    /// How many requests were dropped because the in-memory caps were reached.
    pub fn dropped(&self) -> u64 {
        lock(&self.log.kept).dropped
    }
}

fn capture(sink: &str, request: &Request) -> CapturedRequest {
    CapturedRequest {
        sink: sink.to_string(),
        at: Instant::now(),
        method: request.method.as_str().to_string(),
        path: request.url.path().to_string(),
        query: request.url.query().unwrap_or("").to_string(),
        headers: request
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: request.body.clone(),
    }
}

/// A 1×1 transparent GIF, as the Meta pixel answers.
const PIXEL_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Answers like the real service on its known paths, and `200 {}` elsewhere.
fn answer(sink: &str, request: &CapturedRequest) -> ResponseTemplate {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (sink, request.method.as_str(), segments.as_slice()) {
        ("meta", "POST", [_version, _pixel, "events"]) => ResponseTemplate::new(200).set_body_json(json!({
            "events_received": 1, "messages": [], "fbtrace_id": "ABanterTraceId"
        })),
        ("meta", _, ["tr"]) => ResponseTemplate::new(200).set_body_raw(PIXEL_GIF, "image/gif"),
        ("google", "POST", ["mp", "collect"]) => ResponseTemplate::new(204),
        ("google", "POST", ["debug", "mp", "collect"]) => {
            ResponseTemplate::new(200).set_body_json(json!({ "validationMessages": [] }))
        }
        ("segment", "POST", ["v1", "track" | "identify" | "batch" | "page" | "screen" | "group" | "alias"]) => {
            ResponseTemplate::new(200).set_body_json(json!({ "success": true }))
        }
        ("mixpanel", _, ["track" | "engage" | "import"]) => ResponseTemplate::new(200).set_body_raw("1", "text/plain"),
        ("amplitude", "POST", ["2", "httpapi"] | ["batch"]) => ResponseTemplate::new(200).set_body_json(json!({
            "code": 200, "events_ingested": 1, "payload_size_bytes": request.body.len(), "server_upload_time": 1_782_777_600_000_u64
        })),
        _ => ResponseTemplate::new(200).set_body_json(json!({})),
    }
}
