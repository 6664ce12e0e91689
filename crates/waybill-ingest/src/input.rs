//! Opening evidence, read-only, in one place.
//!
//! **Text inputs** are opened with `File::open` (read-only) and read once,
//! sequentially. Gzip content (magic `1f 8b`) is decompressed transparently;
//! record offsets then refer to the decompressed stream, and the manifest says
//! `compression = "gzip"`. The SHA-256 of the raw file is computed from the same
//! reads that feed the parser.
//!
//! **SQLite inputs** must never be written, yet SQLite writes beside a database
//! when it opens it normally (`-shm`, `-wal`, `-journal`, a checkpoint on close),
//! and SQLite's own `open()` would move the evidence's access time. So the
//! database, and any non-empty `-wal` or `-journal` beside it, are **copied** to a
//! scratch folder through the same `O_NOATIME` open as every other input (and
//! hashed in that one read), and SQLite only ever opens the copy:
//! - with no companions, the copy is opened as `file:…?mode=ro&immutable=1`;
//! - with a WAL or journal, the copy is opened read-write there, so that the
//!   WAL's committed frames are read (Firefox keeps recent history only in the
//!   WAL) and a hot journal is rolled back — all on the copy. The companions'
//!   SHA-256 are recorded in the manifest next to the database's. A `-shm` file
//!   is never read: it is an index SQLite rebuilds from the WAL.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use waybill_model::{EventSink, Reject, RejectReason};

use crate::lines::{Chunker, LinePos, MAX_LINE, Piece, for_each_line};
use crate::progress::Progress;
use crate::source::{ParseContext, SourceError, SqliteSchema};

/// How many bytes of content sniffers see.
pub const PROBE_LEN: usize = 64 << 10;

/// Longest SQLite value (text or blob) read from evidence, in bytes: a row
/// holding a longer one is a reject (bounded memory on hostile databases).
pub const MAX_SQLITE_VALUE: i32 = 64 << 20;

/// Bytes read from the end of an uncompressed input for [`crate::Probe::tail`].
pub const TAIL_LEN: usize = 96 << 10;

/// The last [`TAIL_LEN`] bytes of a plain file (all of it when smaller), and
/// the file's size.
pub fn read_tail(path: &Path) -> io::Result<(Vec<u8>, u64)> {
    use std::io::Seek as _;
    let mut f = open_evidence(path)?;
    let len = f.metadata()?.len();
    let from = len.saturating_sub(TAIL_LEN as u64);
    f.seek(io::SeekFrom::Start(from))?;
    let mut tail = Vec::with_capacity(usize::try_from(len - from).unwrap_or(TAIL_LEN));
    f.take(TAIL_LEN as u64).read_to_end(&mut tail)?;
    let size = from + tail.len() as u64;
    Ok((tail, size))
}

/// The first bytes of every SQLite 3 database.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Opens an evidence file read-only without updating its access time where the
/// system allows it (Linux `O_NOATIME`, permitted to the file's owner): reading
/// evidence must not change it, and a later `verify` must see the same
/// `fs.accessed` times. Falls back to a plain read-only open.
pub fn open_evidence(path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        if let Ok(f) = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOATIME).open(path) {
            return Ok(f);
        }
    }
    File::open(path)
}

/// The raw file, hashed as it is read.
pub struct RawReader {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl RawReader {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self { file: open_evidence(path)?, hasher: Sha256::new(), bytes: 0 })
    }

    /// Reads what is left (so the hash covers the whole file) and returns the
    /// lower-case hex SHA-256 and the size in bytes.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reads like [`Read::read`] without hashing what it returns: the caller
    /// hashes it, in order, with the hasher it took ([`Self::take_hasher`]),
    /// so that the hash can run on another thread than the read.
    pub fn read_unhashed(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    /// [`Self::read_unhashed`] until `buf` is full or the file ends.
    pub fn read_full_unhashed(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        struct Unhashed<'r>(&'r mut RawReader);
        impl Read for Unhashed<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0.read_unhashed(buf)
            }
        }
        read_full(&mut Unhashed(self), buf)
    }

    /// The hash of what was read so far, to be fed the bytes
    /// [`Self::read_unhashed`] returns and given back ([`Self::put_hasher`]).
    pub fn take_hasher(&mut self) -> Sha256 {
        std::mem::take(&mut self.hasher)
    }

    /// Gives back the hasher taken with [`Self::take_hasher`].
    pub fn put_hasher(&mut self, hasher: Sha256) {
        self.hasher = hasher;
    }
}

impl Read for RawReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Lower-case hex of bytes (the `hex` crate: the one encoder of the workspace).
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// SHA-256 (hex) and size of a file, streamed.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    RawReader::open(path)?.finish()
}

/// The content of a text input: the raw file, or its gzip decompression.
pub enum Content {
    /// Uncompressed.
    Plain(RawReader),
    /// Gzip (all members); boxed, the decoder state is large.
    Gzip(Box<MultiGzDecoder<RawReader>>),
}

impl Content {
    /// Opens `path`, detecting gzip by its magic bytes.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut magic = [0u8; 2];
        let n = {
            let mut f = open_evidence(path)?;
            read_full(&mut f, &mut magic)?
        };
        let raw = RawReader::open(path)?;
        Ok(if n == 2 && magic == [0x1f, 0x8b] {
            Self::Gzip(Box::new(MultiGzDecoder::new(raw)))
        } else {
            Self::Plain(raw)
        })
    }

    /// `Some("gzip")` for compressed content.
    pub fn compression(&self) -> Option<&'static str> {
        match self {
            Self::Plain(_) => None,
            Self::Gzip(_) => Some("gzip"),
        }
    }

    /// Raw bytes read from the file so far.
    pub fn raw_bytes(&self) -> u64 {
        match self {
            Self::Plain(r) => r.bytes(),
            Self::Gzip(g) => g.get_ref().bytes(),
        }
    }

    /// The raw reader, to finish hashing.
    pub fn into_raw(self) -> RawReader {
        match self {
            Self::Plain(r) => r,
            Self::Gzip(g) => (*g).into_inner(),
        }
    }
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(buf),
            Self::Gzip(g) => g.read(buf),
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A file found beside an SQLite database and read with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    /// Its path.
    pub path: PathBuf,
    /// `wal` or `journal`.
    pub role: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// An SQLite connection with the progress of the rows read through it
/// ([`crate::sqlite::each_row`] counts them); derefs to the connection.
pub struct Db {
    conn: Connection,
    progress: Arc<Progress>,
}

impl Db {
    /// Rows read so far, out of the rows of the tables begun.
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }
}

impl From<Connection> for Db {
    fn from(conn: Connection) -> Self {
        Self { conn, progress: Arc::default() }
    }
}

impl std::ops::Deref for Db {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// An SQLite database opened read-only by the rules in the module docs.
pub struct SqliteInput {
    /// The connection.
    pub conn: Db,
    /// Tables and columns.
    pub schema: SqliteSchema,
    /// WAL/journal files that were read with it.
    pub companions: Vec<Companion>,
    /// Databases beside it that a source attached ([`SqliteInput::attach`]),
    /// with their WAL: read with it, hashed like it.
    attached: std::sync::Mutex<Vec<Companion>>,
    /// The evidence file's path.
    evidence: PathBuf,
    /// SHA-256 of the database file (lower-case hex), from the read that copied it.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    _scratch: tempfile::TempDir,
}

impl SqliteInput {
    /// Attaches the database `file_name` that lies beside this one (Telegram
    /// keeps `file_to_path.db` beside `cache4.db`) as schema `alias`, read the
    /// same way: copied to the scratch folder with its `-wal` in one hashed
    /// read, opened read-only, never the evidence itself. Returns whether it
    /// was there. Its hash goes into the manifest as a companion (`sibling`,
    /// its WAL `sibling_wal`), so `verify` checks it too.
    pub fn attach(&self, file_name: &str, alias: &str) -> Result<bool, SourceError> {
        let Some(src) = self.evidence.parent().map(|d| d.join(file_name)) else { return Ok(false) };
        if !std::fs::metadata(&src).is_ok_and(|m| m.is_file() && m.len() > 0) {
            return Ok(false);
        }
        let io = |e: io::Error| SourceError::Io {
            offset: 0,
            source: io::Error::new(e.kind(), format!("{}: {e}", src.display())),
        };
        let copy = self._scratch.path().join(format!("attached-{alias}.db"));
        let (sha256, size) = copy_evidence(&src, &copy).map_err(io)?;
        let mut found = vec![Companion { path: src.clone(), role: "sibling", size, sha256 }];
        let mut wal = src.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        if std::fs::metadata(&wal).is_ok_and(|m| m.is_file() && m.len() > 0) {
            let mut to = copy.as_os_str().to_owned();
            to.push("-wal");
            let (sha256, size) = copy_evidence(&wal, Path::new(&to)).map_err(io)?;
            found.push(Companion { path: wal, role: "sibling_wal", size, sha256 });
        }
        self.conn
            .execute("ATTACH DATABASE ?1 AS ?2", rusqlite::params![copy.to_string_lossy(), alias])
            .map_err(|e| SourceError::Unsupported(format!("{}: {e}", src.display())))?;
        if let Ok(mut a) = self.attached.lock() {
            a.extend(found);
        }
        Ok(true)
    }

    /// Every file read with the database: its WAL or journal, then attached
    /// databases.
    pub fn all_companions(&self) -> Vec<Companion> {
        let mut out = self.companions.clone();
        if let Ok(a) = self.attached.lock() {
            out.extend(a.iter().cloned());
        }
        out
    }
}

/// Why an SQLite input could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SqliteOpenError {
    /// Copying to the scratch folder or hashing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// SQLite refused the file.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Copies an evidence file through [`open_evidence`] (its access time left
/// alone) to `dst`, hashing it in the same read; returns its SHA-256 and size.
pub fn copy_evidence(src: &Path, dst: &Path) -> io::Result<(String, u64)> {
    let mut reader = RawReader::open(src)?;
    let mut out = io::BufWriter::new(File::create(dst)?);
    io::copy(&mut reader, &mut out)?;
    io::Write::flush(&mut out)?;
    reader.finish()
}

/// Opens an SQLite database read-only (see the module docs). `scratch` is where
/// copies go (the system temp folder when `None`).
pub fn open_sqlite(path: &Path, scratch: Option<&Path>) -> Result<SqliteInput, SqliteOpenError> {
    let dir = match scratch {
        Some(s) => tempfile::Builder::new().prefix("waybill-sqlite-").tempdir_in(s)?,
        None => tempfile::Builder::new().prefix("waybill-sqlite-").tempdir()?,
    };
    let copy = dir.path().join("db");
    let (sha256, size) = copy_evidence(path, &copy)?;
    let mut companions = Vec::new();
    for (suffix, role) in [("-wal", "wal"), ("-journal", "journal")] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if let Ok(meta) = std::fs::metadata(&p)
            && meta.is_file()
            && meta.len() > 0
        {
            let (sha256, size) = copy_evidence(&p, &dir.path().join(format!("db{suffix}")))?;
            companions.push(Companion { path: p, role, size, sha256 });
        }
    }
    let conn = if companions.is_empty() {
        let uri = format!("file:{}?mode=ro&immutable=1", uri_path(&copy));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Connection::open_with_flags(uri, flags)?
    } else {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Connection::open_with_flags(&copy, flags)?
    };
    // A value longer than this is never loaded: SQLite fails the row with
    // SQLITE_TOOBIG, which `sqlite::each_row` turns into a reject of that row.
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, MAX_SQLITE_VALUE)?;
    let schema = read_schema(&conn)?;
    Ok(SqliteInput {
        conn: Db::from(conn),
        schema,
        companions,
        attached: std::sync::Mutex::new(Vec::new()),
        evidence: path.to_owned(),
        sha256,
        size,
        _scratch: dir,
    })
}

fn read_schema(conn: &Connection) -> Result<SqliteSchema, rusqlite::Error> {
    let mut schema = SqliteSchema {
        user_version: conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
        ..SqliteSchema::default()
    };
    let names: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY name")?;
        stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
    };
    for name in names {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let cols: Vec<String> = stmt.query_map([&name], |r| r.get(0))?.collect::<Result<_, _>>()?;
        schema.tables.insert(name, cols);
    }
    Ok(schema)
}

/// Percent-encodes a path for an SQLite URI filename.
fn uri_path(path: &Path) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    percent_encoding::percent_encode(abs.as_os_str().as_encoded_bytes(), SET).to_string()
}

/// What a source parses: the path, the settings, and the content.
pub struct Input<'a> {
    path: &'a Path,
    ctx: &'a ParseContext,
    body: Body<'a>,
    /// Raw bytes read of a text input (rows of a database: see [`Db`]).
    progress: Arc<Progress>,
    size: u64,
    /// Files read with a text input (a cache's block files beside its index).
    companions: Vec<Companion>,
}

enum Body<'a> {
    Text(Option<Box<Chunker<Content>>>),
    Sqlite(&'a SqliteInput),
}

impl<'a> Input<'a> {
    /// A text input over `content`.
    pub fn text(path: &'a Path, ctx: &'a ParseContext, content: Content) -> Self {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Self {
            path,
            ctx,
            body: Body::Text(Some(Box::new(Chunker::new(content)))),
            progress: Arc::default(),
            size,
            companions: Vec::new(),
        }
    }

    /// An SQLite input.
    pub fn sqlite_input(path: &'a Path, ctx: &'a ParseContext, db: &'a SqliteInput) -> Self {
        Self {
            path,
            ctx,
            body: Body::Sqlite(db),
            progress: Arc::clone(db.conn.progress()),
            size: db.size,
            companions: Vec::new(),
        }
    }

    /// How far the parse has got: raw bytes of a text input, rows of a
    /// database (a source that reads the content itself, such as EVTX, sets
    /// its own units).
    pub fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    /// Records the raw bytes read so far of a text input.
    fn note_read(&self, raw_bytes: u64) {
        self.progress.set(raw_bytes, self.size.max(raw_bytes));
    }

    /// The evidence path (to name in messages, never to open or write).
    pub fn path(&self) -> &Path {
        self.path
    }

    /// Records `path`, a file this input's source read besides the input
    /// itself (a cache's block files beside its index), with its SHA-256 and
    /// size from a read of the whole file: it goes into the manifest as a
    /// companion (`role`), so `verify` checks it too. A file recorded twice is
    /// hashed once.
    pub fn add_companion(&mut self, path: &Path, role: &'static str) -> io::Result<()> {
        if self.companions.iter().any(|c| c.path == path) {
            return Ok(());
        }
        let (sha256, size) = RawReader::open(path)?.finish()?;
        self.companions.push(Companion { path: path.to_owned(), role, size, sha256 });
        Ok(())
    }

    /// The files recorded with [`Self::add_companion`], in the order read.
    pub fn take_companions(&mut self) -> Vec<Companion> {
        std::mem::take(&mut self.companions)
    }

    /// The input file's modification time as recorded by the file system that
    /// holds the evidence copy (µs since 1970), when available.
    pub fn modified(&self) -> Option<i64> {
        let m = std::fs::metadata(self.path).ok()?.modified().ok()?;
        let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
        i64::try_from(d.as_micros()).ok()
    }

    /// Parse settings.
    pub fn ctx(&self) -> &ParseContext {
        self.ctx
    }

    /// The SQLite connection and schema.
    pub fn sqlite(&self) -> Result<&'a SqliteInput, SourceError> {
        match self.body {
            Body::Sqlite(db) => Ok(db),
            Body::Text(_) => Err(SourceError::Unsupported("this source reads SQLite, the input is text".into())),
        }
    }

    fn chunker(&mut self) -> Result<&mut Chunker<Content>, SourceError> {
        match &mut self.body {
            Body::Text(Some(c)) => Ok(c),
            _ => Err(SourceError::Unsupported("this source reads text, the input is not".into())),
        }
    }

    /// Calls `f` for every non-blank line, in order. Lines longer than
    /// [`MAX_LINE`] are rejected into `out` without calling `f`.
    pub fn for_each_line(
        &mut self,
        out: &mut dyn EventSink,
        f: impl FnMut(LinePos, &[u8], &mut dyn EventSink),
    ) -> Result<(), SourceError> {
        self.for_each_line_max(MAX_LINE, out, f)
    }

    /// [`Self::for_each_line`] with another longest line, for formats whose one
    /// line may hold a whole document of many records (a delivered CloudTrail
    /// file is one JSON line of many MiB). A line longer than a chunk
    /// ([`crate::lines::CHUNK_SIZE`]) is always rejected: it is never buffered.
    pub fn for_each_line_max(
        &mut self,
        max: usize,
        out: &mut dyn EventSink,
        mut f: impl FnMut(LinePos, &[u8], &mut dyn EventSink),
    ) -> Result<(), SourceError> {
        loop {
            let chunker = self.chunker()?;
            let piece = chunker.next_piece();
            let read = chunker.get_ref().raw_bytes();
            self.note_read(read);
            let chunker = self.chunker()?;
            match piece {
                Ok(None) => return Ok(()),
                Ok(Some(Piece::Lines { offset, first_line, data, .. })) => {
                    for_each_line(&data, offset, first_line, |pos, line| {
                        if line.len() > max {
                            reject_too_long(out, pos, line.len() as u64, line, max);
                        } else {
                            f(pos, line, out);
                        }
                    });
                }
                Ok(Some(Piece::Overlong { offset, line, len, head, .. })) => {
                    let limit = max.min(crate::lines::CHUNK_SIZE);
                    reject_too_long(out, LinePos { offset, line, terminated: true }, len, &head, limit);
                }
                Err((offset, source)) if is_damaged_stream(&source) => {
                    // A compressed stream cut short or damaged: what came before stands, the rest is a reject.
                    reject_damaged_stream(out, offset, chunker_line(chunker), &source);
                    return Ok(());
                }
                Err((offset, source)) => return Err(SourceError::Io { offset, source }),
            }
        }
    }

    /// Reads the whole content, up to `limit` bytes.
    pub fn read_to_end(&mut self, limit: usize) -> Result<Vec<u8>, SourceError> {
        let mut all = Vec::new();
        loop {
            let chunker = self.chunker()?;
            let piece = chunker.next_piece();
            let read = chunker.get_ref().raw_bytes();
            self.note_read(read);
            match piece {
                Ok(None) => return Ok(all),
                Ok(Some(Piece::Lines { data, .. })) => all.extend_from_slice(&data),
                Ok(Some(Piece::Overlong { len, .. })) => {
                    return Err(SourceError::Invalid(format!("a line of {len} bytes exceeds the {limit}-byte limit")));
                }
                Err((offset, source)) => return Err(SourceError::Io { offset, source }),
            }
            if all.len() > limit {
                return Err(SourceError::Invalid(format!("content exceeds the {limit}-byte limit of this format")));
            }
        }
    }

    /// Hands the text content, hashed as it is read, to `f`: for a source
    /// that reads the file's bytes itself in one pass, so that they are read
    /// once for both the parse and the hash. What `f` leaves unread is read
    /// when the hash is finished.
    pub fn with_content<R>(&mut self, f: impl FnOnce(&mut Content) -> R) -> Result<R, SourceError> {
        let Body::Text(slot) = &mut self.body else {
            return Err(SourceError::Unsupported("this source reads text, the input is SQLite".into()));
        };
        let Some(chunker) = slot.take() else {
            return Err(SourceError::Invalid("the input's content is already being read".into()));
        };
        let mut content = chunker.into_inner();
        let result = f(&mut content);
        *slot = Some(Box::new(Chunker::new(content)));
        Ok(result)
    }

    /// Gives back the text content (to finish hashing).
    pub fn into_content(self) -> Option<Content> {
        match self.body {
            Body::Text(c) => c.map(|c| c.into_inner()),
            Body::Sqlite(_) => None,
        }
    }
}

fn chunker_line(c: &Chunker<Content>) -> u64 {
    c.line()
}

/// Records that a compressed stream ended early, at `offset` of the content.
pub fn reject_truncated_stream(out: &mut dyn EventSink, offset: u64, line: u64) {
    out.reject(Reject {
        record: waybill_model::RecordRef::Line { offset, line },
        reason: RejectReason::Truncated(format!("compressed stream ends early; content after byte {offset} is lost")),
        raw: b"",
    });
}

/// Is this read error a damaged compressed stream (cut short, a bad gzip
/// header, corrupt deflate data) rather than a failing device? Such damage is
/// a reject of what follows, and what came before stands.
pub fn is_damaged_stream(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData)
}

/// The reject for a damaged compressed stream at `offset` (decompressed).
pub fn reject_damaged_stream(out: &mut dyn EventSink, offset: u64, line: u64, e: &io::Error) {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return reject_truncated_stream(out, offset, line);
    }
    out.reject(Reject {
        record: waybill_model::RecordRef::Line { offset, line },
        reason: RejectReason::Malformed(format!(
            "compressed stream damaged ({e}); content after byte {offset} is lost"
        )),
        raw: b"",
    });
}

/// Rejects a line longer than `limit`.
pub fn reject_too_long(out: &mut dyn EventSink, pos: LinePos, len: u64, raw: &[u8], limit: usize) {
    out.reject(Reject {
        record: pos.record(),
        reason: RejectReason::TooLong { len, limit: limit as u64 },
        raw: &raw[..raw.len().min(waybill_model::EXCERPT_LIMIT)],
    });
}
