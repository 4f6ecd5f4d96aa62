//! JSON shared by the connectors: rendering templated JSON and picking replies out of an
//! answer with JSON pointers.

use serde_json::Value;

use super::settings::{QuickRepliesPointer, RepliesPointer, TextPointer};
use super::{excerpt, ConnectorError};
use crate::template::{self, TemplateError};
use crate::transcript::BotMessage;

/// Renders every string inside a JSON value as a template.
pub(super) fn render_json(
    value: &Value,
    context: &minijinja::Value,
) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(s) => Value::String(template::render(s, context)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, context))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json(v, context)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Where the messages, their texts and their quick replies are in an answer.
pub(super) struct ReplyShape {
    replies: String,
    text: String,
    quick_replies: String,
    /// Skip messages without a text (Rasa's images and custom payloads) instead of failing.
    skip_untexted: bool,
}

impl ReplyShape {
    /// The pointers configured in `banter.yaml` (http, stdio); every message must have a text.
    pub(super) fn pointers(
        replies: &RepliesPointer,
        text: &TextPointer,
        quick_replies: &QuickRepliesPointer,
    ) -> Self {
        ReplyShape {
            replies: replies.get().as_str().into(),
            text: text.get().as_str().into(),
            quick_replies: quick_replies.get().as_str().into(),
            skip_untexted: false,
        }
    }

    /// Rasa's REST channel: a top-level list of `{text?, buttons?: [{title, payload}], image?, custom?}`.
    pub(super) fn rasa() -> Self {
        ReplyShape {
            replies: String::new(),
            text: "/text".into(),
            quick_replies: "/buttons".into(),
            skip_untexted: true,
        }
    }

    /// The bot's messages in `body`; `bot` names the bot in errors.
    pub(super) fn extract(&self, bot: &str, body: &str) -> Result<Vec<BotMessage>, ConnectorError> {
        let json: Value = serde_json::from_str(body).map_err(|_| ConnectorError::NotJson {
            bot: bot.to_string(),
            excerpt: excerpt(body),
        })?;
        let shape = |what: String| ConnectorError::Shape {
            bot: bot.to_string(),
            what,
            excerpt: excerpt(body),
        };
        let list = json
            .pointer(&self.replies)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                let place = if self.replies.is_empty() {
                    "the top level"
                } else {
                    &self.replies
                };
                shape(format!("a list at {place}"))
            })?;
        let mut messages = Vec::with_capacity(list.len());
        for (i, message) in list.iter().enumerate() {
            let text = match message.pointer(&self.text) {
                Some(Value::String(s)) => s.clone(),
                _ if self.skip_untexted => continue,
                _ => {
                    return Err(shape(format!(
                        "a text at {}/{i}{}",
                        self.replies, self.text
                    )))
                }
            };
            let quick_replies = message
                .pointer(&self.quick_replies)
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(quick_reply_title).collect())
                .unwrap_or_default();
            messages.push(BotMessage {
                text,
                quick_replies,
                buttons: Vec::new(),
                handover: false,
                receipt: None,
            });
        }
        Ok(messages)
    }
}

fn quick_reply_title(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => ["title", "text", "payload"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
}

/// The `title`s of a JSON list of buttons, actions or quick replies, skipping untitled ones.
pub(super) fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["title"].as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rasa_entries_without_text_are_skipped_and_buttons_become_quick_replies() {
        let body = r#"[{"recipient_id":"c","text":"Hi","buttons":[{"title":"Balance","payload":"/balance"}]},
                      {"recipient_id":"c","image":"https://example.com/a.png"},
                      {"recipient_id":"c","text":"Bye"}]"#;
        let messages = ReplyShape::rasa().extract("rasa bot", body).unwrap();
        assert_eq!(
            messages,
            vec![
                BotMessage {
                    text: "Hi".into(),
                    quick_replies: vec!["Balance".into()],
                    buttons: vec![],
                    handover: false,
                    receipt: None,
                },
                BotMessage {
                    text: "Bye".into(),
                    quick_replies: vec![],
                    buttons: vec![],
                    handover: false,
                    receipt: None,
                },
            ]
        );
    }

    #[test]
    fn a_configured_shape_requires_every_text() {
        let shape = ReplyShape::pointers(
            &RepliesPointer::default(),
            &TextPointer::default(),
            &QuickRepliesPointer::default(),
        );
        let err = shape
            .extract("http bot", r#"{"replies":[{"text":"a"},{"image":"b"}]}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"the http bot answered JSON without a text at /replies/1/text: {"replies":[{"text":"a"},{"image":"b"}]}"#
        );
        let err = ReplyShape::rasa()
            .extract("rasa bot", r#"{"a":1}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("without a list at the top level"),
            "{err}"
        );
    }
}
