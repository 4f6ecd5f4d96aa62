//! The bundled reference bank bot: an HTTP chatbot server (hyper, 127.0.0.1 only) that answers
//! `POST /chat` by calling the bank's FDX API as a real client with the customer's bearer token.
//! This file owns start/stop, routing and the JSON wire format.

mod bank_client;
mod conversation;
mod intent;

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use bank_client::BankClient;
use conversation::{Bot, Reply};

/// Largest accepted `/chat` request body.
const MAX_BODY: usize = 64 * 1024;

/// Why the reference bot could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot bind the reference bot to 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("invalid bank URL {url:?}: expected an http(s) URL such as http://127.0.0.1:4567")]
    BankUrl { url: String },
    #[error("cannot build the bank HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A running reference bot. Dropping it stops the server.
#[derive(Debug)]
pub struct DemoBot {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl DemoBot {
    /// Starts the bot on 127.0.0.1:`port` (0 = any free port), reading the bank at `bank_url`
    /// (e.g. "http://127.0.0.1:4567", no trailing slash).
    pub async fn start(bank_url: &str, port: u16) -> Result<DemoBot, DemoError> {
        let base = reqwest::Url::parse(bank_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| DemoError::BankUrl {
                url: bank_url.to_owned(),
            })?;
        let bot = Arc::new(Bot::new(BankClient::new(base)?));
        let bind_error = |source| DemoError::Bind { port, source };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let task = tokio::spawn(serve(listener, bot));
        Ok(DemoBot { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
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

/// Accept loop. Connections live in a `JoinSet`, so aborting this task also ends them.
async fn serve(listener: TcpListener, bot: Arc<Bot>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let bot = Arc::clone(&bot);
                    let service = service_fn(move |req| route(Arc::clone(&bot), req));
                    connections.spawn(async move {
                        // A client hanging up mid-request is not the server's problem.
                        let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                    });
                }
                // e.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
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

async fn route(bot: Arc<Bot>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => respond(StatusCode::OK, "text/plain", b"ok".to_vec()),
        (&Method::POST, "/chat") => chat(&bot, req.into_body()).await,
        (method, path) => error(
            StatusCode::NOT_FOUND,
            format!("no route for {method} {path}"),
        ),
    };
    Ok(response)
}

async fn chat(bot: &Bot, body: Incoming) -> Response<Full<Bytes>> {
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            )
        }
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{json as j, Value};

    use super::*;

    /// A tiny FDX bank. "tok_test" holds a checking and a card account; "tok_revoked" gets 403/1107;
    /// with `down` every call answers 503. Counts every call it receives.
    async fn fake_bank(down: bool) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                let service = service_fn(move |req: Request<Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = fake_answer(down, &req);
                    async move { Ok::<_, Infallible>(json(status, &body)) }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        (url, calls)
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
            (_, _, "/fdx/v6/customers/current") => {
                ok(j!({"customerId": "c1", "name": {"first": "Ada"}}))
            }
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

    const OPT_IN: &str = "To see your accounts, please link your bank account first.";
    const MENU: [&str; 3] = ["Balance", "Transactions", "Advisor"];

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
        let bot = DemoBot::start(&bank, 0).await.unwrap();
        assert!(bot.url().starts_with("http://127.0.0.1:"));
        let t = "tok_test";
        play(&bot, &[
            ("c", t, "Hi!", &["Hello Ada! I can show your balances, recent transactions and spending, or connect you to an advisor."]),
            ("c", t, "what's my checking balance?", &["Your checking account ending 1234 has a balance of $2,481.17."]),
            ("c", t, "balances", &[
                "Your checking account ending 1234 has a balance of $2,400.00.",
                "Your credit card account ending 9876 has a balance of $310.50.",
            ]),
            ("c", t, "savings balance", &["You don't have a savings account with us."]),
            ("c", t, "show my last 2 transactions", &[
                "Here are your last 2 transactions on your checking account:",
                "2026-06-29 Starbucks -$4.75",
                "2026-06-28 Payroll +$1,500.00",
            ]),
            ("c", t, "how much did I spend at starbucks?", &["You spent $13.00 at Starbucks in the last 90 days (3 purchases)."]),
            ("c", t, "spent at Nowhere Inc.", &["I couldn't find any purchases at Nowhere Inc in the last 90 days."]),
        ]).await;
        let hello = j!({"conversation_id": "c", "text": "hey", "bank_token": t});
        let (_, hello) = post(&bot, hello.to_string()).await;
        assert_eq!(hello["replies"][0]["quick_replies"], j!(MENU));
        let advisor = j!({"conversation_id": "c", "text": "advisor", "bank_token": t});
        let advisor_text = "I'm connecting you to an advisor. Someone will be with you shortly.";
        let (_, advisor) = post(&bot, advisor.to_string()).await;
        assert_eq!(advisor, j!({"replies": [{"text": advisor_text}]}));
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
    async fn never_calls_the_bank_without_consent() {
        let (bank, calls) = fake_bank(false).await;
        let bot = DemoBot::start(&bank, 0).await.unwrap();
        play(&bot, &[("a", "", "balance", &[OPT_IN])]).await;
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        play(&bot, &[
            ("b", "tok_revoked", "balance", &["Your bank consent has been revoked, so I can't access your accounts. Please re-link your account to continue."]),
            ("b", "tok_revoked", "transactions", &[OPT_IN]),
            ("c", "tok_test", "stop", &["You've opted out. I won't access your bank data in this conversation."]),
            ("c", "tok_test", "hello", &["You've opted out of bank data access. Say \"link account\" to opt back in."]),
        ]).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        play(&bot, &[("d", "tok_unknown", "hi", &[OPT_IN])]).await;
    }

    #[tokio::test]
    async fn survives_a_failing_bank_and_bad_requests() {
        let (bank, _) = fake_bank(true).await;
        let bot = DemoBot::start(&bank, 0).await.unwrap();
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
    async fn reports_a_busy_port_and_a_bad_bank_url() {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = DemoBot::start("http://127.0.0.1:1", port)
            .await
            .unwrap_err();
        let expected = format!("cannot bind the reference bot to 127.0.0.1:{port}: ");
        assert!(err.to_string().starts_with(&expected), "{err}");
        let bad_url = DemoBot::start("not a url", 0).await;
        assert!(matches!(bad_url, Err(DemoError::BankUrl { .. })));
    }
}
