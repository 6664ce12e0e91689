//! Benign generated content: text documents and small PNG images.

use crate::rng::Rng;

const WORDS: &[&str] = &[
    "annual",
    "report",
    "garden",
    "river",
    "budget",
    "meeting",
    "summary",
    "harvest",
    "lantern",
    "orbit",
    "quarterly",
    "pattern",
    "village",
    "weather",
    "harbor",
    "meadow",
    "ledger",
    "compass",
    "timber",
    "signal",
    "museum",
    "recipe",
    "journey",
    "canvas",
    "island",
    "mountain",
    "library",
    "station",
    "festival",
    "network",
    "archive",
    "bridge",
];

/// A word.
pub fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.below(WORDS.len() as u64) as usize]
}

/// A synthetic text document of roughly `lines` lines (unique per draw).
pub fn text(rng: &mut Rng, lines: usize) -> Vec<u8> {
    let mut s = format!("Synthetic benign document {:016x}\n", rng.next_u64());
    for _ in 0..lines {
        let n = rng.range(6, 14);
        let line: Vec<&str> = (0..n).map(|_| word(rng)).collect();
        s.push_str(&line.join(" "));
        s.push('\n');
    }
    s.into_bytes()
}

fn crc(chunk: &[u8]) -> u32 {
    crc32fast::hash(chunk)
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A generated RGB PNG (`w`×`h`, smooth colour field with noise), stored
/// uncompressed in zlib "stored" blocks: a valid PNG any decoder reads.
pub fn png(rng: &mut Rng, w: u32, h: u32) -> Vec<u8> {
    let (r0, g0, b0) = (rng.below(256) as u32, rng.below(256) as u32, rng.below(256) as u32);
    let mut raw = Vec::with_capacity(((w * 3 + 1) * h) as usize);
    for y in 0..h {
        raw.push(0); // filter: none
        for x in 0..w {
            let n = rng.below(24) as u32;
            raw.push(((r0 + x * 255 / w.max(1) + n) % 256) as u8);
            raw.push(((g0 + y * 255 / h.max(1) + n) % 256) as u8);
            raw.push(((b0 + (x + y) * 127 / (w + h).max(1)) % 256) as u8);
        }
    }
    let mut z = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(b) = blocks.next() {
        z.push(u8::from(blocks.peek().is_none()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc(&c).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_is_well_formed() {
        let p = png(&mut Rng::new(3), 40, 30);
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&p[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes([p[16], p[17], p[18], p[19]]), 40);
        assert!(p.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND crc");
        assert_ne!(text(&mut Rng::new(1), 3), text(&mut Rng::new(2), 3));
    }
}
