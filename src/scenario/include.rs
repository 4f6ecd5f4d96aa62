//! Reusable steps: `- include: steps/link-account.yaml` (with `with: { account: savings }`)
//! splices the steps of another file into a scenario's steps, its `<param>` placeholders
//! filled in.
//!
//! An included file is a steps file: a YAML list of steps (which may include others). It is
//! read relative to the file that includes it, checked on its own (errors at its own line and
//! column), and spliced into the scenario as written before variants and examples expand.
//! A steps file found in a scenario directory is not a scenario and is skipped.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, IntoDeserializer, MapAccess};
use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use super::load::{check_depth, invalid, read_regular, ScenarioError};
use super::variants::{fill, inline_utterances, ExampleValue};
use super::Step;

/// The most steps one scenario may have once its includes are spliced in.
pub const MAX_STEPS: usize = 10_000;

/// An item of a steps list: a step, or an include (written with `include:` as its first key).
pub(crate) enum StepItem {
    /// A step.
    Step(Box<Step>),
    /// `- include: FILE`, with its parameters.
    Include,
}

/// The rest of an include item after `include: FILE`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncludeRest {
    #[serde(default, rename = "with")]
    _with: BTreeMap<String, ExampleValue>,
}

impl<'de> Deserialize<'de> for StepItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StepItem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step (`user:`, ...) or `include: FILE`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepItem, A::Error> {
                let Some(first) = map.next_key::<String>()? else {
                    return Step::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                        .map(|step| StepItem::Step(Box::new(step)));
                };
                if first == "include" {
                    let file: String = map.next_value()?;
                    if file.trim().is_empty() {
                        return Err(serde::de::Error::custom("include names a steps file"));
                    }
                    IncludeRest::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                    return Ok(StepItem::Include);
                }
                let peeked = Peeked {
                    first: Some(first),
                    rest: map,
                };
                Step::deserialize(serde::de::value::MapAccessDeserializer::new(peeked))
                    .map(|step| StepItem::Step(Box::new(step)))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A step, or an include with its parameters.
impl schemars::JsonSchema for StepItem {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepItem".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let step = generator.subschema_for::<Step>();
        let value = generator.subschema_for::<ExampleValue>();
        schemars::json_schema!({
            "description": "A step, or `include:` of a steps file.",
            "anyOf": [
                step,
                {
                    "type": "object",
                    "description": "The steps of a steps file (a YAML list of steps), spliced in.",
                    "properties": {
                        "include": {
                            "type": "string",
                            "minLength": 1,
                            "description": "The steps file, relative to this file.",
                        },
                        "with": {
                            "type": "object",
                            "description": "Its parameters: each replaces `<name>` in the included steps.",
                            "additionalProperties": value,
                        },
                    },
                    "required": ["include"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}

/// A map whose first key was read ahead: it gives that key again, then the rest.
struct Peeked<A> {
    first: Option<String>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Peeked<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

/// Whether a document is a steps file rather than scenarios: a list whose items are steps or
/// includes (`user:` or `include:`), none of them a scenario (`name:` or `steps:`).
pub(super) fn is_steps_file(document: &Value) -> bool {
    let Value::Sequence(items) = document else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|item| {
            let key = |k: &str| item.get(k).is_some();
            item.is_mapping() && (key("user") || key("include")) && !key("name") && !key("steps")
        })
}

/// Where each `key:` of a file's text stands (1-based line and column), in order.
pub(super) fn positions(text: &str, key: &str) -> Vec<(usize, usize)> {
    let key = format!("{key}:");
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(&key).map(|at| from + at) {
            let before = line[..at].chars().next_back();
            if before.is_none_or(|c| matches!(c, ' ' | '\t' | '{' | ',' | '-')) {
                found.push((i + 1, line[..at].chars().count() + 1));
            }
            from = at + key.len();
        }
    }
    found
}

/// Splices the includes of one file's steps lists in, met in text order: `positions` are the
/// file's include keys (see [`positions`]), consumed in order.
pub(super) struct Splicer<'a> {
    /// The file whose items are spliced.
    pub path: &'a Path,
    /// Its include keys' places, in text order.
    pub positions: &'a [(usize, usize)],
    /// How many of them were met so far.
    pub next: usize,
    /// The files being included, outermost first, as found (for cycles) and as named.
    pub chain: Vec<(PathBuf, PathBuf)>,
}

impl Splicer<'_> {
    /// The place of the next include in the file.
    fn place(&mut self) -> (usize, usize) {
        let place = self.positions.get(self.next).copied().unwrap_or((1, 1));
        self.next += 1;
        place
    }

    fn located(&self, (line, column): (usize, usize), message: String) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
        }
    }

    /// Replaces each include item of `steps` by the steps of its file; returns whether there
    /// was one.
    pub(super) fn splice(&mut self, steps: &mut Vec<Value>) -> Result<bool, ScenarioError> {
        if !steps.iter().any(|s| s.get("include").is_some()) {
            return Ok(false);
        }
        let mut out = Vec::with_capacity(steps.len());
        for step in std::mem::take(steps) {
            let Some(file) = step.get("include").and_then(Value::as_str) else {
                out.push(step);
                continue;
            };
            let place = self.place();
            let with = step
                .get("with")
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default();
            let included = self.read(file, &with, place)?;
            out.extend(included);
            if out.len() > MAX_STEPS {
                return Err(
                    self.located(place, format!("includes make more than {MAX_STEPS} steps"))
                );
            }
        }
        *steps = out;
        Ok(true)
    }

    /// The steps of `file` (relative to this file's directory), parameters filled in and its
    /// own includes spliced.
    fn read(
        &self,
        file: &str,
        with: &Mapping,
        place: (usize, usize),
    ) -> Result<Vec<Value>, ScenarioError> {
        let target = self.path.parent().unwrap_or(Path::new("")).join(file);
        let identity = std::fs::canonicalize(&target).unwrap_or_else(|_| target.clone());
        if let Some(start) = self.chain.iter().position(|(p, _)| *p == identity) {
            let mut cycle: Vec<String> = self.chain[start..]
                .iter()
                .map(|(_, named)| named.display().to_string())
                .collect();
            cycle.push(target.display().to_string());
            return Err(self.located(
                place,
                format!("include cycle: {}", cycle.join(" includes ")),
            ));
        }
        let text = read_regular(&target)
            .map_err(|e| self.located(place, format!("include `{file}`: {e}")))?;
        check_depth(&target, &text)?;
        // Checked on its own, so that its errors are at its own lines; an error about a
        // parameter (`<param>`, filled in below) waits for the filled-in reading.
        let document: Value = serde_yaml::from_str(&text).map_err(|e| invalid(&target, &e))?;
        if !matches!(document, Value::Sequence(_)) {
            return Err(self.located(
                place,
                format!("include `{file}`: a steps file holds a list of steps"),
            ));
        }
        if let Err(e) = serde_yaml::from_str::<Vec<StepItem>>(&text) {
            let line = e
                .location()
                .and_then(|l| text.lines().nth(l.line().saturating_sub(1)))
                .unwrap_or("");
            let about_a_parameter = with.keys().filter_map(Value::as_str).any(|p| {
                line.contains(&format!("<{p}>")) || e.to_string().contains(&format!("<{p}>"))
            });
            if !about_a_parameter {
                return Err(invalid(&target, &e));
            }
        }
        for parameter in with.keys().filter_map(Value::as_str) {
            if !text.contains(&format!("<{parameter}>")) {
                return Err(self.located(
                    place,
                    format!("include `{file}`: parameter `{parameter}` is not used there (as `<{parameter}>`)"),
                ));
            }
        }
        let mut filled = document;
        fill(&mut filled, with);
        let Value::Sequence(mut steps) = filled else {
            return Ok(Vec::new());
        };
        inline_utterances(&target, &positions(&text, "utterances"), &mut steps)?;
        let positions = positions(&text, "include");
        let mut chain = self.chain.clone();
        chain.push((identity, target.clone()));
        let mut inner = Splicer {
            path: &target,
            positions: &positions,
            next: 0,
            chain,
        };
        inner.splice(&mut steps)?;
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::load::load_paths;
    use crate::scenario::{Action, Scenario, UserInput};

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn said(scenario: &Scenario) -> Vec<String> {
        scenario
            .steps
            .iter()
            .map(|s| match &s.action {
                Action::Message(UserInput::Text(t)) => t.as_str().to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn included_steps_are_spliced_with_their_parameters() {
        let dir = tree(&[
            (
                "s/main.yaml",
                "name: Main\nsteps:\n  - user: hi\n  - include: steps/link.yaml\n    with: { account: savings }\n  - user: bye\n",
            ),
            (
                "s/steps/link.yaml",
                "- user: \"link my <account>\"\n  bot: { contains: \"{{ <account>.id }}\" }\n- include: thanks.yaml\n",
            ),
            ("s/steps/thanks.yaml", "- user: thanks\n"),
        ]);
        let scenarios = load_paths(&[dir.path().join("s")]).unwrap();
        assert_eq!(scenarios.len(), 1, "steps files are not scenarios");
        assert_eq!(
            said(&scenarios[0]),
            ["hi", "link my savings", "thanks", "bye"]
        );
        let bot = scenarios[0].steps[1].bot.as_ref().unwrap();
        assert_eq!(bot.contains.as_slice()[0].as_str(), "{{ savings.id }}");
    }

    fn error(files: &[(&str, &str)]) -> String {
        let dir = tree(files);
        let err = load_paths(&[dir.path().join("s")]).unwrap_err().to_string();
        err.replace(&format!("{}/", dir.path().display()), "")
    }

    #[test]
    fn cycles_and_missing_files_are_located() {
        let err = error(&[
            (
                "s/a.yaml",
                "name: A\nsteps:\n  - user: hi\n  - include: x.yaml\n",
            ),
            ("s/x.yaml", "- user: x\n- include: y.yaml\n"),
            ("s/y.yaml", "- { user: y }\n- { include: x.yaml }\n"),
        ]);
        assert!(
            err.starts_with(
                "s/y.yaml:2:5: include cycle: s/x.yaml includes s/y.yaml includes s/x.yaml"
            ),
            "{err}"
        );
        let err = error(&[(
            "s/a.yaml",
            "name: A\nsteps:\n  - user: hi\n  - include: nope.yaml\n",
        )]);
        assert!(
            err.starts_with("s/a.yaml:4:5: include `nope.yaml`: s/nope.yaml: cannot read:"),
            "{err}"
        );
        let err = error(&[("s/a.yaml", "name: A\nsteps:\n  - include: a.yaml\n")]);
        assert!(
            err.contains("s/a.yaml:3:5: include `a.yaml`: a steps file holds a list of steps"),
            "{err}"
        );
    }

    #[test]
    fn bad_includes_and_bad_included_steps_are_located() {
        let err = error(&[(
            "s/a.yaml",
            "name: A\nsteps:\n  - include: x.yaml\n    wiht: { a: 1 }\n",
        )]);
        assert!(
            err.starts_with("s/a.yaml:4:5: steps[0]: unknown field `wiht`"),
            "{err}"
        );
        let err = error(&[
            ("s/a.yaml", "name: A\nsteps:\n  - include: x.yaml\n"),
            ("s/x.yaml", "- user: hi\n  bot: { contians: x }\n"),
        ]);
        assert!(err.starts_with("s/x.yaml:2:"), "{err}");
        assert!(err.contains("did you mean `contains`"), "{err}");
        let err = error(&[
            (
                "s/a.yaml",
                "name: A\nsteps:\n  - include: x.yaml\n    with: { acount: 1 }\n",
            ),
            ("s/x.yaml", "- user: \"<account>\"\n"),
        ]);
        assert!(
            err.starts_with("s/a.yaml:3:5: include `x.yaml`: parameter `acount` is not used there"),
            "{err}"
        );
    }
}
