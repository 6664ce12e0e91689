//! The event table read back as typed events ([`StoredEvent`]).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimestampMicrosecondType, UInt64Type};
use arrow::record_batch::RecordBatch;
use waybill_model::{EventKind, StoredEvent};

use crate::StoreError;
use crate::query::Query;

impl Query {
    /// Every event matching an SQL condition over the `events` table, in time,
    /// input and parse order.
    pub fn events(&self, condition: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = format!("SELECT * FROM events WHERE {condition} ORDER BY ts, source, seq");
        let mut out = Vec::new();
        self.sql_each(&sql, |b| {
            stored_events(b, &mut out)?;
            Ok(true)
        })?;
        Ok(out)
    }
}

/// Appends the rows of a batch of the `events` table (all or some of its
/// columns, by name) as typed events. A row whose `attrs` is not a JSON object
/// keeps empty `attrs` (the store writes only objects; a damaged part is caught
/// by `verify`).
pub fn stored_events(b: &RecordBatch, out: &mut Vec<StoredEvent>) -> Result<(), StoreError> {
    let schema = b.schema();
    let col = |name: &str| schema.index_of(name).ok().map(|i| b.column(i));
    let bad = |name: &str, want: &str| StoreError::Layout {
        path: "events".into(),
        detail: format!("column {name} is not {want}"),
    };
    let text = |name: &str| -> Result<Option<arrow::array::StringArray>, StoreError> {
        match col(name) {
            None => Ok(None),
            Some(c) if *c.data_type() == DataType::Utf8 => Ok(Some(c.as_string::<i32>().clone())),
            Some(c) => arrow::compute::cast(c, &DataType::Utf8)
                .map(|c| Some(c.as_string::<i32>().clone()))
                .map_err(|_| bad(name, "text")),
        }
    };
    let ts = col("ts")
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or_else(|| bad("ts", "a µs timestamp"))?
        .clone();
    let seq = col("seq").and_then(|c| c.as_primitive_opt::<UInt64Type>()).cloned();
    let size = col("size").and_then(|c| c.as_primitive_opt::<Int64Type>()).cloned();
    let status = col("status").and_then(|c| c.as_primitive_opt::<Int32Type>()).cloned();
    let auto = col("auto").and_then(|c| c.as_boolean_opt()).cloned();
    let names = [
        "ts_precision",
        "tz_assumed",
        "clock",
        "format",
        "source",
        "record",
        "kind",
        "actor",
        "device",
        "client_ip",
        "user_agent",
        "url",
        "referrer",
        "path",
        "sha256",
        "md5",
        "sha1",
        "provider_hash",
        "provider_hash_kind",
        "fetch_site",
        "fetch_mode",
        "fetch_dest",
        "fetch_user",
        "purpose",
        "transition",
        "attrs",
    ];
    let mut cols = BTreeMap::new();
    for n in names {
        if let Some(a) = text(n)? {
            cols.insert(n, a);
        }
    }
    for row in 0..b.num_rows() {
        let get = |n: &str| -> Option<String> {
            let a = cols.get(n)?;
            (!a.is_null(row) && !a.value(row).is_empty()).then(|| a.value(row).to_owned())
        };
        let kind_name = get("kind").unwrap_or_default();
        let mut e = StoredEvent::new(
            ts.value(row),
            EventKind::parse(&kind_name).unwrap_or(EventKind::ImportedOther),
            &get("source").unwrap_or_default(),
            &get("record").unwrap_or_default(),
        );
        e.ts_precision = get("ts_precision").unwrap_or_default();
        e.tz_assumed = get("tz_assumed");
        e.clock = get("clock").unwrap_or_default();
        e.format = get("format").unwrap_or_default();
        e.seq = seq.as_ref().filter(|s| !s.is_null(row)).map_or(0, |s| s.value(row));
        e.actor = get("actor");
        e.device = get("device");
        e.client_ip = get("client_ip");
        e.user_agent = get("user_agent");
        e.url = get("url");
        e.referrer = get("referrer");
        e.path = get("path");
        e.size = size.as_ref().filter(|s| !s.is_null(row)).map(|s| s.value(row));
        e.status = status.as_ref().filter(|s| !s.is_null(row)).map(|s| s.value(row));
        e.sha256 = get("sha256");
        e.md5 = get("md5");
        e.sha1 = get("sha1");
        e.provider_hash = get("provider_hash");
        e.provider_hash_kind = get("provider_hash_kind");
        e.fetch_site = get("fetch_site");
        e.fetch_mode = get("fetch_mode");
        e.fetch_dest = get("fetch_dest");
        e.fetch_user = get("fetch_user");
        e.purpose = get("purpose");
        e.transition = get("transition");
        e.auto = auto.as_ref().filter(|a| !a.is_null(row)).map(|a| a.value(row));
        if let Some(text) = get("attrs")
            && let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&text)
        {
            e.attrs = m.into_iter().collect();
        }
        out.push(e);
    }
    Ok(())
}
