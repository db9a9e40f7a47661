//! What a line of tool output is: the failure itself, a failing test's name, a weak hint, or a
//! header, progress or summary line that is the same in every failing run.
//!
//! Lines come cleaned and lowercased ([`super::normalize::clean_lower`]); the shapes are those of
//! the real tools in `tests/data/failures` (cargo, rustc, python, unittest, pytest, node, npm, tsc,
//! eslint, jest, go, make, gcc, git hooks, pre-commit, mix, credo, dialyzer).

/// The kinds of line, from least to most telling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Blank, a rule, progress, a summary count, a stack frame, a source snippet, a tool's fixed
    /// header: never part of a signature.
    Noise,
    /// A generic "X failed" line that only says that something failed.
    Header,
    /// Any other line: part of a signature only when nothing better is found.
    Other,
    /// A hint: a warning, a note, `make: *** ... Error 2`, `npm error ...`.
    Weak,
    /// A failing test's name without its message.
    Name,
    /// The failure itself: an assertion, a diagnostic, an exception, `file:line: message`.
    Strong,
}

/// Reads the lines of one output in order (some kinds depend on the lines before).
#[derive(Default)]
pub(crate) struct Classifier {
    /// Inside a stack trace opened at this indentation.
    stack: Option<usize>,
    /// The last informative line ended with `:`: the next one is its detail.
    detail_next: bool,
    /// The kind of the last diagnostic header, for the location line that follows it.
    last_diagnostic: Option<Kind>,
}

impl Classifier {
    /// The kind of a line and the part of it that identifies it. `raw` is the line as printed (for
    /// its indentation and case), `l` the cleaned one.
    pub(crate) fn classify<'l>(&mut self, raw: &str, l: &'l str) -> (Kind, &'l str) {
        let l = strip_gutter(l);
        if l.is_empty() {
            if self.stack.is_some_and(|_| raw.trim_ascii().is_empty()) {
                self.stack = None;
            }
            return (Kind::Noise, l);
        }
        let indent = raw.len() - raw.trim_ascii_start().len();
        if let Some(at) = self.stack {
            if indent > at {
                return (Kind::Noise, l);
            }
            self.stack = None;
        }
        if opens_stack(l) {
            self.stack = Some(indent);
            return (Kind::Noise, l);
        }
        if is_noise(l) {
            return (Kind::Noise, l);
        }
        let (kind, key) = self.kind_of(raw.trim_ascii_start(), l);
        self.detail_next = kind == Kind::Strong && l.ends_with(':');
        (kind, key)
    }

    fn kind_of<'l>(&mut self, raw: &str, l: &'l str) -> (Kind, &'l str) {
        if self.detail_next {
            self.detail_next = false;
            return (Kind::Strong, l);
        }
        if let Some(loc) = location(l) {
            return (self.last_diagnostic.unwrap_or(Kind::Other), loc);
        }
        if let Some(name) = test_name(raw, l) {
            return (Kind::Name, name);
        }
        let kind = if is_weak(l) {
            Kind::Weak
        } else if is_strong(raw, l) {
            if is_generic_failed(l) {
                Kind::Header
            } else {
                Kind::Strong
            }
        } else {
            Kind::Other
        };
        if matches!(kind, Kind::Weak | Kind::Strong) {
            self.last_diagnostic = Some(kind);
        }
        (kind, l)
    }
}

/// A line without its decoration: credo's `┃` gutter, `<tool_use_error>` tags.
fn strip_gutter(l: &str) -> &str {
    let l = l.strip_prefix('┃').unwrap_or(l).trim_ascii_start();
    let l = l.strip_prefix("<tool_use_error>").unwrap_or(l);
    l.strip_suffix("</tool_use_error>")
        .unwrap_or(l)
        .trim_ascii()
}

/// A header after which indented lines are stack frames.
fn opens_stack(l: &str) -> bool {
    l.starts_with("traceback (most recent call last)")
        || l == "stack backtrace:"
        || l == "stacktrace:"
        || l.starts_with("stack: |")
        || l == "call stack:"
}

/// Prefixes of the lines every failing run prints alike, by tool.
const NOISE_PREFIXES: &[&str] = &[
    // cargo, rustc
    "compiling ",
    "finished ",
    "running ",
    "fresh ",
    "checking ",
    "downloading",
    "downloaded ",
    "updating ",
    "locking ",
    "adding ",
    "blocking ",
    "documenting ",
    "installing ",
    "test result:",
    "failures:",
    "note: run with `rust_backtrace",
    "note: some details are omitted",
    "error: test failed, to rerun",
    "error: could not compile",
    "error: aborting due to",
    "for more information about this error",
    "some errors have detailed explanations",
    "warning: build failed",
    // node --test (TAP), jest, npm
    "tap version",
    "# subtest",
    "# tests ",
    "# suites ",
    "# pass ",
    "# fail ",
    "# cancelled ",
    "# skipped ",
    "# todo ",
    "# duration_ms",
    "duration_ms:",
    "location:",
    "failuretype:",
    "test suites:",
    "tests:",
    "snapshots:",
    "time:",
    "ran all test suites",
    "expect(received).",
    "npm notice",
    "> ",
    // unittest, pytest
    "ok (",
    "failed (",
    "platform ",
    "rootdir:",
    "plugins:",
    "cachedir:",
    "configfile:",
    "collected ",
    "collecting ",
    // mix, credo, dialyzer
    "generated ",
    "getting extensions",
    "finished in ",
    "randomized with seed",
    "please report incorrect results",
    "analysis took",
    "use `mix credo",
    "done in ",
    "total errors:",
    "finding suitable plts",
    "checking plt",
    "plt is up to date",
    "starting dialyzer",
    "no :ignore_warnings",
    // go test
    "ok  ",
    "ok\t",
    "fail\t",
    "=== run",
    "=== pause",
    "=== cont",
    "--- pass",
    "--- skip",
    "exit status ",
    "coverage:",
    // pre-commit framework, gcc
    "- hook id:",
    "- exit code:",
    "- files were modified",
    "[info]",
    "cc1: all warnings being treated",
    // Claude Code's own lines
    "[output truncated",
    "... [",
    "exit code ",
    "error: exit code ",
    // stack frames (`at f (file:1:2)`, python's `File "x", line 3`) and source gutters
    "at ",
    "file \"",
    "node:",
    "|",
    "│",
    "╵",
    "╷",
];

/// For each first byte, the [`NOISE_PREFIXES`] that start with it (bit `i` for entry `i`): a
/// line is compared with those few only.
const NOISE_BY_FIRST_BYTE: [u128; 256] = index_by_first_byte(NOISE_PREFIXES);

const fn index_by_first_byte(list: &[&str]) -> [u128; 256] {
    assert!(list.len() <= 128, "one bit per prefix");
    let mut out = [0u128; 256];
    let mut i = 0;
    while i < list.len() {
        out[list[i].as_bytes()[0] as usize] |= 1 << i;
        i += 1;
    }
    out
}

/// `l` starts with one of the [`NOISE_PREFIXES`].
fn has_noise_prefix(l: &str) -> bool {
    let b = l.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let mut candidates = NOISE_BY_FIRST_BYTE[usize::from(first)];
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        let p = NOISE_PREFIXES[i];
        // The second byte first: most candidates differ there, without a call to memcmp.
        if b.get(1) == p.as_bytes().get(1) && l.starts_with(p) {
            return true;
        }
    }
    false
}

/// Lines every failing run prints alike: tool headers, progress, summaries, frames, snippets.
pub(crate) fn is_noise(l: &str) -> bool {
    has_noise_prefix(l)
        || is_passing(l)
        || is_file_verdict(l)
        || matches!(l, "error: |-" | "error: |" | "error: >-")
        || matches!(l, "fail" | "pass" | "ok" | ">" | "...")
        || l.strip_prefix("ran ")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        || l.chars().all(is_rule_char)
        || is_tap_plan(l)
        || (l.starts_with("==") && l.ends_with("=="))
        || (l.starts_with("__") && l.ends_with("__"))
        || (l.starts_with("---- ") && l.ends_with(" ----"))
        || l.ends_with("%]")
        || is_progress(l)
        || is_summary(l)
        || is_frame_or_snippet(l)
        || is_hook_status(l)
        || (l.starts_with("make")
            && (l.contains("entering directory") || l.contains("leaving directory")))
}

fn is_rule_char(c: char) -> bool {
    matches!(
        c,
        '=' | '-' | '_' | '~' | '^' | '.' | '*' | '#' | '+' | ' ' | '|' | '│' | '─' | '━'
    )
}

/// A test that passed: `test a::b ... ok`, `ok 1 - name`, `✓ name (3 ms)`, `a.py::t PASSED`.
fn is_passing(l: &str) -> bool {
    (l.starts_with("test ") && (l.ends_with(" ... ok") || l.ends_with(" ... ignored")))
        || l.strip_prefix("ok ")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        || l.starts_with("✓ ")
        || l.starts_with("√ ")
        || l.ends_with(" passed")
}

/// jest's `FAIL ./calc.test.js` / `PASS src/a.test.ts`: a verdict on a whole file, before its
/// failures are told.
fn is_file_verdict(l: &str) -> bool {
    ["fail ", "pass "].iter().any(|p| {
        l.strip_prefix(p)
            .is_some_and(|f| !f.contains(' ') && is_file(f))
    })
}

/// `1..2`: a TAP plan.
fn is_tap_plan(l: &str) -> bool {
    l.starts_with(|c: char| c.is_ascii_digit())
        && l.split_once("..").is_some_and(|(a, b)| {
            [a, b]
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        })
}

/// `..F.`, `FF`, `.....E`: one character per test.
fn is_progress(l: &str) -> bool {
    l.len() <= 200
        && l.bytes()
            .all(|c| matches!(c, b'.' | b'f' | b'e' | b's' | b'x'))
}

/// `14 doctests, 127 tests, 12 failures`, `2 failed in 0.01s`, `✖ 1 problem (1 error, 0 warnings)`.
fn is_summary(l: &str) -> bool {
    const COUNTED: &[&str] = &[
        "passed",
        "failed",
        "failure",
        "problem",
        "test",
        "error",
        "warning",
        "skipped",
        "opportunit",
        "issue",
        "file",
    ];
    let body = l.trim_start_matches(['✖', '×', '✗', ' ']);
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && body[digits..].starts_with(' ')
        && body.len() <= 120
        && COUNTED.iter().any(|w| body.contains(w))
        && !body.contains(':')
}

/// A stack frame or a source line quoted under a diagnostic.
fn is_frame_or_snippet(l: &str) -> bool {
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &l[digits..];
    // `3 |     code`, `128 │   code` (a gutter), `0: symbol` (a backtrace frame).
    (digits > 0 && (rest.starts_with(" |") || rest.starts_with(" │") || rest.starts_with(": ")))
        // `(phoenix 1.8.3) lib/phoenix/token.ex:266: Phoenix.Token.sign/4`
        || (l.starts_with('(') && l.split(' ').nth(1).is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()) && v.ends_with(')')))
}

/// The pre-commit framework's `flake8.......Failed` / `Passed` / `Skipped` status lines.
fn is_hook_status(l: &str) -> bool {
    (l.ends_with("failed") || l.ends_with("passed") || l.ends_with("skipped"))
        && l.contains(".....")
}

/// A location line (`--> src/a.rs:3:5`, `└─ test/a.exs:12: Mod.fun/1`, `::: file`): the part
/// after its arrow.
fn location(l: &str) -> Option<&str> {
    ["--> ", "└─ ", "::: ", "╰─▶ "]
        .iter()
        .find_map(|p| l.strip_prefix(p))
        .map(str::trim)
}

/// A failing test named without its message: `test a::b ... FAILED`, `FAIL: test_x (m.C)`,
/// `not ok 2 - name`, `--- FAIL: TestX (0.00s)`, `● suite › name`, `✕ name (3 ms)`,
/// `1) test name (Module)`. Returns the name part.
fn test_name<'l>(raw: &str, l: &'l str) -> Option<&'l str> {
    if l.starts_with("test ") && l.ends_with(" ... failed") {
        return Some(l);
    }
    if (raw.starts_with("FAIL: ") || raw.starts_with("ERROR: ")) && l.ends_with(')') {
        return Some(l);
    }
    for p in ["not ok ", "--- fail: ", "● ", "✕ ", "✖ ", "× "] {
        if let Some(rest) = l.strip_prefix(p) {
            return Some(
                rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '-'),
            );
        }
    }
    let digits = l.bytes().take_while(u8::is_ascii_digit).count();
    match l[digits..].strip_prefix(") ") {
        Some(rest) if digits > 0 && !rest.is_empty() => Some(rest),
        _ => None,
    }
}

/// A hint rather than the failure: warnings, notes, help, `make: ***`, npm's error lines.
fn is_weak(l: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "warning",
        "note:",
        "help:",
        "= note",
        "= help",
        "hint:",
        "npm err!",
        "npm error",
        "npm warn",
        "make: ***",
        "info:",
        "deprecat",
        "[warn",
    ];
    if PREFIXES.iter().any(|p| l.starts_with(p)) {
        return true;
    }
    if l.starts_with("make[") && l.contains("]: ***") {
        return true;
    }
    // `main.c:2:12: note: ...`, `a.ts:1:1: warning: ...`
    location_message(l).is_some_and(|m| {
        m.starts_with("note:") || m.starts_with("warning:") || m.starts_with("help:")
    })
}

/// The failure itself: a diagnostic, an exception, an assertion, a failing check's report.
fn is_strong(raw: &str, l: &str) -> bool {
    l.starts_with("** (")
        || (raw.starts_with("E ") && l.len() > 2)
        || location_message(l).is_some()
        || has_mark(l)
}

/// The words of a failure (`error`, `expected`, `not found`, `!=`, ...), by their first byte: a
/// line is looked at once, each byte against the few words it may start.
fn marks_from(b: u8) -> &'static [&'static str] {
    match b {
        b'a' => &["assert", "actual:", "abort"],
        b'c' => &["cannot", "can't", "could not", "couldn't"],
        b'd' => &["denied"],
        b'e' => &["error", "exception", "expected"],
        b'f' => &["fail", "fatal"],
        b'i' => &["invalid"],
        b'l' => &["left:"],
        b'm' => &["missing", "mismatch"],
        b'n' => &["not found", "no such", "not defined", "not exist"],
        b'p' => &["panic"],
        b'r' => &["received", "refused", "rejected", "right:"],
        b't' => &["traceback", "timed out", "timeout"],
        b'u' => &["undefined", "undeclared", "unable", "unexpected", "unknown"],
        b'w' => &["want "],
        b'!' => &["!="],
        _ => &[],
    }
}

/// `l` holds a word of a failure ([`marks_from`]).
fn has_mark(l: &str) -> bool {
    let b = l.as_bytes();
    (0..b.len()).any(|i| {
        marks_from(b[i]).iter().any(|m| {
            // `-Werror` in an echoed compiler command is a flag, not an error.
            b[i..].starts_with(m.as_bytes()) && !(*m == "error" && i > 0 && b[i - 1] == b'w')
        })
    })
}

/// `Build failed`, `Pre-commit validation failed:`: says only that something failed.
fn is_generic_failed(l: &str) -> bool {
    let l = l.trim_end_matches([':', '.', '!']);
    l.len() < 48 && (l.ends_with("failed") || l.ends_with("failure"))
}

/// The message of a `file:line[:col]: message` (or `file:line:col message`) line: gcc, tsc's
/// `file(1,2): message`, flake8, go, credo, dialyzer, a hook's report.
pub(crate) fn location_message(l: &str) -> Option<&str> {
    let b = l.as_bytes();
    for at in 0..b.len().saturating_sub(1) {
        if !matches!(b[at], b':' | b'(') || !b[at + 1].is_ascii_digit() {
            continue;
        }
        let file = &l[l[..at].rfind([' ', '\t', '\'', '"']).map_or(0, |s| s + 1)..at];
        if !is_file(file) {
            continue;
        }
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b':' || **c == b',')
            .count();
        let mut rest = &l[at + 1 + digits..];
        if b[at] == b'(' {
            rest = rest.strip_prefix(')')?;
        }
        let rest = rest.trim_start_matches(':').trim();
        return (!rest.is_empty()).then_some(rest);
    }
    None
}

/// A word that names a file: has an extension or a directory, no spaces.
fn is_file(w: &str) -> bool {
    w.len() >= 3
        && (w.contains('/') || w.rfind('.').is_some_and(|d| d > 0 && d + 1 < w.len()))
        && !w.starts_with("http")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(raw: &str) -> Kind {
        let mut buf = [0; super::super::normalize::LINE_BYTES];
        let l = super::super::normalize::clean_lower(raw, &mut buf);
        Classifier::default().classify(raw, l).0
    }

    #[test]
    fn headers_progress_and_summaries_are_noise() {
        for l in [
            "   Compiling calc v0.1.0 (/tmp/x)",
            "     Running unittests src/lib.rs (target/debug/deps/calc-c6626fb655a8d231)",
            "running 2 tests",
            "test result: FAILED. 0 passed; 2 failed; 0 ignored; finished in 0.10s",
            "FAILED (failures=1)",
            "Traceback (most recent call last):",
            "TAP version 13",
            "1..2",
            "# fail 2",
            "2 failed, 1 passed in 0.01s",
            "============================== 2 failed in 0.01s ===============================",
            "14 doctests, 127 tests, 12 failures",
            "✖ 1 problem (1 error, 0 warnings)",
            "Exit code 1",
            "flake8...................................................................Failed",
            "- hook id: flake8",
            "test_calc.py FF                                                          [100%]",
            "..F.",
            "  3 |     println!(\"{}\", totl);",
            "    at Object.toBe (calc.test.js:4:15)",
            "(phoenix 1.8.3) lib/phoenix/token.ex:266: Phoenix.Token.sign/4",
            "error: test failed, to rerun pass `--lib`",
            "Total errors: 3, Skipped: 0, Unnecessary Skips: 0",
            "FAIL\tcalc\t0.002s",
            "test tests::f_is_2 ... ok",
            "ok 1 - f is 3",
            "  ✓ f is 3 (2 ms)",
            "FAIL ./calc.test.js",
            "  error: |-",
            "> calc@1.0.0 test",
            "[Output truncated: showing 30 of 62 lines]",
        ] {
            assert_eq!(kind(l), Kind::Noise, "{l}");
        }
    }

    #[test]
    fn failures_are_strong_and_names_are_names() {
        for l in [
            "error[E0425]: cannot find value `totl` in this scope",
            "assertion `left == right` failed: g names the number",
            "  left: 2",
            "ValueError: invalid literal for int() with base 10: 'three'",
            "AssertionError: 2 != 3",
            "E       assert 2 == 3",
            "FAILED test_calc.py::test_f_is_3 - assert 2 == 3",
            "    calc_test.go:7: F() = 2, want 3",
            "main.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.",
            "app.py:1:1: F401 'os' imported but unused",
            "lib/a.ex:57:13:pattern_match",
            "** (RuntimeError) no :secret_key_base configuration found",
            "    Expected: 3",
            "check failed: f() returned 2, expected 3",
        ] {
            assert_eq!(kind(l), Kind::Strong, "{l}");
        }
        for l in [
            "test tests::f_is_3 ... FAILED",
            "FAIL: test_f_is_3 (test_calc.CalcTest.test_f_is_3)",
            "not ok 1 - f is 3",
            "--- FAIL: TestFIs3 (0.00s)",
            "  ● f is 3",
            "  1) test mount renders (SpotterWeb.ProjectReviewLiveTest)",
        ] {
            assert_eq!(kind(l), Kind::Name, "{l}");
        }
        assert_eq!(kind("make: *** [Makefile:9: check] Error 1"), Kind::Weak);
        assert_eq!(kind("warning: unused variable `x`"), Kind::Weak);
        assert_eq!(
            kind("main.c:2:12: note: each undeclared identifier"),
            Kind::Weak
        );
        assert_eq!(kind("Pre-commit validation failed:"), Kind::Header);
        assert_eq!(kind("loading config"), Kind::Other);
        assert_eq!(
            kind("cc -Wall -Werror   -c -o main.o main.c"),
            Kind::Other,
            "a flag"
        );
    }

    #[test]
    fn frames_under_a_stack_header_and_details_after_a_colon() {
        let mut c = Classifier::default();
        let mut run = |raw: &str| {
            let mut buf = [0; super::super::normalize::LINE_BYTES];
            let l = super::super::normalize::clean_lower(raw, &mut buf);
            c.classify(raw, l).0
        };
        assert_eq!(run("Traceback (most recent call last):"), Kind::Noise);
        assert_eq!(run("  File \"/tmp/a/m.py\", line 5, in load"), Kind::Noise);
        assert_eq!(run("    return int(data['count'])"), Kind::Noise);
        assert_eq!(run("ValueError: bad"), Kind::Strong);
        assert_eq!(
            run("    Expected values to be strictly equal:"),
            Kind::Strong
        );
        assert_eq!(run("    "), Kind::Noise);
        assert_eq!(
            run("    2 !== 3"),
            Kind::Strong,
            "the detail of the line before"
        );
        assert_eq!(run("error[E0425]: x"), Kind::Strong);
        assert_eq!(
            run(" --> src/main.rs:3:20"),
            Kind::Strong,
            "an error's location"
        );
        assert_eq!(run("warning: unused"), Kind::Weak);
        assert_eq!(
            run(" --> src/main.rs:9:1"),
            Kind::Weak,
            "a warning's location"
        );
    }
}
