//! Reply matchers: contains, contains_any, not_contains, equals and matches on the text, and the
//! quick replies and buttons offered; case-insensitive by default.

use super::{Failure, FailureKind};
use crate::scenario::{ReplyExpect, Template};
use crate::template;
use crate::transcript::BotMessage;

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_string()
    } else {
        text.to_lowercase()
    }
}

/// Checks one turn's replies against its matchers; templates render with `context`.
pub fn check_reply(
    expect: &ReplyExpect,
    replies: &[BotMessage],
    turn: usize,
    context: &minijinja::Value,
) -> Vec<Failure> {
    let text: Vec<&str> = replies
        .iter()
        .filter(|m| !m.handover)
        .map(|m| m.text.as_str())
        .collect();
    let reply = text.join("\n");
    let reply = reply.as_str();
    let mut failures = Vec::new();
    let cs = expect.case_sensitive;
    let haystack = fold(reply, cs);
    let fail = |message: String, expected: String| {
        Failure::new(Some(turn), FailureKind::Reply, message).with(expected, reply.to_string())
    };
    let render =
        |t: &Template, failures: &mut Vec<Failure>| match template::render(t.as_str(), context) {
            Ok(text) => Some(text),
            Err(e) => {
                failures.push(Failure::new(Some(turn), FailureKind::Reply, e.to_string()));
                None
            }
        };
    for needle in expect.contains.as_slice() {
        if let Some(text) = render(needle, &mut failures) {
            if !haystack.contains(&fold(&text, cs)) {
                failures.push(fail(
                    format!("reply does not contain {text:?}"),
                    format!("contains {text:?}"),
                ));
            }
        }
    }
    if !expect.contains_any.is_empty() {
        let options: Vec<String> = expect
            .contains_any
            .iter()
            .filter_map(|t| render(t, &mut failures))
            .collect();
        if !options.iter().any(|o| haystack.contains(&fold(o, cs))) {
            failures.push(fail(
                format!("reply contains none of {options:?}"),
                format!("contains any of {options:?}"),
            ));
        }
    }
    for needle in expect.not_contains.as_slice() {
        if let Some(text) = render(needle, &mut failures) {
            if haystack.contains(&fold(&text, cs)) {
                failures.push(fail(
                    format!("reply contains {text:?}"),
                    format!("does not contain {text:?}"),
                ));
            }
        }
    }
    if let Some(equals) = &expect.equals {
        if let Some(text) = render(equals, &mut failures) {
            if fold(text.trim(), cs) != fold(reply.trim(), cs) {
                failures.push(fail("reply is not equal to the expected text".into(), text));
            }
        }
    }
    if let Some(pattern) = &expect.matches {
        match pattern.compile(cs) {
            Ok(regex) if regex.is_match(reply) => {}
            Ok(_) => failures.push(fail(
                format!("reply does not match /{}/", pattern.as_str()),
                format!("matches /{}/", pattern.as_str()),
            )),
            Err(e) => failures.push(Failure::new(
                Some(turn),
                FailureKind::Reply,
                format!("invalid regex: {e}"),
            )),
        }
    }
    if let Some(wanted) = expect.replies.filter(|&n| n != text.len()) {
        failures.push(
            Failure::new(
                Some(turn),
                FailureKind::Reply,
                format!("the bot sent {} replies, not {wanted}", text.len()),
            )
            .with(format!("{wanted} replies"), reply.to_string()),
        );
    }
    let handed_over = replies.iter().any(|m| m.handover);
    if let Some(wanted) = expect.handover.filter(|&wanted| wanted != handed_over) {
        let message = if wanted {
            "the bot did not hand the conversation over"
        } else {
            "the bot handed the conversation over"
        };
        failures.push(Failure::new(Some(turn), FailureKind::Reply, message).with(
            format!("handover: {wanted}"),
            format!("handover: {handed_over}"),
        ));
    }
    let offered = [
        (
            "quick reply",
            &expect.quick_replies,
            replies
                .iter()
                .flat_map(|m| &m.quick_replies)
                .collect::<Vec<_>>(),
        ),
        (
            "button",
            &expect.buttons,
            replies.iter().flat_map(|m| &m.buttons).collect::<Vec<_>>(),
        ),
    ];
    for (what, wanted, offered) in offered {
        let shown: Vec<String> = offered.iter().map(|t| fold(t, cs)).collect();
        for title in wanted.as_slice() {
            if let Some(title) = render(title, &mut failures) {
                if !shown.contains(&fold(&title, cs)) {
                    let message = format!("no {what} {title:?} is offered");
                    let actual = format!("{what}s offered: {offered:?}");
                    failures.push(
                        Failure::new(Some(turn), FailureKind::Reply, message)
                            .with(format!("{what} {title:?}"), actual),
                    );
                }
            }
        }
    }
    failures
}
