//! The http hook entries `posthook install --http` writes for `posthook serve`, and how they are
//! recognized as posthook's own (for updating, uninstalling, and `doctor`).
//!
//! An entry: `{"type": "http", "url": "http://127.0.0.1:PORT/hook", "timeout": S, "headers":
//! {"Authorization": "Bearer …", "X-Posthook-Project-Dir": "$CLAUDE_PROJECT_DIR"},
//! "allowedEnvVars": [...]}`. The project header tells the server which project's configuration
//! applies, as `CLAUDE_PROJECT_DIR` tells the hook process; the server falls back to the git root
//! of the payload's `cwd` when the client sends it empty. The token is written either literally
//! (personal settings files) or as `$POSTHOOK_SERVE_ID` (a settings file that is committed), with
//! the variable's value put in the project's personal `.claude/settings.local.json` under `env`,
//! which Claude Code applies to its own environment at start.

use crate::tools::install::{self, io_err, InstallError};
use jsonc_parser::cst::CstObject;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::path::Path;

/// The header that marks an http entry as posthook's and carries the project dir.
pub(crate) const PROJECT_HEADER: &str = "X-Posthook-Project-Dir";
/// The variable the token travels in when it is not written literally. Claude Code interpolates
/// only names listed in `allowedEnvVars`, and blanks those it treats as its own credentials (a
/// fixed list of its tokens and keys); this name is kept clear of anything like them.
pub(crate) const TOKEN_VAR: &str = "POSTHOOK_SERVE_ID";

/// How the token gets into the entry's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TokenIn {
    /// Literally in the header (fine for a personal settings file).
    Header,
    /// As `$POSTHOOK_SERVE_ID`, whose value goes into `.claude/settings.local.json` `env`.
    Env,
}

/// Whether a hook entry is an http entry posthook wrote.
pub(crate) fn is_posthook_http(hook: &Value) -> bool {
    hook.get("type").and_then(Value::as_str) == Some("http")
        && hook
            .get("headers")
            .and_then(Value::as_object)
            .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case(PROJECT_HEADER)))
}

/// The http hook entry for a server at `listen`.
pub(crate) fn http_hook(
    listen: SocketAddr,
    token: &str,
    token_in: TokenIn,
    timeout_s: u64,
) -> Value {
    let (auth, mut allowed) = match token_in {
        TokenIn::Header => (format!("Bearer {token}"), Vec::new()),
        TokenIn::Env => (format!("Bearer ${{{TOKEN_VAR}}}"), vec![TOKEN_VAR]),
    };
    allowed.push("CLAUDE_PROJECT_DIR");
    json!({
        "type": "http",
        "url": format!("http://{listen}{}", crate::tools::serve::HOOK_PATH),
        "timeout": timeout_s,
        "headers": {
            "Authorization": auth,
            PROJECT_HEADER: "${CLAUDE_PROJECT_DIR}",
        },
        "allowedEnvVars": allowed,
    })
}

/// posthook's http entries in a settings document: `(event, url, timeout)`.
pub(crate) fn posthook_http_hooks(
    doc: &Map<String, Value>,
) -> Vec<(&'static str, String, Option<f64>)> {
    install::hooks_of(doc)
        .filter(|(_, _, h)| is_posthook_http(h))
        .map(|(event, _, h)| {
            let url = h.get("url").and_then(Value::as_str).unwrap_or_default();
            let timeout = h.get("timeout").and_then(Value::as_f64);
            (event, url.to_string(), timeout)
        })
        .collect()
}

/// The address of an `http://ADDR/...` URL.
pub(crate) fn addr_of(url: &str) -> Option<SocketAddr> {
    let rest = url.strip_prefix("http://")?;
    let host = rest.split('/').next()?;
    host.replace("localhost", "127.0.0.1").parse().ok()
}

/// Puts `TOKEN_VAR=token` into the `env` of the settings file at `path` (the project's personal
/// `.claude/settings.local.json`), keeping everything else; the file is made 0600. Returns whether
/// it changed.
pub(crate) fn put_token_env(path: &Path, token: &str) -> Result<bool, InstallError> {
    edit_env(path, |env| install::set_prop(env, TOKEN_VAR, &json!(token)))
}

/// Takes `TOKEN_VAR` out of the `env` of the settings file at `path` (and `env` itself when
/// nothing else is left in it). Returns whether it changed.
pub(crate) fn remove_token_env(path: &Path) -> Result<bool, InstallError> {
    let doc = install::read_settings(path)?.unwrap_or_default();
    if doc.get("env").and_then(|env| env.get(TOKEN_VAR)).is_none() {
        return Ok(false);
    }
    edit_env(path, |env| {
        if let Some(prop) = env.get(TOKEN_VAR) {
            prop.remove();
        }
    })
}

/// Applies `edit` to the `env` object of the settings file at `path` (in its syntax tree: the
/// rest of the file keeps its bytes); writes it (0600, a backup of the old file first) when that
/// changed the file.
fn edit_env(path: &Path, edit: impl FnOnce(&CstObject)) -> Result<bool, InstallError> {
    let opts = install::Scope::Local.write_opts(true);
    let change = install::edit_settings(path, false, opts, |path, tree, _| {
        let doc = tree.object_value_or_set();
        let Some(env) = install::object_or_append(&doc, "env") else {
            return Err(install::shape(path, "env", "an object"));
        };
        edit(&env);
        if let Some(prop) = doc.get("env").filter(|_| env.properties().is_empty()) {
            prop.remove();
        }
        Ok(())
    })?;
    Ok(change.changed)
}

/// `posthook install --http`: posthook's entries for the three events as http hooks for the
/// server at `--listen` (replacing its command entries), the token where `--token-in` says, and
/// whether the server answers now.
///
/// The token never goes into a file git would commit: not into the project's shared
/// `.claude/settings.json` (refused), not into a personal file git tracks (refused); the
/// personal file that holds it is made 0600 and added to the repository's `info/exclude`.
pub(crate) fn run_install_http(
    args: &install::InstallArgs,
    mut entry: install::Entry,
    path: &Path,
) -> Result<String, InstallError> {
    use std::fmt::Write as _;
    let env = |k: &str| std::env::var_os(k);
    let token_path =
        crate::tools::serve::token::default_path(&env).ok_or_else(|| InstallError::NoHome {
            path: std::path::PathBuf::from("~/.config/posthook/serve.token"),
        })?;
    let token_in = args
        .token_in
        .unwrap_or(if args.scope == install::Scope::Project {
            TokenIn::Env
        } else {
            TokenIn::Header
        });
    let holder = token_holder(args.scope, token_in, path)?;
    if let Err(crate::tools::serve::client::HealthError::NotOurs(e)) =
        crate::tools::serve::client::verify_owner(args.listen)
    {
        // Claude Code would send every event and the token to that process: write nothing.
        return Err(io_err(
            path,
            std::io::Error::other(format!(
                "not registering http://{}: {e}; pick another port with --listen",
                args.listen
            )),
        ));
    }
    let token = crate::tools::serve::token::load_or_create(&token_path)
        .map_err(|e| io_err(&token_path, e))?;
    let mut hook = http_hook(args.listen, &token, token_in, args.timeout);
    if args.on_failure_block {
        hook["onFailure"] = json!("block");
    }
    let url = hook["url"].as_str().unwrap_or_default().to_string();
    entry.http = Some(hook);
    let opts = args.scope.write_opts(token_in == TokenIn::Header);
    let change = install::apply(
        path,
        &install::Action::Install(Box::new(entry.clone())),
        args.dry_run,
        opts,
    )?;
    let mut out = String::new();
    install::report(
        &change,
        args.dry_run,
        "installed posthook (http hooks for `posthook serve`) in",
        "posthook is already installed as below in",
        &mut out,
    );
    for event in install::HOOK_EVENTS {
        let _ = writeln!(
            out,
            "  {event:<19} matcher {:?}: POST {url} (timeout {} s)",
            entry.matcher(event),
            entry.timeout_s
        );
    }
    token_lines(args, token_in, &token, &token_path, &mut out)?;
    if let Some(file) = holder.filter(|_| !args.dry_run) {
        exclude_line(&file, &mut out);
    }
    server_line(args, &token, &mut out);
    Ok(out)
}

/// The project file that will hold the token (`None`: none in the project, it goes to
/// `~/.claude/`); refuses a place git would commit.
fn token_holder(
    scope: install::Scope,
    token_in: TokenIn,
    path: &Path,
) -> Result<Option<std::path::PathBuf>, InstallError> {
    let refused = |file: &Path, why: &str| io_err(file, std::io::Error::other(why));
    let file = match (scope, token_in) {
        (install::Scope::User, TokenIn::Header) => return Ok(None),
        (install::Scope::Project, TokenIn::Header) => {
            return Err(refused(
                path,
                "is shared with the team (committed): --token-in header would put the \
                 server's token in it; use --token-in env (the default here) or --scope local",
            ))
        }
        (_, TokenIn::Env) => install::scope_path(install::Scope::Local)?,
        (install::Scope::Local, TokenIn::Header) => path.to_path_buf(),
    };
    let project = install::current_project_dir();
    let rel = file.strip_prefix(&project).unwrap_or(&file);
    if install::git::tracked(&project, &rel.to_string_lossy()) {
        return Err(refused(
            &file,
            "is tracked by git: the server's token written there would be committed; \
             `git rm --cached` it first, or install with --scope user",
        ));
    }
    Ok(Some(file))
}

/// Keeps the project file holding the token out of git, and says so.
fn exclude_line(file: &Path, out: &mut String) {
    use std::fmt::Write as _;
    match install::git::exclude(&install::current_project_dir()) {
        Ok(Some(x)) => {
            let _ = writeln!(
                out,
                "  {} is 0600 and git-ignored (in {}, which is not committed), as are \
                 posthook's backups beside it",
                file.display(),
                x.display()
            );
        }
        Ok(None) => {
            let _ = writeln!(
                out,
                "  {} is 0600 (not in a git repository: keep it out of version control)",
                file.display()
            );
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "warning: could not add {} to git's info/exclude ({e}): keep it out of commits",
                file.display()
            );
        }
    }
}

/// Where the token went (or would go, with `--dry-run`); with `--token-in env`, puts it in the
/// env of the project's personal settings file.
fn token_lines(
    args: &install::InstallArgs,
    token_in: TokenIn,
    token: &str,
    token_path: &Path,
    out: &mut String,
) -> Result<(), InstallError> {
    use std::fmt::Write as _;
    match token_in {
        TokenIn::Header => {
            let _ = writeln!(
                out,
                "  token: written in the Authorization header (from {}); the file is 0600",
                token_path.display()
            );
        }
        TokenIn::Env => {
            let local = install::scope_path(install::Scope::Local)?;
            if args.dry_run {
                let _ = writeln!(
                    out,
                    "  token: ${TOKEN_VAR}; would set it in the env of {}",
                    local.display()
                );
            } else {
                let changed = put_token_env(&local, token)?;
                let _ = writeln!(
                    out,
                    "  token: ${TOKEN_VAR} in the header; its value {} the env of {}",
                    if changed { "written to" } else { "already in" },
                    local.display()
                );
            }
        }
    }
    Ok(())
}

/// Whether the server answers at `--listen` now, and how to start it when it does not.
fn server_line(args: &install::InstallArgs, token: &str, out: &mut String) {
    use std::fmt::Write as _;
    match crate::tools::serve::client::health_with(args.listen, token) {
        Ok(h) => {
            let _ = writeln!(
                out,
                "  server: answers at http://{}, round trip {:.2} ms",
                args.listen, h.median_ms
            );
        }
        Err(crate::tools::serve::client::HealthError::NotOurs(e)) => {
            let _ = writeln!(
                out,
                "warning: {e}. Until that process is gone, Claude Code would send it every event \
                 and the token: pick another port with --listen"
            );
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "note: no server answers at http://{} ({e}): start it with `posthook serve --listen \
                 {0}` or `posthook service install --listen {0}`. Until it runs, {1}",
                args.listen,
                if args.on_failure_block {
                    "Claude Code reports a blocking error on every event (--on-failure-block)."
                } else {
                    "these hooks fail open: Claude Code goes on without feedback."
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_recognized_and_addressed() {
        let addr: SocketAddr = "127.0.0.1:47400".parse().expect("addr");
        let h = http_hook(addr, "t0k", TokenIn::Env, 5);
        assert!(is_posthook_http(&h));
        assert_eq!(h["headers"]["Authorization"], "Bearer ${POSTHOOK_SERVE_ID}");
        assert_eq!(
            h["allowedEnvVars"],
            json!(["POSTHOOK_SERVE_ID", "CLAUDE_PROJECT_DIR"])
        );
        let literal = http_hook(addr, "t0k", TokenIn::Header, 5);
        assert_eq!(literal["headers"]["Authorization"], "Bearer t0k");
        assert_eq!(addr_of(h["url"].as_str().expect("url")), Some(addr));
        assert!(!is_posthook_http(
            &json!({"type": "http", "url": "http://127.0.0.1:1/hook"})
        ));
    }
}
