//! `waybill export`: every table of a case as Hive-partitioned Parquet, for
//! Spark, Trino, DuckDB or anything else that reads a folder of Parquet.
//!
//! Layout: `<dir>/<table>/[day=YYYY-MM-DD/][source=I0001/]part-00000.parquet`.
//! A table is partitioned by `day` (the UTC date of `ts`) when it has a `ts`
//! column and by `source` when it has a `source` column, each only when
//! asked; a partition column is left out of the files (readers take it from
//! the folder names, as Hive does). Rows are sorted by partition, then in a
//! full sort order (below), so the same case gives byte-identical files and
//! one file is open at a time. A table without rows is one file of no rows
//! with the table's whole schema at `<dir>/<table>/part-00000.parquet`.
//!
//! | table | sort order |
//! |---|---|
//! | `events` | `ts`, `source`, `seq` |
//! | `rejects` | `source`, `record`, `code`, `reason`, `excerpt` |
//! | `inputs` | `source` |
//! | `content` | `source`, `record` |
//! | `interest` | `sha256`, `set`, `by`, `value`, `record` |

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use parquet::arrow::ArrowWriter;

use crate::query::Query;
use crate::{Case, StoreError};

/// What a table is partitioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartitionBy {
    /// The UTC date of `ts`.
    Day,
    /// The input (`source`).
    Source,
}

/// One exported table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableExport {
    /// Table name.
    pub table: &'static str,
    /// Rows written.
    pub rows: u64,
    /// Files written.
    pub files: u64,
    /// Partition columns used, in folder order.
    pub partitioned_by: Vec<&'static str>,
}

/// The tables and their full sort orders.
const TABLES: &[(&str, &str)] = &[
    ("events", "ts, source, seq"),
    ("rejects", "source, record, code, reason, excerpt"),
    ("inputs", "source"),
    ("content", "source, record"),
    ("interest", "sha256, \"set\", \"by\", value, record"),
];

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::layout(path, &e.to_string())
}

/// The civil date (UTC) of a microsecond Unix time.
fn day_of(us: i64) -> String {
    let days = us.div_euclid(86_400_000_000);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes every table of `case` below `dir` (which must not exist, or be
/// empty), partitioned by `by` where a table has the column.
pub fn export_parquet(case: &Case, dir: &Path, by: &[PartitionBy]) -> Result<Vec<TableExport>, StoreError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io_at(dir))?.next().is_some() {
        return Err(StoreError::layout(dir, "the export folder is not empty; give a new folder"));
    }
    let q = Query::open(case)?;
    let mut out = Vec::new();
    for (table, order) in TABLES {
        out.push(export_table(&q, dir, table, order, by)?);
    }
    Ok(out)
}

fn export_table(
    q: &Query,
    dir: &Path,
    table: &'static str,
    order: &str,
    by: &[PartitionBy],
) -> Result<TableExport, StoreError> {
    // Which of the asked partition columns this table has, in the order asked.
    let (schema, _) = q.sql(&format!("SELECT * FROM {table} LIMIT 0"))?;
    let has_ts = schema
        .field_with_name("ts")
        .is_ok_and(|f| matches!(f.data_type(), DataType::Timestamp(TimeUnit::Microsecond, _)));
    let mut partitioned_by: Vec<&'static str> = Vec::new();
    let mut sort: Vec<&str> = Vec::new();
    for p in by {
        match p {
            PartitionBy::Day if has_ts && !partitioned_by.contains(&"day") => {
                partitioned_by.push("day");
                sort.push("date_trunc('day', ts)");
            }
            PartitionBy::Source if schema.field_with_name("source").is_ok() && !partitioned_by.contains(&"source") => {
                partitioned_by.push("source");
                sort.push("source");
            }
            _ => {}
        }
    }
    sort.push(order);
    let keep: Vec<usize> =
        (0..schema.fields().len()).filter(|&i| !partitioned_by.contains(&schema.field(i).name().as_str())).collect();
    // Rows come sorted by partition first, so one file is open at a time.
    let mut open: Option<(Vec<String>, PathBuf, ArrowWriter<std::fs::File>)> = None;
    let mut rows = 0u64;
    let mut files = 0u64;
    let close = |w: Option<(Vec<String>, PathBuf, ArrowWriter<std::fs::File>)>| -> Result<(), StoreError> {
        if let Some((_, path, w)) = w {
            w.close().map_err(|e| StoreError::Parquet { path, source: e })?;
        }
        Ok(())
    };
    q.sql_each(&format!("SELECT * FROM {table} ORDER BY {}", sort.join(", ")), |batch| {
        let n = batch.num_rows();
        let ts = partitioned_by
            .contains(&"day")
            .then(|| batch.column_by_name("ts").map(|c| c.as_primitive::<TimestampMicrosecondType>().clone()))
            .flatten();
        let source = partitioned_by
            .contains(&"source")
            .then(|| batch.column_by_name("source").and_then(|c| c.as_string_opt::<i32>().cloned()))
            .flatten();
        let key_of = |i: usize| -> Vec<String> {
            let mut k = Vec::new();
            if let Some(ts) = &ts {
                k.push(if ts.is_null(i) { HIVE_NULL.to_owned() } else { day_of(ts.value(i)) });
            }
            if let Some(s) = &source {
                k.push(if s.is_null(i) { HIVE_NULL.to_owned() } else { s.value(i).to_owned() });
            }
            k
        };
        let projected = batch.project(&keep).map_err(|e| StoreError::Query(Box::new(e.into())))?;
        let mut start = 0;
        while start < n {
            let key = key_of(start);
            let mut end = start + 1;
            while end < n && key_of(end) == key {
                end += 1;
            }
            let part = projected.slice(start, end - start);
            if open.as_ref().is_none_or(|(k, _, _)| *k != key) {
                close(open.take())?;
                let mut path = dir.join(table);
                for (col, v) in partitioned_by.iter().zip(&key) {
                    path.push(format!("{col}={v}"));
                }
                std::fs::create_dir_all(&path).map_err(io_at(&path))?;
                let file_path = path.join("part-00000.parquet");
                let file = std::fs::File::create(&file_path).map_err(io_at(&file_path))?;
                let w = ArrowWriter::try_new(file, part.schema(), Some(crate::writer_properties()))
                    .map_err(|e| StoreError::Parquet { path: file_path.clone(), source: e })?;
                open = Some((key, file_path, w));
                files += 1;
            }
            if let Some((_, path, w)) = open.as_mut() {
                w.write(&part).map_err(|e| StoreError::Parquet { path: path.clone(), source: e })?;
            }
            rows += (end - start) as u64;
            start = end;
        }
        Ok(true)
    })?;
    close(open.take())?;
    if files == 0 {
        // A table without rows is one file with its whole schema at the
        // table's root: readers given the folder find the columns, not an
        // error.
        let t = dir.join(table);
        std::fs::create_dir_all(&t).map_err(io_at(&t))?;
        let file_path = t.join("part-00000.parquet");
        let file = std::fs::File::create(&file_path).map_err(io_at(&file_path))?;
        let w = ArrowWriter::try_new(file, schema.clone(), Some(crate::writer_properties()))
            .map_err(|e| StoreError::Parquet { path: file_path.clone(), source: e })?;
        w.close().map_err(|e| StoreError::Parquet { path: file_path, source: e })?;
        files = 1;
    }
    Ok(TableExport { table, rows, files, partitioned_by })
}

/// The folder name Hive gives a NULL partition value.
const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_civil_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_767_406_204_000_000), "2026-01-03");
        assert_eq!(day_of(-1), "1969-12-31");
        assert_eq!(day_of(951_782_400_000_000), "2000-02-29");
    }
}
