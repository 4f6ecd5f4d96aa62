//! Where a scanned string sits: its location in the request (`body:/data/0/user_data/em`),
//! the decoding steps that reached it (`json → url`), the kind of its key and its depth.
//!
//! A site is made for every field a scan walks, and most fields hold nothing, so a site does
//! not spell its location out: it points at the site of its container and holds only what
//! its location adds (a JSON key or index, a field's name). The location is written out when
//! something is recorded there. Sites live on the stack of the walk that made them.

use std::fmt::Write;
use std::rc::Rc;

use super::keys::KeyKind;

/// Where a string sits, how it was reached, and under which key.
#[derive(Debug, Clone)]
pub(super) struct Site<'p> {
    /// The site of the container, whose location this one's goes on from; none for a part
    /// of a request.
    container: Option<&'p Site<'p>>,
    segment: Segment<'p>,
    /// Shared between a site and its fields: a field copies no steps.
    steps: Rc<[&'static str]>,
    pub key: KeyKind,
    pub depth: u8,
}

/// What a site's location adds to its container's.
#[derive(Debug, Clone, Copy)]
pub(super) enum Segment<'p> {
    /// The whole location of a part of a request or reply: `path`, `query`, `body`, …
    Part(&'p str),
    /// Nothing: the container's location (a decoding of it, a field without a name).
    Same,
    /// A JSON object member, `/` then its key as a JSON pointer writes it.
    Member(&'p str),
    /// A JSON array item, `/` then its index.
    Item(usize),
    /// A named field (a query, form or cookie field, a header, a multipart part): `:` then
    /// its name.
    Named(&'p str),
}

impl<'p> Site<'p> {
    pub fn new(part: &'p str, key: KeyKind) -> Site<'p> {
        Site {
            container: None,
            segment: Segment::Part(part),
            steps: Rc::new([]),
            key,
            depth: 0,
        }
    }

    /// The same site after a container step (gzip, json, form, multipart, a decoding).
    pub fn step<'s>(&'s self, step: &'static str) -> Site<'s> {
        Site {
            container: Some(self),
            segment: Segment::Same,
            steps: self.steps.iter().copied().chain([step]).collect(),
            key: self.key,
            depth: self.depth,
        }
    }

    /// A field of this site: its location goes on by `segment`; a new key, the same steps.
    pub fn field<'s>(&'s self, segment: Segment<'s>, key: KeyKind) -> Site<'s> {
        Site {
            container: Some(self),
            segment,
            steps: self.steps.clone(),
            key,
            depth: self.depth,
        }
    }

    /// How many decoding steps reached it.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    /// The chain for a needle label found here, after an optional last step.
    pub fn chain(&self, step: Option<&'static str>, label: &str) -> String {
        let mut parts: Vec<&str> = self.steps.to_vec();
        parts.extend(step);
        parts.push(label);
        parts.join(" → ")
    }

    /// The location, written out.
    pub fn location(&self) -> String {
        let mut location = String::new();
        self.write_location(&mut location);
        location
    }

    fn write_location(&self, out: &mut String) {
        if let Some(container) = self.container {
            container.write_location(out);
        }
        match self.segment {
            Segment::Part(part) => out.push_str(part),
            Segment::Same => {}
            Segment::Member(key) => {
                out.push('/');
                if key.contains(['~', '/']) {
                    out.push_str(&key.replace('~', "~0").replace('/', "~1"));
                } else {
                    out.push_str(key);
                }
            }
            Segment::Item(index) => {
                // Writing to a String cannot fail.
                let _ = write!(out, "/{index}");
            }
            Segment::Named(name) => {
                out.push(':');
                out.push_str(name);
            }
        }
    }

    /// The last word of the location, after its last `/` or `:`: the key a value sits under.
    pub fn last_key(&self) -> String {
        match self.segment {
            Segment::Named(text) | Segment::Part(text) => last_word(text).to_owned(),
            Segment::Same => self
                .container
                .map_or_else(String::new, |container| container.last_key()),
            Segment::Member(_) | Segment::Item(_) => last_word(&self.location()).to_owned(),
        }
    }
}

/// The text after the last `/` or `:` of `text`.
fn last_word(text: &str) -> &str {
    text.rsplit(['/', ':']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_written_out_from_its_containers() {
        let body = Site::new("body", KeyKind::None);
        let gzip = body.step("gzip");
        let json = gzip.field(Segment::Named(""), KeyKind::None);
        let json = json.step("json");
        let data = json.field(Segment::Member("data"), KeyKind::Other);
        let item = data.field(Segment::Item(0), KeyKind::Other);
        let odd = item.field(Segment::Member("a/b~c"), KeyKind::Other);
        assert_eq!(odd.location(), "body:/data/0/a~1b~0c");
        assert_eq!(odd.chain(Some("url"), "email"), "gzip → json → url → email");
        assert_eq!(odd.last_key(), "a~1b~0c");
        assert_eq!(item.last_key(), "0");
        let cookie = Site::new("header:cookie", KeyKind::None);
        let sid = cookie.field(Segment::Named("sid"), KeyKind::Other);
        assert_eq!(sid.step("url").location(), "header:cookie:sid");
        assert_eq!(sid.step("url").last_key(), "sid");
        assert_eq!(
            cookie.field(Segment::Same, KeyKind::None).last_key(),
            "cookie"
        );
    }
}
