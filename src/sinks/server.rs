//! One sink's HTTP server on 127.0.0.1: reads each request whole (bodies past the in-memory
//! cap stream to a temporary file), answers like the service at once, and hands the request
//! to the inspector off the connection, a few at a time. The capture proxy hands requests it
//! intercepted to the same handling, in-process.

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::log::Log;
use super::request::{CapturedRequest, Spill};
use super::service::answer;
use super::Inspector;

/// Bodies up to this size stay in memory; larger ones go to a temporary file.
pub(super) const MEMORY_CAP: usize = 8 << 20;

/// What every connection of one sink shares.
pub(super) struct Shared<S> {
    pub name: String,
    pub log: Arc<Log<S>>,
    pub inspector: Inspector<S>,
    /// Inspections running at once, across sinks.
    pub scans: Arc<Semaphore>,
}

/// Serves one sink until the task is aborted.
pub(super) async fn serve<S: Send + Sync + 'static>(listener: TcpListener, shared: Arc<Shared<S>>) {
    crate::loopback::serve(listener, move |request| {
        handle(Arc::clone(&shared), None, request)
    })
    .await;
}

/// A body as it is read: in memory, then in a file once it outgrows the cap.
#[derive(Default)]
struct BodySink {
    memory: Vec<u8>,
    file: Option<tempfile::NamedTempFile>,
    len: u64,
    error: Option<String>,
}

impl BodySink {
    fn push(&mut self, data: &[u8]) {
        self.len += data.len() as u64;
        if self.error.is_some() {
            return;
        }
        if self.file.is_none() && self.memory.len() + data.len() <= MEMORY_CAP {
            self.memory.extend_from_slice(data);
            return;
        }
        let written = match &mut self.file {
            Some(file) => file.write_all(data),
            None => tempfile::NamedTempFile::new().and_then(|mut file| {
                file.write_all(&self.memory)?;
                file.write_all(data)?;
                self.memory = Vec::new();
                self.file = Some(file);
                Ok(())
            }),
        };
        if let Err(e) = written {
            self.error = Some(format!(
                "the body could not be kept on disk past {} bytes: {e}",
                self.len
            ));
        }
    }

    /// The body in memory, or its spill file.
    fn finish(self) -> (Vec<u8>, Option<Arc<Spill>>, Option<String>) {
        match self.file {
            Some(file) => {
                let spill = Spill::new(file.into_temp_path(), self.len);
                (Vec::new(), Some(Arc::new(spill)), self.error)
            }
            None => (self.memory, None, self.error),
        }
    }
}

/// Captures one request, answers it and inspects it; `host` is the host the bot addressed when
/// the capture proxy brought the request.
pub(super) async fn handle<S: Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    host: Option<String>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (seq, at) = shared.log.arrive();
    let (parts, mut incoming) = request.into_parts();
    let mut body = BodySink::default();
    while let Some(frame) = incoming.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    body.push(data);
                }
            }
            Err(e) => {
                body.error = Some(format!(
                    "the connection broke after {} body bytes: {e}",
                    body.len
                ));
                break;
            }
        }
    }
    let (body, spill, body_error) = body.finish();
    let captured = CapturedRequest {
        sink: shared.name.clone(),
        host,
        at,
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        spill,
        body_error,
    };
    let answer = answer(&captured);
    tokio::spawn(inspect(shared, seq, captured));
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap_or_default();
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(answer.content_type),
    );
    Ok(response)
}

/// Inspects one request on the blocking pool, a few at a time, and records the result.
async fn inspect<S: Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    seq: u64,
    request: CapturedRequest,
) {
    let permit = Arc::clone(&shared.scans).acquire_owned().await;
    let inspector = Arc::clone(&shared.inspector);
    let inspected = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _serving = crate::panics::serving("sink");
        inspector(&request)
    })
    .await;
    match inspected {
        Ok(summary) => shared.log.record(seq, summary),
        Err(e) => shared
            .log
            .lose(seq, format!("the scan of this request failed: {e}")),
    }
}
