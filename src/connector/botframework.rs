//! The Bot Framework connector: banter plays the channel, as the Bot Framework Emulator does.
//! It posts message Activities to the bot's `/api/messages` with a `serviceUrl` pointing at a
//! channel mock of its own, and collects the Activities the bot posts back to
//! `/v3/conversations/{id}/activities` (and `/{activityId}`), with suggested actions as quick
//! replies and hero-card buttons as buttons. No Azure account or app password is involved.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::{MockServer, Request, ResponseTemplate};

use super::http::HttpEndpoint;
use super::inbox::{serve, settle, take, FIRST_REPLY};
use super::json::{render_json, titles};
use super::settings::{Headers, Metadata};
use super::{Protocol, Replies, ServerError, CONVERSATION_ID};
use crate::sync::lock;
use crate::template;
use crate::template::Template;
use crate::transcript::{BotMessage, Receipt};

/// The `bot:` settings of the Bot Framework connector (`connector: botframework`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BotFrameworkConfig {
    /// The bot's messaging endpoint, e.g. `http://127.0.0.1:{{ port }}/api/messages`.
    pub url: Option<Template>,
    /// Extra request headers.
    pub headers: Headers,
    /// JSON sent as each Activity's `channelData`: how the bank token reaches the bot.
    pub metadata: Metadata,
}

/// An Activity the bot sent to the channel, by conversation.
struct Posted {
    conversation: String,
    at: Instant,
    activity: Value,
}

/// Talks to a Bot Framework bot as its channel.
pub struct BotFrameworkConnector {
    bot: HttpEndpoint,
    channel_data: Value,
    server: MockServer,
    posted: Arc<Mutex<Vec<Posted>>>,
}

/// The channel's answer to the bot's `POST /v3/conversations/{id}/activities[/{activityId}]`.
fn receive(posted: &Mutex<Vec<Posted>>, request: &Request) -> ResponseTemplate {
    let segments: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["v3", "conversations", conversation, "activities", ..] => {
            let activity: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let mut posted = lock(posted);
            let id = format!("activity-{}", posted.len() + 1);
            posted.push(Posted {
                conversation: conversation.to_string(),
                at: Instant::now(),
                activity,
            });
            ResponseTemplate::new(200).set_body_json(json!({ "id": id }))
        }
        _ => ResponseTemplate::new(404).set_body_json(json!({ "error": { "code": "NotFound" } })),
    }
}

/// A message Activity as the transcript shows it.
fn reply(activity: &Value) -> Option<BotMessage> {
    if activity["type"] != "message" {
        return None;
    }
    let attachments = activity["attachments"].as_array().map(Vec::as_slice);
    let card = |kind: &str| {
        attachments
            .unwrap_or_default()
            .iter()
            .find(|a| a["contentType"] == kind)
            .map(|a| &a["content"])
    };
    let receipt = card("application/vnd.microsoft.card.receipt").map(|c| {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let facts = c["facts"].as_array().map(Vec::as_slice).unwrap_or_default();
        let items = c["items"].as_array().map(Vec::as_slice).unwrap_or_default();
        Receipt {
            recipient: text(&c["title"]),
            order: facts.first().map(|f| text(&f["value"])).unwrap_or_default(),
            items: items.iter().map(|i| text(&i["title"])).collect(),
            total: text(&c["total"]),
        }
    });
    let card = card("application/vnd.microsoft.card.hero");
    let text = activity["text"]
        .as_str()
        .or_else(|| card.and_then(|c| c["text"].as_str()))
        .map(str::to_string);
    let text = match (text, &receipt) {
        (Some(text), Some(receipt)) => format!("{text}\n{}", receipt.text()),
        (None, Some(receipt)) => receipt.text(),
        (text, None) => text.unwrap_or_default(),
    };
    Some(BotMessage {
        text,
        quick_replies: titles(&activity["suggestedActions"]["actions"]),
        buttons: card.map(|c| titles(&c["buttons"])).unwrap_or_default(),
        handover: false,
        receipt,
    })
}

impl BotFrameworkConnector {
    /// Starts the channel mock for a bot whose messaging endpoint is `url`.
    pub async fn start(config: &BotFrameworkConfig, url: String) -> Result<Self, ServerError> {
        let posted = Arc::new(Mutex::new(Vec::new()));
        let recorder = posted.clone();
        let server = serve("Bot Framework channel", move |request: &Request| {
            receive(&recorder, request)
        })
        .await?;
        Ok(BotFrameworkConnector {
            bot: HttpEndpoint::new("botframework", &config.headers, url),
            channel_data: config.metadata.get().clone(),
            server,
            posted,
        })
    }
}

/// What a conversation remembers: how many Activities it has sent.
#[derive(Default)]
pub struct Conversation {
    sent: u64,
}

impl Protocol for BotFrameworkConnector {
    type State = Conversation;

    fn name(&self) -> &str {
        self.bot.name()
    }

    fn exchange<'a>(
        &'a self,
        state: &'a mut Conversation,
        context: minijinja::Value,
        text: &'a str,
    ) -> Replies<'a> {
        Box::pin(async move {
            let conversation = template::render(CONVERSATION_ID, &context)?;
            state.sent += 1;
            let activity = json!({
                "type": "message",
                "id": format!("{conversation}-{}", state.sent),
                "timestamp": "2026-06-30T00:00:00Z",
                "channelId": "emulator",
                "serviceUrl": self.server.uri(),
                "from": { "id": format!("user-{conversation}"), "name": "User", "role": "user" },
                "recipient": { "id": "bot", "name": "Bot", "role": "bot" },
                "conversation": { "id": conversation },
                "locale": "en-US",
                "text": text,
                "channelData": render_json(&self.channel_data, &context)?,
            });
            let since = Instant::now();
            self.bot.post(&activity, &context).await?;
            let belongs = |p: &Posted| p.conversation == conversation;
            let count = || {
                lock(&self.posted)
                    .iter()
                    .filter(|p| belongs(p) && p.at >= since)
                    .count()
            };
            settle(count, FIRST_REPLY, &context, || false).await;
            // Taking the activities out keeps the log bounded; earlier ones were a previous turn's.
            let mine = take(&mut lock(&self.posted), belongs);
            Ok(mine
                .iter()
                .filter(|p| p.at >= since)
                .filter_map(|p| reply(&p.activity))
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_card_reads_as_a_receipt() {
        let activity = json!({ "type": "message", "text": "Done.", "attachments": [{
            "contentType": "application/vnd.microsoft.card.receipt",
            "content": { "title": "Maria Garcia", "facts": [{ "key": "Order", "value": "pmt_1" }],
                "items": [{ "title": "Payment", "price": "$25.00" }], "total": "$25.00" } }] });
        let message = reply(&activity).expect("a message");
        assert_eq!(
            message.text,
            "Done.\nReceipt for Maria Garcia (order pmt_1): Payment; total $25.00"
        );
        let receipt = message.receipt.expect("a receipt");
        assert_eq!(
            (receipt.recipient.as_str(), receipt.total.as_str()),
            ("Maria Garcia", "$25.00")
        );
        let plain = reply(&json!({ "type": "message", "text": "Hi" })).expect("a message");
        assert_eq!((plain.text.as_str(), plain.receipt), ("Hi", None));
    }
}
