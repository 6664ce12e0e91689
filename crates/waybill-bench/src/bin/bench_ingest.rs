//! End-to-end ingest benchmark: a fresh case, one input, parse + Parquet write.
//!
//! ```text
//! bench_ingest FILE [--log-format SPEC] [--case DIR]
//! ```
//!
//! Prints input size, wall time, MB/s, events, events/s and peak resident memory
//! (VmHWM of this process). Build with `--release`.

use std::time::Instant;

use waybill_ingest::{IngestRequest, LogFormatSpec, NoReporter, ParseContext, ingest};
use waybill_store::{Case, CaseConfig, CaseMeta, ManifestEntry};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file =
        args.first().ok_or_else(|| anyhow::anyhow!("usage: bench_ingest FILE [--log-format SPEC] [--case DIR]"))?;
    let mut log_format = None;
    let mut case_dir = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--log-format" => {
                log_format = Some(
                    args.get(i + 1)
                        .ok_or_else(|| anyhow::anyhow!("--log-format needs a value"))?
                        .parse::<LogFormatSpec>()?,
                );
                i += 2;
            }
            "--case" => {
                case_dir = Some(std::path::PathBuf::from(
                    args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--case needs a value"))?,
                ));
                i += 2;
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let tmp = tempfile::tempdir()?;
    let root = case_dir.unwrap_or_else(|| tmp.path().join("case"));
    let config = CaseConfig {
        case: CaseMeta { name: "bench".into(), examiner: None, tz: "UTC".into(), created_by: "bench".into() },
        subjects: Vec::new(),
        context: Default::default(),
    };
    let start = Instant::now();
    let mut case = Case::create(&root, &config)?;
    let ctx = ParseContext { log_format: log_format.clone(), ..ParseContext::default() };
    let staging = case.begin_input()?;
    let path = std::path::Path::new(file);
    let req =
        IngestRequest { path, id: staging.id(), format: None, device: None, clock: None, ctx: &ctx, scratch: None };
    let s = ingest(&req, &staging, &NoReporter)?;
    let entry = ManifestEntry {
        id: String::new(),
        path: file.clone(),
        size: s.size,
        sha256: s.sha256.clone(),
        format: s.format.to_owned(),
        parser_version: s.parser_version,
        chosen_by: s.chosen_by.to_owned(),
        compression: None,
        companions: Vec::new(),
        device: None,
        clock: s.clock.clone(),
        tz: "UTC".into(),
        log_format: log_format.map(|l| l.to_string()),
        notes: s.notes.clone(),
        records: s.counts.records,
        events: s.counts.events,
        rejects: s.counts.rejects,
        outputs: Vec::new(),
        prev: String::new(),
    };
    case.commit_input(staging, entry)?;
    let secs = start.elapsed().as_secs_f64();
    let mb = s.size as f64 / 1e6;
    println!(
        "{{\"file\":{:?},\"format\":{:?},\"bytes\":{},\"seconds\":{:.3},\"mb_per_s\":{:.1},\"records\":{},\"events\":{},\"rejects\":{},\"events_per_s\":{:.0},\"peak_rss_mib\":{:.1},\"threads\":{}}}",
        file,
        s.format,
        s.size,
        secs,
        mb / secs,
        s.counts.records,
        s.counts.events,
        s.counts.rejects,
        s.counts.events as f64 / secs,
        waybill_bench::peak_rss().unwrap_or(0) as f64 / (1 << 20) as f64,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    Ok(())
}
