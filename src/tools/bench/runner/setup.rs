//! From the flags to a [`Setup`]: the flags checked, the scenarios chosen, the baseline read,
//! the hooks and the floor to spawn.

use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::Baseline;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::floor::{self, Floor};
use crate::tools::bench::measure::{Scratch, Spawner};
use crate::tools::bench::modes::Plan;
use crate::tools::bench::scenarios::{self, Scenario};
use posthook_analyzers::Settings;
use std::path::PathBuf;
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

/// What a run measures with, set up once.
pub(crate) struct Setup {
    pub(crate) environment: Environment,
    pub(crate) exe: PathBuf,
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) baseline: Option<Baseline>,
    /// The hook under test: posthook, or the command when it is measured alone.
    pub(crate) subject: Spawner,
    pub(crate) subject_is_posthook: bool,
    /// With --vs: the other hook.
    pub(crate) vs: Option<Spawner>,
    pub(crate) floor: Floor,
    /// The program measured as posthook, and why that one (or the command measured alone).
    pub(crate) hook_program: String,
    pub(crate) load_on: bool,
    pub(crate) plan: Plan,
    /// The target for every p95.
    pub(crate) target_s: f64,
}

/// Where the benchmark ran: the CPU model and logical cores, memory, OS, posthook's version and
/// build (`debug` figures are not representative), the 1-minute load average at the start
/// (others' work skews figures).
pub(crate) struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub memory_bytes: u64,
    pub os: String,
    pub posthook_version: &'static str,
    pub build: &'static str,
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

fn scenarios_for(args: &BenchArgs) -> Result<Vec<Scenario>, BenchError> {
    let own = [
        args.payloads.as_deref().map(scenarios::from_payloads_file),
        args.transcript.as_deref().map(scenarios::from_transcript),
    ];
    let mut v: Vec<Scenario> = (own.into_iter().flatten())
        .collect::<Result<_, _>>()
        .map_err(BenchError::Input)?;
    if v.is_empty() {
        v = scenarios::builtin();
    }
    if !args.scenarios.is_empty() {
        v.retain(|s| args.scenarios.iter().any(|f| s.name.contains(f.as_str())));
        if v.is_empty() {
            return Err(BenchError::NoScenario {
                filters: args.scenarios.clone(),
                builtin: scenarios::builtin().into_iter().map(|s| s.name).collect(),
            });
        }
    }
    Ok(v)
}

fn check(args: &BenchArgs) -> Result<(), BenchError> {
    let threshold = args.alert_threshold;
    let why = if !(threshold.is_finite() && threshold >= 0.0) {
        "--alert-threshold must be a percentage, 0 or more"
    } else if !(args.target_ms.is_finite() && args.target_ms > 0.0) {
        "--target-ms must be above 0"
    } else if args.runs == Some(0) {
        "--runs must be at least 1"
    } else if args.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
        "--command is empty"
    } else {
        return Ok(());
    };
    Err(BenchError::Input(why.to_string()))
}

pub(super) fn setup(
    args: &BenchArgs,
    settings: &Settings,
    scratch: &Scratch,
) -> Result<Setup, BenchError> {
    check(args)?;
    let exe = std::env::current_exe().map_err(BenchError::io("finding own executable"))?;
    let scenarios = scenarios_for(args)?;
    let baseline = match &args.baseline {
        Some(p) => Some(
            (std::fs::read_to_string(p).map_err(|e| e.to_string()))
                .and_then(|t| Baseline::parse(&t))
                .map_err(|e| {
                    BenchError::Input(format!("reading baseline '{}': {e}", p.display()))
                })?,
        ),
        None => None,
    };
    // What users run: the program their settings register, else what `install` would register
    // (the lean `posthook-hook` beside this executable, when it was built), else this executable.
    let (hook_exe, hook_program) = match crate::tools::install::registered_program() {
        Some((p, settings)) => {
            let what = format!("{} (registered in {})", p.display(), settings.display());
            (p, what)
        }
        None => {
            let lean = crate::tools::install::copy::hook_source(&exe);
            let why = match lean == exe {
                true => "this executable: no posthook entry registered here, and no posthook-hook beside it (`cargo build --release` builds it)",
                false => "what `install` would register: no posthook entry registered here",
            };
            (lean.clone(), format!("{} ({why})", lean.display()))
        }
    };
    // As Claude Code runs it: no arguments, the payload on stdin. The profile and the disabled
    // rules reach it through the environment, as a user's own settings would.
    let disabled: Vec<&str> = settings.disabled.iter().map(String::as_str).collect();
    let posthook = Spawner::new("posthook", &hook_exe, &[])
        .env("POSTHOOK_PROFILE", settings.profile.as_str())
        .env("POSTHOOK_DISABLE", disabled.join(","));
    let other = args.command.as_deref().map(Spawner::shell);
    let subject_is_posthook = other.is_none() || args.vs;
    let (subject, vs) = match other {
        Some(o) if !args.vs => (o, None),
        o => (posthook, o),
    };
    let hook_program = match subject_is_posthook {
        true => hook_program,
        false => format!("`{}` (under sh -c)", subject.label),
    };
    Ok(Setup {
        environment: Environment::detect(),
        floor: floor::build(scratch, &exe),
        exe,
        scenarios,
        baseline,
        subject,
        subject_is_posthook,
        vs,
        hook_program,
        load_on: !args.no_load && args.users > 0 && args.requests > 0,
        plan: Plan {
            warmup: args.warmup,
            exact: args.runs,
        },
        target_s: args.target_ms / 1e3,
    })
}
