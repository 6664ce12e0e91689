//! Firefox disk cache entries (`cache2/entries/<40 hex>`).
//!
//! # What it reads
//! One entry file: the data (the response body as received, then any
//! alt-data) from offset 0, then the metadata, then the metadata's offset as
//! a big-endian `u32` in the last 4 bytes. The metadata is a hash of itself
//! (`u32`), one 16-bit hash per 256 KiB chunk of the data, the header
//! (big-endian `u32`s: version, fetch count, last fetched, last modified,
//! frecency, expiration time, key size and, from version 2, flags), the key
//! and a NUL, and the elements: `name NUL value NUL` pairs (`request-method`,
//! `response-head`, `original-response-headers`, `alt-data`,
//! `net-response-time-onstart`, …). The key is tags then `:` then the URL:
//! `O^<origin attributes>,` (with `partitionKey=(scheme,site)` when the
//! cache is partitioned), `a,` anonymous, `p,` private, `~<ext>,`.
//!
//! # Versions seen
//! Entry versions 1 (no flags word), 2 and 3 (current; alt-data).
//!
//! # Events emitted
//! One `browser.cache_entry` per entry at its last modification (the entry
//! was written or its metadata changed; device clock, seconds): `url`,
//! `sha256`/`md5`/`sha1`/`size` of the body (decoded when `Content-Encoding`
//! is gzip or deflate), `status`; `attrs`: `top_frame_site` (from the
//! partition key), `last_fetched`, `fetch_count`, `expiration`,
//! `request_method`, `content_type`, `content_encoding`, `body_decoded`,
//! `server_date` (the response's `Date`), `anonymous`, `private`,
//! `entry_version`, `pinned`.
//!
//! # What it cannot tell us
//! When the resource was first fetched (the entry keeps its last
//! modification and last fetch only), or why; whether a person asked for it.
//! The metadata and chunk hashes are not checked. Entries evicted or cleared
//! leave nothing; the `index` file and `doomed/` entries are not read.
//!
//! # References
//! Firefox `netwerk/cache2/CacheFileMetadata.cpp` (`WriteMetadata`,
//! `ParseMetadata`), `CacheFileMetadata.h` (`CacheFileMetadataHeader`),
//! `CacheFileChunk.h` (`kChunkSize`), `CacheFileUtils.cpp` (`KeyParser`,
//! `AppendKeyPrefix`, `ParseAlternativeDataInfo`), `nsHttpChannel.cpp`
//! (`DoAddCacheEntryHeaders`), `nsHttpResponseHead.cpp` (`Flatten`).

use std::borrow::Cow;
use std::io::Read as _;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Firefox cache2 entries.
pub struct FirefoxCache2;

/// Data is hashed per chunk of this size (`kChunkSize`).
const CHUNK: u64 = 256 * 1024;
/// Entries larger than this are rejected (bodies are hashed in memory).
const LIMIT: u64 = 1 << 30;
/// Largest elements area Firefox writes (`kMaxElementsSize`).
const MAX_ELEMENTS: usize = 64 * 1024;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// The metadata of an entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Header version (1–3).
    pub version: u32,
    /// Times the entry was fetched.
    pub fetch_count: u32,
    /// Last fetch, seconds since 1970.
    pub last_fetched: u32,
    /// Last modification, seconds since 1970.
    pub last_modified: u32,
    /// Expiration, seconds since 1970 (`u32::MAX`: none).
    pub expiration: u32,
    /// Flags (bit 0: pinned); 0 before version 2.
    pub flags: u32,
    /// The key.
    pub key: &'a str,
    /// The elements, in order.
    pub elements: Vec<(&'a str, &'a str)>,
    /// The data (body and any alt-data) before the metadata.
    pub data: &'a [u8],
}

impl Entry<'_> {
    /// The value of an element.
    pub fn element(&self, name: &str) -> Option<&str> {
        self.elements.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    /// The HTTP body: the data before any alt-data (`alt-data` is
    /// `1;<offset>,<type>`).
    pub fn body(&self) -> &[u8] {
        let alt = self.element("alt-data").and_then(|v| v.strip_prefix("1;")).and_then(|v| v.split(',').next());
        match alt.and_then(|o| o.parse::<usize>().ok()) {
            Some(o) if o <= self.data.len() => &self.data[..o],
            _ => self.data,
        }
    }
}

/// Splits an entry file into its data and metadata, checking the layout.
/// `len` is the file's length and `tail` its last bytes (all of them when
/// `tail.len() == len`); `Err` says what does not fit.
fn metadata_of(tail: &[u8], len: u64) -> Result<(u64, &[u8]), String> {
    if len < 4 || tail.len() < 4 {
        return Err("shorter than the 4-byte metadata offset".into());
    }
    let offset = u64::from(be32(tail, tail.len() - 4).unwrap_or(u32::MAX));
    if offset > len - 4 {
        return Err(format!("metadata offset {offset} is past the end of the {len}-byte file"));
    }
    let meta_len = len - 4 - offset;
    let start = (tail.len() as u64 - 4).checked_sub(meta_len).ok_or("metadata longer than the bytes read")?;
    let start = usize::try_from(start).map_err(|e| e.to_string())?;
    Ok((offset, &tail[start..tail.len() - 4]))
}

/// Parses an entry's metadata (`meta`, between the data and the trailing
/// offset) for data of `offset` bytes; the entry's `data` is left empty.
fn parse_metadata(meta: &[u8], offset: u64) -> Result<Entry<'_>, String> {
    let chunks = offset.div_ceil(CHUNK);
    let mut at = usize::try_from(4 + 2 * chunks).map_err(|e| e.to_string())?;
    let field = |i: usize| be32(meta, at + 4 * i).ok_or_else(|| "metadata header cut short".to_owned());
    let version = field(0)?;
    let header = match version {
        1 => 28,
        2 | 3 => 32,
        v => return Err(format!("metadata version {v} (Firefox writes 1, 2 or 3)")),
    };
    let (fetch_count, last_fetched, last_modified, expiration, key_size) =
        (field(1)?, field(2)?, field(3)?, field(5)?, field(6)?);
    let flags = if version >= 2 { field(7)? } else { 0 };
    at += header;
    let key_end = at.checked_add(key_size as usize).ok_or("key size overflows")?;
    let key = meta.get(at..key_end).ok_or_else(|| format!("key of {key_size} bytes runs past the metadata"))?;
    if meta.get(key_end) != Some(&0) {
        return Err("the key is not followed by NUL".into());
    }
    let key = std::str::from_utf8(key).map_err(|_| "the key is not UTF-8".to_owned())?;
    if !key.contains(':') {
        return Err(format!("key {key:?} has no ':' before a URL"));
    }
    let rest = &meta[key_end + 1..];
    if rest.len() > MAX_ELEMENTS + 1 {
        return Err(format!("elements of {} bytes exceed Firefox's {MAX_ELEMENTS}", rest.len()));
    }
    let mut elements = Vec::new();
    if !rest.is_empty() {
        if rest.last() != Some(&0) {
            return Err("the elements do not end with NUL".into());
        }
        let mut parts = rest[..rest.len() - 1].split(|&b| b == 0);
        while let Some(name) = parts.next() {
            let value = parts.next().ok_or("an element name without a value")?;
            let name = std::str::from_utf8(name).map_err(|_| "an element name is not UTF-8".to_owned())?;
            // Values are text (headers, numbers); one that is not is kept lossy-free out.
            if let Ok(value) = std::str::from_utf8(value) {
                elements.push((name, value));
            }
        }
    }
    Ok(Entry { version, fetch_count, last_fetched, last_modified, expiration, flags, key, elements, data: &[] })
}

/// Reads a whole entry file.
pub fn split(bytes: &[u8]) -> Result<Entry<'_>, String> {
    let (offset, meta) = metadata_of(bytes, bytes.len() as u64)?;
    let entry = parse_metadata(meta, offset)?;
    let data = &bytes[..usize::try_from(offset).map_err(|e| e.to_string())?];
    Ok(Entry { data, ..entry })
}

/// The parts of a key: the URL, the top-frame site of its partition key,
/// anonymous, private.
pub fn parse_key(key: &str) -> (&str, Option<String>, bool, bool) {
    let mut rest = key;
    let (mut site, mut anonymous, mut private) = (None, false, false);
    // Tags until ':'; a value's ",," is a literal comma.
    while !rest.starts_with(':') && !rest.is_empty() {
        let tag = rest.as_bytes()[0];
        let mut end = 1;
        let b = rest.as_bytes();
        while end < b.len() {
            if b[end] == b',' {
                if b.get(end + 1) == Some(&b',') {
                    end += 2;
                    continue;
                }
                break;
            }
            end += 1;
        }
        let value = &rest[1..end.min(rest.len())];
        match tag {
            b'O' => site = partition_site(value),
            b'a' => anonymous = true,
            b'p' => private = true,
            _ => {}
        }
        rest = rest.get(end + 1..).unwrap_or("");
    }
    (rest.strip_prefix(':').unwrap_or(rest), site, anonymous, private)
}

/// `^partitionKey=%28https%2Cexample.com%29&…` → `https://example.com`.
fn partition_site(attrs: &str) -> Option<String> {
    let attrs = attrs.strip_prefix('^').unwrap_or(attrs);
    let raw = attrs.split('&').find_map(|kv| kv.strip_prefix("partitionKey="))?;
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    let inner = decoded.strip_prefix('(')?.strip_suffix(')')?;
    let mut parts = inner.split(',');
    let (scheme, host) = (parts.next()?, parts.next()?);
    let port = parts.next().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{scheme}://{host}{port}"))
}

impl Source for FirefoxCache2 {
    fn id(&self) -> &'static str {
        "firefox.cache2"
    }

    fn description(&self) -> &'static str {
        "Firefox cache2 entry (cache2/entries/<sha1>): resource URL, partition site, last fetch and modification, body hashes"
    }

    fn version(&self) -> u32 {
        1
    }

    fn per_entry(&self) -> bool {
        true
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        // The structure is at the end: a metadata offset, a known version and
        // a key with a URL, all within the bytes read from the end.
        let ok =
            metadata_of(probe.tail, probe.size).and_then(|(offset, meta)| parse_metadata(meta, offset).map(|_| ()));
        if ok.is_ok() { Sniff::Yes } else { Sniff::No }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let io = |source| SourceError::Io { offset: 0, source };
        let mut f = crate::input::open_evidence(input.path()).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        let record = RecordRef::Whole;
        let mut head = vec![0; 64];
        if len > LIMIT {
            let n = f.read(&mut head).map_err(io)?;
            out.reject(Reject {
                record,
                reason: RejectReason::Malformed(format!("entry of {len} bytes exceeds the {LIMIT}-byte limit")),
                raw: &head[..n],
            });
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.read_to_end(&mut bytes).map_err(io)?;
        let excerpt = &bytes[bytes.len().saturating_sub(96)..];
        let entry = match split(&bytes) {
            Ok(e) => e,
            Err(why) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: excerpt });
                return Ok(());
            }
        };
        let ts = match Timestamp::from_unix_seconds(i64::from(entry.last_modified)) {
            Ok(t) if entry.last_modified > 0 => t,
            _ => {
                out.reject(Reject {
                    record,
                    reason: RejectReason::Timestamp(format!("last modified {} is not a time", entry.last_modified)),
                    raw: excerpt,
                });
                return Ok(());
            }
        };
        let head = entry.element("response-head").unwrap_or("");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let headers: Vec<(&str, &str)> =
            lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim(), v.trim())).collect();
        let header =
            |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| (*v).to_owned());
        let encoding = header("content-encoding").map(|e| e.to_ascii_lowercase());
        let (url, site, anonymous, private) = parse_key(entry.key);
        let mut e = Event::new(EventKind::BrowserCacheEntry, ts, Precision::Second, record);
        e.url = Some(Cow::Owned(url.to_owned()));
        crate::http::cached_body(&mut e, encoding.as_deref(), entry.body());
        e.status = status_line.split_whitespace().nth(1).and_then(|c| c.parse().ok());
        e.attrs.push_opt("top_frame_site", site);
        if let Ok(t) = Timestamp::from_unix_seconds(i64::from(entry.last_fetched))
            && entry.last_fetched > 0
        {
            e.attrs.push("last_fetched", t);
        }
        e.attrs.push("fetch_count", i64::from(entry.fetch_count));
        if entry.expiration != u32::MAX
            && let Ok(t) = Timestamp::from_unix_seconds(i64::from(entry.expiration))
        {
            e.attrs.push("expiration", t);
        }
        e.attrs.push_opt("request_method", entry.element("request-method").map(str::to_owned));
        e.attrs.push_opt("content_type", header("content-type"));
        e.attrs.push_opt("content_encoding", encoding);
        e.attrs.push_opt("server_date", header("date"));
        if anonymous {
            e.attrs.push("anonymous", true);
        }
        if private {
            e.attrs.push("private", true);
        }
        if entry.flags & 1 == 1 {
            e.attrs.push("pinned", true);
        }
        e.attrs.push("entry_version", i64::from(entry.version));
        e.attrs.push("ts_from", "last_modified");
        out.event(e);
        out.accepted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_and_without_tags() {
        assert_eq!(parse_key(":https://example.com/x.png"), ("https://example.com/x.png", None, false, false));
        assert_eq!(parse_key("a,:https://example.com/x.png"), ("https://example.com/x.png", None, true, false));
        let (url, site, a, p) =
            parse_key("O^partitionKey=%28https%2Cexample.com%29,a,~HEAD,:https://cdn.example.net/i.png?a=1,2");
        assert_eq!(
            (url, site.as_deref(), a, p),
            ("https://cdn.example.net/i.png?a=1,2", Some("https://example.com"), true, false)
        );
        assert_eq!(parse_key("O^privateBrowsingId=1,p,:http://example.org/").1, None);
        assert!(parse_key("O^privateBrowsingId=1,p,:http://example.org/").3);
    }

    #[test]
    fn cut_and_foreign_files_are_reasons_not_panics() {
        for b in [
            &b""[..],
            b"abc",
            b"\x00\x00\x00\x00",
            b"\xff\xff\xff\xffxxxx",
            b"hello world, no metadata\x00\x00\x00\x05",
        ] {
            assert!(split(b).is_err(), "{b:?}");
        }
    }
}
