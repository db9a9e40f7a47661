//! The guidance provider: turns a call's findings into at most one message for Claude, and says
//! why every other finding was not shown.
//!
//! A wrong or repeated message is worse than silence: it teaches the model to ignore the right one.
//! So the provider backs off. Cooldowns and "ignored" are kept per rule and subject (the file, the
//! command head): advice that keeps firing after it was shown was ignored, gets a cooldown twice as
//! long each time, and is muted for that subject after the third time; a new subject starts fresh.
//! Only critical findings and confirmed loops block. A message that would name a tool the session
//! never used is not sent. The original's escalation (firmer wording, blocking after five unheeded
//! notices) is there for those who want it ([`crate::Settings::escalate`]).

use crate::text::{fnv1a64, truncate_chars};
use crate::{Finding, History, Settings, Severity, ToolCall};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The hard cap on a message, in characters (Claude Code cuts long hook output to a preview).
pub const MAX_MESSAGE_CHARS: usize = 1500;

/// Ignored messages after which advice on a subject is muted (unless escalation is on).
pub const MUTE_AFTER: u32 = 3;

/// Calls between two messages that are neither critical nor a confirmed loop.
pub const MIN_SPACING: u64 = 2;

/// In the `auto` profile, calls between two messages of the hive protocol rules: a session's own
/// coordination protocol deserves a remark now and then, not a running commentary.
pub const PROTOCOL_SPACING: u64 = 25;

/// How many rule-and-subject memories a session keeps (the least recently fired go first).
pub const SUBJECTS_CAPACITY: usize = 128;

/// How insistent a message is, from its rule and subject's ignored notices. Only used in the
/// wording and for blocking when escalation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// No guidance ignored.
    Gentle,
    /// 1 or 2 ignored.
    Firm,
    /// 3 or 4 ignored.
    Urgent,
    /// 5 or more ignored.
    Emergency,
}

impl Escalation {
    /// The level for `ignored` ignored messages.
    pub fn from_ignored(ignored: u32) -> Escalation {
        match ignored {
            0 => Escalation::Gentle,
            1..=2 => Escalation::Firm,
            3..=4 => Escalation::Urgent,
            _ => Escalation::Emergency,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::Gentle => "gentle",
            Escalation::Firm => "firm",
            Escalation::Urgent => "urgent",
            Escalation::Emergency => "emergency",
        }
    }
}

/// What the provider remembers of one rule on one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubjectMemory {
    /// Times it fired.
    pub fired: u32,
    /// Times it was shown.
    pub shown: u32,
    /// `events_total` when it was last shown (0: never).
    pub shown_at: u64,
    /// `events_total` when it last fired.
    pub fired_at: u64,
    /// Times it fired again after being shown (counted once per showing): ignored advice.
    pub ignored: u32,
    /// Whether it fired again since it was last shown.
    pub refired: bool,
    /// The severity it last fired with (its cooldown depends on it).
    pub severity: Option<Severity>,
}

impl SubjectMemory {
    /// Calls until its cooldown is over at call `now` (0: open, or never shown).
    pub fn cooldown_left(&self, now: u64) -> u64 {
        if self.shown == 0 {
            return 0;
        }
        let needed = cooldown_after(self.severity.unwrap_or(Severity::Minor), self.ignored);
        needed.saturating_sub(now.saturating_sub(self.shown_at))
    }
}

/// The guidance provider's persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidanceState {
    /// `events_total` when the last message was shown (0: never).
    pub last_shown_at: u64,
    /// Hash of the last message's core (rule, subject, headline, observation).
    pub last_hash: u64,
    /// Rule of the last message.
    pub last_rule: Option<String>,
    /// `events_total` when the last message of a protocol (hive) rule was shown (0: never).
    pub last_protocol_at: u64,
    /// Per rule and subject (`rule` or `rule subject`), at most [`SUBJECTS_CAPACITY`].
    pub subjects: BTreeMap<String, SubjectMemory>,
}

impl GuidanceState {
    /// The memory of `rule` on `subject`.
    pub fn memory(&self, rule: &str, subject: &str) -> Option<&SubjectMemory> {
        self.subjects.get(&key(rule, subject))
    }
}

/// The one message Claude sees for a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    /// Rule that produced it.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// Escalation level of the tone.
    pub escalation: Escalation,
    /// Whether it blocks (exit 2 in stderr mode, `decision: block` in JSON mode).
    pub blocking: bool,
    /// The full text, at most [`MAX_MESSAGE_CHARS`] characters.
    pub text: String,
}

/// What the provider did with one finding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Verdict {
    /// It is the message.
    Shown,
    /// Its rule and subject's cooldown is running.
    Cooldown {
        /// Calls since it was last shown.
        since: u64,
        /// Calls its cooldown lasts now (longer each time it was ignored).
        needed: u64,
    },
    /// Ignored [`MUTE_AFTER`] times: silent for this subject.
    Muted {
        /// Times it was ignored.
        ignored: u32,
    },
    /// Another message went out less than [`MIN_SPACING`] calls ago.
    Spacing {
        /// Calls since the last message.
        since: u64,
    },
    /// Its text would name a tool the session never used.
    Ungrounded {
        /// The tool.
        tool: String,
    },
    /// The same text as the previous message.
    Repeat,
    /// A finding ranked higher was shown.
    Outranked {
        /// The rule shown.
        by: String,
    },
    /// Informational only (severity none): never shown.
    Info,
}

/// One finding's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleVerdict {
    /// The rule.
    pub rule: String,
    /// Its subject (empty: the rule as a whole).
    pub subject: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Why the provider stayed silent, for `explain` and replay summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Silence {
    /// No analyzer found anything.
    NoFindings,
    /// A turn's batch event: recorded (the turn, its refused calls), not analyzed.
    Turn {
        /// Calls of the turn.
        calls: usize,
        /// Refused calls it reported that no per-call event had.
        rejected: usize,
    },
    /// Every finding was held back; this is the best-ranked one and why.
    Held {
        /// Its rule.
        rule: String,
        /// Its subject.
        subject: String,
        /// Why.
        verdict: Verdict,
    },
}

/// The provider's choice for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The message, if any.
    pub feedback: Option<Feedback>,
    /// Why there is none, when there is none.
    pub silence: Option<Silence>,
    /// Every finding's verdict, best-ranked first.
    pub verdicts: Vec<RuleVerdict>,
}

/// Cooldown of a severity, in calls since its rule and subject was last shown, before any was
/// ignored (each ignored notice doubles it).
pub fn cooldown(severity: Severity) -> u64 {
    match severity {
        Severity::Critical => 1,
        Severity::Major => 4,
        Severity::Moderate => 8,
        Severity::Minor | Severity::None => 12,
    }
}

/// The cooldown of `severity` after `ignored` ignored notices.
pub fn cooldown_after(severity: Severity, ignored: u32) -> u64 {
    cooldown(severity) << ignored.min(6)
}

fn key(rule: &str, subject: &str) -> String {
    if subject.is_empty() {
        rule.to_string()
    } else {
        format!("{rule} {}", truncate_chars(subject, 160))
    }
}

/// Tools a message may always name: every session has them.
const ALWAYS: &[&str] = &["Read", "Edit", "Write", "Bash"];

/// Tool names that are also easy to write into advice; a message naming one the session never
/// used is not sent.
const KNOWN_TOOLS: &[&str] = &[
    "MultiEdit",
    "Glob",
    "Grep",
    "LS",
    "TodoWrite",
    "Task",
    "Agent",
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
    "BashOutput",
    "TaskOutput",
    "KillShell",
    "Skill",
    "ToolSearch",
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first tool `text` names that the session never used (the four every session has aside).
pub fn ungrounded_tool(text: &str, history: &History) -> Option<String> {
    let bytes = text.as_bytes();
    for name in KNOWN_TOOLS {
        let mut from = 0;
        while let Some(i) = text[from..].find(name) {
            let at = from + i;
            let end = at + name.len();
            let before = at == 0 || !is_word_byte(bytes[at - 1]);
            let after = end == bytes.len() || !is_word_byte(bytes[end]);
            if before && after && !history.has_used(name) {
                return Some((*name).to_string());
            }
            from = end;
        }
    }
    let mut from = 0;
    while let Some(i) = text[from..].find("mcp__") {
        let at = from + i;
        let end = at
            + text[at..]
                .bytes()
                .take_while(|b| is_word_byte(*b) || *b == b'-')
                .count();
        let token = &text[at..end];
        let family = token.ends_with("__") || text[end..].starts_with('*');
        let used = history.counters.per_tool.keys().any(|t| {
            if family {
                t.starts_with(token)
            } else {
                t == token
            }
        });
        if !used {
            return Some(format!("{token}{}", if family { "*" } else { "" }));
        }
        from = end.max(at + 5);
    }
    let _ = ALWAYS;
    None
}

/// Chooses the message for this call, updating `history.guidance`. `findings` may be in any order.
///
/// The candidates are tried from the highest priority down (ties: higher severity); the first that
/// passes is shown, and every finding gets a [`Verdict`]:
/// - a critical finding or a confirmed loop always passes, and blocks;
/// - any other finding is held while its rule and subject's cooldown runs ([`cooldown_after`]:
///   minor 12, moderate 8, major 4 calls, doubled for each ignored notice), is muted after
///   [`MUTE_AFTER`] ignored notices, and waits [`MIN_SPACING`] calls after any other message
///   (danger findings, about the one call that just ran, do not wait); in the `auto` profile a
///   hive protocol rule also waits [`PROTOCOL_SPACING`] calls after the last protocol message;
/// - a finding whose text names a tool the session never used is never shown;
/// - the same text as the previous message is not sent again.
///
/// A finding counts as ignored when it fires again after it was shown (once per showing). With
/// `settings.escalate` nothing is muted, cooldowns do not grow, the wording escalates (reminder,
/// still unresolved, stop), and as in the original a major finding of priority 70 or more blocks,
/// and so does the fifth ignored notice.
pub fn decide(
    findings: &[Finding],
    call: &ToolCall,
    history: &mut History,
    settings: &Settings,
) -> Decision {
    let now = history.events_total;
    note_fired(&mut history.guidance, findings, now);
    let (verdicts, chosen) = judge(findings, call, history, settings, now);
    let Some((best, ignored)) = chosen else {
        let silence =
            verdicts
                .iter()
                .find(|v| v.verdict != Verdict::Info)
                .map_or(Silence::NoFindings, |v| Silence::Held {
                    rule: v.rule.clone(),
                    subject: v.subject.clone(),
                    verdict: v.verdict.clone(),
                });
        return Decision {
            feedback: None,
            silence: Some(silence),
            verdicts,
        };
    };
    let feedback = show(best, ignored, call, history, settings, now);
    Decision {
        feedback: Some(feedback),
        silence: None,
        verdicts,
    }
}

/// Counts every finding as fired on its rule and subject (and as ignored, once per showing, when
/// it was shown before), and bounds the memory.
fn note_fired(state: &mut GuidanceState, findings: &[Finding], now: u64) {
    for f in findings {
        let m = state.subjects.entry(key(&f.rule, &f.subject)).or_default();
        m.fired += 1;
        m.fired_at = now;
        m.severity = Some(f.severity);
        if m.shown > 0 && !m.refired {
            m.ignored += 1;
            m.refired = true;
        }
    }
    while state.subjects.len() > SUBJECTS_CAPACITY {
        let oldest = state
            .subjects
            .iter()
            .min_by_key(|(_, m)| m.fired_at)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                state.subjects.remove(&k);
            }
            None => break,
        }
    }
}

/// Every finding's verdict, best-ranked first, and the one to show with its ignored count.
fn judge<'f>(
    findings: &'f [Finding],
    call: &ToolCall,
    history: &History,
    settings: &Settings,
    now: u64,
) -> (Vec<RuleVerdict>, Option<(&'f Finding, u32)>) {
    let mut order: Vec<&Finding> = findings.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse((f.priority, f.severity)));
    let since_any = if history.guidance.last_shown_at == 0 {
        u64::MAX
    } else {
        now.saturating_sub(history.guidance.last_shown_at)
    };
    let mut verdicts = Vec::with_capacity(order.len());
    let mut chosen: Option<(&Finding, u32)> = None;
    for f in order {
        let verdict = match chosen {
            Some((best, _)) => Verdict::Outranked {
                by: best.rule.to_string(),
            },
            None => gate(f, call, history, settings, now, since_any),
        };
        if verdict == Verdict::Shown {
            let ignored = history
                .guidance
                .memory(&f.rule, &f.subject)
                .map_or(0, |m| m.ignored);
            chosen = Some((f, ignored));
        }
        verdicts.push(RuleVerdict {
            rule: f.rule.to_string(),
            subject: f.subject.clone(),
            verdict,
        });
    }
    (verdicts, chosen)
}

/// Records that `best` is shown now and renders it.
fn show(
    best: &Finding,
    ignored: u32,
    call: &ToolCall,
    history: &mut History,
    settings: &Settings,
    now: u64,
) -> Feedback {
    let escalation = if settings.escalate {
        Escalation::from_ignored(ignored)
    } else {
        Escalation::Gentle
    };
    let state = &mut history.guidance;
    if let Some(m) = state.subjects.get_mut(&key(&best.rule, &best.subject)) {
        m.shown += 1;
        m.shown_at = now;
        m.refired = false;
    }
    if crate::builtin::rule_def(&best.rule)
        .is_some_and(|r| r.kind == crate::builtin::Kind::Protocol)
    {
        state.last_protocol_at = now;
    }
    state.last_hash = core_hash(best);
    state.last_shown_at = now;
    state.last_rule = Some(best.rule.to_string());
    let text = render(best, escalation, ignored, settings.escalate, call, history);
    // The original also blocked every major finding of priority 70 or more.
    let blocking = best.severity == Severity::Critical
        || best.blocks
        || (settings.escalate
            && (escalation == Escalation::Emergency
                || (best.severity == Severity::Major && best.priority >= 70)));
    Feedback {
        rule: best.rule.to_string(),
        severity: best.severity,
        escalation,
        blocking,
        text,
    }
}

fn gate(
    f: &Finding,
    call: &ToolCall,
    history: &History,
    settings: &Settings,
    now: u64,
    since_any: u64,
) -> Verdict {
    if f.severity == Severity::None {
        return Verdict::Info;
    }
    let text = format!("{}\n{}\n{}", f.headline, f.observed, f.next_step);
    if let Some(tool) = ungrounded_tool(&text, history) {
        return Verdict::Ungrounded { tool };
    }
    let _ = call;
    let urgent = f.severity == Severity::Critical || f.blocks;
    let m = history
        .guidance
        .memory(&f.rule, &f.subject)
        .cloned()
        .unwrap_or_default();
    if !urgent {
        if !settings.escalate && m.ignored >= MUTE_AFTER {
            return Verdict::Muted { ignored: m.ignored };
        }
        if m.shown > 0 {
            let since = now.saturating_sub(m.shown_at);
            let needed = if settings.escalate {
                cooldown(f.severity)
            } else {
                cooldown_after(f.severity, m.ignored)
            };
            if since < needed {
                return Verdict::Cooldown { since, needed };
            }
        }
        // A danger finding is about the one call that just ran: held now, it is lost, so it is
        // not spaced from other messages (its own cooldown still applies).
        let single_call = crate::builtin::rule_def(&f.rule)
            .is_some_and(|r| r.kind == crate::builtin::Kind::Danger);
        if since_any < MIN_SPACING && !single_call {
            return Verdict::Spacing { since: since_any };
        }
        let protocol = crate::builtin::rule_def(&f.rule)
            .is_some_and(|r| r.kind == crate::builtin::Kind::Protocol);
        let g = &history.guidance;
        if protocol
            && settings.profile == crate::Profile::Auto
            && !settings.escalate
            && g.last_protocol_at > 0
        {
            let since = now.saturating_sub(g.last_protocol_at);
            if since < PROTOCOL_SPACING {
                return Verdict::Spacing { since };
            }
        }
    }
    if !urgent && core_hash(f) == history.guidance.last_hash && since_any <= 1 {
        return Verdict::Repeat;
    }
    Verdict::Shown
}

/// "The same message" is the same rule saying the same thing about the same subject: the context
/// lines always differ and do not count.
fn core_hash(f: &Finding) -> u64 {
    let mut h = fnv1a64(f.rule.as_bytes());
    for part in [f.subject.as_str(), &f.headline, &f.observed] {
        h ^= fnv1a64(part.as_bytes());
        h = h.rotate_left(17).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn render(
    f: &Finding,
    level: Escalation,
    ignored: u32,
    escalate: bool,
    call: &ToolCall,
    history: &History,
) -> String {
    let (prefix, next) = match level {
        Escalation::Gentle => ("", "Next"),
        Escalation::Firm => ("reminder: ", "Next"),
        Escalation::Urgent => ("still unresolved: ", "Do this next"),
        Escalation::Emergency => ("stop: ", "Before any other step"),
    };
    let mut s = String::with_capacity(384);
    let _ = write!(s, "posthook [{}] {prefix}{}", f.rule, f.headline);
    if !f.observed.is_empty() {
        let _ = write!(s, "\n{}", f.observed);
    }
    if escalate && ignored > 0 {
        let _ = write!(
            s,
            " The last {} notice{} in a row went unheeded.",
            ignored,
            if ignored == 1 { "" } else { "s" }
        );
    }
    if !f.next_step.is_empty() {
        let _ = write!(s, "\n{next}: {}", f.next_step);
    }
    let _ = write!(s, "\nContext: last tool {}; recent ", call.tool);
    for (i, t) in history.last_tools(5).iter().enumerate() {
        if i > 0 {
            s.push_str(" > ");
        }
        s.push_str(t);
    }
    if let Some(cmd) = call.command() {
        // One line: a heredoc or a multi-line script would otherwise spill into the message.
        let flat: String = cmd.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = write!(s, "; command `{}`", truncate_chars(&flat, 50));
    } else if let Some(p) = call.path() {
        let _ = write!(s, "; file {}", truncate_chars(p, 120));
    } else if let Some(d) = call.str_field("description") {
        let _ = write!(s, "; task {}", truncate_chars(d, 50));
    }
    truncate_chars(&s, MAX_MESSAGE_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding(rule: &'static str, sev: Severity, prio: u32) -> Finding {
        Finding::new(rule, sev, prio)
            .headline("something")
            .observed("observed")
            .next_step("do this")
    }

    fn on(rule: &'static str, subject: &str) -> Finding {
        finding(rule, Severity::Moderate, 40).subject(subject)
    }

    struct Run {
        h: History,
        settings: Settings,
    }

    impl Run {
        fn new() -> Run {
            Run {
                h: History::new(),
                settings: Settings::default(),
            }
        }

        fn step(&mut self, findings: &[Finding]) -> Decision {
            let call = ToolCall::new(
                "Bash",
                json!({"command": format!("echo {}", self.h.events_total)}),
            );
            self.h.record(&call);
            decide(findings, &call, &mut self.h, &self.settings)
        }

        fn verdict(&mut self, f: Finding) -> Verdict {
            self.step(&[f]).verdicts[0].verdict.clone()
        }
    }

    #[test]
    fn picks_highest_priority_and_says_why_for_the_rest() {
        let mut r = Run::new();
        let d = r.step(&[
            finding("a", Severity::Minor, 20),
            finding("b", Severity::Moderate, 40),
        ]);
        let fb = d.feedback.expect("shown");
        assert_eq!(fb.rule, "b");
        assert!(fb.text.starts_with("posthook [b] something"));
        assert!(!fb.blocking);
        assert_eq!(d.verdicts[0].verdict, Verdict::Shown);
        assert_eq!(d.verdicts[1].verdict, Verdict::Outranked { by: "b".into() });
    }

    #[test]
    fn shown_held_muted_and_unmuted_by_a_new_subject() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("advice", "a.rs")), Verdict::Shown);
        // It fires again at once: ignored once, cooldown 8 doubled to 16.
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Cooldown {
                since: 1,
                needed: 16
            }
        );
        // Another subject of the same rule is not held by it (only spaced from the last message).
        assert_eq!(r.verdict(on("advice", "b.rs")), Verdict::Shown);
        for _ in 0..14 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Shown,
            "16 calls later"
        );
        for _ in 0..40 {
            r.step(&[]);
        }
        // Fired again after that showing: ignored twice; shown after 32 calls; then a third time.
        assert_eq!(r.verdict(on("advice", "a.rs")), Verdict::Shown);
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Muted { ignored: 3 },
            "muted for a.rs after the third ignored notice"
        );
        for _ in 0..200 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("advice", "a.rs")),
            Verdict::Muted { ignored: 3 }
        );
        assert_eq!(
            r.verdict(on("advice", "c.rs")),
            Verdict::Shown,
            "a new subject"
        );
    }

    #[test]
    fn never_the_same_advice_inside_its_cooldown_and_spaced_from_others() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("x", "s")), Verdict::Shown);
        assert_eq!(r.verdict(on("y", "s")), Verdict::Spacing { since: 1 });
        assert_eq!(r.verdict(on("y", "s")), Verdict::Shown);
    }

    #[test]
    fn only_critical_findings_and_confirmed_loops_block() {
        let mut r = Run::new();
        let d = r.step(&[finding("major", Severity::Major, 99)]);
        assert!(!d.feedback.expect("shown").blocking, "advice never blocks");
        let d = r.step(&[finding("exec-safety", Severity::Critical, 100)]);
        assert!(
            d.feedback.expect("shown").blocking,
            "critical passes spacing and blocks"
        );
        let d = r.step(&[finding("failure-loop", Severity::Major, 90).confirmed_loop()]);
        assert!(d.feedback.expect("shown").blocking);
        // Ignored major advice on every call never escalates to blocking by default.
        let mut r = Run::new();
        let shown: Vec<Feedback> = (0..200)
            .filter_map(|_| r.step(&[finding("m", Severity::Major, 80)]).feedback)
            .collect();
        assert!(shown
            .iter()
            .all(|f| !f.blocking && f.escalation == Escalation::Gentle));
        assert!(shown.len() <= 4, "backs off, then mutes: {}", shown.len());
    }

    #[test]
    fn the_escalation_switch_restores_the_original() {
        let mut r = Run::new();
        r.settings.escalate = true;
        let shown: Vec<Feedback> = (0..80)
            .filter_map(|_| r.step(&[finding("m", Severity::Moderate, 40)]).feedback)
            .collect();
        let levels: Vec<Escalation> = shown.iter().map(|f| f.escalation).collect();
        use Escalation::*;
        assert_eq!(levels[..6], [Gentle, Firm, Firm, Urgent, Urgent, Emergency]);
        assert!(!shown[4].blocking);
        assert!(shown[5].blocking, "emergency blocks");
        assert!(
            shown[5].text.starts_with("posthook [m] stop: something"),
            "{}",
            shown[5].text
        );
        assert!(shown[5].text.contains("Before any other step: do this"));
    }

    #[test]
    fn a_message_naming_an_unused_tool_is_not_sent() {
        let mut r = Run::new();
        let multi =
            finding("style", Severity::Moderate, 40).next_step("make them in one MultiEdit");
        assert_eq!(
            r.verdict(multi.clone()),
            Verdict::Ungrounded {
                tool: "MultiEdit".into()
            }
        );
        let zen = finding("hive", Severity::Moderate, 40).next_step("ask mcp__zen__planner first");
        assert_eq!(
            r.verdict(zen),
            Verdict::Ungrounded {
                tool: "mcp__zen__planner".into()
            }
        );
        let family =
            finding("hive2", Severity::Moderate, 40).next_step("plan it with a mcp__zen__ tool");
        assert_eq!(
            r.verdict(family.clone()),
            Verdict::Ungrounded {
                tool: "mcp__zen__*".into()
            }
        );
        r.h.record(&ToolCall::new("mcp__zen__chat", json!({})));
        r.h.record(&ToolCall::new("MultiEdit", json!({})));
        assert_eq!(r.verdict(family), Verdict::Shown, "the session uses zen");
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(r.verdict(multi), Verdict::Shown);
        // Words that only contain a tool name are not tool names.
        let h = History::new();
        assert_eq!(ungrounded_tool("a Globally unique Tasks list", &h), None);
        assert_eq!(ungrounded_tool("use Read, Edit, Write or Bash", &h), None);
    }

    #[test]
    fn silence_names_the_best_held_finding() {
        let mut r = Run::new();
        r.step(&[on("a", "s")]);
        let d = r.step(&[on("a", "s")]);
        assert_eq!(
            d.silence,
            Some(Silence::Held {
                rule: "a".into(),
                subject: "s".into(),
                verdict: Verdict::Cooldown {
                    since: 1,
                    needed: 16
                }
            })
        );
        assert_eq!(r.step(&[]).silence, Some(Silence::NoFindings));
    }

    #[test]
    fn protocol_remarks_are_rare_in_auto_and_not_in_hive() {
        let mut r = Run::new();
        assert_eq!(r.verdict(on("coordinator-bypass", "")), Verdict::Shown);
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(
            r.verdict(on("memory-coordination", "")),
            Verdict::Spacing { since: 4 },
            "another hive rule waits in auto"
        );
        assert_eq!(
            r.verdict(on("failure-loop", "x")),
            Verdict::Shown,
            "other rules do not"
        );
        let mut r = Run::new();
        r.settings.profile = crate::Profile::Hive;
        r.verdict(on("coordinator-bypass", ""));
        for _ in 0..3 {
            r.step(&[]);
        }
        assert_eq!(r.verdict(on("memory-coordination", "")), Verdict::Shown);
    }

    #[test]
    fn memory_is_bounded() {
        let mut r = Run::new();
        for i in 0..(SUBJECTS_CAPACITY + 20) {
            r.step(&[on("a", &format!("f{i}"))]);
        }
        assert_eq!(r.h.guidance.subjects.len(), SUBJECTS_CAPACITY);
    }
}
