//! plaso timelines exported with `psort.py -o json_line`.
//!
//! # What it reads
//! One JSON object per line, as plaso's `json_line` output module writes it
//! (`json.dumps(..., sort_keys=True)`): `__container_type__: "event"`,
//! `__type__: "AttributeContainer"`, `data_type`, `timestamp` (µs since the Unix
//! epoch, UTC), `timestamp_desc`, `date_time` (the original dfdatetime value,
//! serialized), `message`, `parser`, `display_name`, `filename`, `inode`,
//! `pathspec`, the hashes of the parsed stream (`sha256_hash`), `tag` when the
//! event was tagged, and every attribute of the parser's event data
//! (`url`, `page_transition_type`, `full_path`, `event_identifier`, `strings`,
//! `xml_string`, …). Each line is one record.
//!
//! # Versions seen
//! plaso 20260720 (`log2timeline` + `psort -o json_line`) on Chrome 63 History,
//! Apache access logs, EVTX and file-system stat data: no `datetime` field (the
//! time is `timestamp` plus the serialized `date_time`). Older releases wrote the
//! same container fields with the event attributes merged in; a `datetime`
//! field, where a converter added one, is kept as an attribute.
//!
//! # Events emitted
//! One event per line at `timestamp`, with the kind and columns of the shared
//! mapping in [`super::timeline_import`] (browser visits and downloads, HTTP
//! requests, file-system times, quarantine origin markers, Windows logon,
//! logoff, lock/unlock, sleep/wake), and `imported.other` for everything else.
//! `ts_precision` is that of the original value named by `date_time`
//! (`PosixTime`/`TimeElements` → s, `JavaTime` → ms, `WebKitTime` → µs,
//! `Filetime` → 100 ns, …), µs when unknown. `attrs`: every field of the line
//! under its own name except `timestamp`, `__container_type__` and `__type__`.
//!
//! # What it cannot tell us
//! Only what plaso extracted: attributes a parser did not keep are gone, and
//! the `message` is plaso's rendering. plaso rounds finer-than-µs times (FILETIME,
//! nanoseconds) to the nearest µs where waybill's own parsers truncate, so the
//! same record can differ by 1 µs from a native parse. Times that a parser
//! marked as local (`date_time.is_local_time`) were converted with the zone
//! given to `log2timeline`, which this file does not record. The
//! `sha256_hash` is the hash of the stream plaso parsed (the History database,
//! the log file), not of a downloaded file, except for `filestat` events. A
//! record with `timestamp` 0 ("Not a time") is rejected.
//!
//! # References
//! log2timeline/plaso `plaso/output/json_line.py`, `plaso/output/shared_json.py`
//! (`_GetFieldValues`), `tests/output/json_line.py`, `plaso/lib/definitions.py`
//! (`TIME_DESCRIPTION_*`), `plaso/parsers/sqlite_plugins/chrome_history.py`,
//! `plaso/parsers/winevtx.py`; our own psort runs (fixture README).

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason};

use crate::input::Input;
use crate::json::Json;
use crate::lines::LinePos;
use crate::source::{LineParser, ParseContext, Probe, Sniff, Source, SourceError};
use crate::sources::timeline_import::{self, Obj, map_plaso, micros, parse_object, plaso_precision, push_fields};

/// plaso `json_line` output.
pub struct PlasoJsonLine;

struct PlasoLines;

/// Does this object look like a plaso `json_line` event? Its container marker,
/// or (for converters that drop it) `data_type` + `timestamp_desc` + an integer
/// `timestamp` without Timesketch's `datetime`.
fn is_plaso(o: &Obj<'_>) -> bool {
    match o.get("__container_type__") {
        Some(c) => c.as_str() == Some("event"),
        None => {
            o.get("data_type").is_some_and(Json::is_string)
                && o.get("timestamp_desc").is_some_and(Json::is_string)
                && o.get("timestamp").is_some_and(Json::is_i64)
                && !o.contains_key("datetime")
        }
    }
}

fn parse<'v>(pos: LinePos, o: &'v Obj<'_>) -> Result<Event<'v>, RejectReason> {
    if let Some(c) = o.get("__container_type__").filter(|c| c.as_str() != Some("event")) {
        return Err(RejectReason::Value { field: "__container_type__".into(), detail: format!("{c} is not an event") });
    }
    if timeline_import::text(o, "data_type").is_none() {
        return Err(RejectReason::Malformed("not a plaso event: no data_type".into()));
    }
    let ts = micros(o.get("timestamp").ok_or_else(|| RejectReason::Timestamp("no timestamp".into()))?)?;
    let precision = plaso_precision(o).unwrap_or(Precision::Microsecond);
    let mut e = Event::new(EventKind::ImportedOther, ts, precision, pos.record());
    push_fields(&mut e, o, &["timestamp", "__container_type__", "__type__"]);
    map_plaso(o, &mut e);
    Ok(e)
}

impl LineParser for PlasoLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let result = parse_object(pos, line).and_then(|o| {
            let e = parse(pos, &o)?;
            out.event(e);
            Ok(())
        });
        match result {
            Ok(()) => out.accepted(),
            Err(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
        }
    }
}

impl Source for PlasoJsonLine {
    fn id(&self) -> &'static str {
        "plaso.json_line"
    }

    fn description(&self) -> &'static str {
        "plaso timeline exported with psort -o json_line (one event per line, mapped by data_type)"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe
            .judge_lines(10, None, |l| l.first() == Some(&b'{') && crate::json::object(l).is_some_and(|o| is_plaso(&o)))
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&PlasoLines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(PlasoLines)))
    }
}
