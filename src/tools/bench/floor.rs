//! The floor every end-to-end figure is set against: the cheapest process a hook could be.
//!
//! It is a minimal Rust program that reads stdin to the end and exits 0, compiled for the run with
//! `rustc -O` (as a user would build the simplest hook: dynamic, position-independent, the
//! toolchain's defaults). `posthook floor` (the same work done by posthook's own binary) is
//! measured beside it, apart: it shows what posthook's binary costs before it does anything.
//! Without a `rustc` (`$RUSTC`, else on `PATH`), `posthook floor` is the floor, and the report
//! says so.

use super::measure::{Scratch, Spawner};
use std::path::Path;
use std::process::{Command, Stdio};

/// The minimal program's source.
pub(super) const SOURCE: &str = "use std::io::Read;\n\
fn main() {\n    let mut v = Vec::new();\n    let _ = std::io::stdin().read_to_end(&mut v);\n}\n";

/// What the floor is.
#[derive(Debug, Clone)]
pub(super) struct Floor {
    /// What to spawn.
    pub spawner: Spawner,
    /// For the report: what it is and how it was built.
    pub description: String,
    /// Whether it is the minimal program (else `posthook floor` stands in).
    pub minimal: bool,
}

/// Compiles `src` to `bin` with `rustc -O` and `extra` arguments, quietly; whether it succeeded.
pub(crate) fn rustc_o(rustc: &std::ffi::OsStr, src: &Path, bin: &Path, extra: &[&str]) -> bool {
    Command::new(rustc)
        .arg("-O")
        .args(extra)
        .arg("-o")
        .arg(bin)
        .arg(src)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the minimal program in `scratch` with `rustc -O`; falls back to `posthook floor` (from
/// `exe`) when no compiler is there or it fails.
pub(super) fn build(scratch: &Scratch, exe: &Path) -> Floor {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let src = scratch.path().join("floor-min.rs");
    let bin = scratch.path().join("floor-min");
    let built =
        std::fs::write(&src, SOURCE).is_ok() && rustc_o(&rustc, &src, &bin, &[]) && bin.is_file();
    if built {
        Floor {
            spawner: Spawner::new("minimal program", &bin, &[]),
            description: format!(
                "a minimal Rust program that reads stdin and exits, built with `{} -O`",
                rustc.to_string_lossy()
            ),
            minimal: true,
        }
    } else {
        posthook_floor(exe, true)
    }
}

/// `posthook floor`; `standing_in` when no minimal program could be built.
pub(super) fn posthook_floor(exe: &Path, standing_in: bool) -> Floor {
    Floor {
        spawner: Spawner::new("posthook floor", exe, &["floor"]),
        description: if standing_in {
            String::from("`posthook floor` (no rustc to build a minimal program)")
        } else {
            String::from("`posthook floor`: posthook's own binary, reading stdin and exiting")
        },
        minimal: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_program_reads_its_stdin_and_exits_0() {
        let scratch = Scratch::new("floor-test").expect("scratch");
        let exe = std::env::current_exe().expect("exe");
        let floor = build(&scratch, &exe);
        if !floor.minimal {
            // No rustc here: the stand-in is named as such.
            assert!(floor.description.contains("no rustc"));
            return;
        }
        let state = scratch.fresh_state("state").expect("state");
        let r = floor
            .spawner
            .run(&vec![b'x'; 100_000], &state, scratch.path())
            .expect("runs");
        assert_eq!(r.exit, Some(0));
        assert_eq!((r.stdout_len, r.stderr_len), (0, 0));
    }
}
