//! A request captured by a sink, recorded whole: in memory up to a cap, and past it in a
//! temporary file that lives as long as the request.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::Instant;

/// One HTTP request that the bot sent to a sink.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// The sink's name (`meta`, `google`, …).
    pub sink: String,
    /// The host the bot addressed, when the capture proxy took the request to the sink; None
    /// when the bot called the sink's own URL.
    pub host: Option<String>,
    /// When its head arrived.
    pub at: Instant,
    /// HTTP method.
    pub method: String,
    /// URL path, percent-encoded as sent.
    pub path: String,
    /// Raw query string without `?`, as sent; empty when absent.
    pub query: String,
    /// Every header, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as sent (still compressed if the bot compressed it), when it fit in memory;
    /// empty when it was spilled to disk.
    pub body: Vec<u8>,
    /// The body, when it was too large to keep in memory.
    pub spill: Option<Arc<Spill>>,
    /// Why the body ended early (the connection broke mid-body), if it did.
    pub body_error: Option<String>,
}

/// A body kept in a temporary file, removed when the last request holding it is dropped.
#[derive(Debug)]
pub struct Spill {
    path: tempfile::TempPath,
    len: u64,
}

impl Spill {
    /// A spilled body of `len` bytes in the file at `path`.
    pub fn new(path: tempfile::TempPath, len: u64) -> Spill {
        Spill { path, len }
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the body is empty (a spilled body never is).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `each` with consecutive chunks of the body of at most `chunk` bytes, each
    /// starting `overlap` bytes before the previous one ended, so that a value of up to
    /// `overlap` bytes is whole in some chunk.
    pub fn chunks(
        &self,
        chunk: usize,
        overlap: usize,
        mut each: impl FnMut(u64, &[u8]),
    ) -> io::Result<()> {
        let mut file = File::open(&self.path)?;
        let step = chunk.saturating_sub(overlap).max(1);
        let mut buffer = vec![0; chunk];
        let mut offset: u64 = 0;
        while offset < self.len {
            file.seek(SeekFrom::Start(offset))?;
            let mut filled = 0;
            while filled < chunk {
                match file.read(&mut buffer[filled..])? {
                    0 => break,
                    n => filled += n,
                }
            }
            each(offset, &buffer[..filled]);
            if filled < chunk {
                break;
            }
            offset += step as u64;
        }
        Ok(())
    }
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
            host: None,
            at: Instant::now(),
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.into(),
            spill: None,
            body_error: None,
        }
    }

    /// The value of the first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's length in bytes, wherever it is kept.
    pub fn body_len(&self) -> u64 {
        self.spill
            .as_ref()
            .map_or(self.body.len() as u64, |spill| spill.len())
    }
}
