//! The OpenAI connector: a bot behind an OpenAI-compatible chat completions endpoint, plain or streamed.
//!
//! Each session keeps its conversation: every request carries the system prompt, the
//! earlier user and assistant messages and the new user message, with the conversation id
//! as `user` and the bank token in `metadata` (`{"bank_token": "{{ customer.token }}"}` by
//! default). A plain answer's `choices[0].message.content` is the bot's one message; a
//! streamed answer is Server-Sent Events whose `choices[0].delta.content` pieces are joined
//! until `data: [DONE]`. The server closes the stream after `[DONE]`, so the whole body is
//! read before it is parsed, and events split across network reads need no special care.

use serde::Deserialize;
use serde_json::{json, Value};

use super::http::HttpEndpoint;
use super::json::render_json;
use super::settings::{Headers, Metadata};
use super::{excerpt, ConnectorError, Protocol, Replies, CONVERSATION_ID};
use crate::template;
use crate::template::Template;
use crate::transcript::BotMessage;

/// The `bot:` settings of the OpenAI connector (`connector: openai`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiConfig {
    /// The chat completions endpoint, e.g. `http://127.0.0.1:8000/v1/chat/completions`.
    pub url: Option<Template>,
    /// Extra request headers.
    pub headers: Headers,
    /// JSON sent as the request's `metadata`: how the bank token reaches the bot.
    pub metadata: Metadata,
    /// The `model` of chat completion requests.
    pub model: String,
    /// The system prompt, a template.
    pub system: Template,
    /// Ask for a streamed (server-sent events) completion.
    pub stream: bool,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            url: None,
            headers: Headers::default(),
            metadata: Metadata::default(),
            model: "banter-bot".into(),
            system: Template::from("You are a helpful banking assistant. Answer the customer's questions about their accounts."),
            stream: false,
        }
    }
}

/// Talks to a bot through an OpenAI-compatible chat completions endpoint.
pub struct OpenAiConnector {
    endpoint: HttpEndpoint,
    model: String,
    system: Template,
    metadata: Value,
    stream: bool,
}

impl OpenAiConnector {
    /// A connector for the completions endpoint at `url` (already rendered), as `config` says.
    pub fn new(config: &OpenAiConfig, url: String) -> Self {
        OpenAiConnector {
            endpoint: HttpEndpoint::new("openai", &config.headers, url),
            model: config.model.clone(),
            system: config.system.clone(),
            metadata: config.metadata.get().clone(),
            stream: config.stream,
        }
    }
}

impl Protocol for OpenAiConnector {
    /// The user and assistant messages so far, oldest first.
    type State = Vec<Value>;

    fn name(&self) -> &str {
        self.endpoint.name()
    }

    fn exchange<'a>(
        &'a self,
        history: &'a mut Vec<Value>,
        context: minijinja::Value,
        text: &'a str,
    ) -> Replies<'a> {
        Box::pin(async move {
            let user = json!({ "role": "user", "content": text });
            let system = json!({
                "role": "system",
                "content": template::render(self.system.as_str(), &context)?,
            });
            let messages: Vec<&Value> = std::iter::once(&system)
                .chain(history.iter())
                .chain(std::iter::once(&user))
                .collect();
            let body = json!({
                "model": self.model,
                "messages": messages,
                "stream": self.stream,
                "user": template::render(CONVERSATION_ID, &context)?,
                "metadata": render_json(&self.metadata, &context)?,
            });
            let answer = self.endpoint.post(&body, &context).await?;
            let reply = if self.stream {
                streamed_content(self.name(), &answer)?
            } else {
                plain_content(self.name(), &answer)?
            };
            history.push(user);
            history.push(json!({ "role": "assistant", "content": reply }));
            Ok(vec![BotMessage {
                text: reply,
                quick_replies: Vec::new(),
                buttons: Vec::new(),
                handover: false,
                receipt: None,
            }])
        })
    }
}

/// The error for an answer without a text at `pointer`.
fn no_text(bot: &str, body: &str, pointer: &str) -> ConnectorError {
    ConnectorError::Shape {
        bot: bot.to_string(),
        what: format!("a text at {pointer}"),
        excerpt: excerpt(body),
    }
}

fn parse(bot: &str, text: &str) -> Result<Value, ConnectorError> {
    serde_json::from_str(text).map_err(|_| ConnectorError::NotJson {
        bot: bot.to_string(),
        excerpt: excerpt(text),
    })
}

/// `choices[0].message.content` of a plain completion.
fn plain_content(bot: &str, body: &str) -> Result<String, ConnectorError> {
    const CONTENT: &str = "/choices/0/message/content";
    parse(bot, body)?
        .pointer(CONTENT)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| no_text(bot, body, CONTENT))
}

/// The `choices[0].delta.content` pieces of a streamed completion, joined, up to `data: [DONE]`.
/// Chunks without content (the first one's role, a final usage chunk) add nothing.
fn streamed_content(bot: &str, body: &str) -> Result<String, ConnectorError> {
    let mut content = String::new();
    for line in body.lines() {
        // Other SSE fields (`event:`, `id:`, `retry:`) and `:` comments carry no content.
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        let data = data.strip_prefix(' ').unwrap_or(data);
        if data.trim() == "[DONE]" {
            return Ok(content);
        }
        const PIECE: &str = "/choices/0/delta/content";
        match parse(bot, data)?.pointer(PIECE) {
            Some(Value::String(piece)) => content.push_str(piece),
            None | Some(Value::Null) => {}
            Some(_) => return Err(no_text(bot, data, PIECE)),
        }
    }
    Err(ConnectorError::Truncated {
        bot: bot.to_string(),
        excerpt: excerpt(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_pieces_are_joined_until_done() {
        let body = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n\
                    : keep-alive\n\n\
                    data: {\"choices\":[{\"delta\":{\"content\":\"Your bal\"}}]}\r\n\r\n\
                    data:{\"choices\":[{\"delta\":{\"content\":\"ance is 3.\"}}]}\n\n\
                    data: {\"choices\":[],\"usage\":{\"total_tokens\":9}}\n\n\
                    data: [DONE]\n\n\
                    data: {\"choices\":[{\"delta\":{\"content\":\" ignored\"}}]}\n\n";
        assert_eq!(
            streamed_content("openai bot", body).unwrap(),
            "Your balance is 3."
        );
    }

    #[test]
    fn a_stream_without_done_or_with_a_bad_chunk_is_an_error() {
        let cut = "data: {\"choices\":[{\"delta\":{\"content\":\"Your\"}}]}\n\n";
        assert!(matches!(
            streamed_content("openai bot", cut),
            Err(ConnectorError::Truncated { .. })
        ));
        let bad = "data: {\"choices\":[{\"delta\":{\"content\":\n\n";
        assert!(matches!(
            streamed_content("openai bot", bad),
            Err(ConnectorError::NotJson { .. })
        ));
        let number = "data: {\"choices\":[{\"delta\":{\"content\":7}}]}\n\ndata: [DONE]\n";
        assert!(matches!(
            streamed_content("openai bot", number),
            Err(ConnectorError::Shape { .. })
        ));
    }

    #[test]
    fn a_plain_completion_needs_message_content() {
        let ok = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"}}]}"#;
        assert_eq!(plain_content("openai bot", ok).unwrap(), "Hi");
        let err = plain_content("openai bot", r#"{"choices":[]}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"the openai bot answered JSON without a text at /choices/0/message/content: {"choices":[]}"#
        );
    }
}
