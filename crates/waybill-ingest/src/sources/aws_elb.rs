//! AWS Elastic Load Balancing access logs (Application, Network and Classic).
//!
//! # What it reads
//! One request per line, space-separated with quoted fields. Application Load
//! Balancer lines start with the request type (`http`, `https`, `h2`, `grpcs`,
//! `ws`, `wss`); Network Load Balancer TLS lines start with `tls` and the log
//! version; Classic Load Balancer lines start with the time. Later versions
//! append fields; unknown trailing fields are kept by position.
//!
//! # Versions seen
//! ALB lines with 29–30 fields, NLB `tls 2.0` lines and classic ELB lines
//! (plaso's sanitized sample).
//!
//! # Events emitted
//! `http.request` per line at `request_creation_time` when logged (ALB: when the
//! load balancer received the request), else at `time` (when it sent the
//! response): `client_ip`, `url` (the absolute URL of the request line),
//! `user_agent`, `status` (`elb_status_code`), `size` (`sent_bytes`). `attrs`:
//! `type`, `method`, `protocol`, `response_time`, `elb`, `client_port`, `target`,
//! `target_status_code`, `received_bytes`, processing times, `ssl_cipher`,
//! `ssl_protocol`, `target_group_arn`, `trace_id`, `domain_name`,
//! `chosen_cert_arn`, `matched_rule_priority`, `actions_executed`,
//! `redirect_url`, `error_reason`, `classification`.
//!
//! `net.connection` per NLB TLS line at `time` (the end of the connection,
//! UTC): `client_ip`, `size` (`sent_bytes`); `attrs`: `listener`,
//! `destination`, `connection_time_ms`, `tls_handshake_time_ms`,
//! `received_bytes`, `domain_name` (SNI), `tls_cipher`, `tls_protocol_version`,
//! `alpn_*`, `tls_connection_creation_time`.
//!
//! A status or size that is not a number (`2x0`) leaves the column empty and
//! keeps the raw text in `attrs.malformed_status` / `malformed_size` (version
//! 2; version 1 dropped it silently).
//!
//! # What it cannot tell us
//! No request headers other than the user agent: no Referer, no Fetch Metadata.
//!
//! # References
//! AWS "Access logs for your Application Load Balancer" and Classic ELB docs;
//! plaso `aws_elb_access` (16 lines → 26 events: it emits both times).

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason, Timestamp};

use crate::http::{dash_none, parse_request_line};
use crate::input::Input;
use crate::lines::LinePos;
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// AWS ELB/ALB access logs.
pub struct AwsElb;

struct ElbLines;

const ALB_FIELDS: &[&str] = &[
    "type",
    "time",
    "elb",
    "client",
    "target",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target_port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
];
const NLB_FIELDS: &[&str] = &[
    "type",
    "version",
    "time",
    "elb",
    "listener",
    "client",
    "destination",
    "connection_time_ms",
    "tls_handshake_time_ms",
    "received_bytes",
    "sent_bytes",
    "incoming_tls_alert",
    "chosen_cert_arn",
    "chosen_cert_serial",
    "tls_cipher",
    "tls_protocol_version",
    "tls_named_group",
    "domain_name",
    "alpn_fe_protocol",
    "alpn_be_protocol",
    "alpn_client_preference_list",
    "tls_connection_creation_time",
];
const CLASSIC_FIELDS: &[&str] = &[
    "time",
    "elb",
    "client",
    "target",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
];

/// Splits on spaces, keeping `"quoted fields"` (with `\"` escapes) whole and unquoted.
fn tokens(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(32);
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            while j < b.len() && b[j] != b'"' {
                if b[j] == b'\\' {
                    escaped = true;
                    j += 1;
                }
                j += 1;
            }
            if j >= b.len() {
                return None;
            }
            let v = &line[start..j];
            out.push(if escaped {
                Cow::Owned(v.replace("\\\"", "\"").replace("\\\\", "\\"))
            } else {
                Cow::Borrowed(v)
            });
            i = j + 1;
        } else {
            let start = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            out.push(Cow::Borrowed(&line[start..i]));
        }
    }
    Some(out)
}

fn is_alb_type(t: &str) -> bool {
    matches!(t, "http" | "https" | "h2" | "grpcs" | "ws" | "wss")
}

fn split_host_port(v: &str) -> (&str, Option<&str>) {
    match v.rfind(':') {
        Some(i) if v[i + 1..].bytes().all(|b| b.is_ascii_digit()) && i > 0 => (&v[..i], Some(&v[i + 1..])),
        _ => (v, None),
    }
}

/// NLB times are ISO 8601 without a zone; AWS documents them as UTC.
fn nlb_time(v: &str) -> Result<Timestamp, RejectReason> {
    Timestamp::parse_rfc3339(v)
        .or_else(|_| waybill_model::time::parse_naive(v).and_then(|n| n.assume_utc()))
        .map_err(Into::into)
}

fn parse_nlb(pos: LinePos, toks: &[Cow<'_, str>]) -> Result<Event<'static>, RejectReason> {
    if toks.len() < 18 {
        let detail = format!("{} fields, at least 18 expected for a TLS line", toks.len());
        return Err(if pos.terminated { RejectReason::Malformed(detail) } else { RejectReason::Truncated(detail) });
    }
    let ts = nlb_time(&toks[2])?;
    let mut e = Event::new(EventKind::NetConnection, ts, Precision::Second, pos.record());
    for (i, tok) in toks.iter().enumerate() {
        let Some(v) = dash_none(tok.clone()) else {
            continue;
        };
        match NLB_FIELDS.get(i).copied() {
            Some("time") => {}
            Some("client") => {
                let (ip, port) = split_host_port(&v);
                e.client_ip = Some(Cow::Owned(ip.to_owned()));
                if let Some(p) = port {
                    e.attrs.push("client_port", p.to_owned());
                }
            }
            Some("sent_bytes") => e.size = crate::http::size(&mut e, "malformed_size", &v),
            Some("tls_connection_creation_time") => match nlb_time(&v) {
                Ok(t) => e.attrs.push("tls_connection_creation_time", t),
                Err(_) => e.attrs.push("tls_connection_creation_time", v.into_owned()),
            },
            Some(n) => e.attrs.push(n, v.into_owned()),
            None => e.attrs.push("extra", v.into_owned()),
        }
    }
    Ok(e)
}

fn parse(pos: LinePos, line: &str) -> Result<Event<'_>, RejectReason> {
    let toks = tokens(line).ok_or_else(|| RejectReason::Malformed("unterminated quoted field".into()))?;
    let first = toks.first().ok_or_else(|| RejectReason::Malformed("empty".into()))?;
    if first == "tls" {
        return parse_nlb(pos, &toks);
    }
    let names = if is_alb_type(first) { ALB_FIELDS } else { CLASSIC_FIELDS };
    let min = if is_alb_type(first) { 25 } else { 15 };
    if toks.len() < min {
        let detail = format!("{} fields, at least {min} expected", toks.len());
        return Err(if pos.terminated { RejectReason::Malformed(detail) } else { RejectReason::Truncated(detail) });
    }
    let get = |name: &str| names.iter().position(|n| *n == name).and_then(|i| toks.get(i)).cloned();
    let time = get("time").ok_or_else(|| RejectReason::Malformed("no time".into()))?;
    let response_ts = Timestamp::parse_rfc3339(&time)?;
    let created =
        get("request_creation_time").and_then(|c| dash_none(c)).map(|c| Timestamp::parse_rfc3339(&c)).transpose()?;
    let mut e =
        Event::new(EventKind::HttpRequest, created.unwrap_or(response_ts), Precision::Microsecond, pos.record());
    if created.is_some() {
        e.attrs.push("response_time", response_ts);
    }
    for (i, tok) in toks.iter().enumerate() {
        let name = names.get(i).copied();
        let Some(v) = dash_none(tok.clone()) else {
            continue;
        };
        match name {
            Some("time" | "request_creation_time") => {}
            Some("client") => {
                let (ip, port) = split_host_port(&v);
                e.client_ip = Some(Cow::Owned(ip.to_owned()));
                if let Some(p) = port {
                    e.attrs.push("client_port", p.to_owned());
                }
            }
            Some("request") => match parse_request_line(&v) {
                Some(rl) => {
                    e.attrs.push("method", rl.method.to_owned());
                    if let Some(p) = rl.protocol {
                        e.attrs.push("protocol", p.to_owned());
                    }
                    e.url = Some(Cow::Owned(rl.target.to_owned()));
                }
                None => e.attrs.push("request", v),
            },
            Some("user_agent") => e.user_agent = Some(v),
            Some("elb_status_code") => e.status = crate::http::numeric(&mut e, "malformed_status", &v),
            Some("sent_bytes") => e.size = crate::http::size(&mut e, "malformed_size", &v),
            Some(n) => e.attrs.push(n, v),
            None => e.attrs.push("extra", v),
        }
    }
    Ok(e)
}

impl LineParser for ElbLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let text = String::from_utf8_lossy(line);
        match parse(pos, &text) {
            Ok(e) => {
                out.event(e);
                out.accepted();
            }
            Err(reason) => out.reject(Reject { record: pos.record(), reason, raw: line }),
        }
    }
}

impl Source for AwsElb {
    fn id(&self) -> &'static str {
        "aws.elb"
    }

    fn description(&self) -> &'static str {
        "AWS Elastic Load Balancing access log (Application, Network (TLS) and Classic Load Balancer)"
    }

    fn version(&self) -> u32 {
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, None, |l| {
            let t = String::from_utf8_lossy(l);
            let Some(toks) = tokens(&t) else { return false };
            let (time_idx, client_idx) = match toks.first().map(AsRef::as_ref) {
                Some("tls") => (2, 5),
                Some(f) if is_alb_type(f) => (1, 3),
                _ => (0, 2),
            };
            toks.len() >= 15
                && toks.get(time_idx).is_some_and(|t| nlb_time(t).is_ok())
                && toks.get(client_idx).is_some_and(|c| split_host_port(c).1.is_some())
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&ElbLines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(ElbLines)))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}
