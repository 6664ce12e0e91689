//! AWS CloudTrail event records.
//!
//! # What it reads
//! - The files a trail delivers to S3: one JSON document `{"Records":[…]}`
//!   (gzip or plain), normally on one line; pretty-printed copies and several
//!   documents in one file (concatenated downloads) are read too. Each element
//!   of `Records` is a record (`Records[i]`, `i` counted across the documents of
//!   the file). A document cut short keeps the records before the cut; the rest
//!   is one reject.
//! - JSON lines, one event per line (CloudTrail Lake / Athena / SIEM exports),
//!   and the `LookupEvents` shape (`aws cloudtrail lookup-events` output, one
//!   event per line with the record as a JSON string in `CloudTrailEvent`), the
//!   shape plaso's `aws_cloudtrail_log` parser reads. Each line is a record.
//!
//! A delivered document on one line may be up to 32 MiB, as the first line of
//! a file or as a later line of JSON Lines (`zcat *.json.gz` writes each
//! delivered file as one line); a pretty-printed document up to 256 MiB.
//!
//! # Versions seen
//! `eventVersion` 1.0–1.11 in AWS's documented examples; the fixtures follow the
//! documented record contents. Two records of plaso's `aws_cloudtrail.jsonl`
//! (LookupEvents shape, `EventTime` `2022-02-08 09:23:37+11:00`) checked against
//! plaso 20260720: the same time (22:23:37Z), source IP and ARN for the
//! `DescribeInstances` call; plaso also emits the `SharedSnapshotVolumeCreated`
//! service event (with `ec2.amazonaws.com` as its source IP), which is a record
//! without an event here. plaso decides a whole file from its first line, so it
//! reads nothing of a file whose first line is a plain CloudTrail record.
//!
//! # Events emitted
//! At `eventTime` (UTC, second precision; AWS: when the request was completed):
//! - S3 data events (`eventSource` `s3.amazonaws.com`): `GetObject` →
//!   `cloud.download` (`size` = `additionalEventData.bytesTransferredOut`);
//!   `PutObject`, `CopyObject`, `CompleteMultipartUpload` → `cloud.upload`
//!   (`size` = `bytesTransferredIn` for `PutObject` only: a copy moves the
//!   bytes inside S3 and a completion sends only the part list); every other S3
//!   call (`HeadObject`, `DeleteObject`, `CreateMultipartUpload`, `UploadPart`,
//!   bucket calls …) → `http.request`. `url` = `s3://bucket/key` (CloudTrail
//!   logs no request URL), `path` = the key; the bucket and key come from
//!   `requestParameters`, else from the `AWS::S3::Object` resource ARN.
//! - `ConsoleLogin` with `Success` → `session.logon`.
//! - Every other API call or console action, of any service → `http.request`
//!   (an API call is an HTTPS request to the service's endpoint); `attrs`
//!   name the service and call.
//! - AWS service events (`eventType` `AwsServiceEvent`) that touch no S3 object
//!   (key rotation, Batch Operations job status …) and Insights events are
//!   accepted records with no event: they are not anyone's request and name no
//!   file.
//!
//! Columns: `actor` (`userIdentity.arn`, else `userName`, `principalId`,
//! `invokedBy`), `client_ip` (`sourceIPAddress` only when it is an IP address;
//! a service name such as `s3.amazonaws.com` or `AWS Internal` goes to
//! `attrs.source_service`), `user_agent`. `auto` = true on S3 object events made
//! by AWS itself: `userIdentity.type` `AWSService`, `invokedBy`
//! `s3.amazonaws.com` or `AWS Internal` (replication, Batch Operations), or
//! `eventType` `AwsServiceEvent`; `attrs.auto_reason` says which. Other events
//! keep `attrs.invoked_by` without `auto`: a service calling KMS or S3 on a
//! user's behalf still follows that user's request.
//! `attrs`: `event_name`, `event_source`, `event_type`, `event_category`,
//! `aws_region`, `identity_type`, `principal_id`, `account_id`,
//! `access_key_id`, `user_name`, `invoked_by`, `session_issuer`,
//! `mfa_authenticated`, `session_created`, `source_service`, `bucket`,
//! `version_id`, `copy_source`, `host`, `bytes_transferred_in`,
//! `bytes_transferred_out`, `auth_method` (`QueryString` = presigned URL),
//! `signature_version`, `tls_version`, `cipher_suite`, `error_code`,
//! `error_message`, `read_only`, `management_event`, `event_id`, `request_id`,
//! `shared_event_id`, `recipient_account_id`, `vpc_endpoint_id`,
//! `login_result`, `mfa_used`, `auto_reason`, `form` (`lookup_events`).
//!
//! # What it cannot tell us
//! No HTTP status, referrer or request headers; no request URL. S3 data events
//! are logged only when the trail selects them (they are off by default), and
//! lifecycle actions never appear (they use internal endpoints). Records in a
//! file are not in time order. `sourceIPAddress` of a console request is the
//! user's address even though `userAgent` names the console.
//!
//! # References
//! AWS CloudTrail User Guide: "CloudTrail record contents for management, data,
//! and network activity events" (`eventTime` is when the request completed, in
//! UTC), "CloudTrail userIdentity element", "AWS service events" (`AwsServiceEvent`,
//! `sourceIPAddress` `AWS Internal`); Amazon S3 User Guide "CloudTrail log file
//! entries for Amazon S3" and the Batch Operations example (`invokedBy`
//! `s3.amazonaws.com`); CloudTrail API Reference `Event` (LookupEvents);
//! plaso `plaso/parsers/jsonl_plugins/aws_cloudtrail_log.py`.

use std::borrow::Cow;
use std::net::IpAddr;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::json::Json;
use crate::lines::{CHUNK_SIZE, LinePos};
use crate::par::{ParseFn, Pipeline};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// AWS CloudTrail logs.
pub struct AwsCloudtrail;

/// Largest pretty-printed (multi-line) document read.
const DOC_LIMIT: usize = 256 << 20;

/// A string or the first string of an array (`requestParameters.host` is either).
fn first_text(v: Option<&Json<'_>>) -> Option<String> {
    match v? {
        Json::String(s) if !s.is_empty() => Some(s.to_string()),
        Json::Array(a) => a.iter().filter_map(Json::as_str).find(|s| !s.is_empty()).map(str::to_owned),
        _ => None,
    }
}

fn event_time(v: &Json<'_>, outer: Option<&Json<'_>>) -> Result<Timestamp, RejectReason> {
    if let Some(t) = v.text_of("eventTime") {
        return Ok(Timestamp::parse_rfc3339(t)?);
    }
    // LookupEvents: the inner record lacks it only if damaged; the outer
    // `EventTime` is RFC 3339 (CLI) or epoch seconds (some SDK dumps).
    match outer.and_then(|o| o.get("EventTime")) {
        Some(Json::String(s)) => Ok(Timestamp::parse_rfc3339(s)?),
        Some(Json::Number(n)) => Ok(Timestamp::from_unix_seconds_f64(n.as_f64().unwrap_or(f64::NAN))?),
        _ => Err(RejectReason::Timestamp("no eventTime".into())),
    }
}

/// S3 calls that deliver an object to the caller or store one.
fn s3_kind(name: &str) -> EventKind {
    match name {
        "GetObject" => EventKind::CloudDownload,
        "PutObject" | "CopyObject" | "CompleteMultipartUpload" => EventKind::CloudUpload,
        _ => EventKind::HttpRequest,
    }
}

/// The bucket and key from `requestParameters`, else from an `AWS::S3::Object` resource ARN.
fn bucket_key(v: &Json<'_>) -> (Option<String>, Option<String>) {
    let params = v.get("requestParameters").filter(|p| p.is_object());
    let bucket = params.and_then(|p| p.text_of("bucketName").map(str::to_owned));
    let key = params.and_then(|p| p.text_of("key").map(str::to_owned));
    if key.is_some() {
        return (bucket, key);
    }
    let from_arn = v.get("resources").and_then(Json::as_array).and_then(|rs| {
        rs.iter().find(|r| r.text_of("type") == Some("AWS::S3::Object")).and_then(|r| r.text_of("ARN")).and_then(
            |arn| {
                let rest = arn.split_once(":::").map(|(_, r)| r)?;
                let (b, k) = rest.split_once('/')?;
                Some((b.to_owned(), k.to_owned()))
            },
        )
    });
    match from_arn {
        Some((b, k)) => (bucket.or(Some(b)), Some(k)),
        None => (bucket, None),
    }
}

/// One CloudTrail record → at most one event (`None`: accepted without an event).
fn record_event(v: &Json<'_>, record: RecordRef) -> Result<Option<Event<'static>>, RejectReason> {
    if !v.is_object() {
        return Err(RejectReason::Malformed("a record must be a JSON object".into()));
    }
    // LookupEvents output: the record is a JSON string in `CloudTrailEvent`.
    if let Some(inner) = v.text_of("CloudTrailEvent") {
        let parsed = Json::parse_str(inner)
            .map_err(|e| RejectReason::Value { field: "CloudTrailEvent".into(), detail: format!("not JSON: {e}") })?;
        let mut e = build(&parsed, Some(v), record)?;
        if let Some(e) = e.as_mut() {
            e.attrs.push("form", "lookup_events");
        }
        return Ok(e);
    }
    build(v, None, record)
}

fn build(v: &Json<'_>, outer: Option<&Json<'_>>, record: RecordRef) -> Result<Option<Event<'static>>, RejectReason> {
    let name = v.text_of("eventName").or_else(|| outer.and_then(|o| o.text_of("EventName")));
    let source = v.text_of("eventSource").or_else(|| outer.and_then(|o| o.text_of("EventSource")));
    let (Some(name), Some(source)) = (name, source) else {
        return Err(RejectReason::Malformed("not a CloudTrail record (no eventName or eventSource)".into()));
    };
    let ts = event_time(v, outer)?;
    let event_type = v.text_of("eventType");
    let is_s3 = matches!(source, "s3.amazonaws.com" | "s3express.amazonaws.com");
    let (bucket, key) = if is_s3 { bucket_key(v) } else { (None, None) };
    let kind = match event_type {
        Some("AwsServiceEvent") if key.is_none() => return Ok(None),
        Some("AwsCloudTrailInsight") => return Ok(None),
        Some("AwsConsoleSignIn")
            if name == "ConsoleLogin"
                && v.get("responseElements").and_then(|r| r.text_of("ConsoleLogin")) == Some("Success") =>
        {
            EventKind::SessionLogon
        }
        _ if is_s3 => s3_kind(name),
        _ => EventKind::HttpRequest,
    };
    let mut e = Event::new(kind, ts, Precision::Second, record);
    let empty = Json::Null;
    let id = v.get("userIdentity").filter(|u| u.is_object()).unwrap_or(&empty);
    let identity_type = id.text_of("type");
    let invoked_by = id.text_of("invokedBy");
    e.actor = id
        .text_of("arn")
        .map(str::to_owned)
        .or_else(|| id.text_of("userName").map(str::to_owned))
        .or_else(|| id.text_of("principalId").map(str::to_owned))
        .or_else(|| invoked_by.map(str::to_owned))
        .map(Cow::Owned);
    if let Some(ip) = v.text_of("sourceIPAddress") {
        if ip.parse::<IpAddr>().is_ok() {
            e.client_ip = Some(Cow::Owned(ip.to_owned()));
        } else {
            e.attrs.push("source_service", ip.to_owned());
        }
    }
    e.user_agent = v.text_of("userAgent").map(str::to_owned).map(Cow::Owned);
    let extra = v.get("additionalEventData").filter(|x| x.is_object()).unwrap_or(&empty);
    let bytes_in = extra.int_of("bytesTransferredIn");
    let bytes_out = extra.int_of("bytesTransferredOut");
    // The object's bytes crossed the wire only in a GetObject (out) or a
    // PutObject (in); a copy moves them inside S3 and a multipart completion
    // sends only the part list, so their byte counts stay in `attrs`.
    match name {
        "GetObject" => e.size = bytes_out,
        "PutObject" => e.size = bytes_in,
        _ => {}
    }
    if let Some(k) = &key {
        e.path = Some(Cow::Owned(k.clone()));
        if let Some(b) = &bucket {
            e.url = Some(Cow::Owned(format!("s3://{b}/{k}")));
        }
    }
    if is_s3 && key.is_some() {
        let reason = if identity_type == Some("AWSService") {
            Some("aws_service_identity")
        } else if matches!(invoked_by, Some("s3.amazonaws.com" | "AWS Internal")) {
            Some("invoked_by_s3")
        } else if event_type == Some("AwsServiceEvent") {
            Some("service_event")
        } else {
            None
        };
        if let Some(r) = reason {
            e.auto = Some(true);
            e.attrs.push("auto_reason", r);
        }
    }
    e.attrs.push("event_name", name.to_owned());
    e.attrs.push("event_source", source.to_owned());
    e.attrs.push_opt("event_type", event_type.map(str::to_owned));
    e.attrs.push_opt("event_category", v.text_of("eventCategory").map(str::to_owned));
    e.attrs.push_opt("aws_region", v.text_of("awsRegion").map(str::to_owned));
    e.attrs.push_opt("identity_type", identity_type.map(str::to_owned));
    e.attrs.push_opt("principal_id", id.text_of("principalId").map(str::to_owned));
    e.attrs.push_opt("account_id", id.text_of("accountId").map(str::to_owned));
    e.attrs.push_opt("access_key_id", id.text_of("accessKeyId").map(str::to_owned));
    e.attrs.push_opt("user_name", id.text_of("userName").map(str::to_owned));
    e.attrs.push_opt("invoked_by", invoked_by.map(str::to_owned));
    if let Some(ctx) = id.get("sessionContext").filter(|c| c.is_object()) {
        e.attrs.push_opt("session_issuer", ctx.get("sessionIssuer").and_then(|i| i.text_of("arn").map(str::to_owned)));
        if let Some(a) = ctx.get("attributes") {
            e.attrs.push_opt("mfa_authenticated", a.flag_of("mfaAuthenticated"));
            if let Some(c) = a.text_of("creationDate") {
                match Timestamp::parse_rfc3339(c) {
                    Ok(t) => e.attrs.push("session_created", t),
                    Err(_) => e.attrs.push("session_created", c.to_owned()),
                }
            }
        }
    }
    e.attrs.push_opt("bucket", bucket);
    let params = v.get("requestParameters").filter(|p| p.is_object()).unwrap_or(&empty);
    let response = v.get("responseElements").filter(|p| p.is_object()).unwrap_or(&empty);
    e.attrs.push_opt(
        "version_id",
        params
            .text_of("versionId")
            .map(str::to_owned)
            .or_else(|| response.text_of("x-amz-version-id").map(str::to_owned)),
    );
    e.attrs.push_opt("copy_source", params.text_of("x-amz-copy-source").map(str::to_owned));
    e.attrs.push_opt("host", first_text(params.get("Host").or_else(|| params.get("host"))));
    e.attrs.push_opt("bytes_transferred_in", bytes_in);
    e.attrs.push_opt("bytes_transferred_out", bytes_out);
    e.attrs.push_opt("auth_method", extra.text_of("AuthenticationMethod").map(str::to_owned));
    e.attrs.push_opt("signature_version", extra.text_of("SignatureVersion").map(str::to_owned));
    let tls = v.get("tlsDetails").filter(|t| t.is_object()).unwrap_or(&empty);
    e.attrs.push_opt("tls_version", tls.text_of("tlsVersion").map(str::to_owned));
    e.attrs.push_opt(
        "cipher_suite",
        tls.text_of("cipherSuite").map(str::to_owned).or_else(|| extra.text_of("CipherSuite").map(str::to_owned)),
    );
    e.attrs.push_opt("error_code", v.text_of("errorCode").map(str::to_owned));
    e.attrs.push_opt("error_message", v.text_of("errorMessage").map(str::to_owned));
    e.attrs.push_opt("read_only", v.flag_of("readOnly").or_else(|| outer.and_then(|o| o.flag_of("ReadOnly"))));
    e.attrs.push_opt("management_event", v.flag_of("managementEvent"));
    e.attrs.push_opt("event_id", v.text_of("eventID").map(str::to_owned));
    e.attrs.push_opt("request_id", v.text_of("requestID").map(str::to_owned));
    e.attrs.push_opt("shared_event_id", v.text_of("sharedEventID").map(str::to_owned));
    e.attrs.push_opt("recipient_account_id", v.text_of("recipientAccountId").map(str::to_owned));
    e.attrs.push_opt("vpc_endpoint_id", v.text_of("vpcEndpointId").map(str::to_owned));
    if name == "ConsoleLogin" {
        e.attrs.push_opt("login_result", response.text_of("ConsoleLogin").map(str::to_owned));
        e.attrs.push_opt("mfa_used", extra.text_of("MFAUsed").map(str::to_owned));
    }
    Ok(Some(e))
}

/// Accepts or rejects one record.
fn emit(v: &Json<'_>, record: RecordRef, raw: &[u8], out: &mut dyn EventSink) {
    emit_outcome(record_event(v, record), record, raw, out);
}

/// Accepts or rejects one record whose event is mapped.
fn emit_outcome(
    outcome: Result<Option<Event<'static>>, RejectReason>,
    record: RecordRef,
    raw: &[u8],
    out: &mut dyn EventSink,
) {
    match outcome {
        Ok(Some(e)) => {
            out.event(e);
            out.accepted();
        }
        Ok(None) => out.accepted(),
        Err(reason) => out.reject(Reject { record, reason, raw }),
    }
}

fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while b.get(p).is_some_and(u8::is_ascii_whitespace) {
        p += 1;
    }
    p
}

/// Where the `Records` array's first element starts, when the document opens
/// with `{"Records":[` (whitespace allowed).
fn records_start(b: &[u8]) -> Option<usize> {
    let mut p = skip_ws(b, 0);
    if b.get(p) != Some(&b'{') {
        return None;
    }
    p = skip_ws(b, p + 1);
    if !b.get(p..)?.starts_with(b"\"Records\"") {
        return None;
    }
    p = skip_ws(b, p + 9);
    if b.get(p) != Some(&b':') {
        return None;
    }
    p = skip_ws(b, p + 1);
    (b.get(p) == Some(&b'[')).then_some(p + 1)
}

/// How a scan of documents ended.
enum End {
    /// Every document was closed.
    Complete,
    /// The content ends inside a document (more lines may complete it).
    Cut(RejectReason, usize),
    /// The content is not a document here.
    Bad(RejectReason, usize),
}

/// Finds the records of the `{"Records":[…]}` documents in `b` (one, or several
/// back to back as concatenated downloads give), as byte ranges. Element by
/// element, so a cut-off document keeps what came before the cut.
fn find_records(b: &[u8], found: &mut Vec<(usize, usize)>) -> End {
    let mut p = 0;
    loop {
        p = skip_ws(b, p);
        if p >= b.len() {
            return End::Complete;
        }
        let Some(q) = b.get(p..).and_then(records_start) else {
            let d = "content after a document is not a {\"Records\":[…]} document".to_owned();
            return End::Bad(RejectReason::Malformed(d), p);
        };
        p += q;
        // The elements.
        loop {
            p = skip_ws(b, p);
            match b.get(p) {
                Some(b']') => {
                    p += 1;
                    break;
                }
                None => return End::Cut(RejectReason::Truncated("document ends inside the Records array".into()), p),
                Some(_) => {}
            }
            let mut it = serde_json::Deserializer::from_slice(&b[p..]).into_iter::<serde::de::IgnoredAny>();
            match it.next() {
                Some(Ok(_)) => {}
                Some(Err(e)) if !e.is_eof() => {
                    return End::Bad(RejectReason::Malformed(format!("record is not JSON: {e}")), p);
                }
                _ => return End::Cut(RejectReason::Truncated("document ends inside a record".into()), p),
            }
            let end = p + it.byte_offset();
            found.push((p, end));
            p = skip_ws(b, end);
            match b.get(p) {
                Some(b',') => p += 1,
                Some(b']') => {
                    p += 1;
                    break;
                }
                None => {
                    let d = "document ends after a record of the Records array";
                    return End::Cut(RejectReason::Truncated(d.into()), p);
                }
                Some(c) => {
                    let d = format!("expected `,` or `]` after a record, found {:?}", char::from(*c));
                    return End::Bad(RejectReason::Malformed(d), p);
                }
            }
        }
        // Other members of the document after the array, then its `}`.
        loop {
            p = skip_ws(b, p);
            match b.get(p) {
                Some(b'}') => {
                    p += 1;
                    break;
                }
                Some(b',') => {
                    p += 1;
                    for _ in 0..2 {
                        p = skip_ws(b, p);
                        let mut it = serde_json::Deserializer::from_slice(&b[p..]).into_iter::<serde::de::IgnoredAny>();
                        match it.next() {
                            Some(Ok(_)) => p += it.byte_offset(),
                            _ => return End::Bad(RejectReason::Malformed("bad member after Records".into()), p),
                        }
                        p = skip_ws(b, p);
                        if b.get(p) == Some(&b':') {
                            p += 1;
                        }
                    }
                }
                // Cut after the array: every record was read, only the closing brace is lost.
                None => return End::Complete,
                Some(_) => return End::Bad(RejectReason::Malformed("bad content after Records".into()), p),
            }
        }
    }
}

/// Reads the records of the documents in `b`, which starts at `start`. `index`
/// numbers the records across the documents of one input. Returns `false`, and
/// emits nothing, when `last` is false and the content ends inside a document
/// (the caller reads on and scans again).
fn scan_document(b: &[u8], start: LinePos, index: &mut u64, out: &mut dyn EventSink, last: bool) -> bool {
    if records_start(b).is_none() {
        whole_document(b, start, index, out);
        return true;
    }
    let mut found = Vec::new();
    let end = find_records(b, &mut found);
    if !last && matches!(end, End::Cut(..)) {
        return false;
    }
    // The records of a delivered file are parsed on every core, emitted in order.
    let base = *index;
    *index += found.len() as u64;
    let numbered: Vec<(u64, (usize, usize))> = (base..).zip(found).collect();
    let outcomes = crate::par::map_ordered(&numbered, |&(i, (s, e))| {
        let record = RecordRef::Item { list: "Records", index: i };
        Json::parse(&b[s..e])
            .map_err(|err| RejectReason::Malformed(format!("{err}")))
            .and_then(|v| record_event(&v, record))
    });
    for ((i, (s, e)), outcome) in numbered.into_iter().zip(outcomes) {
        emit_outcome(outcome, RecordRef::Item { list: "Records", index: i }, &b[s..e], out);
    }
    if let End::Cut(reason, at) | End::Bad(reason, at) = end {
        // Whatever followed (records of unknown number) is one reject.
        let record = RecordRef::Item { list: "Records", index: *index };
        *index += 1;
        let raw = b.get(at..).unwrap_or_default();
        out.reject(Reject { record, reason, raw: &raw[..raw.len().min(waybill_model::EXCERPT_LIMIT)] });
    }
    true
}

/// A JSON value read whole: a page with a `Records` member not in first place
/// (its elements are records), else one record (a JSON line, or a single
/// pretty-printed record).
fn whole_document(b: &[u8], start: LinePos, index: &mut u64, out: &mut dyn EventSink) {
    emit_whole(whole_outcome(b, start), b, start, index, out);
}

/// A value read whole, as parsed on a worker.
enum Whole<'a> {
    /// A page whose `Records` are numbered when emitted.
    Page(Json<'a>),
    /// One record, mapped.
    Record(Box<Result<Option<Event<'static>>, RejectReason>>),
}

impl Whole<'_> {
    /// The same outcome owning its text (to be handed to another thread).
    fn into_owned(self) -> Whole<'static> {
        match self {
            Whole::Page(v) => Whole::Page(v.into_owned()),
            Whole::Record(r) => Whole::Record(r),
        }
    }
}

fn whole_outcome(b: &[u8], start: LinePos) -> Whole<'_> {
    match Json::parse(b) {
        Ok(v) if v.get("Records").is_some_and(Json::is_array) => Whole::Page(v),
        Ok(v) => Whole::Record(Box::new(record_event(&v, start.record()))),
        Err(e) => {
            let d = format!("not JSON: {e}");
            let cut = e.is_eof() || !start.terminated;
            Whole::Record(Box::new(Err(if cut { RejectReason::Truncated(d) } else { RejectReason::Malformed(d) })))
        }
    }
}

fn emit_whole(outcome: Whole<'_>, b: &[u8], start: LinePos, index: &mut u64, out: &mut dyn EventSink) {
    match outcome {
        Whole::Page(o) => {
            let records = o.get("Records").and_then(Json::as_array).map_or(&[][..], Vec::as_slice);
            for r in records {
                let record = RecordRef::Item { list: "Records", index: *index };
                *index += 1;
                let raw = r.to_string();
                emit(r, record, raw.as_bytes(), out);
            }
        }
        Whole::Record(outcome) => emit_outcome(*outcome, start.record(), b, out),
    }
}

/// JSON Lines of CloudTrail records (LookupEvents output, exported event
/// lines), parsed by the driver's workers like any line format. A line that
/// holds a whole `{"Records":[…]}` file gives its records as
/// `offset … line … Records[i]`, numbered within the line.
struct CloudtrailLines;

impl LineParser for CloudtrailLines {
    /// A line may hold a response page: zero or more records.
    fn one_record_per_line(&self) -> bool {
        false
    }

    /// A line may be a whole delivered file (`zcat *.json.gz`): as long as
    /// the in-order reader reads.
    fn max_line(&self) -> usize {
        CHUNK_SIZE
    }

    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let line = if pos.offset == 0 { line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line) } else { line };
        match whole_outcome(line, pos) {
            Whole::Page(v) => {
                let records = v.get("Records").and_then(Json::as_array).map_or(&[][..], Vec::as_slice);
                for (index, r) in (0u64..).zip(records) {
                    let record = RecordRef::LineItem { offset: pos.offset, line: pos.line, list: "Records", index };
                    let raw = r.to_string();
                    emit(r, record, raw.as_bytes(), out);
                }
            }
            Whole::Record(outcome) => emit_outcome(*outcome, pos.record(), line, out),
        }
    }
}

/// Whether the first line of `head` (complete, byte order mark aside) is one
/// JSON record that is not a `Records` file: the input is JSON Lines.
fn starts_with_record_line(head: &[u8]) -> bool {
    let mut rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        let line = rest[..nl].trim_ascii();
        rest = &rest[nl + 1..];
        if line.is_empty() {
            continue;
        }
        return records_start(line).is_none()
            && Json::parse(line).is_ok_and(|v| v.is_object() && v.get("Records").is_none());
    }
    false
}

/// What the reader is in the middle of.
enum State {
    /// Lines are records, or whole documents.
    Lines,
    /// A document spread over lines, being collected.
    /// `seen` counts every byte of it, also past [`DOC_LIMIT`] (then `buf` stops growing).
    Document { start: LinePos, buf: Vec<u8>, seen: u64 },
}

fn parse_line(pos: LinePos, line: &[u8], index: &mut u64, out: &mut dyn EventSink) -> Option<State> {
    // A byte order mark (exports written on Windows) is not content.
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    if records_start(line).is_some() {
        if scan_document(line, pos, index, out, !pos.terminated) {
            return None;
        }
        // The array goes on over the next lines: a pretty-printed document.
        let mut buf = line.to_vec();
        buf.push(b'\n');
        let seen = buf.len() as u64;
        return Some(State::Document { start: pos, buf, seen });
    }
    if line.trim_ascii() == b"{" && pos.terminated {
        return Some(State::Document { start: pos, buf: b"{\n".to_vec(), seen: 2 });
    }
    whole_document(line, pos, index, out);
    None
}

impl Source for AwsCloudtrail {
    fn id(&self) -> &'static str {
        "aws.cloudtrail"
    }

    fn description(&self) -> &'static str {
        "AWS CloudTrail records: delivered {\"Records\":[…]} files (gzip or plain), JSON lines, LookupEvents output"
    }

    fn version(&self) -> u32 {
        // 2: JSON Lines are read in parallel; a page on a line numbers its
        // elements within the line.
        2
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let head = probe.head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(probe.head);
        if let Some(p) = records_start(head) {
            let rest = head.get(p..).unwrap_or_default();
            let first = skip_ws(rest, 0);
            let has = |needle: &[u8]| memchr::memmem::find(rest, needle).is_some();
            return if rest.get(first) == Some(&b']')
                || (has(b"\"eventVersion\"") && (has(b"\"eventSource\"") || has(b"\"eventTime\"")))
            {
                Sniff::Yes
            } else {
                Sniff::Maybe
            };
        }
        probe.judge_lines(10, None, |l| {
            l.first() == Some(&b'{')
                && Json::parse(l).is_ok_and(|v| {
                    (v.get("eventVersion").is_some() && v.get("eventSource").is_some() && v.get("eventTime").is_some())
                        || (v.get("CloudTrailEvent").is_some_and(Json::is_string) && v.get("EventTime").is_some())
                })
        })
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let mut index = 0u64;
        let mut state = State::Lines;
        std::thread::scope(|scope| {
            // Lines read whole (JSON Lines of single records), parsed in the background.
            let parse: ParseFn<'_, (LinePos, Vec<u8>), Whole<'static>> =
                std::sync::Arc::new(|(pos, line): &(LinePos, Vec<u8>)| whole_outcome(line, *pos).into_owned());
            let mut lines = Pipeline::new(scope, parse);
            input.for_each_line_max(CHUNK_SIZE, out, |pos, line, out| {
                let mut emit =
                    |(pos, line): (LinePos, Vec<u8>), outcome| emit_whole(outcome, &line, pos, &mut index, out);
                match &mut state {
                    State::Lines => {
                        let l = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
                        if records_start(l).is_none() && !(l.trim_ascii() == b"{" && pos.terminated) {
                            lines.push((pos, l.to_vec()), l.len(), &mut emit);
                            return;
                        }
                        lines.flush(&mut emit);
                        if let Some(s) = parse_line(pos, line, &mut index, out) {
                            state = s;
                        }
                    }
                    State::Document { buf, seen, .. } => {
                        *seen += line.len() as u64 + 1;
                        if *seen <= DOC_LIMIT as u64 {
                            buf.extend_from_slice(line);
                            buf.push(b'\n');
                        }
                    }
                }
            })?;
            lines.flush(&mut |(pos, line), outcome| emit_whole(outcome, &line, pos, &mut index, out));
            Ok::<(), SourceError>(())
        })?;
        if let State::Document { start, buf, seen } = state {
            if seen > DOC_LIMIT as u64 {
                out.reject(Reject {
                    record: start.record(),
                    reason: RejectReason::TooLong { len: seen, limit: DOC_LIMIT as u64 },
                    raw: &buf[..buf.len().min(waybill_model::EXCERPT_LIMIT)],
                });
            } else {
                scan_document(&buf, start, &mut index, out, true);
            }
        }
        Ok(())
    }

    fn line_parser_for<'a>(
        &'a self,
        _ctx: &'a ParseContext,
        head: &[u8],
    ) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        Ok(starts_with_record_line(head).then(|| Box::new(CloudtrailLines) as Box<dyn LineParser>))
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Sink {
        events: Vec<String>,
        rejects: Vec<String>,
        accepted: usize,
    }

    impl EventSink for Sink {
        fn event(&mut self, event: Event<'_>) {
            self.events.push(format!("{} {} {}", event.kind, event.record, event.ts));
        }
        fn accepted(&mut self) {
            self.accepted += 1;
        }
        fn reject(&mut self, reject: Reject<'_>) {
            self.rejects.push(format!("{} {}", reject.record, reject.reason.code()));
        }
    }

    const REC: &str = r#"{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"bucketName":"b","key":"k"}}"#;

    fn pos(terminated: bool) -> LinePos {
        LinePos { offset: 0, line: 1, terminated }
    }

    #[test]
    fn whole_and_cut_documents() {
        let doc = format!(r#"{{"Records":[{REC},{REC}]}}"#);
        let mut s = Sink::default();
        let mut i = 0;
        assert!(scan_document(doc.as_bytes(), pos(false), &mut i, &mut s, true));
        assert_eq!(s.accepted, 2);
        assert_eq!(s.events[1], "cloud.download Records[1] 2024-03-01T10:00:00.000000Z");
        let cut = &doc[..doc.len() - 40];
        let mut s = Sink::default();
        let mut i = 0;
        assert!(!scan_document(cut.as_bytes(), pos(true), &mut i, &mut s, false), "more lines may complete it");
        assert!(scan_document(cut.as_bytes(), pos(false), &mut i, &mut s, true));
        assert_eq!((s.accepted, s.rejects.clone()), (1, vec!["Records[1] truncated".to_owned()]));
    }

    #[test]
    fn a_delivered_document_longer_than_a_text_line_is_read() {
        let n = 30_000;
        let doc = format!(r#"{{"Records":[{}]}}"#, vec![REC; n].join(","));
        assert!(doc.len() > crate::lines::MAX_LINE, "longer than the limit of other line formats");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cloudtrail.json");
        std::fs::write(&path, &doc).expect("write");
        let ctx = crate::source::ParseContext::default();
        let content = crate::input::Content::open(&path).expect("open");
        let mut input = Input::text(&path, &ctx, content);
        let mut s = Sink::default();
        AwsCloudtrail.parse(&mut input, &mut s).expect("parse");
        assert_eq!((s.accepted, s.events.len(), s.rejects.len()), (n, n, 0));
        assert_eq!(s.events[n - 1], format!("cloud.download Records[{}] 2024-03-01T10:00:00.000000Z", n - 1));
    }

    #[test]
    fn concatenated_documents_and_document_starts() {
        let doc = format!(r#"{{"Records":[{REC}]}}{{"Records":[]}}  {{"Records" : [ {REC} ], "x": 1}}"#);
        let mut s = Sink::default();
        let mut i = 0;
        assert!(scan_document(doc.as_bytes(), pos(false), &mut i, &mut s, true));
        assert_eq!((s.accepted, s.rejects.len()), (2, 0));
        assert_eq!(s.events[1], "cloud.download Records[1] 2024-03-01T10:00:00.000000Z");
        assert!(records_start(b" { \"Records\" : [ ").is_some());
        assert!(records_start(REC.as_bytes()).is_none());
    }
}
