//! The bot under test for a run: the built-in demo bot, a process banter starts, or an external endpoint.
//!
//! Builds the connector `banter.yaml` asks for. An HTTP-based bot (http, rasa, openai) may
//! be a process banter starts and waits for; a stdio bot always is, and its connector owns
//! the process, which the run shares to report its exit status and output and to stop it.
//! A bot that banter starts is pointed at the capture proxy, unless `capture.proxy` is off;
//! `capture.proxy: true` runs the proxy for a bot started elsewhere too, which the user
//! points at it. A Messenger bot's Send API calls to the real Graph host reach the Graph mock
//! through the proxy once the connector has started it.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use crate::bank::Bank;
use crate::connector::process::BotProcess;
use crate::connector::{
    BotFrameworkConnector, Connector, HttpConnector, MessengerConfig, MessengerConnector,
    OpenAiConnector, Protocol, StdioConfig, StdioConnector,
};
use crate::demo::{DemoBot, Telemetry};
use crate::proxy::{self, Proxy};
use crate::scenario::{BotConfig, Config, ConnectorConfig};
use crate::sinks::Sinks;
use crate::template::{self, Template};
use crate::Error;

enum Running {
    Demo(DemoBot),
    Process(Arc<BotProcess>),
    External,
}

/// The bot a run talks to, and how to reach it.
pub(super) struct Bot {
    running: Running,
    pub connector: Box<dyn Connector>,
    pub turn_timeout: Duration,
    /// Template variables shared by every scenario: `bank`, `sinks`, and `port` when banter started the bot.
    pub context: minijinja::Value,
    /// The capture proxy the bot is pointed at; it stops with the bot.
    pub proxy: Option<Proxy>,
}

/// The lowest port a bot banter starts is given.
const LOWEST_BOT_PORT: u16 = 10_000;
/// Free ports tried before the system is asked for one.
const BOT_PORT_TRIES: u64 = 64;

/// A free loopback port for a bot banter starts. It is freed again before the bot binds it,
/// so it is taken from below the range the system hands out for port 0 and for outgoing
/// connections: no server or connection started meanwhile (the sinks, other runs, the
/// bot's own clients) is given it first, and the bot's readiness is never judged by another
/// server on its port. A port the system picks is the fallback.
fn free_port() -> Result<u16, Error> {
    use std::hash::BuildHasher;
    let below = ephemeral_low().unwrap_or(32_768);
    let span = u64::from(below.saturating_sub(LOWEST_BOT_PORT));
    // A random start, so that runs side by side do not try the same ports in turn.
    let seed = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    if span > 0 {
        for i in 0..BOT_PORT_TRIES {
            let offset = (seed.wrapping_add(i.wrapping_mul(7_919))) % span;
            let port = LOWEST_BOT_PORT + offset as u16;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::Port)?;
    listener.local_addr().map(|a| a.port()).map_err(Error::Port)
}

/// The lowest port of the system's ephemeral range, where Linux tells it.
fn ephemeral_low() -> Option<u16> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    range.split_whitespace().next()?.parse().ok()
}

/// The bot's URL rendered with `context`, and parsed.
fn render_url(url: &Template, context: &minijinja::Value) -> Result<(String, reqwest::Url), Error> {
    let url = template::render(url.as_str(), context)?;
    let parsed = reqwest::Url::parse(&url).map_err(|e| Error::BotUrl {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    Ok((url, parsed))
}

/// `bot` with the capture proxy's variables added to its start environment; a variable that
/// `start.env` sets itself keeps its value.
fn through(bot: &BotConfig, proxy: &Proxy) -> Result<BotConfig, Error> {
    let mut bot = bot.clone();
    if let Some(start) = &mut bot.start {
        for (name, value) in proxy.env() {
            if !start.env.contains_key(name) {
                let value = Template::try_from(value).map_err(Error::ProxyEnv)?;
                start.env.insert(name.to_string(), value);
            }
        }
    }
    Ok(bot)
}

/// The proxy's settings from `capture:`: its address, the CA's directory (relative to the
/// config's, made absolute to be shown), the bank's production hosts and the host globs routed to sinks.
fn proxy_settings(config: &Config, bank: &Bank) -> proxy::Settings {
    let capture = &config.capture;
    proxy::Settings {
        listen: capture.listen.map(|listen| listen.0),
        ca_dir: capture.ca_dir.as_ref().map(|dir| {
            let dir = config.base_dir.join(dir);
            std::path::absolute(&dir).unwrap_or(dir)
        }),
        bank_hosts: capture.bank_hosts.clone(),
        bank_url: bank.url(),
        hosts: capture
            .hosts
            .iter()
            .map(|route| (route.host.matcher.clone(), route.sink.clone()))
            .collect(),
    }
}

/// A protocol as the run's connector.
fn boxed<P: Protocol>(protocol: P) -> Box<dyn Connector> {
    Box::new(Arc::new(protocol))
}

/// Starts the bot process when `start` is configured, and waits until `origin` is ready.
async fn start_process(
    config: &Config,
    bot: &BotConfig,
    context: &minijinja::Value,
    origin: &reqwest::Url,
) -> Result<Running, Error> {
    Ok(match &bot.start {
        Some(start) => Running::Process(Arc::new(
            BotProcess::start(start, &config.base_dir, context, origin).await?,
        )),
        None => Running::External,
    })
}

impl Bot {
    /// Starts (or connects to) the bot that `config` describes.
    pub async fn start<S: Send + Sync + 'static>(
        config: &Config,
        bank: &Bank,
        sinks: &Sinks<S>,
    ) -> Result<Bot, Error> {
        let base = minijinja::context! { bank => minijinja::context! { url => bank.url() }, sinks => sinks.context() };
        let Some(bot) = &config.bot else {
            let telemetry = Telemetry::from_urls(|name| sinks.url(name), config.demo.leaky);
            let careless = config.demo.careless;
            let demo = DemoBot::start_with(&bank.url(), 0, telemetry, None, careless).await?;
            let settings = BotConfig::http(&format!("{}/chat", demo.url()));
            let connected = Bot::connect(config, &settings, base, None).await?;
            return Ok(Bot {
                running: Running::Demo(demo),
                ..connected
            });
        };
        if !config.capture.proxy_for(bot.start.is_some()) {
            return Bot::connect(config, bot, base, None).await;
        }
        let proxy = Proxy::start(sinks, proxy_settings(config, bank)).await?;
        let bot = through(bot, &proxy)?;
        let connected = Bot::connect(config, &bot, base, Some(&proxy)).await?;
        Ok(Bot {
            proxy: Some(proxy),
            ..connected
        })
    }

    /// Builds the connector `bot` asks for, starting the bot process when it says how.
    async fn connect(
        config: &Config,
        bot: &BotConfig,
        base: minijinja::Value,
        proxy: Option<&Proxy>,
    ) -> Result<Bot, Error> {
        bot.validate()?;
        let context = match &bot.start {
            Some(_) => minijinja::context! { port => free_port()?, ..base },
            None => base,
        };
        let rendered = || render_url(bot.url()?, &context);
        let (connector, origin) = match &bot.connector {
            ConnectorConfig::Stdio(stdio) => return Bot::stdio(config, bot, stdio, context),
            ConnectorConfig::Messenger(messenger) => {
                return Bot::messenger(config, bot, messenger, context, proxy).await
            }
            ConnectorConfig::Http(http) => {
                let (url, origin) = rendered()?;
                (boxed(HttpConnector::new(http, url)), origin)
            }
            ConnectorConfig::Rasa(rasa) => {
                let (url, origin) = rendered()?;
                (boxed(HttpConnector::rasa(rasa, url)), origin)
            }
            ConnectorConfig::Openai(openai) => {
                let (url, origin) = rendered()?;
                (boxed(OpenAiConnector::new(openai, url)), origin)
            }
            ConnectorConfig::Botframework(botframework) => {
                let (url, origin) = rendered()?;
                (
                    boxed(BotFrameworkConnector::start(botframework, url).await?),
                    origin,
                )
            }
        };
        let running = start_process(config, bot, &context, &origin).await?;
        Ok(Bot {
            connector,
            turn_timeout: bot.timeout.0,
            context,
            running,
            proxy: None,
        })
    }

    /// A stdio bot: its connector starts and owns the process.
    fn stdio(
        config: &Config,
        bot: &BotConfig,
        stdio: &StdioConfig,
        context: minijinja::Value,
    ) -> Result<Bot, Error> {
        let start = bot.stdio_start()?;
        let connector = Arc::new(StdioConnector::start(
            stdio,
            start,
            &config.base_dir,
            &context,
        )?);
        Ok(Bot {
            running: Running::Process(connector.process()),
            connector: Box::new(connector),
            turn_timeout: bot.timeout.0,
            context,
            proxy: None,
        })
    }

    /// A Messenger bot: the Graph mock starts first, so that `{{ graph.url }}` can reach the
    /// bot's environment and the proxy can route the real Graph host's Send API to it; once
    /// the bot is up, its webhook must pass the verification handshake.
    async fn messenger(
        config: &Config,
        bot: &BotConfig,
        messenger: &MessengerConfig,
        context: minijinja::Value,
        proxy: Option<&Proxy>,
    ) -> Result<Bot, Error> {
        let (url, origin) = render_url(bot.url()?, &context)?;
        let connector = MessengerConnector::start(messenger, url).await?;
        if let Some(proxy) = proxy {
            proxy.route_graph(connector.graph_url());
        }
        let context = minijinja::context! {
            graph => minijinja::context! { url => connector.graph_url() },
            messenger => minijinja::context! {
                app_secret => messenger.app_secret,
                verify_token => messenger.verify_token,
                page_token => messenger.page_token,
            },
            ..context
        };
        let running = start_process(config, bot, &context, &origin).await?;
        connector.verify().await.map_err(Error::Bot)?;
        Ok(Bot {
            connector: Box::new(Arc::new(connector)),
            turn_timeout: bot.timeout.0,
            context,
            running,
            proxy: None,
        })
    }

    /// If banter started the bot and it has exited, how.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match &self.running {
            Running::Process(p) => p.exit_status(),
            _ => None,
        }
    }

    /// After a failed turn: whether the bot process exited, waiting up to `grace` for it to be reaped,
    /// since a dying process closes its sockets a moment before it can be waited for.
    pub async fn exited_within(&self, grace: Duration) -> Option<ExitStatus> {
        match &self.running {
            Running::Process(p) => p.exited_within(grace).await,
            _ => None,
        }
    }

    /// Whether the bot can send to the sinks: banter runs it (in-process, or as a process given
    /// the sinks' URLs), a capture proxy stands in front of it, or a template handed it a sink.
    pub fn reaches<S>(&self, sinks: &Sinks<S>) -> bool {
        !matches!(self.running, Running::External) || self.proxy.is_some() || sinks.handed_out()
    }

    /// The bot's recent output, if banter started it.
    pub fn recent_output(&self) -> Vec<String> {
        match &self.running {
            Running::Process(p) => p.recent_output(),
            _ => Vec::new(),
        }
    }

    /// Stops whatever banter started: the bot, then the capture proxy (its CA is removed).
    pub async fn stop(self) {
        match self.running {
            Running::Demo(demo) => demo.shutdown(),
            Running::Process(p) => p.stop().await,
            Running::External => {}
        }
        drop(self.proxy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bot_port_is_free_and_below_the_ports_the_system_hands_out() {
        let below = ephemeral_low().unwrap_or(32_768);
        for _ in 0..20 {
            let port = free_port().expect("a free port");
            assert!((LOWEST_BOT_PORT..below).contains(&port), "port {port}");
            std::net::TcpListener::bind(("127.0.0.1", port)).expect("still free");
        }
    }
}
