//! Values derived from a customer's data that reveal it without being it: a balance rounded
//! to a power of ten, a bucket (`1k-5k`, `$1,000–$5,000`, `<500`, `10k+`) that holds a
//! balance, the sum of the customer's spending at one merchant, and the number of their
//! transactions (in all, and in the month of the bank's "today").
//!
//! Prepared once per customer; looked up only under keys that name money, or a count of
//! transactions (see `scan`), and a
//! derived value counts for a customer only when the same request also holds one of that
//! customer's own values: a bucket says something about whoever the request is about, and
//! many customers share any one bucket or round number.

use std::borrow::Borrow;

use chrono::Datelike;

use crate::customer::{Customer, AS_OF};

/// Maps keyed by the customers' own amounts and merchants: hashed with foldhash, as the
/// needles' maps are (a fixed seed is no weakness for keys of the customers' own values).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// Powers of ten a balance is rounded to, in dollars: 10 to 1,000,000.
const ROUNDINGS: std::ops::RangeInclusive<u32> = 1..=6;
/// Derived amounts below this many cents ($10) are too common to mean anything.
const MIN_DERIVED_CENTS: i64 = 1_000;

/// The derived values of a run's customers.
#[derive(Debug, Default)]
pub(super) struct Derived {
    /// Customers by derived amount in cents, with the derivation's label.
    amounts: HashMap<i64, Vec<(usize, &'static str)>>,
    /// Every account balance as (cents, customer), sorted.
    balances: Vec<(i64, usize)>,
    /// Customers by how many transactions they have, in all and this month.
    counts: HashMap<i64, Vec<(usize, &'static str)>>,
}

/// Words for transactions, and words that count them, in keys.
const TRANSACTION_WORDS: [&str; 6] = [
    "transaction",
    "transactions",
    "txn",
    "txns",
    "purchase",
    "purchases",
];
const COUNT_WORDS: [&str; 5] = ["count", "num", "number", "total", "month"];

/// Whether `key` (its last step) names a count of transactions: a word for transactions with
/// a counting word (`txnCount`, `transactions_this_month`, `num_purchases`), or a plural alone
/// (`transactions`).
pub(super) fn counts_transactions(key: &str) -> bool {
    let words = super::status::words(key);
    let has = |set: &[&str]| words.iter().any(|word| set.contains(&word.as_str()));
    let plural_alone =
        matches!(words.as_slice(), [w] if w.ends_with('s') && has(&TRANSACTION_WORDS));
    plural_alone || (has(&TRANSACTION_WORDS) && has(&COUNT_WORDS))
}

/// Adds `owner` unless it is there already. Customers come in order, so only the last owners
/// can be the same customer's: a rounded balance or a count that hundreds of customers share
/// is not searched whole for each of them.
fn add_owner(owners: &mut Vec<(usize, &'static str)>, owner: (usize, &'static str)) {
    let mut theirs = owners
        .iter()
        .rev()
        .take_while(|(customer, _)| *customer == owner.0);
    if !theirs.any(|o| *o == owner) {
        owners.push(owner);
    }
}

impl Derived {
    pub fn new<C: Borrow<Customer>>(customers: &[C]) -> Derived {
        let mut derived = Derived::default();
        for (i, customer) in customers.iter().map(Borrow::borrow).enumerate() {
            let mut spent: HashMap<&str, (i64, usize)> = HashMap::default();
            for account in &customer.accounts {
                let balance = account.balance.cents();
                derived.balances.push((balance, i));
                for rounded in roundings(balance) {
                    derived.add(rounded, i, "rounded(balance)");
                }
                for transaction in &account.transactions {
                    let entry = spent.entry(transaction.merchant.trim()).or_default();
                    entry.0 += transaction.amount.cents().abs();
                    entry.1 += 1;
                }
            }
            // A merchant seen once sums to one transaction's amount, already a needle.
            for (total, _) in spent.into_values().filter(|&(_, count)| count > 1) {
                derived.add(total, i, "sum(merchant)");
            }
            let transactions = customer.accounts.iter().flat_map(|a| &a.transactions);
            let (year, month) = (AS_OF.0, AS_OF.1);
            let this_month = transactions
                .clone()
                .filter(|t| (t.date.year(), t.date.month()) == (year, month))
                .count();
            for (count, label) in [
                (transactions.count(), "count(transactions)"),
                (this_month, "count(transactions this month)"),
            ] {
                let count = i64::try_from(count).unwrap_or(i64::MAX);
                if count > 0 {
                    add_owner(derived.counts.entry(count).or_default(), (i, label));
                }
            }
        }
        derived.balances.sort_unstable();
        derived
    }

    fn add(&mut self, cents: i64, customer: usize, label: &'static str) {
        if cents < MIN_DERIVED_CENTS {
            return;
        }
        add_owner(self.amounts.entry(cents).or_default(), (customer, label));
    }

    /// The customers with a derived amount of exactly `cents`, and how it was derived.
    pub fn amount(&self, cents: i64) -> &[(usize, &'static str)] {
        self.amounts.get(&cents).map_or(&[], Vec::as_slice)
    }

    /// The customers with exactly `count` transactions, in all or this month.
    pub fn count(&self, count: i64) -> &[(usize, &'static str)] {
        self.counts.get(&count).map_or(&[], Vec::as_slice)
    }

    /// The customers with a balance inside the bucket `text` spells, if it spells one.
    pub fn bucket(&self, text: &[u8]) -> Vec<usize> {
        let Some((low, high)) = std::str::from_utf8(text).ok().and_then(bucket) else {
            return Vec::new();
        };
        let start = self.balances.partition_point(|&(cents, _)| cents < low);
        let mut customers: Vec<usize> = self.balances[start..]
            .iter()
            .take_while(|&&(cents, _)| high.is_none_or(|high| cents <= high))
            .map(|&(_, customer)| customer)
            .collect();
        customers.sort_unstable();
        customers.dedup();
        customers
    }
}

/// `cents` rounded down, up and to the nearest power of ten from $10 to $1,000,000, except
/// itself (the exact amount is a needle of its own).
fn roundings(cents: i64) -> Vec<i64> {
    let cents = cents.abs();
    let mut out = Vec::new();
    for power in ROUNDINGS {
        let step = 10i64.pow(power + 2);
        let down = cents / step * step;
        let up = down + step;
        let nearest = if cents - down >= step / 2 { up } else { down };
        for rounded in [down, up, nearest] {
            if rounded != cents && rounded > 0 && !out.contains(&rounded) {
                out.push(rounded);
            }
        }
    }
    out
}

/// A bucket as (lowest, highest) balance in cents, the highest open for `10k+`:
/// `1k-5k`, `1000_5000`, `$1,000–$5,000`, `1k to 5k`, `<500`, `under 1k`, `>10k`, `10k+`,
/// `over 10000`. A bare number is no bucket.
fn bucket(text: &str) -> Option<(i64, Option<i64>)> {
    let text = text.trim().to_ascii_lowercase();
    let text = text.replace(['$', ','], "");
    for prefix in ["<", "under ", "under_", "below ", "below_", "lt_", "lt "] {
        if let Some(high) = text.strip_prefix(prefix) {
            return Some((0, Some(money(high)?)));
        }
    }
    for prefix in [">", "over ", "over_", "above ", "above_", "gt_", "gt "] {
        if let Some(low) = text.strip_prefix(prefix) {
            return Some((money(low)?, None));
        }
    }
    for suffix in ["+", "_plus", " plus", "-plus"] {
        if let Some(low) = text.strip_suffix(suffix) {
            return Some((money(low)?, None));
        }
    }
    for separator in ["–", "—", " to ", "_to_", "..", "-", "_"] {
        if let Some((low, high)) = text.split_once(separator) {
            let (low, high) = (money(low)?, money(high)?);
            return (low < high).then_some((low, Some(high)));
        }
    }
    None
}

/// `1000`, `1.5k`, `2m` as cents.
fn money(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, scale) = match text.char_indices().last()? {
        (at, 'k') => (&text[..at], 1_000.0),
        (at, 'm') => (&text[..at], 1_000_000.0),
        _ => (text, 1.0),
    };
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let dollars: f64 = number.parse().ok()?;
    let cents = (dollars * scale * 100.0).round();
    (cents.is_finite() && cents < 1e15).then_some(cents as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_parse_in_the_common_spellings() {
        let k = |dollars: i64| dollars * 100;
        for (text, expected) in [
            ("1k-5k", Some((k(1_000), Some(k(5_000))))),
            ("1000_5000", Some((k(1_000), Some(k(5_000))))),
            ("$1,000–$5,000", Some((k(1_000), Some(k(5_000))))),
            ("1k to 5k", Some((k(1_000), Some(k(5_000))))),
            ("1.5K-2M", Some((k(1_500), Some(k(2_000_000))))),
            ("<500", Some((0, Some(k(500))))),
            ("under_1k", Some((0, Some(k(1_000))))),
            (">10k", Some((k(10_000), None))),
            ("10k+", Some((k(10_000), None))),
            ("over 10000", Some((k(10_000), None))),
            ("5k-1k", None),
            ("2500", None),
            ("2026-06-30", None),
            ("abc-def", None),
            ("", None),
            ("k-k", None),
        ] {
            assert_eq!(bucket(text), expected, "{text}");
        }
    }

    #[test]
    fn roundings_go_down_up_and_nearest_but_never_to_the_value() {
        let rounded = roundings(248_117);
        for dollars in [
            2_480, 2_490, 2_400, 2_500, 2_000, 3_000, 10_000, 100_000, 1_000_000,
        ] {
            assert!(
                rounded.contains(&(dollars * 100)),
                "{dollars} in {rounded:?}"
            );
        }
        assert!(!rounded.contains(&248_117));
        assert!(!rounded.contains(&0));
        assert!(!roundings(250_000).contains(&250_000));
    }

    #[test]
    fn count_keys_name_transactions_and_a_count() {
        for (key, counts) in [
            ("transactions_this_month", true),
            ("txnCount", true),
            ("transaction_count", true),
            ("txns_count", true),
            ("num_purchases", true),
            ("transactions", true),
            ("transaction_id", false),
            ("count", false),
            ("reply_count", false),
            ("page_number", false),
        ] {
            assert_eq!(counts_transactions(key), counts, "{key}");
        }
    }

    #[test]
    fn a_bucket_finds_the_customers_whose_balance_it_holds() {
        let derived = Derived {
            amounts: HashMap::default(),
            balances: vec![(50_000, 2), (248_117, 0), (900_000, 1)],
            counts: HashMap::default(),
        };
        assert_eq!(derived.bucket(b"1k-5k"), [0]);
        assert_eq!(derived.bucket(b"<10k"), [0, 1, 2]);
        assert_eq!(derived.bucket(b"5000+"), [1]);
        assert!(derived.bucket(b"10k-20k").is_empty());
        assert!(derived.bucket(b"2481.17").is_empty());
    }
}
