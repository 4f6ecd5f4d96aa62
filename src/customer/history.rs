//! Accounts and their histories: numbers, balances, 90 days of plausible transactions per
//! account, and the balancing that makes the opening balance plus the activity equal the
//! current balance.

use std::cmp::Reverse;

use chrono::{Datelike, Days, NaiveDate};
use rand::RngExt;

use super::AccountType::{self, Checking, CreditCard, Savings};
use super::Direction::{self, Credit, Debit};
use super::{as_of, numbers, Account, AccountSpec, Money, Transaction};

/// Days of history per account, ending on (and including) `as_of()`.
const HISTORY_DAYS: u64 = 90;

/// Largest balance magnitude honoured, in cents (the range `Money` deserialises); larger
/// specified balances are clamped so that no sum can overflow.
const MAX_CENTS: i64 = 1_000_000_000_000_000;

/// A family of merchants with a plausible purchase range in cents and a relative frequency.
struct Category {
    merchants: &'static [&'static str],
    cents: (i64, i64),
    weight: u32,
}

/// Everyday card and debit-card spending.
#[rustfmt::skip]
const DAILY: &[Category] = &[
    Category { merchants: &["Starbucks", "Dunkin'", "Peet's Coffee", "Blue Bottle Coffee"], cents: (300, 900), weight: 5 },
    Category { merchants: &["Whole Foods Market", "Trader Joe's", "Kroger", "Safeway", "Costco", "Aldi", "Publix"], cents: (2000, 18000), weight: 4 },
    Category { merchants: &["Shell", "Chevron", "ExxonMobil", "BP"], cents: (2500, 7500), weight: 2 },
    Category { merchants: &["Chipotle", "Panera Bread", "Olive Garden", "Shake Shack", "Sweetgreen", "Domino's", "McDonald's"], cents: (900, 9000), weight: 4 },
    Category { merchants: &["Amazon", "Target", "Walmart", "Best Buy", "Etsy", "eBay"], cents: (1000, 25000), weight: 3 },
    Category { merchants: &["Uber", "Lyft"], cents: (800, 4500), weight: 2 },
    Category { merchants: &["CVS Pharmacy", "Walgreens"], cents: (500, 6000), weight: 1 },
    Category { merchants: &["The Home Depot", "IKEA"], cents: (1500, 60000), weight: 1 },
];

/// Monthly bills from a checking account: subscriptions at a fixed price, utilities varying.
#[rustfmt::skip]
const MONTHLY: &[(&str, (i64, i64))] = &[
    ("Netflix", (1549, 1549)), ("Spotify", (1199, 1199)), ("Hulu", (1799, 1799)),
    ("Apple iCloud", (299, 299)), ("Planet Fitness", (2499, 2499)), ("Comcast Xfinity", (7000, 15000)),
    ("PG&E", (6000, 25000)), ("Verizon Wireless", (7000, 14000)), ("State Farm Insurance", (9000, 18000)),
];

/// Credit limits in cents; a card owing more gets the next whole thousand dollars.
const CARD_LIMITS: [i64; 7] = [
    200_000, 300_000, 500_000, 750_000, 1_000_000, 1_500_000, 2_500_000,
];

const STARBUCKS: &str = "Starbucks";
const CARD_PAYMENT: &str = "Payment - Thank You";

/// The first day of the history window.
fn start() -> NaiveDate {
    as_of() - Days::new(HISTORY_DAYS - 1)
}

fn window() -> impl Iterator<Item = NaiveDate> {
    start().iter_days().take(HISTORY_DAYS as usize)
}

/// One account's transactions under construction, with the generator that draws them.
struct Ledger<'a, R: ?Sized> {
    rng: &'a mut R,
    txns: Vec<Transaction>,
}

impl<R: RngExt + ?Sized> Ledger<'_, R> {
    fn push(&mut self, date: NaiveDate, merchant: &str, cents: i64, direction: Direction) {
        self.txns.push(Transaction {
            id: format!("txn_{}", numbers::hex(self.rng, 12)),
            date,
            merchant: merchant.to_owned(),
            amount: Money::from_cents(cents),
            direction,
        });
    }

    fn random_day(&mut self) -> NaiveDate {
        start() + Days::new(self.rng.random_range(0..HISTORY_DAYS))
    }

    /// An everyday purchase on `date`, its category drawn by weight.
    fn purchase(&mut self, date: NaiveDate) {
        let total: u32 = DAILY.iter().map(|c| c.weight).sum();
        let mut roll = self.rng.random_range(0..total);
        let category = DAILY
            .iter()
            .find(|c| {
                let hit = roll < c.weight;
                roll = roll.saturating_sub(c.weight);
                hit
            })
            .unwrap_or(&DAILY[0]);
        let merchant = category.merchants[self.rng.random_range(0..category.merchants.len())];
        let cents = self.rng.random_range(category.cents.0..=category.cents.1);
        self.push(date, merchant, cents, Debit);
    }

    fn total(&self) -> i64 {
        self.txns.iter().map(|t| t.amount.cents()).sum()
    }

    /// Checking: 1-3 purchases on most days, at least three at Starbucks, some monthly
    /// bills, and a fortnightly payroll credit sized to the spending.
    fn checking(&mut self, employer: &str) {
        for day in window() {
            if self.rng.random_ratio(4, 5) {
                for _ in 0..self.rng.random_range(1..=3) {
                    self.purchase(day);
                }
            }
        }
        for _ in self.txns.iter().filter(|t| t.merchant == STARBUCKS).count()..3 {
            let (day, cents) = (self.random_day(), self.rng.random_range(300..=900));
            self.push(day, STARBUCKS, cents, Debit);
        }
        for &(merchant, (lo, hi)) in MONTHLY {
            if self.rng.random_ratio(1, 2) {
                let day_of_month = self.rng.random_range(1..=28);
                for day in window().filter(|d| d.day() == day_of_month) {
                    let cents = self.rng.random_range(lo..=hi);
                    self.push(day, merchant, cents, Debit);
                }
            }
        }
        let first_payday = self.rng.random_range(0..14);
        let paydays: Vec<NaiveDate> = window().skip(first_payday).step_by(14).collect();
        let periods = paydays.len().max(1) as i64;
        let pay = self.total() * self.rng.random_range(95..=120) / 100 / periods;
        let payroll = format!("{employer} Payroll");
        for day in paydays {
            self.push(day, &payroll, pay, Credit);
        }
    }

    /// Savings: a monthly transfer in, month-end interest, and sometimes a withdrawal.
    fn savings(&mut self, balance: i64) {
        let base = balance.max(0);
        let transfer = (base * self.rng.random_range(2..=8) / 100).max(2_500);
        let day_of_month = self.rng.random_range(1..=28);
        let interest = base * self.rng.random_range(25..=40) / 10_000; // monthly basis points
        for day in window() {
            if day.day() == day_of_month {
                self.push(day, "Transfer from Checking", transfer, Credit);
            }
            let month_end = day.succ_opt().is_none_or(|next| next.day() == 1);
            if interest > 0 && month_end {
                self.push(day, "Interest Payment", interest, Credit);
            }
        }
        let withdrawal = base * self.rng.random_range(5..=20) / 100;
        if self.rng.random_ratio(1, 3) && withdrawal > 0 {
            let day = self.random_day();
            self.push(day, "Transfer to Checking", withdrawal, Debit);
        }
    }

    /// Credit card: purchases on some days and one or two monthly payments.
    fn credit_card(&mut self) {
        for day in window() {
            if self.rng.random_ratio(2, 5) {
                self.purchase(day);
            }
        }
        let offsets: &[u64] = if self.rng.random_ratio(1, 2) {
            &[0, 30]
        } else {
            &[0]
        };
        let share = self.rng.random_range(40..=100) / offsets.len() as i64;
        let amount = (self.total() * share / 100).max(2_500);
        let first = self.rng.random_range(0..45);
        for offset in offsets {
            self.push(
                start() + Days::new(first + offset),
                CARD_PAYMENT,
                amount,
                Credit,
            );
        }
    }

    /// Returns the opening balance that makes `opening + activity == balance`, keeping it
    /// non-negative. Credits raise a checking or savings balance; debits raise a card's
    /// balance owed. When the history alone would need a negative opening balance, a
    /// transfer out (or, for a card, a larger payment) absorbs the shortfall plus a small
    /// random cushion, which becomes the opening balance.
    fn settle(&mut self, kind: AccountType, balance: i64) -> i64 {
        let raises = if kind == CreditCard { Debit } else { Credit };
        let effect =
            |t: &Transaction| t.amount.cents() * if t.direction == raises { 1 } else { -1 };
        let opening = balance - self.txns.iter().map(effect).sum::<i64>();
        if opening >= 0 {
            return opening;
        }
        let cushion = self.rng.random_range(0..=30_000);
        let (merchant, direction) = match kind {
            Checking => ("Transfer to Savings", Debit),
            Savings => ("Transfer to Checking", Debit),
            CreditCard => (CARD_PAYMENT, Credit),
        };
        let extra = cushion - opening;
        let existing = self
            .txns
            .iter_mut()
            .find(|t| t.merchant == merchant && t.direction == direction);
        match existing {
            Some(t) => t.amount = t.amount + Money::from_cents(extra),
            None => {
                let day = self.random_day();
                self.push(day, merchant, extra, direction);
            }
        }
        cushion
    }
}

/// Generates one account as `spec` asks; all of a customer's accounts share `routing`.
pub(super) fn account<R: RngExt + ?Sized>(
    rng: &mut R,
    spec: &AccountSpec,
    routing: &str,
    employer: &str,
) -> Account {
    let kind = spec.kind.unwrap_or(Checking);
    let id = format!("acc_{}", numbers::hex(rng, 10));
    let number = numbers::account_number(rng);
    let card_number = (kind == CreditCard).then(|| numbers::card_number(rng));
    let drawn = match kind {
        Checking => rng.random_range(20_000..=800_000),
        Savings => rng.random_range(100_000..=4_000_000),
        CreditCard => rng.random_range(0..=300_000),
    };
    let balance = spec
        .balance
        .map_or(drawn, |b| b.cents().clamp(-MAX_CENTS, MAX_CENTS));
    let mut ledger = Ledger {
        rng,
        txns: Vec::new(),
    };
    match kind {
        Checking => ledger.checking(employer),
        Savings => ledger.savings(balance),
        CreditCard => ledger.credit_card(),
    }
    let opening = ledger.settle(kind, balance);
    let Ledger {
        rng,
        txns: mut transactions,
    } = ledger;
    transactions.sort_by_key(|t| Reverse(t.date));
    let available = match kind {
        Checking => balance - rng.random_range(0..=5_000).min(balance.max(0)),
        Savings => balance,
        CreditCard => {
            let limit = CARD_LIMITS[rng.random_range(0..CARD_LIMITS.len())];
            limit.max((balance / 100_000 + 1) * 100_000) - balance
        }
    };
    Account {
        id,
        kind,
        number,
        routing_number: routing.to_owned(),
        card_number,
        balance: Money::from_cents(balance),
        available_balance: Money::from_cents(available),
        currency: "USD".to_owned(),
        opening_balance: Money::from_cents(opening),
        transactions,
    }
}
