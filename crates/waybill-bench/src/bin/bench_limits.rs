//! Hostile sizes, end to end through the CLI, with bounded memory.
//!
//! ```text
//! bench_limits --dir /work/bench/limits --waybill target/release/waybill [--line-gib 10] [--rejects 100000000]
//! ```
//!
//! Writes three inputs (each skipped when already there with the right size) and
//! ingests each into its own case under `/usr/bin/time`, printing wall time, peak
//! RSS and the counts the manifest recorded:
//! 1. `one_line.log`: a single line of `--line-gib` GiB (no newline) — one
//!    record, one `too long` reject;
//! 2. `big_row.sqlite`: a macOS quarantine database whose second row holds
//!    950 MB (values of 700 MB and 250 MB) between two ordinary rows — SQLite
//!    caps a whole row at 10^9 bytes unless built otherwise, so this is the
//!    largest row a stock database can hold — three records, the big one a
//!    reject, the others events;
//! 3. `rejects.log`: `--rejects` lines that are not log lines — every one a
//!    reject, kept in the case with its excerpt.
//!
//! The manifest's counts are printed beside the command's own.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let usage = "usage: bench_limits --dir DIR --waybill PATH [--line-gib N] [--rejects N]";
    let dir = PathBuf::from(get("--dir").context(usage)?);
    let waybill = PathBuf::from(get("--waybill").context(usage)?);
    let line_gib: u64 = get("--line-gib").map_or(Ok(10), |v| v.parse())?;
    let rejects: u64 = get("--rejects").map_or(Ok(100_000_000), |v| v.parse())?;
    std::fs::create_dir_all(&dir)?;

    let one_line = dir.join("one_line.log");
    let line_len = line_gib << 30;
    if std::fs::metadata(&one_line).map(|m| m.len()).ok() != Some(line_len) {
        let mut f = std::io::BufWriter::with_capacity(8 << 20, std::fs::File::create(&one_line)?);
        let block = vec![b'a'; 8 << 20];
        let mut left = line_len;
        while left > 0 {
            let n = left.min(block.len() as u64);
            f.write_all(&block[..usize::try_from(n)?])?;
            left -= n;
        }
        f.flush()?;
    }

    let big_row = dir.join("big_row.sqlite");
    if !big_row.exists() {
        let conn = rusqlite::Connection::open(&big_row)?;
        conn.execute_batch(
            "CREATE TABLE LSQuarantineEvent (LSQuarantineEventIdentifier TEXT PRIMARY KEY NOT NULL,
               LSQuarantineTimeStamp REAL, LSQuarantineAgentBundleIdentifier TEXT, LSQuarantineAgentName TEXT,
               LSQuarantineDataURLString TEXT, LSQuarantineSenderName TEXT, LSQuarantineSenderAddress TEXT,
               LSQuarantineTypeNumber INTEGER, LSQuarantineOriginTitle TEXT, LSQuarantineOriginURLString TEXT,
               LSQuarantineOriginAlias BLOB);
             INSERT INTO LSQuarantineEvent VALUES ('A', 789000000.0, 'com.apple.Safari', 'Safari',
               'https://www.example.com/a.pdf', NULL, NULL, 0, NULL, 'https://www.example.com/', NULL);
             INSERT INTO LSQuarantineEvent VALUES ('B', 789000060.0, 'com.apple.Safari', 'Safari',
               CAST(zeroblob(700000000) AS TEXT), NULL, NULL, 0, NULL, NULL, zeroblob(250000000));
             INSERT INTO LSQuarantineEvent VALUES ('C', 789000120.0, 'com.apple.Safari', 'Safari',
               'https://www.example.com/c.pdf', NULL, NULL, 0, NULL, 'https://www.example.com/', NULL);",
        )?;
    }

    let rejects_log = dir.join("rejects.log");
    let reject_line: &[u8] = b"not a log line\n";
    if std::fs::metadata(&rejects_log).map(|m| m.len()).ok() != Some(rejects * reject_line.len() as u64) {
        let mut f = std::io::BufWriter::with_capacity(8 << 20, std::fs::File::create(&rejects_log)?);
        for _ in 0..rejects {
            f.write_all(reject_line)?;
        }
        f.flush()?;
    }

    for (name, input, format) in [
        ("one_line", &one_line, "apache.access"),
        ("big_row", &big_row, "macos.quarantine"),
        ("rejects", &rejects_log, "apache.access"),
    ] {
        run(&waybill, &dir, name, input, format)?;
    }
    Ok(())
}

fn run(waybill: &Path, dir: &Path, name: &str, input: &Path, format: &str) -> anyhow::Result<()> {
    let case = dir.join(format!("case-{name}"));
    if case.exists() {
        std::fs::remove_dir_all(&case)?;
    }
    let st = Command::new(waybill).arg("case").arg("new").arg(&case).output()?;
    if !st.status.success() {
        bail!("case new: {}", String::from_utf8_lossy(&st.stderr));
    }
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(waybill)
        .arg("ingest")
        .arg(&case)
        .arg(input)
        .args(["--format", format, "--json"])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (secs, kib) = stderr.lines().last().and_then(|l| l.split_once(' ')).context("no /usr/bin/time line")?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).context("ingest --json output")?;
    let i = &doc["inputs"][0];
    let (records, events, rej) = (i["records"].as_u64(), i["events"].as_u64(), i["rejects"].as_u64());
    let size = std::fs::metadata(input)?.len();
    let kib: u64 = kib.trim().parse()?;
    println!(
        "{name}: {} bytes in {secs} s, peak RSS {} MiB; records {records:?} events {events:?} rejects {rej:?}",
        size,
        kib / 1024
    );
    if let Some(msg) = i["message"].as_str() {
        // Refused as a whole (every record rejected under a forced format):
        // nothing is committed, the summary says why.
        println!("  {}: {msg}", i["status"].as_str().unwrap_or("?"));
        return Ok(());
    }
    let manifest = std::fs::read_to_string(case.join("manifest.jsonl"))?;
    let m: serde_json::Value = serde_json::from_str(manifest.lines().next().context("no manifest line")?)?;
    let (r, e, j) = (m["records"].as_u64(), m["events"].as_u64(), m["rejects"].as_u64());
    println!("  manifest: records {r:?} events {e:?} rejects {j:?}");
    if (r, e, j) != (records, events, rej) {
        bail!("{name}: the manifest and the command disagree");
    }
    Ok(())
}
