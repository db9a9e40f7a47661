//! Wall-clock readings as numbers. A leaf: the hook path and the tools both read it, and it reads
//! nothing.

use std::time::SystemTime;

/// Milliseconds since the Unix epoch at `t`: 0 before the epoch, `u64::MAX` past what fits.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn milliseconds_since_the_epoch() {
        assert_eq!(unix_ms(SystemTime::UNIX_EPOCH), 0);
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(unix_ms(t), 1_700_000_000_123);
        assert_eq!(unix_ms(SystemTime::UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
