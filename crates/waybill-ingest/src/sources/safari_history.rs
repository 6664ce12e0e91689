//! Safari `History.db`.
//!
//! # What it reads
//! Every row of `history_visits`, joined to its `history_items` row. Redirect
//! links (`redirect_source`, `redirect_destination`) are resolved to URLs.
//!
//! # Versions seen
//! user_version 13 (plaso's sample, macOS 10.13 era). Optional columns
//! (`origin`, `status_code`, `attributes`) are read when present.
//!
//! # Events emitted
//! `browser.visit` at `visit_time` (Cocoa seconds, rounded to µs): `url`,
//! `referrer` (URL of the visit that redirected here), `transition` = `REDIRECT`
//! for a visit reached by a redirect. `attrs`: `title` (empty → absent),
//! `visit_count`, `load_successful`, `http_non_get`, `synthesized`,
//! `redirect_destination` (URL), `origin` (`this_device` / `synced`, community
//! reading of 0/1), `attributes`, `status_code`.
//!
//! # What it cannot tell us
//! Safari records no transition type: typed, clicked and script navigations look
//! alike. Visits synced from another device are marked only by `origin` (whose
//! meaning is not documented by Apple).
//!
//! # References
//! plaso `sqlite_plugins/safari.py` and its test; community notes on `origin`.

use std::borrow::Cow;
use std::collections::HashMap;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError};
use crate::sqlite::{each_row, int, real, select_list, text};

/// Safari History.db.
pub struct SafariHistory;

impl Source for SafariHistory {
    fn id(&self) -> &'static str {
        "safari.history"
    }

    fn description(&self) -> &'static str {
        "Safari History.db (SQLite): visits with redirect chains"
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
        let items = s.has_columns("history_items", &["url", "visit_count"]);
        let visits = s.has_columns("history_visits", &["history_item", "visit_time"]);
        if items && visits { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_tables(&["history_items", "history_visits"]) {
            return Err(SourceError::NotThisFormat {
                format: self.id(),
                reason: "no history_items/history_visits".into(),
            });
        }
        let mut visit_urls: HashMap<i64, String> = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT v.id, i.url FROM history_visits v JOIN history_items i ON i.id = v.history_item")
                .map_err(SourceError::sqlite("history_visits"))?;
            let mut rows = stmt.query([]).map_err(SourceError::sqlite("history_visits"))?;
            while let Ok(Some(r)) = rows.next() {
                if let (Ok(id), Ok(Some(url))) = (r.get::<_, i64>(0), r.get::<_, Option<String>>(1)) {
                    visit_urls.insert(id, url);
                }
            }
        }
        let vcols = select_list(
            schema,
            "history_visits",
            "v",
            &[
                "visit_time",
                "title",
                "load_successful",
                "http_non_get",
                "synthesized",
                "redirect_source",
                "redirect_destination",
                "origin",
                "attributes",
            ],
        );
        let icols = select_list(schema, "history_items", "i", &["url", "visit_count", "status_code"]);
        let sql = format!(
            "SELECT v.rowid AS _rowid, {vcols}, {icols} FROM history_visits v LEFT JOIN history_items i ON i.id = v.history_item ORDER BY v.rowid"
        );
        each_row(conn, "history_visits", &sql, out, |row, record| {
            let t = real(row, "visit_time")?.ok_or_else(|| RejectReason::Timestamp("visit_time is NULL".into()))?;
            let ts = Timestamp::from_cocoa_seconds(t)?;
            let mut e = Event::new(EventKind::BrowserVisit, ts, Precision::Microsecond, record);
            e.url = text(row, "url").map(Cow::Owned);
            if let Some(src) = int(row, "redirect_source")? {
                e.referrer = visit_urls.get(&src).cloned().map(Cow::Owned);
                e.transition = Some(Cow::Borrowed("REDIRECT"));
                e.attrs.push("redirect_source", src);
            }
            if let Some(dst) = int(row, "redirect_destination")? {
                e.attrs.push_opt("redirect_destination", visit_urls.get(&dst).cloned());
            }
            e.attrs.push_opt("title", text(row, "title"));
            e.attrs.push_opt("visit_count", int(row, "visit_count")?);
            for key in ["load_successful", "http_non_get", "synthesized"] {
                if let Some(v) = int(row, key)? {
                    e.attrs.push(key, v != 0);
                }
            }
            match int(row, "origin")? {
                Some(0) => e.attrs.push("origin", "this_device"),
                Some(1) => e.attrs.push("origin", "synced"),
                Some(o) => e.attrs.push("origin", o),
                None => {}
            }
            e.attrs.push_opt("attributes", int(row, "attributes")?.filter(|a| *a != 0));
            e.attrs.push_opt("status_code", int(row, "status_code")?.filter(|s| *s != 0));
            Ok(vec![e])
        })
    }
}
