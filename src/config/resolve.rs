//! Resolution: every level read, lowest first, each value overriding the one below, the disabled
//! rules added up and the thresholds merged key by key; every value remembers where it came from.

use super::env::{check_flags, env_layer};
use super::file::{load_file, user_config_path};
use super::layer::{Problem, Source};
use super::table::{Config, Id, Layer, Setting, SETTINGS};
use super::{Inputs, PROJECT_FILE};
use crate::store::default_state_dir;
use posthook_analyzers::Settings;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

impl Config {
    /// The analysis settings of this config.
    pub fn settings(&self) -> Settings {
        Settings {
            profile: self.profile,
            disabled: self.disabled_rules.clone(),
            thresholds: self.thresholds.clone(),
            escalate: self.escalate,
            stop: self.stop_check,
            quieted: Default::default(),
        }
    }
}

/// What happened to one config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Not there (fine: every file is optional).
    Missing,
    /// Read; its valid values apply.
    Read,
    /// Not readable or not JSON: ignored as a whole.
    Ignored,
}

/// A config file that was looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// `user` or `project`.
    pub level: &'static str,
    /// Its path.
    pub path: PathBuf,
    /// What happened to it.
    pub status: FileStatus,
}

/// The result of resolving the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    /// The effective values.
    pub config: Config,
    /// Where each value came from: the name of each single-valued setting (`profile`, `output`,
    /// `budget_ms`, ...), `disabled_rules.<rule>`, `thresholds.<key>`.
    pub sources: BTreeMap<String, Source>,
    /// The files looked at.
    pub files: Vec<FileInfo>,
    /// Everything wrong, in files and variables.
    pub problems: Vec<Problem>,
}

/// Resolves the effective configuration from all levels. Never fails: problems are collected.
pub fn resolve(inputs: &Inputs<'_>) -> Resolved {
    let env = inputs.env;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let layers = levels(inputs, &mut files, &mut problems);
    let (mut config, sources) = merge(&layers);
    if config.state_dir.is_none() {
        // The variable was refused above when relative: the default below it applies.
        config.state_dir = default_state_dir(|k| env(k).filter(|_| k != "POSTHOOK_STATE_DIR"))
            .filter(|p| p.is_absolute());
    }
    Resolved {
        config,
        sources,
        files,
        problems,
    }
}

/// Every level, lowest first: the user file, the project file, the environment, the flags.
fn levels(
    inputs: &Inputs<'_>,
    files: &mut Vec<FileInfo>,
    problems: &mut Vec<Problem>,
) -> Vec<(Source, Layer)> {
    let env = inputs.env;
    let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let mut layers: Vec<(Source, Layer)> = Vec::new();
    if let Some(p) = user_config_path(env) {
        if let Some(l) = load_file("user", p.clone(), home.as_deref(), files, problems) {
            layers.push((Source::User(p), l));
        }
    }
    if let Some(dir) = &inputs.project_dir {
        let p = dir.join(PROJECT_FILE);
        if let Some(l) = load_file("project", p.clone(), home.as_deref(), files, problems) {
            layers.push((Source::Project(p), l));
        }
    }
    let env_l = env_layer(env, problems);
    layers.push((Source::Env("POSTHOOK_*"), env_l));
    layers.push((Source::Flag("--*"), check_flags(&inputs.flags, problems)));
    layers
}

/// The levels merged, lowest first: each later level overrides; rules add up, thresholds merge.
fn merge(layers: &[(Source, Layer)]) -> (Config, BTreeMap<String, Source>) {
    let mut config = Config::defaults();
    let mut sources = BTreeMap::new();
    let single = || SETTINGS.iter().filter(|s| s.kind.is_single());
    for s in single() {
        sources.insert(s.name.to_string(), Source::Default);
    }
    for (source, l) in layers {
        for s in single() {
            if let Some(v) = l.get(s.id) {
                config.set(s.id, v);
                sources.insert(s.name.to_string(), specific(source, s));
            }
        }
        for r in &l.disabled_rules {
            config.disabled_rules.insert(r.clone());
            sources
                .entry(format!("disabled_rules.{r}"))
                .or_insert_with(|| specific(source, Id::DisabledRules.setting()));
        }
        for (k, v) in &l.thresholds {
            config.thresholds.insert(k.clone(), *v);
            sources.insert(
                format!("thresholds.{k}"),
                specific(source, Id::Thresholds.setting()),
            );
        }
    }
    (config, sources)
}

/// The precise name of a value's source: which variable or flag set `s`.
fn specific(source: &Source, s: &Setting) -> Source {
    match source {
        Source::Env(any) => Source::Env(s.env.unwrap_or(*any)),
        Source::Flag(any) => Source::Flag(s.flag.unwrap_or(*any)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PROJECT_FILE;
    use crate::output::OutputMode;
    use posthook_analyzers::Profile;
    use std::ffi::OsString;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn precedence_and_sources() {
        let t = tempfile::tempdir().expect("tempdir");
        let home = t.path().join("home");
        let project = t.path().join("p");
        std::fs::create_dir_all(home.join(".config/posthook")).expect("mkdir");
        std::fs::create_dir_all(project.join(".claude")).expect("mkdir");
        std::fs::write(
            home.join(".config/posthook/config.json"),
            r#"{"profile": "hive", "output": "quiet", "budget_ms": 20, "state_dir": "~/st", "disabled_rules": ["exec-safety"]}"#,
        )
        .expect("write");
        std::fs::write(
            project.join(PROJECT_FILE),
            r#"{"output": "json", "budget_ms": 30}"#,
        )
        .expect("write");
        let home_s: &'static str = Box::leak(home.display().to_string().into_boxed_str());
        let pairs: &'static [(&str, &str)] =
            Box::leak(Box::new([("HOME", home_s), ("POSTHOOK_BUDGET_MS", "25")]));
        let env = env_of(pairs);
        let r = resolve(&Inputs {
            flags: Layer {
                profile: Some(Profile::Default),
                ..Layer::default()
            },
            env: &env,
            project_dir: Some(project.clone()),
        });
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let c = &r.config;
        assert_eq!(c.profile, Profile::Default);
        assert_eq!(r.sources["profile"], Source::Flag("--profile"));
        assert_eq!(c.output, OutputMode::Json);
        assert_eq!(
            r.sources["output"],
            Source::Project(project.join(PROJECT_FILE))
        );
        assert_eq!(c.budget_ms, 25);
        assert_eq!(r.sources["budget_ms"], Source::Env("POSTHOOK_BUDGET_MS"));
        assert_eq!(c.state_dir.as_deref(), Some(home.join("st").as_path()));
        assert!(matches!(r.sources["state_dir"], Source::User(_)));
        assert!(c.disabled_rules.contains("exec-safety"));
        assert_eq!(c.log_level, "info");
    }

    #[test]
    fn broken_file_is_ignored_whole() {
        let t = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(t.path().join(".claude")).expect("mkdir");
        std::fs::write(t.path().join(PROJECT_FILE), "{\"profile\": \"hive\",").expect("write");
        let env = |_: &str| None;
        let r = resolve(&Inputs {
            flags: Layer::default(),
            env: &env,
            project_dir: Some(t.path().to_path_buf()),
        });
        assert_eq!(r.config.profile, Profile::Auto);
        assert_eq!(r.files[0].status, FileStatus::Ignored);
        assert!(r.problems[0].message.contains("line 1"), "{:?}", r.problems);
        assert_eq!(r.config.state_dir, None, "no HOME: no state dir");
    }
}
