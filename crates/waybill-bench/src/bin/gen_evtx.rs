//! Writes a large EVTX file from the chunks of real ones, for speed measurement.
//!
//! ```text
//! gen_evtx OUT SIZE INPUT.evtx [INPUT.evtx …]      # SIZE: 512MiB, 1GiB, …
//! ```
//!
//! An EVTX file is a 4,096-byte file header followed by self-contained
//! 65,536-byte chunks, each with its own string and template tables and its
//! own checksums. The output takes every valid chunk of the inputs in order and
//! repeats that sequence until SIZE is reached, then writes a file header
//! whose chunk numbers, chunk count and CRC32 match. Records keep the ids
//! they had (so ids repeat across copies): the file is for timing parsers,
//! `evtx_dump` and `waybill ingest` side by side, not for analysis. A file
//! has at most 65,535 chunks (the count is 16 bits), about 4 GiB.

use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use waybill_bench::parse_size;

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, size, inputs @ ..] = args.as_slice() else {
        anyhow::bail!("usage: gen_evtx OUT SIZE INPUT.evtx [INPUT.evtx …]");
    };
    anyhow::ensure!(!inputs.is_empty(), "gen_evtx needs at least one input EVTX file");
    let target = parse_size(size).ok_or_else(|| anyhow::anyhow!("bad size {size}"))?;
    let mut header = None;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for path in inputs {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        anyhow::ensure!(bytes.starts_with(b"ElfFile\0"), "{path}: not an EVTX file (no ElfFile signature)");
        if header.is_none() {
            header = Some(bytes[..HEADER].to_vec());
        }
        let mut taken = 0;
        for chunk in bytes[HEADER..].chunks_exact(CHUNK) {
            if chunk.starts_with(b"ElfChnk\0") {
                chunks.push(chunk.to_vec());
                taken += 1;
            }
        }
        eprintln!("{path}: {taken} chunks");
    }
    let (Some(mut header), false) = (header, chunks.is_empty()) else {
        anyhow::bail!("the inputs hold no chunk");
    };
    let wanted = (target.saturating_sub(HEADER as u64) / CHUNK as u64).max(1);
    anyhow::ensure!(wanted <= u64::from(u16::MAX), "{size} needs {wanted} chunks; an EVTX file holds at most 65,535");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    w.write_all(&[0u8; HEADER])?;
    for i in 0..wanted {
        w.write_all(&chunks[(i % chunks.len() as u64) as usize])?;
    }
    // File header: first chunk 0, last chunk wanted-1, chunk count, clean
    // flags; CRC32 over the first 120 bytes.
    header[8..16].copy_from_slice(&0u64.to_le_bytes());
    header[16..24].copy_from_slice(&(wanted - 1).to_le_bytes());
    header[42..44].copy_from_slice(&(wanted as u16).to_le_bytes());
    header[120..124].copy_from_slice(&0u32.to_le_bytes());
    let crc = crc32fast::hash(&header[..120]);
    header[124..128].copy_from_slice(&crc.to_le_bytes());
    let mut f = w.into_inner().map_err(|e| e.into_error())?;
    f.seek(SeekFrom::Start(0))?;
    f.write_all(&header)?;
    f.sync_all()?;
    println!("{out}: {} bytes, {wanted} chunks", HEADER as u64 + wanted * CHUNK as u64);
    Ok(())
}
