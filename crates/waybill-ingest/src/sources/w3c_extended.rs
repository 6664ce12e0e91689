//! W3C extended log files: Microsoft IIS and Amazon CloudFront standard logs.
//!
//! # What it reads
//! Text logs whose columns are declared by `#Fields:` directives (W3C Working
//! Draft WD-logfile-960323). IIS writes space-separated lines (spaces inside
//! values become `+`) and repeats the header block when the service restarts,
//! possibly with other fields; CloudFront writes tab-separated, URL-encoded
//! values after `#Version: 1.0`. Gzip files (CloudFront delivers `.gz`) are read
//! transparently. Directives are not records.
//!
//! # Versions seen
//! IIS 6, IIS 7 (OWA), IIS 10 (plaso's samples), CloudFront standard logs with
//! 33 fields (Elastic's sample, including a cut-off record).
//!
//! # Events emitted
//! `http.request` per line at `date` + `time` (UTC by the standard): `client_ip`
//! (`c-ip`), `actor` (`cs-username`), `url` (scheme from `cs-protocol`, host from
//! `x-host-header`, `cs(Host)` or `s-computername`, port `s-port`, path
//! `cs-uri-stem`, query `cs-uri-query`), `referrer`, `user_agent`, `status`
//! (`sc-status`), `size` (`sc-bytes`). `attrs`: `method`, `variant` (`iis`,
//! `cloudfront`, `w3c`), `software`, `sub_status`, `win32_status`, `time_taken`,
//! `edge_location`, `edge_result_type`, `edge_request_id`, `range_start`,
//! `range_end`, `content_type`, `x_forwarded_for`, and other fields by name.
//! A status, size or port that is not a number (`2x0`) leaves the column empty
//! and keeps the raw text in `attrs.malformed_status` / `malformed_size` /
//! `malformed_port` (version 2; version 1 dropped it silently).
//!
//! # What it cannot tell us
//! No Fetch Metadata or purpose headers (the formats cannot log request headers
//! beyond `cs(…)` fields an administrator adds); CloudFront's time is when the
//! edge *finished* the response.
//!
//! # References
//! W3C WD-logfile; Microsoft IIS W3C logging docs; AWS CloudFront
//! `AccessLogs.md` (field list); plaso `winiis` parser (1, 12 and 3 events for
//! its samples).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason, Timestamp};

use crate::http::{build_url, header_to_column};
use crate::input::Input;
use crate::lines::LinePos;
use crate::source::{ClockHint, Probe, Sniff, Source, SourceError};

/// W3C extended logs (IIS, CloudFront).
pub struct W3cExtended;

#[derive(Debug, Default, Clone)]
struct Header {
    fields: Vec<String>,
    date: Option<String>,
    software: Option<String>,
}

impl Header {
    fn variant(&self) -> &'static str {
        if self.fields.iter().any(|f| f.starts_with("x-edge-")) {
            "cloudfront"
        } else if self.software.as_deref().is_some_and(|s| s.contains("Internet Information Services"))
            || self.fields.iter().any(|f| f == "s-sitename")
        {
            "iis"
        } else {
            "w3c"
        }
    }
}

fn decode_value<'a>(v: &'a str, variant: &str) -> Option<Cow<'a, str>> {
    if v == "-" || v.is_empty() {
        return None;
    }
    match variant {
        // CloudFront URL-encodes values (and double-encodes some); decode once.
        "cloudfront" => Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy()),
        // IIS writes spaces as '+'.
        _ if v.contains('+') => Some(Cow::Owned(v.replace('+', " "))),
        _ => Some(Cow::Borrowed(v)),
    }
}

fn parse_record<'a>(h: &'a Header, pos: LinePos, line: &'a str) -> Result<Event<'a>, RejectReason> {
    let values: Vec<&str> = if line.contains('\t') { line.split('\t').collect() } else { line.split(' ').collect() };
    if values.len() != h.fields.len() {
        let detail = format!("{} values for {} declared fields", values.len(), h.fields.len());
        return Err(if values.len() < h.fields.len() {
            RejectReason::Truncated(detail)
        } else {
            RejectReason::Malformed(detail)
        });
    }
    let get = |name: &str| h.fields.iter().position(|f| f.eq_ignore_ascii_case(name)).map(|i| values[i]);
    let variant = h.variant();
    let date = get("date")
        .map(str::to_owned)
        .or_else(|| h.date.as_ref().map(|d| d.split(' ').next().unwrap_or("").to_owned()));
    let time = get("time").ok_or_else(|| RejectReason::Malformed("no time field declared".into()))?;
    let date = date.ok_or_else(|| RejectReason::Malformed("no date field and no #Date directive".into()))?;
    let n = waybill_model::time::parse_naive(&format!("{date} {time}"))?;
    let precision = if time.contains('.') { Precision::Millisecond } else { Precision::Second };
    let ts: Timestamp = n.assume_utc()?;
    let mut e = Event::new(EventKind::HttpRequest, ts, precision, pos.record());
    e.attrs.push("variant", variant);
    if let Some(s) = &h.software {
        e.attrs.push("software", s.clone());
    }
    let mut host: Option<Cow<'a, str>> = None;
    let mut cs_host: Option<Cow<'a, str>> = None;
    let mut scheme: Option<Cow<'a, str>> = None;
    let mut port: Option<u16> = None;
    let mut stem: Option<Cow<'a, str>> = None;
    let mut query: Option<Cow<'a, str>> = None;
    for (name, raw) in h.fields.iter().zip(values.iter()) {
        let Some(v) = decode_value(raw, variant) else {
            continue;
        };
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "date" | "time" => {}
            "c-ip" => e.client_ip = Some(v),
            "cs-username" => e.actor = Some(v),
            "cs-method" => e.attrs.push("method", v),
            "cs-uri-stem" => stem = Some(v),
            "cs-uri-query" => query = Some(v),
            "cs-uri" => stem = Some(v),
            "sc-status" => e.status = crate::http::numeric(&mut e, "malformed_status", &v),
            "sc-bytes" => e.size = crate::http::size(&mut e, "malformed_size", &v),
            "cs-protocol" => scheme = Some(v),
            "s-port" => port = crate::http::numeric(&mut e, "malformed_port", &v),
            "x-host-header" => host = Some(v),
            "cs(host)" => cs_host = Some(v),
            "s-computername" => {
                e.attrs.push("server_name", v);
            }
            "sc-substatus" => e.attrs.push("sub_status", v),
            "sc-win32-status" => e.attrs.push("win32_status", v),
            "time-taken" => e.attrs.push("time_taken", v),
            "x-edge-location" => e.attrs.push("edge_location", v),
            "x-edge-result-type" => e.attrs.push("edge_result_type", v),
            "x-edge-response-result-type" => e.attrs.push("edge_response_result_type", v),
            "x-edge-detailed-result-type" => e.attrs.push("edge_detailed_result_type", v),
            "x-edge-request-id" => e.attrs.push("edge_request_id", v),
            "sc-range-start" => e.attrs.push("range_start", v),
            "sc-range-end" => e.attrs.push("range_end", v),
            "sc-content-type" => e.attrs.push("content_type", v),
            "x-forwarded-for" => e.attrs.push("x_forwarded_for", v),
            "s-ip" => e.attrs.push("server_ip", v),
            "s-sitename" => e.attrs.push("site_name", v),
            "cs-version" | "cs-protocol-version" => e.attrs.push("protocol", v),
            _ => {
                if let Some(h) = lname.strip_prefix("cs(").and_then(|s| s.strip_suffix(')')) {
                    let h = h.to_owned();
                    if !header_to_column(&mut e, &h, v.clone()) {
                        e.attrs.push(name.as_str(), v);
                    }
                } else {
                    e.attrs.push(name.as_str(), v);
                }
            }
        }
    }
    let host = host.or(cs_host);
    if let Some(stem) = stem {
        let target = match query {
            Some(q) => Cow::Owned(format!("{stem}?{q}")),
            None => stem,
        };
        e.url = Some(build_url(scheme.as_deref(), host.as_deref(), port, target));
    }
    Ok(e)
}

impl Source for W3cExtended {
    fn id(&self) -> &'static str {
        "w3c.extended"
    }

    fn description(&self) -> &'static str {
        "W3C extended log (#Fields): Microsoft IIS and Amazon CloudFront standard access logs"
    }

    fn version(&self) -> u32 {
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let mut directives = false;
        for line in probe.lines().take(20) {
            if line.starts_with(b"#Fields:") {
                return Sniff::Yes;
            }
            if line.starts_with(b"#Software:") || line.starts_with(b"#Version:") || line.starts_with(b"#Date:") {
                directives = true;
            } else if !line.starts_with(b"#") {
                break;
            }
        }
        if directives { Sniff::Maybe } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let mut header = Header::default();
        input.for_each_line(out, |pos, raw, out| {
            let line = String::from_utf8_lossy(raw);
            if let Some(d) = line.strip_prefix('#') {
                let (key, value) = d.split_once(':').map_or((d, ""), |(k, v)| (k.trim(), v.trim()));
                match key {
                    "Fields" => header.fields = value.split_whitespace().map(str::to_owned).collect(),
                    "Date" => header.date = Some(value.to_owned()),
                    "Software" => header.software = Some(value.to_owned()),
                    _ => {}
                }
                return;
            }
            if header.fields.is_empty() {
                out.reject(Reject {
                    record: pos.record(),
                    reason: RejectReason::Malformed("record before any #Fields directive".into()),
                    raw,
                });
                return;
            }
            match parse_record(&header, pos, line.trim_end_matches('\r')) {
                Ok(e) => {
                    out.event(e);
                    out.accepted();
                }
                Err(reason) => out.reject(Reject { record: pos.record(), reason, raw }),
            }
        })
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}
