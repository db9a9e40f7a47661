//! Shell commands: their heads (program and known subcommand, never an argument) and the
//! [`tags`] that classify them.

use super::shell::{self, is_filler, Connector, Env, Origin, Script, Simple};
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
    let prog = w
        .next()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or("");
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
/// searches or prints them (`cat`, `head -N`, `sed -n 'a,bp'`; not `tail`, whose offset from the end
/// Read cannot take) and needs nothing of the shell: one program, at most after `cd DIR &&`,
/// trimmed by `| head -N`/`| tail -N`/`| wc -l`, with stderr silenced and `|| echo ...` after it.
/// Anything else (a transform such as `sort`, `awk`, `jq` or `xargs`, a substitution, a redirect
/// into a file, a loop, `-exec` of another program) needed Bash: 0. Also [`tags::COMMIT`] for a
/// command that runs `git commit`.
pub fn lookup_tags(cmd: &str) -> u32 {
    script_lookup_tags(&shell::parse(cmd, Env::default()))
}

/// [`lookup_tags`] of a parsed command.
pub(crate) fn script_lookup_tags(s: &Script) -> u32 {
    let commit = if s
        .commands
        .iter()
        .any(|c| git_subcommand(c) == Some("commit"))
    {
        tags::COMMIT
    } else {
        0
    };
    commit | plain_lookup(s).map_or(0, lookup_kind)
}

/// The one file a plain search or print looks into (`grep -A5 x lib/a.ex`, `sed -n 1,20p a.rs`,
/// `cat a.rs | head`), resolved to an absolute path; `None` for several files, a directory, a
/// pattern or anything not known.
pub(crate) fn lookup_file(s: &Script, home: Option<&str>) -> Option<String> {
    let main = plain_lookup(s)?;
    if lookup_kind(main) & (tags::SEARCHES | tags::PRINTS) == 0 {
        return None;
    }
    // The operands, without the values of the options that take one (`-A 10`, `-e pat`).
    let mut ops: Vec<&str> = Vec::new();
    let mut pattern_given = false;
    let mut args = main.args().iter();
    let takes_value: &[&str] = match main.program.as_str() {
        "head" | "tail" => &["-n", "-c"],
        _ => &["-A", "-B", "-C", "-m", "--max-count"],
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "-e" | "-f" | "--regexp" | "--file" => {
                pattern_given = true;
                args.next();
            }
            x if takes_value.contains(&x) => {
                args.next();
            }
            x if x.starts_with('-') && x.len() > 1 => {}
            x => ops.push(x),
        }
    }
    let skip = match main.program.as_str() {
        "grep" | "rg" | "egrep" | "ag" | "ack" => {
            if main.has_flag('r', "--recursive") || main.has_flag('R', "--dereference-recursive") {
                return None;
            }
            usize::from(!pattern_given)
        }
        "sed" => 1,
        _ => 0,
    };
    let mut ops = ops.into_iter().skip(skip);
    let file = ops.next()?;
    if ops.next().is_some() || file.ends_with('/') || file.contains(['*', '?', '[', '{', '$']) {
        return None;
    }
    let env = shell::Env {
        cwd: main.cwd.as_deref(),
        home,
    };
    shell::resolve(file, env)
}

/// The one program of a plain lookup, when the command is one.
fn plain_lookup(s: &Script) -> Option<&Simple> {
    if !s.complete
        || s.commands
            .iter()
            .any(|c| c.origin != Origin::Top || c.paren > 0)
    {
        return None;
    }
    let cmds = &s.commands;
    let mut i = 0;
    while cmds.get(i)?.program == "cd" && cmds.get(i + 1)?.connector == Connector::And {
        i += 1;
    }
    let main = cmds.get(i)?;
    if !main.assignments.is_empty() || !quiet_redirects(main) {
        return None;
    }
    for (k, c) in cmds.iter().enumerate().skip(i + 1) {
        let trims = c.connector == Connector::Pipe && is_trim(c);
        let fallback = c.connector == Connector::Or
            && k + 1 == cmds.len()
            && matches!(c.program.as_str(), "echo" | "true" | ":" | "printf");
        if !(trims || fallback) || !quiet_redirects(c) {
            return None;
        }
    }
    Some(main)
}

/// Only stderr silenced or joined to stdout: `2>/dev/null`, `2>&1`, `&>/dev/null`.
fn quiet_redirects(c: &Simple) -> bool {
    c.redirects.iter().all(|r| {
        (r.target == "/dev/null" && matches!(r.op, ">" | "&>" | ">>"))
            || (r.fd == Some(2) && r.op == ">&" && r.target == "1")
    })
}

/// `head -N`, `tail -n N`, `wc -l`: cuts the output without changing it.
fn is_trim(c: &Simple) -> bool {
    let args = c.args();
    if c.start != 0 {
        return false;
    }
    match c.program.as_str() {
        "head" | "tail" => args.iter().all(|a| {
            a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit())
                || a == "-n"
                || a.bytes().all(|b| b.is_ascii_digit())
        }),
        "wc" => args.iter().all(|a| a == "-l"),
        _ => false,
    }
}

fn lookup_kind(c: &Simple) -> u32 {
    if c.xargs || c.sudo || c.runner.is_some() {
        return 0;
    }
    let args = c.args();
    match c.program.as_str() {
        "find" => find_kind(args),
        "ls" | "tree" | "fd" => tags::LISTS,
        "grep" | "rg" | "egrep" | "ag" | "ack" if grep_options_only(args) => tags::SEARCHES,
        "cat" | "head" | "bat" if c.operands().next().is_some() => tags::PRINTS,
        "sed"
            if args.first().is_some_and(|a| a == "-n")
                && args.get(1).is_some_and(|a| is_print_range(a))
                && args.len() > 2 =>
        {
            tags::PRINTS
        }
        _ => 0,
    }
}

/// `find` lists files (Glob) unless it acts on them; `-exec grep -l` searches them (Grep).
fn find_kind(args: &[String]) -> u32 {
    let acts = ["-delete", "-execdir", "-ok", "-fprint", "-fls"];
    if args.iter().any(|a| acts.contains(&a.as_str())) {
        return 0;
    }
    match args.iter().position(|a| a == "-exec") {
        None => tags::LISTS,
        Some(k) => {
            let prog = args.get(k + 1).map_or("", |p| shell::base(p));
            let listing = args[k + 1..].iter().any(|a| a == "-l");
            if matches!(prog, "grep" | "rg") && listing {
                tags::SEARCHES
            } else {
                0
            }
        }
    }
}

/// `1,20p`, `5p`, `$p`: a sed script that only prints lines.
fn is_print_range(script: &str) -> bool {
    script.strip_suffix('p').is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'$')
    })
}

/// Options the Grep tool has an equivalent for.
fn grep_options_only(args: &[String]) -> bool {
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if a == "--" || !a.starts_with('-') {
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or("");
            let known = [
                "recursive",
                "line-number",
                "ignore-case",
                "count",
                "files-with-matches",
                "extended-regexp",
                "include",
                "exclude",
                "exclude-dir",
                "glob",
                "type",
                "color",
                "colour",
                "no-heading",
                "with-filename",
                "no-filename",
                "context",
                "after-context",
                "before-context",
                "hidden",
                "regexp",
                "word-regexp",
                "max-count",
                "no-messages",
            ];
            if !known.contains(&name) {
                return false;
            }
            skip = !long.contains('=') && matches!(name, "glob" | "type" | "regexp" | "max-count");
            continue;
        }
        let flags = &a[1..];
        if !flags
            .bytes()
            .all(|b| b"rRniABClcEHhswegtm".contains(&b) || b.is_ascii_digit())
        {
            return false;
        }
        skip = flags
            .bytes()
            .last()
            .is_some_and(|b| b"ABCegtm".contains(&b));
    }
    true
}

/// Classifies a shell command into [`tags`] bits.
pub fn command_tags(cmd: &str) -> u32 {
    script_tags(&shell::parse(cmd, Env::default()))
}

/// [`command_tags`] of a parsed command: every simple command counts, with its runner.
pub(crate) fn script_tags(s: &Script) -> u32 {
    s.commands.iter().fold(0, |t, c| t | simple_tags(c))
}

fn simple_tags(c: &Simple) -> u32 {
    let mut t = 0;
    if let Some(r) = c.runner {
        t |= program_tags(r.split(' ').next().unwrap_or(r));
    }
    let mut prog = c.program.as_str();
    let mut args = c.args();
    if matches!(prog, "python" | "python3") && args.first().is_some_and(|a| a == "-m") {
        prog = args.get(1).map_or("", |a| a.as_str());
        args = args.get(2..).unwrap_or(&[]);
    }
    t |= program_tags(prog);
    let runner = matches!(
        prog,
        "cargo"
            | "npm"
            | "yarn"
            | "pnpm"
            | "go"
            | "make"
            | "mvn"
            | "gradle"
            | "mix"
            | "dotnet"
            | "bun"
    );
    if runner {
        let mut sub = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .map_or("", |a| a.as_str());
        if sub == "run" && matches!(prog, "npm" | "yarn" | "pnpm" | "bun") {
            let rest = args.iter().skip_while(|a| *a != "run").skip(1);
            sub = rest
                .into_iter()
                .find(|a| !a.starts_with('-'))
                .map_or("", |a| a.as_str());
        }
        t |= match sub {
            "test" | "tests" | "nextest" | "t" | "check-tests" => tags::TEST,
            "build" | "check" | "clippy" | "compile" | "package" | "b" | "lint" | "tsc" => {
                tags::BUILD
            }
            _ => 0,
        };
    }
    t
}

fn program_tags(p: &str) -> u32 {
    match p {
        "git" => tags::GIT,
        "npm" | "npx" | "pip" | "pip3" | "cargo" | "yarn" | "pnpm" | "uv" | "poetry" | "bunx" => {
            tags::PKG
        }
        "pytest" | "jest" | "vitest" | "rspec" | "ctest" | "tox" | "nextest" | "phpunit" => {
            tags::TEST
        }
        "tsc" | "make" | "ninja" | "cmake" => tags::BUILD,
        _ => 0,
    }
}

fn is_plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 24
        && !w.starts_with('-')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// The subcommand of a `git` command, past git's own options (`git -C dir -c k=v commit`).
pub(crate) fn git_subcommand(c: &Simple) -> Option<&str> {
    git_args(c).map(|(sub, _)| sub)
}

/// The subcommand of a `git` command and the arguments after it.
pub(crate) fn git_args(c: &Simple) -> Option<(&str, &[String])> {
    if c.program != "git" {
        return None;
    }
    let args = c.args();
    let mut k = 0;
    while let Some(a) = args.get(k) {
        if !a.starts_with('-') {
            return Some((a.as_str(), &args[k + 1..]));
        }
        let with_value = [
            "-C",
            "-c",
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--config-env",
        ];
        k += if with_value.contains(&a.as_str()) {
            2
        } else {
            1
        };
    }
    None
}

/// The head of a shell command: its program name and, when it is one of the program's known
/// subcommands, the subcommand (`cargo test`, `git status`, `ls`). The program is the one in
/// command position past `cd DIR &&` steps, `VAR=value` assignments and wrappers (`timeout 60`,
/// `env`, `sudo`; runners are kept: `npx vitest`, `uv run`); `echo`, `cd`, `export` and the like
/// only when nothing else runs. Arguments are never included, so secrets in them are never
/// persisted: a word in the subcommand's place that is not in the vocabulary is dropped.
pub fn command_head(cmd: &str) -> String {
    script_head(&shell::parse(cmd, Env::default()))
}

/// [`command_head`] of a parsed command.
pub(crate) fn script_head(s: &Script) -> String {
    let mut parts = Vec::new();
    collect_parts(s, 0, &mut parts);
    let main = parts
        .iter()
        .find(|c| !c.program.is_empty() && !is_filler(&c.program))
        .or_else(|| parts.iter().find(|c| !c.program.is_empty()));
    main.map_or_else(String::new, |c| simple_head(c))
}

/// The head of one simple command.
pub(crate) fn simple_head(c: &Simple) -> String {
    let prog = c.program.as_str();
    // A runner's tool is kept when it is a known one (`npx vitest`, `npx claude-flow@alpha`),
    // whatever its characters; any other is an argument and never kept.
    if let Some(runner) = c.runner {
        let first = runner.split(' ').next().unwrap_or(runner);
        return if subcommands(first).contains(&prog) {
            format!("{runner} {prog}")
        } else {
            runner.to_string()
        };
    }
    if !is_plain_word(prog) {
        return String::from("?");
    }
    let mut head = prog.to_string();
    let second = if prog == "git" {
        git_subcommand(c)
    } else {
        c.args().first().map(String::as_str)
    };
    if let Some(second) = second {
        // Only a known subcommand of a known program is kept: an argument (`echo $TOKEN`,
        // `npx tok_live_...`, `mysql -pSECRET`) is never part of the head.
        if subcommands(prog).contains(&second) {
            head.push(' ');
            head.push_str(second);
        }
    }
    head
}

/// The part of a failed command its error belongs to: in `a && b`, `a; b`, `cd x && b`, through
/// wrappers and `bash -c` strings, the part the error text names (`ls: cannot access` is `ls`;
/// hook output, `pre-commit`, `husky` or a hook id line is the `git commit`), else the last part
/// that ran (a pipeline counts as its first program). `cd`, `echo`, `export`, `source` and `set`
/// are never the part while anything else ran.
pub(crate) fn failed_part<'s>(s: &'s Script, error: &str) -> Option<&'s Simple> {
    let mut parts = Vec::new();
    collect_parts(s, 0, &mut parts);
    let real: Vec<&Simple> = parts
        .iter()
        .copied()
        .filter(|c| !c.program.is_empty() && !is_filler(&c.program))
        .collect();
    if real.is_empty() {
        return parts.into_iter().find(|c| !c.program.is_empty());
    }
    let lower = error.get(..error.len().min(4096)).unwrap_or(error);
    let hook = [
        "pre-commit",
        "husky",
        "lint-staged",
        "hook id:",
        "commit-msg",
        " hook ",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if hook {
        if let Some(c) = real
            .iter()
            .rev()
            .find(|c| git_subcommand(c) == Some("commit"))
        {
            return Some(c);
        }
    }
    let named = real.iter().rev().find(|c| {
        lower.lines().take(40).any(|l| {
            let l = l.trim_start();
            l.strip_prefix(c.program.as_str())
                .is_some_and(|r| r.starts_with(": ") || r.starts_with(":\t"))
        })
    });
    if let Some(c) = named {
        return Some(c);
    }
    real.iter()
        .rev()
        .find(|c| c.connector != Connector::Pipe)
        .or(real.last())
        .copied()
}

/// The commands of `group`, a `sh -c`/`bash -c` string read in place of the shell running it.
fn collect_parts<'s>(s: &'s Script, group: u16, out: &mut Vec<&'s Simple>) {
    for (i, c) in s
        .commands
        .iter()
        .enumerate()
        .filter(|(_, c)| c.group == group)
    {
        let inner = s
            .commands
            .iter()
            .find(|k| k.parent == Some(i) && k.origin == Origin::Shell)
            .map(|k| k.group);
        match inner {
            Some(g) if g != group && out.len() < 64 => collect_parts(s, g, out),
            _ => out.push(c),
        }
    }
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
        assert_eq!(lookup_tags("cd /p && ls"), tags::LISTS, "Glob takes a path");
        assert_eq!(lookup_tags("grep -r foo . > hits.txt"), 0);
        assert_eq!(lookup_tags("cat a | grep b"), 0);
        assert_eq!(lookup_tags("git log --oneline | grep fix"), 0);
        assert_eq!(lookup_tags("git add -A && git commit -m x"), tags::COMMIT);
    }

    #[test]
    fn lookups_read_from_the_parse() {
        let searches = [
            "grep -rn 'fn main' src",
            "rg -i -C 3 foo src | head -20",
            "cd /p && grep -c TODO -r . 2>/dev/null",
            "grep -l foo *.rs || echo none",
            "grep -E 'a|b' x.rs | wc -l",
            "find . -name '*.rs' -exec grep -l foo {} +",
            "grep -r 'a && b; c' .",
        ];
        for cmd in searches {
            assert_eq!(lookup_tags(cmd), tags::SEARCHES, "{cmd}");
        }
        assert_eq!(lookup_tags("tree -L 2 src"), tags::LISTS);
        assert_eq!(lookup_tags("find src -type f | tail -5"), tags::LISTS);
        assert_eq!(lookup_tags("head -50 src/lib.rs"), tags::PRINTS);
        // `tail -N` of a growing log (a background task's output) has no Read equivalent: Read
        // takes an offset the agent would first have to count.
        assert_eq!(lookup_tags("tail -n 20 log.txt"), 0);
        let shell_work = [
            "grep -v foo a.rs",
            "grep -o 'x' a | sort | uniq -c",
            "rg foo | awk '{print $1}'",
            "find . -name '*.tmp' -delete",
            "find . -exec sed -i s/a/b/ {} +",
            "cat a.json | jq .x",
            "cut -d: -f1 /etc/passwd",
            "ls | xargs -n1 echo",
            "for f in *.rs; do grep -l x $f; done",
            "grep foo $(git ls-files)",
            "cat > out.txt",
            "cat <<EOF\nx\nEOF",
            "tail -f log.txt",
            "sed -n '/x/p' a.rs",
            "FOO=1 grep x a",
            "grep x a; grep y b",
            "sudo cat /etc/shadow",
            "echo 'unterminated",
        ];
        for cmd in shell_work {
            assert_eq!(lookup_tags(cmd), 0, "{cmd}");
        }
        assert_eq!(
            lookup_tags("echo 'git commit'"),
            0,
            "an argument is not a commit"
        );
        assert_eq!(lookup_tags("git -c user.name=x commit -m y"), tags::COMMIT);
    }

    #[test]
    fn failed_parts() {
        let part = |cmd: &str, err: &str| {
            let s = shell::parse(cmd, Env::default());
            failed_part(&s, err).map(simple_head)
        };
        let hook =
            "check yaml...............Passed\nruff.....Failed\n- hook id: ruff\n- exit code: 1";
        assert_eq!(
            part("git add -A && git commit -m x", hook).as_deref(),
            Some("git commit")
        );
        assert_eq!(
            part(
                "git add -A && git commit -m x",
                "husky - pre-commit hook exited with code 1"
            )
            .as_deref(),
            Some("git commit")
        );
        assert_eq!(
            part(
                "ls /nope && cargo test",
                "ls: cannot access '/nope': No such file or directory"
            )
            .as_deref(),
            Some("ls")
        );
        assert_eq!(
            part("cd x && cargo test", "error[E0425]: x").as_deref(),
            Some("cargo test")
        );
        assert_eq!(part("make; npm test", "boom").as_deref(), Some("npm test"));
        assert_eq!(
            part("cargo build && echo done", "error: x").as_deref(),
            Some("cargo build")
        );
        assert_eq!(
            part("timeout 60 npx vitest run", "x").as_deref(),
            Some("npx vitest")
        );
        assert_eq!(
            part("env CI=1 uv run pytest -q", "x").as_deref(),
            Some("uv run")
        );
        assert_eq!(
            part("bash -c 'cd a && cargo test'", "x").as_deref(),
            Some("cargo test")
        );
        assert_eq!(
            part("cargo test 2>&1 | tail -20", "x").as_deref(),
            Some("cargo test")
        );
        assert_eq!(
            part("export A=1 && source env.sh", "x").as_deref(),
            Some("export")
        );
        assert_eq!(part("cd /nope", "cd: no such file").as_deref(), Some("cd"));
        assert_eq!(part("", "x"), None);
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
        assert_eq!(command_head("timeout 60 cargo test"), "cargo test");
        assert_eq!(command_head("git -C /x -c a=b status"), "git status");
        assert_eq!(command_head("echo start && cargo build"), "cargo build");
        assert_eq!(command_head("sudo -u root rm -rf x"), "rm");
        assert_eq!(command_head("$TOKEN_CMD run"), "?");
        assert_eq!(command_head("bash -c 'echo sk_live_abc'"), "echo");
        assert_eq!(command_head("bash -c 'cd x && cargo test'"), "cargo test");
        assert_eq!(
            command_head("A=sk_live_x B=$(cat key) make secret_target"),
            "make"
        );
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
        assert_eq!(command_tags("echo pytest"), 0, "an argument runs nothing");
        assert_eq!(
            command_tags("timeout 60 npx vitest run"),
            tags::TEST | tags::PKG
        );
        assert_eq!(
            command_tags("npm run test -- --watch=false"),
            tags::TEST | tags::PKG
        );
        assert_eq!(command_tags("sh -c 'cargo build'"), tags::BUILD | tags::PKG);
    }
}
