//! Query benchmark: a case with N synthetic events (written straight to the
//! store in 1 M-row parts), then timed queries through the same DataFusion
//! session as `waybill sql`.
//!
//! ```text
//! bench_query --events 100000000 [--case DIR] [--keep]
//! bench_query --case DIR --reuse          # query an existing bench case again
//! ```

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Instant;

use waybill_bench::Rng;
use waybill_ingest::PartSink;
use waybill_model::schema::{EventBatchBuilder, InputContext};
use waybill_model::{Event, EventKind, EventSink, Precision, RecordRef, Timestamp};
use waybill_store::query::Query;
use waybill_store::{Case, CaseConfig, CaseMeta, ManifestEntry};

const PART_ROWS: u64 = 1 << 20;
const KINDS: &[EventKind] = &[
    EventKind::HttpRequest,
    EventKind::HttpRequest,
    EventKind::HttpRequest,
    EventKind::HttpRequest,
    EventKind::BrowserVisit,
    EventKind::FsModified,
    EventKind::FsAccessed,
    EventKind::BrowserDownload,
    EventKind::MsgReceived,
    EventKind::CloudSyncDownload,
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let n: u64 = get("--events").map_or(Ok(10_000_000), |v| v.parse())?;
    let reuse = args.iter().any(|a| a == "--reuse");
    let tmp = tempfile::tempdir_in(std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()))?;
    let root = get("--case").map_or_else(|| tmp.path().join("case"), PathBuf::from);
    if !reuse {
        let t = Instant::now();
        write_case(&root, n)?;
        eprintln!("wrote {n} events in {:.1} s", t.elapsed().as_secs_f64());
    }
    let case = Case::open(&root)?;
    let q = Query::open(&case)?;
    for sql in [
        "SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind",
        "SELECT count(*) FROM events WHERE ts BETWEEN '2026-01-02T00:00:00Z' AND '2026-01-02T00:10:00Z'",
        "SELECT count(*) FROM events WHERE sha256 = '00000000000000000000000000000000000000000000000000000000deadbeef'",
    ] {
        let t = Instant::now();
        let (_, batches) = q.sql(sql)?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!(
            "{{\"query\":{sql:?},\"seconds\":{:.3},\"result_rows\":{rows},\"peak_rss_mib\":{:.1}}}",
            t.elapsed().as_secs_f64(),
            waybill_bench::peak_rss().unwrap_or(0) as f64 / (1 << 20) as f64
        );
    }
    if args.iter().any(|a| a == "--keep") {
        eprintln!("case kept at {}", root.display());
        std::mem::forget(tmp);
    }
    Ok(())
}

fn write_case(root: &std::path::Path, n: u64) -> anyhow::Result<()> {
    let config = CaseConfig {
        case: CaseMeta { name: "bench".into(), examiner: None, tz: "UTC".into(), created_by: "bench".into() },
        subjects: Vec::new(),
        context: Default::default(),
    };
    let mut case = Case::create(root, &config)?;
    let staging = case.begin_input()?;
    let id = staging.id().to_owned();
    let ctx = InputContext {
        format: "apache.access".into(),
        source: id.clone(),
        clock: "host:bench".into(),
        device: None,
        tz_name: None,
    };
    let parts = n.div_ceil(PART_ROWS);
    let workers = std::thread::available_parallelism().map_or(1, |p| p.get()) as u64;
    let start = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z")?.unix_micros();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let staging = &staging;
                let ctx = ctx.clone();
                s.spawn(move || -> anyhow::Result<()> {
                    let mut part = w;
                    while part < parts {
                        let rows = PART_ROWS.min(n - part * PART_ROWS);
                        let mut b = EventBatchBuilder::new(ctx.clone(), u32::try_from(part)?);
                        let mut rng = Rng::new(part + 1);
                        for i in 0..rows {
                            let k = part * PART_ROWS + i;
                            let ts = Timestamp::from_unix_micros(start + (k as i64) * 3_000)?;
                            let kind = *rng.pick(KINDS);
                            let mut e = Event::new(
                                kind,
                                ts,
                                Precision::Second,
                                RecordRef::Line { offset: k * 250, line: k + 1 },
                            );
                            e.client_ip = Some(Cow::Owned(format!("203.0.113.{}", rng.below(254) + 1)));
                            e.url = Some(Cow::Owned(format!("https://www.example.com/item/{}", rng.below(1_000_000))));
                            e.status = Some(200);
                            e.size = Some(rng.below(1 << 20) as i64);
                            if rng.below(50) == 0 {
                                e.sha256 = Some(Cow::Owned(format!("{:064x}", rng.next_u64())));
                            }
                            b.event(e);
                            b.accepted();
                        }
                        staging.events(u32::try_from(part)?, b.take_batch()?).map_err(|e| anyhow::anyhow!(e))?;
                        part += workers;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
        }
        Ok(())
    })?;
    let entry = ManifestEntry {
        id: String::new(),
        path: "synthetic".into(),
        size: 0,
        sha256: "0".repeat(64),
        format: "apache.access".into(),
        parser_version: 1,
        chosen_by: "--format".into(),
        compression: None,
        companions: Vec::new(),
        device: None,
        clock: "host:bench".into(),
        tz: "UTC".into(),
        log_format: None,
        notes: Vec::new(),
        records: n,
        events: n,
        rejects: 0,
        outputs: Vec::new(),
        prev: String::new(),
    };
    case.commit_input(staging, entry)?;
    Ok(())
}
