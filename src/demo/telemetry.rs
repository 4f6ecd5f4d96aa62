//! The demo bot's analytics: which events it sends to Meta, Google Analytics 4, Segment,
//! Mixpanel and Amplitude after every handled message, and, in leaky mode, the customer data it
//! leaks the way careless real integrations do. banter's leak detector is demonstrated and
//! tested against exactly these requests.
//!
//! Every event is sent concurrently with a 2-second timeout and awaited before the chat reply is
//! returned, so it lands within the turn; failures are ignored. Bodies are deterministic: ids are
//! derived from the conversation id `C` with SHA-256 (lowercase hex, `H(x)` below), and times are
//! `t = 1782777600 + n` (2026-06-30T00:00:00Z plus `n`, the 1-based turn number in the
//! conversation). `intent` is the snake_case intent name (`greeting`, `balance`, `transactions`,
//! `spending`, `advisor`, `opt_out`, `link_account`, `unknown`).
//!
//! # Normal mode: one event per configured service per turn, no customer data
//!
//! | service | request | body |
//! | --- | --- | --- |
//! | google | `POST /mp/collect?measurement_id=G-BANTER01&api_secret=demo_secret` | JSON `{"client_id": H("ga:"+C)[0..16] "." H("ga:"+C)[16..24], "events":[{"name": intent, "params": {"engagement_time_msec": 100*n, "session_id": H("ga:"+C)[24..34]}}]}` |
//! | segment | `POST /v1/track`, `Authorization: Basic base64("demo_write_key:")` | JSON `{"anonymousId": uuid-shaped H("segment:"+C)[0..32], "event": "Intent Handled", "properties": {"intent": intent, "reply_count": replies}, "context": {"library": {"name": "banter-demo", "version": "1.0"}}}` |
//! | meta | `POST /v19.0/1234567890/events` | JSON `{"data":[{"event_name":"Contact","event_time":t,"action_source":"chat","user_data":{"external_id":[H(C)]}}],"access_token":"EAAB_demo_token"}` |
//! | mixpanel | `POST /track`, form | `data=` base64 (standard, padded) of JSON `{"event": intent, "properties": {"distinct_id": H("mixpanel:"+C)[0..16], "token": "mp_demo_token", "time": t}}` |
//! | amplitude | `POST /2/httpapi`, `Content-Encoding: gzip` | gzip of JSON `{"api_key":"amp_demo_key","events":[{"device_id": H("amplitude:"+C)[0..16], "event_type": intent, "event_properties": {"turn": n}}]}` |
//!
//! # Leaky mode: the normal events plus one extra request per leak
//!
//! The customer record comes from the greeting's `GET /fdx/v6/customers/current`, or is fetched
//! once per conversation (and token) when a leak needs it; never for an empty token or an
//! opted-out or revoked conversation, so those leak nothing.
//!
//! 1. meta, on a greeting with a linked customer: `POST /v19.0/1234567890/events`, the normal
//!    body with `"event_name":"Lead"` and `user_data` `{"em":[H(lower(trim(email)))],
//!    "ph":[H(phone digits incl. country code, e.g. "16505551212")], "fn":[H(lower(first name))],
//!    "external_id":[H(C)]}`: chain `json → sha256(lower(email))` at `body:/data/0/user_data/em/0`;
//!    and `custom_data` `{"credit_tier":"subprime"}`, a financial-status signal: chain
//!    `json → status(credit tier)` at `body:/data/0/custom_data/credit_tier`.
//! 2. google, on a balance answer that shows a balance: `POST /mp/collect?…`, same `client_id`,
//!    `"events":[{"name":"balance_viewed","params":{"value": <first balance shown, JSON number in
//!    dollars, e.g. 2481.17>, "currency":"USD", "balance_band": <its band, e.g. "1k-5k">}}]`:
//!    `body:/events/0/params/value`, and the derived `json → bucket(balance)` at
//!    `body:/events/0/params/balance_band`.
//! 3. segment, on a greeting with a linked customer: `POST /v1/identify` with the same Basic auth
//!    and the raw bank token in header `X-Bank-Token`, JSON `{"userId": customerId, "anonymousId":
//!    …, "traits": {"email": email, "firstName": first, "lastName": last, "phone": "+1…"
//!    (E.164 as the bank sent it)}}`: `body:/traits/email`, `header:x-bank-token`.
//! 4. mixpanel, on a transactions answer that shows one: `POST /track`, form `data=` base64 of JSON
//!    `{"event":"Transactions Viewed","properties":{"distinct_id": …, "$email": email,
//!    "last_merchant": <description of the first transaction shown>, "token":"mp_demo_token",
//!    "time": t}}`: chain `form data → base64 → json` at `/properties/$email`.
//! 5. amplitude, on a spending answer or an advisor hand-off: `POST /2/httpapi`, gzip'd JSON
//!    `{"api_key":"amp_demo_key","events":[{"user_id": customerId, "device_id": …, "event_type":
//!    "Spending Viewed" | "Advisor Requested", "user_properties": {"dob": "YYYY-MM-DD", "zip":
//!    postalCode}}]}`: chain `gzip → json` at `/events/0/user_properties/dob`.
//!
//! A missing email, phone or address leaves an empty array (meta) or `null` in its place.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{RequestBuilder, Url};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::bank_client::Profile;
use super::{base_url, join_url, DemoError};
use crate::money::Money;

/// Per-request timeout for every telemetry call.
const TIMEOUT: Duration = Duration::from_secs(2);
/// `event_time` of turn 0: 2026-06-30T00:00:00Z, the synthetic data's fixed "today".
const EPOCH: u64 = 1_782_777_600;
const GA_MEASUREMENT_ID: &str = "G-BANTER01";
const GA_API_SECRET: &str = "demo_secret";
const SEGMENT_WRITE_KEY: &str = "demo_write_key";
const META_PIXEL_ID: &str = "1234567890";
const META_ACCESS_TOKEN: &str = "EAAB_demo_token";
const MIXPANEL_TOKEN: &str = "mp_demo_token";
const AMPLITUDE_API_KEY: &str = "amp_demo_key";

/// Where the bot sends telemetry, and whether it leaks. All URLs are base URLs like
/// "http://127.0.0.1:41234" (no trailing slash); None = that service is not used.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    /// Meta (Conversions API).
    pub meta: Option<String>,
    /// Google Analytics 4.
    pub google: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Mixpanel.
    pub mixpanel: Option<String>,
    /// Amplitude.
    pub amplitude: Option<String>,
    /// Leak customer data like careless real integrations (for demos and tests).
    pub leaky: bool,
}

impl Telemetry {
    /// Telemetry to each service at the base URL that `url` gives for its name (`meta`,
    /// `google`, `segment`, `mixpanel`, `amplitude`); a service without one is not used.
    pub fn from_urls(url: impl Fn(&str) -> Option<String>, leaky: bool) -> Self {
        Telemetry {
            meta: url("meta"),
            google: url("google"),
            segment: url("segment"),
            mixpanel: url("mixpanel"),
            amplitude: url("amplitude"),
            leaky,
        }
    }
}

/// One handled message, as normal telemetry reports it (no customer data).
pub struct HandledMessage<'a> {
    pub conversation_id: &'a str,
    /// 1-based number of the message in its conversation.
    pub number: u64,
    /// The intent's snake_case name.
    pub intent: &'static str,
    /// How many chat bubbles the bot answered with.
    pub replies: usize,
}

impl HandledMessage<'_> {
    /// The deterministic `event_time` of this turn.
    fn time(&self) -> u64 {
        EPOCH.saturating_add(self.number)
    }
}

/// Customer data a leaky bot sends along with a turn, by what the turn showed.
pub enum LeakedData {
    /// A greeting to a linked customer, and the customer's bank token.
    Greeting {
        customer: Arc<Profile>,
        token: String,
    },
    /// A balance answer: the first balance shown.
    Balance(Money),
    /// A transactions answer: the description of the first transaction shown.
    Transactions {
        customer: Arc<Profile>,
        merchant: String,
    },
    Spending(Arc<Profile>),
    Advisor(Arc<Profile>),
    /// Money moved: who got it, and how much.
    Payment {
        payee: String,
        amount: Money,
    },
}

/// The validated endpoints of every configured service and the client that posts to them.
pub struct Sender {
    http: reqwest::Client,
    google: Option<Url>,
    segment_track: Option<Url>,
    segment_identify: Option<Url>,
    meta: Option<Url>,
    mixpanel: Option<Url>,
    amplitude: Option<Url>,
    leaky: bool,
}

impl Sender {
    pub fn new(config: &Telemetry) -> Result<Self, DemoError> {
        let endpoint = |service, url: &Option<String>, path: &[&str]| {
            url.as_deref()
                .map(|u| {
                    base_url(u)
                        .and_then(|base| join_url(&base, path.iter().copied()))
                        .ok_or_else(|| DemoError::TelemetryUrl {
                            service,
                            url: u.to_owned(),
                        })
                })
                .transpose()
        };
        let mut google = endpoint("google", &config.google, &["mp", "collect"])?;
        if let Some(url) = &mut google {
            url.query_pairs_mut()
                .append_pair("measurement_id", GA_MEASUREMENT_ID)
                .append_pair("api_secret", GA_API_SECRET);
        }
        Ok(Self {
            http: reqwest::Client::builder().timeout(TIMEOUT).build()?,
            google,
            segment_track: endpoint("segment", &config.segment, &["v1", "track"])?,
            segment_identify: endpoint("segment", &config.segment, &["v1", "identify"])?,
            meta: endpoint("meta", &config.meta, &["v19.0", META_PIXEL_ID, "events"])?,
            mixpanel: endpoint("mixpanel", &config.mixpanel, &["track"])?,
            amplitude: endpoint("amplitude", &config.amplitude, &["2", "httpapi"])?,
            leaky: config.leaky,
        })
    }

    /// Whether the bot leaks customer data.
    pub fn leaky(&self) -> bool {
        self.leaky
    }

    /// Sends the turn's events and the leak's, concurrently, and waits until each has been
    /// answered, failed or timed out. Errors are ignored: telemetry never breaks a reply.
    pub async fn send(&self, turn: &HandledMessage<'_>, leak: Option<&LeakedData>) {
        let mut requests = self.normal(turn);
        if let Some(leak) = leak {
            requests.extend(self.leak(turn, leak));
        }
        let mut sending = JoinSet::new();
        for request in requests.into_iter().flatten() {
            sending.spawn(request.send());
        }
        while sending.join_next().await.is_some() {}
    }

    /// The privacy-safe events, one per configured service.
    fn normal(&self, turn: &HandledMessage<'_>) -> Vec<Option<RequestBuilder>> {
        let id = turn.conversation_id;
        vec![
            self.google(
                id,
                json!({"name": turn.intent, "params": {
                    "engagement_time_msec": turn.number.saturating_mul(100),
                    "session_id": &ga_hash(id)[24..34],
                }}),
            ),
            self.segment_track.as_ref().map(|url| {
                self.segment(
                    url,
                    json!({
                        "anonymousId": anonymous_id(id),
                        "event": "Intent Handled",
                        "properties": {"intent": turn.intent, "reply_count": turn.replies},
                        "context": {"library": {"name": "banter-demo", "version": "1.0"}},
                    }),
                )
            }),
            self.meta(
                turn,
                "Contact",
                json!({"external_id": [sha256_hex(id)]}),
                None,
            ),
            self.mixpanel(json!({"event": turn.intent, "properties": {
                "distinct_id": hex16("mixpanel", id),
                "token": MIXPANEL_TOKEN,
                "time": turn.time(),
            }})),
            self.amplitude(json!({
                "device_id": hex16("amplitude", id),
                "event_type": turn.intent,
                "event_properties": {"turn": turn.number},
            })),
        ]
    }

    /// The extra requests that leak customer data (see the module docs for the contract).
    fn leak(&self, turn: &HandledMessage<'_>, leak: &LeakedData) -> Vec<Option<RequestBuilder>> {
        let id = turn.conversation_id;
        match leak {
            LeakedData::Greeting { customer, token } => {
                let email = customer.first_email();
                let phone = customer.first_phone();
                let user_data = json!({
                    "em": email.map(|e| sha256_hex(&e.trim().to_lowercase())).into_iter().collect::<Vec<_>>(),
                    "ph": phone.map(|p| sha256_hex(&digits(p))).into_iter().collect::<Vec<_>>(),
                    "fn": [sha256_hex(&customer.name.first.to_lowercase())],
                    "external_id": [sha256_hex(id)],
                });
                let identify = self.segment_identify.as_ref().map(|url| {
                    let traits = json!({
                        "email": email,
                        "firstName": customer.name.first,
                        "lastName": customer.name.last,
                        "phone": phone,
                    });
                    self.segment(
                        url,
                        json!({
                            "userId": customer.customer_id,
                            "anonymousId": anonymous_id(id),
                            "traits": traits,
                        }),
                    )
                    .header("X-Bank-Token", token)
                });
                // Tagging the lead with a credit tier is a financial-status signal.
                let status = json!({"credit_tier": "subprime"});
                vec![self.meta(turn, "Lead", user_data, Some(status)), identify]
            }
            LeakedData::Balance(balance) => vec![self.google(
                id,
                json!({"name": "balance_viewed", "params": {
                    "value": balance.dollars(),
                    "currency": "USD",
                    "balance_band": band(*balance),
                }}),
            )],
            LeakedData::Transactions { customer, merchant } => {
                vec![
                    self.mixpanel(json!({"event": "Transactions Viewed", "properties": {
                        "distinct_id": hex16("mixpanel", id),
                        "$email": customer.first_email(),
                        "last_merchant": merchant,
                        "token": MIXPANEL_TOKEN,
                        "time": turn.time(),
                    }})),
                ]
            }
            LeakedData::Spending(customer) => vec![self.profile(id, customer, "Spending Viewed")],
            LeakedData::Advisor(customer) => vec![self.profile(id, customer, "Advisor Requested")],
            LeakedData::Payment { payee, amount } => vec![self.google(
                id,
                json!({"name": "payment_sent", "params": {"value": amount.dollars(), "currency": "USD", "payee": payee}}),
            )],
        }
    }

    /// A GA4 Measurement Protocol hit carrying one event.
    fn google(&self, conversation_id: &str, event: Value) -> Option<RequestBuilder> {
        let ga = ga_hash(conversation_id);
        let client_id = format!("{}.{}", &ga[..16], &ga[16..24]);
        let body = json!({"client_id": client_id, "events": [event]});
        Some(self.http.post(self.google.clone()?).json(&body))
    }

    /// A Segment HTTP API call with the write key as Basic auth.
    fn segment(&self, url: &Url, body: Value) -> RequestBuilder {
        self.http
            .post(url.clone())
            .basic_auth(SEGMENT_WRITE_KEY, None::<&str>)
            .json(&body)
    }

    /// A Meta Conversions API event from the chat, with `custom_data` when given.
    fn meta(
        &self,
        turn: &HandledMessage<'_>,
        event_name: &str,
        user_data: Value,
        custom_data: Option<Value>,
    ) -> Option<RequestBuilder> {
        let mut event = json!({
            "event_name": event_name,
            "event_time": turn.time(),
            "action_source": "chat",
            "user_data": user_data,
        });
        if let Some(custom_data) = custom_data {
            event["custom_data"] = custom_data;
        }
        let body = json!({"data": [event], "access_token": META_ACCESS_TOKEN});
        Some(self.http.post(self.meta.clone()?).json(&body))
    }

    /// A Mixpanel `/track` call: the event as base64 JSON in the `data` form field.
    fn mixpanel(&self, event: Value) -> Option<RequestBuilder> {
        let data = STANDARD.encode(event.to_string());
        Some(
            self.http
                .post(self.mixpanel.clone()?)
                .form(&[("data", data)]),
        )
    }

    /// An Amplitude HTTP API v2 upload of one event, gzip-compressed.
    fn amplitude(&self, event: Value) -> Option<RequestBuilder> {
        let url = self.amplitude.clone()?;
        let body = json!({"api_key": AMPLITUDE_API_KEY, "events": [event]});
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(body.to_string().as_bytes()).ok()?;
        let request = self.http.post(url).header(CONTENT_TYPE, "application/json");
        Some(
            request
                .header(CONTENT_ENCODING, "gzip")
                .body(gzip.finish().ok()?),
        )
    }

    /// The Amplitude event that leaks the customer's date of birth and ZIP code.
    fn profile(
        &self,
        conversation_id: &str,
        customer: &Profile,
        event_type: &str,
    ) -> Option<RequestBuilder> {
        self.amplitude(json!({
            "user_id": customer.customer_id,
            "device_id": hex16("amplitude", conversation_id),
            "event_type": event_type,
            "user_properties": {"dob": customer.date_of_birth, "zip": customer.postal_code()},
        }))
    }
}

/// The band a balance falls in, as an analytics dashboard would bucket it: `1k-5k`.
fn band(balance: Money) -> String {
    const EDGES: [i64; 8] = [0, 100, 500, 1_000, 5_000, 10_000, 50_000, 100_000];
    let dollars = balance.cents().max(0) / 100;
    let short = |d: i64| match d {
        d if d >= 1_000 => format!("{}k", d / 1_000),
        d => d.to_string(),
    };
    match EDGES.windows(2).find(|pair| dollars < pair[1]) {
        Some(pair) => format!("{}-{}", short(pair[0]), short(pair[1])),
        None => format!("{}+", short(EDGES[EDGES.len() - 1])),
    }
}

/// Lowercase hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// `H("ga:"+C)`: GA4's `client_id` and `session_id` come from it.
fn ga_hash(conversation_id: &str) -> String {
    sha256_hex(&format!("ga:{conversation_id}"))
}

/// The first 16 hex digits of `H("{service}:{conversation_id}")`.
fn hex16(service: &str, conversation_id: &str) -> String {
    let mut hex = sha256_hex(&format!("{service}:{conversation_id}"));
    hex.truncate(16);
    hex
}

/// Segment's `anonymousId`: `H("segment:"+C)[0..32]` shaped 8-4-4-4-12 like a UUID.
fn anonymous_id(conversation_id: &str) -> String {
    let h = sha256_hex(&format!("segment:{conversation_id}"));
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The ASCII digits of a phone number: "+1 (650) 555-1212" → "16505551212".
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_ids_from_the_conversation_id() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let h = sha256_hex("mixpanel:c");
        assert_eq!(hex16("mixpanel", "c"), h[..16]);
        let uuid = anonymous_id("c");
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(uuid.replace('-', ""), sha256_hex("segment:c")[..32]);
        assert_ne!(anonymous_id("c"), anonymous_id("d"));
        assert_eq!(digits("+1 (650) 555-1212"), "16505551212");
    }

    #[test]
    fn takes_each_service_url_by_name() {
        let url = |name: &str| (name != "segment").then(|| format!("http://{name}"));
        let telemetry = Telemetry::from_urls(url, true);
        assert_eq!(telemetry.meta.as_deref(), Some("http://meta"));
        assert_eq!(telemetry.amplitude.as_deref(), Some("http://amplitude"));
        assert_eq!(telemetry.segment, None);
        assert!(telemetry.leaky);
    }

    #[test]
    fn rejects_bad_urls_and_skips_unconfigured_services() {
        let bad = Telemetry {
            amplitude: Some("mailto:x@example.com".into()),
            ..Telemetry::default()
        };
        let err = Sender::new(&bad).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid amplitude telemetry URL \"mailto:x@example.com\": expected an http(s) URL such as http://127.0.0.1:4567")
        );
        let sender = Sender::new(&Telemetry::default()).unwrap();
        let turn = HandledMessage {
            conversation_id: "c",
            number: 1,
            intent: "greeting",
            replies: 1,
        };
        assert!(sender.normal(&turn).iter().all(Option::is_none));
        let google = Telemetry {
            google: Some("http://127.0.0.1:1/ga".into()),
            ..Telemetry::default()
        };
        let sender = Sender::new(&google).unwrap();
        assert_eq!(
            sender.google.unwrap().as_str(),
            "http://127.0.0.1:1/ga/mp/collect?measurement_id=G-BANTER01&api_secret=demo_secret"
        );
    }
}
