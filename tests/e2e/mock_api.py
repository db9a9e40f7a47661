#!/usr/bin/env python3
"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code offline.

    mock_api.py --script SCRIPT.json --log REQUESTS.jsonl --port-file PORT

Binds 127.0.0.1 on an ephemeral port (written to --port-file once it listens) and answers
`POST /v1/messages` (streaming SSE when the body asks for `"stream": true`, else one JSON message)
from a script of assistant turns. Everything else gets a harmless answer: `count_tokens` a small
count, any other path `{}`.

The script maps a thread name to its list of turns:

    {"threads": {"seq": [[{"type": "tool_use", "name": "Bash", "input": {...}}, ...], ...,
                         [{"type": "text", "text": "done"}]]}}

A request belongs to the thread whose marker `[e2e:NAME]` appears in its first message, so one
server can serve several scenarios and a subagent (its first message is the prompt the main thread
gave it) has a thread of its own. Which turn to answer is read from the request itself, not from a
counter: one more than the highest turn whose tool_use ids the request carries. A retried request
therefore gets the same answer, and an unknown thread or a turn past the end gets a short final text.

Every request is appended to --log as one JSON line: method, path, thread, turn answered, body.
"""

import argparse
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = re.compile(r"\[e2e:([A-Za-z0-9_-]+)\]")
# toolu_e2e_<thread>_<turn>_<index>; the thread part may hold '-' but no '_'.
TOOL_ID = re.compile(r"toolu_e2e_([A-Za-z0-9-]+)_(\d+)_(\d+)")
# A scripted text turn may carry `[e2e-turn:<thread>:<turn>]`: the request that carries it back
# (the model goes on after a stop hook blocked its end of turn) gets the turn after it.
TEXT_TURN = re.compile(r"\[e2e-turn:([A-Za-z0-9_-]+):(\d+)\]")
MODEL_FALLBACK = "claude-mock"


def first_message_text(body):
    """All text of the request's first message (string content or text blocks)."""
    msgs = body.get("messages") or []
    if not msgs:
        return ""
    content = msgs[0].get("content")
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def thread_of(body):
    m = MARKER.search(first_message_text(body))
    return m.group(1) if m else None


def next_turn(body, thread):
    """One more than the highest scripted turn of `thread` whose tool_use the request carries."""
    highest = -1
    for msg in body.get("messages") or []:
        content = msg.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and msg.get("role") == "assistant":
                for m in TEXT_TURN.finditer(str(block.get("text", ""))):
                    if m.group(1) == thread:
                        highest = max(highest, int(m.group(2)))
                continue
            if block.get("type") != "tool_use":
                continue
            m = TOOL_ID.fullmatch(str(block.get("id", "")))
            if m and m.group(1) == thread:
                highest = max(highest, int(m.group(2)))
    return highest + 1


def turn_blocks(script, thread, turn):
    """The content blocks to answer with, tool_use ids filled in."""
    turns = script.get("threads", {}).get(thread) if thread else None
    if not turns or turn >= len(turns):
        return [{"type": "text", "text": "Done."}]
    blocks = []
    for i, b in enumerate(turns[turn]):
        b = dict(b)
        if b.get("type") == "tool_use":
            b["id"] = f"toolu_e2e_{thread}_{turn}_{i}"
            b.setdefault("input", {})
        blocks.append(b)
    return blocks


def message(blocks, model, msg_id):
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 100,
            "output_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def sse(event, data):
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def stream(msg):
    """The SSE events the Messages API sends for `msg`, in order."""
    head = dict(msg, content=[], stop_reason=None)
    head["usage"] = dict(msg["usage"], output_tokens=1)
    out = [sse("message_start", {"type": "message_start", "message": head})]
    for i, b in enumerate(msg["content"]):
        if b["type"] == "tool_use":
            start = {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(b["input"])}
        else:
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": b.get("text", "")}
        out.append(sse("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
        out.append(sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}))
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": msg["usage"]["output_tokens"]},
            },
        )
    )
    out.append(sse("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "posthook-e2e-mock"

    def log_message(self, *_args):
        pass  # requests go to the JSON log, not to stderr

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {"_unparsed": raw.decode("utf-8", "replace")}

    def _send(self, status, ctype, data):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, entry):
        srv = self.server
        with srv.lock:
            srv.seq += 1
            entry["seq"] = srv.seq
            srv.log.write(json.dumps(entry) + "\n")
            srv.log.flush()
            return srv.seq

    def do_POST(self):
        body = self._body()
        path, _, query = self.path.partition("?")
        entry = {"method": "POST", "path": path, "query": query}
        if path.endswith("/v1/messages/count_tokens"):
            self._record(dict(entry, body=body))
            return self._send(200, "application/json", b'{"input_tokens": 100}')
        if not path.endswith("/v1/messages"):
            self._record(dict(entry, body=body))
            return self._send(200, "application/json", b"{}")
        thread = thread_of(body)
        turn = next_turn(body, thread) if thread else 0
        blocks = turn_blocks(self.server.script, thread, turn)
        seq = self._record(dict(entry, thread=thread, turn=turn, stream=bool(body.get("stream")), body=body))
        msg = message(blocks, body.get("model") or MODEL_FALLBACK, f"msg_e2e_{seq:06d}")
        if body.get("stream"):
            return self._send(200, "text/event-stream", stream(msg))
        return self._send(200, "application/json", json.dumps(msg).encode())

    def do_GET(self):
        self._record({"method": "GET", "path": self.path})
        self._send(200, "application/json", b"{}")

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    with open(args.script, encoding="utf-8") as f:
        script = json.load(f)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.script = script
    srv.lock = threading.Lock()
    srv.seq = 0
    srv.log = open(args.log, "a", encoding="utf-8")
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(srv.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
