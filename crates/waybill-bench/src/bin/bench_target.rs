//! Target-reading benchmark: `waybill ingest --target` on a generated ext4
//! image (and, with `--e01`, the same image as E01) against `cat IMAGE >
//! /dev/null` on the same file.
//!
//! ```text
//! bench_target --waybill PATH [--mib N | --files N] [--work DIR] [--e01] [--cold] [--keep]
//! ```
//!
//! Writes `N` MiB (default 1024) of generated, benign files (64 KiB to 64 MiB,
//! pseudo-random bytes) into `WORK/src` — or, with `--files N`, N small files
//! of 1 to 16 KiB in 256 folders, as a system disk holds them — makes an ext4 image of them with
//! `mke2fs -d` (e2fsprogs) and, with `--e01`, an E01 with `ewfacquire`
//! (ewf-tools, deflate fast). Then, each with a warm page cache, or with
//! `--cold` after dropping the page cache before each run (root: `sync` and
//! `/proc/sys/vm/drop_caches`): the read
//! rate of the image by this process (the `cat` baseline, 1 MiB reads), and
//! the wall time and peak RSS (the child's `VmHWM`) of `waybill case new` +
//! `waybill ingest CASE --target IMAGE` (stage every file, hash it with every
//! hash, read every artifact). Build with `--release`. With `--keep`, the
//! work folder and its images are left for other tools (the plaso parity
//! script, `peer/plaso_e01_parity.sh`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// xorshift64*: fast, deterministic filler bytes.
struct Fill(u64);

impl Fill {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn generate(dir: &Path, mib: u64) -> Result<u64> {
    std::fs::create_dir_all(dir)?;
    let mut fill = Fill(0x9E37_79B9_7F4A_7C15);
    let (mut total, mut n) = (0u64, 0u32);
    let target = mib << 20;
    let mut buf = vec![0u8; 1 << 20];
    while total < target {
        let size = (64 << 10) + fill.next() % (64 << 20);
        let size = size.min(target - total).max(1);
        let sub = dir.join(format!("d{:02}", n % 16));
        std::fs::create_dir_all(&sub)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(sub.join(format!("file-{n:05}.bin")))?);
        let mut left = size;
        while left > 0 {
            for c in buf.chunks_exact_mut(8) {
                c.copy_from_slice(&fill.next().to_le_bytes());
            }
            let k = left.min(buf.len() as u64) as usize;
            f.write_all(&buf[..k])?;
            left -= k as u64;
        }
        f.flush()?;
        total += size;
        n += 1;
    }
    Ok(total)
}

/// `n` small files (1–16 KiB) in 256 folders; their total size.
fn generate_small(dir: &Path, n: u32) -> Result<u64> {
    let mut fill = Fill(0x2545_F491_4F6C_DD1D);
    let mut total = 0u64;
    for i in 0..n {
        let sub = dir.join(format!("d{:03}", i % 256));
        std::fs::create_dir_all(&sub)?;
        let size = 1024 + (fill.next() % (15 * 1024)) as usize;
        let bytes: Vec<u8> = (0..size.div_ceil(8)).flat_map(|_| fill.next().to_le_bytes()).take(size).collect();
        std::fs::write(sub.join(format!("file-{i:06}.bin")), &bytes)?;
        total += size as u64;
    }
    Ok(total)
}

/// Reads `path` through (1 MiB reads), as `cat` would.
fn cat(path: &Path) -> Result<Duration> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let t = Instant::now();
    while f.read(&mut buf)? > 0 {}
    Ok(t.elapsed())
}

/// Runs a command to completion; wall time and the child's peak RSS (KiB).
fn timed(cmd: &mut Command) -> Result<(Duration, u64)> {
    let t = Instant::now();
    let mut child = cmd.stdout(std::process::Stdio::null()).spawn().context("starting waybill")?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{cmd:?} failed: {status}");
            }
            return Ok((t.elapsed(), peak));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Empties the page cache (root only).
fn drop_caches() -> Result<()> {
    Command::new("sync").status()?;
    std::fs::write("/proc/sys/vm/drop_caches", "3").context("--cold needs root (/proc/sys/vm/drop_caches)")
}

fn measure(waybill: &Path, work: &Path, image: &Path, label: &str, cold: bool) -> Result<()> {
    // The baseline, from a warm or an emptied page cache.
    if cold {
        drop_caches()?;
    } else {
        cat(image)?;
    }
    let base = cat(image)?;
    let size = std::fs::metadata(image)?.len() as f64;
    let case = work.join(format!("case-{label}"));
    if case.exists() {
        std::fs::remove_dir_all(&case)?;
    }
    let status =
        Command::new(waybill).arg("case").arg("new").arg(&case).stdout(std::process::Stdio::null()).status()?;
    if !status.success() {
        bail!("case new failed");
    }
    if cold {
        drop_caches()?;
    }
    let (wall, peak) = timed(Command::new(waybill).arg("ingest").arg(&case).arg("--target").arg(image))?;
    let mb = |d: Duration| size / d.as_secs_f64() / 1e6;
    println!(
        "{label}{}: {:.0} MiB image; cat {:.2} s ({:.0} MB/s); waybill ingest --target {:.2} s ({:.0} MB/s, {:.0} % of cat), peak RSS {} MiB",
        if cold { ", cold cache" } else { ", warm cache" },
        size / 1048576.0,
        base.as_secs_f64(),
        mb(base),
        wall.as_secs_f64(),
        mb(wall),
        100.0 * base.as_secs_f64() / wall.as_secs_f64(),
        peak / 1024
    );
    std::fs::remove_dir_all(&case)?;
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let waybill = PathBuf::from(get("--waybill").unwrap_or_else(|| "target/release/waybill".into()));
    let mib: u64 = get("--mib").map_or(Ok(1024), |v| v.parse())?;
    let work = match get("--work") {
        Some(w) => PathBuf::from(w),
        None => std::env::temp_dir().join("waybill-bench-target"),
    };
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    let src = work.join("src");
    let total = match get("--files") {
        Some(n) => generate_small(&src, n.parse()?)?,
        None => generate(&src, mib)?,
    };
    let image = work.join("disk-ext4.img");
    // Room for the data, a block's slack per file and the inode tables.
    let fs_mib = total / 1048576 * 11 / 10 + 64 + get("--files").map_or(0, |n| n.parse::<u64>().unwrap_or(0) / 128);
    let ok = Command::new("mke2fs")
        .args(["-q", "-t", "ext4", "-d"])
        .arg(&src)
        .arg(&image)
        .arg(format!("{fs_mib}M"))
        .status()
        .context("mke2fs (e2fsprogs) is needed")?;
    if !ok.success() {
        bail!("mke2fs failed");
    }
    std::fs::remove_dir_all(&src)?;
    let cold = args.iter().any(|a| a == "--cold");
    measure(&waybill, &work, &image, "ext4 raw", cold)?;
    if args.iter().any(|a| a == "--e01") {
        let stem = work.join("disk");
        let ok = Command::new("ewfacquire")
            .args(["-u", "-q", "-c", "deflate:fast", "-f", "encase6", "-t"])
            .arg(&stem)
            .arg(&image)
            .stdout(std::process::Stdio::null())
            .status()
            .context("ewfacquire (ewf-tools) is needed for --e01")?;
        if !ok.success() {
            bail!("ewfacquire failed");
        }
        measure(&waybill, &work, &work.join("disk.E01"), "ext4 in E01", cold)?;
    }
    if args.iter().any(|a| a == "--keep") {
        println!("kept {}", work.display());
    } else {
        std::fs::remove_dir_all(&work)?;
    }
    Ok(())
}
