//! The capture proxy: a forward proxy on 127.0.0.1 that the bots banter starts are pointed
//! at, so that every outbound call of an unmodified bot reaches a sink. It intercepts CONNECT
//! tunnels with TLS (a leaf certificate per host, signed by a CA generated for the run) and
//! serves HTTP/1.1 or HTTP/2 inside them as the client offers; it takes plain-HTTP requests in
//! absolute form too. A request for a built-in service's real host goes to that service's
//! sink in-process; any other host's request to the `unknown` sink, which answers locally.
//! Nothing is ever forwarded: the bot's traffic does not leave the machine.

mod ca;
mod serve;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::sinks::{Service, SinkHandle, Sinks};
use ca::RunCa;

/// Hosts that the bot reaches directly, never through the proxy: banter's own servers.
pub const NO_PROXY: &str = "127.0.0.1,localhost,::1";

/// The capture proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The run's directory for the CA could not be made.
    #[error("capture proxy: cannot create a private directory for the run's CA: {0}")]
    Dir(#[source] std::io::Error),
    /// A CA file could not be written.
    #[error("capture proxy: cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A certificate could not be made.
    #[error("capture proxy: cannot make a certificate: {0}")]
    Ca(#[source] rcgen::Error),
    /// A certificate could not be served.
    #[error("capture proxy: cannot serve a certificate: {0}")]
    Tls(#[source] tokio_rustls::rustls::Error),
    /// Binding 127.0.0.1 failed.
    #[error("capture proxy: cannot bind 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
}

/// Where intercepted requests go: the sink of the service whose real host the bot addressed,
/// or the [`crate::sinks::UNKNOWN`] sink.
struct Routes<S> {
    services: HashMap<&'static str, SinkHandle<S>>,
    unknown: SinkHandle<S>,
}

impl<S> Routes<S> {
    fn of(sinks: &Sinks<S>) -> Routes<S> {
        let services = Service::all()
            .filter_map(|service| Some((service.name, sinks.handle_as(service.name)?)))
            .collect();
        Routes {
            services,
            unknown: sinks.unknown(),
        }
    }

    /// The sink for requests to `host`.
    fn sink(&self, host: &str) -> &SinkHandle<S> {
        Service::for_host(host)
            .and_then(|service| self.services.get(service.name))
            .unwrap_or(&self.unknown)
    }
}

/// A running capture proxy. Dropping it stops it, ends its tunnels and removes the run's CA.
pub struct Proxy {
    url: String,
    cert_file: PathBuf,
    task: JoinHandle<()>,
    /// Dropped with the proxy, which tells every tunnel to end.
    _stop: watch::Sender<()>,
    /// The run's private directory holding the CA; removed on drop.
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 that hands what it intercepts to `sinks`.
    pub async fn start<S: Send + Sync + 'static>(sinks: &Sinks<S>) -> Result<Proxy, ProxyError> {
        let routes = Routes::of(sinks);
        let dir = tempfile::Builder::new()
            .prefix("banter-ca-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(ProxyError::Dir)?;
        let ca = RunCa::generate(dir.path())?;
        let cert_file = ca.cert_file().to_path_buf();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(ProxyError::Bind)?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(ProxyError::Bind)?
        );
        let (stop, stopped) = watch::channel(());
        let shared = Arc::new(serve::Shared {
            routes,
            ca,
            stopped,
        });
        Ok(Proxy {
            url,
            cert_file,
            task: tokio::spawn(serve::serve(listener, shared)),
            _stop: stop,
            _dir: dir,
        })
    }

    /// The environment that points a started bot at the proxy and makes it trust the run's
    /// CA: the proxy variables that most HTTP stacks read (upper and lower case), `NO_PROXY`
    /// for banter's own servers on the loopback, and the CA bundle under the names that
    /// OpenSSL, Python requests, curl, Node.js and gRPC read.
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
