//! Connectors: how banter talks to a bot. One trait, one file per protocol.
//!
//! A [`Connector`] is set up once per run; it opens one [`Session`] per scenario,
//! which sends user messages and returns the bot's replies for that turn.
//! Turn timeouts are applied by the runner, the same for every protocol.
//! Each protocol implements [`Protocol`], and is a connector once shared in an [`Arc`]:
//! [`HttpConnector`] (generic JSON, and Rasa's REST channel: [`HttpConnector::rasa`]),
//! [`OpenAiConnector`] (chat completions, plain or streamed) and [`StdioConnector`]
//! (JSON lines with a process banter starts), and [`MessengerConnector`] (banter plays the
//! Messenger Platform: signed webhooks and a Graph mock for the Send API). Templated JSON and JSON-pointer replies
//! are shared in `json`, and the `bot:` setting types several protocols read in `settings`. Each protocol's file also owns its `bot:` settings in `banter.yaml`
//! ([`HttpConfig`], [`RasaConfig`], …), which `scenario::config` reads by the `connector:` key.

mod botframework;
mod http;
mod inbox;
mod json;
mod messenger;
mod openai;
pub mod process;
mod rasa;
mod settings;
mod stdio;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use botframework::{BotFrameworkConfig, BotFrameworkConnector};
pub use http::{HttpConfig, HttpConnector};
pub use messenger::{signature, MessengerConfig, MessengerConnector};
pub use openai::{OpenAiConfig, OpenAiConnector};
pub use rasa::RasaConfig;
pub use settings::{
    DefaultOf, Defaulted, Headers, JsonPointer, Metadata, MetadataDefault, PointerDefault,
    QuickRepliesDefault, QuickRepliesPointer, RepliesDefault, RepliesPointer, Request,
    RequestDefault, TextDefault, TextPointer,
};
pub use stdio::{StdioConfig, StdioConnector};

use crate::template::TemplateError;
use crate::transcript::{BotMessage, UserMessage};

/// The conversation id as a template: what Rasa's `sender` and OpenAI's `user` carry.
const CONVERSATION_ID: &str = "{{ conversation.id }}";

/// The template variables of one turn: the session's, plus `message.text` and `message.kind`
/// (`text`, `quick_reply` or `postback`).
fn turn_context(session: &minijinja::Value, message: &UserMessage) -> minijinja::Value {
    let UserMessage {
        text,
        kind,
        expected_replies,
    } = message;
    minijinja::context! { message => minijinja::context! { text, kind, expected_replies }, ..session.clone() }
}

/// A boxed future, so that connectors can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The bot's replies to one turn, or why there are none.
pub type Replies<'a> = BoxFuture<'a, Result<Vec<BotMessage>, ConnectorError>>;

/// A protocol for talking to a bot.
pub trait Connector: Send + Sync {
    /// A short description naming the bot, such as `http bot at http://127.0.0.1:5000/chat`.
    fn describe(&self) -> String;

    /// Opens the conversation of one scenario. `context` holds the template variables
    /// (`customer`, `bank`, `conversation`, `port`).
    fn open(&self, context: minijinja::Value) -> Box<dyn Session>;
}

/// One conversation with the bot.
pub trait Session: Send {
    /// Sends the user's message and returns the bot's replies to it.
    fn send<'a>(&'a mut self, message: &'a UserMessage) -> Replies<'a>;
}

/// One way of exchanging a turn with a bot. Shared in an [`Arc`], a protocol is a
/// [`Connector`] whose sessions keep their template variables and their [`Protocol::State`].
pub trait Protocol: Send + Sync + 'static {
    /// What a session remembers between turns (the OpenAI history); `()` for most protocols.
    type State: Default + Send;

    /// How errors and reports name the bot, such as `rasa bot at http://127.0.0.1:5005/webhooks/rest/webhook`.
    fn name(&self) -> &str;

    /// Whether the protocol has a webhook that `user: { webhook: … }` checks can probe.
    fn checks_webhooks(&self) -> bool {
        false
    }

    /// Sends the user's `text` and returns the bot's replies; `context` holds the turn's
    /// template variables, `message.text` and `message.kind` included.
    fn exchange<'a>(
        &'a self,
        state: &'a mut Self::State,
        context: minijinja::Value,
        text: &'a str,
    ) -> Replies<'a>;
}

impl<P: Protocol> Connector for Arc<P> {
    fn describe(&self) -> String {
        self.name().to_string()
    }

    fn open(&self, context: minijinja::Value) -> Box<dyn Session> {
        Box::new(ProtocolSession {
            protocol: self.clone(),
            state: P::State::default(),
            context,
        })
    }
}

/// A conversation over a shared protocol.
struct ProtocolSession<P: Protocol> {
    protocol: Arc<P>,
    state: P::State,
    context: minijinja::Value,
}

impl<P: Protocol> Session for ProtocolSession<P> {
    fn send<'a>(&'a mut self, message: &'a UserMessage) -> Replies<'a> {
        if message.kind.is_webhook_check() && !self.protocol.checks_webhooks() {
            let bot = self.protocol.name().to_string();
            return Box::pin(async move { Err(ConnectorError::NoWebhook { bot }) });
        }
        let context = turn_context(&self.context, message);
        self.protocol
            .exchange(&mut self.state, context, &message.text)
    }
}

/// A turn could not be completed. Messages name the bot and the cause; the runner adds the turn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// The Messenger webhook did not pass the verification handshake.
    #[error("the {bot} failed the webhook verification: it {detail}")]
    Handshake {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// What it answered.
        detail: String,
    },
    /// A webhook check failed: the bot took an event it should have refused.
    #[error("the {bot} {detail}")]
    Webhook {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// What it did wrong.
        detail: String,
    },
    /// A webhook check was asked of a protocol without a webhook.
    #[error("the {bot} has no webhook to check: `user: {{ webhook: … }}` steps need the messenger connector")]
    NoWebhook {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
    },
    /// The bot made a Send API call that the Graph API refuses.
    #[error("the {bot} made a Send API call the Graph API refuses: {detail}")]
    SendApi {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// Why it was refused.
        detail: String,
    },
    /// Connecting or sending failed.
    #[error("cannot reach the bot at {url}: {reason}")]
    Unreachable {
        /// The bot's endpoint.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The bot answered with an error status.
    #[error("the bot at {url} answered HTTP {status}: {body}")]
    Status {
        /// The bot's endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The reply was not JSON.
    #[error("the {bot} answered with a body that is not JSON: {excerpt}")]
    NotJson {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// The start of the body.
        excerpt: String,
    },
    /// The reply was JSON of the wrong shape.
    #[error("the {bot} answered JSON without {what}: {excerpt}")]
    Shape {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// What was missing, e.g. `a list at /replies`.
        what: String,
        /// The start of the body.
        excerpt: String,
    },
    /// A streamed reply ended before its end marker.
    #[error("the {bot} ended its stream without `data: [DONE]`: {excerpt}")]
    Truncated {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// The start of the body.
        excerpt: String,
    },
    /// Writing to or reading from a bot process's pipes failed.
    #[error("cannot talk to the {bot} over its stdin and stdout: {reason}")]
    Pipe {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
        /// The I/O error.
        reason: String,
    },
    /// A bot process closed its stdout: it exited or is about to. The runner adds the exit status.
    #[error("the {bot} closed its stdout without answering")]
    Closed {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
    },
    /// An earlier message to a bot process was cut off by the turn timeout; its late answer
    /// would be taken for the answer to this one, so the process cannot be used any more.
    #[error("the {bot} did not answer a previous message in time, so its answers can no longer be matched to messages")]
    Desynchronised {
        /// The bot, as its connector names it (`http bot at …`).
        bot: String,
    },
    /// A request template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// A server that a connector runs for the bot to call (the Messenger Graph mock, the Bot
/// Framework channel) could not listen.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the {server} for the bot on {address}: {source}")]
pub struct ServerError {
    /// Which server, such as `Messenger Graph mock`.
    pub server: &'static str,
    /// The address it would listen on.
    pub address: &'static str,
    /// Why it could not bind.
    #[source]
    pub source: std::io::Error,
}

/// The first 200 characters of a body, on one line, for error messages.
pub fn excerpt(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty body)".into();
    }
    match one_line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
