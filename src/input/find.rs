//! Byte and pair search over the payload with SSE2 on x86_64, where it is the baseline, instead of
//! memchr's default entry points, which pick AVX2 at run time. Picking means asking the CPU what
//! it has (std's feature detection, once per process): about ten CPUID instructions, each a trap
//! to the hypervisor in a virtual machine, some 70 us in all on this project's machines, more than
//! the rest of a Bash call's analysis. A hook process searches a few kilobytes; SSE2 does that as
//! well as AVX2 would.

/// Where `needle` next occurs in `haystack`.
pub(crate) fn byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.find(haystack);
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "not x86_64: no SSE2 path to prefer"
    )]
    memchr::memchr(needle, haystack)
}

/// Where the two bytes `pair` next occur together in `haystack`.
pub(crate) fn pair(pair: &[u8; 2], haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(f) = memchr::arch::x86_64::sse2::packedpair::Finder::new(pair) {
        if haystack.len() >= f.min_haystack_len() {
            return f.find(haystack, pair);
        }
        return haystack.windows(2).position(|w| w == pair);
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "not x86_64: no SSE2 path to prefer"
    )]
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
    }
}
