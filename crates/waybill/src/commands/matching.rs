//! `waybill match`: reference hash sets → files of interest.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use arrow::array::{Array, AsArray};
use waybill_hash::hashset::{SetReject, read_set};
use waybill_hash::matcher::{FileKeys, MatchOptions, Matcher};
use waybill_store::query::Query;
use waybill_store::{Case, InterestRow};

use crate::args::MatchArgs;
use crate::exit::ExitStatus;

/// Rejects printed per set (all are counted).
const SHOW_REJECTS: usize = 20;

/// Matches the case's files against the sets.
pub fn run(a: &MatchArgs) -> Result<ExitStatus> {
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let files = load_files(&case)?;
    let opts = MatchOptions { pdq_distance: a.pdq_distance, any_quality: a.pdq_any_quality };
    let matcher = Matcher::new(files, opts);
    let mut out = std::io::stdout().lock();
    let mut summaries = Vec::new();
    let mut rows: Vec<InterestRow> = Vec::new();
    let mut failed = false;
    for spec in &a.hashsets {
        let (pdq, path) = match spec.strip_prefix("pdq:") {
            Some(p) => (true, PathBuf::from(p)),
            None => (false, PathBuf::from(spec)),
        };
        let name = path.file_name().map_or_else(|| spec.clone(), |n| n.to_string_lossy().into_owned());
        let mut seen = Vec::new();
        let mut found = Vec::new();
        let mut rejects: Vec<SetReject> = Vec::new();
        let mut reject_count = 0u64;
        let result = read_set(&path, pdq, &mut |e| matcher.check(&e, &mut seen, &mut found), &mut |r| {
            reject_count += 1;
            if rejects.len() < SHOW_REJECTS {
                rejects.push(r);
            }
        });
        let summary = match result {
            Ok(s) => s,
            Err(e) => {
                failed = true;
                writeln!(std::io::stderr(), "error: {e}")?;
                continue;
            }
        };
        let matched: std::collections::BTreeSet<&str> = found.iter().map(|m| m.sha256.as_str()).collect();
        if !a.json {
            writeln!(
                out,
                "{name}  ({})  records {}  entries {}  rejects {}  files matched {}",
                summary.format,
                summary.records,
                summary.entries,
                summary.rejects,
                matched.len()
            )?;
            for r in &rejects {
                writeln!(out, "  reject {}: {} [{}]", r.record, r.reason, r.excerpt)?;
            }
            if reject_count > rejects.len() as u64 {
                writeln!(out, "  … {} more rejects", reject_count - rejects.len() as u64)?;
            }
        }
        let (set_sha256, set_size) = waybill_ingest::input::hash_file(&path)
            .with_context(|| format!("hashing the reference hash set {}", path.display()))?;
        summaries.push(serde_json::json!({
            "set": name,
            "path": path.display().to_string(),
            "sha256": set_sha256,
            "size": set_size,
            "format": summary.format,
            "records": summary.records,
            "entries": summary.entries,
            "rejects": summary.rejects,
            "reject_examples": rejects.iter().map(|r| serde_json::json!({"record": r.record, "reason": r.reason, "excerpt": r.excerpt})).collect::<Vec<_>>(),
            "files_matched": matched.len(),
        }));
        rows.extend(found.into_iter().map(|m| InterestRow {
            sha256: m.sha256,
            set: name.clone(),
            by: m.by.as_str().to_owned(),
            distance: i32::try_from(m.distance).unwrap_or(i32::MAX),
            value: m.value,
            category: m.category,
            record: m.record,
        }));
    }
    let mut step = case.begin_step("match")?;
    let added = case.merge_interest(rows, &mut step)?;
    let entry = serde_json::json!({
        "command": super::argv(),
        "action": "match",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "sets": summaries,
        "pdq_distance": a.pdq_distance,
        "pdq_any_quality": a.pdq_any_quality,
        "interest_rows_added": added,
    });
    case.commit_step(step, entry, None)?;
    let all = case.read_interest()?;
    let files_of_interest: std::collections::BTreeSet<&str> = all.iter().map(|r| r.sha256.as_str()).collect();
    if a.json {
        let doc = serde_json::json!({
            "sets": summaries,
            "pdq_files": matcher.pdq_files(),
            "interest_rows": all.len(),
            "interest_rows_added": added,
            "files_of_interest": files_of_interest.len(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(
            out,
            "files of interest: {} ({} rows in table interest, {added} new)",
            files_of_interest.len(),
            all.len()
        )?;
    }
    Ok(if failed { ExitStatus::Failure } else { ExitStatus::Success })
}

fn load_files(case: &Case) -> Result<Vec<FileKeys>> {
    let q = Query::open(case)?;
    let (_, batches) = q
        .sql("SELECT sha256, md5, sha1, pdq, pdq_quality FROM files ORDER BY sha256")
        .context("reading the files table")?;
    let mut files = Vec::new();
    for b in batches {
        let s = |i: usize| b.column(i).as_string::<i32>().clone();
        let (sha, md5, sha1, pdq) = (s(0), s(1), s(2), s(3));
        let quality = b.column(4).as_primitive::<arrow::datatypes::Int32Type>().clone();
        for i in 0..b.num_rows() {
            let opt = |a: &arrow::array::StringArray| (!a.is_null(i)).then(|| a.value(i).to_owned());
            files.push(FileKeys {
                sha256: sha.value(i).to_owned(),
                md5: opt(&md5),
                sha1: opt(&sha1),
                pdq: opt(&pdq).map(|p| (p, u8::try_from(quality.value(i).clamp(0, 100)).unwrap_or(0))),
            });
        }
    }
    // Content known only from evidence records (a cache entry's body, a
    // download's recorded hash, a provider's content hash) can be of interest
    // too, even when no copy was found in a file tree.
    let known: std::collections::BTreeSet<String> = files.iter().map(|f| f.sha256.to_ascii_lowercase()).collect();
    let (_, batches) = q
        .sql(
            "SELECT lower(sha256) AS sha256, min(lower(md5)) AS md5, min(lower(sha1)) AS sha1 FROM events \
             WHERE sha256 IS NOT NULL AND length(sha256) = 64 GROUP BY lower(sha256) ORDER BY 1",
        )
        .context("reading content hashes recorded in events")?;
    for b in batches {
        let (sha, md5, sha1) =
            (b.column(0).as_string::<i32>(), b.column(1).as_string::<i32>(), b.column(2).as_string::<i32>());
        for i in 0..b.num_rows() {
            if known.contains(sha.value(i)) {
                continue;
            }
            let opt = |a: &arrow::array::StringArray| (!a.is_null(i)).then(|| a.value(i).to_owned());
            files.push(FileKeys { sha256: sha.value(i).to_owned(), md5: opt(md5), sha1: opt(sha1), pdq: None });
        }
    }
    Ok(files)
}
