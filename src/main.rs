//! The `posthook` executable: the hook itself, and its tools.

use std::process::ExitCode;

fn main() -> ExitCode {
    posthook::cli::main()
}
