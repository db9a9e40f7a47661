//! posthook's own faults through the binary: broken state, unusable state dirs, a stuck lock, a
//! kill in the middle of a write, a full disk. The hook always answers (fail-open, never exit 1
//! or a hang for its own faults), logs the fault, and keeps whatever state was valid.

use crate::harness::{
    events_total, log_path, log_text, logged, no_mount, show_in, snapshot, Tmpfs,
};
use crate::support::{post, Sandbox};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn read(n: u32) -> String {
    post(
        "s1",
        "Read",
        json!({"file_path": format!("/tmp/project/f{n}.rs")}),
    )
}

fn seed(sb: &Sandbox, n: u32) {
    for i in 0..n {
        sb.hook(&[], read(i)).expect_code(0);
    }
    assert_eq!(events_total(sb, "s1"), Some(u64::from(n)));
}

fn aside_files(dir: &Path) -> Vec<std::path::PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains(".json.corrupt-"))
        .collect()
}

#[test]
fn unreadable_state_is_set_aside_and_replaced() {
    let future = json!({"format": "posthook-session", "version": 99, "session_id": "s1",
        "history": {"events_total": 5, "new_field": [1, 2]}})
    .to_string();
    type Corrupt = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let cases: Vec<(&str, Corrupt)> = vec![
        ("truncated", Box::new(|b: &[u8]| b[..b.len() / 2].to_vec())),
        ("empty", Box::new(|_: &[u8]| Vec::new())),
        (
            "garbage",
            Box::new(|_: &[u8]| (0..=255u8).cycle().take(3000).collect()),
        ),
        ("not an envelope", Box::new(|_: &[u8]| b"[1,2,3]".to_vec())),
        (
            "other format",
            Box::new(|b: &[u8]| {
                String::from_utf8_lossy(b)
                    .replace("posthook-session", "someone-else")
                    .into_bytes()
            }),
        ),
        (
            "future version",
            Box::new(move |_: &[u8]| future.clone().into_bytes()),
        ),
    ];
    for (what, corrupt) in cases {
        let sb = Sandbox::new();
        seed(&sb, 3);
        let path = sb.state_dir().join("s1.json");
        let bad = corrupt(&std::fs::read(&path).expect("state"));
        std::fs::write(&path, &bad).expect("corrupt");
        let d = logged(&sb, &[], read(9)).expect_code(0);
        assert_eq!(
            (d.stdout(), d.stderr()),
            (String::new(), String::new()),
            "{what}"
        );
        assert_eq!(events_total(&sb, "s1"), Some(1), "{what}: a fresh state");
        let aside = aside_files(&sb.state_dir());
        assert_eq!(aside.len(), 1, "{what}: the old state is kept aside");
        assert_eq!(std::fs::read(&aside[0]).expect("aside"), bad, "{what}");
        assert!(log_text(&sb).contains("set aside"), "{what}: logged");
    }
}

#[test]
fn state_path_taken_by_a_directory_is_survived() {
    let sb = Sandbox::new();
    seed(&sb, 1);
    let path = sb.state_dir().join("s1.json");
    std::fs::remove_file(&path).expect("rm");
    std::fs::create_dir(&path).expect("mkdir");
    let d = logged(&sb, &[], post("s1", "Bash", json!({"command": "rm -rf /"})));
    // The call is analyzed, the directory is set aside unread and a fresh state saved.
    d.expect_code(2);
    assert!(path.is_file(), "a state file again");
    let aside: Vec<std::path::PathBuf> = std::fs::read_dir(sb.state_dir())
        .expect("state dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "the directory is kept aside");
    assert!(aside[0].is_dir());
    assert_eq!(events_total(&sb, "s1"), Some(1));
    assert!(log_text(&sb).contains("set aside"));
}

#[test]
fn state_dir_that_is_a_file_or_cannot_be_created() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("plain-file");
    std::fs::write(&file, b"keep me").expect("write");
    for dir in [file.clone(), file.join("below")] {
        let d = sb
            .cmd(&[])
            .env("POSTHOOK_STATE_DIR", &dir)
            .env("POSTHOOK_LOG", log_path(&sb))
            .stdin(post("s1", "Bash", json!({"command": "rm -rf /"})))
            .run();
        d.expect_code(2);
        let d = sb
            .cmd(&[])
            .env("POSTHOOK_STATE_DIR", &dir)
            .stdin(read(0))
            .run()
            .expect_code(0);
        assert_eq!(d.stderr(), "");
    }
    assert_eq!(std::fs::read(&file).expect("read"), b"keep me");
    let log = log_text(&sb);
    assert!(
        log.contains("not a directory") || log.contains("Not a directory"),
        "{log}"
    );
}

#[test]
fn missing_state_dir_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("a/b/c/state");
    sb.cmd(&[])
        .env("POSTHOOK_STATE_DIR", &dir)
        .stdin(read(0))
        .run()
        .expect_code(0);
    let mode = std::fs::metadata(&dir)
        .expect("created")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(
        show_in(&dir, "s1").map(|v| v["events_total"].clone()),
        Some(json!(1))
    );
}

#[test]
fn read_only_state_dir_analyzes_with_the_stored_history() {
    // Tests run as root, which ignores permission bits: a read-only mount is the real thing.
    let sb = Sandbox::new();
    let root = sb.dir.path().join("ro");
    let Some(fs) = Tmpfs::mount(&root, "1m") else {
        return no_mount("read_only_state_dir");
    };
    let dir = root.join("state");
    let run = |payload: String| {
        sb.cmd(&[])
            .env("POSTHOOK_STATE_DIR", &dir)
            .env("POSTHOOK_LOG", log_path(&sb))
            .env("POSTHOOK_LOG_LEVEL", "debug")
            .stdin(payload)
            .run()
    };
    run(read(0)).expect_code(0);
    run(read(1)).expect_code(0);
    fs.remount(true);
    let before = snapshot(&root);
    run(read(2)).expect_code(0);
    run(post("s1", "Bash", json!({"command": "rm -rf /"}))).expect_code(2);
    assert_eq!(snapshot(&root), before, "nothing written");
    let log = log_text(&sb);
    assert!(log.contains("Read-only file system"), "{log}");
    assert!(log.contains("analyzing without saving"), "{log}");
    // Analyzed against the two stored events (events_total 3 in memory), saved nowhere.
    assert!(log.contains("events_total=3"), "{log}");
    assert_eq!(
        show_in(&dir, "s1").map(|v| v["events_total"].clone()),
        Some(json!(2))
    );
    fs.remount(false);
    run(read(3)).expect_code(0);
    assert_eq!(
        show_in(&dir, "s1").map(|v| v["events_total"].clone()),
        Some(json!(3))
    );
}

#[test]
fn a_stuck_lock_holder_costs_a_bounded_wait_then_the_call_proceeds() {
    let sb = Sandbox::new();
    seed(&sb, 1);
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(sb.state_dir().join("s1.lock"))
        .expect("lock file");
    lock.lock().expect("hold the lock");
    let t = Instant::now();
    let d = logged(
        &sb,
        &[("POSTHOOK_LOCK_TIMEOUT_MS", "300")],
        post("s1", "Bash", json!({"command": "rm -rf /"})),
    );
    let waited = t.elapsed();
    d.expect_code(2);
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "bounded: {waited:?}");
    let log = log_text(&sb);
    assert!(
        log.contains("held by another process for more than 300 ms"),
        "{log}"
    );
    assert!(log.contains("analyzing without saving"), "{log}");
    assert!(
        log.contains("events_total=2"),
        "analyzed with the stored history: {log}"
    );
    assert_eq!(events_total(&sb, "s1"), Some(1), "not saved while locked");
    lock.unlock().expect("unlock");
    sb.hook(&[], read(1)).expect_code(0);
    assert_eq!(events_total(&sb, "s1"), Some(2));
}

/// A small xorshift generator: reproducible from the seed printed on failure.
pub struct Rng(pub u64);

impl Rng {
    pub fn from_time() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Rng(t | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn state_total(path: &Path) -> Option<u64> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("reading state: {e}"),
    };
    let (_, history, _) = posthook::state_codec::decode(&bytes)
        .unwrap_or_else(|e| panic!("torn state ({e}): {}", String::from_utf8_lossy(&bytes)));
    Some(history.events_total)
}

#[test]
fn sigkill_at_random_points_never_leaves_a_torn_state() {
    const ROUNDS: u32 = 50;
    let sb = Sandbox::new();
    let seed_value = Rng::from_time().0;
    let mut rng = Rng(seed_value);
    let path = sb.state_dir().join("k.json");
    // Grow the history first so each write is a realistic size, and time the calls: kills are
    // spread over 0..1.5x the median call, so they land before, during and after the write.
    let mut times = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        sb.hook(
            &[],
            post("k", "Bash", json!({"command": format!("cargo test t{i}")})),
        )
        .expect_code(0);
        times.push(t.elapsed());
    }
    times.sort();
    let span = (times[times.len() / 2].as_micros() as u64 * 3 / 2).max(1000);
    let mut prev = state_total(&path).expect("seeded");
    let (mut killed, mut finished, mut killed_after_save) = (0, 0, 0);
    for i in 0..ROUNDS {
        let mut run = sb.cmd(&[]);
        if rng.below(2) == 0 {
            run = run.env("POSTHOOK_FSYNC", "1");
        }
        let mut child = run
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let payload = post("k", "Bash", json!({"command": format!("cargo build b{i}")}));
        let mut stdin = child.stdin.take().expect("stdin");
        let _ = stdin.write_all(payload.as_bytes());
        drop(stdin);
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        let now = state_total(&path).expect("state stays present");
        if status.code().is_some() {
            finished += 1;
            assert_eq!(
                now,
                prev + 1,
                "seed {seed_value}: a finished call is recorded"
            );
        } else {
            killed += 1;
            killed_after_save += u32::from(now == prev + 1);
            assert!(
                now == prev || now == prev + 1,
                "seed {seed_value}: only the killed call's own event may be missing ({prev} -> {now})"
            );
        }
        prev = now;
    }
    // The next call sees a valid state and adds to it.
    sb.hook(
        &[],
        post("k", "Read", json!({"file_path": "/tmp/project/z.rs"})),
    )
    .expect_code(0);
    assert_eq!(state_total(&path), Some(prev + 1));
    assert!(
        aside_files(&sb.state_dir()).is_empty(),
        "no state was ever unreadable"
    );
    let _ = writeln!(
        std::io::stderr(),
        "sigkill loop: {ROUNDS} rounds over 0..{span} us, {killed} killed ({killed_after_save} \
         after their save), {finished} finished, seed {seed_value}"
    );
    assert!(
        killed > 0,
        "seed {seed_value}: some rounds were killed mid-call"
    );
    assert!(finished > 0, "seed {seed_value}: some rounds finished");
}

#[test]
fn a_full_disk_keeps_the_old_state_and_still_answers() {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("small");
    let Some(_fs) = Tmpfs::mount(&root, "256k") else {
        return no_mount("a_full_disk");
    };
    let dir = root.join("state");
    let run = |payload: String| {
        sb.cmd(&[])
            .env("POSTHOOK_STATE_DIR", &dir)
            .env("POSTHOOK_LOG", log_path(&sb))
            .stdin(payload)
            .run()
    };
    for i in 0..3 {
        run(read(i)).expect_code(0);
    }
    let state = std::fs::read(dir.join("s1.json")).expect("state");
    // Fill the file system.
    let filler = root.join("filler");
    let mut f = std::fs::File::create(&filler).expect("filler");
    let block = vec![0u8; 4096];
    let err = loop {
        if let Err(e) = f.write_all(&block) {
            break e;
        }
    };
    assert_eq!(err.raw_os_error(), Some(28), "ENOSPC: {err}");
    drop(f);
    run(post("s1", "Bash", json!({"command": "rm -rf /"}))).expect_code(2);
    run(read(7)).expect_code(0);
    assert_eq!(
        std::fs::read(dir.join("s1.json")).expect("state"),
        state,
        "old state kept"
    );
    let leftovers: Vec<_> = snapshot(&dir)
        .into_keys()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "no partial files: {leftovers:?}");
    let log = log_text(&sb);
    assert!(log.contains("session state not saved"), "{log}");
    assert!(log.contains("No space left on device"), "{log}");
    std::fs::remove_file(&filler).expect("free space");
    run(read(8)).expect_code(0);
    assert_eq!(
        show_in(&dir, "s1").map(|v| v["events_total"].clone()),
        Some(json!(4))
    );
}

#[test]
fn json_state_of_an_older_version_is_migrated() {
    // What version 1 wrote: the history as JSON in a JSON envelope.
    let sb = Sandbox::new();
    seed(&sb, 3);
    let path = sb.state_dir().join("s1.json");
    let (_, history, encoding) =
        posthook::state_codec::decode(&std::fs::read(&path).expect("state")).expect("decodes");
    assert_eq!(encoding, posthook::state_codec::Encoding::Binary);
    let v1 = json!({"format": "posthook-session", "version": 1, "session_id": "s1",
        "history": history});
    std::fs::write(&path, serde_json::to_vec_pretty(&v1).expect("json")).expect("write v1");
    assert_eq!(events_total(&sb, "s1"), Some(3), "session show reads it");

    logged(&sb, &[], read(9)).expect_code(0);
    assert!(aside_files(&sb.state_dir()).is_empty(), "nothing set aside");
    let (_, after, encoding) =
        posthook::state_codec::decode(&std::fs::read(&path).expect("state")).expect("decodes");
    assert_eq!(
        encoding,
        posthook::state_codec::Encoding::Binary,
        "rewritten"
    );
    assert_eq!(after.events_total, 4, "the old events are kept");
    assert_eq!(after.recent.len(), 4);
    assert!(after.recent.iter().take(3).eq(history.recent.iter()));
}
