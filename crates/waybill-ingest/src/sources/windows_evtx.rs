//! Windows event logs (`.evtx`): presence — logon, logoff, lock, unlock,
//! screensaver, sleep and wake.
//!
//! # What it reads
//! Every record of an EVTX file (Security, System, or any channel). The file
//! is read once, in order, and hashed as it is read; its 64 KiB chunks are
//! checked and decoded on every core and emitted in the order the `evtx`
//! crate walks them (`EvtxParser::chunks`): from the chunk holding the oldest
//! records (a log that wrapped around starts mid-file) to the end, then from
//! the start; empty chunks skipped; a chunk whose header or either CRC fails
//! is one reject (`undecodable[i]`), with the crate's own error; a last
//! piece shorter than a chunk that holds data (a file cut short) is one
//! `truncated` reject, where the crate passes over it silently; a test
//! compares the whole walk with the crate's on a real log wrapped, emptied,
//! damaged and padded. Each chunk's records are read
//! straight from their BinXML (`binxml`): Windows writes each record as a
//! template instance, so the chunk's templates say where the event id, the
//! provider, `TimeCreated`, `Computer`, `Channel` and the named `EventData`
//! are, and a record costs its substitution table. Only the event id of a
//! record is read unless it is one of the ids below. A chunk holding anything
//! that reader does not handle (a record that is not one template instance, a
//! value type it does not render, a damaged record) is rendered to JSON by the
//! crate instead, record by record; a test checks on every chunk of the real
//! logs that both give the same events. Records that say nothing about
//! whether someone was at the device are counted as accepted and produce no
//! event, so the counts match the file's record count.
//!
//! # Versions seen
//! EVTX 3.1 and 3.2 (Windows Vista to 11): the omerbenamram/evtx and chainsaw
//! Security samples, plaso's System logs; 4800–4803 built from their documented
//! XML (no public sample has them; see the fixtures).
//!
//! # Events emitted
//! At the record's `TimeCreated` (FILETIME, 100 ns), `device` = `Computer`:
//! - Security 4624 (an account logged on) → `session.logon`; `actor` =
//!   `TargetDomainName\TargetUserName`, `client_ip` = `IpAddress` (when an
//!   address), attrs `logon_type` (number) and `logon_type_name`
//!   (`interactive`, `network`, `batch`, `service`, `unlock`,
//!   `network_cleartext`, `new_credentials`, `remote_interactive`,
//!   `cached_interactive`, `cached_remote_interactive`, `cached_unlock`),
//!   `logon_id`, `workstation`, `logon_process`, `auth_package`, `elevated`;
//!   `auto` = true for logons of the system itself (types 0, 4, 5: system,
//!   batch, service), false for a person at the keyboard or screen (2, 7, 10, 11,
//!   12, 13), unset otherwise (3, network; 8; 9).
//! - Security 4634 (logged off) and 4647 (user-initiated logoff) →
//!   `session.logoff` (attrs `logon_type` for 4634, `user_initiated` = true for 4647).
//! - Security 4800 (workstation locked) → `session.lock`; 4801 (unlocked) →
//!   `session.unlock`; 4802 / 4803 (screen saver invoked / dismissed) →
//!   `session.lock` / `session.unlock` with attrs `screensaver` = true.
//! - System, provider Microsoft-Windows-Kernel-Power: 42 (entering sleep) →
//!   `power.sleep` (attrs `target_state`, `reason`); 107 (resumed from sleep)
//!   → `power.wake`; 506 / 507 (modern standby entered / exited) →
//!   `power.sleep` / `power.wake` with attrs `modern_standby` = true.
//! - System, provider Microsoft-Windows-Power-Troubleshooter 1 (returned from
//!   a low power state) → `power.wake`, attrs `sleep_time`, `wake_time`,
//!   `wake_source` as logged.
//! - System, provider Microsoft-Windows-Kernel-General: 12 (the operating
//!   system started) → `power.wake` with attrs `boot` = true; 13 (the
//!   operating system is shutting down) → `power.sleep` with attrs `shutdown`
//!   = true: a device that is off receives nothing either.
//!
//! attrs always: `event_id`, `provider`, `channel`, `record_id`.
//! `record` = `EventRecordID <n>`.
//!
//! # What it cannot tell us
//! A logon says a session started, not that a person was looking at the screen;
//! a missing lock event is not proof of presence (locking is often not audited:
//! 4800/4801 need "Audit Other Logon/Logoff Events"). Sleep and wake come from
//! the System log, which rotates by size. A record the crate cannot decode is
//! a reject; a damaged chunk loses the records in it, which the crate reports
//! as errors (each one a reject). A value of a record this source does not
//! read (the `EventData` of a record whose id is not above) is not decoded, so
//! damage confined to it is not reported.
//!
//! # References
//! Microsoft, "4624(S): An account was successfully logged on" (logon types),
//! 4634, 4647, 4800–4803; Kernel-Power 42/107, Power-Troubleshooter 1
//! (Microsoft Learn, Windows event IDs); libyal/libevtx documentation of the
//! format; plaso `winevtx` parser (record counts compared in the real-data tests);
//! `../shared/knowledge/artifacts.md` section 8.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use evtx::err::{ChunkError, EvtxError};
use evtx::{ChunkFlags, EvtxChunkData, EvtxChunkHeader, EvtxFileHeader, ParserSettings};
use serde_json::Value;
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::{Content, Input, RawReader};
use crate::par::Pipeline;
use crate::source::{ClockHint, InputKind, Probe, Sniff, Source, SourceError};

mod binxml;

use binxml::Fields;

/// Windows event logs.
pub struct WindowsEvtx;

/// The first bytes of every EVTX file.
const MAGIC: &[u8] = b"ElfFile\0";

fn logon_type_name(t: i64) -> Option<&'static str> {
    Some(match t {
        0 => "system",
        2 => "interactive",
        3 => "network",
        4 => "batch",
        5 => "service",
        7 => "unlock",
        8 => "network_cleartext",
        9 => "new_credentials",
        10 => "remote_interactive",
        11 => "cached_interactive",
        12 => "cached_remote_interactive",
        13 => "cached_unlock",
        _ => return None,
    })
}

/// A value of the rendered JSON as text (numbers and strings; `#text` of an
/// element with attributes).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("#text").and_then(text),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => binxml::int_text(s),
        Value::Object(o) => o.get("#text").and_then(int),
        _ => None,
    }
}

/// The named data of a record: `EventData` (or `UserData`'s first child), as
/// text, in order.
fn data(event: &Value) -> Vec<(String, String)> {
    let from = |v: &Value| -> Option<Vec<(String, String)>> {
        let o = v.as_object()?;
        Some(o.iter().filter(|(k, _)| !k.starts_with('#')).filter_map(|(k, v)| Some((k.clone(), text(v)?))).collect())
    };
    if let Some(m) = event.get("EventData").and_then(from) {
        return m;
    }
    event.get("UserData").and_then(Value::as_object).and_then(|o| o.values().next()).and_then(from).unwrap_or_default()
}

/// The fields of a record the crate rendered as JSON.
fn fields_of(json: &Value) -> Result<Fields, RejectReason> {
    let event = json.get("Event").unwrap_or(json);
    let system = event.get("System").ok_or_else(|| RejectReason::Malformed("no System element".into()))?;
    let attr = |el: &str, name: &str| system.get(el).and_then(|p| p.get("#attributes")).and_then(|a| a.get(name));
    Ok(Fields {
        provider: attr("Provider", "Name").and_then(text),
        event_id: system.get("EventID").and_then(int),
        time_created: attr("TimeCreated", "SystemTime").and_then(Value::as_str).map(str::to_owned),
        channel: system.get("Channel").and_then(text),
        computer: system.get("Computer").and_then(text),
        data: data(event),
    })
}

impl Source for WindowsEvtx {
    fn id(&self) -> &'static str {
        "windows.evtx"
    }

    fn description(&self) -> &'static str {
        "Windows event logs (.evtx): logon/logoff, lock/unlock, screensaver, sleep/wake"
    }

    fn version(&self) -> u32 {
        // 3: a file cut short inside a chunk is a reject.
        3
    }

    fn input_kind(&self) -> InputKind {
        InputKind::Text
    }

    fn clock(&self) -> ClockHint {
        ClockHint::Device
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        if probe.head.starts_with(MAGIC) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let io = |source| SourceError::Io { offset: 0, source };
        let not_this = |reason: String| SourceError::NotThisFormat { format: self.id(), reason };
        let path = input.path().to_owned();
        let settings = Arc::new(ParserSettings::default().num_threads(1).validate_checksums(true));
        let progress = Arc::clone(input.progress());
        // The content hashes what it reads: the chunks are read from it once.
        input.with_content(|content| {
            let Content::Plain(raw) = content else {
                return Err(SourceError::Unsupported("a gzip-compressed EVTX file; decompress it first".into()));
            };
            let mut file = crate::input::open_evidence(&path).map_err(io)?;
            let header = EvtxFileHeader::from_stream(&mut file).map_err(|e| not_this(chain(&EvtxError::from(e))))?;
            // As the crate counts chunks: from the file's size, not the header's
            // count (a log can hold more chunks than a u16 counts).
            let size = file.metadata().map_err(io)?.len();
            let count = size.checked_sub(u64::from(header.header_block_size)).ok_or_else(|| {
                not_this(
                EvtxError::CalculationError(format!(
                    "Could not calculate valid chunk count because stream size is less than evtx header block size. \
                     (stream_size: {size}, header_block_size: {})",
                    header.header_block_size
                ))
                .to_string(),
            )
            })? / CHUNK_SIZE as u64;
            read_records(raw, file, count, &settings, &progress, out)
        })?
    }
}

/// The size of the file header block, where the chunks start.
const FILE_HEADER: usize = 4096;

/// The chunk that holds the oldest records, where Windows starts reading a
/// log, as the crate finds it (`EvtxParser::chunks`): the lowest first record
/// id among the chunk headers that read and whose range is not reversed; chunk
/// 0 when none does.
fn oldest_chunk(file: &mut std::fs::File, count: u64) -> u64 {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut oldest = (u64::MAX, 0);
    let mut header = [0u8; CHUNK_HEADER];
    for n in 0..count {
        let offset = FILE_HEADER as u64 + n * CHUNK_SIZE as u64;
        if file.seek(SeekFrom::Start(offset)).is_err() || file.read_exact(&mut header).is_err() {
            break;
        }
        if let Ok(h) = EvtxChunkHeader::from_bytes(&header)
            && h.first_event_record_id <= h.last_event_record_id
            && h.first_event_record_id < oldest.0
        {
            oldest = (h.first_event_record_id, n);
        }
    }
    oldest.1
}

/// The crate's walk over the chunks in record order (`EvtxParser::chunks`),
/// applied to chunks read in file order: from the oldest chunk to the end of
/// the file, then from chunk 0 up to the oldest. In the first part, a chunk
/// past the counted ones that fails to read ends it (the file's end, or
/// trailing damage); empty chunks are skipped (by [`read_raw_chunk`]).
#[derive(Debug, Clone, Copy)]
struct Walk {
    /// Complete chunks the file's size allows after its header block.
    count: u64,
    /// Where the walk starts.
    oldest: u64,
    /// The first part has ended.
    stopped: bool,
}

/// Where a chunk read in file order goes in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the first part: emitted now, in file order.
    Now,
    /// Before the oldest chunk: emitted after the first part.
    Later,
    /// Not part of the walk.
    Never,
}

impl Walk {
    fn place(&mut self, n: u64, failed: bool) -> Place {
        if n < self.oldest {
            Place::Later
        } else if self.stopped {
            Place::Never
        } else if failed && n >= self.count {
            self.stopped = true;
            Place::Never
        } else {
            Place::Now
        }
    }
}

/// One chunk as read: nothing (all zero), the crate's error for it, or its records.
enum ChunkOutcome {
    Empty,
    Failed(EvtxError),
    Read(Vec<Rendered>),
}

/// Reads the file once, in order. Each piece read is hashed on a thread of
/// its own and its chunks are decoded on every core, then emitted in the
/// crate's walk order.
fn read_records(
    raw: &mut RawReader,
    mut file: std::fs::File,
    count: u64,
    settings: &Arc<ParserSettings>,
    progress: &crate::progress::Progress,
    out: &mut dyn EventSink,
) -> Result<(), SourceError> {
    if raw.bytes() != 0 {
        return Err(SourceError::Invalid("the EVTX content was read before its chunks".into()));
    }
    let mut errors = 0u64;
    let mut later: Vec<ChunkOutcome> = Vec::new();
    // A last piece shorter than a chunk that holds data: (chunk, offset, bytes).
    let mut tail: Option<(u64, u64, usize)> = None;
    let mut hasher = raw.take_hasher();
    // Chunk buffers come back with their results (and from the hash) and are
    // read into again.
    let pool: RefCell<Vec<Vec<u8>>> = RefCell::new(Vec::new());
    let (read, hasher) = std::thread::scope(|scope| {
        let (to_hash, pieces) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(256);
        let hashing = scope.spawn(move || {
            for piece in pieces {
                sha2::Digest::update(&mut hasher, piece.as_slice());
            }
            hasher
        });
        let mut next = |buf: &mut Vec<u8>, len: usize, offset: u64| -> Result<Arc<Vec<u8>>, SourceError> {
            buf.resize(len, 0);
            let got = raw.read_full_unhashed(buf).map_err(|source| SourceError::Io { offset, source })?;
            buf.truncate(got);
            progress.set(offset + got as u64, FILE_HEADER as u64 + count * CHUNK_SIZE as u64);
            let piece = Arc::new(std::mem::take(buf));
            // The hash thread only ends when the channel closes.
            let _ = to_hash.send(Arc::clone(&piece));
            Ok(piece)
        };
        // Where the walk starts is found while the first chunks are read
        // (nothing is emitted before it is known).
        let mut oldest = Some(scope.spawn(move || oldest_chunk(&mut file, count)));
        let mut walk: Option<Walk> = None;
        let result = (|| {
            next(&mut Vec::new(), FILE_HEADER, 0)?;
            let decode: crate::par::ParseFn<'_, (u64, Arc<Vec<u8>>), ChunkOutcome> =
                Arc::new(|(n, data): &(u64, Arc<Vec<u8>>)| read_raw_chunk(*n, data, settings));
            let mut pipeline = Pipeline::new(scope, decode);
            let mut emit = |(n, data): (u64, Arc<Vec<u8>>), outcome: ChunkOutcome| {
                if let Ok(buf) = Arc::try_unwrap(data) {
                    pool.borrow_mut().push(buf);
                }
                let walk = walk.get_or_insert_with(|| {
                    let oldest = oldest.take().map_or(Ok(0), std::thread::ScopedJoinHandle::join);
                    Walk {
                        count,
                        oldest: oldest.unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                        stopped: false,
                    }
                });
                match walk.place(n, matches!(outcome, ChunkOutcome::Failed(_))) {
                    Place::Now => emit_outcome(outcome, &mut errors, out),
                    Place::Later => later.push(outcome),
                    Place::Never => {}
                }
            };
            for n in 0u64.. {
                let mut buf = pool.borrow_mut().pop().unwrap_or_default();
                let offset = FILE_HEADER as u64 + n * CHUNK_SIZE as u64;
                let piece = next(&mut buf, CHUNK_SIZE, offset)?;
                let short = piece.len() < CHUNK_SIZE;
                if short && piece.iter().any(|b| *b != 0) {
                    tail = Some((n, offset, piece.len()));
                }
                // A short last piece is the crate's incomplete chunk (a reject
                // only when the file's size counted it).
                pipeline.push((n, piece), crate::par::BATCH_BYTES / BATCH_CHUNKS, &mut emit);
                if short {
                    break;
                }
            }
            pipeline.flush(&mut emit);
            Ok(())
        })();
        drop(to_hash);
        match hashing.join() {
            Ok(hasher) => (result, hasher),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    raw.put_hasher(hasher);
    read?;
    for outcome in later {
        emit_outcome(outcome, &mut errors, out);
    }
    // The crate passes over a last piece past the chunks the file's size
    // counts; data there is a file cut short (or bytes appended), which the
    // examiner is told of.
    if let Some((n, offset, len)) = tail.filter(|(n, _, _)| *n >= count) {
        let reason = RejectReason::Truncated(format!(
            "the file ends {len} bytes into chunk {n} (at offset {offset}; a chunk is {CHUNK_SIZE} bytes): \
             the records in that piece are not read"
        ));
        out.reject(Reject { record: RecordRef::Item { list: "undecodable", index: errors }, reason, raw: b"" });
    }
    Ok(())
}

fn emit_outcome(outcome: ChunkOutcome, errors: &mut u64, out: &mut dyn EventSink) {
    match outcome {
        ChunkOutcome::Empty => {}
        ChunkOutcome::Failed(e) => {
            emit_failed(&e, *errors, out);
            *errors += 1;
        }
        ChunkOutcome::Read(rendered) => {
            for r in rendered {
                if let Rendered::Failed(e) = &r {
                    emit_failed(e, *errors, out);
                    *errors += 1;
                } else {
                    emit_rendered(r, out);
                }
            }
        }
    }
}

/// The size of a chunk.
const CHUNK_SIZE: usize = 65_536;
/// Chunks decoded per batch (16 MiB): fewer hand-overs between the reading
/// thread and the decoding threads than the pipeline's default 4 MiB. On a
/// 512 MiB log (2 cores), 64 chunks took 0.72 s median, 128 took 0.70 s and
/// 256 0.69 s, at 95, 100–110 and 120–125 MiB peak memory.
const BATCH_CHUNKS: usize = 256;
/// Records start after the chunk header.
const CHUNK_HEADER: usize = 512;
/// Magic (4), size (4), record id (8), written time (8).
const RECORD_HEADER: usize = 24;

/// Chunk `n` as the crate would read it: incomplete, empty, damaged (its
/// header, or a CRC), else its records — read from their BinXML when the fast
/// reader can read every one of them, else rendered by the crate.
fn read_raw_chunk(n: u64, data: &[u8], settings: &Arc<ParserSettings>) -> ChunkOutcome {
    let failed = |e| ChunkOutcome::Failed(EvtxError::FailedToParseChunk { chunk_id: n, source: Box::new(e) });
    if data.len() != CHUNK_SIZE {
        return failed(ChunkError::IncompleteChunk);
    }
    if data.iter().all(|b| *b == 0) {
        return ChunkOutcome::Empty;
    }
    match checked_header(data) {
        Ok(header) => {
            ChunkOutcome::Read(read_chunk_fast(data, &header).unwrap_or_else(|| read_chunk_rendered(n, data, settings)))
        }
        Err(e) => failed(e),
    }
}

/// The chunk's header, with the checks `EvtxChunkData::new` makes when asked
/// to validate checksums (the header's CRC32, then the records'), without
/// copying the chunk.
fn checked_header(data: &[u8]) -> Result<EvtxChunkHeader, ChunkError> {
    let header = EvtxChunkHeader::from_bytes(data)?;
    if header.flags.contains(ChunkFlags::NO_CRC32) {
        return Ok(header);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&data[..120]);
    crc.update(&data[128..CHUNK_HEADER]);
    let (expected, found) = (header.header_chunk_checksum, crc.finalize());
    if expected != found {
        return Err(ChunkError::InvalidChunkHeaderChecksum { expected, found });
    }
    let offset = header.free_space_offset;
    let Some(records) = data.get(CHUNK_HEADER..offset as usize) else {
        return Err(ChunkError::InvalidFreeSpaceOffset { offset });
    };
    let (expected, found) = (header.events_checksum, evtx::checksum_ieee(records));
    if expected != found {
        return Err(ChunkError::InvalidChunkChecksum { expected, found });
    }
    Ok(header)
}

/// The chunk's records, walked as the crate walks them (from the header to
/// the free space or the chunk's last record id), each read by
/// [`binxml::record`]; `None` at the first thing it cannot read, or at a
/// record that would be a reject (the crate's path gives its JSON).
fn read_chunk_fast(data: &[u8], header: &EvtxChunkHeader) -> Option<Vec<Rendered>> {
    let live_end = (header.free_space_offset as usize).min(data.len());
    let mut templates = binxml::Templates::default();
    let mut out = Vec::new();
    let mut at = CHUNK_HEADER;
    while at < live_end {
        let head = data.get(at..at + RECORD_HEADER)?;
        if head[..4] != *b"**\0\0" {
            return None;
        }
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let id = u64::from_le_bytes(head[8..16].try_into().ok()?);
        let len = size.checked_sub(RECORD_HEADER + 4)?;
        let start = at + RECORD_HEADER;
        if start + len > data.len() {
            return None;
        }
        let fields = binxml::record(data, start, len, &mut templates, id_read, |p, id| kind_of(p, id).is_some())?;
        let provider = fields.provider.as_deref().unwrap_or_default();
        match fields.event_id.and_then(|e| kind_of(provider, e)) {
            None => Rendered::Unread(1),
            Some(_) => match map(&fields, id, RecordRef::EventRecord { id }).ok()? {
                Some(e) => Rendered::Event(Box::new(e)),
                None => Rendered::Unread(1),
            },
        }
        .push_to(&mut out);
        if id == header.last_event_record_id {
            break;
        }
        at += size;
    }
    Some(out)
}

/// The chunk's records rendered as JSON by the crate, one by one.
fn read_chunk_rendered(chunk_id: u64, data: &[u8], settings: &Arc<ParserSettings>) -> Vec<Rendered> {
    let failed = |e| vec![Rendered::Failed(Box::new(EvtxError::FailedToParseChunk { chunk_id, source: Box::new(e) }))];
    let mut copy = match EvtxChunkData::new(data.to_vec(), false) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    copy.number = Some(chunk_id);
    let mut parsed = match copy.parse(Arc::clone(settings)) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let mut out = Vec::new();
    for r in parsed.iter() {
        match r.and_then(evtx::EvtxRecord::into_json_bytes) {
            Ok(rec) => render((rec.event_record_id, &rec.data)),
            Err(e) => Rendered::Failed(Box::new(e)),
        }
        .push_to(&mut out);
    }
    out
}

fn emit_rendered(r: Rendered, out: &mut dyn EventSink) {
    match r {
        Rendered::Unread(n) => (0..n).for_each(|_| out.accepted()),
        Rendered::Event(e) => {
            out.event(*e);
            out.accepted();
        }
        Rendered::Reject { id, reason, raw } => {
            out.reject(Reject { record: RecordRef::EventRecord { id }, reason, raw: raw.as_bytes() });
        }
        Rendered::Failed(_) => {}
    }
}

/// A record that does not decode is named by its id when the crate knows it,
/// else by its rank (`index`) among such errors; the reason carries the
/// crate's whole error chain.
fn emit_failed(e: &evtx::err::EvtxError, index: u64, out: &mut dyn EventSink) {
    let record = match e {
        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => RecordRef::EventRecord { id: *record_id },
        _ => RecordRef::Item { list: "undecodable", index },
    };
    out.reject(Reject { record, reason: RejectReason::Malformed(chain(e)), raw: b"" });
}

/// An error with its whole chain of causes, `outer: inner: …`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut why = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        why.push_str(": ");
        why.push_str(&c.to_string());
        cause = c.source();
    }
    why
}

/// The names of `EventData` that [`map`] reads.
const DATA_READ: &[&str] = &[
    "TargetUserName",
    "TargetDomainName",
    "IpAddress",
    "LogonType",
    "TargetLogonId",
    "WorkstationName",
    "LogonProcessName",
    "AuthenticationPackageName",
    "SessionId",
    "ElevatedToken",
    "TargetState",
    "Reason",
    "SleepTime",
    "WakeTime",
    "WakeSourceText",
    "WakeSourceType",
];

const SECURITY_PROVIDER: &str = "Microsoft-Windows-Security-Auditing";

/// The event kind (and a flag attribute) of the records this source reads,
/// by provider and event id; `None` for every other record.
fn kind_of(provider: &str, id: i64) -> Option<(EventKind, &'static str)> {
    let security = provider == SECURITY_PROVIDER;
    Some(match (security, provider, id) {
        (true, _, 4624) => (EventKind::SessionLogon, ""),
        (true, _, 4634 | 4647) => (EventKind::SessionLogoff, ""),
        (true, _, 4800) => (EventKind::SessionLock, ""),
        (true, _, 4801) => (EventKind::SessionUnlock, ""),
        (true, _, 4802) => (EventKind::SessionLock, "screensaver"),
        (true, _, 4803) => (EventKind::SessionUnlock, "screensaver"),
        (_, "Microsoft-Windows-Kernel-Power", 42) => (EventKind::PowerSleep, ""),
        (_, "Microsoft-Windows-Kernel-Power", 107) => (EventKind::PowerWake, ""),
        (_, "Microsoft-Windows-Kernel-Power", 506) => (EventKind::PowerSleep, "modern_standby"),
        (_, "Microsoft-Windows-Kernel-Power", 507) => (EventKind::PowerWake, "modern_standby"),
        (_, "Microsoft-Windows-Power-Troubleshooter", 1) => (EventKind::PowerWake, ""),
        (_, "Microsoft-Windows-Kernel-General", 12) => (EventKind::PowerWake, "boot"),
        (_, "Microsoft-Windows-Kernel-General", 13) => (EventKind::PowerSleep, "shutdown"),
        _ => return None,
    })
}

/// Whether some provider's event `id` is one [`kind_of`] reads.
fn id_read(id: i64) -> bool {
    matches!(id, 4624 | 4634 | 4647 | 4800..=4803 | 42 | 107 | 506 | 507 | 1 | 12 | 13)
}

/// A scan of a rendered record up to the end of `Event.System`: the renderer
/// writes `System` first, so the rest of a record (its `EventData`, most of
/// its bytes) is neither parsed nor built. The scan walks the JSON structure
/// (strings, nesting) rather than searching for text, and gives up (`None`)
/// on anything it does not expect: an escape in a key or in the provider's
/// name, a document that ends early, nesting deeper than a record has.
mod head {
    /// `Provider.#attributes.Name` and `EventID` (a number, a numeric string,
    /// or an element's `#text`) of `System`; the last of duplicate members wins.
    #[derive(Debug, Default, PartialEq)]
    pub(super) struct System<'a> {
        pub provider: Option<&'a str>,
        pub event_id: Option<i64>,
    }

    /// `System` of the record `json`, or `None` when the scan cannot make it out.
    pub(super) fn system(json: &[u8]) -> Option<System<'_>> {
        let mut s = Scan { b: json, i: 0 };
        let mut found = None;
        s.object(|s, key| {
            if key != b"Event" {
                return s.skip(0).map(|()| true);
            }
            s.object(|s, key| {
                if key != b"System" {
                    return s.skip(1).map(|()| true);
                }
                let mut sys = System::default();
                s.object(|s, key| match key {
                    b"EventID" => {
                        sys.event_id = s.event_id();
                        Some(true)
                    }
                    b"Provider" => s
                        .object(|s, key| {
                            if key != b"#attributes" {
                                return s.skip(3).map(|()| true);
                            }
                            s.object(|s, key| {
                                if key == b"Name" {
                                    sys.provider = Some(s.plain_string()?);
                                    Some(true)
                                } else {
                                    s.skip(4).map(|()| true)
                                }
                            })
                            .map(|()| true)
                        })
                        .map(|()| true),
                    _ => s.skip(2).map(|()| true),
                })?;
                found = Some(sys);
                // System read: stop the walk.
                Some(false)
            })
            .map(|()| false)
        })?;
        found
    }

    /// Nesting beyond this is not a rendered event record.
    const MAX_DEPTH: usize = 64;

    struct Scan<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl<'a> Scan<'a> {
        fn ws(&mut self) {
            while self.b.get(self.i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
                self.i += 1;
            }
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            self.ws();
            (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
        }

        /// A string at the cursor: its raw bytes and whether it holds an escape.
        fn string(&mut self) -> Option<(&'a [u8], bool)> {
            self.eat(b'"')?;
            let start = self.i;
            let mut escaped = false;
            loop {
                let at = self.i + memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
                if self.b[at] == b'"' {
                    self.i = at + 1;
                    return Some((&self.b[start..at], escaped));
                }
                escaped = true;
                self.i = at + 2;
            }
        }

        /// A string without escapes, as text.
        fn plain_string(&mut self) -> Option<&'a str> {
            match self.string()? {
                (raw, false) => std::str::from_utf8(raw).ok(),
                (_, true) => None,
            }
        }

        /// An object at the cursor: `member` is called with each key (which
        /// has no escape) and reads its value; it returns whether to go on.
        fn object(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Option<bool>) -> Option<()> {
            self.eat(b'{')?;
            if self.eat(b'}').is_some() {
                return Some(());
            }
            loop {
                let key = self.plain_string()?.as_bytes();
                self.eat(b':')?;
                if !member(self, key)? {
                    return Some(());
                }
                self.ws();
                match self.b.get(self.i)? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// Steps over one value of any kind.
        fn skip(&mut self, depth: usize) -> Option<()> {
            if depth > MAX_DEPTH {
                return None;
            }
            self.ws();
            match *self.b.get(self.i)? {
                b'"' => self.string().map(drop),
                b'{' => self.object(|s, _| s.skip(depth + 1).map(|()| true)),
                b'[' => {
                    self.i += 1;
                    if self.eat(b']').is_some() {
                        return Some(());
                    }
                    loop {
                        self.skip(depth + 1)?;
                        self.ws();
                        match self.b.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                return Some(());
                            }
                            _ => return None,
                        }
                    }
                }
                _ => {
                    let start = self.i;
                    while self
                        .b
                        .get(self.i)
                        .is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                    {
                        self.i += 1;
                    }
                    (self.i > start).then_some(())
                }
            }
        }

        /// `EventID`: a number, a string holding one (decimal or `0x` hex),
        /// or an object whose `#text` is one; `None` for anything else.
        fn event_id(&mut self) -> Option<i64> {
            self.ws();
            match *self.b.get(self.i)? {
                b'"' => super::binxml::int_text(self.plain_string()?),
                b'{' => {
                    let mut id = None;
                    self.object(|s, key| {
                        if key == b"#text" {
                            id = s.event_id();
                            id.map(|_| true)
                        } else {
                            s.skip(3).map(|()| true)
                        }
                    })?;
                    id
                }
                _ => {
                    let start = self.i;
                    self.skip(0)?;
                    std::str::from_utf8(&self.b[start..self.i]).ok()?.parse().ok()
                }
            }
        }
    }
}

/// Whether the record rendered as `json` is certainly one this source does
/// not read (a provider and event id outside [`kind_of`]). Anything else,
/// including a record whose `System` the scan cannot make out, takes the full
/// path, where it becomes an event or a reject. Only `System` is scanned: a
/// record left unread is not checked past it (the renderer writes valid JSON).
fn certainly_unread(json: &[u8]) -> bool {
    let Some(head::System { provider, event_id: Some(id) }) = head::system(json) else {
        return false;
    };
    kind_of(provider.unwrap_or_default(), id).is_none()
}

/// A record as the parser's workers hand it over.
enum Rendered {
    /// That many records in a row decoded, none one this source reads (or
    /// one it reads to no event): one entry, not one per record, as most
    /// records of a log are these.
    Unread(u32),
    /// The event of a record.
    Event(Box<Event<'static>>),
    /// A record read in full that does not map; `raw` is its JSON.
    Reject { id: u64, reason: RejectReason, raw: String },
    /// A record (or chunk) the crate could not decode.
    Failed(Box<evtx::err::EvtxError>),
}

impl Rendered {
    /// Appends this outcome to `out`, a run of unread records counted in one entry.
    fn push_to(self, out: &mut Vec<Rendered>) {
        match (self, out.last_mut()) {
            (Rendered::Unread(n), Some(Rendered::Unread(run))) => *run += n,
            (r, _) => out.push(r),
        }
    }
}

/// A record the crate rendered: scan it, and build the tree and the event
/// only for candidates.
fn render((id, json): (u64, &[u8])) -> Rendered {
    if certainly_unread(json) {
        return Rendered::Unread(1);
    }
    let data: Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(e) => {
            let raw = String::from_utf8_lossy(json).into_owned();
            return Rendered::Reject { id, reason: RejectReason::Malformed(format!("rendered JSON: {e}")), raw };
        }
    };
    match fields_of(&data).and_then(|f| map(&f, id, RecordRef::EventRecord { id })) {
        Ok(Some(e)) => Rendered::Event(Box::new(e)),
        Ok(None) => Rendered::Unread(1),
        Err(reason) => Rendered::Reject { id, reason, raw: data.to_string() },
    }
}

/// One record → at most one event.
fn map(f: &Fields, record_id: u64, record: RecordRef) -> Result<Option<Event<'static>>, RejectReason> {
    let id = f.event_id.ok_or_else(|| RejectReason::Malformed("no EventID".into()))?;
    let provider = f.provider.clone().unwrap_or_default();
    let channel = f.channel.clone().unwrap_or_default();
    let security = provider == SECURITY_PROVIDER;
    let Some((kind, extra)) = kind_of(&provider, id) else {
        return Ok(None);
    };
    let created =
        f.time_created.as_deref().ok_or_else(|| RejectReason::Malformed("no TimeCreated SystemTime".into()))?;
    let ts = Timestamp::parse_rfc3339(created)?;
    let mut e = Event::new(kind, ts, Precision::HundredNanos, record);
    e.device = f.computer.clone().map(Cow::Owned);
    let get = |k: &str| f.data.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match id {
        4624 | 4634 | 4647 | 4800..=4803 if security => {
            let user = get("TargetUserName");
            let domain = get("TargetDomainName");
            e.actor = match (domain, user) {
                (Some(d), Some(u)) => Some(Cow::Owned(format!("{d}\\{u}"))),
                (None, Some(u)) => Some(Cow::Owned(u)),
                _ => None,
            };
            if let Some(ip) = get("IpAddress").filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
                e.client_ip = Some(Cow::Owned(ip));
            }
            if let Some(t) = get("LogonType").as_deref().and_then(binxml::int_text) {
                e.attrs.push("logon_type", t);
                e.attrs.push_opt("logon_type_name", logon_type_name(t));
                if id == 4624 {
                    e.auto = match t {
                        0 | 4 | 5 => Some(true),
                        2 | 7 | 10 | 11 | 12 | 13 => Some(false),
                        _ => None,
                    };
                }
            }
            e.attrs.push_opt("logon_id", get("TargetLogonId"));
            e.attrs.push_opt("workstation", get("WorkstationName"));
            e.attrs.push_opt("logon_process", get("LogonProcessName").map(|s| s.trim().to_owned()));
            e.attrs.push_opt("auth_package", get("AuthenticationPackageName"));
            e.attrs.push_opt("session_id", get("SessionId"));
            if let Some(el) = get("ElevatedToken") {
                e.attrs.push("elevated", el.contains("1842"));
            }
            if id == 4647 {
                e.attrs.push("user_initiated", true);
            }
        }
        _ => {
            e.attrs.push_opt("target_state", get("TargetState"));
            e.attrs.push_opt("reason", get("Reason"));
            e.attrs.push_opt("sleep_time", get("SleepTime"));
            e.attrs.push_opt("wake_time", get("WakeTime"));
            e.attrs.push_opt("wake_source", get("WakeSourceText").or_else(|| get("WakeSourceType")));
        }
    }
    if !extra.is_empty() {
        e.attrs.push(extra, true);
    }
    e.attrs.push("event_id", id);
    e.attrs.push("provider", provider);
    e.attrs.push_opt("channel", (!channel.is_empty()).then_some(channel));
    e.attrs.push("record_id", i64::try_from(record_id).unwrap_or(i64::MAX));
    Ok(Some(e))
}

#[cfg(test)]
mod tests {
    use evtx::EvtxParser;
    use serde_json::json;

    use super::*;

    /// An event as the `evtx` crate renders it, from the Windows event schema
    /// (System + EventData); the lock/unlock events have no public sample.
    fn event(provider: &str, id: Value, channel: &str, data: Value) -> Value {
        json!({"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": provider, "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
                "EventID": id,
                "TimeCreated": {"#attributes": {"SystemTime": "2026-01-03T02:14:07.1234567Z"}},
                "EventRecordID": 7,
                "Channel": channel,
                "Computer": "WS-EXAMPLE-01.example.test"
            },
            "EventData": data
        }})
    }

    const SECURITY: &str = "Microsoft-Windows-Security-Auditing";

    fn attrs(e: &Event<'_>) -> String {
        let mut s = String::new();
        e.attrs.write_json(&mut s);
        s
    }

    fn run(v: &Value) -> Option<Event<'static>> {
        map(&fields_of(v).expect("fields"), 7, RecordRef::EventRecord { id: 7 }).expect("mapped")
    }

    #[test]
    fn lock_unlock_and_screensaver() {
        let data = json!({"TargetUserSid": "S-1-5-21-1-2-3-1001", "TargetUserName": "alice",
                          "TargetDomainName": "EXAMPLE", "TargetLogonId": "0x3e7a1", "SessionId": 1});
        for (id, kind, screensaver) in [
            (4800, EventKind::SessionLock, false),
            (4801, EventKind::SessionUnlock, false),
            (4802, EventKind::SessionLock, true),
            (4803, EventKind::SessionUnlock, true),
        ] {
            let e = run(&event(SECURITY, json!(id), "Security", data.clone())).expect("an event");
            assert_eq!(e.kind, kind, "{id}");
            assert_eq!(e.ts.to_string(), "2026-01-03T02:14:07.123456Z");
            assert_eq!(e.precision, Precision::HundredNanos);
            assert_eq!(e.actor.as_deref(), Some("EXAMPLE\\alice"));
            assert_eq!(e.device.as_deref(), Some("WS-EXAMPLE-01.example.test"));
            let attrs = attrs(&e);
            assert_eq!(attrs.contains("\"screensaver\":true"), screensaver, "{attrs}");
            assert!(attrs.contains(&format!("\"event_id\":{id}")), "{attrs}");
            assert!(attrs.contains("\"logon_id\":\"0x3e7a1\""), "{attrs}");
        }
    }

    #[test]
    fn logon_types_say_who_logged_on() {
        for (t, auto, name) in [(2, Some(false), "interactive"), (5, Some(true), "service"), (3, None, "network")] {
            let data = json!({"TargetUserName": "alice", "TargetDomainName": "EXAMPLE", "LogonType": t,
                              "IpAddress": "203.0.113.7", "WorkstationName": "WS-EXAMPLE-01"});
            let e = run(&event(SECURITY, json!(4624), "Security", data)).expect("an event");
            assert_eq!(e.kind, EventKind::SessionLogon);
            assert_eq!(e.auto, auto, "type {t}");
            assert_eq!(e.client_ip.as_deref(), Some("203.0.113.7"));
            assert!(attrs(&e).contains(&format!("\"logon_type_name\":\"{name}\"")));
        }
        // A logon with "-" as address has none.
        let data = json!({"TargetUserName": "alice", "LogonType": 2, "IpAddress": "-"});
        assert_eq!(run(&event(SECURITY, json!(4624), "Security", data)).expect("event").client_ip, None);
    }

    #[test]
    fn sleep_and_wake_from_the_system_log() {
        let sleep = event(
            "Microsoft-Windows-Kernel-Power",
            json!({"#attributes": {"Qualifiers": ""}, "#text": 42}),
            "System",
            json!({"TargetState": 4, "EffectiveState": 5, "Reason": 7, "Flags": 0}),
        );
        let e = run(&sleep).expect("an event");
        assert_eq!(e.kind, EventKind::PowerSleep);
        assert!(attrs(&e).contains("\"target_state\":\"4\""), "{}", attrs(&e));
        let wake = event(
            "Microsoft-Windows-Power-Troubleshooter",
            json!(1),
            "System",
            json!({"SleepTime": "2026-01-03T01:00:00.0000000Z", "WakeTime": "2026-01-03T02:14:06.0000000Z",
                   "WakeSourceType": 5, "WakeSourceText": "Power Button"}),
        );
        let e = run(&wake).expect("an event");
        assert_eq!(e.kind, EventKind::PowerWake);
        assert!(attrs(&e).contains("\"wake_source\":\"Power Button\""), "{}", attrs(&e));
    }

    #[test]
    fn the_scan_leaves_unread_only_records_outside_the_source() {
        let compact = |v: &Value| serde_json::to_vec(v).expect("json");
        let logon = event(SECURITY, json!(4624), "Security", json!({"LogonType": 2}));
        assert!(!certainly_unread(&compact(&logon)));
        assert!(certainly_unread(&compact(&event(SECURITY, json!(4672), "Security", json!({})))));
        let sleep = json!({"#attributes": {"Qualifiers": 16384}, "#text": 42});
        assert!(!certainly_unread(&compact(&event("Microsoft-Windows-Kernel-Power", sleep, "System", json!({})))));
        assert!(certainly_unread(
            br##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"X"}},"EventID":4624}}}"##
        ));
        let qualified = br##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Kernel-Power"}},
            "EventID":{"#attributes":{"Qualifiers":[1,{"a":"}"}]},"#text":"0x2a"}}}}"##;
        assert!(!certainly_unread(qualified));
        // An escape in a key or in the provider's name: the full path decides.
        let escaped = br##"{"Event":{"Sys\u0074em":{"Provider":{"#attributes":{"Name":"X"}},"EventID":7036}}}"##;
        assert!(!certainly_unread(escaped));
        let escaped = br##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditin\u0067"}},"EventID":4624}}}"##;
        assert!(!certainly_unread(escaped));
        // The last of duplicate members wins, as in the full path.
        let duplicate = br##"{"Event":{"System":{"EventID":7036,"EventID":4624,
            "Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}}}}}"##;
        assert!(!certainly_unread(duplicate));
        // No System, an id that is not a number, or JSON broken before the end
        // of System: the full path decides (event or reject).
        assert!(!certainly_unread(br#"{"Event":{"EventData":{}}}"#));
        assert!(!certainly_unread(br#"{"Event":{"System":{"EventID":"four"}}}"#));
        assert!(!certainly_unread(br#"{"Event":{"System":{"EventID":4672,"#));
        // What follows System is not read.
        assert!(certainly_unread(br#"{"Event":{"System":{"EventID":4672},"EventData":{"#));
    }

    /// On every record of the real logs and of the lock/unlock fixture, a
    /// record the scan leaves unread is one the full path maps to no event.
    #[test]
    #[allow(clippy::print_stderr, reason = "how many records each file sends down each path")]
    fn the_scan_agrees_with_the_full_path_on_real_logs() {
        let mut files = vec![waybill_testkit::fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx")];
        // `real` prints the notice when the corpus is absent (and fails in CI).
        files.extend(
            ["windows/omerbenamram_evtx/security.evtx", "windows/plaso/System.evtx", "windows/plaso/System2.evtx"]
                .into_iter()
                .filter_map(waybill_testkit::real),
        );
        let mut total_unread = 0;
        for path in files {
            assert!(path.exists(), "{}", path.display());
            let mut parser = EvtxParser::from_path(&path).expect("an EVTX file");
            let (mut unread, mut read) = (0, 0);
            for rec in parser.records_json().flatten() {
                let value: Value = serde_json::from_str(&rec.data).expect("json");
                let id = rec.event_record_id;
                let full = fields_of(&value).and_then(|f| map(&f, id, RecordRef::EventRecord { id }));
                if certainly_unread(rec.data.as_bytes()) {
                    unread += 1;
                    assert!(matches!(full, Ok(None)), "{}: record {}", path.display(), rec.event_record_id);
                } else {
                    read += 1;
                }
            }
            eprintln!("{}: {unread} left unread, {read} read in full", path.display());
            assert!(read > 0, "{}: nothing read in full", path.display());
            total_unread += unread;
        }
        assert!(total_unread > 0, "no record was left unread: the comparison compared nothing");
    }

    /// Outcome of each record, comparable across the two paths.
    fn outcomes(rendered: &[Rendered]) -> Vec<String> {
        let mut out = Vec::new();
        for r in rendered {
            match r {
                Rendered::Unread(n) => out.extend((0..*n).map(|_| "unread".to_owned())),
                Rendered::Event(e) => out.push(format!("{e:?}")),
                Rendered::Reject { id, reason, .. } => out.push(format!("reject {id} {reason:?}")),
                Rendered::Failed(e) => out.push(format!("failed {e}")),
            }
        }
        out
    }

    /// On every chunk of the real logs and the fixtures, the BinXML reader
    /// gives what rendering with the crate gives, record by record, or leaves
    /// the chunk to the crate: it reads every chunk of the real logs, and
    /// leaves the chunk with a damaged record to the crate.
    #[test]
    #[allow(clippy::print_stderr, reason = "how many chunks each path read")]
    fn fast_path_agrees_with_the_crate() {
        let mut files = vec![
            (Some(waybill_testkit::fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx")), (1, 0)),
            (Some(waybill_testkit::fixture("windows_evtx", "corrupted_record.evtx")), (0, 1)),
        ];
        files.extend(
            [
                ("windows/omerbenamram_evtx/security.evtx", (26, 0)),
                ("windows/omerbenamram_evtx/post-Security.evtx", (2, 0)),
                ("windows/chainsaw/security_sample.evtx", (1, 0)),
                ("windows/plaso/System.evtx", (27, 0)),
                ("windows/plaso/System2.evtx", (2, 0)),
            ]
            .into_iter()
            .map(|(rel, counts)| (waybill_testkit::real(rel), counts)),
        );
        let settings = Arc::new(ParserSettings::default().validate_checksums(true));
        let mut events = 0;
        for (path, expected) in files {
            let Some(path) = path else { continue };
            let mut parser = EvtxParser::from_path(&path).expect("an EVTX file");
            let (mut fast, mut crate_only) = (0, 0);
            for chunk in parser.chunks() {
                let Ok(chunk) = chunk else { continue };
                let n = chunk.number.unwrap_or_default();
                let rendered = outcomes(&read_chunk_rendered(n, &chunk.data, &settings));
                match read_chunk_fast(&chunk.data, &chunk.header) {
                    Some(read) => {
                        fast += 1;
                        let read = outcomes(&read);
                        assert_eq!(read, rendered, "{}: chunk {:?}", path.display(), chunk.number);
                        events += read.iter().filter(|o| o.starts_with("Event")).count();
                    }
                    None => crate_only += 1,
                }
            }
            eprintln!("{}: {fast} chunks read from BinXML, {crate_only} by the crate", path.display());
            assert_eq!((fast, crate_only), expected, "{}", path.display());
        }
        assert!(events >= 4, "the BinXML reader read {events} events");
    }

    /// The BinXML reader on damaged chunks: 4,000 copies of real chunks with
    /// 1–8 bytes overwritten (a fixed pseudo-random sequence) never panic, and
    /// what it reads of them agrees with the crate wherever the crate reads
    /// every record of the chunk too. (It found a SID whose count of
    /// sub-authorities ran past its value: the crate then reads the values
    /// after it shifted; such a record now goes to the crate.)
    #[test]
    #[allow(clippy::print_stderr, reason = "how many damaged chunks each path read")]
    fn fast_path_survives_damaged_chunks() {
        let mut files = vec![waybill_testkit::fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx")];
        files.extend(["windows/omerbenamram_evtx/security.evtx"].into_iter().filter_map(waybill_testkit::real));
        let settings = Arc::new(ParserSettings::default().validate_checksums(false));
        let mut next = waybill_testkit::xorshift(0x9e37_79b9_7f4a_7c15u64);
        let (mut runs, mut read, mut compared) = (0, 0, 0);
        for path in files {
            let mut parser = EvtxParser::from_path(&path).expect("an EVTX file");
            let chunks: Vec<EvtxChunkData> = parser.chunks().filter_map(Result::ok).take(4).collect();
            for chunk in &chunks {
                for _ in 0..2_000 / chunks.len().max(1) {
                    let mut data = chunk.data.clone();
                    for _ in 0..=next() % 8 {
                        // Mostly the records and templates, sometimes the header.
                        let at = if next().is_multiple_of(8) { next() % 512 } else { 512 + next() % (65_536 - 512) };
                        data[at as usize] = next() as u8;
                    }
                    runs += 1;
                    let Ok(damaged) = EvtxChunkData::new(data, false) else { continue };
                    let Some(fast) = read_chunk_fast(&damaged.data, &damaged.header) else { continue };
                    read += 1;
                    // Only where no record failed in the crate: a damaged
                    // value the source does not read is no reject here.
                    let rendered = read_chunk_rendered(chunk.number.unwrap_or_default(), &damaged.data, &settings);
                    let (fast, clean) = (
                        outcomes(&fast),
                        rendered.iter().all(|r| !matches!(r, Rendered::Failed(_) | Rendered::Reject { .. })),
                    );
                    let rendered = outcomes(&rendered);
                    if clean && fast.len() == rendered.len() {
                        compared += 1;
                        assert_eq!(fast, rendered, "{}", path.display());
                    }
                }
            }
        }
        eprintln!("{runs} damaged chunks, {read} read from BinXML, {compared} compared with the crate");
        assert!(runs >= 2_000 && read > 0 && compared > 0, "{runs} {read} {compared}");
    }

    /// Every event, accept and reject, in order.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl EventSink for Log {
        fn event(&mut self, e: Event<'_>) {
            self.0.push(format!("{e:?}"));
        }
        fn accepted(&mut self) {
            self.0.push("accepted".into());
        }
        fn reject(&mut self, r: Reject<'_>) {
            self.0.push(format!("reject {} {:?}", r.record, r.reason));
        }
    }

    /// The one-pass reader against the crate's own walk (`EvtxParser::chunks`,
    /// each chunk rendered by the crate), on a real log rearranged the ways
    /// logs are found: as written, wrapped around (the oldest chunk in the
    /// middle, some before it damaged), with an empty chunk, a chunk whose CRC
    /// fails, a short or a whole chunk of trailing garbage, and a header block
    /// size larger than the chunks' offset.
    #[test]
    fn the_one_pass_reader_walks_the_chunks_as_the_crate_does() {
        let Some(path) = waybill_testkit::real("windows/omerbenamram_evtx/security.evtx") else { return };
        let bytes = std::fs::read(&path).expect("read");
        let (head, body) = bytes.split_at(FILE_HEADER);
        let chunks: Vec<&[u8]> = body.chunks_exact(CHUNK_SIZE).collect();
        assert!(chunks.len() >= 20, "{}", chunks.len());
        let join = |parts: &[Vec<u8>]| -> Vec<u8> { [vec![head.to_vec()], parts.to_vec()].concat().concat() };
        let as_is: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
        let mut rotated = as_is.clone();
        rotated.rotate_left(9);
        let mut rotated_damaged = rotated.clone();
        rotated_damaged[3][9_000] ^= 0x40;
        let mut empty = as_is.clone();
        empty[5].fill(0);
        let mut bad_crc = as_is.clone();
        bad_crc[7][20_000] ^= 0x01;
        let mut files = vec![
            ("as written", join(&as_is)),
            ("wrapped", join(&rotated)),
            ("wrapped, damaged before the oldest", join(&rotated_damaged)),
            ("an empty chunk", join(&empty)),
            ("a bad CRC", join(&bad_crc)),
            ("short trailing garbage", [join(&as_is), vec![0x55; 1_000]].concat()),
            ("a chunk of trailing garbage", [join(&as_is), vec![0x55; CHUNK_SIZE]].concat()),
        ];
        // A header block size (offset 40, u16) of 65,535: the last chunk is
        // past the count, and its failure ends the first part of the walk
        // (the crate reads past the count for logs not closed cleanly).
        let mut big_block = [join(&rotated), vec![0x55; CHUNK_SIZE]].concat();
        big_block[40..42].copy_from_slice(&u16::MAX.to_le_bytes());
        files.push(("a larger header block", big_block));
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Arc::new(ParserSettings::default().validate_checksums(true));
        for (what, file) in files {
            let path = dir.path().join("log.evtx");
            std::fs::write(&path, &file).expect("write");
            let mut expected = Log::default();
            let mut errors = 0;
            let mut parser =
                EvtxParser::from_path(&path).expect("an EVTX file").with_configuration((*settings).clone());
            for chunk in parser.chunks() {
                let outcome = match chunk {
                    Ok(c) => ChunkOutcome::Read(read_chunk_rendered(c.number.unwrap_or_default(), &c.data, &settings)),
                    Err(e) => ChunkOutcome::Failed(e),
                };
                emit_outcome(outcome, &mut errors, &mut expected);
            }
            let ctx = crate::source::ParseContext::default();
            let content = crate::input::Content::open(&path).expect("open");
            let mut input = Input::text(&path, &ctx, content);
            let mut got = Log::default();
            WindowsEvtx.parse(&mut input, &mut got).expect("parse");
            assert!(expected.0.len() > 1_000, "{what}: {}", expected.0.len());
            // The crate passes over a short last piece; waybill reports it.
            if what == "short trailing garbage" {
                let last = got.0.pop().unwrap_or_default();
                let want = format!(
                    "reject undecodable[0] Truncated(\"the file ends 1000 bytes into chunk {} (at offset {}",
                    chunks.len(),
                    FILE_HEADER + chunks.len() * CHUNK_SIZE
                );
                assert!(last.starts_with(&want), "{last}");
            }
            if got.0 != expected.0 {
                let (g, e) = (&got.0, &expected.0);
                let i = g.iter().zip(e).position(|(a, b)| a != b).unwrap_or(g.len().min(e.len()));
                panic!(
                    "{what}: {} items, the crate {}; first difference at {i}: {:?} / {:?}",
                    g.len(),
                    e.len(),
                    g.get(i),
                    e.get(i)
                );
            }
            let sha = input.into_content().map(|c| c.into_raw().finish().expect("hash").0);
            let want = crate::input::hex(&<sha2::Sha256 as sha2::Digest>::digest(&file));
            assert_eq!(sha.as_deref(), Some(want.as_str()), "{what}: the hash covers the whole file");
        }
    }

    #[test]
    fn a_gzip_compressed_log_is_refused_with_the_reason() {
        use std::io::Write as _;
        let bytes =
            std::fs::read(waybill_testkit::fixture("windows_evtx", "lock_unlock_screensaver_sleep.evtx")).unwrap();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Security.evtx.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let ctx = crate::source::ParseContext::default();
        let mut input = Input::text(&path, &ctx, crate::input::Content::open(&path).expect("open"));
        let err = WindowsEvtx.parse(&mut input, &mut Log::default()).unwrap_err();
        assert!(matches!(&err, SourceError::Unsupported(m) if m.contains("decompress it first")), "{err}");
    }

    /// The chunk checks made without a copy give what `EvtxChunkData::new`
    /// gives (with checksums validated) on real chunks and on 3,000 damaged
    /// ones, header and records.
    #[test]
    fn checked_header_agrees_with_the_crate() {
        let Some(path) = waybill_testkit::real("windows/plaso/System.evtx") else { return };
        let bytes = std::fs::read(&path).expect("read");
        let chunks: Vec<&[u8]> = bytes[FILE_HEADER..].chunks_exact(CHUNK_SIZE).collect();
        let mut next = waybill_testkit::xorshift(0x2545_f491_4f6c_dd1du64);
        let (mut ok, mut failed) = (0, 0);
        for i in 0..3_000 + chunks.len() {
            let mut data = chunks[i % chunks.len()].to_vec();
            if i >= chunks.len() {
                let at = if next().is_multiple_of(2) { next() % 512 } else { next() % 65_536 };
                data[at as usize] = next() as u8;
            }
            let ours = checked_header(&data);
            let theirs = EvtxChunkData::new(data.clone(), true);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => {
                    ok += 1;
                    assert_eq!(format!("{a:?}"), format!("{:?}", b.header));
                }
                (Err(a), Err(b)) => {
                    failed += 1;
                    assert_eq!(a.to_string(), b.to_string());
                }
                (a, b) => panic!("chunk {i}: ours {a:?}, the crate's {:?}", b.map(|c| c.header)),
            }
        }
        assert!(ok > chunks.len() && failed > 1_000, "{ok} {failed}");
    }

    #[test]
    fn every_id_the_source_reads_is_read_first() {
        let providers = [
            SECURITY,
            "Microsoft-Windows-Kernel-Power",
            "Microsoft-Windows-Power-Troubleshooter",
            "Microsoft-Windows-Kernel-General",
            "",
        ];
        let read: Vec<i64> = (0..=0xffff).filter(|id| providers.iter().any(|p| kind_of(p, *id).is_some())).collect();
        assert_eq!(read.len(), 14);
        assert!(read.iter().all(|id| id_read(*id)));
        assert_eq!((0..=0xffff).filter(|id| id_read(*id)).count(), 14);
    }

    #[test]
    fn other_records_are_accepted_without_an_event() {
        assert!(run(&event(SECURITY, json!(4672), "Security", json!({}))).is_none());
        // Another provider's 4624 is not a logon.
        assert!(run(&event("Some-App", json!(4624), "Application", json!({}))).is_none());
        // A record without System is a reject.
        assert!(fields_of(&json!({"Event": {}})).is_err());
    }
}
