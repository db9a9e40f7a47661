//! Small text helpers shared by the analyzers: stable hashing, cutting, command classification.

/// FNV-1a, 64 bit: a stable hash (same value in every process and version) for persisted facts such
/// as "the same command failed again", so the command itself never has to be stored.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Cuts `s` to at most `max` characters, ending in `…` when it was cut.
pub fn truncate_chars(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((idx, _)) => {
            let keep = s[..idx].char_indices().last().map_or(0, |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &s[..keep]))
        }
    }
}

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
}

/// The words of a command, split at ASCII whitespace and `; & | ( ) \``. A byte scan: every
/// separator is ASCII, so the pieces are always whole UTF-8 and no character is decoded.
fn words(cmd: &str) -> Words<'_> {
    Words { s: cmd, pos: 0 }
}

struct Words<'a> {
    s: &'a str,
    pos: usize,
}

fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b';' | b'&' | b'|' | b'(' | b')' | b'`'
    )
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        while self.pos < b.len() && is_separator(b[self.pos]) {
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < b.len() && !is_separator(b[self.pos]) {
            self.pos += 1;
        }
        self.s.get(start..self.pos)
    }
}

fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Classifies a shell command into [`tags`] bits.
///
/// Heredoc bodies (`<<EOF` ... `EOF`) are data, not commands, and are skipped: a commit message that
/// mentions `cargo test` does not run tests, and skipping it keeps this cheap on long commands.
pub fn command_tags(cmd: &str) -> u32 {
    let mut scan = TagScan::default();
    let mut heredoc: Option<&str> = None;
    for line in cmd.lines() {
        if let Some(delim) = heredoc {
            if line.trim() == delim {
                heredoc = None;
            }
            continue;
        }
        scan.words(line);
        heredoc = heredoc_delimiter(line);
    }
    scan.tags
}

/// The delimiter of a heredoc that starts on `line` (`<<EOF`, `<<-'EOF'`, `<< "END"`), if any.
fn heredoc_delimiter(line: &str) -> Option<&str> {
    let mut rest = line;
    while let Some(i) = rest.find("<<") {
        let after = &rest[i + 2..];
        if let Some(more) = after.strip_prefix('<') {
            // `<<<` is a here-string, not a heredoc.
            rest = more;
            continue;
        }
        let after = after.strip_prefix('-').unwrap_or(after).trim_start();
        let after = after.trim_start_matches(['\'', '"', '\\']);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        return (end > 0).then(|| &after[..end]);
    }
    None
}

/// Word-by-word tag classification; each word's program name is computed once and carried along.
#[derive(Default)]
struct TagScan<'a> {
    tags: u32,
    prev: &'a str,
    prev2: &'a str,
}

impl<'a> TagScan<'a> {
    fn words(&mut self, text: &'a str) {
        for w in words(text) {
            let p = program(w);
            match p {
                "git" => self.tags |= tags::GIT,
                "npm" | "npx" | "pip" | "pip3" | "cargo" | "yarn" | "pnpm" | "uv" | "poetry" => {
                    self.tags |= tags::PKG
                }
                "pytest" | "jest" | "vitest" | "rspec" | "ctest" | "tox" | "nextest"
                | "phpunit" => self.tags |= tags::TEST,
                "tsc" | "make" | "ninja" | "cmake" => self.tags |= tags::BUILD,
                _ => {}
            }
            let tool = self.prev;
            let runner = matches!(
                tool,
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
            ) || (tool == "run"
                && matches!(self.prev2, "npm" | "yarn" | "pnpm" | "bun"));
            if runner {
                match w {
                    "test" | "tests" | "nextest" | "t" | "check-tests" => self.tags |= tags::TEST,
                    "build" | "check" | "clippy" | "compile" | "package" | "b" | "lint" | "tsc" => {
                        self.tags |= tags::BUILD
                    }
                    _ => {}
                }
            }
            if matches!(tool, "python" | "python3") && w == "pytest" {
                self.tags |= tags::TEST;
            }
            self.prev2 = self.prev;
            self.prev = p;
        }
    }
}

fn is_plain_word(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 24
        && !w.starts_with('-')
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Programs whose first argument is a subcommand (`git status`, `cargo test`).
const SUBCOMMAND_PROGRAMS: &[&str] = &[
    "apt",
    "apt-get",
    "brew",
    "bun",
    "cargo",
    "deno",
    "dnf",
    "docker",
    "dotnet",
    "gh",
    "git",
    "go",
    "gradle",
    "helm",
    "kubectl",
    "make",
    "mix",
    "mvn",
    "npm",
    "npx",
    "pip",
    "pip3",
    "pnpm",
    "podman",
    "poetry",
    "rustup",
    "systemctl",
    "terraform",
    "uv",
    "yarn",
    "yum",
];

/// The head of a shell command: its program name and, when it looks like one, a subcommand
/// (`cargo test`, `git status`, `ls`). Leading `cd DIR &&` steps and `VAR=value` assignments are
/// skipped. Arguments are never included, so secrets in them are never persisted.
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
        // Only programs known to take a subcommand keep a second word, and only a word that looks
        // like one: an argument (`echo $TOKEN`, `mysql -pSECRET`) is never part of the head.
        if SUBCOMMAND_PROGRAMS.contains(&prog)
            && is_plain_word(second)
            && second
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase())
        {
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
    fn fnv_is_stable() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_chars("hello", 10), "hello");
        assert_eq!(truncate_chars("hello world", 5), "hell…");
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
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
    }

    #[test]
    fn word_split() {
        let w: Vec<&str> = words("  cd é/x&&cargo\ttest;ls|wc (a) `b` ").collect();
        assert_eq!(w, ["cd", "é/x", "cargo", "test", "ls", "wc", "a", "b"]);
        assert_eq!(words("").count(), 0);
        assert_eq!(words(" ;; ").count(), 0);
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
        // heredoc bodies are data; what follows the delimiter is a command again
        let commit = "git commit -m \"$(cat <<'EOF'\nfix: make cargo test pass\nEOF\n)\"";
        assert_eq!(command_tags(commit), tags::GIT);
        assert_eq!(
            command_tags("cat <<-EOF > x.txt\n\tnpm run build\n\tEOF\ncargo test"),
            tags::PKG | tags::TEST
        );
        assert_eq!(
            command_tags("grep x <<< y; cargo test"),
            tags::PKG | tags::TEST
        );
        assert_eq!(heredoc_delimiter("cat << \"END\" | x"), Some("END"));
        assert_eq!(heredoc_delimiter("a <<< b"), None);
    }
}
