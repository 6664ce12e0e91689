//! Chrome simple cache entries (`Cache/Cache_Data/<16 hex>_0`).
//!
//! # What it reads
//! One entry file: `SimpleFileHeader` (magic `0xfcfb6d1ba7725c30`, version 5,
//! key length, key hash; 24 bytes), the key, stream 1 (the response body),
//! an EOF record, stream 0 (the `HttpResponseInfo` pickle: flags, request and
//! response times, the raw response headers), an optional SHA-256 of the key
//! and the final EOF record (magic `0xf4fa6f45970d41d8`, flags, CRC-32, stream
//! size; 24 bytes). The key is `1/0/_dk_<top-frame site> <frame site> <url>`
//! when the HTTP cache is partitioned (Chrome 86+), or `1/0/<url>` /
//! `<url>` before; `s_` marks a subframe document and `cn_` (Chrome 136) a
//! cross-site main-frame navigation.
//!
//! # Versions seen
//! Entry version 5 (every Chrome since 2013), response-info pickle version 3,
//! with or without the extra-flags word (bit 31) that current Chrome writes.
//!
//! # Events emitted
//! One `browser.cache_entry` per entry at the response time (device clock, µs):
//! `url` (the resource), `sha256`/`md5`/`sha1`/`size` of the body (decoded when
//! `Content-Encoding` is gzip or deflate), `status`; `attrs`: `top_frame_site`,
//! `frame_site`, `request_time`, `content_type`, `content_encoding`,
//! `body_decoded`, `subframe_document`, `cross_site_navigation`, `crc_ok`.
//!
//! # What it cannot tell us
//! Why the resource was fetched (the key says which top-level site caused it,
//! not whether a person asked for it); entries evicted or cleared leave nothing.
//! Brotli and zstd bodies are hashed as stored (`body_decoded` false).
//!
//! # References
//! Chromium `net/disk_cache/simple/simple_entry_format.h`,
//! `simple_synchronous_entry.cc`, `net/http/http_response_info.cc`,
//! `net/http/http_cache.cc` (`GenerateCacheKey`), `base/pickle.cc`.

use std::borrow::Cow;
use std::io::Read as _;

use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Reject, RejectReason, Timestamp};

use crate::input::Input;
use crate::source::{Probe, Sniff, Source, SourceError};

/// Chrome simple cache entries.
pub struct ChromeCache;

const INITIAL_MAGIC: u64 = 0xfcfb_6d1b_a772_5c30;
const FINAL_MAGIC: u64 = 0xf4fa_6f45_970d_41d8;
const HEADER: usize = 24;
const EOF: usize = 24;
/// Entries larger than this are rejected (bodies are hashed in memory).
const LIMIT: u64 = 1 << 30;

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

pub(super) fn i64_at(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// An entry split into its parts.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The cache key.
    pub key: &'a str,
    /// Stream 1 (the body as stored).
    pub body: &'a [u8],
    /// Stream 0 (the response-info pickle).
    pub info: &'a [u8],
    /// Stream 0's CRC matched (or was not recorded).
    pub crc_ok: bool,
}

/// Splits an entry file, or says why it is not a readable entry.
pub fn split(b: &[u8]) -> Result<Entry<'_>, String> {
    if u64_at(b, 0) != Some(INITIAL_MAGIC) {
        return Err("no simple-cache entry magic".into());
    }
    let version = u32_at(b, 8).unwrap_or(0);
    if version != 5 {
        return Err(format!("entry version {version} (only 5 is known)"));
    }
    let key_len = u32_at(b, 12).unwrap_or(0) as usize;
    let key = b.get(HEADER..HEADER + key_len).ok_or("the key runs past the end of the file")?;
    let key = std::str::from_utf8(key).map_err(|_| "the key is not UTF-8".to_owned())?;
    let end = b.len().checked_sub(EOF).ok_or("file shorter than an EOF record")?;
    if u64_at(b, end) != Some(FINAL_MAGIC) {
        return Err("no EOF record at the end (entry not closed)".into());
    }
    let flags = u32_at(b, end + 8).unwrap_or(0);
    let crc = u32_at(b, end + 12).unwrap_or(0);
    let s0 = u32_at(b, end + 16).unwrap_or(0) as usize;
    let sha = if flags & 2 != 0 { 32 } else { 0 };
    let s1 = b
        .len()
        .checked_sub(HEADER + key_len + EOF + s0 + sha + EOF)
        .ok_or_else(|| format!("stream 0 size {s0} does not fit the file"))?;
    let body_at = HEADER + key_len;
    let eof1 = body_at + s1;
    if u64_at(b, eof1) != Some(FINAL_MAGIC) {
        return Err(format!("no EOF record after the body at byte {eof1}"));
    }
    let info = &b[eof1 + EOF..eof1 + EOF + s0];
    let crc_ok = flags & 1 == 0 || crc32fast::hash(info) == crc;
    Ok(Entry { key, body: &b[body_at..eof1], info, crc_ok })
}

/// The response info: request and response times (µs since 1601) and the raw headers.
#[derive(Debug, PartialEq, Eq)]
pub struct ResponseInfo {
    /// Request sent.
    pub request_time: i64,
    /// Response received.
    pub response_time: i64,
    /// Header lines (the status line first).
    pub headers: Vec<String>,
}

/// Reads the `HttpResponseInfo` pickle far enough for times and headers.
pub fn response_info(p: &[u8]) -> Result<ResponseInfo, String> {
    let payload = u32_at(p, 0).ok_or("stream 0 is empty")? as usize;
    if payload + 4 != p.len() {
        return Err(format!("pickle payload {payload} + 4 ≠ stream 0 size {}", p.len()));
    }
    let flags = u32_at(p, 4).ok_or("no flags")?;
    if flags & 0xFF < 3 {
        return Err(format!("response info version {} (3 expected)", flags & 0xFF));
    }
    let mut at = 8;
    let mut extra = 0;
    if flags & (1 << 31) != 0 {
        extra = u32_at(p, at).ok_or("no extra flags")?;
        at += 4;
    }
    let request_time = i64_at(p, at).ok_or("no request time")?;
    let response_time = i64_at(p, at + 8).ok_or("no response time")?;
    at += 16;
    if extra & 4 != 0 {
        at += 8; // original_response_time
    }
    let len = u32_at(p, at).ok_or("no headers")? as usize;
    let raw = p.get(at + 4..at + 4 + len).ok_or("headers run past stream 0")?;
    let headers =
        raw.split(|&c| c == 0).filter(|l| !l.is_empty()).map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    Ok(ResponseInfo { request_time, response_time, headers })
}

/// The parts of a cache key: (top-frame site, frame site, url, subframe, cross-site navigation).
pub fn parse_key(key: &str) -> (Option<&str>, Option<&str>, &str, bool, bool) {
    // "1/0/…": credential flag and upload id.
    let mut rest = key;
    let mut slashes = 0;
    for (i, c) in key.char_indices() {
        if c == '/' {
            slashes += 1;
            if slashes == 2 {
                let head = &key[..i];
                if head.split('/').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
                    rest = &key[i + 1..];
                }
                break;
            }
        }
        if c == ':' {
            break;
        }
    }
    let Some(mut iso) = rest.strip_prefix("_dk_") else { return (None, None, rest, false, false) };
    let subframe = iso.starts_with("s_");
    if subframe {
        iso = &iso[2..];
    }
    let cross = iso.starts_with("cn_");
    if cross {
        iso = &iso[3..];
    }
    let url = iso.rsplit(' ').next().unwrap_or(iso);
    let mut parts = iso.split(' ');
    (parts.next(), parts.next().filter(|f| *f != url), url, subframe, cross)
}

/// The `browser.cache_entry` of a cached response (the simple cache's and the
/// blockfile cache's alike): at the response time, the URL and sites of the
/// key, the status, request time, `Content-Type` and `Content-Encoding` of the
/// response info, and the body's hashes (decoded when gzip or deflate; `None`
/// when the entry holds no body: size 0, no hashes). Err: the response time
/// is not a time.
pub(super) fn response_event(
    record: RecordRef,
    key: &str,
    info: &ResponseInfo,
    body: Option<&[u8]>,
) -> Result<Event<'static>, String> {
    let ts = Timestamp::from_webkit_micros(info.response_time).map_err(|e| e.to_string())?;
    let header = |name: &str| {
        info.headers.iter().skip(1).find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    let encoding = header("content-encoding").map(|e| e.to_ascii_lowercase());
    let (top, frame, url, subframe, cross) = parse_key(key);
    let mut e = Event::new(EventKind::BrowserCacheEntry, ts, Precision::Microsecond, record);
    e.url = Some(Cow::Owned(url.to_owned()));
    match body {
        Some(b) => crate::http::cached_body(&mut e, encoding.as_deref(), b),
        None => e.size = Some(0),
    }
    e.status = info.headers.first().and_then(|s| s.split_whitespace().nth(1)).and_then(|c| c.parse().ok());
    e.attrs.push_opt("top_frame_site", top.map(str::to_owned));
    e.attrs.push_opt("frame_site", frame.map(str::to_owned));
    if let Ok(t) = Timestamp::from_webkit_micros(info.request_time) {
        e.attrs.push("request_time", t);
    }
    e.attrs.push_opt("content_type", header("content-type"));
    e.attrs.push_opt("content_encoding", encoding);
    if subframe {
        e.attrs.push("subframe_document", true);
    }
    if cross {
        e.attrs.push("cross_site_navigation", true);
    }
    e.attrs.push("ts_from", "response_time");
    Ok(e)
}

impl Source for ChromeCache {
    fn id(&self) -> &'static str {
        "chrome.cache"
    }

    fn description(&self) -> &'static str {
        "Chrome simple cache entry (<hash>_0): resource URL, top-frame site, response time, body hashes"
    }

    fn version(&self) -> u32 {
        1
    }

    fn per_entry(&self) -> bool {
        true
    }

    fn sniff(&self, probe: &Probe<'_>) -> Sniff {
        if u64_at(probe.head, 0) == Some(INITIAL_MAGIC) && u32_at(probe.head, 8) == Some(5) {
            // `_1` (stream 2) and `_s` (sparse) files share the header but hold no response.
            if probe.file_name.ends_with("_1") || probe.file_name.ends_with("_s") { Sniff::No } else { Sniff::Yes }
        } else {
            Sniff::No
        }
    }

    fn parse(&self, input: &mut Input<'_>, out: &mut dyn EventSink) -> Result<(), SourceError> {
        let io = |source| SourceError::Io { offset: 0, source };
        let mut f = crate::input::open_evidence(input.path()).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        let record = RecordRef::Whole;
        if len > LIMIT {
            let mut head = vec![0; 64];
            let n = f.read(&mut head).map_err(io)?;
            out.reject(Reject {
                record,
                reason: RejectReason::Malformed(format!("entry of {len} bytes exceeds the {LIMIT}-byte limit")),
                raw: &head[..n],
            });
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(len as usize);
        f.read_to_end(&mut bytes).map_err(io)?;
        let excerpt = &bytes[..bytes.len().min(96)];
        let entry = match split(&bytes) {
            Ok(e) => e,
            Err(why) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: excerpt });
                return Ok(());
            }
        };
        let info = match response_info(entry.info) {
            Ok(i) => i,
            Err(why) => {
                out.reject(Reject { record, reason: RejectReason::Malformed(why), raw: excerpt });
                return Ok(());
            }
        };
        let mut e = match response_event(record, entry.key, &info, Some(entry.body)) {
            Ok(e) => e,
            Err(why) => {
                out.reject(Reject { record, reason: RejectReason::Timestamp(why), raw: excerpt });
                return Ok(());
            }
        };
        e.attrs.push("crc_ok", entry.crc_ok);
        out.event(e);
        out.accepted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_each_era() {
        assert_eq!(
            parse_key("1/0/_dk_https://example.com https://example.com https://cdn.example.net/a.png"),
            (Some("https://example.com"), Some("https://example.com"), "https://cdn.example.net/a.png", false, false)
        );
        assert_eq!(
            parse_key("1/0/_dk_cn_https://a.example https://a.example https://b.example/"),
            (Some("https://a.example"), Some("https://a.example"), "https://b.example/", false, true)
        );
        assert_eq!(parse_key("1/0/https://example.com/x"), (None, None, "https://example.com/x", false, false));
        assert_eq!(parse_key("https://example.com/x"), (None, None, "https://example.com/x", false, false));
    }

    #[test]
    fn truncated_and_foreign_files_are_reasons_not_panics() {
        assert!(split(b"").is_err());
        assert!(split(&INITIAL_MAGIC.to_le_bytes()).is_err());
        let mut b = INITIAL_MAGIC.to_le_bytes().to_vec();
        b.extend_from_slice(&5u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        assert_eq!(split(&b), Err("the key runs past the end of the file".into()));
        assert!(response_info(&[]).is_err());
        assert!(response_info(&[8, 0, 0, 0, 3, 0, 0, 0]).is_err());
    }
}
