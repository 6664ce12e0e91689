//! A read-only reader of ext2/3/4 volumes, for `ingest --target`: the
//! directory tree, each regular file's bytes and its modification time
//! (seconds and nanoseconds, with the epoch bits of `i_mtime_extra`).
//!
//! The `ext4-view` crate reads ext4 well but exposes no inode times (its
//! `Metadata` has type, size, mode and owner only), and an examiner's
//! listing needs them; so the on-disk structures are read here, as the
//! kernel's `Documentation/filesystems/ext4` describes them: the superblock
//! at byte 1024, the group descriptors (32 bytes, or `s_desc_size` with the
//! `64bit` feature), inodes in each group's table, data by extent tree
//! (`0xF30A` headers, index and leaf nodes; uninitialised extents read as
//! zeros) or by the ext2/3 block map (12 direct, then single, double and
//! triple indirect blocks), and directories as their linear entries (an
//! htree's index blocks hold no live entries, so a linear scan of every
//! block lists them all). Inline data (small files kept in the inode) is read
//! from `i_block`; what does not fit there is refused by name. Journals are
//! not replayed: the volume is read as it was last written to its blocks.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// The superblock's magic.
const MAGIC: u16 = 0xEF53;
/// `EXT4_EXTENTS_FL`.
const EXTENTS: u32 = 0x0008_0000;
/// `EXT4_INLINE_DATA_FL`.
const INLINE_DATA: u32 = 0x1000_0000;
/// `INCOMPAT_64BIT`.
const INCOMPAT_64BIT: u32 = 0x80;
/// `INCOMPAT_FILETYPE`: directory entries carry a file type byte.
const INCOMPAT_FILETYPE: u32 = 0x2;

/// Whether `head` (the volume's first 2048 bytes or more) holds an
/// ext2/3/4 superblock.
pub fn is_ext(head: &[u8]) -> bool {
    head.get(1024 + 0x38..1024 + 0x3a) == Some(&MAGIC.to_le_bytes())
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// An open volume.
pub struct Ext4<R> {
    r: R,
    block: u64,
    inodes_per_group: u32,
    inodes: u32,
    inode_size: u64,
    desc_size: u64,
    gdt: u64,
    filetype: bool,
    /// The volume's size in bytes (`s_blocks_count` blocks).
    bytes: u64,
}

/// An inode's fields this reader uses.
#[derive(Debug, Clone)]
pub struct Inode {
    /// `i_mode`: type and permissions.
    pub mode: u16,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since 1970.
    pub mtime: i64,
    /// Its nanoseconds (0 when the inode has no extra fields).
    pub mtime_nsec: u32,
    flags: u32,
    block: [u8; 60],
}

impl Inode {
    /// A regular file.
    pub fn is_file(&self) -> bool {
        self.mode & 0xF000 == 0x8000
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.mode & 0xF000 == 0x4000
    }
}

/// A directory entry: name, inode number.
pub type Entry = (String, u32);

impl<R: Read + Seek> Ext4<R> {
    /// Reads the superblock of the volume `r` (its first byte at offset 0).
    pub fn open(mut r: R) -> io::Result<Self> {
        let mut sb = [0u8; 1024];
        r.seek(SeekFrom::Start(1024))?;
        r.read_exact(&mut sb)?;
        if le16(&sb, 0x38) != MAGIC {
            return Err(bad("no ext2/3/4 superblock"));
        }
        let log = le32(&sb, 0x18);
        if log > 6 {
            return Err(bad(format!("implausible block size 1024 << {log}")));
        }
        let block = 1024u64 << log;
        let inodes_per_group = le32(&sb, 0x28);
        let rev = le32(&sb, 0x4c);
        let inode_size = if rev == 0 { 128 } else { u64::from(le16(&sb, 0x58)) };
        let incompat = le32(&sb, 0x60);
        let desc_size = if incompat & INCOMPAT_64BIT != 0 { u64::from(le16(&sb, 0xfe)).max(32) } else { 32 };
        if inodes_per_group == 0 || inode_size < 128 || !inode_size.is_power_of_two() {
            return Err(bad("implausible superblock (inodes per group, inode size)"));
        }
        let first_data_block = u64::from(le32(&sb, 0x14));
        let mut blocks = u64::from(le32(&sb, 0x04));
        if incompat & INCOMPAT_64BIT != 0 {
            blocks |= u64::from(le32(&sb, 0x150)) << 32;
        }
        Ok(Self {
            r,
            block,
            inodes_per_group,
            inodes: le32(&sb, 0x00),
            inode_size,
            desc_size,
            gdt: (first_data_block + 1) * block,
            filetype: incompat & INCOMPAT_FILETYPE != 0,
            bytes: blocks.saturating_mul(block),
        })
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        self.r.seek(SeekFrom::Start(at))?;
        self.r.read_exact(buf)
    }

    fn read_block(&mut self, n: u64) -> io::Result<Vec<u8>> {
        let mut b = vec![0u8; usize::try_from(self.block).map_err(|_| bad("block size"))?];
        let at = n.checked_mul(self.block).ok_or_else(|| bad("block number out of range"))?;
        self.read_at(at, &mut b)?;
        Ok(b)
    }

    /// Inode number `n` (1-based).
    pub fn inode(&mut self, n: u32) -> io::Result<Inode> {
        if n == 0 || n > self.inodes {
            return Err(bad(format!("inode {n} out of range")));
        }
        let group = u64::from((n - 1) / self.inodes_per_group);
        let index = u64::from((n - 1) % self.inodes_per_group);
        let mut d = vec![0u8; usize::try_from(self.desc_size).map_err(|_| bad("descriptor size"))?];
        self.read_at(self.gdt + group * self.desc_size, &mut d)?;
        let mut table = u64::from(le32(&d, 0x08));
        if self.desc_size >= 64 {
            table |= u64::from(le32(&d, 0x28)) << 32;
        }
        let mut raw = vec![0u8; usize::try_from(self.inode_size).map_err(|_| bad("inode size"))?];
        let at = table
            .checked_mul(self.block)
            .and_then(|t| t.checked_add(index * self.inode_size))
            .ok_or_else(|| bad("inode table out of range"))?;
        self.read_at(at, &mut raw)?;
        let extra = if raw.len() > 0x82 { le16(&raw, 0x80) } else { 0 };
        // i_mtime is signed 32-bit; i_mtime_extra adds two epoch bits and
        // the nanoseconds.
        let mut mtime = i64::from(le32(&raw, 0x10) as i32);
        let mut mtime_nsec = 0;
        if extra >= 12 && raw.len() >= 0x8c {
            let x = le32(&raw, 0x88);
            mtime += i64::from(x & 3) << 32;
            mtime_nsec = x >> 2;
        }
        let mut block = [0u8; 60];
        block.copy_from_slice(&raw[0x28..0x28 + 60]);
        Ok(Inode {
            mode: le16(&raw, 0x00),
            size: u64::from(le32(&raw, 0x04)) | (u64::from(le32(&raw, 0x6c)) << 32),
            mtime,
            mtime_nsec,
            flags: le32(&raw, 0x20),
            block,
        })
    }

    /// The inode's data as runs (logical block, physical block, count), in
    /// logical order; uninitialised extents are left out (they read as
    /// zeros).
    fn runs(&mut self, inode: &Inode) -> io::Result<Vec<(u64, u64, u64)>> {
        let mut out = Vec::new();
        if inode.flags & EXTENTS != 0 {
            self.extent_node(&inode.block, &mut out, 0)?;
        } else {
            let per = self.block / 4;
            for i in 0..12u64 {
                let p = u64::from(le32(&inode.block, (i as usize) * 4));
                if p != 0 {
                    out.push((i, p, 1));
                }
            }
            let mut logical = 12;
            for (slot, depth) in [(12usize, 1u32), (13, 2), (14, 3)] {
                let p = u64::from(le32(&inode.block, slot * 4));
                let span = per.pow(depth);
                if p != 0 {
                    self.indirect(p, depth, logical, &mut out)?;
                }
                logical += span;
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn indirect(&mut self, block: u64, depth: u32, first: u64, out: &mut Vec<(u64, u64, u64)>) -> io::Result<()> {
        let b = self.read_block(block)?;
        let span = (self.block / 4).pow(depth - 1);
        for (i, c) in b.chunks_exact(4).enumerate() {
            let p = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            if p == 0 {
                continue;
            }
            let logical = first + i as u64 * span;
            if depth == 1 {
                out.push((logical, p, 1));
            } else {
                self.indirect(p, depth - 1, logical, out)?;
            }
        }
        Ok(())
    }

    fn extent_node(&mut self, node: &[u8], out: &mut Vec<(u64, u64, u64)>, level: u32) -> io::Result<()> {
        if node.len() < 12 || le16(node, 0) != 0xF30A {
            return Err(bad("extent header magic"));
        }
        if level > 8 {
            return Err(bad("extent tree deeper than 8"));
        }
        let entries = usize::from(le16(node, 2));
        let depth = le16(node, 6);
        for k in 0..entries {
            let e = 12 + 12 * k;
            if e + 12 > node.len() {
                return Err(bad("extent entries beyond their node"));
            }
            if depth == 0 {
                let logical = u64::from(le32(node, e));
                let len = le16(node, e + 4);
                let start = (u64::from(le16(node, e + 6)) << 32) | u64::from(le32(node, e + 8));
                // Over 32768: an uninitialised extent of len - 32768 blocks.
                if len <= 32768 {
                    out.push((logical, start, u64::from(len)));
                }
            } else {
                let leaf = u64::from(le32(node, e + 4)) | (u64::from(le16(node, e + 8)) << 32);
                let child = self.read_block(leaf)?;
                self.extent_node(&child, out, level + 1)?;
            }
        }
        Ok(())
    }

    /// Writes the inode's `size` bytes to `w` (holes as zeros); returns the
    /// bytes written.
    pub fn copy(&mut self, inode: &Inode, w: &mut impl Write) -> io::Result<u64> {
        if inode.flags & INLINE_DATA != 0 {
            let n = usize::try_from(inode.size).unwrap_or(usize::MAX);
            if n > inode.block.len() {
                return Err(bad("inline data beyond i_block (in the system.data attribute) is not read"));
            }
            w.write_all(&inode.block[..n])?;
            return Ok(inode.size);
        }
        // A size beyond the volume is a corrupt inode (or a sparse file
        // larger than the disk): not written out as zeros.
        if inode.size > self.bytes {
            return Err(bad(format!("size {} is beyond the volume's {} bytes", inode.size, self.bytes)));
        }
        let runs = self.runs(inode)?;
        let mut written = 0u64;
        let zeros = [0u8; 4096];
        let pad = |w: &mut dyn Write, mut n: u64| -> io::Result<()> {
            while n > 0 {
                let k = n.min(zeros.len() as u64);
                w.write_all(&zeros[..k as usize])?;
                n -= k;
            }
            Ok(())
        };
        // A small file's buffer is its size: staging many small files zeroes
        // no megabyte for each.
        let mut buf = vec![0u8; usize::try_from(inode.size).map_or(1 << 20, |n| n.clamp(1, 1 << 20))];
        for (logical, physical, count) in runs {
            let at = logical * self.block;
            if at >= inode.size {
                break;
            }
            if at > written {
                pad(&mut *w, at - written)?;
                written = at;
            }
            let mut left = (count * self.block).min(inode.size - at);
            let mut from = physical.checked_mul(self.block).ok_or_else(|| bad("block number out of range"))?;
            while left > 0 {
                let k = left.min(buf.len() as u64) as usize;
                self.read_at(from, &mut buf[..k])?;
                w.write_all(&buf[..k])?;
                written += k as u64;
                from += k as u64;
                left -= k as u64;
            }
        }
        if written < inode.size {
            pad(&mut *w, inode.size - written)?;
            written = inode.size;
        }
        Ok(written)
    }

    /// A directory's entries (without `.` and `..`), sorted by name.
    pub fn read_dir(&mut self, dir: &Inode) -> io::Result<Vec<Entry>> {
        let mut data = Vec::new();
        self.copy(dir, &mut data)?;
        // An inline directory starts with its parent's inode number, then
        // its entries.
        if dir.flags & INLINE_DATA != 0 {
            data.drain(..data.len().min(4));
        }
        let mut out = Vec::new();
        let bs = usize::try_from(self.block).map_err(|_| bad("block size"))?;
        for block in data.chunks(bs) {
            let mut at = 0;
            while at + 8 <= block.len() {
                let ino = le32(block, at);
                let rec = usize::from(le16(block, at + 4));
                let name_len =
                    if self.filetype { usize::from(block[at + 6]) } else { usize::from(le16(block, at + 6)) };
                if rec < 8 || at + rec > block.len() {
                    break;
                }
                if ino != 0 && at + 8 + name_len <= block.len() {
                    let name = String::from_utf8_lossy(&block[at + 8..at + 8 + name_len]).into_owned();
                    if name != "." && name != ".." {
                        out.push((name, ino));
                    }
                }
                at += rec;
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_are_not_an_ext_volume() {
        assert!(!is_ext(&[0u8; 2048]));
        assert!(Ext4::open(io::Cursor::new(vec![0u8; 4096])).is_err());
    }

    #[test]
    fn a_superblock_with_an_implausible_block_size_is_refused() {
        let mut v = vec![0u8; 4096];
        v[1024 + 0x38..1024 + 0x3a].copy_from_slice(&MAGIC.to_le_bytes());
        v[1024 + 0x18] = 40;
        let e = Ext4::open(io::Cursor::new(v)).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("implausible block size 1024 << 40"));
    }
}
