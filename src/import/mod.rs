//! `banter import`: converts other tools' test scripts into banter scenarios, and says what
//! it could not convert, line by line. One format so far: BotiumScript text files.

mod botium;

use std::path::{Path, PathBuf};

/// A line (or a whole file) that was not converted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The source file.
    pub file: PathBuf,
    /// Its 1-based line, when the note is about one.
    pub line: Option<usize>,
    /// The line as written (empty for a whole file).
    pub text: String,
    /// Why it was not converted.
    pub why: String,
}

impl Note {
    fn file(path: &Path, why: &str) -> Note {
        Note {
            file: path.to_path_buf(),
            line: None,
            text: String::new(),
            why: why.into(),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: `{}`: {}",
                self.file.display(),
                self.text,
                self.why
            ),
            None => write!(f, "{}: {}", self.file.display(), self.why),
        }
    }
}

/// What an import made: the files (source, target, text) and the notes.
#[derive(Debug)]
pub struct Imported {
    /// Each converted file: where it came from, where it goes, and its text.
    pub files: Vec<(PathBuf, PathBuf, String)>,
    /// What was not converted.
    pub notes: Vec<Note>,
}

/// Why an import could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A path could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No convo or partial convo was found.
    #[error("no BotiumScript convo (.convo.txt, .pconvo.txt) found in {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Nothing(Vec<PathBuf>),
    /// An output file exists already; nothing was written.
    #[error("{}: already exists; banter import writes no file over another (nothing was written)", .0.display())]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Converts the BotiumScript files under `paths` into scenarios (and steps files under
/// `steps/`) in `out`, writing nothing when any target exists.
pub fn import_botium(paths: &[PathBuf], out: &Path) -> Result<Imported, ImportError> {
    let imported = botium::convert(paths, out)?;
    if let Some((_, target, _)) = imported
        .files
        .iter()
        .find(|(_, target, _)| target.symlink_metadata().is_ok())
    {
        return Err(ImportError::Exists(target.clone()));
    }
    for (_, target, text) in &imported.files {
        let write = || {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, text)
        };
        write().map_err(|source| ImportError::Write {
            path: target.clone(),
            source,
        })?;
    }
    Ok(imported)
}
