#!/usr/bin/env python3
"""Rebuild the failure corpus: run real tools on small failing projects and record each output as
Claude Code's PostToolUseFailure `error` field carries it for Bash ("Exit code N\\n" + output).

Usage: python3 tests/data/failures/generate.py [tool ...]   (default: every tool)

Each tool gets a directory of pairs: `same-<what>.a.txt` / `same-<what>.b.txt` is the same bug run
twice (after an unrelated edit or a plain re-run: durations, temp paths and line numbers may
differ); `changed-<what>.a.txt` / `changed-<what>.b.txt` is a red-green step (the bug partly fixed
and another assertion failing, or one of two errors fixed). The `spotter` directory is extracted
from the labelled transcripts (see README.md).

Needs: cargo/rustc, python3 (a venv with pytest, flake8 and pre-commit is made unless
FAILURES_VENV points at one), node/npm (typescript, eslint and jest are installed in a temp project
unless FAILURES_NODE_MODULES points at a node_modules), go, make, gcc, git.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def run(cmd, cwd, env=None):
    """Runs a shell command, stdout and stderr combined, and returns the text Claude Code hands
    to a PostToolUseFailure hook for a failed Bash call."""
    full_env = dict(os.environ)
    full_env.update({"NO_COLOR": "1", "TERM": "dumb"})
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, shell=True, cwd=cwd, env=full_env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace").rstrip()
    assert p.returncode != 0, f"{cmd!r} in {cwd} did not fail:\n{out}"
    return f"Exit code {p.returncode}\n{out}"


def project(files):
    """A fresh project directory (a new temp path each time, as real runs have)."""
    d = tempfile.mkdtemp(prefix="proj-")
    write(d, files)
    return d


def write(d, files):
    for name, text in files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))


def save(tool, pairs):
    d = os.path.join(HERE, tool)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, (a, b) in pairs.items():
        assert name.startswith(("same-", "changed-")), name
        for side, text in (("a", a), ("b", b)):
            with open(os.path.join(d, f"{name}.{side}.txt"), "w") as f:
                f.write(text)


def states(tool, base, cmd, variants, env=None, setup=None):
    """Runs `cmd` once per variant (files written over `base`, each in a fresh project) and
    returns the outputs by variant name."""
    out = {}
    for name, files in variants.items():
        d = project({**base, **files})
        if setup:
            setup(d)
        out[name] = run(cmd, d, env)
    return out


# ---------------------------------------------------------------- Rust

CARGO_TOML = """
[package]
name = "calc"
version = "0.1.0"
edition = "2021"
"""


def rust_lib(f_body, g_body, pad=""):
    return f"""
{pad}pub fn f() -> i32 {{ {f_body} }}
pub fn g() -> &'static str {{ {g_body} }}

#[cfg(test)]
mod tests {{
    use super::*;

    #[test]
    fn f_is_3() {{
        assert_eq!(f(), 3);
    }}

    #[test]
    fn g_is_three() {{
        assert_eq!(g(), "three", "g names the number");
    }}
}}
"""


def cargo_env():
    # RUST_BACKTRACE unset: the default shape, not whatever the shell running the generator has.
    return {"CARGO_TERM_COLOR": "never", "RUST_BACKTRACE": ""}


def gen_cargo_test():
    base = {"Cargo.toml": CARGO_TOML}
    s = states("cargo-test", base, "cargo test", {
        "two": {"src/lib.rs": rust_lib("2", '"two"')},
        "two-edited": {"src/lib.rs": rust_lib("2", '"two"', pad="// calc: small numbers\n\n")},
        "one": {"src/lib.rs": rust_lib("3", '"two"')},
        "f4": {"src/lib.rs": rust_lib("4", '"three"')},
        "f2": {"src/lib.rs": rust_lib("2", '"three"')},
    }, cargo_env())
    save("cargo-test", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


def rust_bin(body, pad=""):
    return f"""
{pad}fn main() {{
    {body}
}}
"""


def gen_cargo_build():
    base = {"Cargo.toml": CARGO_TOML}
    undefined = 'let total = 1;\n    println!("{}", totl);'
    mismatch = 'let total: i32 = "1";\n    println!("{}", total);'
    s = states("cargo-build", base, "cargo build", {
        "undef": {"src/main.rs": rust_bin(undefined)},
        "undef-moved": {"src/main.rs": rust_bin(undefined, pad="// entry point\nuse std::fmt::Write as _;\n")},
        "mismatch": {"src/main.rs": rust_bin(mismatch)},
        "both": {"src/main.rs": rust_bin(undefined + "\n    let n: u8 = \"2\";\n    println!(\"{n}\");")},
    }, cargo_env())
    save("cargo-build", {
        "same-lines-moved": (s["undef"], s["undef-moved"]),
        "changed-other-error": (s["undef"], s["mismatch"]),
        "changed-one-fixed": (s["both"], s["undef"]),
    })


def gen_rustc():
    undefined = 'let total = 1;\n    println!("{}", totl);'
    borrow = 'let v = vec![1];\n    let r = &v;\n    drop(v);\n    println!("{:?}", r);'
    s = states("rustc", {}, "rustc --color never main.rs", {
        "undef": {"main.rs": rust_bin(undefined)},
        "undef-again": {"main.rs": rust_bin(undefined, pad="\n\n")},
        "borrow": {"main.rs": rust_bin(borrow)},
    })
    save("rustc", {
        "same-rerun": (s["undef"], s["undef-again"]),
        "changed-other-error": (s["undef"], s["borrow"]),
    })


# ---------------------------------------------------------------- Python

def python_venv():
    v = os.environ.get("FAILURES_VENV")
    if v:
        return v
    v = tempfile.mkdtemp(prefix="venv-")
    subprocess.run([sys.executable, "-m", "venv", v], check=True)
    subprocess.run([f"{v}/bin/pip", "install", "-q", "pytest", "flake8", "pre-commit"], check=True)
    return v


PY_SCRIPT = """
import json
{pad}
def load(text):
    data = json.loads(text)
    return int(data["count"])

print("loading config")
print(load({doc!r}))
"""


def gen_python():
    s = states("python", {}, "python3 main.py", {
        "value": {"main.py": PY_SCRIPT.format(pad="", doc='{"count": "three"}')},
        "value-again": {"main.py": PY_SCRIPT.format(pad="import os  # unused\n\n", doc='{"count": "three"}')},
        "key": {"main.py": PY_SCRIPT.format(pad="", doc='{"total": 3}')},
    })
    save("python", {
        "same-unrelated-edit": (s["value"], s["value-again"]),
        "changed-other-exception": (s["value"], s["key"]),
    })


PY_CALC = """
def f():
    return {f}


def g():
    return {g!r}
"""

PY_UNITTEST = """
import unittest
from calc import f, g


class CalcTest(unittest.TestCase):
    def test_f_is_3(self):
        self.assertEqual(f(), 3)

    def test_g_is_three(self):
        self.assertEqual(g(), "three")


if __name__ == "__main__":
    unittest.main()
"""

PY_PYTEST = """
from calc import f, g


def test_f_is_3():
    assert f() == 3


def test_g_is_three():
    assert g() == "three"
"""


def gen_unittest():
    base = {"test_calc.py": PY_UNITTEST}
    s = states("unittest", base, "python3 -m unittest", {
        "two": {"calc.py": PY_CALC.format(f=2, g="two")},
        "two-edited": {"calc.py": "# calc\n\n" + PY_CALC.format(f=2, g="two")},
        "one": {"calc.py": PY_CALC.format(f=3, g="two")},
        "f4": {"calc.py": PY_CALC.format(f=4, g="three")},
        "f2": {"calc.py": PY_CALC.format(f=2, g="three")},
    })
    save("unittest", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


def gen_pytest(venv):
    base = {"test_calc.py": PY_PYTEST}
    cmd = f"{venv}/bin/pytest -p no:cacheprovider"
    s = states("pytest", base, cmd, {
        "two": {"calc.py": PY_CALC.format(f=2, g="two")},
        "two-edited": {"calc.py": "# calc\n\n" + PY_CALC.format(f=2, g="two")},
        "one": {"calc.py": PY_CALC.format(f=3, g="two")},
        "f4": {"calc.py": PY_CALC.format(f=4, g="three")},
        "f2": {"calc.py": PY_CALC.format(f=2, g="three")},
    })
    save("pytest", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


# ---------------------------------------------------------------- JavaScript

NODE_TEST = """
const test = require("node:test");
const assert = require("node:assert");
const { f, g } = require("./calc");

test("f is 3", () => {
  assert.strictEqual(f(), 3);
});

test("g is three", () => {
  assert.strictEqual(g(), "three");
});
"""


def js_calc(f, g, pad=""):
    return f'{pad}exports.f = () => {f};\nexports.g = () => {json.dumps(g)};\n'


def gen_node_test():
    base = {"calc.test.js": NODE_TEST}
    s = states("node-test", base, "node --test", {
        "two": {"calc.js": js_calc(2, "two")},
        "two-edited": {"calc.js": js_calc(2, "two", pad="// calc\n\n")},
        "one": {"calc.js": js_calc(3, "two")},
        "f4": {"calc.js": js_calc(4, "three")},
        "f2": {"calc.js": js_calc(2, "three")},
    })
    save("node-test", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


NPM_PACKAGE = """
{"name": "calc", "version": "1.0.0", "private": true, "scripts": {"test": "node check.js"}}
"""

NPM_CHECK = """
const {{ f }} = require("./calc");
{pad}const want = {want};
if (f() !== want) {{
  console.error(`check failed: f() returned ${{f()}}, expected ${{want}}`);
  process.exit(1);
}}
console.log("ok");
"""


def gen_npm():
    s = states("npm", {"package.json": NPM_PACKAGE}, "npm test", {
        "two": {"calc.js": js_calc(2, "two"), "check.js": NPM_CHECK.format(pad="", want=3)},
        "two-again": {"calc.js": js_calc(2, "two"), "check.js": NPM_CHECK.format(pad="// f must be 3\n", want=3)},
        "four": {"calc.js": js_calc(4, "two"), "check.js": NPM_CHECK.format(pad="", want=3)},
    })
    save("npm", {
        "same-unrelated-edit": (s["two"], s["two-again"]),
        "changed-other-value": (s["two"], s["four"]),
    })


def node_modules():
    nm = os.environ.get("FAILURES_NODE_MODULES")
    if nm:
        return nm
    d = tempfile.mkdtemp(prefix="node-")
    run_ok("npm init -y", d)
    run_ok("npm install --no-audit --no-fund typescript eslint @eslint/js jest", d)
    return os.path.join(d, "node_modules")


def run_ok(cmd, cwd):
    subprocess.run(cmd, shell=True, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def linked(nm):
    def setup(d):
        os.symlink(nm, os.path.join(d, "node_modules"))
    return setup


TS_CONFIG = '{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2020"}, "files": ["main.ts"]}\n'


def gen_tsc(nm):
    bad_type = 'const total: number = "3";\n'
    bad_call = "const total: number = 3;\nconsole.log(total.toUpperCase());\n"
    tail = "export function label(n: number): string {\n  return `n=${n}`;\n}\nlabel(total);\n"
    s = states("tsc", {"tsconfig.json": TS_CONFIG}, f"{nm}/.bin/tsc -p .", {
        "type": {"main.ts": bad_type + tail},
        "type-moved": {"main.ts": "// the total\n\n" + bad_type + tail},
        "call": {"main.ts": bad_call + tail},
        "both": {"main.ts": bad_type + "console.log(total.toUpperCase());\n" + tail},
    })
    save("tsc", {
        "same-lines-moved": (s["type"], s["type-moved"]),
        "changed-other-error": (s["type"], s["call"]),
        "changed-one-fixed": (s["both"], s["call"]),
    })


ESLINT_CONFIG = """
const js = require("@eslint/js");
module.exports = [js.configs.recommended, {languageOptions: {sourceType: "commonjs", globals: {console: "readonly", module: "writable"}}}];
"""


def gen_eslint(nm):
    unused = "const unused = 1;\nconsole.log('hi');\n"
    undef = "console.log(missing);\n"
    s = states("eslint", {"eslint.config.js": ESLINT_CONFIG}, f"{nm}/.bin/eslint main.js", {
        "unused": {"main.js": unused},
        "unused-moved": {"main.js": "// main\n" + unused},
        "undef": {"main.js": undef},
        "both": {"main.js": unused + undef},
    }, setup=linked(nm))
    save("eslint", {
        "same-lines-moved": (s["unused"], s["unused-moved"]),
        "changed-other-error": (s["unused"], s["undef"]),
        "changed-one-fixed": (s["both"], s["undef"]),
    })


JEST_TEST = """
const { f, g } = require("./calc");

test("f is 3", () => {
  expect(f()).toBe(3);
});

test("g is three", () => {
  expect(g()).toBe("three");
});
"""


def gen_jest(nm):
    base = {"calc.test.js": JEST_TEST, "package.json": '{"name": "calc", "private": true}\n'}
    s = states("jest", base, f"{nm}/.bin/jest --ci", {
        "two": {"calc.js": js_calc(2, "two")},
        "two-edited": {"calc.js": js_calc(2, "two", pad="// calc\n\n")},
        "one": {"calc.js": js_calc(3, "two")},
        "f4": {"calc.js": js_calc(4, "three")},
        "f2": {"calc.js": js_calc(2, "three")},
    }, setup=linked(nm))
    save("jest", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


# ---------------------------------------------------------------- Go

GO_CALC = """
package calc
{pad}
func F() int {{ return {f} }}

func G() string {{ return {g} }}
"""

GO_TEST = """
package calc

import "testing"

func TestFIs3(t *testing.T) {
	if got := F(); got != 3 {
		t.Errorf("F() = %d, want 3", got)
	}
}

func TestGIsThree(t *testing.T) {
	if got := G(); got != "three" {
		t.Errorf("G() = %q, want \\"three\\"", got)
	}
}
"""


def gen_go():
    if not shutil.which("go"):
        print("go not found: skipping go test", file=sys.stderr)
        return
    base = {"go.mod": "module calc\n\ngo 1.19\n", "calc_test.go": GO_TEST}
    env = {"GOFLAGS": "-count=1", "GOCACHE": tempfile.mkdtemp(prefix="gocache-")}
    calc = lambda f, g, pad="": GO_CALC.format(f=f, g=json.dumps(g), pad=pad)
    s = states("go", base, "go test ./...", {
        "two": {"calc.go": calc(2, "two")},
        "two-edited": {"calc.go": calc(2, "two", pad="\n// F and G name small numbers.\n")},
        "one": {"calc.go": calc(3, "two")},
        "f4": {"calc.go": calc(4, "three")},
        "f2": {"calc.go": calc(2, "three")},
    }, env)
    save("go-test", {
        "same-unrelated-edit": (s["two"], s["two-edited"]),
        "changed-one-fixed": (s["two"], s["one"]),
        "changed-other-value": (s["f2"], s["f4"]),
    })


# ---------------------------------------------------------------- make, gcc, git hooks

MAKEFILE = """
CFLAGS = -Wall -Werror

all: app check

app: main.o util.o
\t$(CC) -o app main.o util.o

check:
\ttest -f config.ini
"""


def gen_make():
    main_bad = "int main(void) {\n    return undefined_total;\n}\n"
    main_ok = "int util(void);\nint main(void) {\n    return util();\n}\n"
    util_ok = "int util(void) { return 0; }\n"
    util_bad = "int util(void) {\n    int x;\n    return \"zero\";\n}\n"
    s = states("make", {"Makefile": MAKEFILE}, "make", {
        "main": {"main.c": main_bad, "util.c": util_ok},
        "main-moved": {"main.c": "/* app */\n\n" + main_bad, "util.c": util_ok},
        "util": {"main.c": main_ok, "util.c": util_bad},
        "config": {"main.c": main_ok, "util.c": util_ok},
        "config-again": {"main.c": main_ok, "util.c": util_ok, "README": "app\n"},
    })
    save("make", {
        "same-lines-moved": (s["main"], s["main-moved"]),
        "changed-other-error": (s["main"], s["util"]),
        "same-recipe-rerun": (s["config"], s["config-again"]),
        "changed-recipe": (s["util"], s["config"]),
    })


GIT_HOOK = """#!/bin/sh
# Rejects a commit that leaves debug prints or TODOs in staged Python files.
status=0
for f in $(git diff --cached --name-only -- '*.py'); do
  if grep -n 'print(' "$f" | sed "s|^|$f:|;s|$|: debug print|" | grep .; then status=1; fi
  if grep -n 'TODO' "$f" | sed "s|^|$f:|;s|$|: TODO left|" | grep .; then status=1; fi
done
if [ $status -ne 0 ]; then
  echo "pre-commit: commit rejected, fix the lines above" >&2
fi
exit $status
"""


def git_repo(d, hook=None):
    for c in ("git init -q", "git config user.email dev@example.com", "git config user.name Dev",
              "git config commit.gpgsign false"):
        run_ok(c, d)
    if hook:
        path = os.path.join(d, ".git", "hooks", "pre-commit")
        with open(path, "w") as f:
            f.write(hook)
        os.chmod(path, 0o755)
    run_ok("git add -A", d)


def gen_git_hook():
    debug = "def total(xs):\n    print(xs)\n    return sum(xs)\n"
    todo = "def total(xs):\n    # TODO: floats\n    return sum(xs)\n"
    s = states("git-hook", {}, "git commit -m 'add total'", {
        "debug": {"app.py": debug},
        "debug-moved": {"app.py": '"""Totals."""\n\n' + debug},
        "todo": {"app.py": todo},
        "both": {"app.py": debug.replace("    return", "    # TODO: floats\n    return")},
    }, setup=lambda d: git_repo(d, GIT_HOOK))
    save("git-hook", {
        "same-lines-moved": (s["debug"], s["debug-moved"]),
        "changed-other-error": (s["debug"], s["todo"]),
        "changed-one-fixed": (s["both"], s["todo"]),
    })


PRE_COMMIT_CONFIG = """
repos:
  - repo: local
    hooks:
      - id: flake8
        name: flake8
        entry: {venv}/bin/flake8
        language: system
        types: [python]
      - id: no-todo
        name: no TODO left
        entry: "TODO"
        language: pygrep
        types: [python]
"""


def gen_pre_commit(venv):
    unused = "import os\n\n\ndef total(xs):\n    return sum(xs)\n"
    undefined = "def total(xs):\n    return sum(ys)\n"
    env = {"PRE_COMMIT_HOME": tempfile.mkdtemp(prefix="pre-commit-home-"), "PATH": f"{venv}/bin:" + os.environ["PATH"]}

    def setup(d):
        git_repo(d)
        run_ok(f"{venv}/bin/pre-commit install", d)
        run_ok("git add -A", d)

    cfg = {".pre-commit-config.yaml": PRE_COMMIT_CONFIG.format(venv=venv)}
    s = states("pre-commit", cfg, "git commit -m 'add total'", {
        "unused": {"app.py": unused},
        "unused-moved": {"app.py": '"""Totals."""\n' + unused},
        "undefined": {"app.py": undefined},
        "both": {"app.py": "import os\n\n\ndef total(xs):\n    # TODO: floats\n    return sum(ys)\n"},
        "one": {"app.py": "def total(xs):\n    # TODO: floats\n    return sum(ys)\n"},
    }, env, setup)
    save("pre-commit", {
        "same-lines-moved": (s["unused"], s["unused-moved"]),
        "changed-other-error": (s["unused"], s["undefined"]),
        "changed-one-fixed": (s["both"], s["one"]),
    })


# ---------------------------------------------------------------- real sessions

# (transcript, pair name, tool call a, tool call b): failed Bash calls of the labelled spotter
# sessions; a call is numbered by the order of its tool_use block in the transcript (from 1). The
# text is the transcript's `toolUseResult` string (what PostToolUseFailure carries as `error`).
SPOTTER = [
    ("spotter__ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", "same-dialyzer-commit-133-136", 133, 136),
    ("spotter__ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", "same-dialyzer-commit-142-145", 142, 145),
    ("spotter__ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl", "changed-credo-fixed-116-133", 116, 133),
    ("spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl", "changed-mix-test-94-98", 94, 98),
    ("spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl", "changed-mix-test-98-103", 98, 103),
    ("spotter__258c7280-ae70-4798-800f-63464d01a85d.jsonl", "changed-mix-test-103-107", 103, 107),
    ("spotter__8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl", "changed-mix-test-142-148", 142, 148),
    ("spotter__8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl", "changed-mix-test-148-153", 148, 153),
    ("spotter__8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl", "changed-mix-test-153-155", 153, 155),
    ("spotter__8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl", "changed-mix-test-155-158", 155, 158),
]


def failed_calls(path):
    """The failure text of each failed tool call, by tool call number."""
    order, out = {}, {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            content = (d.get("message") or {}).get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if block.get("type") == "tool_use":
                    order[block["id"]] = len(order) + 1
                elif block.get("type") == "tool_result" and block.get("is_error"):
                    text = d.get("toolUseResult")
                    if not isinstance(text, str):
                        c = block.get("content")
                        text = c if isinstance(c, str) else "".join(x.get("text", "") for x in c)
                    out[order[block["tool_use_id"]]] = text
    return out


def gen_spotter():
    pairs = {}
    for transcript, name, a, b in SPOTTER:
        calls = failed_calls(os.path.join(ROOT, "tests", "data", "transcripts", transcript))
        pairs[name] = (calls[a], calls[b])
    save("spotter", pairs)


def main():
    wanted = set(sys.argv[1:])
    venv = nm = None

    def need_venv():
        nonlocal venv
        venv = venv or python_venv()
        return venv

    def need_node():
        nonlocal nm
        nm = nm or node_modules()
        return nm

    gens = {
        "cargo-test": gen_cargo_test,
        "cargo-build": gen_cargo_build,
        "rustc": gen_rustc,
        "python": gen_python,
        "unittest": gen_unittest,
        "pytest": lambda: gen_pytest(need_venv()),
        "node-test": gen_node_test,
        "npm": gen_npm,
        "tsc": lambda: gen_tsc(need_node()),
        "eslint": lambda: gen_eslint(need_node()),
        "jest": lambda: gen_jest(need_node()),
        "go-test": gen_go,
        "make": gen_make,
        "git-hook": gen_git_hook,
        "pre-commit": lambda: gen_pre_commit(need_venv()),
        "spotter": gen_spotter,
    }
    for name, gen in gens.items():
        if not wanted or name in wanted:
            print(f"generating {name}", file=sys.stderr)
            gen()


if __name__ == "__main__":
    main()
