//! `banter init`: scaffolds a project for one connector: a commented `banter.yaml`, three
//! starter scenarios, the JSON Schemas their modelines name, and a GitHub Actions workflow
//! that runs the suite in shards and merges the reports. It never overwrites a file.

use std::path::{Path, PathBuf};

use crate::schema::{schema_text, SchemaKind};

/// The connectors `banter init` has a `banter.yaml` for, and that file.
const CONFIGS: &[(&str, &str)] = &[
    ("http", include_str!("templates/config/http.yaml")),
    ("messenger", include_str!("templates/config/messenger.yaml")),
    ("rasa", include_str!("templates/config/rasa.yaml")),
    ("openai", include_str!("templates/config/openai.yaml")),
    ("stdio", include_str!("templates/config/stdio.yaml")),
    (
        "botframework",
        include_str!("templates/config/botframework.yaml"),
    ),
];

/// The starter scenarios, the same for every connector.
const SCENARIOS: &[(&str, &str)] = &[
    (
        "scenarios/greeting.yaml",
        include_str!("templates/scenarios/greeting.yaml"),
    ),
    (
        "scenarios/balance.yaml",
        include_str!("templates/scenarios/balance.yaml"),
    ),
    (
        "scenarios/no_linked_account.yaml",
        include_str!("templates/scenarios/no_linked_account.yaml"),
    ),
];

/// The CI workflow.
const WORKFLOW: (&str, &str) = (
    ".github/workflows/banter.yml",
    include_str!("templates/workflow.yml"),
);

/// The names `--connector` takes.
pub fn connectors() -> impl Iterator<Item = &'static str> {
    CONFIGS.iter().map(|(name, _)| *name)
}

/// Why a project could not be scaffolded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The connector has no template.
    #[error("unknown connector `{0}`: expected one of {list}", list = connectors().collect::<Vec<_>>().join(", "))]
    UnknownConnector(String),
    /// A file to write exists already; nothing was written.
    #[error("{}: already exists; banter init writes no file over another (nothing was written)", .0.display())]
    Exists(PathBuf),
    /// A file or directory could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Writes the project for `connector` into `dir` (made when missing) and returns the files
/// written, in order. Refuses, before writing anything, when any of them exists.
pub fn init(dir: &Path, connector: &str) -> Result<Vec<PathBuf>, InitError> {
    let config = CONFIGS
        .iter()
        .find(|(name, _)| *name == connector)
        .map(|(_, text)| *text)
        .ok_or_else(|| InitError::UnknownConnector(connector.to_string()))?;
    let schemas = [
        ("schema/scenario.json", schema_text(SchemaKind::Scenario)),
        ("schema/config.json", schema_text(SchemaKind::Config)),
    ];
    let mut files: Vec<(PathBuf, String)> = vec![(dir.join("banter.yaml"), config.to_string())];
    files.extend(
        SCENARIOS
            .iter()
            .chain([&WORKFLOW])
            .map(|(name, text)| (dir.join(name), text.to_string())),
    );
    files.extend(schemas.map(|(name, text)| (dir.join(name), text)));
    if let Some((path, _)) = files
        .iter()
        .find(|(path, _)| path.symlink_metadata().is_ok())
    {
        return Err(InitError::Exists(path.clone()));
    }
    let mut written = Vec::with_capacity(files.len());
    for (path, text) in files {
        let write = |path: &Path| {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // `create_new`: a file that appeared since the check is not overwritten either.
            use std::io::Write;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?
                .write_all(text.as_bytes())
        };
        write(&path).map_err(|source| InitError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
