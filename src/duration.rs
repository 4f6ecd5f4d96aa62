//! Durations written for humans (`300ms`, `10s`, `2m`), as scenarios and `banter.yaml` write them.

use std::time::Duration;

use serde::Deserialize;

/// A duration written for humans: `300ms`, `10s`, `2m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "String")]
#[schemars(extend("pattern" = "^\\s*([0-9]+\\s*[a-zA-Zµ]+\\s*)+$"))]
pub struct HumanDuration(pub Duration);

impl TryFrom<String> for HumanDuration {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        humantime::parse_duration(text.trim())
            .map(HumanDuration)
            .map_err(|e| format!("invalid duration `{text}` ({e}); write e.g. `500ms` or `10s`"))
    }
}
