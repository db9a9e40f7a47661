//! One analyzer's place in the pipeline: a built-in one, constructed on first use, or one added
//! to the builder.

use posthook_analyzers::builtin::Builtin;
use posthook_analyzers::{Analyzer, Families, Settings};
use std::sync::OnceLock;

pub(super) enum Slot {
    Builtin {
        spec: &'static Builtin,
        cell: OnceLock<Box<dyn Analyzer>>,
    },
    Custom(Box<dyn Analyzer>),
}

impl Slot {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Slot::Builtin { spec, .. } => spec.name,
            Slot::Custom(a) => a.name(),
        }
    }

    pub(super) fn applies(&self, tool: &str) -> bool {
        match self {
            Slot::Builtin { spec, .. } => spec.applies(tool),
            Slot::Custom(a) => a.applies_to(tool),
        }
    }

    /// Whether it judges the end of a turn: a built-in one that says so; every added one (its
    /// [`Analyzer::at_stop`] finds nothing unless it implements it).
    pub(super) fn at_stop(&self) -> bool {
        match self {
            Slot::Builtin { spec, .. } => spec.at_stop(),
            Slot::Custom(_) => true,
        }
    }

    /// A critical single-call check runs whatever the time budget.
    pub(super) fn critical(&self) -> bool {
        match self {
            Slot::Builtin { spec, .. } => spec.critical,
            Slot::Custom(_) => false,
        }
    }

    /// Whether one of its rules may fire (`used`: the session's hive families): a built-in
    /// one's, from its spec; an added one's, from [`Analyzer::rules`] (none declared: always).
    pub(super) fn enabled(&self, settings: &Settings, used: Families) -> bool {
        match self {
            Slot::Builtin { spec, .. } => spec.enabled(settings, used),
            Slot::Custom(a) => {
                let rules = a.rules();
                rules.is_empty() || rules.iter().any(|r| settings.rule_enabled(r, used))
            }
        }
    }

    pub(super) fn get(&self) -> &dyn Analyzer {
        match self {
            Slot::Builtin { spec, cell } => cell.get_or_init(spec.make).as_ref(),
            Slot::Custom(a) => a.as_ref(),
        }
    }

    pub(super) fn is_built(&self) -> bool {
        match self {
            Slot::Builtin { cell, .. } => cell.get().is_some(),
            Slot::Custom(_) => true,
        }
    }
}
