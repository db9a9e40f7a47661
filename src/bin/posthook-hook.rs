//! `posthook-hook`: the hook alone. It answers one Claude Code hook event on stdin exactly as
//! `posthook` with no subcommand does, and links only the hook path, so it starts faster.

use std::process::ExitCode;

fn main() -> ExitCode {
    posthook::hook::main()
}
