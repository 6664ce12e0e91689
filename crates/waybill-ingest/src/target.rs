//! `ingest --target PATH`: evidence as examiners receive it — an extracted or
//! mounted file system (a folder), or a triage collection in a zip
//! (Velociraptor's `uploads/<accessor>/<URL-encoded path>`, a KAPE-style
//! `C/Users/…` tree, or any other layout).
//!
//! A folder is read where it is. A zip is opened read-only (its SHA-256 taken
//! in the same pass that reads it) and its members are **staged** into the
//! case's own folder (`CASE/targets/<first 16 hex of its SHA-256>/`), under
//! their paths inside the collected file system, each with the member's
//! modification time: as Velociraptor's `uploads.json` lists it (`mtime`,
//! exact), else the zip's extended timestamp when present, else the DOS time
//! read as UTC (2-second steps). Members
//! whose name would leave the staging folder (`..`, absolute paths) are not
//! written, and are named. The collection's own files (`uploads.json`,
//! `log.json`, `collection_context.json`, `requests.json`, `results/…`) are
//! not evidence of the device and are left out of the tree. Nothing is
//! written outside the case.
//!
//! A raw NTFS volume is read with the `ntfs` crate and staged the same way:
//! every file under `fs/` with its `$STANDARD_INFORMATION` modification time,
//! every `Zone.Identifier` stream under `streams/` as `<path>:Zone.Identifier`
//! (outside the file tree, so the tree lists exactly the volume's files; the
//! stream gets its file's time, having none), and a TSK bodyfile of both its
//! `$STANDARD_INFORMATION` and `$FILE_NAME` times under `bodyfile/`. A raw disk with a partition
//! table (MBR, or GPT behind a protective MBR; 512-byte sectors) has each NTFS
//! partition staged under `p<N>/`, its number in the table; other partitions
//! are named and left out. An EWF image (E01/Ex01, with its segments found
//! beside it and each hashed) is read through the `ewf` crate the same way,
//! after its media's MD5 is recomputed against the one it stores (what
//! `ewfverify` checks).
//!
//! A VHDX virtual disk (fixed or dynamic, as KAPE and Hyper-V write them) is
//! read through the `vhdx-core` crate (blocks fetched on demand: memory does
//! not grow with the image) the same way.
//!
//! An ext2/3/4 volume (raw, or a partition of any of these) is read by this
//! crate's own reader ([`crate::ext4`]: `ext4-view` exposes no inode times)
//! and its regular files staged with their modification times.
//!
//! A tar or tar.gz collection is streamed and staged like a zip; UAC's layout
//! (`[root]/` beside its own output) makes `[root]` the tree.
//!
//! A FAT12/16/32 or exFAT volume (raw, or a partition of any of these: a
//! memory card, a USB stick) is read by [`crate::fat`] (FAT through the
//! `fatfs` crate over a reader that refuses writes; exFAT by this crate) and
//! its regular files staged with their modification times: FAT's local time
//! read in the zone given (`ingest --tz`, else the case's), exFAT's with the
//! UTC offset it stores when it stores one.
//!
//! Other images (a dynamic VHD, a gzip that is not a tar) are recognised and refused with a
//! message: not read yet.

use std::io::{self, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::zone::Zone;

use crate::input::{hex, open_evidence};

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder: an extracted or mounted file system.
    Folder,
    /// A zip collection.
    Zip,
    /// A tar collection (UAC's `.tar`, or `.tar.gz`: `gzip` true).
    Tar {
        /// Compressed with gzip.
        gzip: bool,
    },
    /// A raw NTFS volume (no partition table).
    Ntfs,
    /// A raw ext2/3/4 volume (no partition table).
    Ext,
    /// A raw FAT12/16/32 or exFAT volume (no partition table): a memory
    /// card, a USB stick imaged as a volume.
    Fat,
    /// A raw disk image with a partition table (MBR, or GPT behind a
    /// protective MBR).
    Disk,
    /// An EWF (E01/Ex01) image, its segments beside it.
    Ewf,
    /// A VHDX virtual disk (fixed or dynamic; not differencing).
    Vhdx,
}

impl Kind {
    /// `folder` or `zip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Folder => "folder",
            Self::Zip => "zip",
            Self::Tar { gzip: false } => "tar",
            Self::Tar { gzip: true } => "tar.gz",
            Self::Ntfs => "ntfs",
            Self::Ext => "ext",
            Self::Fat => "fat",
            Self::Disk => "disk",
            Self::Ewf => "ewf",
            Self::Vhdx => "vhdx",
        }
    }
}

/// Why a target cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The container is damaged or not what it seemed.
    #[error("{path}: cannot be read ({reason})")]
    Damaged {
        /// The container.
        path: PathBuf,
        /// What the zip reader said.
        reason: String,
    },
    /// A kind of container not read yet.
    #[error(
        "{path}: {what} is recognised but not read yet (read the extracted files with --target DIR or --files DIR)"
    )]
    Unsupported {
        /// The container.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// Not a folder nor a known container.
    #[error("{path}: not a folder, zip collection or disk image")]
    Unknown {
        /// The path.
        path: PathBuf,
    },
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> TargetError + '_ {
    move |source| TargetError::Io { path: path.to_owned(), source }
}

/// Reads into `buf` until it is full or the input ends; the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// What a target is, from its type and its first bytes.
pub fn detect(path: &Path) -> Result<Kind, TargetError> {
    let meta = std::fs::metadata(path).map_err(io_at(path))?;
    if meta.is_dir() {
        return Ok(Kind::Folder);
    }
    let mut head = [0u8; 4096];
    let mut f = open_evidence(path).map_err(io_at(path))?;
    let n = read_up_to(&mut f, &mut head).map_err(io_at(path))?;
    let head = &head[..n];
    let unsupported = |what| Err(TargetError::Unsupported { path: path.to_owned(), what });
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Ok(Kind::Zip)
    } else if head.starts_with(b"EVF\x09\x0d\x0a\xff\x00") || head.starts_with(b"EVF2\x0d\x0a\x81\x00") {
        Ok(Kind::Ewf)
    } else if head.starts_with(b"vhdxfile") {
        Ok(Kind::Vhdx)
    } else if head.starts_with(b"conectix") {
        unsupported("a dynamic VHD image")
    } else if head.get(3..11) == Some(b"NTFS    ") {
        Ok(Kind::Ntfs)
    } else if crate::ext4::is_ext(head) {
        Ok(Kind::Ext)
    } else if crate::fat::is_fat(head) || crate::fat::is_exfat(head) {
        // Before the partition table: a FAT boot sector ends in 55 AA too.
        Ok(Kind::Fat)
    } else if head.get(510..512) == Some(&[0x55, 0xaa]) {
        Ok(Kind::Disk)
    } else if head.get(257..262) == Some(b"ustar") {
        Ok(Kind::Tar { gzip: false })
    } else if head.starts_with(&[0x1f, 0x8b]) {
        // A tar.gz collection, or a compressed image (not read).
        let mut inner = [0u8; 512];
        let mut gz = flate2::read::GzDecoder::new(open_evidence(path).map_err(io_at(path))?);
        let tar = gz.read_exact(&mut inner).is_ok() && inner.get(257..262) == Some(b"ustar");
        if tar {
            Ok(Kind::Tar { gzip: true })
        } else {
            unsupported("a gzip file that is not a tar collection (a compressed image: decompress it first)")
        }
    } else {
        Err(TargetError::Unknown { path: path.to_owned() })
    }
}

/// A zip staged into the case.
#[derive(Debug, Clone)]
pub struct Staged {
    /// Where the members were written.
    pub root: PathBuf,
    /// SHA-256 of the zip file.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// `velociraptor`, `kape`, `uac` or `plain`.
    pub layout: &'static str,
    /// Members written.
    pub members: usize,
    /// Members left out, with why.
    pub left_out: Vec<(String, String)>,
}

/// Velociraptor's collection files: metadata of the collection, not evidence.
const COLLECTION_FILES: &[&str] =
    &["uploads.json", "log.json", "collection_context.json", "requests.json", "client_info.json"];

/// The path inside the collected file system of a member named `name`, by
/// layout; `None` for a collection's own file.
pub fn member_path(name: &str, layout: &str) -> Option<String> {
    let name = name.trim_start_matches("./");
    if COLLECTION_FILES.contains(&name) || name.starts_with("results/") || name.ends_with('/') {
        return None;
    }
    let rest = match layout {
        // uploads/<accessor>/<URL-encoded path>
        "velociraptor" => {
            let after = name.strip_prefix("uploads/")?;
            let (_, p) = after.split_once('/')?;
            percent_decode(p)
        }
        _ => name.to_owned(),
    };
    let rest = rest.replace('\\', "/");
    // Velociraptor's raw NTFS accessor names the device (`\\.\C:`).
    let rest = rest.trim_start_matches('/');
    let rest = rest.strip_prefix("./").or_else(|| rest.strip_prefix("?/")).unwrap_or(rest);
    // A drive (`C:/…`, or KAPE's `C/…` at the top) is not part of the path.
    let mut parts = rest.splitn(2, '/');
    let first = parts.next().unwrap_or("");
    let tail = parts.next();
    let drive = (first.len() == 2 && first.ends_with(':') && first.as_bytes()[0].is_ascii_alphabetic())
        || (layout == "kape" && first.len() == 1 && first.as_bytes()[0].is_ascii_alphabetic());
    let out = match (drive, tail) {
        (true, Some(t)) => t.to_owned(),
        (true, None) => return None,
        (false, _) => rest.to_owned(),
    };
    (!out.is_empty()).then_some(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A relative path that stays inside the staging folder.
fn safe(rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    p.components().all(|c| matches!(c, Component::Normal(_))).then(|| p.to_owned())
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// SHA-256 of a container, read once, read-only.
pub fn sha256_of(path: &Path) -> Result<String, TargetError> {
    let mut f = open_evidence(path).map_err(io_at(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io_at(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Stages the members of the zip `path` (whose SHA-256 is `sha256`) into
/// `into` (created; emptied first if it holds an earlier staging).
pub fn stage_zip(path: &Path, sha256: String, into: &Path) -> Result<Staged, TargetError> {
    let size = std::fs::metadata(path).map_err(io_at(path))?.len();
    let file = open_evidence(path).map_err(io_at(path))?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
        .map_err(|e| TargetError::Damaged { path: path.to_owned(), reason: e.to_string() })?;
    let names: Vec<String> = zip.file_names().filter_map(|n| n.ok().map(|c| c.into_owned())).collect();
    let layout = if names.iter().any(|n| n.starts_with("uploads/")) && names.iter().any(|n| n == "uploads.json") {
        "velociraptor"
    } else if names.iter().any(|n| n.len() > 2 && n.as_bytes()[1] == b'/' && n.as_bytes()[0].is_ascii_uppercase()) {
        "kape"
    } else {
        "plain"
    };
    // Velociraptor lists every upload in `uploads.json` (JSON lines, or one
    // array) with its `StoredName` and, where kept, its `mtime` (Unix
    // seconds, or RFC 3339): exact where the zip's DOS time keeps 2 s.
    let mut listed: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    if layout == "velociraptor"
        && let Ok(m) = zip.by_name("uploads.json")
    {
        let mut text = String::new();
        if m.take(64 << 20).read_to_string(&mut text).is_ok() {
            let docs: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Array(a)) => a,
                _ => text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect(),
            };
            for d in docs {
                let mtime = match &d["mtime"] {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => {
                        waybill_model::Timestamp::parse_rfc3339(s).ok().map(|t| t.unix_micros().div_euclid(1_000_000))
                    }
                    _ => None,
                };
                if let (Some(name), Some(t)) = (d["StoredName"].as_str(), mtime) {
                    listed.insert(name.to_owned(), t);
                }
            }
        }
    }
    if into.exists() {
        std::fs::remove_dir_all(into).map_err(io_at(into))?;
    }
    std::fs::create_dir_all(into).map_err(io_at(into))?;
    let mut members = 0;
    let mut left_out = Vec::new();
    for i in 0..zip.len() {
        let mut m =
            zip.by_index(i).map_err(|e| TargetError::Damaged { path: path.to_owned(), reason: e.to_string() })?;
        if m.is_dir() {
            continue;
        }
        let name = match m.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                left_out.push((format!("member {i}"), format!("its name cannot be read ({e})")));
                continue;
            }
        };
        let Some(rel) = member_path(&name, layout) else {
            left_out.push((name, "a file of the collection itself, not of the device".into()));
            continue;
        };
        let Some(rel) = safe(&rel) else {
            left_out.push((name, "its name would leave the staging folder".into()));
            continue;
        };
        let dest = into.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        let mut out = std::fs::File::create(&dest).map_err(io_at(&dest))?;
        io::copy(&mut m, &mut out)
            .map_err(|e| TargetError::Damaged { path: path.to_owned(), reason: format!("{name}: {e}") })?;
        out.flush().map_err(io_at(&dest))?;
        // The member's time: as `uploads.json` lists it, else the extended
        // timestamp (Unix seconds) when present, else the DOS time read as UTC.
        let unix = listed.get(&name).copied().or_else(|| {
            m.extra_data_fields()
                .find_map(|f| match f {
                    zip::extra_fields::ExtraField::ExtendedTimestamp(t) => t.mod_time().map(i64::from),
                    _ => None,
                })
                .or_else(|| {
                    m.last_modified().map(|d| {
                        days_from_civil(i64::from(d.year()), i64::from(d.month()), i64::from(d.day())) * 86_400
                            + i64::from(d.hour()) * 3600
                            + i64::from(d.minute()) * 60
                            + i64::from(d.second())
                    })
                })
        });
        if let Some(t) = unix.filter(|t| *t >= 0) {
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.unsigned_abs());
            out.set_modified(when).map_err(io_at(&dest))?;
        }
        members += 1;
    }
    Ok(Staged { root: into.to_owned(), sha256, size, layout, members, left_out })
}

/// UAC's own output in a collection (its log, hash lists, live response,
/// bodyfile) lies beside this folder, which holds the collected files.
const UAC_ROOT: &str = "[root]/";

/// Stages the members of the tar (or tar.gz) collection `path` into `into`:
/// every regular file under its member path, with the tar header's
/// modification time. UAC's layout (collected files under `[root]/`, its
/// own output beside them) makes `[root]` the tree's root, so the tree holds
/// exactly the collected files; any other tar is staged as it is. Links,
/// devices and names that would leave the folder are named and left out.
pub fn stage_tar(path: &Path, gzip: bool, sha256: String, into: &Path) -> Result<Staged, TargetError> {
    let size = std::fs::metadata(path).map_err(io_at(path))?.len();
    if into.exists() {
        std::fs::remove_dir_all(into).map_err(io_at(into))?;
    }
    let members_dir = into.join("members");
    std::fs::create_dir_all(&members_dir).map_err(io_at(&members_dir))?;
    let file = io::BufReader::new(open_evidence(path).map_err(io_at(path))?);
    let reader: Box<dyn Read> = if gzip { Box::new(flate2::read::GzDecoder::new(file)) } else { Box::new(file) };
    let mut archive = tar::Archive::new(reader);
    let damaged = |e: io::Error| TargetError::Damaged { path: path.to_owned(), reason: e.to_string() };
    let (mut members, mut left_out, mut uac) = (0usize, Vec::new(), false);
    let mut written: Vec<String> = Vec::new();
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).trim_start_matches("./").to_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            left_out.push((name, "not a regular file (a link or a special file)".into()));
            continue;
        }
        let Some(rel) = safe(&name) else {
            left_out.push((name, "its name would leave the staging folder".into()));
            continue;
        };
        uac |= name.starts_with(UAC_ROOT);
        let dest = members_dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_at(parent))?;
        }
        let mut w = io::BufWriter::new(std::fs::File::create(&dest).map_err(io_at(&dest))?);
        io::copy(&mut entry, &mut w).map_err(damaged)?;
        w.flush().map_err(io_at(&dest))?;
        drop(w);
        if let Ok(mtime) = entry.header().mtime() {
            set_mtime(&dest, i64::try_from(mtime).unwrap_or(0), 0)?;
        }
        written.push(name);
        members += 1;
    }
    let (root, layout) = if uac { (members_dir.join("[root]"), "uac") } else { (members_dir, "plain") };
    if uac {
        // UAC's own output stays staged beside the tree, and is named.
        for name in written.iter().filter(|n| !n.starts_with(UAC_ROOT)) {
            left_out.push((
                name.clone(),
                "UAC's own output (log, hash lists, live response, bodyfile), not the collected file system".into(),
            ));
            members -= 1;
        }
    }
    Ok(Staged { root, sha256, size, layout, members, left_out })
}

/// A disk image (raw NTFS volume, raw disk, EWF) staged into the case.
#[derive(Debug, Clone)]
pub struct StagedImage {
    /// The files, under their paths in the volume (a partitioned disk's
    /// under `p<N>/`, its partition number).
    pub root: PathBuf,
    /// The `Zone.Identifier` streams, as `<path>:Zone.Identifier` files
    /// under the same relative paths (outside the file tree's folder).
    pub streams: PathBuf,
    /// SHA-256 of the image file (an EWF image's first segment).
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// An EWF image's further segments, in order: path, SHA-256, size.
    pub segments: Vec<(PathBuf, String, u64)>,
    /// The media's size (an EWF image's acquired bytes).
    pub media_size: u64,
    /// What the media holds: `NTFS volume`, `MBR disk`, `GPT disk`.
    pub layout: &'static str,
    /// The volumes read: partition number (none for an unpartitioned
    /// volume), byte offset, and the files and streams written.
    pub volumes: Vec<StagedVolume>,
    /// An EWF image's MD5 check: the MD5 it stores (hex; none when it stores
    /// none), the MD5 of the media read now, and whether they agree.
    pub md5: Option<MediaCheck>,
    /// Files written.
    pub files: usize,
    /// Streams written.
    pub stream_count: usize,
    /// Entries (and partitions) left out, with why.
    pub left_out: Vec<(String, String)>,
    /// A TSK bodyfile of the NTFS volumes' files with both their
    /// `$STANDARD_INFORMATION` and `$FILE_NAME` times (none when no NTFS
    /// volume was read), written beside the tree.
    pub bodyfile: Option<PathBuf>,
    /// Where FAT's local times were read.
    pub zone: Zone,
}

/// One volume of a staged image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedVolume {
    /// Partition number (1-based, as in the table); none for a volume
    /// without a partition table.
    pub partition: Option<u32>,
    /// Byte offset in the media.
    pub offset: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Files written.
    pub files: usize,
    /// Streams written.
    pub streams: usize,
}

/// An EWF image's media hash against the one it stores (what `ewfverify`
/// checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaCheck {
    /// The MD5 the image stores, hex.
    pub stored: Option<String>,
    /// The MD5 of the media as read now, hex.
    pub computed: String,
}

impl MediaCheck {
    /// Whether the stored MD5 is present and equal to the computed one.
    pub fn matches(&self) -> Option<bool> {
        self.stored.as_ref().map(|s| *s == self.computed)
    }
}

/// A window of a reader: a partition of a disk, read as a volume.
struct Window<R> {
    inner: R,
    start: u64,
    len: u64,
    pos: u64,
    /// The inner reader is at `start + pos` (no seek needed).
    synced: bool,
}

impl<R: io::Seek> Window<R> {
    fn new(inner: R, start: u64, len: u64) -> Self {
        Self { inner, start, len, pos: 0, synced: false }
    }
}

impl<R: Read + io::Seek> Read for Window<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if !self.synced {
            self.inner.seek(io::SeekFrom::Start(self.start + self.pos))?;
            self.synced = true;
        }
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for Window<R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(t) => {
                self.synced &= t == self.pos;
                self.pos = t;
                Ok(t)
            }
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the volume")),
        }
    }
}

/// Seconds since 1970 of an NTFS time (100 ns since 1601).
fn nt_to_unix(t: u64) -> Option<i64> {
    let secs = i64::try_from(t / 10_000_000).ok()?;
    let unix = secs - 11_644_473_600;
    (unix >= 0).then_some(unix)
}

/// The segment files of the EWF image whose first segment is `first`, in
/// order: the files beside it with its name and an extension of the same
/// length and first letter (`.E01`, `.E02`, … `.EAA`; `.Ex01`, `.Ex02`, …).
pub fn ewf_segments(first: &Path) -> Result<Vec<PathBuf>, TargetError> {
    let parent = first.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let (Some(stem), Some(ext)) = (first.file_stem(), first.extension().and_then(|e| e.to_str())) else {
        return Ok(vec![first.to_owned()]);
    };
    let Some(letter) = ext.chars().next() else { return Ok(vec![first.to_owned()]) };
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(parent).map_err(io_at(parent))? {
        let entry = entry.map_err(io_at(parent))?;
        let p = entry.path();
        let Some(e) = p.extension().and_then(|e| e.to_str()) else { continue };
        if p.file_stem() == Some(stem)
            && e.len() == ext.len()
            && e.chars().next().is_some_and(|c| c.eq_ignore_ascii_case(&letter))
            && e.chars().skip(1).all(|c| c.is_ascii_alphanumeric())
            && p.is_file()
        {
            found.push((e.to_ascii_uppercase(), p));
        }
    }
    // E01 < E99 < EAA: digits sort before letters.
    found.sort();
    let mut out: Vec<PathBuf> = found.into_iter().map(|(_, p)| p).collect();
    if out.first().map(|p| p.file_name()) != Some(first.file_name()) {
        out.retain(|p| p.file_name() != first.file_name());
        out.insert(0, first.to_owned());
    }
    Ok(out)
}

/// Stages a raw image (`kind` [`Kind::Ntfs`] or [`Kind::Disk`]), an EWF
/// image ([`Kind::Ewf`], its segments found beside it) or a VHDX
/// ([`Kind::Vhdx`]) into `into`: every
/// NTFS volume's files under `into/fs` (a partitioned disk's under
/// `p<N>/`) and its `Zone.Identifier` streams under `into/streams`. The
/// image is opened read-only; `sha256` is the image file's (the first
/// segment's). `zone` is where FAT's local times are read (exFAT's carry their
/// UTC offset when the writer set one).
pub fn stage_image(
    path: &Path,
    kind: Kind,
    sha256: String,
    into: &Path,
    zone: Zone,
) -> Result<StagedImage, TargetError> {
    let size = std::fs::metadata(path).map_err(io_at(path))?.len();
    if into.exists() {
        std::fs::remove_dir_all(into).map_err(io_at(into))?;
    }
    let (root, streams) = (into.join("fs"), into.join("streams"));
    std::fs::create_dir_all(&root).map_err(io_at(&root))?;
    std::fs::create_dir_all(&streams).map_err(io_at(&streams))?;
    let mut out = StagedImage {
        root,
        streams,
        sha256,
        size,
        segments: Vec::new(),
        media_size: size,
        layout: "",
        volumes: Vec::new(),
        md5: None,
        files: 0,
        stream_count: 0,
        left_out: Vec::new(),
        bodyfile: None,
        zone,
    };
    let bad = |what: String| TargetError::Damaged { path: path.to_owned(), reason: what };
    if kind == Kind::Ewf {
        let segments = ewf_segments(path)?;
        for s in segments.iter().skip(1) {
            let len = std::fs::metadata(s).map_err(io_at(s))?.len();
            out.segments.push((s.clone(), sha256_of(s)?, len));
        }
        let reader = ewf::EwfReader::open_segments(&segments).map_err(|e| bad(format!("EWF: {e}")))?;
        out.media_size = reader.total_size();
        // The media hash reads (and inflates) every chunk; staging reads the
        // file systems' data. Each through its own reader, side by side.
        let (check, staged) = std::thread::scope(|s| {
            let verifier = s.spawn(|| -> Result<MediaCheck, TargetError> {
                let r = ewf::EwfReader::open_segments(&segments).map_err(|e| bad(format!("EWF: {e}")))?;
                let check = r.verify().map_err(|e| bad(format!("EWF media: {e}")))?;
                Ok(MediaCheck { stored: r.stored_hashes().md5.map(|h| hex(&h)), computed: hex(&check.computed_md5) })
            });
            let staged = stage_media(path, reader, &mut out);
            let check =
                verifier.join().unwrap_or_else(|_| Err(bad("EWF media: the check stopped unexpectedly".into())));
            (check, staged)
        });
        out.md5 = Some(check?);
        staged?;
    } else if kind == Kind::Vhdx {
        let reader = vhdx::VhdxReader::open(path).map_err(|e| bad(format!("VHDX: {e}")))?;
        out.media_size = reader.virtual_disk_size();
        stage_media(path, reader, &mut out)?;
    } else {
        let f = open_evidence(path).map_err(io_at(path))?;
        stage_media(path, f, &mut out)?;
    }
    Ok(out)
}

/// A partition: its number in the table (1-based), byte offset and length.
type Partition = (u32, u64, u64);

/// Partitions of a disk: (number, byte offset, length), from its MBR or,
/// behind a protective MBR, its GPT (512-byte sectors); the layout's name.
fn partitions<R: Read + io::Seek>(media: &mut R, sector0: &[u8]) -> io::Result<(&'static str, Vec<Partition>)> {
    let entry = |i: usize| {
        let e = &sector0[446 + 16 * i..446 + 16 * (i + 1)];
        let lba = u64::from(u32::from_le_bytes([e[8], e[9], e[10], e[11]]));
        let count = u64::from(u32::from_le_bytes([e[12], e[13], e[14], e[15]]));
        (e[4], lba, count)
    };
    if (0..4).any(|i| entry(i).0 == 0xee) {
        let mut header = [0u8; 512];
        media.seek(io::SeekFrom::Start(512))?;
        media.read_exact(&mut header)?;
        if &header[..8] != b"EFI PART" {
            return Ok(("GPT disk (header not found)", Vec::new()));
        }
        let le64 = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let (table, count, size) = (le64(&header[72..80]), le32(&header[80..84]), le32(&header[84..88]) as usize);
        if !(128..=4096).contains(&size) || count > 1024 {
            return Ok(("GPT disk (implausible partition table)", Vec::new()));
        }
        let mut entries = vec![0u8; size * count as usize];
        media.seek(io::SeekFrom::Start(table * 512))?;
        media.read_exact(&mut entries)?;
        let mut out = Vec::new();
        for (i, e) in entries.chunks(size).enumerate() {
            if e[..16].iter().all(|&b| b == 0) {
                continue;
            }
            let (first, last) = (le64(&e[32..40]), le64(&e[40..48]));
            if last >= first {
                out.push((i as u32 + 1, first * 512, (last - first + 1) * 512));
            }
        }
        return Ok(("GPT disk", out));
    }
    let out = (0..4)
        .map(|i| (i, entry(i)))
        .filter(|(_, (kind, _, count))| *kind != 0 && *count > 0)
        .map(|(i, (_, lba, count))| (i as u32 + 1, lba * 512, count * 512))
        .collect();
    Ok(("MBR disk", out))
}

/// Stages the NTFS volume(s) of `media` (a volume, or a disk with a
/// partition table) into `out`.
fn stage_media<R: Read + io::Seek>(path: &Path, media: R, out: &mut StagedImage) -> Result<(), TargetError> {
    let mut body = Vec::new();
    stage_volumes(path, media, out, &mut body)?;
    if !body.is_empty() {
        let dir = out.root.parent().unwrap_or(&out.root).join("bodyfile");
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let file = dir.join("ntfs.body");
        body.sort();
        std::fs::write(&file, body.concat()).map_err(io_at(&file))?;
        out.bodyfile = Some(file);
    }
    Ok(())
}

/// [`stage_media`]'s work: each volume staged, NTFS bodyfile lines in `body`.
fn stage_volumes<R: Read + io::Seek>(
    path: &Path,
    media: R,
    out: &mut StagedImage,
    body: &mut Vec<String>,
) -> Result<(), TargetError> {
    let mut media = io::BufReader::with_capacity(1 << 16, media);
    let mut head = [0u8; 2048];
    media.seek(io::SeekFrom::Start(0)).map_err(io_at(path))?;
    // An ext superblock is at byte 1024; a tiny media may end before it, but
    // not before its first sector.
    if read_up_to(&mut media, &mut head).map_err(io_at(path))? < 512 {
        return Err(TargetError::Damaged { path: path.to_owned(), reason: "shorter than one sector".into() });
    }
    let sector0 = &head[..512];
    if let Some(fs) = volume_kind(&head) {
        out.layout = match fs {
            "ntfs" => "NTFS volume",
            "fat" => "FAT volume",
            "exfat" => "exFAT volume",
            _ => "ext2/3/4 volume",
        };
        let len = out.media_size;
        let (root, streams) = (out.root.clone(), out.streams.clone());
        let sink = (&mut out.left_out, body);
        let (files, streams_n) = stage_volume(path, (fs, out.zone), &mut media, "", (&root, &streams), sink)?;
        out.volumes.push(StagedVolume { partition: None, offset: 0, size: len, files, streams: streams_n });
        out.files += files;
        out.stream_count += streams_n;
        return Ok(());
    }
    if sector0[510..512] != [0x55, 0xaa] {
        return Err(TargetError::Damaged {
            path: path.to_owned(),
            reason: "the media holds neither an NTFS volume nor a partition table".into(),
        });
    }
    let (layout, parts) = partitions(&mut media, sector0).map_err(io_at(path))?;
    out.layout = layout;
    for (number, offset, len) in parts {
        let label = format!("partition {number}");
        let mut volume = Window::new(&mut media, offset, len);
        let mut boot = [0u8; 2048];
        let read = volume.seek(io::SeekFrom::Start(0)).and_then(|_| volume.read_exact(&mut boot));
        let fs = if read.is_ok() { volume_kind(&boot) } else { None };
        let Some(fs) = fs else {
            let why = if read.is_err() {
                "beyond the end of the media"
            } else {
                "neither NTFS, ext2/3/4, FAT nor exFAT: not read"
            };
            out.left_out.push((label, why.into()));
            continue;
        };
        let prefix = format!("p{number}");
        let (root, streams) = (out.root.join(&prefix), out.streams.join(&prefix));
        std::fs::create_dir_all(&root).map_err(io_at(&root))?;
        std::fs::create_dir_all(&streams).map_err(io_at(&streams))?;
        let sink = (&mut out.left_out, &mut *body);
        let (files, streams_n) = stage_volume(path, (fs, out.zone), &mut volume, &prefix, (&root, &streams), sink)?;
        out.volumes.push(StagedVolume { partition: Some(number), offset, size: len, files, streams: streams_n });
        out.files += files;
        out.stream_count += streams_n;
    }
    Ok(())
}

/// The file system at the start of a volume: `ntfs`, `ext`, `fat` or `exfat`.
fn volume_kind(head: &[u8]) -> Option<&'static str> {
    if head.get(3..11) == Some(b"NTFS    ") {
        Some("ntfs")
    } else if crate::ext4::is_ext(head) {
        Some("ext")
    } else if crate::fat::is_exfat(head) {
        Some("exfat")
    } else if crate::fat::is_fat(head) {
        Some("fat")
    } else {
        None
    }
}

/// Stages one volume of file system `fs` ([`volume_kind`]; FAT's local times
/// read in `zone`); returns the files and streams written. What is left out
/// goes to the first of `sink`, NTFS bodyfile lines to the second.
fn stage_volume<R: Read + io::Seek>(
    path: &Path,
    (fs, zone): (&str, Zone),
    volume: &mut R,
    prefix: &str,
    (root, streams): (&Path, &Path),
    (left_out, body): (&mut Vec<(String, String)>, &mut Vec<String>),
) -> Result<(usize, usize), TargetError> {
    match fs {
        "ntfs" => stage_ntfs_volume(path, volume, prefix, (root, streams), left_out, body),
        "fat" | "exfat" => Ok((stage_fat_volume(path, volume, prefix, root, zone, left_out)?, 0)),
        _ => Ok((stage_ext_volume(path, volume, prefix, root, left_out)?, 0)),
    }
}

/// Writes one file of a volume to `root/<rel>` from `copy` and sets its
/// modification time; a file whose data cannot be read is removed and named
/// in `left_out`. Whether it was written.
fn stage_file(
    root: &Path,
    (rel, shown): (&Path, String),
    mtime: Option<(i64, u32)>,
    copy: impl FnOnce(&mut dyn Write) -> io::Result<u64>,
    left_out: &mut Vec<(String, String)>,
) -> Result<bool, TargetError> {
    let dest = root.join(rel);
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(io_at(parent))?;
    }
    let mut w = io::BufWriter::new(std::fs::File::create(&dest).map_err(io_at(&dest))?);
    let copied = copy(&mut w).and_then(|_| w.flush());
    drop(w);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&dest);
        left_out.push((shown, format!("its data could not be read: {e}")));
        return Ok(false);
    }
    if let Some((secs, nanos)) = mtime {
        set_mtime(&dest, secs, nanos)?;
    }
    Ok(true)
}

/// Stages the regular files of the FAT12/16/32 or exFAT volume `fs` into
/// `root` ([`crate::fat`]), each with its modification time (FAT's local
/// time read in `zone`). A file whose time cannot be read is staged and
/// named; one whose data cannot be read is named and not staged.
fn stage_fat_volume<R: Read + io::Seek>(
    path: &Path,
    fs: &mut R,
    prefix: &str,
    root: &Path,
    zone: Zone,
    left_out: &mut Vec<(String, String)>,
) -> Result<usize, TargetError> {
    use crate::fat::Visit;
    let where_ = |rel: &str| if prefix.is_empty() { rel.to_owned() } else { format!("{prefix}/{rel}") };
    let bad =
        |e: crate::fat::FatError| TargetError::Damaged { path: path.to_owned(), reason: format!("{}{e}", where_("")) };
    let mut files = 0;
    crate::fat::walk(fs, zone, bad, &mut |v| {
        match v {
            Visit::Skipped { rel, why } => left_out.push((where_(rel), why)),
            Visit::File { rel, modified, caveat, data } => {
                let Some(safe_rel) = safe(rel) else {
                    left_out.push((where_(rel), "its name cannot be a path".into()));
                    return Ok(());
                };
                let mtime = match &modified {
                    Ok(t) => {
                        let us = t.unix_micros();
                        Some((us.div_euclid(1_000_000), (us.rem_euclid(1_000_000) * 1000) as u32))
                    }
                    Err(_) => None,
                };
                if stage_file(root, (&safe_rel, where_(rel)), mtime, |w| io::copy(data, w), left_out)? {
                    files += 1;
                    if let Err(why) = modified {
                        left_out.push((where_(rel), format!("staged, but its modification time {why}")));
                    }
                    if let Some(c) = caveat {
                        left_out.push((where_(rel), format!("staged; {c}")));
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(files)
}

/// Sets a staged file's modification time (seconds and nanoseconds since
/// 1970; a time before 1970 is left as the staging's).
fn set_mtime(p: &Path, secs: i64, nanos: u32) -> Result<(), TargetError> {
    let Ok(secs) = u64::try_from(secs) else { return Ok(()) };
    let f = std::fs::File::options().write(true).open(p).map_err(io_at(p))?;
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos.min(999_999_999))).map_err(io_at(p))
}

/// Stages the regular files of the ext2/3/4 volume read by `fs` into `root`,
/// each with its inode's modification time. Symbolic links, devices and
/// other special files are named in `left_out` and not staged; a file whose
/// data cannot be read is named with why.
fn stage_ext_volume<R: Read + io::Seek>(
    path: &Path,
    fs: &mut R,
    prefix: &str,
    root: &Path,
    left_out: &mut Vec<(String, String)>,
) -> Result<usize, TargetError> {
    let where_ = |rel: &str| if prefix.is_empty() { rel.to_owned() } else { format!("{prefix}/{rel}") };
    let bad = |what: String| TargetError::Damaged { path: path.to_owned(), reason: what };
    let mut volume = crate::ext4::Ext4::open(fs).map_err(|e| bad(format!("{}ext superblock: {e}", where_(""))))?;
    let mut files = 0;
    let mut stack: Vec<(u32, String)> = vec![(2, String::new())];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((number, rel)) = stack.pop() {
        // A directory reached twice (a corrupt tree) is read once.
        if !seen.insert(number) {
            continue;
        }
        // The root must be readable; a damaged directory below it is named
        // and the rest of the volume read.
        let entries = match volume.inode(number).and_then(|dir| volume.read_dir(&dir)) {
            Ok(entries) => entries,
            Err(e) if number == 2 => return Err(bad(format!("{}root directory: {e}", where_("")))),
            Err(e) => {
                left_out.push((where_(&rel), format!("its directory entries could not be read: {e}")));
                continue;
            }
        };
        for (name, child) in entries {
            let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            let inode = match volume.inode(child) {
                Ok(i) => i,
                Err(e) => {
                    left_out.push((where_(&child_rel), format!("its inode {child} could not be read: {e}")));
                    continue;
                }
            };
            if inode.is_dir() {
                stack.push((child, child_rel));
                continue;
            }
            if !inode.is_file() {
                left_out.push((where_(&child_rel), "not a regular file (a link or a special file)".into()));
                continue;
            }
            let Some(safe_rel) = safe(&child_rel) else {
                left_out.push((where_(&child_rel), "its name cannot be a path".into()));
                continue;
            };
            let mtime = Some((inode.mtime, inode.mtime_nsec));
            let shown = where_(&child_rel);
            if stage_file(root, (&safe_rel, shown), mtime, |mut w| volume.copy(&inode, &mut w), left_out)? {
                files += 1;
            }
        }
    }
    Ok(files)
}

/// A bodyfile line (`MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`)
/// for a regular file with NT times (100 ns since 1601), written as Unix
/// seconds with their seven decimals (0: unknown).
fn body_line(name: &str, record: u64, size: u64, [a, m, c, b]: [u64; 4]) -> String {
    let t = |nt: u64| match nt_to_unix(nt) {
        Some(s) if nt != 0 => format!("{s}.{:07}", nt % 10_000_000),
        _ => "0".to_owned(),
    };
    format!("0|{name}|{record}|r/rrwxrwxrwx|0|0|{size}|{}|{}|{}|{}\n", t(a), t(m), t(c), t(b))
}

/// Copies a file's data stream (`stream` "" for the unnamed one) to `dest`;
/// `false` when it has no such stream.
fn copy_stream<R: Read + io::Seek>(
    file: &ntfs::NtfsFile<'_>,
    stream: &str,
    fs: &mut R,
    dest: &Path,
) -> Result<bool, String> {
    use ntfs::NtfsReadSeek;
    let Some(item) = file.data(fs, stream) else { return Ok(false) };
    let item = item.map_err(|e| e.to_string())?;
    let attr = item.to_attribute().map_err(|e| e.to_string())?;
    let mut value = attr.value(fs).map_err(|e| e.to_string())?;
    let mut w = io::BufWriter::new(std::fs::File::create(dest).map_err(|e| e.to_string())?);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = value.read(fs, &mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n]).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    Ok(true)
}

/// Stages the files of the NTFS volume read by `fs` into `root` and its
/// `Zone.Identifier` streams into `streams` (read with the `ntfs` crate, the
/// upcase table read first). Each file gets its `$STANDARD_INFORMATION`
/// modification time. NTFS system files (`$MFT`, `$LogFile`, …) and `System
/// Volume Information` are left out, named in `left_out` under `prefix`.
/// Returns the files and streams written.
fn stage_ntfs_volume<R: Read + io::Seek>(
    path: &Path,
    fs: &mut R,
    prefix: &str,
    (root, streams): (&Path, &Path),
    left_out: &mut Vec<(String, String)>,
    body: &mut Vec<String>,
) -> Result<(usize, usize), TargetError> {
    use ntfs::Ntfs;
    let where_ = |rel: &str| if prefix.is_empty() { rel.to_owned() } else { format!("{prefix}/{rel}") };
    let bad = |what: String| TargetError::Damaged { path: path.to_owned(), reason: what };
    let mut volume = Ntfs::new(fs).map_err(|e| bad(format!("{}NTFS boot sector: {e}", where_(""))))?;
    volume.read_upcase_table(fs).map_err(|e| bad(format!("{}NTFS upcase table: {e}", where_(""))))?;
    let (mut files, mut stream_count) = (0, 0);
    // Depth-first over directories: (file record number, relative path).
    let top = volume.root_directory(fs).map_err(|e| bad(format!("root directory: {e}")))?;
    let mut stack: Vec<(u64, String)> = vec![(top.file_record_number(), String::new())];
    while let Some((record, rel)) = stack.pop() {
        let dir = volume.file(fs, record).map_err(|e| bad(format!("{}: {e}", where_(&rel))))?;
        let index = dir.directory_index(fs).map_err(|e| bad(format!("{}: index: {e}", where_(&rel))))?;
        let mut entries = index.entries();
        let mut children: Vec<(String, u64, bool)> = Vec::new();
        while let Some(entry) = entries.next(fs) {
            let entry = entry.map_err(|e| bad(format!("{}: index entry: {e}", where_(&rel))))?;
            let Some(key) = entry.key() else { continue };
            let key = key.map_err(|e| bad(format!("{}: index key: {e}", where_(&rel))))?;
            // Every long name once: the DOS 8.3 alias is a second entry.
            if key.namespace() == ntfs::structured_values::NtfsFileNamespace::Dos {
                continue;
            }
            let name = key.name().to_string_lossy();
            if name == "." {
                continue;
            }
            children.push((name, entry.file_reference().file_record_number(), key.is_directory()));
        }
        children.sort();
        for (name, number, is_dir) in children {
            let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if rel.is_empty() && (name.starts_with('$') || name == "System Volume Information") {
                left_out.push((where_(&child_rel), "an NTFS system file".into()));
                continue;
            }
            let Some(safe_rel) = safe(&child_rel) else {
                left_out.push((where_(&child_rel), "its name cannot be a path".into()));
                continue;
            };
            if is_dir {
                stack.push((number, child_rel));
                continue;
            }
            let file = volume.file(fs, number).map_err(|e| bad(format!("{}: {e}", where_(&child_rel))))?;
            let dest = root.join(&safe_rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io_at(parent))?;
            }
            match copy_stream(&file, "", fs, &dest) {
                Ok(true) => {}
                Ok(false) => {
                    left_out.push((where_(&child_rel), "no unnamed data stream".into()));
                    continue;
                }
                Err(e) => {
                    left_out.push((where_(&child_rel), format!("its data could not be read: {e}")));
                    continue;
                }
            }
            let info = file.info().ok();
            let mtime = info.as_ref().and_then(|i| nt_to_unix(i.modification_time().nt_timestamp()));
            let set_time = |p: &Path| mtime.map_or(Ok(()), |t| set_mtime(p, t, 0));
            set_time(&dest)?;
            files += 1;
            // Both sets of times, as `fls -m` writes them: the file's own
            // ($STANDARD_INFORMATION, which any program can set) and its
            // $FILE_NAME attribute's (set by the file system).
            let name = format!("/{}", where_(&child_rel)).replace('\\', "\\\\").replace('|', "\\|");
            let size = std::fs::metadata(&dest).map_or(0, |m| m.len());
            if let Some(si) = &info {
                body.push(body_line(
                    &name,
                    number,
                    size,
                    [si.access_time(), si.modification_time(), si.mft_record_modification_time(), si.creation_time()]
                        .map(|t| t.nt_timestamp()),
                ));
            }
            if let Some(Ok(fname)) = file.name(fs, None, None) {
                body.push(body_line(
                    &format!("{name} ($FILE_NAME)"),
                    number,
                    size,
                    [
                        fname.access_time(),
                        fname.modification_time(),
                        fname.mft_record_modification_time(),
                        fname.creation_time(),
                    ]
                    .map(|t| t.nt_timestamp()),
                ));
            }
            let sdest = streams.join(format!("{}:Zone.Identifier", safe_rel.display()));
            if let Some(parent) = sdest.parent() {
                std::fs::create_dir_all(parent).map_err(io_at(parent))?;
            }
            match copy_stream(&file, "Zone.Identifier", fs, &sdest) {
                // A stream has no time of its own: it gets its file's.
                Ok(true) => {
                    set_time(&sdest)?;
                    stream_count += 1;
                }
                Ok(false) => {}
                Err(e) => left_out.push((where_(&format!("{child_rel}:Zone.Identifier")), format!("unreadable: {e}"))),
            }
        }
    }
    Ok((files, stream_count))
}

/// Stages the container `path` of kind `kind` into `into` as `ingest
/// --target` does (tree, streams, bodyfile and UAC's own output); a folder
/// is read in place and stages nothing. `zone` is the one the image was
/// staged with (FAT's local times).
pub fn restage(path: &Path, kind: Kind, sha256: String, into: &Path, zone: Zone) -> Result<(), TargetError> {
    match kind {
        Kind::Folder => Ok(()),
        Kind::Zip => stage_zip(path, sha256, into).map(drop),
        Kind::Tar { gzip } => stage_tar(path, gzip, sha256, into).map(drop),
        Kind::Ntfs | Kind::Ext | Kind::Fat | Kind::Disk | Kind::Ewf | Kind::Vhdx => {
            stage_image(path, kind, sha256, into, zone).map(drop)
        }
    }
}

/// The operating system a file system's layout suggests.
pub fn guess_os(root: &Path) -> &'static str {
    let has = |p: &str| root.join(p).exists();
    if has("Windows/System32") || has("Users") && has("Windows") {
        "Windows"
    } else if has("Users") && has("Library") || has("private/var") {
        "macOS"
    } else if has("data/data") || has("Android") {
        "Android"
    } else if has("etc") || has("home") {
        "Linux"
    } else if has("Users") {
        "Windows (Users folder only)"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_by_layout() {
        let v = |n| member_path(n, "velociraptor");
        assert_eq!(v("uploads/auto/C%3A/Users/ana/Documents/notes.txt"), Some("Users/ana/Documents/notes.txt".into()));
        assert_eq!(v("uploads/ntfs/%5C%5C.%5CC%3A/Windows/x.evtx"), Some("Windows/x.evtx".into()));
        assert_eq!(v("uploads.json"), None);
        assert_eq!(member_path("C/Users/ana/NTUSER.DAT", "kape"), Some("Users/ana/NTUSER.DAT".into()));
        assert_eq!(member_path("home/ana/.bashrc", "plain"), Some("home/ana/.bashrc".into()));
        assert!(safe("../etc/passwd").is_none() && safe("/etc/passwd").is_none() && safe("a/b").is_some());
        assert_eq!(days_from_civil(2026, 3, 1) * 86_400 + 36_010, 1_772_359_210);
    }
}
