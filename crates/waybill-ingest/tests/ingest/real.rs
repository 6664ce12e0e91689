//! The shared corpus of real artifacts (`../shared/data/real`), read in place.
//! Counts and values are checked against what plaso 20260720 reports for the same
//! files (its test assertions and our side-by-side runs); where waybill reads
//! more or differently, the test says so.

use serde_json::Value;
use waybill_testkit::{Collected, Opts, ingest_path, real};

fn ingest(rel: &str) -> Option<Collected> {
    let p = real(rel)?;
    Some(ingest_path(&p, &Opts::default()).unwrap_or_else(|e| panic!("{e}")))
}

fn counts(c: &Collected) -> (u64, u64, u64) {
    (c.summary.counts.records, c.summary.counts.events, c.summary.counts.rejects)
}

fn find(c: &Collected, f: impl Fn(&Value) -> bool) -> &Value {
    c.events.iter().find(|e| f(e)).expect("event present")
}

#[test]
fn chrome_8_history_matches_plaso() {
    let Some(c) = ingest("chrome/History") else { return };
    assert_eq!(c.summary.format, "chrome.history");
    // plaso: 71 event_data (69 visits + 2 downloads), 0 warnings; one event each
    // (the Chrome 8 downloads table has no end_time).
    assert_eq!(counts(&c), (71, 71, 0));
    assert_eq!(c.kind("browser.visit").len(), 69);
    let first = &c.events[0];
    assert_eq!(first["ts"], "2011-04-07T12:03:11.000000Z");
    assert_eq!(first["url"], "http://start.ubuntu.com/10.04/Google/");
    assert_eq!(first["attrs"]["title"], "Ubuntu Start Page");
    assert_eq!(first["attrs"]["visit_count"], 4);
    assert_eq!(first["attrs"]["typed_count"], 0);
    assert_eq!(first["attrs"]["visit_source"], "firefox_imported");
    assert_eq!(first["transition"], "LINK|CHAIN_START|CHAIN_END");
    // plaso's event 20: the hidden URL (plaso prints url_hidden false because of a
    // type bug; the database says hidden = 1).
    let hidden = &c.events[20];
    assert_eq!(hidden["url"], "http://www.google.ch/blank.html");
    assert_eq!(hidden["attrs"]["hidden"], true);
    assert_eq!(hidden["transition"], "AUTO_SUBFRAME|CHAIN_START|CHAIN_END");
    assert_eq!(hidden["auto"], true);
    let dl = c.kind("browser.download");
    assert_eq!(dl.len(), 2);
    assert_eq!(dl[0]["ts"], "2011-05-23T08:35:30.000000Z");
    assert_eq!(dl[0]["ts_precision"], "s");
    assert_eq!(dl[0]["path"], "/home/john/Downloads/funcats_scr.exe");
    assert_eq!(dl[0]["url"], "http://fatloss4idiotsx.com/download/funcats/funcats_scr.exe");
    assert_eq!(dl[0]["size"], 1_132_155);
    assert_eq!(dl[0]["attrs"]["received_bytes"], 1_132_155);
    assert_eq!(dl[1]["path"], "/home/john/Downloads/Cats Demo.exe");
}

#[test]
fn chrome_57_to_63_match_plaso() {
    // (file, visit, download start, download end) as plaso reports them.
    let cases = [
        (
            "chrome/History-57.0.2987.133",
            "2018-01-21T14:09:53.885478Z",
            "2018-01-21T14:09:53.900399Z",
            "2018-01-21T14:09:54.858738Z",
        ),
        (
            "chrome/History-58.0.3029.96",
            "2018-01-21T14:09:27.315765Z",
            "2018-01-21T14:09:27.200398Z",
            "2018-01-21T14:09:28.116062Z",
        ),
        (
            "chrome/History-59.0.3071.86",
            "2018-01-21T14:08:52.037692Z",
            "2018-01-21T14:08:51.811123Z",
            "2018-01-21T14:08:52.662377Z",
        ),
        (
            "chrome/History-63.0.3239.108",
            "2018-01-21T17:26:34.486347Z",
            "2018-01-21T17:26:34.219514Z",
            "2018-01-21T17:26:35.466198Z",
        ),
    ];
    for (file, visit, start, end) in cases {
        let Some(c) = ingest(file) else { return };
        // plaso: 2 event_data, 3 events (visit, download start, download end).
        assert_eq!(counts(&c), (2, 3, 0), "{file}");
        let v = &c.kind("browser.visit")[0];
        assert_eq!(v["ts"], visit, "{file}");
        assert_eq!(
            v["url"],
            "https://raw.githubusercontent.com/dfirlabs/chrome-specimens/master/generate-specimens.sh"
        );
        assert_eq!(v["transition"], "AUTO_TOPLEVEL|CHAIN_START|CHAIN_END");
        let d = c.kind("browser.download");
        assert_eq!(d[0]["ts"], start, "{file}");
        assert_eq!(d[0]["attrs"]["phase"], "start");
        assert_eq!(d[1]["ts"], end, "{file}");
        assert_eq!(d[1]["attrs"]["phase"], "end");
        assert_eq!(d[0]["path"], "/home/ubuntu/Downloads/plaso-20171231.1.win32.msi");
        assert_eq!(d[0]["size"], 3_080_192);
        assert_eq!(
            d[0]["url"],
            "https://raw.githubusercontent.com/log2timeline/l2tbinaries/master/win32/plaso-20171231.1.win32.msi"
        );
        assert_eq!(d[0]["attrs"]["danger_type"], "maybe_dangerous_content");
        assert_eq!(d[0]["attrs"]["state"], "complete");
        assert_eq!(d[0]["attrs"]["opened"], false);
        assert_eq!(d[0]["attrs"]["tab_url"], d[0]["url"]);
    }
}

#[test]
fn firefox_places_matches_plaso_and_reads_all_annotations() {
    let Some(c) = ingest("firefox/places.sqlite") else { return };
    // plaso: 103 event_data = 1 visit + 91 bookmarks + 8 folders + 3 bookmark
    // annotations. waybill reads the same visit and the same 99 bookmarks and
    // folders, and all 8 rows of moz_items_annos: plaso's inner join keeps only
    // the 3 on URL bookmarks and drops the 5 on livemark folders.
    assert_eq!(counts(&c), (108, 108, 0));
    let visits = c.kind("browser.visit");
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0]["ts"], "2011-07-01T11:16:21.371935Z");
    assert_eq!(visits[0]["url"], "http://news.google.com/");
    assert_eq!(visits[0]["transition"], "TYPED");
    assert_eq!(visits[0]["auto"], false);
    assert_eq!(visits[0]["attrs"]["title"], "Google News");
    assert_eq!(visits[0]["attrs"]["host"], "news.google.com");
    assert_eq!(visits[0]["attrs"]["visit_count"], 1);
    let bm = c.kind("browser.bookmark");
    assert_eq!(bm.iter().filter(|b| b["attrs"]["type"] == "url").count(), 91);
    assert_eq!(bm.iter().filter(|b| b["attrs"]["type"] == "folder").count(), 8);
    assert_eq!(bm.iter().filter(|b| b["attrs"]["type"] == "annotation").count(), 8);
    let latest = find(&c, |e| e["attrs"]["title"] == "Latest Headlines" && e["attrs"]["type"] == "folder");
    assert_eq!(latest["ts"], "2011-03-21T10:05:01.553774Z");
    assert_eq!(latest["attrs"]["last_modified"], "2011-07-01T11:14:11.766851Z");
}

#[test]
fn firefox_54_download_exists_only_in_the_wal() {
    let Some(p) = real("firefox/ff54_profile/places.sqlite") else { return };
    let with_wal = ingest_path(&p, &Opts::default()).unwrap_or_else(|e| panic!("{e}"));
    // plaso's WAL pass gives 19 event_data: 3 visits, 7 bookmarks, 7 folders, 2
    // bookmark annotations. waybill reads the same plus the 2 annotations on
    // folders and — from the WAL, which plaso reads but no plaso parser turns
    // into a download — the download itself.
    assert_eq!(counts(&with_wal), (22, 22, 0));
    assert_eq!(with_wal.summary.companions.len(), 1, "the WAL is read and hashed with the database");
    assert_eq!(with_wal.summary.companions[0].role, "wal");
    let dl = with_wal.kind("browser.download");
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0]["ts"], "2018-08-01T07:00:40.384000Z");
    assert_eq!(dl[0]["path"], "/home/ubuntu/Downloads/plaso-20180630.1.win32.msi");
    assert_eq!(
        dl[0]["url"],
        "https://raw.githubusercontent.com/log2timeline/l2tbinaries/master/win32/plaso-20180630.1.win32.msi"
    );
    assert_eq!(dl[0]["attrs"]["file_name"], "plaso-20180630.1.win32.msi");
    let visits = with_wal.kind("browser.visit");
    assert_eq!(visits.len(), 3);
    assert_eq!(visits[2]["ts"], "2018-08-01T07:00:40.299753Z");
    assert_eq!(visits[2]["transition"], "DOWNLOAD");
    assert_eq!(visits[2]["attrs"]["title"], "plaso-20180630.1.win32.msi", "the title update is in the WAL too");

    // The same database without its WAL: no download, no title (plaso's main-file
    // pass: 19 event_data; waybill 21 with the 2 folder annotations).
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("places.sqlite");
    std::fs::copy(&p, &copy).expect("copy");
    let without = ingest_path(&copy, &Opts::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(counts(&without), (21, 21, 0));
    assert!(without.kind("browser.download").is_empty());
    assert!(without.kind("browser.visit")[2]["attrs"].get("title").is_none());
}

#[test]
fn firefox_downloads_sqlite_and_json_match() {
    let Some(c) = ingest("firefox/downloads.sqlite") else { return };
    // plaso: 1 event_data, 2 events.
    assert_eq!(counts(&c), (1, 2, 0));
    assert_eq!(c.events[0]["ts"], "2013-07-18T18:59:59.312000Z");
    assert_eq!(c.events[1]["ts"], "2013-07-18T19:01:18.578000Z");
    assert_eq!(c.events[0]["path"], "D:/plaso-static-1.0.1-win32-vs2008.zip");
    assert_eq!(c.events[0]["url"], "https://plaso.googlecode.com/files/plaso-static-1.0.1-win32-vs2008.zip");
    assert_eq!(c.events[0]["size"], 15_974_599);
    // plaso has no parser for downloads.json.
    let Some(j) = ingest("firefox/ff54_profile/downloads.json") else { return };
    assert_eq!(counts(&j), (1, 1, 0));
    assert_eq!(j.events[0]["ts"], "2018-08-01T07:00:40.332000Z");
    assert_eq!(j.events[0]["path"], "/home/ubuntu/Downloads/plaso-20180630.1.win32.msi");
    assert_eq!(j.events[0]["size"], 3_145_728);
    assert_eq!(j.events[0]["attrs"]["has_partial_data"], true);
}

#[test]
fn safari_history_matches_plaso() {
    let Some(c) = ingest("safari/History.db") else { return };
    assert_eq!(counts(&c), (25, 25, 0));
    // plaso's event 1 (ordered by time): http://facebook.com/ with an empty title.
    let fb = find(&c, |e| e["url"] == "http://facebook.com/");
    assert_eq!(fb["ts"], "2017-11-09T21:24:28.829571Z");
    assert!(fb["attrs"].get("title").is_none());
    assert_eq!(fb["attrs"]["visit_count"], 2);
    assert_eq!(fb["attrs"]["http_non_get"], false);
    assert_eq!(fb["attrs"]["redirect_destination"], "https://www.facebook.com/");
    let www = find(&c, |e| e["url"] == "https://www.facebook.com/" && e["transition"] == "REDIRECT");
    assert_eq!(www["referrer"], "http://facebook.com/");
    assert_eq!(c.events[0]["ts"], "2017-11-09T21:23:34.791503Z");
}

#[test]
fn macos_quarantine_matches_plaso() {
    let Some(c) = ingest("macos/quarantine.db") else { return };
    assert_eq!(counts(&c), (14, 14, 0));
    let e = &c.events[10];
    assert_eq!(e["ts"], "2013-07-12T19:30:16.000000Z");
    assert_eq!(e["attrs"]["agent"], "Google Chrome");
    assert_eq!(e["url"], "http://download.mackeeper.zeobit.com/package.php?key=460245286&trt=5&landpr=Speedtest");
    assert_eq!(
        e["referrer"],
        "http://mackeeperapp.zeobit.com/aff/speedtest.net.6/download.php?affid=460245286&trt=5&utm_campaign=3ES&tid_ext=P107fSKcSfqpMbcP3sI4fhKmeMchEB3dkAGpX4YIsvM;US;L;1"
    );
    assert_eq!(c.events[0]["ts"], "2013-07-08T16:24:27.020743Z");
    assert_eq!(c.events[0]["attrs"]["type"], "web_download");
}

#[test]
fn bodyfile_matches_plaso() {
    let Some(c) = ingest("bodyfile/bodyfile") else { return };
    // plaso: 24 event_data, 71 events — of which 4 are placeholders ("Not a
    // time") for the 4 lines whose times are all 0. waybill emits no event for an
    // unknown time: 67.
    assert_eq!(counts(&c), (24, 67, 0));
    let f = |kind: &str, path: &str| find(&c, |e| e["kind"] == kind && e["path"] == path).clone();
    let a = f("fs.accessed", "/a_directory/another_file");
    assert_eq!(a["ts"], "2012-05-25T15:59:43.000000Z");
    assert_eq!(a["size"], 22);
    assert_eq!(a["attrs"]["inode"], "16");
    assert_eq!(a["attrs"]["mode"], "r/rrw-------");
    assert_eq!(f("fs.modified", "/a_directory/another_file")["ts"], "2012-05-25T15:59:44.000000Z");
    assert_eq!(f("fs.changed", "/a_directory/another_file")["ts"], "2012-05-25T15:59:45.000000Z");
    assert_eq!(f("fs.modified", "/file|with|pipes")["ts"], "2020-07-30T06:41:05.352146Z");
    // Exact decimal, truncated to µs. plaso goes through a float and gets
    // …845900 for this value; the decimal says …8458999 s.
    assert_eq!(f("fs.created", "\\testdir2")["ts"], "2019-11-16T09:27:56.845899Z");
    assert_eq!(f("fs.accessed", "\\testdir2")["ts"], "2019-11-16T09:27:58.189698Z");
    assert_eq!(f("fs.accessed", "/file\\with\\backslashes")["attrs"]["file_name_attribute"], true);

    let Some(k) = ingest("bodyfile/bodyfile.corrupt") else { return };
    // plaso: 3 event_data, 10 events, 1 warning (control characters in a name).
    assert_eq!(counts(&k), (3, 10, 0));
    let cr = find(&k, |e| e["path"] == "/passwords\r.txt");
    assert_eq!(cr["attrs"]["control_characters"], true);
    let ntfs = find(&k, |e| e["path"] == "/Windows\\System32");
    assert_eq!(ntfs["attrs"]["inode"], "1688849860339456");
    assert_eq!(ntfs["attrs"]["mft_entry"], 75_520);
    assert_eq!(ntfs["attrs"]["mft_sequence"], 6);
}

#[test]
fn apache_logs_match_plaso() {
    let Some(c) = ingest("logs/plaso/apache_access.log") else { return };
    // plaso: 14 events, 1 warning for line 8 (a cut-off user agent).
    assert_eq!(counts(&c), (15, 14, 1));
    assert_eq!(c.rejects[0].record, "offset 1589 line 8");
    let plus2 = find(&c, |e| e["ts"] == "2016-01-13T17:31:20.000000Z");
    assert_eq!(plus2["client_ip"], "192.168.0.2");
    assert_eq!(plus2["status"], 200);
    assert_eq!(plus2["size"], 694);
    assert_eq!(plus2["referrer"], "http://localhost/");
    let common = find(&c, |e| e["client_ip"] == "10.0.0.1");
    assert_eq!(common["ts"], "2016-01-13T19:31:16.000000Z");
    assert_eq!(common["size"], 494);
    let vhost = find(&c, |e| e["attrs"]["server_name"] == "plaso.log2timeline.net");
    assert_eq!(vhost["attrs"]["port"], 443);
    assert_eq!(vhost["size"], 1063);
    assert_eq!(vhost["ts"], "2018-01-13T19:31:17.000000Z");
    assert_eq!(vhost["url"], "https://plaso.log2timeline.net/wp-content/themes/darkmode/evil.php");
    let nobytes = find(&c, |e| e["status"] == 304);
    assert!(nobytes.get("size").is_none(), "`-` bytes is no size (plaso keeps the string \"-\")");
    let krb = find(&c, |e| e["actor"] == "pyllyukko@EXAMPLE.COM");
    assert_eq!(krb["ts"], "2019-11-16T07:46:42.000000Z");

    let Some(big) = ingest("logs/elastic_examples/apache_logs") else { return };
    // plaso: 9,999 events, 1 warning (line 8,899).
    assert_eq!(counts(&big), (10_000, 9_999, 1));
    assert_eq!(big.rejects[0].record, "offset 2111246 line 8899");

    let Some(d) = ingest("logs/beats/apache_darwin-2.4.23.log") else { return };
    // plaso: 5 events and a warning for `"-" 408 -` (a timed-out connection with no
    // request line). That line is a valid Apache log line: waybill keeps it.
    assert_eq!(counts(&d), (6, 6, 0));
    let timeout = find(&d, |e| e["status"] == 408);
    assert_eq!(timeout["client_ip"], "::1");
    assert!(timeout.get("url").is_none());

    let Some(n) = ingest("logs/beats/nginx_access.log") else { return };
    // plaso: 13 events; for line 13 it drops the leading virtual host
    // (`lessons.example.com 192.168.0.1 - - …`). waybill keeps it as server_name.
    assert_eq!(counts(&n), (13, 13, 0));
    let l13 = find(&n, |e| e["record"] == "offset 2346 line 13");
    assert_eq!(l13["attrs"]["server_name"], "lessons.example.com");
    assert_eq!(l13["client_ip"], "192.168.0.1");
    assert_eq!(l13["ts"], "2020-06-09T19:10:39.000000Z");
    assert_eq!(l13["status"], 206);
    assert_eq!(l13["size"], 7_648_063);

    let Some(t) = ingest("logs/beats/nginx_test.log") else { return };
    // plaso: 0 events (its first line is an address list, and plaso judges the
    // whole file by its first line). waybill reads 5 of the 7 lines; the two with a
    // quoted list or a space-separated address pair before the client are rejected.
    assert_eq!(counts(&t), (7, 5, 2));
    let list = find(&t, |e| e["record"] == "offset 0 line 1");
    assert_eq!(list["client_ip"], "10.0.0.2");
    assert_eq!(list["attrs"]["remote_addr_list"], "10.0.0.2, 10.0.0.1, 127.0.0.1");
    let empty = find(&t, |e| e["status"] == 400);
    assert_eq!(empty["ts"], "2018-04-12T07:48:40.000000Z");
}

#[test]
fn iis_logs_match_plaso() {
    for (file, n) in [("logs/plaso/iis10.log", 1), ("logs/plaso/iis6.log", 12), ("logs/plaso/iis7_owa.log", 3)] {
        let Some(c) = ingest(file) else { return };
        assert_eq!(c.summary.format, "w3c.extended");
        assert_eq!(counts(&c), (n, n, 0), "{file}");
        assert!(c.events.iter().all(|e| e["attrs"]["variant"] == "iis"), "{file}");
    }
    let Some(c) = ingest("logs/plaso/iis10.log") else { return };
    let e = &c.events[0];
    assert_eq!(e["ts"], "2021-04-01T00:00:21.000000Z");
    assert_eq!(e["client_ip"], "222.222.222.222");
    // No host is logged (only the server's IP), so the URL stays a path.
    assert_eq!(e["url"], "/foo/bar/baz.asp");
    assert_eq!(
        e["user_agent"],
        "Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/35.0.2309.372 Safari/537.36"
    );
    assert_eq!(e["referrer"], "http://111.111.111.111/");
    assert_eq!(e["status"], 200);
}

#[test]
fn elb_and_cloudfront() {
    let Some(c) = ingest("logs/plaso/aws_elb_access.log") else { return };
    // plaso: 16 event_data (26 events: it emits the request and the response time
    // of ALB lines separately; waybill keeps one event per request).
    assert_eq!(counts(&c), (16, 16, 0));
    let first = &c.events[0];
    assert_eq!(first["ts"], "2020-01-11T16:55:19.624000Z", "request_creation_time");
    assert_eq!(first["attrs"]["response_time"], "2020-01-11T16:55:20.356586Z");
    assert_eq!(first["client_ip"], "192.168.1.10");
    assert_eq!(first["url"], "https://www.domain.name:443/");
    assert_eq!(first["size"], 107_999);
    assert_eq!(c.kind("net.connection").len(), 2);

    // plaso has no CloudFront parser (0 events). The corpus file has one cut-off
    // record (line 14).
    let Some(cf) = ingest("logs/cloudfront/test-cloudfront.log") else { return };
    assert_eq!(counts(&cf), (12, 11, 1));
    assert_eq!(cf.rejects[0].record, "offset 5246 line 14");
    let e = &cf.events[0];
    assert_eq!(e["ts"], "2019-12-04T21:02:31.000000Z");
    assert_eq!(e["attrs"]["variant"], "cloudfront");
    assert_eq!(e["attrs"]["edge_result_type"], "Hit");
    assert!(e["user_agent"].as_str().is_some_and(|u| u.starts_with("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")));
}
