//! The scenario format: one conversation per scenario, its customer, steps, expectations and faults.
//!
//! All YAML parsing of the crate lives under this module ([`load`] for scenario files,
//! [`config`] for `banter.yaml`), so the YAML library can be swapped in one place.

pub mod config;
mod depth;
mod discover;
mod include;
mod load;
mod scalar;
mod simulate;
mod variants;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::bank;
use crate::customer::{AccountSpec, AccountType, Consent, CustomerSpec};
use crate::money::Money;
use crate::privacy::ValueKind;

pub use crate::duration::HumanDuration;
pub use crate::template::{CallPattern, Template};
pub use config::{
    BotConfig, BotConfigError, CaptureConfig, CertifyConfig, Config, ConnectorConfig,
    ConnectorKind, DemoConfig, HostGlob, HostRoute, LoopbackAddr, PrivacyConfig, StatusConfig,
    UnknownPolicy, Utterances,
};
pub use discover::{discover_config, MixedSuites};
pub(crate) use include::StepItem;
pub use load::{load_paths, yaml_documents, ScenarioError};
pub use scalar::{FieldGlob, GlobText, Pattern};
pub use simulate::{LoadFault, Percent, Rate, SimulateConfig, Thresholds};
pub use variants::{ExampleRow, ExampleValue};

/// One conversation to run against the bot.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique name within a run; also seeds the scenario's customer.
    pub name: String,
    /// Free-form labels for `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The synthetic customer this conversation is with.
    #[serde(default)]
    pub customer: CustomerDecl,
    /// The turns, in order; at least one (steps, or includes of steps files).
    #[serde(deserialize_with = "scalar::steps")]
    #[schemars(with = "Vec<include::StepItem>", length(min = 1))]
    pub steps: Vec<Step>,
    /// Bank faults injected for this scenario's customer.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Exceptions to the strict privacy policy, for this scenario.
    #[serde(default)]
    pub privacy: PrivacyPolicy,
    /// Snapshot the whole transcript.
    #[serde(default)]
    pub snapshot: bool,
    /// The built-in money checks; those of `banter.yaml` (each on by default) when absent.
    #[serde(default)]
    pub money: Option<MoneyChecks>,
    /// A data table, as in Gherkin's Scenario Outline: one test case per row, its values
    /// written `<column>` in the scenario. Expanded when scenarios are loaded, so a loaded
    /// scenario has none.
    #[serde(default, deserialize_with = "variants::examples")]
    #[schemars(length(min = 1))]
    pub examples: Vec<ExampleRow>,
    /// Where the scenario was read from (`file:line`).
    #[serde(skip)]
    pub origin: Origin,
}

impl Scenario {
    /// The amounts its steps expect to move (`bank.moved`), which the leak detector looks for.
    pub fn amounts_moved(&self) -> Vec<Money> {
        let expected = self.steps.iter().filter_map(|s| s.bank.as_ref());
        let moved = expected.flat_map(|b| b.moved.iter().flatten());
        moved.map(|m| m.amount).collect()
    }

    /// Whether any part of the scenario is snapshotted.
    pub fn snapshots(&self) -> bool {
        self.snapshot || self.steps.iter().any(|s| s.snapshot)
    }
}

/// The file and line a scenario was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The scenario file, as given on the command line or found in a directory.
    pub file: PathBuf,
    /// 1-based line of the scenario's first key.
    pub line: usize,
}

/// The customer of a scenario: consent and, optionally, accounts.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerDecl {
    /// Whether the customer linked their bank account: `granted`, `none` or `revoked`.
    #[serde(default)]
    pub consent: Consent,
    /// Accounts to hold; empty means a default set.
    #[serde(default)]
    pub accounts: Vec<AccountDecl>,
}

/// One account override.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDecl {
    /// `checking`, `savings` or `credit_card`.
    #[serde(rename = "type", default)]
    pub kind: Option<AccountType>,
    /// The current balance in dollars (amount owed for a card).
    #[serde(default)]
    pub balance: Option<Money>,
}

impl CustomerDecl {
    /// The generation request for the customer module.
    pub fn spec(&self) -> CustomerSpec {
        CustomerSpec {
            consent: self.consent,
            accounts: self
                .accounts
                .iter()
                .map(|a| AccountSpec {
                    kind: a.kind,
                    balance: a.balance,
                })
                .collect(),
        }
    }
}

/// One turn: what the step does and what is expected of the bot and the bank.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The user's message, or a webhook check, both written under `user:` (templates).
    #[serde(rename = "user")]
    pub action: Action,
    /// Expectations on the bot's replies in this turn.
    #[serde(default)]
    pub bot: Option<ReplyExpect>,
    /// Expectations on the bank calls the bot made in this turn.
    #[serde(default)]
    pub bank: Option<BankExpect>,
    /// Include this turn in the scenario's snapshot.
    #[serde(default)]
    pub snapshot: bool,
}

/// What a step does: the user sends a message, or banter probes the bot's webhook.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Action {
    /// Something the user sends: text, `{ quick_reply: TITLE }` or `{ postback: PAYLOAD }`.
    Message(UserInput),
    /// A webhook security check (messenger): `{ webhook: CHECK }`.
    Webhook(WebhookCheck),
}

/// What the user sends in a step.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UserInput {
    /// Typed text.
    Text(Template),
    /// A tapped quick reply, by title.
    QuickReply(Template),
    /// A pressed postback button, by payload.
    Postback(Template),
}

impl UserInput {
    /// The template of what is sent: the text, the quick reply's title or the postback's payload.
    pub fn template(&self) -> &Template {
        match self {
            UserInput::Text(text) => text,
            UserInput::QuickReply(title) => title,
            UserInput::Postback(payload) => payload,
        }
    }
}

/// A built-in webhook security check: `user: { webhook: bad_signature | unsigned | replay }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookCheck {
    /// An event signed with the wrong app secret must get a 4xx and no reply.
    BadSignature,
    /// An event without `X-Hub-Signature-256` must get a 4xx and no reply.
    Unsigned,
    /// The previous event, sent again, must not be answered again.
    Replay,
}

/// `{ quick_reply: … }`, `{ postback: … }` or `{ webhook: … }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    #[serde(default)]
    quick_reply: Option<Template>,
    #[serde(default)]
    postback: Option<Template>,
    #[serde(default)]
    webhook: Option<WebhookCheck>,
    #[serde(default)]
    any_of: Option<variants::Alternatives>,
    #[serde(default)]
    utterances: Option<String>,
}

impl RawAction {
    fn action<E: serde::de::Error>(self) -> Result<Action, E> {
        match self {
            RawAction {
                quick_reply: Some(title),
                postback: None,
                webhook: None,
                any_of: None,
                utterances: None,
            } => Ok(Action::Message(UserInput::QuickReply(title))),
            RawAction {
                quick_reply: None,
                postback: Some(payload),
                webhook: None,
                any_of: None,
                utterances: None,
            } => Ok(Action::Message(UserInput::Postback(payload))),
            RawAction {
                quick_reply: None,
                postback: None,
                webhook: Some(check),
                any_of: None,
                utterances: None,
            } => Ok(Action::Webhook(check)),
            // The first alternative; loading expands the scenario into one case per variant.
            RawAction {
                quick_reply: None,
                postback: None,
                webhook: None,
                any_of: Some(alternatives),
                utterances: None,
            } => alternatives
                .first()
                .ok_or_else(|| E::custom("any_of needs at least one alternative")),
            // Read when the scenario is loaded, and replaced by `any_of` with its lines.
            RawAction {
                quick_reply: None,
                postback: None,
                webhook: None,
                any_of: None,
                utterances: Some(file),
            } if !file.trim().is_empty() => Template::try_from(String::new())
                .map(|text| Action::Message(UserInput::Text(text)))
                .map_err(E::custom),
            _ => Err(E::custom(format!("a user step is {USER_SHAPES}"))),
        }
    }
}

/// Text or a map, decided by the YAML node, so that a bad template is reported as such.
impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Action;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(USER_SHAPES)
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Action, E> {
                Template::try_from(text.to_string())
                    .map(|text| Action::Message(UserInput::Text(text)))
                    .map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Action, A::Error> {
                RawAction::deserialize(serde::de::value::MapAccessDeserializer::new(map))?.action()
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The schema of what `Deserialize` accepts: text, or a map with exactly one of the keys.
impl schemars::JsonSchema for Action {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "User".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let text = generator.subschema_for::<Template>();
        let one_key = |key: &str, description: &str, value: serde_json::Value| {
            let mut property = value;
            if let Some(object) = property.as_object_mut() {
                object.insert("description".into(), description.into());
            }
            serde_json::json!({
                "type": "object",
                "description": description,
                "properties": { key: property },
                "required": [key],
                "additionalProperties": false,
            })
        };
        let messages = [
            serde_json::json!({ "$ref": text.get("$ref"), "description": "Typed text (a template)." }),
            one_key(
                "quick_reply",
                "A tapped quick reply, by title (a template).",
                text.clone().to_value(),
            ),
            one_key(
                "postback",
                "A pressed postback button, by payload (a template).",
                text.clone().to_value(),
            ),
        ];
        let webhook = generator.subschema_for::<WebhookCheck>().to_value();
        let alternatives = serde_json::json!({
            "type": "array",
            "minItems": 1,
            "items": { "anyOf": messages.clone() },
        });
        schemars::json_schema!({
            "description": "What the user sends: text, a quick reply, a postback, a webhook check (Messenger), or alternatives (listed, or in a file), one test case each.",
            "anyOf": [
                messages[0],
                messages[1],
                messages[2],
                one_key("webhook", "A webhook security check (Messenger).", webhook),
                one_key("any_of", "Alternatives of what the user says: one test case per combination, named `[variant N]`.", alternatives),
                one_key("utterances", "A text file of alternatives, one per line (relative to this file): as `any_of`.", serde_json::json!({ "type": "string", "minLength": 1 })),
            ],
        })
    }
}

/// What a user step can be, for error messages.
const USER_SHAPES: &str = "text, `{ quick_reply: TITLE }`, `{ postback: PAYLOAD }`, `{ webhook: CHECK }`, `{ any_of: [...] }` or `{ utterances: FILE }`";

/// Matchers on the text of a turn's replies, joined by newlines. Case-insensitive unless `case_sensitive`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyExpect {
    /// Every one of these must appear.
    #[serde(default)]
    pub contains: OneOrMany<Template>,
    /// At least one of these must appear.
    #[serde(default)]
    pub contains_any: Vec<Template>,
    /// None of these may appear.
    #[serde(default)]
    pub not_contains: OneOrMany<Template>,
    /// Each of these quick replies must be offered.
    #[serde(default)]
    pub quick_replies: OneOrMany<Template>,
    /// Each of these buttons must be offered.
    #[serde(default)]
    pub buttons: OneOrMany<Template>,
    /// Exactly this many replies (hand-overs not counted).
    #[serde(default)]
    pub replies: Option<usize>,
    /// The bot hands the conversation to a human (`true`) or does not (`false`).
    #[serde(default)]
    pub handover: Option<bool>,
    /// The whole reply text must equal this (surrounding whitespace ignored).
    #[serde(default)]
    pub equals: Option<Template>,
    /// The reply text must match this regular expression.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// A receipt in the replies has these fields.
    #[serde(default)]
    pub receipt: Option<ReceiptExpect>,
    /// Compare with case.
    #[serde(default)]
    pub case_sensitive: bool,
}

/// A receipt the bot sent: `receipt: { total: "$25.00" }`. Every field given must match one
/// receipt of the turn: `total` as an amount (`$25.00`, `25`), `recipient` as a part of its
/// name, `order` whole.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptExpect {
    /// The total.
    #[serde(default)]
    pub total: Option<Template>,
    /// Who the receipt is for.
    #[serde(default)]
    pub recipient: Option<Template>,
    /// The order or confirmation number.
    #[serde(default)]
    pub order: Option<Template>,
}

/// Expectations on bank calls, each written `METHOD /path` with templates and globs.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BankExpect {
    /// Each must match at least one call in the turn.
    #[serde(default)]
    pub called: Vec<CallPattern>,
    /// None may match any call in the turn.
    #[serde(default)]
    pub not_called: Vec<CallPattern>,
    /// Exactly these movements of money happened in the turn (`[]`: none).
    #[serde(default)]
    pub moved: Option<Vec<MoveExpect>>,
    /// Account balances after the turn, by alias (`checking`) or account id.
    #[serde(default)]
    pub balances: BTreeMap<String, Money>,
}

/// Money that moved in a turn: `{ from: "{{ checking.id }}", to: payee, amount: 25.00 }`.
/// `from` and `to` are templates naming an account or payee by id, by alias (`checking`,
/// `payee`) or, for `to`, by the payee's name or the account's type; without `from`, any
/// account.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveExpect {
    /// The account the money left.
    #[serde(default)]
    pub from: Option<Template>,
    /// The account or payee it went to.
    pub to: Template,
    /// How much, in dollars.
    pub amount: Money,
}

/// The built-in money checks of a scenario (`money:`), each on by default.
#[derive(Debug, Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MoneyChecks {
    /// Money moves only in a turn where the user confirmed what the bot asked them to confirm
    /// in the turn before.
    pub require_confirmation: bool,
    /// What moved (amount and payee or account) is what the bot asked the user to confirm.
    pub match_confirmation: bool,
    /// The same payment or transfer does not go out twice on one confirmation.
    pub no_double_spend: bool,
}

impl Default for MoneyChecks {
    fn default() -> Self {
        MoneyChecks {
            require_confirmation: true,
            match_confirmation: true,
            no_double_spend: true,
        }
    }
}

/// A value written either as one item or as a list.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum OneOrMany<T> {
    /// `contains: "x"`
    One(T),
    /// `contains: ["x", "y"]`
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    /// The items as a slice.
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item),
            OneOrMany::Many(items) => items,
        }
    }
}

/// Privacy exceptions. By default every customer value at every ads or analytics sink fails.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyPolicy {
    /// Findings these rules match are reported as allowed instead of failing.
    #[serde(default)]
    pub allow: Vec<AllowRule>,
}

/// Allows one kind of value at one sink, optionally only in one field.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    /// The value kind, e.g. `amount` or `email`.
    pub kind: ValueKind,
    /// The sink name, e.g. `google`.
    pub sink: String,
    /// A glob on the finding's location, e.g. `body:/events/*/params/value`; `*` crosses `/`.
    #[serde(default)]
    pub field: Option<FieldGlob>,
}

impl AllowRule {
    /// Whether this rule allows `kind` found at `sink` in `location`.
    pub fn allows(&self, kind: ValueKind, sink: &str, location: &str) -> bool {
        self.kind == kind
            && self.sink == sink
            && self.field.as_ref().is_none_or(|f| f.is_match(location))
    }
}

/// A bank fault: calls matching `method` and the `path` glob answer `status` and/or wait `delay`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Path glob: `*` matches one segment, `**` any number.
    pub path: GlobText,
    /// Only this method; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The HTTP status to answer instead of the real response (100 to 999).
    #[serde(default, deserialize_with = "scalar::fault_status")]
    #[schemars(range(min = 100, max = 999))]
    pub status: Option<u16>,
    /// How long to wait before answering.
    #[serde(default)]
    pub delay: Option<HumanDuration>,
    /// Only the first N matching calls; every call when absent.
    #[serde(default)]
    pub times: Option<u32>,
    /// The bank does the work, then the answer is lost: `status` (504 when absent) instead.
    #[serde(default)]
    pub lost: bool,
}

impl From<&Fault> for bank::Fault {
    fn from(fault: &Fault) -> Self {
        bank::Fault {
            path: fault.path.matcher().clone(),
            method: fault.method.clone(),
            status: fault.status,
            delay: fault.delay.map(|d| d.0),
            times: fault.times,
            lost: fault.lost,
            rate: None,
            salt: 0,
        }
    }
}
