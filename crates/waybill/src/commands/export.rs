//! `waybill export`.

use std::io::Write as _;

use anyhow::Result;
use waybill_store::Case;
use waybill_store::export::{PartitionBy, export_parquet};

use crate::args::{ExportArgs, PartitionCol};
use crate::exit::ExitStatus;

/// Writes the case's tables as Parquet.
pub fn run(a: &ExportArgs) -> Result<ExitStatus> {
    let case = Case::open(&a.case)?;
    let by: Vec<PartitionBy> = a
        .partition_by
        .iter()
        .map(|p| match p {
            PartitionCol::Day => PartitionBy::Day,
            PartitionCol::Source => PartitionBy::Source,
        })
        .collect();
    let tables = export_parquet(&case, &a.parquet, &by)?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "dir": a.parquet.display().to_string(),
            "tables": tables.iter().map(|t| serde_json::json!({
                "table": t.table, "rows": t.rows, "files": t.files, "partitioned_by": t.partitioned_by,
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for t in &tables {
            let by = if t.partitioned_by.is_empty() {
                String::new()
            } else {
                format!("  by {}", t.partitioned_by.join(", "))
            };
            writeln!(out, "{:<9} rows {:>10}  files {:>6}{by}", t.table, t.rows, t.files)?;
        }
    }
    Ok(ExitStatus::Success)
}
