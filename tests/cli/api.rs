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

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// The hook path and what it needs never reach into the tools: only the dispatcher and the exit
/// codes know them.
#[test]
fn the_hook_path_never_uses_the_tools() {
    let mut files = Vec::new();
    for m in [
        "hook",
        "input",
        "store",
        "state_codec",
        "runtime",
        "output",
        "alarm",
        "config",
        "project",
        "telemetry",
        "transcript",
    ] {
        let found = module_files(m);
        assert!(!found.is_empty(), "no files for module `{m}`");
        files.extend(found);
    }
    let users: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("source");
            text.contains("crate::tools") || text.contains("super::tools")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(users.is_empty(), "the hook path uses src/tools: {users:?}");
}

/// `text` with comments, string and char literals blanked out (newlines kept), so that braces
/// inside them do not count.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend(s.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }))
    };
    while i < b.len() {
        let rest = &b[i..];
        let end = if rest.starts_with(b"//") {
            rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            rest.windows(2)
                .position(|w| w == b"*/")
                .map_or(rest.len(), |p| p + 2)
        } else if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) == Some(&b'"') && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            {
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let body = 2 + hashes;
                rest[body..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(rest.len(), |p| body + p + close.len())
            } else {
                0
            }
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(rest.len())
        } else if rest[0] == b'\'' {
            // A char literal ('x', '\n', '\u{7f}'), not a lifetime ('a).
            match rest.get(1) {
                Some(b'\\') => rest[2..]
                    .iter()
                    .position(|&c| c == b'\'')
                    .map_or(0, |p| p + 3),
                Some(_) if rest.get(2) == Some(&b'\'') => 3,
                _ => 0,
            }
        } else {
            0
        };
        if end == 0 {
            out.push(b[i]);
            i += 1;
        } else {
            blank(&mut out, &rest[..end]);
            i += end;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every function longer than `limit` lines before the file's `#[cfg(test)]` module, as
/// `name (lines)`.
fn long_functions(text: &str, limit: usize) -> Vec<String> {
    let tests_at = text
        .lines()
        .position(|l| l.starts_with("#[cfg(test)]"))
        .unwrap_or(usize::MAX);
    let code = code_only(text);
    let lines: Vec<&str> = code.lines().collect();
    let mut long = Vec::new();
    let mut i = 0;
    while i < lines.len().min(tests_at) {
        let mut words = lines[i].split_whitespace().peekable();
        while words.peek().is_some_and(|w| {
            w.starts_with("pub") || ["const", "async", "unsafe", "extern"].contains(w)
        }) {
            words.next();
        }
        if words.next() != Some("fn") {
            i += 1;
            continue;
        }
        let name: String = words
            .next()
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut opened, mut j) = (0i64, false, i);
        while j < lines.len() {
            let l = lines[j];
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
            opened |= l.contains('{');
            if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                break;
            }
            j += 1;
        }
        if j + 1 - i > limit {
            long.push(format!("{name} ({} lines)", j + 1 - i));
        }
        i = j + 1;
    }
    long
}

/// No function outside tests is longer than 80 lines: a long function is several jobs, each of
/// which deserves a name.
#[test]
fn no_function_is_longer_than_80_lines() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("analyzers/src"), &mut files);
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        for l in long_functions(&text, 80) {
            long.push(format!("{}: {l}", f.display()));
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
    // The scan sees a long function, and is not fooled by braces in strings or comments.
    let body = "    let x = 1;\n".repeat(81);
    assert_eq!(
        long_functions(&format!("fn big() {{\n{body}}}\n"), 80),
        ["big (83 lines)"]
    );
    let tricky = "pub(crate) fn f() {\n    let s = \"}}}\"; // }\n    let c = '}';\n}\nfn g() {}\n";
    assert!(
        long_functions(tricky, 4).is_empty(),
        "{:?}",
        long_functions(tricky, 4)
    );
    assert_eq!(long_functions(tricky, 3), ["f (4 lines)"]);
}
