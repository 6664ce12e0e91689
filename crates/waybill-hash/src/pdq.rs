//! Meta's PDQ perceptual hash (256 bits + quality), written from the algorithm of
//! the ThreatExchange reference implementation (`pdq/cpp/hashing/pdqhashing.cpp`):
//!
//! 0. like the reference hasher reading a file: an image larger than 512 pixels
//!    on either side is first resized to exactly 512×512 by nearest neighbour
//!    (top-left aligned; the aspect ratio is not kept);
//! 1. luminance `0.299 R + 0.587 G + 0.114 B` of every pixel (as 32-bit floats,
//!    in that order; grey images use the grey value as is); images under 5 pixels
//!    on a side hash to all zeros with quality 0;
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
//! BMP). Like the reference hasher, EXIF orientation is not applied. Every float
//! is `f32` with the reference's summation order, so on the same pixels the hash
//! is the reference's bit for bit (decoder-independent vectors in the tests); the
//! `image` crate's JPEG decoder differs slightly from libjpeg, which moves a few
//! bits on some photos (0–6 on the ThreatExchange test images).

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
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return Err(PdqError::Empty);
    }
    let grey = !img.color().has_color();
    let (channels, pixels) = if grey { (1, img.to_luma8().into_raw()) } else { (3, img.to_rgb8().into_raw()) };
    Ok(hash_pixels(&pixels, w, h, channels, true))
}

/// Hashes 8-bit pixels (`channels` = 1 grey, or 3 RGB, interleaved, row-major).
/// `pre_resize` applies the reference hasher's 512×512 nearest-neighbour resize
/// of large images (what hashing a file does); without it, this is the core
/// algorithm at full resolution (what the `pdqhash` Python package computes).
pub fn hash_pixels(pixels: &[u8], w: usize, h: usize, channels: usize, pre_resize: bool) -> PdqHash {
    let (w2, h2) = if pre_resize && (w > 512 || h > 512) { (512, 512) } else { (w, h) };
    let mut luma = Vec::with_capacity(w2 * h2);
    for y in 0..h2 {
        let sy = if h2 == h { y } else { y * h / 512 };
        for x in 0..w2 {
            let sx = if w2 == w { x } else { x * w / 512 };
            let p = &pixels[(sy * w + sx) * channels..];
            luma.push(if channels == 1 {
                f32::from(p[0])
            } else {
                LUMA[0] * f32::from(p[0]) + LUMA[1] * f32::from(p[1]) + LUMA[2] * f32::from(p[2])
            });
        }
    }
    hash_luma(&mut luma, h2, w2)
}

/// Hashes a luminance image of `rows × cols` (row-major). `luma` is used as
/// scratch space.
pub fn hash_luma(luma: &mut [f32], rows: usize, cols: usize) -> PdqHash {
    if rows < 5 || cols < 5 {
        return PdqHash { hash: [0; 4], quality: 0 };
    }
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
    // Torben's median over 256 values is always the 128th smallest.
    let mut sorted = coeffs;
    let (_, median, _) = sorted.select_nth_unstable_by(127, f32::total_cmp);
    let median = *median;
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
    old.div_ceil(2 * new)
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

#[allow(clippy::needless_range_loop, reason = "neighbour differences read best with indices")]
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
    #[allow(clippy::cast_possible_truncation, reason = "the reference rounds the scale to f32 first")]
    let scale = f64::from((2.0f64 / 64.0).sqrt() as f32);
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

#[allow(clippy::needless_range_loop, reason = "matrix products with the reference's summation order")]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoder-independent pattern of the research notes: `R = (3x + 5y) & 255`,
    /// `G = ((x·y) >> 2) & 255`, `B = (x ^ y) & 255`.
    fn pattern(w: usize, h: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                v.push(((3 * x + 5 * y) & 255) as u8);
                v.push((((x * y) >> 2) & 255) as u8);
                v.push(((x ^ y) & 255) as u8);
            }
        }
        v
    }

    /// Values from Meta's reference C++ (`pdq-photo-hasher` and its core),
    /// computed on the same pixels.
    #[test]
    fn reference_vectors_bit_for_bit() {
        for (w, h, pre, want, q) in [
            (64, 64, false, "c92a975a2a55da95b5a54b2db66bccca191a62548c2570cdc7993c63c38e3e7c", 100),
            (100, 80, false, "aaaa513aa1564a9594a5496d924d6499999b673b8e7370e7c7863c1cc0f91ff8", 100),
            (5, 5, false, "6b5a94a594a56b5a94a56e5b94a591a46b5a94a56b5a94b594a56b5a94a56e5b", 0),
            (4, 7, false, "0000000000000000000000000000000000000000000000000000000000000000", 0),
            (37, 300, false, "2d254965924d36c96c9b999a333146329c6338e6e3c60f0e3e1ee03e03fcfff0", 100),
            (512, 512, false, "ffffa6aafbf5a7e5e2c0a0d0f8a0a050fefdb5a8fae5a585e0c0b0b0c000b0b0", 100),
            (1000, 700, false, "ff8abfaa7fffd9a87fbf7eaa880092eb88588854aa7f5d808d805d8089809d80", 100),
            (1000, 700, true, "ffaa9ba37f9afdbf782b3f8880aa0261b8d4a857887d9d88a9805d88bd80bb80", 100),
            (600, 300, true, "6eb03dffea94bf5cea88c2b0bfff43a4150cca94ddf4c5bc9e00170e4230c2b0", 100),
            (513, 100, true, "f42ea07ea17e897e007e097c53fa0bfe1af85fa8dff8fff0faa0f28084408100", 100),
        ] {
            let got = hash_pixels(&pattern(w, h), w, h, 3, pre);
            assert_eq!((got.hex().as_str(), got.quality), (want, q), "{w}x{h} pre-resize {pre}");
        }
        // Grey images use the grey value without the colour weights.
        let grey: Vec<u8> = (0..80).flat_map(|y| (0..100).map(move |x| ((3 * x + 5 * y) & 255) as u8)).collect();
        assert_eq!(
            hash_pixels(&grey, 100, 80, 1, true).hex(),
            "c94e523a41deeb51fe46507aaec6fa90542e55daeeb418a754367bfc8aa91084"
        );
    }
}
