//! Forwarding an intercepted request to one of banter's own servers on the loopback (the
//! mock bank, the Messenger Graph mock): the same method, path, query, headers and body,
//! and their answer passed back whole. Nothing is forwarded off the machine.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use hyper::{Request, Response, StatusCode};

/// How long a forwarded request may take, from reading the bot's body to the last byte of
/// the answer.
pub(super) const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers that describe one hop, not the request: the client sets its own.
const HOP: [HeaderName; 4] = [HOST, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING];

/// The client that forwards: no proxy (it would be this one), loopback only.
pub(super) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(FORWARD_TIMEOUT)
        .build()
}

/// Sends `request` to `base` (`http://127.0.0.1:PORT`) and answers with what came back;
/// `502 Bad Gateway` when the server could not be reached or the bot's body not read.
pub(super) async fn forward(
    client: &reqwest::Client,
    base: &str,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    match tokio::time::timeout(FORWARD_TIMEOUT, send(client, base, request)).await {
        Ok(Some(response)) => response,
        _ => {
            let mut response = Response::new(Full::default());
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response
        }
    }
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    request: Request<Incoming>,
) -> Option<Response<Full<Bytes>>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.ok()?.to_bytes();
    let target = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut headers = parts.headers;
    HOP.iter().for_each(|name| drop(headers.remove(name)));
    let answer = client
        .request(parts.method, format!("{base}{target}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .ok()?;
    let status = answer.status();
    let mut headers = answer.headers().clone();
    HOP.iter().for_each(|name| drop(headers.remove(name)));
    let body = answer.bytes().await.ok()?;
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Some(response)
}
