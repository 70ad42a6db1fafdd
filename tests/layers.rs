//! admin-core's layers hold: its top-level modules import only the modules below them
//! (see `admin-core/src/lib.rs`), there is no import cycle among them, and no file
//! grows past [`MAX_FILE_LINES`].
//!
//! The check reads the sources: every `crate::<module>` path in code (comments, doc
//! comments and string literals do not count) is an import of that module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// admin-core's top-level modules, lowest first: a module may import only the ones
/// before it.
const LAYERS: &[&str] = &[
    "kernel",
    "db",
    "access",
    "audit",
    "notes",
    "list",
    "auth",
    "effect",
    "action",
    "limits",
    "registry",
    "approval",
    "job",
    "service",
    "migration",
];

/// The most lines a source file may have.
const MAX_FILE_LINES: usize = 450;

/// Files over [`MAX_FILE_LINES`] whose split is under way (issue 14). Each must still
/// be over the limit: take it off this list when it is split.
const SPLIT_PENDING: &[&str] = &[];

/// The imports of each top-level module: module -> (imported module -> a file that does).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Every problem with the sources `files` (path under `src/`, text), one sentence each.
fn check(files: &[(String, String)], layers: &[&str], max_lines: usize, pending: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let graph = imports(files);
    for (path, text) in files {
        let lines = text.lines().count();
        let is_pending = pending.contains(&path.as_str());
        if lines > max_lines && !is_pending {
            problems.push(format!("{path} has {lines} lines, more than {max_lines}: split it by concern"));
        } else if lines <= max_lines && is_pending {
            problems.push(format!("{path} has {lines} lines now: take it off SPLIT_PENDING"));
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        problems.push(format!("import cycle between top-level modules: {}", cycle.join(" -> ")));
    }
    for (module, deps) in &graph {
        let Some(at) = layers.iter().position(|l| l == module) else {
            problems.push(format!("{module} is not in the layer list: add it where it belongs"));
            continue;
        };
        for (dep, file) in deps {
            if layers.iter().position(|l| l == dep).is_some_and(|d| d > at) {
                problems.push(format!("{module} imports {dep}, which is above it ({file})"));
            }
        }
    }
    problems
}

/// The top-level module a file belongs to (`registry/write.rs` -> `registry`), or
/// `None` for the crate root.
fn module_of(path: &str) -> Option<String> {
    let first = path.split(['/', '\\']).next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// Which top-level modules each module imports.
fn imports(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<String> = files.iter().filter_map(|(p, _)| module_of(p)).collect();
    let mut graph: Graph = modules.iter().map(|m| (m.clone(), BTreeMap::new())).collect();
    for (path, text) in files {
        let Some(module) = module_of(path) else { continue };
        for dep in crate_paths(&without_tests(&code_only(text))) {
            if dep != module && modules.contains(&dep) {
                graph.entry(module.clone()).or_default().entry(dep).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

/// `text` with comments (doc comments too) and the insides of string and character
/// literals blanked out, so only code is left.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(end) = raw_string_end(&chars, i) {
            out.push_str("\"\"");
            i = end;
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if chars[i] == '\'' && (rest.get(2) == Some(&'\'') || rest.get(1) == Some(&'\\')) {
            // A character literal ('"', '\''); a lifetime has no closing quote.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `code` without its `#[cfg(test)]` items: unit tests may set up what they test with
/// the layers above it (a schema from `migration`, say).
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its first `;` outside braces, or where its first brace closes.
        let mut depth = 0;
        let mut end = item.len();
        for (k, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Where the raw string literal (`r"…"`, `r#"…"#`) starting at `i` ends, if one does.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    if chars[i] != 'r' || (i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) {
        return None;
    }
    let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
    let open = i + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    let mut j = open + 1;
    while j < chars.len() {
        if chars[j] == '"' && chars[j + 1..].iter().take(hashes).filter(|c| **c == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The first segment after each `crate::` in `code`: `crate::audit::Event` and
/// `crate::{audit, list::query}` name `audit`, and `audit` and `list`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: the first segment of each.
            let mut depth = 0;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        let name: String =
                            group[k..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        out.push(name);
                        item_start = false;
                    }
                    c if c.is_whitespace() => {}
                    _ => item_start = false,
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

/// One import cycle of `graph` as the modules along it (the first again at the end),
/// if it has one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit<'a>(
        graph: &'a Graph,
        module: &'a str,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| *m == module) {
            let mut cycle: Vec<String> = path[start..].iter().map(|m| (*m).to_owned()).collect();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module);
        for dep in graph.get(module).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(graph, dep, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module);
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

/// Every `.rs` file under `dir`, with its path relative to `root` (`/`-separated).
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("the source folder is readable").flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("a source file is text")));
        }
    }
}

#[test]
fn admin_core_keeps_its_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../admin-core/src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 20, "admin-core's sources were not found under {}", root.display());
    let problems = check(&files, LAYERS, MAX_FILE_LINES, SPLIT_PENDING);
    assert!(problems.is_empty(), "admin-core's layers are broken:\n{}", problems.join("\n"));
}

fn synthetic(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
}

#[test]
fn a_cycle_is_named() {
    let files = synthetic(&[
        ("lib.rs", "pub mod kernel; pub mod list; pub mod registry;"),
        ("kernel/mod.rs", "pub struct Cell;"),
        ("list/mod.rs", "use crate::kernel::Cell;\nmod seek;"),
        ("list/seek.rs", "pub fn f() { crate::registry::g() }"),
        ("registry.rs", "use crate::{kernel::Cell, list};\npub fn g() {}"),
    ]);
    let problems = check(&files, &["kernel", "list", "registry"], 450, &[]);
    assert!(
        problems.contains(&"import cycle between top-level modules: list -> registry -> list".to_owned()),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"list imports registry, which is above it (list/seek.rs)".to_owned()),
        "{problems:?}"
    );
}

#[test]
fn an_import_of_an_upper_layer_fails_without_a_cycle() {
    let files = synthetic(&[("kernel.rs", "fn f() { crate::list::g() }"), ("list.rs", "pub fn g() {}")]);
    assert_eq!(
        check(&files, &["kernel", "list"], 450, &[]),
        vec!["kernel imports list, which is above it (kernel.rs)"]
    );
}

#[test]
fn comments_strings_and_unit_tests_do_not_count() {
    let files = synthetic(&[
        (
            "kernel.rs",
            "//! See [`crate::list`].\n/// Used by [`crate::list::g`].\n/* crate::list /* nested */ crate::list */\n\
             fn f() -> &'static str { let _q = '\"'; \"crate::list\" }\nfn h() -> &'static str { r#\"crate::list\"# }",
        ),
        ("list.rs", "pub fn g() { crate::kernel::f(); }"),
        (
            "access.rs",
            "#[cfg(test)]\nuse crate::list::g;\n#[cfg(test)]\nmod tests { fn t() { crate::list::g() } }",
        ),
    ]);
    assert_eq!(check(&files, &["kernel", "access", "list"], 450, &[]), Vec::<String>::new());
}

#[test]
fn long_files_and_unlisted_modules_fail() {
    let long = "fn f() {}\n".repeat(451);
    let files = synthetic(&[("kernel.rs", long.as_str()), ("extra.rs", ""), ("list.rs", "")]);
    let problems = check(&files, &["kernel", "list"], 450, &["list.rs"]);
    assert_eq!(
        problems,
        vec![
            "kernel.rs has 451 lines, more than 450: split it by concern".to_owned(),
            "list.rs has 0 lines now: take it off SPLIT_PENDING".to_owned(),
            "extra is not in the layer list: add it where it belongs".to_owned(),
        ]
    );
    assert_eq!(check(&files[..1], &["kernel"], 450, &["kernel.rs"]), Vec::<String>::new());
}
