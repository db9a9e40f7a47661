//! One event answered in memory: the project whose configuration applies (resolved as the hook
//! process resolves it there, kept warm), the hook's own answer, and that answer as HTTP.

use super::server::Server;
use super::CONFIG_TTL;
use crate::config;
use crate::exit;
use crate::hook::{self, HookOptions};
use crate::output::Rendered;
use crate::runtime::Runtime;
use crate::store::Store;
use posthook_analyzers::History;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

/// What one project's events are answered with: its configuration, resolved as the hook process
/// resolves it in that project, and a runtime built from it (kept warm across events).
pub(super) struct Project {
    opts: HookOptions,
    runtime: Runtime,
    store: Option<Store>,
    config: config::Config,
    /// When the configuration was last read.
    checked: Mutex<Instant>,
}
/// The payload's `cwd`, read without parsing the payload.
fn probe_cwd(body: &[u8]) -> Option<String> {
    crate::input::top_level_string(body, "cwd").filter(|s| !s.is_empty())
}

/// Maps the hook's answer to HTTP: what Claude Code reads from a 2xx body is what it reads from
/// the hook's stdout; exit 2 (blocking feedback on stderr) becomes its JSON equivalent; exit 1
/// (refused input) a 400 with the same line, which Claude Code treats as a non-blocking error.
pub(crate) fn http_answer(r: &Rendered) -> (u16, &'static str, Vec<u8>) {
    match r.code {
        exit::OK if r.stdout.is_empty() => (200, "application/json", b"{}".to_vec()),
        exit::OK => (200, "application/json", r.stdout.clone()),
        exit::BLOCKING => {
            let text = String::from_utf8_lossy(&r.stderr);
            let body = serde_json::json!({
                "decision": "block",
                "reason": text.trim_end_matches('\n'),
            });
            (200, "application/json", body.to_string().into_bytes())
        }
        _ => (400, "text/plain; charset=utf-8", r.stderr.clone()),
    }
}
impl Server {
    /// The project `key` names (the header's dir, or `cwd:` and the payload's cwd), its dir found
    /// by `find` only when the cached answer is older than [`CONFIG_TTL`]: the walk up to a git
    /// root costs a `stat` per level.
    fn project(&self, key: String, find: impl FnOnce() -> Option<PathBuf>) -> Arc<Project> {
        let cached = self
            .projects
            .lock()
            .ok()
            .and_then(|mut m| m.get(&key).cloned());
        if let Some(p) = &cached {
            let checked = *p
                .checked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if checked.elapsed() < CONFIG_TTL {
                return Arc::clone(p);
            }
        }
        let dir = find();
        let env = |k: &str| std::env::var_os(k);
        let resolved = config::resolve(&config::Inputs {
            flags: self.flags.clone(),
            env: &env,
            project_dir: dir.clone(),
        });
        for p in &resolved.problems {
            tracing::warn!(problem = %p, "configuration problem; the value falls back to the level below");
        }
        let project = match cached {
            // Unchanged: keep the warm runtime.
            Some(p) if p.config == resolved.config && p.opts.project_dir == dir_text(&dir) => {
                *p.checked
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
                return p;
            }
            _ => {
                let mut opts = crate::hook::options_from(&resolved);
                opts.project_dir = dir_text(&dir);
                // Over http there is no exit code: the JSON form says the same (and for a stop,
                // says it in the field the client shows once).
                if opts.output == crate::output::OutputMode::Stderr {
                    opts.output = crate::output::OutputMode::Json;
                }
                if resolved.config.learned_backoff {
                    opts.settings.quieted = crate::record::quieted(
                        opts.state_dir.as_deref(),
                        opts.project_dir.as_deref(),
                    );
                }
                let runtime = Runtime::builder()
                    .settings(opts.settings.clone())
                    .budget(opts.budget)
                    .build();
                let store = opts.state_dir.as_ref().map(|d| {
                    Store::new(d)
                        .with_lock_timeout(opts.lock_timeout)
                        .with_fsync(opts.fsync)
                });
                Arc::new(Project {
                    opts,
                    runtime,
                    store,
                    config: resolved.config,
                    checked: Mutex::new(Instant::now()),
                })
            }
        };
        if let Ok(mut m) = self.projects.lock() {
            m.put(key, Arc::clone(&project));
        }
        project
    }

    /// Answers one hook payload: `(status, content type, body)`; with an exporter, exports what
    /// the event's report holds.
    pub(crate) fn answer_event(
        &self,
        body: Vec<u8>,
        project_dir: Option<String>,
        export: Option<(&Exporter, Option<&str>, SystemTime)>,
    ) -> (u16, &'static str, Vec<u8>) {
        let now = SystemTime::now();
        let started = Instant::now();
        // The hook process's project is CLAUDE_PROJECT_DIR, which `install --http` passes in a
        // header; without it, the git root of the payload's cwd (the hook's own fallback).
        // A value the client did not substitute (`$CLAUDE_PROJECT_DIR` itself) or blanked is
        // no project dir.
        let project = match project_dir.filter(|d| d.starts_with('/')) {
            Some(d) => self.project(d.clone(), || Some(PathBuf::from(d))),
            None => match probe_cwd(&body) {
                Some(cwd) => self.project(format!("cwd:{cwd}"), || {
                    Some(crate::project::project_dir(None, &PathBuf::from(cwd)))
                }),
                None => self.project(String::new(), || None),
            },
        };
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let record = self.sessions.record();
            hook::answer_recorded(
                &project.opts,
                body,
                now,
                |event, now| {
                    let runtime = &project.runtime;
                    let facts = hook::StopFacts::find(project.opts.project_dir.as_deref(), event);
                    let run = |h: &mut History| {
                        facts.with_env(|env| {
                            runtime
                                .process_event_with(event, h, env)
                                .unwrap_or_else(|| {
                                    unreachable!("only recorded events are answered")
                                })
                        })
                    };
                    // Build the analyzers before the session's lock, as the hook does.
                    if let Some(call) = &event.call {
                        runtime.prepare(&call.tool);
                    }
                    let report = match &project.store {
                        Some(store) => self.sessions.update(store, &event.session_id, now, run),
                        None => {
                            tracing::warn!("no state dir: history not kept");
                            run(&mut History::new())
                        }
                    };
                    export_event(export, event, &report);
                    report
                },
                record,
            )
        }))
        .unwrap_or_else(|_| {
            tracing::error!("a request panicked; answered with no feedback");
            crate::record::panicked(&project.opts, started)
        });
        http_answer(&rendered)
    }
}

#[cfg(feature = "otlp")]
type Exporter = super::otlp::Exporter;
#[cfg(not(feature = "otlp"))]
type Exporter = ();

#[cfg(feature = "otlp")]
fn export_event(
    export: Option<(&Exporter, Option<&str>, SystemTime)>,
    event: &crate::input::HookInput,
    report: &crate::runtime::Report,
) {
    if let Some((x, traceparent, started)) = export {
        x.event(
            &super::otlp::EventFacts::of(event),
            report,
            traceparent,
            started,
        );
    }
}
#[cfg(not(feature = "otlp"))]
fn export_event(
    _: Option<(&Exporter, Option<&str>, SystemTime)>,
    _: &crate::input::HookInput,
    _: &crate::runtime::Report,
) {
}

fn dir_text(dir: &Option<PathBuf>) -> Option<String> {
    dir.as_ref().map(|d| d.to_string_lossy().into_owned())
}
