//! `posthook-hook`: the hook alone. It answers one Claude Code hook event on stdin exactly as
//! `posthook` with no subcommand does, and links only the hook path, so it starts faster.
//!
//! On Linux it enters at the C `main`, skipping Rust's start-up: that start-up's stack guard reads
//! and scans `/proc/self/maps`, a tenth of a hook call. `hook::main` does the rest of what it
//! would (standard descriptors, `SIGPIPE`).

#![cfg_attr(target_os = "linux", no_main)]

/// The process's entry point, called by the C runtime with the arguments. They are read here:
/// `std::env::args` has them only where the C runtime also hands them to Rust's initializers
/// (glibc), not with musl.
///
/// # Safety
///
/// Called by the C runtime alone: `argv` holds `argc` pointers to NUL-terminated strings.
#[cfg(target_os = "linux")]
#[expect(
    unsafe_code,
    reason = "`no_mangle`: the symbol the C runtime calls; `argv`: the C runtime's array"
)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn main(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    use std::os::unix::ffi::OsStrExt;
    let args = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the C runtime passes `argc` pointers to NUL-terminated strings that live
            // as long as the process.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_os_string()
        })
        .collect();
    let code = posthook::hook::main(args);
    // As Rust's exit path would: whatever stdout still buffers is written (the answer was
    // flushed already; `--help` and `--version` print through the same stdout).
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::ffi::c_int::from(code)
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(posthook::hook::main(std::env::args_os().collect()))
}
