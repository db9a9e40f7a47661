//! One measured process run: spawn, feed the payload on stdin, wait, and read the child's own
//! resource usage from the kernel.
//!
//! CPU time and peak RSS come from `wait4(2)` for that one child (including descendants it waited
//! for, e.g. the interpreter behind `sh -c`), never from the benchmark process. The child's stdout
//! and stderr go to files rather than pipes, so no reader thread runs while the child is timed.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wait4::Wait4;

/// Payloads up to this size are written before waiting: they fit in a Linux pipe buffer (64 KiB)
/// so the write cannot block on a child that never reads. Larger ones are written from a thread.
const INLINE_STDIN: usize = 60 * 1024;

/// What to run for each call.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Spawner {
    /// Shown in reports: `posthook`, `floor`, or the hook command.
    pub label: String,
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Spawner {
    /// Runs `program args...` directly.
    pub(crate) fn new(label: &str, program: impl Into<OsString>, args: &[&str]) -> Spawner {
        Spawner {
            label: label.to_string(),
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            env: Vec::new(),
        }
    }

    /// Runs `sh -c command`, as Claude Code runs a hook command.
    pub(crate) fn shell(command: &str) -> Spawner {
        Spawner {
            label: command.to_string(),
            ..Spawner::new("", "sh", &["-c", command])
        }
    }

    /// Adds an environment variable for the child.
    pub(crate) fn env(mut self, k: &str, v: impl Into<OsString>) -> Spawner {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Runs once with `payload` on stdin and `state_dir` as `POSTHOOK_STATE_DIR`; the child's
    /// stdout and stderr are written to files under `scratch`.
    pub(crate) fn run(
        &self,
        payload: &[u8],
        state_dir: &Path,
        scratch: &Path,
    ) -> io::Result<RunSample> {
        let out_path = scratch.join("stdout");
        let err_path = scratch.join("stderr");
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("POSTHOOK_STATE_DIR", state_dir)
            .env_remove("POSTHOOK_LOG")
            .stdin(Stdio::piped())
            .stdout(File::create(&out_path)?)
            .stderr(File::create(&err_path)?);
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        let mut stdin = child.stdin.take();
        let used = if payload.len() <= INLINE_STDIN {
            if let Some(s) = stdin.as_mut() {
                // A hook may exit without reading its stdin: a broken pipe is its business.
                let _ = s.write_all(payload);
            }
            drop(stdin);
            child.wait4()?
        } else {
            std::thread::scope(|scope| {
                scope.spawn(move || {
                    if let Some(mut s) = stdin {
                        let _ = s.write_all(payload);
                    }
                });
                child.wait4()
            })?
        };
        let wall = start.elapsed();
        let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        Ok(RunSample {
            wall,
            user: used.rusage.utime,
            system: used.rusage.stime,
            max_rss: used.rusage.maxrss,
            exit: used.status.code(),
            stderr_len: len(&err_path),
            stdout_len: len(&out_path),
        })
    }
}

/// One run of a hook process: wall time from spawn to reaped, the child's own CPU times and peak
/// RSS (bytes), its exit code (`None` when killed by a signal), the bytes it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RunSample {
    pub wall: Duration,
    pub user: Duration,
    pub system: Duration,
    pub max_rss: u64,
    pub exit: Option<i32>,
    pub stderr_len: u64,
    pub stdout_len: u64,
}

impl RunSample {
    /// The hook answered as the protocol allows: exit 0, or 2 for blocking feedback.
    pub(crate) fn success(&self) -> bool {
        matches!(self.exit, Some(0 | 2))
    }

    /// The hook gave Claude feedback: text on stderr with exit 2, or JSON on stdout with exit 0.
    pub(crate) fn feedback(&self) -> bool {
        match self.exit {
            Some(2) => self.stderr_len > 0,
            Some(0) => self.stdout_len > 0,
            _ => false,
        }
    }

    /// User plus system CPU time.
    pub(crate) fn cpu(&self) -> Duration {
        self.user + self.system
    }
}

/// A scratch directory for one benchmark (`$TMPDIR/posthook-bench-<pid>-<tag>`), removed on drop.
#[derive(Debug)]
pub(super) struct Scratch {
    pub root: PathBuf,
}

impl Scratch {
    pub(super) fn new(tag: &str) -> io::Result<Scratch> {
        let root =
            std::env::temp_dir().join(format!("posthook-bench-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root)?;
        Ok(Scratch { root })
    }

    /// A fresh, empty state dir under the scratch dir, named `name`.
    pub(super) fn fresh_state(&self, name: &str) -> io::Result<PathBuf> {
        let p = self.root.join(name);
        match std::fs::remove_dir_all(&p) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(p),
        }
    }

    /// A sub-directory that exists.
    pub(super) fn dir(&self, name: &str) -> io::Result<PathBuf> {
        let p = self.root.join(name);
        std::fs::create_dir_all(&p)?;
        Ok(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_and_success_follow_the_protocol() {
        let s = |exit, stderr_len, stdout_len| RunSample {
            wall: Duration::from_millis(2),
            user: Duration::from_micros(500),
            system: Duration::from_micros(500),
            max_rss: 1,
            exit,
            stderr_len,
            stdout_len,
        };
        assert!(s(Some(2), 10, 0).feedback() && s(Some(2), 10, 0).success());
        assert!(s(Some(0), 0, 40).feedback());
        assert!(!s(Some(0), 0, 0).feedback());
        assert!(!s(Some(1), 30, 0).feedback() && !s(Some(1), 30, 0).success());
        assert!(!s(None, 0, 0).success());
    }

    #[test]
    fn measures_the_childs_cpu_and_output() {
        let scratch = Scratch::new("measure-test").expect("scratch");
        let state = scratch.fresh_state("state").expect("state");
        // The child burns CPU on its own: its user time must show up, and its output lengths.
        let sp = Spawner::shell(
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; cat >/dev/null; printf abc >&2; exit 2",
        );
        let r = sp.run(b"{}", &state, &scratch.root).expect("runs");
        assert_eq!(r.exit, Some(2));
        assert_eq!(r.stderr_len, 3);
        assert!(r.feedback());
        assert!(r.cpu() > Duration::ZERO, "{r:?}");
        assert!(r.max_rss > 0);
        assert!(r.wall >= r.cpu() / 2, "{r:?}");
    }
}
