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
//! A raw NTFS volume (no partition table) is read with the `ntfs` crate and
//! staged the same way: every file under `fs/` with its `$STANDARD_INFORMATION`
//! modification time, every `Zone.Identifier` stream under `streams/` as
//! `<path>:Zone.Identifier` (outside the file tree, so the tree lists exactly
//! the volume's files; the stream gets its file's time, having none).
//!
//! Other disk images (E01, VHD/VHDX, a disk with a partition table, gzip) and
//! ext4 are recognised and refused with a message: not read yet.

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::input::{hex, open_evidence};

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A folder: an extracted or mounted file system.
    Folder,
    /// A zip collection.
    Zip,
    /// A raw NTFS volume (no partition table).
    Ntfs,
}

impl Kind {
    /// `folder` or `zip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Folder => "folder",
            Self::Zip => "zip",
            Self::Ntfs => "ntfs",
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

/// What a target is, from its type and its first bytes.
pub fn detect(path: &Path) -> Result<Kind, TargetError> {
    let meta = std::fs::metadata(path).map_err(io_at(path))?;
    if meta.is_dir() {
        return Ok(Kind::Folder);
    }
    let mut head = [0u8; 4096];
    let mut f = open_evidence(path).map_err(io_at(path))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]).map_err(io_at(path))? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    let unsupported = |what| Err(TargetError::Unsupported { path: path.to_owned(), what });
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Ok(Kind::Zip)
    } else if head.starts_with(b"EVF\x09\x0d\x0a\xff\x00") || head.starts_with(b"EVF2\x0d\x0a\x81\x00") {
        unsupported("an EWF (E01/Ex01) image")
    } else if head.starts_with(b"vhdxfile") {
        unsupported("a VHDX image")
    } else if head.get(3..11) == Some(b"NTFS    ") {
        Ok(Kind::Ntfs)
    } else if head.get(0x438..0x43a) == Some(&[0x53, 0xef]) {
        unsupported("a raw ext2/3/4 volume")
    } else if head.get(510..512) == Some(&[0x55, 0xaa]) {
        unsupported("a raw disk image with a partition table")
    } else if head.starts_with(&[0x1f, 0x8b]) {
        unsupported("a gzip file (an image or a tar collection)")
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
    /// `velociraptor`, `kape` or `plain`.
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

/// An NTFS volume staged into the case.
#[derive(Debug, Clone)]
pub struct StagedNtfs {
    /// The files, under their paths in the volume.
    pub root: PathBuf,
    /// The `Zone.Identifier` streams, as `<path>:Zone.Identifier` files
    /// under the same relative paths (outside the file tree's folder).
    pub streams: PathBuf,
    /// SHA-256 of the volume.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// Files written.
    pub files: usize,
    /// Streams written.
    pub stream_count: usize,
    /// Entries left out, with why.
    pub left_out: Vec<(String, String)>,
}

/// Seconds since 1970 of an NTFS time (100 ns since 1601).
fn nt_to_unix(t: u64) -> Option<i64> {
    let secs = i64::try_from(t / 10_000_000).ok()?;
    let unix = secs - 11_644_473_600;
    (unix >= 0).then_some(unix)
}

/// Stages the files of the raw NTFS volume `path` into `into/fs` and its
/// `Zone.Identifier` streams into `into/streams` (read with the `ntfs`
/// crate, the upcase table read first; the volume is opened read-only).
/// Each file gets its `$STANDARD_INFORMATION` modification time. NTFS system
/// files (`$MFT`, `$LogFile`, …) and `System Volume Information` are left out.
pub fn stage_ntfs(path: &Path, sha256: String, into: &Path) -> Result<StagedNtfs, TargetError> {
    use ntfs::{Ntfs, NtfsFile, NtfsReadSeek};
    let size = std::fs::metadata(path).map_err(io_at(path))?.len();
    let bad = |what: String| TargetError::Damaged { path: path.to_owned(), reason: what };
    let mut fs = io::BufReader::new(open_evidence(path).map_err(io_at(path))?);
    let mut volume = Ntfs::new(&mut fs).map_err(|e| bad(format!("NTFS boot sector: {e}")))?;
    volume.read_upcase_table(&mut fs).map_err(|e| bad(format!("NTFS upcase table: {e}")))?;
    if into.exists() {
        std::fs::remove_dir_all(into).map_err(io_at(into))?;
    }
    let (root, streams) = (into.join("fs"), into.join("streams"));
    std::fs::create_dir_all(&root).map_err(io_at(&root))?;
    std::fs::create_dir_all(&streams).map_err(io_at(&streams))?;
    let mut out = StagedNtfs { root, streams, sha256, size, files: 0, stream_count: 0, left_out: Vec::new() };
    // Depth-first over directories: (file record number, relative path).
    let top = volume.root_directory(&mut fs).map_err(|e| bad(format!("root directory: {e}")))?;
    let mut stack: Vec<(u64, String)> = vec![(top.file_record_number(), String::new())];
    let copy_value = |file: &NtfsFile<'_>,
                      stream: &str,
                      fs: &mut io::BufReader<std::fs::File>,
                      dest: &Path|
     -> Result<bool, String> {
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
    };
    while let Some((record, rel)) = stack.pop() {
        let dir = volume.file(&mut fs, record).map_err(|e| bad(format!("{rel}: {e}")))?;
        let index = dir.directory_index(&mut fs).map_err(|e| bad(format!("{rel}: index: {e}")))?;
        let mut entries = index.entries();
        let mut children: Vec<(String, u64, bool)> = Vec::new();
        while let Some(entry) = entries.next(&mut fs) {
            let entry = entry.map_err(|e| bad(format!("{rel}: index entry: {e}")))?;
            let Some(key) = entry.key() else { continue };
            let key = key.map_err(|e| bad(format!("{rel}: index key: {e}")))?;
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
                out.left_out.push((child_rel, "an NTFS system file".into()));
                continue;
            }
            let Some(safe_rel) = safe(&child_rel) else {
                out.left_out.push((child_rel, "its name cannot be a path".into()));
                continue;
            };
            if is_dir {
                stack.push((number, child_rel));
                continue;
            }
            let file = volume.file(&mut fs, number).map_err(|e| bad(format!("{child_rel}: {e}")))?;
            let dest = out.root.join(&safe_rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(io_at(parent))?;
            }
            match copy_value(&file, "", &mut fs, &dest) {
                Ok(true) => {}
                Ok(false) => {
                    out.left_out.push((child_rel, "no unnamed data stream".into()));
                    continue;
                }
                Err(e) => {
                    out.left_out.push((child_rel, format!("its data could not be read: {e}")));
                    continue;
                }
            }
            let mtime = file.info().ok().and_then(|i| nt_to_unix(i.modification_time().nt_timestamp()));
            let set_time = |p: &Path| -> Result<(), TargetError> {
                if let Some(t) = mtime {
                    let f = std::fs::File::options().write(true).open(p).map_err(io_at(p))?;
                    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.unsigned_abs()))
                        .map_err(io_at(p))?;
                }
                Ok(())
            };
            set_time(&dest)?;
            out.files += 1;
            let sdest = out.streams.join(format!("{}:Zone.Identifier", safe_rel.display()));
            if let Some(parent) = sdest.parent() {
                std::fs::create_dir_all(parent).map_err(io_at(parent))?;
            }
            match copy_value(&file, "Zone.Identifier", &mut fs, &sdest) {
                // A stream has no time of its own: it gets its file's.
                Ok(true) => {
                    set_time(&sdest)?;
                    out.stream_count += 1;
                }
                Ok(false) => {}
                Err(e) => out.left_out.push((format!("{child_rel}:Zone.Identifier"), format!("unreadable: {e}"))),
            }
        }
    }
    Ok(out)
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
