//! The pattern cache: memoized classifications in an LRU, with hit and miss counters.

use lru::LruCache;
use posthook_analyzers::{fnv1a64, PatternCache};
use serde::Serialize;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counters of the pattern cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that computed.
    pub misses: u64,
    /// Entries held now.
    pub len: usize,
}

impl CacheStats {
    /// Share of lookups answered from the cache, 0..=1.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

/// The LRU pattern cache: memoized classifications keyed by (namespace, hash of the input).
pub(super) struct PatternLru {
    map: Mutex<LruCache<(&'static str, u64), u64>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl PatternLru {
    pub(super) fn new(capacity: usize) -> PatternLru {
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        PatternLru {
            map: Mutex::new(LruCache::new(cap)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(super) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            len: self.map.lock().map_or(0, |m| m.len()),
        }
    }
}

impl PatternCache for PatternLru {
    fn classify(&self, namespace: &'static str, input: &str, compute: &dyn Fn(&str) -> u64) -> u64 {
        let key = (namespace, fnv1a64(input.as_bytes()));
        if let Ok(mut map) = self.map.lock() {
            if let Some(&v) = map.get(&key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return v;
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let v = compute(input);
        if let Ok(mut map) = self.map.lock() {
            map.put(key, v);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use crate::runtime::Runtime;
    use posthook_analyzers::{History, ToolCall};
    use serde_json::json;

    #[test]
    fn cache_counts_hits() {
        let rt = Runtime::default();
        let mut h = History::new();
        for _ in 0..3 {
            rt.process(
                &ToolCall::new("Bash", json!({"command": "rm -rf /"})),
                &mut h,
            );
        }
        let s = rt.cache_stats();
        assert_eq!((s.hits, s.misses), (2, 1));
    }
}
