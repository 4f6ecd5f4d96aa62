//! The people and companies a synthetic customer pays: two payees per customer, drawn from a
//! generator of their own (keyed by the customer's id), so adding them shifts no other field.

use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use serde::Serialize;

use super::numbers;

/// Someone the customer has set up to pay: a person or a company with a bank account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payee {
    /// The bank's payee id.
    pub id: String,
    /// The name the customer knows them by.
    pub name: String,
    /// The payee's account number at their bank.
    pub account_number: String,
    /// Their bank's ABA routing number (checksum-valid).
    pub routing_number: String,
}

/// The customer `customer_id`'s payees: a person first, then a company.
pub(super) fn payees(customer_id: &str) -> Vec<Payee> {
    let rng = &mut super::rng_in(b"banter/payee/v1\0", 0, customer_id.as_bytes());
    let first: String = FirstName().fake_with_rng(rng);
    let last: String = LastName().fake_with_rng(rng);
    let company: String = CompanyName().fake_with_rng(rng);
    [format!("{first} {last}"), company]
        .into_iter()
        .map(|name| Payee {
            id: format!("pye_{}", numbers::hex(rng, 10)),
            name,
            account_number: numbers::account_number(rng),
            routing_number: numbers::routing_number(rng),
        })
        .collect()
}
