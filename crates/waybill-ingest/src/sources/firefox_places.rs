//! Firefox `places.sqlite`: history visits, downloads and bookmarks.
//!
//! # What it reads
//! `moz_historyvisits` joined to `moz_places`; download annotations in
//! `moz_annos` (Firefox 26+: `downloads/destinationFileURI`,
//! `downloads/destinationFileName`, `downloads/metaData`), joined by attribute
//! *name*; `moz_bookmarks` (URL bookmarks and folders, not separators) and
//! `moz_items_annos`. A `places.sqlite-wal` beside the file is read with it
//! (see `crate::input`): Firefox keeps recent changes only there.
//!
//! # Versions seen
//! user_version 10 (Firefox 4/5, plaso's sample) and 36 (Firefox 54, with a WAL
//! holding the only trace of a download). Later versions add `source` and
//! `triggeringPlaceId` to visits and drop `moz_items_annos`; both are optional.
//!
//! # Events emitted
//! - `browser.visit` at `visit_date` (PRTime µs): `url`, `transition` (visit type
//!   name: `LINK`, `TYPED`, `BOOKMARK`, `EMBED`, `REDIRECT_PERMANENT`,
//!   `REDIRECT_TEMPORARY`, `DOWNLOAD`, `FRAMED_LINK`, `RELOAD`), `referrer` (URL of
//!   `from_visit`), `auto` = true for `EMBED`, false for `TYPED`/`BOOKMARK`.
//!   `attrs`: `title`, `visit_type`, `visit_count`, `typed`, `hidden`, `from_visit`,
//!   `host`, `session`, `visit_source`, `triggering_place_id`.
//! - `browser.download` per place with download annotations, at the
//!   `destinationFileURI` annotation's `dateAdded` (`phase` = `start`) and at the
//!   metaData `endTime` (`phase` = `end`): `url`, `path`, `size` (`fileSize`),
//!   `status` (metaData `state`). `attrs`: `state` name, `file_name`.
//! - `browser.bookmark` at `dateAdded` of every bookmark (`attrs.type` = `url` or
//!   `folder`, `title`, `last_modified`) and of every bookmark annotation
//!   (`attrs.annotation`, `content`).
//!
//! # What it cannot tell us
//! Embedded resources are recorded only as `EMBED` visits when Firefox chose to
//! (most are not recorded at all); a download's end time exists only once it
//! finished (`downloads/metaData`); expired history is gone.
//!
//! # References
//! gecko `toolkit/components/places/nsPlacesTables.h`, `nsINavHistoryService.idl`,
//! `toolkit/components/downloads/DownloadHistory.jsm`; plaso `firefox_history.py`.

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError, SqliteSchema};
use crate::sqlite::{each_row, file_uri_to_path, int, select_list, text};

/// Firefox places.sqlite.
pub struct FirefoxPlaces;

/// Visit type names, by value (1-based).
pub fn visit_type_name(v: i64) -> Option<&'static str> {
    Some(match v {
        1 => "LINK",
        2 => "TYPED",
        3 => "BOOKMARK",
        4 => "EMBED",
        5 => "REDIRECT_PERMANENT",
        6 => "REDIRECT_TEMPORARY",
        7 => "DOWNLOAD",
        8 => "FRAMED_LINK",
        9 => "RELOAD",
        _ => return None,
    })
}

/// Firefox download state names (nsIDownloadManager / DownloadHistory).
pub fn download_state_name(v: i64) -> &'static str {
    match v {
        -1 => "not_started",
        0 => "downloading",
        1 => "finished",
        2 => "failed",
        3 => "canceled",
        4 => "paused",
        5 => "queued",
        6 => "blocked_parental",
        7 => "scanning",
        8 => "dirty",
        9 => "blocked_policy",
        _ => "unknown",
    }
}

/// PRTime (µs since 1970); 0 means "not set".
fn prtime(v: Option<i64>) -> Result<Option<Timestamp>, RejectReason> {
    match v {
        Some(t) if t != 0 => Ok(Some(Timestamp::from_unix_micros(t)?)),
        _ => Ok(None),
    }
}

impl Source for FirefoxPlaces {
    fn id(&self) -> &'static str {
        "firefox.places"
    }

    fn description(&self) -> &'static str {
        "Firefox places.sqlite (+ its WAL): visits with visit types, download annotations, bookmarks"
    }

    fn optional_tables(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("moz_bookmarks", "no bookmarks are read"),
            ("moz_annos", "no download annotations (the modern download history) are read"),
        ]
    }

    fn version(&self) -> u32 {
        1
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Sqlite
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let Some(s) = probe.sqlite else {
            return Sniff::No;
        };
        let places = s.has_columns("moz_places", &["url", "title", "rev_host"]);
        let visits = s.has_columns("moz_historyvisits", &["place_id", "visit_date", "visit_type"]);
        if places && visits { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_tables(&["moz_places", "moz_historyvisits"]) {
            return Err(SourceError::NotThisFormat {
                format: self.id(),
                reason: "no moz_places/moz_historyvisits".into(),
            });
        }
        parse_visits(conn, schema, out)?;
        if schema.has_tables(&["moz_annos", "moz_anno_attributes"]) {
            parse_downloads(conn, out)?;
        }
        if schema.has_table("moz_bookmarks") {
            parse_bookmarks(conn, schema, out)?;
        }
        Ok(())
    }
}

fn reverse_host(rev: &str) -> String {
    rev.trim_end_matches('.').chars().rev().collect()
}

fn parse_visits(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let mut visit_urls: HashMap<i64, String> = HashMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT v.id, p.url FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id")
            .map_err(SourceError::sqlite("moz_historyvisits"))?;
        let mut rows = stmt.query([]).map_err(SourceError::sqlite("moz_historyvisits"))?;
        while let Ok(Some(r)) = rows.next() {
            if let (Ok(id), Ok(Some(url))) = (r.get::<_, i64>(0), r.get::<_, Option<String>>(1)) {
                visit_urls.insert(id, url);
            }
        }
    }
    let vcols = select_list(
        schema,
        "moz_historyvisits",
        "v",
        &["from_visit", "visit_date", "visit_type", "session", "source", "triggeringPlaceId"],
    );
    let pcols = select_list(schema, "moz_places", "p", &["url", "title", "rev_host", "visit_count", "hidden", "typed"]);
    let sql = format!(
        "SELECT v.rowid AS _rowid, {vcols}, {pcols} FROM moz_historyvisits v LEFT JOIN moz_places p ON p.id = v.place_id ORDER BY v.rowid"
    );
    each_row(conn, "moz_historyvisits", &sql, out, |row, record| {
        let Some(ts) = prtime(int(row, "visit_date")?)? else {
            return Ok(Vec::new());
        };
        let mut e = Event::new(EventKind::BrowserVisit, ts, Precision::Microsecond, record);
        e.url = text(row, "url").map(Cow::Owned);
        if let Some(t) = int(row, "visit_type")? {
            e.transition = visit_type_name(t).map(Cow::Borrowed).or_else(|| Some(Cow::Owned(format!("TYPE_{t}"))));
            e.auto = match t {
                4 => Some(true),
                2 | 3 => Some(false),
                _ => None,
            };
            e.attrs.push("visit_type", t);
        }
        if let Some(f) = int(row, "from_visit")?.filter(|v| *v > 0) {
            e.referrer = visit_urls.get(&f).cloned().map(Cow::Owned);
            e.attrs.push("from_visit", f);
        }
        e.attrs.push_opt("title", text(row, "title"));
        e.attrs.push_opt("host", text(row, "rev_host").map(|r| reverse_host(&r)));
        e.attrs.push_opt("visit_count", int(row, "visit_count")?);
        if let Some(t) = int(row, "typed")? {
            e.attrs.push("typed", t != 0);
        }
        if let Some(h) = int(row, "hidden")? {
            e.attrs.push("hidden", h != 0);
        }
        e.attrs.push_opt("session", int(row, "session")?.filter(|s| *s != 0));
        e.attrs.push_opt("visit_source", int(row, "source")?.filter(|v| *v != 0));
        e.attrs.push_opt("triggering_place_id", int(row, "triggeringPlaceId")?.filter(|v| *v > 0));
        Ok(vec![e])
    })
}

/// One place's download annotations.
#[derive(Default)]
struct DownloadAnnos {
    rowid: i64,
    uri: Option<(String, i64)>,
    name: Option<String>,
    meta: Option<(String, i64)>,
}

fn parse_downloads(conn: &crate::input::Db, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let sql = "SELECT a.rowid, a.place_id, n.name, a.content, a.dateAdded, p.url \
               FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id \
               LEFT JOIN moz_places p ON p.id = a.place_id \
               WHERE n.name IN ('downloads/destinationFileURI', 'downloads/destinationFileName', 'downloads/metaData') \
               ORDER BY a.place_id, a.rowid";
    let mut stmt = conn.prepare(sql).map_err(SourceError::sqlite("moz_annos"))?;
    let mut rows = stmt.query([]).map_err(SourceError::sqlite("moz_annos"))?;
    // place_id → (url, annotations), in place order.
    let mut places: Vec<(i64, Option<String>, DownloadAnnos)> = Vec::new();
    while let Ok(Some(r)) = rows.next() {
        let rowid: i64 = r.get(0).unwrap_or(0);
        let place: i64 = r.get(1).unwrap_or(0);
        let name: String = r.get(2).unwrap_or_default();
        let content = crate::sqlite::text(r, "content").unwrap_or_default();
        let added = crate::sqlite::int(r, "dateAdded").ok().flatten().unwrap_or(0);
        let url = crate::sqlite::text(r, "url");
        if places.last().map(|p| p.0) != Some(place) {
            places.push((place, url, DownloadAnnos { rowid, ..DownloadAnnos::default() }));
        }
        let Some((_, _, annos)) = places.last_mut() else {
            continue;
        };
        match name.as_str() {
            "downloads/destinationFileURI" => {
                annos.rowid = rowid;
                annos.uri = Some((content, added));
            }
            "downloads/destinationFileName" => annos.name = Some(content),
            _ => annos.meta = Some((content, added)),
        }
    }
    for (_, url, a) in places {
        let record = RecordRef::Row { table: "moz_annos", rowid: a.rowid };
        waybill_model::close_record(out, record, download_events(url, &a, record), || {
            serde_json::json!({
                "downloads/destinationFileURI": a.uri.as_ref().map(|u| &u.0),
                "downloads/destinationFileName": a.name,
                "downloads/metaData": a.meta.as_ref().map(|m| &m.0),
            })
            .to_string()
        });
    }
    Ok(())
}

fn download_events(
    url: Option<String>,
    a: &DownloadAnnos,
    record: RecordRef,
) -> Result<Vec<Event<'static>>, RejectReason> {
    let meta: Option<serde_json::Value> = match &a.meta {
        Some((m, _)) => Some(
            serde_json::from_str(m)
                .map_err(|e| RejectReason::Value { field: "downloads/metaData".into(), detail: e.to_string() })?,
        ),
        None => None,
    };
    let start = a.uri.as_ref().map(|u| u.1).or(a.meta.as_ref().map(|m| m.1)).filter(|t| *t != 0);
    let Some(start) = start else {
        return Err(RejectReason::Timestamp("download annotation without dateAdded".into()));
    };
    let state = meta.as_ref().and_then(|m| m.get("state")).and_then(serde_json::Value::as_i64);
    let size = meta.as_ref().and_then(|m| m.get("fileSize")).and_then(serde_json::Value::as_i64);
    let path = a.uri.as_ref().map(|u| file_uri_to_path(&u.0));
    let make = |ts: Timestamp, precision: Precision, phase: &'static str| {
        let mut e = Event::new(EventKind::BrowserDownload, ts, precision, record);
        e.url = url.clone().map(Cow::Owned);
        e.path = path.clone().map(Cow::Owned);
        e.size = size;
        #[allow(clippy::cast_possible_truncation, reason = "state codes are small")]
        {
            e.status = state.map(|s| s as i32);
        }
        e.attrs.push("phase", phase);
        match state {
            Some(s) => e.attrs.push("state", download_state_name(s)),
            None => e.attrs.push("state", "no metaData (in progress or interrupted when captured)"),
        }
        e.attrs.push_opt("file_name", a.name.clone());
        if let Some(v) = meta.as_ref().and_then(|m| m.get("reputationCheckVerdict")).and_then(|v| v.as_str()) {
            e.attrs.push("reputation_verdict", v.to_owned());
        }
        e
    };
    let mut events = vec![make(Timestamp::from_unix_micros(start)?, Precision::Millisecond, "start")];
    if let Some(end) = meta.as_ref().and_then(|m| m.get("endTime")).and_then(serde_json::Value::as_i64) {
        events.push(make(Timestamp::from_unix_millis(end)?, Precision::Millisecond, "end"));
    }
    Ok(events)
}

fn parse_bookmarks(conn: &crate::input::Db, schema: &SqliteSchema, out: &mut dyn EventSink) -> Result<(), SourceError> {
    let sql = "SELECT b.rowid AS _rowid, b.type, b.title, b.dateAdded, b.lastModified, p.url \
               FROM moz_bookmarks b LEFT JOIN moz_places p ON p.id = b.fk WHERE b.type <> 3 ORDER BY b.rowid";
    each_row(conn, "moz_bookmarks", sql, out, |row, record| {
        let Some(ts) = prtime(int(row, "dateAdded")?)? else {
            return Ok(Vec::new());
        };
        let mut e = Event::new(EventKind::BrowserBookmark, ts, Precision::Microsecond, record);
        e.url = text(row, "url").map(Cow::Owned);
        e.attrs.push("type", if int(row, "type")? == Some(2) { "folder" } else { "url" });
        e.attrs.push_opt("title", text(row, "title"));
        if let Some(m) = prtime(int(row, "lastModified")?)? {
            e.attrs.push("last_modified", m);
        }
        e.auto = Some(false);
        Ok(vec![e])
    })?;
    if schema.has_tables(&["moz_items_annos", "moz_anno_attributes"]) {
        let sql = "SELECT a.rowid AS _rowid, n.name, a.content, a.dateAdded, a.lastModified, b.title, p.url \
                   FROM moz_items_annos a LEFT JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id \
                   LEFT JOIN moz_bookmarks b ON b.id = a.item_id LEFT JOIN moz_places p ON p.id = b.fk ORDER BY a.rowid";
        each_row(conn, "moz_items_annos", sql, out, |row, record| {
            let Some(ts) = prtime(int(row, "dateAdded")?)? else {
                return Ok(Vec::new());
            };
            let mut e = Event::new(EventKind::BrowserBookmark, ts, Precision::Microsecond, record);
            e.url = text(row, "url").map(Cow::Owned);
            e.attrs.push("type", "annotation");
            e.attrs.push_opt("annotation", text(row, "name"));
            e.attrs.push_opt("content", text(row, "content"));
            e.attrs.push_opt("title", text(row, "title"));
            if let Some(m) = prtime(int(row, "lastModified")?)? {
                e.attrs.push("last_modified", m);
            }
            Ok(vec![e])
        })?;
    }
    Ok(())
}
