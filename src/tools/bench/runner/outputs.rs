//! The files a run was asked to write: the exports (the report's tables as JSON or Markdown), the
//! baseline to save, the `--history` line (the JSON export on one line).

use super::judge::current_entries;
use crate::tools::bench::args::BenchArgs;
use crate::tools::bench::baseline::Baseline;
use crate::tools::bench::error::BenchError;
use crate::tools::bench::report;
use crate::tools::bench::results::BenchResults;
use crate::tools::bench::table::Table;
use std::io::Write;
use std::time::SystemTime;

/// The report as one JSON document: every table, what failed, the time.
fn document(r: &BenchResults) -> serde_json::Value {
    serde_json::json!({
        "time": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        "tables": report::tables(r),
        "regressions": r.failures.regressions,
        "missed_targets": r.failures.missed_targets,
        "ok": r.failures.ok(),
    })
}

fn markdown(r: &BenchResults) -> String {
    let tables: Vec<String> = report::tables(r).iter().map(Table::markdown).collect();
    let result: Vec<String> = (report::result(r).lines())
        .map(|l| format!("- {l}\n"))
        .collect();
    format!("# posthook bench\n\n{}{}", tables.concat(), result.concat())
}

pub(super) fn write_outputs(args: &BenchArgs, r: &BenchResults) -> Result<(), BenchError> {
    let pretty = |v: serde_json::Value| serde_json::to_vec_pretty(&v);
    let mut files: Vec<(&std::path::Path, Vec<u8>, &'static str, bool)> = Vec::new();
    let ser = |e: serde_json::Error| BenchError::Input(e.to_string());
    if let Some(p) = &args.export_json {
        files.push((p, pretty(document(r)).map_err(ser)?, "JSON export", false));
    }
    if let Some(p) = &args.export_markdown {
        files.push((p, markdown(r).into_bytes(), "Markdown export", false));
    }
    if let Some(p) = &args.save_baseline {
        let b = Baseline::new(&r.setup.subject.label, current_entries(&r.scenarios));
        files.push((
            p,
            serde_json::to_vec_pretty(&b).map_err(ser)?,
            "baseline",
            false,
        ));
    }
    if let Some(p) = &args.history {
        files.push((
            p,
            serde_json::to_vec(&document(r)).map_err(ser)?,
            "history",
            true,
        ));
    }
    for (path, mut bytes, what, append) in files {
        bytes.push(b'\n');
        let mut open = std::fs::OpenOptions::new();
        match append {
            true => open.create(true).append(true),
            false => open.create(true).write(true).truncate(true),
        };
        let doing = format!("writing {what} '{}'", path.display());
        (open.open(path).and_then(|mut f| f.write_all(&bytes))).map_err(BenchError::io(doing))?;
    }
    Ok(())
}
