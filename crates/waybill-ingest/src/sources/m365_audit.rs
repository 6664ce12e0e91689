//! Microsoft 365 unified audit log: SharePoint Online and OneDrive for Business
//! file, page and sharing activity.
//!
//! # What it reads
//! - **CSV** as Microsoft Purview's audit search export and
//!   `Search-UnifiedAuditLog | Export-Csv` write it: a header row, then one row
//!   per audit record with the record itself (the Management Activity API JSON)
//!   in the `AuditData` column. Columns are found by header name, case-insensitive
//!   and in any order: the classic layout `CreationDate,UserIds,Operations,AuditData`
//!   (optionally `RecordType`) and the newer `RecordId,CreationDate,RecordType,
//!   Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames`.
//!   Fields follow RFC 4180 (quoted, `""` for a quote); a quoted field may span
//!   lines (a pretty-printed `AuditData`). A UTF-8 byte order mark and a PowerShell
//!   `#TYPE …` line before the header are skipped, and so is a copy of the header
//!   row later in the file (exports appended to one another). Record = the row,
//!   by the offset and number of its first line. Rows are parsed on every core:
//!   the input is cut only at line ends outside quotes (the quotes are counted),
//!   so a row whose quoted field spans lines stays whole. A row longer than
//!   1 MiB is one reject; a quote left open mid-file makes its row one reject
//!   (the rows after it are read again from the next line end once the open
//!   quote has run past a piece of the input), and one left open at the end of
//!   the input makes the rest of the input one reject. UTF-16 exports
//!   (`-Encoding Unicode`) are not read: convert them to UTF-8.
//! - **JSON**: one record object per line (Management Activity API content),
//!   a JSON array on one line, or a pretty-printed array or object; see
//!   [`crate::jsonrec`] for how records are numbered (`entry 3` is the fourth
//!   element of an array). An object may be the record itself or the wrapper
//!   that `Search-UnifiedAuditLog | ConvertTo-Json` writes (`RecordType`,
//!   `CreationDate` — `/Date(ms)/` in Windows PowerShell —, `UserIds`,
//!   `Operations` and `AuditData`, the record as a JSON string).
//!
//! Records of other workloads (Exchange, Entra ID, Teams, …) are accepted
//! without events, as are SharePoint/OneDrive operations that are neither a
//! retrieval, an upload nor a grant of access (see below).
//!
//! # Versions seen
//! The Office 365 Management Activity API schema (common + SharePoint base +
//! SharePoint file operations + sharing schema) as documented from 2015 to
//! 2024, with the later properties seen in Purview exports (`FileSizeBytes`,
//! `IsManagedDevice`, `DeviceDisplayName`, `Platform`, `ApplicationId`,
//! `AppAccessContext`, `GeoLocation`, `ListItemUniqueId`). `UserType` and
//! `RecordType` are read as numbers or names.
//!
//! **Time**: `CreationTime` of the record (UTC; the documented form has no zone
//! suffix, `2026-01-03T02:14:07`, and is read as UTC; a suffix `Z` or offset is
//! honoured), whole seconds unless a fraction is written. The CSV or wrapper
//! `CreationDate` is used only when the record has no `CreationTime`, and only
//! in ISO 8601 form with an explicit zone (`2026-01-03T02:14:07.0000000Z`) or
//! as a .NET `/Date(1767406447000)/` (milliseconds since 1970, UTC);
//! `CreationDate` in a locale format (`1/3/2026 2:14:07 AM`, `03.01.2026 02:14`)
//! or without a zone is rejected: the day/month order and the zone of the
//! exporting session are unknown.
//!
//! # Events emitted
//! One event per record of a SharePoint or OneDrive operation below (workload
//! `SharePoint`/`OneDrive`, or none given):
//! - `cloud.download`: `FileDownloaded`;
//! - `cloud.sync_download`: `FileSyncDownloadedFull`, `FileSyncDownloadedPartial`;
//! - `cloud.preview`: `FileAccessed`, `FileAccessedExtended`, `FilePreviewed`,
//!   `PageViewed`, `PageViewedExtended`, `ClientViewSignaled`, and
//!   `PagePrefetched` with `auto = true` (Microsoft: "not a definitive indication
//!   that the user navigated to the page");
//! - `cloud.upload`: `FileUploaded`, `FileSyncUploadedFull`, `FileSyncUploadedPartial`;
//! - `cloud.share`: operations that grant or use access — `SharingSet`,
//!   `SharingInvitationCreated`/`Accepted`, `AccessInvitationCreated`/`Accepted`,
//!   `AccessRequestAccepted`/`Approved`, `AddedToGroup`, `AddedToSecureLink`,
//!   `SecureLinkCreated`/`Used`, `AnonymousLinkCreated`/`Updated`/`Used`,
//!   `CompanyLinkCreated`/`Used`, `SharedLinkCreated`. Revocations
//!   (`SharingRevoked`, `*LinkRemoved`, `RemovedFrom*`) emit nothing.
//!
//! Columns: `actor` (`UserId`, else the CSV `UserIds`/`UserId`), `client_ip`
//! (`ClientIP` without its port: `203.0.113.7:51234` and `[2001:db8::7]:443` are
//! split, a bare IPv6 address is kept whole), `user_agent` (`UserAgent`), `url`
//! (`ObjectId`, the full URL of the item), `path` (`SourceRelativeUrl` +
//! `/` + `SourceFileName`), `size` (`FileSizeBytes`), `device`
//! (`DeviceDisplayName`), `auto` (`true` for `PagePrefetched` and for actions of
//! a non-human actor: `UserType` System/Application/ServicePrincipal, `UserId`
//! `app@sharepoint`, `SHAREPOINT\system`, `NT AUTHORITY\…`).
//! `attrs`: `operation`, `workload`, `record_type`, `record_id` (`Id`),
//! `user_type`, `result_status`, `site_url`, `source_file_name`,
//! `source_file_extension`, `item_type`, `application_id`, `application_name`
//! (`ApplicationId`/`ApplicationDisplayName`, else `AppAccessContext`),
//! `is_managed_device`, `platform`, `browser_name`, `browser_version`,
//! `geo_location`, `machine_id`, `machine_domain_info`, `list_item_unique_id`,
//! `file_sync_bytes_committed`, `correlation_id`, `target_user_or_group_name`,
//! `target_user_or_group_type`, `event_data`, `user_shared_with`,
//! `sharing_type`, `client_port`.
//!
//! # What it cannot tell us
//! Microsoft says the operation types are "not a guarantee of the user's
//! intent": `FilePreviewed` (also with `UserAgent` `OneDriveMpc-Transform_Thumbnail`)
//! and `FileAccessed` can follow a browser pre-fetch, and `FileAccessed` is not
//! logged again for the same user and file within five minutes. `ClientIP` may
//! be the address of a Microsoft service acting for the user. No content hash
//! is logged. Edits, copies, moves, renames and deletions (`FileModified`,
//! `FileCopied`, `FileMoved`, `FileRenamed`, `FileDeleted`, `FileRecycled`) are
//! read but emit nothing: no event kind says "changed/removed in the cloud" yet.
//!
//! # References
//! MicrosoftDocs/office-365-management-api
//! `office-365-management-api/office-365-management-activity-api-schema.md`
//! (common, SharePoint base, file operations and sharing schemas; UserType and
//! ItemType enums); MicrosoftDocs/microsoft-365-docs
//! `microsoft-365/compliance/audit-log-activities.md` (file and page, sharing,
//! synchronization activities; the FAQ on FileAccessed/FilePreviewed and
//! app@sharepoint) and `microsoft-365/compliance/export-view-audit-log-records.md`
//! (CSV export columns; `Export-Csv` of `Search-UnifiedAuditLog`).

use std::borrow::Cow;
use std::net::IpAddr;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::json::Json;
use crate::jsonrec::{JsonReader, JsonRecords, iso_precision, strip_bom};
use crate::lines::LinePos;
use crate::par::{ParseFn, Pipeline};
use crate::source::{ClockHint, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

/// Microsoft 365 unified audit log (SharePoint / OneDrive).
pub struct M365Audit;

/// Longest CSV row read (an `AuditData` object is a few KiB; Excel keeps at
/// most 32 767 characters in a cell).
const MAX_ROW: usize = 1 << 20;

struct AuditJson;

impl JsonRecords for AuditJson {
    fn list(&self) -> Option<&'static str> {
        None
    }

    fn record(&self, rec: RecordRef, v: &Json<'_>) -> Result<Vec<Event<'static>>, RejectReason> {
        // `Search-UnifiedAuditLog | ConvertTo-Json` keeps the cmdlet's wrapper:
        // the record is the `AuditData` member, a JSON string (or an object).
        let Some(inner) = v.get("AuditData") else { return record(rec, v, &Fallback::default()) };
        let fallback = Fallback {
            creation_date: v.scalar_of("CreationDate"),
            user_ids: v.scalar_of("UserIds").or_else(|| v.scalar_of("UserId")),
            operations: v.scalar_of("Operations").or_else(|| v.scalar_of("Operation")),
            record_id: v.scalar_of("RecordId"),
            record_type: v.scalar_of("RecordType"),
        };
        match inner {
            Json::String(s) => record(rec, &audit_json(s)?, &fallback),
            other => record(rec, other, &fallback),
        }
    }
}

impl Source for M365Audit {
    fn id(&self) -> &'static str {
        "m365.audit"
    }

    fn description(&self) -> &'static str {
        "Microsoft 365 unified audit log (SharePoint/OneDrive): Purview CSV export or Management API JSON"
    }

    fn version(&self) -> u32 {
        // 2: JSON Lines are read in parallel; a page on a line numbers its
        // elements within the line. 3: CSV rows are read in parallel; a copy
        // of the header row is not a record.
        3
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let mut lines = probe.lines().map(strip_bom).filter(|l| !l.starts_with(b"#TYPE"));
        let Some(first) = lines.next() else { return Sniff::No };
        match first.trim_ascii_start().first() {
            Some(b'{' | b'[') => {
                let head = probe.head;
                let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
                let record = has(b"\"CreationTime\"")
                    && has(b"\"Operation\"")
                    && has(b"\"RecordType\"")
                    && (has(b"\"OrganizationId\"") || has(b"\"Workload\""));
                let wrapper = has(b"\"AuditData\"") && has(b"\"Operations\"") && has(b"\"CreationDate\"");
                if record || wrapper { Sniff::Yes } else { Sniff::No }
            }
            _ => match std::str::from_utf8(first).ok().and_then(|h| CsvCols::from_header(h).ok()) {
                Some(_) => Sniff::Yes,
                None => Sniff::No,
            },
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        enum State<'s, 'scope, 'env> {
            Undecided,
            Csv(CsvRows<'scope, 'env>),
            Json(JsonReader<'s, 'scope, 'env>),
            NotCsv(String),
        }
        std::thread::scope(|scope| {
            let mut state = State::Undecided;
            input.for_each_line(out, |pos, line, out| match &mut state {
                State::Undecided => {
                    let l = strip_bom(line);
                    if l.starts_with(b"#TYPE") {
                        return;
                    }
                    if matches!(l.trim_ascii_start().first(), Some(b'{' | b'[')) {
                        let mut r = JsonReader::new(&AuditJson, scope);
                        r.line(pos, l, out);
                        state = State::Json(r);
                        return;
                    }
                    state = match std::str::from_utf8(l).map_err(|e| e.to_string()).and_then(CsvCols::from_header) {
                        Ok(cols) => State::Csv(CsvRows::new(cols, scope)),
                        Err(why) => State::NotCsv(why),
                    };
                }
                State::Csv(rows) => rows.line(pos, line, out),
                State::Json(r) => r.line(pos, line, out),
                State::NotCsv(_) => {}
            })?;
            match state {
                State::Undecided => Ok(()),
                State::Csv(rows) => {
                    rows.finish(out);
                    Ok(())
                }
                State::Json(r) => r.finish(out),
                State::NotCsv(why) => Err(SourceError::NotThisFormat { format: self.id(), reason: why }),
            }
        })
    }

    fn line_parser_for<'a>(
        &'a self,
        _ctx: &'a ParseContext,
        head: &[u8],
    ) -> Result<Option<Box<dyn LineParser + 'a>>, SourceError> {
        let first = head.split(|b| *b == b'\n').map(strip_bom).find(|l| !l.starts_with(b"#TYPE"));
        let Some(first) = first.map(|l| l.strip_suffix(b"\r").unwrap_or(l)) else { return Ok(None) };
        if matches!(first.trim_ascii_start().first(), Some(b'{' | b'[')) {
            return Ok(crate::jsonrec::lines_parser(&AuditJson, head));
        }
        // A CSV export whose header row is whole in the head: rows in parallel.
        let whole = head.len() > first.len() + 1;
        Ok(match std::str::from_utf8(first).ok().filter(|_| whole).map(CsvCols::from_header) {
            Some(Ok(cols)) => Some(Box::new(CsvLines { cols, header: first.to_vec() })),
            _ => None,
        })
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Host
    }
}

/// Values outside `AuditData` (CSV columns, the cmdlet's wrapper object) used
/// when the record itself lacks them.
#[derive(Debug, Default, Clone)]
struct Fallback {
    creation_date: Option<String>,
    user_ids: Option<String>,
    operations: Option<String>,
    record_id: Option<String>,
    record_type: Option<String>,
}

/// Parses an `AuditData` string.
fn audit_json(s: &str) -> Result<Json<'_>, RejectReason> {
    if s.trim().is_empty() {
        return Err(RejectReason::Value { field: "AuditData".into(), detail: "empty".into() });
    }
    serde_json::from_str(s).map_err(|e| {
        let d = format!("AuditData is not JSON: {e}");
        if e.is_eof() { RejectReason::Truncated(d) } else { RejectReason::Malformed(d) }
    })
}

/// Column positions of a CSV export.
#[derive(Debug, Default, Clone)]
struct CsvCols {
    n: usize,
    audit_data: usize,
    creation_date: Option<usize>,
    user_ids: Option<usize>,
    operations: Option<usize>,
    record_id: Option<usize>,
    record_type: Option<usize>,
}

impl CsvCols {
    fn from_header(header: &str) -> Result<Self, String> {
        let names = split_csv(header).map_err(|e| format!("header: {e}"))?;
        let find = |alts: &[&str]| names.iter().position(|n| alts.iter().any(|a| n.trim().eq_ignore_ascii_case(a)));
        let audit_data = find(&["AuditData"]).ok_or_else(|| "no AuditData column in the header".to_owned())?;
        let creation_date = find(&["CreationDate"]);
        let operations = find(&["Operations", "Operation"]);
        if creation_date.is_none() && operations.is_none() {
            return Err("no CreationDate or Operation(s) column in the header".into());
        }
        Ok(Self {
            n: names.len(),
            audit_data,
            creation_date,
            user_ids: find(&["UserIds", "UserId"]),
            operations,
            record_id: find(&["RecordId"]),
            record_type: find(&["RecordType"]),
        })
    }

    /// The fallback values of a row.
    fn fallback(&self, row: &[Cow<'_, str>]) -> Fallback {
        let get = |i: Option<usize>| {
            i.and_then(|i| row.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        Fallback {
            creation_date: get(self.creation_date),
            user_ids: get(self.user_ids),
            operations: get(self.operations),
            record_id: get(self.record_id),
            record_type: get(self.record_type),
        }
    }
}

/// A row being assembled from lines while a quoted field is open.
struct Pending {
    pos: LinePos,
    text: Vec<u8>,
    quotes: usize,
}

/// CSV rows: assembled from lines in order, parsed in the background on every
/// core ([`crate::par::Pipeline`]), emitted in order.
struct CsvRows<'scope, 'env> {
    pending: Option<Pending>,
    rows: Pipeline<'scope, 'env, Pending, RowOutcome>,
}

type RowOutcome = Result<Vec<Event<'static>>, RejectReason>;

fn emit_row(p: Pending, outcome: RowOutcome, out: &mut dyn EventSink) {
    waybill_model::close_record(out, p.pos.record(), outcome, || &p.text);
}

impl<'scope, 'env> CsvRows<'scope, 'env> {
    fn new(cols: CsvCols, scope: &'scope std::thread::Scope<'scope, 'env>) -> Self {
        let parse: ParseFn<'scope, Pending, RowOutcome> =
            std::sync::Arc::new(move |p: &Pending| parse_row(&cols, &p.text, p.pos));
        Self { pending: None, rows: Pipeline::new(scope, parse) }
    }

    fn line(&mut self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let quotes = memchr::memchr_iter(b'"', line).count();
        let mut p = match self.pending.take() {
            Some(mut p) => {
                p.text.push(b'\n');
                p.text.extend_from_slice(line);
                p.quotes += quotes;
                p.pos.terminated = pos.terminated;
                p
            }
            None => Pending { pos, text: line.to_vec(), quotes },
        };
        if p.text.len() > MAX_ROW {
            let reason = RejectReason::Malformed(format!(
                "a quoted field is still open after {} bytes (row limit {MAX_ROW}); an unbalanced quote?",
                p.text.len()
            ));
            self.rows.flush(&mut |p, outcome| emit_row(p, outcome, out));
            out.reject(Reject { record: p.pos.record(), reason, raw: &p.text });
        } else if p.quotes % 2 == 0 {
            let len = p.text.len();
            self.rows.push(p, len, &mut |p, outcome| emit_row(p, outcome, out));
        } else {
            p.pos.terminated = pos.terminated;
            self.pending = Some(p);
        }
    }

    fn finish(mut self, out: &mut dyn EventSink) {
        self.rows.flush(&mut |p, outcome| emit_row(p, outcome, out));
        if let Some(p) = self.pending {
            let reason = RejectReason::Truncated("the input ends inside a quoted field".into());
            out.reject(Reject { record: p.pos.record(), reason, raw: &p.text });
        }
    }
}

/// CSV rows read by the driver's parallel line parser, which cuts the input
/// only at line ends outside quotes and hands over whole rows. The header row
/// (and a copy of it, as concatenated exports have) and `#TYPE` lines are not
/// records.
struct CsvLines {
    cols: CsvCols,
    header: Vec<u8>,
}

impl LineParser for CsvLines {
    fn parse_line(&self, pos: LinePos, line: &[u8], out: &mut dyn EventSink) {
        let outcome = if line.len() > MAX_ROW {
            Err(RejectReason::Malformed(format!(
                "a row of {} bytes (row limit {MAX_ROW}); an unbalanced quote?",
                line.len()
            )))
        } else {
            parse_row(&self.cols, line, pos)
        };
        waybill_model::close_record(out, pos.record(), outcome, || line);
    }

    fn skip_line(&self, line: &[u8]) -> bool {
        let l = strip_bom(line);
        l.starts_with(b"#TYPE") || l == self.header.as_slice()
    }

    fn quoted_newlines(&self) -> bool {
        true
    }
}

/// The events of one CSV row (runs on the pipeline's threads).
fn parse_row(cols: &CsvCols, text: &[u8], pos: LinePos) -> RowOutcome {
    let text = std::str::from_utf8(text).map_err(|e| RejectReason::Malformed(format!("not UTF-8: {e}")))?;
    let fields = split_csv(text).map_err(|e| match e {
        CsvError::Unterminated { .. } if !pos.terminated => {
            RejectReason::Truncated("the input ends inside a quoted field".into())
        }
        e => RejectReason::Malformed(e.to_string()),
    })?;
    let rec = pos.record();
    if fields.len() != cols.n {
        let d = format!("{} fields where the header has {}", fields.len(), cols.n);
        return Err(if pos.terminated { RejectReason::Malformed(d) } else { RejectReason::Truncated(d) });
    }
    let v = audit_json(fields.get(cols.audit_data).map_or("", |f| f.as_ref()))?;
    record(rec, &v, &cols.fallback(&fields))
}

/// Why a CSV record does not split (fields numbered from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum CsvError {
    #[error("field {field} is an unterminated quoted field")]
    Unterminated { field: usize },
    #[error("text after the closing quote of field {field}")]
    AfterQuote { field: usize },
}

/// Splits one CSV record (RFC 4180; fields may hold quoted newlines). A field
/// is quoted when it starts with `"`; in it `""` is a quote; after its closing
/// quote only line ends may come before the next comma. A field without an
/// escaped quote is borrowed from `rec`.
fn split_csv(rec: &str) -> Result<Vec<Cow<'_, str>>, CsvError> {
    let b = rec.as_bytes();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        if b.get(i) != Some(&b'"') {
            match memchr::memchr(b',', &b[i..]) {
                Some(c) => {
                    fields.push(Cow::Borrowed(&rec[i..i + c]));
                    i += c + 1;
                    continue;
                }
                None => {
                    fields.push(Cow::Borrowed(&rec[i..]));
                    return Ok(fields);
                }
            }
        }
        i += 1;
        let mut owned: Option<String> = None;
        let mut start = i;
        let field = loop {
            let Some(q) = memchr::memchr(b'"', &b[i..]).map(|q| i + q) else {
                return Err(CsvError::Unterminated { field: fields.len() + 1 });
            };
            if b.get(q + 1) == Some(&b'"') {
                // Up to and with the first quote of the pair.
                owned.get_or_insert_with(|| String::with_capacity(b.len() - start)).push_str(&rec[start..=q]);
                i = q + 2;
                start = i;
            } else {
                i = q + 1;
                break match owned {
                    Some(mut s) => {
                        s.push_str(&rec[start..q]);
                        Cow::Owned(s)
                    }
                    None => Cow::Borrowed(&rec[start..q]),
                };
            }
        };
        while matches!(b.get(i), Some(b'\r' | b'\n')) {
            i += 1;
        }
        fields.push(field);
        match b.get(i) {
            None => return Ok(fields),
            Some(b',') => i += 1,
            Some(_) => return Err(CsvError::AfterQuote { field: fields.len() }),
        }
    }
}

/// Splits `ClientIP` into address and port: `203.0.113.7:51234` and
/// `[2001:db8::7]:443` carry a port; an address with two or more colons and no
/// brackets is an IPv6 address and is kept whole.
fn split_ip(raw: &str) -> (String, Option<u16>) {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix('[')
        && let Some((addr, after)) = rest.split_once(']')
    {
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return (addr.to_owned(), port);
    }
    if raw.bytes().filter(|b| *b == b':').count() == 1
        && let Some((addr, port)) = raw.split_once(':')
        && addr.parse::<IpAddr>().is_ok()
        && let Ok(port) = port.parse::<u16>()
    {
        return (addr.to_owned(), Some(port));
    }
    (raw.to_owned(), None)
}

/// `UserType` as its documented name.
fn user_type(v: &Json<'_>) -> Option<String> {
    const NAMES: [&str; 9] = [
        "Regular",
        "Reserved",
        "Admin",
        "DcAdmin",
        "System",
        "Application",
        "ServicePrincipal",
        "CustomPolicy",
        "SystemPolicy",
    ];
    match v.get("UserType")? {
        Json::Number(n) => {
            let i = n.as_u64()?;
            Some(usize::try_from(i).ok().and_then(|i| NAMES.get(i)).map_or_else(|| i.to_string(), |s| (*s).to_owned()))
        }
        Json::String(s) => Some(s.to_string()),
        _ => None,
    }
}

/// The event kind of an operation, and whether Microsoft says it is automatic.
fn kind_of(op: &str) -> Option<(EventKind, bool)> {
    Some(match op {
        "FileDownloaded" => (EventKind::CloudDownload, false),
        "FileSyncDownloadedFull" | "FileSyncDownloadedPartial" => (EventKind::CloudSyncDownload, false),
        "FileAccessed"
        | "FileAccessedExtended"
        | "FilePreviewed"
        | "PageViewed"
        | "PageViewedExtended"
        | "ClientViewSignaled" => (EventKind::CloudPreview, false),
        "PagePrefetched" => (EventKind::CloudPreview, true),
        "FileUploaded" | "FileSyncUploadedFull" | "FileSyncUploadedPartial" => (EventKind::CloudUpload, false),
        "SharingSet"
        | "SharingInvitationCreated"
        | "SharingInvitationAccepted"
        | "AccessInvitationCreated"
        | "AccessInvitationAccepted"
        | "AccessRequestAccepted"
        | "AccessRequestApproved"
        | "AddedToGroup"
        | "AddedToSecureLink"
        | "SecureLinkCreated"
        | "SecureLinkUsed"
        | "AnonymousLinkCreated"
        | "AnonymousLinkUpdated"
        | "AnonymousLinkUsed"
        | "CompanyLinkCreated"
        | "CompanyLinkUsed"
        | "SharedLinkCreated" => (EventKind::CloudShare, false),
        _ => return None,
    })
}

/// The record's time: `CreationTime` (UTC), else the CSV or wrapper
/// `CreationDate` when it is ISO 8601 with a zone or a .NET `/Date(ms)/`.
fn creation_time(v: &Json<'_>, fb: &Fallback) -> Result<(Timestamp, Precision), RejectReason> {
    if let Some(t) = v.scalar_of("CreationTime") {
        let ts = match waybill_model::time::parse_naive(&t) {
            Ok(n) => n.assume_utc()?,
            Err(_) => Timestamp::parse_rfc3339(&t)?,
        };
        return Ok((ts, iso_precision(&t)));
    }
    let Some(d) = fb.creation_date.as_deref() else {
        return Err(RejectReason::Timestamp("no CreationTime in AuditData and no CreationDate".into()));
    };
    // Windows PowerShell's ConvertTo-Json writes dates as `/Date(ms since 1970, UTC)/`.
    if let Some(inner) = d.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let end = inner.char_indices().skip(1).find(|(_, c)| !c.is_ascii_digit()).map_or(inner.len(), |(i, _)| i);
        let ms: i64 = inner[..end].parse().map_err(|_| RejectReason::Timestamp(format!("CreationDate {d:?}")))?;
        return Ok((Timestamp::from_unix_millis(ms)?, Precision::Millisecond));
    }
    match Timestamp::parse_rfc3339(d) {
        Ok(ts) => Ok((ts, iso_precision(d))),
        Err(_) if waybill_model::time::parse_naive(d).is_ok() => Err(RejectReason::Timestamp(format!(
            "AuditData has no CreationTime and CreationDate {d:?} has no zone (the exporting session's zone is unknown)"
        ))),
        Err(_) => Err(RejectReason::Timestamp(format!(
            "AuditData has no CreationTime and CreationDate {d:?} is in a locale format (day/month order and zone unknown)"
        ))),
    }
}

fn is_non_human(v: &Json<'_>) -> bool {
    let by_type = match v.get("UserType") {
        Some(Json::Number(n)) => matches!(n.as_u64(), Some(4..=6)),
        Some(Json::String(s)) => {
            ["System", "Application", "ServicePrincipal"].iter().any(|t| s.eq_ignore_ascii_case(t))
        }
        _ => false,
    };
    let by_id = v.scalar_of("UserId").is_some_and(|u| {
        let l = u.to_ascii_lowercase();
        l == "app@sharepoint" || l.starts_with("sharepoint\\") || l.starts_with("nt authority\\")
    });
    by_type || by_id
}

/// The events of one audit record (`AuditData`), with CSV columns as fallbacks.
fn record(rec: RecordRef, v: &Json<'_>, fb: &Fallback) -> Result<Vec<Event<'static>>, RejectReason> {
    if !v.is_object() {
        return Err(RejectReason::Malformed("the audit record is not a JSON object".into()));
    }
    let op = v
        .scalar_of("Operation")
        .or_else(|| fb.operations.clone())
        .ok_or_else(|| RejectReason::Value { field: "Operation".into(), detail: "missing".into() })?;
    let (ts, precision) = creation_time(v, fb)?;
    let workload = v.scalar_of("Workload");
    let relevant =
        workload.as_deref().is_none_or(|w| w.eq_ignore_ascii_case("SharePoint") || w.eq_ignore_ascii_case("OneDrive"));
    let Some((kind, prefetch)) = kind_of(&op).filter(|_| relevant) else { return Ok(Vec::new()) };

    let mut e = Event::new(kind, ts, precision, rec);
    e.actor = v.scalar_of("UserId").or_else(|| fb.user_ids.clone()).map(Cow::Owned);
    let mut port = None;
    if let Some(ip) =
        v.scalar_of("ClientIP").or_else(|| v.scalar_of("ClientIPAddress")).or_else(|| v.scalar_of("ActorIpAddress"))
    {
        let (addr, p) = split_ip(&ip);
        e.client_ip = Some(Cow::Owned(addr));
        port = p;
    }
    e.user_agent = v.scalar_of("UserAgent").map(Cow::Owned);
    e.url = v.scalar_of("ObjectId").map(Cow::Owned);
    let name = v.scalar_of("SourceFileName");
    e.path = match (v.scalar_of("SourceRelativeUrl"), &name) {
        (Some(dir), Some(n)) => Some(format!("{}/{n}", dir.trim_end_matches('/'))),
        (None, Some(n)) => Some(n.clone()),
        (Some(dir), None) => Some(dir),
        (None, None) => None,
    }
    .map(Cow::Owned);
    e.size = v.int_of("FileSizeBytes");
    e.device = v.scalar_of("DeviceDisplayName").map(Cow::Owned);
    if prefetch || is_non_human(v) {
        e.auto = Some(true);
    }

    let a = &mut e.attrs;
    a.push("operation", op);
    a.push_opt("workload", workload);
    a.push_opt("record_type", v.scalar_of("RecordType").or_else(|| fb.record_type.clone()));
    a.push_opt("record_id", v.scalar_of("Id").or_else(|| fb.record_id.clone()));
    a.push_opt("user_type", user_type(v));
    a.push_opt("result_status", v.scalar_of("ResultStatus"));
    a.push_opt("site_url", v.scalar_of("SiteUrl"));
    a.push_opt("source_file_name", name);
    a.push_opt("source_file_extension", v.scalar_of("SourceFileExtension"));
    a.push_opt("item_type", v.scalar_of("ItemType"));
    let ctx = v.get("AppAccessContext");
    a.push_opt("application_id", v.scalar_of("ApplicationId").or_else(|| ctx.and_then(|c| c.scalar_of("ClientAppId"))));
    a.push_opt(
        "application_name",
        v.scalar_of("ApplicationDisplayName").or_else(|| ctx.and_then(|c| c.scalar_of("ClientAppName"))),
    );
    a.push_opt("is_managed_device", v.flag_of("IsManagedDevice"));
    a.push_opt("platform", v.scalar_of("Platform"));
    a.push_opt("browser_name", v.scalar_of("BrowserName"));
    a.push_opt("browser_version", v.scalar_of("BrowserVersion"));
    a.push_opt("geo_location", v.scalar_of("GeoLocation"));
    a.push_opt("machine_id", v.scalar_of("MachineId"));
    a.push_opt("machine_domain_info", v.scalar_of("MachineDomainInfo"));
    a.push_opt("list_item_unique_id", v.scalar_of("ListItemUniqueId"));
    a.push_opt("file_sync_bytes_committed", v.int_of("FileSyncBytesCommitted"));
    a.push_opt("correlation_id", v.scalar_of("CorrelationId"));
    a.push_opt("target_user_or_group_name", v.scalar_of("TargetUserOrGroupName"));
    a.push_opt("target_user_or_group_type", v.scalar_of("TargetUserOrGroupType"));
    a.push_opt("event_data", v.scalar_of("EventData"));
    a.push_opt("user_shared_with", v.scalar_of("UserSharedWith"));
    a.push_opt("sharing_type", v.scalar_of("SharingType"));
    a.push_opt("client_port", port.map(i64::from));
    Ok(vec![e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_forms() {
        assert_eq!(split_ip("203.0.113.7:51234"), ("203.0.113.7".into(), Some(51234)));
        assert_eq!(split_ip("[2001:db8::7]:443"), ("2001:db8::7".into(), Some(443)));
        assert_eq!(split_ip("2001:db8::7"), ("2001:db8::7".into(), None));
        assert_eq!(split_ip(" 198.51.100.4 "), ("198.51.100.4".into(), None));
        assert_eq!(split_ip("[2001:db8::8]"), ("2001:db8::8".into(), None));
    }

    /// The splitter as first written (character by character), kept to check
    /// the memchr splitter against.
    fn split_csv_by_char(rec: &str) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = rec.chars().peekable();
        let (mut quoted, mut closed, mut at_start) = (false, false, true);
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        cur.push('"');
                    } else {
                        quoted = false;
                        closed = true;
                    }
                } else {
                    cur.push(c);
                }
                continue;
            }
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut cur));
                    at_start = true;
                    closed = false;
                    continue;
                }
                '"' if at_start => quoted = true,
                '\r' | '\n' if closed => {}
                _ if closed => return Err(format!("text after the closing quote of field {}", fields.len() + 1)),
                _ => cur.push(c),
            }
            at_start = false;
        }
        if quoted {
            return Err(format!("field {} is an unterminated quoted field", fields.len() + 1));
        }
        fields.push(cur);
        Ok(fields)
    }

    /// Every record of up to seven characters over `a , " \n \r é` splits
    /// (or fails, with the same message) as the character splitter does.
    #[test]
    fn csv_splitter_agrees_with_the_character_splitter() {
        let alphabet = ['a', ',', '"', '\n', '\r', 'é'];
        let mut n = 0;
        for len in 0..=7u32 {
            for mut k in 0..alphabet.len().pow(len) {
                let mut rec = String::new();
                for _ in 0..len {
                    rec.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                let fast = split_csv(&rec)
                    .map(|v| v.into_iter().map(Cow::into_owned).collect::<Vec<_>>())
                    .map_err(|e| e.to_string());
                assert_eq!(fast, split_csv_by_char(&rec), "{rec:?}");
                n += 1;
            }
        }
        assert_eq!(n, 335_923);
    }

    #[test]
    fn csv_quotes_and_newlines() {
        assert_eq!(split_csv(r#"a,"b,c","d""e""#).unwrap(), ["a", "b,c", "d\"e"]);
        assert_eq!(split_csv("\"x\ny\",").unwrap(), ["x\ny", ""]);
        assert!(split_csv("\"open").is_err());
        assert!(split_csv("\"a\"b").is_err());
    }

    #[test]
    fn creation_time_without_zone_is_utc_and_locale_dates_are_rejected() {
        let v: Json<'_> = serde_json::from_str(r#"{"CreationTime":"2026-01-03T02:14:07"}"#).unwrap();
        let (ts, p) = creation_time(&v, &Fallback::default()).unwrap();
        assert_eq!(ts.to_string(), "2026-01-03T02:14:07.000000Z");
        assert_eq!(p, Precision::Second);
        let cols = CsvCols::from_header("CreationDate,UserIds,Operations,AuditData").unwrap();
        let mut row: Vec<Cow<'_, str>> = vec!["1/3/2026 2:14:07 AM".into(), "".into(), "".into(), "".into()];
        let err = creation_time(&Json::Null, &cols.fallback(&row)).unwrap_err();
        assert!(err.to_string().contains("locale format"), "{err}");
        row[0] = "2026-01-03T02:14:07.0000000Z".into();
        let (ts, p) = creation_time(&Json::Null, &cols.fallback(&row)).unwrap();
        assert_eq!((ts.to_string().as_str(), p), ("2026-01-03T02:14:07.000000Z", Precision::HundredNanos));
        let fb = Fallback { creation_date: Some("/Date(1767406447000)/".into()), ..Fallback::default() };
        assert_eq!(creation_time(&Json::Null, &fb).unwrap().0.to_string(), "2026-01-03T02:14:07.000000Z");
    }
}
