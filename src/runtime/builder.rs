//! Building a [`Runtime`]: settings, budget, cache size, which analyzers.

use super::cache::PatternLru;
use super::slot::Slot;
use super::{Runtime, DEFAULT_BUDGET, DEFAULT_CACHE_CAPACITY};
use posthook_analyzers::builtin;
use posthook_analyzers::{Analyzer, Settings};
use std::sync::OnceLock;
use std::time::Duration;

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    settings: Settings,
    budget: Duration,
    cache_capacity: usize,
    builtins: bool,
    custom: Vec<Box<dyn Analyzer>>,
}

impl RuntimeBuilder {
    /// Sets the analysis settings (profile, disabled rules, thresholds).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the time budget for all analyzers of one call.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Sets the pattern cache's capacity (entries).
    pub fn cache_capacity(mut self, n: usize) -> Self {
        self.cache_capacity = n;
        self
    }

    /// Leaves out the built-in analyzers (only those added with [`Self::analyzer`] run).
    pub fn without_builtins(mut self) -> Self {
        self.builtins = false;
        self
    }

    /// Adds an analyzer; it runs after the built-in ones, in the order added.
    pub fn analyzer(mut self, a: impl Analyzer + 'static) -> Self {
        self.custom.push(Box::new(a));
        self
    }

    /// Builds the runtime. No analyzer is constructed yet.
    pub fn build(self) -> Runtime {
        let mut slots: Vec<Slot> = Vec::new();
        if self.builtins {
            slots.extend(builtin::registry().iter().map(|spec| Slot::Builtin {
                spec,
                cell: OnceLock::new(),
            }));
        }
        slots.extend(self.custom.into_iter().map(Slot::Custom));
        Runtime {
            settings: self.settings,
            budget: self.budget,
            slots,
            cache: PatternLru::new(self.cache_capacity),
            sessions: OnceLock::new(),
        }
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::builder().build()
    }
}

impl Runtime {
    /// A builder with the defaults: built-in analyzers, `auto` profile, 40 ms budget.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder {
            settings: Settings::default(),
            budget: DEFAULT_BUDGET,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            builtins: true,
            custom: Vec::new(),
        }
    }
}
