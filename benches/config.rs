//! What reading the configuration costs hook mode on every call: resolving it with no config files
//! (the common case: two failed opens) and with both files present and valid.
//!
//! Run: `cargo bench --bench config`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use posthook::config::{self, Inputs, Layer};
use std::ffi::OsString;
use std::path::Path;

fn resolve_in(home: &Path, project: &Path) -> config::Resolved {
    let home = home.as_os_str().to_owned();
    let env = move |k: &str| -> Option<OsString> { (k == "HOME").then(|| home.clone()) };
    config::resolve(&Inputs {
        flags: Layer::default(),
        env: &env,
        project_dir: Some(project.to_path_buf()),
    })
}

fn bench(c: &mut Criterion) {
    let empty = tempfile::tempdir().expect("tempdir");
    let (home, project) = (empty.path().join("home"), empty.path().join("project"));
    c.bench_function("config/resolve, no files", |b| {
        b.iter(|| black_box(resolve_in(&home, &project)))
    });

    let full = tempfile::tempdir().expect("tempdir");
    let (home, project) = (full.path().join("home"), full.path().join("project"));
    std::fs::create_dir_all(home.join(".config/posthook")).expect("mkdir");
    std::fs::create_dir_all(project.join(".claude")).expect("mkdir");
    std::fs::write(
        home.join(".config/posthook/config.json"),
        r#"{"profile": "default", "output": "json", "disabled_rules": ["todo-batch"], "log_level": "warn"}"#,
    )
    .expect("write");
    std::fs::write(
        project.join(config::PROJECT_FILE),
        r#"{"budget_ms": 30, "thresholds": {"native-overuse.major": 9, "batching-bash.run": 6}}"#,
    )
    .expect("write");
    let r = resolve_in(&home, &project);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    c.bench_function("config/resolve, both files", |b| {
        b.iter(|| black_box(resolve_in(&home, &project)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
