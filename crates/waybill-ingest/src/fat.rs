//! FAT12/16/32 and exFAT volumes of targets, read only.
//!
//! FAT12/16/32 is read through the `fatfs` crate (long names, cluster chains)
//! over a reader that refuses every write, so nothing can reach the evidence
//! even if the crate tried. exFAT is read here, from Microsoft's exFAT file
//! system specification: the crates that read it either expose no times
//! (`exfat` 0.1) or panic on a bad seek and mis-decode the 10 ms field
//! (`exfat-fs` 0.1).
//!
//! **Times.** FAT stores local time with no zone: the modification time is
//! read in the zone the examiner gives (`ingest --tz`, else the case's
//! zone), in 2-second steps. exFAT stores local time with its UTC offset when
//! the writer set one (Windows and exfat-fuse do), which is then used;
//! without one, the given zone is. A time that is unset (a zero date) or does
//! not exist in the zone is reported, and the file is kept.
//!
//! **Damage.** A directory whose entries cannot be read, a file whose chain is
//! broken, an exFAT entry set whose checksum fails: each is reported with the
//! path and the cause, and the rest of the volume is read. A directory can
//! hold no more entries than the volume has bytes for, and no chain more
//! clusters than the volume has: a looping chain ends there.

use std::io::{self, Read, Seek, SeekFrom, Write};

use waybill_model::time::{NaiveDateTime, Timestamp};

use crate::zone::Zone;

/// Is `head` (a volume's first sector) a FAT12/16/32 boot sector?
pub fn is_fat(head: &[u8]) -> bool {
    let Some(b) = head.get(..512) else { return false };
    let bps = u16::from_le_bytes([b[11], b[12]]);
    let spc = b[13];
    let reserved = u16::from_le_bytes([b[14], b[15]]);
    let jump = b[0] == 0xEB && b[2] == 0x90 || b[0] == 0xE9;
    jump && matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc.is_power_of_two()
        && reserved >= 1
        && matches!(b[16], 1 | 2)
        && b[510..512] == [0x55, 0xAA]
        && (matches!(&b[54..62], b"FAT12   " | b"FAT16   " | b"FAT     ") || &b[82..90] == b"FAT32   ")
}

/// Is `head` an exFAT boot sector?
pub fn is_exfat(head: &[u8]) -> bool {
    head.get(3..11) == Some(b"EXFAT   ")
}

/// Why a FAT or exFAT volume cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FatError {
    /// The boot sector or the root directory is unreadable.
    #[error("{what}: {source}")]
    Volume {
        /// What was being read.
        what: &'static str,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The boot sector's fields are not those of the file system.
    #[error("exFAT boot sector: {0}")]
    Boot(String),
}

/// What the walk finds.
pub enum Visit<'a> {
    /// A regular file: its path in the volume, its modification time (or why
    /// there is none) and its data.
    File {
        /// Path inside the volume, `/`-separated.
        rel: &'a str,
        /// The modification time in UTC, or why it could not be read.
        modified: Result<Timestamp, String>,
        /// What the reader of `modified` must know: a local time that occurs
        /// twice in the zone (the earlier instant is taken).
        caveat: Option<String>,
        /// The file's bytes.
        data: &'a mut dyn Read,
    },
    /// Something not read, and why.
    Skipped {
        /// Path inside the volume.
        rel: &'a str,
        /// Why.
        why: String,
    },
}

/// Deepest directory followed (a deeper tree is a loop in a damaged volume).
const MAX_DEPTH: usize = 128;

fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() { name.to_owned() } else { format!("{rel}/{name}") }
}

/// Walks the FAT12/16/32 or exFAT volume `volume` (by its boot sector),
/// calling `visit` for every regular file and everything left out. An error
/// `visit` returns stops the walk and is returned; a volume that cannot be
/// read at all is `Err(bad(…))`.
pub fn walk<R: Read + Seek, E>(
    volume: &mut R,
    zone: Zone,
    bad: impl Fn(FatError) -> E,
    visit: &mut dyn FnMut(Visit<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut boot = [0u8; 512];
    let head = volume
        .seek(SeekFrom::Start(0))
        .and_then(|_| volume.read_exact(&mut boot))
        .and_then(|_| volume.seek(SeekFrom::End(0)));
    let len = head.map_err(|source| bad(FatError::Volume { what: "boot sector", source }))?;
    if is_exfat(&boot) {
        let mut fs = ExFat::open(volume, &boot, len).map_err(&bad)?;
        fs.walk(zone, &bad, visit)
    } else {
        walk_fat(volume, len, zone, &bad, visit)
    }
}

/// A reader that refuses every write: what `fatfs` is given.
struct ReadOnly<'r, R>(&'r mut R);

impl<R: Read> Read for ReadOnly<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Seek> Seek for ReadOnly<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

impl<R> Write for ReadOnly<'_, R> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::PermissionDenied, "evidence is read only"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A DOS date and time (local) as UTC: at `offset_min` minutes east of UTC
/// when given, else in `zone`; with a caveat when the local time occurs twice
/// there.
fn dos_time(
    date: u16,
    time: u16,
    centis: u16,
    zone: Zone,
    offset_min: Option<i32>,
) -> Result<(Timestamp, Option<String>), String> {
    if date == 0 {
        return Err("is not set".into());
    }
    let (year, month, day) = (1980 + i64::from(date >> 9), u32::from((date >> 5) & 0xF), u32::from(date & 0x1F));
    let (hour, minute) = (u32::from(time >> 11), u32::from((time >> 5) & 0x3F));
    if centis > 199 {
        return Err(format!("has a 10 ms field of {centis} (at most 199)"));
    }
    let second = u32::from(time & 0x1F) * 2 + u32::from(centis / 100);
    let n = NaiveDateTime { year, month, day, hour, minute, second, micro: u32::from(centis % 100) * 10_000 };
    let shown = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    match offset_min {
        Some(off) => {
            n.to_utc_with_offset(off * 60).map(|t| (t, None)).map_err(|e| format!("{shown} is not a time ({e})"))
        }
        None => {
            let c = zone.to_utc(n).map_err(|e| format!("{shown} ({zone}) is not a time ({e})"))?;
            let caveat = c.ambiguous.then(|| {
                format!("its modification time {shown} occurs twice in {zone} (daylight saving time ended): the earlier instant is taken")
            });
            Ok((c.ts, caveat))
        }
    }
}

/// A time and its caveat apart.
fn split(t: Result<(Timestamp, Option<String>), String>) -> (Result<Timestamp, String>, Option<String>) {
    match t {
        Ok((t, c)) => (Ok(t), c),
        Err(e) => (Err(e), None),
    }
}

/// The FAT12/16/32 walk, through `fatfs`.
fn walk_fat<R: Read + Seek, E>(
    volume: &mut R,
    len: u64,
    zone: Zone,
    bad: &impl Fn(FatError) -> E,
    visit: &mut dyn FnMut(Visit<'_>) -> Result<(), E>,
) -> Result<(), E> {
    volume.seek(SeekFrom::Start(0)).map_err(|source| bad(FatError::Volume { what: "boot sector", source }))?;
    let fs = fatfs::FileSystem::new(ReadOnly(volume), fatfs::FsOptions::new())
        .map_err(|source| bad(FatError::Volume { what: "FAT boot sector", source }))?;
    // A directory of more entries than the volume holds loops.
    let cap = usize::try_from(len / 32).unwrap_or(usize::MAX);
    let mut stack = vec![(fs.root_dir(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        for (n, entry) in dir.iter().enumerate() {
            if n > cap {
                visit(Visit::Skipped {
                    rel: &rel,
                    why: "its directory is longer than the volume (a looping chain)".into(),
                })?;
                break;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    visit(Visit::Skipped {
                        rel: &rel,
                        why: format!("its directory could not be read past entry {n}: {e}"),
                    })?;
                    break;
                }
            };
            let name = entry.file_name();
            if name == "." || name == ".." {
                continue;
            }
            let child = join(&rel, &name);
            if entry.is_dir() {
                if depth >= MAX_DEPTH {
                    visit(Visit::Skipped { rel: &child, why: format!("deeper than {MAX_DEPTH} directories") })?;
                } else {
                    stack.push((entry.to_dir(), child, depth + 1));
                }
                continue;
            }
            let m = entry.modified();
            let (d, t) = (m.date, m.time);
            // fatfs decodes the DOS fields; they are put back to be read in the zone.
            let date = (d.year.saturating_sub(1980) << 9) | (d.month << 5) | d.day;
            let time = (t.hour << 11) | (t.min << 5) | (t.sec / 2);
            let (modified, caveat) = split(dos_time(date, time, 0, zone, None));
            let mut file = entry.to_file();
            visit(Visit::File { rel: &child, modified, caveat, data: &mut file })?;
        }
    }
    Ok(())
}

/// An exFAT volume (Microsoft's exFAT specification, sections 3, 4, 6, 7).
struct ExFat<'r, R> {
    r: &'r mut R,
    /// Bytes per cluster.
    cluster: u64,
    /// Byte offset of cluster 2.
    heap: u64,
    /// Clusters in the heap (numbered 2..count+2).
    count: u32,
    /// Byte offset of the active FAT.
    fat: u64,
    /// First cluster of the root directory.
    root: u32,
    /// The volume's length in bytes.
    len: u64,
}

/// A chain's clusters, or why it cannot be followed.
type Chain = Result<Vec<u32>, String>;

impl<'r, R: Read + Seek> ExFat<'r, R> {
    fn open(r: &'r mut R, b: &[u8; 512], len: u64) -> Result<Self, FatError> {
        let le32 = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let (bps_shift, spc_shift, fats) = (b[108], b[109], b[110]);
        if !(9..=12).contains(&bps_shift) {
            return Err(FatError::Boot(format!("BytesPerSectorShift {bps_shift} (9 to 12)")));
        }
        if u32::from(bps_shift) + u32::from(spc_shift) > 25 {
            return Err(FatError::Boot(format!("SectorsPerClusterShift {spc_shift} makes clusters over 32 MiB")));
        }
        if !matches!(fats, 1 | 2) {
            return Err(FatError::Boot(format!("NumberOfFats {fats} (1 or 2)")));
        }
        let sector = 1u64 << bps_shift;
        let active = u64::from(u16::from_le_bytes([b[106], b[107]]) & 1);
        if active == 1 && fats == 1 {
            return Err(FatError::Boot("the second FAT is active but there is one".into()));
        }
        let fat = (u64::from(le32(80)) + active * u64::from(le32(84))) * sector;
        Ok(Self {
            r,
            cluster: sector << spc_shift,
            heap: u64::from(le32(88)) * sector,
            count: le32(92),
            fat,
            root: le32(96),
            len,
        })
    }

    fn valid(&self, c: u32) -> bool {
        c >= 2 && u64::from(c) < u64::from(self.count) + 2
    }

    fn next(&mut self, c: u32) -> io::Result<u32> {
        let mut e = [0u8; 4];
        self.r.seek(SeekFrom::Start(self.fat + 4 * u64::from(c)))?;
        self.r.read_exact(&mut e)?;
        Ok(u32::from_le_bytes(e))
    }

    /// The clusters of a chain from `first`: `need` of them (contiguous when
    /// `contiguous`), or up to its end when `need` is `None`.
    fn chain(&mut self, first: u32, contiguous: bool, need: Option<u64>) -> Chain {
        if !self.valid(first) {
            return Err(format!("its first cluster {first} is not in the volume"));
        }
        let max = u64::from(self.count);
        if contiguous {
            let n = need.unwrap_or(1);
            let last = u64::from(first) + n.saturating_sub(1);
            if n > max || !u32::try_from(last).is_ok_and(|l| self.valid(l)) {
                return Err(format!("its {n} contiguous clusters from {first} run past the volume"));
            }
            return Ok((0..n).map(|i| first + i as u32).collect());
        }
        let mut out = vec![first];
        let mut c = first;
        while need.is_none_or(|n| (out.len() as u64) < n) {
            let next = self.next(c).map_err(|e| format!("its FAT entry for cluster {c} cannot be read: {e}"))?;
            if next == 0xFFFF_FFFF {
                if need.is_some() {
                    return Err(format!("its chain ends after {} clusters, short of its length", out.len()));
                }
                break;
            }
            if !self.valid(next) {
                return Err(format!("cluster {c} points to {next:#x}, not a cluster of the volume"));
            }
            if out.len() as u64 >= max {
                return Err("its chain is longer than the volume (it loops)".into());
            }
            out.push(next);
            c = next;
        }
        Ok(out)
    }

    fn read_cluster(&mut self, c: u32, buf: &mut [u8]) -> io::Result<()> {
        self.r.seek(SeekFrom::Start(self.heap + u64::from(c - 2) * self.cluster))?;
        self.r.read_exact(buf)
    }

    /// The 32-byte entries of a directory's clusters, up to the end marker.
    fn entries(&mut self, chain: &[u32], limit: Option<u64>) -> Result<Vec<[u8; 32]>, String> {
        let size = usize::try_from(self.cluster).map_err(|_| "cluster too large".to_owned())?;
        let mut buf = vec![0u8; size];
        let mut out = Vec::new();
        let limit = limit.unwrap_or(u64::MAX) / 32;
        for &c in chain {
            self.read_cluster(c, &mut buf).map_err(|e| format!("its cluster {c} cannot be read: {e}"))?;
            for e in buf.chunks_exact(32) {
                if e[0] == 0 || out.len() as u64 >= limit {
                    return Ok(out);
                }
                let mut a = [0u8; 32];
                a.copy_from_slice(e);
                out.push(a);
            }
        }
        Ok(out)
    }

    fn walk<E>(
        &mut self,
        zone: Zone,
        bad: &impl Fn(FatError) -> E,
        visit: &mut dyn FnMut(Visit<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let root = self.root;
        let chain = self.chain(root, false, None).map_err(|why| {
            bad(FatError::Volume {
                what: "exFAT root directory",
                source: io::Error::new(io::ErrorKind::InvalidData, why),
            })
        })?;
        let mut stack: Vec<(Vec<u32>, Option<u64>, String, usize)> = vec![(chain, None, String::new(), 0)];
        let mut seen = std::collections::BTreeSet::from([root]);
        while let Some((chain, limit, rel, depth)) = stack.pop() {
            let entries = match self.entries(&chain, limit) {
                Ok(e) => e,
                Err(why) => {
                    visit(Visit::Skipped { rel: &rel, why: format!("its directory: {why}") })?;
                    continue;
                }
            };
            let mut i = 0;
            while i < entries.len() {
                let e = &entries[i];
                i += 1;
                // A File directory entry (0x85, in use) opens an entry set.
                if e[0] != 0x85 {
                    continue;
                }
                let set = match file_set(&entries, i - 1) {
                    Ok(s) => s,
                    Err(why) => {
                        visit(Visit::Skipped { rel: &rel, why: format!("entry {} of its directory: {why}", i - 1) })?;
                        continue;
                    }
                };
                i += set.secondaries;
                let child = join(&rel, &set.name);
                if set.name.contains('/') || set.name == "." || set.name == ".." {
                    visit(Visit::Skipped { rel: &child, why: "its name cannot be a path".into() })?;
                    continue;
                }
                let need = set.data_len.div_ceil(self.cluster);
                let chain = if set.first == 0 && set.data_len == 0 {
                    Ok(Vec::new())
                } else {
                    self.chain(set.first, set.contiguous, Some(need))
                };
                let chain = match chain {
                    Ok(c) => c,
                    Err(why) => {
                        visit(Visit::Skipped { rel: &child, why: format!("its data could not be read: {why}") })?;
                        continue;
                    }
                };
                if set.directory {
                    if depth >= MAX_DEPTH {
                        visit(Visit::Skipped { rel: &child, why: format!("deeper than {MAX_DEPTH} directories") })?;
                    } else if set.first != 0 && !seen.insert(set.first) {
                        visit(Visit::Skipped { rel: &child, why: "a directory already read (a loop)".into() })?;
                    } else {
                        stack.push((chain, Some(set.data_len), child, depth + 1));
                    }
                    continue;
                }
                let (modified, caveat) = split(dos_time(
                    (set.modified >> 16) as u16,
                    set.modified as u16,
                    u16::from(set.modified_10ms),
                    zone,
                    utc_offset(set.modified_offset),
                ));
                let mut data =
                    ChainReader { fs: self, chain, pos: 0, valid: set.valid_len.min(set.data_len), len: set.data_len };
                visit(Visit::File { rel: &child, modified, caveat, data: &mut data })?;
            }
        }
        Ok(())
    }
}

/// An exFAT UTC offset field: minutes east of UTC when its valid bit is set.
fn utc_offset(b: u8) -> Option<i32> {
    if b & 0x80 == 0 {
        return None;
    }
    // A 7-bit two's-complement count of 15-minute steps.
    let v = i32::from(b & 0x7F);
    Some(if v >= 64 { v - 128 } else { v } * 15)
}

/// A File entry set: the File entry, its Stream Extension and File Name entries.
struct FileSet {
    secondaries: usize,
    name: String,
    directory: bool,
    modified: u32,
    modified_10ms: u8,
    modified_offset: u8,
    first: u32,
    contiguous: bool,
    valid_len: u64,
    data_len: u64,
}

/// The entry set opened by the File entry `entries[at]`, checked.
fn file_set(entries: &[[u8; 32]], at: usize) -> Result<FileSet, String> {
    let f = &entries[at];
    let secondaries = usize::from(f[1]);
    if !(2..=18).contains(&secondaries) {
        return Err(format!("a File entry with {secondaries} secondary entries (2 to 18)"));
    }
    let Some(set) = entries.get(at..=at + secondaries) else {
        return Err("a File entry whose set runs past the directory's end".into());
    };
    // SetChecksum: every byte of the set but the checksum field itself.
    let mut sum: u16 = 0;
    for (k, b) in set.iter().flatten().enumerate() {
        if k == 2 || k == 3 {
            continue;
        }
        sum = sum.rotate_right(1).wrapping_add(u16::from(*b));
    }
    let stored = u16::from_le_bytes([f[2], f[3]]);
    if sum != stored {
        return Err(format!("its entry set's checksum is {sum:#06x}, the set stores {stored:#06x}"));
    }
    let s = &set[1];
    if s[0] != 0xC0 {
        return Err(format!("a File entry followed by entry type {:#04x}, not a Stream Extension", s[0]));
    }
    let name_len = usize::from(s[3]);
    let mut units = Vec::with_capacity(name_len);
    for n in &set[2..] {
        if n[0] != 0xC1 {
            continue;
        }
        units.extend(n[2..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])));
    }
    if units.len() < name_len || name_len == 0 {
        return Err(format!("its name is {name_len} characters but the set holds {}", units.len()));
    }
    let le32 = |b: &[u8; 32], o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let le64 = |b: &[u8; 32], o: usize| u64::from(le32(b, o)) | (u64::from(le32(b, o + 4)) << 32);
    Ok(FileSet {
        secondaries,
        name: String::from_utf16_lossy(&units[..name_len]),
        directory: u16::from_le_bytes([f[4], f[5]]) & 0x10 != 0,
        modified: le32(f, 12),
        modified_10ms: f[21],
        modified_offset: f[23],
        first: le32(s, 20),
        contiguous: s[1] & 2 != 0,
        valid_len: le64(s, 8),
        data_len: le64(s, 24),
    })
}

/// A file's bytes: its clusters up to its valid data length, then zeros up to
/// its length (as the specification says the rest reads).
struct ChainReader<'f, 'r, R> {
    fs: &'f mut ExFat<'r, R>,
    chain: Vec<u32>,
    pos: u64,
    valid: u64,
    len: u64,
}

impl<R: Read + Seek> Read for ChainReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let cluster = self.fs.cluster;
        let room = buf.len() as u64;
        if self.pos >= self.valid {
            let n = (self.len - self.pos).min(room) as usize;
            buf[..n].fill(0);
            self.pos += n as u64;
            return Ok(n);
        }
        let index = usize::try_from(self.pos / cluster).map_err(|_| io::ErrorKind::InvalidData)?;
        let Some(&c) = self.chain.get(index) else {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the chain ends before the data"));
        };
        let within = self.pos % cluster;
        let n = (cluster - within).min(self.valid - self.pos).min(room) as usize;
        let at = self.fs.heap + u64::from(c - 2) * cluster + within;
        if at + n as u64 > self.fs.len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("cluster {c} is past the volume's end")));
        }
        self.fs.r.seek(SeekFrom::Start(at))?;
        self.fs.r.read_exact(&mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_offsets() {
        // exfat-fuse in New York in July writes 0xEC: valid, -20 steps.
        assert_eq!(utc_offset(0xEC), Some(-300));
        assert_eq!(utc_offset(0x84), Some(60));
        assert_eq!(utc_offset(0x6C), None);
    }

    #[test]
    fn dos_times() {
        // 2026-07-14 04:31:16 local, +1.00 s from the 10 ms field, at -05:00.
        let (t, _) = dos_time(0x5CEE, 0x23E8, 100, Zone::Utc, Some(-300)).unwrap();
        assert_eq!(t.to_string(), "2026-07-14T09:31:17.000000Z");
        let berlin: Zone = "Europe/Berlin".parse().unwrap();
        let (t, caveat) = dos_time(0x5CEE, 0x23E8, 0, berlin, None).unwrap();
        assert_eq!((t.to_string().as_str(), caveat), ("2026-07-14T02:31:16.000000Z", None));
        // 2026-10-25 02:30:00 happens twice in Berlin.
        let date = (46 << 9) | (10 << 5) | 25;
        let (t, caveat) = dos_time(date, (2 << 11) | (30 << 5), 0, berlin, None).unwrap();
        assert_eq!(t.to_string(), "2026-10-25T00:30:00.000000Z");
        assert!(caveat.is_some_and(|c| c.contains("occurs twice in Europe/Berlin")));
        assert_eq!(dos_time(0, 0, 0, Zone::Utc, None), Err("is not set".into()));
        assert!(dos_time(0x5CEE, 0x23E8, 200, Zone::Utc, None).is_err());
    }
}
