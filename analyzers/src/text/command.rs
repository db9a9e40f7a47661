//! Shell commands: their heads (program and known subcommand, never an argument) and the
//! [`tags`] that classify them.

use super::vocabulary::subcommands;

/// Bit flags that classify a shell command; persisted with each Bash fact.
pub mod tags {
    /// Runs tests (`cargo test`, `pytest`, `npm test`, `go test`, ...).
    pub const TEST: u32 = 1;
    /// Builds or type-checks (`cargo build`, `make`, `tsc`, `npm run build`, ...).
    pub const BUILD: u32 = 1 << 1;
    /// Uses git.
    pub const GIT: u32 = 1 << 2;
    /// Uses a package manager or build tool: npm, pip, cargo (a "decision point").
    pub const PKG: u32 = 1 << 3;
    /// A plain `find`/`ls`/`tree` that Glob does (see [`super::lookup_tags`]).
    pub const LISTS: u32 = 1 << 4;
    /// A plain `grep`/`rg` that Grep does.
    pub const SEARCHES: u32 = 1 << 5;
    /// A plain `cat`/`head`/`sed -n` that Read does.
    pub const PRINTS: u32 = 1 << 6;
    /// A `git commit`.
    pub const COMMIT: u32 = 1 << 7;
    /// A syntax check of files that changes nothing (`bash -n x.sh`, `node --check x.js`,
    /// `python3 -m py_compile x.py`, `ruby -c x.rb`).
    pub const SYNTAX: u32 = 1 << 8;
}

/// [`tags::SYNTAX`] for a command that only checks the syntax of files.
pub fn syntax_check_tags(cmd: &str) -> u32 {
    let mut w = cmd.split_whitespace();
    let prog = w.next().map(program).unwrap_or("");
    let flag = w.next().unwrap_or("");
    let check = match prog {
        "bash" | "sh" | "zsh" | "dash" => flag == "-n",
        "node" => flag == "--check" || flag == "-c",
        "ruby" => flag == "-c",
        "python" | "python3" => flag == "-m" && w.next() == Some("py_compile"),
        "php" => flag == "-l",
        _ => false,
    };
    if check {
        tags::SYNTAX
    } else {
        0
    }
}

/// [`tags::LISTS`], [`tags::SEARCHES`] or [`tags::PRINTS`] for a command that only looks files up,
/// searches or prints them and needs nothing of the shell: one program, at most trimmed by
/// `| head`/`| tail`/`| wc -l`/`| sort` and with stderr silenced. Anything else (a chain, a
/// substitution, a redirect into a file, `xargs`, `-exec`) needed Bash: 0. Also
/// [`tags::COMMIT`] for a command that runs `git commit`.
pub fn lookup_tags(cmd: &str) -> u32 {
    let mut t = 0;
    if cmd.contains("git commit") || (cmd.contains("git -c") && cmd.contains(" commit")) {
        t |= tags::COMMIT;
    }
    let c = cmd.trim();
    if c.len() > 1000
        || ["&&", "||", ";", "$(", "`", "\n", "xargs", "-exec", "<("]
            .iter()
            .any(|x| c.contains(x))
    {
        return t;
    }
    let mut parts = c.split('|');
    let first = parts.next().unwrap_or("");
    for p in parts {
        let prog = p.split_whitespace().next().unwrap_or("");
        if !matches!(prog, "head" | "tail" | "wc" | "sort" | "uniq") {
            return t;
        }
    }
    // Only stderr may be redirected (to /dev/null or into stdout).
    let cleaned = first.replace("2>/dev/null", "").replace("2>&1", "");
    if cleaned.contains('>') || cleaned.contains('<') {
        return t;
    }
    let mut words = cleaned.split_whitespace();
    let prog = program(words.next().unwrap_or(""));
    t | match prog {
        "find" | "ls" | "tree" | "fd" => tags::LISTS,
        "grep" | "rg" | "egrep" | "ag" | "ack" => tags::SEARCHES,
        "cat" | "head" | "bat" => tags::PRINTS,
        "sed" if words.next() == Some("-n") => tags::PRINTS,
        _ => 0,
    }
}

fn words(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`'))
        .filter(|w| !w.is_empty())
}

fn program(word: &str) -> &str {
    // A byte loop: words are short, and `rfind`'s searcher costs more than the scan itself.
    match word.bytes().rposition(|b| b == b'/') {
        Some(i) => &word[i + 1..],
        None => word,
    }
}

/// How much of a command [`command_tags`] reads: test and build commands name their runner early,
/// and a heredoc of several kilobytes should not cost the pipeline its time budget.
pub const TAG_SCAN_BYTES: usize = 4096;

/// Classifies a shell command into [`tags`] bits.
pub fn command_tags(cmd: &str) -> u32 {
    let mut end = cmd.len().min(TAG_SCAN_BYTES);
    while !cmd.is_char_boundary(end) {
        end -= 1;
    }
    let cmd = &cmd[..end];
    let mut t = 0;
    let mut prev = "";
    let mut prev2 = "";
    for w in words(cmd) {
        let p = program(w);
        match p {
            "git" => t |= tags::GIT,
            "npm" | "npx" | "pip" | "pip3" | "cargo" | "yarn" | "pnpm" | "uv" | "poetry" => {
                t |= tags::PKG
            }
            "pytest" | "jest" | "vitest" | "rspec" | "ctest" | "tox" | "nextest" | "phpunit" => {
                t |= tags::TEST
            }
            "tsc" | "make" | "ninja" | "cmake" => t |= tags::BUILD,
            _ => {}
        }
        let tool = program(prev);
        let runner = matches!(
            tool,
            "cargo" | "npm" | "yarn" | "pnpm" | "go" | "make" | "mvn" | "gradle" | "mix" | "dotnet"
        ) || (matches!(program(prev2), "npm" | "yarn" | "pnpm" | "bun")
            && tool == "run");
        if runner {
            match w {
                "test" | "tests" | "nextest" | "t" | "check-tests" => t |= tags::TEST,
                "build" | "check" | "clippy" | "compile" | "package" | "b" | "lint" | "tsc" => {
                    t |= tags::BUILD
                }
                _ => {}
            }
        }
        if matches!(tool, "python" | "python3") && w == "pytest" {
            t |= tags::TEST;
        }
        prev2 = prev;
        prev = w;
    }
    t
}

fn is_plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 24
        && !w.starts_with('-')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// The head of a shell command: its program name and, when it is one of the program's known
/// subcommands, the subcommand (`cargo test`, `git status`, `ls`). Leading `cd DIR &&` steps and
/// `VAR=value` assignments are skipped. Arguments are never included, so secrets in them are never
/// persisted: a word in the subcommand's place that is not in the vocabulary is dropped.
pub fn command_head(cmd: &str) -> String {
    let mut rest = cmd.trim();
    // Skip `cd somewhere &&` prefixes: the interesting program comes after them.
    while let Some(after) = rest.strip_prefix("cd ") {
        match after.find("&&") {
            Some(i) => rest = after[i + 2..].trim_start(),
            None => break,
        }
    }
    let mut it = rest.split_whitespace().skip_while(|w| {
        w.contains('=') && !w.starts_with('-') && w.split('=').next().is_some_and(is_plain_word)
    });
    let Some(first) = it.next() else {
        return String::new();
    };
    let prog = program(first);
    if !is_plain_word(prog) {
        return String::from("?");
    }
    let mut head = prog.to_string();
    if let Some(second) = it.next() {
        // Only a known subcommand of a known program is kept: an argument (`echo $TOKEN`,
        // `npx tok_live_...`, `mysql -pSECRET`) is never part of the head.
        if subcommands(prog).contains(&second) {
            head.push(' ');
            head.push_str(second);
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lookups_are_told_from_shell_work() {
        assert_eq!(
            lookup_tags("find /p/assets -name '*.css' | head -10"),
            tags::LISTS
        );
        assert_eq!(
            lookup_tags("find /p/priv -name \"*.css\" 2>/dev/null | head -5"),
            tags::LISTS
        );
        assert_eq!(lookup_tags("ls -la /p/assets/"), tags::LISTS);
        assert_eq!(lookup_tags("rg -n foo src"), tags::SEARCHES);
        assert_eq!(lookup_tags("cat src/main.rs"), tags::PRINTS);
        assert_eq!(lookup_tags("sed -n '1,20p' a.rs"), tags::PRINTS);
        assert_eq!(lookup_tags("sed -i s/a/b/ a.rs"), 0);
        assert_eq!(lookup_tags("find . -name '*.rs' | xargs wc -l"), 0);
        assert_eq!(lookup_tags("cd /p && ls"), 0);
        assert_eq!(lookup_tags("grep -r foo . > hits.txt"), 0);
        assert_eq!(lookup_tags("cat a | grep b"), 0);
        assert_eq!(lookup_tags("git log --oneline | grep fix"), 0);
        assert_eq!(lookup_tags("git add -A && git commit -m x"), tags::COMMIT);
    }

    #[test]
    fn heads() {
        assert_eq!(command_head("cargo test --workspace"), "cargo test");
        assert_eq!(command_head("cd /x/y && git status"), "git status");
        assert_eq!(command_head("FOO=1 BAR=2 /usr/bin/python3 -m x"), "python3");
        assert_eq!(command_head("export TOKEN=sk-secret"), "export");
        assert_eq!(command_head("ls"), "ls");
        assert_eq!(command_head("echo ghp_S3cr3tT0ken"), "echo");
        assert_eq!(command_head("curl sk_live_abc123"), "curl");
        assert_eq!(command_head("npm run build"), "npm run");
        assert_eq!(command_head(""), "");
        assert_eq!(command_head("npx tok_live_9f8e7d6c"), "npx");
        assert_eq!(command_head("npx vitest run"), "npx vitest");
        assert_eq!(command_head("make SECRET_TARGET"), "make");
        assert_eq!(command_head("git frobnicate"), "git");
        assert_eq!(command_head("docker run -e X=y img"), "docker run");
    }

    #[test]
    fn tag_classes() {
        assert_eq!(command_tags("cargo test -p x"), tags::TEST | tags::PKG);
        assert_eq!(
            command_tags("cd a && npm run build"),
            tags::BUILD | tags::PKG
        );
        assert_eq!(command_tags("python -m pytest -q"), tags::TEST);
        assert_eq!(command_tags("git status"), tags::GIT);
        assert_eq!(command_tags("ls -la"), 0);
        assert_eq!(command_tags("go test ./..."), tags::TEST);
        assert_eq!(command_tags("make"), tags::BUILD);
    }
}
