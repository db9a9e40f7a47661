//! `posthook install` / `posthook uninstall`: registering posthook in Claude Code's settings files.
//!
//! The settings file is edited, never replaced: posthook adds one group of its own per event it
//! handles (`HOOK_EVENTS`: the tool events, Stop, SubagentStop, SubagentStart, PostCompact), in exec form
//! (`{"matcher": M, "hooks": [{"type": "command", "command": "/abs/posthook", "args": [], "timeout":
//! S}]}`), and keeps every other byte as it was: the file is edited as a concrete syntax tree
//! (indentation, line endings, key order, trailing spaces and other hooks stay; the element
//! posthook's group follows gains its comma). Installing again updates those groups in place (a
//! second identical run changes nothing); uninstalling removes posthook's hooks and the lists and
//! `hooks` object left empty, which gives back the file as it was before the install. A file that
//! is not valid JSON is refused with its position and left untouched. Before any change the old
//! file is copied to a timestamped backup beside it, and the new file is written to a temporary
//! file and renamed over the old one, so a crash leaves one or the other, never half of each.
//!
//! - [`entries`]: what posthook's entries look like, and finding, adding and removing them in a
//!   settings document;
//! - [`file`](mod@file): reading, backing up, diffing and atomically replacing the settings file;
//! - this module: the scopes, the errors, the arguments and the two commands.

pub(crate) mod copy;
mod entries;
mod file;
pub(crate) mod git;
pub(crate) mod http;

pub(crate) use crate::project::{current_binary, current_project_dir, home_dir};
pub(crate) use entries::{
    hook_args, hooks_of, matchers_from, missing_event_cost, posthook_commands, program_of, Entry,
    FoundEntry, HOOK_EVENTS,
};
pub(crate) use file::{
    apply, diff, edit_settings, object_or_append, read_settings, set_prop, Action, Change,
};

use crate::output::OutputMode;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The default hook timeout written into the settings, in seconds.
pub(crate) const DEFAULT_TIMEOUT_S: u64 = 10;
/// The default matcher: every tool.
pub(crate) const DEFAULT_MATCHER: &str = "*";

/// Which settings file to edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Scope {
    /// `<project>/.claude/settings.json` (shared with the team).
    #[default]
    Project,
    /// `<project>/.claude/settings.local.json` (personal, not committed).
    Local,
    /// `~/.claude/settings.json` (every project).
    User,
}

impl Scope {
    /// The scope's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Local => "local",
            Scope::User => "user",
        }
    }

    /// Every scope, in the order Claude Code reads them (user first, local last).
    pub(crate) const ALL: [Scope; 3] = [Scope::User, Scope::Project, Scope::Local];

    /// How this scope's settings file is written: links followed only in the user's own
    /// `~/.claude/`; mode 0600 when it holds a secret (`private`), else the old file's.
    pub(crate) fn write_opts(self, private: bool) -> crate::tools::atomic::WriteOpts {
        crate::tools::atomic::WriteOpts {
            mode: private.then_some(0o600),
            follow_links: self == Scope::User,
        }
    }
}

/// What went wrong while editing a settings file. Nothing was written when this is returned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    /// The file is not valid JSON.
    #[error(
        "settings file '{}' is not valid JSON (line {line}, column {column}): {message}; \
         nothing was changed",
        path.display()
    )]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// Valid JSON of the wrong shape (`at` is a JSON path such as `hooks.PostToolUse`).
    #[error("settings file '{}': `{at}` should be {expected}; nothing was changed", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// Where.
        at: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// Reading, backing up or writing `path` failed, or it was refused.
    #[error("settings file '{}': {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// No home directory to find `path` (a file under it) in.
    #[error(
        "no home directory (HOME is not set) to find '{}' in; use --scope project",
        path.display()
    )]
    NoHome {
        /// The file, as it would be named under the home directory.
        path: PathBuf,
    },
    /// The hook's program could not be copied to its stable place (`path`).
    #[error(
        "copying the hook's program to '{}': {source}; nothing was changed (--no-copy \
         registers it where it is)",
        path.display()
    )]
    Copy {
        /// The directory it was being copied to.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
}

pub(crate) fn io_err(path: &Path, e: std::io::Error) -> InstallError {
    InstallError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

pub(crate) fn shape(path: &Path, at: &str, expected: &'static str) -> InstallError {
    InstallError::Shape {
        path: path.to_path_buf(),
        at: at.to_string(),
        expected,
    }
}

/// The settings file of `scope`.
pub(crate) fn settings_path(scope: Scope, project: &Path, home: Option<&Path>) -> Option<PathBuf> {
    match scope {
        Scope::Project => Some(project.join(".claude/settings.json")),
        Scope::Local => Some(project.join(".claude/settings.local.json")),
        Scope::User => home.map(|h| h.join(".claude/settings.json")),
    }
}

/// `posthook install` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook install                      # this project, .claude/settings.json
  posthook install --scope user         # every project, ~/.claude/settings.json
  posthook install --scope local --output json --matcher 'Bash|Edit|Write' --timeout 5
  posthook install --matcher PostToolUseFailure=Bash   # failures of Bash calls only
  posthook install --dry-run            # show the change, write nothing

posthook is registered for seven events: PostToolUse (a call that succeeded), PostToolUseFailure
(a call that failed: Claude Code sends failures only there), PostToolBatch (one per assistant
turn: which calls were made together, and calls refused before they ran), Stop and SubagentStop
(the end of a turn: blocked once when code changed since its last check), SubagentStart (a
subagent's stream begins) and PostCompact (the context was compacted). Each entry is written in
exec form (\"command\" is posthook's absolute path, \"args\" its arguments: no shell in between,
about 2 ms faster per call). Re-running install updates posthook's entries in place and keeps
everything else; uninstall removes exactly them. The --output flag is written into the
entries' args (default: stderr, i.e. none).")]
pub(crate) struct InstallArgs {
    /// Which settings file: project (.claude/settings.json), local (.claude/settings.local.json)
    /// or user (~/.claude/settings.json).
    #[arg(long, value_enum, default_value_t = Scope::Project)]
    pub scope: Scope,
    /// Tools to run on: `*` for all, a name, `A|B`, or a regex. `EVENT=M` sets it for one event
    /// only (PostToolUse, PostToolUseFailure, PostToolBatch, Stop, SubagentStop, SubagentStart,
    /// PostCompact); repeat the flag for several.
    #[arg(long, value_name = "[EVENT=]M")]
    pub matcher: Vec<String>,
    /// Hook timeout in seconds (Claude Code's unit), 1 to 3600.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Print the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Register the hook's program where it is, instead of a copy in
    /// $XDG_DATA_HOME/posthook/bin (for packagers who manage the path, e.g. ~/.cargo/bin).
    #[arg(long)]
    pub no_copy: bool,
    /// Register `posthook serve` as an http hook instead of the command (see `posthook serve
    /// --help`); replaces posthook's command entries, and `install` without it turns them back.
    #[arg(long)]
    pub http: bool,
    /// With --http: the server's address.
    #[arg(long, value_name = "ADDR:PORT", default_value = crate::tools::serve::DEFAULT_LISTEN, requires = "http")]
    pub listen: std::net::SocketAddr,
    /// With --http: the token literally in the header, or as $POSTHOOK_SERVE_ID with its value in
    /// .claude/settings.local.json [default: env for --scope project, a committed file; header
    /// otherwise].
    #[arg(long, value_enum, value_name = "HOW", requires = "http")]
    pub token_in: Option<http::TokenIn>,
    /// With --http: write `"onFailure": "block"`, so that a server that is down, slow or
    /// refusing makes Claude Code report a blocking error on every event instead of going on
    /// without feedback (the cost: while the server is not answering, every tool call of the
    /// session shows Claude an error, and each waits for the timeout when the server hangs).
    #[arg(long, requires = "http")]
    pub on_failure_block: bool,
    /// Written into the entries' args.
    #[command(flatten)]
    pub out: crate::config::OutputFlag,
}

/// `posthook uninstall` arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  posthook uninstall                    # this project's .claude/settings.json
  posthook uninstall --scope user --dry-run")]
pub(crate) struct UninstallArgs {
    /// Which settings file (see `posthook install --help`).
    #[arg(long, value_enum, default_value_t = Scope::Project)]
    pub scope: Scope,
    /// Print the change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub(crate) fn scope_path(scope: Scope) -> Result<PathBuf, InstallError> {
    let project = current_project_dir();
    let home = home_dir();
    settings_path(scope, &project, home.as_deref()).ok_or_else(|| InstallError::NoHome {
        path: PathBuf::from("~/.claude/settings.json"),
    })
}

/// The settings files of `scopes` that exist and parse, in that order, with their documents.
fn settings_of(
    scopes: impl IntoIterator<Item = Scope>,
) -> impl Iterator<Item = (Scope, PathBuf, Map<String, Value>)> {
    scopes.into_iter().filter_map(|scope| {
        let path = scope_path(scope).ok()?;
        let doc = read_settings(&path).ok()??;
        Some((scope, path, doc))
    })
}

/// Every scope but `scope`.
fn others(scope: Scope) -> impl Iterator<Item = Scope> {
    Scope::ALL.into_iter().filter(move |s| *s != scope)
}

pub(crate) fn report(change: &Change, dry_run: bool, done: &str, same: &str, out: &mut String) {
    use std::fmt::Write as _;
    let p = change.path.display();
    if !change.changed {
        let _ = writeln!(out, "{same} {p}; nothing changed");
        return;
    }
    if dry_run {
        let _ = writeln!(out, "dry run: would write {p} (nothing written)");
        out.push_str(&diff(&change.before, &change.after));
        return;
    }
    let _ = writeln!(out, "{done} {p}");
    if let Some(b) = &change.backup {
        let _ = writeln!(out, "  backup of the old file: {}", b.display());
    }
}

/// Runs `posthook install`; `output` is the `--output` flag (given before or after `install`).
pub(crate) fn run_install(
    args: &InstallArgs,
    output: Option<OutputMode>,
) -> Result<String, InstallError> {
    use std::fmt::Write as _;
    let path = scope_path(args.scope)?;
    let running = current_binary().map_err(|e| io_err(Path::new("posthook"), e))?;
    let (exe, source) = hook_program(&running, args.no_copy || args.http, args.dry_run)?;
    let entry = Entry {
        matchers: matchers_from(&args.matcher),
        command: exe.to_string_lossy().into_owned(),
        args: hook_args(output),
        timeout_s: args.timeout,
        http: None,
    };
    refuse_mixed(args.scope, args.http)?;
    if args.http {
        return http::run_install_http(args, entry, &path);
    }
    let change = apply(
        &path,
        &Action::Install(Box::new(entry.clone())),
        args.dry_run,
        args.scope.write_opts(false),
    )?;
    let mut out = String::new();
    report(
        &change,
        args.dry_run,
        "installed posthook in",
        "posthook is already installed as below in",
        &mut out,
    );
    for event in HOOK_EVENTS {
        let _ = writeln!(
            out,
            "  {event:<19} matcher {:?}: {} {:?} (exec form, timeout {} s)",
            entry.matcher(event),
            entry.command,
            entry.args,
            entry.timeout_s
        );
    }
    if source != exe {
        let _ = writeln!(
            out,
            "  the program is a copy of {} (rebuilding there does not change it: run install \
             again to register a new build; older copies are kept, other projects may use them)",
            source.display()
        );
    }
    if source
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "debug")
    {
        let _ = writeln!(
            out,
            "note: this is a debug build, several times slower per call; for daily use run \
             `cargo build --release` and `target/release/posthook install`"
        );
    }
    for (other, p, doc) in settings_of(others(args.scope)) {
        if p != change.path && !posthook_commands(&doc).is_empty() {
            let _ = writeln!(
                out,
                "note: posthook is also registered in {} ({} scope): Claude Code merges the \
                 levels and would run it twice; remove one with `posthook uninstall --scope {}`",
                p.display(),
                other.as_str(),
                other.as_str()
            );
        }
    }
    Ok(out)
}

/// The program to register and the executable it comes from: a stable copy of the hook (see
/// [`copy`]), or with `in_place` the running executable itself. A dry run computes the copy's
/// path without writing it.
fn hook_program(
    running: &Path,
    in_place: bool,
    dry_run: bool,
) -> Result<(PathBuf, PathBuf), InstallError> {
    if in_place {
        return Ok((running.to_path_buf(), running.to_path_buf()));
    }
    let source = copy::hook_source(running);
    let dir = copy::bin_dir(&|k| std::env::var_os(k)).ok_or_else(|| InstallError::NoHome {
        path: PathBuf::from("~/.local/share/posthook/bin"),
    })?;
    let copied = if dry_run {
        copy::copy_path(&dir, &source).map(|(p, _)| p)
    } else {
        copy::stable_copy(&dir, &source)
    };
    let exe = copied.map_err(|source| InstallError::Copy { path: dir, source })?;
    Ok((exe, source))
}

/// The program posthook's command entries run, as Claude Code would find it for the current
/// project (local, then project, then user settings), with the settings file that names it;
/// `None` when none names an executable file by its absolute path.
pub(crate) fn registered_program() -> Option<(PathBuf, PathBuf)> {
    settings_of([Scope::Local, Scope::Project, Scope::User]).find_map(|(_, settings, doc)| {
        posthook_commands(&doc)
            .into_iter()
            .filter(|f| f.args.is_some())
            .map(|f| PathBuf::from(f.command))
            .find(|p| p.is_absolute() && p.is_file())
            .map(|p| (p, settings))
    })
}

/// Refuses to register posthook as one kind (command, or http with `http`) in `scope` while
/// another scope has it as the other kind: Claude Code would run both, and the hook process and
/// the server would each write the session over the other's events. (Within one scope, install
/// replaces the other kind.)
fn refuse_mixed(scope: Scope, http: bool) -> Result<(), InstallError> {
    // A scope whose file is this scope's own (a project that is the home directory) is the
    // file being edited: its entries of the other kind are replaced, not doubled.
    let same = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let target = scope_path(scope).ok().map(|p| same(&p));
    for (other, p, doc) in settings_of(others(scope)) {
        if target.as_deref() == Some(same(&p).as_path()) {
            continue;
        }
        let mixed = if http {
            !posthook_commands(&doc).is_empty()
        } else {
            !http::posthook_http_hooks(&doc).is_empty()
        };
        if mixed {
            let (have, want) = if http {
                ("a command hook", "an http hook")
            } else {
                ("an http hook", "a command hook")
            };
            return Err(io_err(
                &p,
                std::io::Error::other(format!(
                    "posthook is registered there ({} scope) as {have}; registering it as {want} \
                     too would analyze every event twice and the two would overwrite each \
                     other's sessions. Run `posthook uninstall --scope {}` first, or install \
                     the same kind",
                    other.as_str(),
                    other.as_str()
                )),
            ));
        }
    }
    Ok(())
}

/// Runs `posthook uninstall`.
pub(crate) fn run_uninstall(args: &UninstallArgs) -> Result<String, InstallError> {
    let path = scope_path(args.scope)?;
    let change = apply(
        &path,
        &Action::Uninstall,
        args.dry_run,
        args.scope.write_opts(false),
    )?;
    let mut out = String::new();
    report(
        &change,
        args.dry_run,
        "removed posthook from",
        "posthook is not registered in",
        &mut out,
    );
    if args.scope != Scope::User && !args.dry_run {
        remove_token(&mut out)?;
    }
    Ok(out)
}

/// Takes the server's token out of the project's personal settings once no http entry of
/// posthook's is left in the project to use it.
fn remove_token(out: &mut String) -> Result<(), InstallError> {
    use std::fmt::Write as _;
    let local = scope_path(Scope::Local)?;
    let in_use = settings_of([Scope::Project, Scope::Local])
        .any(|(_, _, doc)| !http::posthook_http_hooks(&doc).is_empty());
    if in_use {
        return Ok(());
    }
    if http::remove_token_env(&local)? {
        let _ = writeln!(
            out,
            "removed the server's token (${}) from {}",
            http::TOKEN_VAR,
            local.display()
        );
    }
    Ok(())
}
