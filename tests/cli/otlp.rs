//! OTLP export from `posthook serve` (feature `otlp`): a scripted session posted to the server,
//! its spans received by a real OTLP/HTTP receiver the test starts (python3's http.server,
//! decoding each export with the `opentelemetry-proto` package), one span per event with its
//! rules, verdicts and the client's trace parent. Skipped, with one line, when python3 or the
//! package is missing.

use crate::serve::{golden_payloads, Server};
use crate::support::Sandbox;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Records every POST to /v1/traces as one JSON line per span, and counts the rest.
const RECEIVER: &str = r#"
import json, sys, http.server
try:
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
except Exception as e:
    print("NOPROTO", e, flush=True)
    sys.exit(0)
out = open(sys.argv[1], "a")
def value(v):
    k = v.WhichOneof("value")
    return getattr(v, k) if k else None
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v1/traces":
            req = trace_service_pb2.ExportTraceServiceRequest()
            req.ParseFromString(body)
            for rs in req.resource_spans:
                res = {a.key: value(a.value) for a in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out.write(json.dumps({
                            "name": s.name, "trace_id": s.trace_id.hex(),
                            "parent_span_id": s.parent_span_id.hex(),
                            "service": res.get("service.name"),
                            "attributes": {a.key: value(a.value) for a in s.attributes},
                        }) + "\n")
        else:
            out.write(json.dumps({"post": self.path}) + "\n")
        out.flush()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("PORT", srv.server_address[1], flush=True)
srv.serve_forever()
"#;

struct Receiver {
    child: Child,
    port: u16,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The receiver, or why it cannot be had.
fn receiver(out: &std::path::Path) -> Result<Receiver, String> {
    let mut child = Command::new("python3")
        .args(["-c", RECEIVER])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("no python3: {e}"))?;
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let port = line
        .strip_prefix("PORT ")
        .and_then(|p| p.trim().parse().ok());
    match port {
        Some(port) => Ok(Receiver { child, port }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("receiver did not start: {}", line.trim()))
        }
    }
}

#[allow(clippy::print_stdout, reason = "a skipped test says so in one line")]
fn skip(why: &str) {
    println!("skipped: no OTLP receiver ({why}); pip install opentelemetry-proto");
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[test]
fn otlp_exports_one_span_per_event_with_its_rule_and_verdict() {
    let sb = Sandbox::new();
    let spans_file = sb.home().join("spans.jsonl");
    let rx = match receiver(&spans_file) {
        Ok(r) => r,
        Err(why) => {
            skip(&why);
            return;
        }
    };
    let endpoint = format!("http://127.0.0.1:{}", rx.port);
    let server = Server::start_env(
        &sb,
        &["--budget-ms", "10000"],
        &[],
        &[
            ("POSTHOOK_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let traceparent = format!("00-{TRACE_ID}-{PARENT}-01");
    let auth = format!("Bearer {}", server.token);
    let headers = [
        ("Authorization", auth.as_str()),
        ("traceparent", traceparent.as_str()),
    ];
    // Every PostToolUse of the default golden session: (tool_use_id, the answer's body).
    let (_, payloads) = golden_payloads("default_session");
    let mut answers = Vec::new();
    for p in &payloads {
        let v: Value = serde_json::from_str(p).unwrap_or(Value::Null);
        if v["hook_event_name"] != "PostToolUse" || v["session_id"].is_null() {
            continue;
        }
        let (status, body) = server.post(p.as_bytes(), &headers);
        assert_eq!(status, 200, "{body}");
        answers.push((
            v["tool_use_id"].as_str().unwrap_or_default().to_owned(),
            body,
        ));
    }
    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    let text = std::fs::read_to_string(&spans_file).unwrap_or_default();
    let spans: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|s| s["name"] == "posthook.event")
        .collect();
    assert_eq!(
        spans.len(),
        answers.len(),
        "one span per event:\n{text}\n{log}"
    );
    let mut shown = 0;
    for (id, body) in &answers {
        let span = spans
            .iter()
            .find(|s| s["attributes"]["tool_use_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no span for {id}:\n{text}"));
        let a = &span["attributes"];
        assert_eq!(span["service"], "posthook");
        assert_eq!(span["trace_id"], TRACE_ID, "the client's trace");
        assert_eq!(
            span["parent_span_id"], PARENT,
            "the client's span is the parent"
        );
        assert_eq!(a["posthook.event"], "PostToolUse");
        assert_eq!(a["session.id"], "same-default_session");
        assert!(a["tool.name"].is_string(), "{span}");
        match a["posthook.shown_rule"].as_str() {
            Some(rule) => {
                shown += 1;
                assert!(body.contains(rule), "{id}: shown {rule}, answered {body}");
                let verdict = format!("{rule}=shown");
                let verdicts = a["posthook.verdicts"].as_str().unwrap_or_default();
                assert!(verdicts.contains(&verdict), "{id}: {verdicts}");
                assert!(a["posthook.rules"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(rule));
                assert!(a["posthook.blocking"].is_boolean(), "{span}");
            }
            None => assert!(
                !body.contains("additionalContext") && !body.contains("\"decision\""),
                "{id}: feedback without a shown rule: {body}"
            ),
        }
    }
    assert!(
        shown > 0,
        "no event showed feedback: nothing checked\n{text}"
    );
    assert!(
        text.contains("\"post\": \"/v1/metrics\""),
        "the rule counters were exported:\n{text}"
    );
}

#[test]
fn otlp_with_the_collector_down_answers_as_without_it() {
    // A port nothing listens on: every export fails at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (plain_box, down_box) = (Sandbox::new(), Sandbox::new());
    let plain = Server::start(&plain_box, &["--budget-ms", "10000"], &[]);
    let down = Server::start_env(
        &down_box,
        &["--budget-ms", "10000"],
        &[],
        &[
            ("POSTHOOK_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "10"),
        ],
    );
    let (_, payloads) = golden_payloads("default_session");
    for p in &payloads {
        let want = plain.event(p.as_bytes(), None);
        assert_eq!(down.event(p.as_bytes(), None), want, "{p}");
    }
    for s in [plain, down] {
        let (code, log) = s.stop();
        assert_eq!(code, 0, "{log}");
    }
}
