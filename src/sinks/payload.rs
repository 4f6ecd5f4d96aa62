//! Reading a captured request's payload the way the services' event decoders need it: the body
//! (un-gzipped), as JSON, a query or form parameter, and the names in a JSON list.

use std::borrow::Cow;

use serde_json::Value;

use super::CapturedRequest;
use crate::inflate::{inflate, Codec};

/// `name` of every element of the JSON array `list`.
pub(super) fn each(list: &Value, name: impl Fn(&Value) -> Option<String>) -> Option<Vec<String>> {
    each_of(list.as_array()?, name)
}

/// `name` of every element of `list`, skipping those without one.
pub(super) fn each_of(
    list: &[Value],
    name: impl Fn(&Value) -> Option<String>,
) -> Option<Vec<String>> {
    Some(list.iter().filter_map(name).collect())
}

/// A non-empty JSON string.
pub(super) fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The body, un-gzipped when it starts with the gzip magic bytes; None if that fails or
/// would exceed the inflation cap.
fn body(request: &CapturedRequest) -> Option<Cow<'_, [u8]>> {
    if Codec::sniff(&request.body) != Some(Codec::Gzip) {
        return Some(Cow::Borrowed(&request.body));
    }
    inflate(Codec::Gzip, &request.body)
        .complete()
        .map(Cow::Owned)
}

/// The body as JSON.
pub(super) fn json_body(request: &CapturedRequest) -> Option<Value> {
    serde_json::from_slice(&body(request)?).ok()
}

/// The first non-empty `key` parameter of the query, or else of a form body.
pub(super) fn param(request: &CapturedRequest, key: &str) -> Option<String> {
    let find = |form: &[u8]| {
        form_urlencoded::parse(form)
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    };
    find(request.query.as_bytes()).or_else(|| find(&body(request)?))
}
