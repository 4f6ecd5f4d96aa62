//! Replies that a bot sends on its own (Messenger's Send API, the Bot Framework's channel):
//! the loopback server that receives them, and waiting until a turn's replies are complete,
//! once the bot has been quiet for a moment.

use std::time::{Duration, Instant};

use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::ServerError;

/// Where the servers that receive a bot's replies listen: any free port on the loopback.
const ADDRESS: &str = "127.0.0.1:0";

/// Starts the `server` (as errors name it) on 127.0.0.1, answering every request with `respond`.
pub(super) async fn serve(
    server: &'static str,
    respond: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
) -> Result<MockServer, ServerError> {
    let listener = std::net::TcpListener::bind(ADDRESS).map_err(|source| ServerError {
        server,
        address: ADDRESS,
        source,
    })?;
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(move |request: &Request| {
            let _serving = crate::panics::serving("reply inbox");
            respond(request)
        })
        .mount(&server)
        .await;
    Ok(server)
}

/// How long the bot may stay quiet before a turn's replies are taken as complete.
const QUIET: Duration = Duration::from_millis(150);
/// How long to wait for a first reply after the bot took the message.
pub(super) const FIRST_REPLY: Duration = Duration::from_secs(2);

/// Takes the items that `belongs` out of `items`, in order, leaving the others.
pub(super) fn take<T>(items: &mut Vec<T>, belongs: impl Fn(&T) -> bool) -> Vec<T> {
    let (taken, kept) = std::mem::take(items)
        .into_iter()
        .partition(|item| belongs(item));
    *items = kept;
    taken
}

/// Polls `count` (the replies received so far) until it has not changed for [`QUIET`], or,
/// while it is 0, until `first_reply` has passed, or until the replies the step expects (the
/// turn's `message.expected_replies`) have arrived, or until `complete` says the replies are
/// complete already. The runner's turn timeout bounds it too.
pub(super) async fn settle(
    count: impl Fn() -> usize,
    first_reply: Duration,
    context: &minijinja::Value,
    complete: impl Fn() -> bool,
) {
    let enough = context
        .get_attr("message")
        .and_then(|m| m.get_attr("expected_replies"))
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0);
    let started = Instant::now();
    let (mut seen, mut last_change) = (0, Instant::now());
    loop {
        let now = count();
        if now != seen {
            seen = now;
            last_change = Instant::now();
        }
        if enough.is_some_and(|n| seen >= n) || complete() {
            return;
        }
        let quiet = last_change.elapsed() >= QUIET;
        if (seen > 0 && quiet) || (seen == 0 && started.elapsed() >= first_reply) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
