//! Caddy JSON access logs.
//!
//! # What it reads
//! JSON Lines written by Caddy's `log` directive: one object per line, logger
//! `http.log.access` (or `http.log.access.<name>`), message `handled request`.
//! Caddy logs every request header, so Fetch Metadata and `Sec-Purpose` are
//! there without configuration. Lines of other loggers in the same file are
//! records without events.
//!
//! # Versions seen
//! Caddy 2.x encoder output: `ts` as float Unix seconds (default), ISO 8601
//! strings or integer nanoseconds (`time_format` options); `duration` in seconds.
//!
//! # Events emitted
//! `http.request` at `ts`: `client_ip` (`request.client_ip`, else `remote_ip`),
//! `actor` (`user_id`), `url` (`https` when `request.tls` is present, `host`,
//! `uri`), `status`, `size`, `referrer`, `user_agent`, `fetch_*` and `purpose`
//! from `request.headers`. `attrs`: `method`, `protocol`, `logger`, `duration_s`,
//! `bytes_read`, `range`, `remote_port`, `tls_server_name`.
//!
//! # What it cannot tell us
//! `ts` is when Caddy finished handling the request. Headers a client did not
//! send are absent (absence of `Sec-Fetch-User` means something only for a
//! supporting browser over HTTPS).
//!
//! # References
//! caddyserver/caddy `modules/caddyhttp/server.go` (`logRequest`),
//! `marshalers.go`; caddyserver.com/docs/caddyfile/directives/log.

use std::borrow::Cow;

use serde_json::Value;
use waybill_model::{Event, EventKind, EventSink, Precision, RejectReason, Timestamp};

use crate::http::header_to_column;
use crate::input::Input;
use crate::lines::LinePos;
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Caddy access logs.
pub struct CaddyAccess;

struct CaddyLines;

fn ts_of(v: &Value) -> Result<(Timestamp, Precision), RejectReason> {
    match v {
        Value::Number(n) if n.is_i64() && n.as_i64().is_some_and(|i| i.abs() > 100_000_000_000_000) => {
            Ok((Timestamp::from_unix_nanos(i128::from(n.as_i64().unwrap_or(0)))?, Precision::Nanosecond))
        }
        Value::Number(n) => {
            let f = n.as_f64().ok_or_else(|| RejectReason::Timestamp(n.to_string()))?;
            Ok((Timestamp::from_unix_seconds_f64(f)?, Precision::Microsecond))
        }
        Value::String(s) => Ok((Timestamp::parse_rfc3339(s)?, Precision::Microsecond)),
        other => Err(RejectReason::Timestamp(format!("ts {other}"))),
    }
}

fn parse(pos: LinePos, line: &[u8]) -> Result<Vec<Event<'static>>, RejectReason> {
    let v: Value = serde_json::from_slice(line).map_err(|e| {
        let d = format!("not JSON: {e}");
        if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) }
    })?;
    let logger = v.get("logger").and_then(Value::as_str).unwrap_or("");
    let Some(req) = v.get("request").filter(|r| r.is_object()) else {
        if logger.is_empty() && v.get("ts").is_none() {
            return Err(RejectReason::Malformed("not a Caddy log entry (no logger, ts or request)".into()));
        }
        return Ok(Vec::new());
    };
    let (ts, precision) = ts_of(v.get("ts").ok_or_else(|| RejectReason::Timestamp("no ts".into()))?)?;
    let mut e = Event::new(EventKind::HttpRequest, ts, precision, pos.record());
    let s = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).filter(|x| !x.is_empty()).map(str::to_owned);
    e.client_ip = s(req, "client_ip").or_else(|| s(req, "remote_ip")).map(Cow::Owned);
    e.actor = s(&v, "user_id").map(Cow::Owned);
    e.status = v.get("status").and_then(Value::as_i64).and_then(|x| i32::try_from(x).ok());
    e.size = v.get("size").and_then(Value::as_i64);
    let tls = req.get("tls").filter(|t| t.is_object());
    if let (Some(host), Some(uri)) = (s(req, "host"), s(req, "uri")) {
        let scheme = if tls.is_some() { "https" } else { "http" };
        e.url = Some(Cow::Owned(format!("{scheme}://{host}{uri}")));
    } else if let Some(uri) = s(req, "uri") {
        e.url = Some(Cow::Owned(uri));
    }
    e.attrs.push_opt("method", s(req, "method"));
    e.attrs.push_opt("protocol", s(req, "proto"));
    if !logger.is_empty() {
        e.attrs.push("logger", logger.to_owned());
    }
    if let Some(d) = v.get("duration").and_then(Value::as_f64) {
        e.attrs.push("duration_s", d);
    }
    e.attrs.push_opt("bytes_read", v.get("bytes_read").and_then(Value::as_i64));
    e.attrs.push_opt("remote_port", s(req, "remote_port"));
    if let Some(t) = tls {
        e.attrs.push_opt("tls_server_name", s(t, "server_name"));
    }
    if let Some(Value::Object(headers)) = req.get("headers") {
        let mut names: Vec<&String> = headers.keys().collect();
        names.sort();
        for name in names {
            let value = match &headers[name] {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
                Value::String(s) => s.clone(),
                _ => continue,
            };
            let lname = name.to_ascii_lowercase();
            if lname == "range" {
                e.attrs.push("range", value);
            } else {
                header_to_column(&mut e, &lname, Cow::Owned(value));
            }
        }
    }
    Ok(vec![e])
}

impl LineParser for CaddyLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        waybill_model::close_record(out, pos.record(), parse(pos, line), || line);
    }
}

impl Source for CaddyAccess {
    fn id(&self) -> &'static str {
        "caddy.access"
    }

    fn description(&self) -> &'static str {
        "Caddy JSON access log (http.log.access), with every request header"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, None, |l| {
            l.first() == Some(&b'{')
                && serde_json::from_slice::<Value>(l).is_ok_and(|v| {
                    v.get("logger").and_then(Value::as_str).is_some_and(|g| g.starts_with("http.log"))
                        || (v.get("request").and_then(|r| r.get("uri")).is_some() && v.get("ts").is_some())
                })
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&CaddyLines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(CaddyLines)))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}
