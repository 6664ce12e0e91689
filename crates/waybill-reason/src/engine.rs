//! From the events linked to one file of interest to its finding.
//!
//! The caller (the `analyze` command) selects the events with queries over the
//! store; this module is pure: the same events, coverage and rulebook give the
//! same finding, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use waybill_model::Timestamp;

use crate::evaluate::{EvidenceItem, combine};
use crate::rule::{Rule, Rulebook, Scope};
use crate::url::{normalize, same_resource};

/// One event as the reasoning sees it: its time (UTC µs, on its own clock) and
/// every non-empty column as text, with `attrs.<key>` for the keys of `attrs`
/// (booleans as `true`/`false`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ev {
    /// Microseconds since the Unix epoch, as the source wrote it (converted to UTC).
    pub ts: i64,
    /// Columns.
    pub cols: BTreeMap<String, String>,
}

impl Ev {
    /// A column, `None` when absent or empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cols.get(column).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn col(&self, column: &str) -> &str {
        self.get(column).unwrap_or("")
    }

    fn key(&self) -> (&str, &str) {
        (self.col("source"), self.col("record"))
    }
}

/// One reference-set match of the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Matched {
    /// The set's name.
    pub set: String,
    /// `sha256`, `md5`, `sha1` or `pdq`.
    pub by: String,
    /// Hamming distance (0 for exact hashes).
    pub distance: i64,
}

/// The file of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOfInterest {
    /// Its SHA-256.
    pub sha256: String,
    /// Its paths in the case.
    pub paths: Vec<String>,
    /// The sets it matched.
    pub matched: Vec<Matched>,
}

/// What one ingested input covers: its format, clock, time span and the
/// columns it was seen to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Manifest id.
    pub source: String,
    /// Format id.
    pub format: String,
    /// First and last event time (µs).
    pub from: i64,
    /// Last event time.
    pub to: i64,
    /// Columns with at least one non-empty value.
    pub columns: BTreeSet<String>,
}

/// A clock's estimated offset from the reference (server) clocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockEstimate {
    /// The clock's name.
    pub clock: String,
    /// Seconds to subtract from its times.
    pub offset_s: f64,
    /// Robust spread (seconds).
    pub uncertainty_s: f64,
    /// How many simultaneous pairs it rests on.
    pub pairs: usize,
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
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainLink {
    /// Corrected time.
    pub ts: String,
    /// Event kind.
    pub kind: String,
    /// origin, transit, arrival or after.
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
    /// Low–high.
    pub range: [f64; 2],
    /// Dependency group.
    pub group: String,
    /// The strongest of its group.
    pub counted: bool,
    /// Why it fired.
    pub explanation: String,
    /// The events it rests on.
    pub events: Vec<EvRef>,
}

/// Evidence that could not be looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// The rules it would decide (comma-separated).
    pub rule: String,
    /// The source that would decide them.
    pub needs: String,
    /// Window start, or null without an arrival.
    pub from: Option<String>,
    /// Window end.
    pub to: Option<String>,
}

/// A finding: `waybill.finding/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Always `waybill.finding/1`.
    pub schema: String,
    /// The file.
    pub file: FileOfInterest,
    /// When and how it reached the subject.
    pub arrival: Option<Arrival>,
    /// Everything linked, in corrected time order.
    pub chain: Vec<ChainLink>,
    /// user_initiated, automatic or indeterminate.
    pub verdict: String,
    /// Combined log10 LR.
    pub log10_lr: f64,
    /// Its sensitivity range.
    pub log10_lr_range: [f64; 2],
    /// ENFSI words.
    pub verbal: String,
    /// Rules that fired.
    pub evidence: Vec<Evidence>,
    /// Rules that could not be evaluated.
    pub gaps: Vec<Gap>,
    /// What happened after the arrival (facts, not weighed).
    pub after_arrival: Vec<ChainLink>,
    /// Clock estimates used.
    pub clocks: Vec<ClockEstimate>,
    /// SHA-256 of the rulebook.
    pub rulebook: String,
    /// SHA-256 of the manifest.
    pub inputs: String,
}

/// The finding's schema id.
pub const SCHEMA: &str = "waybill.finding/1";

/// The window, in seconds, of a rule that names none (the gaps of rules over
/// the linked events are reported for it).
pub const WINDOW_S: i64 = 600;

/// Window, in seconds, of the subject's events the command selects around an
/// arrival for the windowed rules: the largest rule window (a rule may not
/// exceed it) plus room for a state's end after the arrival.
pub const NEARBY_S: i64 = 3_600 + UNALIGNED_CLOCK_US / 1_000_000;

/// Analyses one file. `linked` are the events tied to it by a key; `nearby`
/// the subject's events within [`NEARBY_S`] of its arrival (may overlap
/// `linked`); `coverage` describes every input of the case.
pub fn analyze(
    file: FileOfInterest,
    linked: &[Ev],
    nearby: &[Ev],
    coverage: &[Coverage],
    book: &Rulebook,
    inputs_sha256: &str,
) -> Finding {
    let clocks = align_clocks(linked);
    let offset_us = applied_offsets(&clocks);
    let corrected = |e: &Ev| e.ts - offset_us.get(e.col("clock")).copied().unwrap_or(0);
    let uncertainty_us: BTreeMap<&str, i64> =
        clocks.iter().map(|c| (c.clock.as_str(), (c.uncertainty_s * 1e6).round() as i64)).collect();
    let uncertainty = |e: &Ev| uncertainty_us.get(e.col("clock")).copied().unwrap_or(0);
    let arrival = pick_arrival(linked, &corrected);
    let arrival_ts = arrival.map(|(e, _)| corrected(e));
    let estimated: BTreeSet<&str> = clocks.iter().map(|c| c.clock.as_str()).collect();
    let ordered = |x: &Ev, y: &Ev| {
        let known = |e: &Ev| is_server(e) || estimated.contains(e.col("clock"));
        x.col("clock") == y.col("clock") || known(x) && known(y)
    };
    let own_delivery = delivery_bounds(linked, arrival, &corrected, &uncertainty, &ordered);

    let mut items = Vec::new();
    let mut evidence_meta: Vec<(String, Vec<EvRef>)> = Vec::new();
    let mut gaps: BTreeMap<(String, Option<i64>, Option<i64>), Vec<String>> = BTreeMap::new();
    for rule in &book.rules {
        let window = window_of(rule, arrival_ts);
        let candidates: Vec<&Ev> = match rule.condition.scope {
            Scope::Linked => linked.iter().filter(|e| own_delivery(e)).collect(),
            Scope::Ever => linked.iter().collect(),
            Scope::Arrival => arrival.map(|(e, _)| e).into_iter().collect(),
            Scope::Before | Scope::Around | Scope::After => match window {
                Some((from, to)) => nearby
                    .iter()
                    .filter(|e| {
                        let t = corrected(e);
                        // "Before" and "after" are orderings: they must hold
                        // across both clocks' uncertainty.
                        let slack = uncertainty(e) + arrival.map_or(0, |(a, _)| uncertainty(a));
                        let ordered = match rule.condition.scope {
                            Scope::Before => t + slack <= to,
                            Scope::After => t - slack >= from,
                            _ => true,
                        };
                        from <= t && t <= to && ordered && arrival.is_none_or(|(a, _)| a.key() != e.key())
                    })
                    .collect(),
                None => Vec::new(),
            },
            Scope::State => match (window, arrival) {
                (Some((from, to)), Some((a, _))) => {
                    // How far an event's time may be from the arrival's on the
                    // arrival's clock: both clocks' uncertainty when they can be
                    // ordered, else an unaligned device clock's plausible error.
                    let margin = |e: &Ev| {
                        if ordered(e, a) { uncertainty(e) + uncertainty(a) } else { UNALIGNED_CLOCK_US }
                    };
                    // Only the state of the device that received the file: the
                    // client clocks (input devices) of the file's own events.
                    let receiving: BTreeSet<&str> =
                        linked.iter().filter(|e| !is_server(e)).map(|e| e.col("clock")).collect();
                    let own: Vec<&Ev> = nearby.iter().filter(|e| receiving.contains(e.col("clock"))).collect();
                    state_at(&own, rule, from, to, &corrected, margin).into_iter().collect()
                }
                _ => Vec::new(),
            },
        };
        let has_with = rule.condition.with.is_empty()
            || candidates.iter().any(|e| rule.condition.with.iter().any(|k| k == e.col("kind")));
        let hits: Vec<&Ev> =
            candidates.into_iter().filter(|e| rule.condition.matches(e.col("kind"), |c| e.get(c))).collect();
        let covered = is_covered(rule, window, coverage);
        let needs_window = rule.condition.scope.is_windowed();
        let fired = if rule.condition.absent {
            covered && hits.is_empty() && arrival.is_some() && has_with
        } else {
            hits.len() >= rule.condition.min_count as usize && (!needs_window || window.is_some())
        };
        if fired {
            items.push(EvidenceItem {
                rule: rule.id.clone(),
                group: rule.group.clone(),
                log10_lr: rule.log10_lr,
                range: rule.range,
                counted: false,
            });
            let mut refs: Vec<EvRef> =
                hits.iter().map(|e| EvRef { source: e.col("source").into(), record: e.col("record").into() }).collect();
            refs.sort();
            refs.dedup();
            let explanation = explain(rule, hits.len(), window, coverage);
            evidence_meta.push((explanation, refs));
        } else if !covered {
            let (from, to) = window.map_or((None, None), |(f, t)| (Some(f), Some(t)));
            gaps.entry((rule.decides.needs.clone(), from, to)).or_default().push(rule.id.clone());
        }
    }
    drop(own_delivery);
    let combined = combine(&mut items);
    let evidence = items
        .into_iter()
        .zip(evidence_meta)
        .map(|(it, (explanation, events))| Evidence {
            rule: it.rule,
            log10_lr: it.log10_lr,
            range: it.range,
            group: it.group,
            counted: it.counted,
            explanation,
            events,
        })
        .collect();
    let gaps = gaps
        .into_iter()
        .map(|((needs, from, to), rules)| Gap {
            rule: rules.join(", "),
            needs,
            from: from.map(fmt_ts),
            to: to.map(fmt_ts),
        })
        .collect();

    let (chain, after_arrival) = build_chain(linked, arrival.map(|(e, _)| e), &corrected);
    Finding {
        schema: SCHEMA.to_owned(),
        file,
        arrival: arrival.map(|(e, what)| Arrival {
            ts: fmt_ts(corrected(e)),
            kind: e.col("kind").into(),
            source: e.col("source").into(),
            record: e.col("record").into(),
            what: what.into(),
        }),
        chain,
        verdict: combined.verdict.as_str().to_owned(),
        log10_lr: combined.log10_lr,
        log10_lr_range: combined.range,
        verbal: combined.verbal,
        evidence,
        gaps,
        after_arrival,
        clocks,
        rulebook: book.sha256.clone(),
        inputs: inputs_sha256.to_owned(),
    }
}

/// Moments a content can reach a device, other than file-system times.
const DELIVERIES: &[(&str, Option<&str>)] = &[
    ("browser.download", Some("end")),
    ("msg.media_fetched", None),
    ("cloud.sync_download", None),
    ("cloud.download", None),
    ("browser.cache_entry", None),
];

/// How far (µs) two pairs of one clock may differ and still agree on its
/// offset: server logs keep whole seconds, and a response takes time.
const PAIR_TOLERANCE_US: i64 = 2_500_000;

/// Slack (µs) between a delivery's last request and its arrival record, beyond
/// the clocks' own uncertainty (server logs keep whole seconds).
const DELIVERY_SLACK_US: i64 = 2_000_000;

/// Which linked events belong to the delivery that brought the file: not
/// after the arrival (later acts are after-arrival acts, not evidence of how it
/// came), and not at or before an earlier, separate delivery of the same
/// content (that one is another delivery with its own requests).
fn delivery_bounds<'a>(
    linked: &'a [Ev],
    arrival: Option<(&'a Ev, &'static str)>,
    corrected: &'a impl Fn(&Ev) -> i64,
    uncertainty: &'a impl Fn(&Ev) -> i64,
    ordered: &'a impl Fn(&Ev, &Ev) -> bool,
) -> impl Fn(&Ev) -> bool + 'a {
    let bounds = arrival.map(|(a, _)| {
        let ta = corrected(a);
        let earlier = linked
            .iter()
            .filter(|e| {
                ordered(e, a)
                    && DELIVERIES
                        .iter()
                        .any(|(k, phase)| e.col("kind") == *k && phase.is_none_or(|p| e.get("attrs.phase") == Some(p)))
            })
            .map(corrected)
            .filter(|t| *t < ta - DELIVERY_SLACK_US)
            .max();
        (a, ta + uncertainty(a), earlier)
    });
    move |e: &Ev| match bounds {
        None => true,
        // A record without a time of its own (a Zone.Identifier stream is
        // placed at its export file's mtime) cannot be ordered, nor can two
        // clocks whose offset is unknown (no pair tied them together).
        Some((a, _, _)) if is_timeless(e) || !ordered(e, a) => true,
        Some((_, upper, earlier)) => {
            let t = corrected(e);
            t - uncertainty(e) <= upper + DELIVERY_SLACK_US && earlier.is_none_or(|p| t > p + DELIVERY_SLACK_US)
        }
    }
}

/// Does the event's time come from the evidence file rather than the record?
fn is_timeless(e: &Ev) -> bool {
    e.get("attrs.ts_from").is_some_and(|f| f.ends_with("file mtime"))
}

/// The corrections applied per clock (µs). An offset within its own
/// uncertainty is not distinguishable from zero and is not applied (it is still
/// reported).
fn applied_offsets(clocks: &[ClockEstimate]) -> BTreeMap<&str, i64> {
    clocks
        .iter()
        .filter(|c| c.offset_s.abs() > c.uncertainty_s)
        .map(|c| (c.clock.as_str(), (c.offset_s * 1e6).round() as i64))
        .collect()
}

/// The corrected arrival time of a file from its linked events, and the
/// largest clock correction applied (µs): what the caller needs to select the
/// subject's events around the arrival.
pub fn arrival_estimate(linked: &[Ev]) -> Option<(i64, i64)> {
    let clocks = align_clocks(linked);
    let offsets = applied_offsets(&clocks);
    let corrected = |e: &Ev| e.ts - offsets.get(e.col("clock")).copied().unwrap_or(0);
    let (e, _) = pick_arrival(linked, &corrected)?;
    Some((corrected(e), offsets.values().map(|o| o.abs()).max().unwrap_or(0)))
}

/// How far an unaligned device clock (no offset estimated against a server)
/// may plausibly be from the arrival's clock: state events on it must hold
/// this far on both sides of the arrival.
pub const UNALIGNED_CLOCK_US: i64 = 300_000_000;

/// The event that shows the state a `state` rule tracks at the arrival `to`
/// (among `nearby`, the receiving device's events):
/// the last of its `kinds` (passing its predicates) certainly before the
/// arrival (by `margin`), within `from..`, with none of its `ends` from then
/// until certainly after the arrival (by that event's `margin`). `None` when
/// the state is not shown. The `none` predicates exclude ending events too (a
/// network logon neither starts nor ends the user's presence).
fn state_at<'e>(
    nearby: &[&'e Ev],
    rule: &Rule,
    from: i64,
    to: i64,
    corrected: &dyn Fn(&Ev) -> i64,
    margin: impl Fn(&Ev) -> i64,
) -> Option<&'e Ev> {
    let c = &rule.condition;
    let starts = *nearby
        .iter()
        .filter(|e| c.matches(e.col("kind"), |col| e.get(col)))
        .filter(|e| from <= corrected(e) && corrected(e) + margin(e) <= to)
        .max_by(|x, y| corrected(x).cmp(&corrected(y)).then(x.key().cmp(&y.key())))?;
    let since = corrected(starts);
    let ended = nearby.iter().any(|e| {
        c.ends.iter().any(|k| k == e.col("kind"))
            && !c.none.iter().any(|p| p.test(e.get(&p.column)))
            && corrected(e) >= since
            && corrected(e) <= to + margin(e)
    });
    (!ended).then_some(starts)
}

fn window_of(rule: &Rule, arrival: Option<i64>) -> Option<(i64, i64)> {
    let a = arrival?;
    let w = (rule.condition.window_s.unwrap_or(WINDOW_S as f64) * 1e6) as i64;
    Some(match rule.condition.scope {
        Scope::Before | Scope::State => (a - w, a),
        Scope::After => (a, a + w),
        _ => (a - w, a + w),
    })
}

/// Is there an input of a deciding format that covers the window (and fills
/// the deciding column)?
fn is_covered(rule: &Rule, window: Option<(i64, i64)>, coverage: &[Coverage]) -> bool {
    coverage.iter().any(|c| {
        rule.decides.formats.iter().any(|f| f == &c.format)
            && rule.decides.column.as_ref().is_none_or(|col| c.columns.contains(col))
            && window.is_none_or(|(from, to)| c.from <= to && c.to >= from)
    })
}

fn explain(rule: &Rule, hits: usize, window: Option<(i64, i64)>, coverage: &[Coverage]) -> String {
    if rule.condition.absent {
        let sources: BTreeSet<&str> = coverage
            .iter()
            .filter(|c| rule.decides.formats.iter().any(|f| f == &c.format))
            .map(|c| c.source.as_str())
            .collect();
        let span = window.map_or_else(String::new, |(f, t)| format!(" between {} and {}", fmt_ts(f), fmt_ts(t)));
        return format!(
            "{}. No {} for the file in {}{span}; that source is present and covers the window, so the absence counts.",
            rule.description,
            rule.condition.kinds.join(" or "),
            sources.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
    let n = if hits == 1 { "1 event".to_owned() } else { format!("{hits} events") };
    format!("{} ({n}).", rule.description)
}

/// Arrival kinds in order of preference, with what the moment is.
const ARRIVALS: &[(&str, Option<&str>, &str)] = &[
    ("browser.download", Some("end"), "download complete"),
    ("msg.media_fetched", None, "messaging media fetched"),
    ("cloud.sync_download", None, "sync client download"),
    ("cloud.download", None, "cloud download"),
    ("browser.cache_entry", None, "cache write"),
    ("browser.download", Some("start"), "download started (no completion recorded)"),
    // A file's creation and modification times are one category: a copied or
    // extracted file has a creation time later than its modification time, and
    // then the modification time is the better bound on its arrival.
    ("fs.created|fs.modified", None, "file created or last modified, whichever is earlier"),
];

fn pick_arrival<'e>(linked: &'e [Ev], corrected: &impl Fn(&Ev) -> i64) -> Option<(&'e Ev, &'static str)> {
    for (kind, phase, what) in ARRIVALS {
        let best = linked
            .iter()
            .filter(|e| {
                kind.split('|').any(|k| k == e.col("kind")) && phase.is_none_or(|p| e.get("attrs.phase") == Some(p))
            })
            .min_by(|a, b| (corrected(a), a.key()).cmp(&(corrected(b), b.key())));
        if let Some(e) = best {
            return Some((e, what));
        }
    }
    None
}

fn is_server(e: &Ev) -> bool {
    e.col("clock").starts_with("host:") || e.col("kind") == "http.request"
}

/// Offsets of client clocks against server clocks, from one resource seen by
/// both: each client visit or download start is paired with the server request
/// for the same URL nearest in time; the offset is the median of the
/// differences, its uncertainty the larger of 1.4826 × MAD and 1 s (server logs
/// keep whole seconds).
pub fn align_clocks(linked: &[Ev]) -> Vec<ClockEstimate> {
    let servers: Vec<(&Ev, String)> =
        linked.iter().filter(|e| is_server(e)).filter_map(|e| Some((e, normalize(e.get("url")?)))).collect();
    // Client events that are one moment with a server request: a page visit or
    // download start with the navigation request, a cache write with the
    // request that filled it (its recorded request time when there is one).
    let clients: Vec<(&Ev, String, i64, bool)> = linked
        .iter()
        .filter(|e| !is_server(e))
        .filter_map(|e| {
            let navigation = match e.col("kind") {
                "browser.visit" => true,
                "browser.download" if e.get("attrs.phase") == Some("start") => true,
                "browser.cache_entry" => false,
                _ => return None,
            };
            let t = e
                .get("attrs.request_time")
                .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                .map_or(e.ts, Timestamp::unix_micros);
            Some((e, normalize(e.get("url")?), t, navigation))
        })
        .collect();
    // Candidate pairs per client clock: (difference, client, server).
    let mut pairs: BTreeMap<&str, Vec<(i64, usize, usize)>> = BTreeMap::new();
    for (i, (e, url, t, navigation)) in clients.iter().enumerate() {
        for (j, (s, u)) in servers.iter().enumerate() {
            // A navigation is not the same moment as a subresource or
            // speculative request, when the log says which it was.
            let mode = s.get("fetch_mode");
            let compatible = !*navigation || mode.is_none_or(|m| m == "navigate") && s.get("purpose").is_none();
            if compatible && same_resource(url, u) {
                pairs.entry(e.col("clock")).or_default().push((t - s.ts, i, j));
            }
        }
    }
    // One offset explains every true pair of a clock: take the candidate
    // offset that the most events agree with (one server request per client
    // event), then the median of those pairs. A request nearest in time to the
    // wrong client event (a cached image and, minutes later, its download)
    // cannot outvote the pairs that agree.
    let mut samples: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (clock, mut cands) in pairs {
        cands.sort_unstable();
        // Windows of width 2 × tolerance over the sorted differences (two
        // pointers, O(n log n)): the best holds the most distinct client
        // events and server requests, then the narrowest, then the nearest 0.
        let (mut in_c, mut in_s): (BTreeMap<usize, usize>, BTreeMap<usize, usize>) = (BTreeMap::new(), BTreeMap::new());
        let mut lo = 0;
        let mut best: Option<((usize, i64, i64), usize, usize)> = None;
        for hi in 0..cands.len() {
            *in_c.entry(cands[hi].1).or_default() += 1;
            *in_s.entry(cands[hi].2).or_default() += 1;
            while cands[hi].0 - cands[lo].0 > 2 * PAIR_TOLERANCE_US {
                for (m, k) in [(&mut in_c, cands[lo].1), (&mut in_s, cands[lo].2)] {
                    if let Some(n) = m.get_mut(&k) {
                        *n -= 1;
                        if *n == 0 {
                            m.remove(&k);
                        }
                    }
                }
                lo += 1;
            }
            let spread = cands[hi].0 - cands[lo].0;
            let centre = (cands[hi].0 + cands[lo].0) / 2;
            let key = (in_c.len().min(in_s.len()), -spread, -centre.abs());
            if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                best = Some((key, lo, hi));
            }
        }
        let Some((_, lo, hi)) = best else { continue };
        // One server request per client event within the window, nearest its centre first.
        let centre = (cands[lo].0 + cands[hi].0) / 2;
        let mut near: Vec<(i64, usize, usize)> = cands[lo..=hi].to_vec();
        near.sort_unstable_by_key(|(x, i, j)| ((x - centre).abs(), *i, *j));
        let (mut used_c, mut used_s) = (BTreeSet::new(), BTreeSet::new());
        let mut diffs = Vec::new();
        for (x, i, j) in near {
            if !used_c.contains(&i) && !used_s.contains(&j) {
                used_c.insert(i);
                used_s.insert(j);
                diffs.push(x);
            }
        }
        samples.insert(clock, diffs);
    }
    samples
        .into_iter()
        .map(|(clock, mut v)| {
            v.sort_unstable();
            let med = median(&v);
            let mut dev: Vec<i64> = v.iter().map(|x| (x - med).abs()).collect();
            dev.sort_unstable();
            let mad = median(&dev) as f64 * 1.4826 / 1e6;
            ClockEstimate {
                clock: clock.to_owned(),
                offset_s: round3(med as f64 / 1e6),
                uncertainty_s: round3(mad.max(1.0)),
                pairs: v.len(),
            }
        })
        .collect()
}

fn median(v: &[i64]) -> i64 {
    match v.len() {
        0 => 0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn fmt_ts(us: i64) -> String {
    Timestamp::from_unix_micros(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

fn summary(e: &Ev) -> String {
    let mut parts = Vec::new();
    for c in ["url", "path", "transition", "fetch_user", "fetch_dest", "purpose", "attrs.phase", "attrs.state"] {
        if let Some(v) = e.get(c) {
            parts.push(format!("{}={v}", c.trim_start_matches("attrs.")));
        }
    }
    if e.get("attrs.opened") == Some("true") {
        parts.push("opened from the browser".into());
    }
    parts.join(" ")
}

const AFTER_KINDS: &[&str] = &["fs.accessed", "msg.opened", "cloud.share", "msg.sent", "cloud.upload"];

fn build_chain(
    linked: &[Ev],
    arrival: Option<&Ev>,
    corrected: &impl Fn(&Ev) -> i64,
) -> (Vec<ChainLink>, Vec<ChainLink>) {
    let mut evs: Vec<&Ev> = linked.iter().collect();
    evs.sort_by(|a, b| (corrected(a), a.key(), a.col("kind")).cmp(&(corrected(b), b.key(), b.col("kind"))));
    evs.dedup_by(|a, b| a.key() == b.key() && a.col("kind") == b.col("kind") && a.ts == b.ts);
    let arrival_ts = arrival.map(corrected);
    let mut chain = Vec::new();
    let mut after = Vec::new();
    for e in evs {
        let t = corrected(e);
        let role = if arrival.is_some_and(|a| std::ptr::eq(a, e)) {
            "arrival"
        } else if is_server(e) {
            "origin"
        } else if arrival_ts.is_some_and(|a| t > a) && AFTER_KINDS.contains(&e.col("kind")) {
            "after"
        } else {
            "transit"
        };
        let link = ChainLink {
            ts: fmt_ts(t),
            kind: e.col("kind").into(),
            role: role.into(),
            source: e.col("source").into(),
            record: e.col("record").into(),
            summary: summary(e),
        };
        if role == "after" || (e.get("attrs.opened") == Some("true") && e.col("kind") == "browser.download") {
            let mut a = link.clone();
            if role != "after" {
                a.summary = "opened from the browser's download list".into();
            }
            after.push(a);
        }
        chain.push(link);
    }
    after.dedup();
    (chain, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts_s: f64, kind: &str, clock: &str, url: &str, extra: &[(&str, &str)]) -> Ev {
        let mut cols: BTreeMap<String, String> = [("kind", kind), ("clock", clock), ("url", url), ("source", clock)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        cols.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Ev { ts: (ts_s * 1e6) as i64, cols }
    }

    const IMG: &str = "https://a.example.net/img/x.png";

    #[test]
    fn the_offset_most_pairs_agree_on_wins_over_the_nearest_wrong_pair() {
        // Device clock 286 s fast. The image was cached at t=0 and downloaded
        // at t=490 s; the cache entry is nearer in time to the download's
        // request (204 s) than to its own (286 s).
        let linked = vec![
            ev(0.0, "http.request", "host:I0001", IMG, &[("fetch_mode", "no-cors"), ("fetch_dest", "image")]),
            ev(490.0, "http.request", "host:I0001", IMG, &[("fetch_mode", "navigate"), ("fetch_user", "?1")]),
            ev(286.3, "browser.cache_entry", "dev", IMG, &[]),
            ev(776.0, "browser.download", "dev", IMG, &[("attrs.phase", "start")]),
        ];
        let c = align_clocks(&linked);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].clock.as_str(), c[0].pairs), ("dev", 2));
        assert!((c[0].offset_s - 286.15).abs() < 0.01, "{c:?}");
    }

    #[test]
    fn many_candidate_pairs_agree_on_one_offset() {
        // 400 visits and 400 requests of one URL, a request every 10 s, the
        // device 60 s slow: 160,000 candidate pairs.
        let mut linked = Vec::new();
        for i in 0..400 {
            let t = f64::from(i) * 10.0;
            linked.push(ev(t, "http.request", "host:I0001", IMG, &[("fetch_mode", "navigate")]));
            linked.push(ev(t - 60.0, "browser.visit", "dev", IMG, &[]));
        }
        let c = align_clocks(&linked);
        assert_eq!(c[0].pairs, 400);
        assert_eq!(c[0].offset_s, -60.0);
    }
}
