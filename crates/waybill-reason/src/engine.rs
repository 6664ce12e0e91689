//! From the candidate events of a case to one finding per copy.
//!
//! A **copy** is one place a file of interest is on a device: a file of an
//! extracted tree (`ingest --files`), a browser cache entry whose body is the
//! content, or a delivery record (a download row, a messaging media row)
//! naming a path no tree holds. Each copy gets its own finding, keyed by
//! (SHA-256, device, path), evaluated from:
//!
//! 1. the copy's **own records**: the records of its device tied to it (its
//!    file-system times, the download or media row naming its path, the Mark
//!    of the Web in its folder, the visits of its URL), and the pages around it;
//! 2. the **server and cloud records** tied to the content, each **attributed**
//!    ([`crate::attribution`]) to the subject or to someone else, with the
//!    reason;
//! 3. the **clocks** aligned from pairs of the two ([`crate::clock`]);
//! 4. the **arrival** (the first delivery record of the copy), the start of
//!    the retrieval, and the **delivery window**: evidence of how the copy came
//!    is taken from that window only — nothing certainly after the arrival
//!    (later acts are listed after it, never weighed), nothing at or before an
//!    earlier separate delivery of the content on the device, and, on a clock
//!    that cannot be aligned, nothing beyond five minutes of it;
//! 5. the **facts** derived per copy (`ctx.*`: a page-triggered download, a
//!    page's load burst, the delay from a message to its media);
//! 6. the **rules** and their combination ([`crate::evaluate`]), the gaps and
//!    the open questions.
//!
//! Pure: the same evidence, subjects, context and rulebook give the same
//! findings, byte for byte.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use waybill_model::evidence::{CaseEvidence, FileEvidence, InputInfo, Matched};
use waybill_model::url::{ends_at_folder, path_key};
use waybill_model::{EventKind, StoredEvent, Subject, Timestamp};

use crate::attribution::{Attribution, Profile, RecordFacts, Subjects, Who, attribute};
use crate::clock::{Alignment, ClockEstimate, align, applied_offsets};
use crate::evaluate::{Combined, EvidenceItem, combine};
use crate::rule::{Actor, Rule, Rulebook, Scope};

/// The finding's schema id.
pub const SCHEMA: &str = "waybill.finding/2";

/// Hp, as every finding states it.
pub const HP: &str = "the subject, by their own act on this device, caused this copy to be retrieved (their own upload into storage that this device syncs counts: the copy is then a copy of their own file)";

/// Hd, as every finding states it.
pub const HD: &str = "this copy reached the device without the subject's act: automatic delivery by an app, a sync client or the browser; a page's script or an ad; or another person using the same address, account or device";

/// What the propositions leave out.
pub const SCOPE_NOTE: &str = "The propositions concern how this copy came to be on the device, at activity level (ENFSI guideline for evaluative reporting). Whether the subject knew what the file contained is outside them, and nothing here speaks to it.";

/// The window, in seconds, of a rule that names none (the gaps of rules over
/// the linked events are reported for it).
pub const WINDOW_S: i64 = 600;

/// How far an unaligned device clock (no offset estimated against a server)
/// may plausibly be from the arrival's clock: an event on it counts for the
/// delivery only within this far of the arrival, and state events must hold
/// this far on both sides of the retrieval's start.
pub const UNALIGNED_CLOCK_US: i64 = 300_000_000;

/// Slack (µs) between a delivery's last request and its arrival record, beyond
/// the clocks' own uncertainty (server logs keep whole seconds).
const DELIVERY_SLACK_US: i64 = 2_000_000;

/// A sync client's downloads of one account with gaps up to this (µs) are one
/// sync: its start is the retrieval's start for every file of it.
const SYNC_BATCH_GAP_US: i64 = 120_000_000;

/// What a case adds to the evidence.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The case's subjects.
    pub subjects: &'a [Subject],
    /// What the examiner established (`case new --context KEY=VALUE`), e.g.
    /// `roaming = no`.
    pub context: &'a BTreeMap<String, String>,
    /// The rules.
    pub book: &'a Rulebook,
    /// SHA-256 of the manifest the findings cite.
    pub inputs_sha256: &'a str,
    /// Every review step of the case, in custody order ([`crate::review`]).
    pub reviews: &'a [crate::review::ReviewStep],
}

/// What a copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyKind {
    /// A file of an extracted tree.
    File,
    /// A browser cache entry whose body is the content.
    CacheEntry,
    /// A delivery record naming a path no tree holds.
    Record,
    /// Known only from server or cloud records.
    RemoteOnly,
}

/// The copy a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Copy {
    /// What it is.
    pub kind: CopyKind,
    /// Its device (`--device`), when known.
    pub device: Option<String>,
    /// Its path: below the tree root, the record's path, or the cache key
    /// (`cache:<top-frame site> <url>`).
    pub path: String,
    /// The URL it was fetched from, when a record says.
    pub url: Option<String>,
    /// The input and record that hold it.
    pub source: Option<String>,
    /// Its record.
    pub record: Option<String>,
}

impl Copy {
    /// The finding id: the content's SHA-256, `-`, the first 16 hex digits of
    /// the SHA-256 of `device \0 path`.
    pub fn id(&self, sha256: &str) -> String {
        let h = Sha256::digest(format!("{}\0{}", self.device.as_deref().unwrap_or(""), self.path).as_bytes());
        let h = hex::encode(&h[..8]);
        format!("{sha256}-{h}")
    }

    fn device_name(&self) -> &str {
        self.device.as_deref().unwrap_or("the device")
    }
}

/// The propositions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Propositions {
    /// Hp.
    pub hp: String,
    /// Hd.
    pub hd: String,
    /// What they leave out.
    pub scope: String,
}

impl Default for Propositions {
    fn default() -> Self {
        Self { hp: HP.into(), hd: HD.into(), scope: SCOPE_NOTE.into() }
    }
}

/// The file of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOfInterest {
    /// Its SHA-256.
    pub sha256: String,
    /// The paths of all its copies in file trees.
    pub paths: Vec<String>,
    /// The sets it matched.
    pub matched: Vec<Matched>,
}

/// An event reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvRef {
    /// Manifest id.
    pub source: String,
    /// Record within it.
    pub record: String,
}

/// The arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// Corrected time.
    pub ts: String,
    /// Event kind.
    pub kind: String,
    /// Manifest id.
    pub source: String,
    /// Record.
    pub record: String,
    /// Which moment this is.
    pub what: String,
    /// When the retrieval started, and from which record, when known.
    pub retrieval_start: Option<String>,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// Corrected time.
    pub ts: String,
    /// Event kind.
    pub kind: String,
    /// `origin` (a server or cloud record of the delivery, before the
    /// arrival), `transit`, `arrival`, `after` (certainly after the arrival:
    /// never weighed), `earlier` (before the delivery: an earlier separate
    /// delivery, or beyond the window an unaligned clock allows).
    pub role: String,
    /// Manifest id.
    pub source: String,
    /// Record.
    pub record: String,
    /// One line.
    pub summary: String,
}

/// One evaluated rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Rule id.
    pub rule: String,
    /// log10 LR.
    pub log10_lr: f64,
    /// Low–high (widened when it rests on records attributed by address alone).
    pub range: [f64; 2],
    /// Dependency group (the fact it measures).
    pub group: String,
    /// It counted.
    pub counted: bool,
    /// It rests on the arrival's own event.
    pub attached: bool,
    /// It rests only on records attributed to the subject by address alone.
    pub weak: bool,
    /// Why it did not count, or how it counted with opposite evidence.
    pub note: Option<String>,
    /// Why it fired.
    pub explanation: String,
    /// The events it rests on.
    pub events: Vec<EvRef>,
    /// The examiners' review of it: `rejected` (left out of the combination),
    /// `accepted` or `disputed`, with each examiner's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::review::ItemReview>,
}

/// One group's contribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOut {
    /// The group.
    pub group: String,
    /// Its log10 LR.
    pub log10_lr: f64,
    /// Its range.
    pub range: [f64; 2],
    /// `hp`, `hd` or `neither`.
    pub direction: String,
    /// Rests only on records attributed by address alone.
    pub weak: bool,
}

/// Evidence that could not be looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The rules it would decide (comma-separated).
    pub rule: String,
    /// The source that would decide them.
    pub needs: String,
    /// Window start, or null without an arrival or when the window reaches
    /// back without bound (an origin rule with no `window_s`).
    pub from: Option<String>,
    /// Window end.
    pub to: Option<String>,
}

/// A finding: `waybill.finding/2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Always `waybill.finding/2`.
    pub schema: String,
    /// The copy id (`<sha256>-<16 hex>`).
    pub id: String,
    /// Hp and Hd.
    pub propositions: Propositions,
    /// The content.
    pub file: FileOfInterest,
    /// The copy.
    pub copy: Copy,
    /// When and how it reached the device.
    pub arrival: Option<Arrival>,
    /// Everything linked, in corrected time order.
    pub chain: Vec<ChainLink>,
    /// Whose act each server or cloud record of the chain is, and why.
    pub attribution: Vec<Attribution>,
    /// The decision band: `user_initiated`, `automatic` or `indeterminate`.
    pub verdict: String,
    /// Why the band is what it is.
    pub decision: String,
    /// Combined log10 LR.
    pub log10_lr: f64,
    /// Its sensitivity range.
    pub log10_lr_range: [f64; 2],
    /// ENFSI words.
    pub verbal: String,
    /// The ENFSI sentence.
    pub statement: String,
    /// Each group's contribution.
    pub groups: Vec<GroupOut>,
    /// Rules that fired.
    pub evidence: Vec<Evidence>,
    /// Rules that could not be evaluated.
    pub gaps: Vec<Gap>,
    /// Questions the evidence leaves open that the examiner may answer.
    pub open_questions: Vec<String>,
    /// What happened after the arrival (facts, not weighed).
    pub after_arrival: Vec<ChainLink>,
    /// Server requests for the content by other clients, more than an hour
    /// from the arrival, left out of the chain (counted, not listed: a popular
    /// URL is requested by thousands).
    pub others_left_out: usize,
    /// Clock estimates used.
    pub clocks: Vec<ClockEstimate>,
    /// SHA-256 of the rulebook.
    pub rulebook: String,
    /// SHA-256 of the manifest.
    pub inputs: String,
    /// The examiners' review steps applied, and what they decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::review::FindingReview>,
}

/// Per-copy derived facts (`ctx.*`) and settings-derived `auto`, by event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overlay(BTreeMap<usize, BTreeMap<&'static str, String>>);

impl Overlay {
    pub(crate) fn set(&mut self, i: usize, fact: &'static str, value: impl ToString) {
        self.0.entry(i).or_default().insert(fact, value.to_string());
    }

    pub(crate) fn get(&self, i: usize, fact: &str) -> Option<&str> {
        self.0.get(&i).and_then(|m| m.get(fact)).map(String::as_str)
    }
}

/// Everything known of one copy while it is evaluated.
pub(crate) struct Ctx<'a> {
    pub(crate) ev: &'a CaseEvidence,
    pub(crate) inputs: BTreeMap<&'a str, &'a InputInfo>,
    pub(crate) file: &'a FileEvidence,
    pub(crate) copy: Copy,
    /// The copy's own device records tied to it by a key.
    pub(crate) own: Vec<usize>,
    /// The device's records of the pages around it.
    pub(crate) own_context: Vec<usize>,
    /// Every delivery record of the content on the device (any copy).
    pub(crate) device_deliveries: Vec<usize>,
    /// Server and cloud records tied to the content.
    pub(crate) remote: Vec<usize>,
    /// Server records of the pages around it.
    pub(crate) remote_context: Vec<usize>,
    pub(crate) alignment: Alignment,
    pub(crate) offsets: BTreeMap<String, i64>,
    pub(crate) uncertainty: BTreeMap<String, i64>,
    pub(crate) who: BTreeMap<usize, (Who, bool, String)>,
    pub(crate) overlay: Overlay,
    pub(crate) arrival: Option<(usize, &'static str)>,
    pub(crate) start: Option<(i64, usize, &'static str)>,
    /// The receiving device's events around the arrival that the windowed
    /// rules and the facts read.
    pub(crate) near: Vec<usize>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn e(&self, i: usize) -> &'a StoredEvent {
        &self.ev.events[i]
    }

    pub(crate) fn is_remote(&self, i: usize) -> bool {
        is_remote(self.ev, &self.inputs, i)
    }

    pub(crate) fn corr(&self, i: usize) -> i64 {
        let e = self.e(i);
        e.ts - self.offsets.get(&e.clock).copied().unwrap_or(0)
    }

    pub(crate) fn unc(&self, i: usize) -> i64 {
        self.uncertainty.get(&self.e(i).clock).copied().unwrap_or(0)
    }

    /// Can two events' times be compared: the same clock, or both server
    /// clocks or clocks with an estimate.
    pub(crate) fn ordered(&self, i: usize, j: usize) -> bool {
        let known = |k: usize| self.is_remote(k) || self.uncertainty.contains_key(&self.e(k).clock);
        self.e(i).clock == self.e(j).clock || known(i) && known(j)
    }

    /// A column of an event as a rule reads it: derived facts and the
    /// settings-derived `auto` first.
    pub(crate) fn get(&self, i: usize, col: &str) -> Option<Cow<'a, str>> {
        if let Some(fact) = col.strip_prefix("ctx.") {
            return self.overlay.get(i, fact).map(|s| Cow::Owned(s.to_owned()));
        }
        if col == "auto"
            && let Some(v) = self.overlay.get(i, "auto")
        {
            return Some(Cow::Owned(v.to_owned()));
        }
        self.e(i).column(col)
    }

    pub(crate) fn attributed(&self, i: usize) -> Who {
        if !self.is_remote(i) {
            return Who::Subject;
        }
        self.who.get(&i).map_or(Who::Unknown, |w| w.0)
    }

    pub(crate) fn weak(&self, i: usize) -> bool {
        self.is_remote(i) && self.who.get(&i).is_some_and(|w| w.1)
    }
}

/// Is an event a server, CDN or cloud record?
fn is_remote(ev: &CaseEvidence, inputs: &BTreeMap<&str, &InputInfo>, i: usize) -> bool {
    let e = &ev.events[i];
    inputs.get(e.source.as_str()).map_or(e.clock.starts_with("host:"), |x| x.remote)
}

/// The device an event belongs to: its input's `--device` (the examiner's
/// attribution, which the copies of file trees carry too), else the device
/// the record names (an event log's computer name).
pub(crate) fn device_of(ev: &CaseEvidence, inputs: &BTreeMap<&str, &InputInfo>, i: usize) -> Option<String> {
    let e = &ev.events[i];
    inputs.get(e.source.as_str()).and_then(|x| x.device.clone()).or_else(|| e.device.clone())
}

/// Why a visit is not this device user's act, if it is not: synced from
/// another device, made by an extension, imported.
pub fn visit_elsewhere(e: &StoredEvent) -> Option<String> {
    if e.kind != EventKind::BrowserVisit {
        return None;
    }
    if let Some(s) = e.attr_str("visit_source").filter(|s| !matches!(*s, "browsed" | "0" | "1" | "2" | "3")) {
        return Some(match s {
            "synced" => "synced from another device (visit_source synced): not an act on this device".into(),
            "extension" => "made by a browser extension (visit_source extension): not the person's navigation".into(),
            other => format!("not browsed on this device (visit_source {other})"),
        });
    }
    if let Some(g) = e.attr_str("originator_cache_guid") {
        return Some(format!("synced from another device (originator_cache_guid {g}): not an act on this device"));
    }
    if e.attr_str("origin") == Some("synced") {
        return Some("synced from another device (Safari origin synced): not an act on this device".into());
    }
    None
}

fn hash_matches(e: &StoredEvent, f: &FileEvidence) -> bool {
    e.sha256.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(&f.sha256))
        || e.md5.as_deref().zip(f.md5.as_deref()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        || e.sha1.as_deref().zip(f.sha1.as_deref()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
}

const DELIVERY_RECORDS: &[EventKind] =
    &[EventKind::BrowserDownload, EventKind::MsgMediaFetched, EventKind::CloudDownload, EventKind::CloudSyncDownload];

/// The copies of a content: tree files, cache entries, delivery records
/// naming paths no tree holds on that device; or one known only remotely.
fn copies_of(ev: &CaseEvidence, inputs: &BTreeMap<&str, &InputInfo>, f: &FileEvidence) -> Vec<Copy> {
    let mut out: BTreeMap<(Option<String>, String), Copy> = BTreeMap::new();
    for c in &f.copies {
        out.entry((c.device.clone(), c.path.clone())).or_insert_with(|| Copy {
            kind: CopyKind::File,
            device: c.device.clone(),
            path: c.path.clone(),
            url: None,
            source: Some(c.source.clone()),
            record: Some(c.record.clone()),
        });
    }
    let tree_devices: BTreeSet<Option<String>> = f.copies.iter().map(|c| c.device.clone()).collect();
    for &i in &f.linked {
        let e = &ev.events[i];
        if is_remote(ev, inputs, i) || !hash_matches(e, f) {
            continue;
        }
        let device = device_of(ev, inputs, i);
        if e.kind == EventKind::BrowserCacheEntry {
            let site = e.attr_str("top_frame_site").unwrap_or("");
            let path = format!("cache:{site} {}", e.url.as_deref().unwrap_or(""));
            out.entry((device.clone(), path.clone())).or_insert_with(|| Copy {
                kind: CopyKind::CacheEntry,
                device,
                path,
                url: e.url.clone(),
                source: Some(e.source.clone()),
                record: Some(e.record.clone()),
            });
        } else if DELIVERY_RECORDS.contains(&e.kind)
            && !tree_devices.contains(&device)
            && let Some(p) = e.path.clone()
        {
            out.entry((device.clone(), p.clone())).or_insert_with(|| Copy {
                kind: CopyKind::Record,
                device,
                path: p,
                url: e.url.clone(),
                source: Some(e.source.clone()),
                record: Some(e.record.clone()),
            });
        }
    }
    if out.is_empty() {
        return vec![Copy {
            kind: CopyKind::RemoteOnly,
            device: None,
            path: String::new(),
            url: f.linked.iter().find_map(|&i| ev.events[i].url.clone()),
            source: None,
            record: None,
        }];
    }
    out.into_values().collect()
}

/// Does a record's path name this copy's file? `Some(true)` when it does,
/// `Some(false)` when it names another path, `None` when it names none.
fn names_copy(e: &StoredEvent, copy_key: &str) -> Option<bool> {
    let p = path_key(e.path.as_deref()?);
    Some(match ends_at_folder(&p, copy_key) {
        Some(n) => n >= 2 || (n == 1 && (p == copy_key || e.kind == EventKind::BrowserDownload)),
        None => false,
    })
}

/// Splits the events of a file between this copy's own records, the device's
/// records of the pages around it, every delivery of the content on the
/// device, and the server and cloud records.
fn prepare<'a>(
    ev: &'a CaseEvidence,
    inputs: &BTreeMap<&'a str, &'a InputInfo>,
    f: &'a FileEvidence,
    copy: Copy,
    all_copies: &[Copy],
) -> Ctx<'a> {
    let key = path_key(&copy.path);
    let dev = copy.device.clone();
    let other_paths: Vec<String> = all_copies
        .iter()
        .filter(|c| c.kind == CopyKind::File && c.device == dev && c.path != copy.path)
        .map(|c| path_key(&c.path))
        .collect();
    let (mut own, mut own_context, mut device_deliveries, mut remote, mut remote_context) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &i in &f.linked {
        if is_remote(ev, inputs, i) {
            remote.push(i);
            continue;
        }
        let e = &ev.events[i];
        if device_of(ev, inputs, i) != dev {
            continue;
        }
        let is_delivery = DELIVERY_RECORDS.contains(&e.kind) || e.kind == EventKind::BrowserCacheEntry;
        if is_delivery && (hash_matches(e, f) || e.path.is_some()) {
            device_deliveries.push(i);
        }
        let mine = match (copy.kind, e.kind) {
            (CopyKind::RemoteOnly, _) => false,
            (CopyKind::CacheEntry, EventKind::BrowserCacheEntry) => {
                copy.source.as_deref() == Some(e.source.as_str()) && copy.record.as_deref() == Some(e.record.as_str())
            }
            (_, EventKind::BrowserCacheEntry) => false,
            (CopyKind::CacheEntry, k) => matches!(k, EventKind::BrowserVisit),
            (
                CopyKind::File,
                EventKind::FsCreated | EventKind::FsModified | EventKind::FsAccessed | EventKind::FsChanged,
            ) => e
                .path
                .as_deref()
                .map(path_key)
                .is_some_and(|p| p == key || ends_at_folder(&p, &key).is_some_and(|n| n >= 2)),
            (CopyKind::File, EventKind::FsOriginMarker) => {
                // By name only together with a matching folder: the marker's
                // path as exported must end with the copy's folder and name.
                e.path.as_deref().map(path_key).is_some_and(|p| ends_at_folder(&p, &key).is_some_and(|n| n >= 2))
            }
            (CopyKind::File, k) if DELIVERY_RECORDS.contains(&k) || k == EventKind::CloudUpload => {
                match names_copy(e, &key) {
                    Some(true) => true,
                    // A record naming another copy's path is that copy's.
                    Some(false) => hash_matches(e, f) && !other_paths.iter().any(|o| names_copy(e, o) == Some(true)),
                    None => hash_matches(e, f),
                }
            }
            (CopyKind::Record, k) if DELIVERY_RECORDS.contains(&k) => {
                e.path.as_deref().map(path_key).is_some_and(|p| p == key)
            }
            (CopyKind::Record, EventKind::FsOriginMarker) => false,
            // The shell's record of an open names the file by its path.
            (CopyKind::File, EventKind::FsOpened) => names_copy(e, &key) == Some(true),
            (_, EventKind::FsOpened) => false,
            (_, _) => true,
        };
        if mine {
            own.push(i);
        }
    }
    for &i in &f.context {
        if is_remote(ev, inputs, i) {
            remote_context.push(i);
        } else if device_of(ev, inputs, i) == dev {
            own_context.push(i);
        }
    }
    Ctx {
        ev,
        inputs: inputs.clone(),
        file: f,
        copy,
        own,
        own_context,
        device_deliveries,
        remote,
        remote_context,
        alignment: Alignment::default(),
        offsets: BTreeMap::new(),
        uncertainty: BTreeMap::new(),
        who: BTreeMap::new(),
        overlay: Overlay::default(),
        arrival: None,
        start: None,
        near: Vec::new(),
    }
}

impl Ctx<'_> {
    /// Aligns the device clock from the copy's own records and the pages
    /// around it (visits made elsewhere are not this device's moments), with
    /// the server requests from the subject's addresses (every request when
    /// the case names none): another client's request for the same URL a few
    /// seconds from the device's record must not set its clock.
    fn align(&mut self, subjects: &Subjects) {
        let clients: Vec<usize> = self
            .own
            .iter()
            .chain(&self.own_context)
            .copied()
            .filter(|&i| visit_elsewhere(self.e(i)).is_none())
            .collect();
        let servers: Vec<usize> = self
            .remote
            .iter()
            .chain(&self.remote_context)
            .copied()
            .filter(|&i| {
                let e = self.e(i);
                e.kind == EventKind::HttpRequest
                    && e.client_ip.as_deref().is_none_or(|ip| subjects.address(ip, e.ts) != Some(false))
            })
            .collect();
        self.alignment = align(&self.ev.events, &clients, &servers);
        self.offsets = applied_offsets(&self.alignment.estimates);
        self.uncertainty = self
            .alignment
            .estimates
            .iter()
            .map(|c| (c.clock.clone(), (c.uncertainty_s * 1e6).round() as i64))
            .collect();
    }

    fn paired(&self, server: usize) -> bool {
        self.alignment.pairs.iter().any(|(_, s)| *s == server)
    }
}

/// Learns the browsers of every device from the pairs of every copy: the
/// requests the alignment tied to the device's own records, from the subject's
/// addresses (or any address when the case names none).
fn learn_profiles(ctxs: &[Ctx<'_>], subjects: &Subjects) -> BTreeMap<Option<String>, Profile> {
    let mut seen: BTreeMap<Option<String>, BTreeSet<usize>> = BTreeMap::new();
    for c in ctxs {
        for (_, s) in &c.alignment.pairs {
            let e = c.e(*s);
            let ok =
                e.client_ip.as_deref().map_or(subjects.ips.is_empty(), |ip| subjects.address(ip, e.ts) != Some(false));
            if ok && e.user_agent.is_some() {
                seen.entry(c.copy.device.clone()).or_default().insert(*s);
            }
        }
    }
    seen.into_iter()
        .map(|(dev, reqs)| {
            let mut p = Profile::default();
            for i in reqs {
                if let Some(ua) = ctxs.first().and_then(|c| c.ev.events[i].user_agent.as_deref()) {
                    p.learn(ua);
                }
            }
            (dev, p)
        })
        .collect()
}

/// One finding per copy of every file of the evidence, in copy-id order.
pub fn analyze_case(ev: &CaseEvidence, setup: &Setup<'_>) -> Vec<Finding> {
    let inputs = ev.inputs_by_id();
    let subjects = Subjects::new(setup.subjects);
    let mut ctxs = Vec::new();
    for f in &ev.files {
        let copies = copies_of(ev, &inputs, f);
        for copy in &copies {
            let mut c = prepare(ev, &inputs, f, copy.clone(), &copies);
            c.align(&subjects);
            ctxs.push(c);
        }
    }
    let profiles = learn_profiles(&ctxs, &subjects);
    let empty = Profile::default();
    let mut out: Vec<Finding> = ctxs
        .into_iter()
        .map(|mut c| {
            let profile = profiles.get(&c.copy.device).unwrap_or(&empty);
            c.attribute(&subjects, profile);
            c.evaluate(setup)
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

impl<'a> Ctx<'a> {
    fn attribute(&mut self, subjects: &Subjects, profile: &Profile) {
        let device = self.copy.device_name().to_owned();
        for &i in self.remote.iter().chain(&self.remote_context) {
            let e = self.e(i);
            let facts = RecordFacts {
                ts: e.ts,
                actor: e.actor.as_deref().filter(|_| e.kind != EventKind::HttpRequest),
                client_ip: e.client_ip.as_deref(),
                user_agent: e.user_agent.as_deref(),
                paired: self.paired(i),
            };
            let (who, weak, why) = attribute(facts, subjects, &device, profile);
            if weak && who == Who::Subject {
                self.overlay.set(i, "weak", "true");
            }
            self.who.insert(i, (who, weak, why));
        }
    }

    /// The copy's arrival: its first delivery record, in this order of
    /// preference, then the earlier of its creation and modification times.
    /// A server or cloud delivery record counts only when it is the subject's
    /// and not certainly after the copy already existed (its creation or
    /// change time on the device, which cannot be carried over from a source).
    fn pick_arrival(&self) -> Option<(usize, &'static str)> {
        const ARRIVALS: &[(&[EventKind], Option<&str>, &str)] = &[
            (&[EventKind::BrowserDownload], Some("end"), "download complete"),
            (&[EventKind::MsgMediaFetched], None, "messaging media fetched"),
            (&[EventKind::CloudSyncDownload], None, "sync client download"),
            (&[EventKind::CloudDownload], None, "cloud download"),
            (&[EventKind::BrowserCacheEntry], None, "cache write"),
            (&[EventKind::BrowserDownload], Some("start"), "download started (no completion recorded)"),
            // A file's creation and modification times are one category: a
            // copied or extracted file has a creation time later than its
            // modification time, and then the modification time is the better
            // bound on its arrival.
            (
                &[EventKind::FsCreated, EventKind::FsModified],
                None,
                "file created or last modified, whichever is earlier",
            ),
        ];
        let existed: Option<usize> = self
            .own
            .iter()
            .copied()
            .filter(|&i| matches!(self.e(i).kind, EventKind::FsCreated | EventKind::FsChanged))
            .min_by_key(|&i| (self.corr(i), i));
        let remote_ok = |i: usize| {
            self.attributed(i) == Who::Subject
                && !self.weak(i)
                && matches!(self.copy.kind, CopyKind::File | CopyKind::Record)
                && existed.is_none_or(|x| {
                    let margin = if self.ordered(i, x) { self.unc(i) + self.unc(x) } else { UNALIGNED_CLOCK_US };
                    self.corr(i) <= self.corr(x) + margin + DELIVERY_SLACK_US
                })
        };
        for (kinds, phase, what) in ARRIVALS {
            let best = self
                .own
                .iter()
                .copied()
                .chain(self.remote.iter().copied().filter(|&i| remote_ok(i)))
                .filter(|&i| {
                    let e = self.e(i);
                    kinds.contains(&e.kind) && phase.is_none_or(|p| e.attr_str("phase") == Some(p))
                })
                .min_by_key(|&i| (self.corr(i), self.e(i).source.as_str(), self.e(i).seq));
            if let Some(i) = best {
                return Some((i, what));
            }
        }
        None
    }

    /// When the retrieval started: the download's start row, the cache
    /// entry's request time, the start of the sync the file came with, the
    /// message's receipt. `None` when only file times are known (they may be
    /// carried over from the source).
    fn retrieval_start(&self) -> Option<(i64, usize, &'static str)> {
        let (a, _) = self.arrival?;
        let e = self.e(a);
        match e.kind {
            EventKind::BrowserDownload => {
                let start = self
                    .own
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let x = self.e(i);
                        x.kind == EventKind::BrowserDownload
                            && x.source == e.source
                            && x.record == e.record
                            && x.attr_str("phase") == Some("start")
                    })
                    .min_by_key(|&i| self.corr(i));
                Some(match start {
                    Some(s) => (self.corr(s), s, "the download's start"),
                    None => (self.corr(a), a, "the download record"),
                })
            }
            EventKind::BrowserCacheEntry => {
                let t = e
                    .attr_str("request_time")
                    .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                    .map(Timestamp::unix_micros)
                    .map_or(self.corr(a), |t| t - self.offsets.get(&e.clock).copied().unwrap_or(0));
                Some((t, a, "the cache entry's request"))
            }
            EventKind::CloudSyncDownload => {
                // The sync this download belongs to: the same account's sync
                // downloads with gaps up to two minutes, back from this one.
                let mut batch: Vec<&StoredEvent> = self
                    .device_events_between(e.ts - 6 * 3_600_000_000, e.ts)
                    .iter()
                    .map(|&i| self.e(i))
                    .filter(|x| x.kind == EventKind::CloudSyncDownload && x.actor == e.actor && x.source == e.source)
                    .collect();
                batch.sort_by_key(|x| x.ts);
                let mut first = e.ts;
                for x in batch.iter().rev() {
                    if x.ts < first && first - x.ts <= SYNC_BATCH_GAP_US {
                        first = x.ts;
                    }
                }
                Some((first - (e.ts - self.corr(a)), a, "the start of the sync it came with"))
            }
            EventKind::MsgMediaFetched | EventKind::CloudDownload => Some((self.corr(a), a, "the arrival record")),
            _ => None,
        }
    }
}

/// Formats that hold a state as last saved (settings): they cover every
/// moment after their last write.
const SNAPSHOT_FORMATS: &[&str] = &["whatsapp.prefs"];

/// Moments a content can reach a device, other than file-system times.
const EARLIER_DELIVERIES: &[(EventKind, Option<&str>)] = &[
    (EventKind::BrowserDownload, Some("end")),
    (EventKind::MsgMediaFetched, None),
    (EventKind::CloudSyncDownload, None),
    (EventKind::CloudDownload, None),
    (EventKind::BrowserCacheEntry, None),
];

/// Where an event stands against the copy's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before an earlier separate delivery, or before what an unaligned clock allows.
    Earlier,
    /// Part of the delivery.
    Delivery,
    /// The arrival itself.
    Arrival,
    /// Certainly after the arrival.
    After,
}

impl Ctx<'_> {
    /// The latest earlier, separate delivery of the content on the device.
    fn earlier_delivery(&self) -> Option<usize> {
        let (a, _) = self.arrival?;
        let ta = self.corr(a);
        self.device_deliveries
            .iter()
            .copied()
            .filter(|&i| {
                let e = self.e(i);
                i != a
                    && self.ordered(i, a)
                    && EARLIER_DELIVERIES
                        .iter()
                        .any(|(k, phase)| e.kind == *k && phase.is_none_or(|p| e.attr_str("phase") == Some(p)))
                    && !(e.source == self.e(a).source && e.record == self.e(a).record)
            })
            .filter(|&i| self.corr(i) < ta - DELIVERY_SLACK_US)
            .max_by_key(|&i| (self.corr(i), i))
    }

    /// Where event `i` stands against the delivery.
    fn place(&self, i: usize, earlier: Option<usize>) -> Place {
        let Some((a, _)) = self.arrival else { return Place::Delivery };
        if i == a {
            return Place::Arrival;
        }
        let (t, ta) = (self.corr(i), self.corr(a));
        let e = self.e(i);
        // A record without a time of its own (a Zone.Identifier stream is
        // placed at its export file's mtime) cannot be placed in time.
        if e.attr_str("ts_from").is_some_and(|f| f.ends_with("file mtime")) {
            return Place::Delivery;
        }
        if self.ordered(i, a) {
            if t - self.unc(i) > ta + self.unc(a) + DELIVERY_SLACK_US {
                return Place::After;
            }
            match earlier {
                Some(p) if self.ordered(i, p) && t <= self.corr(p) + DELIVERY_SLACK_US => Place::Earlier,
                _ => Place::Delivery,
            }
        } else {
            // An event on a clock that cannot be ordered against the arrival
            // counts only within five minutes of it (plus the retrieval's
            // own duration and ten minutes before it).
            if t > ta + UNALIGNED_CLOCK_US {
                return Place::After;
            }
            let lead = self.start.map_or(0, |(s, _, _)| (ta - s).max(0)) + WINDOW_S * 1_000_000;
            let too_early = t < ta - UNALIGNED_CLOCK_US - lead;
            let before_earlier = earlier.is_some_and(|p| t <= self.corr(p) + UNALIGNED_CLOCK_US);
            if too_early || before_earlier { Place::Earlier } else { Place::Delivery }
        }
    }
}

/// What a rule considered and matched, for one copy.
struct Fired {
    hits: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn evaluate(mut self, setup: &Setup<'_>) -> Finding {
        let review = crate::review::FindingReview::of(&self.copy.id(&self.file.sha256), setup.reviews);
        // Events an examiner took out: nothing rests on them.
        let struck: BTreeSet<(String, String)> = review
            .iter()
            .flat_map(|r| r.rejected())
            .filter_map(|i| crate::review::ReviewStep::event(&i.item))
            .map(|(s, r)| (s.to_owned(), r.to_owned()))
            .collect();
        if !struck.is_empty() {
            let ev = self.ev;
            let keep = |i: &usize| !struck.contains(&(ev.events[*i].source.clone(), ev.events[*i].record.clone()));
            for list in [
                &mut self.own,
                &mut self.own_context,
                &mut self.device_deliveries,
                &mut self.remote,
                &mut self.remote_context,
            ] {
                list.retain(keep);
            }
        }
        self.arrival = self.pick_arrival();
        self.start = self.retrieval_start();
        self.near = self.compute_near();
        if !struck.is_empty() {
            let ev = self.ev;
            self.near.retain(|i| !struck.contains(&(ev.events[*i].source.clone(), ev.events[*i].record.clone())));
        }
        let mut open_questions = Vec::new();
        let mut extra_gaps: Vec<Gap> = Vec::new();
        self.derive_facts(setup, &mut open_questions, &mut extra_gaps);
        let earlier = self.earlier_delivery();
        let places: BTreeMap<usize, Place> =
            self.own.iter().chain(&self.remote).map(|&i| (i, self.place(i, earlier))).collect();
        let arrival_ts = self.arrival.map(|(a, _)| self.corr(a));
        let attached = self.attached_events();

        let mut items: Vec<EvidenceItem> = Vec::new();
        let mut meta: Vec<(String, Vec<EvRef>)> = Vec::new();
        let mut gaps: BTreeMap<(String, Option<i64>, Option<i64>), Vec<String>> = BTreeMap::new();
        let mut fired_ids: BTreeSet<String> = BTreeSet::new();
        for rule in &setup.book.rules {
            let window = self.window_of(rule, arrival_ts);
            let (candidates, applies) = self.candidates(rule, window, &places);
            let hits: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| rule.condition.matches(self.e(i).kind.as_str(), |c| self.get(i, c)))
                .collect();
            let has_with = rule.condition.with.is_empty()
                || candidates.iter().any(|&i| rule.condition.with.iter().any(|k| k == self.e(i).kind.as_str()));
            let covered = self.is_covered(rule, window);
            let fired = if rule.condition.absent {
                applies && covered && hits.is_empty() && self.arrival.is_some() && has_with
            } else {
                applies
                    && hits.len() >= rule.condition.min_count as usize
                    && (!rule.condition.scope.is_windowed() || window.is_some())
            };
            if fired {
                let f = Fired { hits };
                let weak = !f.hits.is_empty() && f.hits.iter().all(|&i| self.weak(i));
                let mut range = rule.range;
                if weak {
                    // Another device at the address cannot be excluded: the
                    // end of the range nearest zero is halved.
                    if rule.log10_lr >= 0.0 {
                        range[0] = round6(range[0] / 2.0);
                    } else {
                        range[1] = round6(range[1] / 2.0);
                    }
                }
                items.push(EvidenceItem {
                    rule: rule.id.clone(),
                    group: rule.group.clone(),
                    log10_lr: rule.log10_lr,
                    range,
                    attached: f.hits.iter().any(|i| attached.contains(i)),
                    weak,
                    conclusive: rule.conclusive.is_some(),
                    counted: false,
                    note: None,
                });
                let mut refs: Vec<EvRef> = f
                    .hits
                    .iter()
                    .map(|&i| EvRef { source: self.e(i).source.clone(), record: self.e(i).record.clone() })
                    .collect();
                refs.sort();
                refs.dedup();
                meta.push((self.explain(rule, &f.hits, window), refs));
                fired_ids.insert(rule.id.clone());
            } else if !covered && applies {
                let (from, to) = window.map_or((None, None), |(f, t)| (Some(f), Some(t)));
                gaps.entry((rule.decides.needs.clone(), from, to)).or_default().push(rule.id.clone());
            }
        }
        // Rules whose evidence another fired rule explains do not apply.
        let mut excluded: Vec<(EvidenceItem, (String, Vec<EvRef>), String)> = Vec::new();
        let mut kept_items = Vec::new();
        let mut kept_meta = Vec::new();
        for (it, m) in items.into_iter().zip(meta) {
            if let Some(rev) = review.as_ref().and_then(|r| r.item(&it.rule)).filter(|i| i.status == "rejected") {
                let note = format!("rejected in review ({}): left out", rev.by.join("; "));
                excluded.push((it, m, note));
                continue;
            }
            let rule = setup.book.rules.iter().find(|r| r.id == it.rule);
            match rule.and_then(|r| r.unless.iter().find(|u| fired_ids.contains(*u))) {
                Some(by) => {
                    let note = format!("does not apply: {by} explains its evidence");
                    excluded.push((it, m, note));
                }
                None => {
                    kept_items.push(it);
                    kept_meta.push(m);
                }
            }
        }
        let combined = combine(&mut kept_items);
        let mut evidence: Vec<Evidence> = kept_items
            .into_iter()
            .zip(kept_meta)
            .map(|(it, (explanation, events))| to_evidence(it, explanation, events))
            .collect();
        for (it, (explanation, events), note) in excluded {
            let mut e = to_evidence(it, explanation, events);
            e.counted = false;
            e.note = Some(note);
            evidence.push(e);
        }
        if let Some(r) = &review {
            for e in &mut evidence {
                e.review = r.item(&e.rule).cloned();
            }
        }
        evidence.sort_by(|a, b| a.rule.cmp(&b.rule));
        let mut gaps: Vec<Gap> = gaps
            .into_iter()
            .map(|((needs, from, to), rules)| Gap {
                rule: rules.join(", "),
                needs,
                // An origin window reaching back without bound has no start.
                from: from.filter(|&f| Timestamp::from_unix_micros(f).is_ok()).map(fmt_ts),
                to: to.map(fmt_ts),
            })
            .collect();
        gaps.extend(extra_gaps);
        gaps.sort_by(|a, b| (&a.needs, &a.rule).cmp(&(&b.needs, &b.rule)));
        gaps.dedup();
        let mut finding = self.finish(setup, combined, evidence, gaps, open_questions, &places);
        finding.review = review;
        finding
    }

    /// Events the arrival rests on: the arrival record (both rows of a
    /// download), the start of the retrieval, and the server requests paired
    /// with them.
    fn attached_events(&self) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let Some((a, _)) = self.arrival else { return out };
        let key = self.e(a).record_key();
        for &i in &self.own {
            if self.e(i).record_key() == key {
                out.insert(i);
            }
        }
        out.insert(a);
        if let Some((_, s, _)) = self.start {
            out.insert(s);
        }
        let own: BTreeSet<usize> = out.clone();
        for (c, s) in &self.alignment.pairs {
            if own.contains(c) {
                out.insert(*s);
            }
        }
        out
    }

    fn window_of(&self, rule: &Rule, arrival: Option<i64>) -> Option<(i64, i64)> {
        let a = arrival?;
        let w = (rule.condition.window_s.unwrap_or(WINDOW_S as f64) * 1e6) as i64;
        Some(match rule.condition.scope {
            Scope::State => {
                let s = self.start.map(|(t, _, _)| t)?;
                (s - w, s)
            }
            Scope::Before => {
                let s = self.start.map_or(a, |(t, _, _)| t.min(a));
                (s - w, s)
            }
            Scope::Origin => (a - rule.condition.window_s.map_or(i64::MAX / 4, |w| (w * 1e6) as i64), a),
            Scope::After => (a, a + w),
            _ => (a - w, a + w),
        })
    }

    fn actor_ok(&self, rule: &Rule, i: usize) -> bool {
        let who = self.attributed(i);
        match rule.condition.actor {
            Actor::Subject => who == Who::Subject,
            Actor::Other => who == Who::Other,
            Actor::Any => true,
        }
    }

    /// The events a rule looks at, and whether it applies to the copy at all.
    fn candidates(
        &self,
        rule: &Rule,
        window: Option<(i64, i64)>,
        places: &BTreeMap<usize, Place>,
    ) -> (Vec<usize>, bool) {
        let c = &rule.condition;
        let arrival_ok = (c.arrival_kinds.is_empty()
            || self.arrival.is_some_and(|(a, _)| c.arrival_kinds.iter().any(|k| k == self.e(a).kind.as_str())))
            && (c.arrival_all.is_empty()
                || self
                    .arrival
                    .is_some_and(|(a, _)| c.arrival_all.iter().all(|p| p.test(self.get(a, &p.column).as_deref()))));
        if !arrival_ok {
            return (Vec::new(), false);
        }
        let excluded = c
            .copy_none
            .iter()
            .any(|p| self.own.iter().chain(&self.remote).any(|&i| p.test(self.get(i, &p.column).as_deref())));
        if excluded {
            return (Vec::new(), false);
        }
        let local = |i: &usize| visit_elsewhere(self.e(*i)).is_none();
        let linked = || self.own.iter().chain(&self.remote).copied().filter(local).filter(|&i| self.actor_ok(rule, i));
        let v: Vec<usize> = match c.scope {
            Scope::Linked => {
                linked().filter(|i| matches!(places.get(i), Some(Place::Delivery | Place::Arrival) | None)).collect()
            }
            Scope::Ever => {
                let mut v: BTreeSet<usize> = linked().collect();
                v.extend(self.device_deliveries.iter().copied().filter(local));
                v.into_iter().collect()
            }
            Scope::Arrival => self.arrival.map(|(a, _)| a).into_iter().collect(),
            Scope::Origin => match (self.arrival, window) {
                (Some((a, _)), Some((from, _))) => self
                    .remote
                    .iter()
                    .copied()
                    .filter(|&i| self.actor_ok(rule, i) && i != a)
                    .filter(|&i| {
                        let (t, ta) = (self.corr(i), self.corr(a));
                        let margin = if self.ordered(i, a) { self.unc(i) + self.unc(a) } else { UNALIGNED_CLOCK_US };
                        t + margin < ta && t >= from
                    })
                    .collect(),
                _ => Vec::new(),
            },
            Scope::Before | Scope::Around | Scope::After => match (window, self.arrival) {
                (Some((from, to)), Some((a, _))) => self
                    .device_window()
                    .into_iter()
                    .filter(local)
                    .filter(|&i| {
                        let t = self.corr(i);
                        let slack = self.unc(i) + self.unc(a);
                        let ordered = match c.scope {
                            Scope::Before => t + slack <= to,
                            Scope::After => t - slack >= from,
                            _ => true,
                        };
                        from <= t && t <= to && ordered && self.e(i).record_key() != self.e(a).record_key()
                    })
                    .collect(),
                _ => Vec::new(),
            },
            Scope::State => match (window, self.start) {
                (Some((from, to)), Some((_, s, _))) => {
                    let own = self.device_window();
                    self.state_at(&own, rule, from, to, s).into_iter().collect()
                }
                _ => Vec::new(),
            },
        };
        let applies = !(c.scope == Scope::State && self.start.is_none());
        (v, applies)
    }

    /// The receiving device's events the windowed rules read.
    fn device_window(&self) -> Vec<usize> {
        self.near.clone()
    }

    /// The receiving device's events within the widest window of the arrival
    /// (two hours and ten minutes either side, plus the largest clock
    /// correction), from the case's device events.
    fn compute_near(&self) -> Vec<usize> {
        let Some((a, _)) = self.arrival else { return Vec::new() };
        let span = (2 * 3_600 + 600) * 1_000_000 + self.offsets.values().map(|o| o.abs()).max().unwrap_or(0);
        let t = self.e(a).ts;
        self.device_events_between(t - span, t + span)
            .iter()
            .copied()
            .filter(|&i| !self.is_remote(i) && device_of(self.ev, &self.inputs, i) == self.copy.device)
            .collect()
    }

    /// The case's device events with a recorded time in `lo..=hi`.
    pub(crate) fn device_events_between(&self, lo: i64, hi: i64) -> &[usize] {
        let d = &self.ev.device_events;
        let from = d.partition_point(|&i| self.ev.events[i].ts < lo);
        let to = d.partition_point(|&i| self.ev.events[i].ts <= hi);
        &d[from..to.max(from)]
    }

    /// The event that shows the state a `state` rule tracks at the
    /// retrieval's start `to` (event `s`): the last of its `kinds` (passing
    /// its predicates) certainly before it (by both clocks' uncertainty, or
    /// five minutes when the clocks cannot be ordered), within `from..`, with
    /// none of its `ends` from then until certainly after the start.
    fn state_at(&self, own: &[usize], rule: &Rule, from: i64, to: i64, s: usize) -> Option<usize> {
        let c = &rule.condition;
        let margin = |i: usize| if self.ordered(i, s) { self.unc(i) + self.unc(s) } else { UNALIGNED_CLOCK_US };
        let starts = own
            .iter()
            .copied()
            .filter(|&i| c.matches(self.e(i).kind.as_str(), |col| self.get(i, col)))
            .filter(|&i| from <= self.corr(i) && self.corr(i) + margin(i) <= to)
            .max_by_key(|&i| (self.corr(i), self.e(i).source.as_str(), self.e(i).seq))?;
        let since = self.corr(starts);
        let ended = own.iter().copied().any(|i| {
            let e = self.e(i);
            c.ends.iter().any(|k| k == e.kind.as_str())
                && !c.none.iter().any(|p| p.test(self.get(i, &p.column).as_deref()))
                && self.corr(i) >= since
                && self.corr(i) <= to + margin(i)
        });
        (!ended).then_some(starts)
    }

    /// Is there, for every requirement of the rule, an input of its formats
    /// that covers the window (and fills the column)? Records kept on a device
    /// count only from the copy's own device.
    fn is_covered(&self, rule: &Rule, window: Option<(i64, i64)>) -> bool {
        rule.decides.requirements().iter().all(|q| {
            self.ev.inputs.iter().any(|c| {
                // A settings file holds its values from its last write on.
                let covers = |(from, to): (i64, i64)| {
                    if SNAPSHOT_FORMATS.contains(&c.format.as_str()) {
                        c.from <= to
                    } else {
                        c.from <= to && c.to >= from
                    }
                };
                q.formats.iter().any(|f| f == &c.format)
                    && q.column.as_ref().is_none_or(|col| c.columns.contains(col))
                    && window.is_none_or(covers)
                    && (c.remote || c.device == self.copy.device)
            })
        })
    }

    fn explain(&self, rule: &Rule, hit_events: &[usize], window: Option<(i64, i64)>) -> String {
        let hits = hit_events.len();
        if rule.condition.absent {
            let sources: BTreeSet<&str> = self
                .ev
                .inputs
                .iter()
                .filter(|c| rule.decides.requirements().iter().any(|q| q.formats.iter().any(|f| f == &c.format)))
                .filter(|c| c.remote || c.device == self.copy.device)
                .map(|c| c.source.as_str())
                .collect();
            let span = window.map_or_else(String::new, |(f, t)| format!(" between {} and {}", fmt_ts(f), fmt_ts(t)));
            return format!(
                "{}. No {} for the file in {}{span}; those sources are present and cover the window, so the absence counts.",
                rule.description,
                rule.condition.kinds.join(" or "),
                sources.into_iter().collect::<Vec<_>>().join(", "),
            );
        }
        let n = if hits == 1 { "1 event".to_owned() } else { format!("{hits} events") };
        // Where a settings-derived fact came from, and what it assumed.
        let from = hit_events.iter().find_map(|&i| self.overlay.get(i, "auto_from"));
        match from {
            Some(f) if rule.group == "messaging" => {
                format!("{} ({n}). Settings: {f}.", rule.description)
            }
            _ => format!("{} ({n}).", rule.description),
        }
    }

    fn finish(
        &self,
        setup: &Setup<'_>,
        combined: Combined,
        evidence: Vec<Evidence>,
        gaps: Vec<Gap>,
        open_questions: Vec<String>,
        places: &BTreeMap<usize, Place>,
    ) -> Finding {
        let (chain, after_arrival, attribution, others_left_out) = self.chain(places);
        let arrival = self.arrival.map(|(a, what)| {
            let e = self.e(a);
            Arrival {
                ts: fmt_ts(self.corr(a)),
                kind: e.kind.as_str().into(),
                source: e.source.clone(),
                record: e.record.clone(),
                what: what.into(),
                retrieval_start: self
                    .start
                    .map(|(t, s, what)| format!("{} ({what}: {} {})", fmt_ts(t), self.e(s).source, self.e(s).record)),
            }
        });
        let mut paths: Vec<String> = self.file.copies.iter().map(|c| c.path.clone()).collect();
        paths.sort();
        paths.dedup();
        Finding {
            schema: SCHEMA.to_owned(),
            id: self.copy.id(&self.file.sha256),
            propositions: Propositions::default(),
            file: FileOfInterest { sha256: self.file.sha256.clone(), paths, matched: self.file.matched.clone() },
            copy: self.copy.clone(),
            arrival,
            chain,
            attribution,
            verdict: combined.verdict.as_str().to_owned(),
            decision: combined.decision,
            log10_lr: combined.log10_lr,
            log10_lr_range: combined.range,
            verbal: combined.verbal,
            statement: combined.statement,
            groups: combined
                .groups
                .into_iter()
                .map(|g| GroupOut {
                    group: g.group,
                    log10_lr: g.log10_lr,
                    range: g.range,
                    direction: g.direction.as_str().into(),
                    weak: g.weak,
                })
                .collect(),
            evidence,
            gaps,
            open_questions,
            after_arrival,
            others_left_out,
            clocks: self.alignment.estimates.clone(),
            rulebook: setup.book.sha256.clone(),
            inputs: setup.inputs_sha256.to_owned(),
            review: None,
        }
    }

    fn chain(&self, places: &BTreeMap<usize, Place>) -> (Vec<ChainLink>, Vec<ChainLink>, Vec<Attribution>, usize) {
        let mut evs: Vec<usize> = self.own.iter().chain(&self.remote).copied().collect();
        evs.sort_by_key(|&i| (self.corr(i), self.e(i).source.as_str(), self.e(i).seq));
        evs.dedup();
        // Other clients' requests far from the arrival say nothing of this
        // copy: counted, not listed. Other accounts' cloud records are kept
        // (an upload is the origin of a delivery).
        let ta = self.arrival.map(|(a, _)| self.corr(a));
        let far = |i: usize| {
            self.e(i).kind == EventKind::HttpRequest
                && self.attributed(i) != Who::Subject
                && ta.is_none_or(|t| (self.corr(i) - t).abs() > 3_600_000_000)
        };
        let before = evs.len();
        evs.retain(|&i| !far(i));
        let left_out = before - evs.len();
        let mut chain = Vec::new();
        let mut after = Vec::new();
        let mut attribution = Vec::new();
        for i in evs {
            let e = self.e(i);
            let place = places.get(&i).copied().unwrap_or(Place::Delivery);
            let remote = self.is_remote(i);
            // Someone else's request near the delivery is shown, never as its
            // origin (another account's upload is: it put the content there).
            let others_request = e.kind == EventKind::HttpRequest && self.attributed(i) == Who::Other;
            // The app's own line for this message's download is part of the
            // delivery, even when it comes after the message's receipt (the
            // arrival's recorded time is only a lower bound).
            let place = if self.overlay.get(i, "download_line") == Some("true") { Place::Delivery } else { place };
            let role = match place {
                Place::Arrival => "arrival",
                Place::After => "after",
                Place::Earlier => "earlier",
                Place::Delivery if remote && others_request => "context",
                Place::Delivery if remote => "origin",
                Place::Delivery => "transit",
            };
            let mut summary = summary(e);
            if let Some(why) = visit_elsewhere(e) {
                summary.push_str(&format!(" [{why}]"));
            }
            if let Some((who, weak, why)) = self.who.get(&i) {
                let who_s = match who {
                    Who::Subject if *weak => "subject (by address only)",
                    Who::Subject => "subject",
                    Who::Other => "someone else",
                    Who::Unknown => "unattributed",
                };
                summary.push_str(&format!(" [{who_s}]"));
                attribution.push(Attribution {
                    source: e.source.clone(),
                    record: e.record.clone(),
                    kind: e.kind.as_str().into(),
                    who: *who,
                    weak: *weak,
                    why: why.clone(),
                });
            }
            let link = ChainLink {
                ts: fmt_ts(self.corr(i)),
                kind: e.kind.as_str().into(),
                role: role.into(),
                source: e.source.clone(),
                record: e.record.clone(),
                summary,
            };
            if role == "after" {
                after.push(link.clone());
            } else if e.kind == EventKind::BrowserDownload
                && e.attr_bool("opened") == Some(true)
                && !after.iter().any(|a: &ChainLink| a.source == e.source && a.record == e.record)
            {
                // One entry per download row, at its last access when the
                // browser kept it.
                after.push(ChainLink {
                    ts: e
                        .attr_str("last_access_time")
                        .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                        .map_or_else(|| link.ts.clone(), |t| fmt_ts(self.corr(i) + (t.unix_micros() - e.ts))),
                    role: "after".into(),
                    summary: "opened from the browser's download list".into(),
                    ..link.clone()
                });
            }
            chain.push(link);
        }
        after.sort_by(|a, b| (&a.ts, &a.source, &a.record, &a.kind).cmp(&(&b.ts, &b.source, &b.record, &b.kind)));
        after.dedup();
        (chain, after, attribution, left_out)
    }
}

fn to_evidence(it: EvidenceItem, explanation: String, events: Vec<EvRef>) -> Evidence {
    Evidence {
        rule: it.rule,
        log10_lr: it.log10_lr,
        range: it.range,
        group: it.group,
        counted: it.counted,
        attached: it.attached,
        weak: it.weak,
        note: it.note,
        explanation,
        events,
        review: None,
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// An instant as RFC 3339 UTC with microseconds.
pub fn fmt_ts(us: i64) -> String {
    Timestamp::from_unix_micros(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

fn summary(e: &StoredEvent) -> String {
    let mut parts = Vec::new();
    for c in [
        "url",
        "path",
        "actor",
        "client_ip",
        "transition",
        "fetch_site",
        "fetch_user",
        "fetch_dest",
        "purpose",
        "attrs.phase",
        "attrs.state",
        "attrs.operation",
        "attrs.decision",
        "attrs.key_id",
        "attrs.network",
    ] {
        if let Some(v) = e.column(c) {
            parts.push(format!("{}={v}", c.trim_start_matches("attrs.")));
        }
    }
    if e.attr_bool("opened") == Some(true) {
        parts.push("opened from the browser".into());
    }
    parts.join(" ")
}
