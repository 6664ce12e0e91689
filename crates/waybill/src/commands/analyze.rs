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
use waybill_reason::engine::{Coverage, Ev, FileOfInterest, Matched, NEARBY_S, analyze, arrival_estimate};
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
    let keys = file_keys(&q, files.keys().map(String::as_str))?;
    let mut linked = linked_events(&q, &keys)?;
    auto_from_app_settings(&q, &mut linked)?;
    // Server-side records of other clients say nothing about the subject: when
    // the case names the subject's addresses, only their requests are kept.
    let ips: BTreeSet<String> = case
        .config()
        .subjects
        .iter()
        .filter(|s| s.kind == waybill_model::SubjectKind::Ip)
        .map(|s| s.value.clone())
        .collect();
    if !ips.is_empty() {
        for evs in linked.values_mut() {
            evs.retain(|e| e.get("client_ip").is_none_or(|ip| ips.contains(ip)));
        }
    }
    let estimates: BTreeMap<String, (i64, i64)> =
        linked.iter().filter_map(|(sha, evs)| Some((sha.clone(), arrival_estimate(evs)?))).collect();
    let nearby = nearby_events(&q, &book, &estimates)?;
    let mut out = std::io::stdout().lock();
    let mut written = Vec::new();
    let mut step = case.begin_step("analyze")?;
    for (sha, mut matched) in files {
        matched.sort();
        matched.dedup();
        let paths = keys.get(&sha).map(|k| k.paths.clone()).unwrap_or_default();
        let evs = linked.remove(&sha).unwrap_or_default();
        let around: &[Ev] = match estimates.get(&sha) {
            Some(&(t, offset)) => {
                let margin = NEARBY_S * 1_000_000 + offset + 1_000_000;
                let lo = nearby.partition_point(|e| e.ts < t - margin);
                let hi = nearby.partition_point(|e| e.ts <= t + margin);
                &nearby[lo..hi]
            }
            None => &[],
        };
        let file = FileOfInterest { sha256: sha.clone(), paths: paths.clone(), matched };
        let finding = analyze(file, &evs, around, &coverage, &book, &inputs);
        let mut json = serde_json::to_vec_pretty(&finding)?;
        json.push(b'\n');
        let path = case.write_finding(&sha, &json, &mut step)?;
        // A content known only from records (a cache entry) is shown by its URL.
        let shown = paths
            .first()
            .cloned()
            .or_else(|| {
                finding
                    .arrival
                    .as_ref()
                    .and_then(|a| {
                        evs.iter().find(|e| {
                            e.get("record") == Some(a.record.as_str()) && e.get("source") == Some(a.source.as_str())
                        })
                    })
                    .and_then(|e| e.get("url"))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| sha.clone());
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
    let entry = serde_json::json!({
        "command": super::argv(),
        "action": "analyze",
        "tool": super::tool(),
        "started": started,
        "finished": super::now(),
        "rulebook": book.sha256,
        "inputs": inputs,
        "findings": written,
    });
    // A full analysis replaces every finding (a file no longer of interest loses
    // its finding); `--file` replaces one.
    case.commit_step(step, entry, a.file.is_none().then_some("findings"))?;
    Ok(ExitStatus::Success)
}

/// Messaging media fetches whose source cannot say whether the app fetched them
/// by itself (WhatsApp's database does not) take it from the app's saved
/// auto-download settings (`app.setting` of the same app and device, the one
/// last written): `auto` is true when that media class is on for Wi-Fi,
/// cellular and roaming alike, false when off for all three, and left unknown
/// otherwise — which network the phone was on is not recorded. The settings
/// hold only their last value; `attrs.auto_from` says where `auto` came from
/// and whether the settings file was written after the fetch. A voice note is
/// never set to false: WhatsApp fetches small voice notes whatever the setting.
fn auto_from_app_settings(q: &Query, linked: &mut BTreeMap<String, Vec<Ev>>) -> Result<()> {
    let needs = |e: &Ev| e.get("kind") == Some("msg.media_fetched") && e.get("auto").is_none();
    if !linked.values().flatten().any(needs) {
        return Ok(());
    }
    let settings = events(q, "kind = 'app.setting'")?;
    for e in linked.values_mut().flatten().filter(|e| needs(e)) {
        let app = e.get("attrs.app").unwrap_or("whatsapp").to_owned();
        let Some(class) = e.get("attrs.autodownload_class").map(str::to_owned) else { continue };
        // The latest settings of the app on the same device (any device when
        // neither names one).
        let Some(s) = settings
            .iter()
            .filter(|s| s.get("attrs.app") == Some(app.as_str()) && s.get("device") == e.get("device"))
            .max_by_key(|s| s.ts)
        else {
            continue;
        };
        let on = |net: &str| s.get(&format!("attrs.autodownload_{class}_{net}"));
        let nets = [on("wifi"), on("cellular"), on("roaming")];
        let auto = if nets.iter().all(|v| *v == Some("true")) {
            Some(true)
        } else if nets.iter().all(|v| *v == Some("false")) && e.get("attrs.voice_note") != Some("true") {
            Some(false)
        } else {
            None
        };
        if let Some(auto) = auto {
            let when = if s.ts > e.ts { "written after the fetch" } else { "written before the fetch" };
            e.cols.insert("auto".into(), auto.to_string());
            e.cols.insert(
                "attrs.auto_from".into(),
                format!(
                    "{app} auto-download settings for {class} ({} {}, {when})",
                    s.get("source").unwrap_or("?"),
                    s.get("record").unwrap_or("?")
                ),
            );
        }
    }
    Ok(())
}

/// Kinds whose `path` names the delivered file on the subject's device or account.
const DELIVERY_KINDS: &[&str] = &[
    "browser.download",
    "msg.media_fetched",
    "cloud.download",
    "cloud.sync_download",
    "cloud.upload",
    "cloud.preview",
];

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
    // Formats read one record per file (a cache entry, a Zone.Identifier
    // stream): the folder of them covers the span of all of them together.
    let mut merged: BTreeMap<String, Coverage> = BTreeMap::new();
    out.retain(|c| {
        if !PER_ENTRY_FORMATS.contains(&c.format.as_str()) {
            return true;
        }
        let m = merged.entry(c.format.clone()).or_insert_with(|| Coverage { columns: BTreeSet::new(), ..c.clone() });
        m.from = m.from.min(c.from);
        m.to = m.to.max(c.to);
        m.columns.extend(c.columns.iter().cloned());
        false
    });
    out.extend(merged.into_values());
    Ok(out)
}

/// Formats whose inputs are single records (one file per entry).
const PER_ENTRY_FORMATS: &[&str] = &["chrome.cache", "windows.zone_identifier"];

/// Values per `IN` list: each chunk is one scan of the store, so chunks are
/// large (DataFusion evaluates an `IN` list with a hash set). With 4,096 the
/// 10,000-file benchmark took 140 s, most of it in 15 URL scans.
const IN_CHUNK: usize = 65_536;

/// What identifies one file of interest.
#[derive(Debug, Default, Clone)]
struct Keys {
    paths: Vec<String>,
    md5: Option<String>,
    sha1: Option<String>,
    size: Option<i64>,
}

fn in_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().map(sql_str).collect::<Vec<_>>().join(", ")
}

/// Paths, MD5 and SHA-1 of the files of interest, from the content table.
fn file_keys<'a>(q: &Query, shas: impl Iterator<Item = &'a str>) -> Result<BTreeMap<String, Keys>> {
    let shas: Vec<&str> = shas.collect();
    let mut keys: BTreeMap<String, Keys> = shas.iter().map(|s| ((*s).to_owned(), Keys::default())).collect();
    let mut paths: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for chunk in shas.chunks(IN_CHUNK) {
        let (_, batches) = q.sql(&format!(
            "SELECT sha256, path, md5, sha1, size FROM content WHERE sha256 IN ({}) ORDER BY sha256, path",
            in_list(chunk.iter().copied())
        ))?;
        for b in batches {
            let (s, p, m, h) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
                b.column(3).as_string::<i32>(),
            );
            let size = b.column(4).as_primitive::<arrow::datatypes::Int64Type>();
            for i in 0..b.num_rows() {
                let Some(k) = keys.get_mut(s.value(i)) else { continue };
                if !size.is_null(i) {
                    k.size = Some(size.value(i));
                }
                paths.entry(s.value(i).to_owned()).or_default().insert(p.value(i).to_owned());
                if !m.is_null(i) && is_hex(m.value(i), 32) {
                    k.md5 = Some(m.value(i).to_ascii_lowercase());
                }
                if !h.is_null(i) && is_hex(h.value(i), 40) {
                    k.sha1 = Some(h.value(i).to_ascii_lowercase());
                }
            }
        }
    }
    for (sha, p) in paths {
        if let Some(k) = keys.get_mut(&sha) {
            k.paths = p.into_iter().collect();
        }
    }
    Ok(keys)
}

/// Every event tied to each file: by any content hash and by the file's name on
/// origin markers, then by the URLs those events name (normalised). Batched:
/// one query per key kind and chunk, however many files.
fn linked_events(q: &Query, keys: &BTreeMap<String, Keys>) -> Result<BTreeMap<String, Vec<Ev>>> {
    let mut linked: BTreeMap<String, Vec<Ev>> = keys.keys().map(|k| (k.clone(), Vec::new())).collect();
    // Hash value → files.
    let mut by_hash: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (sha, k) in keys {
        by_hash.entry(sha.to_ascii_lowercase()).or_default().insert(sha);
        for h in [&k.md5, &k.sha1].into_iter().flatten() {
            by_hash.entry(h.clone()).or_default().insert(sha);
        }
    }
    let hashes: Vec<&str> = by_hash.keys().map(String::as_str).collect();
    for chunk in hashes.chunks(IN_CHUNK) {
        let list = in_list(chunk.iter().copied());
        for e in events(q, &format!("sha256 IN ({list}) OR md5 IN ({list}) OR sha1 IN ({list})"))? {
            let mut to: BTreeSet<&str> = BTreeSet::new();
            for c in ["sha256", "md5", "sha1"] {
                if let Some(files) = e.get(c).and_then(|h| by_hash.get(&h.to_ascii_lowercase())) {
                    to.extend(files);
                }
            }
            push_to(&mut linked, to, &e);
        }
    }
    // Origin markers name the file only by its name.
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (sha, k) in keys {
        for p in &k.paths {
            if let Some(n) = p.rsplit(['/', '\\']).next().filter(|n| !n.is_empty()) {
                by_name.entry(n).or_default().insert(sha);
            }
        }
    }
    let names: Vec<&str> = by_name.keys().copied().collect();
    for chunk in names.chunks(IN_CHUNK) {
        for e in events(q, &format!("kind = 'fs.origin_marker' AND path IN ({})", in_list(chunk.iter().copied())))? {
            let to = e.get("path").and_then(|p| by_name.get(p)).cloned().unwrap_or_default();
            push_to(&mut linked, to, &e);
        }
    }
    // Delivery records (downloads, messaging media, cloud transfers) name the
    // file by a path and may have no hash: linked when one path ends with the
    // other at a folder boundary — a download's full path on the device ends
    // with the file's path in the extracted tree; a messaging database's
    // media-relative path is the end of the tree path — with at least a folder
    // and a name in common, or the name alone and the same size (a cloud log's
    // server path shares only the name with the synced copy). Never when the
    // record's own hash says it is other content.
    let mut by_tail: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (sha, k) in keys {
        for p in &k.paths {
            by_tail.entry(path_key(p)).or_default().insert(sha);
        }
    }
    if !by_tail.is_empty() {
        let kinds = in_list(DELIVERY_KINDS.iter().copied());
        for e in events(q, &format!("kind IN ({kinds}) AND path IS NOT NULL"))? {
            let Some(full) = e.get("path").map(path_key) else { continue };
            let size = e.get("size").and_then(|s| s.parse::<i64>().ok());
            let mut to = BTreeSet::new();
            let name = full.rsplit('/').next().unwrap_or("");
            for (tail, shas) in &by_tail {
                let (long, short) = if full.len() >= tail.len() { (&full, tail) } else { (tail, &full) };
                let ends = long.ends_with(short.as_str())
                    && (long.len() == short.len() || long.as_bytes()[long.len() - short.len() - 1] == b'/');
                let same_name = !name.is_empty() && tail.rsplit('/').next() == Some(name);
                if !ends && !same_name {
                    continue;
                }
                let by_path = ends && (short.contains('/') || e.get("kind") == Some("browser.download"));
                to.extend(shas.iter().copied().filter(|sha| {
                    let same_size = size.is_some() && keys.get(*sha).and_then(|k| k.size) == size;
                    (by_path || same_size) && e.get("sha256").is_none_or(|h| h.eq_ignore_ascii_case(sha))
                }));
            }
            push_to(&mut linked, to, &e);
        }
    }
    // A server log names no hash: a complete response (200) of exactly the
    // file's size for a URL whose last segment is the file's name is that
    // file's request (the way an examiner searches a log for it).
    let mut by_name_size: BTreeMap<(String, i64), BTreeSet<&str>> = BTreeMap::new();
    for (sha, k) in keys {
        let Some(size) = k.size.filter(|s| *s > 0) else { continue };
        for p in &k.paths {
            if let Some(n) = p.rsplit(['/', '\\']).next().filter(|n| !n.is_empty()) {
                by_name_size.entry((n.to_owned(), size)).or_default().insert(sha);
            }
        }
    }
    let sizes: BTreeSet<i64> = by_name_size.keys().map(|(_, s)| *s).collect();
    let sizes: Vec<String> = sizes.iter().map(i64::to_string).collect();
    for chunk in sizes.chunks(IN_CHUNK) {
        let cond = format!("kind = 'http.request' AND status = 200 AND size IN ({})", chunk.join(", "));
        for e in events(q, &cond)? {
            let (Some(url), Some(size)) = (e.get("url"), e.get("size").and_then(|s| s.parse::<i64>().ok())) else {
                continue;
            };
            let last = path_of(url).rsplit('/').next().unwrap_or("");
            let name = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
            let to = by_name_size.get(&(name.into_owned(), size)).cloned().unwrap_or_default();
            push_to(&mut linked, to, &e);
        }
    }
    // URLs those events name, in every form a log may write them.
    let mut by_url: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (sha, evs) in &linked {
        for u in evs.iter().filter_map(|e| e.get("url")) {
            by_url.entry(normalize(u)).or_default().insert(sha.clone());
        }
    }
    let mut by_path: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut forms = BTreeSet::new();
    for u in by_url.keys() {
        let p = path_of(u);
        by_path.entry(p).or_default().push(u);
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
    let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
    let mut url_linked: Vec<(BTreeSet<String>, Ev)> = Vec::new();
    for chunk in forms.chunks(IN_CHUNK) {
        for e in events(q, &format!("url IN ({})", in_list(chunk.iter().copied())))? {
            let Some(n) = e.get("url").map(normalize) else { continue };
            let mut to = BTreeSet::new();
            for key in by_path.get(path_of(&n)).into_iter().flatten() {
                if same_resource(key, &n) {
                    to.extend(by_url[*key].iter().cloned());
                }
            }
            url_linked.push((to, e));
        }
    }
    for (to, e) in url_linked {
        for sha in to {
            if let Some(v) = linked.get_mut(&sha) {
                v.push(e.clone());
            }
        }
    }
    for v in linked.values_mut() {
        v.sort();
        v.dedup();
    }
    Ok(linked)
}

/// A path compared case-insensitively with `/` separators and no `file://` prefix.
fn path_key(p: &str) -> String {
    let p = p.strip_prefix("file://").unwrap_or(p);
    let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
    decoded.replace('\\', "/").trim_start_matches('/').to_lowercase()
}

fn push_to(linked: &mut BTreeMap<String, Vec<Ev>>, to: BTreeSet<&str>, e: &Ev) {
    for sha in to {
        if let Some(v) = linked.get_mut(sha) {
            v.push(e.clone());
        }
    }
}

/// An SQL condition no narrower than a rule's condition (attrs tests and
/// non-text columns are left to the engine, which applies the exact test).
fn rule_sql(r: &waybill_reason::Rule) -> String {
    let pred = |p: &waybill_reason::Predicate| -> Option<String> {
        if let Some(key) = p.column.strip_prefix("attrs.") {
            return (p.present == Some(true) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| format!("strpos(attrs, '\"{key}\"') > 0"));
        }
        // Only text columns are compared in SQL; the engine tests the rest.
        let text = waybill_model::schema::event_schema()
            .field_with_name(&p.column)
            .is_ok_and(|f| *f.data_type() == DataType::Utf8);
        if !text {
            return None;
        }
        let c = &p.column;
        if let Some(v) = &p.eq {
            return Some(format!("{c} = {}", sql_str(v)));
        }
        if let Some(vs) = &p.one_of {
            return Some(format!("{c} IN ({})", in_list(vs.iter().map(String::as_str))));
        }
        if let Some(v) = p.prefix.as_ref().or(p.contains.as_ref()) {
            return Some(format!("strpos({c}, {}) > 0", sql_str(v)));
        }
        (p.present == Some(true)).then(|| format!("{c} IS NOT NULL"))
    };
    let mut parts = vec![format!("kind IN ({})", in_list(r.condition.kinds.iter().map(String::as_str)))];
    parts.extend(r.condition.all.iter().filter_map(pred));
    let any: Option<Vec<String>> = r.condition.any.iter().map(pred).collect();
    if let Some(any) = any.filter(|a| !a.is_empty()) {
        parts.push(format!("({})", any.join(" OR ")));
    }
    let sql = format!("({})", parts.join(" AND "));
    if r.condition.ends.is_empty() {
        return sql;
    }
    // A state rule also needs the events that end the state.
    format!("({sql} OR kind IN ({}))", in_list(r.condition.ends.iter().map(String::as_str)))
}

/// The subject's events the windowed rules look at, for every arrival at once,
/// sorted by time.
fn nearby_events(q: &Query, book: &Rulebook, estimates: &BTreeMap<String, (i64, i64)>) -> Result<Vec<Ev>> {
    let rules: Vec<String> = book.rules.iter().filter(|r| r.condition.scope.is_windowed()).map(rule_sql).collect();
    let (Some(lo), Some(hi)) =
        (estimates.values().map(|(t, o)| t - o).min(), estimates.values().map(|(t, o)| t + o).max())
    else {
        return Ok(Vec::new());
    };
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let margin = NEARBY_S * 1_000_000 + 1_000_000;
    let mut evs = events(
        q,
        &format!(
            "({}) AND ts BETWEEN to_timestamp_micros({}) AND to_timestamp_micros({})",
            rules.join(" OR "),
            lo - margin,
            hi + margin
        ),
    )?;
    evs.sort();
    evs.dedup();
    Ok(evs)
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
