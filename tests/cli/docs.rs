//! The documentation holds together: every relative link in README.md, ARCHITECTURE.md and
//! docs/*.md names a file that exists, and a `#anchor` names a heading of its target (GitHub's
//! slugs); the README stays a page a user reads (under 12 KB).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, ARCHITECTURE.md and every docs/*.md.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ holds the documentation pages");
    files.extend(docs);
    files
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| t.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push(line),
            _ => {}
        }
    }
    out
}

/// A line with its inline code spans removed (a link inside backticks is text, not a link).
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, everything but letters, digits, spaces, `-` and `_`
/// dropped, spaces made `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings; a repeated heading gets `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..].replace('`', ""));
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The targets of the inline links `[text](target)` and images `![alt](target)` of a text.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push(target.to_string());
            rest = &after[end..];
        }
    }
    out
}

/// What is wrong with each relative link of `file`: a missing target file or anchor.
fn broken_links(file: &Path, text: &str) -> Vec<String> {
    let mut broken = Vec::new();
    for target in link_targets(text) {
        if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let dest = if path.is_empty() {
            file.to_path_buf()
        } else {
            file.parent().expect("a file's dir").join(path)
        };
        if !dest.exists() {
            broken.push(format!("{}: `{target}`: no such file", file.display()));
            continue;
        }
        if let Some(anchor) = anchor {
            let body = if path.is_empty() {
                text.to_string()
            } else {
                std::fs::read_to_string(&dest).unwrap_or_default()
            };
            if dest.is_dir() || !anchors(&body).contains(anchor) {
                broken.push(format!("{}: `{target}`: no such heading", file.display()));
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut links = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("a doc file");
        links += link_targets(&text).len();
        broken.extend(broken_links(&file, &text));
    }
    assert!(
        links > 10,
        "the docs link to each other ({links} links found)"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_lists_every_page_of_docs() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("\n## Documentation\n")
        .expect("README has a Documentation section");
    let listed = link_targets(&readme[start..]);
    for page in doc_files()
        .iter()
        .filter(|p| p.parent() == Some(&root().join("docs")))
    {
        let name = format!(
            "docs/{}",
            page.file_name().expect("a name").to_string_lossy()
        );
        assert!(
            listed.contains(&name),
            "{name} is not listed in the README's Documentation section"
        );
    }
}

#[test]
fn the_readme_is_a_page_a_user_reads() {
    let len = std::fs::metadata(root().join("README.md"))
        .expect("README.md")
        .len();
    assert!(len < 12 * 1024, "README.md is {len} bytes, not under 12 KB");
}

#[test]
fn the_link_check_catches_a_missing_file_or_heading() {
    let file = root().join("README.md");
    let text =
        "[a](docs/rules.md) [b](docs/rules.md#rules-what-posthook-says) [c](#here)\n\n## Here\n\n\
                [d](docs/no-such.md) [e](docs/rules.md#no-such-heading)\n\
                `[f](not-a-link.md)`\n```\n[g](in-a-fence.md)\n```\n";
    let broken = broken_links(&file, text);
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert!(
        broken[0].contains("docs/no-such.md`: no such file"),
        "{broken:?}"
    );
    assert!(
        broken[1].contains("#no-such-heading`: no such heading"),
        "{broken:?}"
    );
}

#[test]
fn anchors_are_githubs_slugs() {
    let text =
        "# As a server: `posthook serve` for http hooks\n## Stats, uptake and the status line\n\
                ## Stats, uptake and the status line\n### OpenTelemetry export (feature `otlp`)\n\
                ```\n# not a heading\n```\n#not-a-heading\n";
    let want: BTreeSet<String> = [
        "as-a-server-posthook-serve-for-http-hooks",
        "stats-uptake-and-the-status-line",
        "stats-uptake-and-the-status-line-1",
        "opentelemetry-export-feature-otlp",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(anchors(text), want);
}

#[test]
fn the_rules_page_is_the_registrys() {
    let path = root().join("docs/rules.md");
    let want = posthook_analyzers::builtin::rules_markdown();
    if std::env::var_os("POSTHOOK_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
    }
    let have = std::fs::read_to_string(&path).expect("docs/rules.md");
    assert!(
        have == want,
        "docs/rules.md is not what the analyzers' specs say; regenerate it with \
         `POSTHOOK_BLESS=1 cargo test --test cli docs`"
    );
}

/// `text` with what lies between the lines `begin` and `end` made `generated`.
fn with_generated(text: &str, begin: &str, end: &str, generated: &str) -> String {
    let start = text.find(begin).map(|i| i + begin.len());
    let start = start.unwrap_or_else(|| panic!("no line `{begin}`"));
    let stop = start
        + text[start..]
            .find(end)
            .unwrap_or_else(|| panic!("no line `{end}`"));
    format!("{}{generated}{}", &text[..start], &text[stop..])
}

#[test]
fn the_settings_table_is_the_configs() {
    let path = root().join("docs/configuration.md");
    let spliced = |text: &str| {
        with_generated(
            text,
            "table.rs: `POSTHOOK_BLESS=1 cargo test --test cli docs` -->\n",
            "<!-- end of the settings -->",
            &posthook::config::settings_markdown(),
        )
    };
    if std::env::var_os("POSTHOOK_BLESS").is_some() {
        let have = std::fs::read_to_string(&path).expect("docs/configuration.md");
        std::fs::write(&path, spliced(&have)).expect("write docs/configuration.md");
    }
    let have = std::fs::read_to_string(&path).expect("docs/configuration.md");
    assert!(
        have == spliced(&have),
        "docs/configuration.md's settings are not what src/config/table.rs says; regenerate them \
         with `POSTHOOK_BLESS=1 cargo test --test cli docs`"
    );
}
