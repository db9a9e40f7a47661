//! Logging. In hook mode nothing may reach stderr or stdout but feedback, so logs go to a file, and
//! only when `POSTHOOK_LOG` names one (`POSTHOOK_LOG_LEVEL` sets the filter, default `info`).

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Mutex;

/// Installs the file logger when `POSTHOOK_LOG` is set. Never fails the caller: a log file that
/// cannot be opened means no logging.
pub fn init_from_env() {
    let level = std::env::var("POSTHOOK_LOG_LEVEL").unwrap_or_else(|_| String::from("info"));
    init(&level);
}

/// Installs the file logger when `POSTHOOK_LOG` is set, with `level` as the filter (a level or any
/// tracing filter directive; an invalid one means `info`).
pub fn init(level: &str) {
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

/// The log file named by `POSTHOOK_LOG`, opened for appending; `None` when unset or unopenable.
pub fn open_log() -> Option<std::fs::File> {
    let path = std::env::var_os("POSTHOOK_LOG").filter(|p| !p.is_empty())?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .ok()
}
