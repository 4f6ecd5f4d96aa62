//! Validated scalar values of the scenario format: regexes, globs, the steps list and fault statuses.
//!
//! Each is checked while it is deserialised, so a bad value is reported at its own line and column.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

/// A regular expression whose syntax has been checked; compiled with the step's case flag when used.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct Pattern {
    text: String,
    /// Compiled ignoring case, then case-sensitively, once each is needed and kept, since a
    /// scenario's patterns are checked on every turn; shared by the pattern's clones
    /// (`banter simulate` clones a scenario for every conversation).
    #[schemars(skip)]
    compiled: Arc<[OnceLock<regex::Regex>; 2]>,
}

impl Pattern {
    /// Compiles the pattern, ignoring case unless `case_sensitive`.
    pub fn compile(&self, case_sensitive: bool) -> Result<regex::Regex, regex::Error> {
        let slot = &self.compiled[usize::from(case_sensitive)];
        if let Some(regex) = slot.get() {
            return Ok(regex.clone());
        }
        let regex = regex::RegexBuilder::new(&self.text)
            .case_insensitive(!case_sensitive)
            .build()?;
        Ok(slot.get_or_init(|| regex).clone())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        regex::Regex::new(&text).map_err(|e| format!("invalid regex `{text}`: {e}"))?;
        Ok(Pattern {
            text,
            compiled: Default::default(),
        })
    }
}

/// A path glob: `*` matches within one segment, `**` across segments.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct GlobText {
    text: String,
    #[schemars(skip)]
    matcher: globset::GlobMatcher,
}

impl GlobText {
    /// Compiles a path glob.
    pub fn new(text: &str) -> Result<Self, String> {
        Self::build(text, true)
    }

    fn build(text: &str, segments: bool) -> Result<Self, String> {
        let glob = globset::GlobBuilder::new(text)
            .literal_separator(segments)
            .build()
            .map_err(|e| format!("invalid path glob `{text}`: {e}"))?;
        Ok(GlobText {
            text: text.to_string(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether `path` matches.
    pub fn is_match(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The compiled glob.
    pub(super) fn matcher(&self) -> &globset::GlobMatcher {
        &self.matcher
    }
}

impl TryFrom<String> for GlobText {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        GlobText::new(&text)
    }
}

/// A glob on a finding's location, where `*` matches anything, `/` included.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
pub struct FieldGlob(GlobText);

impl FieldGlob {
    /// Whether `location` matches.
    pub fn is_match(&self, location: &str) -> bool {
        self.0.is_match(location)
    }
}

impl TryFrom<String> for FieldGlob {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        GlobText::build(&text, false).map(FieldGlob)
    }
}

/// The steps of a scenario: at least one (a step or an include).
pub(super) fn steps<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<super::Step>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<super::Step>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of steps")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            // Includes are checked here and spliced in from the scenario as written.
            let mut steps = Vec::new();
            let mut items = 0;
            while let Some(item) = seq.next_element()? {
                items += 1;
                if let super::include::StepItem::Step(step) = item {
                    steps.push(*step);
                }
            }
            if items == 0 {
                return Err(serde::de::Error::custom(
                    "a scenario needs at least one step",
                ));
            }
            Ok(steps)
        }
    }
    deserializer.deserialize_seq(Visitor)
}

/// The status of a fault (`status: 503`): an HTTP response carries a three-digit status.
pub(super) fn fault_status<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u16>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<u16>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an HTTP status from 100 to 999")
        }
        fn visit_i64<E: serde::de::Error>(self, status: i64) -> Result<Self::Value, E> {
            match u16::try_from(status) {
                Ok(status @ 100..=999) => Ok(Some(status)),
                _ => Err(E::custom(format!(
                    "invalid HTTP status {status}: a fault's status is a number from 100 to 999"
                ))),
            }
        }
        fn visit_u64<E: serde::de::Error>(self, status: u64) -> Result<Self::Value, E> {
            self.visit_i64(i64::try_from(status).unwrap_or(i64::MAX))
        }
    }
    deserializer.deserialize_u16(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_respect_segments() {
        let g = GlobText::new("/fdx/v6/accounts/*").unwrap();
        assert!(g.is_match("/fdx/v6/accounts/acc_1"));
        assert!(!g.is_match("/fdx/v6/accounts/acc_1/transactions"));
        assert!(GlobText::new("/fdx/**")
            .unwrap()
            .is_match("/fdx/v6/accounts/a/transactions"));
    }
}
