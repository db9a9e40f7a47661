//! The levels whose values are text: the environment's `POSTHOOK_*` variables, read and validated
//! as the table of settings says, and the flags' values, checked by the same rules.

use super::known_rules;
use super::layer::{Problem, Value};
use super::table::{Kind, Layer, Setting, SETTINGS};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Parses a whole number of ms in `range`; `None` for anything else (the caller reports it).
pub(crate) fn parse_ms(v: &str, range: &std::ops::RangeInclusive<u64>) -> Option<u64> {
    v.trim().parse::<u64>().ok().filter(|n| range.contains(n))
}

/// Whether a state dir from a flag or the environment is acceptable: an absolute path (a relative
/// one would follow the cwd of each call, `.` being the project itself).
fn absolute_dir(p: &Path) -> bool {
    p.is_absolute()
}

/// A single value as a variable spells it (the table's defaults are spelled so too); `Err`: what
/// was expected.
pub(crate) fn parse_text(kind: &Kind, raw: &OsStr) -> Result<Value, String> {
    let v = raw.to_string_lossy();
    let parsed = match kind {
        Kind::Choice { parse, .. } => parse(&v),
        Kind::Ms(range) => parse_ms(&v, range).map(Value::Ms),
        Kind::Dir => Some(PathBuf::from(raw))
            .filter(|p| absolute_dir(p))
            .map(Value::Dir),
        Kind::Switch => match v.as_ref() {
            "1" | "true" => Some(Value::Switch(true)),
            "0" | "false" => Some(Value::Switch(false)),
            _ => None,
        },
        // Any tracing filter directive is accepted here (`posthook=debug`), as the logger does.
        Kind::LogLevel => Some(Value::Text(v.into_owned())),
        Kind::Rules | Kind::Thresholds => None,
    };
    parsed.ok_or_else(|| kind.expected_in_text())
}

/// The problem of a value given as text (`origin`: `env NAME` or `flag --name`).
fn bad(origin: String, found: &str, expected: &str) -> Problem {
    Problem {
        origin,
        path: String::new(),
        message: format!("expected {expected}, found \"{found}\""),
    }
}

/// The environment's level: every setting's variable that is set and not empty, validated.
pub(super) fn env_layer(
    env: &dyn Fn(&str) -> Option<OsString>,
    problems: &mut Vec<Problem>,
) -> Layer {
    let mut layer = Layer::default();
    for s in SETTINGS {
        let Some(name) = s.env else { continue };
        let Some(raw) = env(name).filter(|v| !v.is_empty()) else {
            continue;
        };
        match s.kind {
            Kind::Rules => layer.disabled_rules = env_rules(name, &raw, problems),
            _ => match parse_text(&s.kind, &raw) {
                Ok(v) => layer.set(s.id, Some(v)),
                Err(expected) => {
                    problems.push(bad(
                        format!("env {name}"),
                        &raw.to_string_lossy(),
                        &expected,
                    ));
                }
            },
        }
    }
    layer
}

/// A comma-separated list of rule ids; each unknown one is a problem of its own.
fn env_rules(name: &str, raw: &OsStr, problems: &mut Vec<Problem>) -> Vec<String> {
    let known = known_rules();
    let mut out = Vec::new();
    let v = raw.to_string_lossy();
    for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        if known.contains(&r) {
            out.push(r.to_string());
        } else {
            problems.push(bad(
                format!("env {name}"),
                r,
                &Kind::Rules.expected_in_text(),
            ));
        }
    }
    out
}

/// The flags' layer with every value the shared rules refuse taken out (and reported). Profile
/// and output were already checked by the argument parser.
pub(super) fn check_flags(flags: &Layer, problems: &mut Vec<Problem>) -> Layer {
    let mut l = flags.clone();
    for s in SETTINGS.iter().filter(|s| s.flag.is_some()) {
        if let Some(found) = refused_flag(s, &l) {
            let flag = s.flag.unwrap_or_default();
            problems.push(bad(
                format!("flag {flag}"),
                &found,
                &s.kind.expected_in_text(),
            ));
            l.set(s.id, None);
        }
    }
    l
}

/// The value a flag gave that its setting refuses, as text.
fn refused_flag(s: &Setting, l: &Layer) -> Option<String> {
    match (&s.kind, l.get(s.id)?) {
        (Kind::Ms(range), Value::Ms(n)) if !range.contains(&n) => Some(n.to_string()),
        (Kind::Dir, Value::Dir(p)) if !absolute_dir(&p) => Some(p.display().to_string()),
        _ => None,
    }
}
