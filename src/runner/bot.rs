//! The bot under test for a run: the built-in reference bot, a process banter starts, or an external endpoint.
//!
//! Builds the connector `banter.yaml` asks for. An HTTP-based bot (http, rasa, openai) may
//! be a process banter starts and waits for; a stdio bot always is, and its connector owns
//! the process, which the run shares to report its exit status and output and to stop it.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use crate::bank::Bank;
use crate::connector::process::BotProcess;
use crate::connector::{
    BotFrameworkConnector, Connector, HttpConnector, MessengerConnector, MessengerSettings,
    OpenAiConnector, StdioConnector,
};
use crate::demo::{DemoBot, Telemetry};
use crate::scenario::{BotConfig, Config, Endpoint, Template};
use crate::sinks::Sinks;
use crate::template;
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
}

fn free_port() -> Result<u16, Error> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::Port)?;
    listener.local_addr().map(|a| a.port()).map_err(Error::Port)
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

/// Builds an HTTP-based connector for a bot at a rendered URL.
type HttpBased = fn(&BotConfig, String) -> Box<dyn Connector>;

impl Bot {
    /// Starts (or connects to) the bot that `config` describes.
    pub async fn start<S>(config: &Config, bank: &Bank, sinks: &Sinks<S>) -> Result<Bot, Error> {
        let base = minijinja::context! { bank => minijinja::context! { url => bank.url() }, sinks => sinks.context() };
        let Some(bot) = &config.bot else {
            let telemetry = Telemetry::from_urls(|name| sinks.url(name), config.demo.leaky);
            let demo = DemoBot::start(&bank.url(), 0, telemetry).await?;
            let url = format!("{}/chat", demo.url());
            let settings = BotConfig::http(&url);
            return Ok(Bot {
                connector: Box::new(Arc::new(HttpConnector::new(&settings, url))),
                turn_timeout: settings.timeout.0,
                context: base,
                running: Running::Demo(demo),
            });
        };
        let context = match &bot.start {
            Some(_) => minijinja::context! { port => free_port()?, ..base },
            None => base,
        };
        let (url, build): (_, HttpBased) = match bot.validate()? {
            Endpoint::Http(url) => (url, |c, url| Box::new(Arc::new(HttpConnector::new(c, url)))),
            Endpoint::Rasa(url) => (url, |c, url| {
                Box::new(Arc::new(HttpConnector::rasa(c, url)))
            }),
            Endpoint::Openai(url) => (url, |c, url| {
                Box::new(Arc::new(OpenAiConnector::new(c, url)))
            }),
            Endpoint::Messenger(url) => return Bot::messenger(config, bot, url, context).await,
            Endpoint::Botframework(url) => {
                let (url, parsed) = render_url(url, &context)?;
                let connector = BotFrameworkConnector::start(bot, url)
                    .await
                    .map_err(Error::Port)?;
                let running = start_process(config, bot, &context, &parsed).await?;
                return Ok(Bot {
                    connector: Box::new(Arc::new(connector)),
                    turn_timeout: bot.timeout.0,
                    context,
                    running,
                });
            }
            Endpoint::Stdio(start) => {
                let connector = Arc::new(StdioConnector::start(
                    bot,
                    start,
                    &config.base_dir,
                    &context,
                )?);
                return Ok(Bot {
                    running: Running::Process(connector.process()),
                    connector: Box::new(connector),
                    turn_timeout: bot.timeout.0,
                    context,
                });
            }
        };
        let (url, parsed) = render_url(url, &context)?;
        let running = start_process(config, bot, &context, &parsed).await?;
        Ok(Bot {
            connector: build(bot, url),
            turn_timeout: bot.timeout.0,
            context,
            running,
        })
    }

    /// A Messenger bot: the Graph mock starts first, so that `{{ graph.url }}` can reach the
    /// bot's environment; once the bot is up, its webhook must pass the verification handshake.
    async fn messenger(
        config: &Config,
        bot: &BotConfig,
        url: &Template,
        context: minijinja::Value,
    ) -> Result<Bot, Error> {
        let (url, parsed) = render_url(url, &context)?;
        let settings = MessengerSettings {
            app_secret: bot.app_secret.clone(),
            verify_token: bot.verify_token.clone(),
            page_token: bot.page_token.clone(),
        };
        let connector = MessengerConnector::start(bot, settings.clone(), url)
            .await
            .map_err(Error::Port)?;
        let context = minijinja::context! {
            graph => minijinja::context! { url => connector.graph_url() },
            messenger => minijinja::context! {
                app_secret => settings.app_secret,
                verify_token => settings.verify_token,
                page_token => settings.page_token,
            },
            ..context
        };
        let running = start_process(config, bot, &context, &parsed).await?;
        connector.verify().await.map_err(Error::Bot)?;
        Ok(Bot {
            connector: Box::new(Arc::new(connector)),
            turn_timeout: bot.timeout.0,
            context,
            running,
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

    /// The bot's recent output, if banter started it.
    pub fn recent_output(&self) -> Vec<String> {
        match &self.running {
            Running::Process(p) => p.recent_output(),
            _ => Vec::new(),
        }
    }

    /// Stops whatever banter started.
    pub async fn stop(self) {
        match self.running {
            Running::Demo(demo) => demo.shutdown(),
            Running::Process(p) => p.stop().await,
            Running::External => {}
        }
    }
}
