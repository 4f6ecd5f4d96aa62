//! The generic HTTP connector: its `bot:` settings, a templated JSON request per turn, replies
//! picked out by JSON pointers; and the HTTP endpoint it shares with the other HTTP-based connectors.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::json::{render_json, ReplyShape};
use super::settings::{Headers, QuickRepliesPointer, RepliesPointer, Request, TextPointer};
use super::{excerpt, ConnectorError, Protocol, Replies};
use crate::template;
use crate::template::Template;

/// The `bot:` settings of the generic HTTP connector (`connector: http`, the default).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The chat endpoint, e.g. `http://127.0.0.1:{{ port }}/chat`.
    pub url: Option<Template>,
    /// The JSON request body; every string in it is a template.
    pub request: Request,
    /// Extra request headers.
    pub headers: Headers,
    /// JSON pointer to the list of bot messages in a response.
    pub replies: RepliesPointer,
    /// JSON pointer to the text inside one message.
    pub text: TextPointer,
    /// JSON pointer to the quick replies inside one message, strings or objects with `title`.
    pub quick_replies: QuickRepliesPointer,
}

impl HttpConfig {
    /// The default request and reply shape, for a bot at `url`.
    pub fn new(url: &str) -> Self {
        HttpConfig {
            url: Some(Template::from(url)),
            ..HttpConfig::default()
        }
    }
}

/// An HTTP endpoint that takes JSON: the URL, the templated headers, and the client.
/// The generic, Rasa and OpenAI connectors post through it.
pub(super) struct HttpEndpoint {
    client: reqwest::Client,
    url: String,
    headers: BTreeMap<String, String>,
    /// How errors and reports name the bot, e.g. `rasa bot at http://…`.
    name: String,
}

impl HttpEndpoint {
    /// The endpoint at `url` (already rendered) for a bot speaking `protocol`, with these headers.
    pub(super) fn new(protocol: &str, headers: &Headers, url: String) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        HttpEndpoint {
            client,
            name: format!("{protocol} bot at {url}"),
            url,
            headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().to_string()))
                .collect(),
        }
    }

    /// How errors and reports name the bot.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Posts `body` with the headers rendered in `context`, and returns the body of a 2xx answer.
    pub(super) async fn post(
        &self,
        body: &Value,
        context: &minijinja::Value,
    ) -> Result<String, ConnectorError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.post_bytes(bytes, &[], context).await
    }

    /// Posts JSON `bytes` exactly as given (a signature may cover them), with `extra` headers
    /// and the configured ones rendered in `context`; returns the body of a 2xx answer.
    pub(super) async fn post_bytes(
        &self,
        bytes: Vec<u8>,
        extra: &[(&str, String)],
        context: &minijinja::Value,
    ) -> Result<String, ConnectorError> {
        let mut request = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes);
        for (name, value) in extra {
            request = request.header(*name, value);
        }
        for (name, value) in &self.headers {
            request = request.header(name, template::render(value, context)?);
        }
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.unreachable(&e))?;
        if !status.is_success() {
            return Err(ConnectorError::Status {
                url: self.url.clone(),
                status: status.as_u16(),
                body: excerpt(&text),
            });
        }
        Ok(text)
    }

    /// Gets `url` (relative to the endpoint's) and returns the status and body.
    pub(super) async fn get(
        &self,
        query: &[(&str, &str)],
    ) -> Result<(u16, String), ConnectorError> {
        let response = self
            .client
            .get(&self.url)
            .query(query)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| self.unreachable(&e))?;
        Ok((status, text))
    }

    fn unreachable(&self, e: &reqwest::Error) -> ConnectorError {
        ConnectorError::Unreachable {
            url: self.url.clone(),
            reason: describe_error(e),
        }
    }
}

/// Talks JSON over HTTP, as configured in `banter.yaml`'s `bot:` section.
pub struct HttpConnector {
    endpoint: HttpEndpoint,
    request: Value,
    shape: ReplyShape,
}

impl HttpConnector {
    /// A connector for the bot at `url` (already rendered), shaped by `config`.
    pub fn new(config: &HttpConfig, url: String) -> Self {
        HttpConnector::with(
            HttpEndpoint::new("http", &config.headers, url),
            config.request.get().clone(),
            ReplyShape::pointers(&config.replies, &config.text, &config.quick_replies),
        )
    }

    /// Posts `request` (every string a template) to `endpoint`, and reads answers as `shape` says.
    pub(super) fn with(endpoint: HttpEndpoint, request: Value, shape: ReplyShape) -> Self {
        HttpConnector {
            endpoint,
            request,
            shape,
        }
    }
}

impl Protocol for HttpConnector {
    type State = ();

    fn name(&self) -> &str {
        self.endpoint.name()
    }

    fn exchange<'a>(&'a self, _: &'a mut (), context: minijinja::Value, _: &'a str) -> Replies<'a> {
        Box::pin(async move {
            let body = render_json(&self.request, &context)?;
            let answer = self.endpoint.post(&body, &context).await?;
            self.shape.extract(self.name(), &answer)
        })
    }
}

/// reqwest's causes, e.g. "client error (Connect): tcp connect error: Connection refused".
fn describe_error(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "the request timed out".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}
