//! The bot under test for a run: the built-in reference bot, a process banter starts, or an external endpoint.

use std::process::ExitStatus;
use std::time::Duration;

use crate::bank::Bank;
use crate::connector::process::BotProcess;
use crate::connector::{Connector, HttpConnector};
use crate::demo::{DemoBot, Telemetry};
use crate::scenario::config::ConnectorKind;
use crate::scenario::{BotConfig, Config};
use crate::sinks::Sinks;
use crate::template;
use crate::Error;

enum Running {
    Demo(DemoBot),
    Process(BotProcess),
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

fn connector(config: &BotConfig, url: String) -> Box<dyn Connector> {
    match config.connector {
        ConnectorKind::Http => Box::new(HttpConnector::new(config, url)),
    }
}

impl Bot {
    /// Starts (or connects to) the bot that `config` describes.
    pub async fn start(config: &Config, bank: &Bank, sinks: &Sinks) -> Result<Bot, Error> {
        let base = minijinja::context! { bank => minijinja::context! { url => bank.url() }, sinks => sinks.context() };
        let Some(bot) = &config.bot else {
            let telemetry = Telemetry::to_sinks(sinks, config.demo.leaky);
            let demo = DemoBot::start(&bank.url(), 0, telemetry).await?;
            let settings = BotConfig::http(&format!("{}/chat", demo.url()));
            return Ok(Bot {
                connector: connector(&settings, format!("{}/chat", demo.url())),
                turn_timeout: settings.timeout.0,
                context: base,
                running: Running::Demo(demo),
            });
        };
        let context = match &bot.start {
            Some(_) => minijinja::context! { port => free_port()?, ..base },
            None => base,
        };
        let url = template::render(bot.url.as_str(), &context)?;
        let parsed = reqwest::Url::parse(&url).map_err(|e| Error::BotUrl {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let running = match &bot.start {
            Some(start) => Running::Process(
                BotProcess::start(start, &config.base_dir, &context, &parsed).await?,
            ),
            None => Running::External,
        };
        Ok(Bot {
            connector: connector(bot, url),
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
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            match &self.running {
                Running::Process(p) => {
                    if let Some(status) = p.exit_status() {
                        return Some(status);
                    }
                }
                _ => return None,
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
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
