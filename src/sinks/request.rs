//! A request captured by a sink, recorded whole.

use std::time::Instant;

/// One HTTP request that the bot sent to a sink.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// The sink's name (`meta`, `google`, …).
    pub sink: String,
    /// When it arrived.
    pub at: Instant,
    /// HTTP method.
    pub method: String,
    /// URL path, percent-encoded as sent.
    pub path: String,
    /// Raw query string without `?`, as sent; empty when absent.
    pub query: String,
    /// Every header, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as sent (still compressed if the bot compressed it).
    pub body: Vec<u8>,
}

impl CapturedRequest {
    /// A request as a test or a tool would build it, arriving now.
    pub fn new(
        sink: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        CapturedRequest {
            sink: sink.to_string(),
            at: Instant::now(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.into(),
        }
    }

    /// The value of the first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
