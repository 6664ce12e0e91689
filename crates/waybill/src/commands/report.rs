//! `waybill report`: the case's reports, from the case folder.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use waybill_reason::Rulebook;
use waybill_reason::engine::Finding;
use waybill_report::{ActionRow, CaseSummary, InputRow, Report};
use waybill_store::Case;
use waybill_store::query::Query;

use crate::args::{ReportArgs, ReportFormat};
use crate::exit::ExitStatus;

/// Headless Chromium: `$WAYBILL_CHROMIUM`, else the first of chromium,
/// chromium-browser, google-chrome, google-chrome-stable on `PATH`.
fn chromium() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("WAYBILL_CHROMIUM").map(PathBuf::from).filter(|p| p.is_file()) {
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
            if dir.join(n).is_file() {
                return Ok(dir.join(n));
            }
        }
    }
    bail!(
        "--format pdf prints report.html with headless Chromium, and none was found (install chromium, or set WAYBILL_CHROMIUM to its executable); the other reports need nothing"
    )
}

/// Prints `html` to `pdf` with headless Chromium (no network: the page loads
/// nothing; every finding's details are drawn on load up to 50 findings).
fn print_pdf(exe: &Path, html: &Path, pdf: &Path) -> Result<(PathBuf, u64, String)> {
    let abs = std::path::absolute(html)?;
    let profile = tempfile::tempdir()?;
    let o = std::process::Command::new(exe)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", abs.display()))
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    let bytes = std::fs::read(pdf).ok().filter(|b| b.starts_with(b"%PDF"));
    let Some(bytes) = bytes else {
        bail!(
            "{} did not write {}: {}",
            exe.display(),
            pdf.display(),
            String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")
        );
    };
    Ok((pdf.to_owned(), bytes.len() as u64, waybill_store::chain::sha256_hex(&bytes)))
}

/// Writes the reports.
pub fn run(a: &ReportArgs) -> Result<ExitStatus> {
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let out_dir = a.out.clone().unwrap_or_else(|| a.case.join("report"));
    if std::fs::symlink_metadata(&out_dir).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!("{} is a symbolic link; reports are written only into a real folder", out_dir.display());
    }
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let book = match &a.rulebook {
        Some(dir) => Rulebook::load_dir(dir)?,
        None => Rulebook::embedded()?,
    };
    let findings = read_findings(&case)?;
    let mut stderr = std::io::stderr().lock();
    let cited: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.rulebook.as_str()).collect();
    if cited.iter().any(|s| *s != book.sha256) {
        writeln!(
            stderr,
            "warning: findings cite a rulebook other than the one given ({}); the methodology lists the given one",
            &book.sha256[..12]
        )?;
    }
    let summary = summary(&case)?;
    let report = Report { case: summary, findings, rulebook: book, validation: waybill_reason::validation::embedded() };

    let mut written: Vec<(PathBuf, u64, String)> = Vec::new();
    let put = |name: &str, bytes: &[u8]| -> Result<(PathBuf, u64, String)> {
        let p = out_dir.join(name);
        waybill_store::atomic::write(&p, bytes)?;
        Ok((p, bytes.len() as u64, waybill_store::chain::sha256_hex(bytes)))
    };
    let mut formats = dedup(&a.format);
    // The PDF is a print of report.html.
    if formats.contains(&ReportFormat::Pdf) && !formats.contains(&ReportFormat::Html) {
        formats.push(ReportFormat::Html);
    }
    let chromium = if formats.contains(&ReportFormat::Pdf) { Some(chromium()?) } else { None };
    // The timeline streams the event store; the other reports are built from
    // the findings in memory: on two threads at once.
    let (timeline, others) = std::thread::scope(|s| {
        let t = formats
            .contains(&ReportFormat::Timesketch)
            .then(|| s.spawn(|| timesketch(&case, &report, &out_dir, a.only_linked)));
        let mut others = Vec::new();
        for f in &formats {
            others.push(match f {
                ReportFormat::Html => put("report.html", waybill_report::html::render(&report).as_bytes()),
                ReportFormat::Json => {
                    waybill_report::report_json(&report).map_err(Into::into).and_then(|v| put("report.json", &v))
                }
                ReportFormat::Case => serde_json::to_vec_pretty(&waybill_report::case::document(&report))
                    .map_err(Into::into)
                    .and_then(|mut v| {
                        v.push(b'\n');
                        put("case.jsonld", &v)
                    }),
                ReportFormat::Timesketch | ReportFormat::Pdf => continue,
            });
        }
        let timeline = t.map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the timeline writer panicked"))));
        (timeline, others)
    });
    for o in others {
        written.push(o?);
    }
    if let Some(t) = timeline {
        written.push(t?);
    }
    if let Some(exe) = &chromium {
        written.push(print_pdf(exe, &out_dir.join("report.html"), &out_dir.join("report.pdf"))?);
    }
    case.append_custody(&serde_json::json!({
        "command": super::argv(),
        "action": "report",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "integrity_root": report.case.integrity_root,
        "outputs": written.iter().map(|(p, n, s)| serde_json::json!({"path": p.display().to_string(), "size": n, "sha256": s})).collect::<Vec<_>>(),
    }))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = serde_json::json!({
            "findings": report.findings.len(),
            "integrity_root": report.case.integrity_root,
            "outputs": written.iter().map(|(p, n, s)| serde_json::json!({"path": p.display().to_string(), "size": n, "sha256": s})).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for (p, n, _) in &written {
            writeln!(out, "{}  ({n} bytes)", p.display())?;
        }
        writeln!(out, "{} findings; integrity root {}", report.findings.len(), report.case.integrity_root)?;
    }
    Ok(ExitStatus::Success)
}

fn dedup(v: &[ReportFormat]) -> Vec<ReportFormat> {
    let mut out = Vec::new();
    for f in v {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    out
}

/// Every `findings/<id>.json`, in name order (content, then copy).
fn read_findings(case: &Case) -> Result<Vec<Finding>> {
    let dir = case.root().join("findings");
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_slice::<Finding>(&bytes)
                .with_context(|| format!("{} is not a waybill.finding/2 (re-run `waybill analyze`)", p.display()))
        })
        .collect()
}

fn summary(case: &Case) -> Result<CaseSummary> {
    let cfg = case.config();
    let inputs = case
        .manifest_entries()?
        .into_iter()
        .map(|m| InputRow {
            id: m.id,
            path: m.path,
            size: m.size,
            sha256: m.sha256,
            format: m.format,
            clock: m.clock,
            device: m.device,
            records: m.records,
            events: m.events,
            rejects: m.rejects,
        })
        .collect();
    let actions = case
        .custody()
        .lines()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            ActionRow {
                action: s("action"),
                command: v["command"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                tool: s("tool"),
                started: s("started"),
                finished: s("finished"),
                inputs: v["inputs"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let manifest_sha256 = case.manifest_sha256()?;
    let custody_sha256 = waybill_store::chain::sha256_hex(
        case.custody().lines().iter().map(|l| format!("{l}\n")).collect::<String>().as_bytes(),
    );
    Ok(CaseSummary {
        name: cfg.case.name.clone(),
        examiner: cfg.case.examiner.clone(),
        tz: cfg.case.tz.clone(),
        subjects: cfg.subjects.iter().map(|s| (s.kind.as_str().to_owned(), s.value.clone())).collect(),
        tool: super::tool(),
        integrity_root: waybill_report::integrity_root(&manifest_sha256, &custody_sha256),
        manifest_sha256,
        custody_sha256,
        inputs,
        actions,
    })
}

/// Streams the event table into `timeline.jsonl` (atomically: a temp file
/// renamed into place), tagging the events linked to findings.
fn timesketch(case: &Case, r: &Report, dir: &Path, only_linked: bool) -> Result<(PathBuf, u64, String)> {
    // source → record → tags (looked up by &str: no allocation per event).
    let mut tags: BTreeMap<String, std::collections::HashMap<String, Vec<String>>> = BTreeMap::new();
    for f in &r.findings {
        for c in &f.chain {
            let t = tags.entry(c.source.clone()).or_default().entry(c.record.clone()).or_default();
            for tag in [
                "waybill:linked".to_owned(),
                format!("waybill:role:{}", c.role),
                format!("waybill:verdict:{}", f.verdict),
                format!("waybill:file:{}", &f.file.sha256[..16]),
                format!("waybill:copy:{}", f.id.rsplit('-').next().unwrap_or("")),
            ] {
                if !t.contains(&tag) {
                    t.push(tag);
                }
            }
        }
    }
    let path = dir.join("timeline.jsonl");
    let tmp = dir.join(format!(".timeline.jsonl.tmp-{}", std::process::id()));
    let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let q = Query::open(case)?;
    let sql = if only_linked {
        // The linked events by (source, record): a hash join, then a sort of those alone.
        let mut src = Vec::new();
        let mut rec = Vec::new();
        for (s, m) in &tags {
            for r in m.keys() {
                src.push(s.as_str());
                rec.push(r.as_str());
            }
        }
        let batch = arrow::record_batch::RecordBatch::try_from_iter([
            ("l_source", std::sync::Arc::new(arrow::array::StringArray::from(src)) as arrow::array::ArrayRef),
            ("l_record", std::sync::Arc::new(arrow::array::StringArray::from(rec)) as arrow::array::ArrayRef),
        ])?;
        q.register_batch("linked", batch)?;
        // Let the join's dynamic filter reach the Parquet scan, so that the
        // other columns are decoded only for rows that can match.
        q.sql("SET datafusion.execution.parquet.pushdown_filters = true")?;
        "SELECT e.* FROM events e JOIN linked l ON e.source = l.l_source AND e.record = l.l_record ORDER BY e.ts, e.source, e.seq"
    } else {
        "SELECT * FROM events ORDER BY ts, source, seq"
    };
    let mut bytes = 0u64;
    let mut write_err: Option<std::io::Error> = None;
    q.sql_each(sql, |b| {
        let schema = b.schema();
        let ts_i = schema.index_of("ts").ok();
        let Some(ts_i) = ts_i else { return Ok(true) };
        let ts = b.column(ts_i).as_primitive::<TimestampMicrosecondType>();
        let src_i = schema.index_of("source").ok();
        let rec_i = schema.index_of("record").ok();
        let (Some(src_i), Some(rec_i)) = (src_i, rec_i) else { return Ok(true) };
        let (src, rec) = (b.column(src_i).as_string::<i32>(), b.column(rec_i).as_string::<i32>());
        for row in 0..b.num_rows() {
            let tag = tags.get(src.value(row)).and_then(|m| m.get(rec.value(row)));
            if only_linked && tag.is_none() {
                continue;
            }
            let mut cols = BTreeMap::new();
            for (i, f) in schema.fields().iter().enumerate() {
                if i == ts_i {
                    continue;
                }
                let c = b.column(i);
                if c.is_null(row) {
                    continue;
                }
                let v = match f.data_type() {
                    DataType::Utf8 => {
                        let s = c.as_string::<i32>().value(row);
                        if f.name() == "attrs" {
                            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
                        } else {
                            Value::String(s.to_owned())
                        }
                    }
                    DataType::Int64 => Value::from(c.as_primitive::<arrow::datatypes::Int64Type>().value(row)),
                    DataType::Int32 => Value::from(c.as_primitive::<arrow::datatypes::Int32Type>().value(row)),
                    DataType::Boolean => Value::from(c.as_boolean().value(row)),
                    _ => continue,
                };
                cols.insert(f.name().clone(), v);
            }
            let us = ts.value(row);
            let dt = waybill_model::Timestamp::from_unix_micros(us).map_or_else(|_| us.to_string(), |t| t.to_string());
            let mut line = waybill_report::timesketch::line(&dt, us, &cols, tag.map_or(&[][..], Vec::as_slice));
            line.push('\n');
            bytes += line.len() as u64;
            hasher.update(line.as_bytes());
            if let Err(e) = w.write_all(line.as_bytes()) {
                write_err = Some(e);
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if let Some(e) = write_err {
        return Err(e).with_context(|| format!("writing {}", tmp.display()));
    }
    let file = w.into_inner().map_err(|e| e.into_error()).context("flushing the timeline")?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming {}", tmp.display()))?;
    waybill_store::atomic::sync_dir(dir)?;
    Ok((path, bytes, hex::encode(hasher.finalize())))
}
