//! The analysis core is pure: no file, clock, environment, process or network access anywhere in
//! its non-test code. The `posthook` crate does the I/O and hands values in; this test keeps it so.

use std::path::{Path, PathBuf};

/// What would make an analyzer impure, and what it is.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "file access"),
    ("std::env", "the environment"),
    ("std::process", "processes"),
    ("std::time", "clocks"),
    ("std::net", "the network"),
    ("std::thread", "threads"),
    ("SystemTime", "the wall clock"),
    ("Instant", "the monotonic clock"),
    ("std::io::stdin", "stdin"),
    ("std::io::stdout", "stdout"),
    ("std::io::stderr", "stderr"),
    ("println!", "printing"),
    ("eprintln!", "printing"),
    ("print!", "printing"),
    ("eprint!", "printing"),
    ("File::", "file access"),
    ("tokio", "an async runtime"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file without its unit tests (everything from the first `#[cfg(test)]` on: tests sit at
/// the bottom of the file they test) and without comments, with every grouped import spelled out
/// (`use std::{fs, io::stdin}` also reads `std::fs` and `std::io::stdin`).
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let code = code
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("std::{") {
        let open = from + i + "std::".len();
        let close = matching_brace(&code, open);
        group_paths("std::", &code[open + 1..close], &mut paths);
        from = close;
    }
    paths.insert(0, code);
    paths.join("\n")
}

/// The index of the `}` that closes the `{` at `open` (the end of `code` when none does).
fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// Every path a `{...}` import group names, each with `prefix` before it.
fn group_paths(prefix: &str, group: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    for item in items.iter().map(|t| {
        // `fs as f` names `fs`.
        let words: Vec<&str> = t.split_whitespace().collect();
        words
            .split(|w| *w == "as")
            .next()
            .unwrap_or_default()
            .concat()
    }) {
        match item.split_once('{') {
            Some((head, inner)) => {
                let inner = inner.strip_suffix('}').unwrap_or(inner);
                group_paths(&format!("{prefix}{head}"), inner, out);
            }
            None if !item.is_empty() => out.push(format!("{prefix}{item}")),
            None => {}
        }
    }
}

/// The module files `text` declares (`mod name;`), as paths relative to the directory that holds
/// them: `name.rs` or `name/mod.rs`.
fn declared_modules(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn the_analyzers_crate_touches_no_file_clock_env_or_process() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "sources: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        let code = code_of(&std::fs::read_to_string(f).expect("read"));
        for (needle, what) in FORBIDDEN {
            if code.contains(needle) {
                found.push(format!("{}: `{needle}` ({what})", f.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "impure code in posthook-analyzers:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_walk_sees_every_module_of_the_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        assert!(
            !text.contains("#[path"),
            "{}: a module outside the walked tree",
            f.display()
        );
        // `lib.rs` and `mod.rs` hold their modules beside them; `foo.rs` holds them in `foo/`.
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let dir = f.parent().expect("parent");
        let dir = if matches!(stem, "lib" | "mod") {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        for m in declared_modules(&text) {
            let file = dir.join(format!("{m}.rs"));
            let nested = dir.join(&m).join("mod.rs");
            assert!(
                files.contains(&file) || files.contains(&nested),
                "{}: `mod {m};` is not a file the check reads",
                f.display()
            );
        }
    }
    let nested = files
        .iter()
        .filter(|f| f.parent() != Some(src.as_path()))
        .count();
    assert!(nested > 10, "files in subdirectories: {nested}");
}

#[test]
fn the_check_would_catch_what_it_looks_for() {
    let code = code_of("use std::fs;\nfn f() { let t = std::time::Instant::now(); }\n#[cfg(test)]\nmod t { use std::env; }");
    assert!(code.contains("std::fs") && code.contains("Instant"));
    assert!(!code.contains("std::env"), "test code is left out");
    assert!(!code_of("// std::fs in a comment").contains("std::fs"));
    let grouped = code_of("use std::{\n    collections::BTreeMap,\n    fs as f,\n    env as e,\n    io::{self, stdin},\n    time::{Duration, Instant},\n};");
    for needle in [
        "std::fs\n",
        "std::env\n",
        "std::io::stdin",
        "std::time",
        "Instant",
    ] {
        assert!(grouped.contains(needle), "{needle} in {grouped}");
    }
    assert!(!code_of("use std::{collections::BTreeMap, fmt};").contains("std::fs"));
    assert_eq!(
        declared_modules("mod a;\npub mod b;\n    mod c {\n#[cfg(test)]\nmod tests;"),
        ["a", "b", "tests"]
    );
}
