//! `banter.yaml`: how to reach (and optionally start) the bot under test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::load::{check_depth, invalid, read_regular, ScenarioError};
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
    /// Rasa's REST channel (`/webhooks/rest/webhook`).
    Rasa,
    /// An OpenAI-compatible chat completions endpoint, plain or streamed.
    Openai,
    /// JSON lines on the stdin and stdout of a process banter starts.
    Stdio,
    /// The Messenger Platform: signed webhooks in, the Send API out.
    Messenger,
    /// The Bot Framework: Activities in, replies posted back to the channel.
    Botframework,
}

impl ConnectorKind {
    const ALL: [ConnectorKind; 6] = [
        ConnectorKind::Http,
        ConnectorKind::Rasa,
        ConnectorKind::Openai,
        ConnectorKind::Stdio,
        ConnectorKind::Messenger,
        ConnectorKind::Botframework,
    ];

    /// The name written in `banter.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectorKind::Http => "http",
            ConnectorKind::Rasa => "rasa",
            ConnectorKind::Openai => "openai",
            ConnectorKind::Stdio => "stdio",
            ConnectorKind::Messenger => "messenger",
            ConnectorKind::Botframework => "botframework",
        }
    }

    /// The `bot:` keys this connector uses besides `connector`, `timeout` and `start`.
    fn keys(self) -> &'static [&'static str] {
        match self {
            ConnectorKind::Http => &[
                "url",
                "request",
                "headers",
                "replies",
                "text",
                "quick_replies",
            ],
            ConnectorKind::Rasa => &["url", "headers", "metadata"],
            ConnectorKind::Openai => &["url", "headers", "metadata", "model", "system", "stream"],
            ConnectorKind::Stdio => &["request", "replies", "text", "quick_replies"],
            ConnectorKind::Messenger => {
                &["url", "headers", "app_secret", "verify_token", "page_token"]
            }
            ConnectorKind::Botframework => &["url", "headers", "metadata"],
        }
    }
}

/// How to talk to the bot. Each connector uses some of the keys (see [`ConnectorKind`]);
/// [`BotConfig::validate`] rejects a key set for a connector that does not use it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    /// The protocol.
    #[serde(default)]
    pub connector: ConnectorKind,
    /// The chat endpoint, e.g. `http://127.0.0.1:{{ port }}/chat` (http, rasa, openai).
    #[serde(default)]
    pub url: Option<Template>,
    /// The JSON request body (http) or line (stdio); every string in it is a template.
    #[serde(default = "default_request")]
    pub request: serde_json::Value,
    /// Extra request headers, templates (http, rasa, openai), e.g. `Authorization: "Bearer …"`.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// JSON pointer to the list of bot messages in a response (http, stdio).
    #[serde(
        default = "default_replies",
        deserialize_with = "super::scalar::json_pointer"
    )]
    pub replies: String,
    /// JSON pointer to the text inside one message (http, stdio).
    #[serde(
        default = "default_text",
        deserialize_with = "super::scalar::json_pointer"
    )]
    pub text: String,
    /// JSON pointer to the quick replies inside one message, strings or objects with `title` (http, stdio).
    #[serde(
        default = "default_quick_replies",
        deserialize_with = "super::scalar::json_pointer"
    )]
    pub quick_replies: String,
    /// JSON sent as the request's `metadata`, every string a template (rasa, openai): how the bank token reaches the bot.
    #[serde(default = "default_metadata")]
    pub metadata: serde_json::Value,
    /// The `model` of chat completion requests (openai).
    #[serde(default = "default_model")]
    pub model: String,
    /// The system prompt, a template (openai).
    #[serde(default = "default_system")]
    pub system: Template,
    /// Ask for a streamed (server-sent events) completion (openai).
    #[serde(default)]
    pub stream: bool,
    /// The app secret that signs webhook bodies (messenger); `{{ messenger.app_secret }}` in templates.
    #[serde(default = "default_app_secret")]
    pub app_secret: String,
    /// The token of the webhook verification handshake (messenger).
    #[serde(default = "default_verify_token")]
    pub verify_token: String,
    /// The page access token the bot must send to the Send API (messenger).
    #[serde(default = "default_page_token")]
    pub page_token: String,
    /// How long one turn may take.
    #[serde(default = "default_turn_timeout")]
    pub timeout: HumanDuration,
    /// Start the bot as a process for the run (required by stdio).
    #[serde(default)]
    pub start: Option<StartConfig>,
}

/// Where the bot is reached, per connector: what [`BotConfig::validate`] found.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'a> {
    /// The generic HTTP connector at this URL.
    Http(&'a Template),
    /// Rasa's REST channel at this URL.
    Rasa(&'a Template),
    /// An OpenAI-compatible endpoint at this URL.
    Openai(&'a Template),
    /// A process speaking JSON lines, started as configured.
    Stdio(&'a StartConfig),
    /// A Messenger webhook at this URL.
    Messenger(&'a Template),
    /// A Bot Framework messaging endpoint at this URL.
    Botframework(&'a Template),
}

/// A `bot:` setting that parses but does not fit the connector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct BotConfigError {
    /// The key, such as `bot.url`.
    pub key: String,
    /// What is wrong.
    pub message: String,
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

fn default_metadata() -> serde_json::Value {
    serde_json::json!({ "bank_token": "{{ customer.token }}" })
}

fn default_app_secret() -> String {
    "banter-app-secret".into()
}

fn default_verify_token() -> String {
    "banter-verify-token".into()
}

fn default_page_token() -> String {
    "banter-page-token".into()
}

fn default_model() -> String {
    "banter-bot".into()
}

fn default_system() -> Template {
    Template::from("You are a helpful banking assistant. Answer the customer's questions about their accounts.")
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
    /// The default settings of `connector`, without a URL or a process to start.
    fn defaults(connector: ConnectorKind) -> Self {
        BotConfig {
            connector,
            url: None,
            request: default_request(),
            headers: BTreeMap::new(),
            replies: default_replies(),
            text: default_text(),
            quick_replies: default_quick_replies(),
            metadata: default_metadata(),
            model: default_model(),
            system: default_system(),
            stream: false,
            app_secret: default_app_secret(),
            verify_token: default_verify_token(),
            page_token: default_page_token(),
            timeout: default_turn_timeout(),
            start: None,
        }
    }

    /// The generic HTTP settings with the default request shape, for a bot at `url`.
    pub fn http(url: &str) -> Self {
        BotConfig {
            url: Some(Template::from(url)),
            ..BotConfig::defaults(ConnectorKind::Http)
        }
    }

    /// Checks that the settings fit the connector, and says where the bot is reached.
    /// A key counts as given when it differs from its default: writing a default out is harmless.
    pub fn validate(&self) -> Result<Endpoint<'_>, BotConfigError> {
        let kind = self.connector;
        let defaults = BotConfig::defaults(kind);
        let given = [
            ("url", self.url.is_some()),
            ("request", self.request != defaults.request),
            ("headers", !self.headers.is_empty()),
            ("replies", self.replies != defaults.replies),
            ("text", self.text != defaults.text),
            (
                "quick_replies",
                self.quick_replies != defaults.quick_replies,
            ),
            ("metadata", self.metadata != defaults.metadata),
            ("model", self.model != defaults.model),
            ("system", self.system != defaults.system),
            ("stream", self.stream != defaults.stream),
            ("app_secret", self.app_secret != defaults.app_secret),
            ("verify_token", self.verify_token != defaults.verify_token),
            ("page_token", self.page_token != defaults.page_token),
        ];
        for (key, pointer) in [
            ("replies", &self.replies),
            ("text", &self.text),
            ("quick_replies", &self.quick_replies),
        ] {
            super::scalar::check_json_pointer(pointer).map_err(|message| BotConfigError {
                key: format!("bot.{key}"),
                message,
            })?;
        }
        if let Some((key, _)) = given
            .iter()
            .find(|(key, given)| *given && !kind.keys().contains(key))
        {
            let users: Vec<&str> = ConnectorKind::ALL
                .iter()
                .filter(|k| k.keys().contains(key))
                .map(|k| k.name())
                .collect();
            return Err(BotConfigError {
                key: format!("bot.{key}"),
                message: format!(
                    "connector {} does not use it (used by {})",
                    kind.name(),
                    users.join(", ")
                ),
            });
        }
        let url = || {
            self.url.as_ref().ok_or_else(|| BotConfigError {
                key: "bot.url".into(),
                message: format!("connector {} needs the bot's URL", kind.name()),
            })
        };
        Ok(match kind {
            ConnectorKind::Http => Endpoint::Http(url()?),
            ConnectorKind::Rasa => Endpoint::Rasa(url()?),
            ConnectorKind::Openai => Endpoint::Openai(url()?),
            ConnectorKind::Stdio => Endpoint::Stdio(self.stdio_start()?),
            ConnectorKind::Messenger => Endpoint::Messenger(url()?),
            ConnectorKind::Botframework => Endpoint::Botframework(url()?),
        })
    }

    /// The process of a stdio bot: required, and without readiness settings, since there is no port to probe.
    fn stdio_start(&self) -> Result<&StartConfig, BotConfigError> {
        const NEEDED: &str = "connector stdio needs the command that starts the bot, \
                              which then talks JSON lines on its stdin and stdout";
        const UNUSED: &str = "connector stdio does not use it: the bot talks on its stdin \
                              and stdout, so there is no readiness to wait for";
        let error = |key: &str, message: &str| BotConfigError {
            key: format!("bot.start.{key}"),
            message: message.into(),
        };
        let start = self
            .start
            .as_ref()
            .ok_or_else(|| error("command", NEEDED))?;
        if start.ready.is_some() {
            return Err(error("ready", UNUSED));
        }
        if start.timeout != default_start_timeout() {
            return Err(error("timeout", UNUSED));
        }
        Ok(start)
    }
}

impl Config {
    /// Reads a `banter.yaml`.
    pub fn load(path: &Path) -> Result<Config, ScenarioError> {
        let text = read_regular(path)?;
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            check_depth(path, &text)?;
            serde_yaml::from_str(&text).map_err(|e| invalid(path, &e))?
        };
        if let Some(bot) = &config.bot {
            bot.validate().map_err(|source| ScenarioError::Setting {
                path: path.to_path_buf(),
                source,
            })?;
        }
        config.base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(config)
    }
}
