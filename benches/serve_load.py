#!/usr/bin/env python3
"""Load on `posthook serve`: round trips of real hook events under concurrent clients.

Starts `BIN serve` on a free local port with a scratch state dir and token, then sends the real
payloads of an embedded session (see cost.py) from --clients threads, --events each, a new
connection per request, each client with its own session. Prints the median, p95 and p99 round
trip, the events per second achieved and the server's peak RSS, and exits 1 when any request
did not answer 200 (the load check: every event answered under load).

    python3 benches/serve_load.py target/release/posthook [--clients 64] [--events 100]
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cost  # noqa: E402


def start(binary, scratch):
    token_file = scratch / "serve.token"
    env = dict(os.environ, POSTHOOK_STATE_DIR=str(scratch / "state"))
    env.pop("POSTHOOK_LOG", None)
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--token-file", str(token_file)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stderr.readline()
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    try:
        hostport = first.split("http://", 1)[1].split("/", 1)[0]
    except IndexError:
        proc.kill()
        sys.exit(f"serve printed no address: {first.strip()!r}")
    host, port = hostport.rsplit(":", 1)
    return proc, host, int(port), token_file.read_text().strip()


def peak_rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--events", type=int, default=100, help="events per client")
    args = ap.parse_args()

    payloads = cost.payloads_of(cost.MEASURED)
    with tempfile.TemporaryDirectory() as d:
        proc, host, port, token = start(args.binary, Path(d))
        times, failures, lock = [], [], threading.Lock()

        def client(c):
            mine = []
            for i in range(args.events):
                p = dict(payloads[(c + i) % len(payloads)], session_id=f"load-{c}")
                body = json.dumps(p).encode()
                t0 = time.perf_counter()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                try:
                    conn.request(
                        "POST",
                        "/hook",
                        body,
                        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    )
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                except OSError as e:
                    status = str(e)
                finally:
                    conn.close()
                mine.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    with lock:
                        failures.append(status)
            with lock:
                times.extend(mine)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        rss = peak_rss_kib(proc.pid)
        proc.terminate()
        proc.wait()

    times.sort()
    q = lambda f: times[min(len(times) - 1, int(f * len(times)))]  # noqa: E731
    print(
        f"{args.clients} clients x {args.events} events, new connection each: "
        f"median {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, p99 {q(0.99):.2f} ms, "
        f"{len(times) / elapsed:.0f} events/s, server peak RSS {rss / 1024:.1f} MiB"
    )
    if failures:
        print(f"FAIL: {len(failures)} of {len(times)} requests not answered 200: {failures[:5]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
