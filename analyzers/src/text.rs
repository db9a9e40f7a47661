//! Small text helpers shared by the analyzers: stable hashing, cutting, command classification.
//!
//! One job per file: `command` (command heads and tags), `vocabulary` (the subcommands a head
//! may keep), `errors` (error lines and signatures), `display` (truncation and visible
//! controls).

mod command;
mod display;
mod errors;
pub(crate) mod shell;
mod vocabulary;

pub use command::{command_head, command_tags, lookup_tags, syntax_check_tags, tags};
pub(crate) use command::{
    failed_part, git_args, lookup_file, script_head, script_lookup_tags, script_tags, simple_head,
};
pub use display::{safe_message, truncate_chars, visible_controls, visible_controls_but_newlines};
pub use errors::{error_line, error_signature};

/// FNV-1a, 64 bit: a stable hash (same value in every process and version) for persisted facts such
/// as "the same command failed again", so the command itself never has to be stored.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
