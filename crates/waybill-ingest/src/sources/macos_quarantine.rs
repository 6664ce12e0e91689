//! macOS `QuarantineEventsV2` (LaunchServices quarantine database).
//!
//! # What it reads
//! Every row of `LSQuarantineEvent` in
//! `~/Library/Preferences/com.apple.LaunchServices.QuarantineEventsV2` (and the
//! older `QuarantineEvents` file, same table).
//!
//! # Versions seen
//! plaso's sample (macOS 10.8 era). Since macOS 12.4 the URL columns are
//! reportedly often empty; rows are still read.
//!
//! # Events emitted
//! `fs.origin_marker` at `LSQuarantineTimeStamp` (Cocoa seconds): `url` (the
//! file's own URL, `LSQuarantineDataURLString`), `referrer` (the page it came
//! from, `LSQuarantineOriginURLString`). `attrs`: `agent` (app name),
//! `agent_bundle_id`, `type` (`web_download`, `other_download`,
//! `email_attachment`, `instant_message_attachment`, `calendar_attachment`,
//! `other_attachment`; community reading of the numbers), `type_number`,
//! `sender_name`, `sender_address`, `origin_title`, `event_id` (the UUID that the
//! file's `com.apple.quarantine` attribute points to).
//!
//! # What it cannot tell us
//! The file path: the database does not store it; the link to a file is the
//! UUID in the file's extended attribute. Files saved by apps that do not
//! quarantine (many sync clients) have no row.
//!
//! # References
//! plaso `ls_quarantine.py` and its test; Apple `LSQuarantine.h` (kind constants).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{InputKind, Probe, Sniff, Source, SourceError};
use crate::sqlite::{each_row, int, real, select_list, text};

/// macOS quarantine events.
pub struct MacosQuarantine;

fn type_name(n: i64) -> &'static str {
    match n {
        0 => "web_download",
        1 => "other_download",
        2 => "email_attachment",
        3 => "instant_message_attachment",
        4 => "calendar_attachment",
        5 => "other_attachment",
        _ => "unknown",
    }
}

impl Source for MacosQuarantine {
    fn id(&self) -> &'static str {
        "macos.quarantine"
    }

    fn description(&self) -> &'static str {
        "macOS QuarantineEventsV2 (SQLite): download origin markers with agent and origin URL"
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
        if s.has_columns(
            "LSQuarantineEvent",
            &["LSQuarantineTimeStamp", "LSQuarantineAgentName", "LSQuarantineDataURLString"],
        ) {
            Sniff::Yes
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let db = input.sqlite()?;
        if !db.schema.has_table("LSQuarantineEvent") {
            return Err(SourceError::NotThisFormat { format: self.id(), reason: "no LSQuarantineEvent table".into() });
        }
        let cols = select_list(
            &db.schema,
            "LSQuarantineEvent",
            "q",
            &[
                "LSQuarantineEventIdentifier",
                "LSQuarantineTimeStamp",
                "LSQuarantineAgentBundleIdentifier",
                "LSQuarantineAgentName",
                "LSQuarantineDataURLString",
                "LSQuarantineSenderName",
                "LSQuarantineSenderAddress",
                "LSQuarantineTypeNumber",
                "LSQuarantineOriginTitle",
                "LSQuarantineOriginURLString",
            ],
        );
        let sql = format!("SELECT q.rowid AS _rowid, {cols} FROM LSQuarantineEvent q ORDER BY q.rowid");
        each_row(&db.conn, "LSQuarantineEvent", &sql, out, |row, record| {
            let t = real(row, "LSQuarantineTimeStamp")?
                .ok_or_else(|| RejectReason::Timestamp("LSQuarantineTimeStamp is NULL".into()))?;
            let mut e = Event::new(
                EventKind::FsOriginMarker,
                Timestamp::from_cocoa_seconds(t)?,
                Precision::Microsecond,
                record,
            );
            e.url = text(row, "LSQuarantineDataURLString").map(Cow::Owned);
            e.referrer = text(row, "LSQuarantineOriginURLString").map(Cow::Owned);
            e.attrs.push_opt("agent", text(row, "LSQuarantineAgentName"));
            e.attrs.push_opt("agent_bundle_id", text(row, "LSQuarantineAgentBundleIdentifier"));
            if let Some(n) = int(row, "LSQuarantineTypeNumber")? {
                e.attrs.push("type", type_name(n));
                e.attrs.push("type_number", n);
            }
            e.attrs.push_opt("sender_name", text(row, "LSQuarantineSenderName"));
            e.attrs.push_opt("sender_address", text(row, "LSQuarantineSenderAddress"));
            e.attrs.push_opt("origin_title", text(row, "LSQuarantineOriginTitle"));
            e.attrs.push_opt("event_id", text(row, "LSQuarantineEventIdentifier"));
            Ok(vec![e])
        })
    }
}
