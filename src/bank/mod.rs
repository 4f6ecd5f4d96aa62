//! The mock bank: a real HTTP server (wiremock) on 127.0.0.1 speaking FDX v6, holding synthetic customers.
//!
//! One [`Bank`] serves a whole run. Each scenario opens a [`BankSession`] for its customer;
//! calls are attributed to a session by the bearer token they carry, so many conversations
//! can share the bank. Calls without a usable token are attributed to every session that is
//! mid-turn, which is exact when scenarios run one at a time.

mod call;
mod fault;
pub mod fdx;
mod payments;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use call::{BankCall, Outcome};
use fault::ArmedFault;
pub use fault::Fault;
use payments::{Ledger, Write};
pub use payments::{Movement, MovementKind};

use crate::customer::{Consent, Customer};
use crate::money::Money;
use crate::sync::lock;

/// How many calls one session keeps; later ones are counted but not stored.
const MAX_CALLS_PER_SESSION: usize = 10_000;
/// How many other customers the bank holds besides the scenarios' own.
pub const DECOYS: usize = 3;

/// How reports name the bank's `index`th decoy customer (from 1, like [`Customer::decoy`]):
/// `decoy customer N`, which reads as no scenario's name.
pub fn decoy_name(index: usize) -> String {
    format!("decoy customer {index}")
}

/// The bank could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BankError {
    /// Binding 127.0.0.1 failed.
    #[error("cannot bind the mock bank to 127.0.0.1: {0}")]
    Bind(#[source] std::io::Error),
}

/// A running mock bank.
pub struct Bank {
    server: MockServer,
    state: Arc<State>,
    decoys: Vec<Customer>,
}

#[derive(Default)]
struct State {
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    by_token: HashMap<String, Arc<Tenant>>,
    by_code: HashMap<String, String>,
    account_owner: HashMap<String, String>,
    open: Vec<Weak<Tenant>>,
}

struct Tenant {
    customer: Arc<Customer>,
    turn: AtomicUsize,
    in_turn: AtomicBool,
    calls: Mutex<Vec<BankCall>>,
    dropped: AtomicUsize,
    faults: Vec<ArmedFault>,
    /// The customer's money as it stands now.
    ledger: Mutex<Ledger>,
}

impl Tenant {
    fn record(&self, mut call: BankCall) {
        call.turn = self.turn.load(Ordering::SeqCst);
        let mut calls = lock(&self.calls);
        if calls.len() < MAX_CALLS_PER_SESSION {
            calls.push(call);
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Bank {
    /// Starts the bank on a free port of 127.0.0.1, holding decoy customers derived from `seed`.
    pub async fn start(seed: u64) -> Result<Bank, BankError> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(BankError::Bind)?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let state = Arc::new(State::default());
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        let decoys: Vec<Customer> = (1..=DECOYS).map(|i| Customer::decoy(seed, i)).collect();
        let bank = Bank {
            server,
            state,
            decoys,
        };
        for decoy in &bank.decoys {
            bank.register(Arc::new(decoy.clone()), Vec::new());
        }
        Ok(bank)
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// The other customers the bank holds, whose data no conversation may see.
    pub fn decoys(&self) -> &[Customer] {
        &self.decoys
    }

    fn register(&self, customer: Arc<Customer>, faults: Vec<Fault>) -> Arc<Tenant> {
        let tenant = Arc::new(Tenant {
            ledger: Mutex::new(Ledger::new(Arc::clone(&customer))),
            customer,
            turn: AtomicUsize::new(0),
            in_turn: AtomicBool::new(false),
            calls: Mutex::new(Vec::new()),
            dropped: AtomicUsize::new(0),
            faults: faults.into_iter().map(ArmedFault::new).collect(),
        });
        let mut registry = lock(&self.state.registry);
        let c = &tenant.customer;
        for account in &c.accounts {
            registry
                .account_owner
                .insert(account.id.clone(), c.id.clone());
        }
        if !c.token.is_empty() {
            registry.by_token.insert(c.token.clone(), tenant.clone());
        }
        // A customer who revoked consent once linked, so the code still exchanges.
        if let Some(code) = c.authorization_code() {
            registry.by_code.insert(code, c.token.clone());
        }
        registry.open.retain(|t| t.strong_count() > 0);
        registry.open.push(Arc::downgrade(&tenant));
        tenant
    }

    /// Adds a scenario's customer to the bank, with the scenario's faults, until the session is dropped.
    pub fn open(&self, customer: impl Into<Arc<Customer>>, faults: Vec<Fault>) -> BankSession {
        BankSession {
            tenant: self.register(customer.into(), faults),
            state: self.state.clone(),
        }
    }
}

/// One scenario's view of the bank: its customer, its turn counter and its call log.
pub struct BankSession {
    tenant: Arc<Tenant>,
    state: Arc<State>,
}

impl BankSession {
    /// Calls from now on belong to `turn` (1-based).
    pub fn begin_turn(&self, turn: usize) {
        self.tenant.turn.store(turn, Ordering::SeqCst);
        self.tenant.in_turn.store(true, Ordering::SeqCst);
    }

    /// The turn is over; unauthenticated calls are no longer attributed to this session.
    pub fn end_turn(&self) {
        self.tenant.in_turn.store(false, Ordering::SeqCst);
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<BankCall> {
        lock(&self.tenant.calls).clone()
    }

    /// The calls after the first `seen`, in order.
    pub fn calls_since(&self, seen: usize) -> Vec<BankCall> {
        lock(&self.tenant.calls)
            .get(seen..)
            .map(<[BankCall]>::to_vec)
            .unwrap_or_default()
    }

    /// The money moved after the first `seen` movements, in order.
    pub fn movements_since(&self, seen: usize) -> Vec<Movement> {
        lock(&self.tenant.ledger)
            .movements()
            .get(seen..)
            .map(<[Movement]>::to_vec)
            .unwrap_or_default()
    }

    /// Every account's balance as it stands now, by account id.
    pub fn balances(&self) -> Vec<(String, Money)> {
        let ledger = lock(&self.tenant.ledger);
        let accounts = &ledger.live.accounts;
        accounts.iter().map(|a| (a.id.clone(), a.balance)).collect()
    }

    /// The customer this session serves.
    pub fn customer(&self) -> &Customer {
        &self.tenant.customer
    }
}

impl Drop for BankSession {
    fn drop(&mut self) {
        let c = &self.tenant.customer;
        let mut registry = lock(&self.state.registry);
        registry.by_token.remove(&c.token);
        if let Some(code) = c.authorization_code() {
            registry.by_code.remove(&code);
        }
        // Account ownership stays: a later conversation reading this customer's
        // account is still an isolation violation, not a 404.
    }
}

struct Responder(Arc<State>);

fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let _serving = crate::panics::serving("mock bank");
        let method = request.method.as_str().to_string();
        let path = request.url.path().to_string();
        let query = request.url.query().unwrap_or("").to_string();
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .unwrap_or("");
        let route = fdx::route(&method, &path);
        let (tenant, open) = {
            let registry = lock(&self.0.registry);
            let tenant = if route == fdx::Route::Token {
                token_request_code(request).and_then(|code| {
                    registry
                        .by_code
                        .get(&code)
                        .and_then(|t| registry.by_token.get(t))
                        .cloned()
                })
            } else {
                registry.by_token.get(token).cloned()
            };
            let open: Vec<Arc<Tenant>> = if tenant.is_none() {
                registry
                    .open
                    .iter()
                    .filter_map(Weak::upgrade)
                    .filter(|t| t.in_turn.load(Ordering::SeqCst))
                    .collect()
            } else {
                Vec::new()
            };
            (tenant, open)
        };
        let (template, status, outcome) = match &tenant {
            Some(tenant) => self.serve(tenant, request, &method, &path, route),
            None => (
                reply(
                    401,
                    fdx::error(fdx::CODE_UNAUTHORIZED, "missing or unknown bearer token"),
                ),
                401,
                Outcome::Unauthorized,
            ),
        };
        let call = BankCall {
            turn: 0,
            method,
            path,
            query,
            status,
            outcome,
        };
        match tenant {
            Some(tenant) => tenant.record(call),
            None => open.iter().for_each(|t| t.record(call.clone())),
        }
        template
    }
}

fn token_request_code(request: &Request) -> Option<String> {
    if let Ok(json) = serde_json::from_slice::<Value>(&request.body) {
        return json.get("code").and_then(Value::as_str).map(str::to_string);
    }
    form_urlencoded::parse(&request.body)
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
}

/// The idempotency key of a write: `Idempotency-Key`, else FDX's request id
/// (`x-fapi-interaction-id`).
fn idempotency_key(request: &Request) -> Option<String> {
    ["idempotency-key", "x-fapi-interaction-id"]
        .iter()
        .find_map(|name| request.headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Responder {
    fn serve(
        &self,
        tenant: &Tenant,
        request: &Request,
        method: &str,
        path: &str,
        route: fdx::Route<'_>,
    ) -> (ResponseTemplate, u16, Outcome) {
        let mut delay = None;
        let mut lost = None;
        for fault in &tenant.faults {
            if let Some(hit) = fault.hit(method, path) {
                delay = hit.delay;
                if hit.lost {
                    lost = Some(hit.status.unwrap_or(504));
                } else if let Some(status) = hit.status {
                    let mut t = reply(status, fdx::error(&status.to_string(), "injected fault"));
                    if let Some(d) = delay {
                        t = t.set_delay(d);
                    }
                    return (t, status, Outcome::Fault);
                }
                break;
            }
        }
        let (status, body, outcome) = self.answer(tenant, request, route);
        // The work is done; only the answer is lost.
        let (status, body, outcome) = match lost {
            Some(status) => (
                status,
                fdx::error(&status.to_string(), "injected fault: the answer was lost"),
                Outcome::Lost,
            ),
            None => (status, body, outcome),
        };
        let template = reply(status, body);
        let template = match delay {
            Some(d) => template.set_delay(d),
            None => template,
        };
        (template, status, outcome)
    }

    fn answer(
        &self,
        tenant: &Tenant,
        request: &Request,
        route: fdx::Route<'_>,
    ) -> (u16, Value, Outcome) {
        let c = &tenant.customer;
        if route == fdx::Route::Token {
            let body = serde_json::json!({ "access_token": c.token, "token_type": "Bearer", "expires_in": 3600 });
            return (200, body, Outcome::Ok);
        }
        if c.consent == Consent::Revoked {
            let body = fdx::error(
                fdx::CODE_CONSENT_REVOKED,
                "the customer revoked consent for this data recipient",
            );
            return (403, body, Outcome::ConsentRevoked);
        }
        let foreign = |id: &str| lock(&self.0.registry).account_owner.contains_key(id);
        let mut ledger = lock(&tenant.ledger);
        if route.moves_money() {
            let write = Write {
                route,
                body: &request.body,
                key: idempotency_key(request),
                turn: tenant.turn.load(Ordering::SeqCst),
            };
            return ledger.write(write, &foreign);
        }
        let c = &ledger.live;
        let account = |id: &str| {
            c.account(id).ok_or(if foreign(id) {
                Outcome::IsolationViolation
            } else {
                Outcome::NotFound
            })
        };
        let ok = |body: Value| (200, body, Outcome::Ok);
        let query = request.url.query().unwrap_or("");
        let result = match route {
            fdx::Route::CurrentCustomer => Ok(ok(fdx::customer(c))),
            fdx::Route::Accounts => Ok(ok(fdx::accounts(c))),
            fdx::Route::Account(id) => account(id).map(|a| ok(fdx::account_detail(a))),
            fdx::Route::PaymentNetworks(id) => account(id).map(|a| ok(fdx::payment_networks(a))),
            fdx::Route::Transactions(id) => {
                account(id).map(|a| match fdx::transactions(a, query) {
                    Ok(body) => ok(body),
                    Err(message) => (400, fdx::error("400", &message), Outcome::BadRequest),
                })
            }
            fdx::Route::Payees => Ok(ok(ledger.payees())),
            fdx::Route::Transfer(id) => Ok(ledger.order(id, MovementKind::Transfer)),
            fdx::Route::Payment(id) => Ok(ledger.order(id, MovementKind::Payment)),
            _ => Ok((
                404,
                fdx::error("404", "no such endpoint"),
                Outcome::NotFound,
            )),
        };
        result.unwrap_or_else(|outcome| {
            if outcome == Outcome::IsolationViolation {
                let body = fdx::error(
                    fdx::CODE_NOT_YOUR_ACCOUNT,
                    "account is not accessible to this customer",
                );
                (403, body, outcome)
            } else {
                (
                    404,
                    fdx::error(fdx::CODE_ACCOUNT_NOT_FOUND, "account not found"),
                    Outcome::NotFound,
                )
            }
        })
    }
}
