// Round trips from Node, as Claude Code makes them: an http POST with a new connection per
// request, against spawning the hook (exec form) and the floor program, interleaved.
// usage: node benches/http_from_node.mjs POSTHOOK FLOOR URL TOKEN [ROUNDS]
// (FLOOR: any program that reads stdin and exits, e.g. a `rustc -O` build of
// `fn main() { std::io::copy(&mut std::io::stdin(), &mut std::io::sink()).ok(); }`)
import http from "node:http";
import { spawn } from "node:child_process";

const [posthook, floor, url, token, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 300);
const payload = JSON.stringify({
  session_id: "node-bench", transcript_path: "/tmp/t.jsonl", cwd: "/tmp",
  hook_event_name: "PostToolUse", tool_name: "Bash",
  tool_input: { command: "cargo test --workspace" },
  tool_response: { stdout: "ok", stderr: "", interrupted: false }, tool_use_id: "toolu_1",
});

function post() {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const req = http.request(url, {
      method: "POST", agent: false,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`,
                 "Content-Length": Buffer.byteLength(payload) },
    }, (res) => {
      res.resume();
      res.on("end", () => resolve(Number(process.hrtime.bigint() - t) / 1e6));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const c = spawn(cmd, args, { stdio: ["pipe", "ignore", "ignore"] });
    c.on("error", reject);
    c.on("close", () => resolve(Number(process.hrtime.bigint() - t) / 1e6));
    c.stdin.end(payload);
  });
}

const kinds = {
  "http POST, new connection": post,
  "spawn posthook (exec form)": () => run(posthook, []),
  "spawn sh -c posthook": () => run("/bin/sh", ["-c", posthook]),
  "spawn floor": () => run(floor, []),
};
const times = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
const names = Object.keys(kinds);
for (let r = 0; r < rounds + 5; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(r + i) % names.length];
    const ms = await kinds[name]();
    if (r >= 5) times[name].push(ms);
  }
}
const pct = (v, p) => v[Math.min(v.length - 1, Math.round((v.length - 1) * p))];
for (const name of names) {
  const v = times[name].sort((a, b) => a - b);
  console.log(`${name.padEnd(30)} median ${pct(v, 0.5).toFixed(3)} ms  p95 ${pct(v, 0.95).toFixed(3)} ms`);
}
