//! The smallest possible spawner helper, built for the run, so that a hook's peak RSS is its own.
//!
//! Linux starts a child's `ru_maxrss` at its spawner's resident set (see `spawner`), so the
//! `posthook bench-spawner` helper, a process of a few MiB, is the floor of every peak RSS it
//! reports: the minimal program and `posthook floor` both showed the helper's 3 MiB. This helper
//! does the same job as a program of a few dozen lines with no dependency, compiled with
//! `rustc -O` and linked statically where the toolchain allows it; its own peak RSS is well below
//! any hook's, so each reported peak is the child's own. It speaks a plain protocol (netstrings in,
//! one line of numbers out) because it has no JSON parser. Without a `rustc`, the benchmark keeps
//! `posthook bench-spawner`.

use std::path::{Path, PathBuf};

/// The helper's source. Requests are netstrings (`<len>:<bytes>`): program, payload file, state
/// dir, scratch dir, the argument count and the arguments, the variable count and the `k`, `v`
/// pairs. The answer is `ok <wall_ns> <user_ns> <system_ns> <max_rss_bytes> <exit or -1>
/// <stderr_len> <stdout_len> <own_peak_rss_bytes>` or `err <message>`, one line.
pub(super) const SOURCE: &str = r#"use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

#[repr(C)]
struct Tv { s: i64, us: i64 }
#[repr(C)]
struct Ru { ut: Tv, st: Tv, maxrss: i64, rest: [i64; 13] }
extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, ru: *mut Ru) -> i32;
}

fn field(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut len = Vec::new();
    if r.read_until(b':', &mut len).ok()? == 0 {
        return None;
    }
    len.pop();
    let n: usize = std::str::from_utf8(&len).ok()?.trim().parse().ok()?;
    let mut b = vec![0; n];
    r.read_exact(&mut b).ok()?;
    Some(b)
}

fn text(r: &mut impl BufRead) -> Result<String, String> {
    field(r).and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| String::from("bad request"))
}

fn own_peak() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines().find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    }).map_or(0, |k| k * 1024)
}

fn nanos(tv: &Tv) -> u64 {
    (tv.s as u64) * 1_000_000_000 + (tv.us as u64) * 1_000
}

fn run(program: String, r: &mut impl BufRead) -> Result<String, String> {
    let payload_path = text(r)?;
    let state = text(r)?;
    let scratch = std::path::PathBuf::from(text(r)?);
    let nargs: usize = text(r)?.parse().map_err(|_| "bad count")?;
    let mut args = Vec::new();
    for _ in 0..nargs {
        args.push(text(r)?);
    }
    let nenv: usize = text(r)?.parse().map_err(|_| "bad count")?;
    let mut env = Vec::new();
    for _ in 0..nenv {
        env.push((text(r)?, text(r)?));
    }
    let payload = std::fs::read(&payload_path).map_err(|e| format!("reading payload: {e}"))?;
    let out_path = scratch.join("stdout");
    let err_path = scratch.join("stderr");
    let mut cmd = Command::new(&program);
    cmd.args(&args)
        .envs(env)
        .env("POSTHOOK_STATE_DIR", &state)
        .env_remove("POSTHOOK_LOG")
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&out_path).map_err(|e| e.to_string())?)
        .stderr(std::fs::File::create(&err_path).map_err(|e| e.to_string())?);
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("running {program}: {e}"))?;
    let stdin = child.stdin.take();
    let writer = if payload.len() <= 60 * 1024 {
        if let Some(mut s) = stdin {
            let _ = s.write_all(&payload);
        }
        None
    } else {
        Some(std::thread::spawn(move || {
            if let Some(mut s) = stdin {
                let _ = s.write_all(&payload);
            }
        }))
    };
    let mut status = 0;
    let mut ru = Ru { ut: Tv { s: 0, us: 0 }, st: Tv { s: 0, us: 0 }, maxrss: 0, rest: [0; 13] };
    let rc = unsafe { wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let wall = start.elapsed();
    if let Some(w) = writer {
        let _ = w.join();
    }
    if rc < 0 {
        return Err(String::from("wait4 failed"));
    }
    let exit = if status & 0x7f == 0 { (status >> 8) & 0xff } else { -1 };
    let len = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
    Ok(format!(
        "ok {} {} {} {} {} {} {} {}\n",
        wall.as_nanos(),
        nanos(&ru.ut),
        nanos(&ru.st),
        (ru.maxrss as u64) * 1024,
        exit,
        len(&err_path),
        len(&out_path),
        own_peak()
    ))
}

fn main() {
    let stdin = std::io::stdin();
    let mut r = BufReader::new(stdin.lock());
    let mut out = std::io::stdout();
    loop {
        let Some(program) = field(&mut r) else { break };
        let line = match String::from_utf8(program) {
            Ok(p) => run(p, &mut r).unwrap_or_else(|e| format!("err {}\n", e.replace('\n', " "))),
            Err(_) => String::from("err bad request\n"),
        };
        if out.write_all(line.as_bytes()).and_then(|_| out.flush()).is_err() {
            break;
        }
    }
}
"#;

/// Builds the helper in `dir` with `rustc -O` (static where the toolchain allows it); `None`
/// without a working `rustc`, or off Linux (the `rusage` layout above is Linux's, 64-bit).
pub(super) fn build(dir: &Path) -> Option<PathBuf> {
    if !cfg!(all(target_os = "linux", target_pointer_width = "64")) {
        return None;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let src = dir.join("small-spawner.rs");
    let bin = dir.join("small-spawner");
    std::fs::write(&src, SOURCE).ok()?;
    let compile = |extra: &[&str]| super::floor::rustc_o(&rustc, &src, &bin, extra);
    (compile(&["--edition", "2021", "-C", "target-feature=+crt-static"])
        || compile(&["--edition", "2021"]))
    .then_some(bin)
}

/// Encodes one request for the helper.
pub(super) fn request(
    program: &str,
    payload: &Path,
    state_dir: &Path,
    scratch: &Path,
    args: &[String],
    env: &[(String, String)],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut put = |b: &[u8]| {
        out.extend_from_slice(b.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(b);
    };
    put(program.as_bytes());
    put(payload.as_os_str().as_encoded_bytes());
    put(state_dir.as_os_str().as_encoded_bytes());
    put(scratch.as_os_str().as_encoded_bytes());
    put(args.len().to_string().as_bytes());
    for a in args {
        put(a.as_bytes());
    }
    put(env.len().to_string().as_bytes());
    for (k, v) in env {
        put(k.as_bytes());
        put(v.as_bytes());
    }
    out
}

/// One answer: wall, user and system nanoseconds, the child's peak RSS, its exit code (`None`
/// when killed by a signal), its stderr and stdout lengths, and the helper's own peak RSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Answer {
    pub wall_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    pub max_rss: u64,
    pub exit: Option<i32>,
    pub stderr_len: u64,
    pub stdout_len: u64,
    pub own_max_rss: u64,
}

/// Parses one answer line.
pub(super) fn answer(line: &str) -> Result<Answer, String> {
    let line = line.trim_end();
    if let Some(e) = line.strip_prefix("err ") {
        return Err(e.to_string());
    }
    let v: Vec<i64> = line
        .strip_prefix("ok ")
        .ok_or_else(|| format!("unexpected answer '{line}'"))?
        .split(' ')
        .map(|x| {
            x.parse::<i64>()
                .map_err(|_| format!("unexpected answer '{line}'"))
        })
        .collect::<Result<_, _>>()?;
    let [wall, user, system, rss, exit, err_len, out_len, own] = v[..] else {
        return Err(format!("unexpected answer '{line}'"));
    };
    let u = |x: i64| u64::try_from(x).unwrap_or(0);
    Ok(Answer {
        wall_ns: u(wall),
        user_ns: u(user),
        system_ns: u(system),
        max_rss: u(rss),
        exit: i32::try_from(exit).ok().filter(|e| *e >= 0),
        stderr_len: u(err_len),
        stdout_len: u(out_len),
        own_max_rss: u(own),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse() {
        let a = answer("ok 1000 20 30 2097152 2 5 0 524288\n").expect("ok");
        assert_eq!(a.exit, Some(2));
        assert_eq!((a.max_rss, a.own_max_rss), (2_097_152, 524_288));
        assert_eq!(answer("ok 1 2 3 4 -1 0 0 5").expect("ok").exit, None);
        assert_eq!(answer("err no such file").expect_err("err"), "no such file");
        assert!(answer("ok 1 2").is_err());
    }

    #[test]
    fn requests_are_netstrings() {
        let r = request(
            "/bin/x",
            Path::new("/p"),
            Path::new("/s"),
            Path::new("/t"),
            &["a:b".into()],
            &[("K".into(), "v".into())],
        );
        assert_eq!(
            String::from_utf8(r).expect("utf-8"),
            "6:/bin/x2:/p2:/s2:/t1:13:a:b1:11:K1:v"
        );
    }
}
