//! Splits a captured request into located sites: path segments (`path`), query fields
//! (`query:{key}`), headers (`header:{name}`) and cookies (`header:cookie:{name}`), and the
//! body: decompressed, then walked as JSON (`body:/json/pointer`), or split as a form
//! (`body:form:{key}`) or multipart (`body:multipart:{name}`), or else scanned as text (`body`).

use std::borrow::Cow;

use aho_corasick::AhoCorasick;

use super::decode;
use super::keys::KeyKind;
use super::scan::Scanner;
use super::site::{Segment, Site};
use crate::sinks::{CapturedRequest, Spill};

/// Bodies held in memory are scanned up to this many bytes.
const MAX_BODY: usize = 16 << 20;
/// Bodies kept on disk are scanned in chunks of this many bytes …
const SPILL_CHUNK: usize = 8 << 20;
/// … each starting this many bytes before the previous one ended.
const SPILL_OVERLAP: usize = 64 << 10;

pub(super) fn scan_request(scanner: &mut Scanner, request: &CapturedRequest) {
    let path = Site::new("path", KeyKind::None);
    for segment in request.path.split('/').filter(|s| !s.is_empty()) {
        scanner.value(segment.as_bytes(), &path);
    }
    fields(
        scanner,
        request.query.as_bytes(),
        [b'&', b';'],
        &Site::new("query", KeyKind::None),
        Url::Step,
    );
    let headers = Site::new("header", KeyKind::None);
    for (name, value) in &request.headers {
        if name == "cookie" {
            fields(
                scanner,
                value.as_bytes(),
                [b';'; 2],
                &Site::new("header:cookie", KeyKind::None),
                Url::Step,
            );
            continue;
        }
        let site = scanner.key(&headers, Segment::Named(name), name, true);
        scanner.value(value.as_bytes(), &site);
        if let Some((_scheme, credential)) = value
            .trim()
            .split_once(' ')
            .filter(|_| name == "authorization")
        {
            scanner.value(credential.trim().as_bytes(), &site);
        }
    }
    body(scanner, request);
}

/// How a field's value is percent-decoded: as a step of its own (query, cookies), or as part
/// of the container's step (a form body's "form").
#[derive(Clone, Copy)]
enum Url {
    Step,
    InContainer,
}

/// `key=value` fields split on either of two `separators` (the same twice for one), each
/// scanned at `{base}:{key}` (at `base` when it has no key) after percent-decoding (`%20` and
/// `+`); a value listing items with `|` or `,` is also scanned item by item. A value with a
/// `+` is also scanned as sent, in case the `+` was meant (unencoded base64).
fn fields(scanner: &mut Scanner, text: &[u8], separators: [u8; 2], base: &Site, url: Url) {
    let [a, b] = separators;
    let count = memchr::memchr2_iter(a, b, text).count() + 1;
    if !scanner.admit(count, base) {
        return scanner.text(text, base);
    }
    // The separators are found by a vector search, not a test of each byte.
    let mut from = 0;
    let ends = memchr::memchr2_iter(a, b, text).chain([text.len()]);
    for field in ends.map(|end| {
        let field = text.get(from..end).unwrap_or_default().trim_ascii();
        from = end + 1;
        field
    }) {
        if field.is_empty() {
            continue;
        }
        let (key, value) = match memchr::memchr(b'=', field) {
            Some(at) => {
                let (key, rest) = field.split_at(at);
                (key, rest.get(1..).unwrap_or_default())
            }
            None => (&b""[..], field),
        };
        let key = decode::url(key).map_or(Cow::Borrowed(key), Cow::Owned);
        let key = String::from_utf8_lossy(&key);
        let segment = match key.as_ref() {
            "" => Segment::Same,
            key => Segment::Named(key),
        };
        let site = scanner.key(base, segment, &key, false);
        match decode::url(value) {
            Some(decoded) => {
                match url {
                    Url::Step => items(scanner, &decoded, &site.step("url")),
                    Url::InContainer => items(scanner, &decoded, &site),
                }
                if value.contains(&b'+') {
                    items(scanner, value, &site);
                }
            }
            None => items(scanner, value, &site),
        }
    }
}

/// A value, and each of its items when it lists several with `|` or `,`.
fn items(scanner: &mut Scanner, value: &[u8], site: &Site) {
    scanner.value(value, site);
    // Most values list nothing: told by a vector search, not a split.
    if memchr::memchr2(b'|', b',', value).is_none() {
        return;
    }
    let items = value
        .split(|b| matches!(b, b'|' | b','))
        .filter(|item| !item.is_empty());
    if items.clone().nth(1).is_some() {
        for item in items {
            scanner.item(item, site);
        }
    }
}

fn body(scanner: &mut Scanner, request: &CapturedRequest) {
    if let Some(error) = &request.body_error {
        scanner.note(format!("body: {error}; scanned what arrived"));
    }
    if let Some(spill) = &request.spill {
        return spilled(scanner, spill);
    }
    let raw = match request.body.get(..MAX_BODY) {
        Some(head) if request.body.len() > MAX_BODY => {
            scanner.note(format!(
                "body: {} bytes; scanned the first 16 MiB",
                request.body.len()
            ));
            head
        }
        _ => request.body.as_slice(),
    };
    if raw.is_empty() {
        return;
    }
    let inflated = decode::inflate(raw, request.header("content-encoding"));
    for note in inflated.notes {
        scanner.note(note);
    }
    let part = Site::new("body", KeyKind::None);
    let inflated_site;
    let base = match inflated.step {
        Some(step) => {
            inflated_site = part.step(step);
            &inflated_site
        }
        None => &part,
    };
    let body = inflated.bytes.as_ref();
    let content_type = request.header("content-type").unwrap_or_default();
    // `body:` then the JSON pointer.
    let document = base.field(Segment::Named(""), KeyKind::None);
    if scanner.json(body, &document.step("json")) {
        return;
    }
    if let Some(boundary) = boundary(content_type, body) {
        return multipart(scanner, body, &boundary, base);
    }
    let form = content_type
        .to_ascii_lowercase()
        .contains("x-www-form-urlencoded");
    if form || looks_like_form(body) {
        let form = base.field(Segment::Named("form"), KeyKind::None);
        return fields(
            scanner,
            body,
            [b'&'; 2],
            &form.step("form"),
            Url::InContainer,
        );
    }
    scanner.text(body, base);
}

/// A body too large for memory, scanned from its file as text, chunk by chunk; the chunks
/// overlap so that no value is cut in two.
fn spilled(scanner: &mut Scanner, spill: &Spill) {
    scanner.note(format!(
        "body: {} bytes, past the in-memory cap; scanned whole from disk as text, in {} MiB chunks",
        spill.len(),
        SPILL_CHUNK >> 20
    ));
    let site = Site::new("body", KeyKind::None);
    let read = spill.chunks(SPILL_CHUNK, SPILL_OVERLAP, |_, chunk| {
        scanner.text(chunk, &site);
    });
    if let Err(e) = read {
        scanner.note(format!("body: reading it back from disk failed: {e}"));
    }
}

/// `a=b&c=d` with no whitespace and a plain key before every `=`.
fn looks_like_form(body: &[u8]) -> bool {
    let body = body.trim_ascii();
    let plain_key = |field: &[u8]| match field.iter().position(|&b| b == b'=') {
        Some(at) => {
            let key = field.get(..at).unwrap_or_default();
            !key.is_empty()
                && key
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b"_.-[]%$".contains(&b))
        }
        None => false,
    };
    !body.is_empty()
        && !body.iter().any(u8::is_ascii_whitespace)
        && body
            .split(|&b| b == b'&')
            .filter(|field| !field.is_empty())
            .all(plain_key)
}

/// The multipart boundary: from a `multipart/*` Content-Type, or from a body that starts
/// with `--boundary` on its own line.
fn boundary(content_type: &str, body: &[u8]) -> Option<Vec<u8>> {
    let declared = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/")
        .then(|| {
            content_type.split(';').find_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("boundary")
                    .then(|| value.trim().trim_matches('"').as_bytes().to_vec())
            })
        })
        .flatten();
    let sniffed = || {
        let first_line = body.strip_prefix(b"--")?.split(|&b| b == b'\n').next()?;
        let boundary = first_line.strip_suffix(b"\r").unwrap_or(first_line);
        let plain =
            (1..=70).contains(&boundary.len()) && !boundary.iter().any(u8::is_ascii_whitespace);
        plain.then(|| boundary.to_vec())
    };
    declared.filter(|b| !b.is_empty()).or_else(sniffed)
}

/// Each part of a multipart body, scanned at `body:multipart:{name}`.
fn multipart(scanner: &mut Scanner, body: &[u8], boundary: &[u8], base: &Site) {
    let parts = base.field(Segment::Named("multipart"), KeyKind::None);
    let delimiter = [&b"--"[..], boundary].concat();
    let Ok(finder) = AhoCorasick::new([&delimiter]) else {
        return scanner.text(body, base);
    };
    let starts: Vec<usize> = finder.find_iter(body).map(|m| m.end()).collect();
    if !scanner.admit(starts.len(), base) {
        return scanner.text(body, base);
    }
    let ends = finder.find_iter(body).map(|m| m.start()).skip(1);
    for (start, end) in starts.into_iter().zip(ends) {
        let Some(part) = body.get(start..end) else {
            continue;
        };
        let Some((head, content)) = split_head(part) else {
            continue;
        };
        let content = content.strip_suffix(b"\n").unwrap_or(content);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let name = part_name(&String::from_utf8_lossy(head));
        let segment = match name.as_str() {
            "" => Segment::Same,
            name => Segment::Named(name),
        };
        let part = parts.field(segment, KeyKind::of(&name));
        scanner.value(content, &part.step("multipart"));
    }
}

/// A part's headers and content, split at the first blank line.
fn split_head(part: &[u8]) -> Option<(&[u8], &[u8])> {
    let blank = [&b"\r\n\r\n"[..], b"\n\n"]
        .into_iter()
        .filter_map(|sep| Some((part.windows(sep.len()).position(|w| w == sep)?, sep.len())))
        .min()?;
    Some((part.get(..blank.0)?, part.get(blank.0 + blank.1..)?))
}

/// The `name` parameter of a part's Content-Disposition header.
fn part_name(head: &str) -> String {
    head.lines()
        .filter(|line| {
            line.to_ascii_lowercase()
                .starts_with("content-disposition:")
        })
        .flat_map(|line| line.split(';'))
        .find_map(|param| {
            let (key, value) = param.split_once('=')?;
            (key.trim().eq_ignore_ascii_case("name"))
                .then(|| value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_default()
}
