//! Timesketch JSONL: one JSON object per line with `message`, `datetime` (ISO
//! 8601), `timestamp` (µs), `timestamp_desc`, the event's columns as extra
//! fields, and `tag` (a list) marking events linked to a finding and its
//! verdict. Importable into Timesketch as it is.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Fields Timesketch reserves; an event column of the same name is prefixed `wb_`.
const RESERVED: &[&str] = &["message", "datetime", "timestamp", "timestamp_desc", "tag", "label", "__ts_timeline_id"];

/// What the time of an event of this kind means.
pub fn timestamp_desc(kind: &str, phase: Option<&str>) -> String {
    match (kind, phase) {
        ("http.request", _) => "Request Time".into(),
        ("browser.visit", _) => "Visit Time".into(),
        ("browser.download", Some("start")) => "Download Start Time".into(),
        ("browser.download", Some("end")) => "Download End Time".into(),
        ("browser.cache_entry", _) => "Cache Response Time".into(),
        ("fs.created", _) => "Creation Time".into(),
        ("fs.modified", _) => "Content Modification Time".into(),
        ("fs.accessed", _) => "Last Access Time".into(),
        ("fs.changed", _) => "Metadata Modification Time".into(),
        ("fs.origin_marker", _) => "Origin Marker Time".into(),
        (k, Some(p)) => format!("{k} {p}"),
        (k, None) => k.to_owned(),
    }
}

/// The message: kind, then what it concerns.
pub fn message(cols: &BTreeMap<String, Value>) -> String {
    let s = |k: &str| cols.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    let mut m = s("kind").unwrap_or("event").to_owned();
    for k in ["url", "path", "transition", "fetch_user", "fetch_dest", "purpose", "client_ip", "status"] {
        if let Some(v) = s(k) {
            m.push_str(&format!(" {k}={v}"));
        } else if let Some(n) = cols.get(k).and_then(Value::as_i64) {
            m.push_str(&format!(" {k}={n}"));
        }
    }
    m
}

/// One line (without the newline).
pub fn line(datetime: &str, timestamp_us: i64, cols: &BTreeMap<String, Value>, tags: &[String]) -> String {
    let mut o = Map::new();
    o.insert("message".into(), Value::String(message(cols)));
    o.insert("datetime".into(), Value::String(datetime.to_owned()));
    o.insert("timestamp".into(), Value::from(timestamp_us));
    let phase = cols.get("attrs").and_then(|a| a.get("phase")).and_then(Value::as_str);
    let kind = cols.get("kind").and_then(Value::as_str).unwrap_or("event");
    o.insert("timestamp_desc".into(), Value::String(timestamp_desc(kind, phase)));
    for (k, v) in cols {
        if v.is_null() {
            continue;
        }
        let name = if RESERVED.contains(&k.as_str()) { format!("wb_{k}") } else { k.clone() };
        o.insert(name, v.clone());
    }
    if !tags.is_empty() {
        o.insert("tag".into(), Value::Array(tags.iter().cloned().map(Value::String).collect()));
    }
    Value::Object(o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_end_line() {
        let mut cols = BTreeMap::new();
        cols.insert("kind".to_owned(), Value::from("browser.download"));
        cols.insert("url".to_owned(), Value::from("https://files.example.net/a.txt"));
        cols.insert("attrs".to_owned(), serde_json::json!({"phase": "end"}));
        cols.insert("message".to_owned(), Value::from("clash"));
        cols.insert("size".to_owned(), Value::Null);
        let l = line("2026-01-03T02:10:07.000000Z", 1_767_406_207_000_000, &cols, &["waybill:linked".into()]);
        let v: Value = serde_json::from_str(&l).expect("json");
        assert_eq!(v["message"], "browser.download url=https://files.example.net/a.txt");
        assert_eq!(v["timestamp_desc"], "Download End Time");
        assert_eq!(v["datetime"], "2026-01-03T02:10:07.000000Z");
        assert_eq!(v["timestamp"], 1_767_406_207_000_000i64);
        assert_eq!(v["wb_message"], "clash");
        assert_eq!(v["tag"], serde_json::json!(["waybill:linked"]));
        assert!(v.get("size").is_none());
    }
}
