//! The engine's modules import each other without a cycle, and nothing imports the facade: a
//! newcomer can read the crate bottom-up, and a runtime module never reaches back up through
//! `Engine`. Read from the sources, as a reviewer would (`use crate::…` and `crate::…` paths).

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

/// The crate's top-level modules (a file `x.rs` or a directory `x/`) and the modules each uses.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let relative = path.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "test_fixtures" {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let used = graph.entry(module.clone()).or_default();
        for target in crate_paths(&text) {
            if target != module {
                used.insert(target);
            }
        }
    }
    graph
}

/// The first segment of every `crate::` path outside comments and unit tests, expanding
/// `crate::{a, b::c}`. (A unit test may use a module above its own: that is no arrow of the
/// crate's.)
fn crate_paths(text: &str) -> Vec<String> {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            found.extend(items.iter().map(|item| first_segment(item)));
        } else {
            found.push(first_segment(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle of the graph, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(graph, next, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(graph, node, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_import_each_other_without_a_cycle() {
    let graph = imports();
    assert!(graph.len() > 20, "the sources were read: {graph:?}");
    if let Some(cycle) = cycle(&graph) {
        panic!(
            "the engine's modules import in a circle: {}",
            cycle.join(" → ")
        );
    }
}

#[test]
fn nothing_below_the_facade_imports_it() {
    let graph = imports();
    let importers: Vec<_> = graph
        .iter()
        .filter(|(_, used)| used.contains("engine") || used.contains("Engine"))
        .map(|(module, _)| module.as_str())
        .collect();
    assert!(
        importers.is_empty(),
        "these modules import the facade: {importers:?}"
    );
}

#[test]
fn the_reader_finds_cycles_where_there_are_some() {
    let mut graph = BTreeMap::new();
    for (module, uses) in [("a", "b"), ("b", "c"), ("c", "a")] {
        graph
            .entry(module.to_owned())
            .or_insert_with(BTreeSet::new)
            .insert(uses.to_owned());
    }
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(
        crate_paths(
            "use crate::{a::{B, C}, d, e::f};\n// crate::g\nlet x = crate::h::i();\n\
             #[cfg(test)]\nmod tests {\n    use crate::j;\n}"
        ),
        ["a", "d", "e", "h"]
    );
}
