//! Chrome's simple cache (`Cache/Cache_Data/<16 hex>_0`), as Chrome on Linux,
//! macOS and Android writes it: header, key, body (stream 1), EOF record,
//! `HttpResponseInfo` pickle (stream 0), SHA-256 of the key, EOF record.
//! Layout from Chromium `net/disk_cache/simple/simple_entry_format.h`,
//! `simple_synchronous_entry.cc`, `net/http/http_response_info.cc` and
//! `base/pickle.cc`.

use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::WEBKIT_OFFSET_US;
use crate::world::{CacheEntry, Device};

const INITIAL_MAGIC: u64 = 0xfcfb_6d1b_a772_5c30;
const FINAL_MAGIC: u64 = 0xf4fa_6f45_970d_41d8;
const ENTRY_VERSION: u32 = 5;
const FLAG_HAS_CRC32: u32 = 1;
const FLAG_HAS_KEY_SHA256: u32 = 2;

/// The cache key with HTTP cache partitioning (`1/0/_dk_<top> <frame> <url>`).
pub fn key(e: &CacheEntry) -> String {
    format!("1/0/_dk_{} {} {}", e.top_site, e.top_site, e.url)
}

/// The entry file name: the first 8 bytes of SHA-1(key), little-endian, as 16 hex digits.
pub fn file_name(key: &str) -> String {
    let d = Sha1::digest(key.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    format!("{:016x}_0", u64::from_le_bytes(b))
}

/// `base::PersistentHash` (Paul Hsieh's SuperFastHash, with Chromium's signed-char tail).
pub fn super_fast_hash(data: &[u8]) -> u32 {
    if data.is_empty() {
        return 0;
    }
    let g16 = |p: &[u8]| u32::from(p[0]) | (u32::from(p[1]) << 8);
    let mut h = data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for p in &mut chunks {
        h = h.wrapping_add(g16(p));
        let t = (g16(&p[2..]) << 11) ^ h;
        h = (h << 16) ^ t;
        h = h.wrapping_add(h >> 11);
    }
    let rem = chunks.remainder();
    let signed = |b: u8| i32::from(b as i8) as u32;
    match rem.len() {
        3 => {
            h = h.wrapping_add(g16(rem));
            h ^= h << 16;
            h ^= signed(rem[2]) << 18;
            h = h.wrapping_add(h >> 11);
        }
        2 => {
            h = h.wrapping_add(g16(rem));
            h ^= h << 11;
            h = h.wrapping_add(h >> 17);
        }
        1 => {
            h = h.wrapping_add(signed(rem[0]));
            h ^= h << 10;
            h = h.wrapping_add(h >> 1);
        }
        _ => {}
    }
    h ^= h << 3;
    h = h.wrapping_add(h >> 5);
    h ^= h << 4;
    h = h.wrapping_add(h >> 17);
    h ^= h << 25;
    h = h.wrapping_add(h >> 6);
    h
}

fn eof(flags: u32, crc: u32, size: usize) -> [u8; 24] {
    let mut b = [0u8; 24];
    b[..8].copy_from_slice(&FINAL_MAGIC.to_le_bytes());
    b[8..12].copy_from_slice(&flags.to_le_bytes());
    b[12..16].copy_from_slice(&crc.to_le_bytes());
    b[16..20].copy_from_slice(&(size as u32).to_le_bytes());
    b
}

/// A `base::Pickle` string: i32 length, bytes, zero padding to 4.
fn pickle_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as i32).to_le_bytes());
    out.extend_from_slice(s);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// Stream 0: the `HttpResponseInfo` pickle, version 3 without extra flags
/// (readable by old and current Chrome).
pub fn response_info(request_time: i64, response_time: i64, headers: &[(&str, String)], status: &str) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&3i32.to_le_bytes());
    p.extend_from_slice(&request_time.to_le_bytes());
    p.extend_from_slice(&response_time.to_le_bytes());
    let mut raw = Vec::new();
    raw.extend_from_slice(status.as_bytes());
    raw.push(0);
    for (n, v) in headers {
        raw.extend_from_slice(format!("{n}: {v}").as_bytes());
        raw.push(0);
    }
    raw.push(0);
    pickle_string(&mut p, &raw);
    pickle_string(&mut p, b"");
    p.extend_from_slice(&[0, 0, 0, 0]); // u16 port 0 + padding
    let mut out = (p.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&p);
    out
}

/// The bytes of one entry file.
pub fn entry_bytes(device: &Device, e: &CacheEntry) -> Vec<u8> {
    let key = key(e);
    let mut out = Vec::with_capacity(e.body.len() + key.len() + 512);
    out.extend_from_slice(&INITIAL_MAGIC.to_le_bytes());
    out.extend_from_slice(&ENTRY_VERSION.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&super_fast_hash(key.as_bytes()).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&e.body);
    out.extend_from_slice(&eof(FLAG_HAS_CRC32, crc32fast::hash(&e.body), e.body.len()));
    let date = super::http_date(e.response_time);
    let headers = [
        ("Date", date),
        ("Content-Type", e.mime.to_owned()),
        ("Content-Length", e.body.len().to_string()),
        ("Cache-Control", "public, max-age=86400".to_owned()),
    ];
    let info = response_info(
        device.clock(e.request_time) + WEBKIT_OFFSET_US,
        device.clock(e.response_time) + WEBKIT_OFFSET_US,
        &headers,
        "HTTP/1.1 200",
    );
    out.extend_from_slice(&info);
    out.extend_from_slice(&Sha256::digest(key.as_bytes()));
    out.extend_from_slice(&eof(FLAG_HAS_CRC32 | FLAG_HAS_KEY_SHA256, crc32fast::hash(&info), info.len()));
    out
}

/// Writes the entries and the 24-byte fake `index` into `dir` (`…/Cache/Cache_Data`).
pub fn write(dir: &Path, device: &Device, entries: &[CacheEntry]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut index = Vec::with_capacity(24);
    index.extend_from_slice(&INITIAL_MAGIC.to_le_bytes());
    index.extend_from_slice(&9u32.to_le_bytes());
    index.extend_from_slice(&[0u8; 12]);
    std::fs::write(dir.join("index"), index)?;
    for e in entries {
        std::fs::write(dir.join(file_name(&key(e))), entry_bytes(device, e))?;
    }
    Ok(entries.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_super_fast_hash_vectors() {
        // base/hash_unittest.cc
        assert_eq!(super_fast_hash(b""), 0);
        assert_eq!(super_fast_hash(b"hello world"), 2_794_219_650);
        assert_eq!(super_fast_hash(b"helmo world"), 1_006_697_176);
        assert_eq!(super_fast_hash(b"hello wo\xab"), 623_474_296);
        assert_eq!(super_fast_hash(b"hello wor\xab"), 4_278_562_408);
        let long: Vec<u8> = (0..4096).map(|i: i32| (i % 256 - 128) as i8 as u8).collect();
        assert_eq!(super_fast_hash(&long), 2_797_962_408);
    }

    #[test]
    fn entry_name_and_minimal_pickle() {
        let k = "1/0/_dk_https://example.com https://example.com https://example.com/a.jpg";
        assert_eq!(file_name(k), "0da52476eb50fa6c_0");
        assert_eq!(super_fast_hash(k.as_bytes()), 0x9b5e_759a);
        let p = response_info(
            13_350_000_000_000_000,
            13_350_000_000_001_000,
            &[("Content-Type", "image/jpeg".to_owned()), ("Content-Length", "4".to_owned())],
            "HTTP/1.1 200 OK",
        );
        assert_eq!(p.len(), 96);
        assert_eq!(&p[..8], &[0x5c, 0, 0, 0, 3, 0, 0, 0]);
    }
}
