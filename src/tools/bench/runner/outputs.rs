//! The files a run was asked to write: the exports, the baseline to save, the `--history` line.

use super::judge::current_entries;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::Baseline;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::export::{Exporter, JsonExporter, MarkdownExporter};
use crate::tools::bench::results::BenchResults;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

fn write_file(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), BenchError> {
    std::fs::write(path, bytes).map_err(|source| BenchError::Write {
        what: Some(what),
        path: path.to_path_buf(),
        source,
    })
}

pub(super) fn write_outputs(args: &BenchArgs, r: &BenchResults) -> Result<(), BenchError> {
    let ser = |e: &dyn Exporter| {
        e.serialize(r)
            .map_err(|e| BenchError::Serialize(e.to_string()))
    };
    if let Some(p) = &args.export_json {
        write_file(p, &ser(&JsonExporter)?, "JSON export")?;
    }
    if let Some(p) = &args.export_markdown {
        write_file(p, &ser(&MarkdownExporter)?, "Markdown export")?;
    }
    if let Some(p) = &args.save_baseline {
        let b = Baseline::new(&r.config.subject, current_entries(&r.scenarios));
        let mut text =
            serde_json::to_vec_pretty(&b).map_err(|e| BenchError::Serialize(e.to_string()))?;
        text.push(b'\n');
        write_file(p, &text, "baseline")?;
    }
    if let Some(p) = &args.history {
        let mut line = serde_json::to_vec(&history_line(r))
            .map_err(|e| BenchError::Serialize(e.to_string()))?;
        line.push(b'\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|source| BenchError::History {
                path: p.clone(),
                source,
            })?;
    }
    Ok(())
}

/// One line of `--history`: enough to plot trends without the full export.
fn history_line(r: &BenchResults) -> serde_json::Value {
    let scenarios: serde_json::Map<String, serde_json::Value> = r
        .scenarios
        .iter()
        .map(|s| {
            let e2e = s.end_to_end.as_ref().map(|p| {
                json!({
                    "mean_s": p.time.mean, "stdev_s": p.time.stdev, "median_s": p.time.median,
                    "p95_s": p.time.p95, "ratio_to_floor": p.ratio_to_floor,
                })
            });
            let ip = s.in_process.as_ref().map(
                |p| json!({"mean_s": p.time.mean, "median_s": p.time.median, "p99_s": p.time.p99}),
            );
            (s.name.clone(), json!({"end_to_end": e2e, "in_process": ip}))
        })
        .collect();
    json!({
        "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        "posthook_version": r.environment.posthook_version,
        "subject": r.config.subject,
        "cpu": r.environment.cpu,
        "cores": r.environment.cores,
        "build": r.environment.build,
        "floor_mean_s": r.floor.as_ref().map(|f| f.time.mean),
        "grade": r.grade.as_ref().map(|g| g.grade.as_str()),
        "score": r.grade.as_ref().map(|g| g.score),
        "ok": r.verdict.ok(),
        "scenarios": scenarios,
    })
}
