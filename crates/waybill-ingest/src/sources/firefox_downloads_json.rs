//! Firefox `downloads.json` (the session download list).
//!
//! # What it reads
//! `<profile>/downloads.json`: `{"list": [ … ]}`, one entry per download that is
//! in progress, paused, or keeps partial or blocked data (finished downloads live
//! only in `places.sqlite`). `source`, `target` and `saver` may each be a string
//! or an object, depending on the Firefox version.
//!
//! # Versions seen
//! Firefox 54 (dfirlabs specimen); the format is unchanged in current Firefox
//! apart from added optional members.
//!
//! # Events emitted
//! `browser.download` at `startTime` (`phase` = `start`, ms precision): `url`
//! (`source` or `source.url`), `referrer` (`source.referrer` when a plain string),
//! `path` (`target` or `target.path`), `size` (`totalBytes`). `attrs`:
//! `succeeded`, `canceled`, `has_partial_data`, `has_blocked_data`,
//! `part_file_path`, `content_type`, `error`, `is_private`.
//!
//! # What it cannot tell us
//! No end time and no received byte count are ever written; finished downloads
//! are not in this file.
//!
//! # References
//! gecko `toolkit/components/downloads/DownloadStore.jsm`, `DownloadCore.jsm`.

use std::borrow::Cow;

use serde_json::Value;
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Firefox downloads.json.
pub struct FirefoxDownloadsJson;

/// Larger files are not a downloads list.
const LIMIT: usize = 64 << 20;

impl Source for FirefoxDownloadsJson {
    fn id(&self) -> &'static str {
        "firefox.downloads_json"
    }

    fn description(&self) -> &'static str {
        "Firefox downloads.json session download list (in-progress and partial downloads)"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let head: Vec<u8> = probe.head.iter().copied().filter(|b| !b.is_ascii_whitespace()).take(64).collect();
        if head.starts_with(b"{\"list\":[")
            && (probe.head.windows(9).any(|w| w == b"\"source\":") || head == b"{\"list\":[]}")
        {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let bytes = input.read_to_end(LIMIT)?;
        let doc: Value = serde_json::from_slice(&bytes).map_err(|e| SourceError::Invalid(format!("JSON: {e}")))?;
        let list = doc
            .get("list")
            .and_then(Value::as_array)
            .ok_or_else(|| SourceError::NotThisFormat { format: self.id(), reason: "no \"list\" array".into() })?;
        for (i, item) in list.iter().enumerate() {
            let record = RecordRef::Item { list: "list", index: i as u64 };
            match entry(item, record) {
                Ok(e) => {
                    out.event(e);
                    out.accepted();
                }
                Err(reason) => {
                    let raw = item.to_string();
                    out.reject(Reject { record, reason, raw: raw.as_bytes() });
                }
            }
        }
        Ok(())
    }
}

fn str_or_member(v: Option<&Value>, member: &str) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get(member).and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn entry(item: &Value, record: RecordRef) -> Result<Event<'static>, RejectReason> {
    let start =
        item.get("startTime").and_then(Value::as_str).ok_or_else(|| RejectReason::Timestamp("no startTime".into()))?;
    let ts = Timestamp::parse_rfc3339(start)?;
    let mut e = Event::new(EventKind::BrowserDownload, ts, Precision::Millisecond, record);
    let source = item.get("source");
    e.url = str_or_member(source, "url").map(Cow::Owned);
    e.referrer = source.and_then(|s| s.get("referrer")).and_then(Value::as_str).map(|s| Cow::Owned(s.to_owned()));
    let target = item.get("target");
    e.path = str_or_member(target, "path").map(Cow::Owned);
    e.size = item.get("totalBytes").and_then(Value::as_i64);
    e.attrs.push("phase", "start");
    for (key, attr) in [
        ("succeeded", "succeeded"),
        ("canceled", "canceled"),
        ("hasPartialData", "has_partial_data"),
        ("hasBlockedData", "has_blocked_data"),
    ] {
        e.attrs.push(attr, item.get(key).and_then(Value::as_bool).unwrap_or(false));
    }
    if let Some(p) = target.and_then(|t| t.get("partFilePath")).and_then(Value::as_str) {
        e.attrs.push("part_file_path", p.to_owned());
    }
    if let Some(c) = item.get("contentType").and_then(Value::as_str) {
        e.attrs.push("content_type", c.to_owned());
    }
    if let Some(p) = source.and_then(|s| s.get("isPrivate")).and_then(Value::as_bool) {
        e.attrs.push("is_private", p);
    }
    if let Some(err) = item.get("errorObj").or_else(|| item.get("error")) {
        e.attrs.push("error", err.to_string());
    }
    Ok(e)
}
