//! What Rust's start-up does before `fn main` that the hook needs, for an entry point that skips
//! it: `posthook-hook` on Linux enters at the C `main`, because the start-up's stack guard asks
//! glibc for the main thread's stack bounds, which glibc finds by reading and scanning
//! `/proc/self/maps` (about 45,000 instructions and four system calls, a tenth of a hook call).
//! The two things the hook relies on are done here instead: standard descriptors that are
//! closed are opened on `/dev/null` (so that no file the hook opens becomes its stdout), and
//! `SIGPIPE` is ignored (so that a reader gone away is a failed write, not a killed process).
//! A stack overflow then ends the process with `SIGSEGV` and no message, which the hook's bounded
//! recursion does not reach.

#![expect(
    unsafe_code,
    reason = "poll, open and signal are libc calls on descriptors and a signal disposition"
)]

/// Opens closed standard descriptors on `/dev/null` and ignores `SIGPIPE`, as Rust's start-up does.
pub(crate) fn as_rust_does() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd for the call's duration; a zero timeout.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    if polled >= 0 {
        for pfd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
            // SAFETY: a NUL-terminated path. `open` returns the lowest free descriptor, which is
            // this closed one, since the lower ones are open (or were just opened here).
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if fd != pfd.fd {
                break;
            }
        }
    }
    // SAFETY: SIG_IGN installs no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}
