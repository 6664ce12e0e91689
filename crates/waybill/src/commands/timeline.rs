//! `waybill timeline`: the merged UTC timeline, one line per event, each with the
//! input file and record it came from.

use std::io::Write as _;

use anyhow::{Context as _, Result, bail};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};
use waybill_model::Timestamp;
use waybill_store::Case;
use waybill_store::query::Query;

use crate::args::TimelineArgs;
use crate::exit::ExitStatus;

const COLUMNS: &[&str] = &[
    "kind",
    "source",
    "record",
    "url",
    "path",
    "referrer",
    "client_ip",
    "actor",
    "user_agent",
    "fetch_site",
    "fetch_mode",
    "fetch_dest",
    "fetch_user",
    "purpose",
    "transition",
    "attrs",
    "format",
    "tz_assumed",
    "device",
    "clock",
    "sha256",
];

/// Prints the timeline.
pub fn run(a: &TimelineArgs) -> Result<ExitStatus> {
    let case = Case::open(&a.case)?;
    let q = Query::open(&case)?;
    let mut conds: Vec<String> = Vec::new();
    if let Some(f) = &a.from {
        conds.push(format!("ts >= '{}'", parse_time(f).context("--from")?));
    }
    if let Some(t) = &a.to {
        conds.push(format!("ts < '{}'", parse_time(t).context("--to")?));
    }
    if let (Some(t), Some(w)) = (&a.around, &a.window) {
        let center = parse_time(t).context("--around")?;
        let half = parse_duration(w).context("--window")?;
        conds.push(format!("ts >= '{}'", center.add_micros(-half)));
        conds.push(format!("ts <= '{}'", center.add_micros(half)));
    }
    if let Some(w) = &a.filter {
        conds.push(format!("({w})"));
    }
    let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
    let cols = COLUMNS.iter().map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT e.ts, {cols}, e.size, e.status, i.path AS input_path \
         FROM (SELECT * FROM events {filter}) e JOIN inputs i ON e.source = i.source \
         ORDER BY e.ts, e.source, e.seq"
    );
    let mut out = std::io::stdout().lock();
    let mut err = None;
    q.sql_each(&sql, |b| match print_batch(&mut out, b, a.json) {
        Ok(()) => Ok(true),
        Err(e) => {
            err = Some(e);
            Ok(false)
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// A row's text columns by name.
struct Row<'a> {
    batch: &'a RecordBatch,
    i: usize,
}

impl Row<'_> {
    fn s(&self, name: &str) -> Option<&str> {
        let col = self.batch.column_by_name(name)?;
        let arr = col.as_string_opt::<i32>()?;
        if arr.is_null(self.i) { None } else { Some(arr.value(self.i)) }
    }

    fn i64(&self, name: &str) -> Option<i64> {
        let arr = self.batch.column_by_name(name)?.as_primitive_opt::<Int64Type>()?;
        if arr.is_null(self.i) { None } else { Some(arr.value(self.i)) }
    }

    fn i32(&self, name: &str) -> Option<i32> {
        let arr = self.batch.column_by_name(name)?.as_primitive_opt::<Int32Type>()?;
        if arr.is_null(self.i) { None } else { Some(arr.value(self.i)) }
    }
}

fn print_batch(out: &mut impl std::io::Write, b: &RecordBatch, json: bool) -> Result<()> {
    let ts = b.column(0).as_primitive::<TimestampMicrosecondType>();
    for i in 0..b.num_rows() {
        let row = Row { batch: b, i };
        let t = Timestamp::from_unix_micros(ts.value(i)).map_or_else(|_| ts.value(i).to_string(), |t| t.to_string());
        let summary = summarize(&row);
        let input = row.s("input_path").unwrap_or("");
        let record = row.s("record").unwrap_or("");
        if json {
            let mut obj = serde_json::Map::new();
            obj.insert("ts".into(), t.into());
            for c in COLUMNS {
                if let Some(v) = row.s(c) {
                    let value =
                        if *c == "attrs" { serde_json::from_str(v).unwrap_or_else(|_| v.into()) } else { v.into() };
                    obj.insert((*c).into(), value);
                }
            }
            if let Some(v) = row.i64("size") {
                obj.insert("size".into(), v.into());
            }
            if let Some(v) = row.i32("status") {
                obj.insert("status".into(), v.into());
            }
            obj.insert("input".into(), input.into());
            obj.insert("summary".into(), summary.into());
            writeln!(out, "{}", serde_json::Value::Object(obj))?;
        } else {
            let name = std::path::Path::new(input)
                .file_name()
                .map_or_else(|| input.to_owned(), |n| n.to_string_lossy().into_owned());
            let tz = row.s("tz_assumed").map(|z| format!(" (local time, zone {z} assumed)")).unwrap_or_default();
            writeln!(out, "{t}  {:<19} {summary}{tz}  [{name} {record}]", row.s("kind").unwrap_or(""))?;
        }
    }
    Ok(())
}

/// A one-line description of an event.
fn summarize(r: &Row<'_>) -> String {
    let attrs: serde_json::Value =
        r.s("attrs").and_then(|a| serde_json::from_str(a).ok()).unwrap_or(serde_json::Value::Null);
    let attr = |k: &str| attrs.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut parts: Vec<String> = Vec::new();
    let kind = r.s("kind").unwrap_or("");
    match kind {
        "http.request" => {
            if let Some(ip) = r.s("client_ip") {
                parts.push(ip.to_owned());
            }
            parts.push(format!("{} {}", attr("method").unwrap_or_else(|| "-".into()), r.s("url").unwrap_or("-")));
            if let Some(s) = r.i32("status") {
                parts.push(s.to_string());
            }
            if let Some(s) = r.i64("size") {
                parts.push(format!("{s} B"));
            }
        }
        _ => {
            if let Some(u) = r.s("url") {
                parts.push(u.to_owned());
            }
            if let Some(p) = r.s("path") {
                parts.push(if r.s("url").is_some() { format!("→ {p}") } else { p.to_owned() });
            }
            if let Some(s) = r.i64("size") {
                parts.push(format!("{s} B"));
            }
        }
    }
    if let Some(t) = r.s("transition") {
        parts.push(format!("transition {t}"));
    }
    let fetch: Vec<String> =
        [("site", "fetch_site"), ("mode", "fetch_mode"), ("dest", "fetch_dest"), ("user", "fetch_user")]
            .iter()
            .filter_map(|(k, c)| r.s(c).map(|v| format!("{k}={v}")))
            .collect();
    if !fetch.is_empty() {
        parts.push(format!("sec-fetch {}", fetch.join(" ")));
    }
    if let Some(p) = r.s("purpose") {
        parts.push(format!("purpose {p}"));
    }
    if let Some(rf) = r.s("referrer") {
        parts.push(format!("referrer {rf}"));
    }
    if let Some(phase) = attr("phase") {
        parts.push(format!("({phase})"));
    }
    parts.join("  ")
}

/// Parses a time given on the command line: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC.
pub fn parse_time(s: &str) -> Result<Timestamp> {
    if let Ok(t) = Timestamp::parse_rfc3339(s) {
        return Ok(t);
    }
    if let Ok(n) = waybill_model::time::parse_naive(s) {
        return Ok(n.assume_utc()?);
    }
    if let Ok(n) = waybill_model::time::parse_naive(&format!("{s} 00:00:00")) {
        return Ok(n.assume_utc()?);
    }
    bail!("{s:?} is not a time (use RFC 3339 such as 2026-01-03T02:14:07Z, or 2026-01-03)")
}

/// Parses `90s`, `5m`, `2h`, `1d`, `250ms` into microseconds.
pub fn parse_duration(s: &str) -> Result<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().with_context(|| format!("{s:?} is not a duration"))?;
    let mult = match unit {
        "ms" => 1e3,
        "s" | "" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        "d" => 86_400e6,
        _ => bail!("{s:?}: unknown unit {unit:?} (use ms, s, m, h, d)"),
    };
    #[allow(clippy::cast_possible_truncation, reason = "durations on the command line are small")]
    Ok((n * mult).round() as i64)
}
