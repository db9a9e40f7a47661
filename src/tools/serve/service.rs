//! `posthook service install | uninstall | status`: `posthook serve` as a per-user service, a
//! systemd user unit on Linux and a launchd agent on macOS (written the same way; the launchd
//! side is untested here). Nothing runs as root and nothing outside the user's home is touched.

use crate::error::Outcome;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The systemd unit's name.
pub(crate) const UNIT: &str = "posthook.service";
/// The launchd agent's label.
pub(crate) const LABEL: &str = "dev.posthook.serve";

/// The service manager to write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Manager {
    /// A systemd user unit (`~/.config/systemd/user/posthook.service`).
    Systemd,
    /// A launchd agent (`~/Library/LaunchAgents/dev.posthook.serve.plist`).
    Launchd,
}

impl Manager {
    /// This platform's manager.
    pub(crate) fn native() -> Manager {
        if cfg!(target_os = "macos") {
            Manager::Launchd
        } else {
            Manager::Systemd
        }
    }
}

/// `posthook service ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum ServiceCommand {
    /// Write the service definition and (unless --no-start) enable and start it.
    #[command(after_help = "\
Examples:
  posthook service install                     # systemd user unit, enabled and started
  posthook service install --listen 127.0.0.1:47400
  posthook service install --manager launchd --no-start   # write the plist only")]
    Install(InstallArgs),
    /// Stop and disable the service and remove its definition.
    Uninstall(ManagerArgs),
    /// Whether the service is defined and running, and whether the server answers.
    Status(StatusArgs),
}

/// `posthook service install` arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct InstallArgs {
    /// The address the server listens on.
    #[arg(long, default_value = super::DEFAULT_LISTEN, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Only write the definition; do not ask the service manager to start it.
    #[arg(long)]
    pub no_start: bool,
    #[command(flatten)]
    pub manager: ManagerArgs,
}

/// Which manager (default: this platform's).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ManagerArgs {
    /// systemd (Linux) or launchd (macOS) [default: this platform's].
    #[arg(long, value_enum)]
    pub manager: Option<Manager>,
    /// Only touch the file; do not call systemctl or launchctl.
    #[arg(long, hide = true)]
    pub no_manager: bool,
}

/// `posthook service status` arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StatusArgs {
    /// The address to check [default: the one in the installed definition].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub manager: ManagerArgs,
}

/// Why the service's definition could not be written or removed. Nothing was written when this
/// is returned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServiceError {
    /// HOME is not set.
    #[error("no home directory (HOME is not set)")]
    NoHome,
    /// This binary's path could not be found.
    #[error("locating this binary: {0}")]
    Binary(#[source] std::io::Error),
    /// The definition could not be written.
    #[error("writing '{}': {source}", path.display())]
    Write {
        /// The definition's path.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// A value that would go into the definition has a control character (a newline would add
    /// lines of its own to the unit).
    #[error(
        "{what} has a control character (a newline, say), which the service definition cannot \
         hold safely; nothing was written: fix the value and run it again"
    )]
    Invalid {
        /// What the value is (a variable's name, or the binary's path).
        what: String,
    },
    /// The definition could not be removed.
    #[error("removing '{}': {source}", path.display())]
    Remove {
        /// The definition's path.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
}

/// Runs `posthook service install | uninstall | status`. Install and status are checks: a service
/// that was not started, or a server that does not answer, is a failed one.
pub(crate) fn run(cmd: &ServiceCommand) -> Result<Outcome, ServiceError> {
    Ok(match cmd {
        ServiceCommand::Install(a) => Outcome::check(install(a)?),
        ServiceCommand::Uninstall(a) => Outcome::text(uninstall(a)?),
        ServiceCommand::Status(a) => Outcome::check(status(a)),
    })
}

/// Where the definition lives for `manager` under `home`.
pub(crate) fn definition_path(
    manager: Manager,
    home: &Path,
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> PathBuf {
    match manager {
        Manager::Systemd => env("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map_or_else(|| home.join(".config"), PathBuf::from)
            .join("systemd/user")
            .join(UNIT),
        Manager::Launchd => home
            .join("Library/LaunchAgents")
            .join(format!("{LABEL}.plist")),
    }
}

/// Variables the service copies from the installing shell, so that the server stores and reads
/// what the hook process would.
const PASSED_ENV: [&str; 7] = [
    "POSTHOOK_STATE_DIR",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "POSTHOOK_PROFILE",
    "POSTHOOK_DISABLE",
    "POSTHOOK_BUDGET_MS",
    "POSTHOOK_LOG",
];

/// `s` in double quotes for a unit file: systemd unescapes backslashes and quotes there, and
/// `%` starts a specifier. `$` is taken as is: the program's path and Environment= expand no
/// variable (only ExecStart's arguments would, and ours hold no `$`).
fn systemd_quote(s: &str) -> String {
    let s = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{}\"", s.replace('%', "%%"))
}

/// Refuses the binary's path and the passed variables when one has a control character: no
/// quoting keeps a newline from starting a line of its own in a unit file, and XML 1.0 cannot
/// hold most of them.
pub(crate) fn check_values(exe: &Path, env: &[(String, String)]) -> Result<(), ServiceError> {
    let bad = |s: &str| s.chars().any(char::is_control);
    if bad(&exe.to_string_lossy()) {
        return Err(ServiceError::Invalid {
            what: format!("this binary's path ({:?})", exe.display().to_string()),
        });
    }
    for (k, v) in env {
        if bad(k) || bad(v) {
            return Err(ServiceError::Invalid {
                what: format!("the variable {k} ({v:?})"),
            });
        }
    }
    Ok(())
}

/// `template` without its leading comment (up to the first empty line), each `{{NAME}}` replaced
/// by its value, already escaped for the format; an empty value alone on its line takes the line
/// with it. One pass: a value is never scanned for names, an unknown name is kept as is.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let body = template.split_once("\n\n").map_or(template, |(_, b)| b);
    let mut parts = body.split("{{");
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        let (name, rest) = part.split_once("}}").unwrap_or(("", part));
        match values.iter().find(|(k, _)| *k == name) {
            Some((_, v)) if v.is_empty() && out.ends_with('\n') => {
                out.push_str(rest.strip_prefix('\n').unwrap_or(rest));
            }
            Some((_, v)) => out.extend([*v, rest]),
            None => out.extend(["{{", part]),
        }
    }
    out
}

/// The systemd user unit for `exe` listening on `listen`, from the template beside this file.
pub(crate) fn systemd_unit(exe: &Path, listen: SocketAddr, env: &[(String, String)]) -> String {
    let env: Vec<_> = env
        .iter()
        .map(|(k, v)| format!("Environment={}", systemd_quote(&format!("{k}={v}"))))
        .collect();
    let exe = systemd_quote(&exe.to_string_lossy());
    let values = [
        ("EXEC", &*exe),
        ("LISTEN", &listen.to_string()),
        ("ENVIRONMENT", &env.join("\n")),
    ];
    fill(include_str!("service/posthook.service"), &values)
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The launchd agent for `exe` listening on `listen`, from the template beside this file.
pub(crate) fn launchd_plist(
    exe: &Path,
    listen: SocketAddr,
    env: &[(String, String)],
    home: &Path,
) -> String {
    let line =
        |(k, v): &(String, String)| format!("    <key>{}</key><string>{}</string>", xml(k), xml(v));
    let env: Vec<_> = env.iter().map(line).collect();
    let (exe, home) = (xml(&exe.to_string_lossy()), xml(&home.to_string_lossy()));
    let values = [
        ("EXEC", &*exe),
        ("LISTEN", &listen.to_string()),
        ("ENVIRONMENT", &env.join("\n")),
        ("HOME", &home),
    ];
    fill(include_str!("service/dev.posthook.serve.plist"), &values)
}

fn run_manager(program: &str, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    }
}

fn uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// Writes the definition (atomically, 0644) and starts it. The text says what was done and, when
/// the manager could not be asked, what to run by hand; `Err` when nothing was written.
pub(crate) fn install(args: &InstallArgs) -> Result<(String, bool), ServiceError> {
    let home = crate::project::home_dir().ok_or(ServiceError::NoHome)?;
    let manager = args.manager.manager.unwrap_or_else(Manager::native);
    let env = |k: &str| std::env::var_os(k);
    let path = definition_path(manager, &home, &env);
    let exe = crate::project::current_binary().map_err(ServiceError::Binary)?;
    let passed: Vec<(String, String)> = PASSED_ENV
        .iter()
        .filter_map(|k| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| ((*k).to_string(), v))
        })
        .collect();
    check_values(&exe, &passed)?;
    let text = match manager {
        Manager::Systemd => systemd_unit(&exe, args.listen, &passed),
        Manager::Launchd => launchd_plist(&exe, args.listen, &passed, &home),
    };
    write_atomic(&path, text.as_bytes()).map_err(|source| ServiceError::Write {
        path: path.clone(),
        source,
    })?;
    let mut out = format!("wrote {}\n", path.display());
    if args.no_start || args.manager.no_manager {
        let _ = writeln!(
            out,
            "not started; start it with: {}",
            start_hint(manager, &path)
        );
        return Ok((out, true));
    }
    let started = match manager {
        Manager::Systemd => run_manager("systemctl", &["--user", "daemon-reload"])
            .and_then(|_| run_manager("systemctl", &["--user", "enable", "--now", UNIT]))
            .and_then(|_| run_manager("systemctl", &["--user", "restart", UNIT])),
        Manager::Launchd => {
            let target = format!("gui/{}", uid());
            let _ = run_manager("launchctl", &["bootout", &format!("{target}/{LABEL}")]);
            run_manager(
                "launchctl",
                &["bootstrap", &target, &path.to_string_lossy()],
            )
        }
    };
    match started {
        Ok(_) => {
            let _ = writeln!(
                out,
                "started; listening on http://{}{}",
                args.listen,
                super::HOOK_PATH
            );
            let _ = writeln!(
                out,
                "next: posthook install --http --listen {}",
                args.listen
            );
            Ok((out, true))
        }
        Err(e) => {
            let _ = writeln!(out, "not started: {e}");
            let _ = writeln!(out, "start it by hand: {}", start_hint(manager, &path));
            Ok((out, false))
        }
    }
}

fn start_hint(manager: Manager, path: &Path) -> String {
    match manager {
        Manager::Systemd => {
            format!("systemctl --user daemon-reload && systemctl --user enable --now {UNIT}")
        }
        Manager::Launchd => format!("launchctl bootstrap gui/$(id -u) {}", path.display()),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The user's own directory: a link there (a dotfile manager's) is followed.
    let opts = crate::tools::atomic::WriteOpts {
        mode: None,
        follow_links: true,
    };
    crate::tools::atomic::write_atomic(path, bytes, opts)
}

/// Stops and disables the service and removes its definition.
pub(crate) fn uninstall(args: &ManagerArgs) -> Result<String, ServiceError> {
    let home = crate::project::home_dir().ok_or(ServiceError::NoHome)?;
    let manager = args.manager.unwrap_or_else(Manager::native);
    let env = |k: &str| std::env::var_os(k);
    let path = definition_path(manager, &home, &env);
    let mut out = String::new();
    if !args.no_manager {
        let stopped = match manager {
            Manager::Systemd => run_manager("systemctl", &["--user", "disable", "--now", UNIT]),
            Manager::Launchd => {
                run_manager("launchctl", &["bootout", &format!("gui/{}/{LABEL}", uid())])
            }
        };
        if let Err(e) = stopped {
            let _ = writeln!(out, "note: {e}");
        }
    }
    match std::fs::remove_file(&path) {
        Ok(()) => {
            let _ = writeln!(out, "removed {}", path.display());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(out, "no service definition at {}", path.display());
        }
        Err(source) => return Err(ServiceError::Remove { path, source }),
    }
    if manager == Manager::Systemd && !args.no_manager {
        let _ = run_manager("systemctl", &["--user", "daemon-reload"]);
    }
    Ok(out)
}

/// The `--listen` address written in a definition.
pub(crate) fn listen_of(definition: &str) -> Option<SocketAddr> {
    let after = definition.split("--listen").nth(1)?;
    let word = after
        .trim_start_matches(|c: char| {
            c == ' '
                || c == '<'
                || c.is_ascii_alphabetic()
                || c == '/'
                || c == '>'
                || c.is_whitespace()
        })
        .split(|c: char| c.is_whitespace() || c == '<' || c == '"')
        .next()?;
    word.parse().ok()
}

/// The service's state and whether the server answers. `bool`: healthy.
pub(crate) fn status(args: &StatusArgs) -> (String, bool) {
    let mut out = String::new();
    let manager = args.manager.manager.unwrap_or_else(Manager::native);
    let env = |k: &str| std::env::var_os(k);
    let definition = crate::project::home_dir().map(|h| definition_path(manager, &h, &env));
    let text = definition
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok());
    match (&definition, &text) {
        (Some(p), Some(_)) => {
            let _ = writeln!(out, "definition  {}", p.display());
        }
        (Some(p), None) => {
            let _ = writeln!(out, "definition  none ({} not found)", p.display());
        }
        (None, _) => {
            let _ = writeln!(out, "definition  unknown (HOME is not set)");
        }
    }
    if text.is_some() && !args.manager.no_manager {
        let state = match manager {
            Manager::Systemd => run_manager("systemctl", &["--user", "is-active", UNIT]),
            Manager::Launchd => {
                run_manager("launchctl", &["print", &format!("gui/{}/{LABEL}", uid())])
                    .map(|_| String::from("loaded"))
            }
        };
        let _ = writeln!(out, "manager     {}", state.unwrap_or_else(|e| e));
    }
    let addr = args
        .listen
        .or_else(|| text.as_deref().and_then(listen_of))
        .or_else(|| super::DEFAULT_LISTEN.parse().ok());
    let Some(addr) = addr else {
        return (out, false);
    };
    match super::client::health(addr) {
        Ok(h) => {
            let _ = writeln!(
                out,
                "server      answers at http://{addr}: {} session(s) held, round trip {:.2} ms (median of {}, new connection each)",
                h.sessions, h.median_ms, h.samples
            );
            (out, true)
        }
        Err(e) => {
            let _ = writeln!(out, "server      not answering at http://{addr}: {e}");
            let _ = writeln!(
                out,
                "            (http hooks fail open meanwhile: Claude Code gets no feedback)"
            );
            (out, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_name_the_binary_and_address() {
        let addr: SocketAddr = "127.0.0.1:47400".parse().expect("addr");
        let env = vec![("POSTHOOK_STATE_DIR".to_string(), "/s p/st%ate".to_string())];
        let u = systemd_unit(Path::new("/opt/post hook/posthook"), addr, &env);
        assert!(
            u.contains("ExecStart=\"/opt/post hook/posthook\" serve --listen 127.0.0.1:47400\n")
        );
        assert!(u.contains("Environment=\"POSTHOOK_STATE_DIR=/s p/st%%ate\"\n"));
        assert_eq!(listen_of(&u), Some(addr));
        let p = launchd_plist(
            Path::new("/opt/a&b/posthook"),
            addr,
            &env,
            Path::new("/Users/me"),
        );
        assert!(p.contains("<string>/opt/a&amp;b/posthook</string>"));
        assert!(p.contains("<string>127.0.0.1:47400</string>"));
        assert_eq!(listen_of(&p), Some(addr));
        // The program's path expands no variable: a doubled `$` would name another file.
        let u = systemd_unit(Path::new("/opt/$HOME/posthook"), addr, &[]);
        assert!(u.contains("ExecStart=\"/opt/$HOME/posthook\" serve"), "{u}");
    }

    #[test]
    fn templates_are_filled_whole_and_once() {
        let addr: SocketAddr = "[::1]:47400".parse().expect("addr");
        // A path that names a placeholder is written as is, not filled again.
        let exe = Path::new("/opt/{{LISTEN}}/posthook");
        let env = vec![("POSTHOOK_LOG".to_string(), "$A/\"q\"\\x".to_string())];
        let u = systemd_unit(exe, addr, &env);
        let exec = "\nExecStart=\"/opt/{{LISTEN}}/posthook\" serve --listen [::1]:47400\n";
        assert!(u.starts_with("# Written by") && u.contains(exec), "{u}");
        assert!(
            u.contains("\nEnvironment=\"POSTHOOK_LOG=$A/\\\"q\\\"\\\\x\"\n"),
            "{u}"
        );
        let bare = systemd_unit(Path::new("/opt/posthook"), addr, &[]);
        assert!(
            bare.contains(":47400\n# SIGTERM") && !bare.contains("{{"),
            "{bare}"
        );
        let p = launchd_plist(exe, addr, &env, Path::new("/Users/a<b"));
        assert!(
            p.starts_with("<?xml version=\"1.0\"") && p.matches("{{").count() == 1,
            "{p}"
        );
        assert!(p.contains("<key>POSTHOOK_LOG</key><string>$A/&quot;q&quot;\\x</string>"));
        assert!(p.contains("<string>/Users/a&lt;b/Library/Logs/posthook.log</string>"));
        assert!(p.contains(&format!("<key>Label</key><string>{LABEL}</string>")));
        assert_eq!((listen_of(&u), listen_of(&p)), (Some(addr), Some(addr)));
        let t = "doc\n\na {{X}} {{Y\n{{X}}\nb\n";
        assert_eq!(fill(t, &[("X", "")]), "a  {{Y\nb\n");
    }

    #[test]
    fn control_characters_are_refused() {
        let exe = Path::new("/opt/posthook");
        let ok = vec![("POSTHOOK_STATE_DIR".to_string(), "/s p/$x%y".to_string())];
        assert!(check_values(exe, &ok).is_ok());
        for v in ["/a\nExecStartPre=/bin/evil", "/a\rb", "/a\u{0}b", "/a\tb"] {
            let bad = vec![("POSTHOOK_STATE_DIR".to_string(), v.to_string())];
            let e = check_values(exe, &bad).expect_err(v).to_string();
            assert!(e.contains("POSTHOOK_STATE_DIR"), "{e}");
        }
        assert!(check_values(Path::new("/opt/a\nb/posthook"), &[]).is_err());
    }
}
