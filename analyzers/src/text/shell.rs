//! A Bash command read as the shell reads it: simple commands joined by `&&`, `||`, `;`, `|` or
//! `&`, each with its assignments, the program in command position, its arguments (quotes
//! removed) and its redirections apart. `sh -c`/`bash -c`/`eval` strings, `$(...)`, backticks,
//! `<(...)` and heredocs fed to a shell are read once more as commands of their own. Wrappers
//! (`sudo`, `timeout`, `env`, `xargs`, `npx`, ...) are looked through to the program they run.
//!
//! Every rule reads this one parse ([`crate::ToolCall`] keeps it), never the raw text. Nothing is
//! expanded or run: `$VAR` stays as written, and paths are resolved lexically by [`Env`].
//!
//! Why a tokenizer of our own and not a shell grammar crate: `brush-parser` 0.4 (the maintained
//! bash grammar) takes 4.2 us for a 57-byte command, 15.7 us for a 231-byte one and 26 us for a
//! 4 KB heredoc (tokenize + parse, before any word is unquoted), against a budget of 25 us for
//! the whole event, and brings ~60 crates (peg, pest, cached, parking_lot, stacker, ...) and
//! ~0.9 MB of code into a binary that starts per call; `yash-syntax` parses through async
//! futures and pulls the shell's environment crate. This file is what the rules need, no more.

mod lex;
mod wrappers;

pub(crate) use lex::Connector;
use lex::{Lexer, Tok, Word};
pub(crate) use wrappers::base;

/// Commands longer than this (bytes) are not read: rules treat them as unknown.
pub(crate) const MAX_PARSE_BYTES: usize = 16 * 1024;
/// How deep `sh -c` strings and substitutions are read inside each other.
const MAX_DEPTH: u8 = 3;
/// The most simple commands one script yields.
const MAX_COMMANDS: usize = 256;

/// A redirection: `2>/dev/null` is fd 2, op `>`, target `/dev/null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    pub fd: Option<u32>,
    pub op: &'static str,
    pub target: String,
}

/// Where a simple command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Origin {
    /// The command line itself.
    #[default]
    Top,
    /// A `sh -c`/`bash -c`/`eval` string or a heredoc fed to a shell.
    Shell,
    /// A `$(...)`, backtick or `<(...)` substitution.
    Substitution,
}

/// One simple command.
#[derive(Debug, Clone, Default)]
pub(crate) struct Simple {
    /// How it joins the command before it in the same group.
    pub connector: Connector,
    /// Commands of one script (the line, or one `sh -c` string...) share a group.
    pub group: u16,
    /// The command whose words held this one (a `sh -c` string, a substitution).
    pub parent: Option<usize>,
    pub origin: Origin,
    /// `NAME=value` words before the program.
    pub assignments: Vec<String>,
    /// Every word after the assignments, quotes removed: wrappers, program, arguments.
    pub words: Vec<String>,
    /// The index in `words` of the effective program (after the wrappers).
    pub start: usize,
    /// The effective program's base name (`/bin/rm` is `rm`); empty when there is none.
    pub program: String,
    /// Whether it runs through `sudo` or `doas`.
    pub sudo: bool,
    /// Whether `xargs` runs it (its arguments come from the input).
    pub xargs: bool,
    /// The runner it goes through, kept in the head: `npx`, `bunx`, `uv run`, ...
    pub runner: Option<&'static str>,
    pub redirects: Vec<Redirect>,
    /// The directory an earlier `cd` in the same group moved to, resolved (see [`Env`]).
    pub cwd: Option<String>,
    /// How many parentheses (subshells) it is inside.
    pub paren: u16,
}

impl Simple {
    /// The effective program's arguments.
    pub(crate) fn args(&self) -> &[String] {
        self.words.get(self.start + 1..).unwrap_or(&[])
    }

    /// Whether `args` holds `flag` as a long option or (one letter) inside a short-option
    /// cluster (`-rf` holds `r` and `f`), stopping at `--`.
    pub(crate) fn has_flag(&self, short: char, long: &str) -> bool {
        for a in self.args() {
            if a == "--" {
                break;
            }
            if a == long {
                return true;
            }
            if let Some(cluster) = a.strip_prefix('-') {
                if !cluster.starts_with('-') && cluster.contains(short) {
                    return true;
                }
            }
        }
        false
    }

    /// The arguments that are not options (everything after `--` counts).
    pub(crate) fn operands(&self) -> impl Iterator<Item = &str> {
        let mut after = false;
        self.args().iter().filter_map(move |a| {
            if after {
                return Some(a.as_str());
            }
            if a == "--" {
                after = true;
                return None;
            }
            (!a.starts_with('-') || a == "-").then_some(a.as_str())
        })
    }
}

/// The parse of one command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    pub commands: Vec<Simple>,
    /// False when a quote, substitution or heredoc was never closed (the shell runs nothing of
    /// such a line) or a long command was cut inside a word: rules must not conclude from it.
    pub complete: bool,
    /// True when the command was longer than [`MAX_PARSE_BYTES`] and only its first lines were
    /// read: what was read is whole, but it is not all.
    pub truncated: bool,
}

/// What paths are resolved against: the call's working directory and the user's home.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Env<'a> {
    pub cwd: Option<&'a str>,
    pub home: Option<&'a str>,
}

/// Programs that only set up the shell: never "the command" on their own.
pub(crate) fn is_filler(program: &str) -> bool {
    matches!(
        program,
        "cd" | "pushd"
            | "popd"
            | "echo"
            | "printf"
            | "export"
            | "source"
            | "."
            | "set"
            | "unset"
            | "true"
            | ":"
            | "sleep"
            | "clear"
    )
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "function",
];

fn is_assignment(w: &str) -> bool {
    let Some(eq) = w.find('=') else { return false };
    let name = w[..eq].trim_end_matches('+');
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Reads `cmd`.
///
/// A command over [`MAX_PARSE_BYTES`] is read up to its last line break within the limit (or to
/// the limit, when it ends inside a comment): whole commands only, so rules may judge them, and
/// the script is marked `truncated`. Cut anywhere else, it is incomplete.
pub(crate) fn parse(cmd: &str, env: Env<'_>) -> Script {
    let mut script = Script {
        commands: Vec::new(),
        complete: true,
        truncated: cmd.len() > MAX_PARSE_BYTES,
    };
    let (text, whole) = if script.truncated {
        let head = &cmd[..super::floor_boundary(cmd, MAX_PARSE_BYTES)];
        head.rfind('\n')
            .map_or((head, false), |nl| (&head[..nl], true))
    } else {
        (cmd, true)
    };
    let mut groups = 0u16;
    let in_comment = read(text, env, &mut script, &mut groups, (None, Origin::Top, 0));
    script.complete &= whole || in_comment;
    script
}

/// Reads `src` as the commands of a new group, then what their words hold; whether `src` ended
/// inside a comment.
fn read(
    src: &str,
    env: Env<'_>,
    out: &mut Script,
    groups: &mut u16,
    from: (Option<usize>, Origin, u8),
) -> bool {
    let (parent, origin, depth) = from;
    let lexer = Lexer::new(src).run();
    out.complete &= lexer.complete;
    let in_comment = lexer.in_comment;
    let group = *groups;
    *groups = groups.saturating_add(1);
    let first = out.commands.len();
    let mut found = Found::default();
    build(lexer.toks, out, &mut found);
    let last = out.commands.len();
    track_dirs(&mut out.commands[first..last], group, env, (parent, origin));
    if depth >= MAX_DEPTH {
        return in_comment;
    }
    let mut inner = |i: usize, text: &str, origin: Origin, out: &mut Script| {
        if out.commands.len() < MAX_COMMANDS {
            let cwd = out.commands[i].cwd.clone();
            let env = Env {
                cwd: cwd.as_deref(),
                home: env.home,
            };
            read(text, env, out, groups, (Some(i), origin, depth + 1));
        }
    };
    for (i, r) in found.subs {
        inner(i, src.get(r).unwrap_or(""), Origin::Substitution, out);
    }
    for i in first..last {
        let body = found.bodies.iter().find(|(k, _)| *k == i);
        let text = match (shell_string(&out.commands[i]), body) {
            (Some(s), _) => s.to_owned(),
            (None, Some((_, r))) if is_shell(&out.commands[i].program) => {
                src.get(r.clone()).unwrap_or("").to_owned()
            }
            _ => continue,
        };
        inner(i, &text, Origin::Shell, out);
    }
    in_comment
}

/// Sets each command's group, parent, effective program and working directory (`cd` moves it
/// for the commands after it, until the subshell it ran in ends).
fn track_dirs(cmds: &mut [Simple], group: u16, env: Env<'_>, from: (Option<usize>, Origin)) {
    let mut cwd = env.cwd.map(str::to_owned);
    let mut saved: Vec<Option<String>> = Vec::new();
    for c in cmds {
        while saved.len() < usize::from(c.paren) {
            saved.push(cwd.clone());
        }
        while saved.len() > usize::from(c.paren) {
            cwd = saved.pop().flatten();
        }
        c.group = group;
        (c.parent, c.origin) = from;
        wrappers::resolve_program(c);
        c.cwd.clone_from(&cwd);
        if c.program == "cd" && c.connector != Connector::Pipe {
            let dir = c.operands().next().unwrap_or("~");
            let here = Env {
                cwd: cwd.as_deref(),
                home: env.home,
            };
            cwd = resolve(dir, here);
        }
    }
}

/// What words held: command substitutions (by the index of their command) and heredoc bodies.
#[derive(Default)]
struct Found {
    subs: Vec<(usize, std::ops::Range<usize>)>,
    bodies: Vec<(usize, std::ops::Range<usize>)>,
}

/// Turns tokens into simple commands.
fn build(toks: Vec<Tok>, out: &mut Script, found: &mut Found) {
    let mut cur = Simple::default();
    let mut pending = Connector::Start;
    let mut paren = 0u16;
    let mut redirect: Option<(Option<u32>, &'static str)> = None;
    let finish = |cur: &mut Simple, pending: Connector, out: &mut Script| {
        if !cur.words.is_empty() || !cur.assignments.is_empty() || !cur.redirects.is_empty() {
            let mut c = std::mem::take(cur);
            c.connector = if out.commands.is_empty() {
                Connector::Start
            } else {
                pending
            };
            out.commands.push(c);
        }
    };
    for t in toks {
        let index = out.commands.len();
        match t {
            Tok::Word(w) => {
                found.subs.extend(w.subs.iter().map(|r| (index, r.clone())));
                cur.paren = paren;
                add_word(&mut cur, w, redirect.take());
            }
            Tok::Redir(fd, op, body) => {
                if let Some(b) = body {
                    found.bodies.push((index, b));
                }
                redirect = Some((fd, op));
            }
            Tok::Op(conn) => {
                let had = !cur.words.is_empty() || !cur.assignments.is_empty();
                finish(&mut cur, pending, out);
                if had || conn != Connector::Seq {
                    pending = conn;
                }
            }
            Tok::Paren(open) => {
                let had = !cur.words.is_empty() || !cur.assignments.is_empty();
                finish(&mut cur, pending, out);
                if had {
                    pending = Connector::Seq;
                }
                paren = if open {
                    paren.saturating_add(1)
                } else {
                    paren.saturating_sub(1)
                };
            }
        }
    }
    finish(&mut cur, pending, out);
}

fn add_word(cur: &mut Simple, w: Word, redirect: Option<(Option<u32>, &'static str)>) {
    if let Some((fd, op)) = redirect {
        cur.redirects.push(Redirect {
            fd,
            op,
            target: w.text,
        });
    } else if cur.words.is_empty()
        && w.text.find('=').is_some_and(|eq| eq < w.quoted_at)
        && is_assignment(&w.text)
    {
        cur.assignments.push(w.text);
    } else if cur.words.is_empty() && !w.quoted && RESERVED.contains(&w.text.as_str()) {
        // `then rm -rf x`: the program comes after the keyword.
    } else {
        cur.words.push(w.text);
    }
}

/// Shells that run a script given as a string, a file or on stdin.
pub(crate) fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish")
}

/// The script a `sh -c STRING`, `bash -lc STRING` or `eval WORDS` runs.
fn shell_string(c: &Simple) -> Option<&str> {
    if c.program == "eval" {
        return c.args().first().map(String::as_str);
    }
    if !is_shell(&c.program) {
        return None;
    }
    let args = c.args();
    let k = args
        .iter()
        .position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
    args.get(k + 1).map(String::as_str)
}

/// A path word resolved to an absolute, normalized path: `~`, `~/x`, `$HOME`, `${HOME}` with the
/// home directory, relative paths against the working directory. `None` when it depends on
/// anything else (another variable, a substitution, `~user`) or on what is not known.
pub(crate) fn resolve(word: &str, env: Env<'_>) -> Option<String> {
    let home_rest = if word == "~" || word == "$HOME" || word == "${HOME}" {
        Some("")
    } else {
        ["~/", "$HOME/", "${HOME}/"]
            .iter()
            .find_map(|p| word.strip_prefix(p))
    };
    let (base, rest) = if let Some(rest) = home_rest {
        (env.home?, rest)
    } else if word.starts_with('/') {
        ("", word)
    } else if word.starts_with('~') {
        return None;
    } else {
        (env.cwd?, word)
    };
    if !base.starts_with('/') && !base.is_empty()
        || base.contains(['$', '`'])
        || rest.contains(['$', '`'])
    {
        return None;
    }
    let path = format!("{base}/{rest}");
    let normal = match super::path::normalize(&path) {
        std::borrow::Cow::Owned(s) => Some(s),
        std::borrow::Cow::Borrowed(_) => None,
    };
    Some(normal.unwrap_or(path))
}

#[cfg(test)]
mod tests;
