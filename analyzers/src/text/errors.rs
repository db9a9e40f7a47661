//! Error texts: the line worth quoting and a signature that stays the same when the same error
//! comes again.

use super::fnv1a64;

/// How much of an error text [`error_line`] and [`error_signature`] look at.
const ERROR_SCAN_BYTES: usize = 8 * 1024;

fn error_lines(text: &str) -> impl Iterator<Item = &str> {
    let end = text.floor_char_boundary_compat(ERROR_SCAN_BYTES);
    text[..end]
        .lines()
        .map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("<tool_use_error>").unwrap_or(l);
            let l = l.strip_suffix("</tool_use_error>").unwrap_or(l);
            let l = l.strip_prefix("Error:").unwrap_or(l);
            l.trim()
        })
        .filter(|l| !l.is_empty() && !is_exit_code_line(l))
}

fn is_exit_code_line(l: &str) -> bool {
    l.strip_prefix("Exit code ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn looks_like_error(l: &str) -> bool {
    const MARKS: &[&str] = &[
        "error",
        "fail",
        "fatal",
        "cannot",
        "can't",
        "could not",
        "couldn't",
        "not found",
        "denied",
        "no such",
        "exception",
        "panicked",
        "undefined",
        "invalid",
        "refused",
        "unable",
        "missing",
        "rejected",
        "traceback",
        "not exist",
    ];
    let lower = l.to_ascii_lowercase();
    MARKS.iter().any(|m| lower.contains(m))
}

/// The line of an error text worth quoting: the first that reads like an error (`error:`,
/// `fatal:`, `No such file`, a failed test, ...) among the first lines, else the first line that
/// is not blank or a bare `Exit code N`. `<tool_use_error>` tags and an `Error:` prefix are dropped.
pub fn error_line(text: &str) -> &str {
    error_lines(text)
        .take(60)
        .find(|l| looks_like_error(l))
        .or_else(|| error_lines(text).next())
        .unwrap_or("")
}

/// A compact signature of a failure: the exit code (when the text starts with `Exit code N`) and
/// [`error_line`] with digits folded, hashed. The same error again (a moved line number, another
/// duration) gives the same signature; a different error, or the same command failing for another
/// reason, gives another. Only this number is ever stored, never the text.
pub fn error_signature(text: &str) -> u64 {
    let exit = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("Error:").unwrap_or(l).trim())
        .filter(|l| is_exit_code_line(l))
        .unwrap_or("");
    let line = error_line(text);
    let mut norm = String::with_capacity(line.len().min(512) + exit.len() + 1);
    norm.push_str(exit);
    norm.push('|');
    let mut last_space = false;
    for c in line.chars().take(512) {
        if c.is_ascii_digit() {
            if !norm.ends_with('0') {
                norm.push('0');
            }
            last_space = false;
        } else if c.is_whitespace() {
            if !last_space {
                norm.push(' ');
            }
            last_space = true;
        } else {
            norm.extend(c.to_lowercase());
            last_space = false;
        }
    }
    fnv1a64(norm.as_bytes())
}

/// `str::floor_char_boundary` for the supported toolchains.
trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, i: usize) -> usize {
        if i >= self.len() {
            return self.len();
        }
        let mut i = i;
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
