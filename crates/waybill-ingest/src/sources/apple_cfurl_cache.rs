//! Apple's CFNetwork URL cache: `Cache.db` (SQLite) and its `fsCachedData/`.
//!
//! # What it reads
//! Every row of `cfurl_cache_response` (`entry_ID`, `request_key` — the URL —,
//! `time_stamp`, `storage_policy`, `partition`, `hash_value`), joined with
//! `cfurl_cache_receiver_data` (the body: inline as a BLOB when `isDataOnFS`
//! is 0, else the upper-case UUID naming a file in `fsCachedData/` beside the
//! database) and `cfurl_cache_blob_data.response_object` (a binary plist
//! `{Version, Array}`: `Array[1]` the response time as Cocoa seconds,
//! `Array[3]` the HTTP status, `Array[4]` the headers, `Array[6]` the MIME
//! type). `Cache.db-wal` is read with it.
//!
//! # Versions seen
//! The layout CFNetwork creates (`_setDBSchema`): schema versions 104–202
//! (`cfurl_cache_schema_version`) and 203 (`PRAGMA user_version`). Before
//! macOS 10.7 the body was in `cfurl_cache_blob_data` and there was no
//! `isDataOnFS`; such files are read without bodies.
//!
//! # Events emitted
//! One `browser.cache_entry` per response at `time_stamp` (SQLite's
//! `CURRENT_TIMESTAMP` when the entry was stored: UTC, seconds; device clock):
//! `url`, `sha256`/`md5`/`sha1`/`size` of the body (gzip decoded when the body
//! still starts with gzip's magic and `Content-Encoding` says gzip; CFNetwork
//! normally stores it decoded), `status`; `attrs`: `response_time` (from the
//! response plist), `content_type`, `content_encoding`, `storage_policy`
//! (`allowed`, `memory_only`, `not_allowed`), `partition`, `fs_cached_data`
//! (the body file's name), `body_missing` (the body file is not beside the
//! database), `body_decoded`.
//!
//! # What it cannot tell us
//! Which app or page asked for the resource beyond the database's own folder
//! (`~/Library/Caches/<bundle id>/Cache.db`: the app), or whether a person did.
//! Modern Safari keeps page resources in WebKit's own cache
//! (`WebKitCache/Version 16`), not here; `Cache.db` is mostly apps'
//! NSURLSession caches (messaging and social apps on iOS and macOS).
//!
//! # References
//! CFNetwork `NSURLStorageURLCacheDB` (`_setDBSchema`, public decompilation);
//! `ydkhatri/mac_apt` `plugins/cfurl_cache.py` (`ParseResponseObject`);
//! plaso `mackeeper_cache.py` (older layouts); WebKit
//! `NetworkProcessCocoa.mm` (NSURLCache disabled in Safari's network process).

use std::borrow::Cow;
use std::io::Read as _;
use std::path::Path;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError};
use crate::sqlite::{blob, each_row, int, select_list, text};

/// CFNetwork's `Cache.db`.
pub struct AppleCfurlCache;

/// Bodies larger than this are not hashed (`body_too_large`).
const BODY_LIMIT: u64 = 1 << 30;

/// The response plist's status, headers, MIME type and response time.
#[derive(Debug, Default, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: Option<i64>,
    /// Header names and values, in the plist's (sorted) order.
    pub headers: Vec<(String, String)>,
    /// MIME type.
    pub mime: Option<String>,
    /// Response time, Cocoa seconds.
    pub time: Option<f64>,
}

/// Reads `response_object` (a binary or XML plist `{Version, Array}`).
pub fn response(blob: &[u8]) -> Result<Response, String> {
    let v = plist::Value::from_reader(std::io::Cursor::new(blob)).map_err(|e| format!("response plist: {e}"))?;
    let arr = v
        .as_dictionary()
        .and_then(|d| d.get("Array"))
        .and_then(plist::Value::as_array)
        .ok_or("response plist has no Array")?;
    let mut r = Response {
        status: arr.get(3).and_then(plist::Value::as_signed_integer),
        mime: arr.get(6).and_then(plist::Value::as_string).map(str::to_owned),
        time: arr.get(1).and_then(plist::Value::as_real),
        ..Response::default()
    };
    if let Some(h) = arr.get(4).and_then(plist::Value::as_dictionary) {
        for (k, v) in h {
            // `__hhaa__` is the same headers again, encoded; left out.
            if k == "__hhaa__" {
                continue;
            }
            if let Some(s) = v.as_string() {
                r.headers.push((k.clone(), s.to_owned()));
            }
        }
    }
    Ok(r)
}

fn policy(n: i64) -> &'static str {
    match n {
        0 => "allowed",
        1 => "memory_only",
        2 => "not_allowed",
        _ => "unknown",
    }
}

/// The body file `fsCachedData/<name>` beside the database: its bytes (up to
/// the limit) or why not.
fn cached_file(db: &Path, name: &str) -> Result<Vec<u8>, String> {
    if name.is_empty() || name.contains(['/', '\\']) || name == ".." {
        return Err(format!("{name:?} is not a file name"));
    }
    let p = db.parent().unwrap_or(Path::new(".")).join("fsCachedData").join(name);
    let f = crate::input::open_evidence(&p).map_err(|e| format!("fsCachedData/{name}: {e}"))?;
    let mut bytes = Vec::new();
    f.take(BODY_LIMIT + 1).read_to_end(&mut bytes).map_err(|e| format!("fsCachedData/{name}: {e}"))?;
    if bytes.len() as u64 > BODY_LIMIT {
        return Err(format!("fsCachedData/{name} exceeds the {BODY_LIMIT}-byte limit"));
    }
    Ok(bytes)
}

impl Source for AppleCfurlCache {
    fn id(&self) -> &'static str {
        "apple.cfurl_cache"
    }

    fn description(&self) -> &'static str {
        "Apple CFNetwork Cache.db (SQLite) with fsCachedData: apps' and older Safari's cached responses, URL, time, body hashes"
    }

    fn version(&self) -> u32 {
        1
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        match probe.sqlite {
            Some(s) if s.has_columns("cfurl_cache_response", &["entry_ID", "request_key", "time_stamp"]) => Sniff::Yes,
            _ => Sniff::No,
        }
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("cfurl_cache_receiver_data", "the bodies are not known, so no hashes"),
            ("cfurl_cache_blob_data", "the HTTP status and headers are not known"),
        ]
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let path = input.path().to_owned();
        let s = &db.schema;
        if !s.has_table("cfurl_cache_response") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no cfurl_cache_response".into() });
        }
        let mut cols = vec![select_list(
            s,
            "cfurl_cache_response",
            "r",
            &["entry_ID", "request_key", "time_stamp", "storage_policy", "partition", "hash_value"],
        )];
        let mut joins = String::new();
        if s.has_columns("cfurl_cache_receiver_data", &["entry_ID", "receiver_data"]) {
            cols.push(select_list(s, "cfurl_cache_receiver_data", "d", &["isDataOnFS", "receiver_data"]));
            joins.push_str(" LEFT JOIN cfurl_cache_receiver_data d ON d.entry_ID = r.entry_ID");
        } else {
            cols.push("NULL AS isDataOnFS, NULL AS receiver_data".into());
        }
        if s.has_columns("cfurl_cache_blob_data", &["entry_ID", "response_object"]) {
            cols.push("b.response_object AS response_object".into());
            joins.push_str(" LEFT JOIN cfurl_cache_blob_data b ON b.entry_ID = r.entry_ID");
        } else {
            cols.push("NULL AS response_object".into());
        }
        let sql = format!(
            "SELECT r.rowid AS _rowid, {} FROM cfurl_cache_response r{joins} ORDER BY r.rowid",
            cols.join(", ")
        );
        each_row(&db.conn, "cfurl_cache_response", &sql, out, |row, record| {
            let stamp = text(row, "time_stamp").ok_or_else(|| RejectReason::Timestamp("time_stamp is NULL".into()))?;
            let ts = waybill_model::time::parse_naive(stamp.trim())?.assume_utc()?;
            let url = text(row, "request_key").ok_or_else(|| RejectReason::Malformed("request_key is NULL".into()))?;
            let mut e = Event::new(EventKind::BrowserCacheEntry, ts, Precision::Second, record);
            e.url = Some(Cow::Owned(url));
            let resp = blob(row, "response_object").map(|b| response(&b));
            let headers = match &resp {
                Some(Ok(r)) => {
                    e.status = r.status.and_then(|s| i32::try_from(s).ok());
                    if let Some(t) = r.time
                        && let Ok(t) = Timestamp::from_cocoa_seconds(t)
                    {
                        e.attrs.push("response_time", t);
                    }
                    r.headers.clone()
                }
                Some(Err(why)) => {
                    e.attrs.push("response_unreadable", why.clone());
                    Vec::new()
                }
                None => Vec::new(),
            };
            let header =
                |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
            let mime = resp.as_ref().and_then(|r| r.as_ref().ok()).and_then(|r| r.mime.clone());
            e.attrs.push_opt("content_type", header("content-type").or(mime));
            let encoding = header("content-encoding").map(|v| v.to_ascii_lowercase());
            e.attrs.push_opt("content_encoding", encoding.clone());
            if let Some(p) = int(row, "storage_policy")? {
                e.attrs.push("storage_policy", policy(p));
            }
            e.attrs.push_opt("partition", text(row, "partition"));
            let on_fs = int(row, "isDataOnFS")? == Some(1);
            let body: Option<Vec<u8>> = if on_fs {
                // The name is text, or a BLOB holding the text.
                let name = text(row, "receiver_data")
                    .or_else(|| blob(row, "receiver_data").map(|b| String::from_utf8_lossy(&b).into_owned()))
                    .unwrap_or_default();
                let name = name.trim_end_matches('\0').to_owned();
                let got = cached_file(&path, &name);
                e.attrs.push("fs_cached_data", name);
                match got {
                    Ok(b) => Some(b),
                    Err(why) => {
                        e.attrs.push("body_missing", why);
                        None
                    }
                }
            } else {
                blob(row, "receiver_data")
            };
            if let Some(body) = body {
                // CFNetwork stores bodies decoded: decode only one that still
                // starts with gzip's magic under a gzip Content-Encoding.
                let gzip =
                    encoding.as_deref().filter(|x| (*x == "gzip" || *x == "x-gzip") && body.starts_with(&[0x1f, 0x8b]));
                crate::http::cached_body(&mut e, gzip, &body);
            }
            e.attrs.push("ts_from", "time_stamp");
            Ok(vec![e])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_plist_gives_status_headers_and_time() {
        let mut headers = plist::Dictionary::new();
        headers.insert("Content-Type".into(), "image/png".into());
        headers.insert("__hhaa__".into(), "\r\n\r\nYnBsaXN0".into());
        let arr = vec![
            plist::Value::Dictionary(plist::Dictionary::new()),
            plist::Value::Real(788_000_000.5),
            plist::Value::Integer(0.into()),
            plist::Value::Integer(200.into()),
            plist::Value::Dictionary(headers),
            plist::Value::Integer(1234.into()),
            plist::Value::String("image/png".into()),
        ];
        let mut top = plist::Dictionary::new();
        top.insert("Version".into(), plist::Value::Integer(1.into()));
        top.insert("Array".into(), plist::Value::Array(arr));
        let mut buf = Vec::new();
        plist::Value::Dictionary(top).to_writer_binary(&mut buf).unwrap();
        let r = response(&buf).unwrap();
        assert_eq!(r.status, Some(200));
        assert_eq!(r.headers, [("Content-Type".to_owned(), "image/png".to_owned())]);
        assert_eq!((r.mime.as_deref(), r.time), (Some("image/png"), Some(788_000_000.5)));
        assert!(response(b"not a plist").is_err());
    }

    #[test]
    fn body_file_names_cannot_leave_the_folder() {
        let db = Path::new("/nonexistent/Cache.db");
        for bad in ["", "..", "../x", "a/b", "a\\b"] {
            assert!(cached_file(db, bad).unwrap_err().contains("not a file name"), "{bad}");
        }
    }
}
