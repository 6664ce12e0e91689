//! Delivery scenarios at the engine level: each a small bundle of events as the
//! sources emit them (kinds, columns and attrs keys as in the event table), the
//! expected verdict and the rules that must fire.

use std::collections::{BTreeMap, BTreeSet};

use waybill_model::Timestamp;
use waybill_reason::Rulebook;
use waybill_reason::engine::{Coverage, Ev, FileOfInterest, Finding, Matched, analyze};

const SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const FILE_URL: &str = "https://files.example.com/reports/annual.pdf";

fn t(s: &str) -> i64 {
    Timestamp::parse_rfc3339(s).map(Timestamp::unix_micros).expect("test time")
}

/// An event: time, then (column, value) pairs. `source` decides the format and clock.
fn ev(ts: &str, source: &str, record: &str, cols: &[(&str, &str)]) -> Ev {
    let (format, clock) = match source {
        "I0001" => ("apache.access", "host:I0001"),
        "I0002" => ("chrome.history", "laptop"),
        "I0003" => ("files.tree", "laptop"),
        "I0004" => ("windows.zone_identifier", "laptop"),
        "I0005" => ("chrome.cache", "laptop"),
        "I0006" => ("windows.evtx", "laptop"),
        "I0007" => ("windows.evtx", "desktop"),
        "I0008" => ("cloudflare.http", "host:I0008"),
        "I0009" => ("android.downloads", "phone"),
        "I0010" => ("whatsapp.msgstore", "phone"),
        other => panic!("unknown test source {other}"),
    };
    let mut m: BTreeMap<String, String> = cols.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    m.insert("source".into(), source.into());
    m.insert("record".into(), record.into());
    m.insert("format".into(), format.into());
    m.insert("clock".into(), clock.into());
    Ev { ts: t(ts), cols: m }
}

fn shift(mut e: Ev, seconds: i64) -> Ev {
    if e.cols.get("clock").is_some_and(|c| c == "laptop") {
        e.ts += seconds * 1_000_000;
    }
    e
}

fn coverage(evs: &[Ev]) -> Vec<Coverage> {
    let mut by: BTreeMap<String, Coverage> = BTreeMap::new();
    for e in evs {
        let c = by.entry(e.cols["source"].clone()).or_insert_with(|| Coverage {
            source: e.cols["source"].clone(),
            format: e.cols["format"].clone(),
            from: e.ts,
            to: e.ts,
            columns: BTreeSet::new(),
        });
        c.from = c.from.min(e.ts);
        c.to = c.to.max(e.ts);
        c.columns.extend(e.cols.keys().cloned());
    }
    by.into_values().collect()
}

fn file() -> FileOfInterest {
    FileOfInterest {
        sha256: SHA.into(),
        paths: vec!["Users/alice/Downloads/annual.pdf".into()],
        matched: vec![Matched { set: "set.txt".into(), by: "sha256".into(), distance: 0 }],
    }
}

fn created(ts: &str) -> Ev {
    ev(ts, "I0003", "file[0]", &[("kind", "fs.created"), ("path", "Users/alice/Downloads/annual.pdf"), ("sha256", SHA)])
}

fn download(start: &str, end: &str, tab: bool) -> Vec<Ev> {
    let mut cols = vec![
        ("kind", "browser.download"),
        ("url", FILE_URL),
        ("sha256", SHA),
        ("path", "C:\\Users\\alice\\Downloads\\annual.pdf"),
    ];
    if tab {
        cols.push(("attrs.tab_url", "https://files.example.com/reports/"));
        cols.push(("referrer", "https://files.example.com/reports/"));
    }
    let mut s = cols.clone();
    s.push(("attrs.phase", "start"));
    let mut e = cols;
    e.push(("attrs.phase", "end"));
    e.push(("attrs.state", "complete"));
    vec![ev(start, "I0002", "downloads rowid 1", &s), ev(end, "I0002", "downloads rowid 1", &e)]
}

fn background_visit(ts: &str, n: u32, url: &str, transition: &str) -> Ev {
    ev(
        ts,
        "I0002",
        &format!("visits rowid {n}"),
        &[("kind", "browser.visit"), ("url", url), ("transition", transition)],
    )
}

fn request(ts: &str, line: u32, extra: &[(&str, &str)]) -> Ev {
    let mut cols = vec![("kind", "http.request"), ("url", FILE_URL), ("client_ip", "203.0.113.7"), ("status", "200")];
    cols.extend_from_slice(extra);
    ev(ts, "I0001", &format!("offset {} line {line}", line * 100), &cols)
}

fn cache_entry(ts: &str, url: &str) -> Ev {
    ev(ts, "I0005", "entry 1", &[("kind", "browser.cache_entry"), ("url", url), ("sha256", SHA)])
}

/// Runs the engine as the command does: `linked` are the events tied to the
/// file, `all` every event of the bundle (nearby = all, coverage from all).
fn run(linked: &[Ev], all: &[Ev]) -> Finding {
    let book = Rulebook::embedded().expect("rulebook");
    analyze(file(), linked, all, &coverage(all), &book, "manifest-sha")
}

fn fired(f: &Finding) -> Vec<&str> {
    f.evidence.iter().map(|e| e.rule.as_str()).collect()
}

fn click_download_bundle() -> (Vec<Ev>, Vec<Ev>) {
    let mut linked = vec![request(
        "2026-01-03T02:10:05Z",
        7,
        &[("fetch_user", "?1"), ("fetch_mode", "navigate"), ("fetch_site", "same-origin"), ("fetch_dest", "document")],
    )];
    linked.extend(download("2026-01-03T02:10:05.200000Z", "2026-01-03T02:10:07Z", true));
    linked.push(created("2026-01-03T02:10:07.400000Z"));
    let mut all = linked.clone();
    all.push(background_visit(
        "2026-01-03T02:09:58Z",
        3,
        "https://files.example.com/reports/",
        "LINK|CHAIN_START|CHAIN_END",
    ));
    all.push(request("2026-01-03T02:09:58Z", 6, &[("fetch_user", "?1"), ("fetch_mode", "navigate")]));
    (linked, all)
}

#[test]
fn click_download_with_user_activation_is_user_initiated() {
    let (linked, all) = click_download_bundle();
    let f = run(&linked, &all);
    assert_eq!(f.verdict, "user_initiated");
    assert_eq!(fired(&f), ["download.record_with_tab", "fetch.user_activation"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (2.5, [1.5, 3.5]));
    assert_eq!(f.verbal, "moderately strong support for user-initiated retrieval");
    let a = f.arrival.as_ref().expect("arrival");
    assert_eq!(
        (a.ts.as_str(), a.what.as_str(), a.record.as_str()),
        ("2026-01-03T02:10:07.000000Z", "download complete", "downloads rowid 1")
    );
    assert_eq!(f.clocks.len(), 1);
    assert_eq!((f.clocks[0].clock.as_str(), f.clocks[0].offset_s, f.clocks[0].pairs), ("laptop", 0.2, 1));
    assert_eq!(
        f.chain.iter().map(|c| c.role.as_str()).collect::<Vec<_>>(),
        ["origin", "transit", "arrival", "transit"]
    );
}

#[test]
fn device_clock_90_s_fast_gives_the_same_verdict_and_the_offset() {
    let (linked, all) = click_download_bundle();
    let linked: Vec<Ev> = linked.into_iter().map(|e| shift(e, 90)).collect();
    let all: Vec<Ev> = all.into_iter().map(|e| shift(e, 90)).collect();
    let f = run(&linked, &all);
    assert_eq!(f.verdict, "user_initiated");
    assert_eq!(fired(&f), ["download.record_with_tab", "fetch.user_activation"]);
    let c = &f.clocks[0];
    assert!((c.offset_s - 90.0).abs() <= 2.0, "offset {}", c.offset_s);
    // The arrival is reported on the corrected (server) time line, within the
    // estimate's uncertainty of the true 02:10:07.
    let a = f.arrival.as_ref().map(|a| a.ts.as_str());
    assert_eq!(a, Some("2026-01-03T02:10:06.800000Z"));
}

#[test]
fn speculative_prefetch_never_navigated_is_automatic() {
    let linked = vec![
        request(
            "2026-01-03T02:10:05Z",
            7,
            &[("purpose", "prefetch"), ("fetch_mode", "navigate"), ("fetch_dest", "document")],
        ),
        cache_entry("2026-01-03T02:10:05.300000Z", FILE_URL),
        created("2026-01-03T02:10:05.400000Z"),
    ];
    let mut all = linked.clone();
    all.push(background_visit("2026-01-03T02:10:01Z", 3, "https://files.example.com/reports/", "LINK"));
    let f = run(&linked, &all);
    assert_eq!(f.verdict, "automatic");
    assert_eq!(fired(&f), ["presence.cache_only", "purpose.prefetch"]);
    assert_eq!(f.log10_lr_range, [-3.7, -1.7]);
    assert_eq!(f.arrival.as_ref().map(|a| a.what.as_str()), Some("cache write"));
    let cache_only = &f.evidence[0];
    assert!(
        cache_only.explanation.contains("that source is present and covers the window"),
        "{}",
        cache_only.explanation
    );
}

#[test]
fn image_embedded_in_a_visited_page_present_only_in_cache_is_automatic() {
    let img = "https://cdn.example.net/img/photo.jpg";
    let mut linked = vec![
        ev(
            "2026-01-03T02:10:05Z",
            "I0001",
            "offset 700 line 7",
            &[
                ("kind", "http.request"),
                ("url", img),
                ("fetch_dest", "image"),
                ("fetch_mode", "no-cors"),
                ("fetch_site", "cross-site"),
                ("referrer", "https://www.example.com/gallery"),
            ],
        ),
        cache_entry("2026-01-03T02:10:05.100000Z", img),
        created("2026-01-03T02:10:05.200000Z"),
    ];
    linked.sort();
    let mut all = linked.clone();
    all.push(background_visit("2026-01-03T02:10:04.500000Z", 3, "https://www.example.com/gallery", "LINK"));
    let f = run(&linked, &all);
    assert_eq!(f.verdict, "automatic");
    assert_eq!(fired(&f), ["fetch.subresource_destination", "presence.cache_only"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-2.3, [-3.2, -1.3]));
}

#[test]
/// Without Fetch Metadata, the browser's records of a download (its row with
/// the page, the Mark of the Web naming that page, a search before) follow
/// from any download started on a page, chosen or page-triggered: support for
/// user retrieval, but not decisive.
fn typed_search_then_download_without_server_log_is_indeterminate() {
    let mut linked = download("2026-01-03T02:10:05Z", "2026-01-03T02:10:08Z", true);
    linked.push(ev(
        "2026-01-03T02:10:09Z",
        "I0004",
        "whole input",
        &[
            ("kind", "fs.origin_marker"),
            ("path", "annual.pdf"),
            ("url", FILE_URL),
            ("referrer", "https://files.example.com/reports/"),
            ("attrs.zone", "internet"),
            ("attrs.zone_id", "3"),
        ],
    ));
    linked.push(created("2026-01-03T02:10:08.100000Z"));
    let mut all = linked.clone();
    all.push(ev(
        "2026-01-03T02:08:30Z",
        "I0002",
        "visits rowid 2",
        &[
            ("kind", "browser.visit"),
            ("url", "https://www.example.com/search?q=annual+report"),
            ("transition", "TYPED|CHAIN_START|CHAIN_END"),
            ("attrs.search_term", "annual report"),
        ],
    ));
    all.push(background_visit(
        "2026-01-03T02:09:40Z",
        3,
        "https://files.example.com/reports/",
        "LINK|CHAIN_START|CHAIN_END",
    ));
    let f = run(&linked, &all);
    assert_eq!(f.verdict, "indeterminate");
    assert_eq!(fired(&f), ["context.search_before", "download.record_with_tab", "origin.zone_identifier_referrer"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (1.9, [0.8, 2.8]));
    assert_eq!(f.verbal, "moderate support for user-initiated retrieval");
    // No server log: the Fetch Metadata rules are gaps naming the log that would decide them.
    let fetch_gap = f.gaps.iter().find(|g| g.rule.contains("fetch.user_activation")).expect("fetch gap");
    assert_eq!(fetch_gap.from.as_deref(), Some("2026-01-03T02:00:08.000000Z"));
    assert_eq!(fetch_gap.to.as_deref(), Some("2026-01-03T02:20:08.000000Z"));
}

#[test]
fn conflicting_evidence_is_indeterminate() {
    let mut linked = vec![request("2026-01-03T02:10:05Z", 7, &[("purpose", "prefetch"), ("fetch_mode", "navigate")])];
    linked.extend(download("2026-01-03T02:10:06Z", "2026-01-03T02:10:07Z", true));
    let f = run(&linked, &linked.clone());
    assert_eq!(f.verdict, "indeterminate");
    assert_eq!(fired(&f), ["download.record_with_tab", "purpose.prefetch"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-0.7, [-1.7, 0.3]));
    assert_eq!(f.verbal, "weak support for delivery without the subject's act");
}

#[test]
fn no_discriminating_evidence_is_indeterminate_with_gaps() {
    let linked = vec![created("2026-01-03T02:10:07Z")];
    let f = run(&linked, &linked.clone());
    assert_eq!(f.verdict, "indeterminate");
    assert!(f.evidence.is_empty());
    assert_eq!(f.verbal, "no meaningful support for either proposition");
    let needs: Vec<&str> = f.gaps.iter().map(|g| g.needs.as_str()).collect();
    for want in [
        "web server or CDN log of the file's host, from the subject's address, with Sec-Fetch-* and Sec-Purpose fields",
        "browser history of the subject's device covering the arrival",
        "the subject's browser download history covering the arrival",
        "Windows Security and System event logs (4800/4801, Kernel-Power 42, Power-Troubleshooter 1) covering the arrival",
        "the messaging app's database and settings on the subject's device",
        "the cloud provider's audit log for the subject's account covering the arrival",
    ] {
        assert!(needs.contains(&want), "missing gap {want:?} in {needs:#?}");
    }
    // The file tree covers the window, so the burst rule was evaluated, not a gap.
    assert!(!f.gaps.iter().any(|g| g.rule.contains("burst.many_files")));
}

#[test]
fn same_inputs_give_byte_identical_findings_whatever_the_event_order() {
    let (linked, all) = click_download_bundle();
    let a = serde_json::to_string_pretty(&run(&linked, &all)).expect("json");
    let mut rl = linked.clone();
    rl.reverse();
    let mut ra = all.clone();
    ra.reverse();
    let b = serde_json::to_string_pretty(&run(&rl, &ra)).expect("json");
    assert_eq!(a, b);
}

#[test]
fn a_search_inside_the_clock_uncertainty_is_not_counted_as_before() {
    // The device clock is aligned with 1 s uncertainty: a search 0.5 s before the
    // arrival (both on that clock: slack 2 s) cannot be said to precede it.
    let (linked, mut all) = click_download_bundle();
    let search = |ts: &str| {
        ev(
            ts,
            "I0002",
            "visits rowid 9",
            &[
                ("kind", "browser.visit"),
                ("url", "https://www.example.com/search?q=annual"),
                ("transition", "TYPED"),
                ("attrs.search_term", "annual"),
            ],
        )
    };
    all.push(search("2026-01-03T02:10:06.500000Z"));
    let f = run(&linked, &all);
    assert!(!fired(&f).contains(&"context.search_before"), "{:?}", fired(&f));
    all.pop();
    all.push(search("2026-01-03T02:09:00Z"));
    let f = run(&linked, &all);
    assert!(fired(&f).contains(&"context.search_before"), "{:?}", fired(&f));
}

/// A presence event of the laptop's Security or System log.
fn presence(ts: &str, id: u32, kind: &str, extra: &[(&str, &str)]) -> Ev {
    let mut cols = vec![("kind", kind)];
    cols.extend_from_slice(extra);
    ev(ts, "I0006", &format!("EventRecordID {id}"), &cols)
}

fn state_fired(presence_events: &[Ev]) -> bool {
    let linked = vec![created("2026-01-03T02:10:07Z")];
    let mut all = linked.clone();
    all.extend_from_slice(presence_events);
    fired(&run(&linked, &all)).contains(&"state.locked_or_asleep")
}

#[test]
fn the_state_at_arrival_is_the_last_presence_event_before_it() {
    let lock = |ts| presence(ts, 1, "session.lock", &[]);
    let unlock = |ts| presence(ts, 2, "session.unlock", &[]);
    // Locked five minutes before the file arrived, nothing since: locked.
    assert!(state_fired(&[lock("2026-01-03T02:05:00Z")]));
    // Asleep (Kernel-Power 42) before, woken after the arrival: asleep.
    assert!(state_fired(&[
        presence("2026-01-03T02:01:00Z", 3, "power.sleep", &[]),
        presence("2026-01-03T02:20:00Z", 4, "power.wake", &[])
    ]));
    // Locked 30 s after the arrival: says nothing of the arrival.
    assert!(!state_fired(&[lock("2026-01-03T02:10:37Z")]));
    // Locked, then unlocked before the arrival: present.
    assert!(!state_fired(&[lock("2026-01-03T02:05:00Z"), unlock("2026-01-03T02:08:00Z")]));
    // Locked at the very time of an unlock: not shown to be locked.
    assert!(!state_fired(&[lock("2026-01-03T02:08:00Z"), unlock("2026-01-03T02:08:00Z")]));
    // Locked more than an hour before: outside the window, not decided.
    assert!(!state_fired(&[lock("2026-01-03T01:05:00Z")]));
    assert!(state_fired(&[lock("2026-01-03T01:15:00Z")]));
    // The end of a network logon is not the user leaving; an interactive logoff is.
    let logoff = |t| presence("2026-01-03T02:09:00Z", 5, "session.logoff", &[("attrs.logon_type_name", t)]);
    assert!(!state_fired(&[logoff("network")]));
    assert!(state_fired(&[logoff("interactive")]));
    // Another computer of the subject, locked: says nothing of the laptop.
    let desktop = ev("2026-01-03T02:05:00Z", "I0007", "EventRecordID 7", &[("kind", "session.lock")]);
    assert!(!state_fired(&[desktop]));
    // A network logon while locked neither ends nor starts the state.
    let net_logon = presence("2026-01-03T02:09:30Z", 6, "session.logon", &[("attrs.logon_type_name", "network")]);
    assert!(state_fired(&[lock("2026-01-03T02:05:00Z"), net_logon]));
}

/// The arrival on a server's clock, the presence events on the laptop's, whose
/// offset nothing in the bundle estimates: the state must hold five minutes
/// either side of the arrival.
#[test]
fn presence_on_an_unaligned_clock_must_hold_beyond_its_plausible_error() {
    let fired_with = |events: &[Ev]| {
        // A sync client's download, recorded by the service (a server clock).
        let sync = [("kind", "cloud.sync_download"), ("sha256", SHA), ("path", "Documents/annual.pdf")];
        let linked = vec![
            ev("2026-01-03T02:10:07Z", "I0001", "offset 0 line 1", &sync),
            // The synced copy in the laptop's tree: the laptop received the file.
            created("2026-01-03T02:10:09Z"),
        ];
        let mut all = linked.clone();
        all.extend_from_slice(events);
        let f = run(&linked, &all);
        assert_eq!(f.arrival.as_ref().map(|a| a.source.as_str()), Some("I0001"));
        fired(&f).contains(&"state.locked_or_asleep")
    };
    let lock = |ts| presence(ts, 1, "session.lock", &[]);
    let unlock = |ts| presence(ts, 2, "session.unlock", &[]);
    // Locked two minutes before by the laptop's clock: it may be minutes off.
    assert!(!fired_with(&[lock("2026-01-03T02:08:07Z")]));
    // Locked twenty minutes before, unlocked twenty after: locked.
    assert!(fired_with(&[lock("2026-01-03T01:50:07Z"), unlock("2026-01-03T02:30:07Z")]));
    // Unlocked three minutes after by the laptop's clock: maybe before the arrival.
    assert!(!fired_with(&[lock("2026-01-03T01:50:07Z"), unlock("2026-01-03T02:13:07Z")]));
}

/// A Cloudflare Logpush record for the file: `source` is `ClientRequestSource`,
/// `auto` set as the source sets it (anything but `eyeball` and `unknown`).
fn edge_request(ts: &str, ray: &str, source: &str) -> Ev {
    let mut cols = vec![
        ("kind", "http.request"),
        ("url", FILE_URL),
        ("client_ip", "198.51.100.20"),
        ("status", "200"),
        ("attrs.request_source", source),
        ("attrs.ray_id", ray),
    ];
    if source != "eyeball" && source != "unknown" {
        cols.push(("auto", "true"));
    }
    ev(ts, "I0008", &format!("offset 0 line {ray}"), &cols)
}

#[test]
fn a_file_the_cdn_logged_only_as_its_own_fetches_leans_automatic() {
    let linked = vec![
        edge_request("2026-01-03T02:10:01Z", "1", "edgeWorkerFetch"),
        edge_request("2026-01-03T02:10:02Z", "2", "imageResizing"),
        created("2026-01-03T02:10:05Z"),
    ];
    let f = run(&linked, &linked);
    assert_eq!(fired(&f), ["cloud.machinery_only"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-0.8, [-1.3, -0.3]));
    // Moderate on its own: not decisive.
    assert_eq!(f.verdict, "indeterminate");
    assert!(f.evidence[0].explanation.contains("I0008"), "{}", f.evidence[0].explanation);
}

#[test]
fn an_eyeball_or_unknown_request_for_the_file_stops_the_machinery_rule() {
    for person in ["eyeball", "unknown"] {
        let linked = vec![
            edge_request("2026-01-03T02:10:01Z", "1", "edgeWorkerFetch"),
            edge_request("2026-01-03T02:10:02Z", "2", person),
            created("2026-01-03T02:10:05Z"),
        ];
        let f = run(&linked, &linked);
        assert!(!fired(&f).contains(&"cloud.machinery_only"), "{person}: {:?}", fired(&f));
    }
    // A request in the origin's own log (not the CDN's) is a possible client too.
    let linked = vec![
        edge_request("2026-01-03T02:10:01Z", "1", "purge"),
        request("2026-01-03T02:10:02Z", 3, &[]),
        created("2026-01-03T02:10:05Z"),
    ];
    assert!(!fired(&run(&linked, &linked)).contains(&"cloud.machinery_only"));
}

#[test]
fn without_a_cdn_log_the_machinery_rule_is_a_gap_not_evidence() {
    let linked = vec![request("2026-01-03T02:10:02Z", 3, &[("auto", "true")]), created("2026-01-03T02:10:05Z")];
    let f = run(&linked, &linked);
    assert!(!fired(&f).contains(&"cloud.machinery_only"));
    assert!(f.gaps.iter().any(|g| g.rule.contains("cloud.machinery_only")), "{:?}", f.gaps);
}

/// A downloads.db row as `android.downloads` writes it: `browser.download` at
/// `lastmod`, the requesting app, visibility and the Downloads-list flag.
fn dm_row(id: u32, package: &str, visibility: &str, in_list: &str, referrer: Option<&str>) -> Ev {
    let mut cols = vec![
        ("kind", "browser.download"),
        ("url", FILE_URL),
        ("path", "/storage/emulated/0/Download/annual.pdf"),
        ("status", "200"),
        ("attrs.notification_package", package),
        ("attrs.visibility", visibility),
        ("attrs.is_visible_in_downloads_ui", in_list),
        ("attrs.state", "complete"),
    ];
    let id_text = id.to_string();
    cols.push(("attrs.download_id", &id_text));
    if let Some(r) = referrer {
        cols.push(("referrer", r));
    }
    ev("2026-01-03T02:10:07Z", "I0009", &format!("downloads rowid {id}"), &cols)
}

#[test]
fn a_hidden_download_manager_fetch_leans_automatic_and_a_visible_one_weakly_user() {
    let hidden = vec![dm_row(102, "com.example.messenger", "hidden", "false", None)];
    let f = run(&hidden, &hidden);
    assert_eq!(fired(&f), ["download.background_request"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-1.0, [-1.5, -0.5]));
    assert_eq!(f.verdict, "indeterminate");

    // A browser's visible download with a referrer: weak support only; the
    // desktop rule about download rows with their page does not apply to rows
    // any Android app can write.
    let visible =
        vec![dm_row(101, "org.mozilla.firefox", "visible_notify_completed", "true", Some("https://www.example.com/"))];
    let f = run(&visible, &visible);
    assert_eq!(fired(&f), ["download.visible_request"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (0.5, [0.2, 0.8]));

    // Hidden but listed, or visible but kept out of the list: neither rule.
    for (v, l) in [("hidden", "true"), ("visible", "false")] {
        let odd = vec![dm_row(103, "com.example.app", v, l, None)];
        assert!(fired(&run(&odd, &odd)).is_empty(), "{v} {l}");
    }
}

#[test]
fn a_cdn_log_with_fetch_metadata_decides_the_fetch_rules() {
    // An eyeball request that logged Sec-Fetch-* through RequestHeaders: the
    // user-activation rule fires on the CDN's record as on a web server's.
    let mut navigation = edge_request("2026-01-03T02:10:01Z", "1", "eyeball");
    for (k, v) in
        [("fetch_user", "?1"), ("fetch_mode", "navigate"), ("fetch_site", "same-origin"), ("fetch_dest", "document")]
    {
        navigation.cols.insert(k.into(), v.into());
    }
    let linked = vec![navigation, created("2026-01-03T02:10:05Z")];
    let f = run(&linked, &linked);
    assert!(fired(&f).contains(&"fetch.user_activation"), "{:?}", fired(&f));
    let gap_rules: Vec<&str> = f.gaps.iter().flat_map(|g| g.rule.split(", ")).collect();
    assert!(!gap_rules.iter().any(|r| r.starts_with("fetch.")), "{gap_rules:?}");
    // The job did not log Sec-Purpose: the purpose rules stay a gap.
    assert!(gap_rules.contains(&"purpose.prefetch"), "{gap_rules:?}");

    // A CDN log that does not log the headers leaves the fetch rules a gap.
    let linked = vec![edge_request("2026-01-03T02:10:01Z", "1", "eyeball"), created("2026-01-03T02:10:05Z")];
    let f = run(&linked, &linked);
    let gap_rules: Vec<&str> = f.gaps.iter().flat_map(|g| g.rule.split(", ")).collect();
    assert!(gap_rules.contains(&"fetch.user_activation"), "{gap_rules:?}");
}

/// A received WhatsApp image on the phone as `whatsapp.msgstore` writes it:
/// `msg.media_fetched` at `received_timestamp`, with the chat's read state when
/// the chat keeps a last-read mark, and `auto` as the settings decided it.
fn wa_fetch(chat_read: Option<&str>, auto: Option<&str>) -> Ev {
    let mut cols = vec![
        ("kind", "msg.media_fetched"),
        ("path", "Media/WhatsApp Images/IMG-20260103-WA0012.jpg"),
        ("sha256", SHA),
        ("attrs.is_group", "true"),
        ("attrs.media_type", "image"),
    ];
    if let Some(r) = chat_read {
        cols.push(("attrs.chat_read", r));
    }
    if let Some(a) = auto {
        cols.push(("auto", a));
    }
    ev("2026-01-03T02:40:00.250000Z", "I0010", "message rowid 4", &cols)
}

#[test]
fn media_whose_message_is_still_unread_leans_automatic_beside_the_settings() {
    // Unread alone: moderate support for automatic, not a verdict.
    let f = run(&[wa_fetch(Some("false"), None)], &[wa_fetch(Some("false"), None)]);
    assert_eq!(fired(&f), ["read_state.message_unread"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-1.3, [-2.0, -0.7]));

    // Unread with auto-download on for the type and network: the two add
    // (different groups), as the design's "auto-download on and never opened".
    let both = [wa_fetch(Some("false"), Some("true"))];
    let f = run(&both, &both);
    assert_eq!(fired(&f), ["messaging.auto_download", "read_state.message_unread"]);
    assert_eq!((f.log10_lr, f.log10_lr_range), (-2.8, [-4.0, -1.7]));
    assert_eq!(f.verdict, "automatic");

    // Read: the chat was opened after the arrival; that says nothing either way.
    let read = [wa_fetch(Some("true"), Some("true"))];
    let f = run(&read, &read);
    assert_eq!(fired(&f), ["messaging.auto_download"]);
    assert_eq!(f.log10_lr, -1.5);

    // Auto-download off yet the message unread: the settings (current value
    // only) and the read state pull apart, and nothing is decided.
    let odd = [wa_fetch(Some("false"), Some("false"))];
    let f = run(&odd, &odd);
    assert_eq!(fired(&f), ["messaging.manual_download", "read_state.message_unread"]);
    assert_eq!(f.verdict, "indeterminate");

    // No read state (no mark in the chat row): no evidence, and no gap either,
    // as the messaging database is there.
    let unknown = [wa_fetch(None, Some("true"))];
    let f = run(&unknown, &unknown);
    assert_eq!(fired(&f), ["messaging.auto_download"]);
    assert!(!f.gaps.iter().any(|g| g.rule.contains("read_state.message_unread")), "{:?}", f.gaps);
}

/// The auto-download rules are decided by the app's settings file: a message
/// database without it leaves them a gap (the read state is evaluated).
#[test]
fn without_the_settings_file_the_auto_download_rules_are_a_gap() {
    let linked = [wa_fetch(Some("false"), None)];
    let f = run(&linked, &linked);
    let gap_rules: Vec<&str> = f.gaps.iter().flat_map(|g| g.rule.split(", ")).collect();
    assert!(gap_rules.contains(&"messaging.auto_download"), "{gap_rules:?}");
    assert!(gap_rules.contains(&"messaging.manual_download"), "{gap_rules:?}");
    assert!(!gap_rules.contains(&"read_state.message_unread"), "{gap_rules:?}");
}

#[test]
fn without_the_messaging_database_the_read_state_is_a_gap() {
    let linked = vec![created("2026-01-03T02:10:05Z")];
    let f = run(&linked, &linked);
    let gap = f.gaps.iter().find(|g| g.rule.contains("read_state.message_unread")).expect("a gap");
    assert_eq!(gap.needs, "the messaging app's database and settings on the subject's device");
    assert!(gap.rule.contains("messaging.auto_download"), "{}", gap.rule);
}
