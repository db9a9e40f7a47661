//! The built-in analyzers and the registry the runtime builds them from, lazily.

use crate::Analyzer;

mod drift;
mod safety;

pub use drift::NativeOveruse;
pub use safety::ExecSafety;

/// A built-in analyzer, not yet constructed.
///
/// The runtime builds an analyzer the first time a call arrives for which `applies` is true, so a
/// hook process handling one `Read` never pays for the Bash analyzers' regexes.
pub struct Builtin {
    /// The analyzer's name (as in timings).
    pub name: &'static str,
    /// Rule ids it can emit.
    pub rules: &'static [&'static str],
    /// Whether it has anything to say about a tool, by name.
    pub applies: fn(&str) -> bool,
    /// Builds it.
    pub make: fn() -> Box<dyn Analyzer>,
}

fn any_tool(_: &str) -> bool {
    true
}

fn bash_only(tool: &str) -> bool {
    tool == "Bash"
}

/// Every built-in analyzer, in the order they run.
pub fn registry() -> &'static [Builtin] {
    &[
        Builtin {
            name: "exec-safety",
            rules: ExecSafety::RULES,
            applies: bash_only,
            make: || Box::new(ExecSafety::new()),
        },
        Builtin {
            name: "native-overuse",
            rules: NativeOveruse::RULES,
            applies: any_tool,
            make: || Box::new(NativeOveruse),
        },
    ]
}

/// Every rule id the built-in analyzers can emit.
pub fn rule_ids() -> Vec<&'static str> {
    registry()
        .iter()
        .flat_map(|b| b.rules.iter().copied())
        .collect()
}
