//! The layers `src/lib.rs` states hold in the source: no module uses one of a higher layer,
//! or another module of its own layer.
//!
//! The order is read from the paragraph of `src/lib.rs`'s crate doc that holds the arrows
//! (`` `data` → `engine` → `metrics`, `optimise` → … ``), so the doc and this check cannot
//! drift apart. The scan is textual: `crate::X` paths (and `super::` chains that climb to the
//! crate root) in code, with comments (doc comments included), strings and char literals
//! blanked out first. The crate root (`lib.rs`, `main.rs`, `error.rs`) is no layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files of the crate root, which may gather from every layer.
const ROOT_FILES: [&str; 3] = ["lib.rs", "main.rs", "error.rs"];

/// The layers, lowest first, each a list of module names, from the crate doc of `lib_rs`.
fn stated_layers(lib_rs: &str) -> Vec<Vec<String>> {
    let mut paragraph = String::new();
    for line in lib_rs.lines() {
        let Some(doc) = line.trim_start().strip_prefix("//!") else {
            continue;
        };
        if doc.trim().is_empty() {
            if paragraph.contains('→') {
                break;
            }
            paragraph.clear();
        } else {
            paragraph.push_str(doc);
            paragraph.push(' ');
        }
    }
    assert!(
        paragraph.contains('→'),
        "src/lib.rs states no layers (a doc paragraph of `a` → `b` → …)"
    );
    paragraph
        .split('→')
        .map(|part| {
            let names: Vec<String> = part
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            assert!(!names.is_empty(), "a layer without a module in `{part}`");
            names
        })
        .collect()
}

/// `text` with comments, string literals and char literals turned into spaces (newlines kept,
/// so line numbers hold).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, s: &[char]| {
        for &ch in s {
            out.push(if ch == '\n' { '\n' } else { ' ' });
        }
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let start = i;
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r')))
            && (i == 0 || !ident(c[i - 1]))
            && {
                let mut j = i + if c[i] == 'b' { 2 } else { 1 };
                while c.get(j) == Some(&'#') {
                    j += 1;
                }
                c.get(j) == Some(&'"')
            }
        {
            // A raw string: r"…", r#"…"#, br##"…"##.
            i += if c[i] == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while c[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c[i] == '\'' {
            if c.get(i + 1) == Some(&'\\') {
                // An escaped char literal: '\n', '\'', '\u{1F600}'.
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                // A lifetime or a label: code.
                out.push('\'');
                i += 1;
                continue;
            }
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        blank(&mut out, &c[start..i.min(c.len())]);
    }
    out
}

/// The first path segment of each item of a use group starting just after its `{`.
fn group_heads(rest: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut at_item_start = true;
    let mut chars = rest.char_indices().peekable();
    while let Some((k, ch)) = chars.next() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => at_item_start = true,
            ch if depth == 1 && at_item_start && (ch.is_alphabetic() || ch == '_') => {
                let end = rest[k..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(rest.len(), |e| k + e);
                heads.push(rest[k..end].to_string());
                at_item_start = false;
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    heads
}

/// The names after a path prefix that ends at byte `at` of `code`: one identifier, or the
/// heads of a `{…}` group.
fn names_at(code: &str, at: usize) -> Vec<String> {
    let rest = code[at..].trim_start();
    if let Some(group) = rest.strip_prefix('{') {
        return group_heads(group);
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    vec![rest[..end].to_string()]
}

/// The crate-level names a file's code refers to, with their line numbers: after `crate::`,
/// and after a `super::` chain that climbs from the file's module (`depth` levels below the
/// crate root) to the root.
fn crate_refs(code: &str, depth: usize) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let bytes = code.as_bytes();
    let starts_path = |at: usize| {
        at == 0 || {
            let b = bytes[at - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b':')
        }
    };
    let mut refs = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if starts_path(at) {
            for name in names_at(code, at + "crate::".len()) {
                refs.push((line_of(at), name));
            }
        }
    }
    for (at, _) in code.match_indices("super::") {
        if !starts_path(at) {
            continue;
        }
        let mut end = at;
        let mut climbs = 0;
        while code[end..].starts_with("super::") {
            end += "super::".len();
            climbs += 1;
        }
        if climbs >= depth {
            for name in names_at(code, end) {
                refs.push((line_of(at), name));
            }
        }
    }
    refs
}

/// The top-level module a file under `src/` belongs to and its module depth, or `None` for
/// the crate root.
fn module_of(relative: &Path) -> Option<(String, usize)> {
    let parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.len() == 1 {
        let file = &parts[0];
        if ROOT_FILES.contains(&file.as_str()) {
            return None;
        }
        return Some((file.trim_end_matches(".rs").to_string(), 1));
    }
    let depth = parts.len() - usize::from(parts.last().is_some_and(|f| f == "mod.rs"));
    Some((parts[0].clone(), depth))
}

/// Every breach of `layers` in `files` (paths relative to `src/`, and their text).
fn breaches(layers: &[Vec<String>], files: &[(PathBuf, String)]) -> Vec<String> {
    let layer_of = |name: &str| layers.iter().position(|l| l.iter().any(|m| m == name));
    let mut found = Vec::new();
    for (path, text) in files {
        let Some((module, depth)) = module_of(path) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            found.push(format!(
                "src/{}: module `{module}` has no layer",
                path.display()
            ));
            continue;
        };
        for (line, name) in crate_refs(&code_only(text), depth) {
            if name == module {
                continue;
            }
            let Some(theirs) = layer_of(&name) else {
                continue;
            };
            if theirs >= own {
                found.push(format!(
                    "src/{}:{line}: `{module}` uses `{name}`, {}",
                    path.display(),
                    if theirs == own {
                        "a module of its own layer"
                    } else {
                        "a higher layer"
                    }
                ));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.strip_prefix(base).unwrap().to_path_buf(), text));
        }
    }
}

fn source() -> (Vec<Vec<String>>, Vec<(PathBuf, String)>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = stated_layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &src, &mut files);
    (layers, files)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_stated_layers_hold_in_the_source() {
    let (layers, files) = source();
    let found = breaches(&layers, &files);
    assert!(
        found.is_empty(),
        "{} layer breach(es):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn every_module_has_a_layer_and_every_layer_names_a_module() {
    let (layers, files) = source();
    let stated: BTreeSet<String> = layers.iter().flatten().cloned().collect();
    let present: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| module_of(p).map(|(m, _)| m))
        .collect();
    assert_eq!(
        stated, present,
        "src/lib.rs's layers and the modules in src/"
    );
    assert_eq!(
        stated.len(),
        layers.iter().map(Vec::len).sum::<usize>(),
        "a module stated twice"
    );
}

#[test]
fn the_layer_statement_is_read_in_order() {
    let doc = "//! Intro.\n//!\n//! `a` → `b`, `c` →\n//! `d`\n//!\n//! - [`a`]: text → more.\n";
    assert_eq!(
        stated_layers(doc),
        vec![names(&["a"]), names(&["b", "c"]), names(&["d"])]
    );
}

#[test]
fn the_scan_sees_paths_in_code_only() {
    let text = r####"
use crate::{data::X, engine::{A, B}};
use crate::Error;
// crate::report in a comment
/// crate::sweep in a doc comment
/* crate::cli in a /* nested */ block */
fn f<'a>(x: &'a str) -> char {
    let _ = "crate::run in a string \" still";
    let _ = r#"crate::run in a raw "string""#;
    let _ = my_crate::metrics::f();
    let _ = '"';
    crate::metrics::g(x, '\'')
}
"####;
    let found: Vec<(usize, String)> = crate_refs(&code_only(text), 2);
    assert_eq!(
        found,
        vec![
            (2, "data".to_string()),
            (2, "engine".to_string()),
            (3, "Error".to_string()),
            (12, "metrics".to_string()),
        ]
    );
}

#[test]
fn super_chains_count_only_when_they_reach_the_crate_root() {
    let code = "use super::ledger::Ledger;\nuse super::super::strategy::Strategy;\n";
    assert_eq!(crate_refs(code, 2), vec![(2, "strategy".to_string())]);
    assert_eq!(
        crate_refs(code, 1),
        vec![(1, "ledger".to_string()), (2, "strategy".to_string())]
    );
}

#[test]
fn a_breach_is_reported_with_file_and_line() {
    let layers = vec![
        names(&["data"]),
        names(&["engine"]),
        names(&["metrics", "optimise"]),
    ];
    let files = vec![
        (
            PathBuf::from("engine/ledger.rs"),
            "use crate::data::Matrix;\nlet p = crate::metrics::PERIODS_PER_YEAR;\n".to_string(),
        ),
        (
            PathBuf::from("optimise/mod.rs"),
            "use crate::{data::Matrix, metrics::sharpe};\n".to_string(),
        ),
        (
            PathBuf::from("error.rs"),
            "use crate::metrics::X;".to_string(),
        ),
        (PathBuf::from("report/mod.rs"), String::new()),
    ];
    assert_eq!(
        breaches(&layers, &files),
        vec![
            "src/engine/ledger.rs:2: `engine` uses `metrics`, a higher layer",
            "src/optimise/mod.rs:1: `optimise` uses `metrics`, a module of its own layer",
            "src/report/mod.rs: module `report` has no layer",
        ]
    );
}
