"""What the end-to-end scenarios are made of: the pinned client, the project each one runs in, one
run of the client against the mock, and readers for what came out of it (the requests the mock saw,
the client's hook timings, posthook's stored session)."""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENT_PACKAGE = "@anthropic-ai/claude-code"
CLIENT_VERSION = "2.1.332"
HERE = Path(__file__).resolve().parent

CLIENT_TIMEOUT_S = 120
POSTHOOK_TIMEOUT_S = 30
NPM_TIMEOUT_S = 900

# `Hooks: PostToolUse:Bash [/abs/posthook] finished with status 2 (14ms)`; PostToolBatch has no tool.
HOOK_LINE = re.compile(
    r"Hooks: (?P<event>[A-Za-z]+)(?::(?P<tool>\S+))? \[(?P<cmd>.*)\] finished with status (?P<status>-?\d+) \((?P<ms>\d+)ms\)"
)
# An http hook is logged as a POST and, later, its response (no time of its own: the timestamps say it).
HTTP_POST = re.compile(r"^(?P<ts>\S+) \[DEBUG\] Hooks: HTTP hook POST to (?P<url>\S+)")
HTTP_RESPONSE = re.compile(r"^(?P<ts>\S+) \[DEBUG\] Hooks: HTTP hook response status (?P<status>\d+)")
POSTHOOK_MESSAGE = re.compile(r"posthook \[(?P<rule>[a-z0-9.-]+)\]")


class Skip(Exception):
    """The client cannot be had: the e2e step is skipped with this reason."""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "posthook-e2e"


def client_version(exe):
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    return (out.stdout.split() or [""])[0], out.stderr.strip()


def install_client():
    """The pinned client's executable, from the cache when a good copy is there, else installed
    with npm into a fresh dir that replaces the cached one only once it works."""
    root = cache_dir()
    final = root / f"claude-code-{CLIENT_VERSION}"
    exe = final / "node_modules" / ".bin" / "claude"
    if exe.exists() and client_version(exe)[0] == CLIENT_VERSION:
        return exe, "cached"
    npm = shutil.which("npm")
    if not npm:
        raise Skip("npm not found")
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="install-", dir=root))
    except OSError as e:
        raise Skip(f"no cache dir for the client at {root}: {e}")
    cmd = [npm, "install", "--prefix", str(tmp), "--no-audit", "--no-fund", "--no-save",
           "--loglevel=error", f"{CLIENT_PACKAGE}@{CLIENT_VERSION}"]
    # One retry with short waits: with no registry reachable the step says so within seconds.
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fetch_retries="1",
               npm_config_fetch_retry_mintimeout="2000", npm_config_fetch_retry_maxtimeout="5000")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Skip(f"npm install {CLIENT_PACKAGE}@{CLIENT_VERSION} timed out after {NPM_TIMEOUT_S} s")
    new_exe = tmp / "node_modules" / ".bin" / "claude"
    if out.returncode != 0 or not new_exe.exists():
        shutil.rmtree(tmp, ignore_errors=True)
        raise Skip(f"npm install {CLIENT_PACKAGE}@{CLIENT_VERSION} failed (exit {out.returncode}): "
                   f"{npm_reason(out.stderr)}")
    got, err = client_version(new_exe)
    if got != CLIENT_VERSION:
        shutil.rmtree(tmp, ignore_errors=True)
        raise Skip(f"the installed client does not run: --version gave {got!r} {err[:200]!r}")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return exe, "installed"


def npm_reason(stderr):
    """The line of npm's error output that says why, e.g. `request to ... failed, reason: ...`."""
    lines = [ln.removeprefix("npm error").strip() for ln in stderr.splitlines() if ln.startswith("npm error")]
    for ln in lines:
        if "reason:" in ln or "404" in ln or "ENOTFOUND" in ln or "EAI_AGAIN" in ln:
            return ln[:300]
    for ln in lines:
        if ln.startswith("code "):
            return ln
    return (stderr.strip().splitlines() or ["no output"])[0][:300]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Mock:
    """The mock Messages API (mock_api.py) as a child process, on 127.0.0.1 and an ephemeral port."""

    def __init__(self, workdir, script):
        self.script_path = workdir / "script.json"
        self.log_path = workdir / "requests.jsonl"
        port_file = workdir / "mock.port"
        self.script_path.write_text(json.dumps(script, indent=1))
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "mock_api.py"), "--script", str(self.script_path),
             "--log", str(self.log_path), "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(workdir / "mock.stderr", "w"),
        )
        end = time.monotonic() + 15
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"mock API did not start: {(workdir / 'mock.stderr').read_text()}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def requests(self):
        if not self.log_path.exists():
            return []
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        stop_process(self.proc)


def stop_process(proc, grace_s=5):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


def block_text(block):
    """The text of a content block (a tool_result's content may itself be blocks)."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "tool_result":
        c = block.get("content")
        if isinstance(c, list):
            return "\n".join(block_text(b) for b in c)
        return c if isinstance(c, str) else ""
    return block.get("text") if isinstance(block.get("text"), str) else ""


def split_messages(text):
    """Each posthook message in a text: from `posthook [rule]` to the next one or the end."""
    starts = [m.start() for m in POSTHOOK_MESSAGE.finditer(text)]
    out = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        # The client joins several hooks' outputs with a blank line; posthook's messages have none.
        out.append(text[s:end].split("\n\n")[0].strip().rstrip('"').strip())
    return out


class Feedback:
    """Where posthook's messages landed in one request: each message with the ids of the tool
    results it followed (a system message or a user text after a tool_result message, or the
    tool_result itself when the client wraps it there in a `<system-reminder>`)."""

    def __init__(self, body):
        self.items = []  # (tool_use_ids, where, message)
        last_ids = []
        for msg in body.get("messages") or []:
            role = msg.get("role")
            content = msg.get("content")
            blocks = content if isinstance(content, list) else [content]
            ids_here = [b.get("tool_use_id") for b in blocks
                        if isinstance(b, dict) and b.get("type") == "tool_result"]
            if ids_here:
                last_ids = ids_here
            for b in blocks:
                text = block_text(b)
                if "posthook [" not in text:
                    continue
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    ids, where = [b.get("tool_use_id")], "tool_result"
                else:
                    ids, where = list(last_ids), ("system message" if role == "system" else f"{role} text")
                if where != "system message" and "<system-reminder>" not in text:
                    where += " (not in a system-reminder)"
                for m in split_messages(text):
                    self.items.append((ids, where, m))

    def after(self, tool_use_id):
        return [(where, m) for ids, where, m in self.items if tool_use_id in ids]

    def rules(self):
        return [POSTHOOK_MESSAGE.match(m).group("rule") for _, _, m in self.items]


class Run:
    """One client run of one scenario, and what it left behind."""

    def __init__(self, scenario, workdir):
        self.scenario = scenario
        self.dir = workdir
        self.home = workdir / "home"
        self.proj = workdir / "proj"
        self.debug_file = workdir / "client-debug.log"
        self.stream_file = workdir / "stream.jsonl"
        self.stderr_file = workdir / "client.stderr"
        self.returncode = None
        self.elapsed = 0.0
        self.requests = []
        self.failures = []

    # -- set up ---------------------------------------------------------------------------
    def prepare(self):
        self.home.mkdir(parents=True)
        self.proj.mkdir(parents=True)
        (self.proj / "README.md").write_text("# sample project\n\nA project the e2e test works in.\n")
        (self.proj / "src").mkdir()
        for i in range(1, 5):
            (self.proj / "src" / f"part{i}.txt").write_text(f"part {i}\n")
        git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "-c", "init.defaultBranch=main"]
        for args in (["init", "-q", "."], ["add", "-A"], ["commit", "-q", "-m", "initial"]):
            subprocess.run(git + args, cwd=self.proj, check=True, capture_output=True,
                           env=self.base_env(), timeout=POSTHOOK_TIMEOUT_S)

    def base_env(self):
        """A small, fixed environment: the host's PATH, this run's HOME, nothing else inherited."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        }
        return env

    def client_env(self, mock_url, extra):
        env = self.base_env()
        env.update({
            "ANTHROPIC_BASE_URL": mock_url,
            "ANTHROPIC_API_KEY": "sk-ant-e2e-not-a-real-key",
            "DISABLE_TELEMETRY": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        })
        if os.geteuid() == 0:
            # The client refuses --dangerously-skip-permissions as root unless told it is sandboxed.
            env["IS_SANDBOX"] = "1"
        env.update(extra)
        return env

    def posthook(self, binary, *args, check=True):
        out = subprocess.run([str(binary), *args], cwd=self.proj, env=self.base_env(), capture_output=True,
                             text=True, timeout=POSTHOOK_TIMEOUT_S)
        if check and out.returncode != 0:
            raise RuntimeError(f"posthook {' '.join(args)} exited {out.returncode}: {out.stderr.strip()}")
        return out

    def settings(self):
        p = self.proj / ".claude" / "settings.json"
        return json.loads(p.read_text()) if p.exists() else {}

    def write_settings(self, value):
        p = self.proj / ".claude" / "settings.json"
        p.parent.mkdir(exist_ok=True)
        p.write_text(json.dumps(value, indent=2) + "\n")

    # -- the client -------------------------------------------------------------------------
    def run_client(self, client, mock, prompt, extra_env):
        cmd = [str(client), "-p", prompt, "--output-format", "stream-json", "--verbose",
               "--dangerously-skip-permissions", "--debug-file", str(self.debug_file)]
        start = time.monotonic()
        with open(self.stream_file, "wb") as out, open(self.stderr_file, "wb") as err:
            proc = subprocess.Popen(cmd, cwd=self.proj, env=self.client_env(mock.url, extra_env),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
            try:
                self.returncode = proc.wait(timeout=CLIENT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                self.returncode = "timeout"
                self.fail(f"the client did not finish within {CLIENT_TIMEOUT_S} s")
        self.elapsed = time.monotonic() - start
        self.requests = mock.requests()
        if self.returncode not in (0, "timeout"):
            self.fail(f"the client exited {self.returncode}: {self.stderr_file.read_text()[-500:]}")

    # -- what came out ------------------------------------------------------------------------
    def fail(self, msg):
        self.failures.append(msg)

    def expect(self, cond, msg):
        if not cond:
            self.fail(msg)
        return bool(cond)

    def thread_requests(self, thread):
        return [r for r in self.requests if r.get("thread") == thread and r.get("path", "").endswith("/v1/messages")]

    def last_request(self, thread):
        reqs = self.thread_requests(thread)
        return reqs[-1]["body"] if reqs else {}

    def request_after(self, thread, turn):
        """The request that answered turn `turn` (the one carrying its tool results)."""
        for r in self.thread_requests(thread):
            if r.get("turn") == turn + 1:
                return r["body"]
        return {}

    def feedback(self, thread):
        return Feedback(self.last_request(thread))

    def stream(self):
        lines = []
        if self.stream_file.exists():
            for line in self.stream_file.read_text(errors="replace").splitlines():
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    def session_id(self):
        for line in self.stream():
            if line.get("type") == "system" and line.get("subtype") == "init":
                return line.get("session_id")
        return None

    def hook_calls(self):
        """Every hook run the client logged: event, tool, command, status, ms."""
        if not self.debug_file.exists():
            return []
        calls = []
        for line in self.debug_file.read_text(errors="replace").splitlines():
            m = HOOK_LINE.search(line)
            if m:
                calls.append({"event": m["event"], "tool": m["tool"], "cmd": m["cmd"],
                              "status": int(m["status"]), "ms": int(m["ms"])})
        return calls

    def http_hook_calls(self):
        """Every http hook request the client logged: url, status, ms (POST to response, paired in
        order, so only exact for calls that did not overlap)."""
        if not self.debug_file.exists():
            return []
        posts, calls = [], []
        for line in self.debug_file.read_text(errors="replace").splitlines():
            m = HTTP_POST.match(line)
            if m:
                posts.append(m)
                continue
            m = HTTP_RESPONSE.match(line)
            if m and posts:
                p = posts.pop(0)
                ms = (iso_ms(m["ts"]) - iso_ms(p["ts"])) if iso_ms(m["ts"]) and iso_ms(p["ts"]) else None
                calls.append({"url": p["url"], "status": int(m["status"]), "ms": ms})
        calls += [{"url": p["url"], "status": None, "ms": None} for p in posts]
        return calls

    def session(self, binary):
        sid = self.session_id()
        if not sid:
            self.fail("no session id in the client's stream-json output")
            return {}
        out = self.posthook(binary, "session", "show", sid, "--json", check=False)
        if out.returncode != 0:
            self.fail(f"posthook session show {sid} --json exited {out.returncode}: {out.stderr.strip()}")
            return {}
        return json.loads(out.stdout)

    def state_dir(self):
        return self.home / ".local" / "state" / "posthook"

    def state_bytes(self):
        """Every file posthook keeps for this run, concatenated."""
        data = b""
        if self.state_dir().exists():
            for p in sorted(self.state_dir().rglob("*")):
                if p.is_file():
                    data += p.read_bytes()
        return data


def iso_ms(ts):
    """Milliseconds of an ISO time such as 2026-12-01T08:56:17.734Z (None when it is not one)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def median(values):
    return statistics.median(values) if values else None
