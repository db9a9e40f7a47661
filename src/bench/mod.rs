//! `posthook --bench`: the built-in self-benchmark.

mod scenarios;

pub use scenarios::{builtin as builtin_scenarios, Scenario};

use crate::runtime::Runtime;
use posthook_analyzers::{History, Settings};
use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Options of `posthook bench` / `posthook --bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Measured runs per scenario and mode.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn spawn_once(
    exe: &std::path::Path,
    args: &[&str],
    payload: &[u8],
    state: &std::path::Path,
) -> Duration {
    let t = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .env("POSTHOOK_STATE_DIR", state)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut child) = child {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(payload);
        }
        let _ = child.wait();
    }
    t.elapsed()
}

/// Runs the benchmark and prints the report.
pub fn run(args: &BenchArgs, settings: &Settings) -> ExitCode {
    let runs = args.runs.max(1);
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "posthook: cannot find own executable: {e}"
            );
            return ExitCode::FAILURE;
        }
    };
    let state = std::env::temp_dir().join(format!("posthook-bench-{}", std::process::id()));
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:>14} {:>14} {:>10}\n",
        "scenario", "in-process", "end-to-end", "vs floor"
    ));
    let mut floor: Vec<Duration> = (0..runs)
        .map(|_| spawn_once(&exe, &["floor"], b"{}", &state))
        .collect();
    let floor = median(&mut floor);
    for sc in builtin_scenarios() {
        let payloads: Vec<Vec<u8>> = sc
            .payloads
            .iter()
            .map(|p| p.to_string().into_bytes())
            .collect();
        let rt = Runtime::builder().settings(settings.clone()).build();
        let mut inproc = Vec::with_capacity(runs);
        for _ in 0..runs {
            let mut h = History::new();
            for p in &payloads {
                let t = Instant::now();
                if let Ok(Some(input)) = crate::input::parse(p, 0, None).map(Some) {
                    if let Some(call) = &input.call {
                        rt.process(call, &mut h);
                    }
                }
                inproc.push(t.elapsed());
            }
        }
        let mut e2e = Vec::with_capacity(runs);
        for _ in 0..runs {
            let _ = std::fs::remove_dir_all(&state);
            for p in &payloads {
                e2e.push(spawn_once(&exe, &[], p, &state));
            }
        }
        let e = median(&mut e2e);
        out.push_str(&format!(
            "{:<22} {:>11.1} us {:>11.3} ms {:>9.2}x\n",
            sc.name,
            median(&mut inproc).as_secs_f64() * 1e6,
            e.as_secs_f64() * 1e3,
            e.as_secs_f64() / floor.as_secs_f64().max(1e-9)
        ));
    }
    out.push_str(&format!(
        "floor (spawn, read stdin, exit): {:.3} ms (median of {runs})\n",
        floor.as_secs_f64() * 1e3
    ));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::SUCCESS
}
