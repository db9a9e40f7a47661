//! The machine a benchmark ran on, so that figures are never read without it.

use serde::Serialize;
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

/// Where and with what the benchmark ran.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Environment {
    /// CPU model (brand string).
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Physical cores, when known.
    pub physical_cores: Option<usize>,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// OS name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// The posthook version.
    pub posthook_version: String,
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
        let cpu = sys
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_string());
        Environment {
            cpu,
            cores: sys.cpus().len(),
            physical_cores: sys.physical_core_count(),
            memory_bytes: sys.total_memory(),
            os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_string()),
            kernel: System::kernel_version().unwrap_or_default(),
            posthook_version: env!("CARGO_PKG_VERSION").to_string(),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            load_average: System::load_average().one,
        }
    }
}
