//! Links posthook's executables without PIE on Linux with glibc, unless they are linked
//! statically (`cargo build-static` already asks for a static, non-PIE executable).
//!
//! Why: a position-independent executable is relocated by the dynamic loader at every start, about
//! 8,700 relocations for `posthook-hook` (a pointer in every vtable and string table), and a hook
//! starts once per tool call. Linked at a fixed address the executable needs about 100
//! (its libc symbols): about 115,000 instructions less per call, a tenth of a call. The objects are
//! still compiled position-independent; only the link differs, so build scripts and proc macros
//! are untouched. The trade: the executable's own code is not at a random address (its libraries,
//! stack and heap still are). `POSTHOOK_PIE=1` at build time keeps PIE.

fn main() {
    println!("cargo:rerun-if-env-changed=POSTHOOK_PIE");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if linux_gnu && !crt_static && var("POSTHOOK_PIE") != "1" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
