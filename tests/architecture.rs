//! The module graph: reads `src/`, builds the imports between top-level modules (each
//! `src/X.rs` or `src/X/`; `lib.rs` and `main.rs` sit above them all) and fails when they form
//! a cycle or cross one of the rules below.
//!
//! An import is any path to another top-level module in code that is not test-only: `use`
//! lines, paths in expressions and types, and paths named in attribute strings
//! (`deserialize_with = "crate::X::f"`), written from `crate::` or climbing out of the module
//! with `super::` (`super::super::X` in `src/runner/bot.rs`). Items re-exported at the crate
//! root (`crate::Error`) count as the module they come from. Comments, doc comments, string
//! literals and `#[cfg(test)]` items (and the files of `#[cfg(test)] mod X;`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Modules that a module never imports, and why. The data flow is
/// `scenario → runner (customer, bank, sinks, connector) → transcript → check → report`;
/// the rules keep each part to its side of it.
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "connector",
        &[
            "bank", "privacy", "runner", "sinks", "scenario", "check", "report", "snapshot", "demo",
        ],
        "a connector speaks one bot protocol and knows nothing of the bank, the sinks or the run; \
         `scenario` reads its settings, not the other way round",
    ),
    (
        "demo",
        &[
            "bank",
            "customer",
            "sinks",
            "privacy",
            "runner",
            "scenario",
            "connector",
            "check",
            "report",
            "snapshot",
            "transcript",
        ],
        "the demo bot is a bot like any other: it reaches the bank and the sinks only over HTTP",
    ),
    (
        "bank",
        &[
            "scenario",
            "privacy",
            "sinks",
            "connector",
            "runner",
            "check",
            "report",
            "demo",
        ],
        "the mock bank serves customers; scenario faults are converted to the bank's own",
    ),
    (
        "sinks",
        &[
            "privacy",
            "bank",
            "scenario",
            "connector",
            "runner",
            "check",
            "report",
            "demo",
        ],
        "sinks capture requests; the leak detector reads what they captured",
    ),
    (
        "proxy",
        &[
            "privacy",
            "runner",
            "report",
            "scenario",
            "check",
            "connector",
            "bank",
            "demo",
        ],
        "the capture proxy hands what it intercepts to the sinks; scanning and judging come later",
    ),
    (
        "privacy",
        &[
            "bank",
            "scenario",
            "connector",
            "runner",
            "check",
            "report",
            "demo",
        ],
        "the leak detector knows customers and captured requests, nothing of how a run goes",
    ),
    (
        "customer",
        &[
            "bank",
            "privacy",
            "sinks",
            "scenario",
            "connector",
            "runner",
            "check",
            "report",
        ],
        "synthetic customers come first: everything else is built on them",
    ),
    (
        "scenario",
        &["runner", "transcript", "check", "report", "snapshot"],
        "a scenario is data: running, recording, checking and reporting it come later",
    ),
    (
        "check",
        &["runner", "report"],
        "checks judge a transcript; the runner calls them and the report shows their verdicts",
    ),
    (
        "report",
        &["runner"],
        "run events and results are the report's own types: the runner reports to it",
    ),
    (
        "certify",
        &["connector", "sinks", "proxy", "privacy", "demo", "snapshot"],
        "certification builds scenarios and reads reports: the run itself is the runner's",
    ),
    (
        "simulate",
        &["connector", "sinks", "proxy", "privacy", "demo", "snapshot"],
        "a simulation plays scenarios on the runner's machinery and reads its reports",
    ),
];

/// The modules that run suites of their own: the only ones that may import the runner.
const ABOVE_TOP: &[&str] = &["certify", "simulate"];

/// Modules that import no other module: the vocabulary everything else shares.
const LEAVES: &[&str] = &["money", "duration", "sync", "inflate", "draw"];

/// The module that orchestrates a run: only `lib.rs`, `main.rs` and [`ABOVE_TOP`] import it.
const TOP: &str = "runner";

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = Graph::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let cycles = graph.cycles();
    let mut message = String::new();
    for cycle in &cycles {
        let shortest = graph.shortest_cycle(cycle);
        writeln!(message, "import cycle {}", shortest.join(" → ")).unwrap();
        writeln!(message, "  among {}, whose imports are:", cycle.join(", ")).unwrap();
        for (from, to, at) in graph.edges_within(cycle) {
            writeln!(message, "  {from} → {to} ({at})").unwrap();
        }
    }
    assert!(cycles.is_empty(), "{message}");
}

#[test]
fn top_level_modules_keep_the_written_rules() {
    let graph = Graph::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut broken = Vec::new();
    for (from, forbidden, why) in RULES {
        assert!(
            graph.modules.contains(*from),
            "rule for unknown module {from}"
        );
        for to in *forbidden {
            assert!(
                graph.modules.contains(*to),
                "rule names unknown module {to}"
            );
            if let Some(at) = graph.edges.get(&(from.to_string(), to.to_string())) {
                broken.push(format!("{from} imports {to} ({at}): {why}"));
            }
        }
    }
    for leaf in LEAVES {
        assert!(graph.modules.contains(*leaf), "unknown leaf module {leaf}");
    }
    for above in ABOVE_TOP {
        assert!(graph.modules.contains(*above), "unknown module {above}");
    }
    for ((from, to), at) in &graph.edges {
        if to == TOP && !ABOVE_TOP.contains(&from.as_str()) {
            broken.push(format!(
                "{from} imports {TOP} ({at}): only lib.rs, main.rs and {} do",
                ABOVE_TOP.join(", ")
            ));
        }
        if ABOVE_TOP.contains(&to.as_str()) {
            broken.push(format!(
                "{from} imports {to} ({at}): it runs suites, so only lib.rs and main.rs import it"
            ));
        }
        if LEAVES.contains(&from.as_str()) {
            broken.push(format!("{from} imports {to} ({at}): {from} is a leaf"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_reader_skips_comments_strings_and_test_code() {
    let source = r##"
use crate::a::X; // crate::b
/* crate::c */ const S: &str = "crate::d and more";
const R: &str = r#"see crate::e "here""#;
#[serde(deserialize_with = "crate::f::g")]
#[cfg(test)]
mod tests { use crate::h; fn t() { let _ = '{'; } }
#[cfg(test)]
mod corpus;
fn x<'a>(_: &'a str) -> crate::Error { crate::{i::{j, k},
    l} }
"##;
    let code = code_only(source);
    let (code, test_modules) = strip_test_items(&code);
    assert_eq!(test_modules, ["corpus"]);
    let roots: Vec<String> = root_paths(&code, 1).into_iter().map(|(_, r)| r).collect();
    assert_eq!(roots, ["a", "f", "Error", "i", "l"]);
}

#[test]
fn the_reader_follows_super_paths_out_of_the_top_level_module() {
    // As if in `src/runner/conversation.rs`: two `super`s reach the crate root.
    let source = r##"
use super::world::World;
use super::super::bank::Fault;
use super::super::{check, report::{Report, Status}};
#[serde(deserialize_with = "super::super::scenario::f")]
pub(in super::super) fn f() -> super::super::Error { self::g() }
mod inner {
    use super::super::Scenario;
    use super::super::super::sinks;
}
fn h() { let x = super::super::template::render; }
"##;
    let (code, _) = strip_test_items(&code_only(source));
    let found = root_paths(&code, 2);
    let roots: Vec<&str> = found.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        roots,
        ["bank", "check", "report", "scenario", "Error", "sinks", "template"]
    );
    let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 4, 5, 6, 9, 11]);
    // In `src/runner/mod.rs` one `super` is enough, and in `src/money.rs` too.
    assert_eq!(root_paths("use super::bank;", 1), [(1, "bank".to_string())]);
    assert!(root_paths("use super::bank;", 2).is_empty());
}

struct Graph {
    modules: BTreeSet<String>,
    /// (from, to) → where the first such import is, as `file:line`.
    edges: BTreeMap<(String, String), String>,
}

impl Graph {
    fn read(src: PathBuf) -> Graph {
        let reexports = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
        let mut modules = BTreeSet::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let is_module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
            if is_module && name != "lib" && name != "main" {
                modules.insert(name);
            }
        }
        let mut files = Vec::new();
        for module in &modules {
            let dir = src.join(module);
            if dir.is_dir() {
                rust_files(&dir, &mut files);
            } else {
                files.push(src.join(format!("{module}.rs")));
            }
        }
        let mut test_only = BTreeSet::new();
        let mut sources = Vec::new();
        for file in files {
            let (code, test_modules) =
                strip_test_items(&code_only(&std::fs::read_to_string(&file).unwrap()));
            let dir = match file.file_name().unwrap().to_str().unwrap() {
                "mod.rs" => file.parent().unwrap().to_path_buf(),
                _ => file.with_extension(""),
            };
            for name in test_modules {
                test_only.insert(dir.join(format!("{name}.rs")));
                test_only.insert(dir.join(name).join("mod.rs"));
            }
            sources.push((file, code));
        }
        let mut edges = BTreeMap::new();
        for (file, code) in sources {
            if test_only.contains(&file) {
                continue;
            }
            let relative = file.strip_prefix(&src).unwrap();
            let from = relative.iter().next().unwrap().to_string_lossy();
            let from = from.trim_end_matches(".rs").to_string();
            let depth = match relative.file_name().and_then(|n| n.to_str()) {
                Some("mod.rs") => relative.iter().count() - 1,
                _ => relative.iter().count(),
            };
            for (line, root) in root_paths(&code, depth) {
                let to = if modules.contains(&root) {
                    root
                } else {
                    let module = reexports.get(&root);
                    let at = format!("{}:{line}", relative.display());
                    module
                        .unwrap_or_else(|| panic!("{at}: unknown item {root} at the crate root"))
                        .clone()
                };
                if to != from {
                    let at = format!("src/{}:{line}", relative.display());
                    edges.entry((from.clone(), to)).or_insert(at);
                }
            }
        }
        Graph { modules, edges }
    }

    /// The strongly connected components with more than one module (Tarjan's algorithm).
    fn cycles(&self) -> Vec<Vec<String>> {
        struct Tarjan<'g> {
            graph: &'g Graph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            found: Vec<Vec<String>>,
        }
        impl<'g> Tarjan<'g> {
            fn visit(&mut self, node: &'g str) {
                let i = self.index.len();
                self.index.insert(node, i);
                self.low.insert(node, i);
                self.stack.push(node);
                for (from, to) in self.graph.edges.keys() {
                    if from != node {
                        continue;
                    }
                    if !self.index.contains_key(to.as_str()) {
                        self.visit(to);
                        let low = self.low[node].min(self.low[to.as_str()]);
                        self.low.insert(node, low);
                    } else if self.stack.contains(&to.as_str()) {
                        let low = self.low[node].min(self.index[to.as_str()]);
                        self.low.insert(node, low);
                    }
                }
                if self.low[node] == self.index[node] {
                    let at = self.stack.iter().position(|n| *n == node).unwrap();
                    let mut component: Vec<String> =
                        self.stack.drain(at..).map(String::from).collect();
                    if component.len() > 1 {
                        component.sort();
                        self.found.push(component);
                    }
                }
            }
        }
        let mut tarjan = Tarjan {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            found: Vec::new(),
        };
        for module in &self.modules {
            if !tarjan.index.contains_key(module.as_str()) {
                tarjan.visit(module);
            }
        }
        tarjan.found
    }

    /// The shortest cycle through the modules of `component`, as a path back to its start.
    fn shortest_cycle(&self, component: &[String]) -> Vec<String> {
        let edges = self.edges_within(component);
        let mut best: Option<Vec<String>> = None;
        for start in component {
            // Breadth first from `start`, until an edge leads back to it.
            let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start.as_str()]);
            let mut closing = None;
            while let Some(node) = queue.pop_front() {
                if edges
                    .iter()
                    .any(|(from, to, _)| *from == node && to == start)
                {
                    closing = Some(node);
                    break;
                }
                for (_, to, _) in edges.iter().filter(|(from, _, _)| *from == node) {
                    if *to != start && !parent.contains_key(to) {
                        parent.insert(to, node);
                        queue.push_back(to);
                    }
                }
            }
            let Some(mut node) = closing else { continue };
            let mut path = vec![start.clone()];
            while node != start {
                path.push(node.to_string());
                node = parent[node];
            }
            path.push(start.clone());
            path.reverse();
            if best.as_ref().is_none_or(|b| path.len() < b.len()) {
                best = Some(path);
            }
        }
        best.expect("a strongly connected component has a cycle")
    }

    fn edges_within<'g>(&'g self, component: &[String]) -> Vec<(&'g str, &'g str, &'g str)> {
        self.edges
            .iter()
            .filter(|((from, to), _)| component.contains(from) && component.contains(to))
            .map(|((from, to), at)| (from.as_str(), to.as_str(), at.as_str()))
            .collect()
    }
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// `pub use module::Item;` lines of `lib.rs`: item → module.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub use ")?.strip_suffix(';'))
        .filter_map(|path| {
            let (module, item) = path.split_once("::")?;
            Some((item.rsplit("::").next()?.to_string(), module.to_string()))
        })
        .collect()
}

/// `source` with comments blanked and string and char literals emptied, lines kept. A string
/// that is a `crate::` or `super::` path (an attribute's function) is kept.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == '"'
            || (c == 'r' && matches!(next, Some('"' | '#')) && !prev_ident(&chars, i))
        {
            let raw = c == 'r';
            let mut hashes = 0;
            if raw {
                i += 1;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                if chars.get(i) != Some(&'"') {
                    out.push('r');
                    continue;
                }
            }
            i += 1;
            let mut text = String::new();
            while i < chars.len() {
                if !raw && chars[i] == '\\' {
                    text.push(chars[i]);
                    text.push(chars.get(i + 1).copied().unwrap_or(' '));
                    i += 2;
                    continue;
                }
                if chars[i] == '"' && (0..hashes).all(|h| chars.get(i + 1 + h) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            let is_path = (text.starts_with("crate::") || text.starts_with("super::"))
                && text.chars().all(|c| ident(c) || c == ':');
            out.push('"');
            if is_path {
                out.push_str(&text);
            }
            out.extend(text.chars().filter(|&c| c == '\n'));
            out.push('"');
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a), left as is.
            let close = if next == Some('\\') {
                (i + 2..chars.len()).find(|&j| chars[j] == '\'')
            } else {
                (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match close {
                Some(end) => {
                    out.push_str("' '");
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `code` with each `#[cfg(test)]` item blanked (lines kept), and the names of the modules
/// declared test-only with `#[cfg(test)] mod name;`.
fn strip_test_items(code: &str) -> (String, Vec<String>) {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut test_modules = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0;
        let mut end = item.len();
        for (i, c) in item.char_indices().skip(MARK.len()) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        let declared = item[MARK.len()..end].trim();
        if let Some(name) = declared
            .strip_prefix("mod ")
            .and_then(|d| d.strip_suffix(';'))
        {
            test_modules.push(name.trim().to_string());
        }
        out.extend(item[..end].chars().filter(|&c| c == '\n'));
        rest = &item[end..];
    }
    out.push_str(rest);
    (out, test_modules)
}

/// Each path in `code` that names an item at the crate root, as (line, X): `crate::X`, and
/// `super::…::X` with as many `super`s as the code's module is deep (`depth` for the file: 1
/// in `src/X.rs` and `src/X/mod.rs`, 2 in `src/X/Y.rs`; one more inside each inline `mod m {
/// … }`). Fewer `super`s stay inside the top-level module and name nothing here. `{X, Y::{…}}`
/// after the prefix gives one per member.
fn root_paths(code: &str, depth: usize) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    // The brace depths at which the enclosing inline modules opened.
    let mut inline: Vec<usize> = Vec::new();
    let mut braces = 0;
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let Some(c) = rest.chars().next() else { break };
        let after_ident = code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        match c {
            '{' => {
                if opens_module(&code[..i]) {
                    inline.push(braces);
                }
                braces += 1;
            }
            '}' => {
                braces -= 1;
                if inline.last() == Some(&braces) {
                    inline.pop();
                }
            }
            _ if !after_ident && (rest.starts_with("crate::") || rest.starts_with("super::")) => {
                let line = code[..i].matches('\n').count() + 1;
                let (supers, path) = match rest.strip_prefix("crate::") {
                    Some(path) => (None, path),
                    None => {
                        let mut path = rest;
                        let mut supers = 0;
                        while let Some(up) = path.strip_prefix("super::") {
                            path = up;
                            supers += 1;
                        }
                        (Some(supers), path)
                    }
                };
                i = code.len() - path.len();
                if supers.is_some_and(|s| s != depth + inline.len()) {
                    continue;
                }
                for member in path_members(path) {
                    let root: String = member
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !root.is_empty() && root != "self" && root != "super" {
                        found.push((line, root));
                    }
                }
                continue;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    found
}

/// Whether `before` ends with `mod name`, so that the brace after it opens an inline module.
fn opens_module(before: &str) -> bool {
    let before = before.trim_end();
    let name = before.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
    let keyword = name.trim_end();
    name.len() < before.len()
        && keyword.len() < name.len()
        && keyword
            .strip_suffix("mod")
            .is_some_and(|k| !k.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The paths after a `crate::` or `super::` prefix: the one path, or each member of a group.
fn path_members(after: &str) -> Vec<&str> {
    let Some(group) = after.strip_prefix('{') else {
        return vec![after];
    };
    let mut members = Vec::new();
    let mut depth = 0;
    let mut member_start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                members.push(&group[member_start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[member_start..i]);
                member_start = i + 1;
            }
            _ => {}
        }
    }
    members
}
