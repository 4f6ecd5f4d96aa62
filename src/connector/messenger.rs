//! The Messenger Platform connector: banter plays Facebook's side. It verifies the bot's
//! webhook (the `hub.challenge` handshake), posts signed webhook events (`X-Hub-Signature-256`,
//! HMAC-SHA256 of the exact body with the app secret, and `X-Hub-Signature`, HMAC-SHA1, which
//! older bots check), links the customer's bank account with
//! an `account_linking` event, and serves the Send API on a Graph mock (`{{ graph.url }}`),
//! where it collects the bot's replies per PSID and checks the page access token.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use wiremock::{MockServer, Request, ResponseTemplate};

use super::http::HttpEndpoint;
use super::settings::Headers;
use super::{ConnectorError, Protocol, Replies, ServerError};
use crate::money::Money;
use crate::template::Template;
use crate::transcript::{BotMessage, Receipt};

/// The page the conversations are with.
const PAGE_ID: &str = "1000000000000001";
use super::inbox::{serve, take, FIRST_REPLY};
use super::json::titles;
use crate::sync::lock;
/// How long a webhook check waits for a reply that must not come.
const CHECK_WAIT: Duration = Duration::from_millis(500);

/// The `bot:` settings of the Messenger connector (`connector: messenger`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessengerConfig {
    /// The bot's webhook, e.g. `http://127.0.0.1:{{ port }}/webhook`.
    #[serde(default)]
    pub url: Option<Template>,
    /// Extra webhook request headers, templates.
    #[serde(default)]
    pub headers: Headers,
    /// The app secret both sides sign webhook bodies with; `{{ messenger.app_secret }}` in templates.
    #[serde(default = "default_app_secret")]
    pub app_secret: String,
    /// The token the bot expects in the verification handshake.
    #[serde(default = "default_verify_token")]
    pub verify_token: String,
    /// The page access token the bot must send to the Send API.
    #[serde(default = "default_page_token")]
    pub page_token: String,
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

/// One call the bot made to the Graph mock.
#[derive(Debug, Clone)]
struct GraphCall {
    psid: String,
    at: Instant,
    kind: GraphKind,
    /// Sent to a PSID that was not waiting for a reply: unknown, or a conversation between turns.
    stray: bool,
}

impl GraphCall {
    /// Whether the call is a reply (a message, or the thread handed over), not a sender action.
    fn replies(&self) -> bool {
        matches!(self.kind, GraphKind::Message(_) | GraphKind::Handover)
    }
}

#[derive(Debug, Clone)]
enum GraphKind {
    /// `POST /{version}/me/messages` with a message.
    Message(Value),
    /// A sender action (`typing_on`, `mark_seen`), which is not a reply.
    Action,
    /// `POST /{version}/me/pass_thread_control`.
    Handover,
    /// A call the Graph API refuses: wrong token, unknown PSID, malformed body.
    Refused(String),
}

#[derive(Default)]
struct Graph {
    calls: Vec<GraphCall>,
    psids: HashSet<String>,
    /// The PSIDs whose conversation is in a turn, waiting for replies.
    awaiting: HashSet<String>,
    timing: Timing,
}

/// How many turns, played out to the quiet window, must have had every Send API call before
/// their webhook call returned before the bot's turns end as soon as it returns.
const SYNCHRONOUS_TURNS: usize = 3;

/// When the bot answers, as learnt from its turns. A bot that sends its replies before it
/// answers the webhook call (as the Messenger samples do) has said everything once that call
/// returned; one that answers afterwards needs the quiet window.
#[derive(Debug, Default)]
struct Timing {
    /// Turns so far whose every Send API call came before their webhook call returned.
    synchronous: usize,
    /// A Send API call came after its webhook call returned, or after its turn: every turn
    /// waits for the quiet window from then on.
    asynchronous: bool,
}

impl Timing {
    /// Whether a turn may end once its webhook call returned with a reply sent.
    fn synchronous(&self) -> bool {
        !self.asynchronous && self.synchronous >= SYNCHRONOUS_TURNS
    }

    /// Learns from a turn's Send API calls for its PSID, taken once it ended: those sent
    /// after the turn began, and late ones, sent after the previous turn had ended.
    fn learn(&mut self, calls: &[&GraphCall], since: Instant, returned: Instant, waited: bool) {
        let late = calls.iter().any(|c| c.at < since || c.at > returned);
        let replied = calls.iter().any(|c| c.at >= since && c.replies());
        if late {
            self.asynchronous = true;
        } else if replied && waited {
            self.synchronous += 1;
        }
    }
}

/// Talks to a Messenger bot as the Messenger Platform does.
pub struct MessengerConnector {
    webhook: HttpEndpoint,
    settings: MessengerConfig,
    server: MockServer,
    graph: Arc<Mutex<Graph>>,
}

/// A Graph API error body.
fn graph_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({ "error": { "message": message, "type": "OAuthException", "code": code } }),
    )
}

fn answer(graph: &Mutex<Graph>, page_token: &str, request: &Request) -> ResponseTemplate {
    let path = request.url.path();
    let handover = path.ends_with("/me/pass_thread_control");
    if !path.ends_with("/me/messages") && !handover {
        return graph_error(404, 803, "unknown Graph API path");
    }
    let token = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let psid = body["recipient"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut graph = lock(graph);
    let (kind, response) = if token.as_deref() != Some(page_token) {
        let why = "the page access token is wrong or missing".to_string();
        (
            GraphKind::Refused(why),
            graph_error(401, 190, "Invalid OAuth access token."),
        )
    } else if !graph.psids.contains(&psid) {
        let why = format!("the recipient `{psid}` is not a user of this page");
        (
            GraphKind::Refused(why),
            graph_error(400, 100, "(#100) No matching user found"),
        )
    } else if handover {
        (
            GraphKind::Handover,
            ResponseTemplate::new(200).set_body_json(json!({ "success": true })),
        )
    } else if body.get("sender_action").is_some() {
        (
            GraphKind::Action,
            ResponseTemplate::new(200).set_body_json(json!({ "recipient_id": psid })),
        )
    } else if body.get("message").is_some() {
        let id = format!("m_{}", graph.calls.len());
        let ok = ResponseTemplate::new(200)
            .set_body_json(json!({ "recipient_id": psid, "message_id": id }));
        (GraphKind::Message(body["message"].clone()), ok)
    } else {
        let why = "a Send API call without `message` or `sender_action`".to_string();
        (
            GraphKind::Refused(why),
            graph_error(400, 100, "(#100) param message must be non-empty"),
        )
    };
    let stray = !graph.awaiting.contains(&psid);
    graph.calls.push(GraphCall {
        psid,
        at: Instant::now(),
        kind,
        stray,
    });
    response
}

/// The payload a quick reply titled `title` carries, as the demo bot builds them:
/// upper case, spaces as underscores.
fn payload(title: &str) -> String {
    title.to_uppercase().replace(' ', "_")
}

/// The PSID of a conversation: page-scoped user ids are long decimal numbers.
fn psid(conversation_id: &str) -> String {
    let digest = Sha256::digest(conversation_id.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    format!(
        "{}",
        u64::from_be_bytes(head) % 9_000_000_000_000_000 + 1_000_000_000_000_000
    )
}

/// `sha256=<hex>` of `body` under `secret`, as in `X-Hub-Signature-256`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_hex::<Hmac<Sha256>>(secret, body))
}

/// The headers that sign a webhook event's `body` under `secret`: `X-Hub-Signature`
/// (`sha1=<hex>`) and `X-Hub-Signature-256` (`sha256=<hex>`), as Facebook sends both.
fn signature_headers(secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        (
            "X-Hub-Signature",
            format!("sha1={}", hmac_hex::<Hmac<Sha1>>(secret, body)),
        ),
        ("X-Hub-Signature-256", signature(secret, body)),
    ]
}

/// The MAC `M` (an HMAC) of `body` under `secret`, in lowercase hex.
fn hmac_hex<M: Mac + KeyInit>(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    <M as KeyInit>::new_from_slice(secret.as_bytes())
        .map(|mut mac| {
            mac.update(body);
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .unwrap_or_default()
}

/// A reply as the transcript shows it: the text (or a button template's text, or a receipt
/// template read out), the quick replies' titles and the buttons' titles.
fn reply(message: &Value) -> BotMessage {
    let payload = &message["attachment"]["payload"];
    if payload["template_type"] == "receipt" {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let elements = payload["elements"].as_array().map(Vec::as_slice);
        let receipt = Receipt {
            recipient: text(&payload["recipient_name"]),
            order: text(&payload["order_number"]),
            items: elements
                .unwrap_or_default()
                .iter()
                .map(|e| text(&e["title"]))
                .collect(),
            total: payload["summary"]["total_cost"].as_f64().map_or_else(
                || text(&payload["summary"]["total_cost"]),
                |t| Money::from_dollars(t).usd(),
            ),
        };
        return BotMessage {
            text: receipt.text(),
            quick_replies: Vec::new(),
            buttons: titles(&payload["buttons"]),
            handover: false,
            receipt: Some(receipt),
        };
    }
    // A generic template is a carousel of elements, each with a title and its own buttons.
    let elements = payload["elements"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = match message["text"]
        .as_str()
        .or_else(|| payload["text"].as_str())
    {
        Some(text) => text.to_string(),
        None => elements
            .iter()
            .filter_map(|e| e["title"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let mut buttons = titles(&payload["buttons"]);
    buttons.extend(elements.iter().flat_map(|e| titles(&e["buttons"])));
    BotMessage {
        text,
        quick_replies: titles(&message["quick_replies"]),
        buttons,
        handover: false,
        receipt: None,
    }
}

/// Marks a PSID as waiting for replies for as long as it lives, also when a turn is cut off.
struct Awaiting<'a> {
    graph: &'a Mutex<Graph>,
    psid: String,
}

impl<'a> Awaiting<'a> {
    fn new(graph: &'a Mutex<Graph>, psid: &str) -> Self {
        lock(graph).awaiting.insert(psid.to_string());
        Awaiting {
            graph,
            psid: psid.to_string(),
        }
    }
}

impl Drop for Awaiting<'_> {
    fn drop(&mut self) {
        lock(self.graph).awaiting.remove(&self.psid);
    }
}

/// What a conversation remembers: its PSID, once it is set up.
#[derive(Default)]
pub struct Conversation {
    psid: Option<String>,
    next_mid: u64,
    /// The last message event, for the replay check.
    last: Option<Value>,
}

/// How a webhook event is signed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signing {
    /// With the app secret, as the platform does.
    Right,
    /// With another secret: the bot must refuse it.
    Wrong,
    /// Not at all: the bot must refuse it.
    Missing,
}

impl MessengerConnector {
    /// Starts the Graph mock for a bot whose webhook is at `url`.
    pub async fn start(config: &MessengerConfig, url: String) -> Result<Self, ServerError> {
        let graph = Arc::new(Mutex::new(Graph::default()));
        let (recorder, token) = (graph.clone(), config.page_token.clone());
        let server = serve("Messenger Graph mock", move |request: &Request| {
            answer(&recorder, &token, request)
        })
        .await?;
        Ok(MessengerConnector {
            webhook: HttpEndpoint::new("messenger", &config.headers, url),
            settings: config.clone(),
            server,
            graph,
        })
    }

    /// The Graph mock's base URL, for `{{ graph.url }}`.
    pub fn graph_url(&self) -> String {
        self.server.uri()
    }

    /// The verification handshake: the bot must echo `hub.challenge` for the right verify token.
    pub async fn verify(&self) -> Result<(), ConnectorError> {
        let challenge = "banter-challenge-1158201444";
        let query = [
            ("hub.mode", "subscribe"),
            ("hub.verify_token", self.settings.verify_token.as_str()),
            ("hub.challenge", challenge),
        ];
        let (status, body) = self.webhook.get(&query).await?;
        if status != 200 || body.trim() != challenge {
            return Err(ConnectorError::Handshake {
                bot: self.name().to_string(),
                detail: format!(
                    "answered HTTP {status} with {:?} instead of echoing the challenge",
                    super::excerpt(&body)
                ),
            });
        }
        Ok(())
    }

    /// Posts one signed webhook event for `psid` and returns when the bot answered it.
    async fn post_event(
        &self,
        event: &Value,
        context: &minijinja::Value,
        signing: Signing,
    ) -> Result<(), ConnectorError> {
        let body = json!({
            "object": "page",
            "entry": [{ "id": PAGE_ID, "time": 1_782_777_600_000_u64, "messaging": [event] }],
        });
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let headers = match signing {
            Signing::Right => signature_headers(&self.settings.app_secret, &bytes),
            Signing::Wrong => signature_headers("not-the-app-secret", &bytes),
            Signing::Missing => Vec::new(),
        };
        self.webhook
            .post_bytes(bytes, &headers, context)
            .await
            .map(|_| ())
    }

    /// A webhook check: `event`, sent as `signing` says, must be refused (or, for a replay,
    /// accepted but not answered again).
    async fn check(
        &self,
        psid: &str,
        event: &Value,
        signing: Signing,
        context: &minijinja::Value,
    ) -> Result<Vec<BotMessage>, ConnectorError> {
        let (what, must_refuse) = match signing {
            Signing::Wrong => ("a webhook event with a wrong signature", true),
            Signing::Missing => ("an unsigned webhook event", true),
            Signing::Right => ("a replayed webhook event", false),
        };
        let bot = || self.name().to_string();
        let since = Instant::now();
        match self.post_event(event, context, signing).await {
            Err(ConnectorError::Status { status, .. })
                if must_refuse && (400..500).contains(&status) => {}
            Ok(()) if must_refuse => {
                return Err(ConnectorError::Webhook {
                    bot: bot(),
                    detail: format!("accepted {what} instead of answering 4xx"),
                })
            }
            Ok(()) => {}
            Err(e) => return Err(e),
        }
        let replies = self.collect(psid, since, None, CHECK_WAIT, context).await?;
        if !replies.is_empty() {
            return Err(ConnectorError::Webhook {
                bot: bot(),
                detail: format!("answered {what} with {} message(s)", replies.len()),
            });
        }
        Ok(replies)
    }

    /// The Send API calls for `psid` since `since`, once the bot has gone quiet, or, for a bot
    /// known to answer before its webhook call returns (at `returned`), once that call returned
    /// with a reply sent. Without `returned` (a webhook check), the quiet window always.
    async fn collect(
        &self,
        psid: &str,
        since: Instant,
        returned: Option<Instant>,
        first_reply: Duration,
        context: &minijinja::Value,
    ) -> Result<Vec<BotMessage>, ConnectorError> {
        let belongs = |c: &GraphCall| c.psid == psid || c.stray;
        let fast = returned.is_some() && lock(&self.graph).timing.synchronous();
        let count = || {
            lock(&self.graph)
                .calls
                .iter()
                .filter(|c| belongs(c) && c.at >= since)
                .count()
        };
        let replied = || {
            lock(&self.graph)
                .calls
                .iter()
                .any(|c| c.psid == psid && c.at >= since && c.replies())
        };
        super::inbox::settle(count, first_reply, context, || fast && replied()).await;
        // Taking the calls out keeps the log bounded; earlier ones were a previous turn's.
        let mut graph = lock(&self.graph);
        let mine = take(&mut graph.calls, belongs);
        if let Some(returned) = returned {
            let own: Vec<&GraphCall> = mine.iter().filter(|c| c.psid == psid).collect();
            graph.timing.learn(&own, since, returned, !fast);
        }
        drop(graph);
        let mut replies = Vec::new();
        for call in mine.into_iter().filter(|c| c.at >= since) {
            if call.psid != psid && !matches!(call.kind, GraphKind::Refused(_)) {
                return Err(ConnectorError::SendApi {
                    bot: self.name().to_string(),
                    detail: format!(
                        "a reply went to `{}`, another conversation, which was not waiting for one (cross-talk)",
                        call.psid
                    ),
                });
            }
            match call.kind {
                GraphKind::Message(message) => replies.push(reply(&message)),
                GraphKind::Refused(why) => {
                    return Err(ConnectorError::SendApi {
                        bot: self.name().to_string(),
                        detail: why,
                    })
                }
                GraphKind::Handover => replies.push(BotMessage {
                    text: String::new(),
                    quick_replies: Vec::new(),
                    buttons: Vec::new(),
                    handover: true,
                    receipt: None,
                }),
                GraphKind::Action => {}
            }
        }
        Ok(replies)
    }
}

impl Protocol for MessengerConnector {
    type State = Conversation;

    fn name(&self) -> &str {
        self.webhook.name()
    }

    fn checks_webhooks(&self) -> bool {
        true
    }

    fn exchange<'a>(
        &'a self,
        state: &'a mut Conversation,
        context: minijinja::Value,
        text: &'a str,
    ) -> Replies<'a> {
        Box::pin(async move {
            let psid = match &state.psid {
                Some(psid) => psid.clone(),
                None => {
                    let conversation = context
                        .get_attr("conversation")
                        .and_then(|c| c.get_attr("id"));
                    let psid = psid(&conversation.map(|v| v.to_string()).unwrap_or_default());
                    lock(&self.graph).psids.insert(psid.clone());
                    state.psid = Some(psid.clone());
                    let code = context
                        .get_attr("authorization_code")
                        .ok()
                        .filter(|v| !v.is_undefined() && !v.is_none());
                    if let Some(code) = code {
                        let _waiting = Awaiting::new(&self.graph, &psid);
                        let since = Instant::now();
                        let event = json!({
                            "sender": { "id": psid }, "recipient": { "id": PAGE_ID }, "timestamp": 1_782_777_600_000_u64,
                            "account_linking": { "status": "linked", "authorization_code": code.to_string() },
                        });
                        self.post_event(&event, &context, Signing::Right).await?;
                        let returned = Some(Instant::now());
                        let nothing = minijinja::Value::UNDEFINED;
                        self.collect(&psid, since, returned, FIRST_REPLY, &nothing)
                            .await?;
                    }
                    psid
                }
            };
            let _waiting = Awaiting::new(&self.graph, &psid);
            let kind = context
                .get_attr("message")
                .and_then(|m| m.get_attr("kind"))
                .ok()
                .map(|k| k.to_string());
            if kind.as_deref() == Some("replay") {
                let Some(last) = state.last.clone() else {
                    return Err(ConnectorError::Webhook {
                        bot: self.name().to_string(),
                        detail: "has no earlier event to replay: a replay check follows a message"
                            .into(),
                    });
                };
                return self.check(&psid, &last, Signing::Right, &context).await;
            }
            state.next_mid += 1;
            let since = Instant::now();
            let mid = format!("m_{psid}_{}", state.next_mid);
            let mut event = json!({
                "sender": { "id": psid }, "recipient": { "id": PAGE_ID }, "timestamp": 1_782_777_600_000_u64 + state.next_mid,
            });
            // A quick reply carries its title as text and a payload; a postback only its payload.
            event[if kind.as_deref() == Some("postback") {
                "postback"
            } else {
                "message"
            }] = match kind.as_deref() {
                Some("quick_reply") => {
                    json!({ "mid": mid, "text": text, "quick_reply": { "payload": payload(text) } })
                }
                Some("postback") => json!({ "mid": mid, "title": text, "payload": text }),
                _ => json!({ "mid": mid, "text": text }),
            };
            match kind.as_deref() {
                Some("bad_signature") => {
                    return self.check(&psid, &event, Signing::Wrong, &context).await
                }
                Some("unsigned") => {
                    return self.check(&psid, &event, Signing::Missing, &context).await
                }
                _ => {}
            }
            self.post_event(&event, &context, Signing::Right).await?;
            let returned = Some(Instant::now());
            state.last = Some(event);
            self.collect(&psid, since, returned, FIRST_REPLY, &context)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_show_texts_quick_replies_and_template_buttons() {
        let quick = reply(
            &json!({ "text": "Pick one", "quick_replies": [{ "content_type": "text", "title": "Balance", "payload": "BALANCE" }] }),
        );
        assert_eq!(
            (quick.text.as_str(), quick.quick_replies.as_slice()),
            ("Pick one", &["Balance".to_string()][..])
        );
        let button = reply(&json!({ "attachment": { "type": "template", "payload": {
            "template_type": "button", "text": "Hello", "buttons": [{ "type": "postback", "title": "Advisor", "payload": "ADVISOR" }] } } }));
        assert_eq!(
            (button.text.as_str(), button.buttons.as_slice()),
            ("Hello", &["Advisor".to_string()][..])
        );
        let generic = reply(
            &json!({ "attachment": { "type": "template", "payload": { "template_type": "generic", "elements": [
            { "title": "Checking", "buttons": [{ "type": "postback", "title": "Details", "payload": "D1" }] },
            { "title": "Savings", "buttons": [{ "type": "web_url", "title": "Open", "url": "https://example.com" }] } ] } } }),
        );
        assert_eq!(generic.text, "Checking\nSavings");
        assert_eq!(generic.buttons, ["Details", "Open"]);
        let receipt = reply(&json!({ "attachment": { "type": "template", "payload": {
            "template_type": "receipt", "recipient_name": "Maria Garcia", "order_number": "pmt_1",
            "currency": "USD", "payment_method": "Bank account",
            "elements": [{ "title": "Payment to Maria Garcia", "price": 25 }],
            "summary": { "total_cost": 25 } } } }));
        assert_eq!(
            receipt.text,
            "Receipt for Maria Garcia (order pmt_1): Payment to Maria Garcia; total $25.00"
        );
        assert_eq!(receipt.receipt.map(|r| r.total).as_deref(), Some("$25.00"));
    }

    #[test]
    fn turns_end_early_only_after_synchronous_turns_and_never_after_a_late_call() {
        let since = Instant::now();
        let at = |ms| since + Duration::from_millis(ms);
        let call = |ms, kind| GraphCall {
            psid: "1".into(),
            at: at(ms),
            kind,
            stray: false,
        };
        let (typing, message) = (
            call(1, GraphKind::Action),
            call(2, GraphKind::Message(json!({ "text": "hi" }))),
        );
        let mut timing = Timing::default();
        timing.learn(&[&typing], since, at(3), true);
        for _ in 0..SYNCHRONOUS_TURNS {
            assert!(!timing.synchronous(), "{timing:?}");
            timing.learn(&[&typing, &message], since, at(3), true);
        }
        assert!(timing.synchronous());
        // A reply after the webhook call returned: the quiet window from now on.
        timing.learn(&[&message], since, at(1), false);
        assert!(!timing.synchronous());
        timing.learn(&[&typing, &message], since, at(3), true);
        assert!(!timing.synchronous());
    }

    #[test]
    fn events_are_signed_with_sha1_and_sha256() {
        let headers = signature_headers("key", b"The quick brown fox jumps over the lazy dog");
        assert_eq!(
            headers,
            [
                (
                    "X-Hub-Signature",
                    "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9".to_string()
                ),
                (
                    "X-Hub-Signature-256",
                    "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        assert!(signature("secret", b"{}").starts_with("sha256="));
        assert_eq!(signature("secret", b"{}").len(), "sha256=".len() + 64);
        assert_ne!(signature("secret", b"{}"), signature("other", b"{}"));
    }
}
