//! A bot process that banter starts: its `bot.start` settings, templated command and env,
//! output capture, readiness, and teardown.
//!
//! The bot runs in its own process group, so stopping it (also on Ctrl-C or an early
//! return) ends everything it spawned: no orphans are left behind. An HTTP bot's stdout
//! and stderr are kept for reports; a stdio bot's stdin and stdout are its protocol, handed
//! to the stdio connector, and only its stderr is kept.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::duration::HumanDuration;
use crate::template::{self, CallPattern, Template, TemplateError};

/// A bot process that banter starts, probes and stops.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartConfig {
    /// A shell command, run in the config file's directory.
    pub command: Template,
    /// Environment variables (templates: `{{ bank.url }}`, `{{ port }}`).
    #[serde(default)]
    pub env: BTreeMap<String, Template>,
    /// Readiness probe, `GET /health`, against the bot's origin; without one, banter waits for the port to accept.
    #[serde(default)]
    pub ready: Option<CallPattern>,
    /// How long the bot may take to become ready.
    #[serde(default = "default_start_timeout")]
    pub timeout: HumanDuration,
}

/// How long a started bot may take to become ready, unless `start.timeout` says otherwise.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);

fn default_start_timeout() -> HumanDuration {
    HumanDuration(DEFAULT_START_TIMEOUT)
}

/// How many lines of the bot's output are kept.
const KEPT_LINES: usize = 200;

/// The bot process could not be started or did not become ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The command or env failed to render.
    #[error("bot start: {0}")]
    Template(#[from] TemplateError),
    /// The command could not be spawned.
    #[error("cannot start bot `{command}`: {source}")]
    Spawn {
        /// The rendered command.
        command: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Something already listens where the bot is to listen: banter would talk to it, not to the bot.
    #[error("bot `{command}`: {address} already accepts connections before the bot is started; another process holds the bot's port")]
    PortTaken {
        /// The rendered command.
        command: String,
        /// The bot's host and port.
        address: String,
    },
    /// The process exited before it was ready.
    #[error(
        "bot `{command}` exited with {status} before it was ready{}",
        output_tail(output)
    )]
    Exited {
        /// The rendered command.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// Its last lines of output.
        output: Vec<String>,
    },
    /// It was not ready in time.
    #[error(
        "bot `{command}` was not ready at {probe} within {timeout:?}{}",
        output_tail(output)
    )]
    NotReady {
        /// The rendered command.
        command: String,
        /// What was probed.
        probe: String,
        /// The readiness timeout.
        timeout: Duration,
        /// Its last lines of output.
        output: Vec<String>,
    },
}

fn output_tail(output: &[String]) -> String {
    let tail: Vec<&str> = output
        .iter()
        .rev()
        .take(10)
        .rev()
        .map(String::as_str)
        .collect();
    if tail.is_empty() {
        String::new()
    } else {
        format!("; its last output:\n  {}", tail.join("\n  "))
    }
}

/// A running bot process.
pub struct BotProcess {
    child: Mutex<Child>,
    /// The process group id (the shell's pid), kept after the shell is reaped.
    group: Option<libc::pid_t>,
    command: String,
    output: Arc<Mutex<VecDeque<String>>>,
}

impl BotProcess {
    /// Starts the bot with `context` for its templates, in `base_dir`, and waits until `origin` is ready.
    pub async fn start(
        config: &StartConfig,
        base_dir: &Path,
        context: &minijinja::Value,
        origin: &reqwest::Url,
    ) -> Result<BotProcess, ProcessError> {
        let address = (
            origin.host_str().unwrap_or("127.0.0.1").to_string(),
            origin.port_or_known_default().unwrap_or(80),
        );
        // Readiness is judged by connecting: a port some other server already answers on
        // would look ready, and every turn would go to that server instead of the bot.
        if accepts(&address).await {
            return Err(ProcessError::PortTaken {
                command: template::render(config.command.as_str(), context)?,
                address: format!("{}:{}", address.0, address.1),
            });
        }
        let (mut process, _) = BotProcess::spawn(config, base_dir, context, false)?;
        process.wait_ready(config, origin, address).await?;
        Ok(process)
    }

    /// Starts a bot that talks on its stdin and stdout, and returns them with it.
    pub fn start_stdio(
        config: &StartConfig,
        base_dir: &Path,
        context: &minijinja::Value,
    ) -> Result<(BotProcess, ChildStdin, ChildStdout), ProcessError> {
        match BotProcess::spawn(config, base_dir, context, true)? {
            (process, Some((stdin, stdout))) => Ok((process, stdin, stdout)),
            (process, None) => Err(ProcessError::Spawn {
                command: process.command.clone(),
                source: std::io::Error::other("its stdin and stdout could not be piped"),
            }),
        }
    }

    /// Spawns the command; with `stdio`, its stdin and stdout are piped and returned, otherwise
    /// its stdout is kept with its stderr.
    fn spawn(
        config: &StartConfig,
        base_dir: &Path,
        context: &minijinja::Value,
        stdio: bool,
    ) -> Result<(BotProcess, Option<(ChildStdin, ChildStdout)>), ProcessError> {
        let command = template::render(config.command.as_str(), context)?;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&command)
            .current_dir(base_dir)
            .stdin(if stdio { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        for (name, value) in &config.env {
            cmd.env(name, template::render(value.as_str(), context)?);
        }
        let mut child = cmd.spawn().map_err(|source| ProcessError::Spawn {
            command: command.clone(),
            source,
        })?;
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let pipes = if stdio {
            child.stdin.take().zip(child.stdout.take())
        } else {
            if let Some(stdout) = child.stdout.take() {
                tokio::spawn(keep_lines(stdout, output.clone()));
            }
            None
        };
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(keep_lines(stderr, output.clone()));
        }
        let group = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok());
        let process = BotProcess {
            child: Mutex::new(child),
            group,
            command,
            output,
        };
        Ok((process, pipes))
    }

    async fn wait_ready(
        &mut self,
        config: &StartConfig,
        origin: &reqwest::Url,
        address: (String, u16),
    ) -> Result<(), ProcessError> {
        let timeout = config.timeout.0;
        let deadline = Instant::now() + timeout;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .ok();
        let probe = match &config.ready {
            Some(p) => format!(
                "{} {}",
                p.method,
                origin
                    .join(p.path.as_str())
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            ),
            None => format!("{}:{}", address.0, address.1),
        };
        loop {
            if let Some(status) = self.exit_status() {
                // Give the output readers a moment to drain the last lines.
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(ProcessError::Exited {
                    command: self.command.clone(),
                    status,
                    output: self.recent_output(),
                });
            }
            let ready = match (&config.ready, &client) {
                (Some(p), Some(client)) => {
                    let url = origin.join(p.path.as_str()).ok();
                    let method =
                        reqwest::Method::from_bytes(p.method.replace('*', "GET").as_bytes())
                            .unwrap_or(reqwest::Method::GET);
                    match url {
                        Some(url) => client
                            .request(method, url)
                            .send()
                            .await
                            .is_ok_and(|r| r.status().is_success()),
                        None => false,
                    }
                }
                _ => accepts(&address).await,
            };
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ProcessError::NotReady {
                    command: self.command.clone(),
                    probe,
                    timeout,
                    output: self.recent_output(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The command line as started.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// How the process exited, if it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        let mut child = crate::sync::lock(&self.child);
        child.try_wait().ok().flatten()
    }

    /// The last lines the bot printed (stdout and stderr interleaved).
    pub fn recent_output(&self) -> Vec<String> {
        self.output
            .lock()
            .map(|o| o.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stops the bot: SIGTERM to its process group, then SIGKILL after a grace period.
    pub async fn stop(&self) {
        self.signal(libc::SIGTERM);
        if self.exited_within(Duration::from_secs(3)).await.is_none() {
            self.signal(libc::SIGKILL);
            self.exited_within(Duration::from_secs(2)).await;
        }
    }

    /// How the process exited, waiting up to `grace` for it to exit and be reaped.
    pub async fn exited_within(&self, grace: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + grace;
        loop {
            if let Some(status) = self.exit_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Signals the bot's whole process group.
    fn signal(&self, signal: libc::c_int) {
        if let Some(group) = self.group {
            // SAFETY: kill(2) with a negative pid signals the process group created with process_group(0);
            // it touches no memory of ours.
            unsafe {
                libc::kill(-group, signal);
            }
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        // Whatever the shell did, nothing it started may outlive the run.
        self.signal(libc::SIGKILL);
    }
}

/// How long a connection attempt to the bot's port may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether something accepts TCP connections at `address`.
async fn accepts(address: &(String, u16)) -> bool {
    let connect = tokio::net::TcpStream::connect((address.0.as_str(), address.1));
    matches!(
        tokio::time::timeout(CONNECT_TIMEOUT, connect).await,
        Ok(Ok(_))
    )
}

async fn keep_lines(stream: impl AsyncRead + Unpin, output: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(mut kept) = output.lock() {
            if kept.len() == KEPT_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    }
}
