//! Content identity for waybill.
//!
//! A file found on a device must be recognisable wherever it left a trace: an
//! upload log (SHA-256), an S3 listing (ETag), a OneDrive audit record
//! (QuickXorHash), a Dropbox listing (`content_hash`), a WhatsApp message row
//! (base64 SHA-256), a reference hash set (MD5/SHA-1/SHA-256), or a re-encoded
//! copy of the same picture (PDQ). [`multihash`] computes every exact hash in one
//! read; [`pdq`] computes Meta's perceptual hash; [`hashset`] reads reference hash
//! sets; [`index`] finds near PDQ matches without comparing every pair.

pub mod dropbox;
pub mod hashset;
pub mod index;
pub mod matcher;
pub mod md5lanes;
pub mod multihash;
pub mod pdq;
pub mod quickxor;

pub use multihash::{
    Digests, Hashed, MultiHasher, S3_PART_SIZES_MIB, S3Multipart, hash_bytes, hash_reader, s3_etag_match,
};
