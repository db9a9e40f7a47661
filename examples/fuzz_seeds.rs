//! Writes one fuzzing seed per PostToolUse payload rebuilt from Claude Code transcripts.
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
    for f in files {
        let Ok((events, _)) = posthook::transcript::events_from_file(&f) else {
            continue;
        };
        for ev in events {
            let bytes = ev.payload.to_string().into_bytes();
            let path = out.join(format!("{:016x}.json", fnv1a64(&bytes)));
            if std::fs::write(path, &bytes).is_ok() {
                written += 1;
            }
        }
    }
    let msg = format!("{written} seeds in {}\n", out.display());
    let _ = std::io::Write::write_all(&mut std::io::stdout(), msg.as_bytes());
    ExitCode::SUCCESS
}
