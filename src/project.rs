//! Where posthook and the project it serves are: the project root, HOME, this binary.

use posthook_analyzers::ProjectCheck;
use std::fs;
use std::path::{Path, PathBuf};

/// The project root: `CLAUDE_PROJECT_DIR`, else the git root above `cwd`, else `cwd`.
pub(crate) fn project_dir(claude_project_dir: Option<&str>, cwd: &Path) -> PathBuf {
    if let Some(d) = claude_project_dir.filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The project root of this process (see [`project_dir`]).
pub(crate) fn current_project_dir() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    project_dir(std::env::var("CLAUDE_PROJECT_DIR").ok().as_deref(), &cwd)
}

/// `CLAUDE_PROJECT_DIR` as Claude Code sets it, when set and not empty.
pub(crate) fn claude_project_dir() -> Option<String> {
    std::env::var("CLAUDE_PROJECT_DIR")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The most of a project file (`package.json`, a `Makefile`) read to find its checks.
const PROJECT_FILE_BYTES: u64 = 256 * 1024;

/// The start of a project file, when it is a regular file (bounded: a project file is untrusted).
fn head_of(path: &Path) -> Option<String> {
    use std::io::Read;
    let f = fs::File::open(path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    f.take(PROJECT_FILE_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Whether `package.json` names a real `test` script (not npm's "no test specified" stub).
fn npm_test_script(text: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    v.pointer("/scripts/test")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|t| !t.contains("no test specified"))
}

/// Whether a Makefile has a `test:` or `check:` target; which one.
fn make_target(text: &str) -> Option<&'static str> {
    ["test", "check"]
        .into_iter()
        .find(|t| text.lines().any(|l| l.starts_with(&format!("{t}:"))))
}

/// The checks a project names by its files, the language-specific ones first: `cargo test` where
/// a `Cargo.toml` is, `mix test`, `go test ./...`, `npm test` (when `package.json` has a test
/// script), `python -m pytest` (pytest configured), `bundle exec rspec`, `mvn test`,
/// `./gradlew test`, `swift test`, `make test` (a Makefile with that target covers any language).
pub(crate) fn project_checks(dir: &Path) -> Vec<ProjectCheck> {
    use posthook_analyzers::langs;
    let has = |name: &str| dir.join(name).exists();
    let mut out = Vec::new();
    let mut add = |lang: u16, command: &str, because: &str| {
        out.push(ProjectCheck {
            lang,
            command: command.to_string(),
            because: because.to_string(),
        });
    };
    if has("Cargo.toml") {
        add(langs::RUST, "cargo test", "Cargo.toml");
    }
    if has("mix.exs") {
        add(langs::ELIXIR, "mix test", "mix.exs");
    }
    if has("go.mod") {
        add(langs::GO, "go test ./...", "go.mod");
    }
    if head_of(&dir.join("package.json")).is_some_and(|t| npm_test_script(&t)) {
        add(langs::JS, "npm test", "package.json");
    }
    let pytest = has("pytest.ini")
        || has("conftest.py")
        || head_of(&dir.join("pyproject.toml")).is_some_and(|t| t.contains("[tool.pytest"));
    if pytest {
        add(langs::PYTHON, "python -m pytest", "a pytest configuration");
    }
    if has("Gemfile") && dir.join("spec").is_dir() {
        add(langs::RUBY, "bundle exec rspec", "Gemfile");
    }
    if has("pom.xml") {
        add(langs::JVM, "mvn test", "pom.xml");
    } else if has("gradlew") {
        add(langs::JVM, "./gradlew test", "gradlew");
    }
    if has("Package.swift") {
        add(langs::SWIFT, "swift test", "Package.swift");
    }
    if let Some(t) = head_of(&dir.join("Makefile")).and_then(|t| make_target(&t)) {
        add(langs::ANY, &format!("make {t}"), "Makefile");
    }
    out
}

/// `$HOME`, when set and not empty.
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The absolute, canonical path of the running binary.
pub(crate) fn current_binary() -> std::io::Result<PathBuf> {
    std::env::current_exe().and_then(fs::canonicalize)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn project_dir_prefers_env_then_git_root() {
        let t = tempfile::tempdir().expect("tempdir");
        let sub = t.path().join("a/b");
        fs::create_dir_all(&sub).expect("mkdir");
        assert_eq!(project_dir(None, &sub), sub);
        fs::create_dir(t.path().join(".git")).expect("mkdir");
        assert_eq!(project_dir(None, &sub), t.path());
        assert_eq!(project_dir(Some("/x"), &sub), Path::new("/x"));
    }

    #[test]
    fn a_project_names_its_checks_by_its_files() {
        let t = tempfile::tempdir().expect("tempdir");
        let d = t.path();
        assert!(project_checks(d).is_empty(), "no project files");
        fs::write(
            d.join("package.json"),
            r#"{"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
        )
        .expect("write");
        fs::write(d.join("Makefile"), "build:\n\tcc x.c\n").expect("write");
        assert!(
            project_checks(d).is_empty(),
            "npm's stub and no test target"
        );
        fs::write(d.join("Cargo.toml"), "[package]").expect("write");
        fs::write(
            d.join("package.json"),
            r#"{"scripts":{"test":"vitest run"}}"#,
        )
        .expect("write");
        fs::write(d.join("Makefile"), "build:\n\tcc\ncheck: build\n").expect("write");
        let got: Vec<(u16, String)> = project_checks(d)
            .into_iter()
            .map(|c| (c.lang, c.command))
            .collect();
        use posthook_analyzers::langs::*;
        assert_eq!(
            got,
            vec![
                (RUST, "cargo test".into()),
                (JS, "npm test".into()),
                (ANY, "make check".into())
            ]
        );
    }
}
