//! `doctor`'s checks of what keeps an http entry from working or leaks its token: where the token
//! is (never in a file git commits; private), whether it is the server's, and the settings that
//! switch hooks off (`disableAllHooks` at any level; in managed settings `allowManagedHooksOnly`,
//! `allowedHttpHookUrls`, `httpHookAllowedEnvVars`).

use super::{fail, pass, warn, Check};
use crate::tools::install::http::{addr_of, is_posthook_http, posthook_http_hooks, TOKEN_VAR};
use crate::tools::install::{self, Scope};
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where Claude Code reads managed settings on this platform.
pub(crate) fn managed_path() -> PathBuf {
    if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/ClaudeCode/managed-settings.json")
    } else {
        PathBuf::from("/etc/claude-code/managed-settings.json")
    }
}

/// posthook's http hooks in a document (the hook objects themselves).
fn http_hooks(doc: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    install::hooks_of(doc)
        .map(|(_, _, h)| h)
        .filter(|h| is_posthook_http(h))
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob(tail, &text[head.len() + i..])
                })
        }
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array().map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    })
}

/// The settings that switch hooks off, given the managed settings (if any), the other levels'
/// documents, and posthook's http URLs.
pub(crate) fn switch_checks(
    managed: Option<&Map<String, Value>>,
    docs: &[(String, Map<String, Value>)],
    urls: &[String],
) -> Vec<Check> {
    let mut out = Vec::new();
    let managed_label = managed_path().display().to_string();
    let all = managed
        .map(|m| (managed_label.clone(), m))
        .into_iter()
        .chain(docs.iter().map(|(l, d)| (l.clone(), d)));
    for (label, doc) in all {
        if doc.get("disableAllHooks").and_then(Value::as_bool) == Some(true) {
            out.push(fail(
                format!("{label}: \"disableAllHooks\": true; Claude Code runs no hook, posthook's included"),
                format!("remove the key from {label} (managed settings: ask whoever manages them)"),
            ));
        }
    }
    let Some(m) = managed else { return out };
    let ask = format!("ask whoever manages {managed_label}");
    if m.get("allowManagedHooksOnly").and_then(Value::as_bool) == Some(true) {
        out.push(fail(
            format!("{managed_label}: \"allowManagedHooksOnly\": true; hooks in user, project and local settings (posthook's) are not run"),
            format!("{ask} to add posthook's entries there"),
        ));
    }
    if let Some(allowed) = strings(m.get("allowedHttpHookUrls")) {
        for url in urls.iter().filter(|u| !allowed.iter().any(|p| glob(p, u))) {
            out.push(fail(
                format!("{managed_label}: \"allowedHttpHookUrls\" does not allow {url}; Claude Code will not call posthook's server"),
                format!("{ask} to allow \"{url}\""),
            ));
        }
    }
    if let Some(allowed) = strings(m.get("httpHookAllowedEnvVars")) {
        for (var, why) in [
            (
                TOKEN_VAR,
                "the token arrives empty: every request is refused (401)",
            ),
            (
                "CLAUDE_PROJECT_DIR",
                "the project header arrives empty: the server falls back to the payload's cwd",
            ),
        ] {
            if !urls.is_empty() && !allowed.iter().any(|a| a == var) {
                let text =
                    format!("{managed_label}: \"httpHookAllowedEnvVars\" leaves out {var}; {why}");
                let fix = format!("{ask} to add {var}, or `posthook install --http --token-in header --scope local`");
                out.push(if var == TOKEN_VAR {
                    fail(text, fix)
                } else {
                    warn(text, fix)
                });
            }
        }
    }
    out
}

/// Where the token of one http entry comes from: the file holding it and its value.
fn token_source(
    scope: Scope,
    hook: &Value,
    docs: &[(Scope, PathBuf, Map<String, Value>)],
) -> Result<(PathBuf, String), String> {
    let auth = hook["headers"]
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default();
    let path_of = |s: Scope| docs.iter().find(|d| d.0 == s).map(|d| d.1.clone());
    if !auth.contains('$') {
        let token = auth
            .strip_prefix("Bearer ")
            .unwrap_or(auth)
            .trim()
            .to_string();
        return Ok((path_of(scope).unwrap_or_default(), token));
    }
    let allowed = strings(hook.get("allowedEnvVars")).unwrap_or_default();
    if !allowed.iter().any(|a| a == TOKEN_VAR) {
        return Err(format!("the header names ${TOKEN_VAR} but allowedEnvVars does not list it: Claude Code sends it empty"));
    }
    // Claude Code applies every level's `env`; the most specific wins.
    [Scope::Local, Scope::Project, Scope::User]
        .into_iter()
        .find_map(|s| {
            let d = docs.iter().find(|d| d.0 == s)?;
            let v = d.2.get("env")?.get(TOKEN_VAR)?.as_str()?;
            Some((d.1.clone(), v.to_string()))
        })
        .ok_or_else(|| format!("the header names ${TOKEN_VAR} but no settings file sets it in \"env\": Claude Code sends an empty token (401)"))
}

/// The token of every http entry: present, the server's, and not where git would commit it or
/// others could read it.
pub(crate) fn token_checks(
    project: &Path,
    docs: &[(Scope, PathBuf, Map<String, Value>)],
    server_token: Option<&str>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    let reinstall =
        "run `posthook install --http` again: it puts the token in a private, git-ignored file";
    for (scope, _, doc) in docs {
        for hook in http_hooks(doc) {
            let (file, token) = match token_source(*scope, hook, docs) {
                Ok(x) => x,
                Err(why) => {
                    out.push(fail(
                        format!("http entry ({}): {why}", scope.as_str()),
                        reinstall,
                    ));
                    continue;
                }
            };
            if seen.contains(&file) {
                continue;
            }
            seen.push(file.clone());
            out.push(holder_check(
                project,
                &file,
                &token,
                server_token,
                reinstall,
            ));
        }
    }
    out
}

fn holder_check(
    project: &Path,
    file: &Path,
    token: &str,
    server_token: Option<&str>,
    reinstall: &str,
) -> Check {
    let shown = file.display();
    if server_token
        .is_some_and(|t| !crate::tools::serve::token::matches(token.as_bytes(), t.as_bytes()))
    {
        return fail(
            format!("token in {shown}: not the server's (every request gets 401)"),
            reinstall,
        );
    }
    let in_project = file.starts_with(project);
    let rel = file
        .strip_prefix(project)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned();
    if in_project && (rel == ".claude/settings.json" || install::git::tracked(project, &rel)) {
        return fail(format!("token in {shown}: git commits this file, and the token with it"), format!("{reinstall}; then `git rm --cached {rel}` if it is tracked, and consider the token leaked: delete the token file and restart the server for a new one"));
    }
    let mode = std::fs::metadata(file).map_or(0, |m| m.permissions().mode() & 0o777);
    if mode & 0o077 != 0 {
        return warn(
            format!("token in {shown}: readable by others (mode {mode:o})"),
            format!("chmod 600 {shown}"),
        );
    }
    pass(format!(
        "token in {shown}: the server's, private (mode {mode:o}){}",
        if in_project { ", not committed" } else { "" }
    ))
}

/// `doctor`'s checks of posthook's http entries: for each server they name, whether it answers
/// with this user's token, and how long a round trip takes (new connection each, as Claude Code
/// connects). `commands_too`: posthook's command entries are registered as well.
pub(crate) fn doctor_checks(project: &Path, home: Option<&Path>, commands_too: bool) -> Vec<Check> {
    let mut addrs: Vec<(SocketAddr, String)> = Vec::new();
    let mut out = Vec::new();
    let docs: Vec<(install::Scope, std::path::PathBuf, Map<String, Value>)> = install::Scope::ALL
        .into_iter()
        .filter_map(|scope| {
            let path = install::settings_path(scope, project, home)?;
            let doc = install::read_settings(&path).ok()??;
            Some((scope, path, doc))
        })
        .collect();
    let urls: Vec<String> = docs
        .iter()
        .flat_map(|(_, _, d)| posthook_http_hooks(d).into_iter().map(|(_, u, _)| u))
        .collect();
    let managed = install::read_settings(&managed_path()).ok().flatten();
    let labelled: Vec<(String, Map<String, Value>)> = docs
        .iter()
        .map(|(_, p, d)| (p.display().to_string(), d.clone()))
        .collect();
    out.extend(switch_checks(managed.as_ref(), &labelled, &urls));
    if !urls.is_empty() {
        let env = |k: &str| std::env::var_os(k);
        let server_token = crate::tools::serve::token::default_path(&env)
            .and_then(|p| crate::tools::serve::token::load(&p).ok());
        out.extend(token_checks(project, &docs, server_token.as_deref()));
    }
    for (_, path, doc) in &docs {
        for (_, url, _) in posthook_http_hooks(doc) {
            match addr_of(&url) {
                Some(a) if !addrs.iter().any(|(x, _)| *x == a) => addrs.push((a, url)),
                Some(_) => {}
                None => out.push(fail(
                    format!(
                        "http entry in {}: url '{url}' is not http://ADDR:PORT/...",
                        path.display()
                    ),
                    "run `posthook install --http --listen 127.0.0.1:PORT` again",
                )),
            }
        }
    }
    if addrs.is_empty() {
        return out;
    }
    if commands_too {
        out.push(fail(
            String::from(
                "posthook is registered both as a command and as an http hook: each event is \
                 analyzed twice, Claude may be told twice, and the two write the same session \
                 files, each over the other's events",
            ),
            "keep one: `posthook uninstall --scope SCOPE` where the other kind is, then \
             `posthook install` (command) or `posthook install --http`",
        ));
    }
    out.extend(server_checks(addrs));
    out
}

/// For each server posthook's entries name: whether it answers, as this user, and how fast.
fn server_checks(addrs: Vec<(SocketAddr, String)>) -> Vec<Check> {
    let mut out = Vec::new();
    for (addr, url) in addrs {
        out.push(match crate::tools::serve::client::health(addr) {
            Ok(h) => pass(format!(
                "server {url}: answers, {} session(s) held, round trip {:.2} ms (median of {}, \
                 new connection each)",
                h.sessions, h.median_ms, h.samples
            )),
            Err(crate::tools::serve::client::HealthError::NotOurs(e)) => fail(
                format!(
                    "server {url}: {e}. Claude Code would send it every event and the token: \
                     that user can read them and answer in posthook's name"
                ),
                format!(
                    "find the process (`ss -ltnp 'sport = :{}'`), stop it or pick another port: \
                     `posthook install --http --listen 127.0.0.1:PORT` and `posthook serve \
                     --listen 127.0.0.1:PORT`",
                    addr.port()
                ),
            ),
            Err(e) => fail(
                format!(
                    "server {url}: does not answer ({e}); Claude Code's http hooks fail open, so \
                     Claude gets no feedback until it does"
                ),
                format!(
                    "start it: `posthook serve --listen {addr}` in a terminal, or `posthook service \
                     install --listen {addr}` to keep it running"
                ),
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn managed_settings_that_switch_posthook_off_fail() {
        let url = String::from("http://127.0.0.1:47311/hook");
        let m = obj(json!({
            "allowManagedHooksOnly": true,
            "allowedHttpHookUrls": ["https://hooks.example.com/*"],
            "httpHookAllowedEnvVars": ["CLAUDE_PROJECT_DIR"],
        }));
        let local = (String::from("local"), obj(json!({"disableAllHooks": true})));
        let c = switch_checks(Some(&m), &[local], std::slice::from_ref(&url));
        let text: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(c.len(), 4, "{text:#?}");
        assert!(c.iter().all(|c| c.status == Status::Fail), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("POSTHOOK_SERVE_ID")));
        let fine = obj(json!({
            "allowedHttpHookUrls": ["http://127.0.0.1:*"],
            "httpHookAllowedEnvVars": ["POSTHOOK_SERVE_ID", "CLAUDE_PROJECT_DIR"],
        }));
        assert!(switch_checks(Some(&fine), &[], &[url]).is_empty());
        assert!(glob(
            "http://127.0.0.1:*/hook",
            "http://127.0.0.1:47311/hook"
        ));
        assert!(!glob("http://localhost:*", "http://127.0.0.1:1/"));
    }

    #[test]
    fn tokens_are_found_and_judged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        let hook = crate::tools::install::http::http_hook(
            "127.0.0.1:1".parse().expect("addr"),
            "t0ken-t0ken-t0ken-t0ken-t0ken-t0ken",
            crate::tools::install::http::TokenIn::Env,
            5,
        );
        let shared = obj(json!({"hooks": {"PostToolUse": [{"matcher": "*", "hooks": [hook]}]}}));
        let local_path = p.join(".claude/settings.local.json");
        std::fs::create_dir_all(p.join(".claude")).expect("mkdir");
        std::fs::write(&local_path, "{}").expect("write");
        std::fs::set_permissions(&local_path, std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let missing = vec![(
            Scope::Project,
            p.join(".claude/settings.json"),
            shared.clone(),
        )];
        let c = token_checks(p, &missing, None);
        assert_eq!(c[0].status, Status::Fail, "{:?}", c[0].text);
        let mut docs = missing;
        docs.push((
            Scope::Local,
            local_path.clone(),
            obj(json!({"env": {TOKEN_VAR: "t0ken-t0ken-t0ken-t0ken-t0ken-t0ken"}})),
        ));
        let c = token_checks(p, &docs, Some("t0ken-t0ken-t0ken-t0ken-t0ken-t0ken"));
        assert_eq!(c[0].status, Status::Warn, "{:?}", c[0].text);
        std::fs::set_permissions(&local_path, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let c = token_checks(p, &docs, Some("t0ken-t0ken-t0ken-t0ken-t0ken-t0ken"));
        assert_eq!(c[0].status, Status::Pass, "{:?}", c[0].text);
        let c = token_checks(p, &docs, Some("another-another-another-another-ano"));
        assert_eq!(c[0].status, Status::Fail, "{:?}", c[0].text);
        // A token written literally into the shared file is a committed one.
        let literal = crate::tools::install::http::http_hook(
            "127.0.0.1:1".parse().expect("addr"),
            "t0ken-t0ken-t0ken-t0ken-t0ken-t0ken",
            crate::tools::install::http::TokenIn::Header,
            5,
        );
        let shared = obj(json!({"hooks": {"PostToolUse": [{"hooks": [literal]}]}}));
        let docs = vec![(Scope::Project, p.join(".claude/settings.json"), shared)];
        let c = token_checks(p, &docs, None);
        assert!(
            c[0].status == Status::Fail && c[0].text.contains("git commits"),
            "{:?}",
            c[0].text
        );
    }
}
