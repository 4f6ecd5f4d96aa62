//! JSON shared by the connectors: rendering templated JSON, picking replies out of an answer
//! with JSON pointers, and checking the pointers that `bot:` settings name.

use serde_json::Value;

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

/// The default request of the http and stdio connectors: conversation id, text and bank token.
pub(super) fn default_request() -> Value {
    serde_json::json!({
        "conversation_id": "{{ conversation.id }}",
        "text": "{{ message.text }}",
        "bank_token": "{{ customer.token }}",
    })
}

/// The default metadata of the rasa, openai and botframework connectors: the bank token.
pub(super) fn default_metadata() -> Value {
    serde_json::json!({ "bank_token": "{{ customer.token }}" })
}

/// The default pointer to the list of messages (http, stdio).
pub(super) fn default_replies() -> String {
    "/replies".into()
}

/// The default pointer to a message's text (http, stdio).
pub(super) fn default_text() -> String {
    "/text".into()
}

/// The default pointer to a message's quick replies (http, stdio).
pub(super) fn default_quick_replies() -> String {
    "/quick_replies".into()
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
    pub(super) fn pointers(replies: &str, text: &str, quick_replies: &str) -> Self {
        ReplyShape {
            replies: replies.into(),
            text: text.into(),
            quick_replies: quick_replies.into(),
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

/// Checks a JSON pointer (RFC 6901): empty for the whole document, else starting with `/`.
pub(crate) fn check_json_pointer(pointer: &str) -> Result<(), String> {
    if pointer.is_empty() || pointer.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "invalid JSON pointer `{pointer}`: it starts with `/`, as in `/{pointer}` (or is empty for the whole document)"
        ))
    }
}

/// A JSON pointer setting of `banter.yaml`, checked where it is written.
pub(crate) fn json_pointer<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON pointer such as `/replies`")
        }
        fn visit_str<E: serde::de::Error>(self, pointer: &str) -> Result<String, E> {
            check_json_pointer(pointer).map_err(E::custom)?;
            Ok(pointer.to_string())
        }
    }
    deserializer.deserialize_str(Visitor)
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
                },
                BotMessage {
                    text: "Bye".into(),
                    quick_replies: vec![],
                    buttons: vec![],
                    handover: false,
                },
            ]
        );
    }

    #[test]
    fn a_configured_shape_requires_every_text() {
        let shape = ReplyShape::pointers("/replies", "/text", "/quick_replies");
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
