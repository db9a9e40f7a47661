//! Wasted context: output logs read whole, and files read again though nothing changed them.

use super::{Builtin, Kind, Rule, Tools};
use crate::{Family, truncate_chars, Analyzer, Context, Finding, Severity, Threshold};

pub(crate) const LOG_BYTES: Threshold = Threshold::new(
    "wasted-context.log-bytes",
    16384.0,
    "size of a Read response of a log or command-output file (read whole) that wastes context",
);

pub(crate) const REREAD_MINUTES: Threshold = Threshold::new(
    "wasted-context.reread-minutes",
    20.0,
    "a re-read of the same file and range with nothing changed between counts within this many minutes (later, the context may have been compacted)",
);

pub(crate) const DUMP_BYTES: Threshold = Threshold::new(
    "wasted-context.dump-bytes",
    16384.0,
    "size of the output of a search or lookup (Bash grep/find/cat, Grep) that dumps too much into context",
);

/// Reads of small files cost little; a re-read below this size is not worth a remark.
const REREAD_MIN_BYTES: u64 = 2048;

/// Wasted context (minor): a Read, without offset or limit, of a command's output log (`*.log`,
/// `*.output`, `*.out`) whose response is at least 16 KiB (45); or a Read of the same file and
/// range as one less than 20 minutes before by the same agent, with no change of the file, no
/// shell command, no plan mode and no long pause in between (40; files under 2 KiB are never worth
/// it).
pub struct WastedContext;

const RULE: Rule = Rule {
    id: "wasted-context",
    kind: Kind::WastedContext,
    family: Family::Core,
    doc: "a whole command-output log (16 KiB and more) read into context; a search or lookup that put 16 KiB or more of output into context; a Bash search or print of a file the agent read whole and nothing changed since; the same part of a file read again by the same agent within 20 minutes with nothing changing it (plan mode and a pause of 5 minutes start over)",
};

impl WastedContext {
    /// Its one definition (see [`Builtin`]).
    pub const SPEC: Builtin = Builtin {
        name: RULE.id,
        rules: &[RULE],
        tools: Tools::All,
        thresholds: &[LOG_BYTES, DUMP_BYTES, REREAD_MINUTES],
        critical: false,
        make: || Box::new(WastedContext),
    };
}

fn is_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name.rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .as_deref(),
        Some("log" | "output" | "out")
    )
}

/// A call that only searches or prints: its whole output goes into context.
fn is_lookup(f: &crate::Fact) -> bool {
    let lookup = crate::tags::LISTS | crate::tags::SEARCHES | crate::tags::PRINTS;
    f.tool == "Grep" || (f.tool == "Bash" && f.tags & lookup != 0)
}

/// A Bash search or print of a file this agent read whole, unchanged since (40): what it shows
/// is already in the context.
fn looked_again(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let f = cx.fact;
    let (Some(before), Some(path)) = (cx.history.reread_of, f.path.as_deref()) else {
        return;
    };
    let minutes = f.ts.saturating_sub(before.ts) / 60_000;
    if f.tool != "Bash" || minutes >= cx.count(&REREAD_MINUTES).max(1) {
        return;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let head = f.cmd.as_deref().unwrap_or("a lookup");
    out.push(
        Finding::new(RULE.id, Severity::Minor, 40)
            .subject(path)
            .headline(format!("`{head}` into {name}, which is already in context"))
            .observed(format!(
                "{} was read whole {} ago and nothing changed it since; this shows part of it again.",
                truncate_chars(path, 160),
                if minutes == 0 { String::from("less than a minute") } else { format!("{minutes} min") }
            ))
            .next_step("use what that read returned; look into the file again once it has changed"),
    );
}

/// A search or lookup whose output is huge (45): it all went into the context.
fn dumped(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let f = cx.fact;
    let kb = f.out_len.div_ceil(1024);
    let what = match f.cmd.as_deref() {
        Some(head) => format!("`{head}`"),
        None => f.tool.clone(),
    };
    out.push(
        Finding::new(RULE.id, Severity::Minor, 45)
            .subject(format!("dump:{what}"))
            .headline(format!("{what} put {kb} KB of output into context"))
            .observed(format!(
                "That lookup returned about {kb} KB, all of it now in the context, most of it likely not needed."
            ))
            .next_step("narrow it to what you need: a more specific pattern, the few names or fields you want, or a count first"),
    );
}

impl Analyzer for WastedContext {
    fn name(&self) -> &'static str {
        Self::SPEC.name
    }

    fn analyze(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let f = cx.fact;
        if !f.ok {
            return;
        }
        if is_lookup(f) {
            if f.out_len >= cx.count(&DUMP_BYTES).max(1) {
                dumped(cx, out);
            } else {
                looked_again(cx, out);
            }
            return;
        }
        if f.tool != "Read" {
            return;
        }
        let Some(path) = f.path.as_deref() else {
            return;
        };
        let shown = truncate_chars(path, 160);
        let kb = f.out_len.div_ceil(1024);
        if f.range.is_none() && is_log(path) && f.out_len >= cx.count(&LOG_BYTES).max(1) {
            out.push(
                Finding::new(RULE.id, Severity::Minor, 45)
                    .subject(path)
                    .headline(format!("a whole {kb} KB output log read into context"))
                    .observed(format!("Read returned all of {shown} ({kb} KB), a command's output log."))
                    .next_step(format!(
                        "read only the part you need: Read with offset and limit, or `tail -n 40 {shown}` through Bash"
                    )),
            );
            return;
        }
        let Some(before) = cx.history.reread_of else {
            return;
        };
        let minutes = f.ts.saturating_sub(before.ts) / 60_000;
        if f.out_len < REREAD_MIN_BYTES || minutes >= cx.count(&REREAD_MINUTES).max(1) {
            return;
        }
        out.push(
            Finding::new(RULE.id, Severity::Minor, 40)
                .subject(path)
                .headline(format!("{} read again, unchanged", path.rsplit('/').next().unwrap_or(path)))
                .observed(format!(
                    "The same part of {shown} was read {} ago, and no edit, write or shell command changed it since ({kb} KB again).",
                    if minutes == 0 { String::from("less than a minute") } else { format!("{minutes} min") }
                ))
                .next_step("use what that read returned; read the file again once it has changed"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testkit::*;
    use serde_json::json;

    fn read_sized(path: &str, bytes: u64) -> crate::ToolCall {
        let mut c = read(path);
        c.response_len = bytes;
        c
    }

    #[test]
    fn a_whole_log_read_into_context() {
        let mut s = Session::default_profile();
        let f = s.step(
            &WastedContext,
            read_sized("/tmp/claude-1000/p/tasks/b7636e2.output", 18_394),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].headline.contains("18 KB output log"),
            "{}",
            f[0].headline
        );
        assert!(
            s.step(&WastedContext, read_sized("/tmp/x/build.log", 4_000))
                .is_empty(),
            "small"
        );
        let mut part = read_sized("/tmp/x/build.log", 40_000);
        part.input = json!({"file_path": "/tmp/x/build.log", "offset": 900, "limit": 40});
        assert!(s.step(&WastedContext, part).is_empty(), "a part of it");
        assert!(
            s.step(&WastedContext, read_sized("/p/src/big.rs", 90_000))
                .is_empty(),
            "source"
        );
    }

    #[test]
    fn a_re_read_of_an_unchanged_file() {
        let mut s = Session::default_profile();
        s.step(&WastedContext, read_sized("/p/src/a.rs", 9_000));
        let f = s.step(&WastedContext, read_sized("/p/src/a.rs", 9_000));
        assert_eq!(f.len(), 1);
        assert!(f[0].headline.contains("a.rs read again"));
        // Changed in between: reading it again is right.
        s.feed(edit("/p/src/a.rs"));
        assert!(s
            .step(&WastedContext, read_sized("/p/src/a.rs", 9_000))
            .is_empty());
        // A shell command in between may have changed it (a formatter).
        s.feed(bash("mix format"));
        assert!(s
            .step(&WastedContext, read_sized("/p/src/a.rs", 9_000))
            .is_empty());
        // Another range is another read.
        let mut part = read_sized("/p/src/a.rs", 3_000);
        part.input = json!({"file_path": "/p/src/a.rs", "offset": 100, "limit": 50});
        assert!(s.step(&WastedContext, part).is_empty());
        // Long after (a compacted context), reading again is fair.
        s.after(25 * 60_000);
        assert!(s
            .step(&WastedContext, read_sized("/p/src/a.rs", 9_000))
            .is_empty());
    }

    #[test]
    fn a_re_read_counts_only_in_the_same_context() {
        let mut s = Session::default_profile();
        s.step(&WastedContext, read_sized("/p/src/a.rs", 9_000));
        assert!(
            s.step(
                &WastedContext,
                read_sized("/p/src/a.rs", 9_000).in_agent("x")
            )
            .is_empty(),
            "a subagent has its own context"
        );
        assert_eq!(
            s.step(
                &WastedContext,
                read_sized("/p/src/a.rs", 9_000).in_agent("x")
            )
            .len(),
            1,
            "the same subagent again"
        );
        // Plan mode replaces the context: reading again after it is right.
        s.step(&WastedContext, read_sized("/p/src/b.rs", 9_000));
        s.feed(call("ExitPlanMode", json!({"plan": "x"})));
        assert!(s
            .step(&WastedContext, read_sized("/p/src/b.rs", 9_000))
            .is_empty());
        // So does a long pause (the user away; the context may have been compacted).
        s.step(&WastedContext, read_sized("/p/src/c.rs", 9_000));
        s.after(6 * 60_000);
        assert!(s
            .step(&WastedContext, read_sized("/p/src/c.rs", 9_000))
            .is_empty());
        assert_eq!(
            s.step(&WastedContext, read_sized("/p/src/c.rs", 9_000))
                .len(),
            1,
            "and right after, it counts again"
        );
    }

    #[test]
    fn a_lookup_that_dumps_a_huge_output() {
        let mut s = Session::default_profile();
        let mut big = bash("grep -E '^  ' /p/mix.lock | head -100");
        big.response_len = 28_025;
        let f = s.step(&WastedContext, big);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].headline.contains("28 KB of output"),
            "{}",
            f[0].headline
        );
        let mut small = bash("grep -rn foo /p/src");
        small.response_len = 9_000;
        assert!(s.step(&WastedContext, small).is_empty(), "small");
        let mut test = bash("cargo test 2>&1");
        test.response_len = 60_000;
        assert!(
            s.step(&WastedContext, test).is_empty(),
            "a test run's output is not a lookup"
        );
    }

    #[test]
    fn a_search_of_a_file_already_read_whole() {
        let mut s = Session::default_profile();
        s.step(&WastedContext, read_sized("/p/lib/tmux.ex", 9_000));
        s.feed(bash("find /p/test -name '*.exs'"));
        s.feed(bash("find /p/nope -name '*.ex'").failed_with("Exit code 1"));
        let f = s.step(&WastedContext, bash("grep -A 10 rescue /p/lib/tmux.ex"));
        assert_eq!(
            f.len(),
            1,
            "a lookup changes nothing: the read is still current"
        );
        assert!(
            f[0].headline
                .contains("tmux.ex, which is already in context"),
            "{}",
            f[0].headline
        );
        // Another file, a file read in part, or one changed since: nothing to say.
        assert!(s
            .step(&WastedContext, bash("grep -n x /p/lib/other.ex"))
            .is_empty());
        s.feed(edit("/p/lib/tmux.ex"));
        assert!(s
            .step(&WastedContext, bash("grep -A 10 rescue /p/lib/tmux.ex"))
            .is_empty());
        // A shell command that may change files makes every read stale.
        s.step(&WastedContext, read_sized("/p/lib/b.ex", 9_000));
        s.feed(bash("mix format"));
        assert!(s
            .step(&WastedContext, bash("grep -n x /p/lib/b.ex"))
            .is_empty());
    }
}
