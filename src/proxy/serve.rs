//! The proxy's connections: the client's HTTP/1.1 connection to the proxy, CONNECT tunnels
//! opened with the CA's certificate for the host and served as HTTP/2 or HTTP/1.1 by ALPN,
//! and every request inside taken where its host and path route it. A client that sends its
//! hello in a tunnel and then does not finish the handshake has refused the certificate.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::HOST;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::rustls::server::Acceptor;
use tokio_rustls::LazyConfigAcceptor;

use super::ca::RunCa;
use super::forward::forward;
use super::routes::{Route, Routes};
use super::Observed;

/// How long a client may take to start using a tunnel it asked for, and to finish the TLS
/// handshake in it.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What every connection to the proxy shares.
pub(super) struct Shared<S> {
    pub routes: Routes<S>,
    pub ca: RunCa,
    /// Forwards to banter's own servers.
    pub client: reqwest::Client,
    pub observed: Arc<Observed>,
    /// Changes (closes) when the proxy is dropped: every tunnel ends.
    pub stopped: watch::Receiver<()>,
}

/// Accepts connections until the task is aborted, which ends them all.
pub(super) async fn serve<S: Send + Sync + 'static>(listener: TcpListener, shared: Arc<Shared<S>>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(client(stream, Arc::clone(&shared)));
                }
                // e.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One client connection to the proxy: CONNECT requests and plain-HTTP requests.
async fn client<S: Send + Sync + 'static>(stream: TcpStream, shared: Arc<Shared<S>>) {
    let service = service_fn(move |request| front(Arc::clone(&shared), request));
    // A client hanging up mid-request is not the proxy's problem.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
}

/// A request to the proxy itself: a tunnel to open, or a plain-HTTP request for a sink.
async fn front<S: Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() == Method::CONNECT {
        let Some(host) = request.uri().host().map(str::to_string) else {
            return Ok(status(StatusCode::BAD_REQUEST));
        };
        let mut stopped = shared.stopped.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tunnel(&shared, &host, request) => {}
                _ = stopped.changed() => {}
            }
        });
        return Ok(status(StatusCode::OK));
    }
    let host = request
        .uri()
        .host()
        .map(str::to_string)
        .or_else(|| host_header(&request));
    match host {
        Some(host) => dispatch(&shared, &host, request).await,
        None => Ok(status(StatusCode::BAD_REQUEST)),
    }
}

/// Takes one request that the bot addressed to `host` where the routes say.
async fn dispatch<S: Send + Sync + 'static>(
    shared: &Shared<S>,
    host: &str,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    match shared.routes.route(host, request.uri().path()) {
        Route::Sink(sink) => sink.handle(host, request).await,
        Route::Forward { service, base } => {
            shared.observed.forward(service, host);
            Ok(forward(&shared.client, base, request).await)
        }
    }
}

/// The host named by a request's Host header, without its port.
fn host_header<B>(request: &Request<B>) -> Option<String> {
    let value = request.headers().get(HOST)?.to_str().ok()?;
    let authority: hyper::http::uri::Authority = value.parse().ok()?;
    Some(authority.host().to_string())
}

/// A response with no body.
fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

/// Serves the tunnel a CONNECT request opened to `host`, with TLS as `host`, until the
/// client closes it. A client that never uses the tunnel ends it; one that refuses the
/// certificate after its hello is recorded as refusing it.
async fn tunnel<S: Send + Sync + 'static>(
    shared: &Arc<Shared<S>>,
    host: &str,
    request: Request<Incoming>,
) {
    let Ok(config) = shared.ca.server_config(host) else {
        return;
    };
    let hello = async {
        let upgraded = hyper::upgrade::on(request).await.ok()?;
        LazyConfigAcceptor::new(Acceptor::default(), TokioIo::new(upgraded))
            .await
            .ok()
    };
    let Ok(Some(start)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, hello).await else {
        return;
    };
    let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, start.into_stream(config)).await
    else {
        shared.observed.refuse(host);
        return;
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let (shared, host) = (Arc::clone(shared), host.to_string());
    let service = service_fn(move |request| {
        let (shared, host) = (Arc::clone(&shared), host.clone());
        async move { dispatch(&shared, &host, request).await }
    });
    let io = TokioIo::new(tls);
    // A client hanging up mid-request is not the proxy's problem.
    let _ = if h2 {
        http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        http1::Builder::new().serve_connection(io, service).await
    };
}
