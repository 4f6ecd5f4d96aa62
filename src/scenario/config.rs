//! `banter.yaml`: how to reach (and optionally start) the bot under test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::load::{invalid, ScenarioError};
use super::{AllowRule, HumanDuration, Template};
use crate::sinks::SinkSpec;

/// The run configuration. Without a `banter.yaml`, banter uses [`Config::default`]: the built-in reference bot.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The bot under test; the built-in reference bot when absent.
    #[serde(default)]
    pub bot: Option<BotConfig>,
    /// The run seed, unless `--seed` is given.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Sinks to start besides the built-in ones.
    #[serde(default)]
    pub sinks: Vec<SinkSpec>,
    /// The privacy policy of the run.
    #[serde(default)]
    pub privacy: PrivacyConfig,
    /// Settings of the built-in reference bot, used when `bot` is absent.
    #[serde(default)]
    pub demo: DemoConfig,
    /// The directory of the config file; relative paths (the bot's command) resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// Run-wide privacy settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// How long after a scenario's last turn sink requests are still collected.
    #[serde(default = "default_settle")]
    pub settle: HumanDuration,
    /// Exceptions for every scenario.
    #[serde(default)]
    pub allow: Vec<AllowRule>,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            settle: default_settle(),
            allow: Vec::new(),
        }
    }
}

fn default_settle() -> HumanDuration {
    HumanDuration(Duration::from_millis(300))
}

/// The built-in reference bot's settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Make it leak customer data to the sinks, as careless integrations do.
    #[serde(default)]
    pub leaky: bool,
}

/// Which protocol the bot speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorKind {
    /// JSON over HTTP with templated requests and JSON-pointer replies.
    #[default]
    Http,
}

/// How to talk to the bot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// The protocol.
    #[serde(default)]
    pub connector: ConnectorKind,
    /// The chat endpoint, e.g. `http://127.0.0.1:{{ port }}/chat`.
    pub url: Template,
    /// The JSON request body; every string in it is a template.
    #[serde(default = "default_request")]
    pub request: serde_json::Value,
    /// Extra request headers (templates).
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// JSON pointer to the list of bot messages in a response.
    #[serde(default = "default_replies")]
    pub replies: String,
    /// JSON pointer to the text inside one message.
    #[serde(default = "default_text")]
    pub text: String,
    /// JSON pointer to the quick replies inside one message (strings, or objects with `title`).
    #[serde(default = "default_quick_replies")]
    pub quick_replies: String,
    /// How long one turn may take.
    #[serde(default = "default_turn_timeout")]
    pub timeout: HumanDuration,
    /// Start the bot as a process for the run.
    #[serde(default)]
    pub start: Option<StartConfig>,
}

/// A bot process that banter starts, probes and stops.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartConfig {
    /// A shell command, run in the config file's directory.
    pub command: Template,
    /// Environment variables (templates: `{{ bank.url }}`, `{{ port }}`).
    #[serde(default)]
    pub env: BTreeMap<String, Template>,
    /// Readiness probe, `GET /health`, against the bot's origin; without one, banter waits for the port to accept.
    #[serde(default)]
    pub ready: Option<super::CallPattern>,
    /// How long the bot may take to become ready.
    #[serde(default = "default_start_timeout")]
    pub timeout: HumanDuration,
}

fn default_request() -> serde_json::Value {
    serde_json::json!({
        "conversation_id": "{{ conversation.id }}",
        "text": "{{ message.text }}",
        "bank_token": "{{ customer.token }}",
    })
}

fn default_replies() -> String {
    "/replies".into()
}

fn default_text() -> String {
    "/text".into()
}

fn default_quick_replies() -> String {
    "/quick_replies".into()
}

/// The default time one turn may take.
pub const DEFAULT_TURN_TIMEOUT: Duration = Duration::from_secs(10);

fn default_turn_timeout() -> HumanDuration {
    HumanDuration(DEFAULT_TURN_TIMEOUT)
}

fn default_start_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

impl BotConfig {
    /// The generic HTTP settings with the default request shape, for a bot at `url`.
    pub fn http(url: &str) -> Self {
        BotConfig {
            connector: ConnectorKind::Http,
            url: Template::from(url),
            request: default_request(),
            headers: BTreeMap::new(),
            replies: default_replies(),
            text: default_text(),
            quick_replies: default_quick_replies(),
            timeout: default_turn_timeout(),
            start: None,
        }
    }
}

impl Config {
    /// Reads a `banter.yaml`.
    pub fn load(path: &Path) -> Result<Config, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(&text).map_err(|e| invalid(path, &e))?
        };
        config.base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(config)
    }
}
