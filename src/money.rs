//! Money as integer cents: parsing from decimal amounts and US-dollar formatting. A leaf:
//! customers, templates and the demo bot all count in it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in integer cents. Serialises as a JSON number with two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// An amount from whole cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// An amount from a decimal number of dollars, rounded to the nearest cent.
    pub fn from_dollars(dollars: f64) -> Self {
        Money((dollars * 100.0).round() as i64)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The amount in dollars, for JSON and templates.
    pub fn dollars(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Plain decimal form without grouping: `1234.56`.
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// US-dollar form with thousands grouping: `$1,234.56`, `-$12.00`.
    pub fn usd(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{sign}${grouped}.{:02}", abs % 100)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.usd())
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.dollars())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let dollars = f64::deserialize(deserializer)?;
        if !dollars.is_finite() || dollars.abs() > 1e13 {
            return Err(serde::de::Error::custom(format!(
                "amount {dollars} is out of range"
            )));
        }
        Ok(Money::from_dollars(dollars))
    }
}

/// An amount in dollars, as `Deserialize` reads it.
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An amount in dollars, such as 2481.17.",
            "type": "number",
            "minimum": -1e13,
            "maximum": 1e13,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn formats_usd_with_grouping() {
        assert_eq!(Money::from_cents(248117).usd(), "$2,481.17");
        assert_eq!(Money::from_cents(100000000).usd(), "$1,000,000.00");
        assert_eq!(Money::from_cents(-1250).usd(), "-$12.50");
        assert_eq!(Money::from_cents(5).usd(), "$0.05");
        assert_eq!(Money::from_dollars(2481.17).plain(), "2481.17");
    }

    #[test]
    fn serialises_as_dollars() {
        let json = serde_json::to_string(&Money::from_cents(248117)).unwrap();
        assert_eq!(json, "2481.17");
        let back: Money = serde_json::from_str("2481.17").unwrap();
        assert_eq!(back, Money::from_cents(248117));
    }
}
