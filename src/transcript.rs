//! The record of one conversation: user turns, bot replies, bank calls, money moved and timings.

use serde::{Deserialize, Serialize};

use crate::bank::{BankCall, Movement};

/// How the user said something: typed text, a tapped quick reply, or a pressed button.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserKind {
    /// Typed text.
    #[default]
    Text,
    /// A quick reply chip; the text is its title, and its payload travels where the protocol has one.
    QuickReply,
    /// A postback button; the text is its payload.
    Postback,
    /// A webhook check: an event signed with the wrong secret must be refused.
    BadSignature,
    /// A webhook check: an unsigned event must be refused.
    Unsigned,
    /// A webhook check: the previous event sent again must not be processed twice.
    Replay,
}

impl UserKind {
    /// Whether this is a webhook check rather than something the user says.
    pub fn is_webhook_check(self) -> bool {
        matches!(
            self,
            UserKind::BadSignature | UserKind::Unsigned | UserKind::Replay
        )
    }
}

/// What the user sends in one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    /// The text (a quick reply's title, a postback's payload).
    pub text: String,
    /// How it was sent.
    pub kind: UserKind,
    /// How many replies the step expects, when it says: connectors whose bots reply on their
    /// own (Messenger, Bot Framework) stop waiting once that many arrived.
    pub expected_replies: Option<usize>,
}

/// One message from the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotMessage {
    /// The text shown to the user.
    pub text: String,
    /// Quick-reply chips offered with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    /// Button titles of a template attached to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<String>,
    /// Not a message but a hand-over of the conversation to a human (Messenger's
    /// `pass_thread_control`); its text is empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handover: bool,
    /// The receipt it carries (a Messenger receipt template, a Bot Framework receipt card);
    /// its text reads the receipt too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

/// A receipt a bot sent, as the transcript reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Who it is for (Messenger's `recipient_name`, a receipt card's `title`).
    pub recipient: String,
    /// The order or confirmation number, when it has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub order: String,
    /// The lines, by title.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// The total as shown: `$25.00`.
    pub total: String,
}

impl Receipt {
    /// The readable transcript text: `Receipt for Maria Garcia (order pmt_1): Payment; total $25.00`.
    pub fn text(&self) -> String {
        let order = if self.order.is_empty() {
            String::new()
        } else {
            format!(" (order {})", self.order)
        };
        let items = if self.items.is_empty() {
            String::new()
        } else {
            format!(": {}", self.items.join("; "))
        };
        format!(
            "Receipt for {}{order}{items}; total {}",
            self.recipient, self.total
        )
    }
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// 1-based turn number.
    pub turn: usize,
    /// What the user said (rendered).
    pub user: String,
    /// How the user said it, when it was not typed text.
    #[serde(default, skip_serializing_if = "is_text")]
    pub user_kind: UserKind,
    /// What the bot answered, in order.
    pub replies: Vec<BotMessage>,
    /// The bank calls the bot made during the turn.
    pub bank_calls: Vec<BankCall>,
    /// The money the bank moved during the turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Movement>,
    /// The events the bot sent to sinks during the turn, as `sink: event name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sink_events: Vec<String>,
    /// Wall time of the turn in milliseconds.
    pub duration_ms: u64,
}

fn is_text(kind: &UserKind) -> bool {
    *kind == UserKind::Text
}
