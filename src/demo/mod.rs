//! The bundled demo bot: an HTTP chatbot server (hyper, 127.0.0.1 only) that answers
//! `POST /chat` by calling the bank's FDX API as a real client with the customer's bearer token,
//! moves money on request (see `money`), and reports every turn to analytics services (see
//! `telemetry`). Optionally it also speaks
//! Facebook Messenger on `/webhook` (see `messenger`). This file owns start/stop, URL validation,
//! routing and the `/chat` JSON wire format.

mod bank_client;
mod conversation;
mod intent;
mod messenger;
mod money;
mod telemetry;

pub use messenger::MessengerConfig;
pub use telemetry::Telemetry;

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use bank_client::BankClient;
use conversation::{Brain, Reply};
use messenger::Messenger;

/// Largest accepted `/chat` request body.
const MAX_BODY: usize = 64 * 1024;

/// Why the demo bot could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The port could not be bound.
    #[error("cannot bind the demo bot to 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// Why it could not be bound.
        source: std::io::Error,
    },
    /// The bank URL is not an http(s) URL.
    #[error("invalid bank URL {url:?}: expected an http(s) URL such as http://127.0.0.1:4567")]
    BankUrl {
        /// The URL given.
        url: String,
    },
    /// A telemetry URL is not an http(s) URL.
    #[error(
        "invalid {service} telemetry URL {url:?}: expected an http(s) URL such as http://127.0.0.1:4567"
    )]
    TelemetryUrl {
        /// The service it is for.
        service: &'static str,
        /// The URL given.
        url: String,
    },
    /// The Messenger Graph API URL is not an http(s) URL.
    #[error(
        "invalid Messenger Graph API URL {url:?}: expected an http(s) URL such as http://127.0.0.1:4000"
    )]
    GraphUrl {
        /// The URL given.
        url: String,
    },
    /// A Messenger secret or token is empty.
    #[error("the Messenger {field} must not be empty")]
    MessengerSecret {
        /// Which one.
        field: &'static str,
    },
    /// The bot's HTTP client could not be built.
    #[error("cannot build the bot's HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A running demo bot. Dropping it stops the server.
#[derive(Debug)]
pub struct DemoBot {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl DemoBot {
    /// Starts the bot on 127.0.0.1:`port` (0 = any free port), reading the bank at `bank_url`
    /// (e.g. "http://127.0.0.1:4567", no trailing slash) and sending analytics as `telemetry` says.
    pub async fn start(
        bank_url: &str,
        port: u16,
        telemetry: Telemetry,
    ) -> Result<DemoBot, DemoError> {
        Self::start_with(bank_url, port, telemetry, None, false).await
    }

    /// Like `start`, and with `Some(messenger)` the bot also serves Facebook Messenger on
    /// `/webhook`, answering through the Graph API at `messenger.graph_url`. A `careless` bot
    /// moves money without confirmation or idempotency key, and answers replayed webhooks.
    pub async fn start_with(
        bank_url: &str,
        port: u16,
        telemetry: Telemetry,
        messenger: Option<MessengerConfig>,
        careless: bool,
    ) -> Result<DemoBot, DemoError> {
        let base = base_url(bank_url).ok_or_else(|| DemoError::BankUrl {
            url: bank_url.to_owned(),
        })?;
        let telemetry = telemetry::Sender::new(&telemetry)?;
        let messenger = messenger
            .map(|config| Messenger::new(&config, &base, careless))
            .transpose()?;
        let bot = Brain::new(BankClient::new(base)?, telemetry, careless);
        let app = Arc::new(App { bot, messenger });
        let bind_error = |source| DemoError::Bind { port, source };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let task = tokio::spawn(serve(listener, app));
        Ok(DemoBot { addr, task })
    }

    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and ends the server task (open connections are closed too).
    pub fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for DemoBot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `url` as a base URL for requests: http(s) and able to take a path.
fn base_url(url: &str) -> Option<Url> {
    Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
}

/// `base` with `segments` appended to its path, each percent-encoded; `None` for a URL that cannot
/// take a path (which `base_url` rules out).
fn join_url<'a>(base: &Url, segments: impl IntoIterator<Item = &'a str>) -> Option<Url> {
    let mut url = base.clone();
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .extend(segments);
    Some(url)
}

/// What the server answers with: the bot, and its Messenger channel when configured.
struct App {
    bot: Brain,
    messenger: Option<Messenger>,
}

/// Serves the bot until the task is aborted.
async fn serve(listener: TcpListener, app: Arc<App>) {
    crate::loopback::serve(listener, move |req| route(Arc::clone(&app), req)).await;
}

#[derive(Deserialize)]
struct ChatRequest {
    conversation_id: String,
    text: String,
    bank_token: String,
}

#[derive(Serialize)]
struct ChatResponse {
    replies: Vec<Reply>,
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

async fn route(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path(), &app.messenger) {
        (&Method::GET, "/health", _) => respond(StatusCode::OK, "text/plain", b"ok".to_vec()),
        (&Method::POST, "/chat", _) => chat(&app.bot, req.into_body()).await,
        (&Method::GET, "/webhook", Some(messenger)) => messenger.verify(req.uri().query()),
        (&Method::POST, "/webhook", Some(messenger)) => messenger.receive(&app.bot, req).await,
        (method, path, _) => error(
            StatusCode::NOT_FOUND,
            format!("no route for {method} {path}"),
        ),
    };
    Ok(response)
}

/// The whole request body, at most `limit` bytes; else the 400 answer.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, Response<Full<Bytes>>> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {e}"),
        )),
    }
}

async fn chat(bot: &Brain, body: Incoming) -> Response<Full<Bytes>> {
    let bytes = match read_body(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    match serde_json::from_slice::<ChatRequest>(&bytes) {
        Ok(req) => {
            let replies = bot
                .reply(&req.conversation_id, &req.text, &req.bank_token)
                .await;
            json(StatusCode::OK, &ChatResponse { replies })
        }
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            format!("invalid chat request: {e}"),
        ),
    }
}

fn error(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    json(status, &ErrorBody { error: message })
}

fn json(status: StatusCode, body: &impl Serialize) -> Response<Full<Bytes>> {
    match serde_json::to_vec(body) {
        Ok(bytes) => respond(status, "application/json", bytes),
        Err(_) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application/json",
            br#"{"error":"cannot encode the response"}"#.to_vec(),
        ),
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io::Read;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use flate2::read::GzDecoder;
    use hyper::HeaderMap;
    use serde_json::{json as j, Value};

    use super::telemetry::sha256_hex;
    use super::*;

    /// The fake customer's identity, as `GET /fdx/v6/customers/current` returns it.
    const EMAIL: &str = "Ada.Lovelace@Example.com";
    const PHONE: &str = "+16505551212";
    const CUSTOMER_ID: &str = "cust-ada-7";
    const DOB: &str = "1990-12-10";
    const ZIP: &str = "94105";

    /// Serves `handler` on a free 127.0.0.1 port and returns its base URL.
    pub(super) async fn serve_fake<F, Fut>(handler: F) -> String
    where
        F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(crate::loopback::serve(listener, move |req| {
            let answer = handler(req);
            async move { Ok::<_, Infallible>(answer.await) }
        }));
        url
    }

    /// The paths of the calls a fake bank received, in order (the token exchange with its form).
    pub(super) type Calls = Arc<Mutex<Vec<String>>>;

    fn count(calls: &Calls, path: &str) -> usize {
        calls.lock().unwrap().iter().filter(|p| *p == path).count()
    }

    /// A tiny FDX bank. "tok_test" holds a checking and a card account; "tok_revoked" gets 403/1107;
    /// with `down` every FDX call answers 503. `POST /oauth/token` exchanges the authorization code
    /// "code_ada" for "tok_test" and "code_revoked" for "tok_revoked". Records every call it receives.
    pub(super) async fn fake_bank(down: bool) -> (String, Calls) {
        let calls = Calls::default();
        let log = Arc::clone(&calls);
        let url = serve_fake(move |req: Request<Incoming>| {
            let log = Arc::clone(&log);
            async move {
                let path = req.uri().path().to_owned();
                if path != "/oauth/token" {
                    log.lock().unwrap().push(path);
                    let (status, body) = fake_answer(down, &req);
                    return json(status, &body);
                }
                let form = req.into_body().collect().await.unwrap().to_bytes();
                let form = String::from_utf8_lossy(&form).into_owned();
                let (status, body) = fake_token(&form);
                log.lock().unwrap().push(format!("{path} {form}"));
                json(status, &body)
            }
        })
        .await;
        (url, calls)
    }

    /// The fake bank's answer to a `POST /oauth/token` form.
    fn fake_token(form: &str) -> (StatusCode, Value) {
        let field = |name: &str| {
            form_urlencoded::parse(form.as_bytes())
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let token = match (field("grant_type").as_deref(), field("code").as_deref()) {
            (Some("authorization_code"), Some("code_ada")) => "tok_test",
            (Some("authorization_code"), Some("code_revoked")) => "tok_revoked",
            _ => return (StatusCode::BAD_REQUEST, j!({"error": "invalid_grant"})),
        };
        let body = j!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
        (StatusCode::OK, body)
    }

    fn fake_answer(down: bool, req: &Request<Incoming>) -> (StatusCode, Value) {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let account = |id, ty, display, balance| {
            j!({"accountId": id, "accountType": ty, "accountNumberDisplay": display,
                "currency": {"currencyCode": "USD"}, "currentBalance": balance, "status": "OPEN"})
        };
        let tx = |date: &str, description, amount, memo| {
            j!({"transactionId": format!("t-{date}"), "postedTimestamp": format!("{date}T00:00:00Z"),
                "description": description, "amount": amount, "debitCreditMemo": memo, "status": "POSTED"})
        };
        let offset = req.uri().query().unwrap_or("").contains("offset=3");
        let ok = |body| (StatusCode::OK, body);
        match (down, auth, req.uri().path()) {
            (true, ..) => (
                StatusCode::SERVICE_UNAVAILABLE,
                j!({"code": "503", "message": "down"}),
            ),
            (_, "Bearer tok_revoked", _) => (
                StatusCode::FORBIDDEN,
                j!({"code": "1107", "message": "revoked"}),
            ),
            (_, auth, _) if auth != "Bearer tok_test" => {
                (StatusCode::UNAUTHORIZED, j!({"code": "401"}))
            }
            (_, _, "/fdx/v6/customers/current") => ok(j!({
                "customerId": CUSTOMER_ID, "name": {"first": "Ada", "last": "Lovelace"},
                "email": [EMAIL], "telephones": [{"type": "CELL", "number": PHONE}],
                "addresses": [{"line1": "12 Analytical Way", "city": "Oakland", "region": "CA",
                    "postalCode": ZIP, "country": "US"}],
                "dateOfBirth": DOB, "taxId": "123-45-6789"})),
            (_, _, "/fdx/v6/accounts") => ok(j!({"page": {"totalElements": 2}, "accounts": [
                account("chk", "CHECKING", "...1234", 2400.0), account("cc", "CREDITCARD", "...9876", 310.5)]})),
            // The detail call is authoritative, and differs from the list on purpose.
            (_, _, "/fdx/v6/accounts/chk") => ok(account("chk", "CHECKING", "...1234", 2481.17)),
            (_, _, "/fdx/v6/accounts/chk/transactions") if offset => {
                ok(j!({"transactions": [tx("2026-06-20", "STARBUCKS #88", 5.25, "DEBIT")]}))
            }
            (_, _, "/fdx/v6/accounts/chk/transactions") => {
                ok(j!({"page": {"nextOffset": "3"}, "transactions": [
                tx("2026-06-29", "Starbucks", 4.75, "DEBIT"), tx("2026-06-28", "Payroll", 1500.0, "CREDIT"),
                tx("2026-06-27", "Shell", 40.0, "DEBIT")]}))
            }
            (_, _, "/fdx/v6/accounts/cc/transactions") => {
                ok(j!({"transactions": [tx("2026-06-25", "Starbucks", 3.0, "DEBIT")]}))
            }
            _ => (StatusCode::NOT_FOUND, j!({"code": "404"})),
        }
    }

    /// One request an analytics capture server received.
    pub(super) struct Captured {
        service: &'static str,
        pub(super) path: String,
        query: String,
        headers: HeaderMap,
        body: Bytes,
    }

    impl Captured {
        pub(super) fn header(&self, name: &str) -> &str {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        }

        /// The body as JSON, decoded as the service would: gunzip, form `data` → base64, or plain.
        pub(super) fn json(&self) -> Value {
            let bytes = if self.header("content-encoding") == "gzip" {
                let mut plain = Vec::new();
                GzDecoder::new(&self.body[..])
                    .read_to_end(&mut plain)
                    .unwrap();
                plain
            } else if self.header("content-type") == "application/x-www-form-urlencoded" {
                let mut form = form_urlencoded::parse(&self.body);
                let (_, data) = form.find(|(key, _)| key == "data").unwrap();
                STANDARD.decode(data.as_bytes()).unwrap()
            } else {
                self.body.to_vec()
            };
            serde_json::from_slice(&bytes).unwrap()
        }

        /// Everything the service received, raw and decoded, for searching.
        fn everything(&self) -> String {
            let raw = String::from_utf8_lossy(&self.body);
            let (path, query, headers) = (&self.path, &self.query, &self.headers);
            format!("{path}?{query} {headers:?} {raw} {}", self.json())
        }
    }

    /// What the capture servers received, in arrival order.
    pub(super) type Log = Arc<Mutex<Vec<Captured>>>;

    /// A capture server for `service` that answers `{}` and logs every request to `log`.
    async fn capture(log: &Log, service: &'static str) -> Option<String> {
        let log = Arc::clone(log);
        let url = serve_fake(move |req: Request<Incoming>| {
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                let path = parts.uri.path().to_owned();
                let query = parts.uri.query().unwrap_or("").to_owned();
                let headers = parts.headers;
                let captured = Captured {
                    service,
                    path,
                    query,
                    headers,
                    body,
                };
                log.lock().unwrap().push(captured);
                respond(StatusCode::OK, "application/json", b"{}".to_vec())
            }
        })
        .await;
        Some(url)
    }

    /// Telemetry to five capture servers that share one log.
    pub(super) async fn captured_telemetry(leaky: bool) -> (Telemetry, Log) {
        let log = Log::default();
        let telemetry = Telemetry {
            meta: capture(&log, "meta").await,
            google: capture(&log, "google").await,
            segment: capture(&log, "segment").await,
            mixpanel: capture(&log, "mixpanel").await,
            amplitude: capture(&log, "amplitude").await,
            leaky,
        };
        (telemetry, log)
    }

    /// Takes everything captured so far.
    pub(super) fn take(log: &Log) -> Vec<Captured> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    pub(super) fn of<'a>(all: &'a [Captured], service: &str) -> Vec<&'a Captured> {
        all.iter().filter(|c| c.service == service).collect()
    }

    /// The request of `service` whose JSON has `expected` at `pointer`.
    pub(super) fn find<'a>(
        all: &'a [Captured],
        service: &str,
        pointer: &str,
        expected: &str,
    ) -> &'a Captured {
        let matches = |c: &&Captured| c.json().pointer(pointer) == Some(&j!(expected));
        let found = of(all, service).into_iter().find(matches);
        found.unwrap_or_else(|| panic!("no {service} request with {pointer} = {expected:?}"))
    }

    pub(super) const OPT_IN: &str = "To see your accounts, please link your bank account first.";
    pub(super) const REVOKED: &str = "Your bank consent has been revoked, so I can't access your accounts. Please re-link your account to continue.";
    pub(super) const ADVISOR: &str =
        "I'm connecting you to an advisor. Someone will be with you shortly.";
    const MENU: [&str; 3] = ["Balance", "Transactions", "Advisor"];
    const SERVICES: [&str; 5] = ["meta", "google", "segment", "mixpanel", "amplitude"];
    /// Customer values that privacy-safe telemetry must never carry (searched case-sensitively).
    const CUSTOMER_VALUES: [&str; 16] = [
        EMAIL,
        "ada.lovelace@example.com",
        "Ada",
        "Lovelace",
        "5551212",
        CUSTOMER_ID,
        DOB,
        ZIP,
        "Analytical",
        "123-45-6789",
        "2481.17",
        "310.5",
        "Starbucks",
        "Payroll",
        "4.75",
        "tok_test",
    ];

    /// A linked customer in conversation "c" visits each bank answer once, then asks for an advisor.
    const TOUR: [(&str, &str, &str, &[&str]); 5] = [
        ("c", "tok_test", "Hi!", &["Hello Ada! I can show your balances, recent transactions and spending, or connect you to an advisor."]),
        ("c", "tok_test", "what's my checking balance?", &["Your checking account ending 1234 has a balance of $2,481.17."]),
        ("c", "tok_test", "show my last 2 transactions", &[
            "Here are your last 2 transactions on your checking account:",
            "2026-06-29 Starbucks -$4.75",
            "2026-06-28 Payroll +$1,500.00",
        ]),
        ("c", "tok_test", "how much did I spend at starbucks?", &["You spent $13.00 at Starbucks in the last 90 days (3 purchases)."]),
        ("c", "tok_test", "advisor", &[ADVISOR]),
    ];

    async fn post(bot: &DemoBot, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let url = format!("{}/chat", bot.url());
        let response = reqwest::Client::new().post(url).body(body).send();
        let response = response.await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Plays `(conversation, token, text, expected reply texts)` turns, checking every reply.
    async fn play(bot: &DemoBot, turns: &[(&str, &str, &str, &[&str])]) {
        for (conversation, token, text, expected) in turns {
            let body = j!({"conversation_id": conversation, "text": text, "bank_token": token});
            let (status, answer) = post(bot, body.to_string()).await;
            assert_eq!(status, 200, "{text:?}");
            let replies = answer["replies"].as_array().unwrap();
            let texts: Vec<&str> = replies
                .iter()
                .map(|r| r["text"].as_str().unwrap())
                .collect();
            assert_eq!(&texts, expected, "{text:?}");
        }
    }

    #[tokio::test]
    async fn answers_from_the_bank() {
        let (bank, _) = fake_bank(false).await;
        let bot = DemoBot::start(&bank, 0, Telemetry::default())
            .await
            .unwrap();
        assert!(bot.url().starts_with("http://127.0.0.1:"));
        play(&bot, &TOUR).await;
        let t = "tok_test";
        play(
            &bot,
            &[
                (
                    "c",
                    t,
                    "balances",
                    &[
                        "Your checking account ending 1234 has a balance of $2,400.00.",
                        "Your credit card account ending 9876 has a balance of $310.50.",
                    ],
                ),
                (
                    "c",
                    t,
                    "savings balance",
                    &["You don't have a savings account with us."],
                ),
                (
                    "c",
                    t,
                    "spent at Nowhere Inc.",
                    &["I couldn't find any purchases at Nowhere Inc in the last 90 days."],
                ),
            ],
        )
        .await;
        let hello = j!({"conversation_id": "c", "text": "hey", "bank_token": t});
        let (_, hello) = post(&bot, hello.to_string()).await;
        assert_eq!(hello["replies"][0]["quick_replies"], j!(MENU));
        let advisor = j!({"conversation_id": "c", "text": "advisor", "bank_token": t});
        let (_, advisor) = post(&bot, advisor.to_string()).await;
        assert_eq!(advisor, j!({"replies": [{"text": ADVISOR}]}));
        let health = format!("{}/health", bot.url());
        assert_eq!(
            reqwest::get(&health).await.unwrap().text().await.unwrap(),
            "ok"
        );
        bot.shutdown();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            reqwest::get(&health).await.is_err(),
            "still serving after shutdown"
        );
    }

    #[tokio::test]
    async fn sends_privacy_safe_telemetry_every_turn() {
        let (bank, calls) = fake_bank(false).await;
        let (telemetry, log) = captured_telemetry(false).await;
        let bot = DemoBot::start(&bank, 0, telemetry).await.unwrap();
        play(&bot, &TOUR[..1]).await;
        assert_eq!(
            log.lock().unwrap().len(),
            5,
            "the events land within the turn"
        );
        play(&bot, &TOUR[1..]).await;
        let all = take(&log);
        assert_eq!(all.len(), 25);
        for c in &all {
            let everything = c.everything();
            for value in CUSTOMER_VALUES {
                assert!(
                    !everything.contains(value),
                    "{value:?} sent to {}: {everything}",
                    c.service
                );
            }
        }
        assert_eq!(
            count(&calls, "/fdx/v6/customers/current"),
            1,
            "only the greeting reads it"
        );

        let intents = ["greeting", "balance", "transactions", "spending", "advisor"];
        let (ga, segment) = (sha256_hex("ga:c"), sha256_hex("segment:c"));
        let google = of(&all, "google");
        assert_eq!(google.len(), 5);
        assert_eq!(
            (google[0].path.as_str(), google[0].query.as_str()),
            (
                "/mp/collect",
                "measurement_id=G-BANTER01&api_secret=demo_secret"
            )
        );
        for (turn, (hit, intent)) in (1..).zip(google.iter().zip(intents)) {
            let event = j!({"name": intent, "params": {"engagement_time_msec": 100 * turn, "session_id": &ga[24..34]}});
            let client_id = format!("{}.{}", &ga[..16], &ga[16..24]);
            assert_eq!(hit.json(), j!({"client_id": client_id, "events": [event]}));
        }

        let track = of(&all, "segment");
        let anonymous_id = [
            &segment[..8],
            &segment[8..12],
            &segment[12..16],
            &segment[16..20],
            &segment[20..32],
        ]
        .join("-");
        for (hit, (intent, reply_count)) in
            track.iter().zip(intents.into_iter().zip([1, 1, 3, 1, 1]))
        {
            assert_eq!(hit.path, "/v1/track");
            assert_eq!(
                hit.header("authorization"),
                format!("Basic {}", STANDARD.encode("demo_write_key:"))
            );
            assert_eq!(
                hit.json(),
                j!({"anonymousId": anonymous_id, "event": "Intent Handled",
                "properties": {"intent": intent, "reply_count": reply_count},
                "context": {"library": {"name": "banter-demo", "version": "1.0"}}})
            );
        }

        for (turn, hit) in (1..).zip(of(&all, "meta")) {
            assert_eq!(hit.path, "/v19.0/1234567890/events");
            assert_eq!(
                hit.json(),
                j!({"data": [{"event_name": "Contact", "event_time": 1_782_777_600 + turn,
                "action_source": "chat", "user_data": {"external_id": [sha256_hex("c")]}}],
                "access_token": "EAAB_demo_token"})
            );
        }

        for (turn, (hit, intent)) in (1..).zip(of(&all, "mixpanel").into_iter().zip(intents)) {
            assert_eq!(
                (hit.path.as_str(), hit.header("content-type")),
                ("/track", "application/x-www-form-urlencoded")
            );
            assert_eq!(
                hit.json(),
                j!({"event": intent, "properties": {"distinct_id": &sha256_hex("mixpanel:c")[..16],
                "token": "mp_demo_token", "time": 1_782_777_600 + turn}})
            );
        }

        for (turn, (hit, intent)) in (1..).zip(of(&all, "amplitude").into_iter().zip(intents)) {
            assert_eq!(
                (hit.path.as_str(), hit.header("content-encoding")),
                ("/2/httpapi", "gzip")
            );
            assert_eq!(
                hit.json(),
                j!({"api_key": "amp_demo_key", "events": [{"device_id": &sha256_hex("amplitude:c")[..16],
                "event_type": intent, "event_properties": {"turn": turn}}]})
            );
        }
    }

    #[tokio::test]
    async fn leaks_customer_data_in_leaky_mode() {
        let (bank, calls) = fake_bank(false).await;
        let (telemetry, log) = captured_telemetry(true).await;
        let bot = DemoBot::start(&bank, 0, telemetry).await.unwrap();
        play(&bot, &TOUR[..1]).await;
        assert_eq!(
            log.lock().unwrap().len(),
            7,
            "the leaks land within the turn"
        );
        play(&bot, &TOUR[1..]).await;
        let all = take(&log);
        let counts: Vec<usize> = SERVICES.iter().map(|s| of(&all, s).len()).collect();
        assert_eq!(counts, [6, 6, 6, 6, 7], "the normal events plus the leaks");
        assert_eq!(
            count(&calls, "/fdx/v6/customers/current"),
            1,
            "the greeting's record is cached"
        );
        let everything: String = all.iter().map(Captured::everything).collect();
        for value in [
            EMAIL,
            "Ada",
            "Lovelace",
            PHONE,
            CUSTOMER_ID,
            DOB,
            ZIP,
            "2481.17",
            "Starbucks",
            "tok_test",
        ] {
            assert!(
                everything.contains(value),
                "the privacy search misses the leaked {value:?}"
            );
        }

        let meta = find(&all, "meta", "/data/0/event_name", "Lead");
        assert_eq!(meta.path, "/v19.0/1234567890/events");
        assert_eq!(meta.json()["data"][0]["event_time"], j!(1_782_777_601));
        assert_eq!(
            meta.json()["data"][0]["user_data"],
            j!({
                "em": [sha256_hex("ada.lovelace@example.com")],
                "ph": [sha256_hex("16505551212")],
                "fn": [sha256_hex("ada")],
                "external_id": [sha256_hex("c")],
            })
        );
        assert_eq!(
            meta.json()["data"][0]["custom_data"],
            j!({"credit_tier": "subprime"})
        );

        let google = find(&all, "google", "/events/0/name", "balance_viewed");
        assert_eq!(google.path, "/mp/collect");
        assert_eq!(
            google.json()["events"][0]["params"],
            j!({"value": 2481.17, "currency": "USD", "balance_band": "1k-5k"})
        );

        let identify = of(&all, "segment")
            .into_iter()
            .find(|c| c.path == "/v1/identify")
            .unwrap();
        assert_eq!(identify.header("x-bank-token"), "tok_test");
        assert_eq!(
            identify.header("authorization"),
            format!("Basic {}", STANDARD.encode("demo_write_key:"))
        );
        let body = identify.json();
        assert_eq!(body["userId"], j!(CUSTOMER_ID));
        assert_eq!(
            body["traits"],
            j!({"email": EMAIL, "firstName": "Ada", "lastName": "Lovelace", "phone": PHONE})
        );

        let mixpanel = find(&all, "mixpanel", "/event", "Transactions Viewed");
        assert_eq!(
            mixpanel.header("content-type"),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            mixpanel.json()["properties"],
            j!({"distinct_id": &sha256_hex("mixpanel:c")[..16],
            "$email": EMAIL, "last_merchant": "Starbucks", "token": "mp_demo_token", "time": 1_782_777_603})
        );

        for event_type in ["Spending Viewed", "Advisor Requested"] {
            let amplitude = find(&all, "amplitude", "/events/0/event_type", event_type);
            assert_eq!(
                (
                    amplitude.path.as_str(),
                    amplitude.header("content-encoding")
                ),
                ("/2/httpapi", "gzip")
            );
            let event = &amplitude.json()["events"][0];
            assert_eq!(event["user_id"], j!(CUSTOMER_ID));
            assert_eq!(event["user_properties"], j!({"dob": DOB, "zip": ZIP}));
        }
    }

    #[tokio::test]
    async fn leaky_mode_respects_consent() {
        let (bank, calls) = fake_bank(false).await;
        let (telemetry, log) = captured_telemetry(true).await;
        let bot = DemoBot::start(&bank, 0, telemetry).await.unwrap();
        play(
            &bot,
            &[
                ("anon", "", "hi", &[OPT_IN]),
                ("anon", "", "advisor", &[ADVISOR]),
                (
                    "out",
                    "tok_test",
                    "stop",
                    &["You've opted out. I won't access your bank data in this conversation."],
                ),
                ("out", "tok_test", "advisor", &[ADVISOR]),
                ("gone", "tok_revoked", "balance", &[REVOKED]),
                ("gone", "tok_revoked", "advisor", &[ADVISOR]),
            ],
        )
        .await;
        let all = take(&log);
        assert_eq!(all.len(), 30, "normal events only");
        assert_eq!(
            calls.lock().unwrap().as_slice(),
            ["/fdx/v6/accounts"],
            "only the revoked balance"
        );
        play(
            &bot,
            &[
                ("fresh", "tok_test", "advisor", &[ADVISOR]),
                ("fresh", "tok_test", "talk to a human", &[ADVISOR]),
            ],
        )
        .await;
        assert_eq!(
            count(&calls, "/fdx/v6/customers/current"),
            1,
            "fetched once, then cached"
        );
        let all = take(&log);
        let leaks = of(&all, "amplitude")
            .into_iter()
            .filter(|c| c.json()["events"][0]["user_id"] == j!(CUSTOMER_ID));
        assert_eq!(leaks.count(), 2);
    }

    #[tokio::test]
    async fn unreachable_telemetry_does_not_break_or_slow_replies() {
        let (bank, _) = fake_bank(false).await;
        let refused = Some("http://127.0.0.1:9".to_owned());
        let telemetry = Telemetry {
            meta: refused.clone(),
            google: refused.clone(),
            segment: refused.clone(),
            mixpanel: refused.clone(),
            amplitude: refused,
            leaky: true,
        };
        let bot = DemoBot::start(&bank, 0, telemetry).await.unwrap();
        let started = Instant::now();
        play(&bot, &TOUR).await;
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "five turns took {elapsed:?}"
        );
    }

    #[tokio::test]
    async fn never_calls_the_bank_without_consent() {
        let (bank, calls) = fake_bank(false).await;
        let bot = DemoBot::start(&bank, 0, Telemetry::default())
            .await
            .unwrap();
        play(&bot, &[("a", "", "balance", &[OPT_IN])]).await;
        assert!(calls.lock().unwrap().is_empty());
        play(&bot, &[
            ("b", "tok_revoked", "balance", &[REVOKED]),
            ("b", "tok_revoked", "transactions", &[OPT_IN]),
            ("c", "tok_test", "stop", &["You've opted out. I won't access your bank data in this conversation."]),
            ("c", "tok_test", "hello", &["You've opted out of bank data access. Say \"link account\" to opt back in."]),
        ]).await;
        assert_eq!(calls.lock().unwrap().len(), 1);
        play(&bot, &[("d", "tok_unknown", "hi", &[OPT_IN])]).await;
    }

    #[tokio::test]
    async fn survives_a_failing_bank_and_bad_requests() {
        let (bank, _) = fake_bank(true).await;
        let bot = DemoBot::start(&bank, 0, Telemetry::default())
            .await
            .unwrap();
        play(&bot, &[
            ("c", "tok_test", "balance", &["Sorry, I can't reach your bank right now. Please try again later."]),
            ("c", "tok_test", "blah", &["Sorry, I didn't understand that. You can ask about your balance, recent transactions, spending at a merchant, or talk to an advisor."]),
        ]).await;
        let (status, body) = post(&bot, r#"{"text": "hi"}"#).await;
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains("conversation_id"));
        assert_eq!(post(&bot, "{nope").await.0, 400);
        let missing = reqwest::get(format!("{}/nope", bot.url())).await.unwrap();
        assert_eq!(missing.status().as_u16(), 404);
    }

    #[tokio::test]
    async fn reports_a_busy_port_and_bad_urls() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = DemoBot::start("http://127.0.0.1:1", port, Telemetry::default())
            .await
            .unwrap_err();
        let expected = format!("cannot bind the demo bot to 127.0.0.1:{port}: ");
        assert!(err.to_string().starts_with(&expected), "{err}");
        let bad_url = DemoBot::start("not a url", 0, Telemetry::default()).await;
        assert!(matches!(bad_url, Err(DemoError::BankUrl { .. })));
        let telemetry = Telemetry {
            segment: Some("http//no-colon".into()),
            ..Telemetry::default()
        };
        let bad_telemetry = DemoBot::start("http://127.0.0.1:1", 0, telemetry).await;
        assert!(matches!(
            bad_telemetry,
            Err(DemoError::TelemetryUrl {
                service: "segment",
                ..
            })
        ));
    }
}
