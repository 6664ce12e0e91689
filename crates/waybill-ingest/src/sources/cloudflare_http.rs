//! Cloudflare Logpush `http_requests` dataset (JSON lines).
//!
//! # What it reads
//! The default Logpush output (`ndjson`): one JSON object per request, with
//! only the fields the job selected. Any subset is read; a record needs a
//! timestamp (`EdgeStartTimestamp` or `EdgeEndTimestamp`) and something that
//! names a request (`ClientRequestURI`, `ClientRequestPath`,
//! `ClientRequestHost`, `ClientRequestMethod` or `RayID`). Timestamps follow the
//! job's `timestamp_format`: `unixnano` (the default, integer nanoseconds),
//! `unix` (integer seconds) or `rfc3339` (string); integers are told apart by
//! magnitude (milliseconds and microseconds are read too), digit strings as
//! integers.
//!
//! # Versions seen
//! Field names and types of the current `http_requests` reference; no real
//! Logpush file is public (only hand-made ones), so the fixtures follow the
//! documented schema.
//!
//! # Events emitted
//! `http.request` at `EdgeStartTimestamp` (when the edge received the request;
//! `EdgeEndTimestamp` when only that is logged, then `attrs.time_is` = `end`):
//! `client_ip` (`ClientIP`), `url` (`ClientRequestScheme` or scheme-relative
//! `//` + `ClientRequestHost` + `ClientRequestURI`, else the path), `status`
//! (`EdgeResponseStatus`), `size` (`EdgeResponseBytes`), `referrer`,
//! `user_agent`, and the Fetch Metadata columns and `purpose` from the
//! `RequestHeaders` custom field (`sec-fetch-site/mode/dest/user`,
//! `sec-purpose`, `purpose`, `x-purpose`, `x-moz`). `auto` = true when
//! `ClientRequestSource` is anything but `eyeball` (a Worker fetch or Cache API
//! call, a purge, a health check, Always Online, image resizing, another
//! Cloudflare zone, an Early Hints or in-browser challenge request; the value is
//! kept in `attrs.request_source`) or when `WorkerSubrequest` is true. An
//! `eyeball` request is an end user's client, not proof of a deliberate act, so
//! `auto` stays unset for it (and for `unknown`).
//! `attrs`: `time_is`, `edge_end`, `method`, `protocol`, `scheme`, `host`,
//! `ray_id`, `parent_ray_id`, `request_source`, `worker_subrequest`,
//! `origin_response_status` (0 = answered at the edge), `cache_status`,
//! `cache_tiered_fill`, `edge_response_body_bytes`, `content_type`,
//! `country`, `client_asn`, `colo`, `zone_name`, `x_requested_with`, `range`,
//! `request_headers` and `response_headers` (the other logged headers, as JSON
//! text), `content_disposition`, `content_range`.
//!
//! A status or size present but not a whole number (`"2x0"`, a negative
//! size) leaves the column empty and keeps the raw JSON value in
//! `attrs.malformed_status` / `malformed_size` (version 2; version 1 dropped
//! it silently).
//!
//! # What it cannot tell us
//! Request headers exist only if the zone configured them as custom fields: the
//! absence of `Sec-Fetch-User` means nothing unless the job logged it (and
//! Cloudflare does not support `Range` as a custom field). A `hit` shows the
//! object was already at the edge, not who fetched it first. CSV and templated
//! outputs are not read; `Cookies` are not kept.
//!
//! # References
//! `cloudflare/cloudflare-docs` `src/content/docs/logs/reference/log-fields/zone/http_requests.md`
//! (field list and types), `.../logs/reference/log-output-options.mdx`
//! (`timestamp_format`: `unixnano` default, `unix`, `rfc3339`; ndjson default),
//! `.../logs/reference/clientrequestsource.mdx` (request source values),
//! `.../logs/reference/custom-fields.mdx` (`RequestHeaders`, lower-case names).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason, Timestamp};

use crate::http::{build_url, header_column, set_header};
use crate::input::Input;
use crate::json::{Json, Object};
use crate::lines::LinePos;
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Cloudflare Logpush HTTP request logs.
pub struct CloudflareHttp;

struct CloudflareLines;

/// Fields that name a request (one is needed to accept a record).
const REQUEST_FIELDS: &[&str] =
    &["ClientRequestURI", "ClientRequestPath", "ClientRequestHost", "ClientRequestMethod", "RayID"];

/// `ClientRequestSource` names by their documented numeric value.
const SOURCES: &[&str] = &[
    "unknown",
    "eyeball",
    "purge",
    "alwaysOnline",
    "healthcheck",
    "edgeWorkerFetch",
    "edgeWorkerCacheAPI",
    "edgeWorkerKV",
    "imageResizing",
    "orangeToOrange",
    "sslDetector",
    "earlyHintsCache",
    "inBrowserChallenge",
];

/// A Logpush timestamp: integer (or digit string) in a unit told by its
/// magnitude, or RFC 3339.
fn timestamp(v: &Json<'_>) -> Result<(Timestamp, Precision), RejectReason> {
    let from_int = |n: i128| -> Result<(Timestamp, Precision), RejectReason> {
        let a = n.unsigned_abs();
        Ok(if a >= 100_000_000_000_000_000 {
            (Timestamp::from_unix_nanos(n)?, Precision::Nanosecond)
        } else if a >= 100_000_000_000_000 {
            (Timestamp::from_unix_micros(i64::try_from(n).unwrap_or(i64::MAX))?, Precision::Microsecond)
        } else if a >= 100_000_000_000 {
            (Timestamp::from_unix_millis(i64::try_from(n).unwrap_or(i64::MAX))?, Precision::Millisecond)
        } else {
            (Timestamp::from_unix_seconds(i64::try_from(n).unwrap_or(i64::MAX))?, Precision::Second)
        })
    };
    match v {
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => from_int(i128::from(i)),
            (None, Some(u), _) => from_int(i128::from(u)),
            (None, None, Some(f)) => Ok((Timestamp::from_unix_seconds_f64(f)?, Precision::Microsecond)),
            _ => Err(RejectReason::Timestamp(n.to_string())),
        },
        Json::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            from_int(s.parse::<i128>().map_err(|_| RejectReason::Timestamp(s.to_string()))?)
        }
        Json::String(s) => {
            let ts = Timestamp::parse_rfc3339(s)?;
            // Precision from the fraction written, if any.
            let frac = s.split_once('.').map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count());
            let p = match frac {
                0 => Precision::Second,
                1..=3 => Precision::Millisecond,
                4..=6 => Precision::Microsecond,
                _ => Precision::Nanosecond,
            };
            Ok((ts, p))
        }
        other => Err(RejectReason::Timestamp(format!("{other}"))),
    }
}

/// [`Object::int_of`], naming a value that is present but not a whole number (a
/// string like `"12x4"`, a fraction, a negative size) in `attrs.<key>`.
fn checked_int(e: &mut Event<'_>, o: &Object<'_>, k: &str, key: &'static str) -> Option<i64> {
    let n = o.int_of(k);
    let bad = match (o.get(k), n) {
        (Some(Json::Null) | None, _) => false,
        (Some(_), None) => true,
        (Some(_), Some(v)) => key == "malformed_size" && v < 0,
    };
    if bad && let Some(v) = o.get(k) {
        e.attrs.push(key, v.to_string());
    }
    n
}

/// A header value as one string (Cloudflare logs arrays when duplicates are kept).
fn header_value(v: &Json<'_>) -> Option<String> {
    match v {
        Json::String(s) => Some(s.to_string()),
        Json::Array(a) => Some(a.iter().filter_map(Json::as_str).collect::<Vec<_>>().join(", ")),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse(pos: LinePos, line: &[u8]) -> Result<Event<'static>, RejectReason> {
    let v = Json::parse(line).map_err(|e| {
        let d = format!("not JSON: {e}");
        if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) }
    })?;
    let o = v.as_object().ok_or_else(|| RejectReason::Malformed("not a JSON object".into()))?;
    let (start, end) = (o.get("EdgeStartTimestamp"), o.get("EdgeEndTimestamp"));
    let (ts, precision, time_is) = match (start, end) {
        (Some(s), _) => {
            let (t, p) = timestamp(s)?;
            (t, p, "start")
        }
        (None, Some(e)) => {
            let (t, p) = timestamp(e)?;
            (t, p, "end")
        }
        (None, None) => return Err(RejectReason::Timestamp("no EdgeStartTimestamp or EdgeEndTimestamp".into())),
    };
    if !REQUEST_FIELDS.iter().any(|k| o.contains_key(k)) {
        return Err(RejectReason::Malformed(format!("no request field (one of {})", REQUEST_FIELDS.join(", "))));
    }
    let mut e = Event::new(EventKind::HttpRequest, ts, precision, pos.record());
    let own = |k: &str| o.text_of(k).map(|s| Cow::Owned(s.to_owned()));
    e.client_ip = own("ClientIP");
    e.user_agent = own("ClientRequestUserAgent");
    e.referrer = own("ClientRequestReferer");
    e.status = checked_int(&mut e, o, "EdgeResponseStatus", "malformed_status").and_then(|s| i32::try_from(s).ok());
    e.size = checked_int(&mut e, o, "EdgeResponseBytes", "malformed_size").filter(|&n| n >= 0);
    let host = o.text_of("ClientRequestHost");
    let scheme = o.text_of("ClientRequestScheme");
    if let Some(target) = o.text_of("ClientRequestURI").or_else(|| o.text_of("ClientRequestPath")) {
        e.url = Some(build_url(scheme, host, None, Cow::Owned(target.to_owned())));
    }
    e.attrs.push("time_is", time_is);
    if time_is == "start"
        && let Some(Ok((t, _))) = end.map(timestamp)
    {
        e.attrs.push("edge_end", t);
    }
    e.attrs.push_opt("method", own("ClientRequestMethod"));
    e.attrs.push_opt("protocol", own("ClientRequestProtocol"));
    e.attrs.push_opt("scheme", scheme.map(str::to_owned));
    e.attrs.push_opt("host", host.map(str::to_owned));
    e.attrs.push_opt("ray_id", own("RayID"));
    e.attrs.push_opt("parent_ray_id", own("ParentRayID"));
    let source = match o.get("ClientRequestSource") {
        Some(Json::String(s)) if !s.is_empty() => Some(s.to_string()),
        Some(Json::Number(n)) => {
            let name = n.as_u64().and_then(|i| usize::try_from(i).ok()).and_then(|i| SOURCES.get(i));
            Some(name.map_or_else(|| n.to_string(), |s| (*s).to_owned()))
        }
        _ => None,
    };
    if let Some(s) = &source
        && !s.eq_ignore_ascii_case("eyeball")
        && !s.eq_ignore_ascii_case("unknown")
    {
        e.auto = Some(true);
    }
    e.attrs.push_opt("request_source", source);
    if let Some(w) = o.flag_of("WorkerSubrequest") {
        if w {
            e.auto = Some(true);
        }
        e.attrs.push("worker_subrequest", w);
    }
    e.attrs.push_opt("origin_response_status", o.int_of("OriginResponseStatus"));
    e.attrs.push_opt("cache_status", own("CacheCacheStatus"));
    e.attrs.push_opt("cache_tiered_fill", o.flag_of("CacheTieredFill"));
    e.attrs.push_opt("edge_response_body_bytes", o.int_of("EdgeResponseBodyBytes"));
    e.attrs.push_opt("content_type", own("EdgeResponseContentType"));
    e.attrs.push_opt("country", own("ClientCountry"));
    e.attrs.push_opt("client_asn", o.int_of("ClientASN"));
    e.attrs.push_opt("colo", own("EdgeColoCode"));
    e.attrs.push_opt("zone_name", own("ZoneName"));
    e.attrs.push_opt("x_requested_with", own("ClientXRequestedWith"));
    if let Some(Json::Object(h)) = o.get("RequestHeaders") {
        let mut rest = serde_json::Map::new();
        for (name, value) in h {
            let Some(value) = header_value(value) else { continue };
            let lname = name.to_ascii_lowercase();
            match header_column(&lname) {
                Some(c) => set_header(&mut e, c, Cow::Owned(value)),
                None if lname == "range" => e.attrs.push("range", value),
                None => {
                    rest.insert(lname, serde_json::Value::String(value));
                }
            }
        }
        if !rest.is_empty() {
            e.attrs.push("request_headers", serde_json::Value::Object(rest).to_string());
        }
    }
    if let Some(Json::Object(h)) = o.get("ResponseHeaders") {
        let mut rest = serde_json::Map::new();
        for (name, value) in h {
            let Some(value) = header_value(value) else { continue };
            match name.to_ascii_lowercase().as_str() {
                "content-disposition" => e.attrs.push("content_disposition", value),
                "content-range" => e.attrs.push("content_range", value),
                other => {
                    rest.insert(other.to_owned(), serde_json::Value::String(value));
                }
            }
        }
        if !rest.is_empty() {
            e.attrs.push("response_headers", serde_json::Value::Object(rest).to_string());
        }
    }
    Ok(e)
}

impl LineParser for CloudflareLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        match parse(pos, line) {
            Ok(e) => {
                out.event(e);
                out.accepted();
            }
            Err(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
        }
    }
}

/// Does a JSON line look like an `http_requests` record?
fn looks_like(l: &[u8]) -> bool {
    l.first() == Some(&b'{')
        && Json::parse(l).is_ok_and(|v| {
            v.as_object().is_some_and(|o| {
                (o.contains_key("EdgeStartTimestamp") || o.contains_key("EdgeEndTimestamp"))
                    && REQUEST_FIELDS.iter().any(|k| o.contains_key(k))
            })
        })
}

impl Source for CloudflareHttp {
    fn id(&self) -> &'static str {
        "cloudflare.http"
    }

    fn description(&self) -> &'static str {
        "Cloudflare Logpush http_requests dataset (JSON lines, any field subset)"
    }

    fn version(&self) -> u32 {
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, None, looks_like)
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&CloudflareLines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(CloudflareLines)))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_formats() {
        let ns = timestamp(&Json::parse_str("1506702504433000200").unwrap()).ok();
        assert_eq!(
            ns.map(|(t, p)| (t.to_string(), p)),
            Some(("2017-09-29T16:28:24.433000Z".into(), Precision::Nanosecond))
        );
        let s = timestamp(&Json::parse_str("1506702504").unwrap()).ok();
        assert_eq!(s.map(|(t, p)| (t.to_string(), p)), Some(("2017-09-29T16:28:24.000000Z".into(), Precision::Second)));
        let r = timestamp(&Json::parse_str(r#""2017-09-29T16:28:24Z""#).unwrap()).ok();
        assert_eq!(r.map(|(t, p)| (t.to_string(), p)), Some(("2017-09-29T16:28:24.000000Z".into(), Precision::Second)));
        assert!(timestamp(&Json::parse_str(r#""yesterday""#).unwrap()).is_err());
        assert!(timestamp(&Json::Null).is_err());
    }
}
