//! A line made comparable: colors gone, lowercase, and whatever changes between two runs of the
//! same failure (line numbers, durations, ids, hashes, temp directories) folded.

use crate::text::Fnv;

/// How much of a line is looked at.
pub(super) const LINE_BYTES: usize = 512;

/// `raw` without ANSI escape sequences, ASCII letters lowercased, at most [`LINE_BYTES`] bytes,
/// trimmed, written to `buf`: no allocation.
pub(super) fn clean_lower<'b>(raw: &str, buf: &'b mut [u8; LINE_BYTES]) -> &'b str {
    let b = raw.as_bytes();
    let (mut i, mut n) = (0, 0);
    if !b.contains(&0x1b) {
        // No color: one copy (the common case).
        n = b.len().min(LINE_BYTES);
        buf[..n].copy_from_slice(&b[..n]);
        i = b.len();
    }
    while i < b.len() && n < LINE_BYTES {
        // Copy up to the next escape in one go, then skip the escape.
        let plain = b[i..]
            .iter()
            .position(|&c| c == 0x1b)
            .unwrap_or(b.len() - i);
        let take = plain.min(LINE_BYTES - n);
        buf[n..n + take].copy_from_slice(&b[i..i + take]);
        n += take;
        i += take;
        if i < b.len() && b[i] == 0x1b {
            i = skip_escape(b, i);
        }
    }
    buf[..n].make_ascii_lowercase();
    let s = match std::str::from_utf8(&buf[..n]) {
        Ok(s) => s,
        // Cut inside a character: keep what is whole.
        Err(e) => std::str::from_utf8(&buf[..e.valid_up_to()]).unwrap_or_default(),
    };
    s.trim_ascii()
}

/// The index after the escape sequence starting at `b[i]` (an ESC): CSI (`ESC [ ... final`), OSC
/// (`ESC ] ... BEL` or `ESC ] ... ESC \`), or a two-byte escape.
fn skip_escape(b: &[u8], i: usize) -> usize {
    match b.get(i + 1) {
        Some(b'[') => {
            let mut j = i + 2;
            while j < b.len() && !(0x40..=0x7e).contains(&b[j]) {
                j += 1;
            }
            (j + 1).min(b.len())
        }
        Some(b']') => {
            let mut j = i + 2;
            while j < b.len() && b[j] != 0x07 && !(b[j] == 0x1b && b.get(j + 1) == Some(&b'\\')) {
                j += 1;
            }
            (j + if b.get(j) == Some(&0x07) { 1 } else { 2 }).min(b.len())
        }
        Some(c) if c.is_ascii() => i + 2,
        _ => i + 1,
    }
}

/// The hash of a cleaned line (see [`clean_lower`]) with whitespace collapsed and the parts that
/// differ between runs of the same failure folded: temp directories (`/tmp/x`,
/// `/var/folders/../T/x`), hash-like words (`calc-c6626fb655a8d231`, tokens), hex numbers, and the
/// numbers that are positions, durations or ids: after or before a `:` (`src/a.rs:12:5`), in
/// `(1,7)`, after `line `, with a decimal point or a unit (`0.20s`, `12 ms`), alone in parentheses
/// (`(13998)`), or of 5 digits and more. A number that is a value (`left: 2`, `2 != 3`, `Error
/// 2`, `expected 1024`, `Some(2)`) is kept: it is what a red-green step changes.
pub(super) fn norm_hash(line: &str) -> u64 {
    let mut out = Folded::default();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            out.space();
            i += 1;
        } else if let Some(end) = temp_dir_end(b, i) {
            out.push(b"<tmp>");
            i = end;
        } else if let Some(end) = token_end(b, i) {
            out.push(b"#");
            i = end;
        } else if c.is_ascii_alphanumeric() {
            let end = run_end(b, i, |c| c.is_ascii_alphanumeric());
            if hash_like(&b[i..end]) {
                out.push(b"#");
                i = end;
            } else if c.is_ascii_digit() {
                i = number(b, i, &mut out);
            } else {
                out.push(&b[i..end]);
                i = end;
            }
        } else {
            out.push(&b[i..=i]);
            i += 1;
        }
    }
    out.finish()
}

/// The hashed, folded text, written as it is made.
struct Folded {
    hash: Fnv,
    pending_space: bool,
    empty: bool,
}

impl Default for Folded {
    fn default() -> Self {
        Folded {
            hash: Fnv::new(),
            pending_space: false,
            empty: true,
        }
    }
}

impl Folded {
    fn space(&mut self) {
        self.pending_space = !self.empty;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.pending_space {
            self.pending_space = false;
            self.hash.byte(b' ');
        }
        self.hash.bytes(bytes);
        self.empty = false;
    }

    fn finish(self) -> u64 {
        self.hash.finish()
    }
}

fn run_end(b: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && keep(b[i]) {
        i += 1;
    }
    i
}

/// A number starting at `b[i]` (a digit): folded to `0` or kept, see [`norm_hash`]. Returns the
/// index after it.
fn number(b: &[u8], i: usize, out: &mut Folded) -> usize {
    if b[i] == b'0'
        && b.get(i + 1) == Some(&b'x')
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        out.push(b"0x0");
        return run_end(b, i + 2, |c| c.is_ascii_hexdigit());
    }
    let mut end = run_end(b, i, |c| c.is_ascii_digit());
    let mut decimal = false;
    while end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit() {
        decimal = true;
        end = run_end(b, end + 1, |c| c.is_ascii_digit());
    }
    let before = if i > 0 { b[i - 1] } else { b' ' };
    let after = b.get(end).copied().unwrap_or(b' ');
    let position = before == b':'
        || after == b':'
        || (before == b'(' && after == b',')
        || (before == b',' && after == b')')
        || b[..i].ends_with(b"line ");
    // `thread 'x' (13998)`, `(pid 412)`: an id in parentheses of its own, not a call's `f(2)`.
    let id = before == b'(' && after == b')' && (i < 2 || !b[i - 2].is_ascii_alphanumeric());
    // (A number glued after letters, `e0425`, `u8`, is part of a word and never comes here.)
    let unit = after.is_ascii_alphabetic()
        || (after == b' ' && is_unit(b.get(end + 1..).unwrap_or_default()));
    if decimal || end - i >= 5 || position || unit || id {
        out.push(b"0");
    } else {
        out.push(&b[i..end]);
    }
    end
}

/// `rest` starts with a unit of time or size as a word: `ms)`, `s`, `seconds`, `kb`.
fn is_unit(rest: &[u8]) -> bool {
    const UNITS: &[&[u8]] = &[
        b"ns",
        b"us",
        b"\xc2\xb5s",
        b"ms",
        b"s",
        b"sec",
        b"secs",
        b"second",
        b"seconds",
        b"min",
        b"m",
        b"h",
        b"b",
        b"kb",
        b"kib",
        b"mb",
        b"mib",
        b"gb",
        b"bytes",
    ];
    let end = run_end(rest, 0, |c| {
        !(c.is_ascii_whitespace() || c.is_ascii_punctuation())
    });
    UNITS.contains(&&rest[..end])
}

/// A word that is an id, not a name: 8 characters or more of hex with at least two digits (a
/// commit, a build hash), or 12 and more with at least three digits (a token).
fn hash_like(w: &[u8]) -> bool {
    let digits = w.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = w.len() - digits;
    letters > 0
        && ((w.len() >= 8 && digits >= 2 && w.iter().all(u8::is_ascii_hexdigit))
            || (w.len() >= 12 && digits >= 3))
}

/// The end of a random token starting at `b[i]`, if one does: 20 characters and more of letters,
/// digits, `_` and `-`, with digits in four places or more (a CSRF token, a session id), which a
/// name hardly has (`test_case_123_with_a_long_name` has them in one).
fn token_end(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'-') {
        return None;
    }
    let end = run_end(b, i, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
    });
    let w = &b[i..end];
    let groups = w
        .windows(2)
        .filter(|p| p[1].is_ascii_digit() && !p[0].is_ascii_digit())
        .count()
        + usize::from(w.first().is_some_and(u8::is_ascii_digit));
    (w.len() >= 20 && groups >= 4).then_some(end)
}

/// The end of a temp directory starting at `b[i]`, if one does: `/tmp/<name>`,
/// `/private/tmp/<name>`, `/var/folders/<a>/<b>/T/<name>` (macOS).
fn temp_dir_end(b: &[u8], i: usize) -> Option<usize> {
    if b[i] != b'/' || (i > 0 && !is_path_start(b[i - 1])) {
        return None;
    }
    let rest = &b[i..];
    for (prefix, parts) in [
        (&b"/tmp/"[..], 1),
        (b"/private/tmp/", 1),
        (b"/var/folders/", 4),
        (b"/private/var/folders/", 4),
    ] {
        if rest.starts_with(prefix) {
            let mut j = i + prefix.len();
            for k in 0..parts {
                j = run_end(b, j, |c| !is_path_end(c));
                if k + 1 < parts && b.get(j) == Some(&b'/') {
                    j += 1;
                }
            }
            return Some(j);
        }
    }
    None
}

fn is_path_start(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'"' | b'\'' | b'(' | b'[' | b'=' | b':' | b'`' | b'<'
    )
}

fn is_path_end(c: u8) -> bool {
    matches!(
        c,
        b'/' | b' ' | b'\t' | b'"' | b'\'' | b')' | b']' | b':' | b',' | b'`' | b'>'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> u64 {
        let mut buf = [0; LINE_BYTES];
        norm_hash(clean_lower(raw, &mut buf))
    }

    #[test]
    fn colors_case_and_spaces_do_not_count() {
        let mut buf = [0; LINE_BYTES];
        assert_eq!(
            clean_lower(
                "  \x1b[1m\x1b[31merror\x1b[0m: X\x1b]8;;http://a\x07y  ",
                &mut buf
            ),
            "error: xy"
        );
        assert_eq!(norm("Error:   x\ty"), norm("error: x y"));
        let long = "é".repeat(LINE_BYTES);
        assert!(
            !clean_lower(&long, &mut buf).is_empty(),
            "cut at a char boundary"
        );
    }

    #[test]
    fn positions_durations_ids_and_temp_dirs_are_folded() {
        let same = [
            ("src/a.rs:12:5: error: x", "src/a.rs:140:9: error: x"),
            (
                "main.ts(1,7): error TS2322: t",
                "main.ts(3,17): error TS2322: t",
            ),
            (
                "  File \"m.py\", line 8, in f",
                "  File \"m.py\", line 80, in f",
            ),
            ("finished in 0.20s", "finished in 1.5s"),
            ("took 12ms", "took 9ms"),
            ("✕ f is 3 (10 ms)", "✕ f is 3 (3 ms)"),
            ("done in 1.5 seconds", "done in 2 seconds"),
            ("thread 'x' (13998) panicked", "thread 'x' (20411) panicked"),
            ("worker (812) exited", "worker (7) exited"),
            ("seed 873002", "seed 918599"),
            (
                "target/debug/deps/calc-c6626fb655a8d231",
                "target/debug/deps/calc-0d5e1f2a3b4c5d6e",
            ),
            ("/tmp/fail-2tqvx53m/main.py", "/tmp/fail-_4qbx5s6/main.py"),
            (
                "at /var/folders/x1/abc/T/tmp.1/a.js",
                "at /var/folders/y2/def/T/tmp.2/a.js",
            ),
            (
                "csrf-token content=\"T1t_QhofQ146FB88XDZKACBpPRErcn10-0R8QmwkblZS5dyOD6hCECNC\"",
                "csrf-token content=\"BQMQLxceY31fJEMBFBR-PCAEFixfL9k2hd83Ma\"",
            ),
            ("address 0x7ffd5e8a", "address 0x55aa01"),
        ];
        for (a, b) in same {
            assert_eq!(norm(a), norm(b), "{a} / {b}");
        }
    }

    #[test]
    fn values_codes_and_names_are_kept() {
        let other = [
            ("left: 2", "left: 4"),
            ("AssertionError: 2 != 3", "AssertionError: 4 != 3"),
            ("error[E0425]: x", "error[E0308]: x"),
            ("make: *** [all] Error 1", "make: *** [all] Error 2"),
            ("F() = 2, want 3", "F() = 4, want 3"),
            ("test_case_1 failed", "test_case_2 failed"),
            (
                "test_case_123_with_a_long_name",
                "test_case_124_with_a_long_name",
            ),
            ("/tmp/a/x.py", "/tmp/a/y.py"),
            ("u8", "u16"),
            ("2 tests", "3 tests"),
            ("expected 1024, got 1000", "expected 1024, got 999"),
            ("left: Some(2)", "left: Some(3)"),
        ];
        for (a, b) in other {
            assert_ne!(norm(a), norm(b), "{a} / {b}");
        }
    }
}
