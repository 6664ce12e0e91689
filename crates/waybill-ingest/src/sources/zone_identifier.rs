//! Windows `Zone.Identifier` alternate data streams (Mark of the Web), saved as files.
//!
//! # What it reads
//! The content of a `NAME:Zone.Identifier` stream exported as a file (named
//! `NAME:Zone.Identifier` or `NAME.Zone.Identifier` by export tools): an INI text
//! with a `[ZoneTransfer]` section — `ZoneId`, `ReferrerUrl`, `HostUrl`,
//! `LastWriterPackageFamilyName`, `AppDefinedZoneId`. UTF-8, ANSI or UTF-16 with
//! a byte-order mark; CRLF or LF.
//!
//! # Versions seen
//! Streams as Chromium, Edge and Firefox write them (`ZoneId=3` with both URLs),
//! as Explorer writes them for files extracted from a marked archive
//! (`ReferrerUrl` = the local archive path), and minimal ones (`ZoneId` only).
//!
//! # Events emitted
//! One `fs.origin_marker` per stream: `path` = the marked file's path as
//! exported (the stream file's path as ingested, without the
//! `:Zone.Identifier` / `.Zone.Identifier` suffix: its folder is what ties
//! the mark to one copy of a file, since a name alone may be any file's),
//! `url` = `HostUrl`, `referrer` = `ReferrerUrl`. `attrs`: `zone_id`,
//! `zone` (`local_machine`, `intranet`, `trusted`, `internet`, `restricted`),
//! `last_writer_package`, `app_defined_zone_id`, and `ts_from` = `stream file
//! mtime`: the stream holds no time, so the event is placed at the modification
//! time of the exported stream file, which export tools may or may not preserve.
//!
//! # What it cannot tell us
//! When the mark was written (see `ts_from`), or which program wrote it unless
//! `LastWriterPackageFamilyName` is set. Absence proves little: FAT/exFAT cannot
//! hold streams, and sync clients and messaging apps usually do not write them.
//!
//! # References
//! [MS-FSCC] 5.6.1 Zone.Identifier; Chromium
//! `components/services/quarantine/quarantine_win.cc`.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Zone.Identifier streams.
pub struct ZoneIdentifier;

/// A stream is a few hundred bytes; anything larger is not one.
const LIMIT: usize = 64 << 10;

/// Decodes UTF-16 (with BOM) or UTF-8/ANSI text.
fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        return String::from_utf16_lossy(&units);
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(b).into_owned()
}

fn zone_name(id: i64) -> &'static str {
    match id {
        0 => "local_machine",
        1 => "intranet",
        2 => "trusted",
        3 => "internet",
        4 => "restricted",
        _ => "unknown",
    }
}

/// The marked file's name, from the stream file's name.
pub fn marked_file(stream_file: &str) -> Option<&str> {
    for suffix in [":Zone.Identifier:$DATA", ":Zone.Identifier", ".Zone.Identifier", "_Zone.Identifier"] {
        if stream_file.len() > suffix.len()
            && stream_file[stream_file.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        {
            return Some(&stream_file[..stream_file.len() - suffix.len()]);
        }
    }
    None
}

impl Source for ZoneIdentifier {
    fn id(&self) -> &'static str {
        "windows.zone_identifier"
    }

    fn description(&self) -> &'static str {
        "Windows Zone.Identifier stream (Mark of the Web) saved as a file: ZoneId, ReferrerUrl, HostUrl"
    }

    fn version(&self) -> u32 {
        2
    }

    fn per_entry(&self) -> bool {
        true
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        if !probe.complete || probe.head.len() > LIMIT {
            return Sniff::No;
        }
        // The first line decides: the head's first KiB is enough (decoding a
        // whole binary file of a walk is not).
        let text = decode(&probe.head[..probe.head.len().min(1024)]);
        let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
        if first.eq_ignore_ascii_case("[ZoneTransfer]") { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let bytes = input.read_to_end(LIMIT)?;
        let text = decode(&bytes);
        let record = RecordRef::Whole;
        let mut in_section = false;
        let mut zone: Option<i64> = None;
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut bad: Option<String> = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(';')) {
            if line.starts_with('[') {
                in_section = line.eq_ignore_ascii_case("[ZoneTransfer]");
                continue;
            }
            if !in_section {
                continue;
            }
            match line.split_once('=') {
                Some((k, v)) => {
                    let (k, v) = (k.trim(), v.trim());
                    if k.eq_ignore_ascii_case("ZoneId") {
                        match v.parse::<i64>() {
                            Ok(z) => zone = Some(z),
                            Err(_) => bad = Some(format!("ZoneId {v:?} is not a number")),
                        }
                    } else {
                        fields.push((k.to_owned(), v.to_owned()));
                    }
                }
                None => bad = Some(format!("line {line:?} is not KEY=VALUE")),
            }
        }
        let reason = match (&bad, zone) {
            (Some(b), _) => Some(RejectReason::Malformed(b.clone())),
            (None, None) => Some(RejectReason::Malformed("no ZoneId in [ZoneTransfer]".into())),
            _ => None,
        };
        let mtime = input.modified();
        let ts = match mtime.map(Timestamp::from_unix_micros) {
            Some(Ok(t)) => t,
            _ => {
                out.reject(Reject {
                    record,
                    reason: RejectReason::Timestamp("the stream file has no modification time".into()),
                    raw: &bytes,
                });
                return Ok(());
            }
        };
        if let Some(reason) = reason {
            out.reject(Reject { record, reason, raw: &bytes });
            return Ok(());
        }
        let mut e = Event::new(EventKind::FsOriginMarker, ts, Precision::Microsecond, record);
        // Where the stream file is, absolute: the same whether the folder was
        // named relative to where waybill ran or as `verify` names it.
        let exported = std::path::absolute(input.path())
            .unwrap_or_else(|_| input.path().to_owned())
            .to_string_lossy()
            .into_owned();
        e.path = Some(Cow::Owned(marked_file(&exported).unwrap_or(&exported).to_owned()));
        if let Some(z) = zone {
            e.attrs.push("zone_id", z);
            e.attrs.push("zone", zone_name(z));
        }
        for (k, v) in fields {
            match k.to_ascii_lowercase().as_str() {
                "hosturl" => e.url = Some(Cow::Owned(v)),
                "referrerurl" => e.referrer = Some(Cow::Owned(v)),
                "lastwriterpackagefamilyname" => e.attrs.push("last_writer_package", v),
                "appdefinedzoneid" => e.attrs.push("app_defined_zone_id", v),
                _ => {}
            }
        }
        e.attrs.push("ts_from", "stream file mtime");
        out.event(e);
        out.accepted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(marked_file("report.pdf:Zone.Identifier"), Some("report.pdf"));
        assert_eq!(marked_file("report.pdf.Zone.Identifier"), Some("report.pdf"));
        assert_eq!(marked_file("Zone.Identifier"), None);
        assert_eq!(decode(&[0xFF, 0xFE, b'[', 0, b'Z', 0]), "[Z");
    }
}
