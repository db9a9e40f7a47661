//! The http mode's interleaved rounds: the hook spawned, the floor spawned, the server with a new
//! connection and with a kept-alive one, one call of each per round in a rotating order.

use super::ms;
use super::server::{post, Served};
use crate::tools::bench::error::BenchError;
use crate::tools::serve::client::Client;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FLOOR_SOURCE: &str = "use std::io::Read;\nfn main() {\n    let mut v = Vec::new();\n    let _ = std::io::stdin().read_to_end(&mut v);\n}\n";

/// The round trips of one kind of call, in ms.
pub(super) struct Series {
    pub(super) name: &'static str,
    pub(super) ms: Vec<f64>,
}

impl Series {
    pub(super) fn sorted(&self) -> Vec<f64> {
        let mut v = self.ms.clone();
        v.sort_by(f64::total_cmp);
        v
    }
}

/// The floor program: a `rustc -O` build of [`FLOOR_SOURCE`] in `dir`, or `None` without rustc.
fn build_floor(dir: &Path) -> Option<PathBuf> {
    let src = dir.join("floor.rs");
    let exe = dir.join("floor");
    std::fs::write(&src, FLOOR_SOURCE).ok()?;
    let ok = Command::new("rustc")
        .args(["-O", "--edition", "2021", "-o"])
        .arg(&exe)
        .arg(&src)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then_some(exe)
}

fn spawn_once(
    program: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    payload: &[u8],
) -> Result<Duration, BenchError> {
    let start = Instant::now();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|source| BenchError::Spawn {
        program: program.to_path_buf(),
        source,
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload);
    }
    child.wait().map_err(BenchError::Io)?;
    Ok(start.elapsed())
}

/// What stands for the floor: the program, its arguments, and what it is (for the report).
pub(super) struct FloorProgram {
    pub(super) path: PathBuf,
    pub(super) args: Vec<&'static str>,
    pub(super) kind: &'static str,
}

impl FloorProgram {
    /// The minimal program built in `dir`, else `posthook floor` (from `exe`).
    pub(super) fn build(dir: &Path, exe: &Path) -> FloorProgram {
        match build_floor(dir) {
            Some(p) => FloorProgram {
                path: p,
                args: Vec::new(),
                kind: "a rustc -O program that reads stdin",
            },
            None => FloorProgram {
                path: exe.to_path_buf(),
                args: vec!["floor"],
                kind: "`posthook floor` (rustc not found)",
            },
        }
    }
}

/// `rounds` rounds after `warm` unrecorded ones, each a call of every kind in a rotating order:
/// the hook (`exe`, its state in `hook_state`), the floor, the server with a new connection, the
/// server on one kept-alive connection. The series in that order.
pub(super) fn interleaved(
    exe: &Path,
    hook_state: &Path,
    floor: &FloorProgram,
    server: &Served,
    payloads: &[Vec<u8>],
    (rounds, warm): (usize, usize),
) -> Result<Vec<Series>, BenchError> {
    let env: [(&str, &Path); 1] = [("POSTHOOK_STATE_DIR", hook_state)];
    let mut hook = Series {
        name: "hook, spawned (exec form)",
        ms: Vec::new(),
    };
    let mut floor_s = Series {
        name: "floor, spawned",
        ms: Vec::new(),
    };
    let mut fresh = Series {
        name: "serve, new connection per request",
        ms: Vec::new(),
    };
    let mut kept = Series {
        name: "serve, one kept-alive connection",
        ms: Vec::new(),
    };
    let mut keep_client = Client::connect(server.addr).map_err(BenchError::Io)?;
    for round in 0..rounds + warm {
        let p = &payloads[round % payloads.len()];
        // Rotate the order: no kind always runs first, right after a pause.
        for k in 0..4 {
            match (round + k) % 4 {
                0 => {
                    let d = spawn_once(exe, &[], &env, p)?;
                    if round >= warm {
                        hook.ms.push(ms(d));
                    }
                }
                1 => {
                    let d = spawn_once(&floor.path, &floor.args, &[], p)?;
                    if round >= warm {
                        floor_s.ms.push(ms(d));
                    }
                }
                2 => {
                    let start = Instant::now();
                    let mut c = Client::connect(server.addr).map_err(BenchError::Io)?;
                    post(&mut c, &server.token, p, false)?;
                    if round >= warm {
                        fresh.ms.push(ms(start.elapsed()));
                    }
                }
                _ => {
                    let start = Instant::now();
                    post(&mut keep_client, &server.token, p, true)?;
                    if round >= warm {
                        kept.ms.push(ms(start.elapsed()));
                    }
                }
            }
        }
    }
    drop(keep_client);
    Ok(vec![hook, floor_s, fresh, kept])
}
