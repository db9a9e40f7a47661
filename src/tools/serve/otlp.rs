//! OTLP export of each answered event (feature `otlp`, on only when an endpoint is configured):
//! one `posthook.event` span per event, under the W3C `traceparent` the client sent, and a
//! counter per rule found and shown. Spans and metrics leave through the SDK's batch span
//! processor and periodic reader, on their own threads: an answer never waits on the collector,
//! and when the collector is down the bounded queue drops what does not fit.

use crate::input::HookInput;
use crate::runtime::Report;
use opentelemetry::metrics::{Counter, MeterProvider as _};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{MetricExporter, Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider,
};
use opentelemetry_sdk::Resource;
use posthook_analyzers::guidance::Verdict;
use std::collections::HashMap;
use std::time::SystemTime;

/// posthook's own endpoint variable: the collector's base URL (`/v1/traces` and `/v1/metrics`
/// are appended). Without it, the standard `OTEL_EXPORTER_OTLP_ENDPOINT` turns export on.
pub(crate) const ENDPOINT_ENV: &str = "POSTHOOK_OTLP_ENDPOINT";
const STANDARD_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Spans held while the collector is slow or down; past it, new spans are dropped.
const MAX_QUEUE: usize = 2048;

/// The exporter `serve` hands each event to.
pub(crate) struct Exporter {
    traces: SdkTracerProvider,
    metrics: SdkMeterProvider,
    tracer: SdkTracer,
    found: Counter<u64>,
    shown: Counter<u64>,
}

/// The event's fields a span carries, taken before the event is gone.
pub(crate) struct EventFacts {
    session_id: String,
    event: String,
    tool: Option<String>,
    tool_use_id: Option<String>,
    agent_id: Option<String>,
}

impl EventFacts {
    pub(crate) fn of(event: &HookInput) -> EventFacts {
        EventFacts {
            session_id: event.session_id.clone(),
            event: event.event.clone(),
            tool: event.call.as_ref().map(|c| c.tool.clone()),
            tool_use_id: event.tool_use_id.clone(),
            agent_id: event.agent_id.clone(),
        }
    }
}

fn endpoints() -> Option<Option<(String, String)>> {
    let own = std::env::var(ENDPOINT_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    if let Some(base) = own {
        let base = base.trim().trim_end_matches('/').to_owned();
        return Some(Some((
            format!("{base}/v1/traces"),
            format!("{base}/v1/metrics"),
        )));
    }
    let standard = std::env::var(STANDARD_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    // The SDK reads the standard variables itself.
    standard.map(|_| None)
}

impl Exporter {
    /// The exporter the environment configures, or `None` (export off) when no endpoint is set
    /// or the exporter cannot be built (logged).
    pub(crate) fn from_env() -> Option<Exporter> {
        let endpoints = endpoints()?;
        match Exporter::build(endpoints) {
            Ok(x) => Some(x),
            Err(e) => {
                tracing::warn!(error = %e, "OTLP export not started");
                None
            }
        }
    }

    fn build(endpoints: Option<(String, String)>) -> Result<Exporter, String> {
        let (traces_url, metrics_url) = endpoints.unzip();
        let mut spans = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary);
        if let Some(url) = traces_url {
            spans = spans.with_endpoint(url);
        }
        let spans = spans.build().map_err(|e| e.to_string())?;
        let mut metric = MetricExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary);
        if let Some(url) = metrics_url {
            metric = metric.with_endpoint(url);
        }
        let metric = metric.build().map_err(|e| e.to_string())?;
        let resource = Resource::builder().with_service_name("posthook").build();
        let batch = BatchSpanProcessor::builder(spans)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_queue_size(MAX_QUEUE)
                    .build(),
            )
            .build();
        let traces = SdkTracerProvider::builder()
            .with_span_processor(batch)
            .with_resource(resource.clone())
            .build();
        let metrics = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metric).build())
            .with_resource(resource)
            .build();
        let meter = metrics.meter("posthook");
        Ok(Exporter {
            tracer: traces.tracer("posthook"),
            found: meter.u64_counter("posthook.findings").build(),
            shown: meter.u64_counter("posthook.shown").build(),
            traces,
            metrics,
        })
    }

    /// Records one answered event: its span (child of `traceparent` when valid) and the counters.
    pub(crate) fn event(
        &self,
        facts: &EventFacts,
        report: &Report,
        traceparent: Option<&str>,
        started: SystemTime,
    ) {
        let parent = traceparent.map_or_else(opentelemetry::Context::new, |tp| {
            let carrier = HashMap::from([(String::from("traceparent"), tp.to_owned())]);
            TraceContextPropagator::new().extract(&carrier)
        });
        let mut span = self
            .tracer
            .span_builder("posthook.event")
            .with_start_time(started)
            .with_attributes(attributes(facts, report))
            .start_with_context(&self.tracer, &parent);
        span.end_with_timestamp(SystemTime::now());
        for f in &report.findings {
            self.found
                .add(1, &[KeyValue::new("posthook.rule", f.rule.to_string())]);
        }
        if let Some(fb) = &report.feedback {
            self.shown
                .add(1, &[KeyValue::new("posthook.rule", fb.rule.to_string())]);
        }
    }

    /// Sends what is queued and stops the export threads.
    pub(crate) fn shutdown(&self) {
        if let Err(e) = self.traces.shutdown() {
            tracing::warn!(error = %e, "OTLP traces: shutdown");
        }
        if let Err(e) = self.metrics.shutdown() {
            tracing::warn!(error = %e, "OTLP metrics: shutdown");
        }
    }
}

fn verdict_name(v: &Verdict) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

fn attributes(facts: &EventFacts, report: &Report) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new("session.id", facts.session_id.clone()),
        KeyValue::new("posthook.event", facts.event.clone()),
        KeyValue::new("posthook.findings", report.findings.len() as i64),
        KeyValue::new(
            "posthook.duration_us",
            i64::try_from(report.timings.total.as_micros()).unwrap_or(i64::MAX),
        ),
    ];
    let optional = [
        ("tool.name", &facts.tool),
        ("tool_use_id", &facts.tool_use_id),
        ("agent_id", &facts.agent_id),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            attrs.push(KeyValue::new(k, v.clone()));
        }
    }
    let rules: Vec<String> = report.findings.iter().map(|f| f.rule.to_string()).collect();
    if !rules.is_empty() {
        attrs.push(KeyValue::new("posthook.rules", rules.join(",")));
    }
    let verdicts: Vec<String> = report
        .verdicts
        .iter()
        .map(|v| format!("{}={}", v.rule, verdict_name(&v.verdict)))
        .collect();
    if !verdicts.is_empty() {
        attrs.push(KeyValue::new("posthook.verdicts", verdicts.join(",")));
    }
    if let Some(fb) = &report.feedback {
        attrs.push(KeyValue::new("posthook.shown_rule", fb.rule.to_string()));
        attrs.push(KeyValue::new("posthook.blocking", fb.blocking));
    }
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_named_as_explain_names_them() {
        assert_eq!(verdict_name(&Verdict::Shown), "shown");
        let cooldown = Verdict::Cooldown {
            since: 1,
            needed: 3,
        };
        assert_eq!(verdict_name(&cooldown), "cooldown");
        assert_eq!(verdict_name(&Verdict::Muted { ignored: 2 }), "muted");
    }
}
