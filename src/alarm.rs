//! A process-wide alarm that exits 0 when it fires: the hook's deadline, at no cost until then.
//!
//! The timer is the kernel's (`setitimer(ITIMER_REAL)`); when it expires, the kernel delivers
//! `SIGALRM` and the handler (after a fixed line to the log and one more deadline hit counted in
//! the record, when they are open) ends the process with `_exit(0)`, which is async-signal-safe (it runs
//! no destructors, flushes nothing and takes no lock, so it cannot deadlock against whatever the
//! interrupted code held). Arming and disarming are one system call each; a call that answers in
//! time never sees the signal. A thread sleeping on the deadline, as before, cost a thread spawn
//! per call (about a tenth of a millisecond), which is most of what a hook call may cost.
//!
//! A decided answer is never dropped: once the hook knows what it will say (a block, say) it
//! hands the rendered bytes to [`deliver_on_alarm`], and from then on an alarm that fires (the
//! state still being saved on a loaded disk) writes those bytes to stdout and stderr and exits
//! with the answer's code instead of exiting 0 in silence. `write` is async-signal-safe, and the
//! bytes are a leaked, never-freed buffer published before the code that marks them ready.
//!
//! When the timer cannot be set (`sigaction` or `setitimer` fails), [`arm`] reports `false` and
//! the caller falls back to a thread sleeping on the deadline.
//! With `start` (and one socket option in `serve`), this is where the code is `unsafe`: installing a signal handler and setting the timer
//! are foreign calls into libc with no safe wrapper in the crates this project uses.

#![expect(
    unsafe_code,
    reason = "sigaction and setitimer are libc calls; the handler only calls _exit"
)]

use std::time::Duration;

/// Where the handler reports that the deadline passed: a descriptor opened for appending, or -1.
static REPORT_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// The line the handler writes: fixed, since formatting is not async-signal-safe.
const REPORT: &[u8] =
    b"ERROR posthook::hook: deadline passed before an answer; exiting 0 without one\n";

/// The line the handler writes when it delivers a decided answer.
const REPORT_DELIVERED: &[u8] =
    b"WARN posthook::hook: deadline passed after the answer was decided; delivered it\n";

/// Whether the alarm is armed (set by [`arm`], cleared by [`disarm`]).
static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The decided answer: stdout and stderr bytes (leaked, never freed) and the exit code, -1 while
/// there is none. The code is stored last (Release) and read first (Acquire).
static ANSWER_OUT: std::sync::atomic::AtomicPtr<u8> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static ANSWER_OUT_LEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ANSWER_ERR: std::sync::atomic::AtomicPtr<u8> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static ANSWER_ERR_LEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ANSWER_CODE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Writes all of `len` bytes at `ptr` to `fd`, as far as the descriptor takes them.
fn write_all_raw(fd: libc::c_int, ptr: *const u8, len: usize) {
    let mut done = 0;
    while done < len {
        // SAFETY: `ptr..ptr+len` is a leaked buffer that is never freed or written again.
        let n = unsafe { libc::write(fd, ptr.add(done).cast(), len - done) };
        if n <= 0 {
            return;
        }
        done += n as usize;
    }
}

extern "C" fn on_alarm(_signal: libc::c_int) {
    use std::sync::atomic::Ordering;
    let fd = REPORT_FD.load(Ordering::Relaxed);
    let code = ANSWER_CODE.load(Ordering::Acquire);
    let report = if code >= 0 { REPORT_DELIVERED } else { REPORT };
    if code >= 0 {
        let out = ANSWER_OUT.load(Ordering::Relaxed);
        write_all_raw(1, out, ANSWER_OUT_LEN.load(Ordering::Relaxed));
        let err = ANSWER_ERR.load(Ordering::Relaxed);
        write_all_raw(2, err, ANSWER_ERR_LEN.load(Ordering::Relaxed));
    }
    if fd >= 0 {
        write_all_raw(fd, report.as_ptr(), report.len());
    }
    if let Some(c) = COUNTER.get() {
        // SAFETY: `count` makes only async-signal-safe calls on a descriptor kept open.
        unsafe { count(c) };
    }
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(code.max(0)) }
}

/// Hands the alarm the answer the hook decided: should the deadline pass before the hook prints
/// it, the alarm prints these bytes and exits with `code` instead of exiting 0 without them.
/// Only while armed (a process that never armed the alarm, such as the server, keeps nothing),
/// and once per process: a second call is ignored.
pub(crate) fn deliver_on_alarm(stdout: &[u8], stderr: &[u8], code: u8) {
    use std::sync::atomic::Ordering;
    if !ARMED.load(Ordering::Acquire) || ANSWER_CODE.load(Ordering::Acquire) >= 0 {
        return;
    }
    let out: &'static mut [u8] = Box::leak(stdout.to_vec().into_boxed_slice());
    let err: &'static mut [u8] = Box::leak(stderr.to_vec().into_boxed_slice());
    ANSWER_OUT_LEN.store(out.len(), Ordering::Relaxed);
    ANSWER_OUT.store(out.as_mut_ptr(), Ordering::Relaxed);
    ANSWER_ERR_LEN.store(err.len(), Ordering::Relaxed);
    ANSWER_ERR.store(err.as_mut_ptr(), Ordering::Relaxed);
    ANSWER_CODE.store(i32::from(code), Ordering::Release);
}

/// Where a deadline hit is counted: a file, the 8-byte magic it must start with, and the offset of
/// its little-endian `u64` counter.
pub(crate) struct Counter {
    pub(crate) fd: std::os::fd::RawFd,
    pub(crate) magic: [u8; 8],
    pub(crate) at: i64,
}

static COUNTER: std::sync::OnceLock<Counter> = std::sync::OnceLock::new();

/// Counts the deadline hit in `c`, from the signal handler: only async-signal-safe calls (`flock`
/// without waiting, `pread`, `pwrite`); when the lock is busy or the file is not the record, the
/// hit goes uncounted.
///
/// # Safety
/// `c.fd` is an open descriptor (or the calls fail harmlessly); the buffers are locals of the
/// lengths given.
unsafe fn count(c: &Counter) {
    // SAFETY: see above; every call is async-signal-safe.
    unsafe {
        if libc::flock(c.fd, libc::LOCK_EX | libc::LOCK_NB) != 0 {
            return;
        }
        let mut magic = [0u8; 8];
        let mut n = [0u8; 8];
        if libc::pread(c.fd, magic.as_mut_ptr().cast(), 8, 0) == 8
            && magic == c.magic
            && libc::pread(c.fd, n.as_mut_ptr().cast(), 8, c.at) == 8
        {
            let v = u64::from_le_bytes(n).saturating_add(1).to_le_bytes();
            let _ = libc::pwrite(c.fd, v.as_ptr().cast(), 8, c.at);
        }
        let _ = libc::flock(c.fd, libc::LOCK_UN);
    }
}

/// From now on a deadline hit is counted in `c` (its descriptor stays open until the process
/// ends). Set once per process; later calls are ignored.
pub(crate) fn count_to(c: Counter) {
    let _ = COUNTER.set(c);
}

/// Has the alarm, when it fires, append one line saying so to `file` (a log opened for appending).
/// The file stays open for the rest of the process.
pub(crate) fn report_to(file: std::fs::File) {
    use std::os::fd::IntoRawFd;
    let old = REPORT_FD.swap(file.into_raw_fd(), std::sync::atomic::Ordering::Relaxed);
    if old >= 0 {
        // SAFETY: `old` came from into_raw_fd above and nothing else owns it.
        unsafe {
            libc::close(old);
        }
    }
}

fn set_timer(after: Duration) -> bool {
    // The field types by inference: `libc::time_t` and `suseconds_t` are deprecated on musl (their
    // width changes with musl 1.2), and a deadline is seconds, far below either's limit.
    let value = libc::timeval {
        tv_sec: after.as_secs().min(i32::MAX as u64).try_into().unwrap_or(0),
        // Below 1,000,000: fits every platform's suseconds_t (i64 on Linux, i32 on macOS).
        tv_usec: after.subsec_micros() as _,
    };
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let timer = libc::itimerval {
        it_interval: zero,
        it_value: value,
    };
    // SAFETY: both pointers are valid for the call (a local value, and null for the old value).
    unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) == 0 }
}

/// Arms the alarm: after `after`, unless [`disarm`] ran first, the process exits 0. Arming again
/// replaces the earlier deadline. `false` when no timer could be set (the caller may fall back).
/// A zero `after` arms nothing (the kernel reads zero as "off") and returns `false`.
pub(crate) fn arm(after: Duration) -> bool {
    if after.is_zero() {
        return false;
    }
    // SAFETY: the sigaction struct is zeroed (a valid, empty mask and no flags) before the handler
    // and mask are set; the handler has the signature the kernel calls with no SA_SIGINFO.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()) == 0
    };
    let armed = installed && set_timer(after);
    ARMED.store(armed, std::sync::atomic::Ordering::Release);
    armed
}

/// Disarms the alarm: from now on it never fires. Harmless when it was never armed.
pub(crate) fn disarm() {
    let _ = set_timer(Duration::ZERO);
    ARMED.store(false, std::sync::atomic::Ordering::Release);
}
