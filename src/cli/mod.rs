//! Command-line arguments, and the dispatcher from them to the commands: each command's result
//! is printed and turned into an exit code in one place (`cli::error`).

use crate::config;
mod error;

use crate::error::Outcome;
use crate::hook;
use crate::tools::{bench, doctor, explain, install, replay, serve, session, stats, statusline};
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use error::Error;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

const ABOUT: &str =
    "A fast PostToolUse hook for Claude Code that gives Claude feedback from the session's history";

const LONG_ABOUT: &str = "\
A fast PostToolUse hook for Claude Code that gives Claude feedback from the session's history.

With no subcommand, posthook is the hook: it reads one hook event (JSON) from stdin, analyzes it \
against the session's stored history, records it, and answers:
  exit 0, silent            nothing worth saying
  exit 2, text on stderr    blocking feedback (Claude sees it)
  exit 0, JSON on stdout    non-blocking feedback (Claude sees it as additional context)
  exit 1, one line          the input could not be read (the user sees it, Claude does not)

State lives in $POSTHOOK_STATE_DIR, else $XDG_STATE_HOME/posthook, else ~/.local/state/posthook.
Set POSTHOOK_LOG=/path/to/file to log (never to the terminal in hook mode).";

const EXAMPLES: &str = "\
Examples:
  echo '{\"session_id\":\"s\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"rm -rf /\"}}' | posthook
  posthook --output json < event.json
  posthook install && posthook doctor          # register in .claude/settings.json, check it works
  posthook serve & posthook install --http     # or answer as an http hook, from a long-lived server
  posthook replay ~/.claude/projects/-home-me-proj/   # what it would have said in past sessions
  posthook session show 5f1c2d-... --json
  posthook --bench";

/// posthook's command line.
#[derive(Debug, Parser)]
#[command(name = "posthook", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub(crate) struct Cli {
    /// The hook call's flags (no subcommand). Before a subcommand they apply to it too; after it,
    /// each subcommand takes those it acts on.
    #[command(flatten)]
    pub flags: config::HookFlags,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Inspect stored session history.
    #[command(
        subcommand,
        after_help = "Examples:\n  posthook session list\n  posthook session show 5f1c2d-4e0a --json"
    )]
    Session(session::SessionCommand),
    /// Measure posthook (or another hook command): also reachable as `posthook --bench`.
    Bench(Box<bench::BenchArgs>),
    /// Register posthook as a PostToolUse hook in a Claude Code settings file.
    Install(crate::tools::install::InstallArgs),
    /// Remove posthook's hook from a Claude Code settings file.
    Uninstall(crate::tools::install::UninstallArgs),
    /// Run recorded Claude Code sessions through posthook and show what Claude would have been told.
    Replay(crate::tools::replay::ReplayArgs),
    /// Explain why each rule fired or stayed silent on the last events of a session.
    Explain(crate::tools::explain::ExplainArgs),
    /// What posthook did across sessions, per rule and project: findings, shown, blocking, uptake
    /// (its own estimate of how often the agent acted on a message), and its own health.
    Stats(stats::StatsArgs),
    /// One short line for Claude Code's `statusLine` setting: posthook's health and what it showed
    /// today, or its last error.
    Statusline(statusline::StatuslineArgs),
    /// Check that posthook is registered, executable, configured, and answers a test event.
    Doctor(crate::tools::doctor::DoctorArgs),
    /// Answer Claude Code's http hooks from a long-lived local server (sessions held in memory).
    Serve(crate::tools::serve::ServeArgs),
    /// Run `posthook serve` as a per-user service (systemd user unit, launchd agent).
    #[command(subcommand)]
    Service(crate::tools::serve::service::ServiceCommand),
    /// Check or show the configuration (files, environment, flags).
    #[command(
        subcommand,
        after_help = "Examples:\n  posthook config check\n  posthook config show --json"
    )]
    Config(ConfigCommand),
    /// Read stdin to the end and exit 0: the floor the benchmark compares hooks against.
    #[command(hide = true)]
    Floor,
    /// Spawn and time processes for the benchmark, one JSON request per stdin line.
    #[command(hide = true)]
    BenchSpawner,
}

/// `posthook config ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the config files and POSTHOOK_* variables; exit 1 if anything is wrong.
    #[command(after_help = "\
Files: .claude/posthook.json in the project (CLAUDE_PROJECT_DIR, else the git root, else the cwd),
then $XDG_CONFIG_HOME/posthook/config.json or ~/.config/posthook/config.json.

Example:
  posthook config check
  .claude/posthook.json: thresholds[\"native-overuse.majr\"]: unknown threshold (known: ...)")]
    Check {
        #[command(flatten)]
        flags: config::HookFlags,
    },
    /// Print the effective configuration and where each value came from.
    #[command(
        after_help = "Examples:\n  posthook config show\n  posthook --profile hive config show --json"
    )]
    Show {
        /// Print JSON (`config`, `sources`, `files`, `problems`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        flags: config::HookFlags,
    },
}

impl Command {
    /// The hook-mode flags given after the subcommand: only those it acts on are flags there.
    fn flags(&self) -> config::HookFlags {
        match self {
            Command::Session(cmd) => cmd.flags(),
            Command::Bench(args) => args.rules.clone().into(),
            Command::Install(args) => args.out.clone().into(),
            Command::Replay(args) => args.flags(),
            Command::Explain(args) => args.flags(),
            Command::Doctor(args) => args.flags.clone(),
            Command::Stats(args) => args.flags(),
            Command::Statusline(args) => args.flags(),
            Command::Serve(args) => args.flags.clone(),
            Command::Config(ConfigCommand::Check { flags } | ConfigCommand::Show { flags, .. }) => {
                flags.clone()
            }
            Command::Uninstall(_)
            | Command::Service(_)
            | Command::Floor
            | Command::BenchSpawner => config::HookFlags::default(),
        }
    }
}

/// `posthook --bench ARGS` is `posthook bench ARGS`: the flag form is what the README shows.
fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut v: Vec<OsString> = args.into_iter().collect();
    if let Some(i) = v.iter().position(|a| a == "--bench") {
        v.remove(i);
        v.insert(1.min(v.len()), OsString::from("bench"));
    }
    v
}

/// The arguments parsed, refusing a hook-mode flag given before a subcommand that does not act
/// on it (`posthook --state-dir X uninstall`): after the subcommand such a flag is unknown, and
/// before it, it would be silently ignored.
fn parse(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let (mut leaf, mut leaf_matches, mut path) = (&cmd, &matches, Vec::new());
    while let Some((name, sub)) = leaf_matches.subcommand() {
        let Some(found) = leaf.find_subcommand(name) else {
            break;
        };
        (leaf, leaf_matches) = (found, sub);
        path.push(name);
    }
    if path.is_empty() {
        return Ok(cli);
    }
    let ignored = cmd.get_arguments().find(|arg| {
        let id = arg.get_id();
        matches.value_source(id.as_str()) == Some(ValueSource::CommandLine)
            && !leaf.get_arguments().any(|a| a.get_id() == id)
    });
    match ignored.and_then(|arg| arg.get_long()) {
        Some(long) => {
            let path = path.join(" ");
            let msg = format!(
                "--{long} does nothing for `posthook {path}` (see `posthook {path} --help`)"
            );
            Err(cmd.clone().error(ErrorKind::ArgumentConflict, msg))
        }
        None => Ok(cli),
    }
}

/// Parses the process's arguments and runs what they ask for.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Two hot paths skip building the argument parser, about a tenth of a whole hook call: the hook
    // with no arguments (as Claude Code runs it) and the benchmark's floor. With no arguments the
    // parser would only produce an empty flags layer.
    if args.len() == 2 && args[1] == "floor" {
        return floor();
    }
    // The status line runs after every message of the session: with no arguments it needs no
    // parser either (building it is a third of the command's instructions).
    if args.len() == 2 && args[1] == "statusline" {
        let resolved = hook::resolve_config(config::Layer::default());
        return finish(Ok(statusline::run(
            &statusline::StatuslineArgs::default(),
            &resolved,
        )));
    }
    let cli = if args.len() <= 1 {
        None
    } else {
        match parse(normalize(args)) {
            Ok(c) => Some(c),
            Err(e) => {
                let _ = e.print();
                return ExitCode::from(error::usage_exit_code(&e));
            }
        }
    };
    let Some(cli) = cli else {
        hook::start_deadline_from_env();
        return ExitCode::from(hook::run_process(&hook::process_options(
            &hook::resolve_config(config::Layer::default()),
        )));
    };
    dispatch(&cli)
}

/// Runs the command `cli` names. The configuration is resolved when a command needs it: the
/// floor and the bench's spawner run before any configuration or logging (the spawner's own RSS
/// bounds what it measures).
fn dispatch(cli: &Cli) -> ExitCode {
    // Flags before the subcommand apply under the subcommand's own.
    let flags = match &cli.command {
        Some(cmd) => cli.flags.under(cmd.flags()),
        None => cli.flags.clone(),
    };
    let resolved_cell = std::cell::LazyCell::new(|| hook::resolve_config(flags.layer()));
    let resolved = || &*resolved_cell;
    let result: Result<Outcome, Error> = match &cli.command {
        None => {
            hook::start_deadline_from_env();
            return ExitCode::from(hook::run_process(&hook::process_options(resolved())));
        }
        Some(Command::Floor) => return floor(),
        Some(Command::BenchSpawner) => return bench::serve_spawner(),
        // The bench prints its own report as it goes; its verdict is the exit code.
        Some(Command::Bench(args)) => bench::run(args, &flags.settings())
            .map(Outcome::from)
            .map_err(Error::from),
        Some(Command::Replay(args)) => replay::run(args, resolved()).map_err(Error::from),
        Some(Command::Explain(args)) => explain::run(args, resolved()).map_err(Error::from),
        Some(Command::Doctor(_)) => Ok(Outcome::check(doctor::to_text(&doctor::run(resolved())))),
        Some(Command::Config(cmd)) => Ok(config_command(cmd, resolved())),
        Some(Command::Stats(args)) => stats::run(args, resolved()).map_err(Error::from),
        Some(Command::Statusline(args)) => Ok(statusline::run(args, resolved())),
        Some(Command::Session(cmd)) => session::run(cmd, resolved()).map_err(Error::from),
        Some(Command::Install(args)) => install::run_install(args, flags.out.output)
            .map(Outcome::text)
            .map_err(Error::from),
        Some(Command::Uninstall(args)) => install::run_uninstall(args)
            .map(Outcome::text)
            .map_err(Error::from),
        Some(Command::Serve(args)) => serve::run(args, flags.layer())
            .map(|()| Outcome::text(""))
            .map_err(Error::from),
        Some(Command::Service(cmd)) => serve::service::run(cmd).map_err(Error::from),
    };
    finish(result)
}

/// `posthook config check | show`.
fn config_command(cmd: &ConfigCommand, resolved: &config::Resolved) -> Outcome {
    match cmd {
        ConfigCommand::Check { .. } => Outcome::check(config::check_text(resolved)),
        ConfigCommand::Show { json: true, .. } => {
            Outcome::text(serde_json::to_string_pretty(resolved).unwrap_or_default() + "\n")
        }
        ConfigCommand::Show { json: false, .. } => Outcome::text(config::show_text(resolved)),
    }
}

/// Prints a command's result, its text on stdout or its error as one line on stderr, and ends
/// with the exit code [`error`] chooses for it.
fn finish(result: Result<Outcome, Error>) -> ExitCode {
    match result {
        Ok(outcome) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(outcome.text.as_bytes());
            let _ = out.flush();
            ExitCode::from(outcome.exit_code())
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{}: {e}", e.prefix());
            ExitCode::from(e.exit_code())
        }
    }
}

/// The floor the benchmark compares hooks against: read stdin to the end, exit 0.
fn floor() -> ExitCode {
    let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
    ExitCode::from(crate::exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_flag_is_the_subcommand() {
        let v = normalize(["posthook", "--bench", "--runs", "3"].map(OsString::from));
        assert_eq!(v, ["posthook", "bench", "--runs", "3"].map(OsString::from));
        let cli = Cli::try_parse_from(normalize(["posthook", "--bench"].map(OsString::from)))
            .expect("parses");
        assert!(matches!(cli.command, Some(Command::Bench(_))));
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
