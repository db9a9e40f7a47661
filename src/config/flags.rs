//! The command-line flags that set hook-mode settings (`--output`, `--profile`, `--budget-ms`,
//! `--state-dir`, `--disable`): global to every command, their help written from the table of
//! settings, and the level of values they make.

use super::layer::Layer;
use super::table;
use crate::output::OutputMode;
use posthook_analyzers::{Profile, Settings};
use std::path::PathBuf;

/// The flags of the settings the command line may set.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct HookFlags {
    // How to deliver feedback in hook mode.
    #[arg(long, value_enum, global = true, help = table::OUTPUT.flag_help())]
    pub output: Option<OutputMode>,

    // The rule profile.
    #[arg(long, value_parser = parse_profile, global = true, help = table::PROFILE.flag_help())]
    pub profile: Option<Profile>,

    // The analyzers' time budget, in ms.
    #[arg(long, value_name = "MS", global = true, help = table::BUDGET_MS.flag_help())]
    pub budget_ms: Option<u64>,

    // Where session history is stored.
    #[arg(long, value_name = "DIR", global = true, help = table::STATE_DIR.flag_help())]
    pub state_dir: Option<PathBuf>,

    // Rules to disable.
    #[arg(
        long = "disable",
        value_name = "RULE",
        global = true,
        help = table::DISABLED_RULES.flag_help()
    )]
    pub disabled: Vec<String>,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s)
        .ok_or_else(|| format!("unknown profile '{s}' (expected auto, default or hive)"))
}

impl HookFlags {
    /// The values the command line sets, as the top configuration level.
    pub(crate) fn layer(&self) -> Layer {
        Layer {
            profile: self.profile,
            output: self.output,
            disabled: self.disabled.clone(),
            budget_ms: self.budget_ms,
            state_dir: self.state_dir.clone(),
            ..Layer::default()
        }
    }

    /// The analysis settings of the flags alone (no files, no environment).
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::with_profile(self.profile.unwrap_or_default());
        s.disabled.extend(self.disabled.iter().cloned());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Args as _;

    #[test]
    fn every_flag_of_the_table_is_a_flag_here() {
        let cmd = HookFlags::augment_args(clap::Command::new("t"));
        let mut longs: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        let mut table: Vec<String> = table::SETTINGS
            .iter()
            .filter_map(|s| s.flag.map(String::from))
            .collect();
        longs.sort();
        table.sort();
        assert_eq!(longs, table);
    }
}
