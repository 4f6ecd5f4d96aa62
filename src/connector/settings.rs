//! The `bot:` setting types that several connectors read: request headers, templated JSON
//! (the request of http and stdio, the metadata of rasa, openai and botframework) and the
//! JSON pointers that pick replies out of an answer. Each type carries its default and checks
//! its value where it is written, so a connector's settings struct declares the key with its
//! type alone and errors keep their line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::template::Template;

/// Extra request headers, templates, e.g. `Authorization: "Bearer …"`; none by default.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Headers(BTreeMap<String, Template>);

impl Headers {
    /// The headers by name, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Template)> {
        self.0.iter()
    }
}

/// A setting that its key's marker type `D` gives a default: written, it is read as a `T`.
#[derive(Debug, Clone)]
pub struct Defaulted<T, D> {
    value: T,
    default: PhantomData<D>,
}

/// The default value of a setting of type `T`, implemented by the key's marker type.
pub trait DefaultOf<T> {
    /// The value when the key is not written.
    fn value() -> T;
}

impl<T, D> Defaulted<T, D> {
    /// The value, as written or by default.
    pub fn get(&self) -> &T {
        &self.value
    }
}

impl<T, D: DefaultOf<T>> Default for Defaulted<T, D> {
    fn default() -> Self {
        Defaulted {
            value: D::value(),
            default: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>, D> Deserialize<'de> for Defaulted<T, D> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        Ok(Defaulted {
            value: T::deserialize(deserializer)?,
            default: PhantomData,
        })
    }
}

/// Written, a setting is its value's schema.
impl<T: schemars::JsonSchema, D> schemars::JsonSchema for Defaulted<T, D> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// The JSON request of the http and stdio connectors, every string in it a template; by
/// default the conversation id, the message text and the bank token.
pub type Request = Defaulted<Value, RequestDefault>;

/// JSON the rasa, openai and botframework connectors send along with each message, every
/// string in it a template; by default the bank token.
pub type Metadata = Defaulted<Value, MetadataDefault>;

/// The pointer to the list of messages in an answer (`/replies` by default).
pub type RepliesPointer = Defaulted<JsonPointer, RepliesDefault>;
/// The pointer to a message's text (`/text` by default).
pub type TextPointer = Defaulted<JsonPointer, TextDefault>;
/// The pointer to a message's quick replies (`/quick_replies` by default).
pub type QuickRepliesPointer = Defaulted<JsonPointer, QuickRepliesDefault>;

/// The default [`Request`].
#[derive(Debug, Clone)]
pub enum RequestDefault {}

impl DefaultOf<Value> for RequestDefault {
    fn value() -> Value {
        json!({
            "conversation_id": "{{ conversation.id }}",
            "text": "{{ message.text }}",
            "bank_token": "{{ customer.token }}",
        })
    }
}

/// The default [`Metadata`]: how the bank token reaches the bot.
#[derive(Debug, Clone)]
pub enum MetadataDefault {}

impl DefaultOf<Value> for MetadataDefault {
    fn value() -> Value {
        json!({ "bank_token": "{{ customer.token }}" })
    }
}

/// The default of a JSON pointer setting, by its key's marker type.
pub trait PointerDefault {
    /// The pointer when the key is not written.
    const POINTER: &'static str;
}

impl<D: PointerDefault> DefaultOf<JsonPointer> for D {
    fn value() -> JsonPointer {
        JsonPointer(D::POINTER.to_string())
    }
}

/// The default [`RepliesPointer`].
#[derive(Debug, Clone)]
pub enum RepliesDefault {}
impl PointerDefault for RepliesDefault {
    const POINTER: &'static str = "/replies";
}

/// The default [`TextPointer`].
#[derive(Debug, Clone)]
pub enum TextDefault {}
impl PointerDefault for TextDefault {
    const POINTER: &'static str = "/text";
}

/// The default [`QuickRepliesPointer`].
#[derive(Debug, Clone)]
pub enum QuickRepliesDefault {}
impl PointerDefault for QuickRepliesDefault {
    const POINTER: &'static str = "/quick_replies";
}

/// A JSON pointer (RFC 6901), checked where it is written: empty for the whole document, else
/// starting with `/`.
#[derive(Debug, Clone)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer, for [`serde_json::Value::pointer`].
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl schemars::JsonSchema for JsonPointer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonPointer".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A JSON pointer such as `/replies` (empty for the whole document).",
            "type": "string",
            "pattern": "^(/.*)?$",
        })
    }
}

/// Checked in the visitor, so that an error is located at the pointer as written.
impl<'de> Deserialize<'de> for JsonPointer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = JsonPointer;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON pointer such as `/replies`")
            }
            fn visit_str<E: serde::de::Error>(self, pointer: &str) -> Result<JsonPointer, E> {
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    return Err(E::custom(format!(
                        "invalid JSON pointer `{pointer}`: it starts with `/`, as in `/{pointer}` (or is empty for the whole document)"
                    )));
                }
                Ok(JsonPointer(pointer.to_string()))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_their_defaults_and_check_pointers() {
        assert_eq!(RepliesPointer::default().get().as_str(), "/replies");
        assert_eq!(
            QuickRepliesPointer::default().get().as_str(),
            "/quick_replies"
        );
        assert_eq!(
            Metadata::default().get()["bank_token"],
            "{{ customer.token }}"
        );
        let pointer: TextPointer = serde_json::from_str(r#""/message/text""#).unwrap();
        assert_eq!(pointer.get().as_str(), "/message/text");
        let whole: RepliesPointer = serde_json::from_str(r#""""#).unwrap();
        assert_eq!(whole.get().as_str(), "");
        let err = serde_json::from_str::<TextPointer>(r#""text""#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid JSON pointer `text`: it starts with `/`, as in `/text`"),
            "{err}"
        );
    }
}
