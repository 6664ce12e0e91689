//! `waybill analyze`: a finding for every file of interest.
//!
//! Candidate events are selected with DataFusion queries over the Parquet store
//! (hash, URL, path and time predicates, pushed down to the row groups); the
//! reasoning itself is `waybill_reason::analyze`, a pure function.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

use anyhow::{Context as _, Result, bail};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use waybill_reason::Rulebook;
use waybill_reason::engine::{Coverage, Ev, FileOfInterest, Matched, WINDOW_S, analyze, arrival_estimate};
use waybill_reason::rule::Scope;
use waybill_reason::url::{host_of, normalize, path_of, same_resource};
use waybill_store::Case;
use waybill_store::query::Query;

use crate::args::AnalyzeArgs;
use crate::exit::ExitStatus;

/// Runs the analysis.
pub fn run(a: &AnalyzeArgs) -> Result<ExitStatus> {
    let started = super::now();
    let mut case = Case::open_for_write(&a.case)?;
    let book = match &a.rulebook {
        Some(dir) => Rulebook::load_dir(dir)?,
        None => Rulebook::embedded()?,
    };
    if let Some(f) = a.file.as_ref().filter(|f| !is_hex(f, 64)) {
        bail!("--file takes a SHA-256 (64 hex digits), not {f:?}");
    }
    let interest = case.read_interest()?;
    let mut files: BTreeMap<String, Vec<Matched>> = BTreeMap::new();
    for r in &interest {
        if a.file.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case(&r.sha256)) {
            continue;
        }
        files.entry(r.sha256.clone()).or_default().push(Matched {
            set: r.set.clone(),
            by: r.by.clone(),
            distance: i64::from(r.distance),
        });
    }
    if let Some(f) = a.file.as_ref().filter(|_| files.is_empty()) {
        bail!("{f} is not a file of interest of this case (run `waybill match` first)");
    }
    let q = Query::open(&case)?;
    let coverage = coverage(&q, &book, &case)?;
    let inputs = case.manifest_sha256()?;
    let nearby_kinds: BTreeSet<&str> = book
        .rules
        .iter()
        .filter(|r| matches!(r.condition.scope, Scope::Before | Scope::Around | Scope::After))
        .flat_map(|r| r.condition.kinds.iter().map(String::as_str))
        .collect();
    let mut out = std::io::stdout().lock();
    let mut written = Vec::new();
    for (sha, mut matched) in files {
        matched.sort();
        matched.dedup();
        let (paths, md5, sha1) = file_keys(&q, &sha)?;
        let linked = linked_events(&q, &sha, md5.as_deref(), sha1.as_deref(), &paths)?;
        let nearby = match arrival_estimate(&linked) {
            Some((t, offset)) => {
                let margin = (WINDOW_S * 1_000_000) + offset + 1_000_000;
                let kinds = nearby_kinds.iter().map(|k| sql_str(k)).collect::<Vec<_>>().join(", ");
                if kinds.is_empty() {
                    Vec::new()
                } else {
                    events(
                        &q,
                        &format!(
                            "kind IN ({kinds}) AND ts BETWEEN to_timestamp_micros({}) AND to_timestamp_micros({})",
                            t - margin,
                            t + margin
                        ),
                    )?
                }
            }
            None => Vec::new(),
        };
        let file = FileOfInterest { sha256: sha.clone(), paths: paths.clone(), matched };
        let finding = analyze(file, &linked, &nearby, &coverage, &book, &inputs);
        let mut json = serde_json::to_vec_pretty(&finding)?;
        json.push(b'\n');
        let path = case.write_finding(&sha, &json)?;
        let shown = paths.first().cloned().unwrap_or_else(|| sha.clone());
        let arrival = finding.arrival.as_ref().map_or("-", |a| a.ts.as_str());
        if a.json {
            let doc = serde_json::json!({
                "sha256": sha,
                "path": shown,
                "arrival": finding.arrival,
                "verdict": finding.verdict,
                "log10_lr": finding.log10_lr,
                "log10_lr_range": finding.log10_lr_range,
                "verbal": finding.verbal,
                "gaps": finding.gaps.len(),
                "finding": path.display().to_string(),
            });
            writeln!(out, "{}", serde_json::to_string(&doc)?)?;
        } else {
            writeln!(
                out,
                "{shown}  {arrival}  {:<14}  log10 LR {:+.2} [{:+.2}, {:+.2}]  {}",
                finding.verdict, finding.log10_lr, finding.log10_lr_range[0], finding.log10_lr_range[1], finding.verbal
            )?;
        }
        written.push(serde_json::json!({"sha256": sha, "verdict": finding.verdict, "log10_lr": finding.log10_lr}));
    }
    if written.is_empty() && !a.json {
        writeln!(out, "no files of interest (run `waybill match` first)")?;
    }
    case.append_custody(&serde_json::json!({
        "command": super::argv(),
        "action": "analyze",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "rulebook": book.sha256,
        "inputs": inputs,
        "findings": written,
    }))?;
    Ok(ExitStatus::Success)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An SQL string literal.
fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Headers a `--log-format` may name, and the column each fills: a log that
/// records a header covers its column even when no request carried it (the
/// absence is then an observation, not a gap).
const LOGGED_HEADERS: &[(&str, &str)] = &[
    ("sec-fetch-user", "fetch_user"),
    ("sec-fetch-site", "fetch_site"),
    ("sec-fetch-mode", "fetch_mode"),
    ("sec-fetch-dest", "fetch_dest"),
    ("sec-purpose", "purpose"),
    ("referer", "referrer"),
];

/// Each input's format, time span and the columns the rulebook's gap checks ask about.
fn coverage(q: &Query, book: &Rulebook, case: &Case) -> Result<Vec<Coverage>> {
    let mut logged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in case.manifest_entries()? {
        let Some(spec) = m.log_format else { continue };
        let spec = spec.to_ascii_lowercase().replace('_', "-");
        for (header, column) in LOGGED_HEADERS {
            if spec.contains(header) {
                logged.entry(m.id.clone()).or_default().insert((*column).to_owned());
            }
        }
    }
    let cols: BTreeSet<&str> = book.rules.iter().filter_map(|r| r.decides.column.as_deref()).collect();
    let counts: String = cols.iter().map(|c| format!(", count({c}) AS \"{c}\"")).collect();
    let sql = format!(
        "SELECT source, format, min(ts) AS lo, max(ts) AS hi{counts} FROM events GROUP BY source, format ORDER BY source, format"
    );
    let (_, batches) = q.sql(&sql).context("reading the coverage of the inputs")?;
    let mut out = Vec::new();
    for b in batches {
        let source = b.column(0).as_string::<i32>();
        let format = b.column(1).as_string::<i32>();
        let lo = b.column(2).as_primitive::<TimestampMicrosecondType>();
        let hi = b.column(3).as_primitive::<TimestampMicrosecondType>();
        for i in 0..b.num_rows() {
            let mut columns = logged.get(source.value(i)).cloned().unwrap_or_default();
            for (j, c) in cols.iter().enumerate() {
                let n = b.column(4 + j).as_primitive::<arrow::datatypes::Int64Type>();
                if n.value(i) > 0 {
                    columns.insert((*c).to_owned());
                }
            }
            out.push(Coverage {
                source: source.value(i).to_owned(),
                format: format.value(i).to_owned(),
                from: lo.value(i),
                to: hi.value(i),
                columns,
            });
        }
    }
    Ok(out)
}

/// Paths, MD5 and SHA-1 of a file of interest.
fn file_keys(q: &Query, sha: &str) -> Result<(Vec<String>, Option<String>, Option<String>)> {
    let (_, batches) =
        q.sql(&format!("SELECT path, md5, sha1 FROM content WHERE sha256 = {} ORDER BY path", sql_str(sha)))?;
    let mut paths = BTreeSet::new();
    let (mut md5, mut sha1) = (None, None);
    for b in batches {
        let p = b.column(0).as_string::<i32>();
        let m = b.column(1).as_string::<i32>();
        let s = b.column(2).as_string::<i32>();
        for i in 0..b.num_rows() {
            paths.insert(p.value(i).to_owned());
            if !m.is_null(i) {
                md5 = Some(m.value(i).to_owned());
            }
            if !s.is_null(i) {
                sha1 = Some(s.value(i).to_owned());
            }
        }
    }
    Ok((paths.into_iter().collect(), md5, sha1))
}

/// Every event tied to the file: by any content hash and by the file's name on
/// origin markers, then by the URLs those events name (normalised).
fn linked_events(q: &Query, sha: &str, md5: Option<&str>, sha1: Option<&str>, paths: &[String]) -> Result<Vec<Ev>> {
    let mut cond = vec![format!("sha256 = {}", sql_str(&sha.to_ascii_lowercase()))];
    if let Some(m) = md5.filter(|m| is_hex(m, 32)) {
        cond.push(format!("md5 = {}", sql_str(&m.to_ascii_lowercase())));
    }
    if let Some(s) = sha1.filter(|s| is_hex(s, 40)) {
        cond.push(format!("sha1 = {}", sql_str(&s.to_ascii_lowercase())));
    }
    let mut linked = events(q, &cond.join(" OR "))?;
    // Origin markers name the file only by its name.
    let names: BTreeSet<&str> =
        paths.iter().filter_map(|p| p.rsplit(['/', '\\']).next()).filter(|n| !n.is_empty()).collect();
    if !names.is_empty() {
        let list = names.iter().map(|n| sql_str(n)).collect::<Vec<_>>().join(", ");
        linked.extend(events(q, &format!("kind = 'fs.origin_marker' AND path IN ({list})"))?);
    }
    // URLs named by the hash-linked events, in every form a log may write them.
    let urls: BTreeSet<String> = linked.iter().filter_map(|e| e.get("url")).map(normalize).collect();
    let mut forms = BTreeSet::new();
    for u in &urls {
        let p = path_of(u);
        forms.insert(u.clone());
        if let Some(h) = host_of(u) {
            for f in [
                format!("http://{h}{p}"),
                format!("https://{h}{p}"),
                format!("//{h}{p}"),
                format!("http://{h}:80{p}"),
                format!("https://{h}:443{p}"),
            ] {
                forms.insert(f);
            }
        }
        if p.len() > 1 {
            forms.insert(p.to_owned());
        }
    }
    let mut more = Vec::new();
    if !forms.is_empty() {
        let list = forms.iter().map(|f| sql_str(f)).collect::<Vec<_>>().join(", ");
        more.extend(
            events(q, &format!("url IN ({list})"))?
                .into_iter()
                .filter(|e| e.get("url").is_some_and(|u| urls.iter().any(|k| same_resource(k, &normalize(u))))),
        );
    }
    linked.extend(more);
    linked.sort();
    linked.dedup();
    Ok(linked)
}

/// Events matching an SQL condition, as the reasoning sees them.
fn events(q: &Query, condition: &str) -> Result<Vec<Ev>> {
    let sql = format!("SELECT * FROM events WHERE {condition} ORDER BY ts, source, seq");
    let (_, batches) = q.sql(&sql).with_context(|| format!("selecting events where {condition}"))?;
    let mut out = Vec::new();
    for b in &batches {
        to_evs(b, &mut out).with_context(|| format!("reading events where {condition}"))?;
    }
    Ok(out)
}

fn to_evs(b: &RecordBatch, out: &mut Vec<Ev>) -> Result<(), arrow::error::ArrowError> {
    let schema = b.schema();
    let mut text = Vec::new();
    let mut ts = None;
    for (i, f) in schema.fields().iter().enumerate() {
        if f.name() == "ts" {
            ts = Some(b.column(i).as_primitive::<TimestampMicrosecondType>().clone());
        } else if f.name() != "seq" {
            let c = arrow::compute::cast(b.column(i), &DataType::Utf8)?;
            text.push((f.name().clone(), c.as_string::<i32>().clone()));
        }
    }
    let Some(ts) = ts else { return Ok(()) };
    for row in 0..b.num_rows() {
        let mut cols = BTreeMap::new();
        for (name, arr) in &text {
            if arr.is_null(row) || arr.value(row).is_empty() {
                continue;
            }
            if name == "attrs" {
                if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(arr.value(row)) {
                    for (k, v) in m {
                        let v = match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        cols.insert(format!("attrs.{k}"), v);
                    }
                }
            } else {
                cols.insert(name.clone(), arr.value(row).to_owned());
            }
        }
        out.push(Ev { ts: ts.value(row), cols });
    }
    Ok(())
}
