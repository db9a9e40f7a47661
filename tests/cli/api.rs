//! The library API is what docs/library.md documents: every item the crate makes public (declared
//! `pub` at the top of a public module's files, or re-exported with `pub use`) is named in
//! docs/library.md, and every module the crate root makes public is one docs/library.md
//! lists. `#![warn(unreachable_pub)]` covers the private modules; this covers the public ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// docs/library.md, the page on the library: all of it documents the API.
fn library_section() -> String {
    let doc = std::fs::read_to_string(root().join("docs/library.md")).expect("docs/library.md");
    assert!(
        doc.starts_with("# Library\n"),
        "docs/library.md is the Library page"
    );
    doc
}

/// `pub mod NAME;` lines of src/lib.rs (not `pub(crate)`).
fn public_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("lib.rs");
    lib.lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect()
}

/// Every `.rs` file under `dir`, recursively.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The files of module `m`: `src/m.rs` and everything under `src/m/`.
fn module_files(m: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = root().join("src").join(format!("{m}.rs"));
    if file.exists() {
        files.push(file);
    }
    let dir = root().join("src").join(m);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    }
    files
}

/// Names a file makes public at its top level, outside its tests: `pub fn|struct|enum|const|
/// static|trait|type NAME`, and the names of `pub use` lines.
fn public_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if let Some(rest) = line.strip_prefix("pub use ") {
            let mut stmt = rest.to_string();
            while !stmt.contains(';') {
                stmt.push_str(lines.next().unwrap_or(";"));
            }
            let inner = stmt.split(['{', '}']).nth(1).unwrap_or(&stmt).to_string();
            for part in inner.trim_end_matches(';').split(',') {
                let part = part.trim();
                let name = part.rsplit(" as ").next().unwrap_or(part);
                let name = name.rsplit("::").next().unwrap_or(name).trim();
                if !name.is_empty() && name != "self" {
                    names.push(name.to_string());
                }
            }
            continue;
        }
        for kind in ["fn", "struct", "enum", "const", "static", "trait", "type"] {
            if let Some(rest) = line.strip_prefix(&format!("pub {kind} ")) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn every_public_item_is_one_docs_library_documents() {
    let section = library_section();
    let modules = public_modules();
    let mut undocumented = BTreeSet::new();
    for m in &modules {
        assert!(
            section.contains(&format!("posthook::{m}")),
            "module `{m}` is public but docs/library.md does not name it"
        );
        for f in module_files(m) {
            let text = std::fs::read_to_string(&f).expect("source");
            for name in public_names(&text) {
                let named = section.contains(&format!("`{name}`"))
                    || section.contains(&format!("`posthook::{m}::{name}`"));
                if !named {
                    undocumented.insert(format!("{m}::{name} ({})", f.display()));
                }
            }
        }
    }
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("lib.rs");
    for name in public_names(&lib) {
        if name != "analyzers" && !section.contains(&format!("`{name}`")) {
            undocumented.insert(format!("crate root: {name}"));
        }
    }
    assert!(
        undocumented.is_empty(),
        "public but not in docs/library.md (document them or make them \
         pub(crate)):\n{}",
        undocumented.into_iter().collect::<Vec<_>>().join("\n")
    );
    // The check sees what it should: the modules and a known item.
    assert!(modules.iter().any(|m| m == "store"), "{modules:?}");
    assert!(public_names("pub struct Store {\n").contains(&"Store".to_string()));
    assert!(!public_names("pub(crate) fn hidden() {}\n").contains(&"hidden".to_string()));
}
