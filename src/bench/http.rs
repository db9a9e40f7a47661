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

use super::args::BenchArgs;
use super::error::BenchError;
use super::runner::Verdict;
use super::scenarios;
use crate::serve::client::Client;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// One concurrent run: sorted round trips and the events per second achieved.
struct Load {
    /// From when each request was due (a client that woke late is charged for it).
    ms: Vec<f64>,
    /// From when each request was actually sent (connect to answer).
    sent_ms: Vec<f64>,
    events_per_s: f64,
}

/// [`CLIENTS`] clients x [`PER_CLIENT`] events, new connection each; `rate`: events/s in all,
/// spread evenly over the clients (`None`: each sends its next event as soon as it has the answer).
fn load(server: &Served, payloads: &[Vec<u8>], rate: Option<f64>) -> Result<Load, BenchError> {
    let start = Instant::now();
    let interval = rate.map(|r| Duration::from_secs_f64(CLIENTS as f64 / r));
    type Times = (Vec<f64>, Vec<f64>);
    let per: Vec<Result<Times, BenchError>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                sc.spawn(move || {
                    let mut v = Vec::with_capacity(PER_CLIENT);
                    let mut sent = Vec::with_capacity(PER_CLIENT);
                    // Staggered: client c starts c/CLIENTS of an interval late.
                    let offset = interval.map(|i| i.mul_f64(c as f64 / CLIENTS as f64));
                    for i in 0..PER_CLIENT {
                        let p =
                            with_session(&payloads[(c + i) % payloads.len()], &format!("load-{c}"));
                        let due = match (interval, offset) {
                            (Some(iv), Some(off)) => {
                                let due = start + off + iv.mul_f64(i as f64);
                                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                    std::thread::sleep(wait);
                                }
                                due
                            }
                            _ => Instant::now(),
                        };
                        let t = Instant::now();
                        let mut cl = Client::connect(server.addr).map_err(BenchError::Io)?;
                        post(&mut cl, &server.token, &p, false)?;
                        v.push(ms(due.elapsed()));
                        sent.push(ms(t.elapsed()));
                    }
                    Ok((v, sent))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(BenchError::Panicked("client"))))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let mut all = Vec::with_capacity(CLIENTS * PER_CLIENT);
    let mut sent = Vec::with_capacity(CLIENTS * PER_CLIENT);
    for r in per {
        let (v, s) = r?;
        all.extend(v);
        sent.extend(s);
    }
    all.sort_by(f64::total_cmp);
    sent.sort_by(f64::total_cmp);
    Ok(Load {
        events_per_s: all.len() as f64 / secs,
        ms: all,
        sent_ms: sent,
    })
}

const FLOOR_SOURCE: &str = "use std::io::Read;\nfn main() {\n    let mut v = Vec::new();\n    let _ = std::io::stdin().read_to_end(&mut v);\n}\n";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Series {
    name: &'static str,
    ms: Vec<f64>,
}

impl Series {
    fn sorted(&self) -> Vec<f64> {
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

struct Served {
    child: Child,
    addr: SocketAddr,
    token: String,
}

impl Served {
    fn start(exe: &Path, dir: &Path) -> Result<Served, BenchError> {
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
    fn cpu(&self) -> Duration {
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

    fn rss_kib(&self) -> (u64, u64) {
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

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn post(client: &mut Client, token: &str, payload: &[u8], keep: bool) -> Result<(), BenchError> {
    let a = client
        .request("POST", crate::serve::HOOK_PATH, Some(token), payload, keep)
        .map_err(BenchError::Io)?;
    if a.status == 200 {
        Ok(())
    } else {
        Err(BenchError::ServerStatus(a.status))
    }
}

fn with_session(payload: &[u8], session: &str) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(payload).unwrap_or_else(|_| json!({}));
    v["session_id"] = json!(session);
    v.to_string().into_bytes()
}

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
    let (floor, floor_args, floor_kind): (PathBuf, Vec<&str>, &'static str) = match build_floor(dir)
    {
        Some(p) => (p, Vec::new(), "a rustc -O program that reads stdin"),
        None => (
            exe.clone(),
            vec!["floor"],
            "`posthook floor` (rustc not found)",
        ),
    };
    let server = Served::start(&exe, dir)?;
    let hook_state = dir.join("state-hook");
    let env: [(&str, &Path); 1] = [("POSTHOOK_STATE_DIR", &hook_state)];
    let rounds = args.runs.unwrap_or(DEFAULT_ROUNDS).max(1);
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
    let warm = args.warmup;
    for round in 0..rounds + warm {
        let p = &payloads[round % payloads.len()];
        // Rotate the order: no kind always runs first, right after a pause.
        for k in 0..4 {
            match (round + k) % 4 {
                0 => {
                    let d = spawn_once(&exe, &[], &env, p)?;
                    if round >= warm {
                        hook.ms.push(ms(d));
                    }
                }
                1 => {
                    let d = spawn_once(&floor, &floor_args, &[], p)?;
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
    let server = Served::start(&exe, &dir.join("held"))?;
    let fill: Vec<Result<(), BenchError>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..FILLERS)
            .map(|f| {
                let server = &server;
                let payloads = &payloads;
                sc.spawn(move || {
                    let mut c = Client::connect(server.addr).map_err(BenchError::Io)?;
                    for i in 0..HELD_EVENTS {
                        for s in (f..SESSIONS).step_by(FILLERS) {
                            let p = with_session(
                                &payloads[(s + i) % payloads.len()],
                                &format!("held-{s}"),
                            );
                            post(&mut c, &server.token, &p, true)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(BenchError::Panicked("filler"))))
            .collect()
    });
    for r in fill {
        r?;
    }
    let rss_kib = server.rss_kib();
    server.stop();
    Ok(Results {
        series: vec![hook, floor_s, fresh, kept],
        floor_kind,
        paced,
        saturated,
        server_cpu_per_event,
        env: machine,
        rss_kib,
        rounds,
    })
}

fn report(r: &Results) -> (String, serde_json::Value) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let floor_median = pct(&r.series[1].sorted(), 0.5);
    let _ = writeln!(
        out,
        "posthook serve vs the spawned hook ({} rounds, interleaved; floor: {}; load average {:.2} at the start)",
        r.rounds, r.floor_kind, r.env.load_average
    );
    let _ = writeln!(
        out,
        "  {:<36} {:>8} {:>8} {:>8} {:>9}",
        "", "median", "p95", "p99", "x floor"
    );
    let mut rows = Vec::new();
    for s in &r.series {
        let v = s.sorted();
        let (m, p95, p99) = (pct(&v, 0.5), pct(&v, 0.95), pct(&v, 0.99));
        let _ = writeln!(
            out,
            "  {:<36} {:>6.3}ms {:>6.3}ms {:>6.3}ms {:>8.2}x",
            s.name,
            m,
            p95,
            p99,
            m / floor_median
        );
        rows.push(json!({"name": s.name, "median_ms": m, "p95_ms": p95, "p99_ms": p99, "vs_floor": m / floor_median, "n": v.len()}));
    }
    let cores = r.env.cores;
    let mut loads = Vec::new();
    for (what, l) in [
        (format!("paced to {PACED_RATE:.0}/s"), &r.paced),
        (String::from("as fast as they can"), &r.saturated),
    ] {
        let c = &l.ms;
        let _ = writeln!(
            out,
            "  {CLIENTS} clients x {PER_CLIENT} events, new connection each, {what}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (p99 {:.3} ms from the send); {:.0} events/s on {cores} core(s)",
            pct(c, 0.5),
            pct(c, 0.99),
            c.last().copied().unwrap_or(f64::NAN),
            pct(&l.sent_ms, 0.99),
            l.events_per_s,
        );
        loads.push(json!({"load": what, "clients": CLIENTS, "per_client": PER_CLIENT, "median_ms": pct(c, 0.5), "p99_ms": pct(c, 0.99), "p99_from_send_ms": pct(&l.sent_ms, 0.99), "events_per_s": l.events_per_s}));
    }
    let _ = writeln!(
        out,
        "  server CPU per event (user + system, unpaced load): {:.0} us",
        r.server_cpu_per_event
    );
    let _ = writeln!(
        out,
        "  server memory with {SESSIONS} sessions held, {HELD_EVENTS} events each (a fresh server): RSS {:.1} MiB, peak {:.1} MiB",
        r.rss_kib.0 as f64 / 1024.0,
        r.rss_kib.1 as f64 / 1024.0
    );
    let v = json!({
        "rounds": r.rounds,
        "cores": r.env.cores,
        "load_average": r.env.load_average,
        "floor": r.floor_kind,
        "series": rows,
        "concurrent": loads,
        "server_cpu_us_per_event": r.server_cpu_per_event, "rss_kib": r.rss_kib.0, "peak_rss_kib": r.rss_kib.1, "sessions_held": SESSIONS, "events_per_held_session": HELD_EVENTS,
    });
    (out, v)
}

/// Runs the http comparison and prints it. It judges nothing: once measured and written, the
/// verdict is a pass.
pub fn run(args: &BenchArgs) -> Result<Verdict, BenchError> {
    let dir = std::env::temp_dir().join(format!("posthook-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| BenchError::Scratch {
        what: format!("'{}'", dir.display()),
        source,
    })?;
    let measured = measure(args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (text, json) = report(&measured?);
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
