//! Finding PDQ hashes within a Hamming distance without comparing every pair:
//! multi-index hashing (Norouzi, Punjani, Fleet 2012).
//!
//! The 256-bit hash is cut into 16 chunks of 16 bits, and each chunk gets a table
//! from its value to the hashes that have it. If two hashes differ in at most
//! `d` bits, at least one chunk differs in at most `⌊d/16⌋` bits (pigeonhole), so
//! probing every chunk value within that radius finds every candidate; candidates
//! are then checked with the full distance. For the default `d = 31` that is 17
//! probes per chunk, 272 per query, each landing in a bucket of about
//! `n / 65536` hashes. Tables are stored compactly (counting sort into one id array
//! per chunk).

/// A 256-bit PDQ hash as four 64-bit words (word 0 = the first 16 hex digits).
pub type Pdq = [u64; 4];

/// Number of 16-bit chunks.
const CHUNKS: usize = 16;

/// Hamming distance of two hashes.
pub fn distance(a: &Pdq, b: &Pdq) -> u32 {
    (a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones() + (a[2] ^ b[2]).count_ones() + (a[3] ^ b[3]).count_ones()
}

fn chunk(h: &Pdq, i: usize) -> u16 {
    #[allow(clippy::cast_possible_truncation, reason = "masked to 16 bits")]
    {
        (h[i / 4] >> ((3 - i % 4) * 16) & 0xFFFF) as u16
    }
}

/// Parses 64 hex digits.
pub fn parse_pdq(hex: &str) -> Option<Pdq> {
    let h = hex.trim();
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u64; 4];
    for (i, w) in out.iter_mut().enumerate() {
        *w = u64::from_str_radix(&h[i * 16..i * 16 + 16], 16).ok()?;
    }
    Some(out)
}

/// Formats as 64 lower-case hex digits.
pub fn format_pdq(h: &Pdq) -> String {
    format!("{:016x}{:016x}{:016x}{:016x}", h[0], h[1], h[2], h[3])
}

/// A multi-index over a set of hashes.
pub struct PdqIndex {
    hashes: Vec<Pdq>,
    /// Per chunk: 65,537 offsets into `ids`.
    offsets: Vec<Vec<u32>>,
    /// Per chunk: hash ids sorted by chunk value.
    ids: Vec<Vec<u32>>,
}

impl PdqIndex {
    /// Indexes hashes; ids are positions in `hashes`.
    pub fn new(hashes: Vec<Pdq>) -> Self {
        let mut offsets = Vec::with_capacity(CHUNKS);
        let mut ids = Vec::with_capacity(CHUNKS);
        for c in 0..CHUNKS {
            let mut counts = vec![0u32; 65_537];
            for h in &hashes {
                counts[usize::from(chunk(h, c)) + 1] += 1;
            }
            for i in 1..counts.len() {
                counts[i] += counts[i - 1];
            }
            let mut fill = counts.clone();
            let mut table = vec![0u32; hashes.len()];
            for (id, h) in hashes.iter().enumerate() {
                let slot = &mut fill[usize::from(chunk(h, c))];
                table[*slot as usize] = u32::try_from(id).unwrap_or(u32::MAX);
                *slot += 1;
            }
            offsets.push(counts);
            ids.push(table);
        }
        Self { hashes, offsets, ids }
    }

    /// Number of indexed hashes.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// No hashes?
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Every indexed hash within `max` bits of `q`: (id, distance), by id.
    pub fn query(&self, q: &Pdq, max: u32, seen: &mut Vec<u32>) -> Vec<(u32, u32)> {
        let radius = max / CHUNKS as u32;
        let mut out = Vec::new();
        seen.clear();
        for c in 0..CHUNKS {
            let v = chunk(q, c);
            let mut probe = |value: u16| {
                let lo = self.offsets[c][usize::from(value)] as usize;
                let hi = self.offsets[c][usize::from(value) + 1] as usize;
                for &id in &self.ids[c][lo..hi] {
                    // Checking the full distance now is cheaper than
                    // collecting and de-duplicating thousands of candidates.
                    if distance(q, &self.hashes[id as usize]) <= max {
                        seen.push(id);
                    }
                }
            };
            probe(v);
            if radius >= 1 {
                for b in 0..16 {
                    probe(v ^ (1 << b));
                }
            }
            if radius >= 2 {
                for b1 in 0..16 {
                    for b2 in b1 + 1..16 {
                        probe(v ^ (1 << b1) ^ (1 << b2));
                    }
                }
            }
            if radius >= 3 {
                // Beyond 47 bits the index degrades gracefully into a full scan.
                seen.clear();
                seen.extend(0..u32::try_from(self.hashes.len()).unwrap_or(u32::MAX));
                break;
            }
        }
        seen.sort_unstable();
        seen.dedup();
        for &id in seen.iter() {
            let d = distance(q, &self.hashes[id as usize]);
            if d <= max {
                out.push((id, d));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn finds_exactly_what_a_scan_finds() {
        let mut s = 7u64;
        let base: Vec<Pdq> = (0..2000).map(|_| [rng(&mut s), rng(&mut s), rng(&mut s), rng(&mut s)]).collect();
        let idx = PdqIndex::new(base.clone());
        let mut seen = Vec::new();
        for k in 0..200usize {
            // Queries near an indexed hash: flip 0..40 random bits.
            let mut q = base[k * 7];
            let flips = rng(&mut s) % 41;
            for _ in 0..flips {
                let bit = rng(&mut s) % 256;
                q[(bit / 64) as usize] ^= 1 << (bit % 64);
            }
            for max in [0, 10, 31, 40] {
                let got = idx.query(&q, max, &mut seen);
                let want: Vec<(u32, u32)> = base
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| {
                        let d = distance(&q, h);
                        (d <= max).then_some((i as u32, d))
                    })
                    .collect();
                assert_eq!(got, want, "query {k} max {max}");
            }
        }
    }

    #[test]
    fn hex_round_trip() {
        let h = parse_pdq("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22").unwrap();
        assert_eq!(format_pdq(&h), "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22");
        assert!(parse_pdq("xyz").is_none());
    }
}
