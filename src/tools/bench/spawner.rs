//! Launching measured processes from a small helper process, so their peak RSS is their own.
//!
//! Linux charges a child with its parent's resident set: at `exec`, the kernel folds the high-water
//! RSS of the memory the child had until then (its parent's, under `vfork`/`posix_spawn`, or a
//! copy of it under `fork`) into the child's `ru_maxrss`. A hook spawned straight from the
//! benchmark would therefore report at least the benchmark's own peak RSS. The benchmark instead
//! starts `posthook bench-spawner` (a fresh process with a few MiB resident) and asks it, one line
//! of JSON per run, to spawn and time each hook. The hook's `ru_maxrss` is then bounded below by
//! the helper's peak only, which the helper reports (`spawner_max_rss`) so the bound is visible.

use super::measure::{RunSample, Spawner};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

#[derive(Serialize, Deserialize)]
struct Request {
    label: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    payload: PathBuf,
    state_dir: PathBuf,
    scratch: PathBuf,
}

#[derive(Serialize, Deserialize, Default)]
struct Response {
    error: Option<String>,
    wall_ns: u64,
    user_ns: u64,
    system_ns: u64,
    max_rss: u64,
    exit: Option<i32>,
    stderr_len: u64,
    stdout_len: u64,
    spawner_max_rss: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// This process's peak RSS in bytes, from `/proc/self/status` (0 where unavailable).
fn own_max_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn handle(line: &str) -> Response {
    let req: Request = match serde_json::from_str(line) {
        Ok(r) => r,
        Err(e) => {
            return Response {
                error: Some(format!("bad request: {e}")),
                ..Response::default()
            }
        }
    };
    let payload = match std::fs::read(&req.payload) {
        Ok(p) => p,
        Err(e) => {
            return Response {
                error: Some(format!("reading payload '{}': {e}", req.payload.display())),
                ..Response::default()
            }
        }
    };
    let args: Vec<&str> = req.args.iter().map(String::as_str).collect();
    let mut sp = Spawner::new(&req.label, &req.program, &args);
    for (k, v) in &req.env {
        sp = sp.env(k, v);
    }
    match sp.run(&payload, &req.state_dir, &req.scratch) {
        Ok(s) => Response {
            error: None,
            wall_ns: nanos(s.wall),
            user_ns: nanos(s.user),
            system_ns: nanos(s.system),
            max_rss: s.max_rss,
            exit: s.exit,
            stderr_len: s.stderr_len,
            stdout_len: s.stdout_len,
            spawner_max_rss: own_max_rss(),
        },
        Err(e) => Response {
            error: Some(format!("running `{}`: {e}", req.label)),
            ..Response::default()
        },
    }
}

/// `posthook bench-spawner`: serves spawn requests from stdin until it closes.
pub(crate) fn serve() -> std::process::ExitCode {
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let resp = handle(&line);
        let mut bytes = serde_json::to_vec(&resp).unwrap_or_default();
        bytes.push(b'\n');
        if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}

/// A running helper.
pub(super) struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The helper's peak RSS seen so far (bytes): the lower bound of every `max_rss` it reports.
    pub max_rss: u64,
}

impl Helper {
    /// Starts `exe bench-spawner`.
    pub(super) fn start(exe: &Path) -> io::Result<Helper> {
        let mut child = Command::new(exe)
            .arg("bench-spawner")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        Ok(Helper {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            max_rss: 0,
        })
    }

    fn run(
        &mut self,
        sp: &Spawner,
        payload: &[u8],
        state_dir: &Path,
        scratch: &Path,
    ) -> io::Result<RunSample> {
        let payload_path = scratch.join("payload");
        std::fs::write(&payload_path, payload)?;
        let (program, args, env) = sp.parts();
        let req = Request {
            label: sp.label.clone(),
            program,
            args,
            env,
            payload: payload_path,
            state_dir: state_dir.to_path_buf(),
            scratch: scratch.to_path_buf(),
        };
        let mut line = serde_json::to_vec(&req).map_err(io::Error::other)?;
        line.push(b'\n');
        self.stdin.write_all(&line)?;
        self.stdin.flush()?;
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err(io::Error::other("the spawner helper exited"));
        }
        let r: Response = serde_json::from_str(&answer).map_err(io::Error::other)?;
        if let Some(e) = r.error {
            return Err(io::Error::other(e));
        }
        self.max_rss = self.max_rss.max(r.spawner_max_rss);
        Ok(RunSample {
            wall: Duration::from_nanos(r.wall_ns),
            user: Duration::from_nanos(r.user_ns),
            system: Duration::from_nanos(r.system_ns),
            max_rss: r.max_rss,
            exit: r.exit,
            stderr_len: r.stderr_len,
            stdout_len: r.stdout_len,
        })
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        // Closing its stdin ends the helper's loop; reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How measured processes are started: through a helper (clean RSS) or directly.
pub(super) enum Launcher {
    /// Spawned by the benchmark itself: peak RSS includes the benchmark's.
    Direct,
    /// Spawned by a `posthook bench-spawner` helper.
    Helper(Box<Helper>),
}

impl Launcher {
    /// A helper-backed launcher, or `Direct` when the helper cannot start.
    pub(super) fn start(exe: &Path) -> Launcher {
        match Helper::start(exe) {
            Ok(h) => Launcher::Helper(Box::new(h)),
            Err(e) => {
                tracing::warn!(error = %e, "bench-spawner helper unavailable; spawning directly");
                Launcher::Direct
            }
        }
    }

    /// Runs `sp` once with `payload` on stdin.
    pub(super) fn run(
        &mut self,
        sp: &Spawner,
        payload: &[u8],
        state_dir: &Path,
        scratch: &Path,
    ) -> io::Result<RunSample> {
        match self {
            Launcher::Direct => sp.run(payload, state_dir, scratch),
            Launcher::Helper(h) => h.run(sp, payload, state_dir, scratch),
        }
    }

    /// The peak RSS of the process that spawns the measured ones (0 when spawned directly, where
    /// the bound is the benchmark's own RSS).
    pub(super) fn spawner_max_rss(&self) -> Option<u64> {
        match self {
            Launcher::Direct => None,
            Launcher::Helper(h) => Some(h.max_rss),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_handle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let payload = dir.path().join("p");
        std::fs::write(&payload, b"hello").expect("payload");
        let req = Request {
            label: "t".into(),
            program: "sh".into(),
            args: vec!["-c".into(), "cat; exit 2".into()],
            env: vec![],
            payload,
            state_dir: dir.path().join("state"),
            scratch: dir.path().to_path_buf(),
        };
        let r = handle(&serde_json::to_string(&req).expect("json"));
        assert_eq!(r.error, None);
        assert_eq!(r.exit, Some(2));
        assert_eq!(r.stdout_len, 5);
        assert!(r.max_rss > 0 && r.wall_ns > 0);
        assert!(handle("not json").error.is_some());
    }
}
