#!/usr/bin/env python3
"""End-to-end test: the real Claude Code client, driven offline by a scripted mock of the Messages
API, running posthook as its hook in throwaway projects.

    python3 tests/e2e/run.py [--bin PATH] [--only NAME ...] [--keep] [--mute]

Installs the pinned client once into ${XDG_CACHE_HOME:-~/.cache}/posthook-e2e (reused after), builds
posthook in release (unless --bin), starts the mock on 127.0.0.1, runs every scenario (see
scenarios.py) and prints one line per scenario, the client's hook timings beside `posthook floor`'s,
and a summary. Exit 0 when every scenario passed (or the client cannot be installed: then the only
line is `e2e: SKIPPED: <why>`), 1 otherwise. `--mute` runs every scenario with the hook's answer
dropped (POSTHOOK_TEST_MUTE=1): a deliberately broken build, which must fail.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import scenarios  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


class Context:
    """What every scenario shares: the binary under test and notes passed between scenarios."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.notes = {}

    def is_posthook(self, cmd):
        # The binary itself, or the copy of its lean hook that `install` registers.
        ours = str(self.binary) in cmd or "/.local/share/posthook/bin/" in cmd
        return ours and not self.is_floor(cmd)

    def is_floor(self, cmd):
        return str(self.binary) in cmd and cmd.rstrip().endswith("floor")

    def probe(self, *args):
        return subprocess.run([str(self.binary), *args], capture_output=True, text=True,
                              timeout=harness.POSTHOOK_TIMEOUT_S, cwd=self.workdir)


def build():
    # Both executables: `install` registers a copy of posthook-hook, built beside posthook.
    cmd = ["cargo", "build", "--release", "--quiet", "--bins"]
    out = subprocess.run(cmd, cwd=REPO, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"e2e: FAILED: `{' '.join(cmd)}` exited {out.returncode}")
    return REPO / "target" / "release" / "posthook"


def mock_self_test():
    """The mock's own checks (test_mock.py), non-streaming answers included: one line, details on failure."""
    import io
    import unittest

    import test_mock

    suite = unittest.defaultTestLoader.loadTestsFromModule(test_mock)
    out = io.StringIO()
    result = unittest.TextTestRunner(stream=out, verbosity=0).run(suite)
    ok = result.wasSuccessful()
    print(f"e2e: {'PASS' if ok else 'FAIL'} mock-api ({result.testsRun} checks)", flush=True)
    if not ok:
        print(out.getvalue())
    return ok


def timing_table(runs, ctx):
    """The client's per-call hook times: posthook (in the `timing` rounds, which make the same calls
    as the `floor` rounds, and in every scenario) beside `posthook floor`."""
    def calls(prefix, keep):
        return [c for name, r in runs.items() if name.startswith(prefix)
                for c in r.hook_calls() if c["event"] == "PostToolUse" and keep(c["cmd"])]

    same = calls("timing-", ctx.is_posthook)
    floor = calls("floor-", ctx.is_floor)
    everything = [c for r in runs.values() for c in r.hook_calls() if ctx.is_posthook(c["cmd"])]
    keys = sorted({f"{c['event']}:{c['tool']}" for c in same + floor})

    def cell(calls):
        ms = [c["ms"] for c in calls]
        return f"{len(ms):>4} {harness.median(ms):>8.1f}" if ms else f"{0:>4} {'-':>8}"

    def pick(calls, key):
        return [c for c in calls if f"{c['event']}:{c['tool']}" == key]

    lines = ["e2e: hook time per call as the client logged it (ms, median; same calls for both columns)",
             f"  {'event:tool':<26} {'n':>4} {'posthook':>8}   {'n':>4} {'floor':>8}"]
    for k in keys:
        lines.append(f"  {k:<26} {cell(pick(same, k))}   {cell(pick(floor, k))}")
    lines.append(f"  {'all PostToolUse':<26} {cell(same)}   {cell(floor)}")
    by_event = {}
    for c in everything:
        by_event.setdefault(c["event"], []).append(c)
    lines.append("  posthook in every scenario: " + ", ".join(
        f"{e} n={len(v)} median {harness.median([c['ms'] for c in v]):.1f} ms" for e, v in sorted(by_event.items())))
    if "serve-http" in runs:
        http = [c["ms"] for c in runs["serve-http"].http_hook_calls() if c["ms"] is not None]
        if http:
            lines.append(f"  posthook serve (http hook, serve-http): n={len(http)} median {harness.median(http):.1f} ms")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", type=Path, help="posthook binary to test (default: build it in release)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these scenarios")
    ap.add_argument("--keep", action="store_true", help="keep the work dir even when everything passed")
    ap.add_argument("--mute", action="store_true", help="drop every hook answer: must make the run fail")
    args = ap.parse_args()
    started = time.monotonic()

    try:
        client, how = harness.install_client()
    except harness.Skip as e:
        print(f"e2e: SKIPPED: {e}", flush=True)
        return 0
    binary = args.bin.resolve() if args.bin else build()
    if not binary.exists():
        print(f"e2e: FAILED: no posthook binary at {binary}")
        return 1
    print(f"e2e: client {harness.CLIENT_PACKAGE}@{harness.CLIENT_VERSION} ({how}: {client}); posthook {binary}",
          flush=True)

    if not mock_self_test():
        return 1

    workdir = Path(tempfile.mkdtemp(prefix="posthook-e2e-"))
    ctx = Context(binary, workdir)
    ctx.client = client
    chosen = [s for s in scenarios.ALL if not args.only or s.name in args.only]
    runs, skipped, script = {}, [], {"threads": {}}
    for s in chosen:
        reason = s.skip_reason(ctx)
        if reason:
            skipped.append((s, reason))
            continue
        run = harness.Run(s, workdir / s.name)
        runs[s.name] = run
        script["threads"].update({k: v for k, v in s.threads(run).items()})
    mock = harness.Mock(workdir, script)
    failed = []
    try:
        reasons = {}
        for s, reason in skipped:
            reasons.setdefault(reason, []).append(s.name)
        for reason, names in reasons.items():
            print(f"e2e: SKIP {', '.join(names)}: {reason}", flush=True)
        for name, run in runs.items():
            s = run.scenario
            try:
                run.prepare()
                s.install(run, ctx)
                # After install: a scenario may set its environment there.
                extra = dict(s.env)
                if args.mute:
                    extra[scenarios.MUTE_ENV] = "1"
                run.run_client(client, mock, s.prompt(), extra)
                if run.returncode == 0:
                    s.check(run, ctx)
            except Exception as e:  # a broken step fails this scenario, the others still run
                run.fail(f"{type(e).__name__}: {e}")
            finally:
                s.after(run, ctx)
            status = "PASS" if not run.failures else "FAIL"
            print(f"e2e: {status} {name} ({run.elapsed:.1f} s)", flush=True)
            for f in run.failures:
                print(f"    - {f}")
            if run.failures:
                failed.append(name)
    finally:
        mock.stop()
    print(timing_table(runs, ctx))
    passed = len(runs) - len(failed)
    if failed or args.keep:
        print(f"e2e: work dir kept: {workdir} (requests: {mock.log_path})")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"e2e: {time.monotonic() - started:.0f} s in all")
    print(f"e2e: {passed} passed, {len(failed)} failed" + (f", {len(skipped)} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
