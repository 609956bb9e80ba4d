//! The layers of the crate: no two top-level modules import each other, even
//! through others (ARCHITECTURE.md: dependencies point down the data flow).
//! Edges are the `crate::MODULE` paths of the code (comments and unit tests
//! left out), so that `cargo test` fails on a new cycle and names it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its code names.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") || p.ends_with("tests.rs") {
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Unit tests at the end of a file may reach anywhere.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            for line in code.lines() {
                let line = line.split("//").next().unwrap_or("");
                for (i, _) in line.match_indices("crate::") {
                    let name: String = line[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != module {
                        out.entry(module.clone()).or_default().insert(name);
                    }
                }
            }
            out.entry(module).or_default();
        }
    }
    out
}

/// A cycle through `from`, if any: the modules in order.
fn cycle_from(
    from: &str,
    at: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in edges.get(at).into_iter().flatten() {
        if next == from {
            let mut c = path.clone();
            c.push(from.to_string());
            return Some(c);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(c) = cycle_from(from, next, edges, path, seen) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it() {
    let edges = edges();
    assert!(
        edges.len() > 10,
        "the crate's modules were not found: {edges:?}"
    );
    assert!(
        edges["pipeline"].contains("flow"),
        "edges are read: {edges:?}"
    );
    let mut cycles = Vec::new();
    for m in edges.keys() {
        let mut path = vec![m.clone()];
        if let Some(c) = cycle_from(m, m, &edges, &mut path, &mut BTreeSet::new()) {
            cycles.push(c.join(" -> "));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The command line only parses, builds the configuration and dispatches
/// (ripgrep's shape): each of its files stays short enough to read at once.
#[test]
fn the_cli_files_stay_under_500_lines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let lines = std::fs::read_to_string(&p).unwrap().lines().count();
        assert!(lines < 500, "{} has {lines} lines", p.display());
    }
}
