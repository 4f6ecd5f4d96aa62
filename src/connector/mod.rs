//! Connectors: how banter talks to a bot. One trait, one file per protocol.
//!
//! A [`Connector`] is set up once per run; it opens one [`Session`] per scenario,
//! which sends user messages and returns the bot's replies for that turn.
//! Turn timeouts are applied by the runner, the same for every protocol.

mod http;
pub mod process;

use std::future::Future;
use std::pin::Pin;

pub use http::HttpConnector;

use crate::template::TemplateError;
use crate::transcript::BotMessage;

/// A boxed future, so that connectors can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
    fn send<'a>(
        &'a mut self,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Vec<BotMessage>, ConnectorError>>;
}

/// A turn could not be completed. Messages name the bot and the cause; the runner adds the turn.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
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
    #[error("the bot at {url} answered with a body that is not JSON: {excerpt}")]
    NotJson {
        /// The bot's endpoint.
        url: String,
        /// The start of the body.
        excerpt: String,
    },
    /// The reply was JSON of the wrong shape.
    #[error("the bot at {url} answered JSON without {what}: {excerpt}")]
    Shape {
        /// The bot's endpoint.
        url: String,
        /// What was missing, e.g. `a list at /replies`.
        what: String,
        /// The start of the body.
        excerpt: String,
    },
    /// A request template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
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
