//! The files a run was asked to write: the exports (the report's tables as JSON or Markdown), the
//! baseline to save, the `--history` line.

use super::judge::current_entries;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::Baseline;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::report;
use crate::tools::bench::results::BenchResults;
use crate::tools::bench::table::Table;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

fn write_file(path: &Path, bytes: &[u8], what: &'static str) -> Result<(), BenchError> {
    std::fs::write(path, bytes).map_err(|source| BenchError::Write {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The report as one JSON document: every table, what failed, the time.
pub(crate) fn document(r: &BenchResults) -> serde_json::Value {
    json!({
        "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        "tables": report::tables(r),
        "regressions": r.failures.regressions,
        "missed_targets": r.failures.missed_targets,
        "ok": r.failures.ok(),
    })
}

fn markdown(r: &BenchResults) -> String {
    let tables: Vec<String> = report::tables(r).iter().map(Table::markdown).collect();
    let result: Vec<String> = report::result(r)
        .lines()
        .map(|l| format!("- {l}\n"))
        .collect();
    format!("# posthook bench\n\n{}{}", tables.concat(), result.concat())
}

pub(super) fn write_outputs(args: &BenchArgs, r: &BenchResults) -> Result<(), BenchError> {
    let ser = |e: serde_json::Error| BenchError::Serialize(e.to_string());
    if let Some(p) = &args.export_json {
        let mut text = serde_json::to_vec_pretty(&document(r)).map_err(ser)?;
        text.push(b'\n');
        write_file(p, &text, "JSON export")?;
    }
    if let Some(p) = &args.export_markdown {
        write_file(p, markdown(r).as_bytes(), "Markdown export")?;
    }
    if let Some(p) = &args.save_baseline {
        let b = Baseline::new(&r.config.subject, current_entries(&r.scenarios));
        let mut text = serde_json::to_vec_pretty(&b).map_err(ser)?;
        text.push(b'\n');
        write_file(p, &text, "baseline")?;
    }
    if let Some(p) = &args.history {
        let mut line = serde_json::to_vec(&document(r)).map_err(ser)?;
        line.push(b'\n');
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(&line))
            .map_err(|source| BenchError::Write {
                what: "history",
                path: p.clone(),
                source,
            })?;
    }
    Ok(())
}
