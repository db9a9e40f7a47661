//! `posthook-hook`: the hook alone. It answers one Claude Code hook event on stdin exactly as
//! `posthook` with no subcommand does, and links only the hook path, so it starts faster.
//!
//! On Linux it enters at the C `main`, skipping Rust's start-up: that start-up's stack guard reads
//! and scans `/proc/self/maps`, a tenth of a hook call. `hook::main` does the rest of what it
//! would (standard descriptors, `SIGPIPE`).

#![cfg_attr(target_os = "linux", no_main)]

/// The process's entry point, called by the C runtime with the arguments (which `std::env` reads
/// on its own).
#[cfg(target_os = "linux")]
#[expect(unsafe_code, reason = "`no_mangle`: the symbol the C runtime calls")]
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = posthook::hook::main();
    // As Rust's exit path would: whatever stdout still buffers is written (the answer was
    // flushed already; `--help` and `--version` print through the same stdout).
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::ffi::c_int::from(code)
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(posthook::hook::main())
}
