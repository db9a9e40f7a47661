//! Helpers for the hardening tests: snapshots of a dir, stored counts, logs, tmpfs mounts, and a
//! child's peak memory.

use crate::support::{bin, Sandbox};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every file under `dir` (recursively) with its bytes; symlinks as `-> target`.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(p: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        for e in rd.flatten() {
            let path = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&path).unwrap_or_default();
                out.insert(path, format!("-> {}", t.display()).into_bytes());
            } else if meta.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, &mut m);
    m
}

/// The log file a sandboxed run writes to when [`logged`] is used.
pub fn log_path(sb: &Sandbox) -> PathBuf {
    sb.dir.path().join("posthook.log")
}

/// The log so far (empty when none).
pub fn log_text(sb: &Sandbox) -> String {
    std::fs::read_to_string(log_path(sb)).unwrap_or_default()
}

/// Runs the hook with `payload` and `env`, logging at debug level to [`log_path`].
pub fn logged(
    sb: &Sandbox,
    env: &[(&str, &str)],
    payload: impl AsRef<[u8]>,
) -> crate::support::Done {
    let mut r = sb
        .cmd(&[])
        .env("POSTHOOK_LOG", log_path(sb))
        .env("POSTHOOK_LOG_LEVEL", "debug");
    for (k, v) in env {
        r = r.env(k, v);
    }
    r.stdin(payload).run()
}

/// `posthook session show ID --json`, parsed; `None` when the session is not stored.
pub fn show(sb: &Sandbox, id: &str) -> Option<serde_json::Value> {
    show_in(&sb.state_dir(), id)
}

/// [`show`] for any state dir.
pub fn show_in(state_dir: &Path, id: &str) -> Option<serde_json::Value> {
    let out = Command::new(bin())
        .args(["session", "show", id, "--json"])
        .env("POSTHOOK_STATE_DIR", state_dir)
        .env_remove("POSTHOOK_LOG")
        .output()
        .expect("run session show");
    if !out.status.success() {
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("session show prints JSON"))
}

/// The stored `events_total` of a session (`None` when not stored).
pub fn events_total(sb: &Sandbox, id: &str) -> Option<u64> {
    show(sb, id).and_then(|v| v["events_total"].as_u64())
}

/// A tmpfs mounted for one test; unmounted (lazily) when dropped.
pub struct Tmpfs {
    pub path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "256k") at `path`, which is created. `None` when mounting is
    /// not permitted here (not root, or no mount namespace rights): the caller then says so.
    pub fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs {
            path: path.to_path_buf(),
        })
    }

    /// Remounts read-only (or back read-write).
    pub fn remount(&self, read_only: bool) {
        let opt = if read_only {
            "remount,ro"
        } else {
            "remount,rw"
        };
        let st = Command::new("mount")
            .args(["-o", opt])
            .arg(&self.path)
            .status()
            .expect("run mount");
        assert!(st.success(), "remount {opt} {}", self.path.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .stderr(Stdio::null())
            .status();
    }
}

/// Says why a test that needs a tmpfs mount did not run its checks.
pub fn no_mount(what: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {what}: cannot mount a tmpfs here (needs root); run the suite as root to check it"
    );
}

/// How a measured run ended.
pub struct Measured {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The child's peak resident set, in bytes (from `wait4`).
    pub max_rss: u64,
    /// Bytes of stdin the child took before it exited (the writer stops at the first error).
    pub written: u64,
    /// Whether the writer was cut off by the child exiting (a broken pipe) before the end.
    pub cut_off: bool,
}

/// Forks and execs its arguments, waits for the child with `wait4` and writes the child's peak
/// RSS in bytes to the file named by its first argument; exits with the child's code.
const RSS_PROBE: &str = r#"
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"#;

/// Wraps `cmd` so that it runs as the grandchild of a small Python process.
///
/// Linux folds the high-water RSS of the memory a process had before `exec` into its
/// `ru_maxrss`; spawned straight from this test binary (hundreds of MiB while other tests run) the
/// hook would report the test binary's peak, not its own. Forked from a small process instead, it
/// reports at most that process's few MiB beside its own.
fn through_rss_probe(cmd: &Command, rss_file: &Path) -> Command {
    let mut probe = Command::new("python3");
    probe
        .arg("-c")
        .arg(RSS_PROBE)
        .arg(rss_file)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => probe.env(k, v),
            None => probe.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        probe.current_dir(dir);
    }
    probe
}

/// Reads all of `r` on a thread of its own (a child's stdout or stderr, so that neither pipe can
/// fill up and stall it while the other is read).
pub fn read_in_thread(
    mut r: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

/// Runs `cmd` with `total` bytes of stdin produced by `chunk(i)` calls, and measures the child's
/// peak RSS with `wait4` (through [`through_rss_probe`]). The writer stops at the first write
/// error.
pub fn measure(
    cmd: Command,
    total: u64,
    mut chunk: impl FnMut(u64) -> Vec<u8> + Send + 'static,
) -> Measured {
    let rss_dir = tempfile::tempdir().expect("tempdir");
    let rss_file = rss_dir.path().join("max_rss");
    let mut child = through_rss_probe(&cmd, &rss_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the RSS probe (python3)");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let mut written = 0u64;
        let mut i = 0;
        while written < total {
            let mut c = chunk(i);
            i += 1;
            let left = usize::try_from(total - written).unwrap_or(usize::MAX);
            c.truncate(left);
            match stdin.write_all(&c) {
                Ok(()) => written += c.len() as u64,
                Err(_) => return (written, true),
            }
        }
        (written, false)
    });
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let o = crate::harness::read_in_thread(out);
    let e = crate::harness::read_in_thread(err);
    let status = child.wait().expect("wait");
    let (written, cut_off) = writer.join().expect("writer");
    let max_rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .expect("the RSS probe wrote the child's peak RSS");
    Measured {
        code: status.code(),
        stdout: o.join().expect("stdout"),
        stderr: e.join().expect("stderr"),
        max_rss,
        written,
        cut_off,
    }
}

/// The real transcripts the tests replay (`tests/data/transcripts`).
pub fn transcripts() -> PathBuf {
    crate::support::transcripts_dir()
}
