//! The stdio connector: a bot process banter starts and talks to in JSON lines on its stdin and stdout.
//!
//! Each user message is one line on the bot's stdin, the templated `request` of `banter.yaml`
//! (`{"conversation_id", "text", "bank_token"}` by default), and the bot answers with one
//! line on its stdout, read with the `replies`, `text` and `quick_replies` pointers
//! (`{"replies": [{"text", "quick_replies"?}]}` by default). Every line the bot writes on
//! stdout is an answer: logs belong on stderr, which is kept for reports.
//!
//! There is one pipe for every session, so exchanges are serialised: a session holds the
//! pipe's lock from writing its line until it has read the answer, and concurrent
//! scenarios take turns. Answers carry no id, so if a turn times out after its line was
//! written, the late answer could be taken for the next message's: the pipe is then marked,
//! and every later send fails with [`ConnectorError::Desynchronised`] instead.
//!
//! The connector owns the process (the run also holds it, to report its exit status and
//! output and to stop it); it is killed at the end of the run or when dropped.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::Mutex;

use super::json::{render_json, ReplyShape};
use super::process::{BotProcess, ProcessError, StartConfig};
use super::settings::{QuickRepliesPointer, RepliesPointer, Request, TextPointer};
use super::{ConnectorError, Protocol, Replies};

/// The `bot:` settings of the stdio connector (`connector: stdio`); the process is `start:`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StdioConfig {
    /// The JSON line sent for each user message; every string in it is a template.
    pub request: Request,
    /// JSON pointer to the list of bot messages in an answer line.
    pub replies: RepliesPointer,
    /// JSON pointer to the text inside one message.
    pub text: TextPointer,
    /// JSON pointer to the quick replies inside one message, strings or objects with `title`.
    pub quick_replies: QuickRepliesPointer,
}

/// Talks JSON lines with a bot process on its stdin and stdout.
pub struct StdioConnector {
    process: Arc<BotProcess>,
    pipe: Mutex<Pipe>,
    request: Value,
    shape: ReplyShape,
    /// How errors and reports name the bot: `stdio bot `command``.
    name: String,
}

/// The bot's stdin and stdout, used by one exchange at a time.
struct Pipe {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// A line was written and its answer not read: set while an exchange is under way, and
    /// left set when the exchange is cancelled by the turn timeout.
    awaiting: bool,
}

impl StdioConnector {
    /// Starts the bot as `start` says, in `base_dir`, with `context` for its templates.
    pub fn start(
        config: &StdioConfig,
        start: &StartConfig,
        base_dir: &Path,
        context: &minijinja::Value,
    ) -> Result<Self, ProcessError> {
        let (process, stdin, stdout) = BotProcess::start_stdio(start, base_dir, context)?;
        Ok(StdioConnector {
            name: format!("stdio bot `{}`", process.command()),
            process: Arc::new(process),
            pipe: Mutex::new(Pipe {
                stdin,
                stdout: BufReader::new(stdout),
                awaiting: false,
            }),
            request: config.request.get().clone(),
            shape: ReplyShape::pointers(&config.replies, &config.text, &config.quick_replies),
        })
    }

    /// The bot process, for its exit status, output and teardown.
    pub fn process(&self) -> Arc<BotProcess> {
        self.process.clone()
    }
}

impl Protocol for StdioConnector {
    type State = ();

    fn name(&self) -> &str {
        &self.name
    }

    fn exchange<'a>(&'a self, _: &'a mut (), context: minijinja::Value, _: &'a str) -> Replies<'a> {
        Box::pin(async move {
            let line = format!("{}\n", render_json(&self.request, &context)?);
            let mut pipe = self.pipe.lock().await;
            if pipe.awaiting {
                return Err(ConnectorError::Desynchronised {
                    bot: self.name.clone(),
                });
            }
            pipe.awaiting = true;
            let answer = pipe.exchange(&line, &self.name).await;
            // Not reached when the runner's timeout drops this future mid-exchange.
            pipe.awaiting = false;
            drop(pipe);
            self.shape.extract(&self.name, &answer?)
        })
    }
}

impl Pipe {
    /// Writes `line` and reads the answering line. `bot` names the bot in errors.
    async fn exchange(&mut self, line: &str, bot: &str) -> Result<String, ConnectorError> {
        let broken = |e: std::io::Error| ConnectorError::Pipe {
            bot: bot.to_string(),
            reason: e.to_string(),
        };
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(broken)?;
        self.stdin.flush().await.map_err(broken)?;
        let mut answer = Vec::new();
        let read = self
            .stdout
            .read_until(b'\n', &mut answer)
            .await
            .map_err(broken)?;
        if read == 0 {
            return Err(ConnectorError::Closed {
                bot: bot.to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }
}
