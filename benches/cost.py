#!/usr/bin/env python3
"""Instructions and wall time of one hook call, the way users pay for it.

Builds real hook payloads from an embedded real session (tests/data/transcripts): the median
real Edit and the median real Bash by payload size, plus optional synthetic large Writes. Seeds a
session of `--history` events in a scratch state directory, and before every measured call
restores that directory, so each call loads and saves a session of the same size. Then, for each
binary given (and a minimal `rustc -O` program that only reads stdin, dynamic and static, as the
floor), each run as a copy the way `install` registers a hook, it counts instructions per call with
callgrind (repeatable on a busy machine) and, with --wall N, times N interleaved rounds of every
binary, each round in a shuffled order, and reports each median as a ratio to the dynamic floor.

    python3 benches/cost.py target/release/posthook [more binaries...] [--wall 300] [--strace]
        [--serve target/release/posthook]

With --serve (given once per server to compare), `BIN serve` runs beside them and the wall rounds also time one request to it per
call (a new connection each, as Claude Code's http hooks make them, with the project header
`install --http` configures; the same seeded session),
as a ratio to the same dynamic floor. The request is timed by a native client
(benches/serve_client.c, built with cc), from before its connect to the answer's last byte.

Needs valgrind for instruction counts (skipped with a line when missing) and rustc for the floor.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "tests/data/transcripts"
# The measured calls: the median Edit (25 KB, its response carries the whole file) and the median
# Bash of this session. The seeded history: the first calls of the other long session.
MEASURED = TRANSCRIPTS / "spotter__4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
SEED = TRANSCRIPTS / "spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl"
SESSION_ID = "cost-session"
FLOOR_SRC = """use std::io::Read;
fn main() {
    let mut v = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut v);
}
"""


def payloads_of(path):
    """PostToolUse payloads for every tool call of a transcript, in order."""
    uses, out = {}, []
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        msg = d.get("message") or {}
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if part.get("type") == "tool_use":
                uses[part["id"]] = (part["name"], part.get("input", {}))
            elif part.get("type") == "tool_result" and part.get("tool_use_id") in uses:
                name, tool_input = uses[part["tool_use_id"]]
                response = d.get("toolUseResult", part.get("content"))
                out.append(
                    {
                        "session_id": SESSION_ID,
                        "transcript_path": "/nonexistent/cost.jsonl",
                        "cwd": d.get("cwd", "/p"),
                        "permission_mode": "default",
                        "hook_event_name": "PostToolUse",
                        "tool_name": name,
                        "tool_input": tool_input,
                        "tool_response": response,
                        "tool_use_id": part["tool_use_id"],
                    }
                )
    return out


def encode(payload):
    """A payload as Claude Code (Node's JSON.stringify) writes it: non-ASCII characters as UTF-8,
    not as \\u escapes; a lone surrogate (a string cut inside an emoji) as its \\u escape."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")


def median_by_size(payloads, tool):
    sized = sorted(
        (len(encode(p)), i) for i, p in enumerate(payloads) if p["tool_name"] == tool
    )
    return payloads[sized[len(sized) // 2][1]]


def build_floor(scratch):
    if not shutil.which("rustc"):
        sys.exit("cost: rustc is needed for the floor program")
    src = scratch / "floor.rs"
    src.write_text(FLOOR_SRC)
    dyn, sta = scratch / "floor-dynamic", scratch / "floor-static"
    subprocess.run(["rustc", "-O", "-o", dyn, src], check=True)
    subprocess.run(
        ["rustc", "-O", "-C", "target-feature=+crt-static", "-C", "relocation-model=static",
         "-o", sta, src],
        check=True,
    )
    floors = [("floor (dynamic)", dyn), ("floor (static)", sta)]
    # With musl's C runtime too, where that target is installed (`cargo build-musl`'s kind).
    musl = scratch / "floor-static-musl"
    built = subprocess.run(
        ["rustc", "-O", "--target", "x86_64-unknown-linux-musl", "-C", "relocation-model=static",
         "-o", musl, src],
        stderr=subprocess.DEVNULL,
    )
    if built.returncode == 0:
        floors.append(("floor (static, musl)", musl))
    return floors


def env_for(state):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOOK_", "CLAUDE_"))}
    env.update(POSTHOOK_STATE_DIR=str(state), HOME=str(state.parent), POSTHOOK_OUTPUT="json")
    return env


def restore(snapshot, state):
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(snapshot, state, symlinks=True)


def callgrind(binary, stdin_bytes, env, scratch):
    out = scratch / "cg.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(binary)],
        input=stdin_bytes, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return None


def strace_counts(binary, stdin_bytes, env, scratch):
    out = scratch / "strace.out"
    subprocess.run(
        ["strace", "-f", "-c", "-o", str(out), str(binary)],
        input=stdin_bytes, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    total = [l for l in out.read_text().splitlines() if l.strip().endswith("total")]
    # "100.00  0.000612  4  151  7  total": the calls are the fourth column.
    return total[0].split()[3] if total else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binaries", nargs="+", type=Path)
    ap.add_argument("--history", type=int, default=200, help="events in the seeded session")
    ap.add_argument("--wall", type=int, default=0, help="interleaved wall-time rounds (0: none)")
    ap.add_argument("--write-mb", type=float, default=0, help="also a Write of this many MB")
    ap.add_argument("--strace", action="store_true", help="also count syscalls with strace -c")
    ap.add_argument("--serve", type=Path, action="append", default=[],
                    help="also time requests to `SERVE serve` (with --wall; may be given again, "
                    "to compare servers in the same rounds)")
    args = ap.parse_args()

    payloads = payloads_of(MEASURED)
    seed = (payloads_of(SEED) + payloads) * 2
    cases = [("Edit", median_by_size(payloads, "Edit")), ("Bash", median_by_size(payloads, "Bash"))]
    if args.write_mb:
        body = ("x" * 99 + "\n") * int(args.write_mb * 1e6 / 100)
        cases.append((f"Write {args.write_mb:g} MB", dict(
            cases[0][1], tool_name="Write",
            tool_input={"file_path": "/p/big.txt", "content": body},
            tool_response={"type": "create", "filePath": "/p/big.txt"})))
    scratch = Path(tempfile.mkdtemp(prefix="posthook-cost-"))
    servers = {}
    try:
        floors = build_floor(scratch)
        programs = floors + [(str(b), b) for b in args.binaries]
        subjects = [(name, installed_copy(b, scratch, i)) for i, (name, b) in enumerate(programs)]
        seed_bin = args.binaries[0].resolve()
        # One seeded session per posthook binary (its own state format), restored before each call.
        snapshots = {}
        for name, binary in subjects:
            state = scratch / f"seed-{len(snapshots)}"
            state.mkdir()
            if not name.startswith("floor"):
                env = env_for(state)
                for p in seed[: args.history]:
                    subprocess.run([str(binary)], input=encode(p), env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            snapshots[name] = state
        state = scratch / "state"
        print(f"session: {args.history} events; calls from {MEASURED.name}")
        for case, p in cases:
            print(f"{case} payload: {len(encode(p)):,} bytes")
        have_cg = shutil.which("valgrind") is not None
        if not have_cg:
            print("cost: valgrind not found: no instruction counts")
        rows = []
        for name, binary in subjects:
            row = [name]
            for case, p in cases:
                data = encode(p)
                restore(snapshots[name], state)
                n = callgrind(binary, data, env_for(state), scratch) if have_cg else None
                row.append(f"{n / 1e6:.3f} M" if n else "-")
                if args.strace and shutil.which("strace"):
                    restore(snapshots[name], state)
                    row.append(strace_counts(binary, data, env_for(state), scratch) + " syscalls")
            rows.append(row)
        print("\ninstructions per call (callgrind):")
        for row in rows:
            print("  " + " | ".join([row[0].ljust(44)] + row[1:]))
        servers = {}
        for i, b in enumerate(args.serve):
            servers[f"serve {b} (new connection per request)"] = start_serve(b, scratch / f"serve-{i}",
                                                                              seed[: args.history])
        client = build_client(scratch) if servers else None
        subjects += [(name, None) for name in servers]
        if args.wall:
            print(f"\nwall, median of {args.wall} interleaved rounds, x dynamic floor:")
            for case, p in cases:
                data = encode(p)
                times = {name: [] for name, _ in subjects}
                native = {name: client and start_client(client, sv, scratch, data)
                          for name, sv in servers.items()}
                # Each round in its own order (seeded: the same orders every run): what runs
                # just before a call changes its time (a process that just exited is still being
                # torn down), and a fixed order would give that to the same subject every round.
                order = random.Random(args.wall)
                for _ in range(args.wall):
                    for name, binary in order.sample(subjects, len(subjects)):
                        if binary is None and native[name]:
                            times[name].append(request(native[name]))
                            continue
                        if binary is None:
                            t = time.perf_counter()
                            post(servers[name], data)
                            times[name].append(time.perf_counter() - t)
                            continue
                        restore(snapshots[name], state)
                        env = env_for(state)
                        t = time.perf_counter()
                        subprocess.run([str(binary)], input=data, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        times[name].append(time.perf_counter() - t)
                for c in native.values():
                    if c:
                        c.stdin.close()
                        c.wait()
                base = statistics.median(times["floor (dynamic)"])
                print(f"  {case}:")
                for name, _ in subjects:
                    m = statistics.median(times[name])
                    print(f"    {name.ljust(44)} {m * 1e6:8.0f} us  {m / base:5.2f}x")
    finally:
        for sv in servers.values():
            sv[0].terminate()
            sv[0].wait()
        shutil.rmtree(scratch, ignore_errors=True)


def installed_copy(binary, scratch, i):
    """The program as `install` registers a hook: a copy. The file the linker wrote starts slower
    than a byte-identical copy of it (perf stat, a Bash call: 1.26 ms of CPU against 1.02 ms for
    install's copy and 1.03 ms for this one), and the hook users run is install's copy, never the
    file in target/; the floors are copied alike."""
    copy = scratch / f"bin-{i}" / binary.name
    copy.parent.mkdir()
    shutil.copy2(binary, copy)
    return copy


def start_serve(binary, scratch, seed):
    """Starts `binary serve` on a free port; sends it the seed events. (proc, host, port, token)."""
    import serve_load

    home = scratch
    home.mkdir()
    served = serve_load.start(str(binary), home)
    for p in seed:
        post(served, encode(p))
    return served


def build_client(scratch):
    """benches/serve_client.c compiled with cc (None when cc is missing or fails: the requests
    are then timed from Python, whose own socket calls are part of the figure)."""
    out = scratch / "serve_client"
    cc = shutil.which("cc")
    if cc and subprocess.run([cc, "-O2", "-o", str(out), str(ROOT / "benches/serve_client.c")]).returncode == 0:
        return out
    print("cost: cc not found or failed: serve requests are timed from Python")
    return None


def start_client(client, served, scratch, body):
    """The native client for one payload, waiting for a line per request."""
    _, host, port, token = served
    body_file = scratch / f"serve-body-{port}.json"
    body_file.write_bytes(body)
    return subprocess.Popen([str(client), host, str(port), token, str(body_file), project_of(body)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def request(native):
    """One request by the native client: its own measurement, in seconds."""
    native.stdin.write("\n")
    native.stdin.flush()
    line = native.stdout.readline()
    if not line:
        sys.exit(f"cost: the serve client failed (exit {native.wait()})")
    return int(line) / 1e9


def project_of(body):
    """The header `install --http` has the client fill with CLAUDE_PROJECT_DIR: here the
    payload's cwd."""
    return json.loads(body).get("cwd") or "/"


def post(served, body):
    """One hook request on a new connection, as bytes on a plain socket (http.client's own
    overhead would be most of what is timed); fails loudly unless answered 200."""
    import socket

    _, host, port, token = served
    head = (f"POST /hook HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"X-Posthook-Project-Dir: {project_of(body)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    if not reply.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
        sys.exit(f"cost: serve answered {reply[:40]!r}")


if __name__ == "__main__":
    main()
