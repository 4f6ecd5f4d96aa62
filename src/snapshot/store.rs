//! Snapshot files: a stable file name per scenario, and checking a rendered transcript against
//! its snapshot in insta's `.snap` format (pending changes as `.snap.new`, which
//! `cargo insta review` and `cargo insta accept` understand) in local, CI or accept mode.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use insta::internals::TextSnapshotContents;
use insta::TextSnapshotKind;
use sha2::{Digest, Sha256};

/// The longest slug before the hash suffix.
const MAX_SLUG: usize = 80;

/// The snapshot file of a scenario: its name lowercased with every run of other characters
/// as one `_`, trimmed, at most 80 characters, then `.snap`. When that loses more than case
/// and the spelling of single separators (space, `-`, `_`), 8 hex characters of the name's
/// SHA-256 are appended, so the slug never hides a difference of content. Names that differ
/// only in case or separators share a file, which [`SnapshotStore::check`] reports.
pub fn file_name(scenario_name: &str) -> String {
    let mut slug = String::new();
    for c in scenario_name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !(slug.is_empty() || slug.ends_with('_')) {
            slug.push('_');
        }
    }
    slug.truncate(MAX_SLUG); // ASCII only, so any length is a char boundary
    let slug = slug.trim_end_matches('_');
    let lossless = !slug.is_empty()
        && slug.len() == scenario_name.len()
        && scenario_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'));
    if lossless {
        return format!("{slug}.snap");
    }
    let digest = Sha256::digest(scenario_name.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    match slug {
        "" => format!("{hash}.snap"),
        slug => format!("{slug}_{hash}.snap"),
    }
}

/// What a check does when the contents are new or differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// A missing snapshot is created; a differing one is left alone beside a `.snap.new`.
    Local,
    /// Nothing is created: a missing or differing snapshot gets a `.snap.new` for review.
    Ci,
    /// Every snapshot is written as it is now.
    Accept,
}

/// The result of checking one scenario's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The snapshot holds the same contents.
    Matched,
    /// Local mode, no snapshot yet: written as the new snapshot (`.snap`), reported.
    Created { path: PathBuf },
    /// Accept mode: the snapshot was written or overwritten; a stale `.snap.new` removed.
    Accepted { path: PathBuf },
    /// CI mode, no snapshot: a failure. Also writes `.snap.new` so it can be reviewed.
    Missing { path: PathBuf, new_path: PathBuf },
    /// The contents differ: `.snap.new` written beside it; `diff` is a unified line diff,
    /// expected (old) vs actual (new), with `-`/`+` markers and 3 lines of context.
    Changed {
        path: PathBuf,
        new_path: PathBuf,
        diff: String,
    },
}

/// A snapshot could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading, writing or removing a snapshot file failed.
    #[error("cannot {action} snapshot {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// An existing snapshot is not a text snapshot that insta can read.
    #[error("snapshot {} is corrupt ({reason}); run with --accept to write it again from the current transcript", path.display())]
    Unreadable { path: PathBuf, reason: String },
    /// Two scenarios checked against one store map to the same file.
    #[error("scenarios `{first}` and `{second}` share the snapshot file {}; rename one", path.display())]
    Collision {
        path: PathBuf,
        first: String,
        second: String,
    },
}

/// The snapshots of a run, in one directory.
#[derive(Debug)]
pub struct SnapshotStore {
    dir: PathBuf,
    mode: Mode,
    /// The scenario each checked file belongs to, to catch names that share a file.
    owners: Mutex<HashMap<PathBuf, String>>,
}

impl SnapshotStore {
    /// A store of `.snap` files in `dir` (created when a file is written).
    pub fn new(dir: impl Into<PathBuf>, mode: Mode) -> SnapshotStore {
        SnapshotStore {
            dir: dir.into(),
            mode,
            owners: Mutex::default(),
        }
    }

    /// The `.snap` file of `scenario_name`.
    pub fn path_of(&self, scenario_name: &str) -> PathBuf {
        self.dir.join(file_name(scenario_name))
    }

    /// Checks `contents` (a rendered transcript) against the snapshot of `scenario_name`,
    /// recording `source` (the scenario file) in the snapshot's metadata. Contents compare as
    /// insta compares them: trailing whitespace and CRLF line ends do not count.
    pub fn check(
        &self,
        scenario_name: &str,
        source: &str,
        contents: &str,
    ) -> Result<Outcome, SnapshotError> {
        let path = self.path_of(scenario_name);
        self.claim(&path, scenario_name)?;
        let new_path = path.with_extension("snap.new");
        let new =
            TextSnapshotContents::new(contents.to_string(), TextSnapshotKind::File).to_string();
        let file = format!(
            "---\nsource: {}\nexpression: {}\n---\n{new}\n",
            yaml_string(source),
            yaml_string(scenario_name)
        );
        if self.mode == Mode::Accept {
            write(&path, &file)?;
            remove_stale(&new_path)?;
            return Ok(Outcome::Accepted { path });
        }
        Ok(match read(&path)? {
            None if self.mode == Mode::Local => {
                write(&path, &file)?;
                remove_stale(&new_path)?;
                Outcome::Created { path }
            }
            None => {
                write(&new_path, &file)?;
                Outcome::Missing { path, new_path }
            }
            Some(old) if old == new => {
                remove_stale(&new_path)?;
                Outcome::Matched
            }
            Some(old) => {
                write(&new_path, &file)?;
                let diff = similar::TextDiff::from_lines(&(old + "\n"), &(new + "\n"))
                    .unified_diff()
                    .context_radius(3)
                    .header(&path.display().to_string(), &new_path.display().to_string())
                    .to_string();
                Outcome::Changed {
                    path,
                    new_path,
                    diff,
                }
            }
        })
    }

    /// Records that `path` belongs to `name`, unless another scenario has it already.
    fn claim(&self, path: &Path, name: &str) -> Result<(), SnapshotError> {
        let mut owners = crate::sync::lock(&self.owners);
        let first = owners
            .entry(path.to_path_buf())
            .or_insert_with(|| name.to_string());
        if first == name {
            return Ok(());
        }
        Err(SnapshotError::Collision {
            path: path.to_path_buf(),
            first: first.clone(),
            second: name.to_string(),
        })
    }
}

/// A snapshot's contents as insta reads and normalises them; None if there is no file.
fn read(path: &Path) -> Result<Option<String>, SnapshotError> {
    let io_error = |source| SnapshotError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    if !path.try_exists().map_err(io_error)? {
        return Ok(None);
    }
    // Without front matter insta falls back to its legacy format, with advice that does not
    // apply here: banter only ever writes front matter, so such a file is corrupt.
    let text = std::fs::read(path).map_err(io_error)?;
    let mut lines = text
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    if lines.next() != Some(b"---") || !lines.any(|l| l == b"---") {
        return Err(SnapshotError::Unreadable {
            path: path.to_path_buf(),
            reason: "no `---` front matter".into(),
        });
    }
    // insta's front-matter parser panics on some malformed values (`x: .inf`); a broken file
    // is an error to report, not a reason to abort the run.
    let parsed = std::panic::catch_unwind(|| match insta::Snapshot::from_file(path) {
        Ok(snapshot) => snapshot
            .as_text()
            .map(ToString::to_string)
            .ok_or_else(|| "not a text snapshot".to_string()),
        Err(e) => Err(e.to_string()),
    });
    let reason = match parsed {
        Ok(Ok(contents)) => return Ok(Some(contents)),
        Ok(Err(reason)) => reason,
        Err(_) => "malformed front matter".to_string(),
    };
    Err(SnapshotError::Unreadable {
        path: path.to_path_buf(),
        reason,
    })
}

fn write(path: &Path, contents: &str) -> Result<(), SnapshotError> {
    path.parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, contents))
        .map_err(|source| SnapshotError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
}

/// Removes a pending `.snap.new`, if there is one.
fn remove_stale(path: &Path) -> Result<(), SnapshotError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(SnapshotError::Io {
            action: "remove",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// `text` as a YAML scalar the way insta writes its metadata: plain when that reads back
/// unchanged, else double-quoted with JSON-style escapes. Control characters always quote.
fn yaml_string(text: &str) -> String {
    let plain = !(text.is_empty()
        || text.starts_with(' ')
        || text.ends_with(' ')
        || text.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@', '.'])
        || text.starts_with("0x")
        || text.contains([':', '{', '}', '[', ']', ',', '#', '`', '"', '\'', '\\'])
        || text.contains(char::is_control)
        || [
            "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE",
            "false", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ]
        .contains(&text)
        || text.parse::<i64>().is_ok()
        || text.parse::<f64>().is_ok());
    if plain {
        return text.to_string();
    }
    // JSON strings are YAML double-quoted scalars; insta also escapes DEL.
    serde_json::Value::from(text)
        .to_string()
        .replace('\x7f', "\\u007f")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn file_names_are_stable_slugs() {
        let long = "word ".repeat(30);
        let cases = [
            ("Balance after opt-in", "balance_after_opt_in.snap"),
            ("balance_after_opt_in", "balance_after_opt_in.snap"),
            ("Greeting", "greeting.snap"),
            ("Café: 50% off!", "caf_50_off_"),
            ("  padded  ", "padded_"),
            ("a  b", "a_b_"),
            ("", ""),
            ("!!!", ""),
            (long.as_str(), "word_word"),
        ];
        for (name, expected) in cases {
            let file = file_name(name);
            assert!(file.starts_with(expected), "{name:?} → {file}");
            let stem = file.strip_suffix(".snap").unwrap();
            assert!(stem.len() <= MAX_SLUG + 9, "{file}");
            assert!(stem
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            assert!(!stem.contains("__") && !stem.starts_with('_') && !stem.ends_with('_'));
            let hashed = !expected.ends_with(".snap");
            assert_eq!(
                stem.len() >= 8
                    && stem[stem.len() - 8..]
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit()),
                hashed,
                "{file}"
            );
        }
        // Lossy names that slug alike stay apart.
        let names = ["Café", "Cafè", "caf!", "a  b", "a   b", "", "!", "?"];
        let files: std::collections::HashSet<_> = names.iter().map(|n| file_name(n)).collect();
        assert_eq!(files.len(), names.len());
        assert_eq!(file_name(&long), file_name(&long), "stable");
        assert_ne!(file_name(&long), file_name(&(long.clone() + "x")));
    }

    #[test]
    fn store_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (name, source) = ("Balance after opt-in", "scenarios/balance.yaml");
        let path = dir.path().join("balance_after_opt_in.snap");
        let new_path = dir.path().join("balance_after_opt_in.snap.new");
        let local = SnapshotStore::new(dir.path(), Mode::Local);
        let old = "- user: hi\n  bot:\n  - hello\n  - old line\n  - bye\n";

        assert_eq!(
            local.check(name, source, old).unwrap(),
            Outcome::Created { path: path.clone() }
        );
        assert_eq!(
            text_of(&path),
            "---\nsource: scenarios/balance.yaml\nexpression: Balance after opt-in\n---\n\
             - user: hi\n  bot:\n  - hello\n  - old line\n  - bye\n"
        );
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snapshot.metadata().expression(), Some(name));
        assert_eq!(snapshot.metadata().source(), Some(source));
        // Trailing whitespace does not count, as in insta.
        assert_eq!(
            local.check(name, source, &format!("{old}\n\n")).unwrap(),
            Outcome::Matched
        );

        let new = old.replace("old line", "new line");
        let Outcome::Changed {
            path: p,
            new_path: np,
            diff,
        } = local.check(name, source, &new).unwrap()
        else {
            panic!("expected Changed");
        };
        assert_eq!((p, &np), (path.clone(), &new_path));
        assert!(diff.contains("\n-  - old line\n+  - new line\n"), "{diff}");
        assert!(diff.contains("@@ -1,5 +1,5 @@\n"), "{diff}");
        let pending = insta::Snapshot::from_file(&new_path).unwrap();
        assert_eq!(pending.as_text().unwrap().to_string(), new.trim_end());
        assert_eq!(
            text_of(&path).matches("old line").count(),
            1,
            "the snapshot is untouched"
        );
        // Back to the old contents: matched, and the stale `.snap.new` is gone.
        assert_eq!(local.check(name, source, old).unwrap(), Outcome::Matched);
        assert!(!new_path.exists());

        local.check(name, source, &new).unwrap();
        let accept = SnapshotStore::new(dir.path(), Mode::Accept);
        assert_eq!(
            accept.check(name, source, &new).unwrap(),
            Outcome::Accepted { path: path.clone() }
        );
        assert!(!new_path.exists());
        assert!(text_of(&path).contains("new line"));
        assert_eq!(local.check(name, source, &new).unwrap(), Outcome::Matched);

        let ci = SnapshotStore::new(dir.path().join("ci"), Mode::Ci);
        let Outcome::Missing { path, new_path } = ci.check(name, source, &new).unwrap() else {
            panic!("expected Missing");
        };
        assert!(!path.exists());
        assert_eq!(
            insta::Snapshot::from_file(&new_path)
                .unwrap()
                .metadata()
                .expression(),
            Some(name)
        );
    }

    #[test]
    fn metadata_reads_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore::new(dir.path(), Mode::Accept);
        let names = [
            "Balance: \"quoted\" #1",
            " lead",
            "trail ",
            "- dash",
            "true",
            "null",
            "~",
            "123",
            "1.5",
            "inf",
            "0x1f",
            ".hidden",
            "it's",
            "back\\slash",
            "tab\there",
            "new\nline",
            "bell\x07",
            "del\x7f",
            "émoji 🎉",
            "50% off",
            "[x]",
            "{y}",
            "a,b",
            "`code`",
        ];
        for name in names {
            let Outcome::Accepted { path } = store.check(name, "dir/my file.yaml", "body").unwrap()
            else {
                panic!("expected Accepted");
            };
            let snapshot = insta::Snapshot::from_file(&path).unwrap();
            assert_eq!(snapshot.metadata().expression(), Some(name));
            assert_eq!(snapshot.metadata().source(), Some("dir/my file.yaml"));
            assert_eq!(snapshot.as_text().unwrap().to_string(), "body");
        }
        assert_eq!(
            yaml_string("Balance: \"quoted\""),
            r#""Balance: \"quoted\"""#
        );
        assert_eq!(yaml_string("plain words"), "plain words");
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore::new(dir.path(), Mode::Local);
        let path = dir.path().join("broken.snap");
        for broken in [
            "---\nexpression: [unclosed\n---\nbody\n",
            "---\nexpression: .inf\n---\nbody\n",
            "garbage\x00\x01 not a snapshot\n",
            "---\nexpression: x\nbody without the closing line\n",
        ] {
            std::fs::write(&path, broken).unwrap();
            let err = store.check("broken", "s.yaml", "body").unwrap_err();
            assert!(
                matches!(&err, SnapshotError::Unreadable { path: p, .. } if *p == path),
                "{err}"
            );
            let message = err.to_string();
            assert!(message.contains("broken.snap is corrupt ("), "{err}");
            assert!(
                message
                    .ends_with("run with --accept to write it again from the current transcript"),
                "{err}"
            );
            assert!(!message.contains("legacy"), "{err}");
        }
        let blocked = SnapshotStore::new(path.join("sub"), Mode::Accept);
        let err = blocked.check("x", "s.yaml", "body").unwrap_err();
        assert!(
            matches!(
                err,
                SnapshotError::Io {
                    action: "write",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("x.snap"), "{err}");

        store.check("Opt-in", "a.yaml", "one").unwrap();
        let err = store.check("opt in", "b.yaml", "two").unwrap_err();
        assert!(matches!(err, SnapshotError::Collision { .. }), "{err}");
        assert!(err.to_string().contains("`Opt-in` and `opt in`"), "{err}");
        assert_eq!(
            store.check("Opt-in", "a.yaml", "one").unwrap(),
            Outcome::Matched
        );
    }

    /// Snapshot files made of front-matter and YAML pieces, as a corrupted or hand-edited
    /// snapshot may be.
    fn snapshot_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("---\n".to_string()),
            Just("source: a.yaml\n".to_string()),
            Just("expression: x\n".to_string()),
            Just("x: .inf\n".to_string()),
            Just("snapshot_kind: binary\n".to_string()),
            Just("- user: hi\n".to_string()),
            Just("\r\n".to_string()),
            Just("[{".to_string()),
            "[ -~\n]{0,16}",
            any::<String>().prop_map(|s| s.chars().take(16).collect()),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|p| p.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// The snapshot reader never panics: a file is read, or reported unreadable.
        #[test]
        fn the_snapshot_reader_never_panics(text in snapshot_text()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.snap");
            std::fs::write(&path, &text).unwrap();
            match read(&path) {
                Ok(contents) => proptest::prop_assert!(contents.is_some()),
                Err(SnapshotError::Unreadable { .. }) => {}
                Err(e) => proptest::prop_assert!(false, "{e}"),
            }
        }
    }
}
