//! `posthook config show` and `posthook config check` as text: every setting of the table with
//! its value and source, the files looked at, the problems.

use super::known_thresholds;
use super::resolve::{FileStatus, Resolved};
use super::table::SETTINGS;

/// `posthook config show` as text.
pub(crate) fn show_text(r: &Resolved) -> String {
    use std::fmt::Write as _;
    let c = &r.config;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "effective configuration (flag > env > project file > user file > default):"
    );
    let src = |k: &str| {
        r.sources
            .get(k)
            .map_or_else(|| "default".to_string(), ToString::to_string)
    };
    let mut row = |k: &str, v: String, s: String| {
        let _ = writeln!(out, "  {k:<38} {v:<24} {s}");
    };
    for s in SETTINGS.iter().filter(|s| s.kind.is_single()) {
        row(s.name, c.shown(s.id), src(s.name));
    }
    if c.disabled_rules.is_empty() {
        row("disabled_rules", "(none)".into(), "default".into());
    }
    for rule in &c.disabled_rules {
        row(
            "disabled_rules",
            rule.clone(),
            src(&format!("disabled_rules.{rule}")),
        );
    }
    for (key, default, _) in known_thresholds() {
        let (v, s) = match c.thresholds.get(key) {
            Some(v) => (*v, src(&format!("thresholds.{key}"))),
            None => (default, "default".to_string()),
        };
        row(&format!("thresholds[\"{key}\"]"), fmt_num(v), s);
    }
    let _ = writeln!(out, "files:");
    for f in &r.files {
        let status = match f.status {
            FileStatus::Missing => "not found",
            FileStatus::Read => "read",
            FileStatus::Ignored => "IGNORED (see problems)",
        };
        let _ = writeln!(out, "  {:<8} {}  ({status})", f.level, f.path.display());
    }
    if !r.problems.is_empty() {
        let _ = writeln!(
            out,
            "problems ({}; the values they concern fall back to the level below):",
            r.problems.len()
        );
        for p in &r.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}

/// A number without a needless `.0`.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// `posthook config check` as text, and whether everything is valid.
pub(crate) fn check_text(r: &Resolved) -> (String, bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in &r.files {
        let status = match f.status {
            FileStatus::Missing => "not found (optional)",
            FileStatus::Read => "read",
            FileStatus::Ignored => "ignored",
        };
        let _ = writeln!(out, "{:<8} {}: {status}", f.level, f.path.display());
    }
    if r.problems.is_empty() {
        let _ = writeln!(out, "config ok");
        return (out, true);
    }
    for p in &r.problems {
        let _ = writeln!(out, "error: {p}");
    }
    let _ = writeln!(
        out,
        "{} problem(s); in hook mode the values concerned fall back to the level below",
        r.problems.len()
    );
    (out, false)
}
