//! The tokenizer: words with their quotes removed, operators, redirections and heredoc bodies.
//!
//! It follows the shell's quoting rules (single quotes, double quotes, backslashes, `$'...'`)
//! and finds the extent of `$(...)`, `${...}`, `$((...))`, backticks and `<(...)` without
//! expanding them: a word keeps their text, and the source ranges of the command substitutions
//! are kept so that the parser can read them as commands of their own.

use std::ops::Range;

/// How a command is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Connector {
    /// The first command of its script.
    #[default]
    Start,
    /// `&&`: runs when the one before succeeded.
    And,
    /// `||`: runs when the one before failed.
    Or,
    /// `;` or a newline: runs after the one before.
    Seq,
    /// `|` or `|&`: reads the output of the one before.
    Pipe,
    /// `&`: the one before runs in the background.
    Background,
}

/// A word: its text with quotes removed (expansions kept as written), and the source ranges of
/// the command substitutions in it.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub text: String,
    pub subs: Vec<Range<usize>>,
    /// Whether any part of it was quoted.
    pub quoted: bool,
    /// The length of `text` when its first quote or escape began (`usize::MAX`: none), so that
    /// `A="x y"` is still an assignment.
    pub quoted_at: usize,
}

impl Default for Word {
    fn default() -> Word {
        Word {
            text: String::new(),
            subs: Vec::new(),
            quoted: false,
            quoted_at: usize::MAX,
        }
    }
}

impl Word {
    fn quote(&mut self) {
        if !self.quoted {
            self.quoted = true;
            self.quoted_at = self.text.len();
        }
    }
}

#[derive(Debug)]
pub(crate) enum Tok {
    Word(Word),
    /// A connector.
    Op(Connector),
    /// `(` (true) or `)` (false).
    Paren(bool),
    /// A redirection: fd, operator, and for heredocs the body's source range.
    Redir(Option<u32>, &'static str, Option<Range<usize>>),
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
    pub toks: Vec<Tok>,
    /// Heredocs whose body starts after the next newline: token index, delimiter, `<<-`.
    pending: Vec<(usize, String, bool)>,
    /// False when a quote or a substitution is never closed.
    pub complete: bool,
    /// True when the source ends inside a comment.
    pub in_comment: bool,
}

const META: &[u8] = b" \t\n;&|<>()";

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            s: src.as_bytes(),
            i: 0,
            toks: Vec::new(),
            pending: Vec::new(),
            complete: true,
            in_comment: false,
        }
    }

    fn at(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    /// Tokenizes the whole source.
    pub(crate) fn run(mut self) -> Self {
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.at(1) == b'\n' => self.i += 2,
                b'#' => self.comment(),
                b'\n' => {
                    self.i += 1;
                    self.toks.push(Tok::Op(Connector::Seq));
                    self.heredoc_bodies();
                }
                _ => {
                    if !self.operator() {
                        let w = self.word();
                        self.push_word(w);
                    }
                }
            }
        }
        if !self.pending.is_empty() {
            self.complete = false;
        }
        self
    }

    fn comment(&mut self) {
        match self.src[self.i..].find('\n') {
            Some(k) => self.i += k,
            None => {
                self.i = self.s.len();
                self.in_comment = true;
            }
        }
    }

    fn push_word(&mut self, w: Word) {
        // A heredoc's delimiter is the word after `<<`.
        if let Some(Tok::Redir(_, op, None)) = self.toks.last() {
            if op.starts_with("<<") && *op != "<<<" {
                let strip = *op == "<<-";
                self.pending
                    .push((self.toks.len() - 1, w.text.clone(), strip));
            }
        }
        self.toks.push(Tok::Word(w));
    }

    /// Reads the bodies of the heredocs opened on the line just ended.
    fn heredoc_bodies(&mut self) {
        for (tok, delim, strip) in std::mem::take(&mut self.pending) {
            let start = self.i;
            let mut end = self.s.len();
            let mut next = self.s.len();
            let mut line_start = self.i;
            while line_start < self.s.len() {
                let line_end = self.src[line_start..]
                    .find('\n')
                    .map_or(self.s.len(), |k| line_start + k);
                let mut line = &self.src[line_start..line_end];
                if strip {
                    line = line.trim_start_matches('\t');
                }
                if line.trim_end_matches('\r') == delim {
                    end = line_start;
                    next = (line_end + 1).min(self.s.len());
                    break;
                }
                line_start = line_end + 1;
            }
            if end == self.s.len() {
                self.complete = false;
            }
            if let Some(Tok::Redir(_, _, body)) = self.toks.get_mut(tok) {
                *body = Some(start..end);
            }
            self.i = next;
        }
    }

    /// An operator or redirection at the cursor, pushed; false when a word starts here.
    fn operator(&mut self) -> bool {
        let (c, d) = (self.at(0), self.at(1));
        // Digits directly before `<` or `>` are the redirected fd.
        let digits = self.s[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 && matches!(self.at(digits), b'<' | b'>') && self.at(digits + 1) != b'(' {
            let fd = self.src[self.i..self.i + digits].parse().ok();
            self.i += digits;
            return self.redirection(fd);
        }
        let op = match (c, d) {
            (b'&', b'&') => Some((Connector::And, 2)),
            (b'|', b'|') => Some((Connector::Or, 2)),
            (b';', b';') | (b';', b'&') => Some((Connector::Seq, 2)),
            (b'|', b'&') => Some((Connector::Pipe, 2)),
            (b'|', _) => Some((Connector::Pipe, 1)),
            (b';', _) => Some((Connector::Seq, 1)),
            (b'&', b'>') => None,
            (b'&', _) => Some((Connector::Background, 1)),
            (b'(', _) | (b')', _) => {
                self.i += 1;
                self.toks.push(Tok::Paren(c == b'('));
                return true;
            }
            _ => None,
        };
        if let Some((conn, n)) = op {
            self.i += n;
            self.toks.push(Tok::Op(conn));
            return true;
        }
        match (c, d) {
            (b'<' | b'>', b'(') => false,
            (b'<' | b'>', _) | (b'&', b'>') => self.redirection(None),
            _ => false,
        }
    }

    fn redirection(&mut self, fd: Option<u32>) -> bool {
        const OPS: &[&str] = &[
            "&>>", "<<<", "<<-", "&>", ">>", ">&", ">|", "<<", "<&", "<>", ">", "<",
        ];
        let rest = &self.src[self.i..];
        let Some(op) = OPS.iter().find(|o| rest.starts_with(**o)) else {
            return false;
        };
        self.i += op.len();
        self.toks.push(Tok::Redir(fd, op, None));
        true
    }

    /// A word at the cursor (never empty of source: advances at least one byte).
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b'<' | b'>' if self.at(1) == b'(' => self.process_subst(&mut w),
                _ if META.contains(&c) => break,
                b'\\' => self.escape(&mut w),
                b'\'' => self.single_quote(&mut w),
                b'"' => self.double_quote(&mut w),
                b'$' => self.dollar(&mut w),
                b'`' => self.backtick(&mut w),
                _ => self.plain(&mut w),
            }
        }
        if self.i == start {
            // A stray metacharacter the operator table does not know: one byte as a word.
            self.i += 1;
            w.text.push_str(&self.src[start..self.i]);
        }
        w
    }

    fn plain(&mut self, w: &mut Word) {
        let start = self.i;
        while self.i < self.s.len()
            && !META.contains(&self.s[self.i])
            && !matches!(self.s[self.i], b'\\' | b'\'' | b'"' | b'$' | b'`')
        {
            self.i += 1;
        }
        w.text.push_str(&self.src[start..self.i]);
    }

    /// The char after a backslash, taken literally (a backslash-newline joins lines).
    fn escape(&mut self, w: &mut Word) {
        w.quote();
        self.i += 1;
        if let Some(ch) = self.src[self.i..].chars().next() {
            if ch != '\n' {
                w.text.push(ch);
            }
            self.i += ch.len_utf8();
        }
    }

    fn single_quote(&mut self, w: &mut Word) {
        w.quote();
        let start = self.i + 1;
        match self.src[start..].find('\'') {
            Some(k) => {
                w.text.push_str(&self.src[start..start + k]);
                self.i = start + k + 1;
            }
            None => {
                w.text.push_str(&self.src[start..]);
                self.i = self.s.len();
                self.complete = false;
            }
        }
    }

    fn double_quote(&mut self, w: &mut Word) {
        w.quote();
        self.i += 1;
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\\' if matches!(self.at(1), b'$' | b'`' | b'"' | b'\\' | b'\n') => {
                    if self.at(1) != b'\n' {
                        w.text.push(char::from(self.at(1)));
                    }
                    self.i += 2;
                }
                b'$' => self.dollar(w),
                b'`' => self.backtick(w),
                _ => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && !matches!(self.s[self.i], b'"' | b'\\' | b'$' | b'`')
                    {
                        self.i += 1;
                    }
                    if self.i == start {
                        self.i += 1;
                    }
                    w.text.push_str(&self.src[start..self.i]);
                }
            }
        }
        self.complete = false;
    }

    /// `$(...)`, `$((...))`, `${...}`, `$'...'` or a plain `$`: the text as written, and the
    /// command of a `$(...)` as a substitution.
    fn dollar(&mut self, w: &mut Word) {
        let start = self.i;
        match self.at(1) {
            b'(' => {
                let arithmetic = self.at(2) == b'(';
                let end = self.matching(self.i + 1, b'(', b')');
                if arithmetic {
                    self.arithmetic_subs(self.i + 3, end.saturating_sub(2), w);
                } else {
                    w.subs
                        .push(self.i + 2..end.saturating_sub(1).max(self.i + 2));
                }
                self.i = end;
            }
            b'{' => self.i = self.matching(self.i + 1, b'{', b'}'),
            b'\'' => {
                // ANSI-C quoting: backslash escapes stay as written.
                let mut k = self.i + 2;
                while k < self.s.len() && self.s[k] != b'\'' {
                    k += if self.s[k] == b'\\' { 2 } else { 1 };
                }
                let end = k.min(self.s.len());
                w.quote();
                w.text.push_str(&self.src[self.i + 2..end]);
                self.i = (end + 1).min(self.s.len());
                return;
            }
            _ => self.i += 1,
        }
        w.text.push_str(&self.src[start..self.i]);
    }

    /// Past a heredoc whose `<<` ends just before `k` (inside a substitution, where its body
    /// must not be read as code): the index after its closing delimiter line.
    fn skip_heredoc(&self, mut k: usize) -> usize {
        if self.s.get(k) == Some(&b'<') {
            return k + 1; // `<<<`: a here-string, no body
        }
        let strip = self.s.get(k) == Some(&b'-');
        k += usize::from(strip);
        while matches!(self.s.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        let mut delim = String::new();
        while let Some(&b) = self.s.get(k) {
            match b {
                b'\'' | b'"' | b'\\' => {}
                _ if META.contains(&b) => break,
                _ => delim.push(char::from(b)),
            }
            k += 1;
        }
        if delim.is_empty() || !delim.is_ascii() {
            return k;
        }
        // A body that never ends runs to the end of the text (and leaves the substitution open):
        // each `<<` costs one scan at most, and the first unclosed one ends them all.
        let Some(nl) = self.src[k..].find('\n') else {
            return self.s.len();
        };
        let mut line_start = k + nl + 1;
        while line_start < self.s.len() {
            let line_end = self.src[line_start..]
                .find('\n')
                .map_or(self.s.len(), |e| line_start + e);
            let line = &self.src[line_start..line_end];
            let line = if strip {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if line.trim_end_matches('\r') == delim {
                return line_end;
            }
            line_start = line_end + 1;
        }
        self.s.len()
    }

    /// The command substitutions inside an arithmetic expansion `$((...))`.
    fn arithmetic_subs(&mut self, mut k: usize, end: usize, w: &mut Word) {
        while k < end.min(self.s.len()) {
            match self.s[k] {
                b'$' if self.s.get(k + 1) == Some(&b'(') && self.s.get(k + 2) != Some(&b'(') => {
                    let close = self.matching(k + 1, b'(', b')');
                    w.subs.push(k + 2..close.saturating_sub(1).max(k + 2));
                    k = close;
                }
                b'`' => {
                    let close = self.src[k + 1..]
                        .find('`')
                        .map_or(self.s.len(), |e| k + 1 + e);
                    w.subs.push(k + 1..close);
                    k = close + 1;
                }
                _ => k += 1,
            }
        }
    }

    /// The index just past the bracket closing the one at `open` (quotes and escapes skipped);
    /// the end of the source when it is never closed.
    fn matching(&mut self, open: usize, o: u8, c: u8) -> usize {
        let mut depth = 0usize;
        let mut k = open;
        while k < self.s.len() {
            match self.s[k] {
                b'\\' => k += 1,
                b'<' if o == b'(' && self.s.get(k + 1) == Some(&b'<') => {
                    k = self.skip_heredoc(k + 2).saturating_sub(1);
                }
                b'\'' if o == b'(' => {
                    k = self.src[k + 1..]
                        .find('\'')
                        .map_or(self.s.len(), |e| k + 1 + e);
                }
                b'"' => {
                    k += 1;
                    while k < self.s.len() && self.s[k] != b'"' {
                        k += if self.s[k] == b'\\' { 2 } else { 1 };
                    }
                }
                b if b == o => depth += 1,
                b if b == c => {
                    depth -= 1;
                    if depth == 0 {
                        return k + 1;
                    }
                }
                _ => {}
            }
            k += 1;
        }
        self.complete = false;
        self.s.len()
    }

    fn backtick(&mut self, w: &mut Word) {
        let start = self.i;
        let mut k = self.i + 1;
        while k < self.s.len() && self.s[k] != b'`' {
            k += if self.s[k] == b'\\' { 2 } else { 1 };
        }
        let end = k.min(self.s.len());
        w.subs.push(start + 1..end);
        if end == self.s.len() {
            self.complete = false;
        }
        self.i = (end + 1).min(self.s.len());
        w.text.push_str(&self.src[start..self.i]);
    }

    /// `<(...)` or `>(...)`: a word of its own whose command is a substitution.
    fn process_subst(&mut self, w: &mut Word) {
        let start = self.i;
        let end = self.matching(self.i + 1, b'(', b')');
        w.subs
            .push(self.i + 2..end.saturating_sub(1).max(self.i + 2));
        self.i = end;
        w.text.push_str(&self.src[start..self.i]);
    }
}
