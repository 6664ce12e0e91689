//! The scenario table: each scenario a small evidence bundle in the real formats
//! (an Apache log with Fetch Metadata, Chrome `History` and simple-cache entries,
//! Zone.Identifier streams, a file tree), built in the test with waybill-sim's
//! writers from an explicit world, run through `case new`, `ingest`, `match`
//! and `analyze` with the real executable, with the expected verdict and the
//! rules that must fire.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use waybill_sim::rng::Rng;
use waybill_sim::world::{
    Browser, CacheEntry, Device, Download, Fetch, Host, LogStyle, Marker, Micros, Os, Request, TreeFile, Visit,
    VisitHow, World,
};
use waybill_sim::{Spec, write_world};

/// 2026-01-03T02:00:00Z.
const T0: Micros = 1_767_405_600_000_000;
const S: Micros = 1_000_000;
const IP: &str = "203.0.113.7";
const HOST: &str = "files.example.net";
const PAGE: &str = "https://files.example.net/reports/";
const SEARCH: &str = "https://search.example.com/search?q=annual+report";

fn world(os: Os, clock_offset: Micros) -> World {
    let mut hosts = BTreeMap::new();
    hosts.insert(
        HOST.to_owned(),
        Host {
            style: LogStyle::ApacheFetch,
            clock_offset: 0,
            tz_minutes: 60,
            in_bundle: true,
            noise_paths: vec!["/".into(), "/reports/".into()],
        },
    );
    let device = Device {
        name: "LAPTOP-1".into(),
        os,
        user: "alice".into(),
        browser: Browser::Chrome(131),
        clock_offset,
        drift_per_hour: 0,
        epoch: T0,
    };
    let mut w = World::new(IP.into(), device, T0);
    w.hosts = hosts;
    w.span = (T0, T0 + 3600 * S);
    w
}

fn chrome_ua() -> String {
    Browser::Chrome(131).user_agent(Os::Windows)
}

fn request(ts: Micros, target: &str, referrer: Option<&str>, fetch: Fetch) -> Request {
    Request {
        ts,
        client: IP.into(),
        host: HOST.into(),
        target: target.into(),
        status: 200,
        bytes: 2048,
        referrer: referrer.map(str::to_owned),
        user_agent: chrome_ua(),
        fetch,
    }
}

fn nav(site: &'static str, user: bool) -> Fetch {
    Fetch {
        site: Some(site),
        mode: Some("navigate"),
        dest: Some("document"),
        user: user.then_some("?1"),
        ..Fetch::default()
    }
}

fn visit(ts: Micros, url: &str, how: VisitHow, from: Option<usize>) -> Visit {
    Visit {
        search_term: (how == VisitHow::Search).then(|| "annual report".to_owned()),
        ..Visit::local(ts, url, "page", how, from)
    }
}

/// A search at 02:08:30 and a result click to the reports page at 02:09:40.
fn search_then_page(w: &mut World) {
    w.visits.push(visit(T0 + 510 * S, SEARCH, VisitHow::Search, None));
    w.visits.push(visit(T0 + 580 * S, PAGE, VisitHow::Link, Some(0)));
    w.requests.push(request(
        T0 + 580 * S + 90_000,
        "/reports/",
        Some("https://search.example.com/"),
        nav("cross-site", true),
    ));
}

/// A search, a result click to the reports page, and a click on the file's
/// download link (user activation) that completes at 02:10:07.
fn click_download(w: &mut World, body: &Arc<Vec<u8>>, name: &str) {
    let url = format!("{PAGE}{name}");
    search_then_page(w);
    let mut r = request(T0 + 605 * S + 80_000, &format!("/reports/{name}"), Some(PAGE), nav("same-origin", true));
    r.bytes = body.len() as u64;
    w.requests.push(r);
    let d = &w.device;
    w.downloads.push(Download {
        start: T0 + 605 * S,
        end: T0 + 607 * S,
        chain: vec![url.clone()],
        tab_url: PAGE.into(),
        referrer: PAGE.into(),
        target_path: d.download_path(name),
        body: body.clone(),
        hash_recorded: true,
        mime: "text/plain",
        opened: None,
        cleared: false,
    });
    w.files.push(TreeFile { path: d.tree_path(name), body: body.clone(), mtime: T0 + 607 * S });
    if d.os == Os::Windows {
        w.markers.push(Marker { file_name: d.tree_path(name), referrer: Some(PAGE.into()), host_url: url });
    }
}

/// A visit by link to the reports page that pulls `img` into the cache, by
/// `how` (`Sec-Fetch-Dest: image`, or a `<link rel=prefetch>`).
fn cached_resource(w: &mut World, body: &Arc<Vec<u8>>, img: &str, fetch: Fetch) {
    search_then_page(w);
    let mut r = request(T0 + 581 * S, img, Some(PAGE), fetch);
    r.bytes = body.len() as u64;
    w.requests.push(r);
    w.cache.push(CacheEntry {
        top_site: "https://example.net".into(),
        url: format!("https://{HOST}{img}"),
        request_time: T0 + 581 * S - 60_000,
        response_time: T0 + 581 * S + 250_000,
        mime: "image/png",
        body: body.clone(),
    });
}

fn body(tag: &str) -> Arc<Vec<u8>> {
    Arc::new(format!("synthetic benign content for the {tag} scenario\n").repeat(20).into_bytes())
}

fn waybill(dir: &Path, args: &[String]) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_waybill")).args(args).current_dir(dir).env_clear().output().expect("run");
    assert!(out.status.success(), "waybill {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes the world, runs the whole job, returns the finding of `content`.
fn run(w: &World, content: &[u8]) -> serde_json::Value {
    let t = tempfile::tempdir().expect("temp");
    let bundle = t.path().join("bundle");
    let sha = hex(&Sha256::digest(content));
    let spec = Spec { scenario: "table".into(), seed: 0, noise: 400, files: 1 };
    let (plan, _) = write_world(&bundle, &spec, w, std::slice::from_ref(&sha), &mut Rng::new(3)).expect("write");
    let case = t.path().join("case");
    for args in plan.commands(&bundle, &case) {
        waybill(t.path(), &args);
    }
    waybill(t.path(), &["analyze".into(), case.display().to_string()]);
    // One copy of the content: one finding, `findings/<sha256>-<copy>.json`.
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(case.join("findings"))
        .expect("findings")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("{sha}-"))))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let text = std::fs::read_to_string(found.remove(0)).expect("finding written");
    serde_json::from_str(&text).expect("json")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn counted(f: &serde_json::Value) -> Vec<String> {
    f["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["counted"] == true)
        .filter_map(|e| e["rule"].as_str().map(str::to_owned))
        .collect()
}

fn rules(f: &serde_json::Value) -> Vec<String> {
    f["evidence"].as_array().expect("evidence").iter().filter_map(|e| e["rule"].as_str().map(str::to_owned)).collect()
}

fn lr(f: &serde_json::Value) -> (f64, [f64; 2]) {
    let r = &f["log10_lr_range"];
    (f["log10_lr"].as_f64().expect("lr"), [r[0].as_f64().expect("lo"), r[1].as_f64().expect("hi")])
}

#[test]
fn click_download_with_user_activation_and_chrome_row() {
    let mut w = world(Os::Windows, 0);
    let b = body("click download");
    click_download(&mut w, &b, "annual.txt");
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "user_initiated");
    assert_eq!(
        rules(&f),
        [
            "context.search_before",
            "download.record_with_tab",
            "download.started_after_reading",
            "fetch.user_activation",
            "origin.zone_identifier_referrer"
        ]
    );
    // The row and its Mark of the Web are one fact, counted once.
    assert_eq!(
        counted(&f),
        [
            "context.search_before",
            "download.record_with_tab",
            "download.started_after_reading",
            "fetch.user_activation"
        ]
    );
    assert_eq!(lr(&f), (3.0, [1.2, 4.4]));
    assert_eq!(f["schema"], "waybill.finding/2");
    assert_eq!(f["copy"]["device"], "LAPTOP-1");
    assert_eq!(f["arrival"]["what"], "download complete");
    assert_eq!(f["arrival"]["ts"], "2026-01-03T02:10:07.000000Z");
    assert_eq!(f["file"]["paths"], serde_json::json!(["Users/alice/Downloads/annual.txt"]));
}

#[test]
fn link_prefetch_never_navigated() {
    let mut w = world(Os::Linux, 0);
    let b = body("prefetch");
    let prefetch = Fetch {
        site: Some("same-origin"),
        mode: Some("no-cors"),
        dest: Some("empty"),
        purpose: Some("prefetch"),
        ..Fetch::default()
    };
    cached_resource(&mut w, &b, "/reports/next.png", prefetch);
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "automatic");
    assert_eq!(
        rules(&f),
        ["context.search_before", "presence.cache_only", "purpose.prefetch", "timing.page_load_burst"]
    );
    assert_eq!(lr(&f), (-2.5, [-3.6, -1.7]));
    assert_eq!(f["arrival"]["what"], "cache write");
    assert_eq!(f["arrival"]["ts"], "2026-01-03T02:09:41.250000Z");
}

#[test]
fn image_embedded_in_a_page_visited_by_link_cache_only() {
    let mut w = world(Os::Linux, 0);
    let b = body("embedded image");
    let sub = Fetch { site: Some("same-origin"), mode: Some("no-cors"), dest: Some("image"), ..Fetch::default() };
    cached_resource(&mut w, &b, "/reports/chart.png", sub);
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "automatic");
    assert_eq!(
        rules(&f),
        ["context.search_before", "fetch.subresource_destination", "presence.cache_only", "timing.page_load_burst"]
    );
    assert_eq!(lr(&f), (-2.1, [-3.1, -1.3]));
}

#[test]
fn typed_search_then_download_on_linux() {
    let mut w = world(Os::Linux, 0);
    let b = body("typed search");
    click_download(&mut w, &b, "report-2025.txt");
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "user_initiated");
    assert_eq!(
        rules(&f),
        [
            "context.search_before",
            "download.record_with_tab",
            "download.started_after_reading",
            "fetch.user_activation"
        ]
    );
    assert_eq!(lr(&f), (3.0, [1.2, 4.4]));
}

#[test]
fn a_downloads_own_request_without_user_activation_is_not_evidence_of_automatic_delivery() {
    // A download recorded with its page, and the server saw the navigation to
    // the file without user activation: a script's download, or a person's
    // click on an `<a download>` link (which sends none). The download's own
    // request says nothing either way.
    let mut w = world(Os::Linux, 0);
    let b = body("conflict");
    click_download(&mut w, &b, "offer.txt");
    if let Some(r) = w.requests.iter_mut().find(|r| r.target.ends_with("offer.txt")) {
        r.fetch = nav("same-origin", false);
    }
    w.visits.remove(0);
    w.visits[0].from = None;
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "indeterminate");
    assert_eq!(rules(&f), ["download.record_with_tab", "download.started_after_reading"]);
    assert_eq!(lr(&f), (1.5, [0.7, 2.3]));
}

#[test]
fn no_discriminating_evidence_names_the_missing_sources() {
    let mut w = world(Os::Linux, 0);
    w.hosts.clear();
    w.history_in_bundle = false;
    let b = body("tree only");
    w.files.push(TreeFile { path: "home/alice/Downloads/found.txt".into(), body: b.clone(), mtime: T0 + 607 * S });
    let f = run(&w, &b);
    assert_eq!(f["verdict"], "indeterminate");
    assert_eq!(rules(&f), Vec::<String>::new());
    let needs: Vec<&str> = f["gaps"].as_array().expect("gaps").iter().filter_map(|g| g["needs"].as_str()).collect();
    for n in [
        "web server or CDN log of the file's host, from the subject's address, with Sec-Fetch-* and Sec-Purpose fields",
        "browser history of the subject's device covering the arrival",
        "the subject's browser download history covering the arrival",
    ] {
        assert!(needs.contains(&n), "{n} not in {needs:?}");
    }
}

#[test]
fn device_clock_90_s_fast_gives_the_same_verdict_and_reports_the_offset() {
    let b = body("fast clock");
    let mut right = world(Os::Windows, 0);
    click_download(&mut right, &b, "annual.txt");
    let mut fast = world(Os::Windows, 90 * S);
    click_download(&mut fast, &b, "annual.txt");
    let (a, f) = (run(&right, &b), run(&fast, &b));
    assert_eq!((&f["verdict"], lr(&f)), (&a["verdict"], lr(&a)));
    assert_eq!(rules(&f), rules(&a));
    let clock = &f["clocks"][0];
    assert_eq!(clock["clock"], "LAPTOP-1");
    let offset = clock["offset_s"].as_f64().expect("offset");
    assert!((offset - 90.0).abs() <= 2.0, "offset {offset}");
    // The arrival is reported in corrected time, within the clock's uncertainty of the truth.
    let ts = f["arrival"]["ts"].as_str().expect("ts");
    assert!(ts.starts_with("2026-01-03T02:10:0"), "{ts}");
}
