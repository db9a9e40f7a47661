//! Configuration files through the binary: `config check`, `config show`, and their effect on
//! hook mode (a broken config never breaks the hook).

use crate::support::{post, Sandbox};
use serde_json::json;
use std::fs;

fn project_config(sb: &Sandbox, text: &str) -> std::path::PathBuf {
    let p = sb.project().join(".claude/posthook.json");
    fs::write(&p, text).expect("write config");
    p
}

#[test]
fn check_reports_bad_keys_and_values_with_their_path() {
    let sb = Sandbox::new();
    let path = project_config(
        &sb,
        r#"{"profile": "hive", "colour": "blue", "thresholds": {"native-overuse.majr": 4, "native-overuse.major": "seven"}}"#,
    );
    let d = sb.in_project(&["config", "check"]).run().expect_code(1);
    let out = d.stdout();
    let file = path.display().to_string();
    assert!(
        out.contains(&format!(
            "{file}: colour: unknown key (expected one of profile,"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{file}: thresholds[\"native-overuse.majr\"]: unknown threshold"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{file}: thresholds[\"native-overuse.major\"]: expected a number >= 0, found the string \"seven\""
        )),
        "{out}"
    );
    assert!(out.contains("3 problem(s)"), "{out}");
}

#[test]
fn check_reads_the_user_file_under_xdg_config_home() {
    let sb = Sandbox::new();
    let xdg = sb.dir.path().join("xdg");
    fs::create_dir_all(xdg.join("posthook")).expect("mkdir");
    let user = xdg.join("posthook/config.json");
    fs::write(
        &user,
        r#"{"output": "loud", "disabled_rules": ["no-such-rule"]}"#,
    )
    .expect("write");
    let d = sb
        .in_project(&["config", "check"])
        .env("XDG_CONFIG_HOME", &xdg)
        .run()
        .expect_code(1);
    let out = d.stdout();
    let file = user.display().to_string();
    assert!(
        out.contains(&format!(
            "{file}: output: expected one of \"stderr\", \"json\", \"quiet\", found \"loud\""
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{file}: disabled_rules[0]: unknown rule \"no-such-rule\""
        )),
        "{out}"
    );

    fs::write(
        &user,
        r#"{"output": "json", "disabled_rules": ["exec-safety"], "log_level": "debug"}"#,
    )
    .expect("write");
    let d = sb
        .in_project(&["config", "check"])
        .env("XDG_CONFIG_HOME", &xdg)
        .run()
        .expect_code(0);
    assert!(d.stdout().contains("config ok"), "{}", d.stdout());
}

#[test]
fn show_names_the_source_of_each_value() {
    let sb = Sandbox::new();
    let user_dir = sb.home().join(".config/posthook");
    fs::create_dir_all(&user_dir).expect("mkdir");
    fs::write(
        user_dir.join("config.json"),
        r#"{"profile": "hive", "budget_ms": 12}"#,
    )
    .expect("write");
    let project = project_config(&sb, r#"{"budget_ms": 30, "output": "json"}"#);
    let d = sb
        .in_project(&["--profile", "default", "config", "show", "--json"])
        .env("POSTHOOK_OUTPUT", "quiet")
        .run()
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["config"]["profile"], "default");
    assert_eq!(v["sources"]["profile"], "flag --profile");
    assert_eq!(v["config"]["output"], "quiet");
    assert_eq!(v["sources"]["output"], "env POSTHOOK_OUTPUT");
    assert_eq!(v["config"]["budget_ms"], 30);
    assert_eq!(
        v["sources"]["budget_ms"],
        format!("project file {}", project.display())
    );
    assert_eq!(v["config"]["log_level"], "info");
    assert_eq!(v["sources"]["log_level"], "default");
    let text = sb
        .in_project(&["config", "show"])
        .run()
        .expect_code(0)
        .stdout();
    assert!(
        text.lines()
            .any(|l| l.contains("budget_ms") && l.contains("project file")),
        "{text}"
    );
}

#[test]
fn hook_mode_follows_the_config() {
    let sb = Sandbox::new();
    project_config(&sb, r#"{"output": "json"}"#);
    let rm = post("s1", "Bash", json!({"command": "rm -rf /"}));
    let d = sb.in_project(&[]).stdin(&rm).run().expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&d.stdout()).expect("json on stdout");
    assert_eq!(v["decision"], "block");
    // A flag beats the file.
    sb.in_project(&["--output", "stderr"])
        .stdin(&rm)
        .run()
        .expect_code(2);
    // A project file cannot disable a safety rule; the user can, and it stays silent.
    project_config(&sb, r#"{"disabled_rules": ["exec-safety"]}"#);
    sb.in_project(&[]).stdin(&rm).run().expect_code(2);
    let d = sb
        .in_project(&[])
        .env("POSTHOOK_DISABLE", "exec-safety")
        .stdin(&rm)
        .run()
        .expect_code(0);
    assert_eq!(d.stdout(), "");
}

#[test]
fn broken_config_never_breaks_the_hook() {
    let sb = Sandbox::new();
    let log = sb.dir.path().join("posthook.log");
    for (i, bad) in [
        "{\"output\": \"json\",",
        "[1, 2]",
        r#"{"output": "jsonn", "budget_ms": -1}"#,
    ]
    .into_iter()
    .enumerate()
    {
        project_config(&sb, bad);
        // A new session each time: the same message is never repeated within one.
        let rm = post(&format!("s{i}"), "Bash", json!({"command": "rm -rf /"}));
        let d = sb
            .in_project(&[])
            .env("POSTHOOK_PROFILE", "nonsense")
            .env("POSTHOOK_LOG", &log)
            .stdin(&rm)
            .run()
            .expect_code(2);
        assert!(
            d.stderr().starts_with("posthook [exec-safety]"),
            "{}",
            d.stderr()
        );
        assert_eq!(d.stdout(), "");
    }
    let logged = fs::read_to_string(&log).expect("log written");
    assert!(logged.contains("configuration problem"), "{logged}");
    assert!(logged.contains("POSTHOOK_PROFILE"), "{logged}");
}

#[test]
fn every_setting_is_shown_with_its_source_and_fsync_is_one_of_them() {
    let sb = Sandbox::new();
    let d = sb
        .in_project(&["config", "show", "--json"])
        .env("POSTHOOK_FSYNC", "1")
        .run()
        .expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&d.stdout()).expect("json");
    assert_eq!(v["config"]["fsync"], true);
    assert_eq!(v["sources"]["fsync"], "env POSTHOOK_FSYNC");
    for key in [
        "profile",
        "output",
        "budget_ms",
        "state_dir",
        "log_level",
        "deadline_ms",
        "lock_timeout_ms",
        "escalate",
        "fsync",
    ] {
        assert!(v["sources"][key].is_string(), "no source for {key}: {v}");
    }
    // Off unless 1 or true, as before; anything else is named by `config check`.
    let d = sb
        .in_project(&["config", "check"])
        .env("POSTHOOK_FSYNC", "yes")
        .run()
        .expect_code(1);
    assert!(
        d.stdout()
            .contains("env POSTHOOK_FSYNC: expected 1, 0, true or false, found \"yes\""),
        "{}",
        d.stdout()
    );
    let text = sb
        .in_project(&["config", "show"])
        .env("POSTHOOK_FSYNC", "yes")
        .run()
        .expect_code(0)
        .stdout();
    assert!(
        text.lines()
            .any(|l| l.contains("fsync") && l.contains("false") && l.contains("default")),
        "{text}"
    );
}

/// A subcommand's `--help` lists only the hook-mode flags it acts on; given after its name they
/// win over the same flags given before it, and disabled rules add up.
#[test]
fn each_subcommand_takes_only_the_flags_it_acts_on() {
    let sb = Sandbox::new();
    let hook_flags = [
        "--output",
        "--profile",
        "--disable",
        "--budget-ms",
        "--state-dir",
    ];
    let listed = |args: &[&str]| -> Vec<&'static str> {
        let help = sb.cmd(args).run().expect_code(0).stdout();
        hook_flags
            .into_iter()
            .filter(|f| help.lines().any(|l| l.trim_start().starts_with(f)))
            .collect()
    };
    assert_eq!(listed(&["--help"]), hook_flags);
    assert_eq!(listed(&["config", "show", "--help"]), hook_flags);
    assert_eq!(listed(&["doctor", "--help"]), hook_flags);
    assert_eq!(
        listed(&["replay", "--help"]),
        ["--output", "--profile", "--disable"]
    );
    assert_eq!(
        listed(&["explain", "--help"]),
        ["--output", "--profile", "--disable", "--state-dir"]
    );
    assert_eq!(listed(&["bench", "--help"]), ["--profile", "--disable"]);
    assert_eq!(listed(&["install", "--help"]), ["--output"]);
    assert_eq!(listed(&["session", "list", "--help"]), ["--state-dir"]);
    assert!(listed(&["uninstall", "--help"]).is_empty());
    assert!(listed(&["service", "status", "--help"]).is_empty());
    // A flag a subcommand does not act on is refused after it, as any unknown flag is, and
    // before it, rather than silently ignored.
    let d = sb
        .cmd(&["uninstall", "--state-dir", "/tmp/x"])
        .run()
        .expect_code(1);
    assert!(d.stderr().contains("--state-dir"), "{}", d.stderr());
    let d = sb
        .cmd(&["--state-dir", "/tmp/x", "uninstall"])
        .run()
        .expect_code(1);
    assert!(
        d.stderr()
            .contains("--state-dir does nothing for `posthook uninstall`"),
        "{}",
        d.stderr()
    );
    let d = sb
        .cmd(&["--budget-ms", "5", "session", "list"])
        .run()
        .expect_code(1);
    assert!(
        d.stderr()
            .contains("--budget-ms does nothing for `posthook session list`"),
        "{}",
        d.stderr()
    );

    let show = |args: &[&str]| -> serde_json::Value {
        let d = sb.in_project(args).run().expect_code(0);
        serde_json::from_str(&d.stdout()).expect("json")
    };
    let after = show(&["config", "show", "--json", "--profile", "hive"]);
    assert_eq!(after["config"]["profile"], "hive");
    assert_eq!(after["sources"]["profile"], "flag --profile");
    let both = show(&[
        "--profile",
        "hive",
        "--disable",
        "native-overuse",
        "config",
        "show",
        "--json",
        "--profile",
        "default",
        "--disable",
        "exec-safety",
    ]);
    assert_eq!(both["config"]["profile"], "default");
    let disabled = both["config"]["disabled_rules"].to_string();
    assert!(
        disabled.contains("native-overuse") && disabled.contains("exec-safety"),
        "{disabled}"
    );
}
