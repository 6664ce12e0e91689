//! Timesketch JSONL timelines (import format and exports, including waybill's own).
//!
//! # What it reads
//! One JSON object per line in the format Timesketch imports: the mandatory
//! `message`, `datetime` (ISO 8601) and `timestamp_desc`, an optional
//! `timestamp` (µs since the Unix epoch), and any number of extra fields. Three
//! kinds of line are told apart by their fields:
//! - lines that carry plaso's `data_type` (Timesketch timelines made from plaso,
//!   and their exports) are mapped like `plaso.json_line`;
//! - lines written by waybill's Timesketch report (`waybill-report`
//!   `timesketch.rs`): a `kind` that is a waybill kind, every non-null event
//!   column as a field of the same name (`ts` excepted), `attrs` as a JSON object,
//!   and `tag` (a list). They import back with the same kind and columns;
//! - anything else is `imported.other`.
//!
//! # Versions seen
//! Timesketch's documented JSONL import format and its loader
//! (`read_and_validate_jsonl`): a line without `datetime` but with `timestamp` is
//! accepted (Timesketch derives `datetime` from it); a line missing `message`
//! or `timestamp_desc` is refused. waybill-report Timesketch output (format of
//! this repository's `crates/waybill-report/src/timesketch.rs`).
//!
//! # Events emitted
//! One event per line. Time: `datetime`, read with its offset (one without an
//! offset is local time in the assumed zone, like other sources); when
//! `timestamp` is also there it must agree with `datetime` to the precision
//! `datetime` was written with, else the line is rejected, and it gives the
//! µs. An offset-less `datetime` next to a `timestamp` defers to the
//! `timestamp`, which needs no zone. `ts_precision`: waybill's `ts_precision`
//! field when present, else plaso's `date_time` class when present, else the
//! digits of `datetime` (µs when `timestamp` adds sub-unit detail).
//! - with `data_type`: kind and columns of [`super::timeline_import`];
//! - with a waybill `kind`: that kind; the columns `actor`, `device`,
//!   `client_ip`, `user_agent`, `url`, `referrer`, `path`, `size`, `status`,
//!   `sha256`, `md5`, `sha1`, `provider_hash`, `provider_hash_kind` (known kinds
//!   only: `s3_etag`, `quickxorhash`, `dropbox_content_hash`, `whatsapp_hash`,
//!   `etag`), `fetch_site`, `fetch_mode`, `fetch_dest`, `fetch_user`, `purpose`,
//!   `transition`, `auto` from the fields of the same name;
//! - otherwise `imported.other`, `url` from a `url` field.
//!
//! `attrs`: for waybill lines, the exported `attrs` object's entries first, then
//! the original event's provenance as `waybill_format`, `waybill_source`,
//! `waybill_record`, `waybill_seq`, `waybill_clock`, `waybill_tz_assumed`, then
//! the other fields (`tag`, …); the generated `message` and `timestamp_desc` of a
//! waybill export are dropped. For all other lines every field is kept under its
//! own name. `datetime` and `timestamp` are never kept (they are `ts`).
//!
//! # What it cannot tell us
//! Whatever produced the timeline decided the times and descriptions; a
//! `message` is free text. Timesketch's export adds its own fields
//! (`__ts_timeline_id`, `_id`, `_index`), kept as attributes. A `timestamp` of 0
//! (plaso's "Not a time") or a `datetime` of the Unix epoch is rejected.
//!
//! # References
//! google/timesketch `docs/guides/user/import-from-json-csv.md` (mandatory
//! fields, example lines), `timesketch/lib/utils.py` (`read_and_validate_jsonl`,
//! `FIELDS_TO_REMOVE`); `crates/waybill-report/src/timesketch.rs` and
//! `crates/waybill/src/commands/report.rs` (`timesketch`) in this repository.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::json::Json;
use crate::lines::LinePos;
use crate::logformat::{FieldKind, field_time};
use crate::source::{LineParser, ParseContext, Probe, Sniff, Source, SourceError};
use crate::sources::timeline_import::{
    Obj, attr_value, map_plaso, micros, parse_object, plaso_precision, push_fields, push_unique, text,
};
use crate::zone::Zone;

/// Timesketch JSONL.
pub struct TimesketchJsonl;

struct TimesketchLines {
    zone: Zone,
}

/// The fields Timesketch requires of every line.
const MANDATORY: &[&str] = &["message", "timestamp_desc"];

/// waybill columns carried as text fields by a waybill export.
const TEXT_COLUMNS: &[&str] = &[
    "actor",
    "device",
    "client_ip",
    "user_agent",
    "url",
    "referrer",
    "path",
    "sha256",
    "md5",
    "sha1",
    "provider_hash",
    "fetch_site",
    "fetch_mode",
    "fetch_dest",
    "fetch_user",
    "purpose",
    "transition",
];

/// waybill's per-input columns, kept as provenance attributes.
const PROVENANCE: &[(&str, &str)] = &[
    ("format", "waybill_format"),
    ("source", "waybill_source"),
    ("record", "waybill_record"),
    ("seq", "waybill_seq"),
    ("clock", "waybill_clock"),
    ("tz_assumed", "waybill_tz_assumed"),
];

/// Provider hash kinds with a fixed name in waybill.
const PROVIDER_HASH_KINDS: &[&str] = &["s3_etag", "quickxorhash", "dropbox_content_hash", "whatsapp_hash", "etag"];

fn is_timesketch(o: &Obj<'_>) -> bool {
    !o.contains_key("__container_type__")
        && o.get("message").is_some_and(Json::is_string)
        && o.get("timestamp_desc").is_some_and(Json::is_string)
        && o.get("datetime").is_some_and(Json::is_string)
}

/// When: (instant, precision, local time assumed, ambiguous local time).
fn when(o: &Obj<'_>, zone: Zone) -> Result<(Timestamp, Precision, bool, bool), RejectReason> {
    let stamp = o.get("timestamp").filter(|v| !v.is_null());
    let Some(dt) = o.get("datetime").filter(|v| !v.is_null()) else {
        let t = stamp.ok_or_else(|| RejectReason::Timestamp("no datetime and no timestamp".into()))?;
        return Ok((micros(t)?, Precision::Microsecond, false, false));
    };
    let s = dt.as_str().ok_or_else(|| RejectReason::Timestamp(format!("datetime {dt} is not text")))?;
    let lt = field_time(&FieldKind::TimeIso8601, s.as_bytes(), zone)?;
    let Some(t) = stamp else {
        if lt.ts.unix_micros() == 0 {
            return Err(RejectReason::Timestamp(format!("datetime {s} is the Unix epoch (plaso: not a time)")));
        }
        return Ok((lt.ts, lt.precision, lt.local, lt.ambiguous));
    };
    let us = micros(t)?;
    if lt.local {
        return Ok((us, Precision::Microsecond, false, false));
    }
    let diff = us.unix_micros().abs_diff(lt.ts.unix_micros());
    if diff >= lt.precision.resolution_micros().unsigned_abs() {
        return Err(RejectReason::Value {
            field: "timestamp".into(),
            detail: format!("{} µs ({us}) is not the datetime {s}", us.unix_micros()),
        });
    }
    let precision = if diff == 0 { lt.precision } else { Precision::Microsecond };
    Ok((us, precision, false, false))
}

fn parse<'v>(pos: LinePos, o: &'v Obj<'_>, zone: Zone) -> Result<Event<'v>, RejectReason> {
    let missing: Vec<&str> = MANDATORY.iter().copied().filter(|k| !o.get(k).is_some_and(Json::is_string)).collect();
    if !missing.is_empty() {
        return Err(RejectReason::Malformed(format!("missing mandatory Timesketch field(s): {}", missing.join(", "))));
    }
    let (ts, precision, local, ambiguous) = when(o, zone)?;
    let mut e = Event::new(EventKind::ImportedOther, ts, precision, pos.record());
    e.local_time = local;
    if ambiguous {
        e.attrs.push("tz_ambiguous", true);
    }
    let kind = o.get("kind").and_then(Json::as_str).and_then(EventKind::parse);
    if text(o, "data_type").is_some() {
        if let Some(p) = plaso_precision(o) {
            e.precision = p;
        }
        push_fields(&mut e, o, &["datetime", "timestamp"]);
        map_plaso(o, &mut e);
    } else if let Some(kind) = kind {
        waybill(o, &mut e, kind);
    } else {
        push_fields(&mut e, o, &["datetime", "timestamp"]);
        e.url = text(o, "url").map(Cow::Borrowed);
    }
    Ok(e)
}

/// A line with a waybill `kind`: columns back from the fields of the same name.
fn waybill<'v>(o: &'v Obj<'_>, e: &mut Event<'v>, kind: EventKind) {
    e.kind = kind;
    let mut used: Vec<&str> = vec!["kind", "datetime", "timestamp"];
    if let Some(p) = o.get("ts_precision").and_then(Json::as_str).and_then(Precision::parse) {
        e.precision = p;
        used.push("ts_precision");
    }
    let exported = o.get("format").is_some_and(Json::is_string) && o.get("record").is_some_and(Json::is_string);
    if exported {
        used.extend(["message", "timestamp_desc"]);
    }
    for &col in TEXT_COLUMNS {
        let Some(v) = o.get(col).and_then(Json::as_str).filter(|s| !s.is_empty()) else { continue };
        let v = Some(Cow::Borrowed(v));
        match col {
            "actor" => e.actor = v,
            "device" => e.device = v,
            "client_ip" => e.client_ip = v,
            "user_agent" => e.user_agent = v,
            "url" => e.url = v,
            "referrer" => e.referrer = v,
            "path" => e.path = v,
            "sha256" => e.sha256 = v,
            "md5" => e.md5 = v,
            "sha1" => e.sha1 = v,
            "provider_hash" => e.provider_hash = v,
            "fetch_site" => e.fetch_site = v,
            "fetch_mode" => e.fetch_mode = v,
            "fetch_dest" => e.fetch_dest = v,
            "fetch_user" => e.fetch_user = v,
            "purpose" => e.purpose = v,
            _ => e.transition = v,
        }
        used.push(col);
    }
    if let Some(k) = o.get("provider_hash_kind").and_then(Json::as_str)
        && let Some(known) = PROVIDER_HASH_KINDS.iter().copied().find(|x| *x == k)
    {
        e.provider_hash_kind = Some(known);
        used.push("provider_hash_kind");
    }
    if let Some(n) = o.get("size").and_then(Json::as_i64) {
        e.size = Some(n);
        used.push("size");
    }
    if let Some(n) = o.get("status").and_then(Json::as_i64).and_then(|n| i32::try_from(n).ok()) {
        e.status = Some(n);
        used.push("status");
    }
    if let Some(b) = o.get("auto").and_then(Json::as_bool) {
        e.auto = Some(b);
        used.push("auto");
    }
    if let Some(Json::Object(attrs)) = o.get("attrs") {
        used.push("attrs");
        for (k, v) in attrs {
            if let Some(a) = attr_value(v) {
                push_unique(e, k, a);
            }
        }
    }
    for &(field, key) in PROVENANCE {
        if let Some(a) = o.get(field).and_then(attr_value) {
            push_unique(e, key, a);
            used.push(field);
        }
    }
    push_fields(e, o, &used);
}

impl LineParser for TimesketchLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let result = parse_object(pos, line).and_then(|o| {
            let e = parse(pos, &o, self.zone)?;
            out.event(e);
            Ok(())
        });
        match result {
            Ok(()) => out.accepted(),
            Err(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
        }
    }
}

impl Source for TimesketchJsonl {
    fn id(&self) -> &'static str {
        "timesketch.jsonl"
    }

    fn description(&self) -> &'static str {
        "Timesketch JSONL timeline (message, datetime, timestamp_desc), incl. plaso-derived and waybill exports"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, None, |l| {
            l.first() == Some(&b'{') && crate::json::object(l).is_some_and(|o| is_timesketch(&o))
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let lines = TimesketchLines { zone: input.ctx().tz };
        crate::source::parse_lines(&lines, input, out)
    }

    fn line_parser<'a>(&'a self, ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(TimesketchLines { zone: ctx.tz })))
    }
}
