//! The demo bot's FDX v6 client: customer, account, transaction, payee, transfer and payment
//! calls over HTTP with the customer's bearer token, and the mapping of FDX error answers to
//! typed errors.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::join_url;
use crate::money::Money;

/// Per-request timeout for every bank call.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Page size used when walking all transactions (the FDX maximum).
const PAGE_LIMIT: usize = 100;
/// Guard against a bank whose `nextOffset` never ends.
const MAX_PAGES: usize = 200;

/// Why a bank call did not produce data.
#[derive(Debug, thiserror::Error)]
pub enum BankClientError {
    #[error("the bank did not accept the token (HTTP 401)")]
    Unauthorized,
    #[error("the customer's consent was revoked (HTTP 403, code 1107)")]
    ConsentRevoked,
    #[error("the bank answered HTTP {status} (code {code:?})")]
    Status { status: u16, code: Option<String> },
    #[error("cannot reach the bank: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the bank sent an unreadable body: {0}")]
    Body(#[from] serde_json::Error),
    #[error("the bank's transaction pages did not end after {MAX_PAGES} pages")]
    EndlessPages,
    #[error("cannot build a request URL from the bank URL {0}")]
    Url(Url),
}

/// `GET /fdx/v6/customers/current` as the bot reads it: the greeting needs the first name; the
/// rest only feeds leaky telemetry (the tax id is deliberately not read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default)]
    pub customer_id: String,
    pub name: PersonName,
    #[serde(default)]
    pub email: Vec<String>,
    #[serde(default)]
    pub telephones: Vec<Telephone>,
    #[serde(default)]
    pub addresses: Vec<PostalAddress>,
    #[serde(default)]
    pub date_of_birth: String,
}

impl Profile {
    /// The first email address.
    pub fn first_email(&self) -> Option<&str> {
        self.email.first().map(String::as_str)
    }

    /// The first phone number as the bank wrote it (E.164, e.g. "+16505551212").
    pub fn first_phone(&self) -> Option<&str> {
        self.telephones.first().map(|t| t.number.as_str())
    }

    /// The first address's postal code.
    pub fn postal_code(&self) -> Option<&str> {
        self.addresses.first().map(|a| a.postal_code.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub struct PersonName {
    pub first: String,
    #[serde(default)]
    pub last: String,
}

#[derive(Debug, Deserialize)]
pub struct Telephone {
    #[serde(default)]
    pub number: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddress {
    #[serde(default)]
    pub postal_code: String,
}

/// An FDX account as the bot uses it (the full account number is deliberately not read).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankAccount {
    pub account_id: String,
    pub account_type: String,
    #[serde(default)]
    pub account_number_display: String,
    pub current_balance: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankTransaction {
    #[serde(default)]
    pub posted_timestamp: String,
    #[serde(default)]
    pub description: String,
    pub amount: Money,
    pub debit_credit_memo: String,
}

/// A payee from `GET /fdx/v6/payees`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankPayee {
    pub payee_id: String,
    pub merchant: Merchant,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub display_name: String,
}

#[derive(Deserialize)]
struct PayeeList {
    payees: Vec<BankPayee>,
}

/// A transfer or payment the bank accepted.
#[derive(Deserialize)]
pub struct Order {
    #[serde(alias = "paymentId", alias = "transferId")]
    pub id: String,
    pub status: String,
}

#[derive(Deserialize)]
struct AccountList {
    accounts: Vec<BankAccount>,
}

#[derive(Deserialize)]
struct TransactionPage {
    #[serde(default)]
    page: PageInfo,
    transactions: Vec<BankTransaction>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    next_offset: Option<String>,
}

#[derive(Deserialize)]
struct FdxError {
    code: String,
}

/// HTTP client for one bank.
pub struct BankClient {
    http: reqwest::Client,
    base: Url,
}

impl BankClient {
    pub fn new(base: Url) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(TIMEOUT).build()?;
        Ok(Self { http, base })
    }

    pub async fn profile(&self, token: &str) -> Result<Profile, BankClientError> {
        self.get(token, &["customers", "current"], &[]).await
    }

    pub async fn accounts(&self, token: &str) -> Result<Vec<BankAccount>, BankClientError> {
        let list: AccountList = self.get(token, &["accounts"], &[]).await?;
        Ok(list.accounts)
    }

    /// One account's details: the authoritative balance.
    pub async fn account(
        &self,
        token: &str,
        account_id: &str,
    ) -> Result<BankAccount, BankClientError> {
        self.get(token, &["accounts", account_id], &[]).await
    }

    /// The newest `limit` transactions of an account, or with `None` all of them (following
    /// `nextOffset` to the last page).
    pub async fn transactions(
        &self,
        token: &str,
        account_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<BankTransaction>, BankClientError> {
        let segments = ["accounts", account_id, "transactions"];
        let (mut all, mut offset) = (Vec::new(), "0".to_owned());
        for _ in 0..MAX_PAGES {
            let query = [
                ("limit", limit.unwrap_or(PAGE_LIMIT).to_string()),
                ("offset", offset.clone()),
            ];
            let page: TransactionPage = self.get(token, &segments, &query).await?;
            all.extend(page.transactions);
            match (limit, page.page.next_offset) {
                (Some(limit), _) => {
                    all.truncate(limit);
                    return Ok(all);
                }
                (None, None) => return Ok(all),
                (None, Some(next)) if next != offset => offset = next,
                (None, Some(_)) => return Err(BankClientError::EndlessPages),
            }
        }
        Err(BankClientError::EndlessPages)
    }

    /// The customer's payees.
    pub async fn payees(&self, token: &str) -> Result<Vec<BankPayee>, BankClientError> {
        let list: PayeeList = self.get(token, &["payees"], &[]).await?;
        Ok(list.payees)
    }

    /// `POST /fdx/v6/{collection}` (`transfers` or `payments`) with `body`, carrying
    /// `Idempotency-Key: key` when there is one.
    pub async fn create(
        &self,
        token: &str,
        collection: &str,
        body: &serde_json::Value,
        key: Option<&str>,
    ) -> Result<Order, BankClientError> {
        let mut request = self.http.post(self.url(&[collection])?).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request.bearer_auth(token)).await
    }

    /// `{bank}/fdx/v6/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Result<Url, BankClientError> {
        let path = ["fdx", "v6"].into_iter().chain(segments.iter().copied());
        join_url(&self.base, path).ok_or_else(|| BankClientError::Url(self.base.clone()))
    }

    /// GET `{bank}/fdx/v6/{segments…}?{query}` with the bearer token.
    async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, BankClientError> {
        let request = self.http.get(self.url(segments)?).bearer_auth(token);
        self.send(request.query(query)).await
    }

    /// Sends a request and reads the FDX answer: the body, or the error it stands for.
    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, BankClientError> {
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if status.is_success() {
            return Ok(serde_json::from_slice(&body)?);
        }
        let code = serde_json::from_slice::<FdxError>(&body)
            .ok()
            .map(|e| e.code);
        Err(match (status, code.as_deref()) {
            (StatusCode::UNAUTHORIZED, _) => BankClientError::Unauthorized,
            (StatusCode::FORBIDDEN, Some("1107")) => BankClientError::ConsentRevoked,
            _ => BankClientError::Status {
                status: status.as_u16(),
                code,
            },
        })
    }
}
