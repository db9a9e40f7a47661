//! Small text helpers shared by the analyzers: stable hashing, cutting, command classification.
//!
//! One job per file: `command` (command heads and tags), `vocabulary` (the subcommands a head
//! may keep), `errors` (error lines and signatures), `display` (truncation and visible
//! controls), `path` (absolute paths read lexically).

mod command;
mod display;
mod errors;
pub(crate) mod path;
pub(crate) mod shell;
mod vocabulary;

pub use command::{command_head, command_tags, lookup_tags, syntax_check_tags, tags};
pub(crate) use command::{
    failed_part, git_args, lookup_file, script_head, script_lookup_tags, script_tags, simple_head,
};
pub use display::{
    ceil_boundary, floor_boundary, safe_message, truncate_chars, visible_controls,
    visible_controls_but_newlines,
};
pub use errors::{error_line, error_signature};

/// FNV-1a, 64 bit: a stable hash (same value in every process and version) for persisted facts such
/// as "the same command failed again", so the command itself never has to be stored.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    Fnv::new().bytes(bytes).finish()
}

/// [`fnv1a64`] over bytes fed piece by piece: the hash of the pieces is that of their
/// concatenation, with nothing to allocate.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// The hash of nothing yet.
    #[must_use]
    pub const fn new() -> Self {
        Fnv(Self::OFFSET)
    }

    /// Feeds one byte.
    pub fn byte(&mut self, b: u8) -> &mut Self {
        self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME);
        self
    }

    /// Feeds `bytes`, in order.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.byte(b);
        }
        self
    }

    /// The hash of everything fed.
    #[must_use]
    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // Fed in pieces, the same hash as the whole.
        let mut h = Fnv::new();
        h.bytes(b"foo").byte(b'b').bytes(b"").bytes(b"ar");
        assert_eq!(h.finish(), fnv1a64(b"foobar"));
    }
}
