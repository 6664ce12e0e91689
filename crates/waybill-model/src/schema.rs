//! The Arrow schema of the event table, and the builder that turns parser
//! events into record batches.

use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::event::EventSink;
use crate::{Event, Excerpt, Reject, RejectReason};

/// Columns of the event table, in order. Scripts and later stages query these names.
pub const EVENT_COLUMNS: &[&str] = &[
    "ts",
    "ts_precision",
    "tz_assumed",
    "clock",
    "format",
    "source",
    "record",
    "seq",
    "kind",
    "actor",
    "device",
    "client_ip",
    "user_agent",
    "url",
    "referrer",
    "path",
    "size",
    "status",
    "sha256",
    "md5",
    "sha1",
    "provider_hash",
    "provider_hash_kind",
    "fetch_site",
    "fetch_mode",
    "fetch_dest",
    "fetch_user",
    "purpose",
    "transition",
    "auto",
    "attrs",
];

/// The Arrow schema of the event table.
pub fn event_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let utf8 = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
            Arc::new(Schema::new(vec![
                Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
                utf8("ts_precision", false),
                utf8("tz_assumed", true),
                utf8("clock", false),
                utf8("format", false),
                utf8("source", false),
                utf8("record", false),
                Field::new("seq", DataType::UInt64, false),
                utf8("kind", false),
                utf8("actor", true),
                utf8("device", true),
                utf8("client_ip", true),
                utf8("user_agent", true),
                utf8("url", true),
                utf8("referrer", true),
                utf8("path", true),
                Field::new("size", DataType::Int64, true),
                Field::new("status", DataType::Int32, true),
                utf8("sha256", true),
                utf8("md5", true),
                utf8("sha1", true),
                utf8("provider_hash", true),
                utf8("provider_hash_kind", true),
                utf8("fetch_site", true),
                utf8("fetch_mode", true),
                utf8("fetch_dest", true),
                utf8("fetch_user", true),
                utf8("purpose", true),
                utf8("transition", true),
                Field::new("auto", DataType::Boolean, true),
                utf8("attrs", true),
            ]))
        })
        .clone()
}

/// The per-input values every event of an input carries.
#[derive(Debug, Clone)]
pub struct InputContext {
    /// Source format id (`apache.access`).
    pub format: String,
    /// Manifest id of the input (`I0001`).
    pub source: String,
    /// Name of the clock that produced the input's timestamps.
    pub clock: String,
    /// Device the evidence is attributed to, if any.
    pub device: Option<String>,
    /// Zone name applied to local times without offset (recorded per event in `tz_assumed`).
    pub tz_name: Option<String>,
}

/// A rejected record in owned form, ready for the `rejects` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectRow {
    /// The rendered [`crate::RecordRef`].
    pub record: String,
    /// Why.
    pub reason: RejectReason,
    /// Raw excerpt.
    pub excerpt: Excerpt,
}

/// Counts of one input (or one part of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records rejected.
    pub rejects: u64,
}

impl Counts {
    /// Records accepted (read − rejected).
    pub fn accepted(&self) -> u64 {
        self.records - self.rejects
    }

    /// Adds another part's counts.
    pub fn add(&mut self, other: Counts) {
        self.records += other.records;
        self.events += other.events;
        self.rejects += other.rejects;
    }
}

/// Builds record batches of the event table from [`Event`]s; an [`EventSink`].
///
/// `seq` values are `part << 32 | n` where `n` counts events within the part, so
/// `(source, seq)` is unique and follows the input's parse order even when parts
/// are parsed in parallel.
pub struct EventBatchBuilder {
    ctx: InputContext,
    seq_base: u64,
    part_events: u64,
    counts: Counts,
    pending: u64,
    rejects: Vec<RejectRow>,
    json: String,
    ts: TimestampMicrosecondBuilder,
    ts_precision: StringBuilder,
    tz_assumed: StringBuilder,
    clock: StringBuilder,
    format: StringBuilder,
    source: StringBuilder,
    record: StringBuilder,
    seq: UInt64Builder,
    kind: StringBuilder,
    actor: StringBuilder,
    device: StringBuilder,
    client_ip: StringBuilder,
    user_agent: StringBuilder,
    url: StringBuilder,
    referrer: StringBuilder,
    path: StringBuilder,
    size: Int64Builder,
    status: Int32Builder,
    sha256: StringBuilder,
    md5: StringBuilder,
    sha1: StringBuilder,
    provider_hash: StringBuilder,
    provider_hash_kind: StringBuilder,
    fetch_site: StringBuilder,
    fetch_mode: StringBuilder,
    fetch_dest: StringBuilder,
    fetch_user: StringBuilder,
    purpose: StringBuilder,
    transition: StringBuilder,
    auto: BooleanBuilder,
    attrs: StringBuilder,
}

impl EventBatchBuilder {
    /// A builder for part number `part` of the input described by `ctx`.
    pub fn new(ctx: InputContext, part: u32) -> Self {
        Self::with_capacity(ctx, part, 0, 0)
    }

    /// A builder sized for about `rows` events parsed from `bytes` bytes of
    /// input, so that a chunk's columns are allocated once instead of grown by
    /// copying (measured with `bench_ingest`). Untouched capacity costs no memory.
    pub fn with_capacity(ctx: InputContext, part: u32, rows: usize, bytes: usize) -> Self {
        let s = |per_row: usize| StringBuilder::with_capacity(rows, (rows * per_row).min(bytes.max(rows)));
        let big = || StringBuilder::with_capacity(rows, bytes / 2);
        Self {
            ctx,
            seq_base: u64::from(part) << 32,
            part_events: 0,
            counts: Counts::default(),
            pending: 0,
            rejects: Vec::new(),
            json: String::new(),
            ts: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            ts_precision: s(2),
            tz_assumed: s(0),
            clock: s(16),
            format: s(16),
            source: s(8),
            record: s(24),
            seq: UInt64Builder::with_capacity(rows),
            kind: s(16),
            actor: s(0),
            device: s(0),
            client_ip: s(16),
            user_agent: big(),
            url: big(),
            referrer: big(),
            path: s(0),
            size: Int64Builder::with_capacity(rows),
            status: Int32Builder::with_capacity(rows),
            sha256: s(0),
            md5: s(0),
            sha1: s(0),
            provider_hash: s(0),
            provider_hash_kind: s(0),
            fetch_site: s(12),
            fetch_mode: s(8),
            fetch_dest: s(8),
            fetch_user: s(2),
            purpose: s(0),
            transition: s(0),
            auto: BooleanBuilder::with_capacity(rows),
            attrs: big(),
        }
    }

    /// Events buffered so far.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// No events buffered?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Events of the current record not yet closed by `accepted`.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Starts a new part: later events get `seq` values of part `part`. Call after
    /// [`take_batch`](Self::take_batch).
    pub fn start_part(&mut self, part: u32) {
        self.seq_base = u64::from(part) << 32;
        self.part_events = 0;
    }

    /// Rejects buffered so far.
    pub fn rejects(&self) -> &[RejectRow] {
        &self.rejects
    }

    /// Takes the buffered events as a batch (empty builders remain, counts are kept).
    pub fn take_batch(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.ts_precision.finish()),
            Arc::new(self.tz_assumed.finish()),
            Arc::new(self.clock.finish()),
            Arc::new(self.format.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.record.finish()),
            Arc::new(self.seq.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.actor.finish()),
            Arc::new(self.device.finish()),
            Arc::new(self.client_ip.finish()),
            Arc::new(self.user_agent.finish()),
            Arc::new(self.url.finish()),
            Arc::new(self.referrer.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.size.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.sha256.finish()),
            Arc::new(self.md5.finish()),
            Arc::new(self.sha1.finish()),
            Arc::new(self.provider_hash.finish()),
            Arc::new(self.provider_hash_kind.finish()),
            Arc::new(self.fetch_site.finish()),
            Arc::new(self.fetch_mode.finish()),
            Arc::new(self.fetch_dest.finish()),
            Arc::new(self.fetch_user.finish()),
            Arc::new(self.purpose.finish()),
            Arc::new(self.transition.finish()),
            Arc::new(self.auto.finish()),
            Arc::new(self.attrs.finish()),
        ];
        RecordBatch::try_new(event_schema(), columns)
    }

    /// Takes the buffered rejects.
    pub fn take_rejects(&mut self) -> Vec<RejectRow> {
        std::mem::take(&mut self.rejects)
    }
}

fn opt(b: &mut StringBuilder, v: Option<&str>) {
    match v {
        Some(s) => b.append_value(s),
        None => b.append_null(),
    }
}

impl EventSink for EventBatchBuilder {
    fn event(&mut self, e: Event<'_>) {
        self.ts.append_value(e.ts.unix_micros());
        self.ts_precision.append_value(e.precision.as_str());
        if e.local_time {
            opt(&mut self.tz_assumed, Some(self.ctx.tz_name.as_deref().unwrap_or("UTC")));
        } else {
            self.tz_assumed.append_null();
        }
        self.clock.append_value(&self.ctx.clock);
        self.format.append_value(&self.ctx.format);
        self.source.append_value(&self.ctx.source);
        self.json.clear();
        e.record.write_to(&mut self.json);
        self.record.append_value(&self.json);
        self.seq.append_value(self.seq_base | (self.part_events & 0xFFFF_FFFF));
        self.part_events += 1;
        self.kind.append_value(e.kind.as_str());
        opt(&mut self.actor, e.actor.as_deref());
        opt(&mut self.device, e.device.as_deref().or(self.ctx.device.as_deref()));
        opt(&mut self.client_ip, e.client_ip.as_deref());
        opt(&mut self.user_agent, e.user_agent.as_deref());
        opt(&mut self.url, e.url.as_deref());
        opt(&mut self.referrer, e.referrer.as_deref());
        opt(&mut self.path, e.path.as_deref());
        self.size.append_option(e.size);
        self.status.append_option(e.status);
        opt(&mut self.sha256, e.sha256.as_deref());
        opt(&mut self.md5, e.md5.as_deref());
        opt(&mut self.sha1, e.sha1.as_deref());
        opt(&mut self.provider_hash, e.provider_hash.as_deref());
        opt(&mut self.provider_hash_kind, e.provider_hash_kind);
        opt(&mut self.fetch_site, e.fetch_site.as_deref());
        opt(&mut self.fetch_mode, e.fetch_mode.as_deref());
        opt(&mut self.fetch_dest, e.fetch_dest.as_deref());
        opt(&mut self.fetch_user, e.fetch_user.as_deref());
        opt(&mut self.purpose, e.purpose.as_deref());
        opt(&mut self.transition, e.transition.as_deref());
        self.auto.append_option(e.auto);
        if e.attrs.is_empty() {
            self.attrs.append_null();
        } else {
            self.json.clear();
            e.attrs.write_json(&mut self.json);
            self.attrs.append_value(&self.json);
        }
        self.counts.events += 1;
        self.pending += 1;
    }

    fn accepted(&mut self) {
        self.counts.records += 1;
        self.pending = 0;
    }

    fn reject(&mut self, r: Reject<'_>) {
        debug_assert_eq!(self.pending, 0, "a rejected record must not have emitted events");
        self.counts.records += 1;
        self.counts.rejects += 1;
        self.rejects.push(RejectRow { record: r.record.to_string(), reason: r.reason, excerpt: Excerpt::of(r.raw) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, Precision, RecordRef, Timestamp};

    #[test]
    fn schema_matches_column_list() {
        let s = event_schema();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, EVENT_COLUMNS);
    }

    #[test]
    fn builder_counts_and_seq() {
        let ctx = InputContext {
            format: "t".into(),
            source: "I0001".into(),
            clock: "c".into(),
            device: Some("PHONE-1".into()),
            tz_name: None,
        };
        let mut b = EventBatchBuilder::new(ctx, 3);
        let rec = RecordRef::Line { offset: 0, line: 1 };
        b.event(Event::new(EventKind::HttpRequest, Timestamp::from_unix_seconds(1).unwrap(), Precision::Second, rec));
        b.accepted();
        b.reject(Reject {
            record: RecordRef::Line { offset: 10, line: 2 },
            reason: RejectReason::Truncated("x".into()),
            raw: b"abc",
        });
        assert_eq!(b.counts(), Counts { records: 2, events: 1, rejects: 1 });
        let batch = b.take_batch().unwrap();
        assert_eq!(batch.num_rows(), 1);
        let seq = batch.column(7).as_any().downcast_ref::<arrow::array::UInt64Array>().unwrap();
        assert_eq!(seq.value(0), 3 << 32);
        let dev = batch.column(10).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        assert_eq!(dev.value(0), "PHONE-1");
        assert_eq!(b.rejects()[0].record, "offset 10 line 2");
    }
}

/// Columns of the content table (one row per file read by `ingest --files`):
/// every hash of the content, the PDQ hash of images, and the reason when the
/// content could not be hashed.
pub const CONTENT_COLUMNS: &[&str] = &[
    "source",
    "record",
    "path",
    "size",
    "md5",
    "sha1",
    "sha256",
    "dropbox_content_hash",
    "quickxorhash",
    "s3_etag",
    "s3_multipart",
    "whatsapp_hash",
    "pdq",
    "pdq_quality",
    "error",
];

/// The Arrow schema of the content table.
pub fn content_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(
                CONTENT_COLUMNS
                    .iter()
                    .map(|c| match *c {
                        "size" => Field::new(*c, DataType::Int64, true),
                        "pdq_quality" => Field::new(*c, DataType::Int32, true),
                        "source" | "record" | "path" => Field::new(*c, DataType::Utf8, false),
                        _ => Field::new(*c, DataType::Utf8, true),
                    })
                    .collect::<Vec<_>>(),
            ))
        })
        .clone()
}

/// One file's row of the content table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentRow {
    /// Rendered record reference.
    pub record: String,
    /// Path relative to the walked root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: Option<i64>,
    /// MD5 hex.
    pub md5: Option<String>,
    /// SHA-1 hex.
    pub sha1: Option<String>,
    /// SHA-256 hex.
    pub sha256: Option<String>,
    /// Dropbox content hash hex.
    pub dropbox_content_hash: Option<String>,
    /// QuickXorHash base64.
    pub quickxorhash: Option<String>,
    /// Single-part S3 ETag.
    pub s3_etag: Option<String>,
    /// Multipart ETags as a JSON array of `{part_mib, parts, etag}`.
    pub s3_multipart: Option<String>,
    /// WhatsApp-style base64 SHA-256.
    pub whatsapp_hash: Option<String>,
    /// PDQ hex.
    pub pdq: Option<String>,
    /// PDQ quality.
    pub pdq_quality: Option<i32>,
    /// Why the content (or its PDQ) could not be computed.
    pub error: Option<String>,
}

/// Builds a content-table batch.
pub fn content_batch(source: &str, rows: &[ContentRow]) -> Result<RecordBatch, ArrowError> {
    let s = |f: &dyn Fn(&ContentRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<arrow::array::StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(arrow::array::StringArray::from_iter_values(rows.iter().map(|_| source))),
        Arc::new(arrow::array::StringArray::from_iter_values(rows.iter().map(|r| r.record.as_str()))),
        Arc::new(arrow::array::StringArray::from_iter_values(rows.iter().map(|r| r.path.as_str()))),
        Arc::new(rows.iter().map(|r| r.size).collect::<arrow::array::Int64Array>()),
        s(&|r| r.md5.as_deref()),
        s(&|r| r.sha1.as_deref()),
        s(&|r| r.sha256.as_deref()),
        s(&|r| r.dropbox_content_hash.as_deref()),
        s(&|r| r.quickxorhash.as_deref()),
        s(&|r| r.s3_etag.as_deref()),
        s(&|r| r.s3_multipart.as_deref()),
        s(&|r| r.whatsapp_hash.as_deref()),
        s(&|r| r.pdq.as_deref()),
        Arc::new(rows.iter().map(|r| r.pdq_quality).collect::<arrow::array::Int32Array>()),
        s(&|r| r.error.as_deref()),
    ];
    RecordBatch::try_new(content_schema(), columns)
}
