//! The leak detector: a known-value search for planted customer data in the requests a bot
//! sent to ad and analytics sinks, and in its replies.
//!
//! This module owns the public API ([`Detector`], [`Scan`], [`Finding`], [`Warning`]).
//! [`Detector::new`] prepares every needle once (`needles`, from the forms of `normalise`
//! and the hashes of `digests`); a scan splits a request into
//! located strings (`sites`) and searches each one, decoding what it finds inside (`scan`,
//! `decode`, `amounts`), and reports unknown card, routing, SSN and email shapes (`warnings`).
//!
//! ```
//! use banter::{CapturedRequest, Customer, CustomerSpec, Detector};
//!
//! let customer = Customer::generate(7, "alice", &CustomerSpec::default());
//! let detector = Detector::new(std::slice::from_ref(&customer));
//! let target = format!("/tr?ev=Lead&em={}", customer.email.replace('@', "%40"));
//! let scan = detector.scan_request(&CapturedRequest::new("meta", "GET", &target, &[], ""));
//! let finding = scan.findings.iter().find(|f| f.location == "query:em").unwrap();
//! assert_eq!(finding.chain, "url → email");
//! ```

/// A table of `f(b)` for every byte `b`, built at compile time.
macro_rules! byte_table {
    ($t:ty, $f:ident) => {{
        let mut table: [$t; 256] = [0; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = $f(b as u8);
            b += 1;
        }
        table
    }};
}

mod amounts;
mod classes;
mod clean;
mod decode;
mod derived;
mod digests;
mod hashed;
mod key_memo;
mod keys;
mod needles;
mod normalise;
mod owner;
mod scan;
mod shape;
mod site;
mod sites;
mod starts;
mod status;
mod warnings;

pub mod corpus;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transform_tests;

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::customer::Customer;
use crate::money::Money;
use crate::sinks::CapturedRequest;
use keys::KeyKind;
use needles::Needles;
use scan::{Mode, Scanner};
use site::Site;
pub use status::{Vocabulary, BUILTIN_TERMS};

/// Needles for a set of customers, prepared once and shared by every scan, and the
/// financial-status vocabulary.
pub struct Detector {
    needles: Needles,
    vocabulary: Vocabulary,
}

impl Detector {
    /// Precomputes needles for these customers; a Finding's `customer` is the index into this
    /// slice. Financial-status terms are the built-in ones.
    pub fn new<C: Borrow<Customer> + Sync>(customers: &[C]) -> Detector {
        Detector::prepare(customers, &[], Vocabulary::default())
    }

    /// Like [`Detector::new`], also knowing the amounts each customer is expected to move
    /// (`amounts[i]` for customer `i`, such as a scenario's `bank.moved`, which exist only once
    /// the conversation happens), with these financial-status terms.
    pub fn prepare<C: Borrow<Customer> + Sync>(
        customers: &[C],
        amounts: &[Vec<Money>],
        vocabulary: Vocabulary,
    ) -> Detector {
        Detector {
            needles: Needles::build(customers, amounts),
            vocabulary,
        }
    }

    /// Scans one captured sink request: path, query, headers, body.
    pub fn scan_request(&self, request: &CapturedRequest) -> Scan {
        let mut scanner = Scanner::new(&self.needles, &self.vocabulary, Mode::Request);
        sites::scan_request(&mut scanner, request);
        scanner.finish()
    }

    /// Scans a free text (a bot reply) for IDENTITY values only (no amounts, merchants or payees),
    /// location = `location`.
    pub fn scan_text(&self, text: &str, location: &str) -> Vec<Finding> {
        let mut scanner = Scanner::new(&self.needles, &self.vocabulary, Mode::Text);
        scanner.value(text.as_bytes(), &Site::new(location, KeyKind::None));
        scanner.finish().findings
    }
}

/// What one scan found: leaks of known values, unknown sensitive-looking values, and notes
/// about what could not be scanned whole (caps, lying encodings).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scan {
    /// One per (customer, kind, location), sorted. Where a value was found several ways,
    /// the most complete match wins (`url → email` over the local part seen before decoding),
    /// then the fewest decoding steps, then the shortest chain. A value found both in a
    /// container and in a field decoded from it is one finding, at the deepest location.
    pub findings: Vec<Finding>,
    /// Unknown card, routing, SSN and email shapes, one per (pattern, location, value).
    pub warnings: Vec<Warning>,
    /// Financial-status terms in keys and values, one per (location, term).
    pub signals: Vec<Signal>,
    /// What was not scanned whole: "body: gzip output capped at 8 MiB", "body: Content-Encoding
    /// says gzip but the body is not gzip; scanned as is", budgets that ran out.
    pub notes: Vec<String>,
}

/// One customer value found in one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Index into the customers the detector was built for.
    pub customer: usize,
    /// The class of the value.
    pub kind: ValueKind,
    /// Where it sat: `path`, `query:ud[em]`, `header:cookie:_fbp`, `body:/data/0/user_data/em`,
    /// `body` (plain text), `body:form:email`, `body:multipart:email`, ...
    pub location: String,
    /// The decoding steps, then the needle form, joined with " → ":
    /// `gzip → json → sha256(lower(email))`.
    pub chain: String,
    /// The needle form that matched, where verdicts need more than the kind.
    #[serde(skip)]
    pub form: ValueForm,
    /// What matched: the same for every customer whose value it is (a first name that is
    /// another customer's last name, an amount two customers share), so that a value the
    /// scenario's own customer holds is not also reported as someone else's.
    #[serde(skip)]
    pub needle: u64,
}

/// The form of a customer value a finding matched, where a verdict needs more than its kind:
/// a full name or a street as written (not hashed) says who someone is; a first name or a
/// city alone does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ValueForm {
    /// The full name as written.
    FullName,
    /// The street line of the address as written.
    Street,
    /// Any other form, or a digest.
    Other,
}

/// The class of a customer value.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValueKind {
    /// Email address.
    Email,
    /// Phone number.
    Phone,
    /// First, last or full name.
    Name,
    /// Date of birth.
    DateOfBirth,
    /// Street, city or ZIP code.
    Address,
    /// Social security number.
    Ssn,
    /// Account number.
    AccountNumber,
    /// Routing number.
    RoutingNumber,
    /// Card number.
    CardNumber,
    /// A balance or transaction amount.
    Amount,
    /// A merchant of the customer's transactions.
    Merchant,
    /// The name of someone the customer pays.
    Payee,
    /// The bank token or the authorization code.
    Token,
    /// A financial-status term (`overdraft`, `credit tier`): no value of the customer's, but
    /// a fact about their finances (see [`BUILTIN_TERMS`]).
    FinancialStatus,
}

impl ValueKind {
    /// The snake_case name: "email", "date_of_birth", ...
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Email => "email",
            ValueKind::Phone => "phone",
            ValueKind::Name => "name",
            ValueKind::DateOfBirth => "date_of_birth",
            ValueKind::Address => "address",
            ValueKind::Ssn => "ssn",
            ValueKind::AccountNumber => "account_number",
            ValueKind::RoutingNumber => "routing_number",
            ValueKind::CardNumber => "card_number",
            ValueKind::Amount => "amount",
            ValueKind::Merchant => "merchant",
            ValueKind::Payee => "payee",
            ValueKind::Token => "token",
            ValueKind::FinancialStatus => "financial_status",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sensitive-looking value that belongs to no known customer (never a failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// What it looks like.
    pub pattern: WarningKind,
    /// Where it sat, as in [`Finding::location`].
    pub location: String,
    /// The decoding steps, then the pattern: `json → card_number`.
    pub chain: String,
    /// The value with most of it hidden: `4111********1111`, `***-**-6789`, `a***@example.com`.
    pub masked: String,
}

/// A financial-status term in a key or value of a sink request (see [`BUILTIN_TERMS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// The term, as words: `low balance`, `credit tier`.
    pub term: String,
    /// Where it sat, as in [`Finding::location`].
    pub location: String,
    /// The decoding steps, then the term: `json → status(low balance)`.
    pub chain: String,
    /// Whether a key on the way to the value, or the value, held it.
    pub field: SignalField,
    /// The keys or the value that held it, as sent.
    pub text: String,
}

/// Where a financial-status term sat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalField {
    /// A key (or a key of a parent object): `custom_data/credit_tier`.
    Key,
    /// The value itself: an event name such as `overdraft_warning`.
    Value,
}

/// The shape an unknown value matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningKind {
    /// A Luhn-valid card number.
    CardNumber,
    /// A checksum-valid ABA routing number.
    RoutingNumber,
    /// A valid-looking social security number.
    Ssn,
    /// An email address.
    Email,
    /// A financial-status term at an analytics sink (at an ads sink it fails the scenario).
    FinancialStatus,
}

impl WarningKind {
    /// The snake_case name: "card_number", "routing_number", "ssn", "email", "financial_status".
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::CardNumber => "card_number",
            WarningKind::RoutingNumber => "routing_number",
            WarningKind::Ssn => "ssn",
            WarningKind::Email => "email",
            WarningKind::FinancialStatus => "financial_status",
        }
    }
}
