//! The http mode's report: the text printed and the JSON exported, from the results alone.

use super::{pct, Results, CLIENTS, HELD_EVENTS, PACED_RATE, PER_CLIENT, SESSIONS};
use serde_json::json;

/// The text and the JSON of `r`.
pub(super) fn report(r: &Results) -> (String, serde_json::Value) {
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
