//! The analysis core is pure: no file, clock, environment, process or network access anywhere in
//! its non-test code. The `posthook` crate does the I/O and hands values in; this test keeps it so.

use std::path::{Path, PathBuf};

/// What would make an analyzer impure, and what it is.
const FORBIDDEN: &[(&str, &str)] = &[
    ("std::fs", "file access"),
    ("std::env", "the environment"),
    ("std::process", "processes"),
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
/// the bottom of the file they test) and without comments.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    code.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
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
fn the_check_would_catch_what_it_looks_for() {
    let code = code_of("use std::fs;\nfn f() { let t = std::time::Instant::now(); }\n#[cfg(test)]\nmod t { use std::env; }");
    assert!(code.contains("std::fs") && code.contains("Instant"));
    assert!(!code.contains("std::env"), "test code is left out");
    assert!(!code_of("// std::fs in a comment").contains("std::fs"));
}
