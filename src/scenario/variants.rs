//! Utterance variants (`user: { any_of: [...] }`) and data tables (`examples:`, like Gherkin's
//! Scenario Outline): one scenario as written becomes one test case per row and variant.
//!
//! The typed pass (the ordinary scenario deserialisation) checks every alternative and every
//! row where it is written, so bad shapes are located; the expansion then works on the
//! document as written: each row's `<column>` placeholders are filled in, each `any_of` is
//! replaced by one of its alternatives, and the result is read again as a scenario.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use super::load::{hinted, ScenarioError};
use super::{Action, Origin, Scenario};

/// The most test cases one written scenario may expand into (rows times variants).
pub const MAX_CASES: usize = 1000;

/// The alternatives of `user: { any_of: [...] }`: what the user may say, at least one.
pub(super) struct Alternatives(Vec<Action>);

impl Alternatives {
    /// The first alternative, which a scenario read on its own (before expansion) plays.
    pub(super) fn first(self) -> Option<Action> {
        self.0.into_iter().next()
    }
}

impl<'de> Deserialize<'de> for Alternatives {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Alternatives;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of what the user may say")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Alternatives, A::Error> {
                let mut all = Vec::new();
                while let Some(action) = seq.next_element::<Action>()? {
                    if matches!(action, Action::Webhook(_)) {
                        return Err(serde::de::Error::custom(
                            "any_of lists what the user may say; a webhook check has no variants",
                        ));
                    }
                    all.push(action);
                }
                if all.is_empty() {
                    return Err(serde::de::Error::custom("needs at least one alternative"));
                }
                Ok(Alternatives(all))
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}

/// One row of an `examples:` table: each column's value (text, a number or a boolean).
pub type ExampleRow = BTreeMap<String, ExampleValue>;

/// A value in an `examples:` row, as text; it replaces `<column>` in the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleValue(pub String);

impl<'de> Deserialize<'de> for ExampleValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ExampleValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text, a number or a boolean")
            }
            fn visit_str<E>(self, text: &str) -> Result<ExampleValue, E> {
                Ok(ExampleValue(text.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<ExampleValue, E> {
                Ok(ExampleValue(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<ExampleValue, E> {
                Ok(ExampleValue(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<ExampleValue, E> {
                Ok(ExampleValue(n.to_string()))
            }
            fn visit_bool<E>(self, b: bool) -> Result<ExampleValue, E> {
                Ok(ExampleValue(b.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for ExampleValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ExampleValue".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A value: text, a number or a boolean.",
            "type": ["string", "number", "boolean"],
        })
    }
}

/// The rows of `examples:`: at least one, every row with the same columns, each column a name
/// that can be written `<name>`.
pub(super) fn examples<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ExampleRow>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Vec<ExampleRow>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of rows, each a map of column to value")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            use serde::de::Error;
            let columns = |row: &ExampleRow| row.keys().cloned().collect::<Vec<_>>().join("`, `");
            let mut rows: Vec<ExampleRow> = Vec::new();
            while let Some(row) = seq.next_element::<ExampleRow>()? {
                match rows.first() {
                    None => {
                        if let Some(bad) = row.keys().find(|c| !is_column_name(c)) {
                            return Err(A::Error::custom(format!(
                                "examples column `{bad}`: a column is named with letters, digits, `_` and `-`, starting with a letter"
                            )));
                        }
                        if row.is_empty() {
                            return Err(A::Error::custom("examples rows need at least one column"));
                        }
                    }
                    Some(first) if row.keys().ne(first.keys()) => {
                        return Err(A::Error::custom(format!(
                            "examples[{}] has the columns `{}`, but the first row has `{}`",
                            rows.len(),
                            columns(&row),
                            columns(first)
                        )));
                    }
                    Some(_) => {}
                }
                rows.push(row);
            }
            if rows.is_empty() {
                return Err(A::Error::custom("examples needs at least one row"));
            }
            Ok(rows)
        }
    }
    deserializer.deserialize_seq(Visitor)
}

/// Replaces each `user: { utterances: FILE }` of `steps` (FILE relative to `path`, the file
/// that names it) by `user: { any_of: [...] }` with the file's lines (blank lines and `#`
/// comments left out). `places` are the file's `utterances:` keys, in text order. Returns how
/// many were replaced.
pub(super) fn inline_utterances(
    path: &Path,
    places: &[(usize, usize)],
    steps: &mut [Value],
) -> Result<usize, ScenarioError> {
    let mut met = 0;
    for step in steps.iter_mut() {
        let Some(user) = step.get_mut("user") else {
            continue;
        };
        let Some(file) = user
            .get("utterances")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        let (line, column) = places.get(met).copied().unwrap_or((1, 1));
        met += 1;
        let located = |message: String| ScenarioError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let target = path.parent().unwrap_or(Path::new("")).join(&file);
        let text = super::load::read_regular(&target)
            .map_err(|e| located(format!("utterances `{file}`: {e}")))?;
        let lines: Vec<Value> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| Value::String(l.to_string()))
            .collect();
        if lines.is_empty() {
            return Err(located(format!(
                "utterances `{file}`: {} holds no utterance (one a line)",
                target.display()
            )));
        }
        let mut any_of = Mapping::new();
        any_of.insert("any_of".into(), Value::Sequence(lines));
        *user = Value::Mapping(any_of);
    }
    Ok(met)
}

/// Whether a scenario as written is an outline (has `examples:`).
fn is_outline(written: &Value) -> bool {
    written.get("examples").is_some()
}

/// Whether the typed pass's error is about an outline's placeholder (`<column>` of one of
/// `items`' tables, named in the `message` or on the `line` of text it points at), which may
/// stand where the scenario as written is not valid (in a template's `{{ }}`, as a consent):
/// the rows fill it in before the scenario is read again.
pub(super) fn placeholder_error(message: &str, line: &str, items: &[Value]) -> bool {
    items
        .iter()
        .filter_map(|item| item.get("examples")?.get(0)?.as_mapping())
        .flat_map(|row| row.keys().filter_map(Value::as_str))
        .map(|column| format!("<{column}>"))
        .any(|placeholder| message.contains(&placeholder) || line.contains(&placeholder))
}

fn is_column_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The test cases of one scenario as written: itself when it has neither `examples` nor
/// `any_of`; else one per row and combination of alternatives, in row order, the first
/// varying step slowest. `written` is the scenario's YAML as written; `typed` is the typed
/// pass's reading of it, when that pass succeeded (it cannot when an outline's placeholder
/// stands inside a template).
pub(super) fn expand(
    path: &Path,
    origin: Origin,
    typed: Option<Scenario>,
    written: &Value,
) -> Result<Vec<Scenario>, ScenarioError> {
    let written_name = written.get("name").and_then(Value::as_str).unwrap_or("");
    let located = |message: String| ScenarioError::Invalid {
        path: path.to_path_buf(),
        line: origin.line,
        column: 1,
        message: hinted(message),
    };
    let varying = varying_steps(written)
        .map_err(|message| located(format!("scenario `{written_name}`: {message}")))?;
    if !is_outline(written) && varying.is_empty() {
        let mut scenario = match typed {
            Some(scenario) => scenario,
            None => serde_yaml::from_value(written.clone())
                .map_err(|e| located(format!("scenario `{written_name}`: {e}")))?,
        };
        scenario.origin = origin;
        return Ok(vec![scenario]);
    }
    let mut template = written.clone();
    if let Value::Mapping(map) = &mut template {
        map.remove("examples");
    }
    let rows: Vec<Option<&Mapping>> = match written.get("examples") {
        Some(Value::Sequence(rows)) => rows.iter().map(Value::as_mapping).collect(),
        _ => vec![None],
    };
    if rows.is_empty() {
        return Err(located(format!(
            "scenario `{written_name}`: examples needs at least one row"
        )));
    }
    if let Some(Some(first)) = rows.first() {
        for column in first.keys().filter_map(Value::as_str) {
            if !mentions(&template, &format!("<{column}>")) {
                return Err(located(format!(
                    "scenario `{written_name}`: examples column `{column}` is not used: write `<{column}>` where its value goes"
                )));
            }
        }
    }
    let combinations = varying
        .iter()
        .try_fold(1usize, |n, (_, count)| n.checked_mul(*count))
        .filter(|&n| n.saturating_mul(rows.len()) <= MAX_CASES)
        .ok_or_else(|| {
            located(format!(
                "scenario `{written_name}` expands into more than {MAX_CASES} test cases (examples rows times any_of alternatives)"
            ))
        })?;
    let mut cases = Vec::with_capacity(rows.len() * combinations);
    for (r, row) in rows.iter().enumerate() {
        let mut filled = template.clone();
        if let Some(row) = row {
            fill(&mut filled, row);
        }
        let mut name = filled
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(written_name)
            .to_string();
        if row.is_some() && name == written_name {
            name.push_str(&format!(" [example {}]", r + 1));
        }
        let alternatives = take_alternatives(&mut filled, &varying);
        for k in 0..combinations {
            let mut case = filled.clone();
            choose(&mut case, &varying, &alternatives, k);
            let name = if varying.is_empty() {
                name.clone()
            } else {
                format!("{name} [variant {}]", k + 1)
            };
            if let Value::Mapping(map) = &mut case {
                map.insert("name".into(), Value::String(name.clone()));
            }
            let mut expanded: Scenario = serde_yaml::from_value(case)
                .map_err(|e| located(format!("test case `{name}`: {e}")))?;
            expanded.origin = origin.clone();
            cases.push(expanded);
        }
    }
    Ok(cases)
}

/// The steps whose `user` is `{ any_of: [...] }`, with how many alternatives each has.
fn varying_steps(written: &Value) -> Result<Vec<(usize, usize)>, String> {
    let Some(Value::Sequence(steps)) = written.get("steps") else {
        return Ok(Vec::new());
    };
    let mut varying = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(Value::Sequence(alternatives)) = step.get("user").and_then(|u| u.get("any_of"))
        {
            if let Some(k) = alternatives.iter().position(|a| a.get("any_of").is_some()) {
                return Err(format!(
                    "steps[{i}].user.any_of[{k}]: alternatives cannot hold alternatives"
                ));
            }
            varying.push((i, alternatives.len()));
        }
    }
    Ok(varying)
}

/// Takes each varying step's alternatives out of `case`, leaving `null` in its `user`, so
/// that a test case clones the scenario without every alternative of every step (which made
/// the expansion quadratic in the alternatives).
fn take_alternatives(case: &mut Value, varying: &[(usize, usize)]) -> Vec<Vec<Value>> {
    let Some(Value::Sequence(steps)) = case.get_mut("steps") else {
        return Vec::new();
    };
    varying
        .iter()
        .map(|&(i, _)| {
            let user = steps.get_mut(i).and_then(|s| s.get_mut("user"));
            match user.map(std::mem::take) {
                Some(Value::Mapping(mut map)) => match map.remove("any_of") {
                    Some(Value::Sequence(alternatives)) => alternatives,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            }
        })
        .collect()
}

/// Puts alternative `k` of the mixed-radix combination in each varying step's `user`, from
/// the alternatives [`take_alternatives`] took out.
fn choose(case: &mut Value, varying: &[(usize, usize)], alternatives: &[Vec<Value>], mut k: usize) {
    let Some(Value::Sequence(steps)) = case.get_mut("steps") else {
        return;
    };
    for (&(i, count), taken) in varying.iter().zip(alternatives).rev() {
        let pick = k % count;
        k /= count;
        if let Some(user) = steps.get_mut(i).and_then(|s| s.get_mut("user")) {
            *user = taken.get(pick).cloned().unwrap_or(Value::Null);
        }
    }
}

/// Whether any text in `value` contains `needle`.
fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.contains(needle),
        Value::Sequence(items) => items.iter().any(|v| mentions(v, needle)),
        Value::Mapping(map) => map.values().any(|v| mentions(v, needle)),
        Value::Tagged(tagged) => mentions(&tagged.value, needle),
        _ => false,
    }
}

/// Fills a row's values in: `<column>` in any text is replaced by the column's value as text.
/// Placeholders stand in text only (the typed pass reads the scenario as written), so a value
/// never changes a setting's type.
pub(super) fn fill(value: &mut Value, row: &Mapping) {
    match value {
        Value::String(text) => {
            for (column, cell) in row {
                if let (Some(column), Some(cell)) = (column.as_str(), cell_text(cell)) {
                    let placeholder = format!("<{column}>");
                    if text.contains(&placeholder) {
                        *text = text.replace(&placeholder, &cell);
                    }
                }
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(|v| fill(v, row)),
        Value::Mapping(map) => map.values_mut().for_each(|v| fill(v, row)),
        Value::Tagged(tagged) => fill(&mut tagged.value, row),
        _ => {}
    }
}

fn cell_text(cell: &Value) -> Option<String> {
    match cell {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::load::parse_str;
    use crate::scenario::{Action, Scenario, UserInput};
    use std::path::Path;

    fn parse(text: &str) -> Result<Vec<Scenario>, String> {
        parse_str(Path::new("t.yaml"), text).map_err(|e| e.to_string())
    }

    fn said(scenario: &Scenario) -> Vec<String> {
        scenario
            .steps
            .iter()
            .map(|s| match &s.action {
                Action::Message(UserInput::Text(t)) => t.as_str().to_string(),
                Action::Message(UserInput::QuickReply(t)) => format!("qr:{}", t.as_str()),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn any_of_expands_into_one_case_per_combination() {
        let cases = parse(
            "name: Balance\nsteps:\n  - user: { any_of: [hi, hello] }\n  - user: { any_of: [\"balance?\", { quick_reply: Balance }, \"how much?\"] }\n    bot: { contains: \"$\" }\n",
        )
        .unwrap();
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            (1..=6)
                .map(|k| format!("Balance [variant {k}]"))
                .collect::<Vec<_>>()
        );
        assert_eq!(said(&cases[0]), ["hi", "balance?"]);
        assert_eq!(said(&cases[1]), ["hi", "qr:Balance"]);
        assert_eq!(said(&cases[5]), ["hello", "how much?"]);
        assert!(cases.iter().all(|c| c.origin.line == 1));
    }

    #[test]
    fn examples_fill_placeholders_and_name_the_rows() {
        let cases = parse(
            "name: Balance of <account>\nexamples:\n  - { account: checking, amount: 12.5 }\n  - { account: savings, amount: 7 }\nsteps:\n  - user: \"my <account> balance\"\n    bot: { contains: \"{{ <account>.balance | usd }}\", not_contains: \"<amount>\" }\n",
        )
        .unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].name, "Balance of checking");
        assert_eq!(cases[1].name, "Balance of savings");
        assert_eq!(said(&cases[1]), ["my savings balance"]);
        let bot = cases[1].steps[0].bot.as_ref().unwrap();
        assert_eq!(
            bot.contains.as_slice()[0].as_str(),
            "{{ savings.balance | usd }}"
        );
        assert_eq!(bot.not_contains.as_slice()[0].as_str(), "7");
        assert!(cases.iter().all(|c| c.examples.is_empty()));
        let plain = parse(
            "name: Greeting\nexamples: [{ word: hi }, { word: hello }]\nsteps:\n  - user: { any_of: [\"<word>\", \"<word>!\"] }\n",
        )
        .unwrap();
        let names: Vec<&str> = plain.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Greeting [example 1] [variant 1]",
                "Greeting [example 1] [variant 2]",
                "Greeting [example 2] [variant 1]",
                "Greeting [example 2] [variant 2]"
            ]
        );
        assert_eq!(said(&plain[3]), ["hello!"]);
    }

    #[test]
    fn bad_shapes_are_located() {
        let cases = [
            (
                "name: a\nsteps:\n  - user: { any_of: [] }\n",
                "t.yaml:3:",
                "steps[0].user.any_of: needs at least one alternative",
            ),
            (
                "name: a\nsteps:\n  - user: { any_of: hi }\n",
                "t.yaml:3:",
                "expected a list of what the user may say",
            ),
            (
                "name: a\nsteps:\n  - user: { any_of: [hi], postback: X }\n",
                "t.yaml:3:",
                "a user step is",
            ),
            (
                "name: a\nsteps:\n  - user: { any_of: [hi, { webhook: replay }] }\n",
                "t.yaml:3:",
                "a webhook check has no variants",
            ),
            (
                "name: a\nsteps:\n  - user: { any_of: [hi, { any_of: [yo] }] }\n",
                "t.yaml:1:1:",
                "steps[0].user.any_of[1]: alternatives cannot hold alternatives",
            ),
            (
                "name: a\nexamples: []\nsteps:\n  - user: hi\n",
                "t.yaml:2:11:",
                "examples needs at least one row",
            ),
            (
                "name: a\nexamples: [{ c: nope }]\ncustomer: { consent: <c> }\nsteps:\n  - user: hi\n",
                "t.yaml:1:1:",
                "test case `a [example 1]`: unknown variant `nope`, expected one of `granted`, `none`, `revoked` (did you mean `none`?)",
            ),
            (
                "name: a\nexamples: [{ x: 1 }, { y: 2 }]\nsteps:\n  - user: \"<x>\"\n",
                "t.yaml:2:",
                "examples[1] has the columns `y`, but the first row has `x`",
            ),
            (
                "name: a\nexamples: [{ x: [1] }]\nsteps:\n  - user: \"<x>\"\n",
                "t.yaml:2:",
                "expected text, a number or a boolean",
            ),
            (
                "name: a\nexamples: [{ acount: 1 }]\nsteps:\n  - user: \"<account>\"\n",
                "t.yaml:1:1:",
                "examples column `acount` is not used",
            ),
            (
                "name: a\nexamples: [{ c: \"{{ x\" }]\nsteps:\n  - user: \"<c>\"\n",
                "t.yaml:1:1:",
                "test case `a [example 1]`: template `{{ x`: syntax error",
            ),
        ];
        for (text, at, message) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(at), "{text}: {err}");
            assert!(err.contains(message), "{text}: {err}");
        }
    }

    #[test]
    fn a_scenario_expanding_past_the_limit_is_refused() {
        let many: Vec<String> = (0..32).map(|i| format!("w{i}")).collect();
        let list = many.join(", ");
        let text = format!(
            "name: a\nsteps:\n  - user: {{ any_of: [{list}] }}\n  - user: {{ any_of: [{list}] }}\n"
        );
        let err = parse(&text).unwrap_err();
        assert!(
            err.contains("expands into more than 1000 test cases"),
            "{err}"
        );
    }

    #[test]
    fn an_utterance_file_expands_like_any_of_relative_to_the_file_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "s/balance.txt",
            "# ways to ask\nbalance?\n\nhow much do I have\n",
        );
        write("s/steps/hi.txt", "hi\nhello\n");
        write("s/steps/greet.yaml", "- user: { utterances: hi.txt }\n");
        write(
            "s/a.yaml",
            "name: A\nsteps:\n  - include: steps/greet.yaml\n  - user: { utterances: balance.txt }\n",
        );
        let cases = crate::scenario::load_paths(&[dir.path().join("s")]).unwrap();
        let said: Vec<Vec<String>> = cases.iter().map(said).collect();
        assert_eq!(
            said,
            [
                ["hi", "balance?"],
                ["hi", "how much do I have"],
                ["hello", "balance?"],
                ["hello", "how much do I have"]
            ]
        );
        write(
            "s/a.yaml",
            "name: A\nsteps:\n  - user: hi\n  - user: { utterances: nope.txt }\n",
        );
        let err = crate::scenario::load_paths(&[dir.path().join("s")])
            .unwrap_err()
            .to_string();
        let shown = err.replace(&format!("{}/", dir.path().display()), "");
        assert!(
            shown.starts_with("s/a.yaml:4:13: utterances `nope.txt`: s/nope.txt: cannot read:"),
            "{shown}"
        );
        write("s/empty.txt", "# nothing yet\n");
        write(
            "s/a.yaml",
            "name: A\nsteps:\n  - user: { utterances: empty.txt }\n",
        );
        let err = crate::scenario::load_paths(&[dir.path().join("s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no utterance (one a line)"), "{err}");
    }
}
