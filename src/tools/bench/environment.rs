//! The machine a benchmark ran on, so that figures are never read without it.

use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

/// Where and with what the benchmark ran.
pub(crate) struct Environment {
    /// CPU model (brand string).
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    pub memory_bytes: u64,
    /// OS name and version.
    pub os: String,
    pub posthook_version: &'static str,
    /// `release` or `debug`: debug figures are not representative.
    pub build: &'static str,
    /// 1-minute load average when the run started (others' work skews figures).
    pub load_average: f64,
}

impl Environment {
    /// Reads the current machine's description.
    pub(crate) fn detect() -> Environment {
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        );
        let cpu = (sys.cpus().first())
            .map(|c| c.brand().trim().to_string())
            .filter(|s| !s.is_empty());
        Environment {
            cpu: cpu.unwrap_or_else(|| "unknown".to_string()),
            cores: sys.cpus().len(),
            memory_bytes: sys.total_memory(),
            os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_string()),
            posthook_version: env!("CARGO_PKG_VERSION"),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            load_average: System::load_average().one,
        }
    }
}
