//! Reply matchers: contains, contains_any, not_contains, equals and matches on the text, the
//! number of replies, hand-over, the quick replies and buttons offered, and receipts; case-insensitive
//! by default. Each matcher is one method of [`Matching`].

use super::{Failure, FailureKind};
use crate::scenario::{Pattern, ReceiptExpect, ReplyExpect};
use crate::template::{self, Template};
use crate::transcript::{BotMessage, Receipt};

/// Checks one turn's replies against its matchers; templates render with `context`.
pub fn check_reply(
    expect: &ReplyExpect,
    replies: &[BotMessage],
    turn: usize,
    context: &minijinja::Value,
) -> Vec<Failure> {
    let mut m = Matching::new(replies, turn, context, expect.case_sensitive);
    m.contains(expect.contains.as_slice());
    m.contains_any(&expect.contains_any);
    m.not_contains(expect.not_contains.as_slice());
    if let Some(text) = &expect.equals {
        m.equals(text);
    }
    if let Some(pattern) = &expect.matches {
        m.matches(pattern);
    }
    if let Some(wanted) = expect.replies {
        m.replies(wanted);
    }
    if let Some(wanted) = expect.handover {
        m.handover(wanted);
    }
    let quick_replies = replies.iter().flat_map(|r| &r.quick_replies).collect();
    m.offered(
        "quick reply",
        expect.quick_replies.as_slice(),
        quick_replies,
    );
    let buttons = replies.iter().flat_map(|r| &r.buttons).collect();
    m.offered("button", expect.buttons.as_slice(), buttons);
    if let Some(receipt) = &expect.receipt {
        m.receipt(receipt);
    }
    m.failures
}

/// An amount as written (`$1,250.00`, `1250`), in cents.
fn cents(text: &str) -> Option<i64> {
    let plain: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | ','))
        .collect();
    let dollars: f64 = plain.parse().ok()?;
    dollars
        .is_finite()
        .then(|| crate::money::Money::from_dollars(dollars).cents())
}

fn fold(text: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        text.to_string()
    } else {
        text.to_lowercase()
    }
}

/// One turn's replies under check, and the failures found so far.
struct Matching<'a> {
    replies: &'a [BotMessage],
    turn: usize,
    context: &'a minijinja::Value,
    case_sensitive: bool,
    /// How many replies were messages (hand-overs are not).
    messages: usize,
    /// The messages' text joined by newlines.
    text: String,
    /// `text` as compared: folded unless case-sensitive.
    haystack: String,
    failures: Vec<Failure>,
}

impl<'a> Matching<'a> {
    fn new(
        replies: &'a [BotMessage],
        turn: usize,
        context: &'a minijinja::Value,
        case_sensitive: bool,
    ) -> Matching<'a> {
        let messages: Vec<&str> = replies
            .iter()
            .filter(|r| !r.handover)
            .map(|r| r.text.as_str())
            .collect();
        let text = messages.join("\n");
        Matching {
            replies,
            turn,
            context,
            case_sensitive,
            messages: messages.len(),
            haystack: fold(&text, case_sensitive),
            text,
            failures: Vec::new(),
        }
    }

    fn fold(&self, text: &str) -> String {
        fold(text, self.case_sensitive)
    }

    /// The rendered template, or `None` with its failure recorded.
    fn render(&mut self, template: &Template) -> Option<String> {
        match template::render(template.as_str(), self.context) {
            Ok(text) => Some(text),
            Err(e) => {
                self.fail(e.to_string());
                None
            }
        }
    }

    fn failure(&self, message: impl Into<String>) -> Failure {
        Failure::new(Some(self.turn), FailureKind::Reply, message)
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.failures.push(self.failure(message));
    }

    /// A failure showing what was expected against the reply text.
    fn mismatch(&mut self, message: String, expected: String) {
        let failure = self.failure(message).with(expected, self.text.clone());
        self.failures.push(failure);
    }

    /// `contains`: every text appears.
    fn contains(&mut self, needles: &[Template]) {
        for needle in needles {
            let Some(text) = self.render(needle) else {
                continue;
            };
            if !self.haystack.contains(&self.fold(&text)) {
                self.mismatch(
                    format!("reply does not contain {text:?}"),
                    format!("contains {text:?}"),
                );
            }
        }
    }

    /// `contains_any`: at least one text appears (no options, no check).
    fn contains_any(&mut self, options: &[Template]) {
        if options.is_empty() {
            return;
        }
        let options: Vec<String> = options.iter().filter_map(|t| self.render(t)).collect();
        if !options
            .iter()
            .any(|o| self.haystack.contains(&self.fold(o)))
        {
            self.mismatch(
                format!("reply contains none of {options:?}"),
                format!("contains any of {options:?}"),
            );
        }
    }

    /// `not_contains`: no text appears.
    fn not_contains(&mut self, needles: &[Template]) {
        for needle in needles {
            let Some(text) = self.render(needle) else {
                continue;
            };
            if self.haystack.contains(&self.fold(&text)) {
                self.mismatch(
                    format!("reply contains {text:?}"),
                    format!("does not contain {text:?}"),
                );
            }
        }
    }

    /// `equals`: the whole reply equals the text, surrounding whitespace ignored.
    fn equals(&mut self, expected: &Template) {
        let Some(text) = self.render(expected) else {
            return;
        };
        if self.fold(text.trim()) != self.fold(self.text.trim()) {
            self.mismatch("reply is not equal to the expected text".into(), text);
        }
    }

    /// `matches`: the regex matches the reply.
    fn matches(&mut self, pattern: &Pattern) {
        match pattern.compile(self.case_sensitive) {
            Ok(regex) if regex.is_match(&self.text) => {}
            Ok(_) => self.mismatch(
                format!("reply does not match /{}/", pattern.as_str()),
                format!("matches /{}/", pattern.as_str()),
            ),
            Err(e) => self.fail(format!("invalid regex: {e}")),
        }
    }

    /// `replies: N`: exactly N messages (hand-overs not counted).
    fn replies(&mut self, wanted: usize) {
        if wanted != self.messages {
            self.mismatch(
                format!("the bot sent {} replies, not {wanted}", self.messages),
                format!("{wanted} replies"),
            );
        }
    }

    /// `handover`: the bot did (or did not) hand the conversation to a human.
    fn handover(&mut self, wanted: bool) {
        let handed_over = self.replies.iter().any(|r| r.handover);
        if wanted == handed_over {
            return;
        }
        let message = if wanted {
            "the bot did not hand the conversation over"
        } else {
            "the bot handed the conversation over"
        };
        let failure = self.failure(message).with(
            format!("handover: {wanted}"),
            format!("handover: {handed_over}"),
        );
        self.failures.push(failure);
    }

    /// `receipt`: one receipt of the turn has every field asked for.
    fn receipt(&mut self, expect: &ReceiptExpect) {
        let mut wanted = Vec::new();
        for (field, template) in [
            ("total", &expect.total),
            ("recipient", &expect.recipient),
            ("order", &expect.order),
        ] {
            if let Some(template) = template {
                let Some(text) = self.render(template) else {
                    return;
                };
                wanted.push((field, text));
            }
        }
        let fits = |r: &Receipt| {
            wanted.iter().all(|(field, text)| match *field {
                "total" => match (cents(text), cents(&r.total)) {
                    (Some(a), Some(b)) => a == b,
                    _ => text.trim().eq_ignore_ascii_case(r.total.trim()),
                },
                "recipient" => self.fold(&r.recipient).contains(&self.fold(text)),
                _ => r.order == text.trim(),
            })
        };
        let receipts: Vec<&Receipt> = self
            .replies
            .iter()
            .filter_map(|r| r.receipt.as_ref())
            .collect();
        if receipts.iter().any(|r| fits(r)) {
            return;
        }
        let asked: Vec<String> = wanted.iter().map(|(f, t)| format!("{f} {t}")).collect();
        let shown: Vec<String> = receipts.iter().map(|r| r.text()).collect();
        let actual = if shown.is_empty() {
            "no receipt".to_string()
        } else {
            shown.join("\n")
        };
        let failure = self
            .failure(format!("no receipt with {}", asked.join(", ")))
            .with(format!("receipt with {}", asked.join(", ")), actual);
        self.failures.push(failure);
    }

    /// `quick_replies` and `buttons`: every title (`what`) wanted is among those `offered`.
    fn offered(&mut self, what: &str, wanted: &[Template], offered: Vec<&String>) {
        let shown: Vec<String> = offered.iter().map(|t| self.fold(t)).collect();
        for title in wanted {
            let Some(title) = self.render(title) else {
                continue;
            };
            if !shown.contains(&self.fold(&title)) {
                let failure = self
                    .failure(format!("no {what} {title:?} is offered"))
                    .with(
                        format!("{what} {title:?}"),
                        format!("{what}s offered: {offered:?}"),
                    );
                self.failures.push(failure);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(text: &str) -> BotMessage {
        BotMessage {
            text: text.into(),
            quick_replies: Vec::new(),
            buttons: Vec::new(),
            handover: false,
            receipt: None,
        }
    }

    fn offers(text: &str, quick_replies: &[&str], buttons: &[&str]) -> BotMessage {
        BotMessage {
            quick_replies: quick_replies.iter().map(|t| t.to_string()).collect(),
            buttons: buttons.iter().map(|t| t.to_string()).collect(),
            ..says(text)
        }
    }

    fn handover() -> BotMessage {
        BotMessage {
            handover: true,
            ..says("")
        }
    }

    #[test]
    fn receipt_matches_a_receipt_of_the_turn() {
        let receipt = |recipient: &str, total: &str| BotMessage {
            receipt: Some(Receipt {
                recipient: recipient.into(),
                order: "pmt_1".into(),
                items: vec!["Payment".into()],
                total: total.into(),
            }),
            ..says("Receipt")
        };
        table(&[
            (
                "receipt: { total: '$25.00' }",
                vec![says("Done"), receipt("Ada Byron", "$25.00")],
                &[],
            ),
            (
                "receipt: { total: 25, recipient: '{{ name }}', order: pmt_1 }",
                vec![receipt("Ada Byron", "25.00")],
                &[],
            ),
            (
                "receipt: { total: '$1,250.00' }",
                vec![receipt("Ada", "1250")],
                &[],
            ),
            (
                "receipt: { total: '$25.00' }",
                vec![says("Done: $25.00")],
                &["no receipt with total $25.00"],
            ),
            (
                "receipt: { total: '$25.00' }",
                vec![receipt("Ada", "$250.00")],
                &["no receipt with total $25.00"],
            ),
            (
                "receipt: { total: '$25.00', recipient: Grace }",
                vec![receipt("Ada", "$25.00"), receipt("Grace", "$26.00")],
                &["no receipt with total $25.00, recipient Grace"],
            ),
        ]);
    }

    /// The failure messages of `yaml` matchers against `replies`.
    fn check(yaml: &str, replies: &[BotMessage]) -> Vec<String> {
        let expect: ReplyExpect = serde_yaml::from_str(yaml).expect("reply matchers");
        let context = minijinja::context! { name => "Ada", balance => "$2,481.17" };
        let failures = check_reply(&expect, replies, 2, &context);
        for failure in &failures {
            assert_eq!((failure.turn, failure.kind), (Some(2), FailureKind::Reply));
        }
        failures.into_iter().map(|f| f.message).collect()
    }

    /// Runs `(matchers, replies, failure messages)` cases.
    fn table(cases: &[(&str, Vec<BotMessage>, &[&str])]) {
        for (yaml, replies, expected) in cases {
            assert_eq!(check(yaml, replies), *expected, "{yaml} on {replies:?}");
        }
    }

    #[test]
    fn contains_wants_every_text() {
        table(&[
            ("contains: balance", vec![says("Your balance is $5")], &[]),
            ("contains: BALANCE", vec![says("Your balance is $5")], &[]),
            (
                "contains: [balance, $5]",
                vec![says("Your balance"), says("is $5")],
                &[],
            ),
            (
                "contains: '{{ balance }}'",
                vec![says("It is $2,481.17.")],
                &[],
            ),
            (
                "contains: \"is\\nit\"",
                vec![says("this is"), says("it")],
                &[],
            ),
            (
                "contains: savings",
                vec![says("Your balance")],
                &[r#"reply does not contain "savings""#],
            ),
            (
                "contains: [balance, savings, card]",
                vec![says("Your balance")],
                &[
                    r#"reply does not contain "savings""#,
                    r#"reply does not contain "card""#,
                ],
            ),
            ("contains: x", vec![], &[r#"reply does not contain "x""#]),
            (
                "contains: x",
                vec![offers("", &["x"], &["x"])],
                &[r#"reply does not contain "x""#],
            ),
        ]);
    }

    #[test]
    fn contains_any_wants_one_text() {
        table(&[
            ("contains_any: [hi, hello]", vec![says("Hello there")], &[]),
            (
                "contains_any: [hi, '{{ name }}']",
                vec![says("Welcome, Ada")],
                &[],
            ),
            ("contains_any: []", vec![says("anything")], &[]),
            (
                "contains_any: [bye, ciao]",
                vec![says("Hello there")],
                &[r#"reply contains none of ["bye", "ciao"]"#],
            ),
        ]);
    }

    #[test]
    fn not_contains_wants_no_text() {
        table(&[
            ("not_contains: ssn", vec![says("Your balance")], &[]),
            ("not_contains: [ssn, password]", vec![], &[]),
            (
                "not_contains: SSN",
                vec![says("your ssn is")],
                &[r#"reply contains "SSN""#],
            ),
            (
                "not_contains: [ssn, '{{ name }}']",
                vec![says("ada, your ssn")],
                &[r#"reply contains "ssn""#, r#"reply contains "Ada""#],
            ),
        ]);
    }

    #[test]
    fn equals_wants_the_whole_reply() {
        let not_equal: &[&str] = &["reply is not equal to the expected text"];
        table(&[
            ("equals: Hello Ada", vec![says("  hello ada\n")], &[]),
            ("equals: 'Hello {{ name }}'", vec![says("Hello Ada")], &[]),
            ("equals: \"a\\nb\"", vec![says("a"), says("b")], &[]),
            ("equals: Hello", vec![says("Hello Ada")], not_equal),
            (
                "equals: Hello",
                vec![says("Hello"), says("again")],
                not_equal,
            ),
            ("equals: Hello", vec![], not_equal),
        ]);
    }

    #[test]
    fn matches_wants_the_regex_to_match() {
        table(&[
            (r"matches: '\$\d+\.\d\d'", vec![says("It is $12.50")], &[]),
            ("matches: '^hello'", vec![says("HELLO")], &[]),
            (
                r"matches: '\$\d+\.\d\d'",
                vec![says("It is $12")],
                &[r"reply does not match /\$\d+\.\d\d/"],
            ),
        ]);
    }

    #[test]
    fn case_sensitive_compares_with_case() {
        table(&[
            (
                "{contains: Ada, case_sensitive: true}",
                vec![says("Hi Ada")],
                &[],
            ),
            (
                "{contains: ada, case_sensitive: true}",
                vec![says("Hi Ada")],
                &[r#"reply does not contain "ada""#],
            ),
            (
                "{not_contains: ada, case_sensitive: true}",
                vec![says("Hi Ada")],
                &[],
            ),
            (
                "{contains_any: [ada, ADA], case_sensitive: true}",
                vec![says("Hi Ada")],
                &[r#"reply contains none of ["ada", "ADA"]"#],
            ),
            (
                "{equals: hi ada, case_sensitive: true}",
                vec![says("Hi Ada")],
                &["reply is not equal to the expected text"],
            ),
            (
                "{matches: '^hi', case_sensitive: true}",
                vec![says("Hi Ada")],
                &["reply does not match /^hi/"],
            ),
            (
                "{quick_replies: yes, case_sensitive: true}",
                vec![offers("", &["Yes"], &[])],
                &[r#"no quick reply "yes" is offered"#],
            ),
            (
                "{buttons: Pay, case_sensitive: true}",
                vec![offers("", &[], &["Pay"])],
                &[],
            ),
        ]);
    }

    #[test]
    fn quick_replies_and_buttons_want_every_title_offered() {
        let choices = || {
            vec![
                offers("Pick one", &["Balance", "Cards"], &[]),
                offers("Or", &[], &["Pay bill"]),
            ]
        };
        table(&[
            ("quick_replies: balance", choices(), &[]),
            ("quick_replies: [Balance, cards]", choices(), &[]),
            ("buttons: pay bill", choices(), &[]),
            (
                "quick_replies: '{{ name }}'",
                vec![offers("", &["Ada"], &[])],
                &[],
            ),
            (
                "quick_replies: Pay bill",
                choices(),
                &[r#"no quick reply "Pay bill" is offered"#],
            ),
            (
                "buttons: Balance",
                choices(),
                &[r#"no button "Balance" is offered"#],
            ),
            (
                "quick_replies: Bal",
                choices(),
                &[r#"no quick reply "Bal" is offered"#],
            ),
            (
                "buttons: [a, b]",
                vec![],
                &[r#"no button "a" is offered"#, r#"no button "b" is offered"#],
            ),
        ]);
        let expect: ReplyExpect = serde_yaml::from_str("buttons: Transfer").expect("matchers");
        let failure = &check_reply(&expect, &choices(), 1, &minijinja::Value::UNDEFINED)[0];
        assert_eq!(failure.expected.as_deref(), Some(r#"button "Transfer""#));
        assert_eq!(
            failure.actual.as_deref(),
            Some(r#"buttons offered: ["Pay bill"]"#)
        );
    }

    #[test]
    fn handover_wants_the_conversation_handed_over_or_not() {
        table(&[
            (
                "handover: true",
                vec![says("Connecting you"), handover()],
                &[],
            ),
            ("handover: false", vec![says("Sure")], &[]),
            (
                "handover: true",
                vec![says("Sure")],
                &["the bot did not hand the conversation over"],
            ),
            (
                "handover: false",
                vec![handover()],
                &["the bot handed the conversation over"],
            ),
        ]);
    }

    #[test]
    fn replies_wants_exactly_n_messages() {
        table(&[
            ("replies: 2", vec![says("a"), says("b")], &[]),
            ("replies: 0", vec![], &[]),
            ("replies: 1", vec![says("a"), handover()], &[]),
            (
                "replies: 1",
                vec![says("a"), says("b")],
                &["the bot sent 2 replies, not 1"],
            ),
            (
                "replies: 3",
                vec![says("a")],
                &["the bot sent 1 replies, not 3"],
            ),
        ]);
    }

    #[test]
    fn failures_keep_matcher_order_and_show_the_reply() {
        let yaml = "{contains: x, contains_any: [y], not_contains: hi, equals: z, matches: w, \
                    replies: 2, handover: true, quick_replies: q, buttons: b}";
        assert_eq!(
            check(yaml, &[says("hi")]),
            [
                r#"reply does not contain "x""#,
                r#"reply contains none of ["y"]"#,
                r#"reply contains "hi""#,
                "reply is not equal to the expected text",
                "reply does not match /w/",
                "the bot sent 1 replies, not 2",
                "the bot did not hand the conversation over",
                r#"no quick reply "q" is offered"#,
                r#"no button "b" is offered"#,
            ]
        );
        let expect: ReplyExpect = serde_yaml::from_str("contains: x").expect("matchers");
        let failure = &check_reply(
            &expect,
            &[says("a"), says("b")],
            1,
            &minijinja::Value::UNDEFINED,
        )[0];
        assert_eq!(failure.expected.as_deref(), Some(r#"contains "x""#));
        assert_eq!(failure.actual.as_deref(), Some("a\nb"));
    }

    #[test]
    fn a_template_that_does_not_render_is_a_failure() {
        let failures = check("contains: '{{ nobody }}'", &[says("hi")]);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].contains("nobody"), "{failures:?}");
    }
}
