//! A small builder that runs the real binary with its own state dir.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The path of the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_posthook")
}

/// The path of the lean hook executable, which links only the hook path.
pub fn lean_bin() -> &'static str {
    env!("CARGO_BIN_EXE_posthook-hook")
}

/// The real transcripts the tests replay: `tests/data/transcripts` (copied byte for byte, with their
/// sources and licenses in the README beside them).
pub fn transcripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcripts")
}

/// The labelled incidents of those transcripts: `tests/data/labels/incidents.json`.
pub fn labels_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/labels/incidents.json")
}

/// Every shared transcript file (`*.jsonl`), sorted; fails when the shared data is missing.
pub fn transcript_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(transcripts_dir())
        .expect("shared transcripts dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    assert!(v.len() >= 7, "expected the shared transcripts, found {v:?}");
    v
}

/// The names of the golden sequences in `tests/golden/` (`NAME.jsonl`), sorted.
pub fn golden_names() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden"))
            .expect("tests/golden")
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".jsonl"))
                    .map(String::from)
            })
            .collect();
    names.sort();
    names
}

/// A test's own sandbox: a temp dir holding the state dir and a fake HOME.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The fake HOME (created on first use).
    pub fn home(&self) -> PathBuf {
        let h = self.dir.path().join("home");
        std::fs::create_dir_all(&h).expect("mkdir home");
        h
    }

    /// A project dir (created on first use); commands from [`Sandbox::in_project`] run in it.
    pub fn project(&self) -> PathBuf {
        let p = self.dir.path().join("project");
        std::fs::create_dir_all(p.join(".claude")).expect("mkdir project");
        p
    }

    /// A command run in the project dir with `CLAUDE_PROJECT_DIR` set to it.
    pub fn in_project(&self, args: &[&str]) -> Run {
        let mut r = self.cmd(args);
        r.cmd
            .current_dir(self.project())
            .env("CLAUDE_PROJECT_DIR", self.project())
            .env_remove("XDG_CONFIG_HOME");
        r
    }

    /// A command for the binary with `args`, POSTHOOK_STATE_DIR and HOME inside the sandbox.
    pub fn cmd(&self, args: &[&str]) -> Run {
        self.cmd_of(bin(), args)
    }

    /// As [`Sandbox::cmd`], for the executable at `path`.
    pub fn cmd_of(&self, path: &str, args: &[&str]) -> Run {
        let mut c = Command::new(path);
        c.args(args)
            .env_remove("POSTHOOK_LOG")
            .env_remove("POSTHOOK_OUTPUT")
            .env_remove("POSTHOOK_PROFILE")
            .env_remove("CLAUDE_PROJECT_DIR")
            .env_remove("XDG_DATA_HOME")
            .env("POSTHOOK_STATE_DIR", self.state_dir())
            .env("HOME", self.dir.path().join("home"));
        Run {
            cmd: c,
            stdin: Vec::new(),
        }
    }

    /// Runs the hook with `payload` on stdin.
    pub fn hook(&self, args: &[&str], payload: impl AsRef<[u8]>) -> Done {
        self.cmd(args).stdin(payload).run()
    }

    /// Files of session state under the state dir, recursively: every file but the record of
    /// counters `posthook stats` reads ([`Sandbox::record_file`]), which has a fixed size and
    /// holds no session's state.
    pub fn state_files(&self) -> Vec<PathBuf> {
        fn walk(p: &Path, out: &mut Vec<PathBuf>) {
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else if e.file_name() == RECORD_FILE {
                        continue;
                    } else {
                        out.push(path);
                    }
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.state_dir(), &mut v);
        v.sort();
        v
    }
}

/// The record's file name in the state dir.
pub const RECORD_FILE: &str = "posthook.record";

impl Sandbox {
    /// The record of counters `posthook stats` reads.
    pub fn record_file(&self) -> PathBuf {
        self.state_dir().join(RECORD_FILE)
    }
}

pub struct Run {
    pub cmd: Command,
    stdin: Vec<u8>,
}

impl Run {
    pub fn stdin(mut self, bytes: impl AsRef<[u8]>) -> Run {
        self.stdin = bytes.as_ref().to_vec();
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(k, v);
        self
    }

    /// Starts the command with stdin, stdout and stderr piped, for a test that feeds it itself.
    pub fn spawn_piped(mut self) -> std::process::Child {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn posthook")
    }

    pub fn run(mut self) -> Done {
        let data = std::mem::take(&mut self.stdin);
        let mut child = self.spawn_piped();
        let mut stdin = child.stdin.take().expect("stdin");
        // Write from a thread: the child may answer before reading all of a large input.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        let _ = writer.join();
        Done(out)
    }
}

/// A finished run.
pub struct Done(pub Output);

impl Done {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code and returns self, printing both streams on failure.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Done {
        assert_eq!(
            self.code(),
            code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// A PostToolUse payload for `tool` with `input` in session `session`.
pub fn post(session: &str, tool: &str, input: serde_json::Value) -> String {
    serde_json::json!({
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/project",
        "hook_event_name": "PostToolUse",
        "tool_name": tool,
        "tool_input": input,
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        "tool_use_id": "toolu_1"
    })
    .to_string()
}
