"""Checks of the mock Messages API on its own, including the non-streaming answers the client does
not ask for: `python3 -m unittest tests/e2e/test_mock.py` (run.py runs them first)."""

import json
import sys
import tempfile
import unittest
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Mock  # noqa: E402

SCRIPT = {"threads": {
    "t": [
        [{"type": "text", "text": "two calls"},
         {"type": "tool_use", "name": "Bash", "input": {"command": "ls"}},
         {"type": "tool_use", "name": "Read", "input": {"file_path": "/x"}}],
        [{"type": "text", "text": "finished"}],
    ],
}}


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def sse_events(text):
    """(event, data) pairs of an SSE body."""
    out = []
    for chunk in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.splitlines())
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def first(marker="[e2e:t] go"):
    return [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                                         {"type": "text", "text": marker}]}]


class MockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.mock = Mock(Path(cls.dir.name), SCRIPT)

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        cls.dir.cleanup()

    def test_non_streaming_first_turn_has_both_calls(self):
        ctype, body = post(self.mock.url + "/v1/messages", {"model": "m", "messages": first()})
        self.assertEqual(ctype, "application/json")
        msg = json.loads(body)
        self.assertEqual(msg["stop_reason"], "tool_use")
        self.assertEqual([b["type"] for b in msg["content"]], ["text", "tool_use", "tool_use"])
        self.assertEqual([b.get("id") for b in msg["content"][1:]], ["toolu_e2e_t_0_1", "toolu_e2e_t_0_2"])
        self.assertEqual(msg["content"][2]["input"], {"file_path": "/x"})

    def test_streaming_rebuilds_to_the_same_message(self):
        ctype, body = post(self.mock.url + "/v1/messages?beta=true",
                           {"model": "m", "stream": True, "messages": first()})
        self.assertEqual(ctype, "text/event-stream")
        events = sse_events(body)
        names = [e for e, _ in events]
        self.assertEqual(names[0], "message_start")
        self.assertEqual(names[-2:], ["message_delta", "message_stop"])
        self.assertEqual(names.count("content_block_start"), 3)
        blocks = {}
        for name, data in events:
            if name == "content_block_start":
                blocks[data["index"]] = dict(data["content_block"], _json="")
            elif name == "content_block_delta":
                d = data["delta"]
                if d["type"] == "text_delta":
                    blocks[data["index"]]["text"] += d["text"]
                else:
                    blocks[data["index"]]["_json"] += d["partial_json"]
        self.assertEqual(blocks[0]["text"], "two calls")
        self.assertEqual((blocks[1]["name"], json.loads(blocks[1]["_json"])), ("Bash", {"command": "ls"}))
        self.assertEqual(events[-2][1]["delta"]["stop_reason"], "tool_use")

    def test_turn_follows_the_tool_ids_in_the_request(self):
        msgs = first() + [
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_e2e_t_0_1", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_e2e_t_0_1", "content": "ok"}]},
        ]
        msg = json.loads(post(self.mock.url + "/v1/messages", {"model": "m", "messages": msgs})[1])
        self.assertEqual((msg["stop_reason"], msg["content"][0]["text"]), ("end_turn", "finished"))
        logged = [r for r in self.mock.requests() if r.get("turn") == 1]
        self.assertTrue(logged and logged[-1]["body"]["messages"] == msgs, "the request body is logged whole")

    def test_unknown_thread_and_other_paths_are_harmless(self):
        msg = json.loads(post(self.mock.url + "/v1/messages", {"model": "m", "messages": first("hi")})[1])
        self.assertEqual((msg["stop_reason"], msg["content"][0]["text"]), ("end_turn", "Done."))
        self.assertEqual(json.loads(post(self.mock.url + "/v1/messages/count_tokens", {})[1]), {"input_tokens": 100})
        with urllib.request.urlopen(self.mock.url + "/v1/models", timeout=10) as r:
            self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
