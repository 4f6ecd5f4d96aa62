//! The JSON Schemas of scenario files and `banter.yaml`: committed under `schema/` and kept in
//! sync, a description on every field, every YAML file of the repository valid against its
//! schema (checked with an independent validator) and naming it in a modeline, and bad files
//! rejected by the schema as by the loader.

mod common;

use std::path::{Path, PathBuf};

use banter::{schema_text, SchemaKind};
use common::repo;

fn schema_file(kind: SchemaKind) -> PathBuf {
    repo().join(match kind {
        SchemaKind::Scenario => "schema/scenario.json",
        _ => "schema/config.json",
    })
}

fn validator(kind: SchemaKind) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(&schema_text(kind)).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// The schema's complaints about `text`, empty when it fits.
fn complaints(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let documents = banter::testing::yaml_documents(text).expect("YAML");
    documents
        .iter()
        .flat_map(|doc| {
            validator
                .iter_errors(doc)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for kind in [SchemaKind::Scenario, SchemaKind::Config] {
        let file = schema_file(kind);
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == schema_text(kind),
            "{} is out of date: run `cargo run -- schema {} > {}`",
            file.display(),
            if kind == SchemaKind::Scenario {
                "scenario"
            } else {
                "config"
            },
            file.strip_prefix(repo()).unwrap().display()
        );
    }
}

#[test]
fn every_field_has_a_description() {
    fn walk(value: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        if property.get("description").is_none() {
                            missing.push(format!("{at}/properties/{name}"));
                        }
                    }
                }
                for (key, child) in map {
                    walk(child, &format!("{at}/{key}"), missing);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), missing);
                }
            }
            _ => {}
        }
    }
    for kind in [SchemaKind::Scenario, SchemaKind::Config] {
        let schema = banter::schema(kind);
        let mut missing = Vec::new();
        walk(&schema, "#", &mut missing);
        assert!(
            missing.is_empty(),
            "{kind:?}: no description at {missing:#?}"
        );
        let definitions = schema["definitions"].as_object().unwrap();
        for (name, definition) in definitions {
            assert!(
                definition.get("description").is_some(),
                "{kind:?}: definition {name} has no description"
            );
        }
    }
}

/// YAML files of the repository that banter does not read: the examples of running
/// `banter simulate` in shards, as a GitHub Actions workflow and as a Kubernetes Job.
const NOT_BANTER: [&str; 2] = ["github-actions-simulate.yml", "k8s-indexed-job.yaml"];

/// The YAML files of the repository that banter reads (workflows aside: GitHub's, and the
/// one `banter init` writes, which tests/init.rs lints with actionlint).
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | "node_modules" | ".venv" | ".github" | "workflows"
            ) {
                yaml_files(&path, out);
            }
        } else if NOT_BANTER.contains(&name.as_str()) {
            continue;
        } else if name.ends_with(".yaml") || (name.ends_with(".yml") && name != "workflow.yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_in_the_repository_fits_its_schema_and_names_it() {
    let mut files = Vec::new();
    yaml_files(&repo(), &mut files);
    assert!(files.len() >= 18, "{files:?}");
    let (scenarios, configs) = (
        validator(SchemaKind::Scenario),
        validator(SchemaKind::Config),
    );
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // `banter init`'s templates name the schemas where the scaffold puts them.
        let template = file.starts_with(repo().join("src/init/templates"));
        let config = file.file_name().unwrap() == "banter.yaml"
            || file.starts_with(repo().join("src/init/templates/config"));
        let (kind, validator) = if config {
            (SchemaKind::Config, &configs)
        } else {
            (SchemaKind::Scenario, &scenarios)
        };
        let shown = file.strip_prefix(repo()).unwrap().display().to_string();
        let problems = complaints(validator, &text);
        assert!(problems.is_empty(), "{shown}: {problems:#?}");
        // The modeline names the committed schema, relative to the file.
        let first = text.lines().next().unwrap_or_default();
        let named = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{shown}: no yaml-language-server modeline: {first}"));
        if template {
            let expected = if config {
                "schema/config.json"
            } else {
                "../schema/scenario.json"
            };
            assert_eq!(named, expected, "{shown}");
        } else {
            let target = file.parent().unwrap().join(named);
            assert_eq!(
                std::fs::canonicalize(&target).ok(),
                std::fs::canonicalize(schema_file(kind)).ok(),
                "{shown}: the modeline names {named}"
            );
        }
        // The loader agrees.
        if config {
            banter::Config::load(file).unwrap_or_else(|e| panic!("{e}"));
        } else {
            banter::load_paths(&[file]).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Texts that both the schema and the loader must refuse.
const BAD_SCENARIOS: &[&str] = &[
    "name: a\nsteps: []\n",
    "steps: [{ user: hi }]\n",
    "name: a\nsteps: [{ user: hi, bot: { contians: x } }]\n",
    "name: a\nsteps: [{ user: 42 }]\n",
    "name: a\nsteps: [{ user: { quick_reply: A, postback: B } }]\n",
    "name: a\nsteps: [{ user: { any_of: [] } }]\n",
    "name: a\nsteps: [{ user: { utterances: x.txt, any_of: [hi] } }]\n",
    "name: a\nsteps: [{ user: { any_of: [{ webhook: replay }] } }]\n",
    "name: a\nsteps: [{ user: { webhook: forged } }]\n",
    "name: a\ncustomer: { consent: maybe }\nsteps: [{ user: hi }]\n",
    "name: a\ncustomer: { accounts: [{ type: brokerage }] }\nsteps: [{ user: hi }]\n",
    "name: a\nfaults: [{ path: /x, status: 1000 }]\nsteps: [{ user: hi }]\n",
    "name: a\nexamples: []\nsteps: [{ user: hi }]\n",
    "name: a\nexamples: [{ x: [1] }]\nsteps: [{ user: \"<x>\" }]\n",
    "name: a\nsteps: [{ include: x.yaml, wiht: { a: 1 } }]\n",
    "name: a\nprivacy: { allow: [{ kind: email }] }\nsteps: [{ user: hi }]\n",
];

const BAD_CONFIGS: &[&str] = &[
    "bot: { connector: rassa, url: http://x }\n",
    "bot: { url: http://x, model: gpt }\n",
    "seed: -1\n",
    "capture: { unknown: ignore }\n",
    "sinks: [{ name: braze }]\n",
    "bot: { url: http://x, replies: replies }\n",
    "privacy: { settle: soon }\n",
];

const GOOD_SCENARIOS: &[&str] = &[
    "name: a\nsteps: [{ user: { any_of: [hi, { quick_reply: Yes }] } }]\n",
    "name: a\nsteps: [{ user: { utterances: balance.txt } }]\n",
    "name: <x>\nexamples: [{ x: 1 }, { x: two }]\nsteps: [{ user: \"<x>\" }]\n",
    "- { user: hi }\n- { include: other.yaml, with: { account: savings } }\n",
    "- name: a\n  steps: [{ user: hi }]\n- name: b\n  steps: [{ user: { postback: X } }]\n",
];

#[test]
fn bad_files_are_refused_by_the_schema_as_by_the_loader() {
    let ws = common::Workspace::new();
    let scenarios = validator(SchemaKind::Scenario);
    for text in BAD_SCENARIOS {
        assert!(
            !complaints(&scenarios, text).is_empty(),
            "the schema accepts {text}"
        );
        ws.write("bad.yaml", text);
        assert!(
            banter::load_paths(&[ws.path().join("bad.yaml")]).is_err(),
            "the loader accepts {text}"
        );
    }
    let configs = validator(SchemaKind::Config);
    for text in BAD_CONFIGS {
        assert!(
            !complaints(&configs, text).is_empty(),
            "the schema accepts {text}"
        );
        ws.write("banter.yaml", text);
        assert!(
            banter::Config::load(&ws.path().join("banter.yaml")).is_err(),
            "the loader accepts {text}"
        );
    }
    for text in GOOD_SCENARIOS {
        let problems = complaints(&scenarios, text);
        assert!(problems.is_empty(), "{text}: {problems:#?}");
    }
}
