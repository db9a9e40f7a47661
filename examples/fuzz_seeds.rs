//! Writes fuzzing seeds from Claude Code transcripts: one per payload rebuilt from them (first byte
//! 0), one state file per transcript as the hook leaves it after all its events (first byte 1),
//! and a few config files (first byte 2): the first byte tells the fuzz target what the rest is.
//!
//! `cargo run --example fuzz_seeds -- TRANSCRIPTS_DIR OUT_DIR` (see fuzz/seed.sh). Each seed is
//! named by a hash of its bytes, so running it again adds nothing twice.

use posthook::analyzers::fnv1a64;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [dir, out] = args.as_slice() else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"usage: fuzz_seeds TRANSCRIPTS_DIR OUT_DIR\n",
        );
        return ExitCode::FAILURE;
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) => {
            let msg = format!("fuzz_seeds: {}: {e}\n", dir.display());
            let _ = std::io::Write::write_all(&mut std::io::stderr(), msg.as_bytes());
            return ExitCode::FAILURE;
        }
    };
    files.sort();
    if std::fs::create_dir_all(out).is_err() {
        return ExitCode::FAILURE;
    }
    let mut written = 0usize;
    let mut seed = |kind: u8, body: &[u8]| {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(body);
        let path = out.join(format!("{:016x}", fnv1a64(&bytes)));
        if std::fs::write(path, &bytes).is_ok() {
            written += 1;
        }
    };
    let state = std::env::temp_dir().join(format!("posthook-seeds-{}", std::process::id()));
    let store = posthook::Store::new(&state);
    let runtime = posthook::Runtime::default();
    for (i, f) in files.iter().enumerate() {
        let Ok((events, _)) = posthook::transcript::events_from_file(f) else {
            continue;
        };
        let id = format!("seed{i}");
        for ev in events {
            let bytes = ev.payload.to_string().into_bytes();
            seed(0, &bytes);
            if let Ok(input) = posthook::input::parse(&bytes, 1_700_000_000_000, None) {
                let _ = store.update(&id, std::time::SystemTime::now(), |h| {
                    runtime.process_event(&input, h)
                });
            }
        }
        if let Ok(bytes) = std::fs::read(store.state_path(&id)) {
            seed(1, &bytes);
        }
    }
    let _ = std::fs::remove_dir_all(&state);
    for config in [
        r#"{"profile": "hive", "output": "json", "budget_ms": 40, "disabled_rules": ["native-overuse"], "thresholds": {"native-overuse.major": 10}}"#,
        r#"{"state_dir": "~/.docker", "log_level": "trace", "output": "quiet", "disabled_rules": ["exec-safety"]}"#,
        r#"{"state_dir": "relative", "budget_ms": 0, "colour": true}"#,
    ] {
        seed(2, config.as_bytes());
    }
    let msg = format!("{written} seeds in {}\n", out.display());
    let _ = std::io::Write::write_all(&mut std::io::stdout(), msg.as_bytes());
    ExitCode::SUCCESS
}
