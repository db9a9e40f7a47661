//! Readable units: durations from seconds, sizes from bytes.

/// A duration given in seconds, in the unit that keeps 3-4 significant digits: `812 ns`,
/// `12.4 µs`, `1.93 ms`, `1.20 s`.
pub(super) fn duration(secs: f64) -> String {
    let abs = secs.abs();
    if abs == 0.0 {
        "0".to_string()
    } else if abs < 1e-6 {
        format!("{:.0} ns", secs * 1e9)
    } else if abs < 1e-3 {
        format!("{} µs", sig(secs * 1e6))
    } else if abs < 1.0 {
        format!("{} ms", sig(secs * 1e3))
    } else {
        format!("{:.2} s", secs)
    }
}

/// Three significant digits for values in 1..1000.
fn sig(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A size in bytes: `512 B`, `3.4 KiB`, `7.9 MiB`, `1.2 GiB`.
pub(super) fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.1} KiB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MiB", f / (K * K))
    } else {
        format!("{:.1} GiB", f / (K * K * K))
    }
}

/// A share 0..=1 as a percentage: `97.5%`, `100%`.
pub(super) fn percent(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{:.0}%", p)
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0.0), "0");
        assert_eq!(duration(812e-9), "812 ns");
        assert_eq!(duration(12.44e-6), "12.4 µs");
        assert_eq!(duration(1.934e-3), "1.93 ms");
        assert_eq!(duration(0.2345), "234 ms");
        assert_eq!(duration(1.2), "1.20 s");
    }

    #[test]
    fn sizes_and_percentages() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3482), "3.4 KiB");
        assert_eq!(bytes(8_283_750), "7.9 MiB");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.975), "97.5%");
        assert_eq!(percent(0.0), "0%");
    }
}
