//! `posthook --bench --mode http`: `posthook serve` measured beside the spawned hook and the
//! floor, as Claude Code would reach each of them.
//!
//! Measured interleaved, one call of each kind per round so that drifts in machine load fall on
//! all alike: the hook spawned in exec form (payload on stdin), the floor (a minimal dynamically
//! linked Rust program that reads stdin and exits, built with `rustc -O` when rustc is on PATH,
//! else `posthook floor`), and the server with a new connection per request (what Claude Code
//! does) and with one kept-alive connection. Then 64 clients at once, new connection each: paced
//! to 5,000 events/s in all (round trip percentiles, counted from when each request was due), and
//! as fast as they can (events per second), clients and server sharing the machine. Last, the
//! resident memory of a fresh server once it holds 1,000 sessions of 70 events each (full
//! histories). The servers run with a temporary state dir and token; the figures include the
//! client's own work (connect, write, read).

mod load;
mod report;
mod rounds;
mod server;

use super::args::BenchArgs;
use super::error::BenchError;
use super::runner::Verdict;
use super::scenarios;
use load::{held_rss, load, Load};
use rounds::{interleaved, FloorProgram, Series};
use server::Served;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const CLIENTS: usize = 64;
const PER_CLIENT: usize = 100;
const SESSIONS: usize = 1_000;
/// Events sent to each held session: more than the 64 facts a history keeps.
const HELD_EVENTS: usize = 70;
/// Kept-alive connections that fill the held sessions.
const FILLERS: usize = 4;
const DEFAULT_ROUNDS: usize = 300;
/// The paced load: events per second from all clients together.
const PACED_RATE: f64 = 5_000.0;

/// `d` in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile of `sorted` (nearest rank), NaN when empty.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What the http mode measured.
struct Results {
    series: Vec<Series>,
    floor_kind: &'static str,
    paced: Load,
    saturated: Load,
    /// The server's CPU time per event in the unpaced load, in microseconds.
    server_cpu_per_event: f64,
    env: super::Environment,
    rss_kib: (u64, u64),
    rounds: usize,
}

/// The interleaved rounds, the two loads, then the memory of held sessions; `dir` holds the
/// servers' and the hook's state.
fn measure(args: &BenchArgs, dir: &Path) -> Result<Results, BenchError> {
    let machine = super::Environment::detect();
    let exe = crate::project::current_binary().map_err(|source| BenchError::OwnBinary {
        doing: "locating this binary",
        source,
    })?;
    let payloads: Vec<Vec<u8>> = scenarios::builtin()
        .into_iter()
        .flat_map(|s| s.payloads)
        .collect();
    if payloads.is_empty() {
        return Err(BenchError::Scenarios(String::from("no payloads")));
    }
    let floor = FloorProgram::build(dir, &exe);
    let server = Served::start(&exe, dir)?;
    let rounds = args.runs.unwrap_or(DEFAULT_ROUNDS).max(1);
    let series = interleaved(
        &exe,
        &dir.join("state-hook"),
        &floor,
        &server,
        &payloads,
        (rounds, args.warmup),
    )?;
    // 64 clients at once, new connection per request, each on its own session: first paced to
    // PACED_RATE events/s in all (latency counted from when each request was due, so a client
    // that falls behind is charged for it), then as fast as they can (the throughput).
    let paced = load(&server, &payloads, Some(PACED_RATE))?;
    let cpu_before = server.cpu();
    let saturated = load(&server, &payloads, None)?;
    let server_cpu_per_event = (server.cpu().saturating_sub(cpu_before)).as_secs_f64() * 1e6
        / saturated.ms.len().max(1) as f64;
    server.stop();
    // 1,000 sessions held, each given more events than the history keeps (so each is as large
    // as a session gets), on a few kept-alive connections, by a server that held nothing else
    // (the loads above leave 64 more sessions and what their threads freed).
    let rss_kib = held_rss(&exe, &dir.join("held"), &payloads)?;
    Ok(Results {
        series,
        floor_kind: floor.kind,
        paced,
        saturated,
        server_cpu_per_event,
        env: machine,
        rss_kib,
        rounds,
    })
}

/// Runs the http comparison and prints it. It judges nothing: once measured and written, the
/// verdict is a pass.
pub(super) fn run(args: &BenchArgs) -> Result<Verdict, BenchError> {
    let dir = std::env::temp_dir().join(format!("posthook-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| BenchError::Scratch {
        what: format!("'{}'", dir.display()),
        source,
    })?;
    let measured = measure(args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (text, json) = report::report(&measured?);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Some(p) = &args.export_json {
        std::fs::write(p, json.to_string() + "\n").map_err(|source| BenchError::Write {
            what: None,
            path: p.clone(),
            source,
        })?;
    }
    Ok(Verdict::Pass)
}
