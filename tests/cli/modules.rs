//! The module graph: the hook path never reaches the tools, and no two modules of src/ import
//! each other, directly or around a loop. A module is a top-level module of the crate
//! (`src/NAME.rs` or `src/NAME/`), and each tool under `src/tools/` counts as its own
//! (`tools::install`, `tools::serve`, ...). An edge is a `crate::` or `super::` path in the code
//! (comments and tests left out) that leads from one module into another.

use crate::api::rust_files;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The module path of a file under src/ (`src/tools/serve/http.rs` -> `tools serve http`);
/// `None` for the crate root, main.rs and the executables under src/bin.
fn module_path(file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src()).ok()?.with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.first().map(String::as_str) {
        None | Some("lib" | "main" | "bin") => None,
        _ => Some(parts),
    }
}

/// The graph's node a module path belongs to.
fn node(path: &[String]) -> Option<String> {
    match path {
        [] => None,
        [tools, tool, ..] if tools == "tools" => Some(format!("tools::{tool}")),
        [first, ..] => Some(first.clone()),
    }
}

/// The code of a file: its tests (from the first `#[cfg(test)]` on) and its comments left out.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths `code` in the module at `here` names: `crate::a::b` and `super::x` (with as
/// many `super::` as it climbs), each with its leading identifiers.
fn references(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|p| !p.is_empty())
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        out.push(ident(&code[i + "crate::".len()..]));
    }
    for (i, _) in code.match_indices("super::") {
        if code[..i].ends_with("super::") {
            continue;
        }
        let rest = &code[i..];
        let ups = rest
            .as_bytes()
            .chunks(7)
            .take_while(|c| *c == b"super::")
            .count();
        let mut path: Vec<String> = here[..here.len().saturating_sub(ups)].to_vec();
        path.extend(ident(&rest[ups * 7..]));
        out.push(path);
    }
    out
}

/// Edges between the graph's nodes: which module's code names which other module.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let Some(here) = module_path(&f) else {
            continue;
        };
        let from = node(&here).expect("a module");
        let text = std::fs::read_to_string(&f).expect("source");
        for r in references(&code_of(&text), &here) {
            if let Some(to) = node(&r).filter(|to| *to != from) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
        edges.entry(from).or_default();
    }
    edges
}

/// Every loop of the graph, as the nodes of a strongly connected component with more than one
/// node (Tarjan's algorithm).
fn loops(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.stack.contains(&w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let at = self
                    .stack
                    .iter()
                    .rposition(|x| *x == v)
                    .expect("on the stack");
                let component: Vec<String> = self.stack.drain(at..).map(str::to_owned).collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_two_modules_import_each_other() {
    let edges = graph();
    assert!(edges.len() > 15, "the walk sees the modules: {edges:?}");
    assert!(
        edges["cli"].contains("tools::install") && edges["hook"].contains("store"),
        "the walk sees the edges: {edges:?}"
    );
    let found = loops(&edges);
    let text: Vec<String> = found
        .iter()
        .map(|c| {
            let inner: Vec<String> = c
                .iter()
                .map(|n| {
                    let to: Vec<&String> = edges[n].iter().filter(|t| c.contains(t)).collect();
                    format!("{n} -> {to:?}")
                })
                .collect();
            inner.join("; ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules that import each other:\n{}",
        text.join("\n")
    );
}

#[test]
fn the_check_finds_a_loop_and_resolves_paths() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.entry(a.into()).or_default().insert(b.into());
        edges.entry(b.into()).or_default();
    }
    let found = loops(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].iter().collect::<BTreeSet<_>>().len(), 3);
    let here: Vec<String> = ["tools", "serve", "http"].map(String::from).to_vec();
    let refs = references(
        "use super::super::install::x; use crate::store::Store; let y = $crate::no;",
        &here,
    );
    let nodes: Vec<Option<String>> = refs.iter().map(|r| node(r)).collect();
    assert_eq!(
        nodes,
        [
            Some("store".to_string()),
            Some("tools::install".to_string())
        ]
    );
    assert_eq!(
        code_of("let a = 1; // crate::x\n#[cfg(test)]\nuse crate::y;"),
        "let a = 1; "
    );
}

/// The hook path and what it needs never reach into the tools: only the dispatcher knows them.
/// (The compiler holds it too: .ci/run builds the library and posthook-hook without the `tools`
/// feature.)
#[test]
fn the_hook_path_never_uses_the_tools() {
    let edges = graph();
    let hook_path = [
        "hook",
        "input",
        "store",
        "runtime",
        "output",
        "alarm",
        "config",
        "project",
        "telemetry",
        "transcript",
        "exit",
        "record",
    ];
    let mut reached = BTreeSet::new();
    let mut todo: Vec<&str> = hook_path.to_vec();
    while let Some(n) = todo.pop() {
        if reached.insert(n.to_owned()) {
            todo.extend(edges.get(n).into_iter().flatten().map(String::as_str));
        }
    }
    let tools: Vec<&String> = reached
        .iter()
        .filter(|n| n.starts_with("tools") || *n == "cli" || *n == "error")
        .collect();
    assert!(tools.is_empty(), "the hook path reaches: {tools:?}");
    assert!(reached.contains("store") && reached.contains("input"));
}
