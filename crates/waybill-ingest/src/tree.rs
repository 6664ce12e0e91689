//! `ingest --files DIR`: a mounted or exported file system, walked file by file.
//!
//! For every regular file: `fs.*` events from its metadata (modified, accessed,
//! changed, and created where the file system records a birth time), each carrying
//! the content's MD5, SHA-1 and SHA-256, and one row of the content table with
//! every hash of [`waybill_hash`] (and PDQ for images). Files are opened read-only
//! and read once; images up to [`KEEP_IMAGE`] bytes are decoded from the bytes of
//! that same read. Symbolic links are recorded (with their target) but not
//! followed.
//!
//! Bad input is recorded on the file, and the walk goes on:
//! - a file that cannot be opened or read (permission denied, vanished, I/O
//!   error): metadata events, and a content row whose `error` says why;
//! - a file whose size or modification time moved between open and the end of
//!   the read: its hashes are discarded (`error`: changed while being hashed);
//! - an image that does not decode: hashes kept, no PDQ, `error` says so;
//! - an entry whose metadata cannot be read at all: a reject.
//!
//! Every file is one record (`file[N]`, N its position in the walk, which is in
//! byte order of the path). The input's SHA-256 in the manifest is the SHA-256 of
//! the listing `path NUL size NUL sha256 LF` in that order, with each path's
//! exact bytes.
//!
//! Paths are kept exactly: a file is opened by the name the walk found, never
//! by a string rebuilt from it; a `\` in a name stays a `\`; a name that is
//! not UTF-8 is recorded with each such byte written `\xNN` and its exact
//! bytes in `attrs.path_bytes` (hex).

use std::borrow::Cow;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use waybill_hash::pdq::{hash_image_bytes, looks_like_image};
use waybill_hash::{Digests, hash_reader};
use waybill_model::schema::{ContentRow, Counts, EventBatchBuilder, InputContext, content_batch};
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::driver::{IngestError, PartSink, Reporter};

/// Images up to this size are kept in memory during hashing and decoded for PDQ.
pub const KEEP_IMAGE: u64 = 64 << 20;

/// Files per batch handed to the hashing workers (and per written part).
const BATCH: usize = 512;

/// The format id of file-tree inputs.
pub const FORMAT: &str = "files.tree";

/// What to walk and how to attribute it.
#[derive(Debug, Clone, Copy)]
pub struct TreeRequest<'a> {
    /// The root folder.
    pub root: &'a Path,
    /// Manifest id.
    pub id: &'a str,
    /// `--device`.
    pub device: Option<&'a str>,
    /// `--clock`.
    pub clock: Option<&'a str>,
}

/// What walking a tree produced.
#[derive(Debug, Clone)]
pub struct TreeSummary {
    /// Clock name used.
    pub clock: String,
    /// SHA-256 of the listing.
    pub sha256: String,
    /// Total bytes of the regular files.
    pub size: u64,
    /// Files, events, rejects.
    pub counts: Counts,
    /// Files whose content could not be hashed.
    pub unhashed: u64,
}

/// A path as recorded: UTF-8 as is (a `\` in a name kept as it is), each
/// byte that is not part of valid UTF-8 written `\xNN`. The exact bytes of a
/// name that is not UTF-8 are kept beside it (`attrs.path_bytes`, hex).
pub fn display_path(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// One file as hashed by a worker.
struct Done {
    rel: String,
    /// The path's bytes in hex when they are not valid UTF-8.
    raw_hex: Option<String>,
    meta: Result<std::fs::Metadata, std::io::Error>,
    digests: Option<Digests>,
    pdq: Option<(String, i32)>,
    error: Option<String>,
    link_target: Option<String>,
}

/// The reading and hashing of one file (`rel` as the walk found it, never
/// rebuilt from its display form).
fn hash_one(root: &Path, rel: &Path) -> Done {
    use std::os::unix::ffi::OsStrExt;
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path);
    let raw = rel.as_os_str().as_bytes();
    let raw_hex = std::str::from_utf8(raw).is_err().then(|| crate::input::hex(raw));
    let mut done =
        Done { rel: display_path(rel), raw_hex, meta, digests: None, pdq: None, error: None, link_target: None };
    let Ok(before) = &done.meta else { return done };
    let ft = before.file_type();
    if ft.is_symlink() {
        done.link_target = std::fs::read_link(&path).ok().map(|t| display_path(&t));
        return done;
    }
    if !ft.is_file() {
        // Opening a FIFO would block and a device could be endless: never read them.
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device"
        } else {
            "a special file"
        };
        done.error = Some(format!("not read: {what}"));
        return done;
    }
    let mut file = match crate::input::open_evidence(&path) {
        Ok(f) => f,
        Err(e) => {
            done.error = Some(format!("cannot open: {e}"));
            return done;
        }
    };
    let size = before.len();
    let hashed = match hash_reader(&mut file, size, KEEP_IMAGE) {
        Ok(h) => h,
        Err(e) => {
            done.error = Some(format!("read error: {e}"));
            return done;
        }
    };
    if let Some(why) = changed(before, file.metadata().as_ref(), hashed.digests.size) {
        done.error = Some(why);
        return done;
    }
    if let Some(bytes) = &hashed.content
        && looks_like_image(bytes)
    {
        match hash_image_bytes(bytes) {
            Ok(p) => done.pdq = Some((p.hex(), i32::from(p.quality))),
            Err(e) => done.error = Some(format!("PDQ not computed: {e}")),
        }
    }
    done.digests = Some(hashed.digests);
    done
}

/// Did the file change between the metadata read before opening it and the end
/// of the read (size, modification time, or bytes read)? Says how, if so.
pub fn changed(
    before: &std::fs::Metadata,
    after: Result<&std::fs::Metadata, &std::io::Error>,
    bytes_read: u64,
) -> Option<String> {
    let then = format!("size {} mtime {}.{:09}", before.len(), before.mtime(), before.mtime_nsec());
    match after {
        Ok(a)
            if a.len() == before.len()
                && a.mtime() == before.mtime()
                && a.mtime_nsec() == before.mtime_nsec()
                && bytes_read == before.len() =>
        {
            None
        }
        Ok(a) => Some(format!(
            "changed while being hashed (before: {then}; after: size {} mtime {}.{:09}; {bytes_read} bytes read); hashes discarded",
            a.len(),
            a.mtime(),
            a.mtime_nsec()
        )),
        Err(e) => Some(format!("changed while being hashed (before: {then}; after: {e}); hashes discarded")),
    }
}

/// Relative paths of every entry under `root` except folders, exactly as the
/// file system names them, in byte order; folders are entered (not through
/// symbolic links). Unreadable folders are returned as errors to report.
fn walk(root: &Path) -> (Vec<PathBuf>, Vec<(String, String)>) {
    use std::os::unix::ffi::OsStrExt;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                errors.push((display_path(&rel), e.to_string()));
                continue;
            }
        };
        for entry in rd {
            match entry {
                Ok(e) => {
                    let child = rel.join(e.file_name());
                    match e.file_type() {
                        Ok(t) if t.is_dir() => stack.push(child),
                        _ => files.push(child),
                    }
                }
                Err(e) => errors.push((display_path(&rel), e.to_string())),
            }
        }
    }
    files.sort_unstable_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    errors.sort();
    (files, errors)
}

fn ts_of(secs: i64, nanos: i64) -> Option<Timestamp> {
    Timestamp::from_unix_nanos(i128::from(secs) * 1_000_000_000 + i128::from(nanos)).ok()
}

/// Walks `root` and hashes every file. Output goes to `parts`.
pub fn ingest_tree(
    req: &TreeRequest<'_>,
    parts: &dyn PartSink,
    reporter: &dyn Reporter,
) -> Result<TreeSummary, IngestError> {
    let root = req.root;
    let meta = std::fs::metadata(root).map_err(|source| IngestError::Open { path: root.to_owned(), source })?;
    if !meta.is_dir() {
        return Err(IngestError::NotAFile(root.to_owned()));
    }
    let clock = match (req.clock, req.device) {
        (Some(c), _) => c.to_owned(),
        (None, Some(d)) => d.to_owned(),
        (None, None) => format!("device:{}", req.id),
    };
    let ictx = InputContext {
        format: FORMAT.to_owned(),
        source: req.id.to_owned(),
        clock: clock.clone(),
        device: req.device.map(str::to_owned),
        tz_name: None,
    };
    let (files, walk_errors) = walk(root);
    let out_err = |source| IngestError::Output { path: root.to_owned(), source };
    let mut listing = Sha256::new();
    let mut counts = Counts::default();
    let mut total = 0u64;
    let mut unhashed = 0u64;
    let mut bytes_done = 0u64;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    for (part, batch) in files.chunks(BATCH).enumerate() {
        let part = u32::try_from(part).unwrap_or(u32::MAX);
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Done>>> = Mutex::new((0..batch.len()).map(|_| None).collect());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rel) = batch.get(i) else { break };
                        let d = hash_one(root, rel);
                        results.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(d);
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut b = EventBatchBuilder::new(ictx.clone(), part);
        let mut rows = Vec::with_capacity(batch.len());
        for (k, done) in results.into_iter().enumerate() {
            let Some(done) = done else { continue };
            let index = (part as usize * BATCH + k) as u64;
            let record = RecordRef::Item { list: "file", index };
            let m = match &done.meta {
                Ok(m) => m,
                Err(e) => {
                    let raw = done.rel.clone();
                    b.reject(Reject {
                        record,
                        reason: RejectReason::Value { field: "metadata".into(), detail: format!("{}: {e}", done.rel) },
                        raw: raw.as_bytes(),
                    });
                    continue;
                }
            };
            let is_file = m.file_type().is_file();
            if is_file {
                total += m.len();
                bytes_done += m.len();
            }
            let d = done.digests.as_ref();
            if is_file && d.is_none() {
                unhashed += 1;
            }
            {
                use std::os::unix::ffi::OsStrExt;
                listing.update(batch[k].as_os_str().as_bytes());
            }
            listing.update([0]);
            listing.update(m.len().to_string().as_bytes());
            listing.update([0]);
            listing.update(d.map_or("-", |d| d.sha256.as_str()).as_bytes());
            listing.update([b'\n']);
            let mut times = vec![
                (EventKind::FsModified, ts_of(m.mtime(), m.mtime_nsec())),
                (EventKind::FsAccessed, ts_of(m.atime(), m.atime_nsec())),
                (EventKind::FsChanged, ts_of(m.ctime(), m.ctime_nsec())),
            ];
            if let Some(birth) = m.created().ok().and_then(|c| c.duration_since(std::time::UNIX_EPOCH).ok()) {
                let secs = i64::try_from(birth.as_secs()).unwrap_or(0);
                times.push((EventKind::FsCreated, ts_of(secs, i64::from(birth.subsec_nanos()))));
            }
            for (kind, ts) in times {
                let Some(ts) = ts else { continue };
                let mut e = Event::new(kind, ts, Precision::Nanosecond, record);
                e.path = Some(Cow::Borrowed(done.rel.as_str()));
                e.size = i64::try_from(m.len()).ok();
                if let Some(d) = d {
                    e.sha256 = Some(Cow::Borrowed(d.sha256.as_str()));
                    e.md5 = Some(Cow::Borrowed(d.md5.as_str()));
                    e.sha1 = Some(Cow::Borrowed(d.sha1.as_str()));
                }
                e.attrs.push("mode", format!("{:o}", m.mode()));
                e.attrs.push("uid", i64::from(m.uid()));
                e.attrs.push("gid", i64::from(m.gid()));
                e.attrs.push("inode", i64::try_from(m.ino()).unwrap_or(i64::MAX));
                if let Some(h) = &done.raw_hex {
                    e.attrs.push("path_bytes", h.as_str());
                }
                if let Some(t) = &done.link_target {
                    e.attrs.push("link_target", t.as_str());
                }
                if let Some(err) = &done.error {
                    e.attrs.push("content_error", err.as_str());
                }
                b.event(e);
            }
            b.accepted();
            if is_file {
                rows.push(ContentRow {
                    record: record.to_string(),
                    path: done.rel.clone(),
                    size: i64::try_from(m.len()).ok(),
                    md5: d.map(|d| d.md5.clone()),
                    sha1: d.map(|d| d.sha1.clone()),
                    sha256: d.map(|d| d.sha256.clone()),
                    dropbox_content_hash: d.map(|d| d.dropbox_content_hash.clone()),
                    quickxorhash: d.map(|d| d.quickxorhash.clone()),
                    s3_etag: d.map(|d| d.s3_etag.clone()),
                    s3_multipart: d.map(|d| serde_json::to_string(&d.s3_multipart).unwrap_or_default()),
                    whatsapp_hash: d.map(|d| d.whatsapp_hash.clone()),
                    pdq: done.pdq.as_ref().map(|p| p.0.clone()),
                    pdq_quality: done.pdq.as_ref().map(|p| p.1),
                    error: done.error.clone(),
                });
            }
        }
        reporter.read(bytes_done);
        counts.add(b.counts());
        if !b.is_empty() {
            let batch = b.take_batch().map_err(|e| out_err(Box::new(e)))?;
            parts.events(part, batch).map_err(out_err)?;
        }
        let rejects = b.take_rejects();
        if !rejects.is_empty() {
            parts.rejects(part, &rejects).map_err(out_err)?;
        }
        if !rows.is_empty() {
            let batch = content_batch(req.id, &rows).map_err(|e| out_err(Box::new(e)))?;
            parts.content(part, batch).map_err(out_err)?;
        }
    }
    if !walk_errors.is_empty() {
        // Folders that could not be listed: one reject each, in a last part.
        let part = u32::try_from(files.len().div_ceil(BATCH)).unwrap_or(u32::MAX);
        let mut b = EventBatchBuilder::new(ictx, part);
        for (i, (dir, e)) in walk_errors.iter().enumerate() {
            b.reject(Reject {
                record: RecordRef::Item { list: "folder", index: i as u64 },
                reason: RejectReason::Value { field: "folder".into(), detail: format!("{dir}: {e}") },
                raw: dir.as_bytes(),
            });
        }
        counts.add(b.counts());
        parts.rejects(part, b.rejects()).map_err(out_err)?;
    }
    Ok(TreeSummary { clock, sha256: crate::input::hex(&listing.finalize()), size: total, counts, unhashed })
}
