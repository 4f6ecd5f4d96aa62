//! The capture proxy: a forward proxy on the loopback that bots are pointed at, so that every
//! outbound call of an unmodified bot reaches banter. It intercepts CONNECT tunnels with TLS
//! (a leaf certificate per host, signed by the proxy's CA) and serves HTTP/1.1 or HTTP/2
//! inside them as the client offers; it takes plain-HTTP requests in absolute form too. Each
//! request goes where [`routes`] says: a sink in-process, or the mock bank or the Messenger
//! Graph mock on the loopback. Nothing is forwarded off the machine. A client that refuses
//! the proxy's certificate (certificate pinning) is recorded, so that the run can say what it
//! did not see.

mod ca;
mod forward;
mod routes;
mod serve;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use globset::GlobMatcher;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::sinks::Sinks;
use crate::sync::lock;
use ca::RunCa;
use routes::Routes;

/// Hosts that the bot reaches directly, never through the proxy: banter's own servers.
pub const NO_PROXY: &str = "127.0.0.1,localhost,::1";

/// The capture proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The run's directory for the CA could not be made.
    #[error("capture proxy: cannot create a private directory for the run's CA: {0}")]
    Dir(#[source] std::io::Error),
    /// A CA file or directory could not be written.
    #[error("capture proxy: cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A kept CA file could not be read.
    #[error("capture proxy: cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A kept CA certificate is not PEM.
    #[error("capture proxy: {path} is not a PEM certificate: {reason}")]
    NotPem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A kept CA key can be read by others than its owner.
    #[error("capture proxy: {0} can be read by other users; make it mode 0600 (chmod 600)")]
    KeyExposed(PathBuf),
    /// A certificate could not be made, or a kept key read.
    #[error("capture proxy: cannot make a certificate: {0}")]
    Ca(#[source] rcgen::Error),
    /// A certificate could not be served.
    #[error("capture proxy: cannot serve a certificate: {0}")]
    Tls(#[source] tokio_rustls::rustls::Error),
    /// Binding the proxy's address failed.
    #[error("capture proxy: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A host route names a sink the run does not have.
    #[error("capture proxy: no sink `{0}` to route hosts to")]
    UnknownSink(String),
    /// The client that forwards to banter's own servers could not be built.
    #[error("capture proxy: cannot build the forwarding client: {0}")]
    Client(#[source] reqwest::Error),
}

/// How a proxy is set up; the default is a free port of 127.0.0.1, a CA for the run, and
/// routes for the built-in services only.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The address to listen on (loopback); a free port of 127.0.0.1 when absent.
    pub listen: Option<SocketAddr>,
    /// A directory that keeps the CA across runs; a private directory removed at the end of
    /// the run when absent.
    pub ca_dir: Option<PathBuf>,
    /// Hosts whose requests go to the mock bank at `bank_url`.
    pub bank_hosts: Vec<String>,
    /// The mock bank's base URL.
    pub bank_url: String,
    /// Host globs and the sink their requests go to, first match first.
    pub hosts: Vec<(GlobMatcher, String)>,
}

/// A client refused the proxy's certificate for `host`: what it sent there was not seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The host of the CONNECT tunnel.
    pub host: String,
    /// When the handshake failed.
    pub at: Instant,
}

/// Requests forwarded to one of banter's servers, by the host the bot addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// `bank` or `messenger graph`.
    pub service: &'static str,
    /// The host the bot addressed.
    pub host: String,
    /// How many requests.
    pub requests: u64,
}

/// What the proxy saw besides sink traffic: forwarded requests and refused certificates.
#[derive(Default)]
struct Observed {
    forwarded: Mutex<BTreeMap<(&'static str, String), u64>>,
    refused: Mutex<Vec<Refusal>>,
}

impl Observed {
    fn forward(&self, service: &'static str, host: &str) {
        *lock(&self.forwarded)
            .entry((service, routes::normal(host)))
            .or_default() += 1;
    }

    fn refuse(&self, host: &str) {
        lock(&self.refused).push(Refusal {
            host: host.to_string(),
            at: Instant::now(),
        });
    }
}

/// A running capture proxy. Dropping it stops it, ends its tunnels and removes a CA made for
/// the run (a kept one stays).
pub struct Proxy {
    url: String,
    cert_file: PathBuf,
    graph: Arc<OnceLock<String>>,
    observed: Arc<Observed>,
    task: JoinHandle<()>,
    /// Dropped with the proxy, which tells every tunnel to end.
    _stop: watch::Sender<()>,
    /// The run's private directory holding a CA made for the run; removed on drop.
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy that hands what it intercepts to `sinks`, or forwards it as `settings` say.
    pub async fn start<S: Send + Sync + 'static>(
        sinks: &Sinks<S>,
        settings: Settings,
    ) -> Result<Proxy, ProxyError> {
        let addr = settings
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (ca, dir) = match &settings.ca_dir {
            Some(kept) => (RunCa::kept_in(kept)?, None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("banter-ca-")
                    .permissions(std::fs::Permissions::from_mode(0o700))
                    .tempdir()
                    .map_err(ProxyError::Dir)?;
                (RunCa::generate(dir.path())?, Some(dir))
            }
        };
        let graph = Arc::new(OnceLock::new());
        let routes = Routes::new(sinks, settings, Arc::clone(&graph))?;
        let cert_file = ca.cert_file().to_path_buf();
        let bind = |source| ProxyError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(bind)?;
        let url = format!("http://{}", listener.local_addr().map_err(bind)?);
        let (stop, stopped) = watch::channel(());
        let observed = Arc::new(Observed::default());
        let shared = Arc::new(serve::Shared {
            routes,
            ca,
            client: forward::client().map_err(ProxyError::Client)?,
            observed: Arc::clone(&observed),
            stopped,
        });
        Ok(Proxy {
            url,
            cert_file,
            graph,
            observed,
            task: tokio::spawn(serve::serve(listener, shared)),
            _stop: stop,
            _dir: dir,
        })
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate (PEM) that clients must trust.
    pub fn cert_file(&self) -> &std::path::Path {
        &self.cert_file
    }

    /// From now on, the page's own Graph calls (`graph.facebook.com/v19.0/me/...`) go to the
    /// Graph mock at `url`; the first URL set stays.
    pub fn route_graph(&self, url: String) {
        let _ = self.graph.set(url);
    }

    /// The requests forwarded to banter's own servers so far, by service and host.
    pub fn forwarded(&self) -> Vec<Forwarded> {
        lock(&self.observed.forwarded)
            .iter()
            .map(|((service, host), requests)| Forwarded {
                service,
                host: host.clone(),
                requests: *requests,
            })
            .collect()
    }

    /// The tunnels whose client refused the proxy's certificate so far, in order.
    pub fn refusals(&self) -> Vec<Refusal> {
        lock(&self.observed.refused).clone()
    }

    /// The environment that points a started bot at the proxy and makes it trust the CA:
    /// the proxy variables that most HTTP stacks read (upper and lower case), `NO_PROXY` for
    /// banter's own servers on the loopback, and the CA bundle under the names that OpenSSL,
    /// Python requests, curl, Node.js and gRPC read.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let ca = self.cert_file.display().to_string();
        let proxy = ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]
            .map(|name| (name, self.url.clone()));
        let no_proxy = ["NO_PROXY", "no_proxy"].map(|name| (name, NO_PROXY.to_string()));
        let bundle = [
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
            "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
        ]
        .map(|name| (name, ca.clone()));
        proxy.into_iter().chain(no_proxy).chain(bundle).collect()
    }
}

#[cfg(test)]
mod tests;
