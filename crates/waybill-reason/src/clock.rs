//! Clock alignment: a device's clock against the servers', from events that
//! must be the same moment in both (a page visit or download start and the
//! server's navigation request for it; a cache write and the request that
//! filled it).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use waybill_model::url::{normalize, same_resource};
use waybill_model::{EventKind, StoredEvent, Timestamp};

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

/// How far (µs) two pairs of one clock may differ and still agree on its
/// offset: server logs keep whole seconds, and a response takes time.
pub const PAIR_TOLERANCE_US: i64 = 2_500_000;

/// The estimates, and the pairs they rest on as (client event, server event)
/// indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alignment {
    /// One estimate per client clock that could be aligned.
    pub estimates: Vec<ClockEstimate>,
    /// The pairs that agree with each estimate: (client, server).
    pub pairs: Vec<(usize, usize)>,
}

/// Offsets of client clocks against server clocks. `clients` are device
/// records (visits made on the device, download starts, cache entries) and
/// `servers` the server requests, both as indices into `events`. Each client
/// event pairs with at most one request for the same URL; the offset of a
/// clock is the one the most pairs agree with (within
/// [`PAIR_TOLERANCE_US`]), then the median of those pairs, with 1.4826 × MAD
/// (at least 1 s) as uncertainty. A request nearest in time to the wrong
/// client event (a cached image and, minutes later, its download) cannot
/// outvote the pairs that agree.
pub fn align(events: &[StoredEvent], clients: &[usize], servers: &[usize]) -> Alignment {
    let servers: Vec<(usize, String)> =
        servers.iter().filter_map(|&j| Some((j, normalize(events[j].url.as_deref()?)))).collect();
    // A download is asked of every hop of its redirect chain (a file host's
    // link, then its CDN): any of them pairs.
    let clients: Vec<(usize, Vec<String>, i64, bool)> = clients
        .iter()
        .filter_map(|&i| {
            let e = &events[i];
            let navigation = match e.kind {
                EventKind::BrowserVisit => true,
                EventKind::BrowserDownload if e.attr_str("phase") == Some("start") => true,
                EventKind::BrowserCacheEntry => false,
                _ => return None,
            };
            let t = e
                .attr_str("request_time")
                .and_then(|t| Timestamp::parse_rfc3339(t).ok())
                .map_or(e.ts, Timestamp::unix_micros);
            let mut urls: Vec<String> = vec![normalize(e.url.as_deref()?)];
            if e.kind == EventKind::BrowserDownload {
                urls.extend(e.attr_list("url_chain").into_iter().map(normalize));
                urls.sort();
                urls.dedup();
            }
            Some((i, urls, t, navigation))
        })
        .collect();
    // Candidate pairs per client clock: (difference, client, server).
    let mut cands_by_clock: BTreeMap<&str, Vec<(i64, usize, usize)>> = BTreeMap::new();
    for (i, urls, t, navigation) in &clients {
        for (j, u) in &servers {
            let s = &events[*j];
            // A navigation is not the same moment as a subresource or
            // speculative request, when the log says which it was.
            let compatible =
                !*navigation || s.fetch_mode.as_deref().is_none_or(|m| m == "navigate") && s.purpose.is_none();
            if compatible && urls.iter().any(|url| same_resource(url, u)) {
                cands_by_clock.entry(events[*i].clock.as_str()).or_default().push((t - s.ts, *i, *j));
            }
        }
    }
    /// Distinct pairs held, minus the spread, minus the distance of the
    /// centre from 0: greater is better.
    type WindowScore = (usize, i64, i64);
    let mut out = Alignment::default();
    for (clock, mut cands) in cands_by_clock {
        cands.sort_unstable();
        // A window of ± tolerance around each candidate offset (two pointers,
        // O(n log n)): the best holds the most distinct client events and
        // server requests, then the narrowest, then the one centred nearest
        // 0. Each client event then takes the request nearest that centre.
        let (mut in_c, mut in_s): (BTreeMap<usize, usize>, BTreeMap<usize, usize>) = (BTreeMap::new(), BTreeMap::new());
        let (mut lo, mut hi) = (0, 0);
        // (score, first index, last index, centre) of the best window.
        let mut best: Option<(WindowScore, usize, usize, i64)> = None;
        let add = |m: &mut BTreeMap<usize, usize>, k: usize| *m.entry(k).or_default() += 1;
        let remove = |m: &mut BTreeMap<usize, usize>, k: usize| {
            if let Some(n) = m.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&k);
                }
            }
        };
        for c in 0..cands.len() {
            let centre = cands[c].0;
            while hi < cands.len() && cands[hi].0 <= centre + PAIR_TOLERANCE_US {
                add(&mut in_c, cands[hi].1);
                add(&mut in_s, cands[hi].2);
                hi += 1;
            }
            while cands[lo].0 < centre - PAIR_TOLERANCE_US {
                remove(&mut in_c, cands[lo].1);
                remove(&mut in_s, cands[lo].2);
                lo += 1;
            }
            let spread = cands[hi - 1].0 - cands[lo].0;
            let key = (in_c.len().min(in_s.len()), -spread, -centre.abs());
            if best.as_ref().is_none_or(|(k, _, _, _)| key > *k) {
                best = Some((key, lo, hi - 1, centre));
            }
        }
        let Some((_, lo, hi, centre)) = best else { continue };
        // One server request per client event within the window, nearest its centre first.
        let mut near: Vec<(i64, usize, usize)> = cands[lo..=hi].to_vec();
        near.sort_unstable_by_key(|(x, i, j)| ((x - centre).abs(), *i, *j));
        let (mut used_c, mut used_s) = (BTreeSet::new(), BTreeSet::new());
        let mut diffs = Vec::new();
        for (x, i, j) in near {
            if !used_c.contains(&i) && !used_s.contains(&j) {
                used_c.insert(i);
                used_s.insert(j);
                diffs.push(x);
                out.pairs.push((i, j));
            }
        }
        diffs.sort_unstable();
        let med = median(&diffs);
        let mut dev: Vec<i64> = diffs.iter().map(|x| (x - med).abs()).collect();
        dev.sort_unstable();
        let mad = median(&dev) as f64 * 1.4826 / 1e6;
        out.estimates.push(ClockEstimate {
            clock: clock.to_owned(),
            offset_s: round3(med as f64 / 1e6),
            uncertainty_s: round3(mad.max(1.0)),
            pairs: diffs.len(),
        });
    }
    out.pairs.sort_unstable();
    out
}

/// The corrections applied per clock (µs). An offset within its own
/// uncertainty is not distinguishable from zero and is not applied (it is still
/// reported).
pub fn applied_offsets(clocks: &[ClockEstimate]) -> BTreeMap<String, i64> {
    clocks
        .iter()
        .filter(|c| c.offset_s.abs() > c.uncertainty_s)
        .map(|c| (c.clock.clone(), (c.offset_s * 1e6).round() as i64))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts_s: f64, kind: EventKind, clock: &str, url: &str, extra: &[(&str, &str)]) -> StoredEvent {
        let mut e = StoredEvent::new((ts_s * 1e6) as i64, kind, clock, "r");
        e.clock = clock.into();
        e.url = Some(url.into());
        for (k, v) in extra {
            match *k {
                "fetch_mode" => e.fetch_mode = Some((*v).into()),
                "fetch_dest" => e.fetch_dest = Some((*v).into()),
                _ => {
                    e.attrs.insert((*k).into(), (*v).into());
                }
            }
        }
        e
    }

    const IMG: &str = "https://a.example.net/img/x.png";

    #[test]
    fn the_offset_most_pairs_agree_on_wins_over_the_nearest_wrong_pair() {
        // Device clock 286 s fast. The image was cached at t=0 and downloaded
        // at t=490 s; the cache entry is nearer in time to the download's
        // request (204 s) than to its own (286 s).
        let events = vec![
            ev(0.0, EventKind::HttpRequest, "host:I0001", IMG, &[("fetch_mode", "no-cors"), ("fetch_dest", "image")]),
            ev(490.0, EventKind::HttpRequest, "host:I0001", IMG, &[("fetch_mode", "navigate")]),
            ev(286.3, EventKind::BrowserCacheEntry, "dev", IMG, &[]),
            ev(776.0, EventKind::BrowserDownload, "dev", IMG, &[("phase", "start")]),
        ];
        let a = align(&events, &[2, 3], &[0, 1]);
        assert_eq!(a.estimates.len(), 1);
        assert_eq!((a.estimates[0].clock.as_str(), a.estimates[0].pairs), ("dev", 2));
        assert!((a.estimates[0].offset_s - 286.15).abs() < 0.01, "{a:?}");
        assert_eq!(a.pairs, [(2, 0), (3, 1)]);
    }

    #[test]
    fn many_candidate_pairs_agree_on_one_offset() {
        // 400 visits and 400 requests of one URL, a request every 10 s, the
        // device 60 s slow: 160,000 candidate pairs.
        let mut events = Vec::new();
        for i in 0..400 {
            let t = f64::from(i) * 10.0;
            events.push(ev(t, EventKind::HttpRequest, "host:I0001", IMG, &[("fetch_mode", "navigate")]));
            events.push(ev(t - 60.0, EventKind::BrowserVisit, "dev", IMG, &[]));
        }
        let servers: Vec<usize> = (0..800).step_by(2).collect();
        let clients: Vec<usize> = (1..800).step_by(2).collect();
        let a = align(&events, &clients, &servers);
        assert_eq!(a.estimates[0].pairs, 400);
        assert_eq!(a.estimates[0].offset_s, -60.0);
    }
}
