//! The crate's top-level error: everything that stops a run from starting or finishing (exit code 2).

use crate::bank::BankError;
use crate::connector::process::ProcessError;
use crate::connector::{ConnectorError, ServerError};
use crate::demo::DemoError;
use crate::proxy::ProxyError;
use crate::scenario::{BotConfigError, ScenarioError};
use crate::sinks::SinkError;
use crate::template::TemplateError;

/// A run could not be set up or completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scenario file or `banter.yaml` is unreadable or invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The mock bank could not start.
    #[error(transparent)]
    Bank(#[from] BankError),
    /// A sink could not start.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The capture proxy could not start.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// The capture proxy's settings could not be passed to the bot (a path that reads as a
    /// template).
    #[error("capture proxy: cannot pass a setting to the bot: {0}")]
    ProxyEnv(String),
    /// The demo bot could not start.
    #[error(transparent)]
    Demo(#[from] DemoError),
    /// The bot process could not start or become ready.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The bot's settings do not fit its connector (for a config built in code; a file's are checked when loaded).
    #[error("bot config: {0}")]
    BotConfig(#[from] BotConfigError),
    /// The bot failed a check before the first scenario (the Messenger webhook handshake).
    #[error("{0}")]
    Bot(#[source] ConnectorError),
    /// The bot's URL template failed.
    #[error("bot url: {0}")]
    Template(#[from] TemplateError),
    /// The bot's URL is not a valid URL.
    #[error("bot url `{url}` is not a valid URL: {reason}")]
    BotUrl {
        /// The rendered URL.
        url: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A server that the connector runs for the bot could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// No free port could be found for the bot.
    #[error("cannot find a free port on 127.0.0.1 for the bot: {0}")]
    Port(#[source] std::io::Error),
    /// The run's tokens and authorization codes could not be prepared for redaction.
    #[error("cannot prepare the redaction of the run's tokens: {0}")]
    Redaction(#[from] aho_corasick::BuildError),
    /// The needles of the run's customers could not be prepared.
    #[error("{0}")]
    Needles(String),
    /// The filters selected no scenario.
    #[error("no scenario matches the given --filter/--tag")]
    NothingSelected,
}
