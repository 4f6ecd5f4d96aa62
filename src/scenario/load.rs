//! Reading scenario files: YAML documents holding one scenario or a list, with errors at `file:line:column`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{depth, include, variants, Origin, Scenario};

/// A scenario file could not be used. The message always names the file, and the line and column when known.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file or directory could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A path named a FIFO, a device or a socket, which could block or never end.
    #[error("{}: {kind}, not a regular file or directory", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead, e.g. "a FIFO".
        kind: &'static str,
    },
    /// The YAML is malformed or does not fit the format.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, with a "did you mean" where one fits.
        message: String,
    },
    /// A `banter.yaml` setting that parses but does not fit the rest of the config.
    #[error("{}: {source}", path.display())]
    Setting {
        /// The config file.
        path: PathBuf,
        /// The key and what is wrong with it.
        source: super::config::BotConfigError,
    },
    /// Two scenarios share a name, which must be unique because it seeds the customer.
    #[error("{}:{line}: duplicate scenario name `{name}` (first defined at {first})", path.display())]
    DuplicateName {
        /// The second file.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// The repeated name.
        name: String,
        /// `file:line` of the first.
        first: String,
    },
    /// No scenario files were found.
    #[error("{}: no scenario files (*.yaml, *.yml) found", path.display())]
    Empty {
        /// The path searched.
        path: PathBuf,
    },
}

/// Loads every scenario under `paths` (files, or directories searched recursively for `*.yaml`/`*.yml`), sorted by path.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let before = files.len();
        collect_files(path, &mut files)?;
        if files.len() == before {
            return Err(ScenarioError::Empty {
                path: path.to_path_buf(),
            });
        }
    }
    let mut scenarios = Vec::new();
    for file in &files {
        let text = read_regular(file)?;
        scenarios.extend(parse_str(file, &text)?);
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for s in &scenarios {
        let here = format!("{}:{}", s.origin.file.display(), s.origin.line);
        if let Some(first) = seen.insert(s.name.clone(), here.clone()) {
            return Err(ScenarioError::DuplicateName {
                path: s.origin.file.clone(),
                line: s.origin.line,
                name: s.name.clone(),
                first,
            });
        }
    }
    Ok(scenarios)
}

/// The text of a file that must be a regular file (a FIFO or a device would block or never end).
pub(super) fn read_regular(path: &Path) -> Result<String, ScenarioError> {
    let read_err = |source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_file() {
        return Err(not_a_file(path, &meta));
    }
    std::fs::read_to_string(path).map_err(read_err)
}

fn not_a_file(path: &Path, meta: &std::fs::Metadata) -> ScenarioError {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    let kind = if meta.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    };
    ScenarioError::NotAFile {
        path: path.to_path_buf(),
        kind,
    }
}

/// Collects the scenario files of `path`: a regular file named directly, or the `*.yaml` and
/// `*.yml` regular files of a directory, recursively. Anything else named directly is an error;
/// found in a directory, it is skipped with a note on stderr.
fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    let read_err = |source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !meta.is_dir() {
        return Err(not_a_file(path, &meta));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let meta = match std::fs::metadata(&entry) {
            Ok(meta) => meta,
            Err(source) if is_scenario_file(&entry) => {
                return Err(ScenarioError::Read {
                    path: entry,
                    source,
                })
            }
            Err(_) => continue,
        };
        if meta.is_dir() {
            // A directory with its own banter.yaml is a suite of its own: run it by naming it.
            if !entry.join("banter.yaml").is_file() {
                collect_files(&entry, out)?;
            }
        } else if is_scenario_file(&entry) {
            if meta.is_file() {
                out.push(entry);
            } else {
                eprintln!("note: skipping {}", not_a_file(&entry, &meta));
            }
        }
    }
    Ok(())
}

/// A `*.yaml` or `*.yml` file found in a directory, other than a `banter.yaml` config kept
/// beside its scenarios.
fn is_scenario_file(path: &Path) -> bool {
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let config = matches!(path.file_stem().and_then(|s| s.to_str()), Some("banter"));
    yaml && !config
}

/// Parses the scenarios of one file. Each YAML document holds a scenario or a list of them.
pub(crate) fn parse_str(path: &Path, text: &str) -> Result<Vec<Scenario>, ScenarioError> {
    check_depth(path, text)?;
    // First pass: the shape of each document (mapping or list) and where its items start.
    let mut shapes = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value = serde_yaml::Value::deserialize(doc).map_err(|e| invalid(path, &e))?;
        shapes.push(value);
    }
    if let [document] = &shapes[..] {
        if include::is_steps_file(document) {
            return Ok(Vec::new());
        }
    }
    let starts = item_lines(text);
    // Each scenario as typed (located errors) and as written (for expanding variants and
    // examples). A document holding an outline whose placeholders make it unreadable as
    // written is read from its items as written instead; expansion then locates the errors
    // of its test cases at the scenario's line.
    let mut read: Vec<(Option<Scenario>, serde_yaml::Value)> = Vec::new();
    for (doc, shape) in serde_yaml::Deserializer::from_str(text).zip(shapes) {
        let (typed, items) = match shape {
            serde_yaml::Value::Null => continue,
            serde_yaml::Value::Sequence(items) => (Vec::<Scenario>::deserialize(doc), items),
            written => (Scenario::deserialize(doc).map(|s| vec![s]), vec![written]),
        };
        match typed {
            Ok(typed) => read.extend(typed.into_iter().map(Some).zip(items)),
            Err(e) if variants::placeholder_error(&e.to_string(), error_line(text, &e), &items) => {
                read.extend(items.into_iter().map(|written| (None, written)));
            }
            Err(e) => return Err(invalid(path, &e)),
        }
    }
    if read.is_empty() {
        return Err(ScenarioError::Invalid {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "the file holds no scenario".into(),
        });
    }
    let mut scenarios = Vec::with_capacity(read.len());
    let includes = include::positions(text, "include");
    let utterances = include::positions(text, "utterances");
    let mut utterances_met = 0;
    let mut splicer = include::Splicer {
        path,
        positions: &includes,
        next: 0,
        chain: Vec::new(),
    };
    for (i, (mut typed, mut written)) in read.into_iter().enumerate() {
        let origin = Origin {
            file: path.to_path_buf(),
            line: starts.get(i).copied().unwrap_or(1),
        };
        if let Some(serde_yaml::Value::Sequence(steps)) = written.get_mut("steps") {
            let places = utterances.get(utterances_met..).unwrap_or_default();
            let inlined = variants::inline_utterances(path, places, steps)?;
            utterances_met += inlined;
            if splicer.splice(steps)? || inlined > 0 {
                // The typed pass left the includes and utterance files out: read the
                // scenario again, as spliced.
                typed = None;
            }
        }
        scenarios.extend(variants::expand(path, origin, typed, &written)?);
    }
    Ok(scenarios)
}

/// The YAML documents of `text` as JSON values (for checking files against the JSON Schemas).
pub fn yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let value = serde_yaml::Value::deserialize(doc).map_err(|e| e.to_string())?;
            serde_json::to_value(value).map_err(|e| e.to_string())
        })
        .collect()
}

/// The text of the line an error points at (empty when it points nowhere).
fn error_line<'t>(text: &'t str, err: &serde_yaml::Error) -> &'t str {
    err.location()
        .and_then(|l| text.lines().nth(l.line().saturating_sub(1)))
        .unwrap_or("")
}

/// The 1-based lines where scenarios start: each `name:` key at the shallowest indentation that has one.
fn item_lines(text: &str) -> Vec<usize> {
    let names: Vec<(usize, usize)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let trimmed = line.trim_start_matches([' ', '-']);
            trimmed
                .starts_with("name:")
                .then(|| (i + 1, line.len() - trimmed.len()))
        })
        .collect();
    let depth = names.iter().map(|&(_, d)| d).min().unwrap_or(0);
    names
        .into_iter()
        .filter(|&(_, d)| d == depth)
        .map(|(l, _)| l)
        .collect()
}

/// Refuses YAML nested deeper than [`depth::MAX_DEPTH`] before the parser sees it.
pub(super) fn check_depth(path: &Path, text: &str) -> Result<(), ScenarioError> {
    match depth::too_deep(text) {
        Some((line, column)) => Err(ScenarioError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("nested deeper than {} levels", depth::MAX_DEPTH),
        }),
        None => Ok(()),
    }
}

pub(super) fn invalid(path: &Path, err: &serde_yaml::Error) -> ScenarioError {
    let (line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let mut message = err.to_string();
    if let Some(stripped) = message.strip_suffix(&format!(" at line {line} column {column}")) {
        message = stripped.to_string();
    }
    ScenarioError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message: hinted(message),
    }
}

/// The message with a "did you mean" for an unknown field or variant, when one is close.
pub(super) fn hinted(mut message: String) -> String {
    if let Some(hint) = did_you_mean(&message) {
        message.push_str(&format!(" (did you mean `{hint}`?)"));
    }
    message
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or variant), the closest expected word.
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message
        .split_once("unknown field `")
        .or_else(|| message.split_once("unknown variant `"))?
        .1;
    let (given, expected) = rest.split_once('`')?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(given, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Action, UserInput, WebhookCheck};

    fn parse(text: &str) -> Result<Vec<Scenario>, ScenarioError> {
        parse_str(Path::new("t.yaml"), text)
    }

    #[test]
    fn one_scenario_or_a_list() {
        let one = parse("name: a\nsteps:\n  - user: hi\n").unwrap();
        assert_eq!(one.len(), 1);
        let list =
            parse("- name: a\n  steps: [{user: hi}]\n- name: b\n  steps: [{user: yo}]\n").unwrap();
        assert_eq!(
            list.iter().map(|s| s.origin.line).collect::<Vec<_>>(),
            vec![1, 3]
        );
    }

    #[test]
    fn unknown_key_names_line_column_and_suggestion() {
        let err = parse("name: a\nsteps:\n  - user: hi\n    bot: { contain: hello }\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.yaml:4:"), "{err}");
        assert!(err.contains("did you mean `contains`"), "{err}");
    }

    #[test]
    fn bad_values_are_located() {
        let err = parse("name: a\nsteps:\n  - user: hi\n    bank: { called: [\"/no/method\"] }\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t.yaml:4:"), "{err}");
        assert!(err.contains("METHOD /path"), "{err}");
        let err = parse("name: a\ncustomer: { consent: grantd }\nsteps: []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `granted`"), "{err}");
    }

    #[test]
    fn a_fault_status_outside_100_to_999_is_located() {
        let err = parse(
            "name: a\nfaults:\n  - { path: \"/fdx/**\", status: 1000 }\nsteps: [{user: hi}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("t.yaml:3:32: faults[0].status: invalid HTTP status 1000"),
            "{err}"
        );
        assert!(
            parse("name: a\nfaults: [{ path: /x, status: 99 }]\nsteps: [{user: hi}]\n").is_err()
        );
        assert!(
            parse("name: a\nfaults: [{ path: /x, status: 599 }]\nsteps: [{user: hi}]\n").is_ok()
        );
    }

    #[test]
    fn a_scenario_without_steps_is_located() {
        let err = parse("name: a\nsteps: []\n").unwrap_err().to_string();
        assert_eq!(err, "t.yaml:2:8: steps: a scenario needs at least one step");
    }

    #[test]
    fn a_template_syntax_error_in_user_text_is_named_and_located() {
        let err = parse("name: a\nsteps:\n  - user: \"hi {{ customer.first_name\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "t.yaml:3:11: steps[0].user: template `hi {{ customer.first_name`: syntax error"
            ),
            "{err}"
        );
        assert!(!err.contains("untagged"), "{err}");
        let err = parse("name: a\nsteps:\n  - user: 42\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected text, `{ quick_reply: TITLE }`"),
            "{err}"
        );
    }

    #[test]
    fn user_steps_are_messages_or_webhook_checks() {
        let ok = parse("name: a\nsteps:\n  - user: { quick_reply: Balance }\n  - user: { postback: ADVISOR }\n  - user: { webhook: replay }\n").unwrap();
        let actions: Vec<_> = ok[0].steps.iter().map(|s| &s.action).collect();
        assert!(
            matches!(
                actions[..],
                [
                    Action::Message(UserInput::QuickReply(_)),
                    Action::Message(UserInput::Postback(_)),
                    Action::Webhook(WebhookCheck::Replay)
                ]
            ),
            "{actions:?}"
        );
        let both = parse("name: a\nsteps:\n  - user: { quick_reply: A, postback: B }\n")
            .unwrap_err()
            .to_string();
        assert!(both.starts_with("t.yaml:3:"), "{both}");
    }
}
