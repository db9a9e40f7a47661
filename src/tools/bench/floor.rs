//! The floor every end-to-end figure is set against: the cheapest process a hook could be.
//!
//! It is a minimal Rust program that reads stdin to the end and exits 0, compiled for the run with
//! `rustc -O` (as a user would build the simplest hook: dynamic, position-independent, the
//! toolchain's defaults). Without a `rustc` (`$RUSTC`, else on `PATH`), `posthook floor` (the same
//! work done by posthook's own, larger binary) stands in: a cheaper floor, so the run fails
//! saying so.

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

/// Builds the minimal program in `scratch` with `rustc -O`; falls back to `posthook floor` (from
/// `exe`) when no compiler is there or it fails.
pub(super) fn build(scratch: &Scratch, exe: &Path) -> Floor {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let src = scratch.root.join("floor-min.rs");
    let bin = scratch.root.join("floor-min");
    let built = std::fs::write(&src, SOURCE).is_ok()
        && (Command::new(&rustc).arg("-O").arg("-o").arg(&bin).arg(&src))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        && bin.is_file();
    match built {
        true => Floor {
            spawner: Spawner::new("minimal program", &bin, &[]),
            description: format!(
                "a minimal Rust program that reads stdin and exits, built with `{} -O`",
                rustc.to_string_lossy()
            ),
            minimal: true,
        },
        false => Floor {
            spawner: Spawner::new("posthook floor", exe, &["floor"]),
            description: String::from("`posthook floor` (no rustc to build a minimal program)"),
            minimal: false,
        },
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
            .run(&vec![b'x'; 100_000], &state, &scratch.root)
            .expect("runs");
        assert_eq!(r.exit, Some(0));
        assert_eq!((r.stdout_len, r.stderr_len), (0, 0));
    }
}
