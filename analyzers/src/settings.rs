//! Which rules run and with which thresholds.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A rule profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// `default`, with each family of hive rules switched on once the session has used a tool of
    /// that family (see [`Family`]).
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

/// Which tools a rule's advice relies on. A hive rule only makes sense in a session that has the
/// tools it asks for: in `auto` it is on once the session has used a tool of its family, in
/// `default` it is off, in `hive` it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Any session.
    Core,
    /// The coordinator: `mcp__zen__*` tools.
    Coordinator,
    /// Hive memory: tools whose name contains `memory`.
    Memory,
    /// Flow workers: `mcp__claude-flow__*` / `mcp__ruv-swarm__*` tools, or `npx claude-flow ...`
    /// commands.
    Flow,
}

impl Family {
    fn bit(self) -> u8 {
        match self {
            Family::Core => 0,
            Family::Coordinator => 1,
            Family::Memory => 1 << 1,
            Family::Flow => 1 << 2,
        }
    }

    /// The family's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Core => "core",
            Family::Coordinator => "coordinator",
            Family::Memory => "memory",
            Family::Flow => "flow",
        }
    }
}

/// The hive families a session has used, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Families(pub u8);

impl Families {
    /// Whether the session has used a tool of `family` (always true for [`Family::Core`]).
    pub fn has(self, family: Family) -> bool {
        family == Family::Core || self.0 & family.bit() != 0
    }

    /// Adds `family`.
    pub fn add(&mut self, family: Family) {
        self.0 |= family.bit();
    }

    /// Whether any hive family was used.
    pub fn any(self) -> bool {
        self.0 != 0
    }
}

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
    /// The original's escalation: ignored advice comes back firmer and, after five unheeded
    /// notices, blocks. Off by default: advice that keeps being ignored backs off instead.
    pub escalate: bool,
    /// What the end of a turn with unchecked changes gets (`unchecked-stop`).
    pub stop: StopMode,
    /// Rules quieted in this project because their messages were rarely acted on (the hook learns
    /// it from its record across sessions); never a critical rule.
    pub quieted: BTreeMap<String, Quiet>,
}

/// What `unchecked-stop` does when a turn ends with code changed since its last check, or with
/// the last check failing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StopMode {
    /// Block the stop once per state: the model goes on with the reason as its next instruction.
    #[default]
    Block,
    /// Tell the user only (`systemMessage`); the turn ends.
    Advice,
    /// Say nothing at the end of a turn.
    Off,
}

impl StopMode {
    /// Parses `block`, `advice` or `off`.
    pub fn parse(s: &str) -> Option<StopMode> {
        match s {
            "block" => Some(StopMode::Block),
            "advice" => Some(StopMode::Advice),
            "off" => Some(StopMode::Off),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            StopMode::Block => "block",
            StopMode::Advice => "advice",
            StopMode::Off => "off",
        }
    }
}

/// How far a rule is quieted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quiet {
    /// Its cooldowns last four times as long.
    Slower,
    /// It is not shown.
    Off,
}

impl Quiet {
    /// Messages shown before a rule is quieted at all.
    pub const MIN_SHOWN: u64 = 6;
    /// Messages shown before a quieted rule is turned off.
    pub const OFF_SHOWN: u64 = 12;
    /// The uptake (heeded of heeded and ignored, in percent) under which a rule is quieted.
    pub const MAX_UPTAKE: u64 = 20;

    /// The level of a rule shown `shown` times whose messages were `heeded` and `ignored` so many
    /// times; `None`: not quieted. A critical rule is never quieted.
    pub fn level(rule: &str, shown: u64, heeded: u64, ignored: u64) -> Option<Quiet> {
        let critical = crate::builtin::registry()
            .iter()
            .any(|b| b.critical && b.rules.iter().any(|r| r.id == rule));
        let judged = heeded + ignored;
        if critical || shown < Quiet::MIN_SHOWN || judged == 0 {
            return None;
        }
        if heeded * 100 >= Quiet::MAX_UPTAKE * judged {
            return None;
        }
        Some(if shown >= Quiet::OFF_SHOWN {
            Quiet::Off
        } else {
            Quiet::Slower
        })
    }
}

impl Settings {
    /// Settings with `profile` and nothing else changed.
    pub fn with_profile(profile: Profile) -> Settings {
        Settings {
            profile,
            ..Settings::default()
        }
    }

    /// Whether `rule` may fire; `used` are the hive families the session has used.
    pub fn rule_enabled(&self, rule: &str, used: Families) -> bool {
        self.allows(rule, crate::builtin::family_of(rule), used)
    }

    /// Whether `rule`, of `family`, may fire; `used` are the hive families the session has used.
    pub fn allows(&self, rule: &str, family: Family, used: Families) -> bool {
        if self.disabled.contains(rule) {
            return false;
        }
        if family == Family::Core {
            return true;
        }
        match self.profile {
            Profile::Hive => true,
            Profile::Default => false,
            Profile::Auto => used.has(family),
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
    fn quiet_only_low_uptake_over_enough_messages_never_critical() {
        assert_eq!(Quiet::level("failure-loop", 5, 0, 5), None, "too few shown");
        assert_eq!(Quiet::level("failure-loop", 6, 1, 5), Some(Quiet::Slower));
        assert_eq!(Quiet::level("failure-loop", 6, 2, 4), None, "33% uptake");
        assert_eq!(Quiet::level("failure-loop", 12, 1, 9), Some(Quiet::Off));
        assert_eq!(
            Quiet::level("failure-loop", 12, 0, 0),
            None,
            "nothing judged"
        );
        assert_eq!(Quiet::level("danger", 50, 0, 50), None, "critical");
        assert_eq!(Quiet::level("exec-safety", 50, 0, 50), None, "critical");
    }

    #[test]
    fn profiles_gate_hive_rules_by_family() {
        let none = Families::default();
        let mut zen = Families::default();
        zen.add(Family::Coordinator);
        let mut memory = Families::default();
        memory.add(Family::Memory);
        let auto = Settings::default();
        assert!(!auto.rule_enabled("coordinator-bypass", none));
        assert!(auto.rule_enabled("coordinator-bypass", zen));
        assert!(
            !auto.rule_enabled("coordinator-bypass", memory),
            "another family"
        );
        assert!(auto.rule_enabled("memory-coordination", memory));
        assert!(!auto.rule_enabled("memory-coordination", zen));
        assert!(auto.rule_enabled("exec-safety", none));
        let def = Settings::with_profile(Profile::Default);
        assert!(!def.rule_enabled("native-overuse", zen));
        let hive = Settings::with_profile(Profile::Hive);
        assert!(hive.rule_enabled("native-overuse", none));
        let mut off = Settings::with_profile(Profile::Hive);
        off.disabled.insert("exec-safety".into());
        assert!(!off.rule_enabled("exec-safety", none));
    }
}
