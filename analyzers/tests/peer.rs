//! posthook's Bash rules against the test suite of a PreToolUse peer, cc-safety-net
//! (tests/data/peer/cc-safety-net.json): the commands it blocks and the ones it allows.
//!
//! posthook speaks after the fact, so it need not flag all that a blocker refuses; but nothing the
//! peer allows may block, hardly anything it allows may be flagged, and every command it blocks
//! that posthook leaves alone is a choice listed in [`NOT_FLAGGED`].

// A test reads its fixture and prints its table: the purity rules of clippy.toml are for the
// analyzers' own code.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use posthook_analyzers::builtin::analyzer_of;
use posthook_analyzers::{Context, History, NoCache, Settings, Severity, ToolCall};
use serde_json::{json, Value};

const PROJECT: &str = "/home/u/proj";
const HOME: &str = "/home/u";

/// Commands the peer blocks that posthook deliberately leaves alone, by why.
const NOT_FLAGGED: &[(&str, &[&str])] = &[
    (
        "a quote is never closed: the shell refuses the whole line and runs nothing",
        &[
            "rm -rf /some/path 'unterminated",
            "git push -f origin main 'unterminated",
            "find . -delete 'unterminated",
            "git checkout -- file.txt 'unterminated",
            "git restore file.txt 'unterminated",
            "git restore --worktree file.txt 'unterminated",
            "git stash clear 'unterminated",
            "git branch -D feature 'unterminated",
            "git reset --hard 'unterminated",
            "git reset --merge 'unterminated",
            "git clean -f 'unterminated",
            "git stash drop stash@{0} 'unterminated",
            "git push --force origin main 'unterminated",
        ],
    ),
    (
        "a checkout or restore of named files discards only their changes: the routine way to undo one's own edit (the whole tree, `.`, is flagged)",
        &[
            "git checkout -- file.txt",
            "git checkout -- file1.txt file2.txt",
            "git checkout HEAD -- file.txt",
            "git checkout HEAD file.txt",
            "git checkout main a.txt b.txt",
            "git checkout -- -f",
            "git checkout -q main file.txt",
            "git checkout --no-quiet main file.txt",
            "git checkout --guess main file.txt",
            "git checkout --recurse-submodules main file.txt",
            "git checkout --no-recurse-submodules main file.txt",
            "git checkout --track main file.txt",
            "git checkout --unknown main file.txt",
            "git restore file.txt",
            "git restore a.txt b.txt",
            "git restore --worktree file.txt",
            "git checkout >'file`name' -- foo",
            "git checkout 2>/dev/null -- foo",
        ],
    ),
    (
        "nothing runs: `GIT` is not `git`, `1A=2` is not an assignment but a missing program, `command -V` only describes, `git clean -n` only previews",
        &[
            "git clean -nf",
            "GIT CHECKOUT -- file",
            "command -V git reset --hard",
            "1A=2 git reset --hard",
            "A-B=2 git reset --hard",
            "=2 git reset --hard",
        ],
    ),
    (
        "the command is another language's string (`python -c`, `node -e`, `ruby -e`, `perl -e`): posthook reads shell, not those languages",
        &[
            "python -c 'import os; os.system(\"rm -rf /some/path\")'",
            "node -e \"rm -rf /\"",
            "ruby -e \"rm -rf /\"",
            "perl -e \"rm -rf /\"",
        ],
    ),
    (
        "the path depends on a variable other than HOME or on a substitution's output (`$TMPDIR`, `` `pwd` ``): unknown, and unknown is no alarm",
        &[
            "TMPDIR=/Users rm -rf $TMPDIR/test-dir",
            "rm -rf $TMPDIR/../escape",
            "rm -rf `pwd`/escape",
        ],
    ),
    (
        "the paths or commands come from the input of `xargs` or `parallel`, which posthook does not follow",
        &[
            "echo / | xargs rm -rf",
            "echo / | xargs --delimiter '\\n' rm -rf",
            "echo / | xargs -i rm -rf",
            "echo / | xargs -n1 rm -rf",
            "echo / | xargs -P2 rm -rf",
            "echo / | xargs --arg-file=/tmp/paths rm -rf",
            "echo / | xargs -i{} rm -rf",
            "find . -print0 | xargs -0 rm -rf",
            "echo ok | xargs -a /tmp/paths rm -rf",
            "echo / | xargs busybox rm -rf",
            "echo ok | xargs busybox find . -delete",
            "echo ok | xargs find . -delete",
            "echo / | xargs --replace bash -c 'rm -rf {}'",
            "echo / | xargs --replace=FOO bash -c 'rm -rf FOO'",
            "echo / | xargs --replace= bash -c 'rm -rf {}'",
            "echo / | xargs --replace -t bash -c 'rm -rf {}'",
            "echo ok | xargs -I{} bash -c {}",
            "echo ok | xargs bash -c",
            "echo 'rm -rf /' | xargs -I{} bash -c {}",
            "echo / | xargs -J {} rm -rf {}",
            "echo 'rm -rf /' | xargs bash -c",
            "parallel bash -c ::: 'rm -rf /'",
            "echo / | parallel rm -rf",
            "echo / | parallel busybox rm -rf",
            "parallel busybox find . -delete ::: ok",
            "parallel find . -delete ::: ok",
            "echo 'rm -rf /' | parallel bash -c {}",
            "echo ok | parallel bash -c {}",
            "echo / | parallel bash -c 'rm -rf {}'",
            "parallel ::: 'rm -rf /'",
        ],
    ),
    (
        "what it deletes is inside the project or a temporary dir (`find . -delete`, `find . -exec rm`, `rm -rf 7`): cleanup of the project's own files",
        &[
            "rm -rf 7 > /dev/null",
            "rm -rf 123 >/dev/null",
            "echo $(find . -delete )",
            "busybox find . -delete",
            "find . -name \"*.pyc\" -delete",
            "busybox find . -name \"*.pyc\" -delete",
            "find . -exec rm -rf {} \\;",
            "find /tmp -execdir rm -rf {} +",
            "find . -name '*.tmp' -exec rm -r --force {} \\;",
            "find . -exec rm --recursive -f {} \\;",
            "busybox find . -exec rm -rf {} \\;",
            "bash -c 'find . -exec rm -rf {} \\;'",
            "find . -exec env rm -rf {} ;",
            "find . -exec sudo rm -rf {} ;",
            "find . -exec command rm -rf {} ;",
            "find . -exec busybox rm -rf {} ;",
            "find /tmp -execdir env rm -rf {} +",
        ],
    ),
    (
        "`git reset --merge` keeps the uncommitted changes the reset does not touch, and refuses when it would lose one",
        &[
            "git reset --merge",
        ],
    ),
];

/// Commands the peer allows that posthook flags, by why.
const FLAGGED_ANYWAY: &[(&str, &[&str])] = &[
    (
        "`rm -r` without `-f` deletes the same tree outside the project (`-f` only silences prompts for write-protected files)",
        &["rm -r /some/path", "rm -R /some/path"],
    ),
    (
        "anything run through sudo is a privileged command: a moderate note, never a block",
        &["sudo env VAR=1 git status", "echo ok | xargs sudo --"],
    ),
];

struct Verdict {
    flagged: bool,
    blocks: bool,
}

/// What exec-safety and danger say about `command`, run in `cwd` (the project by default).
fn judge(command: &str, cwd: Option<&str>) -> Verdict {
    let mut call = ToolCall::new("Bash", json!({ "command": command }))
        .in_dir(cwd.unwrap_or(PROJECT))
        .with_home(HOME);
    call.project_dir = Some(PROJECT.to_string());
    let mut history = History::new();
    let fact = history.record(&call).clone();
    let settings = Settings::default();
    let cx = Context {
        call: &call,
        fact: &fact,
        history: &history,
        settings: &settings,
        cache: &NoCache,
    };
    let mut found = Vec::new();
    for rule in ["exec-safety", "danger"] {
        let a = (analyzer_of(rule).expect("built in").make)();
        a.analyze(&cx, &mut found);
    }
    Verdict {
        flagged: !found.is_empty(),
        blocks: found
            .iter()
            .any(|f| f.severity == Severity::Critical || f.blocks),
    }
}

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/peer/cc-safety-net.json"
    );
    let text = std::fs::read_to_string(path).expect("the peer fixture");
    serde_json::from_str(&text).expect("JSON")
}

fn listed(list: &[(&str, &[&str])], cmd: &str) -> bool {
    list.iter().any(|(_, cmds)| cmds.contains(&cmd))
}

#[test]
#[allow(clippy::print_stdout)]
fn against_the_peers_blocked_and_allowed_commands() {
    let fx = fixture();
    let rows = |k: &str| -> Vec<(String, Option<String>)> {
        fx[k]
            .as_array()
            .expect("a list")
            .iter()
            .map(|r| {
                let cmd = r["command"].as_str().expect("command").to_string();
                (cmd, r["cwd"].as_str().map(str::to_string))
            })
            .collect()
    };
    let (blocked, allowed) = (rows("blocked"), rows("allowed"));
    let mut missed = Vec::new();
    let (mut flagged_blocked, mut blocks_blocked) = (0, 0);
    for (cmd, cwd) in &blocked {
        let v = judge(cmd, cwd.as_deref());
        flagged_blocked += usize::from(v.flagged);
        blocks_blocked += usize::from(v.blocks);
        if !v.flagged {
            missed.push(cmd.clone());
        }
    }
    let mut false_alarms = Vec::new();
    let mut blocks_allowed = Vec::new();
    for (cmd, cwd) in &allowed {
        let v = judge(cmd, cwd.as_deref());
        if v.flagged {
            false_alarms.push(cmd.clone());
        }
        if v.blocks {
            blocks_allowed.push(cmd.clone());
        }
    }
    println!(
        "peer blocked: {} commands, posthook flags {flagged_blocked} (blocks {blocks_blocked})",
        blocked.len()
    );
    println!(
        "peer allowed: {} commands, posthook flags {} (blocks {})",
        allowed.len(),
        false_alarms.len(),
        blocks_allowed.len()
    );
    for m in &missed {
        println!("  not flagged: {m:?}");
    }
    for m in &false_alarms {
        println!("  flagged though allowed: {m:?}");
    }
    assert!(blocks_allowed.is_empty(), "{blocks_allowed:?}");
    // Measured when the rules moved to the parse: 117 of 209 blocked commands flagged (the word
    // matching before flagged 75), 4 of 141 allowed ones (before: 11, two of them blocking).
    assert!(flagged_blocked >= 117, "{flagged_blocked}");
    assert!(false_alarms.len() <= 4, "{false_alarms:?}");
    let unlisted: Vec<&String> = missed.iter().filter(|m| !listed(NOT_FLAGGED, m)).collect();
    assert!(
        unlisted.is_empty(),
        "missed without a reason: {unlisted:#?}"
    );
    let unlisted: Vec<&String> = false_alarms
        .iter()
        .filter(|m| !listed(FLAGGED_ANYWAY, m))
        .collect();
    assert!(
        unlisted.is_empty(),
        "flagged without a reason: {unlisted:#?}"
    );
    for (_, cmds) in NOT_FLAGGED.iter().chain(FLAGGED_ANYWAY) {
        for c in *cmds {
            assert!(
                blocked.iter().chain(&allowed).any(|(b, _)| b == c),
                "a listed command is in the fixture: {c}"
            );
        }
    }
}
