//! Byte and pair search over the payload with SSE2 on x86_64, where it is the baseline, instead of
//! memchr's default entry points, which pick AVX2 at run time. Picking means asking the CPU what
//! it has (std's feature detection, once per process): about ten CPUID instructions, each a trap
//! to the hypervisor in a virtual machine, some 70 us in all on this project's machines, more than
//! the rest of a Bash call's analysis. A hook process mostly searches a few kilobytes, where SSE2
//! does as well as AVX2 would; from [`LARGE`] on, AVX2's wider steps pay the detection back.

/// From this many bytes on, the search is memchr's own (AVX2 where the CPU has it): on a 10 MB
/// payload it saves some ten times what the detection costs.
const LARGE: usize = 1 << 20;

/// Where `needle` next occurs in `haystack`.
#[expect(
    clippy::disallowed_methods,
    reason = "memchr's own search: for a large haystack, or where x86_64's SSE2 is not"
)]
pub(crate) fn byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if haystack.len() < LARGE {
        if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
            return one.find(haystack);
        }
    }
    memchr::memchr(needle, haystack)
}

/// Where the two bytes `pair` next occur together in `haystack`.
#[expect(
    clippy::disallowed_methods,
    reason = "memchr's own search: for a large haystack, or where x86_64's SSE2 is not"
)]
pub(crate) fn pair(pair: &[u8; 2], haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if haystack.len() < LARGE {
        if let Some(f) = memchr::arch::x86_64::sse2::packedpair::Finder::new(pair) {
            if haystack.len() >= f.min_haystack_len() {
                return f.find(haystack, pair);
            }
            return haystack.windows(2).position(|w| w == pair);
        }
    }
    memchr::memmem::find(haystack, pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(
        clippy::disallowed_methods,
        reason = "the reference the SSE2 search is checked against"
    )]
    fn finds_what_memchr_finds() {
        let text = b"ab\\nc\\\\ud83d \\u00e9 end".repeat(40);
        for from in 0..text.len() {
            let h = &text[from..];
            assert_eq!(byte(b'\\', h), memchr::memchr(b'\\', h), "from {from}");
            assert_eq!(
                pair(b"\\u", h),
                memchr::memmem::find(h, b"\\u"),
                "from {from}"
            );
        }
        assert_eq!(pair(b"\\u", b""), None);
        assert_eq!(pair(b"\\u", b"\\"), None);
        let mut large = vec![b'x'; LARGE + 10];
        large[LARGE + 3] = b'\\';
        large[LARGE + 4] = b'u';
        assert_eq!(byte(b'\\', &large), Some(LARGE + 3));
        assert_eq!(pair(b"\\u", &large), Some(LARGE + 3));
    }
}
