//! Amazon S3 server access logs.
//!
//! # What it reads
//! The space-delimited log files S3 delivers to a target bucket: one request
//! per line, `"quoted"` request line, referrer and user agent, the time in
//! brackets (`[06/Feb/2019:00:00:38 +0000]`, UTC, when the request was
//! received), `-` for a field that is unknown or does not apply. Fields in order:
//! bucket owner, bucket, time, remote IP, requester, request ID, operation, key,
//! request URI, HTTP status, error code, bytes sent, object size, total time,
//! turn-around time, referrer, user agent, version ID, host ID, signature
//! version, cipher suite, authentication type, host header, TLS version, access
//! point ARN, aclRequired, source region. AWS appends fields over time and asks
//! parsers to tolerate unknown trailing ones: they are kept in `extra_fields`.
//!
//! # Versions seen
//! Lines of 17 fields (up to the user agent, the oldest layout) through 27
//! (with the source region); Elastic's real test file (24 fields, 2019) has a
//! `BATCH.DELETE.OBJECT` line whose quoted fields are bare `-`.
//!
//! # Events emitted
//! `http.request` per line, for every operation (`REST.GET.OBJECT`,
//! `REST.PUT.OBJECT`, `REST.COPY.OBJECT_GET`, `REST.HEAD.OBJECT`,
//! `WEBSITE.GET.OBJECT`, `BATCH.DELETE.OBJECT`, `S3.EXPIRE.OBJECT`, …) at the
//! time the request was received (second precision): `client_ip` (remote IP),
//! `actor` (requester: canonical ID or IAM ARN; none for `-`, an anonymous
//! request), `url` (`https://` + host header + request target when the host
//! header is logged, `http://` when no cipher or TLS version was negotiated;
//! else the target as logged), `path` (the key, URL-decoded), `status`, `size`
//! (bytes sent; `-` means zero), `referrer`, `user_agent`. `auto` = true for
//! lifecycle operations (`S3.*`, run by S3 itself) and for requesters that are
//! AWS service-linked roles (`assumed-role/AWSServiceRoleFor…`, which only the
//! linked service can assume); `attrs.auto_reason` says which.
//! `attrs`: `operation`, `method`, `protocol`, `request_uri` (when it is not a
//! request line), `bucket`, `bucket_owner`, `key` (as logged), `request_id`,
//! `error_code`, `object_size`, `total_time_ms`, `turn_around_ms`,
//! `version_id`, `host_id`, `sig_version`, `cipher`, `auth_type`
//! (`QueryString` = a presigned URL), `host_header`, `tls_version`,
//! `access_point_arn`, `acl_required`, `source_region`, `extra_fields`.
//!
//! # What it cannot tell us
//! No request headers other than Referer and User-Agent: no Fetch Metadata or
//! purpose headers. AWS documents delivery as best effort: a request may be
//! missing from the logs, so absence here proves nothing. A copy logs two
//! records (the source read and the destination write). The remote IP is the
//! apparent address; proxies hide the client.
//!
//! # References
//! AWS, "Amazon S3 server access log format" (`awsdocs/amazon-s3-userguide`
//! `doc_source/LogFormat.md`; current field list with aclRequired and source
//! region at docs.amazonaws.cn/en_us/AmazonS3/latest/userguide/LogFormat.md);
//! "Lifecycle and logging" (the `S3.EXPIRE.OBJECT`/`S3.TRANSITION_*` operations);
//! Elastic beats `x-pack/filebeat/module/aws/s3access` test log (real output).
//! plaso 20260720 has no S3 access-log parser.

use std::borrow::Cow;

use waybill_model::{Event, EventKind, EventSink, Precision, Reject, RejectReason, Timestamp, Value};

use crate::http::{build_url, dash_none, parse_request_line};
use crate::input::Input;
use crate::lines::LinePos;
use crate::logformat::parse_clf;
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Amazon S3 server access logs.
pub struct AwsS3Access;

struct S3Lines;

/// Field names in log order (after the bracketed time is read as one field).
const FIELDS: &[&str] = &[
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time_ms",
    "turn_around_ms",
    "referrer",
    "user_agent",
    "version_id",
    "host_id",
    "sig_version",
    "cipher",
    "auth_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
    "source_region",
];

/// The oldest layout ends with the user agent.
const MIN_FIELDS: usize = 17;

/// Why a line could not be split.
enum Split {
    /// A quoted or bracketed field is not closed.
    Unclosed(&'static str),
}

/// Splits on spaces, keeping `"quoted"` fields (with `\"` escapes) and
/// `[bracketed]` fields whole, without their delimiters.
fn tokens(line: &str) -> Result<Vec<Cow<'_, str>>, Split> {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(28);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' => i += 1,
            b'"' => {
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
                let v = line.get(start..j).ok_or(Split::Unclosed("quoted field"))?;
                if j >= b.len() {
                    return Err(Split::Unclosed("quoted field"));
                }
                out.push(if escaped {
                    Cow::Owned(v.replace("\\\"", "\"").replace("\\\\", "\\"))
                } else {
                    Cow::Borrowed(v)
                });
                i = j + 1;
            }
            b'[' => {
                let start = i + 1;
                let end = memchr::memchr(b']', &b[start..]).ok_or(Split::Unclosed("bracketed time"))? + start;
                out.push(Cow::Borrowed(line.get(start..end).ok_or(Split::Unclosed("bracketed time"))?));
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b' ' {
                    i += 1;
                }
                out.push(Cow::Borrowed(line.get(start..i).unwrap_or_default()));
            }
        }
    }
    Ok(out)
}

fn time(v: &str) -> Result<Timestamp, RejectReason> {
    let bad = || RejectReason::Timestamp(format!("time [{v}]"));
    let (naive, offset, _) = parse_clf(v.as_bytes()).ok_or_else(bad)?;
    Ok(naive.to_utc_with_offset(offset.unwrap_or(0))?)
}

fn is_operation(v: &str) -> bool {
    let Some((family, rest)) = v.split_once('.') else { return false };
    matches!(family, "REST" | "SOAP" | "WEBSITE" | "BATCH" | "S3")
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

fn is_canonical_id(v: &str) -> bool {
    v == "-" || (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A number field: `-` is `None`; anything else must be digits.
fn number(name: &str, v: &str) -> Result<Option<i64>, RejectReason> {
    if v == "-" {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| RejectReason::Value { field: name.to_owned(), detail: format!("not a number: {v:?}") })
}

fn parse(pos: LinePos, line: &str) -> Result<Event<'_>, RejectReason> {
    let toks = tokens(line).map_err(|Split::Unclosed(what)| {
        let d = format!("unclosed {what}");
        if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) }
    })?;
    if toks.len() < MIN_FIELDS {
        let d = format!("{} fields, at least {MIN_FIELDS} expected", toks.len());
        return Err(if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) });
    }
    let field = |name: &str| FIELDS.iter().position(|n| *n == name).and_then(|i| toks.get(i));
    let ts = time(field("time").map_or("", |t| t.as_ref()))?;
    let operation = field("operation").map_or("", |o| o.as_ref());
    if !is_operation(operation) {
        return Err(RejectReason::Value { field: "operation".into(), detail: format!("{operation:?}") });
    }
    let mut e = Event::new(EventKind::HttpRequest, ts, Precision::Second, pos.record());
    // Whether TLS was negotiated: a cipher or a TLS version is logged.
    let mut tls = None;
    let mut host = None;
    let mut target = None;
    let mut extra = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        let name = FIELDS.get(i).copied();
        if name == Some("bytes_sent") {
            // "The number of response bytes sent … or `-` if zero."
            e.size = Some(number("bytes_sent", tok)?.unwrap_or(0));
            continue;
        }
        let Some(v) = dash_none(tok.clone()) else {
            if matches!(name, Some("cipher" | "tls_version")) {
                tls = tls.or(Some(false));
            }
            continue;
        };
        match name {
            Some("time") => {}
            Some("remote_ip") => e.client_ip = Some(v),
            Some("requester") => {
                if v.contains(":assumed-role/AWSServiceRoleFor") {
                    e.auto = Some(true);
                    e.attrs.push("auto_reason", "service_linked_role");
                }
                e.actor = Some(v);
            }
            Some("operation") => {
                if v.starts_with("S3.") && e.auto.is_none() {
                    e.auto = Some(true);
                    e.attrs.push("auto_reason", "lifecycle");
                }
                e.attrs.push("operation", v);
            }
            Some("key") => {
                let decoded = percent_encoding::percent_decode_str(&v).decode_utf8().ok().map(Cow::into_owned);
                e.path = Some(decoded.map_or_else(|| v.clone(), Cow::Owned));
                e.attrs.push("key", v);
            }
            Some("request_uri") => target = Some(v),
            Some("http_status") => {
                e.status = number("http_status", &v)?.and_then(|s| i32::try_from(s).ok());
            }
            Some(n @ ("object_size" | "total_time_ms" | "turn_around_ms")) => {
                e.attrs.push_opt(n, number(n, &v)?);
            }
            Some("referrer") => e.referrer = Some(v),
            Some("user_agent") => e.user_agent = Some(v),
            Some(n @ ("cipher" | "tls_version")) => {
                tls = Some(true);
                e.attrs.push(n, v);
            }
            Some("host_header") => {
                host = Some(v.clone());
                e.attrs.push("host_header", v);
            }
            Some(n) => e.attrs.push(n, v),
            None => extra.push(v),
        }
    }
    if let Some(t) = target {
        match parse_request_line(&t) {
            Some(rl) => {
                e.attrs.push("method", rl.method.to_owned());
                e.attrs.push_opt("protocol", rl.protocol.map(str::to_owned));
                let scheme = match tls {
                    Some(true) => Some("https"),
                    Some(false) => Some("http"),
                    None => None,
                };
                e.url = Some(build_url(scheme, host.as_deref(), None, Cow::Owned(rl.target.to_owned())));
            }
            None => e.attrs.push("request_uri", t),
        }
    }
    if !extra.is_empty() {
        e.attrs.push("extra_fields", Value::List(extra));
    }
    Ok(e)
}

impl LineParser for S3Lines {
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

impl Source for AwsS3Access {
    fn id(&self) -> &'static str {
        "aws.s3_access"
    }

    fn description(&self) -> &'static str {
        "Amazon S3 server access log (space-delimited, delivered to a target bucket)"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        probe.judge_lines(10, None, |l| {
            let t = String::from_utf8_lossy(l);
            let Ok(toks) = tokens(&t) else { return false };
            toks.len() >= MIN_FIELDS
                && toks.first().is_some_and(|o| is_canonical_id(o))
                && toks.get(2).is_some_and(|t| time(t).is_ok())
                && toks.get(6).is_some_and(|o| is_operation(o))
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        crate::source::parse_lines(&S3Lines, input, out)
    }

    fn line_parser<'a>(&'a self, _ctx: &'a ParseContext) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(Some(Box::new(S3Lines)))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_brackets_and_quotes() {
        let Ok(t) = tokens(r#"a b [06/Feb/2019:00:00:38 +0000] "GET /x HTTP/1.1" - "say \"hi\"""#) else {
            panic!("split")
        };
        assert_eq!(t, vec!["a", "b", "06/Feb/2019:00:00:38 +0000", "GET /x HTTP/1.1", "-", "say \"hi\""]);
        assert!(tokens(r#"a "open"#).is_err());
        assert!(tokens("a [06/Feb").is_err());
    }

    #[test]
    fn operations() {
        for ok in
            ["REST.GET.OBJECT", "WEBSITE.GET.OBJECT", "BATCH.DELETE.OBJECT", "S3.EXPIRE.OBJECT", "SOAP.CreateBucket"]
        {
            assert!(is_operation(ok), "{ok}");
        }
        assert!(!is_operation("GET"));
        assert!(!is_operation("HTTP/1.1"));
    }
}
