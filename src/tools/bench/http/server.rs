//! The http mode's `posthook serve`: started with a temporary state dir and token, its CPU time
//! and memory read from `/proc`, stopped; one hook request to it.

use crate::tools::bench::error::BenchError;
use crate::tools::serve::client::Client;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `posthook serve`.
pub(super) struct Served {
    child: Child,
    pub(super) addr: SocketAddr,
    pub(super) token: String,
}

impl Served {
    pub(super) fn start(exe: &Path, dir: &Path) -> Result<Served, BenchError> {
        let token_file = dir.join("serve.token");
        let mut child = Command::new(exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--token-file"])
            .arg(&token_file)
            .env("POSTHOOK_STATE_DIR", dir.join("state-serve"))
            .env_remove("POSTHOOK_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(BenchError::ServerStart)?;
        let mut first = String::new();
        if let Some(err) = child.stderr.take() {
            let mut r = BufReader::new(err);
            let _ = r.read_line(&mut first);
            // Keep draining its log so that it never blocks on a full pipe.
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut r, &mut std::io::sink());
            });
        }
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| BenchError::ServerSilent(first.trim().to_string()))?;
        let token = std::fs::read_to_string(&token_file)
            .map_err(BenchError::ServerToken)?
            .trim()
            .to_string();
        Ok(Served { child, addr, token })
    }

    /// The server's CPU time so far (user + system), from `/proc/<pid>/stat` (clock ticks of
    /// 10 ms: read over thousands of events, the error is a few percent).
    pub(super) fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command name (which may hold spaces) start after the last ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15; after the name the state (field 3) is index 0.
        // Ticks are USER_HZ, 100 per second on Linux.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    pub(super) fn rss_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub(super) fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Posts one hook event; anything but a 200 is an error.
pub(super) fn post(
    client: &mut Client,
    token: &str,
    payload: &[u8],
    keep: bool,
) -> Result<(), BenchError> {
    let a = client
        .request(
            "POST",
            crate::tools::serve::HOOK_PATH,
            Some(token),
            payload,
            keep,
        )
        .map_err(BenchError::Io)?;
    if a.status == 200 {
        Ok(())
    } else {
        Err(BenchError::ServerStatus(a.status))
    }
}

/// `payload` with its session id set to `session`.
pub(super) fn with_session(payload: &[u8], session: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(payload).unwrap_or_else(|_| json!({}));
    v["session_id"] = json!(session);
    v.to_string().into_bytes()
}
