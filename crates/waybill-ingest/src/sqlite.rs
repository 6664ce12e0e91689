//! Reading SQLite evidence tolerantly: columns by name (schemas differ between
//! versions, and migrated databases order columns differently), values of any
//! storage class, and one reject per unreadable row instead of a failed input.

use rusqlite::Row;
use rusqlite::types::ValueRef;
use waybill_model::{Event, EventSink, RecordRef, Reject, RejectReason};

use crate::source::{SourceError, SqliteSchema};

/// `alias.col AS col` for each column the table has, `NULL AS col` for the others,
/// so one query works across schema versions.
pub fn select_list(schema: &SqliteSchema, table: &str, alias: &str, cols: &[&str]) -> String {
    cols.iter()
        .map(|c| {
            if schema.has_column(table, c) { format!("{alias}.\"{c}\" AS \"{c}\"") } else { format!("NULL AS \"{c}\"") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column the row does not have (a query that does not select it) or
/// cannot give: named, never read as NULL.
fn unreadable(name: &str, e: &rusqlite::Error) -> RejectReason {
    RejectReason::Value { field: name.to_owned(), detail: format!("column not readable: {e}") }
}

/// An integer column: integers as is, reals truncated, numeric text parsed.
pub fn int(row: &Row<'_>, name: &str) -> Result<Option<i64>, RejectReason> {
    match row.get_ref(name) {
        Ok(ValueRef::Null) => Ok(None),
        Err(e) => Err(unreadable(name, &e)),
        Ok(ValueRef::Integer(i)) => Ok(Some(i)),
        #[allow(clippy::cast_possible_truncation, reason = "SQLite REAL in an integer column")]
        Ok(ValueRef::Real(f)) => Ok(Some(f as i64)),
        Ok(ValueRef::Text(t)) => {
            let s = String::from_utf8_lossy(t);
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse()
                .map(Some)
                .map_err(|_| RejectReason::Value { field: name.to_owned(), detail: format!("{s:?} is not an integer") })
        }
        Ok(ValueRef::Blob(_)) => {
            Err(RejectReason::Value { field: name.to_owned(), detail: "BLOB where an integer is expected".into() })
        }
    }
}

/// A real column (Cocoa times): reals and integers, numeric text parsed.
pub fn real(row: &Row<'_>, name: &str) -> Result<Option<f64>, RejectReason> {
    match row.get_ref(name) {
        Ok(ValueRef::Null) => Ok(None),
        Err(e) => Err(unreadable(name, &e)),
        #[allow(clippy::cast_precision_loss, reason = "SQLite INTEGER in a REAL column")]
        Ok(ValueRef::Integer(i)) => Ok(Some(i as f64)),
        Ok(ValueRef::Real(f)) => Ok(Some(f)),
        Ok(ValueRef::Text(t)) => {
            let s = String::from_utf8_lossy(t);
            s.trim()
                .parse()
                .map(Some)
                .map_err(|_| RejectReason::Value { field: name.to_owned(), detail: format!("{s:?} is not a number") })
        }
        Ok(ValueRef::Blob(_)) => {
            Err(RejectReason::Value { field: name.to_owned(), detail: "BLOB where a number is expected".into() })
        }
    }
}

/// A text column: text (invalid UTF-8 replaced), numbers rendered; empty text is `None`.
pub fn text(row: &Row<'_>, name: &str) -> Option<String> {
    match row.get_ref(name) {
        Ok(ValueRef::Text(t)) if !t.is_empty() => Some(String::from_utf8_lossy(t).into_owned()),
        Ok(ValueRef::Integer(i)) => Some(i.to_string()),
        Ok(ValueRef::Real(f)) => Some(f.to_string()),
        Ok(ValueRef::Blob(b)) if !b.is_empty() => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// A BLOB column's bytes (text is returned as its bytes).
pub fn blob(row: &Row<'_>, name: &str) -> Option<Vec<u8>> {
    match row.get_ref(name) {
        Ok(ValueRef::Blob(b) | ValueRef::Text(b)) if !b.is_empty() => Some(b.to_vec()),
        _ => None,
    }
}

/// The row rendered as JSON (BLOBs as hex), for reject excerpts.
pub fn row_excerpt(row: &Row<'_>) -> String {
    let stmt = row.as_ref();
    // Sorted by column name whatever serde_json's map keeps (stable output).
    let mut obj = std::collections::BTreeMap::new();
    for i in 0..stmt.column_count() {
        let name = stmt.column_name(i).unwrap_or("?").to_owned();
        let v = match row.get_ref(i) {
            Ok(ValueRef::Null) | Err(_) => serde_json::Value::Null,
            Ok(ValueRef::Integer(n)) => n.into(),
            Ok(ValueRef::Real(f)) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into),
            Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned().into(),
            Ok(ValueRef::Blob(b)) => crate::input::hex(&b[..b.len().min(64)]).into(),
        };
        obj.insert(name, v);
    }
    serde_json::to_string(&obj).unwrap_or_default()
}

/// Runs `sql` (whose first column must be the row's `rowid`, named `_rowid`) and
/// turns each row into events with `f`: `Ok(events)` accepts the row, `Err`
/// rejects it. A read error part-way through the table (a corrupt page) becomes
/// one reject for the rest of the table, and the input goes on.
pub fn each_row(
    conn: &crate::input::Db,
    table: &'static str,
    sql: &str,
    out: &mut dyn EventSink,
    mut f: impl FnMut(&Row<'_>, RecordRef) -> Result<Vec<Event<'static>>, RejectReason>,
) -> Result<(), SourceError> {
    // After a row too big to load, reading resumes past it; that needs the
    // query's rowid as `_rowid` (every source names it so).
    let resumable = sql.contains("AS _rowid");
    // The bar counts rows: this table's are added to the total as it begins
    // (a count the table's b-tree answers without reading the rows' values).
    let progress = conn.progress();
    if let Ok(n) = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get::<_, i64>(0)) {
        progress.add_total(u64::try_from(n).unwrap_or(0));
    }
    let mut last_rowid: i64 = 0;
    let mut resume_after: Option<i64> = None;
    loop {
        let (mut stmt, params): (_, Vec<i64>) = match resume_after {
            None => (conn.prepare(sql).map_err(SourceError::sqlite(table))?, vec![]),
            Some(r) => (
                conn.prepare(&format!("SELECT * FROM ({sql}) WHERE _rowid > ?1 ORDER BY _rowid"))
                    .map_err(SourceError::sqlite(table))?,
                vec![r],
            ),
        };
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(SourceError::sqlite(table))?;
        let failure = loop {
            let row = match rows.next() {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(()),
                Err(e) => break e,
            };
            let rowid: i64 = row.get(0).unwrap_or(last_rowid + 1);
            last_rowid = rowid;
            let record = RecordRef::Row { table, rowid };
            waybill_model::close_record(out, record, f(row, record), || row_excerpt(row));
            progress.advance(1);
        };
        drop(rows);
        let too_big = matches!(&failure, rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::TooBig);
        let next = if too_big && resumable { next_rowid(conn, sql, last_rowid) } else { None };
        match next {
            Some(rowid) if rowid > last_rowid => {
                out.reject(Reject {
                    record: RecordRef::Row { table, rowid },
                    reason: RejectReason::Value {
                        field: "row".into(),
                        detail: format!(
                            "holds a value longer than {} bytes; the row was not loaded ({failure})",
                            crate::input::MAX_SQLITE_VALUE
                        ),
                    },
                    raw: b"",
                });
                last_rowid = rowid;
                resume_after = Some(rowid);
                progress.advance(1);
            }
            _ => {
                let record = RecordRef::Row { table, rowid: last_rowid + 1 };
                out.reject(Reject {
                    record,
                    reason: RejectReason::Truncated(format!(
                        "table {table} could not be read past rowid {last_rowid}: {failure}"
                    )),
                    raw: b"",
                });
                return Ok(());
            }
        }
    }
}

/// Reads a lookup table (one the parse joins in memory, not a table of
/// records of its own) row by row: `sql`'s first column is the row's `rowid`,
/// `f` reads the rest. Never silent: a row `f` cannot read is a reject naming
/// the table and row; a table that cannot be queried is one reject naming it
/// (`rowid 0`: the table as a whole); a read error part-way (a corrupt page) is
/// one reject naming the last row read, and what was read stands.
pub fn lookup_rows(
    conn: &rusqlite::Connection,
    table: &'static str,
    sql: &str,
    out: &mut dyn EventSink,
    mut f: impl FnMut(&Row<'_>) -> rusqlite::Result<()>,
) {
    let whole = |out: &mut dyn EventSink, e: &rusqlite::Error| {
        out.reject(Reject {
            record: RecordRef::Row { table, rowid: 0 },
            reason: RejectReason::Truncated(format!("lookup table {table} could not be read: {e}")),
            raw: b"",
        });
    };
    let mut stmt = match conn.prepare(sql) {
        Ok(s) => s,
        Err(e) => return whole(out, &e),
    };
    let mut rows = match stmt.query([]) {
        Ok(r) => r,
        Err(e) => return whole(out, &e),
    };
    let mut last_rowid: i64 = 0;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let rowid: i64 = row.get(0).unwrap_or(last_rowid + 1);
                last_rowid = rowid;
                if let Err(e) = f(row) {
                    out.reject(Reject {
                        record: RecordRef::Row { table, rowid },
                        reason: RejectReason::Value {
                            field: "row".into(),
                            detail: format!("lookup row not readable: {e}"),
                        },
                        raw: row_excerpt(row).as_bytes(),
                    });
                }
            }
            Ok(None) => return,
            Err(e) => {
                out.reject(Reject {
                    record: RecordRef::Row { table, rowid: last_rowid + 1 },
                    reason: RejectReason::Truncated(format!(
                        "lookup table {table} could not be read past rowid {last_rowid}: {e}"
                    )),
                    raw: b"",
                });
                return;
            }
        }
    }
}

/// The rowid of the row after `after` in the query's order, read without
/// loading its other columns.
fn next_rowid(conn: &rusqlite::Connection, sql: &str, after: i64) -> Option<i64> {
    conn.query_row(&format!("SELECT _rowid FROM ({sql}) WHERE _rowid > ?1 ORDER BY _rowid LIMIT 1"), [after], |r| {
        r.get(0)
    })
    .ok()
}

/// Turns a `file://` URI into a path (percent-decoded; `file:///C:/x` → `C:/x`).
pub fn file_uri_to_path(uri: &str) -> String {
    let Some(rest) = uri.strip_prefix("file://") else {
        return uri.to_owned();
    };
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy().into_owned();
    let b = decoded.as_bytes();
    if b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        decoded[1..].to_owned()
    } else {
        decoded
    }
}

#[cfg(test)]
mod tests {
    use waybill_model::{Event, EventKind, EventSink, Precision, Reject, Timestamp};

    use super::{each_row, file_uri_to_path, int};

    #[derive(Default)]
    struct Sink {
        events: Vec<String>,
        accepted: u64,
        rejects: Vec<(String, String)>,
    }

    impl EventSink for Sink {
        fn event(&mut self, e: Event<'_>) {
            self.events.push(e.record.to_string());
        }
        fn accepted(&mut self) {
            self.accepted += 1;
        }
        fn reject(&mut self, r: Reject<'_>) {
            self.rejects.push((r.record.to_string(), r.reason.to_string()));
        }
    }

    /// A row holding a value over the length limit is one reject, and reading
    /// goes on with the next row (memory stays bounded by the limit).
    #[test]
    fn a_column_the_query_does_not_select_is_named_not_null() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        let got = conn
            .query_row("SELECT 1 AS a, NULL AS b", [], |r| {
                Ok((super::int(r, "a"), super::int(r, "b"), super::int(r, "c")))
            })
            .expect("row");
        assert_eq!(got.0, Ok(Some(1)));
        assert_eq!(got.1, Ok(None));
        let err = got.2.expect_err("c is not selected").to_string();
        assert!(err.contains("c") && err.contains("column not readable"), "{err}");
        let r = conn.query_row("SELECT 2.5 AS x", [], |r| Ok(super::real(r, "y"))).expect("row");
        assert!(r.is_err());
    }

    #[test]
    fn a_row_over_the_length_limit_is_a_reject_and_reading_resumes() {
        let conn = crate::input::Db::from(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch(
            "CREATE TABLE t (v BLOB, n INTEGER);
             INSERT INTO t VALUES (x'01', 1), (zeroblob(5000), 2), (x'02', 3), (zeroblob(9000), 4), (x'03', 5);",
        )
        .unwrap();
        conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, 1000).unwrap();
        let mut sink = Sink::default();
        each_row(
            &conn,
            "t",
            "SELECT t.rowid AS _rowid, t.v AS v, t.n AS n FROM t ORDER BY t.rowid",
            &mut sink,
            |row, record| {
                let n = int(row, "n")?.unwrap_or(0);
                Ok(vec![Event::new(
                    EventKind::HttpRequest,
                    Timestamp::from_unix_seconds(n).unwrap(),
                    Precision::Second,
                    record,
                )])
            },
        )
        .unwrap();
        assert_eq!(sink.events, ["t rowid 1", "t rowid 3", "t rowid 5"]);
        assert_eq!(sink.accepted, 3);
        assert_eq!(sink.rejects.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["t rowid 2", "t rowid 4"]);
        assert_eq!(conn.progress().get(), (5, 5), "every row counts towards the bar, the rejected too");
        assert!(sink.rejects[0].1.contains("longer than"), "{:?}", sink.rejects);
    }

    #[test]
    fn file_uris() {
        assert_eq!(file_uri_to_path("file:///D:/plaso-static.zip"), "D:/plaso-static.zip");
        assert_eq!(file_uri_to_path("file:///home/u/a%20b.msi"), "/home/u/a b.msi");
        assert_eq!(file_uri_to_path("/plain/path"), "/plain/path");
    }
}
