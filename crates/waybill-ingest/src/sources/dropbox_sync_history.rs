//! Dropbox desktop client `sync_history.db`.
//!
//! # What it reads
//! Every row of `sync_history` in the client's instance folder
//! (`~/.dropbox/instance1/sync_history.db` on Linux,
//! `%LOCALAPPDATA%\Dropbox\instance1\sync_history.db` on Windows, per plaso):
//! one row per file change the sync engine applied, in either direction.
//!
//! # Versions seen
//! plaso's sample (Linux client, February 2022, `user_version` 3): columns
//! `event_type`, `file_event_type`, `direction`, `file_id`, `local_path`,
//! `other_user`, `timestamp`. Other columns (an `is_dir` has been reported for
//! some builds) are read by name when present.
//!
//! # Events emitted
//! - `direction` = `download`: `cloud.sync_download` — the client wrote a change
//!   made elsewhere (the web, another device, another account sharing the
//!   folder) to this computer;
//! - `direction` = `upload`: `cloud.upload` — a local change sent to Dropbox,
//!
//! at `timestamp` (Unix seconds), with `path` = `local_path`. `attrs`:
//! `event_type` (`file` in every row seen), `file_event_type` (`add`, `edit`,
//! `delete`: a `delete` row is a deletion propagated, not content moved — rules
//! must check it), `file_id` (Dropbox's file id), `other_user` (raw integer;
//! undocumented, 0 in every public sample — by its name most likely set when
//! the change was made by another user of a shared folder, which would be the
//! key fact for "shared by someone else", but that is not verified), `is_dir`.
//!
//! # What it cannot tell us
//! Who made a downloaded change (no account name or device), whether the
//! folder was shared, selective-sync state, or content hashes. The time is when
//! the client recorded the change (plaso: "recorded time"), not when it was made
//! elsewhere. Whether and when the client prunes old rows is not documented.
//!
//! # References
//! plaso `sqlite_plugins/dropbox.py` (reads the same columns except
//! `other_user`) and its test `tests/parsers/sqlite_plugins/dropbox.py`.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError};
use crate::sqlite::{each_row, int, select_list, text};

/// Dropbox desktop client sync history.
pub struct DropboxSyncHistory;

impl Source for DropboxSyncHistory {
    fn id(&self) -> &'static str {
        "dropbox.sync_history"
    }

    fn description(&self) -> &'static str {
        "Dropbox desktop client sync_history.db (SQLite): files synced down to and up from this computer"
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
        if s.has_columns("sync_history", &["file_event_type", "direction", "file_id", "local_path", "timestamp"]) {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        let (conn, schema) = (&db.conn, &db.schema);
        if !schema.has_column("sync_history", "timestamp") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no sync_history.timestamp".into() });
        }
        let cols = select_list(
            schema,
            "sync_history",
            "h",
            &[
                "event_type",
                "file_event_type",
                "direction",
                "file_id",
                "local_path",
                "other_user",
                "is_dir",
                "timestamp",
            ],
        );
        let sql = format!("SELECT h.rowid AS _rowid, {cols} FROM sync_history h ORDER BY h.rowid");
        each_row(conn, "sync_history", &sql, out, |row, record| {
            let secs = int(row, "timestamp")?.ok_or_else(|| RejectReason::Timestamp("timestamp is NULL".into()))?;
            if secs <= 0 {
                return Err(RejectReason::Timestamp(format!("timestamp {secs} is not a time")));
            }
            let ts = Timestamp::from_unix_seconds(secs)?;
            let direction = text(row, "direction");
            let kind = match direction.as_deref().map(str::trim) {
                Some(d) if d.eq_ignore_ascii_case("download") => EventKind::CloudSyncDownload,
                Some(d) if d.eq_ignore_ascii_case("upload") => EventKind::CloudUpload,
                other => {
                    return Err(RejectReason::Value {
                        field: "direction".into(),
                        detail: format!("{other:?} is neither upload nor download"),
                    });
                }
            };
            let mut e = Event::new(kind, ts, Precision::Second, record);
            e.path = text(row, "local_path").map(Cow::Owned);
            e.attrs.push_opt("event_type", text(row, "event_type"));
            e.attrs.push_opt("file_event_type", text(row, "file_event_type"));
            e.attrs.push_opt("file_id", text(row, "file_id"));
            e.attrs.push_opt("other_user", int(row, "other_user")?);
            if let Some(d) = int(row, "is_dir")? {
                e.attrs.push("is_dir", d != 0);
            }
            Ok(vec![e])
        })
    }
}
