//! The Rasa connector: Rasa's REST channel, one `POST /webhooks/rest/webhook` per user message.
//!
//! The request is `{"sender": <conversation id>, "message": <text>, "metadata": <templated>}`;
//! Rasa passes `metadata` through to the tracker, which is how the bank token reaches the bot
//! (`{"bank_token": "{{ customer.token }}"}` by default). The answer is a list of
//! `{recipient_id, text?, buttons?: [{title, payload}], image?, custom?}`: every entry with a
//! text is a message, its buttons' titles are the quick replies, and entries without text are
//! skipped. That is the generic HTTP connector with a fixed request and reply shape.

use serde::Deserialize;
use serde_json::json;

use super::http::{HttpConnector, HttpEndpoint};
use super::json::ReplyShape;
use super::settings::{Headers, Metadata};
use super::CONVERSATION_ID;
use crate::template::Template;

/// The `bot:` settings of the Rasa connector (`connector: rasa`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RasaConfig {
    /// The REST webhook, e.g. `http://127.0.0.1:5005/webhooks/rest/webhook`.
    pub url: Option<Template>,
    /// Extra request headers.
    pub headers: Headers,
    /// JSON sent as the request's `metadata`: how the bank token reaches the bot.
    pub metadata: Metadata,
}

impl HttpConnector {
    /// A connector for Rasa's REST webhook at `url` (already rendered), with `config`'s headers and metadata.
    pub fn rasa(config: &RasaConfig, url: String) -> Self {
        let request = json!({
            "sender": CONVERSATION_ID,
            "message": "{{ message.text }}",
            "metadata": config.metadata.get(),
        });
        HttpConnector::with(
            HttpEndpoint::new("rasa", &config.headers, url),
            request,
            ReplyShape::rasa(),
        )
    }
}
