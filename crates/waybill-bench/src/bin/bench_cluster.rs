//! The cluster path at scale: a Ballista scheduler and 1, then 2, executors
//! (`waybill cluster …`, a binary built with `--features ballista`) run a full
//! scan and `analyze` on a case made by `bench_query`, beside the local path.
//!
//! ```text
//! bench_query --events 100000000 --case /tmp/q100m --keep
//! bench_analyze --case /tmp/q100m --files 1000 --waybill target/release/waybill   # makes the files of interest
//! bench_cluster --case /tmp/q100m --waybill target/release/waybill [--executors 1,2] [--memory 2G] [--tasks 2]
//! ```
//!
//! For each count of executors it prints one JSON line: the wall time and
//! events per second of the full scan (`GROUP BY kind` over every event) and of
//! `analyze` (its candidate queries run on the cluster, the evaluation here),
//! the peak RSS of each executor (`VmHWM`, read before it is stopped), and
//! whether the scan's rows and `analyze --json` are byte-identical to the
//! local run's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Peak resident set of a running process (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn run(waybill: &Path, args: &[&str]) -> anyhow::Result<(Vec<u8>, f64)> {
    let t = Instant::now();
    let out = Command::new(waybill).args(args).output().with_context(|| format!("running waybill {args:?}"))?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("waybill {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((out.stdout, secs))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let usage = "usage: bench_cluster --case DIR --waybill PATH [--executors 1,2] [--memory 2G] [--tasks N]";
    let case = PathBuf::from(get("--case").context(usage)?);
    let waybill = PathBuf::from(get("--waybill").context(usage)?);
    let counts: Vec<usize> =
        get("--executors").unwrap_or_else(|| "1,2".into()).split(',').map(str::parse).collect::<Result<_, _>>()?;
    let memory = get("--memory").unwrap_or_else(|| "2G".into());
    let tasks = get("--tasks").unwrap_or_else(|| "2".into());
    let case_s = case.to_str().context("a UTF-8 case path")?;
    let work = tempfile::tempdir()?;

    const SCAN: &str = "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind";
    let (scan_local, scan_local_s) = run(&waybill, &["sql", case_s, SCAN, "--format", "csv"])?;
    let events: u64 = String::from_utf8_lossy(&scan_local)
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.parse::<u64>().ok())
        .sum();
    let (analyze_local, analyze_local_s) = run(&waybill, &["analyze", case_s, "--json"])?;
    println!(
        "{{\"path\":\"local\",\"events\":{events},\"scan_seconds\":{scan_local_s:.2},\"scan_events_per_s\":{:.0},\"analyze_seconds\":{analyze_local_s:.2}}}",
        events as f64 / scan_local_s
    );

    for &n in &counts {
        let sched = free_port()?;
        let _scheduler = Running(
            Command::new(&waybill)
                .args(["cluster", "scheduler", "--bind", &format!("127.0.0.1:{sched}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
        let mut executors = Vec::new();
        for i in 0..n {
            let dir = work.path().join(format!("x{n}-{i}"));
            std::fs::create_dir_all(&dir)?;
            let (port, grpc) = (free_port()?, free_port()?);
            executors.push(Running(
                Command::new(&waybill)
                    .args(["cluster", "executor", "--scheduler", &format!("127.0.0.1:{sched}")])
                    .args(["--port", &port.to_string(), "--grpc-port", &grpc.to_string()])
                    .args(["--tasks", &tasks, "--memory", &memory])
                    .arg("--work-dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            ));
        }
        let url = format!("df://127.0.0.1:{sched}");
        let up = Instant::now();
        while run(&waybill, &["sql", case_s, "SELECT 1 AS one FROM events LIMIT 1", "--cluster", &url]).is_err() {
            if up.elapsed() > Duration::from_secs(60) {
                bail!("the cluster of {n} executor(s) did not answer within 60 s");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        // Every executor registers at start; give the last one its first heartbeat.
        std::thread::sleep(Duration::from_secs(2));
        let (scan, scan_s) = run(&waybill, &["sql", case_s, SCAN, "--format", "csv", "--cluster", &url])?;
        let (analyze, analyze_s) = run(&waybill, &["analyze", case_s, "--json", "--cluster", &url])?;
        let rss: Vec<String> =
            executors.iter().map(|e| format!("{:.0}", peak_rss_mib(e.0.id()).unwrap_or(f64::NAN))).collect();
        println!(
            "{{\"path\":\"cluster\",\"executors\":{n},\"tasks_each\":{tasks},\"memory_each\":{memory:?},\"events\":{events},\"scan_seconds\":{scan_s:.2},\"scan_events_per_s\":{:.0},\"analyze_seconds\":{analyze_s:.2},\"executor_peak_rss_mib\":[{}],\"scan_equal\":{},\"analyze_equal\":{}}}",
            events as f64 / scan_s,
            rss.join(","),
            scan == scan_local,
            analyze == analyze_local
        );
    }
    Ok(())
}
