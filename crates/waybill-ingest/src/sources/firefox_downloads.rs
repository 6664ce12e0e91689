//! Firefox legacy `downloads.sqlite` (before Firefox 26).
//!
//! # What it reads
//! Every row of `moz_downloads`.
//!
//! # Versions seen
//! user_version 8 (plaso's sample). Columns are read by name.
//!
//! # Events emitted
//! `browser.download` at `startTime` (`phase` = `start`) and at `endTime`
//! (`phase` = `end`), PRTime µs: `url` (`source`), `path` (`target`, a `file://`
//! URI turned into a path), `referrer`, `size` (`maxBytes`, else `currBytes`),
//! `status` (`state`). `attrs`: `state` name, `received_bytes`, `name`,
//! `temp_path`, `mime_type`, `preferred_application`, `auto_resume`.
//!
//! # What it cannot tell us
//! Nothing about the page the link was on beyond `referrer` (often NULL), and
//! nothing once the user cleared the download list.
//!
//! # References
//! mozilla `nsIDownloadManager.idl`; plaso `firefox_downloads.py` and its test.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError};
use crate::sources::firefox_places::download_state_name;
use crate::sqlite::{each_row, file_uri_to_path, int, select_list, text};

/// Firefox downloads.sqlite.
pub struct FirefoxDownloads;

impl Source for FirefoxDownloads {
    fn id(&self) -> &'static str {
        "firefox.downloads"
    }

    fn description(&self) -> &'static str {
        "Firefox legacy downloads.sqlite (moz_downloads, before Firefox 26)"
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
        if s.has_columns("moz_downloads", &["source", "target", "startTime", "state"]) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        if !db.schema.has_table("moz_downloads") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no moz_downloads table".into() });
        }
        let cols = select_list(
            &db.schema,
            "moz_downloads",
            "d",
            &[
                "name",
                "source",
                "target",
                "tempPath",
                "startTime",
                "endTime",
                "state",
                "referrer",
                "currBytes",
                "maxBytes",
                "mimeType",
                "preferredApplication",
                "autoResume",
            ],
        );
        let sql = format!("SELECT d.rowid AS _rowid, {cols} FROM moz_downloads d ORDER BY d.rowid");
        each_row(&db.conn, "moz_downloads", &sql, out, |row, record| {
            let start = int(row, "startTime")?
                .filter(|t| *t != 0)
                .ok_or_else(|| RejectReason::Timestamp("startTime is 0 or NULL".into()))?;
            let end = int(row, "endTime")?.filter(|t| *t != 0);
            let state = int(row, "state")?;
            let curr = int(row, "currBytes")?;
            let max = int(row, "maxBytes")?.filter(|m| *m >= 0);
            let make = |ts: Timestamp, phase: &'static str| -> Result<Event<'static>, RejectReason> {
                let mut e = Event::new(EventKind::BrowserDownload, ts, Precision::Microsecond, record);
                e.url = text(row, "source").map(Cow::Owned);
                e.path = text(row, "target").map(|t| Cow::Owned(file_uri_to_path(&t)));
                e.referrer = text(row, "referrer").map(Cow::Owned);
                e.size = max.or(curr);
                #[allow(clippy::cast_possible_truncation, reason = "state codes are small")]
                {
                    e.status = state.map(|s| s as i32);
                }
                e.attrs.push("phase", phase);
                if let Some(s) = state {
                    e.attrs.push("state", download_state_name(s));
                }
                e.attrs.push_opt("received_bytes", curr);
                e.attrs.push_opt("name", text(row, "name"));
                e.attrs.push_opt("temp_path", text(row, "tempPath"));
                e.attrs.push_opt("mime_type", text(row, "mimeType"));
                e.attrs.push_opt("preferred_application", text(row, "preferredApplication"));
                if let Some(a) = int(row, "autoResume")? {
                    e.attrs.push("auto_resume", a != 0);
                }
                Ok(e)
            };
            let mut events = vec![make(Timestamp::from_unix_micros(start)?, "start")?];
            if let Some(end) = end {
                events.push(make(Timestamp::from_unix_micros(end)?, "end")?);
            }
            Ok(events)
        })
    }
}
