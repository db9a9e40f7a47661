//! The command-line flags that set hook-mode settings (`--output`, `--profile`, `--budget-ms`,
//! `--state-dir`, `--disable`), their help written from the table of settings, and the level of
//! values they make.
//!
//! The hook call (no subcommand) takes all of them ([`HookFlags`]); each subcommand takes only the
//! groups it acts on (flattened into its own arguments), so its `--help` lists no flag that does
//! nothing there. Flags before the subcommand still apply to it, under the subcommand's own
//! ([`HookFlags::under`]); one the subcommand does not act on is refused there (`cli::parse`).

use super::table::{Id, Layer};
use crate::output::OutputMode;
use posthook_analyzers::{Profile, Settings};
use std::path::PathBuf;

/// `--output`: how feedback is delivered.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct OutputFlag {
    #[arg(long, value_enum, help = Id::Output.setting().flag_help())]
    pub output: Option<OutputMode>,
}

/// `--profile` and `--disable`: which rules run.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct RuleFlags {
    #[arg(long, value_parser = parse_profile, help = Id::Profile.setting().flag_help())]
    pub profile: Option<Profile>,

    #[arg(long = "disable", value_name = "RULE", help = Id::DisabledRules.setting().flag_help())]
    pub disabled: Vec<String>,
}

/// `--state-dir`: where session history is stored.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct StateDirFlag {
    #[arg(long, value_name = "DIR", help = Id::StateDir.setting().flag_help())]
    pub state_dir: Option<PathBuf>,
}

/// Every flag of the settings the command line may set: the hook call's, and those of the
/// commands that resolve the whole configuration (`config`, `doctor`, `serve`).
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct HookFlags {
    #[command(flatten)]
    pub out: OutputFlag,

    #[command(flatten)]
    pub rules: RuleFlags,

    // The analyzers' time budget, in ms.
    #[arg(long, value_name = "MS", help = Id::BudgetMs.setting().flag_help())]
    pub budget_ms: Option<u64>,

    #[command(flatten)]
    pub state: StateDirFlag,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s)
        .ok_or_else(|| format!("unknown profile '{s}' (expected auto, default or hive)"))
}

impl HookFlags {
    /// `sub`'s values over these: a subcommand's own flags win over the ones given before it;
    /// disabled rules add up.
    pub(crate) fn under(&self, sub: HookFlags) -> HookFlags {
        let mut disabled = self.rules.disabled.clone();
        disabled.extend(sub.rules.disabled);
        HookFlags {
            out: OutputFlag {
                output: sub.out.output.or(self.out.output),
            },
            rules: RuleFlags {
                profile: sub.rules.profile.or(self.rules.profile),
                disabled,
            },
            budget_ms: sub.budget_ms.or(self.budget_ms),
            state: StateDirFlag {
                state_dir: sub.state.state_dir.or_else(|| self.state.state_dir.clone()),
            },
        }
    }

    /// The values the command line sets, as the top configuration level.
    pub(crate) fn layer(&self) -> Layer {
        Layer {
            profile: self.rules.profile,
            output: self.out.output,
            disabled_rules: self.rules.disabled.clone(),
            budget_ms: self.budget_ms,
            state_dir: self.state.state_dir.clone(),
            ..Layer::default()
        }
    }

    /// The analysis settings of the flags alone (no files, no environment).
    pub(crate) fn settings(&self) -> Settings {
        let mut s = Settings::with_profile(self.rules.profile.unwrap_or_default());
        s.disabled.extend(self.rules.disabled.iter().cloned());
        s
    }
}

impl From<OutputFlag> for HookFlags {
    fn from(out: OutputFlag) -> HookFlags {
        HookFlags {
            out,
            ..HookFlags::default()
        }
    }
}

impl From<RuleFlags> for HookFlags {
    fn from(rules: RuleFlags) -> HookFlags {
        HookFlags {
            rules,
            ..HookFlags::default()
        }
    }
}

impl From<StateDirFlag> for HookFlags {
    fn from(state: StateDirFlag) -> HookFlags {
        HookFlags {
            state,
            ..HookFlags::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::{Kind, SETTINGS};
    use super::*;
    use clap::{Args as _, FromArgMatches as _};

    #[test]
    fn every_flag_of_the_table_is_a_flag_here_with_its_help_and_its_value_carried() {
        let cmd = HookFlags::augment_args(clap::Command::new("t"));
        let mut longs: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        let mut table: Vec<String> = SETTINGS
            .iter()
            .filter_map(|s| s.flag.map(String::from))
            .collect();
        longs.sort();
        table.sort();
        assert_eq!(longs, table);
        for s in SETTINGS {
            let Some(flag) = s.flag else { continue };
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_long() == flag.strip_prefix("--"));
            let help = arg.and_then(|a| a.get_help()).map(ToString::to_string);
            assert_eq!(help, Some(s.flag_help()), "{flag}");
            let value = match s.kind {
                Kind::Dir => "/some/dir",
                Kind::Rules => "native-overuse",
                _ => s.default,
            };
            let m = cmd.clone().try_get_matches_from(["t", flag, value]);
            let f = HookFlags::from_arg_matches(&m.expect(flag)).expect(flag);
            let layer = f.layer();
            let carried = match s.kind {
                Kind::Rules => layer.disabled_rules == [value],
                _ => layer.get(s.id).is_some(),
            };
            assert!(carried, "{flag} is not carried into the level: {layer:?}");
            assert_eq!(
                HookFlags::default().under(f.clone()).layer(),
                layer,
                "{flag}"
            );
            assert_eq!(f.under(HookFlags::default()).layer(), layer, "{flag}");
        }
    }
}
