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

/// An integer column: integers as is, reals truncated, numeric text parsed.
pub fn int(row: &Row<'_>, name: &str) -> Result<Option<i64>, RejectReason> {
    match row.get_ref(name) {
        Ok(ValueRef::Null) | Err(_) => Ok(None),
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
        Ok(ValueRef::Null) | Err(_) => Ok(None),
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
    let mut obj = serde_json::Map::new();
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
    serde_json::Value::Object(obj).to_string()
}

/// Runs `sql` (whose first column must be the row's `rowid`, named `_rowid`) and
/// turns each row into events with `f`: `Ok(events)` accepts the row, `Err`
/// rejects it. A read error part-way through the table (a corrupt page) becomes
/// one reject for the rest of the table, and the input goes on.
pub fn each_row(
    conn: &rusqlite::Connection,
    table: &'static str,
    sql: &str,
    out: &mut dyn EventSink,
    mut f: impl FnMut(&Row<'_>, RecordRef) -> Result<Vec<Event<'static>>, RejectReason>,
) -> Result<(), SourceError> {
    let mut stmt = conn.prepare(sql).map_err(SourceError::sqlite(table))?;
    let mut rows = stmt.query([]).map_err(SourceError::sqlite(table))?;
    let mut last_rowid: i64 = 0;
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            Err(e) => {
                let record = RecordRef::Row { table, rowid: last_rowid + 1 };
                out.reject(Reject {
                    record,
                    reason: RejectReason::Truncated(format!(
                        "table {table} could not be read past rowid {last_rowid}: {e}"
                    )),
                    raw: b"",
                });
                return Ok(());
            }
        };
        let rowid: i64 = row.get(0).unwrap_or(last_rowid + 1);
        last_rowid = rowid;
        let record = RecordRef::Row { table, rowid };
        match f(row, record) {
            Ok(events) => {
                for e in events {
                    out.event(e);
                }
                out.accepted();
            }
            Err(reason) => {
                let raw = row_excerpt(row);
                out.reject(Reject { record, reason, raw: raw.as_bytes() });
            }
        }
    }
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
    use super::file_uri_to_path;

    #[test]
    fn file_uris() {
        assert_eq!(file_uri_to_path("file:///D:/plaso-static.zip"), "D:/plaso-static.zip");
        assert_eq!(file_uri_to_path("file:///home/u/a%20b.msi"), "/home/u/a b.msi");
        assert_eq!(file_uri_to_path("/plain/path"), "/plain/path");
    }
}
