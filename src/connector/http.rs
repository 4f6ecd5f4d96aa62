//! The generic HTTP connector: a templated JSON request per turn, replies picked out by JSON pointers.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::{excerpt, BoxFuture, Connector, ConnectorError, Session};
use crate::scenario::BotConfig;
use crate::template::{self, TemplateError};
use crate::transcript::BotMessage;

/// Talks JSON over HTTP, as configured in `banter.yaml`'s `bot:` section.
pub struct HttpConnector {
    shared: Arc<Shared>,
}

struct Shared {
    client: reqwest::Client,
    url: String,
    request: Value,
    headers: BTreeMap<String, String>,
    replies: String,
    text: String,
    quick_replies: String,
}

impl HttpConnector {
    /// A connector for the bot at `url` (already rendered), shaped by `config`.
    pub fn new(config: &BotConfig, url: String) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        HttpConnector {
            shared: Arc::new(Shared {
                client,
                url,
                request: config.request.clone(),
                headers: config
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().to_string()))
                    .collect(),
                replies: config.replies.clone(),
                text: config.text.clone(),
                quick_replies: config.quick_replies.clone(),
            }),
        }
    }
}

impl Connector for HttpConnector {
    fn describe(&self) -> String {
        format!("http bot at {}", self.shared.url)
    }

    fn open(&self, context: minijinja::Value) -> Box<dyn Session> {
        Box::new(HttpSession {
            shared: self.shared.clone(),
            context,
        })
    }
}

struct HttpSession {
    shared: Arc<Shared>,
    context: minijinja::Value,
}

/// Renders every string inside a JSON value as a template.
fn render_json(value: &Value, context: &minijinja::Value) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(s) => Value::String(template::render(s, context)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, context))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json(v, context)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

fn quick_reply_title(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => ["title", "text", "payload"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
}

impl Shared {
    fn extract(&self, body: &str) -> Result<Vec<BotMessage>, ConnectorError> {
        let json: Value = serde_json::from_str(body).map_err(|_| ConnectorError::NotJson {
            url: self.url.clone(),
            excerpt: excerpt(body),
        })?;
        let shape = |what: String| ConnectorError::Shape {
            url: self.url.clone(),
            what,
            excerpt: excerpt(body),
        };
        let list = json
            .pointer(&self.replies)
            .and_then(Value::as_array)
            .ok_or_else(|| shape(format!("a list at {}", self.replies)))?;
        list.iter()
            .enumerate()
            .map(|(i, message)| {
                let text = match message.pointer(&self.text) {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(shape(format!(
                            "a text at {}/{i}{}",
                            self.replies, self.text
                        )))
                    }
                };
                let quick_replies = message
                    .pointer(&self.quick_replies)
                    .and_then(Value::as_array)
                    .map(|items| items.iter().filter_map(quick_reply_title).collect())
                    .unwrap_or_default();
                Ok(BotMessage {
                    text,
                    quick_replies,
                })
            })
            .collect()
    }
}

impl Session for HttpSession {
    fn send<'a>(
        &'a mut self,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Vec<BotMessage>, ConnectorError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let context = minijinja::context! { message => minijinja::context! { text }, ..self.context.clone() };
            let body = render_json(&shared.request, &context)?;
            let mut request = shared.client.post(&shared.url).json(&body);
            for (name, value) in &shared.headers {
                request = request.header(name, template::render(value, &context)?);
            }
            let unreachable = |e: reqwest::Error| ConnectorError::Unreachable {
                url: shared.url.clone(),
                reason: describe_error(&e),
            };
            let response = request.send().await.map_err(unreachable)?;
            let status = response.status();
            let text = response.text().await.map_err(unreachable)?;
            if !status.is_success() {
                return Err(ConnectorError::Status {
                    url: shared.url.clone(),
                    status: status.as_u16(),
                    body: excerpt(&text),
                });
            }
            shared.extract(&text)
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
