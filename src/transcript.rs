//! The record of one conversation: user turns, bot replies, bank calls and timings.

use serde::Serialize;

use crate::bank::BankCall;

/// One message from the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotMessage {
    /// The text shown to the user.
    pub text: String,
    /// Quick-reply chips offered with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    /// 1-based turn number.
    pub turn: usize,
    /// What the user said (rendered).
    pub user: String,
    /// What the bot answered, in order.
    pub replies: Vec<BotMessage>,
    /// The bank calls the bot made during the turn.
    pub bank_calls: Vec<BankCall>,
    /// The events the bot sent to sinks during the turn, as `sink: event name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sink_events: Vec<String>,
    /// Wall time of the turn in milliseconds.
    pub duration_ms: u64,
}

impl Turn {
    /// The replies' texts joined by newlines: what reply matchers look at.
    pub fn reply_text(&self) -> String {
        self.replies
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
