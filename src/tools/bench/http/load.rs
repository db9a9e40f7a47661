//! The http mode's concurrent loads: 64 clients with a new connection per request (paced or as
//! fast as they can), and the fillers that give a fresh server its held sessions.

use super::server::{post, with_session, Served};
use super::{ms, CLIENTS, FILLERS, HELD_EVENTS, PER_CLIENT, SESSIONS};
use crate::tools::bench::error::BenchError;
use crate::tools::serve::client::Client;
use std::path::Path;
use std::time::{Duration, Instant};

/// One concurrent run: sorted round trips and the events per second achieved.
pub(super) struct Load {
    /// From when each request was due (a client that woke late is charged for it).
    pub(super) ms: Vec<f64>,
    /// From when each request was actually sent (connect to answer).
    pub(super) sent_ms: Vec<f64>,
    pub(super) events_per_s: f64,
}

/// [`CLIENTS`] clients x [`PER_CLIENT`] events, new connection each; `rate`: events/s in all,
/// spread evenly over the clients (`None`: each sends its next event as soon as it has the answer).
pub(super) fn load(
    server: &Served,
    payloads: &[Vec<u8>],
    rate: Option<f64>,
) -> Result<Load, BenchError> {
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

/// The resident memory (current, peak; KiB) of a fresh server once it holds [`SESSIONS`]
/// sessions of [`HELD_EVENTS`] events each, filled on [`FILLERS`] kept-alive connections.
pub(super) fn held_rss(
    exe: &Path,
    dir: &Path,
    payloads: &[Vec<u8>],
) -> Result<(u64, u64), BenchError> {
    let server = Served::start(exe, dir)?;
    let fill: Vec<Result<(), BenchError>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..FILLERS)
            .map(|f| {
                let server = &server;
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
    Ok(rss_kib)
}
