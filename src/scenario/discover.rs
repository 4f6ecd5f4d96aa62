//! Suite discovery: which `banter.yaml` a run uses when none is given.
//!
//! The rule, as test runners find their nearest config: start in the directory of each path
//! given (the path itself for a directory, its parent for a file), then try each parent in
//! turn, up to and including the current directory, never above it. A path outside the
//! current directory has only the current directory's. The first `banter.yaml` found is the
//! path's config. Every path of a run must find the same config (or none): mixing suites is
//! an error.

use std::path::{Path, PathBuf};

/// The name of the config file discovery looks for.
const CONFIG_FILE: &str = "banter.yaml";

/// The paths of a run belong to different configs.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} uses {} but {} uses {}: run them separately, or name one config with --config",
    first.display(), describe(first_config), second.display(), describe(second_config)
)]
pub struct MixedSuites {
    /// The first path.
    pub first: PathBuf,
    /// Its config.
    pub first_config: Option<PathBuf>,
    /// A path whose config differs.
    pub second: PathBuf,
    /// That config.
    pub second_config: Option<PathBuf>,
}

fn describe(config: &Option<PathBuf>) -> String {
    match config {
        Some(path) => path.display().to_string(),
        None => "no banter.yaml".into(),
    }
}

/// The config shared by `paths`, found by the rule above; `None` when none has one.
pub fn discover_config<P: AsRef<Path>>(paths: &[P]) -> Result<Option<PathBuf>, MixedSuites> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut found: Option<(&Path, Option<PathBuf>)> = None;
    for path in paths {
        let path = path.as_ref();
        let config = nearest(path, &cwd);
        match &found {
            None => found = Some((path, config)),
            Some((first, first_config)) if *first_config != config => {
                return Err(MixedSuites {
                    first: first.to_path_buf(),
                    first_config: first_config.clone(),
                    second: path.to_path_buf(),
                    second_config: config,
                })
            }
            Some(_) => {}
        }
    }
    Ok(found.and_then(|(_, config)| config))
}

/// The nearest `banter.yaml` of one path, named relative to `cwd` when inside it.
fn nearest(path: &Path, cwd: &Path) -> Option<PathBuf> {
    let path = cwd.join(path);
    let start = match path.parent() {
        Some(parent) if !path.is_dir() => parent,
        _ => &path,
    };
    // Walk the absolute, normalised path (so `..` and `.` resolve).
    let start = normalise(start);
    let mut dir = if start.starts_with(cwd) {
        start.as_path()
    } else {
        cwd
    };
    loop {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            let relative = candidate.strip_prefix(cwd).unwrap_or(&candidate);
            return Some(relative.to_path_buf());
        }
        if dir == cwd {
            return None;
        }
        dir = dir.parent()?;
    }
}

/// `path` without `.` and `..` components (lexically, as the user wrote it).
fn normalise(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in ["a/banter.yaml", "a/x.yaml", "a/sub/y.yaml", "b/z.yaml"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    #[test]
    fn the_nearest_config_of_a_directory_or_file_wins() {
        let dir = tree();
        let root = dir.path();
        let config = Some(PathBuf::from("a/banter.yaml"));
        assert_eq!(nearest(Path::new("a"), root), config);
        assert_eq!(nearest(Path::new("a/sub"), root), config);
        assert_eq!(nearest(Path::new("a/sub/y.yaml"), root), config);
        assert_eq!(nearest(Path::new("a/sub/../x.yaml"), root), config);
        assert_eq!(nearest(&root.join("a/sub"), root), config);
        assert_eq!(nearest(Path::new("b"), root), None);
    }

    #[test]
    fn the_search_stops_at_the_current_directory() {
        let dir = tree();
        let root = dir.path();
        std::fs::write(root.join("banter.yaml"), "").unwrap();
        assert_eq!(
            nearest(Path::new("b"), root),
            Some(PathBuf::from("banter.yaml"))
        );
        // With the current directory at b/, the search does not climb above it.
        let b = root.join("b");
        assert_eq!(nearest(Path::new("."), &b), None);
        // A path outside the current directory has the current directory's config only.
        assert_eq!(nearest(&root.join("a"), &b), None);
        let a = root.join("a");
        assert_eq!(
            nearest(&root.join("b"), &a),
            Some(PathBuf::from("banter.yaml"))
        );
    }
}
