//! Which rules run and with which thresholds.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A rule profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// `default`, with the hive rules switched on once the session has used a zen or claude-flow
    /// tool.
    #[default]
    Auto,
    /// Rules that make sense in any Claude Code session; hive rules off.
    Default,
    /// Every rule, for users of the zen and claude-flow MCP servers.
    Hive,
}

impl Profile {
    /// Parses `auto`, `default` or `hive`.
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "auto" => Some(Profile::Auto),
            "default" => Some(Profile::Default),
            "hive" => Some(Profile::Hive),
            _ => None,
        }
    }

    /// The profile's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Auto => "auto",
            Profile::Default => "default",
            Profile::Hive => "hive",
        }
    }
}

/// Rules that only make sense with the hive (zen / claude-flow) tools: off in `default`, on in
/// `hive`, and in `auto` once the session has used such a tool.
pub const HIVE_RULES: &[&str] = &[
    "coordinator-bypass",
    "flow-coordination",
    "native-overuse",
    "workflow-pattern",
    "memory-coordination",
];

/// A configurable threshold: its key, its default and what it means.
///
/// Every number a built-in rule compares against is one of these, read through
/// [`crate::Context::limit`], so configuration can change it and `posthook config check` can list and
/// validate the keys ([`crate::builtin::thresholds`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// `rule-id.name`, e.g. `native-overuse.major`.
    pub key: &'static str,
    /// The value used when configuration does not set one.
    pub default: f64,
    /// One line: what the number means.
    pub description: &'static str,
}

impl Threshold {
    /// A threshold (for `const` items).
    pub const fn new(key: &'static str, default: f64, description: &'static str) -> Threshold {
        Threshold {
            key,
            default,
            description,
        }
    }
}

/// The analysis settings: profile, disabled rules and threshold overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The rule profile.
    pub profile: Profile,
    /// Rule ids that never fire.
    pub disabled: BTreeSet<String>,
    /// Threshold overrides, by key (`native-overuse.major`, ...). Keys an analyzer does not read
    /// are ignored here; `posthook config check` reports them.
    pub thresholds: BTreeMap<String, f64>,
}

impl Settings {
    /// Settings with `profile` and nothing else changed.
    pub fn with_profile(profile: Profile) -> Settings {
        Settings {
            profile,
            ..Settings::default()
        }
    }

    /// Whether `rule` may fire; `hive_seen` says whether the session has used a hive tool.
    pub fn rule_enabled(&self, rule: &str, hive_seen: bool) -> bool {
        if self.disabled.contains(rule) {
            return false;
        }
        if !HIVE_RULES.contains(&rule) {
            return true;
        }
        match self.profile {
            Profile::Hive => true,
            Profile::Default => false,
            Profile::Auto => hive_seen,
        }
    }

    /// The threshold `key`, or `default` when not overridden.
    pub fn threshold(&self, key: &str, default: f64) -> f64 {
        self.thresholds.get(key).copied().unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_gate_hive_rules() {
        let auto = Settings::default();
        assert!(!auto.rule_enabled("native-overuse", false));
        assert!(auto.rule_enabled("native-overuse", true));
        assert!(auto.rule_enabled("exec-safety", false));
        let def = Settings::with_profile(Profile::Default);
        assert!(!def.rule_enabled("native-overuse", true));
        let hive = Settings::with_profile(Profile::Hive);
        assert!(hive.rule_enabled("native-overuse", false));
        let mut off = Settings::with_profile(Profile::Hive);
        off.disabled.insert("exec-safety".into());
        assert!(!off.rule_enabled("exec-safety", false));
    }
}
