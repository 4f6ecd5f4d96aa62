//! The FDX v6 dialect of the mock bank: routes, resource shapes and error bodies.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::customer::{Account, AccountType, Customer, Direction};

/// FDX error code for another customer's account.
pub const CODE_NOT_YOUR_ACCOUNT: &str = "706";
/// FDX-style error code for a customer who revoked consent.
pub const CODE_CONSENT_REVOKED: &str = "1107";
/// Error code for a missing or unknown bearer token.
pub const CODE_UNAUTHORIZED: &str = "601";
/// FDX error code for an unknown account.
pub const CODE_ACCOUNT_NOT_FOUND: &str = "701";
/// The most transactions one page holds.
pub const MAX_PAGE: usize = 100;

/// An endpoint of the bank.
#[derive(Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `POST /oauth/token`
    Token,
    /// `GET /fdx/v6/customers/current`
    CurrentCustomer,
    /// `GET /fdx/v6/accounts`
    Accounts,
    /// `GET /fdx/v6/accounts/{id}`
    Account(&'a str),
    /// `GET /fdx/v6/accounts/{id}/transactions`
    Transactions(&'a str),
    /// `GET /fdx/v6/accounts/{id}/payment-networks`
    PaymentNetworks(&'a str),
    /// `GET /fdx/v6/payees`
    Payees,
    /// `POST /fdx/v6/payees`
    CreatePayee,
    /// `POST /fdx/v6/transfers`
    CreateTransfer,
    /// `GET /fdx/v6/transfers/{id}`
    Transfer(&'a str),
    /// `POST /fdx/v6/payments`
    CreatePayment,
    /// `GET /fdx/v6/payments/{id}`
    Payment(&'a str),
    /// Anything else.
    Unknown,
}

impl Route<'_> {
    /// Whether the endpoint moves money or sets up a payee (a `POST` that honours idempotency keys).
    pub fn moves_money(&self) -> bool {
        matches!(
            self,
            Route::CreatePayee | Route::CreateTransfer | Route::CreatePayment
        )
    }
}

/// Maps a method and path to an endpoint.
pub fn route<'a>(method: &str, path: &'a str) -> Route<'a> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match (method, segments.as_slice()) {
        ("POST", ["oauth", "token"]) => Route::Token,
        ("GET", ["fdx", "v6", "customers", "current"]) => Route::CurrentCustomer,
        ("GET", ["fdx", "v6", "accounts"]) => Route::Accounts,
        ("GET", ["fdx", "v6", "accounts", id]) => Route::Account(id),
        ("GET", ["fdx", "v6", "accounts", id, "transactions"]) => Route::Transactions(id),
        ("GET", ["fdx", "v6", "accounts", id, "payment-networks"]) => Route::PaymentNetworks(id),
        ("GET", ["fdx", "v6", "payees"]) => Route::Payees,
        ("POST", ["fdx", "v6", "payees"]) => Route::CreatePayee,
        ("POST", ["fdx", "v6", "transfers"]) => Route::CreateTransfer,
        ("GET", ["fdx", "v6", "transfers", id]) => Route::Transfer(id),
        ("POST", ["fdx", "v6", "payments"]) => Route::CreatePayment,
        ("GET", ["fdx", "v6", "payments", id]) => Route::Payment(id),
        _ => Route::Unknown,
    }
}

/// The FDX error body.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// `GET /fdx/v6/customers/current`
pub fn customer(c: &Customer) -> Value {
    json!({
        "customerId": c.id,
        "name": { "first": c.first_name, "last": c.last_name },
        "email": [c.email],
        "telephones": [{ "type": "CELL", "number": c.phone }],
        "addresses": [{
            "line1": c.address.street,
            "city": c.address.city,
            "region": c.address.state,
            "postalCode": c.address.zip,
            "country": "US",
        }],
        "dateOfBirth": c.date_of_birth.to_string(),
        "taxId": c.ssn,
    })
}

fn nickname(kind: AccountType) -> &'static str {
    match kind {
        AccountType::Checking => "Checking",
        AccountType::Savings => "Savings",
        AccountType::CreditCard => "Credit card",
    }
}

fn last4(number: &str) -> &str {
    &number[number.len().saturating_sub(4)..]
}

/// One entry of `GET /fdx/v6/accounts`.
pub fn account_summary(a: &Account) -> Value {
    let shown = a.card_number.as_deref().unwrap_or(&a.number);
    json!({
        "accountId": a.id,
        "accountType": a.kind.fdx(),
        "accountCategory": if a.kind == AccountType::CreditCard { "LOC_ACCOUNT" } else { "DEPOSIT_ACCOUNT" },
        "nickname": nickname(a.kind),
        "accountNumberDisplay": format!("...{}", last4(shown)),
        "currency": { "currencyCode": a.currency },
        "currentBalance": a.balance,
        "availableBalance": a.available_balance,
        "status": "OPEN",
    })
}

/// `GET /fdx/v6/accounts`
pub fn accounts(c: &Customer) -> Value {
    json!({
        "page": { "totalElements": c.accounts.len() },
        "accounts": c.accounts.iter().map(account_summary).collect::<Vec<_>>(),
    })
}

/// `GET /fdx/v6/accounts/{id}`: the summary plus the full account (or card) number.
pub fn account_detail(a: &Account) -> Value {
    let mut value = account_summary(a);
    value["accountNumber"] = json!(a.card_number.as_deref().unwrap_or(&a.number));
    value
}

/// `GET /fdx/v6/accounts/{id}/payment-networks`
pub fn payment_networks(a: &Account) -> Value {
    json!({
        "paymentNetworks": [{
            "bankId": a.routing_number,
            "identifier": a.number,
            "type": "US_ACH",
            "transferIn": true,
            "transferOut": a.kind != AccountType::CreditCard,
        }]
    })
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let day = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| format!("invalid date `{text}`, expected YYYY-MM-DD"))
}

fn parse_count(name: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("invalid {name} `{text}`, expected a whole number"))
}

/// `GET /fdx/v6/accounts/{id}/transactions?startTime&endTime&limit&offset`, newest first.
pub fn transactions(a: &Account, query: &str) -> Result<Value, String> {
    let (mut start, mut end, mut limit, mut offset) = (None, None, MAX_PAGE, 0);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "startTime" => start = Some(parse_date(&value)?),
            "endTime" => end = Some(parse_date(&value)?),
            "limit" => limit = parse_count("limit", &value)?.clamp(1, MAX_PAGE),
            "offset" => offset = parse_count("offset", &value)?,
            _ => {}
        }
    }
    let selected: Vec<_> = a
        .transactions
        .iter()
        .filter(|t| start.is_none_or(|s| t.date >= s) && end.is_none_or(|e| t.date <= e))
        .collect();
    let page: Vec<Value> = selected
        .iter()
        .skip(offset)
        .take(limit)
        .map(|t| {
            json!({
                "transactionId": t.id,
                "postedTimestamp": format!("{}T00:00:00Z", t.date),
                "description": t.merchant,
                "amount": t.amount,
                "debitCreditMemo": if t.direction == Direction::Debit { "DEBIT" } else { "CREDIT" },
                "status": "POSTED",
            })
        })
        .collect();
    let mut meta = json!({ "totalElements": selected.len() });
    if offset + limit < selected.len() {
        meta["nextOffset"] = json!((offset + limit).to_string());
    }
    Ok(json!({ "page": meta, "transactions": page }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("GET", "/fdx/v6/accounts/a1/transactions"),
            Route::Transactions("a1")
        );
        assert_eq!(route("GET", "/fdx/v6/accounts/"), Route::Accounts);
        assert_eq!(route("POST", "/fdx/v6/accounts"), Route::Unknown);
        assert_eq!(route("POST", "/oauth/token"), Route::Token);
        assert_eq!(route("POST", "/fdx/v6/payments/"), Route::CreatePayment);
        assert_eq!(
            route("GET", "/fdx/v6/payments/pmt_1"),
            Route::Payment("pmt_1")
        );
        assert_eq!(route("DELETE", "/fdx/v6/payees"), Route::Unknown);
    }
}
