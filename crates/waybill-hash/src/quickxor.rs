//! Microsoft's QuickXorHash (OneDrive, SharePoint `quickXorHash`).
//!
//! A 160-bit register; input byte *i* is XORed in at bit offset `(i * 11) mod 160`
//! (wrapping), then the 64-bit little-endian length is XORed into the last 8
//! bytes. Because the offset depends only on `i mod 160` and XOR is linear, the
//! bytes are first folded into 160 accumulators (`acc[i mod 160] ^= byte`, a
//! plain vectorisable XOR of 160-byte stripes) and shifted into the register once
//! at the end — the same result as the reference loop, at memory speed.

/// Streaming QuickXorHash.
#[derive(Clone)]
pub struct QuickXor {
    acc: [u8; 160],
    pos: usize,
    len: u64,
}

impl Default for QuickXor {
    fn default() -> Self {
        Self { acc: [0; 160], pos: 0, len: 0 }
    }
}

impl QuickXor {
    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let n = (160 - self.pos).min(data.len());
            for (a, b) in self.acc[self.pos..self.pos + n].iter_mut().zip(&data[..n]) {
                *a ^= *b;
            }
            self.pos = (self.pos + n) % 160;
            data = &data[n..];
        }
    }

    /// The 20-byte digest.
    pub fn finish(&self) -> [u8; 20] {
        let mut reg = [0u8; 20];
        for (k, &byte) in self.acc.iter().enumerate() {
            if byte == 0 {
                continue;
            }
            let off = (k * 11) % 160;
            for j in 0..8 {
                if byte >> j & 1 == 1 {
                    let bit = (off + j) % 160;
                    reg[bit / 8] ^= 1 << (bit % 8);
                }
            }
        }
        for (r, l) in reg[12..].iter_mut().zip(self.len.to_le_bytes()) {
            *r ^= l;
        }
        reg
    }
}
