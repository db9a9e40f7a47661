//! Instructions per call, counted by callgrind: the figure that stays put on a busy machine.
//!
//! Wall time on a shared machine moves with whatever else runs; the number of instructions a
//! process executes for the same input does not (valgrind counts them in a simulated CPU, whatever
//! the load). So each scenario's last call is also run once under `valgrind --tool=callgrind`,
//! against the same seeded state, and so is the floor. Where valgrind is missing this is skipped
//! and the report says so.

use super::measure::Spawner;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether `valgrind --tool=callgrind` can run here.
pub(super) fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The instructions `sp` executes for one call with `payload` on stdin and `state_dir` as its
/// state dir; `None` when callgrind did not run or its output could not be read.
pub(super) fn count(sp: &Spawner, payload: &[u8], state_dir: &Path, scratch: &Path) -> Option<u64> {
    let out = scratch.join("callgrind.out");
    let _ = std::fs::remove_file(&out);
    let payload_path = scratch.join("callgrind.stdin");
    std::fs::write(&payload_path, payload).ok()?;
    let (program, args, env) = sp.parts();
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(program)
        .args(args)
        .envs(env)
        .env("POSTHOOK_STATE_DIR", state_dir)
        .env_remove("POSTHOOK_LOG")
        .stdin(std::fs::File::open(&payload_path).ok()?)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    // The hook's own exit codes (0, 2) are answers; anything else is not a call to count.
    if !matches!(status.code(), Some(0 | 2)) {
        return None;
    }
    total(&std::fs::read_to_string(&out).ok()?)
}

/// The total of a callgrind output file: its `summary:` line (or `totals:` in older formats).
pub(super) fn total(callgrind_out: &str) -> Option<u64> {
    callgrind_out
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_callgrind_output() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nfn=main\n1 5\nsummary: 298320\n\n\ntotals: 298320\n";
        assert_eq!(total(text), Some(298_320));
        assert_eq!(total("events: Ir\ntotals: 12 3\n"), Some(12));
        assert_eq!(total("events: Ir\n"), None);
    }
}
