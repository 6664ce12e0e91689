//! `analyze` at scale: N files of interest over a large event store.
//!
//! ```text
//! bench_query --events 100000000 --case /tmp/q100m --keep   # the store (100 M events)
//! bench_analyze --case /tmp/q100m --files 10000 --waybill target/release/waybill
//! ```
//!
//! Picks N SHA-256 values that occur in the store's events, makes them files of
//! interest (table `interest`), then runs `waybill analyze CASE --json` under
//! `/usr/bin/time` and prints wall time, peak RSS and the verdict counts. Every
//! file then has one hash-linked event and the ~100 events that share its URL.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use arrow::array::{Array, AsArray};
use waybill_store::query::Query;
use waybill_store::{Case, InterestRow};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let usage = "usage: bench_analyze --case DIR [--files N] --waybill PATH";
    let root = PathBuf::from(get("--case").context(usage)?);
    let n: usize = get("--files").map_or(Ok(10_000), |v| v.parse())?;
    let waybill = PathBuf::from(get("--waybill").context(usage)?);

    let mut case = Case::open_for_write(&root)?;
    let q = Query::open(&case)?;
    let (_, batches) =
        q.sql(&format!("SELECT DISTINCT sha256 FROM events WHERE sha256 IS NOT NULL ORDER BY sha256 LIMIT {n}"))?;
    let mut rows = Vec::new();
    for b in batches {
        let s = b.column(0).as_string::<i32>();
        for i in 0..b.num_rows() {
            if !s.is_null(i) {
                rows.push(InterestRow {
                    sha256: s.value(i).to_owned(),
                    set: "bench-set.txt".into(),
                    by: "sha256".into(),
                    distance: 0,
                    value: s.value(i).to_owned(),
                    category: None,
                    record: format!("line {}", rows.len() + 1),
                });
            }
        }
    }
    let files = rows.len();
    let mut step = case.begin_step("match")?;
    case.merge_interest(rows, &mut step)?;
    case.commit_step(step, serde_json::json!({"action": "match", "command": ["bench_analyze"]}), None)?;
    drop(q);
    drop(case);

    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(&waybill)
        .args(["analyze"])
        .arg(&root)
        .arg("--json")
        .output()
        .context("running /usr/bin/time waybill analyze")?;
    if !out.status.success() {
        bail!("waybill analyze failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    let mut it = last.split_whitespace();
    let secs: f64 = it.next().unwrap_or("0").parse()?;
    let kib: f64 = it.next().unwrap_or("0").parse()?;
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        *verdicts.entry(v["verdict"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
    }
    println!(
        "{{\"files_of_interest\":{files},\"seconds\":{secs:.2},\"peak_rss_mib\":{:.0},\"verdicts\":{}}}",
        kib / 1024.0,
        serde_json::to_string(&verdicts)?
    );
    Ok(())
}
