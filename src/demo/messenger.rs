//! The demo bot's Facebook Messenger channel, as a bank would build it, served on the same
//! server as `/chat`. This file owns the webhook (verification handshake, `X-Hub-Signature-256`,
//! replay protection), account linking (the bank token of each PSID, from an OAuth
//! authorization-code exchange at the bank) and the Graph API calls that answer (Send API
//! messages, sender actions, the hand-off to the Page Inbox). The replies themselves, and their
//! telemetry, come from the same conversation logic as `/chat`, with the PSID as conversation id.
//!
//! # Wire contract
//!
//! `G` is the configured `graph_url`, `P` the page token, `S` the app secret, `B` the bank URL.
//!
//! * `GET /webhook?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`: `200 text/plain` with
//!   body `C` when `T` is the verify token; `403` for another token or mode; `400` without
//!   `hub.challenge`.
//! * `POST /webhook` (body ≤ 1 MiB) needs `X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(S, raw
//!   body)>` (either hex case), checked in constant time: a missing or wrong signature answers
//!   `403` and nothing is processed. A signed body that is not JSON `{"object":"page",
//!   "entry":[{"messaging":[EVENT…]}…]}` answers `400`. Otherwise every event is processed in order
//!   and the answer is `200 text/plain` `EVENT_RECEIVED`, after every Graph call of every event has
//!   been answered, has failed or has timed out (2 s each; failures are logged to stderr).
//! * An EVENT is `{"sender":{"id":PSID},"recipient":{"id":PAGE},"timestamp":ms, …}` with one of:
//!   - `"message":{"mid","text","quick_reply":{"payload"}}`: the user says the quick reply's
//!     payload if there is one, else the text (`""` for attachments only). `"is_echo":true`
//!     messages are ignored.
//!   - `"postback":{"mid","title","payload"}`: the user says the payload.
//!   - `"account_linking":{"status":"linked","authorization_code":CODE}`: the bot calls
//!     `POST B/oauth/token` with form `grant_type=authorization_code&code=CODE`, keeps the answer's
//!     `access_token` as the PSID's bank token, clears an opt-out or revoked consent of the
//!     conversation, and replies `Your bank account is linked.` (if the exchange fails: `Sorry, I
//!     couldn't link your bank account. Please try again.`). `{"status":"unlinked"}` forgets the
//!     token and replies `Your bank account is unlinked.`
//!   - anything else (deliveries, reads, …) is ignored.
//!
//!   What the user says goes through the `/chat` logic as `text`, with the PSID as
//!   `conversation_id` and the PSID's bank token, or `""` before linking, as `bank_token`.
//! * Replays: an event is identified by its `message.mid`, else its `postback.mid`, else the
//!   SHA-256 of its JSON; an id seen among the last 10,000 is ignored (still `200`).
//! * Every processed event first sends `POST G/v19.0/me/messages?access_token=P` with
//!   `{"recipient":{"id":PSID},"sender_action":"typing_on"}`, then each reply, in order, with
//!   `{"recipient":{"id":PSID},"messaging_type":"RESPONSE","message":M}` to the same URL, where `M`
//!   is `{"text":…}`, or with quick replies `{"text":…,"quick_replies":[{"content_type":"text",
//!   "title":Q,"payload":PAYLOAD(Q)}…]}`. The greeting to a linked customer (the reply offering
//!   Balance, Transactions and Advisor) is a button template instead: `{"attachment":{"type":
//!   "template","payload":{"template_type":"button","text":…,"buttons":[{"type":"postback",
//!   "title":Q,"payload":PAYLOAD(Q)}…]}}}`. `PAYLOAD(Q)` is `Q` upper-cased with spaces as `_`
//!   (`Link account` → `LINK_ACCOUNT`), which the intent rules read back as `Q`.
//! * After the advisor reply, `POST G/v19.0/me/pass_thread_control?access_token=P` with
//!   `{"recipient":{"id":PSID},"target_app_id":263902037430900,"metadata":"advisor requested"}`
//!   hands the conversation to the Page Inbox.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::conversation::{Brain, Receipt, Reply, MENU};
use super::intent::{classify, BankQuery, Intent};
use super::telemetry::sha256_hex;
use super::{base_url, error, join_url, read_body, respond, DemoError};
use crate::sync::lock;

/// The Graph API version the bot calls.
const GRAPH_VERSION: &str = "v19.0";
/// Per-request timeout for every Graph API and token call.
const TIMEOUT: Duration = Duration::from_secs(2);
/// The app id of the Page Inbox, where advisors answer.
const PAGE_INBOX_APP_ID: u64 = 263_902_037_430_900;
/// Largest accepted webhook body (Messenger batches events).
const MAX_BODY: usize = 1024 * 1024;
/// How many event ids are remembered against replays.
const SEEN_CAPACITY: usize = 10_000;
/// Longest part of a Graph error answer that is logged.
const MAX_LOGGED: usize = 300;
const LINKED: &str = "Your bank account is linked.";
const UNLINKED: &str = "Your bank account is unlinked.";
const LINK_FAILED: &str = "Sorry, I couldn't link your bank account. Please try again.";

/// How the bot reaches Messenger. `graph_url` is the base URL of the Graph API, e.g.
/// `https://graph.facebook.com` or a local stand-in such as `http://127.0.0.1:4000`.
#[derive(Clone)]
pub struct MessengerConfig {
    /// The Graph API base URL replies go to.
    pub graph_url: String,
    /// Signs the webhook's events (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Answers the webhook's verification handshake.
    pub verify_token: String,
    /// Authorises the bot's Send API and handover calls.
    pub page_token: String,
}

impl fmt::Debug for MessengerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = "[REDACTED]";
        f.debug_struct("MessengerConfig")
            .field("graph_url", &self.graph_url)
            .field("app_secret", &redacted)
            .field("verify_token", &redacted)
            .field("page_token", &redacted)
            .finish()
    }
}

/// The Messenger channel: endpoints, secrets, linked tokens and the ids of processed events.
pub struct Messenger {
    http: reqwest::Client,
    /// `{graph}/v19.0/me/messages?access_token=…`
    send_api: Url,
    /// `{graph}/v19.0/me/pass_thread_control?access_token=…`
    handover: Url,
    /// `{bank}/oauth/token`
    token_url: Url,
    app_secret: String,
    verify_token: String,
    /// PSID → bank token.
    links: Mutex<HashMap<String, String>>,
    seen: Mutex<Seen>,
    /// Answers replayed events too.
    careless: bool,
}

impl Messenger {
    pub fn new(config: &MessengerConfig, bank: &Url, careless: bool) -> Result<Self, DemoError> {
        for (field, value) in [
            ("app secret", &config.app_secret),
            ("verify token", &config.verify_token),
            ("page token", &config.page_token),
        ] {
            if value.is_empty() {
                return Err(DemoError::MessengerSecret { field });
            }
        }
        let graph_url = |edge| {
            let mut url = base_url(&config.graph_url)
                .and_then(|base| join_url(&base, [GRAPH_VERSION, "me", edge]))
                .ok_or_else(|| DemoError::GraphUrl {
                    url: config.graph_url.clone(),
                })?;
            url.query_pairs_mut()
                .append_pair("access_token", &config.page_token);
            Ok::<_, DemoError>(url)
        };
        let token_url = join_url(bank, ["oauth", "token"]).ok_or_else(|| DemoError::BankUrl {
            url: bank.to_string(),
        })?;
        Ok(Self {
            http: reqwest::Client::builder().timeout(TIMEOUT).build()?,
            send_api: graph_url("messages")?,
            handover: graph_url("pass_thread_control")?,
            token_url,
            app_secret: config.app_secret.clone(),
            verify_token: config.verify_token.clone(),
            links: Mutex::default(),
            seen: Mutex::new(Seen::new(SEEN_CAPACITY)),
            careless,
        })
    }

    /// `GET /webhook`: the subscription handshake.
    pub fn verify(&self, query: Option<&str>) -> Response<Full<Bytes>> {
        let (mut mode, mut token, mut challenge) = (None, None, None);
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "hub.mode" => mode = Some(value),
                "hub.verify_token" => token = Some(value),
                "hub.challenge" => challenge = Some(value),
                _ => {}
            }
        }
        let expected = self.verify_token.as_bytes();
        let verified = mode.as_deref() == Some("subscribe")
            && token.is_some_and(|token| same(token.as_bytes(), expected));
        match (verified, challenge) {
            (true, Some(challenge)) => respond(
                StatusCode::OK,
                "text/plain",
                challenge.into_owned().into_bytes(),
            ),
            (true, None) => error(StatusCode::BAD_REQUEST, "missing hub.challenge".to_owned()),
            (false, _) => error(
                StatusCode::FORBIDDEN,
                "webhook verification failed".to_owned(),
            ),
        }
    }

    /// `POST /webhook`: checks the signature, then processes every event before answering.
    pub async fn receive(&self, bot: &Brain, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match read_body(body, MAX_BODY).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        if !self.signed(parts.headers.get("x-hub-signature-256"), &body) {
            return error(
                StatusCode::FORBIDDEN,
                "missing or invalid X-Hub-Signature-256".to_owned(),
            );
        }
        let notification = match serde_json::from_slice::<Notification>(&body) {
            Ok(notification) if notification.object == "page" => notification,
            Ok(other) => {
                let message = format!("unsupported webhook object {:?}", other.object);
                return error(StatusCode::BAD_REQUEST, message);
            }
            Err(e) => {
                let message = format!("invalid webhook notification: {e}");
                return error(StatusCode::BAD_REQUEST, message);
            }
        };
        for event in notification.entry.iter().flat_map(|e| &e.messaging) {
            self.handle(bot, event).await;
        }
        respond(StatusCode::OK, "text/plain", b"EVENT_RECEIVED".to_vec())
    }

    /// Whether `header` is `sha256=` and the hex HMAC-SHA256 of `body` with the app secret.
    fn signed(&self, header: Option<&HeaderValue>, body: &[u8]) -> bool {
        let signature = header
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("sha256="))
            .and_then(decode_hex);
        let mac = Hmac::<Sha256>::new_from_slice(self.app_secret.as_bytes());
        let (Some(signature), Ok(mut mac)) = (signature, mac) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&signature).is_ok()
    }

    /// Processes one event, unless it is unreadable, of no interest or a replay.
    async fn handle(&self, bot: &Brain, event: &Value) {
        let parsed = match Event::deserialize(event) {
            Ok(parsed) => parsed,
            Err(e) => {
                eprintln!("messenger: skipping an unreadable webhook event: {e}");
                return;
            }
        };
        let psid = parsed.sender.id.as_str();
        let Some(action) = parsed.action() else {
            return;
        };
        let id = match parsed.mid() {
            Some(mid) => format!("mid:{mid}"),
            None => format!("sha256:{}", sha256_hex(&event.to_string())),
        };
        let first = lock(&self.seen).first(id);
        if psid.is_empty() || !(first || self.careless) {
            return;
        }
        let typing = json!({"recipient": {"id": psid}, "sender_action": "typing_on"});
        self.post(&self.send_api, &typing).await;
        match action {
            Action::Say(text) => self.say(bot, psid, text).await,
            Action::Link(code) => {
                let reply = self.link(bot, psid, code).await;
                self.send(psid, json!({"text": reply})).await;
            }
            Action::Unlink => {
                lock(&self.links).remove(psid);
                self.send(psid, json!({"text": UNLINKED})).await;
            }
        }
    }

    /// Answers what the user said like `/chat` does, and hands advisor requests to the Page Inbox.
    async fn say(&self, bot: &Brain, psid: &str, text: &str) {
        let token = lock(&self.links).get(psid).cloned().unwrap_or_default();
        let intent = classify(text);
        let greeting = intent == Intent::Bank(BankQuery::Greeting);
        for reply in bot.reply(psid, text, &token).await {
            let message = if greeting && reply.quick_replies == MENU {
                button_template(&reply)
            } else {
                message(&reply)
            };
            self.send(psid, message).await;
            if let Some(receipt) = &reply.receipt {
                self.send(psid, receipt_template(receipt)).await;
            }
        }
        if intent == Intent::Advisor {
            let handover = json!({
                "recipient": {"id": psid},
                "target_app_id": PAGE_INBOX_APP_ID,
                "metadata": "advisor requested",
            });
            self.post(&self.handover, &handover).await;
        }
    }

    /// Exchanges the authorization code for the PSID's bank token; the reply text.
    async fn link(&self, bot: &Brain, psid: &str, code: &str) -> &'static str {
        match self.exchange(code).await {
            Ok(token) => {
                lock(&self.links).insert(psid.to_owned(), token);
                bot.relink(psid);
                LINKED
            }
            Err(e) => {
                eprintln!("messenger: cannot link a bank account: {e}");
                LINK_FAILED
            }
        }
    }

    /// `POST {bank}/oauth/token` with the authorization code → the `access_token`.
    async fn exchange(&self, code: &str) -> Result<String, LinkError> {
        let form = [("grant_type", "authorization_code"), ("code", code)];
        let request = self.http.post(self.token_url.clone()).form(&form);
        let transport = |e| LinkError::Transport(describe(e));
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(LinkError::Status(status.as_u16()));
        }
        let body = response.bytes().await.map_err(transport)?;
        let answer: TokenAnswer = serde_json::from_slice(&body)?;
        if answer.access_token.is_empty() {
            return Err(LinkError::EmptyToken);
        }
        Ok(answer.access_token)
    }

    /// One Send API message to the PSID, as a response to what they sent.
    async fn send(&self, psid: &str, message: Value) {
        let body =
            json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message});
        self.post(&self.send_api, &body).await;
    }

    /// POSTs `body` to a Graph API endpoint; failures are logged (without the page token).
    async fn post(&self, url: &Url, body: &Value) {
        let endpoint = url.path();
        match self.http.post(url.clone()).json(body).send().await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                let status = response.status();
                let answer = response.text().await.unwrap_or_default();
                let answer: String = answer.chars().take(MAX_LOGGED).collect();
                eprintln!("messenger: {endpoint} answered HTTP {status}: {answer}");
            }
            Err(e) => eprintln!("messenger: cannot call {endpoint}: {}", describe(e)),
        }
    }
}

/// Why an account could not be linked.
#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("cannot reach the bank's token endpoint: {0}")]
    Transport(String),
    #[error("the bank's token endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the bank's token answer is unreadable: {0}")]
    Body(#[from] serde_json::Error),
    #[error("the bank's token answer has an empty access_token")]
    EmptyToken,
}

/// A reqwest error with its causes, without its URL (which may carry the page token).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(source) = cause {
        text = format!("{text}: {source}");
        cause = source.source();
    }
    text
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// A webhook body.
#[derive(Deserialize)]
struct Notification {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    /// Each event stays raw until it is read, so one bad event does not sink the batch.
    #[serde(default)]
    messaging: Vec<Value>,
}

/// One messaging event, as far as the bot reads it.
#[derive(Deserialize)]
struct Event {
    sender: Party,
    message: Option<Message>,
    postback: Option<Postback>,
    account_linking: Option<AccountLinking>,
}

#[derive(Deserialize)]
struct Party {
    id: String,
}

#[derive(Deserialize)]
struct Message {
    mid: Option<String>,
    text: Option<String>,
    quick_reply: Option<QuickReply>,
    #[serde(default)]
    is_echo: bool,
}

#[derive(Deserialize)]
struct QuickReply {
    payload: String,
}

#[derive(Deserialize)]
struct Postback {
    mid: Option<String>,
    payload: String,
}

#[derive(Deserialize)]
struct AccountLinking {
    status: String,
    authorization_code: Option<String>,
}

/// What an event asks of the bot.
enum Action<'a> {
    /// The user said this (a text, a quick reply's or a postback's payload).
    Say(&'a str),
    /// Link the bank account with this authorization code.
    Link(&'a str),
    Unlink,
}

impl Event {
    fn action(&self) -> Option<Action<'_>> {
        if let Some(message) = &self.message {
            let said = match (&message.quick_reply, &message.text) {
                (Some(quick_reply), _) => quick_reply.payload.as_str(),
                (None, text) => text.as_deref().unwrap_or(""),
            };
            return (!message.is_echo).then_some(Action::Say(said));
        }
        if let Some(postback) = &self.postback {
            return Some(Action::Say(&postback.payload));
        }
        let linking = self.account_linking.as_ref()?;
        match (linking.status.as_str(), &linking.authorization_code) {
            ("linked", Some(code)) => Some(Action::Link(code)),
            ("unlinked", _) => Some(Action::Unlink),
            _ => None,
        }
    }

    /// The message's or postback's id.
    fn mid(&self) -> Option<&str> {
        let message = self.message.as_ref().and_then(|m| m.mid.as_deref());
        message.or_else(|| self.postback.as_ref().and_then(|p| p.mid.as_deref()))
    }
}

/// The ids of the latest processed events, oldest first out.
struct Seen {
    capacity: usize,
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Seen {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            order: VecDeque::new(),
            ids: HashSet::new(),
        }
    }

    /// Records `id`; false if it is already recorded.
    fn first(&mut self, id: String) -> bool {
        if !self.ids.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
        true
    }
}

/// A reply as a Send API message: its text, with its quick replies if it has any.
fn message(reply: &Reply) -> Value {
    if reply.quick_replies.is_empty() {
        return json!({"text": reply.text});
    }
    let quick_replies: Vec<Value> = reply
        .quick_replies
        .iter()
        .map(|title| json!({"content_type": "text", "title": title, "payload": payload(title)}))
        .collect();
    json!({"text": reply.text, "quick_replies": quick_replies})
}

/// A reply as a button template: its text, with its quick replies as postback buttons.
fn button_template(reply: &Reply) -> Value {
    let buttons: Vec<Value> = reply
        .quick_replies
        .iter()
        .map(|title| json!({"type": "postback", "title": title, "payload": payload(title)}))
        .collect();
    json!({"attachment": {"type": "template", "payload": {
        "template_type": "button",
        "text": reply.text,
        "buttons": buttons,
    }}})
}

/// A receipt template for money the bot moved.
fn receipt_template(receipt: &Receipt) -> Value {
    json!({"attachment": {"type": "template", "payload": {
        "template_type": "receipt",
        "recipient_name": receipt.recipient,
        "order_number": receipt.order,
        "currency": "USD",
        "payment_method": "Bank account",
        "elements": [{"title": receipt.item, "price": receipt.total}],
        "summary": {"total_cost": receipt.total},
    }}})
}

/// The payload of a quick reply or button: "Link account" → "LINK_ACCOUNT".
fn payload(title: &str) -> String {
    title.to_uppercase().replace(' ', "_")
}

/// Hex digits (either case) as bytes; `None` for an odd length or a non-hex character.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let nibble = |b: u8| char::from(b).to_digit(16);
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => u8::try_from(nibble(*high)? << 4 | nibble(*low)?).ok(),
            _ => None,
        })
        .collect()
}

/// Whether `a == b`, in a time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use http_body_util::BodyExt;
    use serde_json::json as j;

    use super::super::tests::{
        captured_telemetry, fake_bank, find, of, serve_fake, take, Calls, ADVISOR, OPT_IN, REVOKED,
    };
    use super::super::{json as answer, DemoBot, Telemetry};
    use super::*;

    const SECRET: &str = "app-secret-123";
    const VERIFY_TOKEN: &str = "verify-me";
    const PAGE_TOKEN: &str = "EAAG-page-token";
    const PSID: &str = "6000000000000001";
    const MESSAGES: &str = "/v19.0/me/messages";
    const GREETING: &str = "Hello Ada! I can show your balances, recent transactions and \
        spending, or connect you to an advisor.";
    const HELP: &str = "Sorry, I didn't understand that. You can ask about your balance, \
        recent transactions, spending at a merchant, or talk to an advisor.";

    /// What the Graph API stand-in received: path, query and JSON body of every call, in order.
    type Graph = Arc<Mutex<Vec<(String, String, Value)>>>;

    /// A Graph API stand-in that answers like the Send API and the handover API.
    async fn graph_api() -> (String, Graph) {
        let graph = Graph::default();
        let log = Arc::clone(&graph);
        let url = serve_fake(move |req: Request<Incoming>| {
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                let body: Value = serde_json::from_slice(&body).unwrap();
                let path = parts.uri.path().to_owned();
                let reply = if path.ends_with("/pass_thread_control") {
                    j!({"success": true})
                } else {
                    j!({"recipient_id": body["recipient"]["id"], "message_id": "m_out"})
                };
                let query = parts.uri.query().unwrap_or("").to_owned();
                log.lock().unwrap().push((path, query, body));
                answer(StatusCode::OK, &reply)
            }
        })
        .await;
        (url, graph)
    }

    fn config(graph_url: String) -> MessengerConfig {
        MessengerConfig {
            graph_url,
            app_secret: SECRET.to_owned(),
            verify_token: VERIFY_TOKEN.to_owned(),
            page_token: PAGE_TOKEN.to_owned(),
        }
    }

    /// A Messenger bot with the fake bank and the Graph stand-in.
    struct Harness {
        bot: DemoBot,
        bank: Calls,
        graph: Graph,
    }

    async fn start(telemetry: Telemetry) -> Harness {
        let (bank_url, bank) = fake_bank(false).await;
        let (graph_url, graph) = graph_api().await;
        let messenger = Some(config(graph_url));
        let bot = DemoBot::start_with(&bank_url, 0, telemetry, messenger, false)
            .await
            .unwrap();
        Harness { bot, bank, graph }
    }

    /// `X-Hub-Signature-256` of `body` with `secret`.
    fn signature(secret: &str, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        format!("sha256={:x}", mac.finalize().into_bytes())
    }

    async fn post_webhook(bot: &DemoBot, body: &str, signature: Option<&str>) -> (u16, String) {
        let url = format!("{}/webhook", bot.url());
        let mut request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(signature) = signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    fn notification(events: &[Value]) -> String {
        j!({"object": "page", "entry": [{"id": "PAGE_ID", "time": 1_782_777_600_000_u64, "messaging": events}]})
            .to_string()
    }

    /// Delivers the events as one signed notification; they are processed when this returns.
    async fn deliver(bot: &DemoBot, events: &[Value]) {
        let body = notification(events);
        let answer = post_webhook(bot, &body, Some(&signature(SECRET, &body))).await;
        assert_eq!(answer, (200, "EVENT_RECEIVED".to_owned()));
    }

    /// An event from PSID with `fields` (`message`, `postback`, …).
    fn event(fields: Value) -> Value {
        let mut event = j!({"sender": {"id": PSID}, "recipient": {"id": "PAGE_ID"}, "timestamp": 1_782_777_600_000_u64});
        if let (Some(event), Value::Object(fields)) = (event.as_object_mut(), fields) {
            event.extend(fields);
        }
        event
    }

    fn text(mid: &str, text: &str) -> Value {
        event(j!({"message": {"mid": mid, "text": text}}))
    }

    fn postback(mid: &str, payload: &str) -> Value {
        event(j!({"postback": {"mid": mid, "title": payload, "payload": payload}}))
    }

    fn linked(code: &str) -> Value {
        event(j!({"account_linking": {"status": "linked", "authorization_code": code}}))
    }

    fn plain(text: &str) -> Value {
        j!({"text": text})
    }

    fn quick(text: &str, titles: &[&str]) -> Value {
        let quick_replies: Vec<Value> = titles
            .iter()
            .map(|t| j!({"content_type": "text", "title": t, "payload": t.to_uppercase().replace(' ', "_")}))
            .collect();
        j!({"text": text, "quick_replies": quick_replies})
    }

    /// Takes the Graph calls so far as (path, body), checking that each carries the page token.
    fn sent(graph: &Graph) -> Vec<(String, Value)> {
        let calls = std::mem::take(&mut *graph.lock().unwrap());
        let check = |(path, query, body): (String, String, Value)| {
            assert_eq!(query, format!("access_token={PAGE_TOKEN}"), "{path}");
            (path, body)
        };
        calls.into_iter().map(check).collect()
    }

    /// Takes the messages the bot sent for one event, checking that typing_on came first.
    fn replies(graph: &Graph) -> Vec<Value> {
        let calls = sent(graph);
        let typing = j!({"recipient": {"id": PSID}, "sender_action": "typing_on"});
        assert_eq!(calls.first(), Some(&(MESSAGES.to_owned(), typing)));
        let message = |(path, body): &(String, Value)| {
            assert_eq!(path, MESSAGES);
            assert_eq!(
                (&body["recipient"], &body["messaging_type"]),
                (&j!({"id": PSID}), &j!("RESPONSE"))
            );
            body["message"].clone()
        };
        calls[1..].iter().map(message).collect()
    }

    #[tokio::test]
    async fn answers_the_verification_handshake() {
        let h = start(Telemetry::default()).await;
        let get = |query: &str| {
            let url = format!("{}/webhook?{query}", h.bot.url());
            async move {
                let response = reqwest::get(url).await.unwrap();
                let status = response.status().as_u16();
                let content_type = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                (status, content_type, response.text().await.unwrap())
            }
        };
        let ok =
            get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444").await;
        assert_eq!(ok, (200, "text/plain".to_owned(), "1158201444".to_owned()));
        for query in [
            "hub.mode=subscribe&hub.verify_token=verify-mf&hub.challenge=1",
            "hub.mode=subscribe&hub.verify_token=verify-me-too&hub.challenge=1",
            "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
            "hub.challenge=1",
            "",
        ] {
            assert_eq!(get(query).await.0, 403, "{query}");
        }
        let no_challenge = get("hub.mode=subscribe&hub.verify_token=verify-me").await;
        assert_eq!(no_challenge.0, 400);

        let (bank, _) = fake_bank(false).await;
        let chat_only = DemoBot::start(&bank, 0, Telemetry::default())
            .await
            .unwrap();
        let url = format!("{}/webhook", chat_only.url());
        let query = format!("{url}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1");
        assert_eq!(reqwest::get(query).await.unwrap().status().as_u16(), 404);
        let body = notification(&[text("m1", "hi")]);
        let signed = signature(SECRET, &body);
        assert_eq!(post_webhook(&chat_only, &body, Some(&signed)).await.0, 404);
    }

    #[tokio::test]
    async fn links_the_bank_account_and_answers_through_the_send_api() {
        let h = start(Telemetry::default()).await;
        let link_prompt = quick(OPT_IN, &["Link account"]);
        deliver(&h.bot, &[text("m1", "hi")]).await;
        assert_eq!(replies(&h.graph), std::slice::from_ref(&link_prompt));
        let tapped = j!({"message": {"mid": "m2", "text": "Link account", "quick_reply": {"payload": "LINK_ACCOUNT"}}});
        deliver(&h.bot, &[event(tapped)]).await;
        assert_eq!(
            replies(&h.graph),
            std::slice::from_ref(&link_prompt),
            "linking happens in Messenger's log-in flow"
        );
        assert!(
            h.bank.lock().unwrap().is_empty(),
            "no bank call before linking"
        );

        deliver(&h.bot, &[linked("code_ada")]).await;
        assert_eq!(
            h.bank.lock().unwrap().as_slice(),
            ["/oauth/token grant_type=authorization_code&code=code_ada"]
        );
        assert_eq!(replies(&h.graph), [plain("Your bank account is linked.")]);

        deliver(&h.bot, &[text("m3", "hi")]).await;
        let buttons = j!([
            {"type": "postback", "title": "Balance", "payload": "BALANCE"},
            {"type": "postback", "title": "Transactions", "payload": "TRANSACTIONS"},
            {"type": "postback", "title": "Advisor", "payload": "ADVISOR"},
        ]);
        let template = j!({"attachment": {"type": "template", "payload": {
            "template_type": "button", "text": GREETING, "buttons": buttons}}});
        assert_eq!(replies(&h.graph), [template]);

        deliver(&h.bot, &[postback("p1", "BALANCE")]).await;
        assert_eq!(
            replies(&h.graph),
            [
                plain("Your checking account ending 1234 has a balance of $2,400.00."),
                plain("Your credit card account ending 9876 has a balance of $310.50."),
            ]
        );

        // A tapped quick reply says its payload, whatever the message text.
        let tapped = j!({"message": {"mid": "m4", "text": "that one", "quick_reply": {"payload": "TRANSACTIONS"}}});
        deliver(&h.bot, &[event(tapped)]).await;
        assert_eq!(
            replies(&h.graph),
            [
                plain("Here are your last 3 transactions on your checking account:"),
                plain("2026-06-29 Starbucks -$4.75"),
                plain("2026-06-28 Payroll +$1,500.00"),
                plain("2026-06-27 Shell -$40.00"),
            ]
        );

        deliver(&h.bot, &[text("m5", "blah")]).await;
        let menu = ["Balance", "Transactions", "Advisor"];
        assert_eq!(
            replies(&h.graph),
            [quick(HELP, &menu)],
            "only the greeting is a template"
        );

        let bank_calls = h.bank.lock().unwrap().len();
        deliver(
            &h.bot,
            &[event(j!({"account_linking": {"status": "unlinked"}}))],
        )
        .await;
        assert_eq!(replies(&h.graph), [plain("Your bank account is unlinked.")]);
        deliver(&h.bot, &[text("m6", "balance")]).await;
        assert_eq!(replies(&h.graph), [link_prompt]);
        assert_eq!(
            h.bank.lock().unwrap().len(),
            bank_calls,
            "no bank call after unlinking"
        );
    }

    #[tokio::test]
    async fn relinking_after_a_revoked_consent_reads_the_bank_again() {
        let h = start(Telemetry::default()).await;
        deliver(&h.bot, &[linked("code_revoked")]).await;
        sent(&h.graph);
        deliver(&h.bot, &[postback("p1", "BALANCE")]).await;
        assert_eq!(replies(&h.graph), [quick(REVOKED, &["Link account"])]);
        deliver(&h.bot, &[postback("p2", "BALANCE")]).await;
        let link_prompt = quick(OPT_IN, &["Link account"]);
        assert_eq!(replies(&h.graph), [link_prompt], "no more bank calls");
        deliver(&h.bot, &[linked("code_ada")]).await;
        sent(&h.graph);
        deliver(&h.bot, &[text("m1", "checking balance")]).await;
        assert_eq!(
            replies(&h.graph),
            [plain(
                "Your checking account ending 1234 has a balance of $2,481.17."
            )]
        );
    }

    #[tokio::test]
    async fn a_failed_link_links_nothing() {
        let h = start(Telemetry::default()).await;
        deliver(&h.bot, &[linked("code_nope")]).await;
        let failed = "Sorry, I couldn't link your bank account. Please try again.";
        assert_eq!(replies(&h.graph), [plain(failed)]);
        deliver(&h.bot, &[postback("p1", "BALANCE")]).await;
        assert_eq!(replies(&h.graph), [quick(OPT_IN, &["Link account"])]);
        let exchange = "/oauth/token grant_type=authorization_code&code=code_nope";
        assert_eq!(h.bank.lock().unwrap().as_slice(), [exchange]);
    }

    #[tokio::test]
    async fn rejects_unsigned_and_forged_events() {
        let h = start(Telemetry::default()).await;
        let body = notification(&[text("m1", "hi")]);
        let good = signature(SECRET, &body);
        let hex = &good["sha256=".len()..];
        let forged = [
            signature("another-secret", &body),
            signature(SECRET, &notification(&[text("m1", "hello")])),
            format!("sha1={hex}"),
            format!("SHA256={hex}"),
            format!("sha256={hex}00"),
            format!("sha256={}", &hex[2..]),
            format!("sha256={}", &hex[1..]),
            format!("sha256=zz{}", &hex[2..]),
            format!("sha256=+f{}", &hex[2..]),
            "sha256=".to_owned(),
            hex.to_owned(),
        ];
        for signature in &forged {
            let answer = post_webhook(&h.bot, &body, Some(signature)).await;
            assert_eq!(answer.0, 403, "{signature}");
        }
        assert_eq!(post_webhook(&h.bot, &body, None).await.0, 403);
        let tampered = body.replace("\"hi\"", "\"hi!\"");
        assert_eq!(post_webhook(&h.bot, &tampered, Some(&good)).await.0, 403);
        assert!(h.graph.lock().unwrap().is_empty(), "no Send API call");
        assert!(h.bank.lock().unwrap().is_empty(), "no bank call");

        let upper = format!("sha256={}", hex.to_uppercase());
        let answer = post_webhook(&h.bot, &body, Some(&upper)).await;
        assert_eq!(answer, (200, "EVENT_RECEIVED".to_owned()));
        assert_eq!(replies(&h.graph).len(), 1);

        for bad in [
            "{nope",
            r#"{"object": "instagram", "entry": []}"#,
            r#"{"entry": []}"#,
        ] {
            let answer = post_webhook(&h.bot, bad, Some(&signature(SECRET, bad))).await;
            assert_eq!(answer.0, 400, "{bad}");
        }
        assert!(h.graph.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn processes_a_replayed_event_once() {
        let h = start(Telemetry::default()).await;
        let body = notification(&[text("m1", "hi")]);
        let signed = signature(SECRET, &body);
        for _ in 0..3 {
            let answer = post_webhook(&h.bot, &body, Some(&signed)).await;
            assert_eq!(answer, (200, "EVENT_RECEIVED".to_owned()));
        }
        assert_eq!(sent(&h.graph).len(), 2, "typing_on and one reply");
        deliver(
            &h.bot,
            &[
                text("m2", "hi"),
                text("m2", "hi"),
                postback("p1", "ADVISOR"),
            ],
        )
        .await;
        let calls = sent(&h.graph);
        let paths: Vec<&str> = calls.iter().map(|(path, _)| path.as_str()).collect();
        let handover = "/v19.0/me/pass_thread_control";
        assert_eq!(paths, [MESSAGES, MESSAGES, MESSAGES, MESSAGES, handover]);
        deliver(&h.bot, &[postback("p1", "ADVISOR")]).await;
        assert!(
            sent(&h.graph).is_empty(),
            "a postback's mid identifies it too"
        );

        // Account linking events carry no mid: the event's hash identifies them.
        deliver(&h.bot, &[linked("code_ada")]).await;
        deliver(&h.bot, &[linked("code_ada")]).await;
        assert_eq!(h.bank.lock().unwrap().len(), 1);
        assert_eq!(replies(&h.graph), [plain("Your bank account is linked.")]);
    }

    #[tokio::test]
    async fn hands_advisor_requests_to_the_page_inbox() {
        let h = start(Telemetry::default()).await;
        let handover = (
            "/v19.0/me/pass_thread_control".to_owned(),
            j!({"recipient": {"id": PSID}, "target_app_id": 263_902_037_430_900_u64, "metadata": "advisor requested"}),
        );
        for advisor in [
            postback("p1", "ADVISOR"),
            text("m1", "I want to talk to a person"),
        ] {
            deliver(&h.bot, &[advisor]).await;
            let calls = sent(&h.graph);
            let typing = j!({"recipient": {"id": PSID}, "sender_action": "typing_on"});
            let reply = j!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": ADVISOR}});
            assert_eq!(
                calls,
                [
                    (MESSAGES.to_owned(), typing),
                    (MESSAGES.to_owned(), reply),
                    handover.clone()
                ]
            );
        }
    }

    #[tokio::test]
    async fn ignores_echoes_receipts_and_unreadable_events() {
        let h = start(Telemetry::default()).await;
        let other = |fields: Value| event(fields);
        deliver(
            &h.bot,
            &[
                other(j!({"message": {"mid": "m_echo", "text": "hi", "is_echo": true}})),
                other(j!({"delivery": {"mids": ["m_out"], "watermark": 1}})),
                other(j!({"read": {"watermark": 1}})),
                other(j!({"account_linking": {"status": "linked"}})),
                j!({"sender": 5, "message": {"mid": "m_bad", "text": "hi"}}),
                j!({"message": {"mid": "m_orphan", "text": "hi"}}),
                j!({"sender": {"id": ""}, "message": {"mid": "m_nobody", "text": "hi"}}),
                j!("not an event"),
                event(j!({"message": {"mid": "m_sticker", "attachments": [{"type": "image"}]}})),
            ],
        )
        .await;
        let menu = ["Balance", "Transactions", "Advisor"];
        assert_eq!(
            replies(&h.graph),
            [quick(HELP, &menu)],
            "only the sticker is answered"
        );
    }

    #[tokio::test]
    async fn survives_an_unreachable_graph_api() {
        let (bank, calls) = fake_bank(false).await;
        let messenger = Some(config("http://127.0.0.1:9".to_owned()));
        let bot = DemoBot::start_with(&bank, 0, Telemetry::default(), messenger, false)
            .await
            .unwrap();
        let started = Instant::now();
        deliver(
            &bot,
            &[
                linked("code_ada"),
                text("m1", "hi"),
                postback("p1", "ADVISOR"),
            ],
        )
        .await;
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        assert_eq!(
            calls.lock().unwrap().len(),
            2,
            "the exchange and the greeting's customer"
        );
    }

    #[tokio::test]
    async fn reports_telemetry_for_messenger_conversations() {
        let (telemetry, log) = captured_telemetry(false).await;
        let h = start(telemetry).await;
        deliver(&h.bot, &[text("m1", "hi")]).await;
        let all = take(&log);
        assert_eq!(all.len(), 5, "one normal event per service");
        let contact = find(&all, "meta", "/data/0/event_name", "Contact");
        let external_id = j!([sha256_hex(PSID)]);
        assert_eq!(
            contact.json()["data"][0]["user_data"],
            j!({"external_id": external_id})
        );
        find(&all, "google", "/events/0/name", "greeting");

        let (telemetry, log) = captured_telemetry(true).await;
        let h = start(telemetry).await;
        deliver(&h.bot, &[linked("code_ada")]).await;
        assert!(take(&log).is_empty(), "linking is not a chat turn");
        deliver(&h.bot, &[text("m1", "hi")]).await;
        let all = take(&log);
        assert_eq!(
            all.len(),
            7,
            "the normal events and the greeting's two leaks"
        );
        let lead = find(&all, "meta", "/data/0/event_name", "Lead");
        assert_eq!(
            lead.json()["data"][0]["user_data"]["external_id"],
            external_id
        );
        let identify = of(&all, "segment")
            .into_iter()
            .find(|c| c.path == "/v1/identify");
        assert_eq!(identify.unwrap().header("x-bank-token"), "tok_test");
    }

    #[tokio::test]
    async fn rejects_a_bad_messenger_config() {
        let (bank, _) = fake_bank(false).await;
        let start = |config: MessengerConfig| {
            let bank = bank.clone();
            async move { DemoBot::start_with(&bank, 0, Telemetry::default(), Some(config), false).await }
        };
        let graph_url = "graph.facebook.com".to_owned();
        let err = start(config(graph_url)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid Messenger Graph API URL \"graph.facebook.com\": expected an http(s) URL such as http://127.0.0.1:4000"
        );
        let secret = MessengerConfig {
            app_secret: String::new(),
            ..config("http://127.0.0.1:1".to_owned())
        };
        let err = start(secret).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the Messenger app secret must not be empty"
        );
        let shown = format!("{:?}", config("http://127.0.0.1:1".to_owned()));
        for secret in [SECRET, VERIFY_TOKEN, PAGE_TOKEN] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn remembers_a_bounded_number_of_event_ids() {
        let mut seen = Seen::new(2);
        assert!(seen.first("a".into()));
        assert!(!seen.first("a".into()));
        assert!(seen.first("b".into()));
        assert!(seen.first("c".into()));
        assert!(!seen.first("b".into()));
        assert!(seen.first("a".into()), "the oldest id was forgotten");
        assert_eq!(seen.order.len(), 2);
        assert_eq!(seen.ids.len(), 2);
    }

    #[test]
    fn decodes_hex_strictly_and_compares_in_constant_time() {
        assert_eq!(decode_hex("00ffAb"), Some(vec![0, 255, 171]));
        assert_eq!(decode_hex(""), Some(vec![]));
        for bad in ["abc", "zz", "+f", "-1", " 1", "é1"] {
            assert_eq!(decode_hex(bad), None, "{bad:?}");
        }
        assert!(same(b"token", b"token"));
        assert!(!same(b"token", b"tokem"));
        assert!(!same(b"token", b"token!"));
        assert_eq!(payload("Link account"), "LINK_ACCOUNT");
    }
}
