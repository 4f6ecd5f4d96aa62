//! The certificate: its JSON form (per requirement its verdict and evidence), the canonical
//! form its SHA-256 digest covers, and the checks `banter verify` makes on a certificate file.
//!
//! Canonical form: the certificate as JSON with the `digest` field removed, object keys
//! sorted by their UTF-8 bytes at every level, no whitespace, strings and numbers written as
//! `serde_json` writes them. The digest is `sha256:` and the lowercase hex of its SHA-256; a
//! signature signs the same canonical bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::catalogue::Area;
use super::signature::{self, SignatureError};
use crate::report::Status;

/// What the `format` field of every certificate says.
pub const FORMAT: &str = "banter-certificate/1";

/// A requirement's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every scenario that tests it passed.
    Passed,
    /// One of them failed, or a failure of its kind happened anywhere.
    Failed,
    /// It does not apply to the bot.
    NotApplicable,
    /// It applies, but its scenarios did not run to the end.
    NotTested,
}

/// The verdict of the whole certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Every applicable requirement passed.
    Passed,
    /// Some applicable requirement did not.
    Failed,
}

/// The bot the certificate is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotIdentity {
    /// The connector, such as `http` or `messenger`.
    pub connector: String,
    /// How the run described the bot.
    pub description: String,
    /// `sha256:` of the canonical JSON of `banter.yaml` with its secrets redacted.
    pub config_digest: String,
}

/// One requirement's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementResult {
    /// Stable id, such as `DATA-1`.
    pub id: String,
    /// Its group.
    pub area: Area,
    /// What a bot that meets it does.
    pub statement: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why it is not applicable or not tested, or what failed, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The conversations behind the verdict.
    pub evidence: Vec<Evidence>,
}

/// One conversation behind a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The scenario's name.
    pub scenario: String,
    /// Its verdict.
    pub status: Status,
    /// The conversation (absent for scenarios cited only for a finding).
    pub turns: Vec<EvidenceTurn>,
    /// What failed, one line each.
    pub failures: Vec<String>,
    /// Customer values found at ads and analytics services, one line each.
    pub findings: Vec<String>,
}

/// One turn of an evidence conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceTurn {
    /// 1-based.
    pub turn: usize,
    /// What the user said (or the webhook check, in brackets).
    pub user: String,
    /// What the bot answered.
    pub replies: Vec<String>,
    /// The bank calls the bot made, `METHOD /path?query → status`.
    pub bank_calls: Vec<String>,
}

/// Counts of requirements by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Not tested.
    pub not_tested: usize,
}

/// A certificate, as `certificate.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// [`FORMAT`].
    pub format: String,
    /// The banter version that issued it.
    pub banter_version: String,
    /// The requirement catalogue's version.
    pub catalogue_version: u32,
    /// When it was issued (UTC, RFC 3339): the one field that differs between two runs with
    /// the same seed against the same bot.
    pub issued_at: String,
    /// The seed of the synthetic customers.
    pub seed: u64,
    /// The bot.
    pub bot: BotIdentity,
    /// Passed when every applicable requirement passed.
    pub verdict: Overall,
    /// Requirements by verdict.
    pub summary: Counts,
    /// Every requirement of the catalogue, in order.
    pub requirements: Vec<RequirementResult>,
    /// Limits of what the run could observe, one line each.
    pub limits: Vec<String>,
    /// The hex Ed25519 public key whose signature is in `certificate.sig`, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// `sha256:` of the canonical form.
    pub digest: String,
}

/// A certificate could not be read or checked.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a certificate.
    #[error("{}: not a banter certificate: {why}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A key could not be read.
    #[error(transparent)]
    Key(#[from] SignatureError),
    /// The certificate does not verify: it was changed, or signed by another key.
    #[error("{}: {what}", path.display())]
    Mismatch {
        /// The file that does not match.
        path: PathBuf,
        /// What does not match.
        what: String,
    },
}

/// The canonical form of `value`: keys sorted at every level, no whitespace.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", signature::hex(&Sha256::digest(bytes)))
}

/// The canonical bytes of a certificate's JSON value, its `digest` left out.
fn signed_content(value: &Value) -> String {
    let mut content = value.clone();
    if let Value::Object(map) = &mut content {
        map.remove("digest");
    }
    canonical(&content)
}

impl Certificate {
    /// Sets `digest` from the rest of the certificate, and returns the canonical bytes that a
    /// signature signs.
    pub fn seal(&mut self) -> Result<String, serde_json::Error> {
        let content = signed_content(&serde_json::to_value(&*self)?);
        self.digest = sha256(content.as_bytes());
        Ok(content)
    }
}

/// What `verify` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// The digest matches and the signature by this key (hex) holds.
    Signed(String),
    /// The digest matches; the certificate is not signed.
    Unsigned,
}

/// Checks the certificate at `path`: its digest, and, when it names a signer or `key` is
/// given, the signature in `certificate.sig` beside it, by `key` or else the key it names.
pub fn verify(path: &Path, key: Option<&Path>) -> Result<Verified, VerifyError> {
    let text = std::fs::read_to_string(path).map_err(|source| VerifyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let malformed = |why: String| VerifyError::Malformed {
        path: path.to_path_buf(),
        why,
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(malformed(format!("no `\"format\": \"{FORMAT}\"`")));
    }
    let recorded = value
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("no `digest`".into()))?;
    let content = signed_content(&value);
    let computed = sha256(content.as_bytes());
    let mismatch = |path: &Path, what: String| VerifyError::Mismatch {
        path: path.to_path_buf(),
        what,
    };
    if computed != recorded {
        return Err(mismatch(
            path,
            format!(
                "digest does not match the content: it records {recorded}, the content hashes to \
                 {computed}; the certificate was changed after it was issued"
            ),
        ));
    }
    let named = match value.get("signed_by") {
        None => None,
        Some(Value::String(hex)) => Some(hex.clone()),
        Some(_) => return Err(malformed("`signed_by` is not a hex key".into())),
    };
    let expected = match key {
        Some(key) => Some(signature::read_public_key(key)?),
        None => None,
    };
    let signer = match (named, expected) {
        (None, None) => return Ok(Verified::Unsigned),
        (None, Some(_)) => {
            return Err(mismatch(path, "the certificate is not signed".into()));
        }
        (Some(named), Some(expected)) if named != expected.hex => {
            return Err(mismatch(
                path,
                format!(
                    "signed by key {named}, not by the key given ({})",
                    expected.hex
                ),
            ));
        }
        (Some(named), _) => named,
    };
    let public = signature::PublicKey::from_hex(&signer)
        .map_err(|why| malformed(format!("`signed_by`: {why}")))?;
    let sig_path = path.with_file_name(SIGNATURE_FILE);
    let sig = std::fs::read_to_string(&sig_path).map_err(|source| VerifyError::Read {
        path: sig_path.clone(),
        source,
    })?;
    public
        .verify(content.as_bytes(), &sig)
        .map_err(|why| mismatch(&sig_path, why))?;
    Ok(Verified::Signed(signer))
}

/// The signature's file name, beside `certificate.json`.
pub const SIGNATURE_FILE: &str = "certificate.sig";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_form_sorts_keys_at_every_level_and_drops_whitespace() {
        let value = serde_json::json!({ "b": [1, { "z": "é\"", "a": null }], "a": true });
        assert_eq!(
            canonical(&value),
            r#"{"a":true,"b":[1,{"a":null,"z":"é\""}]}"#
        );
    }
}
