//! `banter.yaml`: how to reach (and optionally start) the bot under test.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::fmt;
use std::marker::PhantomData;

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::load::{check_depth, invalid, read_regular, ScenarioError};
use super::simulate::SimulateConfig;
use super::{AllowRule, MoneyChecks};
use crate::connector::process::{StartConfig, DEFAULT_START_TIMEOUT};
use crate::connector::{
    BotFrameworkConfig, HttpConfig, MessengerConfig, OpenAiConfig, RasaConfig, StdioConfig,
};
use crate::duration::HumanDuration;
use crate::sinks::{Service, SinkSpec};
use crate::template::Template;

/// The run configuration. Without a `banter.yaml`, banter uses [`Config::default`]: the built-in demo bot.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The bot under test; the built-in demo bot when absent.
    pub bot: Option<BotConfig>,
    /// The run seed, unless `--seed` is given.
    pub seed: Option<u64>,
    /// Sinks to start besides the built-in ones.
    pub sinks: Vec<SinkSpec>,
    /// The privacy policy of the run.
    pub privacy: PrivacyConfig,
    /// Settings of the built-in demo bot, used when `bot` is absent.
    pub demo: DemoConfig,
    /// How the bot's outbound calls are captured.
    pub capture: CaptureConfig,
    /// Settings of `banter certify`: the phrasing of each intent.
    pub certify: CertifyConfig,
    /// The built-in money checks of scenarios that do not set their own.
    pub money: MoneyChecks,
    /// Settings of `banter simulate`: probabilistic bank faults and thresholds.
    pub simulate: SimulateConfig,
    /// The directory of the config file; relative paths (the bot's command) resolve against it.
    pub base_dir: PathBuf,
}

/// Run-wide privacy settings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// How long after a scenario's last turn sink requests are still collected.
    #[serde(default = "default_settle")]
    pub settle: HumanDuration,
    /// Exceptions for every scenario.
    #[serde(default)]
    pub allow: Vec<AllowRule>,
    /// The financial-status vocabulary: terms to add, built-in terms to allow.
    #[serde(default)]
    pub status: StatusConfig,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            settle: default_settle(),
            allow: Vec::new(),
            status: StatusConfig::default(),
        }
    }
}

/// `privacy.status`: the financial-status terms of the run besides the built-in ones.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusConfig {
    /// Terms to look for too, in any casing: `payday advance`, `credit-line-cut`.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Built-in terms not to look for, in any casing: `income`.
    #[serde(default)]
    pub allow: Vec<String>,
}

fn default_settle() -> HumanDuration {
    HumanDuration(Duration::from_millis(300))
}

/// How the bot's outbound calls are captured.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureConfig {
    /// Run the capture proxy: by default, only for a bot that banter starts (it is pointed
    /// at the proxy); `true` runs it for a bot started elsewhere too.
    #[serde(default)]
    pub proxy: Option<bool>,
    /// The proxy's address on the loopback; a free port of 127.0.0.1 by default.
    #[serde(default)]
    pub listen: Option<LoopbackAddr>,
    /// A directory that keeps the proxy's CA across runs (made once, reused after), so that
    /// it can be installed in the bot's trust store; by default the CA is made for the run.
    #[serde(default)]
    pub ca_dir: Option<PathBuf>,
    /// Hosts whose requests the proxy takes to the mock bank.
    #[serde(default)]
    pub bank_hosts: Vec<String>,
    /// Hosts (globs) whose requests the proxy takes to a sink.
    #[serde(default)]
    pub hosts: Vec<HostRoute>,
    /// What a customer value at the `unknown` sink does.
    #[serde(default)]
    pub unknown: UnknownPolicy,
}

impl CaptureConfig {
    /// Whether the proxy runs for a bot that banter starts (`started`) or not.
    pub fn proxy_for(&self, started: bool) -> bool {
        self.proxy.unwrap_or(started)
    }
}

/// A socket address on the loopback, as `capture.listen` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct LoopbackAddr(pub SocketAddr);

impl TryFrom<String> for LoopbackAddr {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let addr: SocketAddr = text
            .parse()
            .map_err(|e| format!("`{text}` is not an address such as 127.0.0.1:8899: {e}"))?;
        if !addr.ip().is_loopback() {
            return Err(format!(
                "`{text}` is not on the loopback: the capture proxy listens on 127.0.0.1 or ::1 only"
            ));
        }
        Ok(LoopbackAddr(addr))
    }
}

/// Requests to hosts matching `host` (a glob: `*.tracker.example`) go to sink `sink`, a
/// built-in sink or one declared under `sinks:`, whose kind decides the privacy policy.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostRoute {
    /// The host glob, matched without case.
    pub host: HostGlob,
    /// The sink's name.
    pub sink: String,
}

/// A host glob, checked when read.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct HostGlob {
    /// As written.
    pub text: String,
    /// What matches hosts.
    #[schemars(skip)]
    pub matcher: GlobMatcher,
}

impl TryFrom<String> for HostGlob {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let matcher = GlobBuilder::new(&text)
            .case_insensitive(true)
            .build()
            .map_err(|e| format!("`{text}` is not a host glob: {e}"))?
            .compile_matcher();
        Ok(HostGlob { text, matcher })
    }
}

/// What a customer value sent to a host that no sink stands for (the `unknown` sink) does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnknownPolicy {
    /// It fails the scenario.
    #[default]
    Fail,
    /// It is reported, and the scenario does not fail for it.
    Report,
}

/// The built-in demo bot's settings.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Make it leak customer data to the sinks, as careless integrations do.
    #[serde(default)]
    pub leaky: bool,
    /// Make it move money at once, without a confirmation turn or an idempotency key, and
    /// answer replayed webhooks.
    #[serde(default)]
    pub careless: bool,
}

/// `certify:` in `banter.yaml`: how `banter certify` talks to this bot.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyConfig {
    /// The phrasing of each intent; English defaults where a list is absent or empty.
    #[serde(default)]
    pub utterances: Utterances,
    /// How long the bank takes to answer in the slow-bank requirement: longer than the bot
    /// waits for its bank, shorter than the turn `timeout`; half the turn timeout by default.
    #[serde(default)]
    pub slow_bank: Option<HumanDuration>,
}

/// What the customer says for each intent the certification catalogue plays (templates).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Utterances {
    /// Asking for the balance of the customer's only account.
    #[serde(default)]
    pub balance: Vec<Template>,
    /// Asking for recent transactions.
    #[serde(default)]
    pub transactions: Vec<Template>,
    /// Asking for a human advisor.
    #[serde(default)]
    pub advisor: Vec<Template>,
    /// Withdrawing the bot's access to the bank for the rest of the conversation.
    #[serde(default)]
    pub opt_out: Vec<Template>,
    /// A greeting.
    #[serde(default)]
    pub greeting: Vec<Template>,
}

/// Declares the connectors once: the `connector:` names ([`ConnectorKind`]), the settings
/// each one reads ([`ConnectorConfig`], one struct in each connector's file), and the
/// dispatch that reads `bot:` as the connector it names.
macro_rules! connectors {
    ($($(#[$doc:meta])* $variant:ident($settings:ty) = $name:literal,)+) => {
        /// Which protocol the bot speaks: the `connector:` key of `bot:`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ConnectorKind {
            $($(#[$doc])* $variant,)+
        }

        /// The settings of the connector `bot:` names, each read by its connector's own struct.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum ConnectorConfig {
            $($(#[$doc])* $variant($settings),)+
        }

        impl ConnectorKind {
            const ALL: &[ConnectorKind] = &[$(ConnectorKind::$variant,)+];

            /// The name written in `banter.yaml`.
            pub fn name(self) -> &'static str {
                match self {
                    $(ConnectorKind::$variant => $name,)+
                }
            }

            /// The `bot:` keys this connector reads besides `connector`, `timeout` and `start`.
            fn keys(self) -> &'static [&'static str] {
                match self {
                    $(ConnectorKind::$variant => fields_of::<$settings>(),)+
                }
            }

            /// Reads `text` with `bot:` as this connector's settings.
            fn read(self, text: &str) -> Result<File<Section>, serde_yaml::Error> {
                match self {
                    $(ConnectorKind::$variant => serde_yaml::from_str::<File<Bot<$settings>>>(text)
                        .map(|file| file.map(|bot| bot.into_section(ConnectorConfig::$variant))),)+
                }
            }
        }

        /// `bot:` as written, for the JSON Schema of `banter.yaml`: the settings of the
        /// connector it names (`http` when it names none), and the keys every connector shares.
        pub(crate) struct BotSchema;

        impl schemars::JsonSchema for BotSchema {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Bot".into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let branches = vec![$(bot_branch::<$settings>(generator, $name),)+];
                schemars::json_schema!({
                    "description": "The bot under test and the connector that speaks its protocol; the built-in demo bot when absent.",
                    "anyOf": branches,
                })
            }
        }

        impl ConnectorConfig {
            /// Which connector these settings are for.
            pub fn kind(&self) -> ConnectorKind {
                match self {
                    $(ConnectorConfig::$variant(_) => ConnectorKind::$variant,)+
                }
            }
        }
    };
}

connectors! {
    /// JSON over HTTP with templated requests and JSON-pointer replies.
    Http(HttpConfig) = "http",
    /// Rasa's REST channel (`/webhooks/rest/webhook`).
    Rasa(RasaConfig) = "rasa",
    /// An OpenAI-compatible chat completions endpoint, plain or streamed.
    Openai(OpenAiConfig) = "openai",
    /// JSON lines on the stdin and stdout of a process banter starts.
    Stdio(StdioConfig) = "stdio",
    /// The Messenger Platform: signed webhooks in, the Send API out.
    Messenger(MessengerConfig) = "messenger",
    /// The Bot Framework: Activities in, replies posted back to the channel.
    Botframework(BotFrameworkConfig) = "botframework",
}

/// The schema of `bot:` for connector `name`: its settings struct's keys, `connector`
/// (optional for `http`, the default) and the keys every connector shares.
fn bot_branch<S: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
    name: &str,
) -> schemars::Schema {
    let described = |schema: schemars::Schema, description: &str| {
        let mut value = schema.to_value();
        if let Some(object) = value.as_object_mut() {
            object.insert("description".into(), description.into());
        }
        value
    };
    let timeout = described(
        generator.subschema_for::<HumanDuration>(),
        "How long one turn may take (10s by default).",
    );
    let start = described(
        generator.subschema_for::<StartConfig>(),
        "Start the bot as a process for the run (required by stdio).",
    );
    let mut schema = S::json_schema(generator);
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.insert(
            "connector".into(),
            serde_json::json!({ "description": "The protocol the bot speaks.", "const": name }),
        );
        properties.insert("timeout".into(), timeout);
        properties.insert("start".into(), start);
    }
    if name != ConnectorKind::default().name() {
        let required = schema
            .ensure_object()
            .entry("required")
            .or_insert_with(|| serde_json::json!([]));
        if let Some(required) = required.as_array_mut() {
            required.push("connector".into());
        }
    }
    schema.insert("title".into(), format!("connector: {name}").into());
    schema
}

/// Without `connector:`, the bot speaks the generic HTTP protocol.
impl Default for ConnectorKind {
    fn default() -> Self {
        ConnectorKind::Http
    }
}

/// How to talk to the bot: the connector's own settings, and what every connector shares.
#[derive(Debug, Clone)]
pub struct BotConfig {
    /// The protocol and its settings.
    pub connector: ConnectorConfig,
    /// How long one turn may take.
    pub timeout: HumanDuration,
    /// Start the bot as a process for the run (required by stdio).
    pub start: Option<StartConfig>,
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

/// The default time one turn may take.
pub const DEFAULT_TURN_TIMEOUT: Duration = Duration::from_secs(10);

fn default_turn_timeout() -> HumanDuration {
    HumanDuration(DEFAULT_TURN_TIMEOUT)
}

impl BotConfig {
    /// The generic HTTP connector with the default request shape, for a bot at `url`.
    pub fn http(url: &str) -> Self {
        BotConfig {
            connector: ConnectorConfig::Http(HttpConfig::new(url)),
            timeout: default_turn_timeout(),
            start: None,
        }
    }

    /// Checks what the connector needs beyond its keys' own types: a URL, or a process to talk to.
    pub fn validate(&self) -> Result<(), BotConfigError> {
        match self.connector {
            ConnectorConfig::Stdio(_) => self.stdio_start().map(drop),
            _ => self.url().map(drop),
        }
    }

    /// The bot's URL, which every connector but stdio needs.
    pub fn url(&self) -> Result<&Template, BotConfigError> {
        let url = match &self.connector {
            ConnectorConfig::Http(c) => c.url.as_ref(),
            ConnectorConfig::Rasa(c) => c.url.as_ref(),
            ConnectorConfig::Openai(c) => c.url.as_ref(),
            ConnectorConfig::Messenger(c) => c.url.as_ref(),
            ConnectorConfig::Botframework(c) => c.url.as_ref(),
            ConnectorConfig::Stdio(_) => None,
        };
        url.ok_or_else(|| BotConfigError {
            key: "bot.url".into(),
            message: format!(
                "connector {} needs the bot's URL",
                self.connector.kind().name()
            ),
        })
    }

    /// The process of a stdio bot: required, and without readiness settings, since there is no port to probe.
    pub fn stdio_start(&self) -> Result<&StartConfig, BotConfigError> {
        const NEEDED: &str = "connector stdio needs the command that starts the bot, \
                              which then talks JSON lines on its stdin and stdout";
        const UNUSED: &str = "connector stdio does not use it: the bot talks on its stdin \
                              and stdout, so there is no readiness to wait for";
        let error = |key: &str, message: &str| BotConfigError {
            key: format!("bot.{key}"),
            message: message.into(),
        };
        let start = self
            .start
            .as_ref()
            .ok_or_else(|| error("start.command", NEEDED))?;
        if start.ready.is_some() {
            return Err(error("start.ready", UNUSED));
        }
        if start.timeout.0 != DEFAULT_START_TIMEOUT {
            return Err(error("start.timeout", UNUSED));
        }
        Ok(start)
    }
}

/// `banter.yaml` as written, with `bot:` read as `B`. [`Config::load`] reads it twice: first
/// with [`Probe`] to learn the connector, then with that connector's [`Bot`]. With `B`
/// [`BotSchema`], it gives the JSON Schema of the file.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "banter.yaml",
    description = "The bot under test and the settings of a run."
)]
pub(crate) struct File<B> {
    /// The bot under test; the built-in demo bot when absent.
    #[serde(default = "Option::default")]
    #[schemars(default)]
    bot: Option<B>,
    /// The run seed, unless `--seed` is given.
    #[serde(default)]
    seed: Option<u64>,
    /// Sinks to start besides the built-in ones.
    #[serde(default)]
    sinks: Vec<SinkSpec>,
    /// The privacy policy of the run.
    #[serde(default)]
    privacy: PrivacyConfig,
    /// Settings of the built-in demo bot, used when `bot` is absent.
    #[serde(default)]
    demo: DemoConfig,
    /// How the bot's outbound calls are captured.
    #[serde(default)]
    capture: CaptureConfig,
    /// Settings of `banter certify`: the phrasing of each intent.
    #[serde(default)]
    certify: CertifyConfig,
    /// The built-in money checks (each on by default) of every scenario without its own.
    #[serde(default)]
    money: MoneyChecks,
    /// Settings of `banter simulate`: probabilistic bank faults and thresholds.
    #[serde(default)]
    simulate: SimulateConfig,
}

impl<B> File<B> {
    fn map<C>(self, f: impl FnOnce(B) -> C) -> File<C> {
        File {
            bot: self.bot.map(f),
            seed: self.seed,
            sinks: self.sinks,
            privacy: self.privacy,
            demo: self.demo,
            capture: self.capture,
            certify: self.certify,
            money: self.money,
            simulate: self.simulate,
        }
    }
}

/// The first reading of `bot:`: only the connector it names, the default when absent.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    connector: ConnectorKind,
}

/// The second reading of `bot:`: the settings of connector `C`, the common keys, and the
/// first key that belongs to another connector (an error, reported once the file is read).
struct Bot<C> {
    settings: C,
    timeout: Option<HumanDuration>,
    start: Option<StartConfig>,
    foreign: Option<String>,
}

/// `bot:` read, before the check for another connector's key.
struct Section {
    bot: BotConfig,
    foreign: Option<String>,
}

impl<C> Bot<C> {
    fn into_section(self, variant: fn(C) -> ConnectorConfig) -> Section {
        Section {
            bot: BotConfig {
                connector: variant(self.settings),
                timeout: self.timeout.unwrap_or_else(default_turn_timeout),
                start: self.start,
            },
            foreign: self.foreign,
        }
    }
}

impl<'de, C: DeserializeOwned> Deserialize<'de> for Bot<C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BotVisitor(PhantomData))
    }
}

struct BotVisitor<C>(PhantomData<C>);

impl<'de, C: DeserializeOwned> Visitor<'de> for BotVisitor<C> {
    type Value = Bot<C>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bot's settings")
    }

    /// Hands `C` its own keys, straight from the YAML (so errors keep their line and column),
    /// and keeps the common keys and another connector's keys to itself.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Bot<C>, A::Error> {
        let mut keys = Keys {
            map,
            own: fields_of::<C>(),
            timeout: None,
            start: None,
            foreign: None,
        };
        let settings = C::deserialize(MapAccessDeserializer::new(&mut keys))?;
        Ok(Bot {
            settings,
            timeout: keys.timeout,
            start: keys.start,
            foreign: keys.foreign,
        })
    }
}

/// The keys of `bot:` as the connector's settings see them.
struct Keys<A> {
    map: A,
    own: &'static [&'static str],
    timeout: Option<HumanDuration>,
    start: Option<StartConfig>,
    foreign: Option<String>,
}

/// What a key of `bot:` is to the connector being read.
enum Key {
    Connector,
    Timeout,
    Start,
    Own(&'static str),
    Foreign(String),
}

/// Classifies a key as it is read, so that an unknown one is reported at its line and column.
struct KeySeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a setting name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        const COMMON: [&str; 3] = ["connector", "timeout", "start"];
        Ok(match key {
            "connector" => Key::Connector,
            "timeout" => Key::Timeout,
            "start" => Key::Start,
            _ => match self.0.iter().find(|own| **own == key) {
                Some(own) => Key::Own(own),
                None if ConnectorKind::ALL.iter().any(|k| k.keys().contains(&key)) => {
                    Key::Foreign(key.to_string())
                }
                None => {
                    let expected: Vec<String> = COMMON[..1]
                        .iter()
                        .chain(self.0)
                        .chain(&COMMON[1..])
                        .map(|k| format!("`{k}`"))
                        .collect();
                    return Err(E::custom(format_args!(
                        "unknown field `{key}`, expected one of {}",
                        expected.join(", ")
                    )));
                }
            },
        })
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut Keys<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.map.next_key_seed(KeySeed(self.own))? {
            match key {
                // The connector was already learnt from the first reading; this checks its value.
                Key::Connector => drop(self.map.next_value::<ConnectorKind>()?),
                Key::Timeout => set(&mut self.timeout, "timeout", self.map.next_value()?)?,
                Key::Start => set(&mut self.start, "start", self.map.next_value()?)?,
                Key::Foreign(key) => {
                    self.map.next_value::<de::IgnoredAny>()?;
                    self.foreign.get_or_insert(key);
                }
                Key::Own(key) => return seed.deserialize(key.into_deserializer()).map(Some),
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// Sets a common key, refusing it twice as serde does for the connector's own keys.
fn set<T, E: de::Error>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), E> {
    match slot.replace(value) {
        Some(_) => Err(E::duplicate_field(key)),
        None => Ok(()),
    }
}

/// The field names of a struct with derived `Deserialize`, which it hands its deserializer:
/// each connector's keys are its settings struct's fields, not a list kept by hand.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

impl Config {
    /// Reads a `banter.yaml`.
    pub fn load(path: &Path) -> Result<Config, ScenarioError> {
        Config::parse(path, &read_regular(path)?)
    }

    /// Reads the `text` of the `banter.yaml` at `path`.
    fn parse(path: &Path, text: &str) -> Result<Config, ScenarioError> {
        let mut config = if text.trim().is_empty() {
            Config::default()
        } else {
            check_depth(path, text)?;
            // A connector that cannot be read is reported by the second reading, where it is written.
            let kind = serde_yaml::from_str::<File<Probe>>(text)
                .ok()
                .and_then(|file| file.bot)
                .map(|probe| probe.connector)
                .unwrap_or_default();
            let file = kind.read(text).map_err(|e| invalid(path, &e))?;
            let config = file
                .into_config()
                .map_err(|source| ScenarioError::Setting {
                    path: path.to_path_buf(),
                    source,
                })?;
            check_host_sinks(path, text, &config)?;
            config
        };
        config.base_dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(config)
    }
}

impl Config {
    /// The settings of the `banter.yaml` at `path` as data, every secret replaced by
    /// `[REDACTED]`: the values of keys that name one (`app_secret`, `page_token`, `api_key`,
    /// `password`, `authorization`, …) and every header value. A certificate digests this, so
    /// that the config can be recognised without being disclosed.
    pub fn redacted_settings(path: &Path) -> Result<serde_json::Value, ScenarioError> {
        let text = read_regular(path)?;
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Object(serde_json::Map::new()));
        }
        check_depth(path, &text)?;
        let mut settings: serde_json::Value =
            serde_yaml::from_str(&text).map_err(|e| invalid(path, &e))?;
        redact_secrets(&mut settings, false);
        Ok(settings)
    }
}

/// Replaces the values of secret keys (and, `inside_headers`, of every key) by `[REDACTED]`.
fn redact_secrets(value: &mut serde_json::Value, inside_headers: bool) {
    const SECRET: [&str; 8] = [
        "secret",
        "token",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "authorization",
        "credential",
    ];
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let lower = key.to_ascii_lowercase().replace('-', "_");
                if inside_headers || SECRET.iter().any(|s| lower.contains(s)) {
                    *value = serde_json::Value::String("[REDACTED]".into());
                } else {
                    redact_secrets(value, lower == "headers");
                }
            }
        }
        serde_json::Value::Array(items) => {
            items
                .iter_mut()
                .for_each(|v| redact_secrets(v, inside_headers));
        }
        _ => {}
    }
}

impl File<Section> {
    /// The configuration, once `bot:` is checked: no other connector's key, nothing missing.
    fn into_config(self) -> Result<Config, BotConfigError> {
        if let Some(Section { bot, foreign }) = &self.bot {
            if let Some(key) = foreign {
                return Err(foreign_key(bot.connector.kind(), key));
            }
            bot.validate()?;
        }
        Ok(Config {
            bot: self.bot.map(|section| section.bot),
            seed: self.seed,
            sinks: self.sinks,
            privacy: self.privacy,
            demo: self.demo,
            capture: self.capture,
            certify: self.certify,
            money: self.money,
            simulate: self.simulate,
            base_dir: PathBuf::new(),
        })
    }
}

/// Every `capture.hosts` entry names a sink of the run, built-in or declared under `sinks:`;
/// an unknown name is reported where it is written.
fn check_host_sinks(path: &Path, text: &str, config: &Config) -> Result<(), ScenarioError> {
    let Some(route) = config.capture.hosts.iter().find(|route| {
        Service::named(&route.sink).is_none() && !config.sinks.iter().any(|s| s.name == route.sink)
    }) else {
        return Ok(());
    };
    let mut sinks: Vec<&str> = Service::all().map(|service| service.name).collect();
    sinks.extend(config.sinks.iter().map(|s| s.name.as_str()));
    let (line, column) = locate_sink(text, &route.sink);
    Err(ScenarioError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message: format!(
            "capture.hosts: `{}` routes to sink `{}`, which the run does not have (its sinks: {}; declare others under `sinks:`)",
            route.host.text,
            route.sink,
            sinks.join(", ")
        ),
    })
}

/// The line and column (1-based) of the first `sink: NAME` after the `capture:` key, or of
/// that key when the value cannot be found (a YAML spelling the search does not follow).
fn locate_sink(text: &str, name: &str) -> (usize, usize) {
    let at = |offset: usize| {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        (line, column)
    };
    let capture = Regex::new(r"(?m)^capture\s*:")
        .ok()
        .and_then(|re| re.find(text))
        .map_or(0, |m| m.start());
    let value = format!(r#"sink\s*:\s*["']?({})\b"#, regex::escape(name));
    Regex::new(&value)
        .ok()
        .and_then(|re| re.captures(&text[capture..]))
        .and_then(|captures| captures.get(1))
        .map_or(at(capture), |m| at(capture + m.start()))
}

/// `key` was set for connector `kind`, which does not read it: say which connectors do.
fn foreign_key(kind: ConnectorKind, key: &str) -> BotConfigError {
    let users: Vec<&str> = ConnectorKind::ALL
        .iter()
        .filter(|k| k.keys().contains(&key))
        .map(|k| k.name())
        .collect();
    BotConfigError {
        key: format!("bot.{key}"),
        message: format!(
            "connector {} does not use it (used by {})",
            kind.name(),
            users.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("banter.yaml"), text).map_err(|e| e.to_string())
    }

    fn connector(text: &str) -> ConnectorConfig {
        parse(text).unwrap().bot.unwrap().connector
    }

    #[test]
    fn each_connector_reads_its_own_keys_in_any_order() {
        let rasa = connector(
            "bot:\n  url: http://127.0.0.1:5005/\n  metadata: { a: b }\n  connector: rasa\n",
        );
        let ConnectorConfig::Rasa(rasa) = rasa else {
            panic!("{rasa:?}")
        };
        assert_eq!(rasa.url, Some(Template::from("http://127.0.0.1:5005/")));
        assert_eq!(*rasa.metadata.get(), serde_json::json!({ "a": "b" }));
        let openai = connector(
            "bot:\n  stream: true\n  connector: openai\n  url: http://h/\n  timeout: 2s\n",
        );
        assert!(
            matches!(openai, ConnectorConfig::Openai(ref o) if o.stream && o.model == "banter-bot")
        );
        let config = parse("bot:\n  url: http://h/chat\n  timeout: 2s\n").unwrap();
        let bot = config.bot.unwrap();
        assert_eq!(bot.timeout, HumanDuration(Duration::from_secs(2)));
        assert!(
            matches!(bot.connector, ConnectorConfig::Http(ref h) if h.replies.get().as_str() == "/replies")
        );
    }

    #[test]
    fn a_key_of_another_connector_names_the_connectors_that_use_it() {
        for (text, expected) in [
            (
                "bot:\n  url: http://h/\n  stream: true\n  connector: rasa\n",
                "banter.yaml: bot.stream: connector rasa does not use it (used by openai)",
            ),
            (
                "bot:\n  connector: botframework\n  url: http://h/\n  app_secret: s\n",
                "banter.yaml: bot.app_secret: connector botframework does not use it (used by messenger)",
            ),
            (
                "bot:\n  connector: stdio\n  headers: {}\n  start: { command: cat }\n",
                "banter.yaml: bot.headers: connector stdio does not use it (used by http, rasa, openai, messenger, botframework)",
            ),
        ] {
            assert_eq!(parse(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn an_unknown_key_is_located_and_lists_the_connectors_keys() {
        let err = parse("bot:\n  connector: rasa\n  url: http://h/\n  metdata: {}\n").unwrap_err();
        assert_eq!(
            err,
            "banter.yaml:4:3: bot: unknown field `metdata`, expected one of `connector`, `url`, \
             `headers`, `metadata`, `timeout`, `start` (did you mean `metadata`?)"
        );
        let err = parse("bot:\n  url: http://h/\n  timeout: 1s\n  timeout: 2s\n").unwrap_err();
        assert!(err.contains("duplicate field `timeout`"), "{err}");
    }

    #[test]
    fn capture_settings_are_checked_where_they_are_written() {
        let config = parse(
            "sinks: [{ name: braze, kind: analytics }]\ncapture:\n  listen: 127.0.0.1:8899\n  bank_hosts: [api.examplebank.com]\n  hosts:\n    - { host: \"*.Tracker.example\", sink: braze }\n  unknown: report\n",
        )
        .unwrap();
        let capture = config.capture;
        assert_eq!(capture.listen.map(|l| l.0.port()), Some(8899));
        assert!(capture.hosts[0]
            .host
            .matcher
            .is_match("cdn.tracker.example"));
        assert!(!capture.hosts[0].host.matcher.is_match("tracker.example"));
        assert_eq!(capture.unknown, UnknownPolicy::Report);
        assert!(!capture.proxy_for(false) && capture.proxy_for(true));
        for (text, expected) in [
            (
                "sinks: []\ncapture:\n  hosts:\n    - host: \"*.t.example\"\n      sink: brazee\n",
                "banter.yaml:5:13: capture.hosts: `*.t.example` routes to sink `brazee`, which the run does not have (its sinks: meta, google, segment, mixpanel, amplitude; declare others under `sinks:`)",
            ),
            (
                "capture:\n  listen: 0.0.0.0:8899\n",
                "banter.yaml:2:3: capture: `0.0.0.0:8899` is not on the loopback: the capture proxy listens on 127.0.0.1 or ::1 only",
            ),
            (
                "capture: { unknown: ignore }\n",
                "banter.yaml:1:21: capture.unknown: unknown variant `ignore`, expected `fail` or `report`",
            ),
        ] {
            assert_eq!(parse(text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn secrets_and_header_values_are_redacted_from_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("banter.yaml");
        std::fs::write(
            &path,
            "bot:\n  connector: messenger\n  url: http://h/\n  app_secret: s3\n  page_token: p\n  headers: { X-Id: abc }\n  start: { command: bot, env: { API_KEY: k, PORT: \"1\" } }\ncertify:\n  utterances: { balance: [\"balance?\"] }\n",
        )
        .unwrap();
        let settings = Config::redacted_settings(&path).unwrap();
        assert_eq!(
            settings,
            serde_json::json!({
                "bot": {
                    "connector": "messenger", "url": "http://h/", "app_secret": "[REDACTED]",
                    "page_token": "[REDACTED]", "headers": { "X-Id": "[REDACTED]" },
                    "start": { "command": "bot", "env": { "API_KEY": "[REDACTED]", "PORT": "1" } }
                },
                "certify": { "utterances": { "balance": ["balance?"] } }
            })
        );
        let config = Config::load(&path).unwrap();
        assert_eq!(
            config.certify.utterances.balance,
            [Template::from("balance?")]
        );
        let err = parse("certify:\n  utterances: { balanse: [x] }\n").unwrap_err();
        assert!(err.starts_with("banter.yaml:2:"), "{err}");
    }

    #[test]
    fn the_keys_of_a_connector_are_its_settings_fields() {
        assert_eq!(ConnectorKind::Rasa.keys(), ["url", "headers", "metadata"]);
        assert_eq!(
            ConnectorKind::Stdio.keys(),
            ["request", "replies", "text", "quick_replies"]
        );
    }
}
