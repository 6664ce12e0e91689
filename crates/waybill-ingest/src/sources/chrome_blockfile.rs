//! Chrome blockfile cache (`Cache/index`, `data_0`..`data_3`, `f_XXXXXX`):
//! the disk cache Chrome used on every desktop platform before the simple
//! cache, still written by Chrome and Edge on Windows and by many Chromium
//! embedders (Electron apps, in-game browsers).
//!
//! # What it reads
//! The input is the `index` file (`IndexHeader`, magic `0xC103CAC3`, version
//! 2.0 or 2.1; 256 bytes, then the 112-byte `LruData`, then the hash table of
//! `table_len` cache addresses). Every non-empty bucket is followed along the
//! entries' `next` addresses. A cache address (`CacheAddr`) names a file
//! type (bits 28–30), and for block files the file (`data_N`, bits 16–23),
//! the number of blocks less one (bits 24–25) and the first block (bits
//! 0–15); for file type 0 a file of its own, `f_` and six hex digits. A
//! block file (`data_N`) has an 8,192-byte header (magic `0xC104CAC3`, the
//! block size) and block *i* at `8192 + i × size`. An entry (`EntryStore`, one
//! to four 256-byte blocks of `data_1`) holds the key inline from byte 96, or
//! at `long_key` when longer than 927 bytes; four stream sizes and addresses
//! (stream 0: the `HttpResponseInfo` pickle, as in the simple cache; stream
//! 1: the body as received); its creation time; its state; the address of its
//! rankings node (`data_0`: last used, last modified). The block files and
//! the `f_` files read are recorded with the input (hashed, as companions).
//!
//! # Versions seen
//! Index 2.0 and 2.1 (every Chrome from 2010 until the simple cache);
//! response-info pickle version 3, with or without the extra-flags word.
//! The experimental version 3.0 layout (entries in their own block type) is
//! refused by name.
//!
//! # Events emitted
//! One `browser.cache_entry` per entry at the response time (device clock,
//! µs), exactly as `chrome.cache` gives them: `url`, `sha256`/`md5`/`sha1`/
//! `size` of the body (decoded when `Content-Encoding` is gzip or deflate),
//! `status`; `attrs`: `top_frame_site`, `frame_site`, `request_time`,
//! `content_type`, `content_encoding`, `body_decoded`, `subframe_document`,
//! `cross_site_navigation`, and `entry_created`, `last_used` (from the
//! rankings node, when it points back to the entry), `entry_state`
//! (`normal`, `evicted`, `doomed`), `body_in` (`data_2`, `f_00002a`).
//! A record is an entry, named by its cache address. An entry whose address,
//! key, response info or body cannot be read is a reject naming what.
//!
//! # What it cannot tell us
//! Why the resource was fetched (see `chrome.cache`); entries evicted and no
//! longer in the table, and blocks freed but not overwritten, are not
//! recovered. A sparse child entry (a range of a media resource) is a reject:
//! its bytes are a piece of a body, not a body.
//!
//! # References
//! Chromium `net/disk_cache/blockfile/disk_format.h`, `disk_format_base.h`,
//! `addr.h`, `entry_impl.cc`, `block_files.cc`; libyal dtformats "Chrome
//! Cache file format"; see [`super::chrome_cache`] for the key and the pickle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use waybill_model::{Event, EventSink, RecordRef, Reject, RejectReason, Timestamp};

use super::chrome_cache::{i64_at, response_event, response_info, u32_at};
use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Chrome blockfile caches.
pub struct ChromeBlockfile;

const INDEX_MAGIC: u32 = 0xC103_CAC3;
const BLOCK_MAGIC: u32 = 0xC104_CAC3;
/// `IndexHeader` (256 bytes) and `LruData` (112 bytes).
const TABLE_AT: usize = 256 + 112;
/// `kBaseTableLen`: a table length of 0 in the header means this.
const BASE_TABLE_LEN: usize = 0x10000;
const BLOCK_HEADER: u64 = 8192;
const ENTRY_BLOCK: usize = 256;
const KEY_AT: usize = 96;
/// The index is the header and a table of 4-byte addresses; more is not an index.
const INDEX_LIMIT: u64 = 64 << 20;
/// Streams larger than this are rejected (bodies are hashed in memory).
const STREAM_LIMIT: u64 = 1 << 30;
/// Keys longer than this are not keys.
const KEY_LIMIT: usize = 1 << 20;
const PARENT_ENTRY: u32 = 1;
const CHILD_ENTRY: u32 = 2;

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A cache address (`CacheAddr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Addr(u32);

/// Where an address points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `f_` and six hex digits.
    External(u32),
    /// `count` blocks of `size` bytes from block `start` of `data_<file>`.
    Blocks { file: u32, start: u32, count: u32, size: u32 },
}

impl Addr {
    fn place(self) -> Result<Place, String> {
        let a = self.0;
        if a & 0x8000_0000 == 0 {
            return Err(format!("address 0x{a:08x} is not initialized"));
        }
        let size = match (a >> 28) & 7 {
            0 => return Ok(Place::External(a & 0x0FFF_FFFF)),
            1 => 36,
            2 => 256,
            3 => 1024,
            4 => 4096,
            t => return Err(format!("address 0x{a:08x} has file type {t} (a version 3.0 block type)")),
        };
        Ok(Place::Blocks { file: (a >> 16) & 0xFF, start: a & 0xFFFF, count: ((a >> 24) & 3) + 1, size })
    }
}

/// A block file: the open file, its length and its block size.
struct BlockFile {
    file: File,
    len: u64,
    size: u32,
}

/// The cache folder's block and stream files, opened when first needed.
struct Files {
    dir: PathBuf,
    blocks: BTreeMap<u32, Result<BlockFile, String>>,
    /// Every file read, for the manifest.
    read: BTreeSet<PathBuf>,
}

fn open_block_file(dir: &Path, n: u32) -> Result<(BlockFile, PathBuf), String> {
    let name = format!("data_{n}");
    let path = dir.join(&name);
    let mut file = crate::input::open_evidence(&path).map_err(|e| format!("{name}: {e}"))?;
    let len = file.metadata().map_err(|e| format!("{name}: {e}"))?.len();
    let mut head = [0u8; 16];
    file.read_exact(&mut head).map_err(|_| format!("{name} is shorter than its header"))?;
    let magic = u32_at(&head, 0).unwrap_or(0);
    if magic != BLOCK_MAGIC {
        return Err(format!("{name} is not a block file (magic 0x{magic:08x})"));
    }
    Ok((BlockFile { file, len, size: u32_at(&head, 12).unwrap_or(0) }, path))
}

impl Files {
    fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned(), blocks: BTreeMap::new(), read: BTreeSet::new() }
    }

    fn block_file(&mut self, n: u32) -> Result<&mut BlockFile, String> {
        let (dir, read) = (&self.dir, &mut self.read);
        let slot = self.blocks.entry(n).or_insert_with(|| {
            let (b, path) = open_block_file(dir, n)?;
            read.insert(path);
            Ok(b)
        });
        slot.as_mut().map_err(|e| e.clone())
    }

    /// The bytes an address points to: all its blocks, or a whole `f_` file
    /// (up to `want` bytes when given).
    fn read(&mut self, addr: Addr, want: Option<u64>) -> Result<(Vec<u8>, String), String> {
        match addr.place()? {
            Place::External(n) => {
                let name = format!("f_{n:06x}");
                let path = self.dir.join(&name);
                let mut f = crate::input::open_evidence(&path).map_err(|e| format!("{name}: {e}"))?;
                let len = f.metadata().map_err(|e| format!("{name}: {e}"))?.len();
                let take = want.unwrap_or(len);
                if take > len {
                    return Err(format!("{name} holds {len} bytes, the entry says {take}"));
                }
                if take > STREAM_LIMIT {
                    return Err(format!("{name}: a stream of {take} bytes exceeds the {STREAM_LIMIT}-byte limit"));
                }
                let mut b = vec![0; take as usize];
                f.read_exact(&mut b).map_err(|e| format!("{name}: {e}"))?;
                self.read.insert(path);
                Ok((b, name))
            }
            Place::Blocks { file, start, count, size } => {
                let b = self.block_file(file)?;
                if b.size != size {
                    return Err(format!("data_{file} holds blocks of {} bytes, the address says {size}", b.size));
                }
                let at = BLOCK_HEADER + u64::from(start) * u64::from(size);
                let n = u64::from(count) * u64::from(size);
                if at + n > b.len {
                    return Err(format!(
                        "address 0x{:08x} (blocks {start}..{} of data_{file}) runs past its end at byte {}",
                        addr.0,
                        start + count,
                        b.len
                    ));
                }
                let mut buf = vec![0; n as usize];
                let f = &mut b.file;
                f.seek(SeekFrom::Start(at)).map_err(|e| format!("data_{file}: {e}"))?;
                f.read_exact(&mut buf).map_err(|e| format!("data_{file}: {e}"))?;
                if let Some(w) = want {
                    if w > n {
                        return Err(format!("a stream of {w} bytes does not fit its {count} block(s) of {size}"));
                    }
                    buf.truncate(w as usize);
                }
                Ok((buf, format!("data_{file}")))
            }
        }
    }
}

/// One entry as stored.
struct Stored {
    raw: Vec<u8>,
    next: Addr,
}

fn entry_state(state: i32) -> &'static str {
    match state {
        0 => "normal",
        1 => "evicted",
        2 => "doomed",
        _ => "unknown",
    }
}

impl ChromeBlockfile {
    /// Reads the entry at `addr` and emits its event or its reject. Returns
    /// the next address of its bucket when the entry itself could be read.
    fn entry(files: &mut Files, addr: Addr, out: &mut dyn EventSink) -> Option<Addr> {
        let record = RecordRef::CacheAddress { addr: addr.0 };
        let stored = match Self::load(files, addr) {
            Ok(s) => s,
            Err(why) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: &addr.0.to_le_bytes() });
                return None;
            }
        };
        let next = stored.next;
        let excerpt = &stored.raw[..stored.raw.len().min(KEY_AT + 64)];
        match Self::event(files, addr, record, &stored.raw) {
            Ok(e) => {
                out.event(e);
                out.accepted();
            }
            Err(Bad::Malformed(why)) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: excerpt })
            }
            Err(Bad::Time(why)) => out.reject(Reject { record, reason: RejectReason::Timestamp(why), raw: excerpt }),
        }
        Some(next)
    }

    fn load(files: &mut Files, addr: Addr) -> Result<Stored, String> {
        match addr.place()? {
            Place::Blocks { size, .. } if size as usize == ENTRY_BLOCK => {}
            Place::Blocks { size, .. } => {
                return Err(format!("entry address 0x{:08x} names blocks of {size} bytes, not 256", addr.0));
            }
            Place::External(_) => return Err(format!("entry address 0x{:08x} names a file of its own", addr.0)),
        }
        let (raw, _) = files.read(addr, None)?;
        let next = Addr(u32_at(&raw, 4).unwrap_or(0));
        Ok(Stored { raw, next })
    }

    fn event(files: &mut Files, addr: Addr, record: RecordRef, raw: &[u8]) -> Result<Event<'static>, Bad> {
        let bad = |s: String| Bad::Malformed(s);
        let flags = u32_at(raw, 72).unwrap_or(0);
        if flags & CHILD_ENTRY != 0 {
            return Err(bad(
                "a sparse child entry (a range of a media resource): its bytes are a piece of a body".into()
            ));
        }
        let key_len = i32_at(raw, 32).unwrap_or(-1);
        let key_len = usize::try_from(key_len).ok().filter(|&k| k > 0 && k <= KEY_LIMIT);
        let key_len =
            key_len.ok_or_else(|| bad(format!("key length {} is not a key's", i32_at(raw, 32).unwrap_or(0))))?;
        let long_key = Addr(u32_at(raw, 36).unwrap_or(0));
        let key_bytes = if long_key.0 != 0 {
            files.read(long_key, Some(key_len as u64)).map_err(|e| bad(format!("long key: {e}")))?.0
        } else {
            raw.get(KEY_AT..KEY_AT + key_len)
                .ok_or_else(|| bad(format!("a key of {key_len} bytes does not fit the entry's {} bytes", raw.len())))?
                .to_vec()
        };
        let key = String::from_utf8_lossy(&key_bytes).into_owned();
        let size = |i: usize| i32_at(raw, 40 + 4 * i).unwrap_or(0);
        let at = |i: usize| Addr(u32_at(raw, 56 + 4 * i).unwrap_or(0));
        if size(0) <= 0 || at(0).0 == 0 {
            return Err(bad("no response info (stream 0 is empty): not an HTTP cache entry".into()));
        }
        let (info, _) =
            files.read(at(0), Some(size(0) as u64)).map_err(|e| bad(format!("stream 0 (response info): {e}")))?;
        let info = response_info(&info).map_err(|e| bad(format!("stream 0 (response info): {e}")))?;
        let body_len = u64::try_from(size(1)).map_err(|_| bad(format!("body size {} is negative", size(1))))?;
        let (body, body_in) = if body_len == 0 {
            (None, None)
        } else {
            let (b, from) = files.read(at(1), Some(body_len)).map_err(|e| bad(format!("stream 1 (body): {e}")))?;
            (Some(b), Some(from))
        };
        let mut e = response_event(record, &key, &info, body.as_deref()).map_err(Bad::Time)?;
        if let Some(t) = i64_at(raw, 24).filter(|&t| t > 0).and_then(|t| Timestamp::from_webkit_micros(t).ok()) {
            e.attrs.push("entry_created", t);
        }
        if let Some(t) = Self::last_used(files, addr, Addr(u32_at(raw, 8).unwrap_or(0))) {
            e.attrs.push("last_used", t);
        }
        e.attrs.push("entry_state", entry_state(i32_at(raw, 20).unwrap_or(-1)));
        if flags & PARENT_ENTRY != 0 {
            e.attrs.push("sparse_parent", true);
        }
        e.attrs.push_opt("body_in", body_in);
        Ok(e)
    }

    /// The rankings node's last-used time, when the node points back to the entry.
    fn last_used(files: &mut Files, entry: Addr, node: Addr) -> Option<Timestamp> {
        if node.0 == 0 || !matches!(node.place(), Ok(Place::Blocks { size: 36, .. })) {
            return None;
        }
        let (b, _) = files.read(node, Some(36)).ok()?;
        (u32_at(&b, 24) == Some(entry.0)).then_some(())?;
        i64_at(&b, 0).filter(|&t| t > 0).and_then(|t| Timestamp::from_webkit_micros(t).ok())
    }
}

enum Bad {
    Malformed(String),
    Time(String),
}

impl Source for ChromeBlockfile {
    fn id(&self) -> &'static str {
        "chrome.blockfile"
    }

    fn description(&self) -> &'static str {
        "Chrome blockfile cache (index, data_0..3, f_XXXXXX): resource URL, top-frame site, response time, body hashes"
    }

    fn version(&self) -> u32 {
        1
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        let major = probe.head.get(6..8).map(|b| u16::from_le_bytes([b[0], b[1]]));
        if u32_at(probe.head, 0) == Some(INDEX_MAGIC) && matches!(major, Some(2 | 3)) { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let io = |source| SourceError::Io { offset: 0, source };
        let path = input.path().to_owned();
        let mut f = crate::input::open_evidence(&path).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        if len > INDEX_LIMIT {
            return Err(SourceError::Invalid(format!("an index of {len} bytes exceeds the {INDEX_LIMIT}-byte limit")));
        }
        let mut index = Vec::with_capacity(len as usize);
        f.read_to_end(&mut index).map_err(io)?;
        let version = u32_at(&index, 4).ok_or_else(|| SourceError::Invalid("the index header is cut short".into()))?;
        if version >> 16 != 2 {
            return Err(SourceError::Unsupported(format!(
                "index version {}.{} (only the 2.x layout is read)",
                version >> 16,
                version & 0xFFFF
            )));
        }
        if index.len() < TABLE_AT {
            return Err(SourceError::Invalid(format!(
                "the index is {} bytes, shorter than its {TABLE_AT}-byte header",
                index.len()
            )));
        }
        let table_len = match i32_at(&index, 28).unwrap_or(0) {
            0 => BASE_TABLE_LEN,
            n => {
                usize::try_from(n).map_err(|_| SourceError::Invalid(format!("table length {n} in the index header")))?
            }
        };
        let slots = table_len.min((index.len() - TABLE_AT) / 4);
        let dir = path.parent().map(Path::to_owned).unwrap_or_default();
        let mut files = Files::new(&dir);
        let mut seen: BTreeSet<Addr> = BTreeSet::new();
        for slot in 0..slots {
            let mut addr = Addr(u32_at(&index, TABLE_AT + 4 * slot).unwrap_or(0));
            // A bucket's entries, along `next`; an address seen before ends the walk (a loop, or a
            // damaged chain that joins another).
            while addr.0 != 0 && seen.insert(addr) {
                match Self::entry(&mut files, addr, out) {
                    Some(next) => addr = next,
                    None => break,
                }
            }
        }
        for p in &files.read {
            input.add_companion(p, "cache_file").map_err(io)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_each_kind() {
        assert_eq!(Addr(0x8000_002a).place(), Ok(Place::External(0x2a)));
        assert_eq!(Addr(0xa001_0003).place(), Ok(Place::Blocks { file: 1, start: 3, count: 1, size: 256 }));
        assert_eq!(Addr(0xb302_0010).place(), Ok(Place::Blocks { file: 2, start: 16, count: 4, size: 1024 }));
        assert_eq!(Addr(0x1001_0000).place(), Err("address 0x10010000 is not initialized".into()));
        assert!(Addr(0xe000_0001).place().is_err());
    }
}
