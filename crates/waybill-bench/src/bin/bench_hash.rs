//! Content-identity benchmarks (issue: content identity).
//!
//! ```text
//! bench_hash gen-tree DIR [--total SIZE]     # mixed-size files, 1 KiB … 1 GiB (default 2GiB)
//! bench_hash tree DIR                        # waybill's file-tree ingest vs `hashdeep -c md5,sha1,sha256 -r`
//! bench_hash pdq [--images N]                # PDQ on 1-megapixel JPEGs vs the pdqhash PyPI package
//! bench_hash mih [--refs N] [--files N]      # multi-index PDQ search vs a linear scan
//! ```
//!
//! Each prints one JSON object. Build with `--release`. The peer tools are found
//! on `PATH` (`hashdeep`) and in `$WAYBILL_PEERS/pdq-venv` (default
//! `~/.cache/waybill-peers`, built by `shared/tools/peer-setup.sh`); a missing peer
//! is reported as `null`, never silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use waybill_bench::{Rng, parse_size, peak_rss};
use waybill_hash::index::{Pdq, PdqIndex, distance};
use waybill_ingest::NoReporter;
use waybill_ingest::tree::{TreeRequest, ingest_tree};
use waybill_store::{Case, CaseConfig, CaseMeta};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: bench_hash gen-tree DIR [--total SIZE] | tree DIR | pdq [--images N] | mih [--refs N] [--files N]";
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    match args.first().map(String::as_str) {
        Some("gen-tree") => {
            let dir = args.get(1).context(usage)?;
            let total = match opt("--total") {
                Some(s) => parse_size(&s).context("--total: a size such as 2GiB")?,
                None => 2 << 30,
            };
            gen_tree(Path::new(dir), total)
        }
        Some("tree") => bench_tree(Path::new(args.get(1).context(usage)?)),
        Some("pdq") => bench_pdq(opt("--images").map_or(Ok(200), |s| s.parse())?),
        Some("mih") => bench_mih(
            opt("--refs").map_or(Ok(1_000_000), |s| s.parse())?,
            opt("--files").map_or(Ok(100_000), |s| s.parse())?,
        ),
        _ => bail!(usage),
    }
}

fn fill(rng: &mut Rng, buf: &mut [u8]) {
    for c in buf.chunks_mut(8) {
        let v = rng.next_u64().to_le_bytes();
        c.copy_from_slice(&v[..c.len()]);
    }
}

/// Writes pseudo-random files: one each of 1 GiB, 256, 64, 16, 4 and 1 MiB while
/// under two thirds of `total`, then files of 1 KiB … 1 MiB until `total` bytes.
fn gen_tree(dir: &Path, total: u64) -> anyhow::Result<()> {
    let mut rng = Rng::new(0x5EED_7AEE);
    let mut written = 0u64;
    let mut sizes = Vec::new();
    let mut big = 1u64 << 30;
    while big >= 1 << 20 {
        if written + big <= total / 3 * 2 {
            sizes.push(big);
            written += big;
        }
        big /= 4;
    }
    while written < total {
        let s = (1024 + rng.below(1023 * 1024)).min(total - written);
        sizes.push(s);
        written += s;
    }
    let mut buf = vec![0u8; 1 << 20];
    for (i, &size) in sizes.iter().enumerate() {
        let sub = dir.join(format!("d{:02}", i % 16));
        std::fs::create_dir_all(&sub)?;
        let mut f = std::io::BufWriter::new(std::fs::File::create(sub.join(format!("f{i:05}.bin")))?);
        let mut left = size;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            fill(&mut rng, &mut buf[..n]);
            f.write_all(&buf[..n])?;
            left -= n as u64;
        }
        f.flush()?;
    }
    println!("{{\"dir\":{:?},\"files\":{},\"bytes\":{}}}", dir.display().to_string(), sizes.len(), written);
    Ok(())
}

fn bench_tree(dir: &Path) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let config = CaseConfig {
        case: CaseMeta { name: "bench".into(), examiner: None, tz: "UTC".into(), created_by: "bench".into() },
        subjects: Vec::new(),
        context: Default::default(),
    };
    let case = Case::create(&tmp.path().join("case"), &config)?;
    let staging = case.begin_input()?;
    let req = TreeRequest { root: dir, id: staging.id(), device: None, clock: None };
    let start = Instant::now();
    let s = ingest_tree(&req, &staging, &NoReporter)?;
    let secs = start.elapsed().as_secs_f64();
    case.abort_input(staging)?;
    let hashdeep = timed(Command::new("hashdeep").args(["-c", "md5,sha1,sha256", "-r"]).arg(dir));
    let mb = s.size as f64 / 1e6;
    println!(
        "{{\"bytes\":{},\"files\":{},\"waybill_s\":{:.3},\"waybill_mb_per_s\":{:.1},\"waybill_peak_rss_mib\":{:.1},\"hashdeep_s\":{},\"hashdeep_mb_per_s\":{},\"hashes\":\"md5 sha1 sha256 dropbox quickxorhash s3(single+6 part sizes) whatsapp pdq\"}}",
        s.size,
        s.counts.records,
        secs,
        mb / secs,
        peak_rss().unwrap_or(0) as f64 / f64::from(1 << 20),
        json_num(hashdeep),
        json_num(hashdeep.map(|h| mb / h)),
    );
    Ok(())
}

/// Runs a peer command with output discarded; its wall time, or `None` when it
/// cannot run.
fn timed(cmd: &mut Command) -> Option<f64> {
    let start = Instant::now();
    let status = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status().ok()?;
    status.success().then(|| start.elapsed().as_secs_f64())
}

fn json_num(v: Option<f64>) -> String {
    v.map_or_else(|| "null".to_owned(), |v| format!("{v:.3}"))
}

/// A benign synthetic picture: gradients, blocks and noise.
fn synthetic_jpeg(rng: &mut Rng, w: u32, h: u32) -> anyhow::Result<Vec<u8>> {
    let (a, b, c) = (rng.below(255) as f32, rng.below(7) as f32 + 1.0, rng.below(5) as f32 + 1.0);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32 / w as f32, y as f32 / h as f32);
        let block = (((x / 97) + (y / 61)) % 3) as f32 * 40.0;
        let n = (rng.below(24)) as f32;
        let r = (a + 120.0 * (xf * b).sin() + block + n) as u8;
        let g = (90.0 + 100.0 * (yf * c).cos() + n) as u8;
        let bl = (255.0 * xf * yf + block) as u8;
        image::Rgb([r, g, bl])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img)?;
    Ok(out)
}

fn bench_pdq(n: usize) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let mut rng = Rng::new(42);
    let mut files: Vec<PathBuf> = Vec::new();
    for i in 0..n {
        let p = tmp.path().join(format!("img{i:04}.jpg"));
        std::fs::write(&p, synthetic_jpeg(&mut rng, 1152, 864)?)?;
        files.push(p);
    }
    // Warm the page cache for both sides.
    let bytes: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    drop(bytes);
    let run = |threads: usize| -> anyhow::Result<f64> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let start = Instant::now();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| -> anyhow::Result<()> {
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(p) = files.get(i) else { return Ok(()) };
                            let b = std::fs::read(p)?;
                            let h = waybill_hash::pdq::hash_image_bytes(&b).map_err(|e| anyhow::anyhow!("{e}"))?;
                            std::hint::black_box(h);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
            }
            Ok::<(), anyhow::Error>(())
        })?;
        Ok(start.elapsed().as_secs_f64())
    };
    let one = run(1)?;
    let two = run(2)?;
    let peers = std::env::var_os("WAYBILL_PEERS").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/waybill-peers"),
        PathBuf::from,
    );
    let py = peers.join("pdq-venv/bin/python");
    let script = "import sys,time,numpy,pdqhash\nfrom PIL import Image\nfs=sys.argv[1:]\nt=time.time()\nfor f in fs:\n    pdqhash.compute(numpy.asarray(Image.open(f).convert('RGB')))\nprint(time.time()-t)\n";
    let peer = Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok());
    let n = n as f64;
    println!(
        "{{\"images\":{},\"pixels\":\"1152x864\",\"waybill_1_thread_img_per_s\":{:.1},\"waybill_2_threads_img_per_s\":{:.1},\"pdqhash_pypi_1_thread_img_per_s\":{}}}",
        n,
        n / one,
        n / two,
        json_num(peer.map(|s| n / s)),
    );
    Ok(())
}

fn random_pdq(rng: &mut Rng) -> Pdq {
    [rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64()]
}

fn bench_mih(refs: usize, files: usize) -> anyhow::Result<()> {
    // As `waybill match` does it: the case's file hashes are indexed, and every
    // reference hash is a query. Every other file has a reference within 0–31 bits.
    let mut rng = Rng::new(7);
    let file_hashes: Vec<Pdq> = (0..files).map(|_| random_pdq(&mut rng)).collect();
    let mut qs = Vec::with_capacity(refs);
    let mut planted = 0usize;
    for i in 0..refs {
        if let Some(&h) = file_hashes.get(i).filter(|_| i % 2 == 0) {
            let mut q = h;
            for _ in 0..rng.below(32) {
                let bit = rng.below(256) as usize;
                q[bit / 64] ^= 1 << (bit % 64);
            }
            qs.push(q);
            planted += 1;
        } else {
            qs.push(random_pdq(&mut rng));
        }
    }
    let start = Instant::now();
    let index = PdqIndex::new(file_hashes.clone());
    let build = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut found = 0usize;
    for q in &qs {
        found += index.query(q, 31, &mut seen).len();
    }
    let query = start.elapsed().as_secs_f64();
    // Linear scan over a sample of the queries, extrapolated.
    let sample = refs.min(2000);
    let start = Instant::now();
    let mut lin = 0usize;
    for q in &qs[..sample] {
        lin += file_hashes.iter().filter(|h| distance(q, h) <= 31).count();
    }
    std::hint::black_box(lin);
    let linear = start.elapsed().as_secs_f64() / sample as f64 * refs as f64;
    println!(
        "{{\"refs\":{},\"files\":{},\"build_s\":{:.3},\"query_s\":{:.3},\"matches\":{},\"planted\":{},\"linear_scan_s_estimated\":{:.1},\"speedup\":{:.0},\"peak_rss_mib\":{:.1}}}",
        refs,
        files,
        build,
        query,
        found,
        planted,
        linear,
        linear / query,
        peak_rss().unwrap_or(0) as f64 / f64::from(1 << 20),
    );
    Ok(())
}
