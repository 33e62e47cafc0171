//! The host's modules are floors, each using only those below it
//! (`sandbox → runtime → process → registry → supervisor → application →
//! reload → deploy → metrics → control → cli`), with no circle of files inside a floor and
//! no file over 500 lines of code. Read from the sources, so that a change
//! that breaks the shape fails here, with the file and the edge named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use overseer_tests::workspace_root;

const FLOORS: &[&str] = &[
    "sandbox",
    "runtime",
    "process",
    "registry",
    "supervisor",
    "application",
    "reload",
    "deploy",
    "metrics",
    "control",
    "cli",
];

/// Lines of code a file may have (blank lines and comments not counted).
const MAX_LINES: usize = 500;

/// A source file: its module path (`supervisor/pool/manager`) and its code
/// without comments, cut before any `#[cfg(test)]` module.
struct Source {
    module: String,
    code: String,
    lines: usize,
}

fn sources() -> Vec<Source> {
    let root = workspace_root().join("host/src");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let rel = path.strip_prefix(&root).unwrap_or(&path).with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let code: String = text
                .lines()
                .map(strip_comment)
                .collect::<Vec<_>>()
                .join("\n");
            let lines = code.lines().filter(|l| !l.trim().is_empty()).count();
            let code = match code.find("#[cfg(test)]") {
                Some(at) => code[..at].to_string(),
                None => code,
            };
            Source {
                module: parts.join("/"),
                code,
                lines,
            }
        })
        .collect()
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// A line without its `//` comment (one outside a string literal).
fn strip_comment(line: &str) -> String {
    let mut in_string = false;
    let mut prev = '\0';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '/' if !in_string && prev == '/' => return line[..i - 1].to_string(),
            _ => {}
        }
        prev = c;
    }
    line.to_string()
}

fn floor_of(module: &str) -> &str {
    module.split('/').next().unwrap_or(module)
}

/// The paths after `prefix` in `code`: `prefix{a, b::C}` gives `a` and
/// `b`; `prefix x::y` gives `x`.
fn heads_after(code: &str, prefix: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        rest = &rest[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let head: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    heads.push(head);
                }
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !head.is_empty() {
                heads.push(head);
            }
        }
    }
    heads
}

/// What each module re-exports: item → the submodule that defines it.
fn reexports(sources: &[Source]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for source in sources {
        let mut table = BTreeMap::new();
        for line in source.code.split(';') {
            let line = line.trim();
            let Some(path) = ["pub use ", "pub(crate) use ", "pub(super) use "]
                .iter()
                .find_map(|p| line.strip_prefix(p))
            else {
                continue;
            };
            let Some((sub, items)) = path.split_once("::") else {
                continue;
            };
            for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
                let item = item.split(" as ").last().unwrap_or(item).trim();
                let item = item.rsplit("::").next().unwrap_or(item);
                if !item.is_empty() {
                    let module = if source.module.is_empty() {
                        sub.to_string()
                    } else {
                        format!("{}/{sub}", source.module)
                    };
                    table.insert(item.to_string(), module);
                }
            }
        }
        all.insert(source.module.clone(), table);
    }
    all
}

/// The file modules `source` uses, resolved through re-exports.
fn uses(
    source: &Source,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeSet<String> {
    let parent = match source.module.rsplit_once('/') {
        Some((parent, _)) => parent.to_string(),
        None => String::new(),
    };
    let resolve = |base: &str, item: &str| -> Option<String> {
        let candidate = if base.is_empty() {
            item.to_string()
        } else {
            format!("{base}/{item}")
        };
        if modules.contains(&candidate) {
            return Some(candidate);
        }
        reexports.get(base)?.get(item).cloned()
    };
    let mut used = BTreeSet::new();
    for head in heads_after(&source.code, "super::") {
        used.extend(resolve(&parent, &head));
    }
    for floor in FLOORS {
        for head in heads_after(&source.code, &format!("crate::{floor}::")) {
            used.extend(resolve(floor, &head));
        }
    }
    used.remove(&source.module);
    used
}

#[test]
fn no_file_uses_a_higher_floor() {
    let mut upward = Vec::new();
    for source in sources() {
        let floor = floor_of(&source.module);
        let Some(mine) = FLOORS.iter().position(|f| *f == floor) else {
            continue;
        };
        for higher in &FLOORS[mine + 1..] {
            if source.code.contains(&format!("crate::{higher}")) {
                upward.push(format!("{} uses {higher}", source.module));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "files that use a higher floor: {upward:#?}"
    );
}

#[test]
fn no_circle_of_files_inside_a_floor() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let reexports = reexports(&sources);
    // A `mod.rs` declares and re-exports its files without using them
    // (`pub use file::Item` is no edge); a file that names an item through
    // it uses the file that defines the item.
    let graph: BTreeMap<String, BTreeSet<String>> = sources
        .iter()
        .map(|s| (s.module.clone(), uses(s, &modules, &reexports)))
        .collect();
    let mut circles = Vec::new();
    for start in graph.keys() {
        for next in &graph[start] {
            if floor_of(next) != floor_of(start) {
                continue;
            }
            if let Some(path) = path_between(&graph, next, start) {
                circles.push(format!("{start} -> {}", path.join(" -> ")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files that use each other: {circles:#?}"
    );
}

/// A path of uses from `from` to `to`, if there is one.
fn path_between(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.to_string()]];
    while let Some(path) = stack.pop() {
        let last = path.last()?.clone();
        if last == to {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in graph.get(&last).into_iter().flatten() {
            if floor_of(next) == floor_of(to) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_file_is_over_500_lines_of_code() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|s| s.lines > MAX_LINES)
        .map(|s| format!("{}: {} lines", s.module, s.lines))
        .collect();
    assert!(
        long.is_empty(),
        "files too long to read in one go: {long:#?}"
    );
}
