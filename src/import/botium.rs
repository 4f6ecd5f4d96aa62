//! BotiumScript text files (`.convo.txt`, `.pconvo.txt`, `.utterances.txt`) converted into
//! banter scenarios and steps files, with every line that has no banter equivalent reported.
//!
//! A convo becomes a scenario; a partial convo a steps file under `steps/`, which `#include`
//! (and `INCLUDE` in `#begin`/`#end`) includes; an utterance list referenced in `#me` becomes
//! `any_of` (one test case per utterance) and in `#bot` `contains_any`. In `#bot`, text is
//! `contains` (`!text` `not_contains`, `*` wildcards a `matches` regex), `BUTTONS a|b`
//! `quick_replies`, and the `TEXT_*` asserters their matchers; `#me` `BUTTON payload` is a
//! postback. The output is YAML text written here, every string a JSON-quoted scalar.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{ImportError, Imported, Note};

/// What a BotiumScript file is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Convo,
    Partial,
    Utterances,
}

impl Kind {
    fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".pconvo.txt") {
            Some(Kind::Partial)
        } else if name.ends_with(".convo.txt") {
            Some(Kind::Convo)
        } else if name.ends_with(".utterances.txt") {
            Some(Kind::Utterances)
        } else {
            None
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Convo => ".convo.txt",
            Kind::Partial => ".pconvo.txt",
            Kind::Utterances => ".utterances.txt",
        }
    }
}

/// One line of a file, with its 1-based number.
#[derive(Debug, Clone)]
struct Line {
    number: usize,
    text: String,
}

/// A `#me`, `#bot`, `#begin` or `#end` section, or an `#include`.
#[derive(Debug)]
enum Section {
    Me(Vec<Line>),
    Bot(Vec<Line>),
    Begin(Vec<Line>),
    End(Vec<Line>),
    Include(Line),
}

/// A read BotiumScript file.
struct Script {
    path: PathBuf,
    kind: Kind,
    name: String,
    description: Vec<String>,
    sections: Vec<Section>,
    /// For an utterances file: the utterances.
    utterances: Vec<String>,
}

/// Converts the BotiumScript files under `paths` (files, or directories searched
/// recursively) into files under `out`.
pub fn convert(paths: &[PathBuf], out: &Path) -> Result<Imported, ImportError> {
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        collect(path, &mut files, &mut notes)?;
    }
    let mut scripts = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| ImportError::Read {
            path: file.clone(),
            source,
        })?;
        scripts.push(parse(&file, &text));
    }
    if !scripts.iter().any(|s| s.kind != Kind::Utterances) {
        return Err(ImportError::Nothing(paths.to_vec()));
    }
    let utterances: BTreeMap<String, Vec<String>> = scripts
        .iter()
        .filter(|s| s.kind == Kind::Utterances)
        .map(|s| (s.name.clone(), s.utterances.clone()))
        .collect();
    let partials: BTreeMap<String, String> = scripts
        .iter()
        .filter(|s| s.kind == Kind::Partial)
        .map(|s| {
            (
                s.name.clone(),
                format!("steps/{}.yaml", stem(&s.path, s.kind)),
            )
        })
        .collect();
    let mut outputs = Vec::new();
    for script in scripts.iter().filter(|s| s.kind != Kind::Utterances) {
        let converter = Converter {
            script,
            utterances: &utterances,
            partials: &partials,
            notes: &mut notes,
        };
        let (name, text) = converter.yaml();
        let target = match script.kind {
            Kind::Partial => out.join(name),
            _ => out.join(format!("{}.yaml", stem(&script.path, script.kind))),
        };
        outputs.push((script.path.clone(), target, text));
    }
    notes.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(Imported {
        files: outputs,
        notes,
    })
}

/// The BotiumScript files of `path`, sorted; other files named directly are noted.
fn collect(
    path: &Path,
    files: &mut Vec<PathBuf>,
    notes: &mut Vec<Note>,
) -> Result<(), ImportError> {
    let meta = std::fs::metadata(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| ImportError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || Kind::of(&entry).is_some() {
                collect(&entry, files, notes)?;
            } else {
                notes.push(Note::file(&entry, "not a BotiumScript text file (.convo.txt, .pconvo.txt, .utterances.txt): skipped"));
            }
        }
    } else if Kind::of(path).is_some() {
        files.push(path.to_path_buf());
    } else {
        notes.push(Note::file(
            path,
            "not a BotiumScript text file (.convo.txt, .pconvo.txt, .utterances.txt): skipped",
        ));
    }
    Ok(())
}

/// The file name without its BotiumScript suffix, as a file-name-safe slug.
fn stem(path: &Path, kind: Kind) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("convo");
    let base = &name[..name.len().saturating_sub(kind.suffix().len())];
    let slug: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        "convo".into()
    } else {
        slug
    }
}

/// Reads a BotiumScript text file: its name (the first line), a description (the lines before
/// the first section) and its sections, or, for an utterances file, its utterances.
fn parse(path: &Path, text: &str) -> Script {
    let kind = Kind::of(path).unwrap_or(Kind::Convo);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, t)| Line {
            number: i + 1,
            text: t.trim_end().to_string(),
        })
        .skip_while(|l| l.text.trim().is_empty())
        .peekable();
    let name = match lines.peek() {
        Some(first) if !first.text.starts_with('#') => {
            let name = first.text.trim().to_string();
            lines.next();
            name
        }
        _ => stem(path, kind),
    };
    let mut script = Script {
        path: path.to_path_buf(),
        kind,
        name,
        description: Vec::new(),
        sections: Vec::new(),
        utterances: Vec::new(),
    };
    if kind == Kind::Utterances {
        script.utterances = lines
            .map(|l| l.text.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        return script;
    }
    let mut current: Option<(String, Vec<Line>)> = None;
    let mut pending_include = false;
    let finish = |current: Option<(String, Vec<Line>)>, sections: &mut Vec<Section>| {
        if let Some((header, mut body)) = current {
            while body.last().is_some_and(|l| l.text.trim().is_empty()) {
                body.pop();
            }
            body.retain(|l| !l.text.trim().is_empty());
            sections.push(match header.as_str() {
                "#bot" => Section::Bot(body),
                "#begin" => Section::Begin(body),
                "#end" => Section::End(body),
                _ => Section::Me(body),
            });
        }
    };
    for line in lines {
        let trimmed = line.text.trim();
        if pending_include && !trimmed.is_empty() {
            script.sections.push(Section::Include(Line {
                number: line.number,
                text: trimmed.to_string(),
            }));
            pending_include = false;
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        let header = ["#me", "#bot", "#begin", "#end", "#include"]
            .into_iter()
            .find(|h| lower == *h || lower.starts_with(&format!("{h} ")));
        match header {
            Some("#include") => {
                finish(current.take(), &mut script.sections);
                let name = trimmed["#include".len()..].trim();
                if name.is_empty() {
                    pending_include = true;
                } else {
                    script.sections.push(Section::Include(Line {
                        number: line.number,
                        text: name.to_string(),
                    }));
                }
            }
            // `#me #general` and the like name a channel, which banter has no use for.
            Some(h) => {
                finish(current.take(), &mut script.sections);
                current = Some((h.to_string(), Vec::new()));
            }
            None => match &mut current {
                Some((_, body)) => body.push(line),
                None if !trimmed.is_empty() => script.description.push(trimmed.to_string()),
                None => {}
            },
        }
    }
    finish(current.take(), &mut script.sections);
    script
}

/// The asserters and logic hooks BotiumScript writes as `NAME args|args` lines.
const KEYWORDS: &[&str] = &[
    "BUTTONS",
    "BUTTON",
    "MEDIA",
    "CARDS",
    "INTENT",
    "INTENT_CONFIDENCE",
    "INTENT_UNIQUE",
    "ENTITIES",
    "ENTITY_VALUES",
    "ENTITY_CONTENT",
    "TEXT",
    "TEXT_EQUALS",
    "TEXT_CONTAINS_ANY",
    "TEXT_CONTAINS_ALL",
    "TEXT_REGEX",
    "TEXT_WILDCARD",
    "TEXT_WILDCARD_ANY",
    "TEXT_WILDCARD_ALL",
    "JSON_PATH",
    "PAUSE",
    "WAITFORBOT",
    "INCLUDE",
    "SET_SCRIPTING_MEMORY",
    "CLEAR_SCRIPTING_MEMORY",
    "UPDATE_CUSTOM",
    "FORM",
    "CONDITIONAL_STEP_TIME_BASED",
    "CONDITIONAL_STEP_BUSINESS_HOURS",
    "RESPONSE_LENGTH",
    "FORMAT",
];

/// `NAME args` when the line starts with a known asserter or logic hook (maybe negated).
fn keyword(text: &str) -> Option<(bool, &'static str, Vec<String>)> {
    let (negated, rest) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let word = KEYWORDS.iter().find(|k| **k == word)?;
    let args = args
        .split('|')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    Some((negated, word, args))
}

/// A banter step being built.
#[derive(Default)]
struct Step {
    user: Option<String>,
    bot: BTreeMap<&'static str, Vec<String>>,
    comments: Vec<String>,
}

enum Item {
    Step(Step),
    Include(String),
}

struct Converter<'a> {
    script: &'a Script,
    utterances: &'a BTreeMap<String, Vec<String>>,
    partials: &'a BTreeMap<String, String>,
    notes: &'a mut Vec<Note>,
}

impl Converter<'_> {
    fn note(&mut self, line: &Line, why: &str) {
        self.notes.push(Note {
            file: self.script.path.clone(),
            line: Some(line.number),
            text: line.text.trim().to_string(),
            why: why.to_string(),
        });
    }

    /// The file name (for a partial) and the YAML text of the converted script.
    fn yaml(mut self) -> (String, String) {
        let mut items: Vec<Item> = Vec::new();
        let mut ending: Vec<Item> = Vec::new();
        // Whether the last `#me` could not be converted: the `#bot` after it answers nothing.
        let mut dropped = false;
        let script = self.script;
        for section in &script.sections {
            match section {
                Section::Include(line) => {
                    if let Some(item) = self.include(line) {
                        items.push(item);
                        dropped = false;
                    }
                }
                Section::Begin(lines) => {
                    let hooks = self.hooks(lines);
                    items.extend(hooks);
                }
                Section::End(lines) => {
                    let hooks = self.hooks(lines);
                    ending.extend(hooks);
                }
                Section::Me(lines) => match self.me(lines) {
                    Some(step) => {
                        items.push(Item::Step(step));
                        dropped = false;
                    }
                    None => dropped = true,
                },
                Section::Bot(lines) => match items.last_mut() {
                    // The bot's messages of a turn answer the user's last message.
                    Some(Item::Step(step)) if !dropped => self.bot(lines, step),
                    _ if dropped => {
                        for line in lines {
                            self.note(line, "answers a user message that was not converted");
                        }
                    }
                    _ => {
                        for line in lines {
                            self.note(line, "a bot message with no user message before it: banter's turns start with the user");
                        }
                    }
                },
            }
        }
        items.extend(ending);
        let mut out = String::new();
        let source = script
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "# Imported from {source} (BotiumScript) by `banter import botium`."
        );
        for line in &script.description {
            let _ = writeln!(out, "# {line}");
        }
        let indent = match script.kind {
            Kind::Partial => "",
            _ => {
                let _ = writeln!(out, "name: {}", quote(&script.name));
                let _ = writeln!(out, "tags: [botium]");
                let _ = writeln!(out, "steps:");
                "  "
            }
        };
        if items.is_empty() {
            let _ = writeln!(out, "{indent}[]");
        }
        for item in &items {
            match item {
                Item::Include(file) => {
                    let _ = writeln!(out, "{indent}- include: {}", quote(file));
                }
                Item::Step(step) => write_step(&mut out, indent, step),
            }
        }
        let name = self.partials.get(&script.name).cloned().unwrap_or_default();
        (name, out)
    }

    fn include(&mut self, line: &Line) -> Option<Item> {
        let name = line.text.trim();
        match self.partials.get(name) {
            Some(file) => Some(Item::Include(match self.script.kind {
                // Steps files include each other relative to steps/.
                Kind::Partial => file.trim_start_matches("steps/").to_string(),
                _ => file.clone(),
            })),
            None => {
                self.note(
                    line,
                    "no partial convo of that name among the files imported",
                );
                None
            }
        }
    }

    /// `#begin` and `#end`: includes; the other logic hooks have no banter equivalent.
    fn hooks(&mut self, lines: &[Line]) -> Vec<Item> {
        let mut items = Vec::new();
        for line in lines {
            match keyword(line.text.trim()) {
                Some((false, "INCLUDE", args)) if args.len() == 1 => {
                    let named = Line {
                        number: line.number,
                        text: args[0].clone(),
                    };
                    if let Some(item) = self.include(&named) {
                        items.push(item);
                    }
                }
                _ => self.note(line, "a logic hook with no banter equivalent"),
            }
        }
        items
    }

    fn me(&mut self, lines: &[Line]) -> Option<Step> {
        let mut step = Step::default();
        let mut text = Vec::new();
        for line in lines {
            let trimmed = line.text.trim();
            match keyword(trimmed) {
                Some((false, "BUTTON", args)) if args.len() == 1 => {
                    step.user = Some(format!("{{ postback: {} }}", quote(&args[0])));
                }
                Some((_, "MEDIA", _)) => {
                    self.note(
                        line,
                        "a user media upload: banter sends text, quick replies and postbacks only",
                    );
                }
                Some(_) => self.note(line, "a user input or logic hook with no banter equivalent"),
                None => match self.utterances.get(trimmed) {
                    Some(list) if lines.len() == 1 => {
                        let items: Vec<String> = list.iter().map(|u| quote(u)).collect();
                        step.user = Some(format!("{{ any_of: [{}] }}", items.join(", ")));
                    }
                    _ => text.push(line.text.clone()),
                },
            }
        }
        if step.user.is_none() && !text.is_empty() {
            step.user = Some(quote(&text.join("\n")));
        }
        step.user.is_some().then_some(step)
    }

    fn bot(&mut self, lines: &[Line], step: &mut Step) {
        let mut text = Vec::new();
        for line in lines {
            let trimmed = line.text.trim();
            match keyword(trimmed) {
                Some((false, "BUTTONS", args)) if !args.is_empty() => {
                    step.bot.entry("quick_replies").or_default().extend(args);
                }
                Some((false, "TEXT_CONTAINS_ANY", args)) if !args.is_empty() => {
                    step.bot.entry("contains_any").or_default().extend(args);
                }
                Some((false, "TEXT_CONTAINS_ALL", args)) if !args.is_empty() => {
                    step.bot.entry("contains").or_default().extend(args);
                }
                Some((true, "TEXT_CONTAINS_ANY" | "TEXT_CONTAINS_ALL", args))
                    if !args.is_empty() =>
                {
                    step.bot.entry("not_contains").or_default().extend(args);
                }
                Some((false, "TEXT" | "TEXT_EQUALS", args)) if args.len() == 1 => {
                    self.single(line, step, "equals", args[0].clone());
                }
                Some((false, "TEXT_REGEX", args)) if args.len() == 1 => {
                    self.single(line, step, "matches", args[0].clone());
                }
                Some((_, "MEDIA", args)) => {
                    step.comments.push(format!(
                        "MEDIA {}: banter does not check media (line {} of the convo)",
                        args.join("|"),
                        line.number
                    ));
                    self.note(
                        line,
                        "a media asserter: kept as a comment, banter does not check media",
                    );
                }
                Some(_) => self.note(line, "an asserter with no banter equivalent"),
                None => text.push(line),
            }
        }
        for line in text {
            let trimmed = line.text.trim();
            if trimmed.starts_with('?') {
                self.note(
                    line,
                    "an optional bot message: banter has no optional matcher",
                );
            } else if let Some(negated) = trimmed.strip_prefix('!') {
                step.bot
                    .entry("not_contains")
                    .or_default()
                    .push(negated.to_string());
            } else if let Some(list) = self.utterances.get(trimmed) {
                step.bot
                    .entry("contains_any")
                    .or_default()
                    .extend(list.iter().cloned());
            } else if trimmed.contains('*') {
                let pattern = trimmed
                    .split('*')
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(".*");
                self.single(line, step, "matches", format!("(?s){pattern}"));
            } else {
                step.bot
                    .entry("contains")
                    .or_default()
                    .push(trimmed.to_string());
            }
        }
    }

    /// A matcher that takes one value (`equals`, `matches`): a second one is noted.
    fn single(&mut self, line: &Line, step: &mut Step, key: &'static str, value: String) {
        let values = step.bot.entry(key).or_default();
        if values.is_empty() {
            values.push(value);
        } else {
            self.note(
                line,
                &format!("a second `{key}` for one turn: banter takes one"),
            );
        }
    }
}

fn write_step(out: &mut String, indent: &str, step: &Step) {
    for comment in &step.comments {
        let _ = writeln!(out, "{indent}# {comment}");
    }
    let _ = writeln!(
        out,
        "{indent}- user: {}",
        step.user.as_deref().unwrap_or("\"\"")
    );
    if step.bot.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}  bot:");
    for (key, values) in &step.bot {
        let value = match *key {
            "equals" | "matches" => quote(&values[0]),
            _ => format!(
                "[{}]",
                values
                    .iter()
                    .map(|v| quote(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(out, "{indent}    {key}: {value}");
    }
}

/// A YAML scalar for `text`: a JSON string (valid YAML), with Jinja delimiters made literal,
/// since banter renders every matcher and message as a template.
fn quote(text: &str) -> String {
    let literal = text
        .replace("{{", "{{ '{{' }}")
        .replace("{%", "{{ '{%' }}")
        .replace("{#", "{{ '{#' }}");
    serde_json::to_string(&literal).unwrap_or_else(|_| "\"\"".into())
}
