//! MD5 of one byte stream in several lanes at once, each lane restarting at its
//! own part boundary: the whole-file MD5 and the part MD5s of S3 multipart
//! uploads at every common part size come out of one pass.
//!
//! All lanes consume the same 64-byte blocks (part sizes are multiples of 1 MiB,
//! so every boundary falls on a block boundary); only their states differ. So the
//! message schedule is shared and the round function runs on `[u32; LANES]`
//! arrays, which the compiler turns into SIMD. This is the hot path of hashing:
//! computing six MD5s one after the other costs about six times one MD5, the lanes
//! cost about twice one (measured by `bench_hash`). Correctness is checked against
//! the `md-5` crate in the tests.

/// Number of lanes.
pub const LANES: usize = 8;

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// MD5 states of `N` lanes, lane-major per word.
#[derive(Clone, Copy)]
struct State<const N: usize> {
    a: [u32; N],
    b: [u32; N],
    c: [u32; N],
    d: [u32; N],
}

impl<const N: usize> State<N> {
    fn new() -> Self {
        Self { a: [IV[0]; N], b: [IV[1]; N], c: [IV[2]; N], d: [IV[3]; N] }
    }

    fn reset(&mut self, lane: usize) {
        self.a[lane] = IV[0];
        self.b[lane] = IV[1];
        self.c[lane] = IV[2];
        self.d[lane] = IV[3];
    }

    fn digest(&self, lane: usize) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, w) in [self.a[lane], self.b[lane], self.c[lane], self.d[lane]].iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// One 64-byte block into every lane. Always inlined, so that the SIMD
    /// variants below compile it with their instruction sets.
    #[inline(always)]
    fn compress(&mut self, block: &[u8; 64]) {
        let mut m = [0u32; 16];
        for (i, w) in m.iter_mut().enumerate() {
            *w = u32::from_le_bytes([block[i * 4], block[i * 4 + 1], block[i * 4 + 2], block[i * 4 + 3]]);
        }
        let (mut a, mut b, mut c, mut d) = (self.a, self.b, self.c, self.d);
        macro_rules! round {
            ($f:expr, $g:expr, $range:expr) => {
                for i in $range {
                    let mi = m[$g(i)];
                    let mut nb = [0u32; N];
                    for l in 0..N {
                        let f = $f(b[l], c[l], d[l]).wrapping_add(a[l]).wrapping_add(K[i]).wrapping_add(mi);
                        nb[l] = b[l].wrapping_add(f.rotate_left(S[i]));
                    }
                    a = d;
                    d = c;
                    c = b;
                    b = nb;
                }
            };
        }
        round!(|b: u32, c: u32, d: u32| (b & c) | (!b & d), |i: usize| i, 0..16);
        round!(|b: u32, c: u32, d: u32| (d & b) | (!d & c), |i: usize| (5 * i + 1) % 16, 16..32);
        round!(|b: u32, c: u32, d: u32| b ^ c ^ d, |i: usize| (3 * i + 5) % 16, 32..48);
        round!(|b: u32, c: u32, d: u32| c ^ (b | !d), |i: usize| (7 * i) % 16, 48..64);
        for l in 0..N {
            self.a[l] = self.a[l].wrapping_add(a[l]);
            self.b[l] = self.b[l].wrapping_add(b[l]);
            self.c[l] = self.c[l].wrapping_add(c[l]);
            self.d[l] = self.d[l].wrapping_add(d[l]);
        }
    }
}

/// The widest vector instructions this CPU has for the lanes, detected at run
/// time so that one binary runs everywhere. Without them the compiler still
/// vectorises the lanes with the baseline SSE2, at about a quarter of the speed
/// (MD5's rotates and bit selects need AVX2 shifts, or AVX-512's `vprold` and
/// `vpternlogd`, to be cheap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simd {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Simd {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Baseline
    }

    #[inline]
    fn compress(self, state: &mut State<LANES>, block: &[u8; 64]) {
        match self {
            Self::Baseline => state.compress(block),
            // SAFETY: `detect` saw the CPU report AVX2.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Self::Avx2 => unsafe { compress_avx2(state, block) },
            // SAFETY: `detect` saw the CPU report AVX-512 F and VL.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Self::Avx512 => unsafe { compress_avx512(state, block) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compress_avx2(state: &mut State<LANES>, block: &[u8; 64]) {
    state.compress(block);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
fn compress_avx512(state: &mut State<LANES>, block: &[u8; 64]) {
    state.compress(block);
}

/// Finishes one lane: its state after `len` bytes (a multiple of 64 minus the
/// `tail`), the `tail` bytes not yet compressed.
fn finish_lane(state: &State<LANES>, lane: usize, tail: &[u8], len: u64) -> [u8; 16] {
    let mut s = State::<1> { a: [state.a[lane]], b: [state.b[lane]], c: [state.c[lane]], d: [state.d[lane]] };
    let mut block = [0u8; 128];
    block[..tail.len()].copy_from_slice(tail);
    block[tail.len()] = 0x80;
    let total = if tail.len() < 56 { 64 } else { 128 };
    block[total - 8..total].copy_from_slice(&(len.wrapping_mul(8)).to_le_bytes());
    for chunk in block[..total].chunks_exact(64) {
        let mut b = [0u8; 64];
        b.copy_from_slice(chunk);
        s.compress(&b);
    }
    s.digest(0)
}

/// A part size and the MD5 of each part.
pub type PartDigests = (u64, Vec<[u8; 16]>);

/// The MD5 of a whole stream plus, for each part size, the MD5 of every part.
pub struct Md5Lanes {
    state: State<LANES>,
    simd: Simd,
    /// Part size of each lane after the first (0 = unused lane); lane 0 never restarts.
    parts: [u64; LANES],
    /// Bytes consumed by each lane since its current part started.
    in_part: [u64; LANES],
    /// Finished part digests of each lane.
    done: Vec<Vec<[u8; 16]>>,
    buf: [u8; 64],
    buf_len: usize,
    total: u64,
}

impl Md5Lanes {
    /// Lanes for these part sizes (each a positive multiple of 64 bytes; at most
    /// `LANES - 1` of them).
    pub fn new(part_sizes: &[u64]) -> Self {
        let mut parts = [0u64; LANES];
        for (i, p) in part_sizes.iter().take(LANES - 1).enumerate() {
            debug_assert!(*p > 0 && p % 64 == 0);
            parts[i + 1] = *p;
        }
        Self {
            state: State::new(),
            simd: Simd::detect(),
            parts,
            in_part: [0; LANES],
            done: vec![Vec::new(); LANES],
            buf: [0; 64],
            buf_len: 0,
            total: 0,
        }
    }

    fn block(&mut self, block: &[u8; 64]) {
        self.simd.compress(&mut self.state, block);
        for l in 1..LANES {
            if self.parts[l] == 0 {
                continue;
            }
            self.in_part[l] += 64;
            if self.in_part[l] == self.parts[l] {
                let d = finish_lane(&self.state, l, &[], self.parts[l]);
                self.done[l].push(d);
                self.state.reset(l);
                self.in_part[l] = 0;
            }
        }
    }

    /// Feeds bytes (any amount).
    pub fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let b = self.buf;
            self.block(&b);
            self.buf_len = 0;
        }
        let mut chunks = data.chunks_exact(64);
        for c in &mut chunks {
            let mut b = [0u8; 64];
            b.copy_from_slice(c);
            self.block(&b);
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// The whole-stream MD5 and, for each part size given to `new`, the part MD5s
    /// (the last part may be shorter; an empty stream has no parts).
    pub fn finish(mut self) -> ([u8; 16], Vec<PartDigests>) {
        let tail = &self.buf[..self.buf_len];
        let whole = finish_lane(&self.state, 0, tail, self.total);
        let mut parts = Vec::new();
        for l in 1..LANES {
            if self.parts[l] == 0 {
                continue;
            }
            let in_part = self.in_part[l] + self.buf_len as u64;
            if in_part > 0 {
                let d = finish_lane(&self.state, l, tail, in_part);
                self.done[l].push(d);
            }
            parts.push((self.parts[l], std::mem::take(&mut self.done[l])));
        }
        (whole, parts)
    }
}

#[cfg(test)]
mod tests {
    use md5::{Digest, Md5};

    use super::*;

    fn reference(data: &[u8], part: usize) -> Vec<[u8; 16]> {
        data.chunks(part).map(|c| Md5::digest(c).into()).collect()
    }

    #[test]
    fn every_simd_variant_matches_the_baseline() {
        let block: [u8; 64] = std::array::from_fn(|i| (i as u8).wrapping_mul(37));
        let mut base = State::<LANES>::new();
        base.a[3] = 7;
        #[allow(unused_mut)]
        let mut variants = vec![Simd::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                variants.push(Simd::Avx2);
            }
            if Simd::detect() == Simd::Avx512 {
                variants.push(Simd::Avx512);
            }
        }
        let mut want = base;
        want.compress(&block);
        for v in variants {
            let mut s = base;
            v.compress(&mut s, &block);
            assert_eq!((s.a, s.b, s.c, s.d), (want.a, want.b, want.c, want.d), "{v:?}");
        }
    }

    #[test]
    fn lanes_match_md5_for_whole_and_parts() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0usize, 1, 55, 56, 63, 64, 65, 127, 128, 640, 641, 1280, 19_999, 20_000] {
            let parts = [64u64, 128, 640, 1280];
            for feed in [1usize, 7, 64, 100, 4096] {
                let mut h = Md5Lanes::new(&parts);
                for c in data[..len].chunks(feed) {
                    h.update(c);
                }
                let (whole, got) = h.finish();
                assert_eq!(whole, <[u8; 16]>::from(Md5::digest(&data[..len])), "len {len} feed {feed}");
                for (p, digests) in got {
                    assert_eq!(digests, reference(&data[..len], p as usize), "len {len} part {p} feed {feed}");
                }
            }
        }
    }
}
