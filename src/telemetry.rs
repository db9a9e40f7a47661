//! Logging. In hook mode nothing may reach stderr or stdout but feedback, so logs go to a file, and
//! only when `POSTHOOK_LOG` names one (`POSTHOOK_LOG_LEVEL` sets the filter, default `info`).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Mutex;

/// Installs the file logger when `POSTHOOK_LOG` is set, with `level` as the filter (a level or any
/// tracing filter directive; an invalid one means `info`).
///
/// The log is opened without blocking (`O_NONBLOCK`: a FIFO with no reader, or a terminal, answers
/// at once) and used only when `fstat` shows a regular file: a FIFO, a device or
/// `/proc/self/fd/1` (the hook's own stdout, which Claude Code reads) means no logging.
pub(crate) fn init(level: &str) {
    let Some(file) = open_log() else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}

/// The log file named by `POSTHOOK_LOG`, opened for appending; `None` when unset, unopenable, or
/// not a regular file (a FIFO, a device, the hook's own stdout or stderr).
pub(crate) fn open_log() -> Option<std::fs::File> {
    let path = std::env::var_os("POSTHOOK_LOG").filter(|p| !p.is_empty())?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok().filter(|m| m.file_type().is_file())?;
    // Never the hook's own stdout or stderr (`/proc/self/fd/1` when they are files): Claude Code
    // reads those, and a log line there would be taken for feedback.
    use std::os::unix::fs::MetadataExt;
    let same = |fd: std::os::fd::BorrowedFd<'_>| {
        rustix::fs::fstat(fd).is_ok_and(|st| st.st_dev == meta.dev() && st.st_ino == meta.ino())
    };
    if same(rustix::stdio::stdout()) || same(rustix::stdio::stderr()) {
        return None;
    }
    Some(file)
}
