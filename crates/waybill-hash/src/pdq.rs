//! Meta's PDQ perceptual hash (256 bits + quality), written from the algorithm of
//! the ThreatExchange reference implementation (`pdq/cpp/hashing/pdqhashing.cpp`):
//!
//! 1. luminance `0.299 R + 0.587 G + 0.114 B` of every pixel (as 32-bit floats);
//! 2. a Jarosz filter: two passes of a box filter along rows then columns, with
//!    windows `⌈dim / 128⌉`-ish (`(dim + 2·64 − 1) / (2·64)`), so that
//! 3. decimation to 64×64 by sampling at `((i + ½)·dim / 64)` is not aliased;
//! 4. quality: the sum of absolute neighbour differences (scaled to 0–100 per
//!    step) over the 64×64 image, divided by 90 and capped at 100;
//! 5. a 16×64 DCT matrix (rows 1..=16 of the 64-point DCT-II, scaled by √(2/64))
//!    applied on both sides: `D · A · Dᵀ`, 16×16 coefficients;
//! 6. bit *k* (row-major over the 16×16) is set when coefficient *k* exceeds the
//!    median (the lower middle of the 256 values, as Torben's method returns).
//!
//! The hex form prints the sixteen 16-bit words from word 15 down to word 0, each
//! as 4 hex digits (word *w* holds bits `16w .. 16w+15`, bit 0 least significant),
//! as the reference's `Hash256::format` does.
//!
//! Images are decoded with the `image` crate (JPEG, PNG, GIF first frame, WebP,
//! BMP). Like the reference hasher, EXIF orientation is not applied.

use crate::index::Pdq;

/// Luminance weights of the reference.
const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// A PDQ hash with its quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqHash {
    /// The 256 bits as four words (word 0 = the first 16 hex digits).
    pub hash: Pdq,
    /// Quality 0–100; below 50 the hash is unreliable.
    pub quality: u8,
}

impl PdqHash {
    /// 64 lower-case hex digits.
    pub fn hex(&self) -> String {
        crate::index::format_pdq(&self.hash)
    }
}

/// Why an image could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PdqError {
    /// The bytes are not an image the decoder reads.
    #[error("image could not be decoded: {0}")]
    Decode(String),
    /// Zero width or height.
    #[error("image has no pixels")]
    Empty,
}

/// Does `head` start like an image format PDQ is computed for?
pub fn looks_like_image(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xD8, 0xFF])
        || head.starts_with(b"\x89PNG\r\n\x1a\n")
        || head.starts_with(b"GIF87a")
        || head.starts_with(b"GIF89a")
        || (head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP")
        || head.starts_with(b"BM")
}

/// Decodes an image and hashes it.
pub fn hash_image_bytes(bytes: &[u8]) -> Result<PdqHash, PdqError> {
    let img = image::load_from_memory(bytes).map_err(|e| PdqError::Decode(e.to_string()))?;
    let rgb = img.to_rgb8();
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    if w == 0 || h == 0 {
        return Err(PdqError::Empty);
    }
    let mut luma = Vec::with_capacity(w * h);
    for p in rgb.pixels() {
        luma.push(LUMA[0] * f32::from(p[0]) + LUMA[1] * f32::from(p[1]) + LUMA[2] * f32::from(p[2]));
    }
    Ok(hash_luma(&mut luma, h, w))
}

/// Hashes a luminance image of `rows × cols` (row-major). `luma` is used as
/// scratch space.
pub fn hash_luma(luma: &mut [f32], rows: usize, cols: usize) -> PdqHash {
    let mut tmp = vec![0f32; rows * cols];
    let wr = window(cols, 64);
    let wc = window(rows, 64);
    for _ in 0..2 {
        for r in 0..rows {
            box_1d(&luma[r * cols..], &mut tmp[r * cols..], cols, 1, wr);
        }
        for c in 0..cols {
            box_1d(&tmp[c..], &mut luma[c..], rows, cols, wc);
        }
    }
    let mut a = [[0f32; 64]; 64];
    for (i, row) in a.iter_mut().enumerate() {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "index arithmetic as the reference does it"
        )]
        let ii = (((i as f64 + 0.5) * rows as f64) / 64.0) as usize;
        for (j, v) in row.iter_mut().enumerate() {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "index arithmetic as the reference does it"
            )]
            let jj = (((j as f64 + 0.5) * cols as f64) / 64.0) as usize;
            *v = luma[ii.min(rows - 1) * cols + jj.min(cols - 1)];
        }
    }
    let quality = quality(&a);
    let coeffs = dct_16(&a);
    let mut sorted = coeffs;
    sorted.sort_by(f32::total_cmp);
    let median = sorted[127];
    let mut words = [0u16; 16];
    for (k, c) in coeffs.iter().enumerate() {
        if *c > median {
            words[k >> 4] |= 1 << (k & 15);
        }
    }
    // Word 15 first, as the reference prints it.
    let mut hash = [0u64; 4];
    for (i, w) in hash.iter_mut().enumerate() {
        for j in 0..4 {
            *w = (*w << 16) | u64::from(words[15 - (i * 4 + j)]);
        }
    }
    PdqHash { hash, quality }
}

/// The reference's `computeJaroszFilterWindowSize`.
fn window(old: usize, new: usize) -> usize {
    (old + 2 * new - 1) / (2 * new)
}

/// One box-filter pass over `len` values `stride` apart (the reference's
/// `box1DFloat`: the window grows at the start and shrinks at the end).
fn box_1d(input: &[f32], out: &mut [f32], len: usize, stride: usize, full: usize) {
    let full = full.max(1).min(len.max(1));
    let half = (full + 2) / 2;
    let p1 = half - 1;
    let p2 = full - half + 1;
    let p3 = len - full;
    let p4 = half - 1;
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0f32;
    let mut n = 0f32;
    for _ in 0..p1 {
        sum += input[ri];
        n += 1.0;
        ri += stride;
    }
    for _ in 0..p2 {
        sum += input[ri];
        n += 1.0;
        out[oi] = sum / n;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p3 {
        sum += input[ri];
        sum -= input[li];
        out[oi] = sum / n;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p4 {
        sum -= input[li];
        n -= 1.0;
        out[oi] = sum / n;
        li += stride;
        oi += stride;
    }
}

fn quality(a: &[[f32; 64]; 64]) -> u8 {
    let mut sum: i64 = 0;
    for i in 0..63 {
        for j in 0..64 {
            #[allow(clippy::cast_possible_truncation, reason = "the reference truncates to int")]
            let d = (((a[i][j] - a[i + 1][j]) * 100.0) / 255.0) as i64;
            sum += d.abs();
        }
    }
    for row in a {
        for j in 0..63 {
            #[allow(clippy::cast_possible_truncation, reason = "the reference truncates to int")]
            let d = (((row[j] - row[j + 1]) * 100.0) / 255.0) as i64;
            sum += d.abs();
        }
    }
    u8::try_from((sum / 90).min(100)).unwrap_or(100)
}

fn dct_matrix() -> [[f32; 64]; 16] {
    let mut d = [[0f32; 64]; 16];
    let scale = (2.0f64 / 64.0).sqrt();
    for (i, row) in d.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_precision_loss,
                reason = "the reference's float table"
            )]
            {
                *v = (scale * (std::f64::consts::PI / 2.0 / 64.0 * (i as f64 + 1.0) * (2.0 * j as f64 + 1.0)).cos())
                    as f32;
            }
        }
    }
    d
}

fn dct_16(a: &[[f32; 64]; 64]) -> [f32; 256] {
    let d = dct_matrix();
    // T = D · A (16×64), then B = T · Dᵀ (16×16).
    let mut t = [[0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            let mut s = 0f32;
            for k in 0..64 {
                s += d[i][k] * a[k][j];
            }
            t[i][j] = s;
        }
    }
    let mut b = [0f32; 256];
    for i in 0..16 {
        for j in 0..16 {
            let mut s = 0f32;
            for k in 0..64 {
                s += t[i][k] * d[j][k];
            }
            b[i * 16 + j] = s;
        }
    }
    b
}
