//! Wrappers looked through to the program they run: `sudo`, `timeout N`, `env VAR=x`, `nice`,
//! `nohup`, `time`, `command`, `exec`, `xargs`, `busybox`, and runners whose tool is kept
//! (`npx vitest`, `uv run pytest`).

use super::Simple;

/// A program's base name: `/bin/rm` is `rm`.
pub(crate) fn base(word: &str) -> &str {
    match word.bytes().rposition(|b| b == b'/') {
        Some(i) => &word[i + 1..],
        None => word,
    }
}

/// The index of the first word at or after `k` that is not an option; options in `with_value`
/// take the next word as their value. `--` ends the options.
fn skip_opts(w: &[String], mut k: usize, with_value: &[&str]) -> usize {
    while let Some(a) = w.get(k) {
        if a == "--" {
            return k + 1;
        }
        if !a.starts_with('-') || a.len() == 1 {
            break;
        }
        k += if with_value.contains(&a.as_str()) {
            2
        } else {
            1
        };
    }
    k
}

/// Where the wrapped program starts for the wrapper at `i`, with what it tells about the run;
/// `None` when the word at `i` is not a wrapper.
fn unwrap_one(c: &mut Simple, i: usize) -> Option<usize> {
    let w = &c.words;
    let name = base(&w[i]);
    let next = w.get(i + 1).map_or("", String::as_str);
    let k = match name {
        "sudo" | "doas" => {
            c.sudo = true;
            skip_opts(
                w,
                i + 1,
                &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"],
            )
        }
        "timeout" => skip_opts(w, i + 1, &["-s", "-k", "--signal", "--kill-after"]) + 1,
        "env" => {
            let mut k = i + 1;
            while w.get(k).is_some_and(|a| a == "-") {
                k += 1;
            }
            let mut k = skip_opts(w, k, &["-u", "-C", "-S", "-P", "--unset", "--chdir"]);
            while w.get(k).is_some_and(|a| super::is_assignment(a)) {
                k += 1;
            }
            k
        }
        "nice" => skip_opts(w, i + 1, &["-n", "--adjustment"]),
        "ionice" => skip_opts(w, i + 1, &["-c", "-n", "-p"]),
        "stdbuf" | "nohup" | "time" | "busybox" | "builtin" | "caffeinate" => {
            skip_opts(w, i + 1, &[])
        }
        "command" if !matches!(next, "-v" | "-V") => skip_opts(w, i + 1, &[]),
        "exec" => skip_opts(w, i + 1, &["-a"]),
        "xargs" => {
            c.xargs = true;
            skip_opts(
                w,
                i + 1,
                &[
                    "-I",
                    "-n",
                    "-P",
                    "-L",
                    "-d",
                    "-E",
                    "-s",
                    "-a",
                    "--max-args",
                    "--max-procs",
                ],
            )
        }
        "parallel" => {
            // GNU parallel runs its command once per input: from `:::` lists or stdin.
            c.xargs = true;
            skip_opts(
                w,
                i + 1,
                &[
                    "-j", "-S", "-a", "-d", "-I", "-N", "-n", "--jobs", "--colsep",
                ],
            )
        }
        _ => return unwrap_runner(c, i),
    };
    Some(k)
}

/// Runners whose tool is kept in the head: `npx vitest`, `uv run pytest`, `pnpm exec eslint`.
fn unwrap_runner(c: &mut Simple, i: usize) -> Option<usize> {
    let w = &c.words;
    let name = base(&w[i]);
    let next = w.get(i + 1).map_or("", String::as_str);
    let k = match name {
        "npx" | "bunx" => {
            c.runner = Some(if name == "npx" { "npx" } else { "bunx" });
            skip_opts(w, i + 1, &["-p", "--package", "-c"])
        }
        "uv" | "poetry" | "pipenv" | "pdm" | "hatch" | "rye" if next == "run" => {
            c.runner = Some(match name {
                "uv" => "uv run",
                "poetry" => "poetry run",
                "pipenv" => "pipenv run",
                _ => "run",
            });
            let value = [
                "--with",
                "-p",
                "--python",
                "--project",
                "--directory",
                "--package",
            ];
            skip_opts(w, i + 2, &value)
        }
        "pnpm" | "yarn" | "bun" if matches!(next, "exec" | "dlx" | "x") => {
            c.runner = Some(match name {
                "pnpm" => "pnpm exec",
                "yarn" => "yarn exec",
                _ => "bun x",
            });
            skip_opts(w, i + 2, &[])
        }
        _ => return None,
    };
    Some(k)
}

/// Sets `start`, `program`, `sudo`, `xargs` and `runner` of `c`.
pub(super) fn resolve_program(c: &mut Simple) {
    let mut i = 0;
    while i < c.words.len() {
        match unwrap_one(c, i) {
            // A wrapper with nothing after it is the program itself (`xargs`, `time`).
            Some(k) if k < c.words.len() => i = k,
            _ => break,
        }
    }
    c.start = i.min(c.words.len());
    c.program = c.words.get(i).map_or("", |w| base(w)).to_owned();
}
