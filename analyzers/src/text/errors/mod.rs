//! Error texts: the line worth quoting and a signature that stays the same when the same failure
//! comes again, and changes when the failure changed.
//!
//! `scan` picks the lines read (head and tail of a long text), `normalize` cleans and folds a line,
//! `classify` tells the failure's own lines from headers, progress and summaries.

mod classify;
mod normalize;
mod scan;

use super::Fnv;
use classify::{Classifier, Kind};
use normalize::{clean_lower, norm_hash, LINE_BYTES};

/// At most this many distinct informative lines make a signature.
const MAX_SIGNATURE_LINES: usize = 64;

/// Calls `f` with each read line of `text` (see [`scan::lines`]): its kind, the cleaned part that
/// identifies it, and the line as printed. `f` returns false to stop.
fn each_line<'t>(text: &'t str, mut f: impl FnMut(Kind, &str, &'t str) -> bool) {
    let mut classifier = Classifier::default();
    let mut buf = [0u8; LINE_BYTES];
    for raw in scan::lines(text) {
        let clean = clean_lower(raw, &mut buf);
        let (kind, key) = classifier.classify(raw, clean);
        if !f(kind, key, raw) {
            return;
        }
    }
}

/// The line of an error text worth quoting: the first that states the failure (an assertion,
/// `error[E0425]: ...`, `ValueError: ...`, `file:line: message`), else the first failing test's
/// name, else the first hint (`make: *** ...`, a warning), else the first line that is not a
/// header, progress or a summary (`Compiling`, `running 2 tests`, `Exit code 1`), else the first
/// generic "X failed" line, else "". `<tool_use_error>` tags and an `Error:` prefix are dropped.
pub fn error_line(text: &str) -> &str {
    // The first line of each kind, by rank: Header, Other, Weak, Name (Strong returns at once).
    let mut first: [Option<&str>; 4] = [None; 4];
    each_line(text, |kind, _, raw| {
        let slot = match kind {
            Kind::Strong => {
                first = [Some(raw); 4];
                return false;
            }
            Kind::Noise => return true,
            Kind::Header => 0,
            Kind::Other => 1,
            Kind::Weak => 2,
            Kind::Name => 3,
        };
        first[slot].get_or_insert(raw);
        true
    });
    first
        .iter()
        .rev()
        .find_map(|l| *l)
        .map(display)
        .unwrap_or("")
}

/// A line as quoted: trimmed, without `<tool_use_error>` tags, an `Error:` prefix, credo's `┃`
/// gutter or colors at its ends.
fn display(raw: &str) -> &str {
    let l = trim_escapes(raw.trim());
    let l = l.strip_prefix('┃').unwrap_or(l).trim_start();
    let l = l.strip_prefix("<tool_use_error>").unwrap_or(l);
    let l = l.strip_suffix("</tool_use_error>").unwrap_or(l);
    let l = l.strip_prefix("Error:").unwrap_or(l);
    trim_escapes(l.trim()).trim()
}

/// `s` without the color codes (`ESC [ ... m`) at its start and its end.
fn trim_escapes(mut s: &str) -> &str {
    while let Some(rest) = s.strip_prefix("\x1b[") {
        match rest.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) => s = &rest[i + 1..],
            None => break,
        }
    }
    while s.ends_with('m') {
        match s.rfind("\x1b[") {
            Some(i)
                if s[i + 2..s.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b';') =>
            {
                s = &s[..i];
            }
            _ => break,
        }
    }
    s
}

/// The exit code of a Bash failure (`Exit code N` on its first line), or "".
fn exit_code(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("Error:").unwrap_or(l).trim())
        .and_then(|l| l.strip_prefix("Exit code "))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("")
}

/// A compact signature of a failure, equal for the same failure and different when it changed.
///
/// It hashes the exit code (`Exit code N`) and the set of the output's informative lines
/// (assertions and their values, diagnostics and their locations, exceptions, `file:line:
/// message` reports, failing test names), each normalized: colors, case and spacing ignored, line
/// numbers, durations, ids, hashes and temp directories folded. The set is sorted and
/// deduplicated, so the order tests ran in does not count; an error fixed (the set shrank) or a
/// value that changed (`left: 2` became `left: 4`) gives another signature. Headers, progress
/// and summaries (`Compiling`, `running 2 tests`, `test result: FAILED`, `Traceback ...`, `not
/// ok 1 - f`, `2 failed`) never count. When no line states a failure, the signature is that of all
/// the lines but those. A long output is read by its first 1 KiB and its last 2 KiB. Only this number is
/// ever stored, never the text.
pub fn error_signature(text: &str) -> u64 {
    let mut set = [0u64; MAX_SIGNATURE_LINES];
    let mut len = 0;
    // Lines past the set's capacity still count, added up (the sum does not depend on their
    // order): a long build log before the failures must not push the failures out.
    let mut overflow = 0u64;
    let mut stated = false;
    each_line(text, |kind, key, _| {
        if matches!(kind, Kind::Strong | Kind::Name) {
            stated |= kind == Kind::Strong;
            let h = norm_hash(key);
            if set[..len].contains(&h) {
            } else if len < MAX_SIGNATURE_LINES {
                set[len] = h;
                len += 1;
            } else {
                overflow = overflow.wrapping_add(h);
            }
        }
        true
    });
    let mut sig = Fnv::new();
    sig.bytes(exit_code(text).as_bytes());
    if stated {
        let set = &mut set[..len];
        set.sort_unstable();
        sig.bytes(b"|");
        for h in set.iter() {
            sig.bytes(&h.to_le_bytes());
        }
        sig.bytes(&overflow.to_le_bytes());
    } else {
        // Nothing states the failure: every line but the noise, in order (a second pass, as
        // this is the rare case).
        sig.bytes(b"~");
        each_line(text, |kind, key, _| {
            if kind != Kind::Noise {
                sig.bytes(&norm_hash(key).to_le_bytes());
            }
            true
        });
    }
    sig.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signatures are persisted (a session's failure facts): the same text must hash to the same
    /// value in every version. These figures may only change with a new state format.
    #[test]
    fn signatures_are_pinned() {
        let pins: [(&str, u64); 4] = [
            (
                "Exit code 2\nls: cannot access 'x': No such file or directory",
                0x9258_27b3_8aa8_24f0,
            ),
            (
                "Exit code 1\nsrc/a.rs:12:5: error[E0425]: cannot find value `x` in this scope\n\
                 error: aborting due to 1 previous error",
                0xd4ec_6889_55fa_5e90,
            ),
            ("some output\nmore output 12 lines\n", 0x99d4_f0a0_e1db_e871),
            ("", 0xaf63_f34c_8602_13a1),
        ];
        for (text, sig) in pins {
            assert_eq!(error_signature(text), sig, "{text:?}");
        }
        let lines: [(&str, u64); 5] = [
            ("src/a.rs:12:5: error: x", 0xa5d3_0af3_ac1b_eb34),
            ("took 0.20s in /tmp/abc123", 0xa79b_b2e0_4b30_d4db),
            ("  a   b  ", 0xe63f_9919_0483_3892),
            ("", 0xcbf2_9ce4_8422_2325),
            (
                "0xdeadbeef calc-c6626fb655a8d231 (13998)",
                0xb706_dd3c_07d1_bf8d,
            ),
        ];
        for (line, hash) in lines {
            assert_eq!(norm_hash(line), hash, "{line:?}");
        }
    }

    #[test]
    fn errors_past_the_sets_capacity_still_count() {
        let many: String = (0..MAX_SIGNATURE_LINES + 10)
            .map(|i| format!("src/f{i}.c:1:1: error: unknown type name 't{i}'\n"))
            .collect();
        let a = format!("Exit code 1\n{many}src/z.c:2:3: error: expected ';' before 'x'\n");
        let b = format!("Exit code 1\n{many}src/z.c:2:3: error: expected ')' before 'y'\n");
        assert_ne!(error_signature(&a), error_signature(&b));
        assert_eq!(error_signature(&a), error_signature(&a.clone()));
    }

    #[test]
    fn error_lines_and_signatures() {
        let a = "Exit code 2\nls: cannot access 'x': No such file or directory";
        assert_eq!(
            error_line(a),
            "ls: cannot access 'x': No such file or directory"
        );
        assert_eq!(
            error_line("<tool_use_error>File does not exist.</tool_use_error>"),
            "File does not exist."
        );
        assert_eq!(
            error_line("Exit code 1\nCompiling 4 files\n  1) test a fails\n"),
            "1) test a fails"
        );
        assert_eq!(error_line("Exit code 1\nall fine\n"), "all fine");
        assert_eq!(error_line(""), "");
        // Same error, other line number: same signature; other exit code or error: another.
        let s = |t: &str| error_signature(t);
        assert_eq!(
            s("Exit code 1\nsrc/a.rs:12: error: x"),
            s("Exit code 1\nsrc/a.rs:15: error: x")
        );
        assert_ne!(s("Exit code 1\nerror: x"), s("Exit code 2\nerror: x"));
        assert_ne!(s("Exit code 1\nerror: x"), s("Exit code 1\nerror: y"));
        assert_eq!(
            s("Error: Exit code 1\nerror: x"),
            s("Exit code 1\nerror: x")
        );
        let long = "é".repeat(10_000);
        assert!(!error_line(&long).is_empty());
    }

    #[test]
    fn the_quoted_line_states_the_failure_never_a_header() {
        let cases = [
            (
                "Exit code 1\nFAIL ./calc.test.js\n  ✕ f is 3 (10 ms)\n\n  ● f is 3\n\n    expect(received).toBe(expected)\n\n    Expected: 3\n    Received: 2",
                "Expected: 3",
            ),
            (
                "Exit code 2\ncc -Wall -Werror   -c -o main.o main.c\nmain.c:2:12: error: 'x' undeclared\nmake: *** [<builtin>: main.o] Error 1",
                "main.c:2:12: error: 'x' undeclared",
            ),
            (
                "Exit code 1\nnot ok 1 - f is 3\n  ---\n  error: |-\n    Expected values to be strictly equal:\n\n    2 !== 3",
                "Expected values to be strictly equal:",
            ),
            (
                "Pre-commit validation failed:\\n\\n[CREDO]\n┃ [F] → Function is too complex.\n┃       lib/a.ex:144:7 #(A.f)",
                "lib/a.ex:144:7 #(A.f)",
            ),
            (
                "Exit code 1\nTraceback (most recent call last):\n  File \"m.py\", line 8, in <module>\n    load()\nValueError: bad",
                "ValueError: bad",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(error_line(text), want, "{text}");
        }
    }

    /// The lines of `text` that state its failure, as [`error_line`] quotes them.
    fn strong_lines(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        each_line(text, |kind, _, raw| {
            if kind == Kind::Strong {
                out.push(display(raw));
            }
            true
        });
        out
    }

    /// The failure corpus (`tests/data/failures`, made by running the real tools, see its
    /// README): for every tool, the same failure twice gives one signature, a changed failure
    /// another, and the quoted line is one that states the failure.
    #[test]
    #[allow(clippy::disallowed_methods)] // reads the failure corpus
    fn the_real_tools_failures_are_told_apart() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/failures");
        let mut tools: Vec<_> = std::fs::read_dir(&root)
            .expect("tests/data/failures is missing")
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.path())
            .collect();
        tools.sort();
        assert!(tools.len() >= 12, "tools in the corpus: {tools:?}");
        let mut wrong = Vec::new();
        for tool in &tools {
            let mut names: Vec<String> = std::fs::read_dir(tool)
                .expect("tool dir")
                .flatten()
                .filter_map(|e| {
                    let n = e.file_name().into_string().ok()?;
                    n.strip_suffix(".a.txt").map(str::to_string)
                })
                .collect();
            names.sort();
            let kinds = |k: &str| names.iter().filter(|n| n.starts_with(k)).count();
            assert!(
                kinds("same-") > 0 && kinds("changed-") > 0,
                "{}: a same pair and a changed pair each: {names:?}",
                tool.display()
            );
            for name in &names {
                let read = |side: &str| {
                    std::fs::read_to_string(tool.join(format!("{name}.{side}.txt")))
                        .expect("both sides of a pair")
                };
                let (a, b) = (read("a"), read("b"));
                let what = format!("{}/{name}", tool.file_name().unwrap().to_string_lossy());
                let same = error_signature(&a) == error_signature(&b);
                if same != name.starts_with("same-") {
                    wrong.push(format!("{what}: signatures equal = {same}"));
                }
                for text in [&a, &b] {
                    let line = error_line(text);
                    let strong = strong_lines(text);
                    let quotable = if strong.is_empty() {
                        let mut buf = [0; LINE_BYTES];
                        !line.is_empty() && !classify::is_noise(clean_lower(line, &mut buf))
                    } else {
                        strong.contains(&line)
                    };
                    if !quotable {
                        wrong.push(format!("{what}: quotes {line:?}, not one of {strong:?}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
