//! JSON Schemas of the files banter reads, scenario files and `banter.yaml`, derived from the
//! types that read them (schemars), for editors (yaml-language-server) and CI checks.
//!
//! The schemas say what the loader accepts as to shape; what only the loader can check (a
//! template's syntax, a regex, a unique name, an include's file) stays the loader's.

use schemars::generate::SchemaSettings;
use schemars::Schema;

use crate::scenario::config::{BotSchema, File};
use crate::scenario::{Scenario, StepItem};

/// The files banter has a schema for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaKind {
    /// A scenario file: a scenario, a list of them, or a steps file.
    Scenario,
    /// `banter.yaml`.
    Config,
}

/// The JSON Schema (draft-07, which editors read best) of one kind of file.
pub fn schema(kind: SchemaKind) -> serde_json::Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    let root: Schema = match kind {
        SchemaKind::Config => generator.root_schema_for::<File<BotSchema>>(),
        SchemaKind::Scenario => {
            let scenario = generator.subschema_for::<Scenario>();
            let step = generator.subschema_for::<StepItem>();
            let mut root = schemars::json_schema!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "title": "banter scenario file",
                "description": "One scenario, a list of scenarios, or a steps file (a list of steps that scenarios include).",
                "anyOf": [
                    scenario,
                    { "type": "array", "minItems": 1, "items": scenario },
                    { "type": "array", "minItems": 1, "items": step },
                ],
            });
            let definitions: serde_json::Map<String, serde_json::Value> =
                generator.take_definitions(true);
            root.insert("definitions".into(), definitions.into());
            root
        }
    };
    root.to_value()
}

/// The schema, as committed under `schema/` (pretty JSON and a final newline).
pub fn schema_text(kind: SchemaKind) -> String {
    let mut text = serde_json::to_string_pretty(&schema(kind)).unwrap_or_default();
    text.push('\n');
    text
}
