//! Candidate selection: which events of a case can bear on each file of
//! interest.
//!
//! [`gather`] runs batched DataFusion queries over the case (one scan per key
//! kind and chunk of keys, however many files) and returns a
//! [`CaseEvidence`]: every selected event once, typed, and per file the
//! indices of the events tied to it by a key —
//!
//! 1. any content hash (SHA-256, MD5, SHA-1);
//! 2. origin markers (Zone.Identifier, quarantine) whose path ends with the
//!    file's name (the reasoning keeps only those whose folder matches a copy);
//! 3. delivery records (downloads, messaging media, cloud transfers) and the
//!    shell's records of an open (`fs.opened`) whose path and a copy's path
//!    end the same at a folder boundary, with a folder in common, or with the
//!    name alone and the same size; never when the record's own hash is
//!    another content's;
//! 4. server responses `200` of exactly the file's size for a URL whose last
//!    segment is its name;
//! 5. every event naming the same resource as a URL those name (normalised);
//!
//! and, beside them, the events of the pages around the file (the pages its
//! requests, downloads and cache entries name as referrer, tab or redirect
//! chain, and those pages' other subresource requests), the receiving devices'
//! events the windowed rules read, the application settings, and what every
//! input covers.
//!
//! Attribution (whose act each event is), the split into copies, clocks and
//! the evaluation are the reasoning's (`waybill-reason`): this crate only
//! selects, it never decides.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use waybill_model::evidence::{CaseEvidence, CopyLocation, FileEvidence, InputInfo, Matched};
use waybill_model::url::{ends_at_folder, host_of, normalize, path_key, path_of, same_resource};
use waybill_model::{EventKind, StoredEvent};
use waybill_store::query::Query;
use waybill_store::{Case, StoreError};

/// The candidate selection failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A query or a case file failed.
    #[error("{what}: {source}")]
    Store {
        /// What was being selected.
        what: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// `--file` names no file of interest.
    #[error("{0} is not a file of interest of this case (run `waybill match` first)")]
    NotOfInterest(String),
}

fn ctx(what: &str) -> impl FnOnce(StoreError) -> LinkError + '_ {
    move |source| LinkError::Store { what: what.to_owned(), source }
}

/// What to select.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Only this file of interest (SHA-256), as `analyze --file`.
    pub file: Option<String>,
    /// Event kinds the windowed rules read on the receiving devices (visits,
    /// file creations, sessions, power).
    pub window_kinds: BTreeSet<String>,
    /// Columns the gap checks ask whether an input fills.
    pub decide_columns: BTreeSet<String>,
    /// The subject's addresses, when the case names any: the requests of the
    /// pages around a file are then selected from these addresses only (the
    /// page-timing facts and the clock pairs read only the subject's; a
    /// popular page is requested by thousands of others). Empty: all.
    pub subject_ips: BTreeSet<String>,
}

/// How far (µs) beyond a file's linked events the receiving devices' events
/// are selected: the widest rule window (an hour), five minutes for a clock
/// that cannot be aligned, and an hour of room for device clocks that are off
/// by more than that (their events are then matched once the clock is aligned).
pub const DEVICE_MARGIN_US: i64 = (3_600 + 300 + 3_600) * 1_000_000;

/// Values per `IN` list: each chunk is one scan of the store, so chunks are
/// large (DataFusion evaluates an `IN` list with a hash set). With 4,096 the
/// 10,000-file benchmark took 140 s, most of it in 15 URL scans.
const IN_CHUNK: usize = 65_536;

/// Kinds whose `path` names the delivered file on the subject's device or account.
pub const DELIVERY_KINDS: &[&str] = &[
    "browser.download",
    "msg.media_fetched",
    "cloud.download",
    "cloud.sync_download",
    "cloud.upload",
    "cloud.preview",
    "msg.media_download",
];

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

/// The events held once, by `(source, seq)`.
#[derive(Default)]
struct Arena {
    events: Vec<StoredEvent>,
    index: HashMap<(String, u64), usize>,
}

impl Arena {
    fn add(&mut self, e: StoredEvent) -> usize {
        let key = (e.source.clone(), e.seq);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.events.push(e);
        self.index.insert(key, self.events.len() - 1);
        self.events.len() - 1
    }
}

/// Selects the candidate events of every file of interest (or of
/// `request.file`).
pub fn gather(case: &Case, q: &Query, request: &Request) -> Result<CaseEvidence, LinkError> {
    let mut files: BTreeMap<String, FileEvidence> = BTreeMap::new();
    for r in case.read_interest().map_err(ctx("reading the files of interest"))? {
        let sha = r.sha256.to_ascii_lowercase();
        if request.file.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case(&sha)) {
            continue;
        }
        let f = files.entry(sha.clone()).or_insert_with(|| FileEvidence { sha256: sha, ..FileEvidence::default() });
        f.matched.push(Matched { set: r.set, by: r.by, distance: i64::from(r.distance) });
    }
    if let Some(f) = request.file.as_ref().filter(|_| files.is_empty()) {
        return Err(LinkError::NotOfInterest(f.clone()));
    }
    for f in files.values_mut() {
        f.matched.sort();
        f.matched.dedup();
    }
    let entries = case.manifest_entries().map_err(ctx("reading the manifest"))?;
    let devices: BTreeMap<&str, Option<&str>> = entries.iter().map(|m| (m.id.as_str(), m.device.as_deref())).collect();
    content_keys(q, &mut files, &devices)?;

    let mut arena = Arena::default();
    let mut linked: BTreeMap<String, BTreeSet<usize>> = files.keys().map(|k| (k.clone(), BTreeSet::new())).collect();
    link_by_keys(q, &files, &mut arena, &mut linked)?;
    let mut context = pages_around(q, request, &files, &mut arena, &linked)?;
    cache_neighbours(q, &mut arena, &linked, &mut context)?;
    let device_events = device_events(q, request, &mut arena, (&files, &devices), (&linked, &context))?;
    let settings: Vec<usize> = q
        .events("kind = 'app.setting'")
        .map_err(ctx("selecting app settings"))?
        .into_iter()
        .map(|e| arena.add(e))
        .collect();
    let inputs = inputs(case, q, request)?;

    // Sort the arena by time, input and parse order, and renumber.
    let mut order: Vec<usize> = (0..arena.events.len()).collect();
    order.sort_by(|&a, &b| arena.events[a].order_key().cmp(&arena.events[b].order_key()));
    let mut new_index = vec![0; order.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let remap = |set: &BTreeSet<usize>| -> Vec<usize> {
        let mut v: Vec<usize> = set.iter().map(|&i| new_index[i]).collect();
        v.sort_unstable();
        v
    };
    let mut slots: Vec<Option<StoredEvent>> = arena.events.into_iter().map(Some).collect();
    let events: Vec<StoredEvent> = order.iter().filter_map(|&i| slots[i].take()).collect();
    let files = files
        .into_values()
        .map(|mut f| {
            f.linked = linked.get(&f.sha256).map(&remap).unwrap_or_default();
            f.context = context.get(&f.sha256).map(&remap).unwrap_or_default();
            f
        })
        .collect();
    Ok(CaseEvidence {
        events,
        files,
        device_events: remap(&device_events),
        settings: remap(&settings.into_iter().collect()),
        inputs,
    })
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An SQL string literal.
fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn in_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().map(sql_str).collect::<Vec<_>>().join(", ")
}

/// Copies (path, device), MD5, SHA-1 and size of the files of interest, from
/// the content table.
fn content_keys(
    q: &Query,
    files: &mut BTreeMap<String, FileEvidence>,
    devices: &BTreeMap<&str, Option<&str>>,
) -> Result<(), LinkError> {
    let shas: Vec<String> = files.keys().cloned().collect();
    for chunk in shas.chunks(IN_CHUNK) {
        let (_, batches) = q
            .sql(&format!(
                "SELECT sha256, path, md5, sha1, size, source, record FROM content WHERE sha256 IN ({}) ORDER BY sha256, source, path",
                in_list(chunk.iter().map(String::as_str))
            ))
            .map_err(ctx("reading the content table"))?;
        for b in batches {
            let (s, p, m, h) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
                b.column(3).as_string::<i32>(),
            );
            let size = b.column(4).as_primitive::<Int64Type>();
            let (src, rec) = (b.column(5).as_string::<i32>(), b.column(6).as_string::<i32>());
            for i in 0..b.num_rows() {
                let Some(f) = files.get_mut(&s.value(i).to_ascii_lowercase()) else { continue };
                if !size.is_null(i) {
                    f.size = Some(size.value(i));
                }
                if !m.is_null(i) && is_hex(m.value(i), 32) {
                    f.md5 = Some(m.value(i).to_ascii_lowercase());
                }
                if !h.is_null(i) && is_hex(h.value(i), 40) {
                    f.sha1 = Some(h.value(i).to_ascii_lowercase());
                }
                f.copies.push(CopyLocation {
                    device: devices.get(src.value(i)).copied().flatten().map(str::to_owned),
                    path: p.value(i).to_owned(),
                    source: src.value(i).to_owned(),
                    record: rec.value(i).to_owned(),
                });
            }
        }
    }
    for f in files.values_mut() {
        f.copies.sort();
        f.copies.dedup_by(|b, a| a.device == b.device && a.path == b.path);
    }
    Ok(())
}

fn push(linked: &mut BTreeMap<String, BTreeSet<usize>>, to: &BTreeSet<&str>, i: usize) {
    for sha in to {
        if let Some(v) = linked.get_mut(*sha) {
            v.insert(i);
        }
    }
}

fn name_of(p: &str) -> Option<&str> {
    p.rsplit(['/', '\\']).next().filter(|n| !n.is_empty())
}

/// Ties events to the files by hash, origin-marker name, delivery path,
/// name and size, then URL.
fn link_by_keys(
    q: &Query,
    files: &BTreeMap<String, FileEvidence>,
    arena: &mut Arena,
    linked: &mut BTreeMap<String, BTreeSet<usize>>,
) -> Result<(), LinkError> {
    // Hash value → files.
    let mut by_hash: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (sha, f) in files {
        by_hash.entry(sha.clone()).or_default().insert(sha);
        for h in [&f.md5, &f.sha1].into_iter().flatten() {
            by_hash.entry(h.clone()).or_default().insert(sha);
        }
    }
    let hashes: Vec<&str> = by_hash.keys().map(String::as_str).collect();
    for chunk in hashes.chunks(IN_CHUNK) {
        let list = in_list(chunk.iter().copied());
        let cond = format!("sha256 IN ({list}) OR md5 IN ({list}) OR sha1 IN ({list})");
        for e in q.events(&cond).map_err(ctx("selecting events by hash"))? {
            let mut to: BTreeSet<&str> = BTreeSet::new();
            for h in [&e.sha256, &e.md5, &e.sha1].into_iter().flatten() {
                if let Some(f) = by_hash.get(&h.to_ascii_lowercase()) {
                    to.extend(f);
                }
            }
            let i = arena.add(e);
            push(linked, &to, i);
        }
    }
    // Origin markers name the file by its path as exported (or its name):
    // every marker whose name is a copy's name is a candidate; the reasoning
    // keeps those whose folder matches.
    let mut by_name: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (sha, f) in files {
        for c in &f.copies {
            if let Some(n) = name_of(&c.path) {
                by_name.entry(n.to_lowercase()).or_default().insert(sha);
            }
        }
    }
    if !by_name.is_empty() {
        for e in q.events("kind = 'fs.origin_marker'").map_err(ctx("selecting origin markers"))? {
            let to = e.path.as_deref().and_then(name_of).and_then(|n| by_name.get(&n.to_lowercase())).cloned();
            if let Some(to) = to {
                let i = arena.add(e);
                push(linked, &to, i);
            }
        }
    }
    // Delivery records name the file by a path and may have no hash; so do
    // the shell's records of a person opening it (Recent Items shortcuts).
    let mut by_tail: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (sha, f) in files {
        for c in &f.copies {
            by_tail.entry(path_key(&c.path)).or_default().insert(sha);
        }
    }
    if !by_tail.is_empty() {
        let kinds = in_list(DELIVERY_KINDS.iter().copied().chain(["fs.opened"]));
        let cond = format!("kind IN ({kinds}) AND path IS NOT NULL");
        for e in q.events(&cond).map_err(ctx("selecting delivery records"))? {
            let Some(full) = e.path.as_deref().map(path_key) else { continue };
            let name = full.rsplit('/').next().unwrap_or("").to_owned();
            let mut to = BTreeSet::new();
            for (tail, shas) in &by_tail {
                let ends = ends_at_folder(&full, tail);
                let same_name = !name.is_empty() && tail.rsplit('/').next() == Some(name.as_str());
                if ends.is_none() && !same_name {
                    continue;
                }
                let by_path = ends.is_some_and(|n| n >= 2) || (ends.is_some() && e.kind == EventKind::BrowserDownload);
                to.extend(shas.iter().copied().filter(|sha| {
                    let same_size = e.size.is_some() && files.get(*sha).and_then(|f| f.size) == e.size;
                    (by_path || same_size) && e.sha256.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(sha))
                }));
            }
            if !to.is_empty() {
                let i = arena.add(e);
                push(linked, &to, i);
            }
        }
    }
    // A server log names no hash: a complete response of exactly the file's
    // size for a URL whose last segment is the file's name.
    let mut by_name_size: BTreeMap<(String, i64), BTreeSet<&str>> = BTreeMap::new();
    for (sha, f) in files {
        let Some(size) = f.size.filter(|s| *s > 0) else { continue };
        for c in &f.copies {
            if let Some(n) = name_of(&c.path) {
                by_name_size.entry((n.to_owned(), size)).or_default().insert(sha);
            }
        }
    }
    let sizes: BTreeSet<i64> = by_name_size.keys().map(|(_, s)| *s).collect();
    let sizes: Vec<String> = sizes.iter().map(i64::to_string).collect();
    for chunk in sizes.chunks(IN_CHUNK) {
        let cond = format!("kind = 'http.request' AND status = 200 AND size IN ({})", chunk.join(", "));
        for e in q.events(&cond).map_err(ctx("selecting server responses by name and size"))? {
            let (Some(url), Some(size)) = (e.url.as_deref(), e.size) else { continue };
            let last = path_of(url).split('?').next().unwrap_or("").rsplit('/').next().unwrap_or("");
            let name = percent_encoding::percent_decode_str(last).decode_utf8_lossy().into_owned();
            if let Some(to) = by_name_size.get(&(name, size)).cloned() {
                let i = arena.add(e);
                push(linked, &to, i);
            }
        }
    }
    // URLs those events name, in every form a log may write them.
    let mut by_url: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (sha, set) in linked.iter() {
        for &i in set {
            // The download's redirect hops are requests for the same file
            // (the first carries the click's Fetch Metadata).
            let e = &arena.events[i];
            for u in e.url.as_deref().into_iter().chain(e.attr_list("url_chain")) {
                if u.contains("://") {
                    by_url.entry(normalize(u)).or_default().insert(sha.clone());
                }
            }
        }
    }
    for (e, to) in events_by_url(q, &by_url, "selecting events by URL")? {
        let i = arena.add(e);
        let to: BTreeSet<&str> = to.iter().map(String::as_str).collect();
        push(linked, &to, i);
    }
    Ok(())
}

/// Every event whose URL is the same resource as a key of `by_url`, with the
/// files (values) it belongs to.
fn events_by_url(
    q: &Query,
    by_url: &BTreeMap<String, BTreeSet<String>>,
    what: &str,
) -> Result<Vec<(StoredEvent, BTreeSet<String>)>, LinkError> {
    events_by_url_within(q, by_url, None, what)
}

/// [`events_by_url`], only events that also pass `and` (an SQL condition).
fn events_by_url_within(
    q: &Query,
    by_url: &BTreeMap<String, BTreeSet<String>>,
    and: Option<&str>,
    what: &str,
) -> Result<Vec<(StoredEvent, BTreeSet<String>)>, LinkError> {
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
    let mut out = Vec::new();
    for chunk in forms.chunks(IN_CHUNK) {
        let mut cond = format!("url IN ({})", in_list(chunk.iter().copied()));
        if let Some(a) = and {
            cond.push_str(&format!(" AND {a}"));
        }
        for e in q.events(&cond).map_err(ctx(what))? {
            let Some(n) = e.url.as_deref().map(normalize) else { continue };
            let mut to = BTreeSet::new();
            for key in by_path.get(path_of(&n)).into_iter().flatten() {
                if same_resource(key, &n) {
                    to.extend(by_url[*key].iter().cloned());
                }
            }
            if !to.is_empty() {
                out.push((e, to));
            }
        }
    }
    Ok(out)
}

/// The pages around each file: the pages its linked events name as referrer,
/// tab, tab referrer or redirect hop, every event naming those pages, and the
/// server requests those pages referred (their subresources).
fn pages_around(
    q: &Query,
    request: &Request,
    files: &BTreeMap<String, FileEvidence>,
    arena: &mut Arena,
    linked: &BTreeMap<String, BTreeSet<usize>>,
) -> Result<BTreeMap<String, BTreeSet<usize>>, LinkError> {
    let mut by_page: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sha in files.keys() {
        for &i in linked.get(sha).into_iter().flatten() {
            let e = &arena.events[i];
            let mut pages: Vec<&str> = Vec::new();
            pages.extend(e.referrer.as_deref());
            pages.extend(e.attr_str("tab_url"));
            pages.extend(e.attr_str("tab_referrer_url"));
            pages.extend(e.attr_list("url_chain"));
            for p in pages {
                if p.contains("://") {
                    by_page.entry(normalize(p)).or_default().insert(sha.clone());
                }
            }
        }
    }
    let mut context: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    if by_page.is_empty() {
        return Ok(context);
    }
    // Device records carry no address; server requests only the subject's.
    let clients = (!request.subject_ips.is_empty()).then(|| {
        format!("(client_ip IS NULL OR client_ip IN ({}))", in_list(request.subject_ips.iter().map(String::as_str)))
    });
    for (e, to) in events_by_url_within(q, &by_page, clients.as_deref(), "selecting the pages around the files")? {
        let i = arena.add(e);
        for sha in to {
            context.entry(sha).or_default().insert(i);
        }
    }
    // Subresources of those pages (requests whose Referer is the page): the
    // page's load burst and a thumbnail of the file.
    let referrers: Vec<&str> = by_page.keys().map(String::as_str).collect();
    for chunk in referrers.chunks(IN_CHUNK) {
        let mut cond = format!("kind = 'http.request' AND referrer IN ({})", in_list(chunk.iter().copied()));
        if let Some(c) = &clients {
            cond.push_str(&format!(" AND {c}"));
        }
        for e in q.events(&cond).map_err(ctx("selecting the pages' subresource requests"))? {
            let Some(to) = e.referrer.as_deref().map(normalize).and_then(|r| by_page.get(&r)).cloned() else {
                continue;
            };
            let i = arena.add(e);
            for sha in to {
                context.entry(sha).or_default().insert(i);
            }
        }
    }
    Ok(context)
}

/// How far (µs) around a linked cache entry the cache entries of the same
/// top-frame site are selected (a gallery's thumbnails before its image).
const CACHE_NEIGHBOURS_US: i64 = 600_000_000;

/// The other cache entries of the same top-frame site within ten minutes of
/// each linked cache entry: the page's other subresources, among them a
/// thumbnail of the file.
fn cache_neighbours(
    q: &Query,
    arena: &mut Arena,
    linked: &BTreeMap<String, BTreeSet<usize>>,
    context: &mut BTreeMap<String, BTreeSet<usize>>,
) -> Result<(), LinkError> {
    // (file, site, time) of every linked cache entry.
    let mut anchors: Vec<(&str, String, i64)> = Vec::new();
    for (sha, set) in linked {
        for &i in set {
            let e = &arena.events[i];
            if e.kind == EventKind::BrowserCacheEntry
                && let Some(site) = e.attr_str("top_frame_site")
            {
                anchors.push((sha.as_str(), site.to_owned(), e.ts));
            }
        }
    }
    if anchors.is_empty() {
        return Ok(());
    }
    let spans = merge_spans(
        anchors.iter().map(|(_, _, t)| (t - CACHE_NEIGHBOURS_US, t + CACHE_NEIGHBOURS_US)).collect(),
        usize::MAX,
    );
    let mut found = Vec::new();
    for within in span_conditions(&spans) {
        let cond = format!("kind = 'browser.cache_entry' AND ({within})");
        found.extend(q.events(&cond).map_err(ctx("selecting the cache entries around the files"))?);
    }
    let mut picked: Vec<(StoredEvent, BTreeSet<String>)> = Vec::new();
    for e in found {
        let Some(site) = e.attr_str("top_frame_site") else { continue };
        let to: BTreeSet<String> = anchors
            .iter()
            .filter(|(_, s, t)| s == site && (e.ts - t).abs() <= CACHE_NEIGHBOURS_US)
            .map(|(sha, _, _)| (*sha).to_owned())
            .collect();
        if !to.is_empty() {
            picked.push((e, to));
        }
    }
    for (e, to) in picked {
        let i = arena.add(e);
        for sha in to {
            if !linked.get(&sha).is_some_and(|l| l.contains(&i)) {
                context.entry(sha).or_default().insert(i);
            }
        }
    }
    Ok(())
}

/// Event indices per file (SHA-256).
type ByFile = BTreeMap<String, BTreeSet<usize>>;

/// The events of the windowed rules' kinds within [`DEVICE_MARGIN_US`] of any
/// of the files' linked or context records made on a device.
fn device_events(
    q: &Query,
    request: &Request,
    arena: &mut Arena,
    (files, devices): (&BTreeMap<String, FileEvidence>, &BTreeMap<&str, Option<&str>>),
    (linked, context): (&ByFile, &ByFile),
) -> Result<BTreeSet<usize>, LinkError> {
    let mut out = BTreeSet::new();
    if request.window_kinds.is_empty() {
        return Ok(out);
    }
    // Around each record made on a device (an input ingested with --device),
    // and each cloud sync or download of a file with a copy on a device (the
    // arrival of a synced copy). Server requests by other clients spread over
    // weeks say nothing of a device's state (a copy known only from server
    // records has no presence evidence), and a span from a file's first to
    // its last record would take in every presence event of the case.
    let mut spans: Vec<(i64, i64)> = Vec::new();
    for (sha, set) in linked.iter().chain(context.iter()) {
        let on_device = files.get(sha).is_some_and(|f| f.copies.iter().any(|c| c.device.is_some()));
        for &i in set {
            let e = &arena.events[i];
            let from_device = devices.get(e.source.as_str()).is_some_and(Option::is_some);
            let cloud_arrival = matches!(e.kind, EventKind::CloudSyncDownload | EventKind::CloudDownload);
            if from_device || (on_device && cloud_arrival) {
                spans.push((e.ts - DEVICE_MARGIN_US, e.ts + DEVICE_MARGIN_US));
            }
        }
    }
    let spans = merge_spans(spans, usize::MAX);
    let kinds = in_list(request.window_kinds.iter().map(String::as_str));
    for within in span_conditions(&spans) {
        let cond = format!("kind IN ({kinds}) AND ({within})");
        for e in q.events(&cond).map_err(ctx("selecting the devices' events around the arrivals"))? {
            out.insert(arena.add(e));
        }
    }
    Ok(out)
}

/// Spans per query: each query is one scan (pruned by the row groups' time
/// statistics), so spans are grouped rather than merged into wider ones.
const SPANS_PER_QUERY: usize = 128;

/// `ts BETWEEN …` conditions, [`SPANS_PER_QUERY`] spans OR'ed per condition.
fn span_conditions(spans: &[(i64, i64)]) -> Vec<String> {
    spans
        .chunks(SPANS_PER_QUERY)
        .map(|chunk| {
            chunk
                .iter()
                .map(|(a, b)| format!("ts BETWEEN to_timestamp_micros({a}) AND to_timestamp_micros({b})"))
                .collect::<Vec<_>>()
                .join(" OR ")
        })
        .collect()
}

/// Sorts and merges overlapping spans, then merges the closest neighbours
/// until at most `max` remain.
pub fn merge_spans(mut spans: Vec<(i64, i64)>, max: usize) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    while merged.len() > max.max(1) {
        let Some(k) = (0..merged.len() - 1).min_by_key(|&k| (merged[k + 1].0 - merged[k].1, k)) else { break };
        merged[k].1 = merged[k].1.max(merged[k + 1].1);
        merged.remove(k + 1);
    }
    merged
}

/// Each input's format, device, clock, time span and the columns the gap
/// checks ask about.
fn inputs(case: &Case, q: &Query, request: &Request) -> Result<Vec<InputInfo>, LinkError> {
    let entries = case.manifest_entries().map_err(ctx("reading the manifest"))?;
    let mut logged: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for m in &entries {
        let Some(spec) = &m.log_format else { continue };
        let spec = spec.to_ascii_lowercase().replace('_', "-");
        for (header, column) in LOGGED_HEADERS {
            if spec.contains(header) {
                logged.entry(m.id.as_str()).or_default().insert((*column).to_owned());
            }
        }
    }
    let cols: Vec<&str> = request.decide_columns.iter().map(String::as_str).collect();
    let counts: String = cols.iter().map(|c| format!(", count({c}) AS \"{c}\"")).collect();
    let sql = format!(
        "SELECT source, format, min(ts) AS lo, max(ts) AS hi{counts} FROM events GROUP BY source, format ORDER BY source, format"
    );
    let (_, batches) = q.sql(&sql).map_err(ctx("reading the coverage of the inputs"))?;
    let by_id: BTreeMap<&str, &waybill_store::ManifestEntry> = entries.iter().map(|m| (m.id.as_str(), m)).collect();
    let mut out = Vec::new();
    for b in batches {
        let source = b.column(0).as_string::<i32>();
        let format = b.column(1).as_string::<i32>();
        let lo = b.column(2).as_primitive::<TimestampMicrosecondType>();
        let hi = b.column(3).as_primitive::<TimestampMicrosecondType>();
        for i in 0..b.num_rows() {
            let mut columns = logged.get(source.value(i)).cloned().unwrap_or_default();
            for (j, c) in cols.iter().enumerate() {
                let n = b.column(4 + j).as_primitive::<Int64Type>();
                if n.value(i) > 0 {
                    columns.insert((*c).to_owned());
                }
            }
            let entry = by_id.get(source.value(i));
            out.push(InputInfo {
                source: source.value(i).to_owned(),
                format: format.value(i).to_owned(),
                path: entry.map(|m| m.path.clone()).unwrap_or_default(),
                device: entry.and_then(|m| m.device.clone()),
                clock: entry.map(|m| m.clock.clone()).unwrap_or_default(),
                remote: is_remote(format.value(i)),
                from: lo.value(i),
                to: hi.value(i),
                columns,
            });
        }
    }
    // Per-entry formats (one file per record: cache entries, exported
    // streams): the folders of them on a device cover the span of all their
    // entries together.
    let mut merged: BTreeMap<(String, Option<String>), InputInfo> = BTreeMap::new();
    out.retain(|c| {
        if !waybill_ingest::find(&c.format).is_some_and(|s| s.per_entry()) {
            return true;
        }
        let m = merged
            .entry((c.format.clone(), c.device.clone()))
            .or_insert_with(|| InputInfo { columns: BTreeSet::new(), ..c.clone() });
        m.from = m.from.min(c.from);
        m.to = m.to.max(c.to);
        m.columns.extend(c.columns.iter().cloned());
        false
    });
    out.extend(merged.into_values());
    Ok(out)
}

/// Does a format hold records kept by a server, CDN, storage or cloud service
/// (its events carry the host's clock) rather than by a device?
pub fn is_remote(format: &str) -> bool {
    waybill_ingest::find(format).is_some_and(|s| s.clock() == waybill_ingest::ClockHint::Host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_merge_and_are_capped() {
        assert_eq!(merge_spans(vec![(5, 9), (0, 6), (20, 30)], 10), [(0, 9), (20, 30)]);
        assert_eq!(merge_spans(vec![(0, 1), (10, 11), (13, 14), (100, 101)], 2), [(0, 14), (100, 101)]);
        assert!(merge_spans(Vec::new(), 4).is_empty());
    }

    #[test]
    fn server_formats_are_remote() {
        assert!(is_remote("apache.access") && is_remote("m365.audit") && is_remote("cloudflare.http"));
        assert!(!is_remote("chrome.history") && !is_remote("files.tree") && !is_remote("windows.evtx"));
    }
}
