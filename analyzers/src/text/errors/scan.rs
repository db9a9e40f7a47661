//! Which part of an error text is read, and its lines.
//!
//! A short text is read whole; a long one by its head and its tail (test runners print the
//! failures near the end, compilers near the start), so the cost stays flat however much a command
//! printed.

use crate::text::{ceil_boundary, floor_boundary};

/// Of a longer text than [`WHOLE_BYTES`], this much of the head (the exit code, a compiler's first
/// errors)...
pub(super) const HEAD_BYTES: usize = 1024;
/// ... and this much of the tail (a test runner's failures and its summary). Classifying a line
/// costs about 50 instructions a byte: the window keeps a failed call within the pipeline's time.
pub(super) const TAIL_BYTES: usize = 2048;
/// A text up to this size is read whole.
pub(super) const WHOLE_BYTES: usize = HEAD_BYTES + TAIL_BYTES;

/// The parts of `text` that are read: the whole, or its head and its tail, each cut at a char
/// boundary, the tail starting at a line start.
pub(super) fn windows(text: &str) -> [&str; 2] {
    if text.len() <= WHOLE_BYTES {
        return [text, ""];
    }
    let head = &text[..floor_boundary(text, HEAD_BYTES)];
    let mut start = ceil_boundary(text, text.len() - TAIL_BYTES);
    // The tail's first line is cut: it starts at the next line.
    match text[start..].find('\n') {
        Some(i) => start += i + 1,
        None => start = text.len(),
    }
    [head, &text[start..]]
}

/// The lines of the read parts of `text`, in order. A literal `\n` (backslash, n) also ends a
/// line: some hooks print their report with escaped newlines. Of a line that a carriage return
/// redrew (a progress bar), the last drawing is kept.
pub(super) fn lines(text: &str) -> Lines<'_> {
    Lines {
        parts: windows(text),
        index: 0,
        rest: None,
        escaped: false,
        redrawn: false,
    }
}

/// The iterator of [`lines`]. Whether a part has literal `\n`s or carriage returns is found once
/// per part, so the common line costs one `memchr` for its newline.
pub(super) struct Lines<'a> {
    parts: [&'a str; 2],
    index: usize,
    rest: Option<&'a str>,
    escaped: bool,
    redrawn: bool,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if let Some(rest) = self.rest.take() {
                let (line, after) = split_line(rest, self.escaped);
                self.rest = after;
                return Some(if self.redrawn {
                    last_drawing(line)
                } else {
                    line
                });
            }
            let part = *self.parts.get(self.index)?;
            self.index += 1;
            if !part.is_empty() {
                self.rest = Some(part);
                self.escaped = part.contains("\\n");
                self.redrawn = part.as_bytes().contains(&b'\r');
            }
        }
    }
}

/// The first line of `s` (up to a newline, or a literal `\n` when `escaped`) and what follows
/// it, if anything.
fn split_line(s: &str, escaped: bool) -> (&str, Option<&str>) {
    let (line, after) = match s.find('\n') {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    if escaped {
        if let Some(at) = line.find("\\n") {
            return (&s[..at], Some(&s[at + 2..]));
        }
    }
    (line, after)
}

fn last_drawing(line: &str) -> &str {
    let line = line.trim_end_matches('\r');
    match line.rfind('\r') {
        Some(i) => &line[i + 1..],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_read_by_its_head_and_its_tail() {
        let short = "a\nb";
        assert_eq!(windows(short), ["a\nb", ""]);
        let long = format!("{}\nmiddle\n{}", "h".repeat(20_000), "t\n".repeat(6_000));
        let [head, tail] = windows(&long);
        assert_eq!(head.len(), HEAD_BYTES);
        assert!(tail.len() <= TAIL_BYTES && tail.starts_with("t\n"));
        assert!(!head.contains("middle") && !tail.contains("middle"));
        let wide = "é".repeat(20_000);
        let [head, tail] = windows(&wide);
        assert!(
            !head.is_empty() && tail.is_empty(),
            "no newline: no tail line"
        );
    }

    #[test]
    fn lines_split_on_escaped_newlines_and_keep_the_last_redraw() {
        let got: Vec<&str> = lines("a\\nb\r\n10%\r50%\r100%\nc").collect();
        assert_eq!(got, ["a", "b", "100%", "c"]);
        let got: Vec<&str> = lines("\\n\\x\\\\n").collect();
        assert_eq!(got, ["", "\\x\\", ""]);
    }
}
