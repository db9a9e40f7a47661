//! `posthook --bench --mode http`: the server measured beside the spawned hook and the floor.

use crate::support::Sandbox;

#[test]
fn http_mode_reports_every_figure() {
    let sb = Sandbox::new();
    let out = sb
        .cmd(&["--bench", "--mode", "http", "--runs", "3", "--warmup", "0"])
        .run()
        .expect_code(0);
    let text = out.stdout();
    for row in [
        "hook, spawned (exec form)",
        "floor, spawned",
        "serve, new connection per request",
        "serve, one kept-alive connection",
        "64 clients x 100 events, new connection each, paced to 5000/s",
        "64 clients x 100 events, new connection each, as fast as they can",
        "server memory with 1000 sessions held, 70 events each (a fresh server)",
    ] {
        assert!(text.contains(row), "missing `{row}` in\n{text}");
    }
    // Every timed row carries a positive median.
    for line in text
        .lines()
        .filter(|l| l.starts_with("  ") && (l.contains("spawned") || l.contains("serve,")))
    {
        let median: f64 = line
            .split_whitespace()
            .find_map(|w| w.strip_suffix("ms").and_then(|n| n.parse().ok()))
            .unwrap_or_else(|| panic!("no median in `{line}`"));
        assert!(median > 0.0, "{line}");
    }
}
