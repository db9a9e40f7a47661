//! Languages of files and the checks (tests, builds, type checks) that cover them: what
//! `untested-change` needs to tell "the JavaScript changed and only the Elixir tests ran".

/// Language bits, one per ecosystem whose checks posthook recognizes.
pub mod langs {
    /// JavaScript / TypeScript (and Vue, Svelte).
    pub const JS: u16 = 1;
    /// Elixir (and HEEx/EEx templates).
    pub const ELIXIR: u16 = 1 << 1;
    /// Rust.
    pub const RUST: u16 = 1 << 2;
    /// Python.
    pub const PYTHON: u16 = 1 << 3;
    /// Go.
    pub const GO: u16 = 1 << 4;
    /// Ruby.
    pub const RUBY: u16 = 1 << 5;
    /// Java, Kotlin, Scala.
    pub const JVM: u16 = 1 << 6;
    /// C and C++.
    pub const C: u16 = 1 << 7;
    /// Swift.
    pub const SWIFT: u16 = 1 << 8;
    /// C# and F#.
    pub const DOTNET: u16 = 1 << 9;
    /// PHP.
    pub const PHP: u16 = 1 << 10;
    /// A generic runner (make, just, ninja, bazel, task): it may cover any language.
    pub const ANY: u16 = u16::MAX;
}

/// The language of a source file, by its extension; 0 for files that are not code a test or a
/// build covers (docs, data, styles, lock files).
pub fn lang_of(path: &str) -> u16 {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, ext)) = name.rsplit_once('.') else {
        return 0;
    };
    match ext.to_ascii_lowercase().as_str() {
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" | "vue" | "svelte" => langs::JS,
        "ex" | "exs" | "heex" | "eex" | "leex" => langs::ELIXIR,
        "rs" => langs::RUST,
        "py" | "pyi" => langs::PYTHON,
        "go" => langs::GO,
        "rb" | "rake" => langs::RUBY,
        "java" | "kt" | "kts" | "scala" => langs::JVM,
        "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "hh" => langs::C,
        "swift" => langs::SWIFT,
        "cs" | "fs" => langs::DOTNET,
        "php" => langs::PHP,
        _ => 0,
    }
}

/// The name of a language bit, for messages.
pub fn lang_name(lang: u16) -> &'static str {
    match lang {
        langs::JS => "JavaScript/TypeScript",
        langs::ELIXIR => "Elixir",
        langs::RUST => "Rust",
        langs::PYTHON => "Python",
        langs::GO => "Go",
        langs::RUBY => "Ruby",
        langs::JVM => "JVM",
        langs::C => "C/C++",
        langs::SWIFT => "Swift",
        langs::DOTNET => ".NET",
        langs::PHP => "PHP",
        _ => "code",
    }
}

fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The languages a shell command tests, builds or type-checks (0 when it is not such a check).
/// Each step of a `&&`/`;`/`|` chain counts: `mix compile && npm test` covers Elixir and JS.
pub fn check_langs(cmd: &str) -> u16 {
    script_langs(&crate::text::shell::parse(
        cmd,
        crate::text::shell::Env::default(),
    ))
}

/// [`check_langs`] of a parsed command: each simple command is a step (heredoc bodies and quoted
/// arguments are not).
pub(crate) fn script_langs(script: &crate::text::shell::Script) -> u16 {
    let mut out = 0;
    for c in &script.commands {
        let words: Vec<&str> = c.words.iter().take(12).map(String::as_str).collect();
        let words = unwrap(&words);
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let rest = &rest[..rest.len().min(4)];
        let prog = base(first);
        out |= match step_langs(prog, rest) {
            0 if is_check_script(first, rest) => langs::ANY,
            l => l,
        };
    }
    out
}

/// How much of a `git commit`'s output [`checks_in_output`] is given (the input layer keeps at
/// most this much of it).
pub const COMMIT_OUTPUT_BYTES: usize = 16 * 1024;

/// The languages whose tests a command's output shows having run and passed: the summary lines of
/// the common test runners (ExUnit `N tests, 0 failures`, cargo `test result: ok.`, pytest
/// `N passed`, unittest `Ran N tests` then `OK`, jest/vitest `Tests: N passed`, node `# pass N`,
/// mocha `N passing`, go `ok  pkg`, rspec `N examples, 0 failures`) and the pre-commit framework's
/// `<hook>....Passed` lines whose hook is a check posthook knows ([`check_langs`]). That is how a
/// commit whose own hooks ran the project's tests is told from one that committed unchecked code.
pub fn checks_in_output(text: &str) -> u16 {
    let end = crate::text::floor_boundary(text, COMMIT_OUTPUT_BYTES);
    let mut out = 0;
    let mut unittest_ran = false;
    for line in text[..end].lines() {
        let l = line.trim();
        let lower = l.to_ascii_lowercase();
        out |= summary_langs(l, &lower);
        if lower.starts_with("ran ") && lower.contains(" test") {
            unittest_ran = true;
        } else if unittest_ran && (l == "OK" || l.starts_with("OK (")) {
            out |= langs::PYTHON;
        }
        if let Some(name) = l.strip_suffix("Passed").map(|s| s.trim_end_matches('.')) {
            if name.len() < l.len().saturating_sub(8) {
                out |= match check_langs(&name.to_ascii_lowercase()) {
                    langs::ANY => 0,
                    x => x,
                };
            }
        }
    }
    out
}

/// One summary line's language (see [`checks_in_output`]); `lower` is `l` lowercased.
fn summary_langs(l: &str, lower: &str) -> u16 {
    let words: Vec<&str> = lower.split_whitespace().take(8).collect();
    let num = |i: usize| {
        words
            .get(i)
            .is_some_and(|w| w.trim_end_matches(',').bytes().all(|b| b.is_ascii_digit()))
    };
    let word = |i: usize, w: &str| words.get(i).is_some_and(|x| x.trim_end_matches(',') == w);
    if num(0) && (word(1, "tests") || word(1, "test")) && num(2) && lower.contains(" 0 failure") {
        langs::ELIXIR
    } else if lower.starts_with("test result: ok.") {
        langs::RUST
    } else if lower.starts_with('=') && lower.contains(" passed") && !lower.contains("failed") {
        langs::PYTHON
    } else if ((lower.starts_with("tests:") || lower.starts_with("test files"))
        && lower.contains(" passed")
        && !lower.contains("failed"))
        || (lower.starts_with("# pass ") && num(2))
        || (num(0) && word(1, "passing"))
    {
        langs::JS
    } else if words.first() == Some(&"ok") && l.contains('\t') {
        langs::GO
    } else if num(0) && (word(1, "examples") || word(1, "example")) && lower.contains(" 0 failures")
    {
        langs::RUBY
    } else {
        0
    }
}

/// Skips wrappers that run another command: `timeout 60 pytest`, `time cargo test`, `env X=1 go
/// test`, `uv run pytest`, `bundle exec rspec`, `bash run_tests.sh`.
fn unwrap<'a>(words: &'a [&'a str]) -> &'a [&'a str] {
    let mut w = words;
    loop {
        let Some((first, rest)) = w.split_first() else {
            return w;
        };
        w = match base(first) {
            "time" | "nice" | "nohup" | "xvfb-run" | "stdbuf" => rest,
            "env" => {
                let skip = rest
                    .iter()
                    .take_while(|x| x.contains('=') || x.starts_with('-'))
                    .count();
                &rest[skip..]
            }
            "timeout" => {
                let skip = rest
                    .iter()
                    .take_while(|x| {
                        x.starts_with('-') || x.chars().next().is_some_and(|c| c.is_ascii_digit())
                    })
                    .count();
                &rest[skip..]
            }
            "uv" | "poetry" | "pdm" | "hatch" | "pipenv" | "rye"
                if rest.first() == Some(&"run") =>
            {
                &rest[1..]
            }
            "bundle" if rest.first() == Some(&"exec") => &rest[1..],
            "sh" | "bash" | "zsh" if rest.first().is_some_and(|x| !x.starts_with('-')) => rest,
            _ => return w,
        };
    }
}

/// A project's own check script, by name: `./scripts/test.sh`, `bin/test`, `./run_tests.sh`,
/// `ci/check`. What it covers is unknown, so it counts for every language.
fn is_check_script(first: &str, _rest: &[&str]) -> bool {
    let looks_like_path = first.contains('/') || first.ends_with(".sh") || first.ends_with(".py");
    let name = base(first).to_ascii_lowercase();
    let stem = name.split('.').next().unwrap_or("");
    looks_like_path
        && [
            "test",
            "tests",
            "check",
            "build",
            "ci",
            "verify",
            "lint-and-test",
        ]
        .iter()
        .any(|k| {
            stem == *k
                || stem.starts_with(&format!("{k}_"))
                || stem.starts_with(&format!("{k}-"))
                || stem.ends_with(&format!("_{k}"))
                || stem.ends_with(&format!("-{k}"))
                || stem.ends_with(&format!("_{k}s"))
        })
}

/// JavaScript/TypeScript tools that test, build or type-check.
fn is_js_tool(w: &str) -> bool {
    matches!(
        base(w),
        "vitest"
            | "jest"
            | "tsc"
            | "esbuild"
            | "vite"
            | "webpack"
            | "mocha"
            | "ava"
            | "playwright"
            | "rollup"
            | "vue-tsc"
            | "svelte-check"
    )
}

/// A package script name that tests, builds or type-checks (`test:unit`, `build`, `typecheck`).
fn is_check_script_name(w: &str) -> bool {
    let w = w.trim_matches(['"', '\'']);
    w.starts_with("test")
        || w.starts_with("build")
        || w.starts_with("check")
        || w.starts_with("typecheck")
        || w == "tsc"
        || w.starts_with("e2e")
}

/// Whether a step is a JavaScript/TypeScript check: a package manager's test or check script, a
/// JS tool run directly or through `npx`/`exec`, `node --test`, `deno test`.
fn is_js_check(prog: &str, rest: &[&str]) -> bool {
    let w1 = rest.first().copied().unwrap_or("");
    let w2 = rest.get(1).copied().unwrap_or("");
    match prog {
        "npm" | "yarn" | "pnpm" | "bun" => {
            matches!(w1, "test" | "t")
                || (w1 == "run" && is_check_script_name(w2))
                || (is_check_script_name(w1) && prog != "npm")
                || (matches!(w1, "exec" | "dlx" | "x") && is_js_tool(w2))
        }
        "npx" | "bunx" => is_js_tool(
            rest.iter()
                .find(|w| !w.starts_with('-'))
                .copied()
                .unwrap_or(""),
        ),
        "node" => {
            w1 == "--test"
                || rest
                    .iter()
                    .any(|w| !w.starts_with('-') && is_check_script_name(base(w)))
        }
        "deno" => matches!(w1, "test" | "check"),
        p => is_js_tool(p),
    }
}

/// Whether a step is a Python check: a test runner or type checker, directly, as `python -m` or
/// through a project tool's `run`.
fn is_python_check(prog: &str, rest: &[&str]) -> bool {
    let w1 = rest.first().copied().unwrap_or("");
    let w2 = rest.get(1).copied().unwrap_or("");
    match prog {
        "pytest" | "tox" | "nox" | "mypy" | "pyright" => true,
        "python" | "python3" => {
            w1 == "-m"
                && matches!(
                    w2,
                    "pytest" | "unittest" | "mypy" | "py_compile" | "compileall"
                )
        }
        "uv" | "poetry" | "pdm" | "hatch" => {
            (w1 == "run" && matches!(w2, "pytest" | "mypy" | "tox")) || w1 == "test"
        }
        _ => false,
    }
}

/// The languages one step of a command checks (0: none). A program belongs to one ecosystem, so
/// the order of the tests does not matter.
fn step_langs(prog: &str, rest: &[&str]) -> u16 {
    use langs::*;
    if is_js_check(prog, rest) {
        return JS;
    }
    if is_python_check(prog, rest) {
        return PYTHON;
    }
    let w1 = rest.first().copied().unwrap_or("");
    let w2 = rest.get(1).copied().unwrap_or("");
    match prog {
        "mix" => match w1 {
            "test" | "compile" | "dialyzer" | "check" => ELIXIR,
            _ => 0,
        },
        "cargo" => match w1 {
            "test" | "build" | "check" | "clippy" | "nextest" | "b" | "t" => RUST,
            _ => 0,
        },
        "go" if matches!(w1, "test" | "build" | "vet") => GO,
        "rspec" => RUBY,
        "rake" if matches!(w1, "" | "test" | "spec") => RUBY,
        "bundle" if w1 == "exec" && matches!(w2, "rspec" | "rake") => RUBY,
        "rails" if w1 == "test" => RUBY,
        "mvn" | "gradle" | "gradlew" | "sbt"
            if rest.iter().any(|w| {
                matches!(
                    *w,
                    "test" | "build" | "verify" | "package" | "compile" | "check" | "assemble"
                )
            }) =>
        {
            JVM
        }
        "ctest" | "gcc" | "g++" | "clang" | "clang++" => C,
        "swift" if matches!(w1, "build" | "test") => SWIFT,
        "dotnet" if matches!(w1, "build" | "test") => DOTNET,
        "phpunit" => PHP,
        "make" | "cmake" | "ninja" | "just" | "bazel" | "task" | "meson" => ANY,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_runs_in_a_commits_output() {
        let hook = "Running tests...\n.....\nFinished in 0.4 seconds\n52 tests, 0 failures\n[main 1a2b3c4] feat: x\n 2 files changed";
        assert_eq!(checks_in_output(hook), langs::ELIXIR);
        assert_eq!(checks_in_output("52 tests, 3 failures\n"), 0, "failed");
        assert_eq!(
            checks_in_output("running 3 tests\ntest result: ok. 3 passed; 0 failed"),
            langs::RUST
        );
        assert_eq!(
            checks_in_output("============ 12 passed in 0.31s ============"),
            langs::PYTHON
        );
        assert_eq!(
            checks_in_output("Ran 4 tests in 0.001s\n\nOK\n"),
            langs::PYTHON
        );
        assert_eq!(
            checks_in_output("Tests:       8 passed, 8 total"),
            langs::JS
        );
        assert_eq!(checks_in_output("# pass 5\n# fail 0"), langs::JS);
        assert_eq!(checks_in_output("ok  \texample.com/m\t0.003s"), langs::GO);
        assert_eq!(
            checks_in_output("pytest...................................................Passed\nblack....................................................Passed"),
            langs::PYTHON,
            "a formatter is not a test run"
        );
        assert_eq!(
            checks_in_output(
                "[main 99b497c] feat: annotations\n 12 files changed, 794 insertions(+)\n"
            ),
            0,
            "a plain commit"
        );
        assert_eq!(checks_in_output("ok, committing"), 0);
    }
    use langs::*;

    #[test]
    fn files_have_languages() {
        assert_eq!(lang_of("/p/assets/js/app.js"), JS);
        assert_eq!(lang_of("/p/lib/a.ex"), ELIXIR);
        assert_eq!(lang_of("/p/lib/a_live.html.heex"), ELIXIR);
        assert_eq!(lang_of("src/main.rs"), RUST);
        assert_eq!(lang_of("/p/priv/static/assets/app.css"), 0);
        assert_eq!(lang_of("README.md"), 0);
        assert_eq!(lang_of("Makefile"), 0);
    }

    #[test]
    fn checks_cover_languages() {
        assert_eq!(check_langs("mix test 2>&1 | tail -5"), ELIXIR);
        assert_eq!(
            check_langs("mix credo --strict"),
            0,
            "a linter is not a test"
        );
        assert_eq!(
            check_langs("mix format && mix compile 2>&1 | tail -3"),
            ELIXIR
        );
        assert_eq!(check_langs("cd assets && npx vitest run"), JS);
        assert_eq!(check_langs("node assets/build.js"), JS);
        assert_eq!(check_langs("npm run build"), JS);
        assert_eq!(check_langs("npm install"), 0);
        assert_eq!(check_langs("mix compile && npm test"), ELIXIR | JS);
        assert_eq!(check_langs("cargo clippy --all-targets"), RUST);
        assert_eq!(check_langs("python -m pytest -q"), PYTHON);
        assert_eq!(check_langs("RUST_LOG=debug cargo test"), RUST);
        assert_eq!(check_langs("make check"), ANY);
        assert_eq!(check_langs("git commit -m 'test: add'"), 0);
        assert_eq!(check_langs("ls"), 0);
        assert_eq!(check_langs("timeout 120 pytest -x"), PYTHON);
        assert_eq!(check_langs("time cargo test"), RUST);
        assert_eq!(check_langs("uv run pytest tests/"), PYTHON);
        assert_eq!(check_langs("bundle exec rspec"), RUBY);
        assert_eq!(check_langs("./scripts/test.sh"), ANY);
        assert_eq!(check_langs("bash run_tests.sh"), ANY);
        assert_eq!(check_langs("bin/check"), ANY);
        assert_eq!(check_langs("./scripts/deploy.sh"), 0);
        assert_eq!(check_langs("cat test.txt"), 0);
    }
}
