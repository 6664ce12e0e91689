//! Every hash of a file from one read.
//!
//! One pass over the bytes feeds MD5 (whole file, and per part for S3 multipart
//! uploads at every common part size, all in one multi-lane MD5), SHA-1, SHA-256
//! (also WhatsApp's base64 form), Dropbox's `content_hash` and QuickXorHash. A
//! large file is hashed by two threads that share the read buffers: one runs the
//! MD5 lanes and QuickXorHash, the other the SHA family.

use std::io::Read;
use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::dropbox::DropboxHasher;
use crate::md5lanes::Md5Lanes;
use crate::quickxor::QuickXor;

/// Part sizes (MiB) for which multipart S3 ETags are computed: 5 (the S3 minimum
/// and the size several SDKs use), 8 (AWS CLI and boto3 default), 15 (s3cmd), 16
/// (AWS console), 64 and 100 (large-object tools and rclone-style settings).
pub const S3_PART_SIZES_MIB: &[u64] = &[5, 8, 15, 16, 64, 100];

/// Read buffer size.
const BUF: usize = 1 << 20;

/// Files at least this large are hashed by two threads.
pub const PARALLEL_FROM: u64 = 64 << 20;

/// A multipart S3 ETag for one part size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct S3Multipart {
    /// Part size in MiB.
    pub part_mib: u64,
    /// Number of parts.
    pub parts: u64,
    /// `hex(md5(concat(part md5s)))-parts`.
    pub etag: String,
}

/// Every hash of one content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digests {
    /// Size in bytes.
    pub size: u64,
    /// MD5, lower-case hex.
    pub md5: String,
    /// SHA-1, lower-case hex.
    pub sha1: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Dropbox `content_hash`, lower-case hex.
    pub dropbox_content_hash: String,
    /// OneDrive/SharePoint QuickXorHash, base64.
    pub quickxorhash: String,
    /// S3 ETag of a single-part upload (the MD5, hex, without quotes).
    pub s3_etag: String,
    /// S3 ETags of multipart uploads, one per common part size.
    pub s3_multipart: Vec<S3Multipart>,
    /// WhatsApp-style media hash: base64 of the SHA-256.
    pub whatsapp_hash: String,
}

fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

/// The MD5-family half of the work.
struct Md5Half {
    lanes: Md5Lanes,
    qx: QuickXor,
}

/// The SHA-family half of the work.
struct ShaHalf {
    sha1: Sha1,
    sha256: Sha256,
    dropbox: DropboxHasher,
}

impl Md5Half {
    fn new() -> Self {
        let parts: Vec<u64> = S3_PART_SIZES_MIB.iter().map(|m| m << 20).collect();
        Self { lanes: Md5Lanes::new(&parts), qx: QuickXor::default() }
    }
    fn update(&mut self, d: &[u8]) {
        self.lanes.update(d);
        self.qx.update(d);
    }
}

impl ShaHalf {
    fn new() -> Self {
        Self { sha1: Sha1::new(), sha256: Sha256::new(), dropbox: DropboxHasher::default() }
    }
    fn update(&mut self, d: &[u8]) {
        self.sha1.update(d);
        self.sha256.update(d);
        self.dropbox.update(d);
    }
}

fn digests(size: u64, m: Md5Half, s: ShaHalf) -> Digests {
    let (md5, parts) = m.lanes.finish();
    let sha256: [u8; 32] = s.sha256.finalize().into();
    let b64 = base64::engine::general_purpose::STANDARD;
    let s3_multipart = parts
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(bytes, p)| {
            let mut h = md5::Md5::new();
            for d in &p {
                h.update(d);
            }
            S3Multipart {
                part_mib: bytes >> 20,
                parts: p.len() as u64,
                etag: format!("{}-{}", hex(&h.finalize()), p.len()),
            }
        })
        .collect();
    Digests {
        size,
        md5: hex(&md5),
        sha1: hex(&s.sha1.finalize()),
        sha256: hex(&sha256),
        dropbox_content_hash: hex(&s.dropbox.finish()),
        quickxorhash: b64.encode(m.qx.finish()),
        s3_etag: hex(&md5),
        s3_multipart,
        whatsapp_hash: b64.encode(sha256),
    }
}

/// Streaming multi-hasher (single thread).
pub struct MultiHasher {
    m: Md5Half,
    s: ShaHalf,
    size: u64,
}

impl Default for MultiHasher {
    fn default() -> Self {
        Self { m: Md5Half::new(), s: ShaHalf::new(), size: 0 }
    }
}

impl MultiHasher {
    /// Feeds bytes.
    pub fn update(&mut self, d: &[u8]) {
        self.size += d.len() as u64;
        self.m.update(d);
        self.s.update(d);
    }

    /// All digests.
    pub fn finish(self) -> Digests {
        digests(self.size, self.m, self.s)
    }
}

/// Hashes a whole byte slice.
pub fn hash_bytes(data: &[u8]) -> Digests {
    let mut h = MultiHasher::default();
    h.update(data);
    h.finish()
}

/// What reading a stream gave: its digests and, when asked, its bytes.
pub struct Hashed {
    /// The digests.
    pub digests: Digests,
    /// The content, when `keep_up_to` allowed it (for image decoding without a
    /// second read).
    pub content: Option<Vec<u8>>,
}

/// Hashes everything `reader` yields. `size_hint` chooses two threads for large
/// inputs; the content is kept in memory when it is at most `keep_up_to` bytes.
pub fn hash_reader(reader: &mut dyn Read, size_hint: u64, keep_up_to: u64) -> std::io::Result<Hashed> {
    let mut keep: Option<Vec<u8>> =
        (size_hint <= keep_up_to).then(|| Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0)));
    if size_hint < PARALLEL_FROM {
        let mut h = MultiHasher::default();
        // A small file's buffer is its size (and a byte to see it end): a
        // walk of many small files zeroes no megabyte per file.
        let len = usize::try_from(size_hint.saturating_add(1)).map_or(BUF, |n| n.clamp(8 << 10, BUF));
        let mut buf = vec![0u8; len];
        loop {
            let n = read_some(reader, &mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            if let Some(k) = keep.as_mut() {
                if (k.len() + n) as u64 > keep_up_to {
                    keep = None;
                } else {
                    k.extend_from_slice(&buf[..n]);
                }
            }
        }
        return Ok(Hashed { digests: h.finish(), content: keep });
    }
    // Two threads share each buffer: the reader (this thread) runs the SHA half,
    // a helper the MD5 half.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Arc<Vec<u8>>>(4);
    let mut s = ShaHalf::new();
    let mut size = 0u64;
    let m = std::thread::scope(|scope| -> std::io::Result<Md5Half> {
        let helper = scope.spawn(move || {
            let mut m = Md5Half::new();
            for b in rx {
                m.update(&b);
            }
            m
        });
        let result = (|| -> std::io::Result<()> {
            loop {
                let mut buf = vec![0u8; BUF];
                let n = read_some(reader, &mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                buf.truncate(n);
                size += n as u64;
                let b = Arc::new(buf);
                if tx.send(Arc::clone(&b)).is_err() {
                    return Ok(());
                }
                s.update(&b);
            }
        })();
        drop(tx);
        let m = helper.join().map_err(|_| std::io::Error::other("hash thread failed"))?;
        result.map(|()| m)
    })?;
    Ok(Hashed { digests: digests(size, m, s), content: None })
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Normalises an ETag as providers print it (quotes, upper case).
pub fn normalize_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_ascii_lowercase()
}

/// Does an S3 ETag match these digests? Returns how: `single` or the part size in
/// MiB of a multipart upload. A multipart ETag `…-N` is compared only with the part
/// sizes that give N parts for this size. `None` when no computed ETag matches
/// (an upload with another part size, or SSE-KMS/SSE-C, cannot be verified).
pub fn s3_etag_match(d: &Digests, etag: &str) -> Option<String> {
    let e = normalize_etag(etag);
    if e == d.s3_etag {
        return Some("single".into());
    }
    let n: u64 = e.rsplit_once('-')?.1.parse().ok()?;
    d.s3_multipart.iter().find(|m| m.parts == n && m.etag == e).map(|m| format!("{} MiB parts", m.part_mib))
}
