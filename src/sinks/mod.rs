//! Capture servers standing in for ad and analytics services: one real HTTP server on
//! 127.0.0.1 per sink, answering like the real service, and the `unknown` sink, which has no
//! server and takes what the capture proxy intercepted for hosts no sink stands for. Each request is read whole (large
//! bodies go to a temporary file) and inspected once, as it arrives, by the run's inspector;
//! the log keeps what inspection gave, in arrival order, and what could not be kept. Each
//! built-in sink's service (its answers, event names and real host names) has its own module.

mod amplitude;
mod directory;
mod google;
mod log;
mod meta;
mod mixpanel;
mod payload;
mod request;
mod segment;
mod server;
mod service;

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub use log::{Lost, Record, Unsettled};
pub use request::{CapturedRequest, Spill};
pub use service::{event_names, Service};

/// Inspects each request once, as it arrives (the leak scan); what it returns is kept.
pub type Inspector<S> = Arc<dyn Fn(&CapturedRequest) -> S + Send + Sync>;

/// What a sink is, which decides the default privacy policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SinkKind {
    /// An advertising service: no customer data may reach it.
    Ads,
    /// An analytics service: no customer data may reach it.
    Analytics,
    /// Something else: findings are reported, not failed.
    Other,
    /// A third party no sink stands for, reached through the capture proxy: no customer data
    /// may reach it. Only the built-in `unknown` sink is of this kind.
    #[serde(skip_deserializing)]
    Unknown,
}

/// The sink that takes what the capture proxy intercepted for hosts that no sink stands for;
/// its requests carry the host.
pub const UNKNOWN: &str = "unknown";

/// A sink to start: its name (used in templates, `{{ sinks.NAME.url }}`) and kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// Template name, e.g. `braze`.
    pub name: String,
    /// `ads`, `analytics` or `other`.
    pub kind: SinkKind,
}

/// The built-in sinks: Meta (ads), Google Analytics 4, Segment, Mixpanel and Amplitude.
pub fn builtin() -> Vec<SinkSpec> {
    Service::all()
        .map(|service| SinkSpec {
            name: service.name.into(),
            kind: service.kind,
        })
        .collect()
}

/// A sink could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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

/// The running sinks of a run; `S` is what the inspector makes of a request.
pub struct Sinks<S> {
    sinks: Vec<Sink<S>>,
    /// The [`UNKNOWN`] sink, also first among `sinks`.
    unknown: SinkHandle<S>,
    tasks: Vec<JoinHandle<()>>,
    log: Arc<log::Log<S>>,
    /// Set once a template has read a sink from [`Sinks::context`].
    handed_out: Arc<AtomicBool>,
}

/// One running sink: its base URL (none for [`UNKNOWN`]) and what its requests share.
struct Sink<S> {
    spec: SinkSpec,
    url: Option<String>,
    shared: Arc<server::Shared<S>>,
}

/// A sink as the capture proxy reaches it: in-process, as if the request had come to the
/// sink's server.
pub struct SinkHandle<S>(Arc<server::Shared<S>>);

impl<S> Clone for SinkHandle<S> {
    fn clone(&self) -> Self {
        SinkHandle(Arc::clone(&self.0))
    }
}

impl<S: Send + Sync + 'static> SinkHandle<S> {
    /// Captures, answers and inspects `request`, which the bot addressed to `host`.
    pub fn handle(
        &self,
        host: &str,
        request: Request<Incoming>,
    ) -> impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static {
        server::handle(Arc::clone(&self.0), Some(host.to_string()), request)
    }
}

impl<S> Drop for Sinks<S> {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

impl<S: Send + Sync + 'static> Sinks<S> {
    /// Starts one capture server per sink; every request is handed to `inspector`.
    pub async fn start(specs: &[SinkSpec], inspector: Inspector<S>) -> Result<Sinks<S>, SinkError> {
        let log = Arc::new(log::Log::new());
        let scans = Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ));
        let shared = |name: &str| {
            Arc::new(server::Shared {
                name: name.to_string(),
                log: Arc::clone(&log),
                inspector: Arc::clone(&inspector),
                scans: Arc::clone(&scans),
            })
        };
        let unknown = SinkHandle(shared(UNKNOWN));
        let mut sinks = vec![Sink {
            spec: SinkSpec {
                name: UNKNOWN.into(),
                kind: SinkKind::Unknown,
            },
            url: None,
            shared: Arc::clone(&unknown.0),
        }];
        let mut tasks = Vec::new();
        for spec in specs {
            if sinks.iter().any(|sink| sink.spec.name == spec.name) {
                return Err(SinkError::Duplicate(spec.name.clone()));
            }
            let bind = |source| SinkError::Bind {
                name: spec.name.clone(),
                source,
            };
            let listener = TcpListener::bind("127.0.0.1:0").await.map_err(bind)?;
            let url = format!("http://{}", listener.local_addr().map_err(bind)?);
            let shared = shared(&spec.name);
            tasks.push(tokio::spawn(server::serve(listener, Arc::clone(&shared))));
            sinks.push(Sink {
                spec: spec.clone(),
                url: Some(url),
                shared,
            });
        }
        Ok(Sinks {
            sinks,
            unknown,
            tasks,
            log,
            handed_out: Arc::default(),
        })
    }
}

impl<S> Sinks<S> {
    /// `{ meta: { url, kind }, … }` for templates; reading a sink from it marks the sinks as
    /// [handed out](Sinks::handed_out).
    pub fn context(&self) -> minijinja::Value {
        let sinks: std::collections::BTreeMap<String, minijinja::Value> = self
            .sinks
            .iter()
            .filter_map(|sink| {
                let url = sink.url.as_ref()?;
                let context = minijinja::context! { url => url, kind => sink.spec.kind };
                Some((sink.spec.name.clone(), context))
            })
            .collect();
        let directory = directory::Directory::new(sinks, Arc::clone(&self.handed_out));
        minijinja::Value::from_object(directory)
    }

    /// Whether a template has read a sink's URL or kind from [`Sinks::context`].
    pub fn handed_out(&self) -> bool {
        self.handed_out.load(Ordering::Relaxed)
    }

    fn sink(&self, name: &str) -> Option<&Sink<S>> {
        self.sinks.iter().find(|sink| sink.spec.name == name)
    }

    /// The base URL of the sink named `name`.
    pub fn url(&self, name: &str) -> Option<String> {
        self.sink(name)?.url.clone()
    }

    /// The kind of the sink named `name`.
    pub fn kind(&self, name: &str) -> Option<SinkKind> {
        self.sink(name).map(|sink| sink.spec.kind)
    }

    /// The sink named `name`, for the capture proxy to hand it requests.
    pub fn handle_as(&self, name: &str) -> Option<SinkHandle<S>> {
        self.sink(name)
            .map(|sink| SinkHandle(Arc::clone(&sink.shared)))
    }

    /// The [`UNKNOWN`] sink, for the capture proxy to hand it requests for other hosts.
    pub fn unknown(&self) -> SinkHandle<S> {
        self.unknown.clone()
    }

    /// The sequence number the next request will get.
    pub fn cursor(&self) -> u64 {
        self.log.cursor()
    }

    /// The inspected requests and the lost ones with `seq >= from`, in arrival order.
    pub fn since(&self, from: u64) -> (Vec<Record<S>>, Vec<Lost>) {
        self.log.since(from)
    }

    /// Forgets what arrived before `before`, once no scenario needs it, and returns it.
    pub fn forget_before(&self, before: u64) -> (Vec<Record<S>>, Vec<Lost>) {
        self.log.forget_before(before)
    }

    /// Waits until fewer than `most` requests are being received or inspected, or none has
    /// finished for `quiet`.
    pub async fn backlog_below(&self, most: usize, quiet: Duration) {
        self.log.below(most, quiet).await;
    }

    /// Waits until every request whose head arrived by `until` has been inspected, giving up
    /// when none finishes for `quiet`.
    pub async fn settle(&self, until: Instant, quiet: Duration) -> Result<(), Unsettled> {
        self.log.settle(until, quiet).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_whose_scan_panics_is_lost_and_said_to_be() {
        let inspector: Inspector<usize> = Arc::new(|request: &CapturedRequest| {
            assert!(request.path != "/boom", "the scanner broke");
            request.body.len()
        });
        let sinks = Sinks::start(&builtin(), inspector).await.unwrap();
        let url = sinks.url("segment").unwrap();
        let client = reqwest::Client::new();
        for path in ["/v1/track", "/boom"] {
            let sent = client.post(format!("{url}{path}")).body("{}").send();
            assert!(sent.await.unwrap().status().is_success());
        }
        sinks
            .settle(Instant::now(), Duration::from_secs(10))
            .await
            .unwrap();
        let (records, lost) = sinks.since(0);
        assert_eq!(records.len(), 1);
        assert_eq!(*records[0].summary, 2);
        assert_eq!(lost.len(), 1);
        assert!(
            lost[0].why.contains("the scan of this request failed"),
            "{lost:?}"
        );
    }
}
