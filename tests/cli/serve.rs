//! `posthook serve`: the server started on an ephemeral port, driven over real TCP the way Claude
//! Code's http hooks drive it, and compared with the hook process on the same sequences.

use crate::harness::show_in;
use crate::support::{bin, Sandbox};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running `posthook serve` with its own state dir and token.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub token: String,
    log: Option<std::thread::JoinHandle<String>>,
}

/// A test that fails before `stop` leaves no server behind.
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    /// Starts `posthook [global args] serve --listen 127.0.0.1:0 [serve args]` in `sb`.
    pub fn start(sb: &Sandbox, global: &[&str], serve: &[&str]) -> Server {
        Server::start_env(sb, global, serve, &[])
    }

    /// [`Server::start`] with `env` set for the server.
    pub fn start_env(
        sb: &Sandbox,
        global: &[&str],
        serve: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(bin())
            .args(global)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(serve)
            .env_remove("POSTHOOK_LOG")
            .env_remove("POSTHOOK_OUTPUT")
            .env_remove("POSTHOOK_PROFILE")
            .env_remove("CLAUDE_PROJECT_DIR")
            .env_remove("XDG_CONFIG_HOME")
            .env("POSTHOOK_STATE_DIR", sb.state_dir())
            .env("HOME", sb.home())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn posthook serve");
        let mut err = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        err.read_line(&mut first).expect("first log line");
        let addr: SocketAddr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let log = std::thread::spawn(move || {
            let mut rest = first;
            let _ = err.read_to_string(&mut rest);
            rest
        });
        let token_path = sb.home().join(".config/posthook/serve.token");
        let token = std::fs::read_to_string(&token_path)
            .expect("token file")
            .trim()
            .to_string();
        Server {
            child,
            addr,
            token,
            log: Some(log),
        }
    }

    /// The server's process id.
    pub fn child_id(&self) -> u32 {
        self.child.id()
    }

    /// POSTs `body` on a new connection, as Claude Code does; `(status, body)`.
    pub fn post(&self, body: &[u8], headers: &[(&str, &str)]) -> (u16, String) {
        request(self.addr, "POST", "/hook", body, headers)
    }

    /// POSTs `body` with the token.
    pub fn event(&self, body: &[u8], project: Option<&Path>) -> (u16, String) {
        let auth = format!("Bearer {}", self.token);
        let dir = project.map(|p| p.display().to_string());
        let mut h = vec![("Authorization", auth.as_str())];
        if let Some(d) = &dir {
            h.push(("X-Posthook-Project-Dir", d.as_str()));
        }
        self.post(body, &h)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code and the whole log.
    pub fn stop(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let until = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(Instant::now() < until, "server did not stop within 30 s");
            std::thread::sleep(Duration::from_millis(10));
        };
        let log = self
            .log
            .take()
            .map(|l| l.join().expect("log reader"))
            .unwrap_or_default();
        (status.code().unwrap_or(-1), log)
    }
}

/// One request on its own connection (`Connection: close`); `(status, body)`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write head");
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

fn parse_response(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// What the server must answer for a hook process's result: its stdout JSON, `{}` for silence,
/// the JSON form of a blocking message for exit 2, a 400 with the same line for exit 1.
fn expected_http(code: i32, stdout: &str, stderr: &str) -> (u16, Value) {
    match code {
        0 if stdout.trim().is_empty() => (200, json!({})),
        0 => (
            200,
            serde_json::from_str(stdout.trim()).expect("hook stdout is JSON"),
        ),
        2 => (
            200,
            json!({"decision": "block", "reason": stderr.trim_end_matches('\n')}),
        ),
        _ => (400, Value::String(stderr.to_string())),
    }
}

/// A command in the sandbox with no XDG dirs: config and units go under its HOME.
fn cmd(sb: &Sandbox, args: &[&str]) -> crate::support::Run {
    let mut r = sb.cmd(args);
    r.cmd
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_STATE_HOME");
    r
}

pub fn golden_payloads(name: &str) -> (Vec<String>, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.jsonl"));
    let body = std::fs::read_to_string(path).expect("golden file");
    let mut lines = body.lines().filter(|l| !l.trim().is_empty());
    let header: Value = serde_json::from_str(lines.next().expect("header")).expect("header");
    let args = header["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let cwd = header["cwd"].as_str().unwrap_or("/tmp/project").to_string();
    let mut ts: u64 = 1_767_225_600_000;
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let step: Value = serde_json::from_str(line).expect("step");
        ts += step["after_ms"].as_u64().unwrap_or(5_000);
        // The fields Claude Code 2.1.332 sends on every PostToolUse, plus the replay clock.
        out.push(
            json!({
                "session_id": format!("same-{name}"),
                "transcript_path": format!("/home/u/.claude/projects/-tmp-project/same-{name}.jsonl"),
                "cwd": cwd,
                "prompt_id": format!("prompt-{}", i / 3),
                "permission_mode": "default",
                "effort": {"level": "high"},
                "hook_event_name": "PostToolUse",
                "tool_name": step["tool_name"],
                "tool_input": step["tool_input"],
                "tool_response": step.get("tool_response").cloned()
                    .unwrap_or_else(|| json!({"stdout": "", "stderr": "", "interrupted": false})),
                "tool_use_id": format!("toolu_{i:02}"),
                "duration_ms": 12,
                "timestamp_ms": ts,
            })
            .to_string(),
        );
    }
    // Events the hook does not analyze and input it refuses get their answers too.
    out.push(
        json!({"session_id": format!("same-{name}"), "cwd": cwd, "hook_event_name": "PostToolUseFailure",
               "tool_name": "Bash", "tool_input": {"command": "ls /nope"}, "tool_use_id": "toolu_f",
               "error": "Exit code 2\nls: cannot access '/nope'", "is_interrupt": false, "duration_ms": 3,
               "timestamp_ms": ts + 1000})
        .to_string(),
    );
    out.push(
        json!({"session_id": format!("same-{name}"), "cwd": cwd, "hook_event_name": "PostToolBatch",
               "tool_calls": [{"tool_name": "Read", "tool_input": {"file_path": "/tmp/project/a"},
                               "tool_use_id": "toolu_b", "tool_response": "text"}],
               "timestamp_ms": ts + 2000})
        .to_string(),
    );
    out.push(String::from("{\"hook_event_name\": \"PostToolUse\"}"));
    out.push(String::from("not json"));
    (args, out)
}

fn same_answers(name: &str) {
    let (args, payloads) = golden_payloads(name);
    let global: Vec<&str> = ["--budget-ms", "10000"]
        .into_iter()
        .chain(args.iter().map(String::as_str))
        .collect();
    let hook_box = Sandbox::new();
    let serve_box = Sandbox::new();
    let project = hook_box.project();
    let server = Server::start(&serve_box, &global, &[]);
    let mut spoke = 0;
    // Over http there is no exit code, so the server answers as the hook does in JSON mode.
    let hook_args: Vec<&str> = global.iter().copied().chain(["--output", "json"]).collect();
    for (i, p) in payloads.iter().enumerate() {
        let done = hook_box.in_project(&hook_args).stdin(p.as_bytes()).run();
        let want = expected_http(done.code(), &done.stdout(), &done.stderr());
        let (status, body) = server.event(p.as_bytes(), Some(&project));
        let got_body = if status == 200 {
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{name} #{i}: {e}: {body}"))
        } else {
            Value::String(body.clone())
        };
        assert_eq!(
            (status, &got_body),
            (want.0, &want.1),
            "{name} event #{i}: server vs hook\npayload: {p}"
        );
        spoke += usize::from(status == 200 && got_body != json!({}));
    }
    assert!(spoke > 0, "{name}: no feedback at all, nothing compared");
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    let id = format!("same-{name}");
    let a = show_in(&hook_box.state_dir(), &id).expect("hook's session");
    let b = show_in(&serve_box.state_dir(), &id).expect("server's session");
    for k in [
        "events_total",
        "counters",
        "recent",
        "guidance",
        "first_ts",
        "last_ts",
    ] {
        assert_eq!(a[k], b[k], "{name}: stored `{k}` differs between the modes");
    }
}

#[test]
fn same_answers_as_the_hook_for_every_golden_sequence() {
    let names = crate::support::golden_names();
    assert!(names.len() >= 4, "{names:?}");
    std::thread::scope(|sc| {
        for name in &names {
            sc.spawn(move || same_answers(name));
        }
    });
}

fn payload(session: &str, i: usize) -> String {
    json!({
        "session_id": session,
        "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp/project",
        "hook_event_name": "PostToolUse",
        "tool_name": if i.is_multiple_of(2) { "Read" } else { "Bash" },
        "tool_input": if i.is_multiple_of(2) { json!({"file_path": format!("/tmp/project/f{i}.rs")}) }
                      else { json!({"command": format!("echo {i}")}) },
        "tool_response": {"stdout": "", "stderr": "", "interrupted": false},
        "tool_use_id": format!("toolu_{i}"),
    })
    .to_string()
}

#[test]
fn no_token_no_analysis() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let p = payload("unauth", 0);
    assert_eq!(server.post(p.as_bytes(), &[]).0, 401);
    assert_eq!(
        server
            .post(p.as_bytes(), &[("Authorization", "Bearer not-the-token")])
            .0,
        401
    );
    let wrong_scheme = format!("Basic {}", server.token);
    assert_eq!(
        server
            .post(p.as_bytes(), &[("Authorization", wrong_scheme.as_str())])
            .0,
        401
    );
    assert_eq!(
        request(server.addr, "GET", "/health", b"", &[]).0,
        401,
        "health needs the token too"
    );
    let (code, _) = server.stop();
    assert_eq!(code, 0);
    assert!(
        show_in(&sb.state_dir(), "unauth").is_none(),
        "an unauthorized event was recorded"
    );
}

#[test]
fn the_token_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let path = sb.home().join(".config/posthook/serve.token");
    let mode = std::fs::metadata(&path)
        .expect("token")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(server.token.len(), 64);
    let first = server.token.clone();
    server.stop();
    let again = Server::start(&sb, &[], &[]);
    assert_eq!(again.token, first, "the token survives a restart");
    again.stop();
}

#[test]
fn refuses_addresses_other_than_loopback() {
    let sb = Sandbox::new();
    let out = sb.cmd(&["serve", "--listen", "0.0.0.0:0"]).run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr().contains("not a loopback address"),
        "{}",
        out.stderr()
    );
    assert!(
        out.stderr()
            .ends_with("posthook serve: refusing to listen on 0.0.0.0:0: not a loopback address (the server analyzes whatever reaches it; pass --allow-non-loopback to do it anyway)\n"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_token_file_that_cannot_be_made_stops_the_server_with_exit_1() {
    let sb = Sandbox::new();
    let out = cmd(
        &sb,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            "/dev/null/serve.token",
        ],
    )
    .run();
    assert_eq!(out.code(), 1, "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("posthook serve: token file '/dev/null/serve.token': "),
        "{}",
        out.stderr()
    );
    assert!(!out.stderr().contains("listening on"), "{}", out.stderr());
}

#[test]
fn body_capped_like_stdin() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let auth = format!("Bearer {}", server.token);
    // Announce 33 MiB and send none of it: refused on the head alone.
    let mut s = TcpStream::connect(server.addr).expect("connect");
    let head = format!(
        "POST /hook HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
        33 * 1024 * 1024
    );
    s.write_all(head.as_bytes()).expect("head");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let (status, body) = parse_response(&out);
    assert_eq!(status, 413);
    assert_eq!(
        body,
        "posthook: invalid hook input: input exceeds the 32 MiB limit\n"
    );
    server.stop();
}

#[test]
fn a_session_moves_between_the_two_modes() {
    let sb = Sandbox::new();
    for i in 0..2 {
        sb.hook(&[], payload("moving", i)).expect_code(0);
    }
    let server = Server::start(&sb, &[], &[]);
    let (status, _) = server.event(payload("moving", 2).as_bytes(), None);
    assert_eq!(status, 200);
    server.stop();
    assert_eq!(
        show_in(&sb.state_dir(), "moving").expect("stored")["events_total"],
        3,
        "the server went on from the hook's history and wrote it back"
    );
    sb.hook(&[], payload("moving", 3)).expect_code(0);
    // And a hook process writing while the server runs: the server reads the newer version.
    let server = Server::start(&sb, &[], &["--flush-ms", "0"]);
    server.event(payload("moving", 4).as_bytes(), None);
    sb.hook(&[], payload("moving", 5)).expect_code(0);
    server.event(payload("moving", 6).as_bytes(), None);
    let (code, log) = server.stop();
    assert_eq!(code, 0);
    assert!(!log.contains("written by another process"), "{log}");
    assert_eq!(
        show_in(&sb.state_dir(), "moving").expect("stored")["events_total"],
        7
    );
}

/// `clients` threads each post `per_client` events (new connection each) to the session that
/// `session_of(client)` names; returns the acknowledged (200) count per client.
fn load(
    server: &Server,
    clients: usize,
    per_client: usize,
    session_of: fn(usize) -> String,
) -> Vec<u64> {
    let acked: Vec<Arc<AtomicU64>> = (0..clients).map(|_| Arc::new(AtomicU64::new(0))).collect();
    std::thread::scope(|sc| {
        for (c, n) in acked.iter().enumerate() {
            let n = Arc::clone(n);
            sc.spawn(move || {
                for i in 0..per_client {
                    let (status, _) = server.event(payload(&session_of(c), i).as_bytes(), None);
                    assert_eq!(status, 200);
                    n.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    acked.iter().map(|n| n.load(Ordering::Relaxed)).collect()
}

#[test]
fn many_clients_on_one_session_lose_nothing() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let acked = load(&server, 64, 100, |_| String::from("crowded"));
    assert_eq!(acked.iter().sum::<u64>(), 6_400);
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    assert_eq!(
        show_in(&sb.state_dir(), "crowded").expect("stored")["events_total"],
        6_400
    );
}

#[test]
fn sigterm_mid_load_loses_no_acknowledged_event() {
    let sb = Sandbox::new();
    // A long flush interval: what is on disk at the end was written by the shutdown.
    let server = Server::start(&sb, &[], &["--flush-ms", "60000"]);
    let addr = server.addr;
    let token = server.token.clone();
    let clients = 16;
    let acked: Vec<Arc<AtomicU64>> = (0..clients).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let handles: Vec<_> = acked
        .iter()
        .enumerate()
        .map(|(c, n)| {
            let n = Arc::clone(n);
            let auth = format!("Bearer {token}");
            std::thread::spawn(move || {
                for i in 0.. {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        return;
                    };
                    let body = payload(&format!("term-{c}"), i);
                    let head = format!(
                        "POST /hook HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    if s.write_all(head.as_bytes()).and_then(|()| s.write_all(body.as_bytes())).is_err() {
                        return;
                    }
                    let mut out = Vec::new();
                    let _ = s.read_to_end(&mut out);
                    if parse_response(&out).0 != 200 {
                        // Refused or cut by the shutdown: not acknowledged.
                        return;
                    }
                    n.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Let the load run, then stop the server under it.
    let until = Instant::now() + Duration::from_secs(20);
    while acked.iter().map(|n| n.load(Ordering::Relaxed)).sum::<u64>() < 400 {
        assert!(Instant::now() < until, "load too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    let (code, log) = server.stop();
    for h in handles {
        h.join().expect("client");
    }
    assert_eq!(code, 0, "{log}");
    for (c, n) in acked.iter().enumerate() {
        let n = n.load(Ordering::Relaxed);
        let stored = show_in(&sb.state_dir(), &format!("term-{c}"))
            .map_or(0, |v| v["events_total"].as_u64().unwrap_or(0));
        // At most one more: a request in flight when the connection was cut may have been
        // recorded without its answer arriving.
        assert!(
            stored >= n && stored <= n + 1,
            "client {c}: {n} acknowledged, {stored} stored\n{log}"
        );
    }
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let mut s = TcpStream::connect(server.addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(s.try_clone().expect("clone"));
    for i in 0..5 {
        let body = payload("kept", i);
        let head = format!(
            "POST /hook HTTP/1.1\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
            server.token,
            body.len()
        );
        s.write_all(head.as_bytes()).expect("head");
        s.write_all(body.as_bytes()).expect("body");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).expect("body");
    }
    drop(s);
    server.stop();
    assert_eq!(
        show_in(&sb.state_dir(), "kept").expect("stored")["events_total"],
        5
    );
}

#[test]
fn a_newline_in_a_passed_variable_writes_no_unit() {
    let sb = Sandbox::new();
    let evil = format!(
        "{}\nExecStartPre=/bin/sh -c 'touch /tmp/pwned'",
        sb.state_dir().display()
    );
    for manager in ["systemd", "launchd"] {
        let out = cmd(
            &sb,
            &["service", "install", "--no-start", "--manager", manager],
        )
        .env("POSTHOOK_STATE_DIR", &evil)
        .run();
        assert_eq!(out.code(), 1, "{manager}: {}", out.stdout());
        assert!(
            out.stderr().contains("POSTHOOK_STATE_DIR")
                && out.stderr().contains("control character"),
            "{}",
            out.stderr()
        );
    }
    assert!(!sb
        .home()
        .join(".config/systemd/user/posthook.service")
        .exists());
    assert!(!sb
        .home()
        .join("Library/LaunchAgents/dev.posthook.serve.plist")
        .exists());
}

#[test]
fn service_definitions_are_written_and_removed() {
    let sb = Sandbox::new();
    let out = cmd(
        &sb,
        &[
            "service",
            "install",
            "--listen",
            "127.0.0.1:47400",
            "--no-start",
            "--manager",
            "systemd",
        ],
    )
    .run()
    .expect_code(0);
    let unit = sb.home().join(".config/systemd/user/posthook.service");
    let text = std::fs::read_to_string(&unit).unwrap_or_else(|e| panic!("{e}: {}", out.stdout()));
    let exe = std::fs::canonicalize(bin()).expect("bin");
    assert!(
        text.contains(&format!(
            "ExecStart=\"{}\" serve --listen 127.0.0.1:47400",
            exe.display()
        )),
        "{text}"
    );
    assert!(text.contains("KillSignal=SIGTERM"));
    assert!(text.contains(&format!(
        "Environment=\"POSTHOOK_STATE_DIR={}\"",
        sb.state_dir().display()
    )));
    cmd(
        &sb,
        &["service", "install", "--no-start", "--manager", "launchd"],
    )
    .run()
    .expect_code(0);
    let plist = sb
        .home()
        .join("Library/LaunchAgents/dev.posthook.serve.plist");
    let p = std::fs::read_to_string(&plist).expect("plist");
    assert!(p.contains("<string>serve</string>") && p.contains("<string>127.0.0.1:47311</string>"));
    // A property list launchd can read: python3's plistlib parses the whole agent.
    let script =
        "import plistlib, sys, json; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))";
    let parsed = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&plist)
        .output()
        .expect("python3");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let agent: Value = serde_json::from_slice(&parsed.stdout).expect("plistlib's JSON");
    let args = json!([
        exe.display().to_string(),
        "serve",
        "--listen",
        "127.0.0.1:47311"
    ]);
    assert_eq!(agent["ProgramArguments"], args, "{p}");
    let state = sb.state_dir().display().to_string();
    assert_eq!(
        agent["EnvironmentVariables"]["POSTHOOK_STATE_DIR"],
        json!(state),
        "{p}"
    );
    assert_eq!(agent["KeepAlive"], json!({"SuccessfulExit": false}), "{p}");
    let status = cmd(
        &sb,
        &[
            "service",
            "status",
            "--manager",
            "systemd",
            "--no-manager",
            "--listen",
            "127.0.0.1:1",
        ],
    )
    .run();
    assert_eq!(status.code(), 1, "nothing answers on port 1");
    assert!(
        status.stdout().contains("not answering"),
        "{}",
        status.stdout()
    );
    for m in ["systemd", "launchd"] {
        cmd(
            &sb,
            &["service", "uninstall", "--manager", m, "--no-manager"],
        )
        .run()
        .expect_code(0);
    }
    assert!(!unit.exists() && !plist.exists());
    // Without a home, nothing is written: exit 1 and one line.
    for args in [
        &["service", "install", "--no-start"][..],
        &["service", "uninstall", "--no-manager"][..],
    ] {
        let mut r = cmd(&sb, args);
        r.cmd.env_remove("HOME");
        let d = r.run().expect_code(1);
        assert_eq!(
            d.stderr(),
            "posthook: no home directory (HOME is not set)\n",
            "{args:?}"
        );
    }
}

#[test]
fn service_status_measures_a_running_server() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &[]);
    let addr = server.addr.to_string();
    let status = cmd(
        &sb,
        &["service", "status", "--no-manager", "--listen", &addr],
    )
    .run()
    .expect_code(0);
    assert!(
        status.stdout().contains("answers at"),
        "{}",
        status.stdout()
    );
    assert!(
        status.stdout().contains("round trip"),
        "{}",
        status.stdout()
    );
    server.stop();
}

#[test]
fn sigkill_loses_at_most_the_flush_interval() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &["--flush-ms", "100"]);
    for i in 0..20 {
        assert_eq!(server.event(payload("killed", i).as_bytes(), None).0, 200);
    }
    // On disk well within 2 s (20 times the 100 ms bound), without waiting longer than it takes;
    // then a kill that leaves no chance to save anything.
    let start = std::time::Instant::now();
    let stored = || show_in(&sb.state_dir(), "killed").map(|v| v["events_total"].clone());
    while stored() != Some(serde_json::json!(20)) && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    assert_eq!(
        show_in(&sb.state_dir(), "killed").expect("stored")["events_total"],
        20,
        "events answered more than a flush interval before the kill were on disk"
    );
}

#[test]
fn sessions_beyond_the_cap_leave_memory_and_come_back_from_disk() {
    let sb = Sandbox::new();
    let server = Server::start(&sb, &[], &["--max-sessions", "4", "--flush-ms", "0"]);
    for round in 0..3 {
        for s in 0..20 {
            let (status, _) = server.event(payload(&format!("cap-{s}"), round).as_bytes(), None);
            assert_eq!(status, 200);
        }
    }
    let auth = format!("Bearer {}", server.token);
    let (status, body) = request(
        server.addr,
        "GET",
        "/health",
        b"",
        &[("Authorization", auth.as_str())],
    );
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&body).expect("health json");
    assert!(
        health["sessions"].as_u64().expect("sessions") <= 4,
        "{health}"
    );
    assert!(
        health["evictions"].as_u64().expect("evictions") >= 50,
        "{health}"
    );
    server.stop();
    for s in 0..20 {
        assert_eq!(
            show_in(&sb.state_dir(), &format!("cap-{s}")).expect("stored")["events_total"],
            3,
            "session cap-{s}"
        );
    }
}
