//! Launching measured processes from a small helper process, so their peak RSS is their own.
//!
//! Linux charges a child with its parent's resident set: at `exec`, the kernel folds the high-water
//! RSS of the memory the child had until then (its parent's, under `vfork`/`posix_spawn`, or a
//! copy of it under `fork`) into the child's `ru_maxrss`. A hook spawned straight from the
//! benchmark would therefore report at least the benchmark's own peak RSS. The benchmark instead
//! starts `posthook bench-spawner` (a fresh process with a few MiB resident) and asks it, one line
//! of JSON per run, to spawn and time each hook. The hook's `ru_maxrss` is then bounded below by
//! the helper's peak only, which the helper reports so the bound is visible.

use super::measure::{RunSample, Spawner};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

#[derive(Serialize, Deserialize)]
struct Request {
    spawner: Spawner,
    payload: PathBuf,
    state_dir: PathBuf,
    scratch: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Response {
    sample: Result<RunSample, String>,
    spawner_max_rss: u64,
}

/// This process's peak RSS in bytes, from `/proc/self/status` (0 where unavailable).
fn own_max_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = (status.lines())
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kib.map_or(0, |k| k * 1024)
}

fn handle(line: &str) -> Result<RunSample, String> {
    let req: Request = serde_json::from_str(line).map_err(|e| format!("bad request: {e}"))?;
    let payload = std::fs::read(&req.payload)
        .map_err(|e| format!("reading payload '{}': {e}", req.payload.display()))?;
    (req.spawner.run(&payload, &req.state_dir, &req.scratch))
        .map_err(|e| format!("running `{}`: {e}", req.spawner.label))
}

/// `posthook bench-spawner`: serves spawn requests from stdin until it closes.
pub(crate) fn serve() -> std::process::ExitCode {
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let resp = Response {
            sample: handle(&line),
            spawner_max_rss: own_max_rss(),
        };
        let line = serde_json::to_string(&resp).unwrap_or_default();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}

/// A running `posthook bench-spawner`, which spawns and times the measured processes.
pub(super) struct Launcher {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The helper's peak RSS seen so far (bytes): the lower bound of every peak RSS it reports.
    pub max_rss: u64,
}

impl Launcher {
    /// Starts `exe bench-spawner`.
    pub(super) fn start(exe: &Path) -> io::Result<Launcher> {
        let mut child = Command::new(exe)
            .arg("bench-spawner")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("no pipe to the spawner helper"));
        };
        Ok(Launcher {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            max_rss: 0,
        })
    }

    /// Runs `sp` once with `payload` on stdin.
    pub(super) fn run(
        &mut self,
        sp: &Spawner,
        payload: &[u8],
        state_dir: &Path,
        scratch: &Path,
    ) -> io::Result<RunSample> {
        let req = Request {
            spawner: sp.clone(),
            payload: scratch.join("payload"),
            state_dir: state_dir.to_path_buf(),
            scratch: scratch.to_path_buf(),
        };
        std::fs::write(&req.payload, payload)?;
        let line = serde_json::to_string(&req).map_err(io::Error::other)?;
        writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush())?;
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err(io::Error::other("the spawner helper exited"));
        }
        let r: Response = serde_json::from_str(&answer).map_err(io::Error::other)?;
        self.max_rss = self.max_rss.max(r.spawner_max_rss);
        r.sample.map_err(io::Error::other)
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // Reap the helper so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
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
            spawner: Spawner::shell("cat; exit 2"),
            payload,
            state_dir: dir.path().join("state"),
            scratch: dir.path().to_path_buf(),
        };
        let r = handle(&serde_json::to_string(&req).expect("json")).expect("runs");
        assert_eq!(r.exit, Some(2));
        assert_eq!(r.stdout_len, 5);
        assert!(r.max_rss > 0 && r.wall > std::time::Duration::ZERO);
        assert!(handle("not json").is_err());
    }
}
