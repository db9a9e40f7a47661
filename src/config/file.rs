//! The config files: found, read without ever blocking, and validated key by key against the
//! table of settings, the project file under its stricter rules.

use super::layer::{self as setting, Problem};
use super::resolve::{FileInfo, FileStatus};
use super::table::{self, Kind, Layer, Trust, LOG_LEVELS};
use super::{known_rules, known_thresholds, safety_rules, MAX_CONFIG_BYTES};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The user config file: `$XDG_CONFIG_HOME/posthook/config.json`, else
/// `~/.config/posthook/config.json`.
pub(crate) fn user_config_path(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(x) = non_empty("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(x).join("posthook/config.json"));
    }
    non_empty("HOME").map(|h| PathBuf::from(h).join(".config/posthook/config.json"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Checker<'a> {
    origin: &'a str,
    problems: Vec<Problem>,
    /// The project file: untrusted (see the module docs).
    project: bool,
}

impl Checker<'_> {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: self.origin.to_string(),
            path: path.into(),
            message: message.into(),
        });
    }

    fn string<'v>(&mut self, path: &str, v: &'v Value, expected: &str) -> Option<&'v str> {
        let s = v.as_str();
        if s.is_none() {
            self.problem(path, format!("expected {expected}, found {}", kind(v)));
        }
        s
    }

    fn layer(&mut self, doc: &Map<String, Value>, home: Option<&Path>) -> Layer {
        let mut layer = Layer::default();
        for (key, v) in doc {
            let Some(s) = table::file_key(key) else {
                self.problem(
                    key.as_str(),
                    format!(
                        "unknown key (expected one of {})",
                        table::file_keys().join(", ")
                    ),
                );
                continue;
            };
            if self.project {
                if let Err(why) = s.allowed_in_project(v) {
                    self.problem(key.as_str(), why);
                    continue;
                }
            }
            match s.kind {
                Kind::Rules => {
                    let advisory_only = matches!(s.project, Trust::AdvisoryRules);
                    layer.disabled_rules = self.rules(key, v, advisory_only);
                }
                Kind::Thresholds => layer.thresholds = self.thresholds(key, v),
                _ => {
                    if let Some(x) = self.value(&s.kind, key, v, home) {
                        layer.set(s.id, Some(x));
                    }
                }
            }
        }
        layer
    }

    /// A single value of the kind `kind`, or `None` and the problem.
    fn value(
        &mut self,
        kind: &Kind,
        key: &str,
        v: &Value,
        home: Option<&Path>,
    ) -> Option<setting::Value> {
        let expected = kind.expected_in_file();
        let found = match kind {
            Kind::Ms(range) => match v.as_u64().filter(|n| range.contains(n)) {
                Some(n) => return Some(setting::Value::Ms(n)),
                None => v.to_string(),
            },
            Kind::Switch => match v.as_bool() {
                Some(b) => return Some(setting::Value::Switch(b)),
                None => v.to_string(),
            },
            _ => {
                let s = self.string(key, v, &expected)?;
                let parsed = match kind {
                    Kind::Choice { parse, .. } => parse(s),
                    Kind::Dir => expand_path(s, home).map(setting::Value::Dir),
                    Kind::LogLevel => LOG_LEVELS
                        .contains(&s)
                        .then(|| setting::Value::Text(s.to_string())),
                    _ => None,
                };
                if parsed.is_some() {
                    return parsed;
                }
                format!("\"{s}\"")
            }
        };
        self.problem(key, format!("expected {expected}, found {found}"));
        None
    }

    /// Rule ids; `advisory_only`: the project file may not name a safety rule.
    fn rules(&mut self, key: &str, v: &Value, advisory_only: bool) -> Vec<String> {
        let Some(items) = v.as_array() else {
            self.problem(
                key,
                format!("expected an array of rule ids, found {}", kind(v)),
            );
            return Vec::new();
        };
        let known = known_rules();
        let safety = safety_rules();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(s) = self.string(&path, item, "a rule id") else {
                continue;
            };
            if self.project && advisory_only && safety.contains(&s) {
                self.problem(
                    path,
                    format!(
                        "\"{s}\" is a safety rule: a project file cannot disable it (the user \
                         file, POSTHOOK_DISABLE or --disable can)"
                    ),
                );
            } else if known.contains(&s) {
                out.push(s.to_string());
            } else {
                self.problem(
                    path,
                    format!("unknown rule \"{s}\" (known: {})", known.join(", ")),
                );
            }
        }
        out
    }

    fn thresholds(&mut self, key: &str, v: &Value) -> BTreeMap<String, f64> {
        let Some(map) = v.as_object() else {
            self.problem(
                key,
                format!(
                    "expected an object of threshold keys to numbers, found {}",
                    kind(v)
                ),
            );
            return BTreeMap::new();
        };
        let known = known_thresholds();
        let mut out = BTreeMap::new();
        for (k, n) in map {
            let path = format!("{key}[\"{k}\"]");
            if !known.iter().any(|(name, _, _)| name == k) {
                let names: Vec<&str> = known.iter().map(|(name, _, _)| *name).collect();
                self.problem(
                    path,
                    format!("unknown threshold (known: {})", names.join(", ")),
                );
                continue;
            }
            match n.as_f64().filter(|x| x.is_finite() && *x >= 0.0) {
                Some(x) => {
                    out.insert(k.clone(), x);
                }
                None => self.problem(path, format!("expected a number >= 0, found {}", short(n))),
            }
        }
        out
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Number(_) | Value::Bool(_) | Value::Null => v.to_string(),
        Value::String(s) => format!("the string \"{s}\""),
        _ => kind(v).to_string(),
    }
}

fn expand_path(s: &str, home: Option<&Path>) -> Option<PathBuf> {
    if let Some(rest) = s.strip_prefix("~/") {
        return home.map(|h| h.join(rest));
    }
    let p = PathBuf::from(s);
    p.is_absolute().then_some(p)
}

/// Validates config text (the contents of `origin`): the layer of valid values, and the problems.
/// Text that is not a JSON object yields an empty layer and one problem. `project`: the text is
/// the project's file, which may set less (see the module docs).
pub fn parse_layer_as(
    origin: &str,
    text: &str,
    home: Option<&Path>,
    project: bool,
) -> (Layer, Vec<Problem>) {
    let mut c = Checker {
        origin,
        problems: Vec::new(),
        project,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => {
            let layer = c.layer(&doc, home);
            (layer, c.problems)
        }
        Ok(other) => {
            c.problem(
                "",
                format!("expected a JSON object, found {}", kind(&other)),
            );
            (Layer::default(), c.problems)
        }
        Err(e) => {
            c.problem(
                "",
                format!(
                    "not valid JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
            );
            (Layer::default(), c.problems)
        }
    }
}

/// Reads a config file without ever blocking: opened `O_NONBLOCK` (a FIFO or a device answers at
/// once), `O_NOFOLLOW` when `no_link` (the project file), then read only when `fstat` shows a
/// regular file of at most [`MAX_CONFIG_BYTES`].
fn read_small(path: &Path, no_link: bool) -> std::io::Result<Option<String>> {
    read_regular(path, MAX_CONFIG_BYTES, no_link)
}

/// Reads a text file without ever blocking: opened `O_NONBLOCK` (a FIFO or a device answers at
/// once), `O_NOFOLLOW` when `no_link`, then read only when `fstat` shows a regular file of at most
/// `max` bytes. `Ok(None)`: no such file. For every file a cloned repository can plant.
pub(crate) fn read_regular(
    path: &Path,
    max: u64,
    no_link: bool,
) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if no_link {
        flags |= libc::O_NOFOLLOW;
    }
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(std::io::Error::other(
                "is a symlink (a project's file must be a regular file)",
            ))
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, device or directory is never read)",
        ));
    }
    if meta.len() > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    let mut text = String::new();
    f.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(Some(text))
}

pub(super) fn load_file(
    level: &'static str,
    path: PathBuf,
    home: Option<&Path>,
    files: &mut Vec<FileInfo>,
    problems: &mut Vec<Problem>,
) -> Option<Layer> {
    let origin = path.display().to_string();
    let project = level == "project";
    let (status, layer) = match read_small(&path, project) {
        Ok(None) => (FileStatus::Missing, None),
        Err(e) => {
            problems.push(Problem {
                origin,
                path: String::new(),
                message: format!("cannot be read: {e}"),
            });
            (FileStatus::Ignored, None)
        }
        Ok(Some(text)) => {
            let (layer, mut found) = parse_layer_as(&origin, &text, home, project);
            let whole_file = found.iter().any(|p| p.path.is_empty());
            problems.append(&mut found);
            if whole_file {
                (FileStatus::Ignored, None)
            } else {
                (FileStatus::Read, Some(layer))
            }
        }
    };
    files.push(FileInfo {
        level,
        path,
        status,
    });
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthook_analyzers::Profile;

    #[test]
    fn problems_name_path_and_expectation() {
        let known = known_thresholds();
        let (key, _, _) = known[0];
        let text = format!(
            r#"{{"profile": "hivee", "thresholds": {{"{key}": "x", "nope.nope": 1}}, "disabled_rules": ["exec-safety", 3], "colour": true, "budget_ms": 0}}"#
        );
        let (layer, problems) = parse_layer_as("/c.json", &text, None, false);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let has = |needle: &str| shown.iter().any(|s| s.contains(needle));
        assert!(has("/c.json: profile: expected one of \"auto\", \"default\", \"hive\", found \"hivee\""), "{shown:#?}");
        assert!(
            has(&format!(
                "thresholds[\"{key}\"]: expected a number >= 0, found the string \"x\""
            )),
            "{shown:#?}"
        );
        assert!(
            has("thresholds[\"nope.nope\"]: unknown threshold"),
            "{shown:#?}"
        );
        assert!(
            has("disabled_rules[1]: expected a rule id, found a number"),
            "{shown:#?}"
        );
        assert!(has("colour: unknown key"), "{shown:#?}");
        assert!(has("budget_ms: expected a whole number"), "{shown:#?}");
        assert_eq!(problems.len(), 6, "{shown:#?}");
        assert_eq!(
            layer.disabled_rules,
            ["exec-safety"],
            "valid values are kept"
        );
        assert_eq!(layer.profile, None);
    }

    #[test]
    fn a_project_file_cannot_choose_paths_or_silence_checks() {
        let text = r#"{"state_dir": "/home/u/.docker", "log_level": "trace", "output": "quiet", "disabled_rules": ["exec-safety", "native-overuse"], "profile": "hive"}"#;
        let (layer, problems) = parse_layer_as("p.json", text, None, true);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["state_dir", "log_level", "output", "disabled_rules[0]"],
            "{problems:?}"
        );
        assert_eq!(layer.state_dir, None);
        assert_eq!(layer.output, None);
        assert_eq!(
            layer.disabled_rules,
            ["native-overuse"],
            "advisory rules may be disabled"
        );
        assert_eq!(layer.profile, Some(Profile::Hive));
        let (user, problems) = parse_layer_as("u.json", text, None, false);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(user.disabled_rules, ["exec-safety", "native-overuse"]);
    }
}
