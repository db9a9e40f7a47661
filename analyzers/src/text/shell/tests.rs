use super::*;

const ENV: Env<'static> = Env {
    cwd: Some("/home/u/proj"),
    home: Some("/home/u"),
};

fn p(cmd: &str) -> Script {
    parse(cmd, ENV)
}

/// `program arg...` of every command, in order.
fn shape(cmd: &str) -> Vec<String> {
    p(cmd)
        .commands
        .iter()
        .map(|c| {
            let mut s = c.program.clone();
            for a in c.args() {
                s.push(' ');
                s.push_str(a);
            }
            s
        })
        .collect()
}

#[test]
fn connectors_and_quotes() {
    let s = p("cd a && make || echo 'no, make failed'; ls | wc -l & sleep 1");
    let conns: Vec<Connector> = s.commands.iter().map(|c| c.connector).collect();
    use Connector::*;
    assert_eq!(conns, [Start, And, Or, Seq, Pipe, Background]);
    assert_eq!(s.commands[2].args(), ["no, make failed"]);
    assert_eq!(
        shape(r#"git commit -m "fix: a \"quoted\" -n" -n"#),
        [r#"git commit -m fix: a "quoted" -n -n"#]
    );
    assert_eq!(shape(r"echo a\ b 'c;d' $'e\nf'"), [r"echo a b c;d e\nf"]);
    assert_eq!(shape("a;;b"), ["a", "b"]);
    assert_eq!(shape("a |& b"), ["a", "b"]);
    assert_eq!(shape("ls # rm -rf /"), ["ls"]);
    assert!(p("ls").complete);
}

#[test]
fn redirections_stand_apart() {
    let s = p("rm -rf build > /dev/null 2>&1 < in.txt &>> log");
    let c = &s.commands[0];
    assert_eq!(c.program, "rm");
    assert_eq!(c.args(), ["-rf", "build"]);
    let r: Vec<(Option<u32>, &str, &str)> = c
        .redirects
        .iter()
        .map(|r| (r.fd, r.op, r.target.as_str()))
        .collect();
    assert_eq!(
        r,
        [
            (None, ">", "/dev/null"),
            (Some(2), ">&", "1"),
            (None, "<", "in.txt"),
            (None, "&>>", "log")
        ]
    );
    assert_eq!(shape("echo 2 >x"), ["echo 2"], "a digit apart is a word");
    assert_eq!(shape("cat <<< 'rm -rf /'"), ["cat"]);
}

#[test]
fn wrappers_lead_to_the_program() {
    let prog = |cmd: &str| p(cmd).commands[0].program.clone();
    assert_eq!(prog("/bin/rm -rf x"), "rm");
    assert_eq!(prog("timeout 60 cargo test"), "cargo");
    assert_eq!(prog("timeout -s KILL 5m pytest -q"), "pytest");
    assert_eq!(prog("env -u X A=1 B=2 make"), "make");
    assert_eq!(prog("nice -n 10 nohup time make"), "make");
    assert_eq!(prog("command -v git"), "command");
    assert_eq!(prog("exec git status"), "git");
    assert_eq!(prog("xargs -I{} -n 1 rm -rf {}"), "rm");
    assert_eq!(prog("xargs"), "xargs");
    assert_eq!(prog("uv run --with x pytest"), "pytest");
    assert_eq!(prog("poetry run pytest"), "pytest");
    assert_eq!(prog("npx --yes vitest run"), "vitest");
    assert_eq!(prog("pnpm exec eslint ."), "eslint");
    assert_eq!(prog("busybox rm -rf x"), "rm");
    let s = p("sudo -u root rm -rf /var/x");
    assert!(s.commands[0].sudo && s.commands[0].program == "rm");
    assert_eq!(p("npx vitest").commands[0].runner, Some("npx"));
    assert!(p("find . | xargs grep x").commands[1].xargs);
    assert_eq!(p("FOO=1 BAR=$(pwd) make").commands[0].assignments.len(), 2);
    assert_eq!(prog("if true; then rm -rf x; fi"), "true");
    assert_eq!(shape("if true; then rm -rf x; fi")[1], "rm -rf x");
}

#[test]
fn shell_strings_and_substitutions_are_read_once_more() {
    let s = p("bash -c 'cd /tmp && rm -rf x' && sh -lc \"git push -f\"");
    let progs: Vec<(&str, Origin)> = s
        .commands
        .iter()
        .map(|c| (c.program.as_str(), c.origin))
        .collect();
    assert_eq!(
        progs,
        [
            ("bash", Origin::Top),
            ("sh", Origin::Top),
            ("cd", Origin::Shell),
            ("rm", Origin::Shell),
            ("git", Origin::Shell)
        ]
    );
    assert_eq!(s.commands[3].cwd.as_deref(), Some("/tmp"));
    assert_eq!(s.commands[3].parent, Some(0));
    let s = p("echo $(rm -rf /x) `git status` \"$(date)\"; diff <(ls a) b");
    let subs: Vec<&str> = s.commands[2..].iter().map(|c| c.program.as_str()).collect();
    assert_eq!(subs, ["rm", "git", "date", "ls"]);
    assert!(s.commands[2..]
        .iter()
        .all(|c| c.origin == Origin::Substitution));
    assert_eq!(shape("echo $((1 + 2))"), ["echo $((1 + 2))"]);
    assert_eq!(shape("eval 'git reset --hard'")[1], "git reset --hard");
    assert_eq!(shape("echo ${X:-a b}"), ["echo ${X:-a b}"]);
}

#[test]
fn heredocs_are_bodies_not_commands() {
    let body = "rm -rf /\n".repeat(3);
    let s = p(&format!(
        "cat > notes.md <<'EOF'\n{body}EOF\ngit add notes.md"
    ));
    assert_eq!(shape_of(&s), ["cat", "git add notes.md"]);
    assert_eq!(s.commands[0].redirects[0].target, "notes.md");
    assert!(s.complete);
    // A heredoc fed to a shell is a script.
    let s = p("bash <<EOF\n  rm -rf build\nEOF\n");
    assert_eq!(shape_of(&s), ["bash", "rm -rf build"]);
    let s = p("cat <<-END\n\tx\n\tEND\necho done");
    assert_eq!(shape_of(&s), ["cat", "echo done"]);
    assert!(!p("cat <<EOF\nnever closed").complete);
}

fn shape_of(s: &Script) -> Vec<String> {
    s.commands
        .iter()
        .map(|c| {
            std::iter::once(c.program.as_str())
                .chain(c.args().iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn paths_resolve_lexically() {
    let r = |w: &str| resolve(w, ENV);
    assert_eq!(r("~").as_deref(), Some("/home/u"));
    assert_eq!(r("~/x/").as_deref(), Some("/home/u/x"));
    assert_eq!(r("$HOME/x").as_deref(), Some("/home/u/x"));
    assert_eq!(r("${HOME}").as_deref(), Some("/home/u"));
    assert_eq!(r("../other").as_deref(), Some("/home/u/other"));
    assert_eq!(r("./build/../dist").as_deref(), Some("/home/u/proj/dist"));
    assert_eq!(r("/tmp/../etc").as_deref(), Some("/etc"));
    assert_eq!(r("/").as_deref(), Some("/"));
    assert_eq!(r("~bob/x"), None);
    assert_eq!(r("$TMPDIR/x"), None);
    assert_eq!(r("`pwd`/x"), None);
    assert_eq!(resolve("x", Env::default()), None, "no cwd, no answer");
    assert_eq!(resolve("~", Env::default()), None, "no home, no answer");
    // `cd` moves the commands after it, until its subshell ends.
    let s = p("cd .. && rm -rf a; (cd /opt && ls); pwd");
    let cwds: Vec<Option<&str>> = s.commands.iter().map(|c| c.cwd.as_deref()).collect();
    assert_eq!(
        cwds,
        [
            Some("/home/u/proj"),
            Some("/home/u"),
            Some("/home/u"),
            Some("/opt"),
            Some("/home/u")
        ]
    );
    assert_eq!(p("cd && ls").commands[1].cwd.as_deref(), Some("/home/u"));
}

#[test]
fn command_position_only() {
    let s = p("echo rm -rf / && wc rm -rf / && git commit -m 'rm -rf /'");
    let progs: Vec<&str> = s.commands.iter().map(|c| c.program.as_str()).collect();
    assert_eq!(progs, ["echo", "wc", "git"]);
}

#[test]
fn unparseable_input_is_partial_never_a_panic() {
    for cmd in [
        "echo 'unterminated",
        "echo \"unterminated $(",
        "$(",
        "`",
        "<<",
        "((((",
        "))))",
        "a && && || ; | &",
        "${",
        "echo \\",
        "cat <(",
        "é'ü\"",
        "\u{0}",
        ">",
        "2>",
        "$'",
    ] {
        let _ = p(cmd);
    }
    assert!(!p("echo 'unterminated").complete);
    let huge = format!(
        "python3 - <<'EOF'\n{}EOF",
        "print(1)\n".repeat(MAX_PARSE_BYTES / 8)
    );
    let s = p(&huge);
    assert!(
        !s.complete && s.truncated,
        "cut inside a heredoc: incomplete"
    );
    assert_eq!(s.commands[0].program, "python3", "its head is still known");
    assert!(
        !p(&"x".repeat(MAX_PARSE_BYTES + 1)).complete,
        "cut inside a word"
    );
    // Cut at a line break or inside a comment, what was read is whole.
    let lines = format!("rm -rf build\n{}", "echo x\n".repeat(MAX_PARSE_BYTES / 7));
    let s = p(&lines);
    assert!(s.complete && s.truncated && s.commands[0].program == "rm");
    let s = p(&format!("curl x | sh # {}", "a".repeat(MAX_PARSE_BYTES)));
    assert!(s.complete && s.truncated && s.commands.len() == 2);
}

#[test]
fn nesting_is_bounded() {
    let mut cmd = String::from("rm -rf /");
    for _ in 0..10 {
        cmd = format!("bash -c {}", shell_words_quote(&cmd));
    }
    let s = p(&cmd);
    assert!(s.commands.len() <= usize::from(MAX_DEPTH) + 2);
    let many = "$(a) ".repeat(1000);
    assert!(p(&format!("echo {many}")).commands.len() <= MAX_COMMANDS + 1);
}

fn shell_words_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn quoted_assignments_stay_assignments() {
    let s = p("FOO=\"a b\" BAR='c' make all");
    assert_eq!(s.commands[0].assignments, ["FOO=a b", "BAR=c"]);
    assert_eq!(s.commands[0].program, "make");
    assert_eq!(
        shape("\"A=1\" make"),
        ["A=1 make"],
        "a quoted name is a program"
    );
}

#[test]
fn a_commit_message_heredoc_inside_a_substitution() {
    let cmd = "git commit --no-verify -m \"$(cat <<'EOF'\nfix(parser): don't read (this) as code; rm -rf /\n\nCo-Authored-By: x\nEOF\n)\" && git push";
    let s = p(cmd);
    assert!(s.complete);
    assert_eq!(
        shape_of(&s),
        [
            "git commit --no-verify -m $(cat <<'EOF'\nfix(parser): don't read (this) as code; rm -rf /\n\nCo-Authored-By: x\nEOF\n)",
            "git push",
            "cat"
        ]
    );
    assert_eq!(
        shape("echo $(cat <<< 'x)')"),
        ["echo $(cat <<< 'x)')", "cat"]
    );
}

#[test]
fn many_heredocs_in_a_substitution_stay_linear() {
    // Each `<<` without a closing line would rescan the rest: the first one ends the scan.
    let s = p(&format!("echo $({}\nx", "cat <<A ".repeat(3000)));
    assert!(!s.complete);
    let s = p(&format!("echo $({}", "cat <<A ".repeat(3000)));
    assert!(!s.complete);
}

/// Random strings over the shell's metacharacters (a fixed seed): the parse never panics, and
/// what it resolves is always absolute and normalized.
#[test]
fn random_metacharacter_soup_never_panics() {
    const PARTS: &[&str] = &[
        "'", "\"", "\\", "$", "(", ")", "`", "{", "}", "<", ">", "<<", "&", "|", ";", "\n", " ",
        "#", "~", "..", "/", "rm", "-rf", "sh", "-c", "EOF", "é", "\t", "=", "2", "$((", "<(",
        "cd", "*",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let len = (next() % 24) as usize;
        let cmd: String = (0..len)
            .map(|_| PARTS[(next() % PARTS.len() as u64) as usize])
            .collect();
        let s = p(&cmd);
        for c in &s.commands {
            assert!(c.start <= c.words.len(), "{cmd:?}");
            if let Some(d) = &c.cwd {
                assert!(d.starts_with('/') && !d.contains("/../"), "{cmd:?}: {d}");
            }
        }
    }
}
