//! What kind of executable posthook's registered program is: whether a build can replace it under
//! a running session (it sits in a cargo `target/` directory), and whether it is the fast kind
//! (on Linux: linked statically and without PIE, so the kernel starts it with no dynamic loader
//! and no relocations; see `cargo build-static`).

use super::{pass, warn, Check};
use std::io::Read;
use std::path::{Component, Path};

/// How an ELF executable is linked, read from its header and program headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Linking {
    /// No `PT_INTERP`: nothing to load before it runs.
    pub statically: bool,
    /// `ET_DYN`: position-independent, relocated at every start.
    pub pie: bool,
}

/// The linking of a 64-bit little-endian ELF file's first 4 KiB; `None` for anything else.
pub(crate) fn linking_of(head: &[u8]) -> Option<Linking> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(head.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(head.get(at..at + 8)?.try_into().ok()?));
    // Magic, 64-bit class, little-endian.
    if head.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let pie = match u16_at(16)? {
        2 => false,
        3 => true,
        _ => return None,
    };
    let (phoff, phentsize, phnum) = (u64_at(32)? as usize, u16_at(54)? as usize, u16_at(56)?);
    let mut statically = true;
    for i in 0..usize::from(phnum) {
        // PT_INTERP = 3: the dynamic loader's path.
        if u32_at(phoff.checked_add(i.checked_mul(phentsize)?)?)? == 3 {
            statically = false;
        }
    }
    Some(Linking { statically, pie })
}

/// The check of the registered program at `path` (which exists and is executable).
pub(super) fn kind_check(path: &Path) -> Option<Check> {
    let in_target = path
        .components()
        .any(|c| c == Component::Normal("target".as_ref()));
    if in_target {
        return Some(warn(
            format!(
                "command {}: inside a cargo target/ directory: the next build replaces it while \
                 sessions run it",
                path.display()
            ),
            "run `posthook install` again: it registers a copy in ~/.local/share/posthook/bin",
        ));
    }
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .ok()?;
    let linking = linking_of(&head)?;
    let text = |kind: &str| format!("command {}: {kind}", path.display());
    Some(match linking {
        Linking {
            statically: true,
            pie: false,
        } => pass(text(
            "static, non-PIE: the fast kind (no loader, no relocations at start)",
        )),
        Linking { statically, pie } => warn(
            text(&format!(
                "{}, {}: each call pays {} at start",
                if statically {
                    "static"
                } else {
                    "dynamically linked"
                },
                if pie { "PIE" } else { "non-PIE" },
                if statically {
                    "its relocations"
                } else {
                    "the dynamic loader"
                }
            )),
            "on Linux x86_64, `cargo build-static` and \
             `target/x86_64-unknown-linux-gnu/release/posthook install` register the fast kind",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linking_of_real_executables() {
        let me = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        let l = linking_of(&me[..4096.min(me.len())]).expect("an ELF file");
        // The test executable is linked the target's default way: dynamically, except where the
        // C runtime is linked in (musl, or `+crt-static`).
        assert_eq!(l.statically, cfg!(target_feature = "crt-static"));
        assert_eq!(linking_of(b"#!/bin/sh\n"), None);
        let mut fake = vec![0u8; 256];
        fake[..6].copy_from_slice(b"\x7fELF\x02\x01");
        fake[16] = 2; // ET_EXEC
        fake[32] = 64; // program headers at 64
        fake[54] = 56; // of 56 bytes
        fake[56] = 2; // two of them, neither PT_INTERP
        fake[64] = 1;
        fake[120] = 1;
        assert_eq!(
            linking_of(&fake),
            Some(Linking {
                statically: true,
                pie: false
            })
        );
        fake[120] = 3; // the second is PT_INTERP
        fake[16] = 3; // ET_DYN
        assert_eq!(
            linking_of(&fake),
            Some(Linking {
                statically: false,
                pie: true
            })
        );
    }
}
