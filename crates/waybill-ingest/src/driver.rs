//! The ingest driver: open an input read-only, recognise its format, parse it
//! (in parallel chunks for line formats), hash it, and hand record batches and
//! rejects to a [`PartSink`].

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use waybill_model::schema::{Counts, EventBatchBuilder, InputContext};
use waybill_model::{Event, EventSink, RecordRef, Reject, RejectReason};

use crate::input::{
    Companion, Content, Input, PROBE_LEN, SQLITE_MAGIC, SqliteInput, is_damaged_stream, open_sqlite, read_full,
    reject_damaged_stream, reject_too_long,
};
use crate::lines::{Chunker, LinePos, Piece, for_each_line, for_each_record};
use crate::registry::{SOURCES, find};
use crate::source::{ClockHint, InputKind, LineParser, ParseContext, Probe, Sniff, Source, SourceError};

pub use waybill_model::sink::{BoxError, PartSink};

/// Events flushed to a part when a sequential parse has buffered this many.
pub const PART_EVENTS: usize = 256 * 1024;
/// Rejects flushed when this many are buffered (bounds memory on garbage input).
pub const PART_REJECTS: usize = 64 * 1024;

/// Progress of one input (uv's pattern: the library reports, the CLI draws).
pub trait Reporter: Sync {
    /// Raw bytes of the input read so far.
    fn read(&self, _raw_bytes: u64) {}

    /// Is the progress drawn? (When not, no thread watches a parse.)
    fn live(&self) -> bool {
        false
    }
}

/// A reporter that ignores everything.
pub struct NoReporter;
impl Reporter for NoReporter {}

/// Why an input could not be ingested. Every variant names the input.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input could not be opened or its metadata read.
    #[error("{path}: cannot open: {source}")]
    Open {
        /// The input.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Reading failed part-way.
    #[error("{path}: read error at byte {offset}: {source}")]
    Read {
        /// The input.
        path: PathBuf,
        /// Offset reached.
        offset: u64,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Not a regular file.
    #[error("{0}: not a regular file")]
    NotAFile(PathBuf),
    /// No source recognised the content.
    #[error("{path}: format not recognised ({detail}); name it with --format, see `waybill formats`")]
    Unrecognised {
        /// The input.
        path: PathBuf,
        /// What was tried.
        detail: String,
    },
    /// `--format` names no source.
    #[error("unknown format {0:?}; see `waybill formats`")]
    UnknownFormat(String),
    /// `--format` names a source that reads another kind of input.
    #[error("{path}: format {format} reads {expected} inputs, this file is not one")]
    WrongKind {
        /// The input.
        path: PathBuf,
        /// The source id.
        format: &'static str,
        /// What the source reads.
        expected: &'static str,
    },
    /// The file starts like SQLite but SQLite cannot use it (truncated, encrypted, corrupt).
    #[error("{path}: not a usable SQLite database: {source}")]
    Sqlite {
        /// The input.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::input::SqliteOpenError,
    },
    /// The source could not use the input as a whole.
    #[error("{path}: {format}: {source}")]
    Source {
        /// The input.
        path: PathBuf,
        /// The source id.
        format: &'static str,
        /// The cause.
        #[source]
        source: SourceError,
    },
    /// Every record was rejected: almost always the wrong format.
    #[error("{path}: no record could be read as {format} ({rejects} rejected); wrong format?")]
    NothingParsed {
        /// The input.
        path: PathBuf,
        /// The source id.
        format: &'static str,
        /// Records rejected.
        rejects: u64,
    },
    /// The part sink failed (disk full, …).
    #[error("{path}: writing the parsed output failed: {source}")]
    Output {
        /// The input.
        path: PathBuf,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A source did not close a record exactly once (a bug in waybill).
    #[error("{path}: internal error in source {format} at {at}: {detail} (this is a bug in waybill; please report it)")]
    Protocol {
        /// The input.
        path: PathBuf,
        /// The source id.
        format: &'static str,
        /// Where.
        at: String,
        /// What.
        detail: String,
    },
}

impl IngestError {
    /// Is this "no source recognised the file"? (A folder walk skips such files.)
    pub fn is_unrecognised(&self) -> bool {
        matches!(self, Self::Unrecognised { .. })
    }
}

/// What to ingest and how to attribute it.
#[derive(Debug, Clone, Copy)]
pub struct IngestRequest<'a> {
    /// The evidence file.
    pub path: &'a Path,
    /// Manifest id assigned to it (`I0001`).
    pub id: &'a str,
    /// `--format` override.
    pub format: Option<&'a str>,
    /// `--device`.
    pub device: Option<&'a str>,
    /// `--clock`.
    pub clock: Option<&'a str>,
    /// Parse settings.
    pub ctx: &'a ParseContext,
    /// Folder for scratch copies (SQLite with WAL); the system temp folder when `None`.
    pub scratch: Option<&'a Path>,
}

/// What ingesting one input produced.
#[derive(Debug, Clone)]
pub struct InputSummary {
    /// Source id.
    pub format: &'static str,
    /// Source version.
    pub parser_version: u32,
    /// How the source was chosen: `sniffed` or `--format`.
    pub chosen_by: &'static str,
    /// The clock name recorded on the events.
    pub clock: String,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// `gzip` when decompressed.
    pub compression: Option<&'static str>,
    /// WAL/journal files read with an SQLite database.
    pub companions: Vec<Companion>,
    /// Records, events, rejects.
    pub counts: Counts,
    /// What the input lacks that the source would have read (an optional
    /// table absent), each with what is therefore not known.
    pub notes: Vec<String>,
}

/// Recognises the format of `path` without parsing it.
pub fn detect(
    path: &Path,
    ctx: &ParseContext,
    format: Option<&str>,
    scratch: Option<&Path>,
) -> Result<&'static dyn Source, IngestError> {
    let opened = open_input(path, scratch)?;
    choose(path, &opened, ctx, format).map(|(s, _)| s)
}

/// Why no source reads `path`, judged from its head alone, for a walk to skip
/// it before preparing anything: `None` when a source takes it, when it could
/// not be opened (the ingest reports that), and for an SQLite database, which
/// only [`ingest`] opens (a copy of it and its WAL) and judges by its schema.
pub fn unrecognised(path: &Path, ctx: &ParseContext) -> Option<IngestError> {
    let mut magic = [0u8; 16];
    let mut f = crate::input::open_evidence(path).ok()?;
    if read_full(&mut f, &mut magic).ok()? == 16 && magic == SQLITE_MAGIC {
        return None;
    }
    detect(path, ctx, None, None).err().filter(IngestError::is_unrecognised)
}

/// What every source of the input's kind says about `path` (for diagnostics and
/// the registry's sniff-matrix test).
pub fn sniff_all(
    path: &Path,
    ctx: &ParseContext,
    scratch: Option<&Path>,
) -> Result<Vec<(&'static str, Sniff)>, IngestError> {
    let opened = open_input(path, scratch)?;
    let (kind, probe) = opened.probe(path, ctx);
    Ok(SOURCES.iter().map(|s| (s.id(), if s.input_kind() == kind { s.sniff(&probe) } else { Sniff::No })).collect())
}

enum Opened {
    Text { head: Vec<u8>, complete: bool, tail: Vec<u8>, size: u64 },
    Sqlite(Box<SqliteInput>),
}

impl Opened {
    /// What sources may look at to recognise `path`.
    fn probe<'a>(&'a self, path: &'a Path, ctx: &'a ParseContext) -> (InputKind, Probe<'a>) {
        let file_name = file_name(path);
        match self {
            Opened::Text { head, complete, tail, size } => {
                (InputKind::Text, Probe { head, complete: *complete, tail, size: *size, file_name, sqlite: None, ctx })
            }
            Opened::Sqlite(db) => (
                InputKind::Sqlite,
                Probe { head: &[], complete: false, tail: &[], size: 0, file_name, sqlite: Some(&db.schema), ctx },
            ),
        }
    }
}

fn open_input(path: &Path, scratch: Option<&Path>) -> Result<Opened, IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Open { path: path.to_owned(), source })?;
    if !meta.is_file() {
        return Err(IngestError::NotAFile(path.to_owned()));
    }
    let mut content = Content::open(path).map_err(|source| IngestError::Open { path: path.to_owned(), source })?;
    // A plain file smaller than the probe gets a buffer of its size and one
    // byte more (to see that it ended); a compressed one may grow.
    let cap = match content.compression() {
        None => usize::try_from(meta.len().saturating_add(1)).map_or(PROBE_LEN, |n| n.min(PROBE_LEN)),
        Some(_) => PROBE_LEN,
    };
    let mut head = vec![0u8; cap];
    // The head is what could be read: a compressed stream cut short or damaged
    // inside the probe keeps the bytes before the damage (the parse reads it
    // again and rejects the damage with its offset).
    let mut n = 0;
    while n < head.len() {
        match io::Read::read(&mut content, &mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_damaged_stream(&e) => break,
            Err(source) => return Err(IngestError::Read { path: path.to_owned(), offset: n as u64, source }),
        }
    }
    head.truncate(n);
    let complete = n < cap;
    if content.compression().is_none() && head.starts_with(SQLITE_MAGIC) {
        let db = open_sqlite(path, scratch).map_err(|source| IngestError::Sqlite { path: path.to_owned(), source })?;
        return Ok(Opened::Sqlite(Box::new(db)));
    }
    // The end of a plain file, for formats that keep their structure there.
    // (Of the file as stored: a cache entry whose body starts like gzip is
    // still an entry.)
    let (tail, size) = match (complete, content.compression()) {
        (true, None) => (head.clone(), head.len() as u64),
        _ => crate::input::read_tail(path).map_err(|source| IngestError::Read {
            path: path.to_owned(),
            offset: 0,
            source,
        })?,
    };
    Ok(Opened::Text { head, complete, tail, size })
}

fn choose(
    path: &Path,
    opened: &Opened,
    ctx: &ParseContext,
    format: Option<&str>,
) -> Result<(&'static dyn Source, &'static str), IngestError> {
    let (kind, probe) = opened.probe(path, ctx);
    if let Some(id) = format {
        let source = find(id).ok_or_else(|| IngestError::UnknownFormat(id.to_owned()))?;
        if source.input_kind() != kind {
            return Err(IngestError::WrongKind {
                path: path.to_owned(),
                format: source.id(),
                expected: if source.input_kind() == InputKind::Sqlite { "SQLite" } else { "text" },
            });
        }
        return Ok((source, "--format"));
    }
    let mut yes = Vec::new();
    let mut maybe = Vec::new();
    for s in SOURCES.iter().copied().filter(|s| s.input_kind() == kind) {
        match s.sniff(&probe) {
            Sniff::Yes => yes.push(s),
            Sniff::Maybe => maybe.push(s),
            Sniff::No => {}
        }
    }
    // Registry order breaks ties between several `Yes` (see `registry`).
    if let Some(s) = yes.first() {
        return Ok((*s, "sniffed"));
    }
    if let [only] = maybe.as_slice() {
        return Ok((*only, "sniffed (weak)"));
    }
    let detail = match (kind, maybe.len()) {
        (InputKind::Sqlite, 0) => {
            let tables: Vec<&str> = match opened {
                Opened::Sqlite(db) => db.schema.tables.keys().map(String::as_str).take(8).collect(),
                Opened::Text { .. } => Vec::new(),
            };
            format!("SQLite database with tables {}", tables.join(", "))
        }
        (InputKind::Text, 0) => describe_text(probe.head),
        _ => format!("could be any of {}", maybe.iter().map(|s| s.id()).collect::<Vec<_>>().join(", ")),
    };
    Err(IngestError::Unrecognised { path: path.to_owned(), detail })
}

fn describe_text(head: &[u8]) -> String {
    if head.is_empty() {
        return "empty file".into();
    }
    let binary = head.iter().take(4096).filter(|b| **b == 0 || (**b < 0x20 && !b"\t\r\n\x0c\x1b".contains(b))).count();
    if binary > 0 { "binary content".into() } else { "text matching no known format".into() }
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Ingests one input: recognise, parse, hash. Output goes to `parts`.
pub fn ingest(
    req: &IngestRequest<'_>,
    parts: &dyn PartSink,
    reporter: &dyn Reporter,
) -> Result<InputSummary, IngestError> {
    ingest_with_chunk_size(req, parts, reporter, 0)
}

/// [`ingest`] with another chunk size for line formats (tests use small chunks to
/// exercise the parallel path on small inputs; `seq` values depend on it). 0 means
/// the standard size for the input ([`crate::lines::chunk_size_for`]).
#[doc(hidden)]
pub fn ingest_with_chunk_size(
    req: &IngestRequest<'_>,
    parts: &dyn PartSink,
    reporter: &dyn Reporter,
    chunk_size: usize,
) -> Result<InputSummary, IngestError> {
    let path = req.path;
    let opened = open_input(path, req.scratch)?;
    let (source, chosen_by) = choose(path, &opened, req.ctx, req.format)?;
    let clock = match (req.clock, source.clock(), req.device) {
        (Some(c), _, _) => c.to_owned(),
        (None, ClockHint::Device, Some(d)) => d.to_owned(),
        (None, ClockHint::Device, None) => format!("device:{}", req.id),
        (None, ClockHint::Host, _) => format!("host:{}", req.id),
    };
    let ictx = InputContext {
        format: source.id().to_owned(),
        source: req.id.to_owned(),
        clock: clock.clone(),
        device: req.device.map(str::to_owned),
        tz_name: Some(req.ctx.tz.to_string()),
    };
    let fail = |source_err: SourceError| IngestError::Source {
        path: path.to_owned(),
        format: source.id(),
        source: source_err,
    };
    let mut notes: Vec<String> = Vec::new();
    let (counts, sha256, size, compression, companions) = match opened {
        Opened::Sqlite(db) => {
            notes = source
                .optional_tables()
                .iter()
                .filter(|(t, _)| !db.schema.has_table(t))
                .map(|(t, what)| format!("no table {t}: {what}"))
                .collect();
            // Hashed by the read that copied it for SQLite.
            let (sha256, size) = (db.sha256.clone(), db.size);
            let mut sink = FlushingSink::new(ictx, parts);
            let mut input = Input::sqlite_input(path, req.ctx, &db);
            let progress = std::sync::Arc::clone(input.progress());
            let result = crate::progress::watch(reporter, size, &progress, || source.parse(&mut input, &mut sink));
            reporter.read(size);
            let counts = sink.finish(path, source.id())?;
            result.map_err(fail)?;
            (counts, sha256, size, None, db.all_companions())
        }
        Opened::Text { head, .. } => {
            let content = Content::open(path).map_err(|source| IngestError::Open { path: path.to_owned(), source })?;
            // A per-entry source reads the file as stored (a body that starts
            // like gzip is not a compressed input).
            let compression = content.compression().filter(|_| !source.per_entry());
            let chunk_size = if chunk_size > 0 {
                chunk_size
            } else {
                crate::lines::chunk_size_for(
                    compression.is_none().then(|| std::fs::metadata(path).map_or(0, |m| m.len())),
                )
            };
            let (counts, content, companions) = match source.line_parser_for(req.ctx, &head).map_err(fail)? {
                Some(parser) => {
                    let (counts, content) =
                        run_lines(path, source.id(), parser.as_ref(), content, &ictx, parts, reporter, chunk_size)?;
                    (counts, content, Vec::new())
                }
                None => {
                    let mut sink = FlushingSink::new(ictx, parts);
                    let mut input = Input::text(path, req.ctx, content);
                    let progress = std::sync::Arc::clone(input.progress());
                    let size = std::fs::metadata(path).map_or(0, |m| m.len());
                    let result =
                        crate::progress::watch(reporter, size, &progress, || source.parse(&mut input, &mut sink));
                    let counts = sink.finish(path, source.id())?;
                    result.map_err(fail)?;
                    let companions = input.take_companions();
                    let content =
                        input.into_content().ok_or_else(|| fail(SourceError::Invalid("content lost".into())))?;
                    (counts, content, companions)
                }
            };
            let (sha256, size) = content.into_raw().finish().map_err(|source| IngestError::Read {
                path: path.to_owned(),
                offset: 0,
                source,
            })?;
            reporter.read(size);
            (counts, sha256, size, compression, companions)
        }
    };
    // Nothing read although the format was forced or only guessed: almost always
    // the wrong format. (A sniffed format whose records are all bad is data.)
    if counts.records > 0 && counts.accepted() == 0 && chosen_by != "sniffed" {
        return Err(IngestError::NothingParsed { path: path.to_owned(), format: source.id(), rejects: counts.rejects });
    }
    Ok(InputSummary {
        format: source.id(),
        parser_version: source.version(),
        chosen_by,
        clock,
        sha256,
        size,
        compression,
        companions,
        counts,
        notes,
    })
}

/// An [`EventSink`] for sequential parses that writes a part whenever enough events
/// or rejects are buffered (only between records, so a record stays in one part).
struct FlushingSink<'a> {
    builder: EventBatchBuilder,
    parts: &'a dyn PartSink,
    part: u32,
    error: Option<BoxError>,
}

impl<'a> FlushingSink<'a> {
    fn new(ctx: InputContext, parts: &'a dyn PartSink) -> Self {
        Self { builder: EventBatchBuilder::new(ctx, 0), parts, part: 0, error: None }
    }

    fn flush(&mut self) {
        if self.error.is_some() {
            return;
        }
        let wrote = !self.builder.is_empty() || !self.builder.rejects().is_empty();
        if !self.builder.is_empty() {
            match self.builder.take_batch() {
                Ok(batch) => {
                    if let Err(e) = self.parts.events(self.part, batch) {
                        self.error = Some(e);
                    }
                }
                Err(e) => self.error = Some(Box::new(e)),
            }
        }
        let rejects = self.builder.take_rejects();
        if !rejects.is_empty()
            && let Err(e) = self.parts.rejects(self.part, &rejects)
        {
            self.error = Some(e);
        }
        if wrote {
            self.part += 1;
            self.builder.start_part(self.part);
        }
    }

    fn maybe_flush(&mut self) {
        if self.builder.len() >= PART_EVENTS || self.builder.rejects().len() >= PART_REJECTS {
            self.flush();
        }
    }

    fn finish(mut self, path: &Path, format: &'static str) -> Result<Counts, IngestError> {
        if self.builder.pending() > 0 {
            return Err(IngestError::Protocol {
                path: path.to_owned(),
                format,
                at: "end of input".into(),
                detail: format!("{} events emitted without closing their record", self.builder.pending()),
            });
        }
        self.flush();
        match self.error {
            Some(source) => Err(IngestError::Output { path: path.to_owned(), source }),
            None => Ok(self.builder.counts()),
        }
    }
}

impl EventSink for FlushingSink<'_> {
    fn event(&mut self, event: Event<'_>) {
        self.builder.event(event);
    }

    fn accepted(&mut self) {
        self.builder.accepted();
        self.maybe_flush();
    }

    fn reject(&mut self, reject: Reject<'_>) {
        self.builder.reject(reject);
        self.maybe_flush();
    }
}

/// Parses a line format: the calling thread reads and hashes, workers parse
/// chunks and write one part each.
#[allow(clippy::too_many_arguments, reason = "one internal call site; a struct would only rename the arguments")]
fn run_lines(
    path: &Path,
    format: &'static str,
    parser: &dyn LineParser,
    content: Content,
    ictx: &InputContext,
    parts: &dyn PartSink,
    reporter: &dyn Reporter,
    chunk_size: usize,
) -> Result<(Counts, Content), IngestError> {
    let mut chunker = Chunker::with_chunk_size(content, chunk_size).with_max_line(parser.max_line());
    if parser.quoted_newlines() {
        chunker = chunker.with_quoted_newlines();
    }
    let total = Mutex::new(Counts::default());
    let first_error: Mutex<Option<IngestError>> = Mutex::new(None);
    let mut next_index = 0u32;
    let mut stream_error: Option<(u64, io::Error)> = None;

    let (give_back, recycled) = crossbeam_channel::unbounded::<Vec<u8>>();
    let work = |piece: Piece| match parse_piece(path, format, parser, piece, ictx, parts) {
        Ok((c, buf)) => {
            total.lock().unwrap_or_else(std::sync::PoisonError::into_inner).add(c);
            if let Some(b) = buf {
                let _ = give_back.send(b);
            }
        }
        Err(e) => {
            let mut slot = first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slot.get_or_insert(e);
        }
    };

    let first = chunker.next_piece();
    match first {
        Err(e) => stream_error = Some(e),
        Ok(None) => {}
        Ok(Some(piece)) => {
            next_index = piece_index(&piece) + 1;
            let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
            std::thread::scope(|scope| {
                let (tx, rx) = crossbeam_channel::bounded::<Piece>(workers);
                for _ in 0..workers {
                    let rx = rx.clone();
                    let work = &work;
                    scope.spawn(move || {
                        for piece in rx {
                            work(piece);
                        }
                    });
                }
                drop(rx);
                let mut piece = Some(piece);
                while let Some(p) = piece.take() {
                    if tx.send(p).is_err() {
                        break;
                    }
                    reporter.read(chunker.get_ref().raw_bytes());
                    if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        break;
                    }
                    while let Ok(b) = recycled.try_recv() {
                        chunker.recycle(b);
                    }
                    match chunker.next_piece() {
                        Ok(Some(p)) => {
                            next_index = piece_index(&p) + 1;
                            piece = Some(p);
                        }
                        Ok(None) => {}
                        Err(e) => stream_error = Some(e),
                    }
                }
                drop(tx);
            });
        }
    }
    if let Some(e) = first_error.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        return Err(e);
    }
    let mut counts = total.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((offset, source)) = stream_error {
        if !is_damaged_stream(&source) {
            return Err(IngestError::Read { path: path.to_owned(), offset, source });
        }
        // A compressed stream cut short or damaged: keep what was read, reject the rest.
        let mut b = EventBatchBuilder::new(ictx.clone(), next_index);
        reject_damaged_stream(&mut b, offset, chunker.line(), &source);
        counts.add(b.counts());
        parts
            .rejects(next_index, b.rejects())
            .map_err(|source| IngestError::Output { path: path.to_owned(), source })?;
    }
    Ok((counts, chunker.into_inner()))
}

fn piece_index(p: &Piece) -> u32 {
    match p {
        Piece::Lines { index, .. } | Piece::Overlong { index, .. } => *index,
    }
}

fn parse_piece(
    path: &Path,
    format: &'static str,
    parser: &dyn LineParser,
    piece: Piece,
    ictx: &InputContext,
    parts: &dyn PartSink,
) -> Result<(Counts, Option<Vec<u8>>), IngestError> {
    let out_err = |source| IngestError::Output { path: path.to_owned(), source };
    match piece {
        Piece::Overlong { index, offset, line, len, head } => {
            let mut b = EventBatchBuilder::new(ictx.clone(), index);
            reject_too_long(&mut b, LinePos { offset, line, terminated: true }, len, &head, parser.max_line());
            parts.rejects(index, b.rejects()).map_err(out_err)?;
            Ok((b.counts(), None))
        }
        Piece::Lines { index, offset, first_line, data } => {
            let rows = memchr::memchr_iter(b'\n', &data).count() + 1;
            let mut b = EventBatchBuilder::with_capacity(ictx.clone(), index, rows, data.len());
            let mut violation: Option<LinePos> = None;
            let mut sink_error: Option<BoxError> = None;
            let one_per_line = parser.one_record_per_line();
            let per_line = |pos: LinePos, line: &[u8]| {
                if parser.skip_line(line) {
                    return;
                }
                if line.len() > parser.max_line() {
                    reject_too_long(&mut b, pos, line.len() as u64, line, parser.max_line());
                } else {
                    let before = b.counts().records;
                    parser.parse_line(pos, line, &mut b);
                    if (one_per_line && b.counts().records != before + 1) || b.pending() != 0 {
                        violation.get_or_insert(pos);
                    }
                }
                if b.rejects().len() >= PART_REJECTS && sink_error.is_none() {
                    let rows = b.take_rejects();
                    if let Err(e) = parts.rejects(index, &rows) {
                        sink_error = Some(e);
                    }
                }
            };
            if parser.quoted_newlines() {
                for_each_record(&data, offset, first_line, per_line);
            } else {
                for_each_line(&data, offset, first_line, per_line);
            }
            if let Some(pos) = violation {
                return Err(IngestError::Protocol {
                    path: path.to_owned(),
                    format,
                    at: pos.record().to_string(),
                    detail: if one_per_line {
                        "a line was not closed exactly once (accepted or rejected)".into()
                    } else {
                        "a line left events of a record not closed (accepted or rejected)".into()
                    },
                });
            }
            if let Some(e) = sink_error {
                return Err(out_err(e));
            }
            if !b.is_empty() {
                let batch = b.take_batch().map_err(|e| out_err(Box::new(e)))?;
                parts.events(index, batch).map_err(out_err)?;
            }
            let rows = b.take_rejects();
            if !rows.is_empty() {
                parts.rejects(index, &rows).map_err(out_err)?;
            }
            Ok((b.counts(), Some(data)))
        }
    }
}

/// An evidence file found by [`expand`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its path.
    pub path: PathBuf,
    /// Named on the command line (not found by walking a folder).
    pub explicit: bool,
    /// A folder of per-entry files read as one input ([`gather_entries`]):
    /// the format and the entry files, in byte order of their names. `path`
    /// is then the folder.
    pub entries: Option<(&'static str, Vec<PathBuf>)>,
}

/// What [`expand`] could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// Expands files and folders (recursively, in byte order of the path) into the
/// files to ingest. Symbolic links inside folders are not followed (they may point
/// outside the evidence); they are listed as skipped. `exclude` (the case folder)
/// is never entered.
pub fn expand(paths: &[PathBuf], exclude: Option<&Path>) -> (Vec<Found>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let exclude = exclude.and_then(|p| std::fs::canonicalize(p).ok());
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, exclude.as_deref(), &mut found, &mut skipped),
            Ok(_) => found.push(Found { path: p.clone(), explicit: true, entries: None }),
            Err(e) => skipped.push(Skipped { path: p.clone(), reason: e.to_string() }),
        }
    }
    (found, skipped)
}

fn walk(dir: &Path, exclude: Option<&Path>, found: &mut Vec<Found>, skipped: &mut Vec<Skipped>) {
    if let (Some(ex), Ok(c)) = (exclude, std::fs::canonicalize(dir))
        && c == ex
    {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            skipped.push(Skipped { path: dir.to_owned(), reason: e.to_string() });
            return;
        }
    };
    let mut items: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => items.push(e.path()),
            Err(e) => skipped.push(Skipped { path: dir.to_owned(), reason: e.to_string() }),
        }
    }
    items.sort_by(|a, b| a.as_os_str().as_encoded_bytes().cmp(b.as_os_str().as_encoded_bytes()));
    for p in items {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                skipped.push(Skipped { path: p, reason: "symbolic link (not followed)".into() });
            }
            Ok(m) if m.is_dir() => walk(&p, exclude, found, skipped),
            Ok(m) if m.is_file() => {
                if is_sqlite_companion(&p) || is_blockfile_companion(&p) {
                    continue;
                }
                found.push(Found { path: p, explicit: false, entries: None });
            }
            Ok(_) => skipped.push(Skipped { path: p, reason: "not a regular file".into() }),
            Err(e) => skipped.push(Skipped { path: p, reason: e.to_string() }),
        }
    }
}

/// `data_N` and `f_XXXXXX` files beside a Chrome blockfile cache's `index`
/// are read with it (and recorded as its companions), not alone.
fn is_blockfile_companion(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let numbered = |rest: &str, hex: bool| {
        !rest.is_empty()
            && rest.bytes().all(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() })
            && (!hex || rest.len() == 6)
    };
    let is_part = name.strip_prefix("data_").is_some_and(|r| numbered(r, false))
        || name.strip_prefix("f_").is_some_and(|r| numbered(r, true));
    if !is_part {
        return false;
    }
    let Ok(mut f) = crate::input::open_evidence(&p.with_file_name("index")) else { return false };
    let mut magic = [0u8; 4];
    read_full(&mut f, &mut magic).ok() == Some(4) && u32::from_le_bytes(magic) == 0xC103_CAC3
}

/// `-wal`, `-shm` and `-journal` files beside a database are read with it, not alone.
fn is_sqlite_companion(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    for suffix in ["-wal", "-shm", "-journal"] {
        if let Some(base) = name.strip_suffix(suffix)
            && !base.is_empty()
        {
            let db = p.with_file_name(base);
            if let Ok(mut f) = crate::input::open_evidence(&db) {
                let mut magic = [0u8; 16];
                if read_full(&mut f, &mut magic).ok() == Some(16) && magic == SQLITE_MAGIC {
                    return true;
                }
            }
        }
    }
    false
}

/// The per-entry format ([`Source::per_entry`]) a file's content is, if any.
fn per_entry_format(path: &Path, ctx: &ParseContext) -> Option<&'static str> {
    let mut f = crate::input::open_evidence(path).ok()?;
    let len = f.metadata().ok()?.len();
    let cap = usize::try_from(len.saturating_add(1)).map_or(PROBE_LEN, |n| n.min(PROBE_LEN));
    let mut head = vec![0u8; cap];
    let n = read_full(&mut f, &mut head).ok()?;
    head.truncate(n);
    if head.starts_with(SQLITE_MAGIC) {
        return None;
    }
    let complete = n < cap;
    let (tail, size) = if complete { (head.clone(), n as u64) } else { crate::input::read_tail(path).ok()? };
    let probe = Probe { head: &head, complete, tail: &tail, size, file_name: file_name(path), sqlite: None, ctx };
    SOURCES
        .iter()
        .find(|s| s.per_entry() && s.input_kind() == InputKind::Text && s.sniff(&probe) == Sniff::Yes)
        .map(|s| s.id())
}

/// Gathers the files a folder walk found that are per-entry records
/// ([`Source::per_entry`]: Chrome cache entries, exported Zone.Identifier
/// streams) into one input per folder and format, placed where its first
/// entry was; other files, and files named on the command line, stay as they
/// are. A cache folder of 50,000 entries is then one input of 50,000 records,
/// not 50,000 inputs.
pub fn gather_entries(found: Vec<Found>, ctx: &ParseContext) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    // (folder, format) → index in `out` of its group.
    let mut groups: std::collections::BTreeMap<(PathBuf, &'static str), usize> = std::collections::BTreeMap::new();
    for f in found {
        let format = if f.explicit || f.entries.is_some() { None } else { per_entry_format(&f.path, ctx) };
        let (Some(format), Some(dir)) = (format, f.path.parent()) else {
            out.push(f);
            continue;
        };
        match groups.get(&(dir.to_owned(), format)) {
            Some(&i) => {
                if let Some((_, members)) = &mut out[i].entries {
                    members.push(f.path);
                }
            }
            None => {
                groups.insert((dir.to_owned(), format), out.len());
                out.push(Found { path: dir.to_owned(), explicit: false, entries: Some((format, vec![f.path])) });
            }
        }
    }
    out
}

/// The per-entry files directly in `dir` (not below it), gathered as
/// [`gather_entries`] does: `ingest --entries DIR`, and how `verify` reads a
/// folder input again.
pub fn entries_in(dir: &Path, ctx: &ParseContext) -> Result<Vec<Found>, IngestError> {
    let rd = std::fs::read_dir(dir).map_err(|source| IngestError::Open { path: dir.to_owned(), source })?;
    let mut files = Vec::new();
    for e in rd {
        let p = e.map_err(|source| IngestError::Open { path: dir.to_owned(), source })?.path();
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            files.push(p);
        }
    }
    files.sort_by(|a, b| a.as_os_str().as_encoded_bytes().cmp(b.as_os_str().as_encoded_bytes()));
    let found = files.into_iter().map(|path| Found { path, explicit: false, entries: None }).collect();
    Ok(gather_entries(found, ctx).into_iter().filter(|f| f.entries.is_some()).collect())
}

/// Ingests a folder of per-entry files as one input: `req.path` is the
/// folder and `req.format` the entries' format. Each file is one record,
/// named `entry[N]` (N its place in byte order of the names) with its name in
/// the events' `attrs.entry` and in its rejects' reasons; a file that cannot
/// be read is a reject, not a failure of the input. The input's SHA-256 is
/// that of the listing `name NUL size NUL sha256 LF` of its files in that
/// order (as for `--files`), so `verify` sees any file changed, added or
/// removed; its size is the files' total.
pub fn ingest_entries(
    req: &IngestRequest<'_>,
    members: &[PathBuf],
    parts: &dyn PartSink,
    reporter: &dyn Reporter,
) -> Result<InputSummary, IngestError> {
    use sha2::Digest as _;
    let dir = req.path;
    let id = req.format.ok_or_else(|| IngestError::UnknownFormat(String::new()))?;
    let source = find(id).filter(|s| s.per_entry()).ok_or_else(|| IngestError::UnknownFormat(id.to_owned()))?;
    let clock = match (req.clock, req.device) {
        (Some(c), _) => c.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => format!("device:{}", req.id),
    };
    let ictx = InputContext {
        format: source.id().to_owned(),
        source: req.id.to_owned(),
        clock: clock.clone(),
        device: req.device.map(str::to_owned),
        tz_name: Some(req.ctx.tz.to_string()),
    };
    let mut sink = FlushingSink::new(ictx, parts);
    let mut listing = sha2::Sha256::new();
    let mut total = 0u64;
    for (index, path) in members.iter().enumerate() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let record = RecordRef::Item { list: "entry", index: index as u64 };
        let mut entry = EntrySink { inner: &mut sink, record, name: &name, closed: false };
        let read = Content::open(path).map_err(|e| e.to_string()).and_then(|content| {
            let mut input = Input::text(path, req.ctx, content);
            let parsed = source.parse(&mut input, &mut entry).map_err(|e| e.to_string());
            let content = input.into_content().ok_or_else(|| "content lost".to_owned())?;
            let hashed = content.into_raw().finish().map_err(|e| format!("read error: {e}"))?;
            parsed.map(|()| hashed)
        });
        let closed = entry.closed;
        match read {
            Ok((sha, size)) => {
                total += size;
                listing.update(format!("{name}\0{size}\0{sha}\n").as_bytes());
            }
            Err(why) => {
                listing.update(format!("{name}\0-\0-\n").as_bytes());
                if !closed {
                    sink.reject(Reject {
                        record,
                        reason: RejectReason::Malformed(format!("{name}: cannot be read: {why}")),
                        raw: b"",
                    });
                }
            }
        }
        reporter.read(total);
    }
    let counts = sink.finish(dir, source.id())?;
    Ok(InputSummary {
        format: source.id(),
        parser_version: source.version(),
        chosen_by: "entries",
        clock,
        sha256: crate::input::hex(&listing.finalize()),
        size: total,
        compression: None,
        companions: Vec::new(),
        counts,
        notes: Vec::new(),
    })
}

/// Passes one entry file's records on as the folder input's record `record`,
/// naming the file.
struct EntrySink<'s, 'a> {
    inner: &'s mut FlushingSink<'a>,
    record: RecordRef,
    name: &'s str,
    /// The file's record was accepted or rejected.
    closed: bool,
}

impl EventSink for EntrySink<'_, '_> {
    fn event(&mut self, mut event: Event<'_>) {
        event.record = self.record;
        event.attrs.push("entry", self.name.to_owned());
        self.inner.event(event);
    }

    fn accepted(&mut self) {
        self.closed = true;
        self.inner.accepted();
    }

    fn reject(&mut self, reject: Reject<'_>) {
        self.closed = true;
        let name = self.name;
        let reason = match reject.reason {
            RejectReason::Malformed(m) => RejectReason::Malformed(format!("{name}: {m}")),
            RejectReason::Timestamp(m) => RejectReason::Timestamp(format!("{name}: {m}")),
            RejectReason::Truncated(m) => RejectReason::Truncated(format!("{name}: {m}")),
            RejectReason::Zone(m) => RejectReason::Zone(format!("{name}: {m}")),
            RejectReason::Value { field, detail } => RejectReason::Value { field, detail: format!("{name}: {detail}") },
            other @ RejectReason::TooLong { .. } => other,
        };
        self.inner.reject(Reject { record: self.record, reason, raw: reject.raw });
    }
}
