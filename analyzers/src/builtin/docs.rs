//! docs/rules.md, rendered from the registry: a fixed introduction, one row per rule, every
//! threshold with its default, and the fixed text on back-off and measurement.

use super::{registry, thresholds, Builtin, Rule};
use std::fmt::Write as _;

/// What comes before the table of rules.
const INTRO: &str = "# Rules: what posthook says

<!-- Generated from the analyzers' specs (analyzers/src/builtin/*.rs); do not edit by hand.
Regenerate: POSTHOOK_BLESS=1 cargo test --test cli docs -->

A message costs the model attention and a wrong one teaches it to ignore the right one, so posthook
speaks only where a sharp pair programmer watching the session would interrupt, and says what it
saw, why it matters and one next step. Each rule addresses one kind of incident:
";

/// What follows the table of rules.
const FAMILIES: &str = "A **critical** rule runs whatever the time budget, and a project file cannot disable it. Rules of
the `core` family are on in every profile; a hive family's rules (`coordinator`: a `mcp__zen__`
tool; `memory`: a memory tool; `flow`: a flow tool or `npx claude-flow`) are off in `default`, on
in `hive`, and in `auto` switch on once the session uses that family's tools. Any rule can be
turned off by its id (`disabled_rules`, `--disable`, `POSTHOOK_DISABLE`), a critical one not by a
project file.

## Thresholds

Every number a rule judges by, with its default; set them in the config's `thresholds` (see
[configuration](configuration.md)), and `posthook config show` prints those in force.

| key | default | meaning |
|---|---|---|
";

/// The fixed text after the thresholds.
const OUTRO: &str = r##"How it backs off: cooldowns are kept per rule and subject (the file, the command head). Advice that
fires again after it was shown was ignored: its cooldown doubles each time, and after the third
time it is muted for that subject (another file starts fresh). Only critical findings and confirmed
loops block (exit 2, or `decision: block`); advice never does, however often it is ignored. A
message that would name a tool the session never used (MultiEdit and Glob are gone from current
Claude Code; many hive sessions have no zen server) is not sent. `"escalate": true` in the config
(or `POSTHOOK_ESCALATE=1`) restores the original's escalation: firmer wording, and blocking for a
major finding of priority 70 or more and after five unheeded notices. `explain` and `replay` print
the provider's own reason for each finding: shown, held by its cooldown, spaced, muted, outranked,
not grounded.

Measured on the labelled real sessions in `tests/data/` (`cargo test --test cli quality --
--nocapture`; `tests/cli/quality.rs` scores every message: a hit when it lands on a labelled
incident, from its first call to 3 calls after its last, with a rule of that kind; a miss
otherwise, and always when it names a tool the session never used):

| session | calls | messages | hits | blocking | incidents found |
|---|---|---|---|---|---|
| spotter 258c7280 | 185 | 1 | 1 | 0 | 1 of 1 |
| spotter 4d5611e5 | 150 | 3 | 3 | 0 | 2 of 2 |
| spotter 4d5611e5, its subagent | 26 | 1 | 1 | 0 | 1 of 1 |
| five more (fasthooks, short, subagent, tool_heavy) | 32 | 0 | — | 0 | none labelled |
| **all** | **393** | **5 (1.3%)** | **5** | **0** | **4 of 4** |

Precision 100%, recall 100%; the test fails below 80% / 60%, above one blocking message or above
messages on 5% of calls. Three of the messages, as Claude gets them:

```
posthook [untested-change] committing app.js untested
assets/js/app.js (JavaScript/TypeScript) changed once since the last JavaScript/TypeScript test or build; since then only `mix compile`, `mix test` ran, which do not cover JavaScript/TypeScript.
Next: build and run the JavaScript/TypeScript tests that cover app.js before committing

posthook [tool-misuse] Bash `find`/`ls` where Glob does it
3 of the last 4 calls were plain `find`/`ls` commands, with nothing that needs a shell; this session uses Glob.
Next: use Glob for file lookups (e.g. a `**/*.css` pattern), and Bash for what needs a shell

posthook [wasted-context] a whole 18 KB output log read into context
Read returned all of /tmp/claude-1000/…/tasks/b7636e2.output (18 KB), a command's output log.
Next: read only the part you need: Read with offset and limit, or `tail -n 40 …/b7636e2.output` through Bash
```

(each is followed by a `Context:` line: the last tool, the recent ones of its stream, the command or
file).

What it stays silent about, on purpose: several Edits of one file after reading it (the normal way
to change a file); dependent searches while exploring, and reads made in parallel; test runs whose
failure changes as the code changes (red-green); a pre-commit hook that fails for a different
reason each time; a single `ls` or `cat`; a re-read after the file changed, after a shell command
(a formatter may have changed it) or after a long gap (the context may have been compacted); a
commit of docs or data only; and anything that depends on tools the session does not have.
"##;

/// One row of the table of rules.
fn rule_row(out: &mut String, b: &Builtin, r: &Rule) {
    let kind = r.kind.as_str().replace('-', " ");
    let critical = if b.critical { ", **critical**" } else { "" };
    let _ = writeln!(
        out,
        "| `{}` | {kind}{critical} | {} | {} | {} |",
        r.id,
        r.family.as_str(),
        b.tools.describe(),
        r.doc
    );
}

/// docs/rules.md as the registry describes the rules.
pub fn rules_markdown() -> String {
    let mut out = String::from(INTRO);
    out.push_str("\n| rule | kind | family | applies to | says so when |\n|---|---|---|---|---|\n");
    for b in registry() {
        for r in b.rules {
            rule_row(&mut out, b, r);
        }
    }
    out.push('\n');
    out.push_str(FAMILIES);
    for t in thresholds() {
        let _ = writeln!(out, "| `{}` | {} | {} |", t.key, t.default, t.description);
    }
    out.push('\n');
    out.push_str(OUTRO);
    out
}
